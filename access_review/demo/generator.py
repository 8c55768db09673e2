"""The demo district: a deterministic, seeded, offline stand-in for a real district's
roster, inventory, registers and three directories, with every finding type planted.

Same ``size``, ``seed`` and ``as_of`` give the same district, byte for byte: one
``random.Random`` is threaded through, nothing reads the clock, and nothing iterates a set.
"""

from __future__ import annotations

import gc
import random
from dataclasses import dataclass
from datetime import date
from typing import Any, Literal, TypedDict

from access_review.records import Person, Snapshot

from .ad import build_ad
from .entra import build_entra
from .google import build_google
from .governance import build_apps_rows, build_holds_rows, build_inventory_rows
from .names import building_names
from .people import (
    ASSISTANT_PRINCIPAL,
    CENTRAL_FIXED,
    CENTRAL_WEIGHTED,
    DIRECTOR_TRANSPORTATION,
    NETWORK_ADMIN,
    SCHOOL_FIXED,
    SCHOOL_WEIGHTED,
    TECH_COORDINATOR,
    Clock,
    NameSource,
    StaffFactory,
    at_noon,
    build_students,
    weighted_roles,
)
from .access_rules import plant_access_rules
from .plants import FINDING_TYPES, add_planted_people, exception_for, plant_access

Size = Literal["small", "district", "state"]
DEFAULT_AS_OF = date(2026, 11, 28)


@dataclass(frozen=True)
class DistrictSize:
    staff: int
    students: int
    schools: int
    # Google classroom groups each student sits in; the main lever on membership count.
    classes_per_student: int


SIZES: dict[Size, DistrictSize] = {
    "small": DistrictSize(staff=300, students=1_600, schools=3, classes_per_student=2),
    "district": DistrictSize(staff=4_000, students=25_000, schools=25, classes_per_student=6),
    "state": DistrictSize(staff=40_000, students=250_000, schools=250, classes_per_student=6),
}


class IsoSettings(TypedDict):
    """The config's [iso] table for the demo district."""

    name: str
    email: str
    alternate_name: str
    alternate_email: str
    accounts: list[str]


@dataclass
class DemoDistrict:
    size: str
    seed: int
    as_of: date
    buildings: list[str]
    roster: list[Person]
    snapshots: dict[str, Snapshot]
    inventory: list[dict[str, Any]]  # docs/formats.md "Data inventory" columns
    apps: list[dict[str, Any]]  # "App approval register"
    holds: list[dict[str, Any]]  # "Litigation-hold register"
    # finding type -> what should be caught: person keys for person findings (unauthorized,
    # separated_access, leave_access, training_overdue), account keys for account findings
    # (orphan_account, dormant_account, privileged_access, retention_eligible,
    # held_account_missing), app names, inventory resource names (data_manager_invalid), group
    # keys (ungoverned_group).
    planted: dict[str, list[str]]
    # Cases that must NOT be flagged (see plants.py for what each is).
    clean: dict[str, list[str]]
    must_keep: list[str]  # retention-eligible accounts that a hold keeps
    iso: IsoSettings
    protected_accounts: list[str]

    def membership_count(self) -> int:
        return sum(len(s.memberships) for s in self.snapshots.values())


def generate_district(
    size: Size = "small", seed: int = 2026, *, as_of: date = DEFAULT_AS_OF
) -> DemoDistrict:
    if size not in SIZES:
        raise ValueError(f"unknown demo size {size!r}; choose one of {', '.join(SIZES)}")
    # Millions of small acyclic records: the cyclic collector would rescan the growing heap
    # again and again (quadratic in effect) while finding nothing to free.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _generate(SIZES[size], size, seed, as_of)
    finally:
        if collecting:
            gc.enable()


