"""The one place that maps a Graph HTTP outcome to a typed error.

Used for whole responses and for the per-item responses inside a ``$batch`` body (which
come back with HTTP 200 on the envelope and their own status each:
https://learn.microsoft.com/graph/json-batching#response-format).
"""

from __future__ import annotations

from typing import Any, Mapping

from access_review.errors import (
    AuthError,
    DeltaExpired,
    PermissionDenied,
    RetryableError,
    SourceError,
)
from access_review.retry import parse_retry_after

# Graph answers an expired or unknown delta token with 410 Gone and one of these codes
# (https://learn.microsoft.com/graph/delta-query-overview#synchronization-reset).
DELTA_EXPIRED_CODES = frozenset({"syncStateNotFound", "resyncRequired", "syncStateInvalid"})

# signInActivity needs Entra ID P1/P2; without it Graph answers 403 with this code and
# "Neither tenant is B2C or tenant doesn't have premium license"
# (microsoftgraph/microsoft-graph-docs issue 12772, MicrosoftDocs/azure-docs PR 77948).
PREMIUM_LICENCE_CODE = "Authentication_RequestFromNonPremiumTenantOrB2CTenant"


# Reading signInActivity needs AuditLog.Read.All; without it Graph answers 403 with this code and
# "Calling principal does not have required MSGraph permissions AuditLog.Read.All"
# (microsoftgraph/microsoft-graph-explorer-v4 issue 2731, microsoft-graph-docs issue 12764).
PERMISSION_MISSING_CODE = "Authentication_MSGraphPermissionMissing"
SIGN_IN_PERMISSION = "AuditLog.Read.All"

LICENCE_REASON = (
    "signInActivity not read: the tenant has no Entra ID P1/P2 licence "
    "(Graph: Authentication_RequestFromNonPremiumTenantOrB2CTenant); "
    "last sign-in is unknown, so dormant-account findings cannot use it"
)
SIGN_IN_PERMISSION_REASON = (
    "signInActivity not read: the app registration lacks the application permission "
    "AuditLog.Read.All (Graph answered 403); last sign-in is unknown, so dormant-account "
    "findings cannot use it; grant AuditLog.Read.All with admin consent to read it"
)


class PremiumLicenceRequired(PermissionDenied):
    """Sign-in activity cannot be read — the tenant lacks the Entra ID P1/P2 licence it needs.
    The read goes on without it: every account's last sign-in is "unknown" (``unknown_reason``)."""

    unknown_reason = LICENCE_REASON


class SignInPermissionMissing(PremiumLicenceRequired):
    """Sign-in activity cannot be read — the app lacks AuditLog.Read.All. Like a missing licence,
    it costs the sign-in view only, never the snapshot (issue 19)."""

    unknown_reason = SIGN_IN_PERMISSION_REASON


class GraphNotFound(SourceError):
    """404: the object (or the reference being removed) does not exist."""


def error_code(body: Any) -> tuple[str, str]:
    """(code, message) of a Graph error body ``{"error": {"code", "message"}}``; blanks if absent."""
    if isinstance(body, Mapping) and isinstance(body.get("error"), Mapping):
        err = body["error"]
        return str(err.get("code") or ""), str(err.get("message") or "")
    return "", ""


def header(headers: Mapping[str, str] | None, name: str) -> str | None:
    """Case-insensitive header lookup; batch item headers are a plain dict."""
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return None


def error_for_status(
    status: int,
    headers: Mapping[str, str] | None,
    body: Any,
    *,
    source: str,
    call: str,
    permission: str | None,
) -> SourceError | None:
    """The typed error for a non-2xx Graph outcome, or None when it succeeded.

    ``permission`` is the application permission the call needs; Graph's own 403 message
    ("Insufficient privileges to complete the operation.") never names it, so we do.
    """
    if 200 <= status < 300:
        return None
    code, message = error_code(body)
    detail = f"HTTP {status}" + (f" {code}" if code else "") + (f": {message}" if message else "")
    if status == 410 or code in DELTA_EXPIRED_CODES:
        return DeltaExpired(source, call, f"delta token no longer valid ({detail})")
    if status == 401:
        return AuthError(
            source,
            call,
            detail,
            hint="check tenant_id, client_id and that the client secret or "
            "certificate has not expired",
        )
    if status == 403:
        if code == PREMIUM_LICENCE_CODE:
            return PremiumLicenceRequired(source, call, detail, permission="Entra ID P1/P2 licence")
        if permission == SIGN_IN_PERMISSION or (
            code == PERMISSION_MISSING_CODE and SIGN_IN_PERMISSION in message
        ):
            return SignInPermissionMissing(
                source,
                call,
                f"{detail} (needs {SIGN_IN_PERMISSION})",
                permission=SIGN_IN_PERMISSION,
                hint=f"grant the application permission {SIGN_IN_PERMISSION} to the app "
                "registration and give admin consent",
            )
        needed = permission or "an application permission"
        return PermissionDenied(
            source,
            call,
            f"{detail} (needs {needed})",
            permission=permission,
            hint=f"grant the application permission {needed} to the app registration "
            "and give admin consent",
        )
    if status == 404:
        return GraphNotFound(source, call, detail)
    if status in (429, 503) or status >= 500:
        # 429/503 carry Retry-After (fractional, e.g. 2.128); other 5xx get backoff with jitter.
        # Only 429 is throttling (https://learn.microsoft.com/graph/throttling); a 503 or 5xx is
        # Graph being unavailable, and is reported as that when it persists.
        return RetryableError(
            source,
            call,
            detail if status == 429 else f"{detail} (Graph unavailable)",
            retry_after=parse_retry_after(header(headers, "Retry-After")),
            throttled=status == 429,
        )
    return SourceError(source, call, detail)
