"""Full reads against the local fake Admin SDK / Drive / Vault server (real client library,
real google-auth token exchange, real multipart batch parsing)."""

import pytest

from access_review.errors import (
    AuthError,
    IncompleteRead,
    PermissionDenied,
    RetryableError,
    SecretError,
    SourceError,
)
from connectors.google.quota import QuotaPacer
from connectors.google.client import DRIVE_READ, USER_SECURITY
from google_fake import (
    ALL_SCOPES,
    Fault,
    FakeGoogle,
    district,
    fixture_error,
    make_connector,
    small_domain,
)


@pytest.fixture
def fake():
    server = small_domain(FakeGoogle()).start()
    yield server
    server.stop()


def by_key(records):
    return {r.key: r for r in records}


def test_full_read_maps_every_kind_of_record(fake, tmp_path):
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    assert snap.complete
    accounts = by_key(snap.accounts)
    assert accounts["google:account:1004"].enabled is False  # archived
    assert accounts["google:account:1003"].enabled is False  # suspended
    assert accounts["google:account:1005"].kind == "student"
    assert accounts["google:account:1005"].last_sign_in is None  # 1970 epoch = never
    assert accounts["google:account:1002"].employee_id == "E0002"
    edges = {(m.group_key, m.member_key) for m in snap.memberships}
    assert {("google:group:g1", "google:group:g2"), ("google:group:g2", "google:group:g1")} <= edges
    assert any("CUSTOMER" in w for w in snap.warnings)
    kinds = {(r.kind, r.name) for r in snap.resources}
    assert ("shared_drive", "Special Education Records") in kinds
    assert ("oauth_app", "GradeHelper") in kinds
    assert ("oauth_app", "Game") not in kinds  # students' tokens are not read by default
    assert ("vault_hold", "Doe v. District / Doe mail") in kinds
    grants = by_key(snap.grants)
    assert grants["google:grant:drive:0ASpEd:p1"].principal_key == "google:group:g1"
    assert grants["google:grant:drive:0ASpEd:p2"].principal_key == "google:account:1002"  # by alias
    assert grants["google:grant:role:ra1"].level == "admin"
    assert grants["google:grant:oauth:1002:999-grades.apps.googleusercontent.com"].scopes == (
        "https://www.googleapis.com/auth/drive",
    )
    assert grants["google:grant:hold:m1:h1:1003"].principal_key == "google:account:1003"


def test_contract_keys_unique_and_enabled_is_a_bool(fake, tmp_path):
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    for records in (snap.accounts, snap.groups, snap.resources, snap.grants):
        keys = [r.key for r in records]
        assert len(keys) == len(set(keys)) and all(keys)
    assert all(type(a.enabled) is bool for a in snap.accounts)


def test_sync_asks_only_read_scopes_and_uses_fields_and_maximum_page_sizes(fake, tmp_path):
    make_connector(fake, tmp_path).fetch_snapshot()
    asked = set(fake.token_requests[0]["scope"].split())
    assert not any(s.endswith(("admin.directory.user", "/drive", "group.member")) for s in asked)
    assert fake.token_requests[0]["sub"] == fake.admin
    users_call = next(q for m, p, q in fake.requests if p.endswith("directory/v1/users"))
    assert users_call["maxResults"] == "500" and "lastLoginTime" in users_call["fields"]
    member_call = next(q for m, p, q in fake.requests if p.endswith("/members"))
    assert member_call["maxResults"] == "200"
    drives_call = next(q for m, p, q in fake.requests if p.endswith("drive/v3/drives"))
    assert drives_call["useDomainAdminAccess"] == "true"


def test_students_tokens_read_when_configured(fake, tmp_path):
    snap = make_connector(fake, tmp_path, oauth_tokens_for_students=True).fetch_snapshot()
    assert "Game" in {r.name for r in snap.resources}


def test_paging_follows_next_page_token_everywhere(fake, tmp_path):
    fake.max_page = 2
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    assert len(snap.accounts) == 5 and len(snap.memberships) == 5
    assert sum(1 for g in snap.grants if g.kind == "drive_permission") == 5
    assert fake.calls["users.list"] == 3
    # g1 and g2 have two members (one page), permissions needed three pages.
    assert fake.calls["permissions.list"] == 3


