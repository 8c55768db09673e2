"""Issue 13, goal 3: a full Entra sync makes no more than 1.1x the fewest requests Graph's
documented limits allow (tests/entra_floor.py), and an incremental one after 1% churn no more
than 5% of that. The fake refuses page sizes above the documented maxima the way Graph does,
so a request saved against it is one Graph would save too."""

from __future__ import annotations

import random

import pytest
import responses

from access_review.errors import SourceError
from entra_fake import build_fake_connector, district_tenant, small_tenant
from entra_floor import full_sync_floor


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


@pytest.mark.parametrize(
    "path,params,maximum",
    [
        ("users", {"$select": "id,signInActivity", "$top": "501"}, "more than 500 users"),
        (
            "users",
            {"$filter": "signInActivity/lastSignInDateTime ge 2026-01-01T00:00:00Z", "$top": "501"},
            "more than 500 users",
        ),
        ("users", {"$select": "id", "$top": "1000"}, "between 1 and 999"),
        ("groups", {"$top": "1000"}, "between 1 and 999"),
    ],
)
def test_the_fake_refuses_a_page_size_above_the_documented_maximum(rsps, path, params, maximum):
    t = small_tenant()
    t.install(rsps)
    client = build_fake_connector(t).client
    with pytest.raises(SourceError, match=f"HTTP 400.*{maximum}"):
        client.get_json(path, params=params, permission="User.Read.All")
    page = client.get_json(
        "users",
        params={"$select": "id,signInActivity", "$top": "500"},
        permission="AuditLog.Read.All",
    )
    assert len(page["value"]) == len(t.users)


def test_users_with_sign_in_activity_are_read_500_a_page(rsps):
    """$top=120 was asked where the documented maximum is 500: 10 pages for 1,100 users."""
    t = small_tenant()
    for i in range(1098):
        t.add_user(userPrincipalName=f"u{i}@district.org")
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert len(snap.accounts) == 1100 and t.reads("GET", "users") == 3


def test_delegated_consents_are_read_999_a_page(rsps):
    """Consents were paged at Graph's default of 100: 16 reads for 1,502 of them."""
    t = small_tenant()
    uid = next(iter(t.users))
    client = next(iter(t.service_principals))
    for i in range(1500):
        t.oauth2_grants[f"g{i}"] = {
            "id": f"g{i}",
            "clientId": client,
            "consentType": "Principal",
            "principalId": uid,
            "resourceId": client,
            "scope": "User.Read",
        }
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert t.reads("GET", "oauth2PermissionGrants") == 2
    assert (
        sum(
            1
            for g in snap.grants
            if g.kind == "oauth" and g.extra.get("permission_type") == "delegated"
        )
        == 1502
    )


def test_delta_links_are_taken_in_a_batch_before_the_listings(rsps):
    """The two "latest" deltaLinks used to cost two requests of their own; they now share the
    first batch, and the users and groups listings come after it (a change made while listing
    is replayed next time)."""
    t = small_tenant()
    t.install(rsps)
    build_fake_connector(t).fetch_snapshot(None)
    assert (
        t.requests[("GET", "users/delta", False)] == t.requests[("GET", "groups/delta", False)] == 0
    )
    assert (
        t.requests[("GET", "users/delta", True)] == t.requests[("GET", "groups/delta", True)] == 1
    )
    batch_of = {}
    for route, n in t.batch_log:
        batch_of.setdefault(route, n)
    assert (
        batch_of["users/delta"] < batch_of["users"]
        and batch_of["groups/delta"] < batch_of["groups"]
    )


@pytest.fixture(scope="module")
def district():
    t = district_tenant(users=20_000, groups=2_000, memberships=120_000, apps=60, seed=5)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        t.install(r)
        conn = build_fake_connector(t)
        yield t, conn, conn.fetch_snapshot(None)


def test_full_sync_is_within_ten_percent_of_the_documented_floor(district):
    t, _, full = district
    floor = full_sync_floor(t)
    assert full.stats["requests"] <= 1.1 * floor.requests, (full.stats, floor.explain())


def test_incremental_after_one_percent_churn_costs_at_most_five_percent(district):
    t, conn, full = district
    rng = random.Random(3)  # noqa: S311 (seeded, reproducible churn, not security)
    for uid in rng.sample(list(t.users), len(t.users) // 100):
        t.change_user(uid, jobTitle="changed")
    pairs = [(g, m) for g, ms in t.members.items() for m in ms]
    for gid, mid in rng.sample(pairs, len(pairs) // 100):
        t.change_membership(gid, mid, added=False)
    inc = conn.fetch_snapshot(full)
    assert inc.mode == "incremental"
    assert inc.stats["requests"] <= 0.05 * full.stats["requests"], (inc.stats, full.stats)
