"""Entra's access rules (docs/access-model.md, "Entra ID") through the fake tenant, in the
shapes the Graph reference pages publish: app roles reach direct members only, roles scoped
to an administrative unit, service principals that are group members (v1.0 known issue),
role-assignable groups and guests, and sign-in activity kept true on incremental syncs."""

from __future__ import annotations

import json
import pathlib
from datetime import datetime, timedelta, timezone

import pytest
import responses

from access_review.config import Classification
from access_review.correlation import correlate
from access_review.graph import build_graph, effective_access
from access_review.records import VIEW_SIGN_IN
from connectors.entra.transform import transform_members
from entra_fake import GROUP_TYPE, SP_TYPE, build_fake_connector, small_tenant

FX = pathlib.Path(__file__).parent / "fixtures" / "entra"
RULES = Classification(student_org_units=(), student_domains=(), service_patterns=())
GOLF = "45b7d2e7-b882-4a80-ba97-10b7a63b8fa4"
ADAMS = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"
ADMIN = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"
ALL_COMPANY = "c2f798fd-f95d-4623-8824-63aec21fffff"
SIS = "2b4a5ccc-7d36-44a4-9a4f-7c3c2b1a0e01"
QUIZ = "7d2e4f6a-8b0c-4d1e-a2f3-b4c5d6e7f809"
GLOBAL_ADMIN = "62e90394-69f5-4237-9190-012177145e10"
USER_ADMIN = "fe930be7-5e62-47db-91af-98c3a49a38b1"
UNIT = json.loads((FX / "administrative_units.json").read_text())["value"][0]


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def access_of(snap, selectors):
    c = correlate(snap.accounts, [], RULES)
    g = build_graph({"entra": snap}, [], c, selectors)
    return {(x.account, x.resource): x for x in effective_access(g, c, list(selectors))}


def test_app_role_assigned_to_a_group_reaches_its_direct_members_only(rsps):
    """The docs' appRoleAssignedTo sample gives "All Company" Default Access to the SIS;
    a group nested in All Company must not pass it on."""
    t = small_tenant()
    nested = t.add_group(displayName="New Staff")
    newcomer = t.add_user(userPrincipalName="new@contoso.com", accountEnabled=True)
    t.add_member(ALL_COMPANY, nested["id"], GROUP_TYPE)
    t.add_member(nested["id"], newcomer["id"])
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    grant = next(
        g
        for g in snap.grants
        if g.principal_key == f"entra:group:{ALL_COMPANY}" and g.kind == "app_role"
    )
    assert grant.direct_members_only
    sis = [r.key for r in snap.resources if r.kind == "app_role"]
    access = access_of(snap, {"SIS": sis, "All Company": [f"entra:group:{ALL_COMPANY}"]})
    assert (f"entra:account:{ADAMS}", "SIS") in access  # a direct member
    assert (f"entra:account:{newcomer['id']}", "SIS") not in access  # nested: no app access
    assert (f"entra:account:{newcomer['id']}", "All Company") in access  # still a member


def test_a_role_scoped_to_an_administrative_unit_is_its_own_scoped_resource(rsps):
    t = small_tenant()
    t.administrative_units = [UNIT]
    t.role_assignments.append(
        {
            "id": "au-assignment-1",
            "principalId": ADAMS,
            "roleDefinitionId": USER_ADMIN,
            "directoryScopeId": f"/administrativeUnits/{UNIT['id']}",
        }
    )
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    user_admin = sorted(
        (r for r in snap.resources if r.name == "User Administrator"), key=lambda r: r.scope
    )
    assert [r.scope for r in user_admin] == ["", "administrative unit 'North Schools'"]
    scoped = user_admin[1]
    grant = next(g for g in snap.grants if g.resource_key == scoped.key)
    assert grant.principal_key == f"entra:account:{ADAMS}" and grant.extra[
        "directoryScopeId"
    ].endswith(UNIT["id"])
    assert t.reads("GET", "directory/administrativeUnits") == 1


def test_administrative_unit_names_unreadable_is_said_and_the_scope_kept(rsps):
    t = small_tenant()
    t.role_assignments.append(
        {
            "id": "au-assignment-1",
            "principalId": ADAMS,
            "roleDefinitionId": USER_ADMIN,
            "directoryScopeId": f"/administrativeUnits/{UNIT['id']}",
        }
    )
    t.denied.append(r"^directory/administrativeUnits")
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert any(r.scope == f"administrative unit '{UNIT['id']}'" for r in snap.resources)
    assert any(
        "administrative unit names not read" in w and "AdministrativeUnit.Read.All" in w
        for w in snap.warnings
    )


def test_no_administrative_unit_listing_without_a_scoped_role(rsps):
    t = small_tenant()
    t.install(rsps)
    build_fake_connector(t).fetch_snapshot(None)
    assert t.reads("GET", "directory/administrativeUnits") == 0


