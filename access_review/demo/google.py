"""The demo district's Google Workspace: staff and students under org units, groups (nested,
with one cycle — Google allows it), classroom groups, shared drives with permissions,
super admins, and third-party OAuth tokens."""

from __future__ import annotations

import random

from access_review.records import GrantLevel, Membership

from .builder import SnapshotBuilder
from .names import DOMAIN, STUDENT_DOMAIN, slug
from .people import Clock, StaffMember, Student

# Logical entitlement -> (group name, e-mail local part); the inventory names them by e-mail.
ENTITLEMENT_GROUPS = {
    "teacher": ("Teachers", "teachers"),
    "sped": ("Special Education Staff", "sped"),
    "counselor": ("Counselors", "counselors"),
    "student_services": ("Student Services", "student-services"),
    "section504": ("Section 504 Team", "504-team"),
    "principals": ("Principals", "principals"),
}
# Shared drive -> permissions: (entitlement or "group:<entitlement>", Drive role).
# Drive roles map onto grant levels: reader/commenter read, writer/fileOrganizer write,
# organizer admin (https://developers.google.com/drive/api/guides/ref-roles).
DRIVES = {
    "Special Education Records": (("group:sped", "writer"), ("owner:sped", "organizer")),
    "Health Office": (("nurse", "writer"), ("owner:health", "organizer")),
    "Counseling Notes": (("group:counselor", "writer"), ("owner:counseling", "organizer")),
    "Assessment Data": (
        ("group:teacher", "reader"),
        ("group:principals", "writer"),
        ("owner:assessment", "organizer"),
    ),
    "Payroll": (("payroll", "writer"), ("owner:payroll", "organizer")),
    "HR Personnel Files": (("hr", "writer"), ("owner:hr", "organizer"), ("reader:hr", "reader")),
    "Evaluations": (
        ("group:principals", "writer"),
        ("owner:evaluations", "organizer"),
        ("reader:evaluations", "reader"),
    ),
    "Staff Handbook": (("group:all_staff", "reader"),),
}
LEVEL_OF_DRIVE_ROLE: dict[str, GrantLevel] = {
    "reader": "read",
    "commenter": "read",
    "writer": "write",
    "fileOrganizer": "write",
    "organizer": "admin",
}

G = "https://www.googleapis.com/auth/"
# name -> (client id, scopes the tokens hold, share of teachers, share of students)
OAUTH_APPS = {
    "Homework Helper AI": (
        "402118650731-hh7q2k5m9x1c3v8b6n4z0a2s5d7f9g1j.apps.googleusercontent.com",
        (G + "drive.readonly", G + "classroom.coursework.students", "openid", "email"),
        0.01,
        0.01,
    ),
    "Kami": (
        "688326147112-k4m1p9r3t7w2y6b8d0f5h1j3l7n9q2s4.apps.googleusercontent.com",
        (G + "drive", G + "drive.file", G + "userinfo.email", G + "userinfo.profile"),
        0.10,
        0.05,
    ),
    "Pear Deck": (
        "159720983344-p3e8a1r5d9k2c6x0v4b7n1m5q8w2e6r9.apps.googleusercontent.com",
        (G + "presentations", G + "drive.file", G + "userinfo.email"),
        0.20,
        0.05,
    ),
}
SUPER_ADMIN_ROLE = "Super Admin"


