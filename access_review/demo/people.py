"""The demo district's people: staff (the roster) and students (directory accounts only).

Every job carries the logical entitlements a district grants it ("sped", "payroll", ...);
the directory builders turn those into groups, roles and drive permissions, and the
inventory's authorization rules are written to agree with them. So the random population
is *clean* by construction — active, trained, signed in lately, authorized — and every
finding in the demo comes from a case planted on purpose (see plants.py).
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal, Sequence
from datetime import date, datetime, time, timedelta, timezone

from access_review.records import Person, PersonStatus, PersonType

from .names import CENTRAL_OFFICE, DOMAIN, FIRST_NAMES, GRADES, LAST_NAMES, login_base

DIRECTORIES = ("ad", "entra", "google")


@dataclass(frozen=True, slots=True)
class Role:
    title: str
    department: str
    # Logical access this job is given; directories.py maps each to groups/roles/drives.
    entitlements: tuple[str, ...] = ()
    person_type: PersonType = "employee"
    # Which directories hold an account for this job (volunteers: Google only).
    directories: tuple[str, ...] = DIRECTORIES


def _role(
    title: str,
    department: str,
    *entitlements: str,
    person_type: PersonType = "employee",
    directories: tuple[str, ...] = DIRECTORIES,
) -> Role:
    return Role(title, department, tuple(entitlements), person_type, directories)


PRINCIPAL = _role("Principal", "Administration", "sis_admin", "principals", "section504")
ASSISTANT_PRINCIPAL = _role("Assistant Principal", "Administration", "sis_admin", "principals")
SECRETARY = _role("School Secretary", "Administration", "sis_office")
COUNSELOR = _role("Counselor", "Counseling", "counselor", "sis_counselor", "section504")
NURSE = _role("School Nurse", "Health Services", "nurse")
CUSTODIAN = _role("Custodian", "Facilities")
TEACHER = _role("Teacher", "Instruction", "teacher")
SPED_TEACHER = _role(
    "Special Education Teacher", "Special Education", "sped", "sis_sped", "teacher"
)
SCHOOL_FIXED = (PRINCIPAL, ASSISTANT_PRINCIPAL, SECRETARY, COUNSELOR, NURSE, CUSTODIAN)
SCHOOL_WEIGHTED = (
    (TEACHER, 50),
    (SPED_TEACHER, 7),
    (_role("Paraprofessional", "Instruction"), 10),
    (_role("Special Education Paraprofessional", "Special Education", "sped"), 5),
    (_role("School Psychologist", "Special Education", "sped", "section504"), 1),
    (_role("Speech-Language Pathologist", "Special Education", "sped"), 1),
    (_role("Health Aide", "Health Services", "health_aide"), 1),
    (COUNSELOR, 1),
    (_role("Librarian", "Instruction"), 2),
    (CUSTODIAN, 3),
    (_role("Food Service Worker", "Food Services"), 5),
    (
        _role(
            "Classroom Volunteer", "Instruction", person_type="volunteer", directories=("google",)
        ),
        4,
    ),
    (_role("Contract Occupational Therapist", "Special Education", person_type="contractor"), 1),
)

TECH_COORDINATOR = _role(
    "Technology Coordinator", "Technology", "domain_admin", "global_admin", "super_admin"
)
NETWORK_ADMIN = _role("Network Administrator", "Technology", "domain_admin", "backup")
DIRECTOR_TRANSPORTATION = _role("Director of Transportation", "Transportation", "transportation")
CENTRAL_FIXED = (
    _role("Superintendent", "Administration", "sis_admin", "reader:hr", "reader:evaluations"),
    _role("Director of Special Education", "Special Education", "sped", "sis_sped", "owner:sped"),
    _role(
        "Director of Student Services",
        "Student Services",
        "student_services",
        "owner:health",
        "owner:counseling",
        "section504",
    ),
    _role("Director of Curriculum", "Instruction", "owner:assessment"),
    _role("Director of Finance", "Finance", "finance", "payroll", "owner:payroll"),
    _role("Director of Human Resources", "Human Resources", "hr", "owner:hr", "owner:evaluations"),
    _role("Food Services Director", "Food Services", "food_eligibility"),
    DIRECTOR_TRANSPORTATION,
    TECH_COORDINATOR,
    NETWORK_ADMIN,
)
CENTRAL_WEIGHTED = (
    (_role("Payroll Specialist", "Finance", "payroll", "finance"), 3),
    (_role("Accountant", "Finance", "finance"), 2),
    (_role("HR Generalist", "Human Resources", "hr", "payroll"), 3),
    (_role("Technology Technician", "Technology"), 4),
    (_role("Transportation Dispatcher", "Transportation", "transportation"), 2),
    (_role("Bus Driver", "Transportation"), 12),
    (_role("Food Services Clerk", "Food Services", "food_eligibility"), 2),
    (_role("Maintenance Technician", "Facilities"), 4),
    (_role("IT Contractor", "Technology", person_type="contractor"), 1),
)

# enabled; disabled (kept, cannot sign in); deleted (gone from every directory)
AccountState = Literal["enabled", "disabled", "deleted"]


@dataclass(frozen=True, slots=True)
class StaffMember:
    """A roster person and how the directories know them."""

    person: Person
    role: Role
    first: str
    last: str
    login: str  # local part shared by every directory, e.g. "zoe.obrien"
    building_index: int  # -1 = central office
    account_state: AccountState
    last_sign_in: datetime | None
    created: datetime
    ad_has_employee_id: bool
    google_has_employee_id: bool
    directories: tuple[str, ...]
    # Whether the directories give this person their job's entitlements. True for active
    # people with enabled accounts; a planted case may keep it after leave or separation.
    has_access: bool
    # Whether they sit in the everyday groups (All Staff, their building): anyone whose
    # account is enabled, and people on leave (disabled, but coming back).
    in_base_groups: bool

    @property
    def email(self) -> str:
        """The work address, as the roster has it (every demo person has one)."""
        return f"{self.login}@{DOMAIN}"


@dataclass(frozen=True, slots=True)
class Student:
    number: str
    first: str
    last: str
    building_index: int
    grade: str
    enabled: bool
    last_sign_in: datetime | None
    created: datetime


def at_noon(day: date) -> datetime:
    return datetime.combine(day, time(12, 0), tzinfo=timezone.utc)


class Clock:
    """Timestamps relative to ``as_of``, drawn from small shared pools so that a million
    accounts share a few thousand datetime objects instead of owning one each."""

    def __init__(self, as_of: date, rng: random.Random):
        self.as_of = as_of
        end = at_noon(as_of)
        self.recent = tuple(
            end - timedelta(minutes=rng.randrange(30 * 24 * 60)) for _ in range(2048)
        )
        self.student_recent = tuple(
            end - timedelta(minutes=rng.randrange(60 * 24 * 60)) for _ in range(2048)
        )
        self.created_pool = tuple(
            end - timedelta(days=rng.randrange(40, 3650), minutes=rng.randrange(1440))
            for _ in range(2048)
        )

    def days_ago(self, days: int) -> date:
        return self.as_of - timedelta(days=days)


class NameSource:
    """Unique logins and e-mail addresses from the name pools."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.used: dict[str, int] = {}

    def pick(self) -> tuple[str, str]:
        return self.rng.choice(FIRST_NAMES), self.rng.choice(LAST_NAMES)

    def unique_login(self, first: str, last: str) -> str:
        base = login_base(first, last)
        count = self.used.get(base, 0)
        self.used[base] = count + 1
        return base if count == 0 else f"{base}{count + 1}"

    def reserve(self, login: str) -> None:
        self.used[login] = self.used.get(login, 0) + 1


