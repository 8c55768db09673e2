"""Changes to Google Workspace, each idempotent: read the prior state, change only if needed,
return both. Write scopes are asked for here, per action, never by sync. Nothing here
deletes a user: suspension is ``users.update`` with ``suspended``.
"""

from __future__ import annotations

from typing import Any, Protocol

from access_review.connector import Action, ActionResult, ActionStatus
from access_review.errors import ActionRefused

from .batch import BatchRunner
from .client import (
    DRIVE_WRITE,
    GROUP_MEMBER_WRITE,
    USER_READ,
    USER_SECURITY,
    USER_WRITE,
    GoogleSettings,
)
from .http import MISSING, execute


class ActionContext(Protocol):
    """What an action needs of the connector: its source name and a runner with given scopes.
    (A protocol, so this module does not import ``connector.py``, which imports it.)"""

    @property
    def name(self) -> str: ...

    @property
    def settings(self) -> GoogleSettings: ...

    def runner(self, scopes: tuple[str, ...], *, subject: str | None = None) -> BatchRunner: ...


def _acting(connector: ActionContext, scopes: tuple[str, ...]) -> BatchRunner:
    """A runner acting as the admin actions act as (``action_subject``), so the sync's subject
    can stay a read-only admin."""
    return connector.runner(scopes, subject=connector.settings.acting_subject)


SUPPORTED = {
    "disable_account",
    "enable_account",
    "revoke_sessions",
    "remove_membership",
    "remove_grant",
    "revoke_oauth_token",
}
USER_STATE_FIELDS = "id,primaryEmail,suspended,suspensionReason,archived"


def _id_from_key(source: str, key: str, kind: str) -> str:
    prefix = f"{source}:{kind}:"
    if not key.startswith(prefix) or len(key) == len(prefix):
        raise ActionRefused(f"{key!r} is not a {kind} of source {source!r}")
    return key[len(prefix) :]


def refusal(connector: ActionContext, action: Action) -> str | None:
    source = connector.name
    if action.source != source:
        return f"action for source {action.source!r} sent to {source!r}"
    if action.kind not in SUPPORTED:
        return f"the Google connector does not do {action.kind}"
    try:
        _targets(source, action)
    except ActionRefused as exc:
        return str(exc)
    return None


def _targets(source: str, action: Action) -> dict[str, str]:
    kind, target, params = action.kind, action.target, action.params
    if kind in ("disable_account", "enable_account", "revoke_sessions"):
        return {"user": _id_from_key(source, target, "account")}
    if kind == "revoke_oauth_token":
        if not params.get("client_id"):
            raise ActionRefused("revoke_oauth_token needs params client_id")
        return {
            "user": _id_from_key(source, target, "account"),
            "client_id": str(params["client_id"]),
        }
    if kind == "remove_membership":
        member = str(params.get("member", ""))
        member_kind = "group" if member.startswith(f"{source}:group:") else "account"
        return {
            "group": _id_from_key(source, target, "group"),
            "member": _id_from_key(source, member, member_kind),
        }
    if kind == "remove_grant":
        grant = _id_from_key(source, target, "grant")
        parts = grant.split(":")
        if parts[0] == "drive" and len(parts) == 3:
            return {"grant": "drive", "drive": parts[1], "permission": parts[2]}
        if parts[0] == "oauth" and len(parts) >= 3:
            return {"grant": "oauth", "user": parts[1], "client_id": ":".join(parts[2:])}
        raise ActionRefused(
            f"{target}: only shared-drive permissions and OAuth tokens can be removed here; "
            "admin roles and holds are changed in the Admin console / Vault"
        )
    raise ActionRefused(f"the Google connector does not do {kind}")


def apply_action(connector: ActionContext, action: Action) -> ActionResult:
    reason = refusal(connector, action)
    if reason:
        return ActionResult(action, "refused", message=reason)
    t = _targets(connector.name, action)
    if action.kind in ("disable_account", "enable_account"):
        return _set_suspended(connector, action, t["user"], action.kind == "disable_account")
    if action.kind == "revoke_sessions":
        return _sign_out(connector, action, t["user"])
    if action.kind == "remove_membership":
        return _remove_member(connector, action, t["group"], t["member"])
    if action.kind == "revoke_oauth_token" or t.get("grant") == "oauth":
        return _revoke_token(connector, action, t["user"], t["client_id"])
    return _remove_drive_permission(connector, action, t["drive"], t["permission"])


def _call(runner: Any, call: str, build: Any, scope: str, missing_ok: bool = False) -> Any:
    return execute(
        runner.clients.settings.source,
        call,
        build,
        scope=scope,
        scopes=runner.clients.scopes,
        policy=runner.policy,
        sleep=runner.sleep,
        missing_ok=missing_ok,
    )


def _user_state(user: dict) -> dict[str, Any]:
    return {
        "suspended": bool(user.get("suspended")),
        "archived": bool(user.get("archived")),
        "enabled": not user.get("suspended") and not user.get("archived"),
        "suspensionReason": user.get("suspensionReason", ""),
        "primaryEmail": user.get("primaryEmail", ""),
    }


def _read_user(runner, users, user_id: str, scope: str):
    """The user's suspension state read before any change (MISSING if there is no such user)."""
    return _call(
        runner,
        f"users.get userKey={user_id}",
        lambda: users.get(userKey=user_id, fields=USER_STATE_FIELDS),
        scope,
        missing_ok=True,
    )


def _no_such_user(action: Action, user_id: str) -> ActionResult:
    return ActionResult(action, "failed", message=f"user {user_id} does not exist")


