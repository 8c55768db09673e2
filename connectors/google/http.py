"""The one place where Google API failures become typed errors.

Google's error envelope (https://developers.google.com/workspace/drive/api/guides/handle-errors,
https://developers.google.com/workspace/admin/directory/v1/limits):

    {"error": {"code": 403, "message": "...", "errors": [{"reason": "rateLimitExceeded", ...}]}}

- 403 userRateLimitExceeded / rateLimitExceeded / quotaExceeded and 429: throttled, retry.
- 403 insufficientPermissions / forbidden / ACCESS_TOKEN_SCOPE_INSUFFICIENT: a scope or admin
  privilege is missing. Never retried, never an empty result.
- 401: the access token was refused. 5xx: transient.
- Token endpoint ``unauthorized_client``: domain-wide delegation does not grant a scope asked for.
"""

from __future__ import annotations

import json
import socket
from typing import Any, Callable

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from access_review.errors import AuthError, PermissionDenied, RetryableError, SourceError
from access_review.retry import DEFAULT_POLICY, RetryPolicy, parse_retry_after, with_retries

from .client import DELEGATION_PAGE, fetch_ungranted_scopes

THROTTLE_REASONS = frozenset({"userRateLimitExceeded", "rateLimitExceeded", "quotaExceeded"})
MISSING = object()  # what execute(..., missing_ok=True) returns for a 404
SCOPE_REASONS = frozenset({"insufficientPermissions", "ACCESS_TOKEN_SCOPE_INSUFFICIENT"})


def error_reasons(content: bytes | str | None) -> tuple[int | None, str, list[str]]:
    """(code, message, reasons) from a Google error body; tolerant of non-JSON bodies."""
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    try:
        error = json.loads(content or "{}").get("error", {})
    except (ValueError, AttributeError):
        return None, (content or "")[:200], []
    if not isinstance(error, dict):  # OAuth-style {"error": "invalid_grant"}
        return None, str(error), [str(error)]
    reasons = [e.get("reason", "") for e in error.get("errors", []) if isinstance(e, dict)]
    reasons += [d.get("reason", "") for d in error.get("details", []) if isinstance(d, dict)]
    return error.get("code"), error.get("message", ""), [r for r in reasons if r]


def translate_status(
    source: str,
    call: str,
    status: int,
    content: bytes | str | None,
    *,
    scope: str | None,
    retry_after: str | None = None,
) -> SourceError:
    """The typed error for one failed call (plain or inside a batch)."""
    _, message, reasons = error_reasons(content)
    message = message or f"HTTP {status}"
    if status == 429 or (status == 403 and THROTTLE_REASONS.intersection(reasons)):
        return RetryableError(
            source,
            call,
            f"throttled ({status} {', '.join(reasons) or message})",
            retry_after=parse_retry_after(retry_after),
            throttled=True,
        )
    if status >= 500:
        return RetryableError(
            source,
            call,
            f"server error {status}: {message}",
            retry_after=parse_retry_after(retry_after),
        )
    if status == 401:
        return AuthError(
            source,
            call,
            f"access token refused (401): {message}",
            hint="check the service account key and that the subject is an active admin",
        )
    if status == 403:
        scope_missing = bool(SCOPE_REASONS.intersection(reasons)) or "scope" in message.lower()
        if scope_missing:
            what = f"needs scope {scope}" if scope else "permission denied"
            return PermissionDenied(
                source,
                call,
                f"{what} ({message})",
                permission=scope,
                hint=f"grant {scope} to the service account's client id in {DELEGATION_PAGE}",
            )
        # Google issued the token with every scope asked for (it refuses the whole token
        # otherwise), so a plain 403 "forbidden" is the admin the service account acts as
        # lacking an admin privilege, not a missing scope.
        privilege = privilege_for(call)
        return PermissionDenied(
            source,
            call,
            f"the admin the service account acts as (subject) may not {privilege} "
            f"(Google: 403 {', '.join(reasons) or 'forbidden'}: {message})",
            permission=f"admin privilege: {privilege}",
            hint=f"give the subject an admin role that may {privilege} (Admin console > Account >"
            " Admin roles), or make the subject a super admin",
        )
    return SourceError(source, call, f"HTTP {status}: {message}")


# What each call needs the subject to be allowed to do, in the Admin console's words.
PRIVILEGES = {
    "users.list": "read users",
    "users.get": "read users",
    "users.update": "update users (suspend them)",
    "users.signOut": "manage users' security settings (sign them out)",
    "tokens": "manage users' security settings (their OAuth tokens)",
    "groups.list": "read groups",
    "members": "read and update group members",
    "roles.list": "read admin roles",
    "roleAssignments.list": "read admin roles",
    "orgunits.list": "read organizational units",
    "drives.list": "manage shared drives",
    "permissions": "manage shared drives",
    "matters": "view Vault matters (View All Matters)",
    "holds": "view Vault matters (View All Matters)",
}