def _generate(shape: DistrictSize, size: str, seed: int, as_of: date) -> DemoDistrict:
    rng = random.Random(seed)  # noqa: S311 (seeded, reproducible demo data, not security)
    clock = Clock(as_of, rng)
    schools = building_names(shape.schools)
    buildings = [name for name, _ in schools]
    factory = StaffFactory(rng, clock, NameSource(rng), buildings)

    holder_of_title: dict[str, str] = {}
    for role in CENTRAL_FIXED:
        if role is DIRECTOR_TRANSPORTATION:
            # Planted (data_manager_invalid): the data manager of Transportation Routes is on leave.
            member = factory.add(role, -1, status="leave", status_date=clock.days_ago(75))
        else:
            member = factory.add(role, -1)
        holder_of_title[role.title] = member.person.employee_id
    people = add_planted_people(factory)

    central = max(20, shape.staff * 7 // 100) - len(CENTRAL_FIXED)
    for role in weighted_roles(rng, CENTRAL_WEIGHTED, central):
        factory.add_random(role, -1)
    per_school = max(len(SCHOOL_FIXED) + 5, (shape.staff - len(factory.members)) // shape.schools)
    for index in range(shape.schools):
        fixed = [r for r in SCHOOL_FIXED if r is not ASSISTANT_PRINCIPAL or per_school >= 40]
        for role in fixed:
            factory.add(role, index)
        for role in weighted_roles(rng, SCHOOL_WEIGHTED, per_school - len(fixed)):
            factory.add_random(role, index)
    staff = factory.members
    students = build_students(rng, clock, schools, shape.students)

    ad = build_ad(rng, clock, buildings, staff, students)
    entra = build_entra(rng, clock, buildings, staff, students)
    google = build_google(
        rng, clock, buildings, staff, students, classes_per_student=shape.classes_per_student
    )
    plants = plant_access(
        people,
        ad,
        entra,
        google,
        clock=clock,
        data_manager_invalid=["Transportation Routes", "Free and Reduced Lunch Eligibility"],
    )
    rules = plant_access_rules(factory, ad, entra, google, buildings=buildings, clock=clock)
    for finding_type, keys in rules.planted.items():
        plants.planted[finding_type] = plants.planted.get(finding_type, []) + keys
    plants.clean.update(rules.clean)
    plants.must_keep.extend(rules.must_keep)

    inventory = build_inventory_rows(
        holder_of_title, exception_for(people, holder_of_title["Director of Finance"], as_of)
    )
    holds = build_holds_rows(
        held_employee_id=people.retention_on_hold.person.employee_id,
        missing_account_key=plants.missing_account_key,
        released_email=people.released_hold.person.email or "",
        active_email=next(
            m.person.email
            for m in staff
            if m.person.title == "Principal" and m.person.status == "active"
        )
        or "",
    )

    tech = next(m for m in staff if m.role is TECH_COORDINATOR)
    network = next(m for m in staff if m.role is NETWORK_ADMIN)
    tech_id = tech.person.employee_id
    iso_accounts = [b.account_of_employee[tech_id] for b in (ad, entra, google)]
    iso_accounts += [
        a.key
        for b in (ad, entra)
        for a in b.accounts
        if a.employee_id == tech_id and a.key not in iso_accounts
    ]
    protected = [
        a.key for b in (entra, google) for a in b.accounts if a.login.startswith("breakglass")
    ]

    read_at = at_noon(as_of)
    snapshots = {b.source: b.snapshot(read_at) for b in (ad, entra, google)}
    missing_types = [t for t in FINDING_TYPES if not plants.planted.get(t)]
    if missing_types:  # a change to the generator broke a planted case
        raise RuntimeError(f"demo generator failed to plant {missing_types}")
    return DemoDistrict(
        size=size,
        seed=seed,
        as_of=as_of,
        buildings=["Central Office", *buildings],
        roster=[m.person for m in staff],
        snapshots=snapshots,
        inventory=inventory,
        apps=build_apps_rows(),
        holds=holds,
        planted=plants.planted,
        clean=plants.clean,
        must_keep=plants.must_keep,
        iso={
            "name": tech.person.name,
            "email": tech.email,
            "alternate_name": network.person.name,
            "alternate_email": network.email,
            "accounts": iso_accounts,
        },
        protected_accounts=protected,
    )
