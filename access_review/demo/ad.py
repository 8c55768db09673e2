"""The demo district's Active Directory: OUs per building, staff and student accounts,
service accounts, nested groups (one nesting cycle, which AD permits), a group far above
the 1,500 values AD returns per read of ``member`` (range retrieval), and Domain Admins."""

from __future__ import annotations

import random

from access_review.records import Membership

from .builder import SnapshotBuilder
from .names import BASE_DN, STUDENT_DOMAIN, escape_dn_value
from .people import Clock, StaffMember, Student

# Logical entitlement -> the AD group that carries it (named in the inventory).
ENTITLEMENT_GROUPS = {
    "sped": "SpEd Records",
    "nurse": "Nurses",
    "health_aide": "Health Services",
    "payroll": "Payroll Access",
    "finance": "Finance Staff",
    "hr": "HR Staff",
    "transportation": "Transportation Office",
    "food_eligibility": "Food Services Office",
}
SERVICE_ACCOUNTS = (
    # login, description, enabled, privileged (Domain Admins + Backup Operators)
    ("svc-backup", "Backup agent", True, True),
    ("svc-sis-sync", "PowerSchool roster sync", True, False),
    ("svc-print", "Print server", True, False),
    ("svc-scanner", "Copier scan-to-folder", True, False),
    ("svc-access-review", "access-review read-only bind", True, False),
    ("svc-oldfax", "Retired fax gateway", False, False),
)


def ou_dn(*parts: str) -> str:
    return ",".join(f"OU={escape_dn_value(p)}" for p in parts) + "," + BASE_DN


