"""The demo district's Entra ID tenant: users synced from AD (mastered there) and a few
cloud-only ones, Microsoft 365 / security / dynamic groups, the SIS enterprise app with
app-role assignments, Global Administrators, and OAuth consents to third-party apps."""

from __future__ import annotations

import random

from access_review.records import GrantLevel, Membership

from .builder import SnapshotBuilder
from .names import STUDENT_DOMAIN, TENANT_DOMAIN, slug
from .people import Clock, StaffMember, Student

# Shared by every synced user (see builder.NO_EXTRA for why one mapping is shared).
SYNCED_FROM_AD = {"onPremisesSyncEnabled": True}

SIS_APP = "PowerSchool SIS"
SIS_APP_ID = "5a1e6c3b-9f0d-4c6e-8b2a-7d4f1e9c0a11"
# role name -> (grant level, the group that holds it, or None for direct user assignments)
SIS_ROLES: dict[str, tuple[GrantLevel, str | None]] = {
    "Teacher": ("write", "PowerSchool Teachers"),
    "Office": ("write", "PowerSchool Office"),
    "Administrator": ("admin", "PowerSchool Administrators"),
    "Counselor": ("read", None),
    "Special Education": ("write", None),
}
SIS_ROLE_OF_ENTITLEMENT = {
    "teacher": "Teacher",
    "sis_office": "Office",
    "sis_admin": "Administrator",
    "sis_counselor": "Counselor",
    "sis_sped": "Special Education",
}
# The directory role's template id is fixed across tenants:
# https://learn.microsoft.com/entra/identity/role-based-access-control/permissions-reference
GLOBAL_ADMIN_TEMPLATE_ID = "62e90394-69f5-4237-9190-012177145e10"

UNAPPROVED_APP = (
    "QuizWhiz Pro",
    "9c4f2d1e-3b7a-4e5f-a6c8-1d2e3f4a5b6c",
    ("openid", "profile", "User.Read", "Files.Read.All", "Mail.Read"),
)
APPROVED_APP = (
    "Canva",
    "c0a1b2c3-d4e5-4f60-8a9b-0c1d2e3f4a5b",
    ("openid", "profile", "email", "User.Read"),
)


