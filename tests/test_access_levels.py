"""The level pass and the access rules of the graph (docs/access-model.md): the level is the
highest over all paths, `why` shows the path that gives it first, owners/managers "manage who
has access", distribution groups confer nothing, app-role grants reach direct members only."""

import time

from access_review.config import Classification
from access_review.correlation import correlate
from access_review.graph import (
    all_paths,
    best_paths_to,
    build_graph,
    describe_path,
    effective_access,
    inventory_node,
    path_level,
)
from access_review.records import Account, Grant, Group, Membership, Resource, Snapshot, level_label

RULES = Classification(student_org_units=(), student_domains=(), service_patterns=("svc-*",))


def analyse(snapshots, selectors, persons=()):
    accounts = [a for s in snapshots for a in s.accounts]
    c = correlate(accounts, persons, RULES)
    g = build_graph({s.source: s for s in snapshots}, persons, c, selectors)
    return g, {(x.account, x.resource): x for x in effective_access(g, c, list(selectors))}


def drive_through_nested_groups():
    """The case seen in the field: a shared drive read through one group, fileOrganizer
    (write) through group -> nested group -> nested group (Drive roles:
    https://developers.google.com/workspace/drive/api/guides/ref-roles)."""
    s = "google"
    ann = Account(s, "1", "ann@d.org")
    groups = [Group(s, n, n, kind="google") for n in ("Readers", "Org", "Mid", "Inner")]
    key = {grp.id: grp.key for grp in groups}
    memberships = [
        Membership(s, key["Readers"], ann.key),
        Membership(s, key["Org"], key["Mid"], "group"),
        Membership(s, key["Mid"], key["Inner"], "group"),
        Membership(s, key["Inner"], ann.key),
    ]
    drive = Resource(s, "drive:0A1", "SpEd Drive", "shared_drive")
    grants = [
        Grant(s, "p1", drive.key, key["Readers"], "read", "drive_permission", role="reader"),
        Grant(s, "p2", drive.key, key["Org"], "write", "drive_permission", role="fileOrganizer"),
    ]
    return Snapshot(s, [ann], groups, memberships, [drive], grants, complete=True), key, drive


def test_level_is_the_highest_over_all_paths_not_the_shortest():
    snap, key, drive = drive_through_nested_groups()
    g, access = analyse([snap], {"SpEd": [drive.key]})
    x = access[("google:account:1", "SpEd")]
    assert x.level == "write"
    assert x.path == (
        "google:account:1",
        key["Inner"],
        key["Mid"],
        key["Org"],
        drive.key,
        "inventory:SpEd",
    )
    paths = all_paths(g, "google:account:1", "SpEd")
    assert paths[0] == x.path and path_level(g, paths[0]) == "write"
    assert [path_level(g, p) for p in paths] == ["write", "read"]


def test_a_group_selector_and_a_grant_to_the_same_group_give_the_grant_level():
    """Domain Admins is selected both as a group and as its role: members are admins."""
    s = "ad"
    ann = Account(s, "a", "ann")
    da = Group(s, "da", "Domain Admins")
    role = Resource(s, "S-1-5-21-1-512", "Domain Admins", "admin_role", privileged=True)
    snap = Snapshot(
        s,
        [ann],
        [da],
        [Membership(s, da.key, ann.key)],
        [role],
        [Grant(s, "pg", role.key, da.key, "admin", "privileged_group")],
        complete=True,
    )
    g, access = analyse([snap], {"Domain": [role.key, da.key]})
    assert access[(ann.key, "Domain")].level == "admin"


def test_cycles_terminate_and_carry_the_level_through():
    snap, key, drive = drive_through_nested_groups()
    snap.memberships.append(
        Membership("google", key["Inner"], key["Org"], "group")
    )  # Org <-> Inner
    g, access = analyse([snap], {"SpEd": [drive.key]})
    assert access[("google:account:1", "SpEd")].level == "write"


def test_a_group_manager_manages_who_has_access():
    """Google group OWNER/MANAGER can add members (members.list role:
    https://developers.google.com/workspace/admin/directory/reference/rest/v1/members)."""
    snap, key, drive = drive_through_nested_groups()
    bob = Account("google", "2", "bob@d.org")
    snap.accounts.append(bob)
    snap.memberships.append(Membership("google", key["Readers"], bob.key, role="manager"))
    g, access = analyse([snap], {"SpEd": [drive.key]})
    x = access[(bob.key, "SpEd")]
    assert x.level == "manage" and level_label(x.level) == "manages who has access"
    assert "manager of google group 'Readers'" in describe_path(g, x.path)
    # a manager of a group that is an organizer still holds the organizer's admin
    snap.grants.append(
        Grant(
            "google", "p3", drive.key, key["Readers"], "admin", "drive_permission", role="organizer"
        )
    )
    g, access = analyse([snap], {"SpEd": [drive.key]})
    assert access[(bob.key, "SpEd")].level == "admin"