def test_batch_item_rate_limited_is_retried_alone(fake, tmp_path):
    fake.faults.append(
        Fault(r"groups/g2/members$", 403, fixture_error("error_403_userRateLimitExceeded.json"))
    )
    connector = make_connector(fake, tmp_path)
    snap = connector.fetch_snapshot()
    assert ("google:group:g2", "google:account:1001") in {
        (m.group_key, m.member_key) for m in snap.memberships
    }
    assert fake.batch_sizes[:2] == [3, 1]  # the retry batch carried only the throttled call
    assert fake.calls["members.list"] == 3  # g2 counted once more by the fake only after the fault
    assert snap.stats["items_retried"] == 1 and connector.sleep  # it backed off before retrying


@pytest.mark.parametrize(
    "status, body",
    [
        (403, fixture_error("error_403_rateLimitExceeded.json")),
        (429, fixture_error("error_429_rateLimitExceeded.json")),
        (
            503,
            {
                "error": {
                    "code": 503,
                    "message": "Backend Error",
                    "errors": [{"reason": "backendError"}],
                }
            },
        ),
    ],
)
def test_throttling_and_server_errors_are_retried(fake, tmp_path, status, body):
    fake.faults.append(Fault(r"directory/v1/users$", status, body, times=2))
    snap = make_connector(fake, tmp_path).fetch_snapshot()
    assert len(snap.accounts) == 5
    assert fake.calls["users.list"] == 1  # the two faulted tries never reached the handler


def test_retry_after_header_is_honoured(fake, tmp_path):
    fake.faults.append(
        Fault(
            r"directory/v1/groups$",
            429,
            fixture_error("error_429_rateLimitExceeded.json"),
            headers={"Retry-After": "2.5"},
        )
    )
    connector = make_connector(fake, tmp_path)
    connector.fetch_snapshot()
    assert 2.5 in connector.sleep


def test_bounded_tries_then_an_error_naming_the_call(fake, tmp_path):
    fake.faults.append(
        Fault(r"directory/v1/users$", 503, {"error": {"code": 503, "message": "down"}}, times=99)
    )
    with pytest.raises(RetryableError, match="users.list"):
        make_connector(fake, tmp_path).fetch_snapshot()


def test_batch_item_throttled_forever_fails_naming_the_call(fake, tmp_path):
    fake.faults.append(
        Fault(
            r"groups/g2/members$", 429, fixture_error("error_429_rateLimitExceeded.json"), times=99
        )
    )
    with pytest.raises(RetryableError, match="members.list groupKey= g2"):
        make_connector(fake, tmp_path).fetch_snapshot()


def test_truncated_paging_never_yields_a_complete_snapshot(fake, tmp_path):
    fake.max_page = 2
    fake.faults.append(
        Fault(
            r"directory/v1/users$",
            500,
            {"error": {"code": 500, "message": "x"}},
            times=99,
            only_with_page_token=True,
        )
    )
    connector = make_connector(fake, tmp_path)
    with pytest.raises(RetryableError):
        connector.fetch_snapshot()


def test_repeated_page_token_is_an_incomplete_read(fake, tmp_path):
    fake.faults.append(
        Fault(r"customer/.*/roles$", 200, {"items": [], "nextPageToken": "same"}, times=99)
    )
    with pytest.raises(IncompleteRead, match="roles.list"):
        make_connector(fake, tmp_path).fetch_snapshot()


def test_invalid_page_token_is_an_error_not_an_end(fake, tmp_path):
    fake.faults.append(
        Fault(r"directory/v1/groups$", 200, {"groups": [], "nextPageToken": "bogus"})
    )
    with pytest.raises(SourceError, match="groups.list.*Invalid page token"):
        make_connector(fake, tmp_path).fetch_snapshot()


def test_scope_missing_from_delegation_is_permission_denied_naming_the_scope(tmp_path):
    fake = small_domain(FakeGoogle(granted_scopes=ALL_SCOPES - {DRIVE_READ})).start()
    try:
        with pytest.raises(PermissionDenied) as err:
            make_connector(fake, tmp_path).fetch_snapshot()
        assert DRIVE_READ in err.value.permission
        assert "Domain-wide delegation" in err.value.hint
    finally:
        fake.stop()


