"""`access-review doctor` for a Google source. Reads only.

Google refuses a whole token when any one scope asked for is missing from domain-wide
delegation (``unauthorized_client``), so each scope is checked with a token of its own:
that is the only way to name the one that is missing.
"""

from __future__ import annotations

import google_auth_httplib2
import httplib2
from google.auth import exceptions as auth_exceptions
from google.oauth2 import service_account

from access_review.errors import AccessReviewError

from access_review.connector import Check
from .client import (
    DELEGATION_PAGE,
    DRIVE_READ,
    DRIVE_WRITE,
    GROUP_MEMBER_WRITE,
    GROUP_READ,
    ORGUNIT_READ,
    ROLE_READ,
    USER_READ,
    USER_SECURITY,
    USER_WRITE,
    VAULT_READ,
    GoogleSettings,
    build_clients,
    build_credentials,
    load_key_info,
)
from .http import execute, refresh_error_text

SCOPE_PURPOSE = {
    USER_READ: "read users",
    GROUP_READ: "read groups and members",
    ROLE_READ: "read admin roles",
    ORGUNIT_READ: "read org units (org-unit-scoped roles, Vault holds on an org unit)",
    USER_SECURITY: "read OAuth tokens, sign users out and revoke tokens",
    DRIVE_READ: "read shared drives",
    VAULT_READ: "read Vault holds",
    USER_WRITE: "suspend and unsuspend users (actions)",
    GROUP_MEMBER_WRITE: "remove group members (actions)",
    DRIVE_WRITE: "remove shared-drive permissions (actions)",
}
ACTION_SCOPES = (USER_WRITE, GROUP_MEMBER_WRITE, DRIVE_WRITE)


def _token_error(
    settings: GoogleSettings, base: service_account.Credentials, scopes: tuple[str, ...]
) -> str | None:
    creds = base.with_scopes(list(scopes))  # shares the parsed key; a fresh token per scope set
    try:
        creds.refresh(google_auth_httplib2.Request(httplib2.Http(timeout=settings.timeout)))
    except auth_exceptions.RefreshError as exc:
        return refresh_error_text(exc)
    except (auth_exceptions.TransportError, httplib2.HttpLib2Error, OSError) as exc:
        return f"token endpoint unreachable: {exc}"
    return None


def run_checks(settings: GoogleSettings) -> list[Check]:
    checks: list[Check] = []
    try:
        info = load_key_info(settings)
    except AccessReviewError as exc:
        return [Check("google key file", False, str(exc), exc.hint or "")]
    checks.append(
        Check("google key file", True, f"{settings.key_file} (owner-only; {info['client_email']})")
    )

    base = build_credentials(settings, (USER_READ,))
    error = _token_error(settings, base, (USER_READ,))
    if error and "unauthorized_client" not in error:
        checks.append(
            Check(
                f"impersonate {settings.subject}",
                False,
                error,
                "check subject is an existing, active admin and the key is not revoked",
            )
        )
        return checks

    acting: service_account.Credentials | None = (
        base  # None: the action subject's token was refused
    )
    if settings.acting_subject != settings.subject:
        # Actions act as their own admin (action_subject): its tokens are checked for their scopes.
        acting = build_credentials(settings, (USER_WRITE,), settings.acting_subject)
        error = _token_error(settings, acting, (USER_WRITE,))
        if error and "unauthorized_client" not in error:
            checks.append(
                Check(
                    f"impersonate {settings.acting_subject} (actions)",
                    False,
                    error,
                    "check action_subject is an existing, active admin",
                )
            )
            acting = None
    missing_read = []
    for scope in (*settings.read_scopes(), *ACTION_SCOPES):
        token_base = acting if scope in ACTION_SCOPES else base
        if token_base is None:
            continue
        error = _token_error(settings, token_base, (scope,))
        label = f"scope {scope.rsplit('/', 1)[-1]} ({SCOPE_PURPOSE.get(scope, '')})"
        if error is None:
            checks.append(Check(label, True, "granted"))
            continue
        if scope not in ACTION_SCOPES:
            missing_read.append(scope)
        checks.append(
            Check(
                label,
                False,
                f"not granted: {error.split(':', 1)[0]}",
                f"add {scope} for client id {info.get('client_id', '?')} in {DELEGATION_PAGE}",
            )
        )

    if USER_READ not in missing_read:
        # A token is not enough: the subject must be an admin allowed to read the directory.
        try:
            clients = build_clients(settings, (USER_READ,))
            users = clients.directory.users()
            where = (
                {"domain": settings.domain} if settings.domain else {"customer": settings.customer}
            )
            execute(
                settings.source,
                "users.list",
                lambda: users.list(**where, maxResults=1, fields="users(id)"),
                scope=USER_READ,
                scopes=(USER_READ,),
            )
            checks.insert(
                1,
                Check(f"impersonate {settings.subject}", True, "token issued; users.list answered"),
            )
        except AccessReviewError as exc:
            checks.insert(
                1, Check(f"impersonate {settings.subject}", False, str(exc), exc.hint or "")
            )
    return checks
