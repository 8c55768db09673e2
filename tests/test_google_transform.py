"""Pure transforms of the documented Google payloads (tests/fixtures/google/)."""

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from access_review.errors import SourceError
from connectors.google import transform as t

FIXTURES = Path(__file__).parent / "fixtures" / "google"


def load(name):
    return json.loads((FIXTURES / name).read_text())


def test_documented_users_page_maps_enabled_admin_flags_and_aliases():
    users = load("users_list_domain_maxresults2.json")["users"]
    # The doc sample gives both users the same placeholder id; give them distinct ones.
    users[1] = {**users[1], "id": "second"}
    liz, admin2 = t.transform_users("google", users, ("/Students",))
    assert (liz.login, liz.enabled, liz.display_name) == ("liz@example.com", True, "Liz Smith")
    assert admin2.enabled is False  # suspended: true, suspensionReason ADMIN
    assert liz.aliases == ("lizsmith@example.com", "lsmith@example.com")
    assert liz.extra["isAdmin"] is True and admin2.extra["isDelegatedAdmin"] is True
    assert liz.org_unit == "/corp/engineering"  # documented without the leading slash
    assert liz.employee_id is None  # externalIds type "custom", not "organization"
    assert liz.last_sign_in == datetime(2013, 2, 5, 10, 30, 3, 325000, tzinfo=timezone.utc)


def test_documented_my_customer_quirks_username_and_epoch_millisecond_strings():
    users = load("users_list_my_customer.json")["users"]
    users = [{**u, "id": f"u{i}"} for i, u in enumerate(users)]
    accounts = t.transform_users("google", users, ("/Students",))
    assert [a.login for a in accounts] == [
        "admin2@example.com",
        "liz@example.com",
        "test3@example.com",
        "work_admin@example.com",
    ]
    liz = accounts[1]
    assert liz.last_sign_in == datetime.fromtimestamp(1336509883.546, tz=timezone.utc)
    assert liz.created == datetime.fromtimestamp(1404802800, tz=timezone.utc)


def test_documented_sample_with_duplicate_placeholder_ids_is_refused_not_merged():
    users = load("users_list_my_customer.json")["users"]  # four users, all "the unique user id"
    with pytest.raises(SourceError, match="share the id"):
        t.transform_users("google", users, ())


@pytest.mark.parametrize(
    "value, expected",
    [
        ("1970-01-01T00:00:00.000Z", None),
        ("0", None),
        ("", None),
        (None, None),
        ("2026-03-04T05:06:07.000Z", datetime(2026, 3, 4, 5, 6, 7, tzinfo=timezone.utc)),
    ],
)
def test_google_times_and_the_never_signed_in_epoch(value, expected):
    assert t.parse_google_time(value) == expected


def test_archived_user_is_disabled_and_students_by_org_unit():
    raw = [
        {
            "id": "1",
            "primaryEmail": "a@d.org",
            "archived": True,
            "suspended": False,
            "orgUnitPath": "/Staff",
        },
        {
            "id": "2",
            "primaryEmail": "s@d.org",
            "orgUnitPath": "/Students/HS",
            "externalIds": [{"type": "organization", "value": "S77"}],
        },
        {"id": "3", "primaryEmail": "x@d.org", "orgUnitPath": "/StudentsAlumni"},
    ]
    archived, student, other = t.transform_users("google", raw, ("/Students",))
    assert archived.enabled is False
    assert (student.kind, student.employee_id, student.enabled) == ("student", "S77", True)
    assert other.kind == "person"  # a sibling OU whose name merely starts the same is not under it


def test_documented_members_list_and_nested_groups_with_a_cycle():
    members = load("members_list.json")["members"]
    members = [{**m, "id": f"m{i}"} for i, m in enumerate(members)]
    memberships, _ = t.transform_memberships(
        "google",
        {
            "g1": members + [{"id": "g2", "type": "GROUP"}],
            "g2": [{"id": "g1", "type": "GROUP"}],  # g1 -> g2 -> g1: kept as two direct edges
            "g3": [{"id": "C01", "type": "CUSTOMER"}],
        },
    )
    edges = {(m.group_key, m.member_key, m.member_type) for m in memberships}
    assert ("google:group:g1", "google:account:m0", "account") in edges
    assert ("google:group:g1", "google:group:g2", "group") in edges
    assert ("google:group:g2", "google:group:g1", "group") in edges
    assert ("google:group:g3", "google:customer:C01", "foreign") in edges
    assert len(memberships) == 5