class StaffFactory:
    """Builds roster people with sequential employee ids ("E00001", ...)."""

    def __init__(self, rng: random.Random, clock: Clock, names: NameSource, buildings: list[str]):
        self.rng, self.clock, self.names, self.buildings = rng, clock, names, buildings
        self.next_number = 1
        self.members: list[StaffMember] = []

    def next_employee_id(self) -> str:
        value = f"E{self.next_number:05d}"
        self.next_number += 1
        return value

    def add(
        self,
        role: Role,
        building_index: int,
        *,
        first: str | None = None,
        last: str | None = None,
        status: PersonStatus = "active",
        status_date: date | None = None,
        training_date: date | None | Literal["recent"] = "recent",
        account_state: AccountState | None = None,
        last_sign_in: datetime | None | Literal["recent"] = "recent",
        has_access: bool | None = None,
        directories: tuple[str, ...] | None = None,
    ) -> StaffMember:
        rng, clock = self.rng, self.clock
        if first is None or last is None:
            first, last = self.names.pick()
        login = self.names.unique_login(first, last)
        if isinstance(training_date, str):  # "recent"
            training_date = clock.days_ago(rng.randrange(10, 330))
        if account_state is None:
            account_state = "enabled" if status == "active" else "disabled"
        if isinstance(last_sign_in, str):  # "recent"
            if status == "active":
                # (Assigned straight to the parameter, choice() would take its declared union
                # as its type.)
                picked: datetime = rng.choice(clock.recent)
                last_sign_in = picked
            else:
                last_sign_in = at_noon(status_date or clock.days_ago(30)) - timedelta(
                    hours=rng.randrange(4, 72)
                )
        building = CENTRAL_OFFICE if building_index < 0 else self.buildings[building_index]
        person = Person(
            employee_id=self.next_employee_id(),
            name=f"{first} {last}",
            email=f"{login}@{DOMAIN}",
            title=role.title,
            department=role.department,
            building=building,
            person_type=role.person_type,
            status=status,
            status_date=status_date,
            training_date=training_date,
        )
        member = StaffMember(
            person=person,
            role=role,
            first=first,
            last=last,
            login=login,
            building_index=building_index,
            account_state=account_state,
            last_sign_in=last_sign_in,
            created=rng.choice(clock.created_pool),
            ad_has_employee_id=rng.random() < 0.96,
            google_has_employee_id=rng.random() < 0.35,
            directories=role.directories if directories is None else directories,
            has_access=(status == "active" and account_state == "enabled")
            if has_access is None
            else has_access,
            in_base_groups=account_state == "enabled" or status == "leave",
        )
        self.members.append(member)
        return member

    def add_random(self, role: Role, building_index: int) -> StaffMember:
        """A member of the general population: mostly active; some on leave or separated.

        People on leave or separated have their accounts disabled (the district's practice),
        and anyone separated more than three years ago has had them deleted — so none of
        them is a finding. Training lapses only where the job reaches no confidential data.
        """
        rng, clock = self.rng, self.clock
        roll = rng.random()
        status: PersonStatus = "active"
        status_date: date | None = None
        state: AccountState | None = None
        if roll < 0.025:
            status, status_date = "leave", clock.days_ago(rng.randrange(5, 200))
        elif roll < 0.075:
            days = rng.randrange(10, 1000) if rng.random() < 0.65 else rng.randrange(1200, 3000)
            status, status_date = "separated", clock.days_ago(days)
            state = "disabled" if days < 1000 else "deleted"
        training: date | None | Literal["recent"] = "recent"
        if not role.entitlements and rng.random() < 0.3:
            training = None if rng.random() < 0.5 else clock.days_ago(rng.randrange(400, 1400))
        return self.add(
            role,
            building_index,
            status=status,
            status_date=status_date,
            training_date=training,
            account_state=state,
        )


