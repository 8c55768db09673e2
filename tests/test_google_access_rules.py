"""Google's access rules (docs/access-model.md, "Google Workspace") through the fake Admin
SDK / Drive / Vault server: Vault holds on an org unit, a subject that cannot see every
matter, group owners and managers, external group members, group aliases, org-unit-scoped
roles and role privileges, and drive access through nested groups at its highest level."""

import pytest

from access_review.config import Classification
from access_review.correlation import correlate
from access_review.graph import build_graph, effective_access
from access_review.records import VIEW_HOLDS
from connectors.google.transform import org_unit_id
from google_fake import FakeGoogle, make_connector, small_domain

RULES = Classification(student_org_units=(), student_domains=(), service_patterns=())
VAULT_SERVICE = "01x0gk371sq486y"  # an obfuscated serviceId, as privileges.list returns them


@pytest.fixture
def fake():
    server = small_domain(FakeGoogle()).start()
    yield server
    server.stop()


def access_of(snap, selectors):
    c = correlate(snap.accounts, [], RULES)
    g = build_graph({"google": snap}, [], c, selectors)
    return g, {(x.account, x.resource): x for x in effective_access(g, c, list(selectors))}


def test_org_unit_ids_are_one_form_across_apis():
    assert org_unit_id("id:03ph8a2z1") == org_unit_id("03ph8a2z1") == "03ph8a2z1"


def test_a_vault_hold_on_an_org_unit_holds_every_account_in_its_subtree(fake, tmp_path):
    """small_domain's hold h2 names org unit 03ph8a2z1 (Vault's bare id), which orgunits.list
    calls "id:03ph8a2z1" at /Students/HS; kid@ lives there, in a sub-OU of it another."""
    fake.org_units.append(fake.org_unit("/Students/HS/Grade9", "id:03ph8a2z9"))
    fake.add_user("1006", "nine@students.district.org", org_unit="/Students/HS/Grade9")
    fake.add_user("1007", "ms@students.district.org", org_unit="/Students/MS")
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    held = {
        g.principal_key: g
        for g in snap.grants
        if g.kind == "hold" and g.id.startswith("hold:m1:h2:")
    }
    assert set(held) == {"google:account:1005", "google:account:1006"}
    assert held["google:account:1005"].extra["via_org_unit"] == "/Students/HS"
    hold = next(r for r in snap.resources if r.id == "hold:m1:h2")
    assert hold.extra["org_unit_path"] == "/Students/HS"
    assert fake.calls["orgunits.list"] == 1 and not snap.partial_views


def test_no_org_unit_listing_without_an_org_unit_hold_or_role(fake, tmp_path):
    fake.holds["m1"] = fake.holds["m1"][:1]
    make_connector(fake, tmp_path).fetch_snapshot()
    assert fake.calls["orgunits.list"] == 0


def test_subject_without_view_all_matters_marks_the_hold_view_partial(fake, tmp_path):
    """matters.list shows such a subject only the matters shared with it; the sync must not
    report "complete, no holds"."""
    fake.users["1001"]["isAdmin"] = False
    fake.role_assignments = [a for a in fake.role_assignments if a["assignedTo"] != "1001"]
    fake.roles.append(
        {
            "roleId": "93",
            "roleName": "Vault Reader",
            "rolePrivileges": [{"serviceId": VAULT_SERVICE, "privilegeName": "MANAGE_HOLDS"}],
        }
    )
    fake.role_assignments.append(
        {
            "roleAssignmentId": "ra3",
            "roleId": "93",
            "assignedTo": "1001",
            "assigneeType": "user",
            "scopeType": "CUSTOMER",
        }
    )
    fake.matter_viewers = {}
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    assert snap.complete and not [r for r in snap.resources if r.kind == "vault_hold"]
    assert "View All Matters" in snap.partial_views[VIEW_HOLDS]
    assert any(w.startswith("Vault holds may be missing") for w in snap.warnings)


def test_view_all_matters_through_a_group_role_is_a_full_view(fake, tmp_path):
    fake.users["1001"]["isAdmin"] = False
    fake.role_assignments = [a for a in fake.role_assignments if a["assignedTo"] != "1001"]
    fake.roles.append(
        {
            "roleId": "94",
            "roleName": "eDiscovery",
            "rolePrivileges": [{"serviceId": VAULT_SERVICE, "privilegeName": "VIEW_ALL_MATTERS"}],
        }
    )
    # g2 (SpEd Leads) holds 1001 directly; the role is assigned to g1, which nests g2
    fake.role_assignments.append(
        {
            "roleAssignmentId": "ra4",
            "roleId": "94",
            "assignedTo": "g1",
            "assigneeType": "group",
            "scopeType": "CUSTOMER",
        }
    )
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    assert VIEW_HOLDS not in snap.partial_views
    role = next(r for r in snap.resources if r.name == "eDiscovery")
    assert role.privileges == (f"{VAULT_SERVICE}/VIEW_ALL_MATTERS",)