def test_member_outside_the_domain_is_foreign_not_a_dangling_account():
    memberships, _ = t.transform_memberships(
        "google",
        {
            "g1": [
                {"id": "111", "email": "parent@gmail.com", "type": "USER"},
                {"id": "7", "type": "USER"},
            ]
        },
        {"7"},
    )
    assert [(m.member_key, m.member_type) for m in memberships] == [
        ("google:external:parent@gmail.com", "foreign"),
        ("google:account:7", "account"),
    ]


def test_drive_permission_levels_and_principals_by_email():
    accounts = t.transform_users(
        "google", [{"id": "7", "primaryEmail": "T@d.org", "aliases": ["alias@d.org"]}], ()
    )
    groups = t.transform_groups("google", [{"id": "g", "email": "sped@d.org", "name": "SpEd"}])
    perms = [
        {"id": "a", "type": "user", "role": "commenter", "emailAddress": "alias@d.org"},
        {"id": "b", "type": "group", "role": "organizer", "emailAddress": "SPED@d.org"},
        {"id": "c", "type": "user", "role": "fileOrganizer", "emailAddress": "stranger@x.com"},
        {"id": "d", "type": "domain", "role": "writer", "domain": "d.org"},
    ]
    resources, grants = t.transform_shared_drives(
        "google",
        [{"id": "0A", "name": "Special Education Records"}],
        {"0A": perms},
        t.email_index(accounts, groups),
    )
    assert resources[0].kind == "shared_drive" and resources[0].name == "Special Education Records"
    by_id = {g.id: g for g in grants}
    assert (by_id["drive:0A:a"].principal_key, by_id["drive:0A:a"].level) == (
        "google:account:7",
        "read",
    )
    assert (by_id["drive:0A:b"].principal_key, by_id["drive:0A:b"].level) == (
        "google:group:g",
        "admin",
    )
    assert (
        by_id["drive:0A:c"].level == "write"
        and by_id["drive:0A:c"].extra["unresolved"] == "stranger@x.com"
    )
    assert by_id["drive:0A:d"].principal_key == "google:domain:d.org"


def test_admin_roles_are_privileged_and_assignments_are_admin_grants():
    resources, grants = t.transform_admin_roles(
        "google",
        [{"roleId": "1", "roleName": "_SEED_ADMIN_ROLE", "isSuperAdminRole": True}],
        [
            {"roleAssignmentId": "ra9", "roleId": "1", "assignedTo": "u1", "assigneeType": "user"},
            {"roleAssignmentId": "ra8", "roleId": "5", "assignedTo": "g1", "assigneeType": "group"},
        ],
        {"g1"},
    )
    assert all(r.privileged and r.kind == "admin_role" for r in resources)
    assert (
        resources[0].name == "Super Admin"
    )  # what inventory selectors google:role:Super Admin say
    assert (
        t.role_display_name({"roleId": "3", "roleName": "_HELP_DESK_ADMIN_ROLE"})
        == "Help Desk Admin"
    )
    assert (
        t.role_display_name({"roleId": "4", "roleName": "_REPORTS_ADMIN_ROLE"}) == "Reports Admin"
    )
    assert (
        t.role_display_name({"roleId": "5", "roleName": "Attendance Clerks"}) == "Attendance Clerks"
    )
    assert [g.id for g in grants] == ["role:ra9", "role:ra8"]
    assert grants[0].level == "admin" and grants[1].principal_key == "google:group:g1"


def test_vault_holds_become_resources_with_hold_grants():
    resources, grants = t.transform_vault_holds(
        "google",
        {
            "m1": (
                {"matterId": "m1", "name": "Doe"},
                [
                    {
                        "holdId": "h1",
                        "name": "Mail",
                        "corpus": "MAIL",
                        "accounts": [{"accountId": "u1", "email": "a@d.org"}],
                    },
                    {
                        "holdId": "h2",
                        "name": "OU",
                        "corpus": "DRIVE",
                        "orgUnit": {"orgUnitId": "ou9"},
                    },
                ],
            )
        },
    )
    assert [r.kind for r in resources] == ["vault_hold", "vault_hold"]
    assert resources[1].extra["org_unit_id"] == "ou9" and resources[0].extra["accounts"] == [
        "a@d.org"
    ]
    assert [(g.kind, g.principal_key) for g in grants] == [("hold", "google:account:u1")]