def build_ad(
    rng: random.Random,
    clock: Clock,
    buildings: list[str],
    staff: list[StaffMember],
    students: list[Student],
) -> SnapshotBuilder:
    """``buildings``: the schools, in order; the central office is building index -1."""
    ad = SnapshotBuilder("ad", rng)
    staff_ou = {i: ou_dn("Staff", name) for i, name in enumerate(buildings)}
    staff_ou[-1] = ou_dn("Staff", "Central Office")
    disabled_ou = ou_dn("Disabled Users")
    admin_ou = ou_dn("Administrators", "Central Office")

    all_staff = ad.add_group("All Staff")
    staff_of_building = {i: ad.add_group(f"Staff - {name}") for i, name in enumerate(buildings)}
    staff_of_building[-1] = ad.add_group("Staff - Central Office")
    teachers_of_building = {
        i: ad.add_group(f"Teachers - {name}") for i, name in enumerate(buildings)
    }
    technology = ad.add_group("Technology Staff")
    entitlement_group = {ent: ad.add_group(name) for ent, name in ENTITLEMENT_GROUPS.items()}
    domain_admins = ad.add_group("Domain Admins")
    backup_operators = ad.add_group("Backup Operators")

    for member in staff:
        if "ad" not in member.directories or member.account_state == "deleted":
            continue
        person = member.person
        ou = disabled_ou if person.status == "separated" else staff_ou[member.building_index]
        display = f"{member.last}, {member.first}"
        key = ad.add_account(
            login=member.login,
            email=person.email,
            display_name=display,
            employee_id=person.employee_id if member.ad_has_employee_id else None,
            enabled=member.account_state == "enabled",
            last_sign_in=member.last_sign_in,
            created=member.created,
            org_unit=ou,
            kind="person",
            title=person.title,
            department=person.department,
            extra={"distinguishedName": f"CN={escape_dn_value(display)},{ou}"},
        )
        ad.account_of_employee[person.employee_id] = key
        if member.in_base_groups:
            ad.add_member(all_staff, key)
            ad.add_member(staff_of_building[member.building_index], key)
            if "teacher" in member.role.entitlements:
                ad.add_member(teachers_of_building[member.building_index], key)
            if person.department == "Technology":
                ad.add_member(technology, key)
        if not member.has_access:
            continue
        for entitlement in member.role.entitlements:
            if entitlement in entitlement_group:
                ad.add_member(entitlement_group[entitlement], key)
        if "domain_admin" in member.role.entitlements:
            # Tiered administration: the admin works from a separate privileged account.
            admin_display = f"{display} (Admin)"
            admin = ad.add_account(
                login=f"adm-{member.login}"[:20],
                email=None,
                display_name=admin_display,
                employee_id=person.employee_id,
                enabled=True,
                last_sign_in=member.last_sign_in,
                created=member.created,
                org_unit=admin_ou,
                kind="person",
                title=person.title,
                department=person.department,
                extra={"distinguishedName": f"CN={escape_dn_value(admin_display)},{admin_ou}"},
            )
            ad.add_member(domain_admins, admin)
            if "backup" in member.role.entitlements:
                ad.add_member(backup_operators, admin)

    service_ou = ou_dn("Service Accounts")
    for login, description, enabled, privileged in SERVICE_ACCOUNTS:
        key = ad.add_account(
            login=login,
            display_name=login,
            enabled=enabled,
            kind="service",
            org_unit=service_ou,
            created=rng.choice(clock.created_pool),
            last_sign_in=rng.choice(clock.recent) if enabled else None,
            extra={"distinguishedName": f"CN={login},{service_ou}", "description": description},
        )
        if privileged:
            ad.add_member(domain_admins, key)
            ad.add_member(backup_operators, key)

    # Domain Admins is a group, but what it confers is a directory role: model the role as a
    # privileged resource granted to the group, so that the graph and findings see it as such.
    role = ad.add_resource(
        "Domain Admins", "admin_role", privileged=True, extra={"group": "Domain Admins", "rid": 512}
    )
    ad.add_grant(role, domain_admins, level="admin", kind="privileged_group", role="Domain Admins")

    # Ordinary nesting, and a cycle (AD allows one; the graph must not loop on it).
    wifi = ad.add_group("Wi-Fi Staff")
    ad.add_member(wifi, all_staff, "group")
    remote_desktop = ad.add_group("Remote Desktop Users")
    ad.add_member(remote_desktop, technology, "group")
    ad.add_member(entitlement_group["nurse"], entitlement_group["health_aide"], "group")
    ad.add_member(entitlement_group["health_aide"], entitlement_group["nurse"], "group")

    add_ad_students(ad, buildings, students)
    return ad


def add_ad_students(ad: SnapshotBuilder, buildings: list[str], students: list[Student]) -> None:
    """Each student is in All Students (far over 1,500 members), their school and grade."""
    all_students = ad.add_group("All Students")
    school = {i: ad.add_group(f"Students - {name}") for i, name in enumerate(buildings)}
    student_ou = {i: ou_dn("Students", name) for i, name in enumerate(buildings)}
    grade_groups: dict[tuple[int, str], str] = {}
    add_account, memberships, source = ad.add_account, ad.memberships, ad.source
    for s in students:
        ou = student_ou[s.building_index]
        display = f"{s.last}, {s.first}"
        key = add_account(
            login=f"s{s.number}",
            remember=False,
            email=f"{s.number}@{STUDENT_DOMAIN}",
            display_name=display,
            enabled=s.enabled,
            last_sign_in=s.last_sign_in,
            created=s.created,
            org_unit=ou,
            kind="student",
            title="Student",
            extra={"distinguishedName": f"CN={escape_dn_value(display)},{ou}"},
        )
        grade = grade_groups.get((s.building_index, s.grade))
        if grade is None:
            grade = ad.add_group(f"Grade {s.grade} - {buildings[s.building_index]}")
            grade_groups[(s.building_index, s.grade)] = grade
        memberships.append(Membership(source, all_students, key, "account"))
        memberships.append(Membership(source, school[s.building_index], key, "account"))
        memberships.append(Membership(source, grade, key, "account"))