def build_entra(
    rng: random.Random,
    clock: Clock,
    buildings: list[str],
    staff: list[StaffMember],
    students: list[Student],
) -> SnapshotBuilder:
    entra = SnapshotBuilder("entra", rng)
    all_staff = entra.add_group("All Staff", email=f"allstaff@{TENANT_DOMAIN}", kind="m365")
    staff_of_building = {
        i: entra.add_group(
            f"Staff - {name}", email=f"staff-{slug(name)}@{TENANT_DOMAIN}", kind="m365"
        )
        for i, name in enumerate(buildings)
    }
    staff_of_building[-1] = entra.add_group(
        "Staff - Central Office", email=f"staff-central@{TENANT_DOMAIN}", kind="m365"
    )
    teachers = entra.add_group(
        "Teachers", kind="dynamic", extra={"membershipRule": '(user.jobTitle -eq "Teacher")'}
    )
    sis_groups = {role: entra.add_group(group) for role, (_, group) in SIS_ROLES.items() if group}
    direct_sis: dict[str, list[str]] = {
        role: [] for role, (_, group) in SIS_ROLES.items() if not group
    }
    teacher_keys: list[str] = []

    ga_principals: list[str] = []
    for member in staff:
        if "entra" not in member.directories or member.account_state == "deleted":
            continue
        person = member.person
        key = entra.add_account(
            login=member.email,
            email=member.email,
            display_name=f"{member.last}, {member.first}",
            employee_id=person.employee_id if member.ad_has_employee_id else None,
            enabled=member.account_state == "enabled",
            last_sign_in=member.last_sign_in,
            created=member.created,
            kind="person",
            title=person.title,
            department=person.department,
            authority="ad",
            extra=SYNCED_FROM_AD,
        )
        entra.account_of_employee[person.employee_id] = key
        if member.in_base_groups:
            entra.add_member(all_staff, key)
            entra.add_member(staff_of_building[member.building_index], key)
            if person.title == "Teacher":
                entra.add_member(teachers, key)
        if not member.has_access:
            continue
        for entitlement in member.role.entitlements:
            role = SIS_ROLE_OF_ENTITLEMENT.get(entitlement)
            if role in sis_groups:
                entra.add_member(sis_groups[role], key)
            elif role in direct_sis:
                direct_sis[role].append(key)
        if "teacher" in member.role.entitlements:
            teacher_keys.append(key)
        if "global_admin" in member.role.entitlements:
            # A cloud-only admin account, as Microsoft advises for privileged roles.
            ga_principals.append(
                entra.add_account(
                    login=f"ga.{member.login}@{TENANT_DOMAIN}",
                    email=None,
                    display_name=f"{member.first} {member.last} (Global Admin)",
                    employee_id=person.employee_id,
                    enabled=True,
                    last_sign_in=member.last_sign_in,
                    created=member.created,
                    kind="person",
                    title=person.title,
                    department=person.department,
                )
            )
    ga_principals.append(
        entra.add_account(
            login=f"breakglass01@{TENANT_DOMAIN}",
            display_name="Emergency access 01",
            kind="service",
            enabled=True,
            last_sign_in=None,
            created=rng.choice(clock.created_pool),
            extra={"note": "break-glass account, excluded from conditional access"},
        )
    )

    # The SIS enterprise app (service principal) and its app roles.
    app = entra.add_resource(SIS_APP, "app", extra={"appId": SIS_APP_ID, "client_id": SIS_APP_ID})
    for role, (level, group) in SIS_ROLES.items():
        role_key = entra.add_resource(
            f"{SIS_APP}/{role}",
            "app_role",
            extra={"app": SIS_APP, "app_key": app, "appRoleId": entra.new_id()},
        )
        holders = [sis_groups[role]] if group else direct_sis[role]
        for principal in holders:
            entra.add_grant(
                role_key, principal, level=level, kind="app_role", role=role, extra={"app": SIS_APP}
            )

    ga = entra.add_resource(
        "Global Administrator",
        "admin_role",
        privileged=True,
        extra={"roleTemplateId": GLOBAL_ADMIN_TEMPLATE_ID},
    )
    for principal in ga_principals:
        entra.add_grant(ga, principal, level="admin", kind="role", role="Global Administrator")

    # Delegated OAuth consents (oauth2PermissionGrant): one unapproved app, one approved.
    for (name, client_id, scopes), count in ((UNAPPROVED_APP, 6), (APPROVED_APP, 25)):
        resource = entra.add_resource(name, "oauth_app", extra={"client_id": client_id})
        picked = rng.sample(teacher_keys, min(count, len(teacher_keys)))
        for principal in picked:
            entra.add_grant(
                resource,
                principal,
                level="read",
                kind="oauth",
                scopes=scopes,
                extra={"client_id": client_id},
            )

    add_entra_students(entra, buildings, students)
    return entra


def add_entra_students(
    entra: SnapshotBuilder, buildings: list[str], students: list[Student]
) -> None:
    """Synced students: their school's team, a dynamic All Students group, and a grade team."""
    all_students = entra.add_group(
        "All Students",
        kind="dynamic",
        extra={"membershipRule": f'(user.userPrincipalName -endsWith "@{STUDENT_DOMAIN}")'},
    )
    school = {
        i: entra.add_group(
            f"Students - {name}", kind="m365", email=f"students-{slug(name)}@{TENANT_DOMAIN}"
        )
        for i, name in enumerate(buildings)
    }
    grade_teams: dict[tuple[int, str], str] = {}
    add_account, memberships, source = entra.add_account, entra.memberships, entra.source
    for s in students:
        email = f"{s.number}@{STUDENT_DOMAIN}"
        key = add_account(
            login=email,
            remember=False,
            email=email,
            display_name=f"{s.last}, {s.first}",
            enabled=s.enabled,
            last_sign_in=s.last_sign_in,
            created=s.created,
            kind="student",
            title="Student",
            authority="ad",
            extra=SYNCED_FROM_AD,
        )
        team = grade_teams.get((s.building_index, s.grade))
        if team is None:
            name = buildings[s.building_index]
            team = entra.add_group(
                f"Grade {s.grade} - {name}",
                kind="m365",
                email=f"grade{s.grade.lower()}-{slug(name)}@{TENANT_DOMAIN}",
            )
            grade_teams[(s.building_index, s.grade)] = team
        memberships.append(Membership(source, all_students, key, "account"))
        memberships.append(Membership(source, school[s.building_index], key, "account"))
        memberships.append(Membership(source, team, key, "account"))
