"""Reading through the fake Graph tenant: paging, throttling, faults, permissions, licensing."""

from __future__ import annotations

import json
import pathlib

import pytest
import requests
import responses

from access_review.errors import AuthError, IncompleteRead, PermissionDenied
from entra_fake import FakeTenant, Fault, build_fake_connector, small_tenant

FX = pathlib.Path(__file__).parent / "fixtures" / "entra"
THROTTLED = json.loads((FX / "error_429_too_many_requests.json").read_text())


@pytest.fixture
def rsps():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        yield r


def tenant_with_users(n: int) -> FakeTenant:
    t = small_tenant()
    for i in range(n):
        t.add_user(userPrincipalName=f"u{i}@district.org", displayName=f"U{i}")
    return t


def users_requests(t: FakeTenant) -> int:
    return sum(n for (m, route, b), n in t.requests.items() if route == "users")


def test_users_page_through_next_links_to_the_end(rsps):
    t = tenant_with_users(1250)  # 1,252 users, signInActivity caps pages at 500 -> 3 pages
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert len(snap.accounts) == 1252 and snap.complete
    assert users_requests(t) == 3
    assert len({a.key for a in snap.accounts}) == 1252


@pytest.mark.parametrize("retry_after,expected", [("10", 10.0), ("2.128", 2.128)])
def test_429_on_a_page_waits_retry_after_then_continues(rsps, retry_after, expected):
    t = tenant_with_users(750)
    t.faults.append(
        Fault("GET", r"^users\?\$skiptoken=", 429, {"Retry-After": retry_after}, THROTTLED, times=1)
    )
    t.install(rsps)
    sleeps: list[float] = []
    snap = build_fake_connector(t, sleeps=sleeps).fetch_snapshot(None)
    assert sleeps == [expected]
    assert len(snap.accounts) == 752 and snap.complete and snap.stats["retries"] == 1


def test_503_without_retry_after_backs_off_and_recovers(rsps):
    t = small_tenant()
    t.faults.append(Fault("GET", r"^groups\?", 503, {}, None, times=2))
    t.install(rsps)
    sleeps: list[float] = []
    snap = build_fake_connector(t, sleeps=sleeps).fetch_snapshot(None)
    assert len(sleeps) == 2 and all(0 <= s <= 0.05 for s in sleeps)
    assert len(snap.groups) == 4 and snap.complete


def test_403_names_the_missing_permission_and_never_yields_a_snapshot(rsps):
    t = small_tenant()
    t.denied.append(r"^roleManagement/")
    t.install(rsps)
    with pytest.raises(PermissionDenied) as err:
        build_fake_connector(t).fetch_snapshot(None)
    assert err.value.permission == "RoleManagement.Read.Directory"
    assert "RoleManagement.Read.Directory" in str(err.value)
    assert "GET /v1.0/roleManagement/directory/roleDefinitions" in str(err.value)


def test_403_inside_batch_names_the_permission(rsps):
    t = small_tenant()
    t.faults.append(
        Fault(
            "GET",
            r"/members",
            403,
            {},
            json.loads((FX / "error_403_insufficient_privileges.json").read_text()),
            times=1,
            in_batch=True,
        )
    )
    t.install(rsps)
    with pytest.raises(PermissionDenied) as err:
        build_fake_connector(t).fetch_snapshot(None)
    assert err.value.permission == "GroupMember.Read.All"


@pytest.mark.parametrize(
    "fault",
    [
        Fault("GET", r"^users\?\$skiptoken=", 500, {}, None, times=99),
        Fault(
            "GET",
            r"^users\?\$skiptoken=",
            error=requests.ConnectionError("reset by peer"),
            times=99,
        ),
    ],
)
def test_truncated_page_sequence_raises_incomplete_read(rsps, fault):
    t = tenant_with_users(750)
    t.faults.append(fault)
    t.install(rsps)
    sleeps: list[float] = []
    with pytest.raises(IncompleteRead) as err:
        build_fake_connector(t, sleeps=sleeps).fetch_snapshot(None)
    assert "GET /v1.0/users" in str(err.value) and "after 1 page" in str(err.value)
    assert len(sleeps) == 3  # bounded: 4 tries in the test policy


def test_429_on_one_item_inside_batch_is_retried_after_its_own_retry_after(rsps):
    t = small_tenant()
    golf = "45b7d2e7-b882-4a80-ba97-10b7a63b8fa4"
    t.faults.append(
        Fault(
            "GET",
            rf"groups/{golf}/members",
            429,
            {"Retry-After": "2.128"},
            THROTTLED,
            times=1,
            in_batch=True,
        )
    )
    t.install(rsps)
    sleeps: list[float] = []
    snap = build_fake_connector(t, sleeps=sleeps).fetch_snapshot(None)
    assert sleeps == [2.128]
    golf_members = {m.member_key for m in snap.memberships if m.group_key.endswith(golf)}
    assert len(golf_members) == 3 and snap.complete