def test_org_unit_scoped_role_carries_the_path(fake, tmp_path):
    fake.role_assignments.append(
        {
            "roleAssignmentId": "ra5",
            "roleId": "92",
            "assignedTo": "1002",
            "assigneeType": "user",
            "scopeType": "ORG_UNIT",
            "orgUnitId": "03ph8a2zstu",
        }
    )
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    help_desk = sorted((r for r in snap.resources if r.name == "Help Desk"), key=lambda r: r.scope)
    assert [r.scope for r in help_desk] == ["", "org unit /Students"]
    grant = next(g for g in snap.grants if g.id == "role:ra5")
    assert grant.resource_key == help_desk[1].key and grant.principal_key == "google:account:1002"


def test_member_roles_external_groups_and_aliases(fake, tmp_path):
    fake.groups["g1"]["aliases"] = ["special-ed@district.org"]
    fake.members["g1"][0]["role"] = "OWNER"
    fake.members["g2"][0]["role"] = "MANAGER"
    fake.members["g3"].append(
        {
            "kind": "admin#directory#member",
            "id": "0partnergrp",
            "email": "partners@other.org",
            "role": "MEMBER",
            "type": "GROUP",
            "status": "ACTIVE",
        }
    )
    fake.permissions["0ASpEd"].append(
        {"id": "p6", "type": "group", "role": "reader", "emailAddress": "Special-Ed@district.org"}
    )
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    roles = {(m.group_key, m.member_key): m.role for m in snap.memberships}
    assert roles[("google:group:g1", "google:account:1002")] == "owner"
    assert roles[("google:group:g2", "google:account:1001")] == "manager"
    assert roles[("google:group:g3", "google:external:partners@other.org")] == "member"
    assert next(g for g in snap.groups if g.id == "g1").aliases == ("special-ed@district.org",)
    assert (
        next(g for g in snap.grants if g.id == "drive:0ASpEd:p6").principal_key == "google:group:g1"
    )


def test_a_group_manager_of_a_confidential_drive_manages_who_has_access(fake, tmp_path):
    """A manager of a group that is only a reader on the drive can add anyone to it."""
    fake.add_user("1010", "lead@district.org")
    fake.add_group("g9", "sped-readers@district.org", "SpEd Readers", [("USER", "1010")])
    fake.members["g9"][0]["role"] = "MANAGER"
    fake.permissions["0ASpEd"].append(
        {"id": "p7", "type": "group", "role": "reader", "emailAddress": "sped-readers@district.org"}
    )
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    drive = next(r.key for r in snap.resources if r.kind == "shared_drive")
    _, access = access_of(snap, {"SpEd": [drive]})
    assert access[("google:account:1010", "SpEd")].level == "manage"
    # teacher@ is in g1 (organizer) and reads via an alias permission: the organizer wins
    assert access[("google:account:1002", "SpEd")].level == "admin"


def test_shared_drive_access_through_nested_groups_is_real_and_at_its_highest_level(fake, tmp_path):
    """Read through one group, fileOrganizer (write) through group -> group -> group."""
    fake.add_user("1011", "para@district.org")
    fake.add_group("ga", "drive-org@district.org", "Drive Organizers", [("GROUP", "gb")])
    fake.add_group("gb", "mid@district.org", "Mid", [("GROUP", "gc")])
    fake.add_group("gc", "inner@district.org", "Inner", [("USER", "1011")])
    fake.add_group("gr", "readers@district.org", "Readers", [("USER", "1011")])
    fake.permissions["0ASpEd"] += [
        {"id": "p8", "type": "group", "role": "reader", "emailAddress": "readers@district.org"},
        {
            "id": "p9",
            "type": "group",
            "role": "fileOrganizer",
            "emailAddress": "drive-org@district.org",
        },
    ]
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    drive = next(r.key for r in snap.resources if r.kind == "shared_drive")
    g, access = access_of(snap, {"SpEd": [drive]})
    x = access[("google:account:1011", "SpEd")]
    assert x.level == "write"
    assert x.path[1:4] == ("google:group:gc", "google:group:gb", "google:group:ga")