def weighted_roles(
    rng: random.Random, table: Sequence[tuple[Role, float]], count: int
) -> list[Role]:
    roles = [role for role, _ in table]
    weights = [weight for _, weight in table]
    return rng.choices(roles, weights=weights, k=count)


def build_students(
    rng: random.Random, clock: Clock, schools: list[tuple[str, str]], count: int
) -> list[Student]:
    """Students spread evenly over the schools, each in a grade the school teaches."""
    students: list[Student] = []
    per_school = max(1, count // max(1, len(schools)))
    first_names, last_names = FIRST_NAMES, LAST_NAMES
    recent, created = clock.student_recent, clock.created_pool
    number = 100000
    for building_index, (_, kind) in enumerate(schools):
        grades = GRADES[kind]
        n = (
            per_school
            if building_index < len(schools) - 1
            else count - per_school * (len(schools) - 1)
        )
        for _ in range(n):
            number += 1
            roll = rng.random()
            students.append(
                Student(
                    number=str(number),
                    first=rng.choice(first_names),
                    last=rng.choice(last_names),
                    building_index=building_index,
                    grade=rng.choice(grades),
                    enabled=roll >= 0.02,
                    last_sign_in=None if roll < 0.03 else rng.choice(recent),
                    created=rng.choice(created),
                )
            )
    return students