def _set_suspended(
    connector: ActionContext, action: Action, user_id: str, suspend: bool
) -> ActionResult:
    runner = _acting(connector, (USER_WRITE,))
    users = runner.clients.directory.users()
    user = _read_user(runner, users, user_id, USER_WRITE)
    if user is MISSING:
        return _no_such_user(action, user_id)
    prior = _user_state(user)
    if prior["suspended"] == suspend:
        return ActionResult(
            action,
            "unchanged",
            prior=prior,
            after=prior,
            message="already suspended" if suspend else "already active",
        )
    after = _call(
        runner,
        f"users.update userKey={user_id}",
        lambda: users.update(
            userKey=user_id, body={"suspended": suspend}, fields=USER_STATE_FIELDS
        ),
        USER_WRITE,
    )
    return ActionResult(action, "changed", prior=prior, after=_user_state(after))


def _sign_out(connector: ActionContext, action: Action, user_id: str) -> ActionResult:
    runner = _acting(connector, (USER_READ, USER_SECURITY))
    users = runner.clients.directory.users()
    user = _read_user(runner, users, user_id, USER_READ)
    if user is MISSING:
        return _no_such_user(action, user_id)
    # users.signOut has no readable "signed in" state; signing out twice is harmless.
    _call(
        runner,
        f"users.signOut userKey={user_id}",
        lambda: users.signOut(userKey=user_id),
        USER_SECURITY,
    )
    return ActionResult(
        action,
        "changed",
        prior=_user_state(user),
        after=_user_state(user),
        message="signed out of all web and device sessions",
    )


def _remove_member(
    connector: ActionContext, action: Action, group_id: str, member_id: str
) -> ActionResult:
    runner = _acting(connector, (GROUP_MEMBER_WRITE,))
    members = runner.clients.directory.members()
    call = f"members.get groupKey={group_id} memberKey={member_id}"
    member = _call(
        runner,
        call,
        lambda: members.get(groupKey=group_id, memberKey=member_id),
        GROUP_MEMBER_WRITE,
        missing_ok=True,
    )
    if member is MISSING:
        return ActionResult(
            action,
            "unchanged",
            prior={"member": False},
            after={"member": False},
            message="not a member",
        )
    prior = {
        "member": True,
        "role": member.get("role", ""),
        "type": member.get("type", ""),
        "email": member.get("email", ""),
        "delivery_settings": member.get("delivery_settings", ""),
    }
    gone = _call(
        runner,
        f"members.delete groupKey={group_id} memberKey={member_id}",
        lambda: members.delete(groupKey=group_id, memberKey=member_id),
        GROUP_MEMBER_WRITE,
        missing_ok=True,
    )
    status: ActionStatus = "unchanged" if gone is MISSING else "changed"
    return ActionResult(action, status, prior=prior, after={"member": False})


def _revoke_token(
    connector: ActionContext, action: Action, user_id: str, client_id: str
) -> ActionResult:
    runner = _acting(connector, (USER_SECURITY,))
    tokens = runner.clients.directory.tokens()
    token = _call(
        runner,
        f"tokens.get userKey={user_id} clientId={client_id}",
        lambda: tokens.get(userKey=user_id, clientId=client_id),
        USER_SECURITY,
        missing_ok=True,
    )
    if token is MISSING:
        return ActionResult(
            action,
            "unchanged",
            prior={"granted": False},
            after={"granted": False},
            message="no token for this app",
        )
    prior = {
        "granted": True,
        "scopes": list(token.get("scopes", [])),
        "displayText": token.get("displayText", ""),
    }
    gone = _call(
        runner,
        f"tokens.delete userKey={user_id} clientId={client_id}",
        lambda: tokens.delete(userKey=user_id, clientId=client_id),
        USER_SECURITY,
        missing_ok=True,
    )
    return ActionResult(
        action,
        "unchanged" if gone is MISSING else "changed",
        prior=prior,
        after={"granted": False},
        message="the user can grant it again unless the app is blocked in the Admin console",
    )


def _remove_drive_permission(
    connector: ActionContext, action: Action, drive_id: str, permission_id: str
) -> ActionResult:
    runner = _acting(connector, (DRIVE_WRITE,))
    permissions = runner.clients.drive.permissions()
    # A shared drive's permissions are only reachable with supportsAllDrives, and by an admin
    # who is not a member only with useDomainAdminAccess (Drive: manage shared drives as admin).
    where = {
        "fileId": drive_id,
        "permissionId": permission_id,
        "supportsAllDrives": True,
        "useDomainAdminAccess": True,
    }
    perm = _call(
        runner,
        f"permissions.get fileId={drive_id} permissionId={permission_id}",
        lambda: permissions.get(**where, fields="id,type,role,emailAddress,domain"),
        DRIVE_WRITE,
        missing_ok=True,
    )
    if perm is MISSING:
        return ActionResult(
            action,
            "unchanged",
            prior={"granted": False},
            after={"granted": False},
            message="permission already gone",
        )
    prior = {
        "granted": True,
        "role": perm.get("role", ""),
        "type": perm.get("type", ""),
        "emailAddress": perm.get("emailAddress", ""),
        "domain": perm.get("domain", ""),
    }
    gone = _call(
        runner,
        f"permissions.delete fileId={drive_id} permissionId={permission_id}",
        lambda: permissions.delete(**where),
        DRIVE_WRITE,
        missing_ok=True,
    )
    return ActionResult(
        action, "unchanged" if gone is MISSING else "changed", prior=prior, after={"granted": False}
    )