def privilege_for(call: str) -> str:
    """``users.list`` -> "read users": what the admin privilege a call needs lets one do."""
    name = call.split(" ", 1)[0]
    return PRIVILEGES.get(name) or PRIVILEGES.get(name.split(".", 1)[0], f"call {name}")


def translate_http_error(
    source: str, call: str, exc: HttpError, *, scope: str | None
) -> SourceError:
    retry_after = exc.resp.get("retry-after") if exc.resp is not None else None
    return translate_status(
        source, call, exc.resp.status, exc.content, scope=scope, retry_after=retry_after
    )


# The token endpoint's answers for a service account acting as a subject, in words
# (https://developers.google.com/identity/protocols/oauth2/service-account#error-codes).
TOKEN_ERRORS = (
    (
        "Invalid email or User ID",
        "{subject} is not an existing user of the domain",
        "set subject to the address of an existing, active admin",
    ),
    (
        "Not a valid email",
        "{subject} is not an e-mail address",
        "set subject to an admin's e-mail address",
    ),
    (
        "Invalid JWT Signature",
        "the service account key was deleted or disabled in the Cloud console",
        "create a new JSON key for the service account and point key_file at it",
    ),
    (
        "Token must be a short-lived token",
        "this machine's clock is wrong",
        "set the clock right (NTP): Google refuses a token request from more than a few minutes off",
    ),
    (
        "invalid_client",
        "the service account of key_file does not exist (any more)",
        "check key_file: the service account may have been deleted",
    ),
)


def refresh_error_text(exc: BaseException) -> str:
    """google-auth's RefreshError carries ("error: description", response) in its args; its
    str() is that tuple. The first part is the message."""
    args = getattr(exc, "args", ())
    return args[0] if args and isinstance(args[0], str) else str(exc)


def translate_refresh_error(
    source: str, call: str, exc: Exception, scopes: tuple[str, ...], credentials: Any = None
) -> SourceError:
    """google-auth failed to get a token for the impersonated admin. Given the ``credentials``,
    a scope refusal is narrowed down to the scopes actually missing from delegation (Google
    refuses the whole token and does not say which)."""
    text = refresh_error_text(exc)
    subject = getattr(credentials, "_subject", None) or "the subject"
    where = f"{call} (token for {subject})"
    if isinstance(exc, auth_exceptions.TransportError):
        return RetryableError(source, where, f"the token endpoint could not be reached: {text}")
    if "unauthorized_client" in text:
        missing = (
            fetch_ungranted_scopes(credentials, scopes) if credentials is not None else list(scopes)
        )
        client_id = getattr(credentials, "client_id", None) or "(its client id)"
        if missing and len(missing) < len(scopes):
            what = f"domain-wide delegation does not grant {', '.join(missing)}"
        else:
            what = (
                f"domain-wide delegation grants none of the {len(scopes)} scopes asked for: the service "
                f"account's client id {client_id} may not be listed"
            )
        return PermissionDenied(
            source,
            where,
            what,
            permission=" ".join(missing or scopes),
            hint=f"in {DELEGATION_PAGE}, add {', '.join(missing or scopes)} to client id {client_id}",
        )
    for needle, meaning, fix in TOKEN_ERRORS:
        if needle in text:
            return AuthError(
                source,
                where,
                f"impersonation failed: {meaning.format(subject=subject)} (Google: {text})",
                hint=fix,
            )
    return AuthError(
        source,
        where,
        f"impersonation failed (Google: {text})",
        hint="check that key_file is current and subject is an existing, active admin",
    )


def execute_once(
    source: str,
    call: str,
    request: Any,
    *,
    scope: str | None,
    scopes: tuple[str, ...] = (),
    missing_ok: bool = False,
) -> Any:
    """Run one HttpRequest, translating every failure into a typed error. With ``missing_ok``
    a 404 returns ``MISSING`` (an action reading a membership that is already gone)."""
    try:
        return request.execute(num_retries=0)
    except HttpError as exc:
        if missing_ok and exc.resp.status == 404:
            return MISSING
        raise translate_http_error(source, call, exc, scope=scope) from None
    except (auth_exceptions.RefreshError, auth_exceptions.TransportError) as exc:
        credentials = getattr(getattr(request, "http", None), "credentials", None)
        raise translate_refresh_error(source, call, exc, scopes, credentials) from None
    except (httplib2.HttpLib2Error, socket.timeout, ConnectionError, OSError) as exc:
        raise RetryableError(source, call, f"network error: {exc}") from None


def execute(
    source: str,
    call: str,
    build_request: Callable[[], Any],
    *,
    scope: str | None,
    scopes: tuple[str, ...] = (),
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] | None = None,
    missing_ok: bool = False,
) -> Any:
    """Run a call with the one retry helper. ``build_request`` makes a fresh HttpRequest each try."""

    def once() -> Any:
        return execute_once(
            source, call, build_request(), scope=scope, scopes=scopes, missing_ok=missing_ok
        )

    if sleep is None:
        return with_retries(once, policy=policy)
    return with_retries(once, policy=policy, sleep=sleep)