def test_service_principal_group_members_are_read_on_beta_without_extra_requests(rsps):
    """v1.0 /groups/{id}/members leaves service principals out (known issue); the beta
    endpoint lists them, through beta's own $batch."""
    t = small_tenant()
    tier0 = t.add_group(displayName="Tier0 Admins", isAssignableToRole=True)
    t.add_member(tier0["id"], QUIZ, SP_TYPE)
    t.role_assignments.append(
        {
            "id": "tier0-ga",
            "principalId": tier0["id"],
            "roleDefinitionId": GLOBAL_ADMIN,
            "directoryScopeId": "/",
        }
    )
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    quiz = next(a for a in snap.accounts if a.id == QUIZ)
    assert (
        quiz.kind == "service"
        and quiz.display_name == "Quiz Maker Pro"
        and quiz.extra["servicePrincipal"]
    )
    assert any(
        m.group_key == f"entra:group:{tier0['id']}" and m.member_key == quiz.key
        for m in snap.memberships
    )
    group = next(g for g in snap.groups if g.id == tier0["id"])
    assert group.role_assignable is True
    ga = [r.key for r in snap.resources if r.name == "Global Administrator"]
    assert access_of(snap, {"GA": ga})[(quiz.key, "GA")].level == "admin"
    batches = t.beta_requests[("POST", "$batch", False)]
    assert batches == -(-len(t.groups) // 20) and t.requests[("POST", "$batch", False)] >= batches
    assert t.beta_requests[("GET", "groups/{id}/members", True)] == len(t.groups)


def test_members_from_the_documented_beta_payload():
    raw = json.loads((FX / "group_members_beta_with_service_principal.json").read_text())["value"]
    members = {(m.member_key, m.member_type) for m in transform_members("g", raw, "entra")}
    assert members == {
        (f"entra:account:{ADMIN}", "account"),
        (f"entra:account:{QUIZ}", "account"),
        ("entra:contact:25caf5a6-9dc7-4d2c-b1a8-0b8f1c3e2d11", "contact"),
    }


def test_guests_and_upns_are_stored(rsps):
    t = small_tenant()
    t.add_user(
        userPrincipalName="pat_example.org#EXT#@contoso.onmicrosoft.com",
        mail="pat@example.org",
        userType="Guest",
        accountEnabled=True,
    )
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    guest = next(a for a in snap.accounts if a.email == "pat@example.org")
    assert guest.guest is True and guest.upn.endswith("#EXT#@contoso.onmicrosoft.com")
    admin = next(a for a in snap.accounts if a.id == ADMIN)
    assert admin.email is None and admin.upn == "admin@contoso.com"


def iso(when: datetime) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_incremental_sync_refreshes_sign_in_and_new_users_are_unknown(rsps):
    t = small_tenant()
    t.install(rsps)
    conn = build_fake_connector(t)
    full = conn.fetch_snapshot(None)
    assert full.cursor["sign_in_read_at"] and not full.partial_views
    recent = datetime.now(timezone.utc) + timedelta(minutes=5)
    t.users[ADAMS]["signInActivity"] = {"lastSignInDateTime": iso(recent)}
    newcomer = t.new_user(userPrincipalName="new@contoso.com", accountEnabled=True)
    users_reads = t.reads("GET", "users")
    inc = conn.fetch_snapshot(full)
    assert t.reads("GET", "users") == users_reads + 1  # one filtered page
    by_id = {a.id: a for a in inc.accounts}
    assert by_id[ADAMS].last_sign_in.replace(microsecond=0) == recent.replace(microsecond=0)
    assert by_id[newcomer["id"]].sign_in_known is False  # unknown, not "never signed in"
    assert (
        by_id[ADMIN].sign_in_known and by_id[ADMIN].last_sign_in is None
    )  # as the full read had it
    assert inc.cursor["sign_in_read_at"] >= full.cursor["sign_in_read_at"]


def test_licence_lost_makes_sign_in_unknown_never_never_signed_in(rsps):
    """After one unlicensed read every user used to stay "never signed in" (and dormant)."""
    t = small_tenant()
    t.install(rsps)
    conn = build_fake_connector(t)
    full = conn.fetch_snapshot(None)
    t.premium_licence = False
    inc = conn.fetch_snapshot(full)
    assert all(not a.sign_in_known for a in inc.accounts)
    assert "licence" in inc.partial_views[VIEW_SIGN_IN]
    assert "sign_in_read_at" not in inc.cursor
    t.premium_licence = True  # licence back: no read to refresh from, so a full sign-in read
    again = conn.fetch_snapshot(inc)
    assert all(a.sign_in_known for a in again.accounts if not a.extra.get("servicePrincipal"))
    assert not again.partial_views


def test_unlicensed_full_sync_marks_sign_in_unknown(rsps):
    t = small_tenant()
    t.premium_licence = False
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert snap.partial_views[VIEW_SIGN_IN] and all(not a.sign_in_known for a in snap.accounts)
