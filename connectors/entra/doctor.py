"""``access-review doctor`` for Entra: a token, and the application permissions it carries.

The roles claim of an app-only access token lists the application permissions granted
with admin consent (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference#payload-claims).
No signature check: we only read what Entra told us, to name what is missing.
"""

from __future__ import annotations

import base64
import json

from access_review.errors import AccessReviewError
from access_review.connector import Check

from .client import GraphClient

# What each configured feature needs (least privileged, per the Graph reference pages).
NEEDED: dict[str, tuple[str, ...]] = {
    "read": (
        "User.Read.All",
        "GroupMember.Read.All",
        "RoleManagement.Read.Directory",
        "Application.Read.All",
        "DelegatedPermissionGrant.Read.All",
    ),
    "sign_in_activity": ("AuditLog.Read.All",),
    "act": (
        "User.EnableDisableAccount.All",
        "User.RevokeSessions.All",
        "GroupMember.ReadWrite.All",
        "AppRoleAssignment.ReadWrite.All",
        "DelegatedPermissionGrant.ReadWrite.All",
    ),
}

# Broader permissions that include a narrower one.
IMPLIED_BY: dict[str, tuple[str, ...]] = {
    "User.Read.All": ("User.ReadWrite.All", "Directory.Read.All", "Directory.ReadWrite.All"),
    "GroupMember.Read.All": (
        "Group.Read.All",
        "GroupMember.ReadWrite.All",
        "Group.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ),
    "RoleManagement.Read.Directory": (
        "RoleManagement.Read.All",
        "RoleManagement.ReadWrite.Directory",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ),
    "Application.Read.All": (
        "Application.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ),
    "DelegatedPermissionGrant.Read.All": (
        "DelegatedPermissionGrant.ReadWrite.All",
        "Directory.Read.All",
        "Directory.ReadWrite.All",
    ),
    "User.EnableDisableAccount.All": ("User.ReadWrite.All", "Directory.ReadWrite.All"),
    "User.RevokeSessions.All": ("User.ReadWrite.All", "Directory.ReadWrite.All"),
    "GroupMember.ReadWrite.All": ("Group.ReadWrite.All", "Directory.ReadWrite.All"),
    "AppRoleAssignment.ReadWrite.All": (),
    "DelegatedPermissionGrant.ReadWrite.All": ("Directory.ReadWrite.All",),
}


def decode_jwt_claims(token: str) -> dict:
    """The payload of a JWT, base64url-decoded (no signature check)."""
    try:
        payload = token.split(".")[1]
        payload += "=" * (-len(payload) % 4)
        return json.loads(base64.urlsafe_b64decode(payload))
    except (IndexError, ValueError):
        return {}


def missing_permissions(roles: set[str], features: list[str]) -> list[str]:
    missing = []
    for feature in features:
        for perm in NEEDED.get(feature, ()):
            if perm in roles or any(p in roles for p in IMPLIED_BY.get(perm, ())):
                continue
            if perm not in missing:
                missing.append(perm)
    return missing


def run_doctor(client: GraphClient, features: list[str]) -> list[Check]:
    name = client.source
    try:
        token = client.tokens.token()
    except AccessReviewError as exc:
        return [
            Check(
                f"{name}: token",
                False,
                str(exc),
                fix=exc.hint or "check tenant_id, client_id and the credential",
            )
        ]
    checks = [Check(f"{name}: token", True, f"from {client.settings.authority}")]
    claims = decode_jwt_claims(token)
    roles = set(claims.get("roles") or [])
    missing = missing_permissions(roles, features)
    if missing:
        checks.append(
            Check(
                f"{name}: application permissions",
                False,
                "missing: " + ", ".join(missing),
                fix="in the app registration, API permissions > Add > Microsoft Graph > Application "
                "permissions: add " + ", ".join(missing) + ", then Grant admin consent",
            )
        )
    else:
        checks.append(
            Check(
                f"{name}: application permissions",
                True,
                f"{len(roles)} granted; all needed for {', '.join(features)}",
            )
        )
    return checks
