"""Actions against the fake: idempotent, prior state first, write scopes only per action."""

import pytest

from access_review.errors import PermissionDenied
from access_review.connector import Action
from connectors.google.client import GROUP_MEMBER_WRITE, USER_WRITE
from google_fake import ALL_SCOPES, GROUP_W, FakeGoogle, make_connector, small_domain


@pytest.fixture
def fake():
    server = small_domain(FakeGoogle()).start()
    yield server
    server.stop()


def act(connector, kind, target, **params):
    return connector.apply(Action(kind, "google", target, params))


def test_suspend_then_again_is_unchanged_and_unsuspend_restores(fake, tmp_path):
    c = make_connector(fake, tmp_path)
    first = act(c, "disable_account", "google:account:1002")
    assert (first.status, first.prior["suspended"], first.after["suspended"]) == (
        "changed",
        False,
        True,
    )
    assert fake.users["1002"]["suspended"] is True
    assert act(c, "disable_account", "google:account:1002").status == "unchanged"
    back = act(c, "enable_account", "google:account:1002")
    assert back.status == "changed" and fake.users["1002"]["suspended"] is False
    assert fake.calls["users.update"] == 2
    asked = [set(t["scope"].split()) for t in fake.token_requests]
    assert all(s == {USER_WRITE} for s in asked)  # the write scope only, only for the action


def test_suspending_never_deletes_and_missing_user_fails(fake, tmp_path):
    c = make_connector(fake, tmp_path)
    result = act(c, "disable_account", "google:account:nope")
    assert result.status == "failed" and "does not exist" in result.message
    assert not any(
        m == "DELETE" and "/users/" in p and "/tokens/" not in p for m, p, _ in fake.requests
    )


def test_revoke_sessions_signs_out(fake, tmp_path):
    result = act(make_connector(fake, tmp_path), "revoke_sessions", "google:account:1002")
    assert result.status == "changed" and fake.users["1002"]["signOuts"] == 1
    assert result.prior["primaryEmail"] == "teacher@district.org"


def test_remove_membership_is_idempotent_and_returns_role(fake, tmp_path):
    c = make_connector(fake, tmp_path)
    result = act(c, "remove_membership", "google:group:g1", member="google:account:1002")
    assert result.status == "changed" and result.prior["role"] == "MEMBER"
    assert all(m["id"] != "1002" for m in fake.members["g1"])
    again = act(c, "remove_membership", "google:group:g1", member="google:account:1002")
    assert again.status == "unchanged"
    nested = act(c, "remove_membership", "google:group:g1", member="google:group:g2")
    assert nested.status == "changed" and nested.prior["type"] == "GROUP"


def test_revoke_oauth_token_by_action_and_by_grant_key(fake, tmp_path):
    c = make_connector(fake, tmp_path)
    client = "999-grades.apps.googleusercontent.com"
    result = act(c, "revoke_oauth_token", "google:account:1002", client_id=client)
    assert result.status == "changed" and result.prior["scopes"] == [
        "https://www.googleapis.com/auth/drive"
    ]
    assert fake.tokens["1002"] == []
    assert act(c, "remove_grant", f"google:grant:oauth:1002:{client}").status == "unchanged"


def test_remove_drive_permission_as_domain_admin(fake, tmp_path):
    c = make_connector(fake, tmp_path)
    result = act(c, "remove_grant", "google:grant:drive:0ASpEd:p3")
    assert result.status == "changed" and result.prior["emailAddress"] == "consultant@example.com"
    assert "p3" not in {p["id"] for p in fake.permissions["0ASpEd"]}
    delete = next(q for m, p, q in fake.requests if m == "DELETE")
    assert delete["supportsAllDrives"] == "true" and delete["useDomainAdminAccess"] == "true"
    assert act(c, "remove_grant", "google:grant:drive:0ASpEd:p3").status == "unchanged"


@pytest.mark.parametrize(
    "action",
    [
        Action("remove_grant", "google", "google:grant:role:ra1"),
        Action("remove_grant", "google", "google:grant:hold:m1:h1:1003"),
        Action("delete_account", "google", "google:account:1002"),
        Action("disable_account", "ad", "google:account:1002"),
        Action("disable_account", "google", "ad:account:1002"),
        Action("revoke_oauth_token", "google", "google:account:1002"),
    ],
)
def test_refused_actions_touch_nothing(fake, tmp_path, action):
    c = make_connector(fake, tmp_path)
    assert c.refusal(action) is not None
    assert c.apply(action).status == "refused"
    assert fake.requests == []


def test_missing_write_scope_is_permission_denied_naming_it(tmp_path):
    fake = small_domain(FakeGoogle(granted_scopes=ALL_SCOPES - GROUP_W)).start()  # read-only groups
    try:
        with pytest.raises(PermissionDenied) as err:
            act(
                make_connector(fake, tmp_path),
                "remove_membership",
                "google:group:g1",
                member="google:account:1002",
            )
        assert GROUP_MEMBER_WRITE in err.value.permission
        assert fake.members["g1"][0]["id"] == "1002"
    finally:
        fake.stop()