def test_a_distribution_group_nested_in_a_security_group_confers_nothing():
    """Windows builds the access token from security groups only (tokenGroups:
    https://learn.microsoft.com/windows/win32/adschema/a-tokengroups)."""
    s = "ad"
    ann, bob = Account(s, "a", "ann"), Account(s, "b", "bob")
    sec = Group(s, "sec", "SpEd Records")
    dist = Group(s, "dl", "SpEd Newsletter", kind="distribution")
    nested = Group(s, "sub", "SpEd Aides")
    memberships = [
        Membership(s, sec.key, dist.key, "group"),
        Membership(s, dist.key, ann.key),
        Membership(s, sec.key, nested.key, "group"),
        Membership(s, nested.key, bob.key),
    ]
    snap = Snapshot(s, [ann, bob], [sec, dist, nested], memberships, complete=True)
    g, access = analyse([snap], {"SpEd": [sec.key]})
    assert set(access) == {(bob.key, "SpEd")}


def test_app_role_grants_reach_direct_members_only():
    """Group-based app assignment: nested groups are not supported
    (https://learn.microsoft.com/entra/identity/enterprise-apps/assign-user-or-group-access-portal)."""
    s = "entra"
    ann, bob = Account(s, "a", "ann@d.org"), Account(s, "b", "bob@d.org")
    teachers, nested = Group(s, "t", "SIS Teachers"), Group(s, "n", "New Teachers")
    role = Resource(s, "app_role:sis:t", "SIS/Teacher", "app_role")
    snap = Snapshot(
        s,
        [ann, bob],
        [teachers, nested],
        [
            Membership(s, teachers.key, ann.key),
            Membership(s, teachers.key, nested.key, "group"),
            Membership(s, nested.key, bob.key),
        ],
        [role],
        [Grant(s, "ar", role.key, teachers.key, "write", "app_role", direct_members_only=True)],
        complete=True,
    )
    g, access = analyse([snap], {"SIS": [role.key]})
    assert set(access) == {(ann.key, "SIS")}
    assert "(direct members only)" in describe_path(g, access[(ann.key, "SIS")].path)
    # the group itself, selected as a group, still counts its nested members
    g, access = analyse([snap], {"SIS": [role.key], "Teachers": [teachers.key]})
    assert (bob.key, "Teachers") in access and (bob.key, "SIS") not in access


def test_contacts_are_members_but_never_access_holders():
    s = "ad"
    ann = Account(s, "a", "ann")
    sec = Group(s, "sec", "SpEd Records")
    snap = Snapshot(
        s,
        [ann],
        [sec],
        [Membership(s, sec.key, ann.key), Membership(s, sec.key, "ad:contact:c1", "contact")],
        complete=True,
    )
    g, access = analyse([snap], {"SpEd": [sec.key]})
    assert set(access) == {(ann.key, "SpEd")} and "ad:contact:c1" not in g


def test_level_pass_is_linear_not_path_enumeration():
    """A ladder of 60 diamonds has 2**60 paths; the level pass visits each edge a few times.
    The write grant sits at the far end, behind every diamond."""
    s = "google"
    ann = Account(s, "1", "ann@d.org")
    groups, memberships = [], []
    prev = ann.key
    for i in range(60):
        left, right, join = (Group(s, f"{i}{x}", f"{i}{x}", kind="google") for x in "lrj")
        groups += [left, right, join]
        memberships += [
            Membership(s, left.key, prev, "group" if i else "account"),
            Membership(s, right.key, prev, "group" if i else "account"),
            Membership(s, join.key, left.key, "group"),
            Membership(s, join.key, right.key, "group"),
        ]
        prev = join.key
    drive = Resource(s, "drive:0A", "Drive", "shared_drive")
    snap = Snapshot(
        s,
        [ann],
        groups,
        memberships,
        [drive],
        [
            Grant(s, "w", drive.key, prev, "write", "drive_permission"),
            Grant(s, "r", drive.key, groups[0].key, "read", "drive_permission"),
        ],
        complete=True,
    )
    t = time.perf_counter()
    g, access = analyse([snap], {"Drive": [drive.key]})
    assert time.perf_counter() - t < 2.0
    assert access[(ann.key, "Drive")].level == "write"
    assert len(best_paths_to(g, inventory_node("Drive"))[ann.key][1]) == 60 * 2 + 3