def test_token_without_the_scope_a_call_needs_is_permission_denied(fake, tmp_path):
    fake.faults.append(
        Fault(
            r"users/1002/tokens$",
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Request had insufficient authentication scopes.",
                    "status": "PERMISSION_DENIED",
                    "errors": [
                        {"reason": "insufficientPermissions", "message": "Insufficient Permission"}
                    ],
                }
            },
        )
    )
    with pytest.raises(PermissionDenied) as err:
        make_connector(fake, tmp_path).fetch_snapshot()
    assert err.value.permission == USER_SECURITY and "tokens.list" in str(err.value)


def test_subject_not_an_admin_is_forbidden_never_empty(fake, tmp_path):
    fake.faults.append(
        Fault(
            r"directory/v1/users$",
            403,
            {
                "error": {
                    "code": 403,
                    "message": "Not Authorized to access this resource/api",
                    "errors": [
                        {
                            "reason": "forbidden",
                            "message": "Not Authorized to access this resource/api",
                        }
                    ],
                }
            },
        )
    )
    with pytest.raises(PermissionDenied, match="Not Authorized"):
        make_connector(fake, tmp_path).fetch_snapshot()


def test_401_is_an_auth_error_and_not_retried(fake, tmp_path):
    fake.faults.append(
        Fault(
            r"directory/v1/groups$",
            401,
            {"error": {"code": 401, "message": "Invalid Credentials"}},
            times=5,
        )
    )
    connector = make_connector(fake, tmp_path)
    with pytest.raises(AuthError):
        connector.fetch_snapshot()
    # google-auth refreshes once on 401 and resends; our code adds no retry of its own.
    assert not connector.sleep


def test_unknown_subject_is_an_auth_error(fake, tmp_path):
    with pytest.raises(AuthError, match="impersonation failed"):
        make_connector(fake, tmp_path, subject="nobody@district.org").fetch_snapshot()


def test_key_file_readable_by_others_is_refused(fake, tmp_path):
    connector = make_connector(fake, tmp_path)
    (tmp_path / "sa-key.json").chmod(0o644)
    with pytest.raises(SecretError, match="chmod 600|readable by others"):
        connector.fetch_snapshot()


def test_pacer_keeps_calls_per_minute_under_quota():
    """A call holds its slot from when it is sent until 60 s after its answer (Google counts it
    when it processes it, in between); issue 13 changed this from 60 s after sending."""
    now = [0.0]
    sleeps = []

    def sleep(s):
        sleeps.append(s)
        now[0] += s

    pacer = QuotaPacer(2400, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        pacer.acquire(1000)  # three full batches: each call inside counts
        now[0] += 2.0  # answered 2 s later
        pacer.release(1000)
    assert sleeps == [62.0 - 4.0]  # the third waited for the first's answer + 60 s
    with pytest.raises(ValueError):
        pacer.acquire(2401)


def test_sync_paces_every_call_inside_batches(tmp_path):
    fake = district(FakeGoogle(), users=300, groups=60, memberships=600, drives=2).start()
    try:
        connector = make_connector(fake, tmp_path, quota_per_minute=50, vault=False)
        now = [0.0]
        connector.clock = lambda: now[0]
        connector.sleep = lambda s: now.__setitem__(0, now[0] + s)
        snap = connector.fetch_snapshot()
        assert fake.batch_sizes and max(fake.batch_sizes) <= 50
        calls = snap.stats["api_calls"]
        assert calls >= 60 + 30  # 60 member lists and 30 staff token lists, each counted
        assert now[0] >= 60.0 * (calls // 50 - 1)
    finally:
        fake.stop()


def test_round_trips_counted_and_batched(tmp_path):
    fake = district(FakeGoogle(), users=1200, groups=250, memberships=5000, drives=30).start()
    try:
        snap = make_connector(fake, tmp_path, quota_per_minute=100000).fetch_snapshot()
        assert snap.stats["round_trips"] == fake.round_trips
        assert fake.calls["members.list"] >= 250
        # users 3 pages, groups 2, members 1 batch (+1 for next pages), roles, assignments,
        # tokens 1 batch, drives 1, permissions 1 batch, 3 matters' holds + matters, 1 token.
        assert fake.round_trips <= 20
        assert len(snap.memberships) == sum(len(v) for v in fake.members.values())
    finally:
        fake.stop()
