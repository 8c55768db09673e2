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

from access_review.errors import (AuthError, PermissionDenied, RetryableError, SourceError)
from access_review.retry import DEFAULT_POLICY, RetryPolicy, parse_retry_after, with_retries

from .client import DELEGATION_PAGE

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


def translate_status(source: str, call: str, status: int, content: bytes | str | None,
                     *, scope: str | None, retry_after: str | None = None) -> SourceError:
    """The typed error for one failed call (plain or inside a batch)."""
    _, message, reasons = error_reasons(content)
    message = message or f"HTTP {status}"
    if status == 429 or (status == 403 and THROTTLE_REASONS.intersection(reasons)):
        return RetryableError(source, call, f"throttled ({status} {', '.join(reasons) or message})",
                              retry_after=parse_retry_after(retry_after), throttled=True)
    if status >= 500:
        return RetryableError(source, call, f"server error {status}: {message}",
                              retry_after=parse_retry_after(retry_after))
    if status == 401:
        return AuthError(source, call, f"access token refused (401): {message}",
                         hint="check the service account key and that the subject is an active admin")
    if status == 403:
        scope_missing = bool(SCOPE_REASONS.intersection(reasons)) or "scope" in message.lower()
        what = f"needs scope {scope}" if scope else "permission denied"
        if scope_missing:
            return PermissionDenied(source, call, f"{what} ({message})", permission=scope,
                                    hint=f"grant {scope} to the service account's client id in {DELEGATION_PAGE}")
        return PermissionDenied(source, call, f"forbidden: {message} ({what}; the subject must be an "
                                "admin with the privilege this call needs)", permission=scope,
                                hint=f"check the subject's admin role, and {scope} in {DELEGATION_PAGE}")
    return SourceError(source, call, f"HTTP {status}: {message}")


def translate_http_error(source: str, call: str, exc: HttpError, *, scope: str | None) -> SourceError:
    retry_after = exc.resp.get("retry-after") if exc.resp is not None else None
    return translate_status(source, call, exc.resp.status, exc.content, scope=scope, retry_after=retry_after)


def translate_refresh_error(source: str, call: str, exc: Exception, scopes: tuple[str, ...]) -> SourceError:
    """google-auth failed to get a token for the impersonated admin."""
    text = str(exc)
    if isinstance(exc, auth_exceptions.TransportError):
        return RetryableError(source, f"{call} (token)", f"token endpoint unreachable: {text}")
    if "unauthorized_client" in text:
        # Google refuses the whole token when any requested scope is missing from delegation.
        return PermissionDenied(
            source, f"{call} (token)",
            f"domain-wide delegation does not grant all of: {', '.join(scopes)}",
            permission=" ".join(scopes),
            hint=f"add the scopes for the service account's client id in {DELEGATION_PAGE}; "
                 "`access-review doctor` names the missing one")
    return AuthError(source, f"{call} (token)", f"impersonation failed: {text}",
                     hint="check the key is current and the subject is an existing, active admin")


def execute_once(source: str, call: str, request: Any, *, scope: str | None,
                 scopes: tuple[str, ...] = (), missing_ok: bool = False) -> Any:
    """Run one HttpRequest, translating every failure into a typed error. With ``missing_ok``
    a 404 returns ``MISSING`` (an action reading a membership that is already gone)."""
    try:
        return request.execute(num_retries=0)
    except HttpError as exc:
        if missing_ok and exc.resp.status == 404:
            return MISSING
        raise translate_http_error(source, call, exc, scope=scope) from None
    except auth_exceptions.RefreshError as exc:
        raise translate_refresh_error(source, call, exc, scopes) from None
    except auth_exceptions.TransportError as exc:
        raise translate_refresh_error(source, call, exc, scopes) from None
    except (httplib2.HttpLib2Error, socket.timeout, ConnectionError, OSError) as exc:
        raise RetryableError(source, call, f"network error: {exc}") from None


def execute(source: str, call: str, build_request: Callable[[], Any], *, scope: str | None,
            scopes: tuple[str, ...] = (), policy: RetryPolicy = DEFAULT_POLICY,
            sleep: Callable[[float], None] | None = None, missing_ok: bool = False) -> Any:
    """Run a call with the one retry helper. ``build_request`` makes a fresh HttpRequest each try."""
    kwargs = {"sleep": sleep} if sleep is not None else {}
    return with_retries(lambda: execute_once(source, call, build_request(), scope=scope, scopes=scopes,
                                             missing_ok=missing_ok),
                        policy=policy, **kwargs)