def test_batch_item_throttled_until_tries_run_out_is_incomplete(rsps):
    t = small_tenant()
    t.faults.append(
        Fault("GET", r"/members", 429, {"Retry-After": "1"}, THROTTLED, times=99, in_batch=True)
    )
    t.install(rsps)
    with pytest.raises(IncompleteRead, match="still throttled"):
        build_fake_connector(t).fetch_snapshot(None)


def test_throttled_batch_envelope_is_retried(rsps):
    t = small_tenant()
    t.faults.append(Fault("POST", r"^\$batch", 429, {"Retry-After": "3"}, THROTTLED, times=1))
    t.install(rsps)
    sleeps: list[float] = []
    snap = build_fake_connector(t, sleeps=sleeps).fetch_snapshot(None)
    assert sleeps == [3.0] and len(snap.memberships) == 5


def test_sign_in_activity_licence_refusal_warns_once_and_continues(rsps):
    t = small_tenant()
    t.premium_licence = False
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert snap.complete and len(snap.accounts) == 2
    assert all(a.last_sign_in is None for a in snap.accounts)
    assert len(snap.warnings) == 1 and "P1/P2" in snap.warnings[0]


def test_missing_auditlog_permission_costs_the_sign_in_view_not_the_snapshot(rsps):
    """Issue 19 changed this: like a tenant without the licence, an app without AuditLog.Read.All
    gets a complete snapshot with last sign-in unknown and one warning naming the permission
    (it used to fail the whole Entra sync)."""
    from access_review.records import VIEW_SIGN_IN

    t = small_tenant()
    t.faults.append(
        Fault(
            "GET",
            r"^users\?.*signInActivity",
            403,
            {},
            json.loads((FX / "error_403_insufficient_privileges.json").read_text()),
            times=9,
        )
    )
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert snap.complete and snap.accounts
    assert not any(a.sign_in_known for a in snap.accounts if not a.extra.get("servicePrincipal"))
    named = [w for w in snap.warnings if "AuditLog.Read.All" in w]
    assert len(named) == 1 and "last sign-in is unknown" in named[0]
    assert "AuditLog.Read.All" in snap.partial_views[VIEW_SIGN_IN]


def test_401_is_an_auth_error_and_not_retried(rsps):
    t = small_tenant()
    t.faults.append(
        Fault(
            "GET",
            r"^users\?",
            401,
            {},
            {
                "error": {
                    "code": "InvalidAuthenticationToken",
                    "message": "Access token has expired.",
                }
            },
            times=9,
        )
    )
    t.install(rsps)
    sleeps: list[float] = []
    with pytest.raises(AuthError):
        build_fake_connector(t, sleeps=sleeps).fetch_snapshot(None)
    assert sleeps == [] and users_requests(t) == 1


def test_token_refused_is_an_auth_error(rsps):
    t = small_tenant()
    authority = f"{t.authority_host}/{t.tenant_id}"
    rsps.add(
        responses.POST,
        f"{authority}/oauth2/v2.0/token",
        status=401,
        json={
            "error": "invalid_client",
            "error_description": "AADSTS7000215: Invalid client secret provided.\r\nTrace ID: x",
        },
    )
    t.install(rsps)
    with pytest.raises(AuthError, match="invalid_client: AADSTS7000215"):
        build_fake_connector(t).fetch_snapshot(None)


def test_national_cloud_hosts_come_from_settings(rsps):
    t = FakeTenant(
        graph_url="https://graph.microsoft.us/v1.0",
        authority_host="https://login.microsoftonline.us",
    )
    t.add_user(userPrincipalName="a@district.us", accountEnabled=True)
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert [a.login for a in snap.accounts] == ["a@district.us"]
    token_calls = [c for c in rsps.calls if c.request.url.endswith("/oauth2/v2.0/token")]
    assert "graph.microsoft.us%2F.default" in token_calls[0].request.body
    assert t.token_requests == 1


def test_token_is_cached_within_the_process(rsps):
    t = small_tenant()
    t.install(rsps)
    conn = build_fake_connector(t)
    conn.fetch_snapshot(None)
    conn.fetch_snapshot(None)
    assert t.token_requests == 1


def test_stats_count_graph_requests(rsps):
    t = small_tenant()
    t.install(rsps)
    snap = build_fake_connector(t).fetch_snapshot(None)
    assert snap.stats["requests"] == t.graph_requests
    # $batch 1: 2 latest delta links, 2 role reads, SPs, grants; $batch 2: users, groups and the
    # app-role listings; 1 beta $batch of member listings (issue 13: 10 separate requests before)
    assert snap.stats["requests"] == 3
