"""The contract every connector keeps, run over each of them through its own fake transport
(the demo state file, a responses-faked Graph, a local fake Google server, a real Samba DC):

- every key is unique and non-empty, and starts with the configured source name;
- "enabled" is a real bool, normalized by the connector;
- a refusal for lack of permission raises a typed error, never an empty result;
- a listing cut short never yields a complete snapshot;
- ``fetch_accounts`` reads the named accounts as the snapshot has them (a disabled one among
  them), answers None for an account the directory does not have, and costs a handful of
  requests, not a listing.
"""

from __future__ import annotations

import contextlib

import pytest
import responses

from access_review.errors import AccessReviewError, PermissionDenied
from access_review.records import Snapshot


def check_records(snap: Snapshot, source: str) -> None:
    assert snap.complete and snap.accounts and snap.groups
    for table in ("accounts", "groups", "resources", "grants"):
        keys = [r.key for r in getattr(snap, table)]
        assert len(keys) == len(set(keys)), f"duplicate {table} keys"
        assert all(k and k.startswith(f"{source}:") and not k.endswith(":") for k in keys)
    pairs = [(m.group_key, m.member_key) for m in snap.memberships]
    assert len(pairs) == len(set(pairs)) and all(g and m for g, m in pairs)
    assert all(type(a.enabled) is bool for a in snap.accounts)
    assert any(not a.enabled for a in snap.accounts), "each fixture holds a disabled account"


def check_targeted(conn, snap: Snapshot, missing_id: str, requests=None) -> None:
    """``fetch_accounts`` of a few accounts (one disabled) and one that does not exist."""
    people = [a for a in snap.accounts if not a.extra.get("servicePrincipal")]
    chosen = [next(a for a in people if not a.enabled), *[a for a in people if a.enabled][:2]]
    missing = f"{snap.source}:account:{missing_id}"
    before = requests() if requests else 0
    fetched = conn.fetch_accounts([a.key for a in chosen] + [missing])
    if requests:
        assert requests() - before <= len(chosen) + 2, "a targeted read, not a listing"
    assert list(fetched) == [a.key for a in chosen] + [missing]
    assert fetched[missing] is None
    for a in chosen:
        got = fetched[a.key]
        assert (got.key, got.login, got.enabled, got.authority) == (
            a.key,
            a.login,
            a.enabled,
            a.authority,
        )
    with pytest.raises(AccessReviewError, match="not an account key"):
        conn.fetch_accounts([f"{snap.source}:group:x"])


def never_complete(read) -> None:
    """The read either raises a typed error or returns something not marked complete."""
    try:
        snap = read()
    except AccessReviewError:
        return
    assert not snap.complete


# -- demo --------------------------------------------------------------------------------
def test_demo(demo, tmp_path):
    from connectors.registry import build_connector

    cfg = demo.config
    conn = build_connector("ad", cfg.sources["ad"], base_dir=str(cfg.base_dir))
    snap = conn.fetch_snapshot(None)
    check_records(snap, "ad")
    check_targeted(conn, snap, "no-such-id")
    (cfg.base_dir / cfg.sources["ad"]["state"]).write_bytes(b"SQLite format 3\x00 truncated")
    never_complete(lambda: conn.fetch_snapshot(None))


# -- Entra (Graph faked at the HTTP layer with responses) ---------------------------------
@contextlib.contextmanager
def entra(fault=None):
    from entra_fake import build_fake_connector, small_tenant

    tenant = small_tenant()
    for i in range(1200):  # more than one page of users
        tenant.add_user(
            userPrincipalName=f"u{i}@district.org", displayName=f"U{i}", accountEnabled=i % 7 != 0
        )
    if fault:
        tenant.faults.append(fault)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        tenant.install(rsps)
        yield build_fake_connector(tenant, name="entra")


def test_entra():
    from entra_fake import Fault

    with entra() as conn:
        snap = conn.fetch_snapshot(None)
        check_records(snap, "entra")
        check_targeted(
            conn, snap, "0f0e0d0c-0b0a-0908-0706-050403020100", lambda: conn.client.requests_sent
        )
    denied = Fault(
        "GET",
        r"^users/[0-9a-f-]+\?",
        403,
        {},
        {
            "error": {
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges to complete the operation.",
            }
        },
        times=99,
    )
    with entra(denied) as conn, pytest.raises(PermissionDenied, match="User.Read.All"):
        conn.fetch_accounts(["entra:account:0f0e0d0c-0b0a-0908-0706-050403020100"])
    forbidden = Fault(
        "GET",
        r"^groups",
        403,
        {},
        {
            "error": {
                "code": "Authorization_RequestDenied",
                "message": "Insufficient privileges to complete the operation.",
            }
        },
        times=99,
    )
    with entra(forbidden) as conn, pytest.raises(PermissionDenied):
        conn.fetch_snapshot(None)
    cut = Fault("GET", r"^users\?\$skiptoken=", 500, {}, None, times=99)
    with entra(cut) as conn:
        never_complete(lambda: conn.fetch_snapshot(None))


# -- Google (a local fake server: httplib2 cannot be intercepted by responses) ------------
@pytest.fixture
def google_fake():
    from google_fake import FakeGoogle, small_domain

    server = small_domain(FakeGoogle()).start()
    yield server
    server.stop()


def test_google(google_fake, tmp_path):
    from google_fake import Fault, fixture_error, make_connector

    conn = make_connector(google_fake, tmp_path)
    snap = conn.fetch_snapshot(None)
    check_records(snap, "google")
    check_targeted(conn, snap, "999999999", lambda: sum(google_fake.calls.values()))
    google_fake.faults.append(
        Fault(
            r"directory/v1/users/[^/]+$",
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Not Authorized to access this resource/api",
                    "errors": [{"reason": "forbidden", "message": "Not Authorized"}],
                }
            },
            times=1,
        )
    )
    with pytest.raises(PermissionDenied):
        make_connector(google_fake, tmp_path).fetch_accounts([snap.accounts[0].key])
    google_fake.faults.clear()
    google_fake.faults.append(
        Fault(
            r"directory/v1/groups$",
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Not Authorized to access this resource/api",
                    "errors": [{"reason": "forbidden", "message": "Not Authorized"}],
                }
            },
            times=99,
        )
    )
    with pytest.raises(PermissionDenied):
        make_connector(google_fake, tmp_path).fetch_snapshot(None)
    google_fake.faults.clear()
    google_fake.max_page = 2
    google_fake.faults.append(
        Fault(
            r"directory/v1/users$",
            503,
            fixture_error("error_429_rateLimitExceeded.json"),
            times=99,
            only_with_page_token=True,
        )
    )
    never_complete(lambda: make_connector(google_fake, tmp_path).fetch_snapshot(None))


# -- Active Directory (a real Samba AD DC) -------------------------------------------------
def test_ad(tmp_path):
    from samba_dc import SambaDC, build_district

    from access_review.retry import RetryPolicy
    from connectors.ad.connector import build_connector

    district = build_district(60)
    dc = SambaDC.create(tmp_path / "dc", ldif=district.ldif, start=False)
    dc.ldbmodify(district.modify_ldif)
    dc.start()
    try:
        conn = build_connector(
            "ad",
            dc.settings(),
            base_dir=".",
            retry_policy=RetryPolicy(tries=2, base=0.01, cap=0.02),
        )
        snap = conn.fetch_snapshot(None)
        check_records(snap, "ad")
        check_targeted(conn, snap, "0f0e0d0c-0b0a-0908-0706-050403020100")
        dc.stop()
        never_complete(lambda: conn.fetch_snapshot(None))
    finally:
        dc.stop()
