"""Actions against the fake tenant: prior state first, idempotent, refused where AD rules."""

from __future__ import annotations

import pytest
import responses

from access_review.errors import PermissionDenied
from access_review.connector import Action
from entra_fake import Fault, build_fake_connector, small_tenant

ADAMS = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"  # cloud-only, enabled
ADMIN = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"  # synced from AD
GOLF = "45b7d2e7-b882-4a80-ba97-10b7a63b8fa4"  # cloud M365 group
HR = "ec22655c-8eb2-432a-b4ea-8b8a254bffff"  # synced from AD
DYNAMIC = "c2f798fd-f95d-4623-8824-63aec21fffff"
SIS = "2b4a5ccc-7d36-44a4-9a4f-7c3c2b1a0e01"
QUIZ = "7d2e4f6a-8b0c-4d1e-a2f3-b4c5d6e7f809"


@pytest.fixture
def env():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        t = small_tenant()
        t.install(r)
        yield t, build_fake_connector(t)


def act(action_kind, target, **params):
    return Action(kind=action_kind, source="entra", target=target, params=params)


def patches(t):
    return sum(
        n
        for (m, r, b), n in t.requests.items()
        if m in ("PATCH", "DELETE", "POST") and r != "$batch"
    )


def test_disable_then_disable_again_is_unchanged_and_enable_restores(env):
    t, conn = env
    first = conn.apply(act("disable_account", f"entra:account:{ADAMS}"))
    assert first.status == "changed" and first.prior["enabled"] is True
    assert t.users[ADAMS]["accountEnabled"] is False
    again = conn.apply(act("disable_account", f"entra:account:{ADAMS}"))
    assert again.status == "unchanged" and again.prior["enabled"] is False
    assert patches(t) == 1
    back = conn.apply(act("enable_account", f"entra:account:{ADAMS}"))
    assert back.status == "changed" and t.users[ADAMS]["accountEnabled"] is True


def test_synced_user_is_refused_with_the_reason_but_sessions_can_be_revoked(env):
    t, conn = env
    res = conn.apply(act("disable_account", f"entra:account:{ADMIN}"))
    assert res.status == "refused" and res.message == "synced from on-premises AD: change it in AD"
    assert patches(t) == 0
    revoked = conn.apply(act("revoke_sessions", f"entra:account:{ADMIN}"))
    assert revoked.status == "changed" and t.users[ADMIN]["_revoked"] == 1


def test_refusal_at_planning_time_uses_the_snapshot(env):
    t, conn = env
    snap = conn.fetch_snapshot(None)
    assert (
        conn.refusal(act("disable_account", f"entra:account:{ADMIN}"), snap)
        == "synced from on-premises AD: change it in AD"
    )
    assert (
        conn.refusal(
            act("remove_membership", f"entra:group:{HR}", member=f"entra:account:{ADMIN}"), snap
        )
        == "synced from on-premises AD: change it in AD"
    )
    assert "dynamic group" in conn.refusal(
        act("remove_membership", f"entra:group:{DYNAMIC}", member=f"entra:account:{ADAMS}"), snap
    )
    assert conn.refusal(act("revoke_sessions", f"entra:account:{ADMIN}"), snap) is None
    assert conn.refusal(act("disable_account", f"entra:account:{ADAMS}"), snap) is None


def test_remove_membership_reads_prior_and_is_idempotent(env):
    t, conn = env
    a = act("remove_membership", f"entra:group:{GOLF}", member=f"entra:account:{ADAMS}")
    first = conn.apply(a)
    assert first.status == "changed" and first.prior["member"] is True
    assert ADAMS not in t.members[GOLF]
    second = conn.apply(a)
    assert second.status == "unchanged" and second.prior["member"] is False


def test_remove_membership_of_synced_group_is_refused_live(env):
    t, conn = env
    res = conn.apply(act("remove_membership", f"entra:group:{HR}", member=f"entra:account:{ADMIN}"))
    assert res.status == "refused" and ADMIN in t.members[HR]


def test_remove_app_role_assignment(env):
    t, conn = env
    snap = conn.fetch_snapshot(None)
    grant = next(g for g in snap.grants if g.kind == "app_role" and g.role == "Teacher")
    a = act("remove_grant", grant.key, kind="app_role", resource=grant.resource_key)
    res = conn.apply(a)
    assert res.status == "changed" and res.prior["principalId"] == ADMIN
    assert all(x["id"] != grant.id for x in t.assigned_to[SIS])
    assert conn.apply(a).status == "unchanged"


def test_remove_delegated_consent_and_application_permission(env):
    t, conn = env
    snap = conn.fetch_snapshot(None)
    consent = next(g for g in snap.grants if g.extra.get("consent_type") == "Principal")
    res = conn.apply(act("remove_grant", consent.key, kind="oauth", resource=consent.resource_key))
    assert res.status == "changed" and res.prior["scope"] == "Mail.ReadWrite Files.Read.All"
    assert consent.id not in t.oauth2_grants
    app_perm = next(g for g in snap.grants if g.extra.get("permission_type") == "application")
    res = conn.apply(
        act(
            "remove_grant",
            app_perm.key,
            kind="oauth",
            resource=app_perm.resource_key,
            permission_type="application",
        )
    )
    assert res.status == "changed" and res.prior["principalId"] == QUIZ
    assert len(conn.fetch_snapshot(None).grants) == len(snap.grants) - 2


def test_action_without_write_permission_raises_naming_it(env):
    t, conn = env
    # The app really lacks the permission (with it, a 403 means a privileged user: refused).
    t.token_roles = [r for r in t.token_roles if r != "User.EnableDisableAccount.All"]
    t.faults.append(
        Fault(
            "PATCH",
            rf"^users/{ADAMS}",
            403,
            {},
            {
                "error": {
                    "code": "Authorization_RequestDenied",
                    "message": "Insufficient privileges to complete the operation.",
                }
            },
        )
    )
    with pytest.raises(PermissionDenied) as err:
        conn.apply(act("disable_account", f"entra:account:{ADAMS}"))
    assert err.value.permission == "User.EnableDisableAccount.All"