def build_google(
    rng: random.Random,
    clock: Clock,
    buildings: list[str],
    staff: list[StaffMember],
    students: list[Student],
    *,
    classes_per_student: int,
) -> SnapshotBuilder:
    google = SnapshotBuilder("google", rng, id_style="google")
    group = {
        ent: google.add_group(name, email=f"{local}@{DOMAIN}", kind="google")
        for ent, (name, local) in ENTITLEMENT_GROUPS.items()
    }
    group["all_staff"] = google.add_group("All Staff", email=f"all-staff@{DOMAIN}", kind="google")
    staff_of_building = {
        i: google.add_group(f"Staff - {name}", email=f"staff-{slug(name)}@{DOMAIN}", kind="google")
        for i, name in enumerate(buildings)
    }
    staff_of_building[-1] = google.add_group(
        "Staff - Central Office", email=f"staff-central@{DOMAIN}", kind="google"
    )
    holders: dict[str, list[str]] = {}  # entitlement -> user keys (for drives and roles)
    teachers_of_building: dict[int, list[str]] = {}

    for member in staff:
        if "google" not in member.directories or member.account_state == "deleted":
            continue
        person = member.person
        building = (
            "Central Office" if member.building_index < 0 else buildings[member.building_index]
        )
        top = "Volunteers" if person.person_type == "volunteer" else "Staff"
        key = google.add_account(
            login=member.email,
            email=member.email,
            display_name=f"{member.first} {member.last}",
            # Google holds an employee id only where the district filled externalIds.
            employee_id=person.employee_id if member.google_has_employee_id else None,
            enabled=member.account_state == "enabled",
            last_sign_in=member.last_sign_in,
            created=member.created,
            org_unit=f"/{top}/{building}",
            kind="person",
            title=person.title,
            department=person.department,
        )
        google.account_of_employee[person.employee_id] = key
        if member.in_base_groups:
            google.add_member(group["all_staff"], key)
            google.add_member(staff_of_building[member.building_index], key)
        if not member.has_access:
            continue
        for entitlement in member.role.entitlements:
            if entitlement in group:
                google.add_member(group[entitlement], key)
            holders.setdefault(entitlement, []).append(key)
        if "teacher" in member.role.entitlements and member.building_index >= 0:
            teachers_of_building.setdefault(member.building_index, []).append(key)

    # Nesting, with a cycle: Counselors <-> Student Services.
    google.add_member(group["counselor"], group["student_services"], "group")
    google.add_member(group["student_services"], group["counselor"], "group")

    for drive, permissions in DRIVES.items():
        # Shared drive ids start with "0A" (https://developers.google.com/drive/api/guides/about-shareddrives).
        drive_key = google.add_resource(drive, "shared_drive", id="0A" + google.new_id()[:17])
        for who, drive_role in permissions:
            if who.startswith("group:"):
                principals = [group[who[len("group:") :]]]
            else:
                principals = holders.get(who, [])
            for principal in principals:
                google.add_grant(
                    drive_key,
                    principal,
                    level=LEVEL_OF_DRIVE_ROLE[drive_role],
                    kind="drive_permission",
                    role=drive_role,
                )

    super_admins = list(holders.get("super_admin", []))
    super_admins.append(
        google.add_account(
            login=f"breakglass@{DOMAIN}",
            email=f"breakglass@{DOMAIN}",
            display_name="Emergency Admin",
            kind="service",
            org_unit="/IT",
            enabled=True,
            created=rng.choice(clock.created_pool),
        )
    )
    google.add_account(
        login=f"svc-gcds@{DOMAIN}",
        email=f"svc-gcds@{DOMAIN}",
        display_name="Directory Sync",
        kind="service",
        org_unit="/IT",
        enabled=True,
        last_sign_in=rng.choice(clock.recent),
        created=rng.choice(clock.created_pool),
    )
    # Google's super admin role is the system role "_SEED_ADMIN_ROLE".
    super_admin = google.add_resource(
        SUPER_ADMIN_ROLE, "admin_role", privileged=True, extra={"roleName": "_SEED_ADMIN_ROLE"}
    )
    for principal in super_admins:
        google.add_grant(super_admin, principal, level="admin", kind="role", role=SUPER_ADMIN_ROLE)

    student_keys = add_google_students(
        google, rng, buildings, students, teachers_of_building, classes_per_student
    )
    teacher_keys = [key for keys in teachers_of_building.values() for key in keys]
    for name, (client_id, scopes, teacher_share, student_share) in OAUTH_APPS.items():
        resource = google.add_resource(
            name, "oauth_app", id=client_id, extra={"client_id": client_id}
        )
        users = rng.sample(
            teacher_keys, max(2, int(len(teacher_keys) * teacher_share))
        ) + rng.sample(student_keys, max(3, int(len(student_keys) * student_share)))
        level: GrantLevel = "write" if G + "drive" in scopes else "read"
        extra = {"client_id": client_id}
        for principal in users:
            # A token is identified by user and client id (tokens.delete takes both).
            google.add_grant(
                resource,
                principal,
                level=level,
                kind="oauth",
                scopes=scopes,
                id=f"{principal.rsplit(':', 1)[1]}:{client_id}",
                extra=extra,
            )
    return google


def add_google_students(
    google: SnapshotBuilder,
    rng: random.Random,
    buildings: list[str],
    students: list[Student],
    teachers_of_building: dict[int, list[str]],
    classes_per_student: int,
) -> list[str]:
    """Students in /Students/<school>, in students@, their school and grade groups, and in
    ``classes_per_student`` classroom groups of about 25 (each with a teacher)."""
    all_students = google.add_group("All Students", email=f"students@{DOMAIN}", kind="google")
    school = {
        i: google.add_group(
            f"Students - {name}", email=f"students-{slug(name)}@{DOMAIN}", kind="google"
        )
        for i, name in enumerate(buildings)
    }
    grade_groups: dict[tuple[int, str], str] = {}
    by_school: dict[int, list[str]] = {}
    add_account, memberships, source = google.add_account, google.memberships, google.source
    keys: list[str] = []
    for s in students:
        email = f"{s.number}@{STUDENT_DOMAIN}"
        key = add_account(
            login=email,
            remember=False,
            email=email,
            display_name=f"{s.first} {s.last}",
            enabled=s.enabled,
            last_sign_in=s.last_sign_in,
            created=s.created,
            org_unit=f"/Students/{buildings[s.building_index]}",
            kind="student",
        )
        keys.append(key)
        by_school.setdefault(s.building_index, []).append(key)
        grade = grade_groups.get((s.building_index, s.grade))
        if grade is None:
            name = buildings[s.building_index]
            grade = google.add_group(
                f"Grade {s.grade} - {name}",
                kind="google",
                email=f"grade-{s.grade.lower()}-{slug(name)}@{DOMAIN}",
            )
            grade_groups[(s.building_index, s.grade)] = grade
        memberships.append(Membership(source, all_students, key, "account"))
        memberships.append(Membership(source, school[s.building_index], key, "account"))
        memberships.append(Membership(source, grade, key, "account"))

    for building_index, members in by_school.items():
        teachers = teachers_of_building.get(building_index, [])
        slug_name = slug(buildings[building_index])
        number = 0
        for _ in range(classes_per_student):
            order = members[:]
            rng.shuffle(order)
            for start in range(0, len(order), 25):
                number += 1
                klass = google.add_group(
                    f"Class {number} - {buildings[building_index]}",
                    kind="google",
                    email=f"class-{number}-{slug_name}@{DOMAIN}",
                )
                for key in order[start : start + 25]:
                    memberships.append(Membership(source, klass, key, "account"))
                if teachers:
                    memberships.append(
                        Membership(source, klass, teachers[number % len(teachers)], "account")
                    )
    return keys
