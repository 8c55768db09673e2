"""The cases planted on purpose: at least one of every finding type, each on a person or
account made for it, so that the rest of the district stays clean and a finding that fires
anywhere else is a bug in the findings, not in the demo.

Two steps: ``add_planted_people`` before the directories are built (the people must be on the
roster and get accounts like anyone else), ``plant_access`` after (memberships, grants and
accounts that only these cases have).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from access_review.records import account_key

from .builder import SnapshotBuilder
from .entra import UNAPPROVED_APP
from .names import DOMAIN
from .people import (
    COUNSELOR,
    NURSE,
    SCHOOL_WEIGHTED,
    SPED_TEACHER,
    TEACHER,
    Clock,
    Role,
    StaffFactory,
    StaffMember,
    at_noon,
)

FINDING_TYPES = (
    "unauthorized",
    "separated_access",
    "leave_access",
    "orphan_account",
    "dormant_account",
    "training_overdue",
    "privileged_access",
    "unapproved_app",
    "app_scope_exceeded",
    "data_manager_invalid",
    "ungoverned_group",
    "held_account_missing",
    "retention_eligible",
)

SUMMER_AIDE = Role("Summer School Aide", "Instruction", (), "volunteer", ("ad", "entra", "google"))
FOOD_SERVICE_WORKER = next(
    role for role, _ in SCHOOL_WEIGHTED if role.title == "Food Service Worker"
)
SPED_PARA = next(
    role for role, _ in SCHOOL_WEIGHTED if role.title == "Special Education Paraprofessional"
)
TECHNICIAN = Role("Technology Technician", "Technology")
PAYROLL_SPECIALIST = Role("Payroll Specialist", "Finance", ("payroll", "finance"))
HR_GENERALIST = Role("HR Generalist", "Human Resources", ("hr", "payroll"))


@dataclass(frozen=True)
class PlantedPeople:
    nested_unauthorized: StaffMember  # volunteer reaching SpEd Records through a nested group
    direct_unauthorized: StaffMember  # food service worker with a direct drive permission
    separated_with_access: StaffMember
    leave_with_access: StaffMember
    dormant: StaffMember
    training_lapsed: StaffMember
    training_missing: StaffMember
    retention_eligible: StaffMember
    retention_on_hold: StaffMember
    hold_vanished: StaffMember  # held by account key; the account is gone
    excepted: StaffMember  # clean: outside the rule, covered by a named exception
    released_hold: StaffMember  # clean: a hold that was released
    clean_sped_teacher: StaffMember  # clean: authorized, trained, signed in lately


def add_planted_people(factory: StaffFactory) -> PlantedPeople:
    clock = factory.clock
    days = clock.days_ago
    return PlantedPeople(
        nested_unauthorized=factory.add(SUMMER_AIDE, 0, first="Zoë", last="O'Brien"),
        direct_unauthorized=factory.add(FOOD_SERVICE_WORKER, 0, first="Luis", last="Núñez"),
        separated_with_access=factory.add(
            TEACHER,
            0,
            first="Marie-Claire",
            last="D'Angelo",
            status="separated",
            status_date=days(44),
            account_state="enabled",
            has_access=True,
            last_sign_in=at_noon(days(45)),
        ),
        leave_with_access=factory.add(
            NURSE,
            0,
            first="Siobhán",
            last="Ní Bhriain",
            status="leave",
            status_date=days(58),
            account_state="enabled",
            has_access=True,
        ),
        dormant=factory.add(
            COUNSELOR, 0, first="François", last="Lefèvre", last_sign_in=at_noon(days(181))
        ),
        training_lapsed=factory.add(
            SPED_TEACHER, 0, first="Ngozi", last="Okafor-Smith", training_date=days(516)
        ),
        training_missing=factory.add(
            SPED_PARA, 0, first="Björn", last="Ångström", training_date=None
        ),
        retention_eligible=factory.add(
            TEACHER,
            0,
            first="Dolores",
            last="Van der Berg",
            status="separated",
            status_date=date(2022, 6, 30),
            directories=("ad",),
        ),
        retention_on_hold=factory.add(
            PAYROLL_SPECIALIST,
            -1,
            first="Heinrich",
            last="Özdemir",
            status="separated",
            status_date=date(2021, 8, 13),
            directories=("ad", "google"),
        ),
        hold_vanished=factory.add(
            HR_GENERALIST,
            -1,
            first="Raymond",
            last="Kowalczyk",
            status="separated",
            status_date=date(2025, 3, 14),
            account_state="deleted",
        ),
        excepted=factory.add(TECHNICIAN, -1, first="Thanh", last="Nguyen"),
        released_hold=factory.add(
            TEACHER, 0, first="Renée", last="Dupré", status="separated", status_date=days(400)
        ),
        clean_sped_teacher=factory.add(SPED_TEACHER, 0, first="Priya", last="Patel"),
    )


@dataclass(frozen=True)
class Plants:
    planted: dict[str, list[str]]
    clean: dict[str, list[str]]
    must_keep: list[str]
    missing_account_key: str


def plant_access(
    people: PlantedPeople,
    ad: SnapshotBuilder,
    entra: SnapshotBuilder,
    google: SnapshotBuilder,
    *,
    data_manager_invalid: list[str],
    clock: Clock,
) -> Plants:
    def keys_of(member: StaffMember, *builders: SnapshotBuilder) -> list[str]:
        eid = member.person.employee_id
        return [b.account_of_employee[eid] for b in builders if eid in b.account_of_employee]

    # (1) + (9): a group nobody put in the inventory, nested into a selector group.
    aides = ad.add_group("Summer School Aides")
    ad.add_member(aides, ad.account_of_employee[people.nested_unauthorized.person.employee_id])
    ad.add_member(ad.group_by_name["SpEd Records"], aides, "group")
    # (1) direct: a reader permission on the special-education drive.
    google.add_grant(
        google.resource_by_name["Special Education Records"],
        google.account_of_employee[people.direct_unauthorized.person.employee_id],
        level="read",
        kind="drive_permission",
        role="reader",
    )
    # Clean: outside Finance System's rule, but covered by a named exception.
    ad.add_member(
        ad.group_by_name["Finance Staff"],
        ad.account_of_employee[people.excepted.person.employee_id],
    )

    # (3) orphans: person-like accounts nobody on the roster owns.
    orphans = [
        ad.add_account(
            login="temp.sub",
            email=f"temp.sub@{DOMAIN}",
            display_name="Sub, Temp",
            enabled=True,
            last_sign_in=at_noon(clock.days_ago(12)),
            created=at_noon(clock.days_ago(700)),
            kind="person",
            title="Substitute",
            org_unit="OU=Staff,OU=Central Office,DC=district,DC=example,DC=org",
        ),
        google.add_account(
            login=f"coach.mike@{DOMAIN}",
            email=f"coach.mike@{DOMAIN}",
            display_name="Coach Mike",
            enabled=True,
            last_sign_in=at_noon(clock.days_ago(3)),
            created=at_noon(clock.days_ago(400)),
            kind="person",
            org_unit="/Staff/Central Office",
        ),
    ]
    ad.add_member(ad.group_by_name["All Staff"], orphans[0])
    google.add_member(google.group_by_name["All Staff"], orphans[1])

    # (10) the held account key names an account deleted from AD long ago.
    missing = account_key("ad", ad.new_id())

    domain_admins = ad.group_by_name["Domain Admins"]
    privileged = [m.member_key for m in ad.memberships if m.group_key == domain_admins]
    for builder, role in ((entra, "Global Administrator"), (google, "Super Admin")):
        resource = builder.resource_by_name[role]
        privileged += [g.principal_key for g in builder.grants if g.resource_key == resource]

    held = keys_of(people.retention_on_hold, ad, google)
    planted = {
        "unauthorized": [
            people.nested_unauthorized.person.key,
            people.direct_unauthorized.person.key,
        ],
        "separated_access": [people.separated_with_access.person.key],
        "leave_access": [people.leave_with_access.person.key],
        "orphan_account": orphans,
        # Only the accounts that reach confidential data (his AD account reaches none).
        "dormant_account": keys_of(people.dormant, entra, google),
        "training_overdue": [people.training_lapsed.person.key, people.training_missing.person.key],
        "privileged_access": privileged,
        "unapproved_app": [UNAPPROVED_APP[0], "Homework Helper AI"],
        "app_scope_exceeded": ["Kami"],
        "data_manager_invalid": data_manager_invalid,
        "ungoverned_group": [aides],
        "held_account_missing": [missing],
        "retention_eligible": keys_of(people.retention_eligible, ad) + held,
    }
    clean = {
        "authorized_person": [people.clean_sped_teacher.person.key],
        "excepted_person": [people.excepted.person.key],
        "approved_app": ["Pear Deck", "PowerSchool SIS"],
        "governed_group": [ad.group_by_name["SpEd Records"], ad.group_by_name["Nurses"]],
        "valid_data_manager_resource": ["Special Education Records", "Payroll"],
        "separated_recent_disabled": keys_of(people.released_hold, ad, entra, google),
        "held_account_present": held,
        "service_account": [ad.account_by_login["svc-print"]],
    }
    return Plants(planted=planted, clean=clean, must_keep=held, missing_account_key=missing)


def exception_for(people: PlantedPeople, approver: str, as_of: date) -> str:
    until = as_of + timedelta(days=200)
    return f"{people.excepted.person.employee_id} approved-by {approver} until {until.isoformat()}"
