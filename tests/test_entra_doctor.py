"""doctor: token obtained, roles claim decoded, missing application permissions named."""

from __future__ import annotations

import responses

from connectors.entra.doctor import decode_jwt_claims, missing_permissions
from entra_fake import build_fake_connector, make_jwt, small_tenant


def test_decode_jwt_claims_without_signature_check():
    assert decode_jwt_claims(make_jwt({"roles": ["User.Read.All"]}))["roles"] == ["User.Read.All"]
    assert decode_jwt_claims("not-a-jwt") == {}


def test_broader_permission_satisfies_a_narrower_one():
    assert missing_permissions({"Directory.Read.All"}, ["read"]) == []
    assert missing_permissions({"Directory.Read.All"}, ["read", "act"]) == [
        "User.EnableDisableAccount.All",
        "User.RevokeSessions.All",
        "GroupMember.ReadWrite.All",
        "AppRoleAssignment.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All",
    ]


def test_doctor_lists_missing_permissions_by_name():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        t = small_tenant()
        t.token_roles = ["User.Read.All", "Group.Read.All", "Application.Read.All"]
        t.install(r)
        checks = build_fake_connector(t, features=["read"]).doctor()
    assert checks[0].ok
    perms = checks[1]
    assert not perms.ok
    assert perms.detail == (
        "missing: RoleManagement.Read.Directory, "
        "DelegatedPermissionGrant.Read.All, AuditLog.Read.All"
    )
    assert "Grant admin consent" in perms.fix
    assert t.graph_requests == 0  # doctor reads the token only


def test_doctor_all_granted():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        t = small_tenant()
        t.install(r)
        checks = build_fake_connector(t).doctor()
    assert all(c.ok for c in checks)


def test_doctor_reports_a_refused_token():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        t = small_tenant()
        r.add(
            responses.POST,
            f"{t.authority_host}/{t.tenant_id}/oauth2/v2.0/token",
            status=401,
            json={"error": "invalid_client", "error_description": "AADSTS7000222: expired secret"},
        )
        t.install(r)
        checks = build_fake_connector(t).doctor()
    assert len(checks) == 1 and not checks[0].ok and "invalid_client" in checks[0].detail
