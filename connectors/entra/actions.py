"""Write operations. Each reads the prior state first, is idempotent, and returns both.

Entra is not the authority for objects synced from on-premises AD (onPremisesSyncEnabled):
Graph refuses to change them anyway, and the change would be overwritten by the next sync,
so they are refused here with the reason. Revoking sessions is allowed for synced users:
sessions live in Entra, not AD.
"""

from __future__ import annotations

import re
from typing import Any

from access_review.errors import PermissionDenied
from access_review.connector import Action, ActionResult

from .client import GraphClient
from .http import GraphNotFound
from .odata import object_id, odata_string, path_segment

SYNCED_REFUSAL = "synced from on-premises AD: change it in AD"
DYNAMIC_REFUSAL = (
    "dynamic group: membership comes from its rule; change the rule or the user's attributes"
)

PERM_DISABLE = "User.EnableDisableAccount.All"
PERM_REVOKE = "User.RevokeSessions.All"
PERM_MEMBERS_WRITE = "GroupMember.ReadWrite.All"
PERM_APP_ASSIGNMENTS_WRITE = "AppRoleAssignment.ReadWrite.All"
PERM_GRANTS_WRITE = "DelegatedPermissionGrant.ReadWrite.All"


def key_id(key: str) -> str:
    """The Graph id at the end of a record key (``entra:account:<id>``)."""
    return key.rsplit(":", 1)[-1]


def read_user(client: GraphClient, user_id: str) -> dict[str, Any]:
    return client.get_json(
        f"users/{object_id(user_id)}",
        params={"$select": "id,accountEnabled,onPremisesSyncEnabled"},
        permission="User.Read.All",
    )


def set_account_enabled(client: GraphClient, action: Action, enabled: bool) -> ActionResult:
    uid = key_id(action.target)
    user = read_user(client, uid)
    prior = {
        "enabled": user.get("accountEnabled") is True,
        "onPremisesSyncEnabled": bool(user.get("onPremisesSyncEnabled")),
    }
    if prior["onPremisesSyncEnabled"]:
        return ActionResult(action, "refused", prior=prior, after=prior, message=SYNCED_REFUSAL)
    if prior["enabled"] == enabled:
        return ActionResult(action, "unchanged", prior=prior, after=prior)
    try:
        client.call(
            "PATCH",
            f"users/{object_id(uid)}",
            json={"accountEnabled": enabled},
            permission=PERM_DISABLE,
        )
    except PermissionDenied as exc:
        if not app_has_permission(client, PERM_DISABLE):
            raise  # the permission really is missing: Graph's 403 and the hint say so
        # The app has it, so the user is privileged: refused (the case's other steps, such as
        # revoking the sessions, still run), with what to do by hand.
        verb = "enable" if enabled else "disable"
        return ActionResult(
            action,
            "refused",
            prior=prior,
            after=prior,
            message=f"{PRIVILEGED_USER_REFUSAL.format(verb=verb)}; next: "
            f"{PRIVILEGED_USER_HINT.format(verb=verb.capitalize())} (Graph: "
            f"{re.sub(r' [(]needs [^)]*[)]$', '', exc.detail)})",
        )
    return ActionResult(action, "changed", prior=prior, after={**prior, "enabled": enabled})


# Graph lets an app change accountEnabled of a user with an administrator role only when the app
# itself holds a higher privileged administrator role; User.EnableDisableAccount.All is not enough
# ("To update sensitive user properties, such as accountEnabled ... for users with privileged
# administrator roles ... in app-only scenarios, the app must be assigned a higher privileged
# administrator role": https://learn.microsoft.com/graph/api/user-update, and "Who can perform
# sensitive actions": https://learn.microsoft.com/graph/api/resources/users#who-can-perform-sensitive-actions).
PRIVILEGED_USER_REFUSAL = (
    "Entra refused to {verb} the account: it holds an administrator role, and Graph does not let "
    "User.EnableDisableAccount.All (which the app has) change a privileged user"
)
PRIVILEGED_USER_HINT = (
    "{verb} it by hand in the Entra admin center (Users > the user > Edit properties > Account enabled), "
    "or give the app's service principal a higher administrator role such as Privileged Authentication "
    "Administrator if it must do this"
)


def app_has_permission(client: GraphClient, permission: str) -> bool:
    """Whether the app's token carries ``permission`` (or a broader one that includes it): the
    roles claim of an app-only token lists the application permissions granted
    (https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference#payload-claims)."""
    from .doctor import IMPLIED_BY, decode_jwt_claims

    try:
        roles = set(decode_jwt_claims(client.tokens.token()).get("roles") or [])
    except PermissionDenied:
        return False
    return permission in roles or any(p in roles for p in IMPLIED_BY.get(permission, ()))


def revoke_sessions(client: GraphClient, action: Action) -> ActionResult:
    uid = key_id(action.target)
    read_user(client, uid)  # a missing user raises GraphNotFound rather than "changed"
    # https://learn.microsoft.com/graph/api/user-revokesigninsessions: invalidates refresh
    # tokens and session cookies; repeating it is harmless, so it is idempotent by nature.
    client.call("POST", f"users/{object_id(uid)}/revokeSignInSessions", permission=PERM_REVOKE)
    return ActionResult(action, "changed", prior={}, after={"sessions_revoked": True})


def remove_membership(client: GraphClient, action: Action) -> ActionResult:
    gid = key_id(action.target)
    member = action.params.get("member")
    if not member:
        return ActionResult(action, "failed", message="remove_membership needs params['member']")
    mid = object_id(key_id(str(member)))
    group = client.get_json(
        f"groups/{object_id(gid)}",
        params={"$select": "id,groupTypes,membershipRule,onPremisesSyncEnabled"},
        permission="GroupMember.Read.All",
    )
    if group.get("onPremisesSyncEnabled"):
        return ActionResult(
            action, "refused", prior={"onPremisesSyncEnabled": True}, message=SYNCED_REFUSAL
        )
    if "DynamicMembership" in (group.get("groupTypes") or []):
        return ActionResult(action, "refused", message=DYNAMIC_REFUSAL)
    found = client.get_json(
        f"groups/{object_id(gid)}/members",
        params={"$filter": f"id eq {odata_string(mid)}", "$select": "id"},
        permission="GroupMember.Read.All",
    ).get("value", [])
    prior = {"member": bool(found), "member_type": action.params.get("member_type", "account")}
    if not found:
        return ActionResult(action, "unchanged", prior=prior, after=prior)
    try:
        client.call(
            "DELETE", f"groups/{object_id(gid)}/members/{mid}/$ref", permission=PERM_MEMBERS_WRITE
        )
    except GraphNotFound:  # removed by someone else between the read and the delete
        return ActionResult(action, "unchanged", prior=prior, after={**prior, "member": False})
    return ActionResult(action, "changed", prior=prior, after={**prior, "member": False})


def remove_grant(client: GraphClient, action: Action) -> ActionResult:
    """``params``: ``kind`` (app_role | oauth | role, as Grant.kind), ``resource`` (the
    grant's resource key) and, for an application permission, ``permission_type`` =
    "application" (Grant.extra). Delegated consents are removed by grant id."""
    gid = path_segment(key_id(action.target))
    kind = action.params.get("kind")
    resource = str(action.params.get("resource", ""))
    if kind == "oauth" and action.params.get("permission_type") == "application":
        # An application permission is an app-role assignment held by the client app's
        # service principal (the oauth_app resource): remove it from that principal.
        sp_id = _resource_part(resource, "oauth_app")
        if not sp_id:
            return ActionResult(
                action, "failed", message="needs params['resource'] (oauth_app key)"
            )
        path = f"servicePrincipals/{object_id(sp_id)}/appRoleAssignments/{gid}"
        permission = PERM_APP_ASSIGNMENTS_WRITE
    elif kind == "oauth":
        path, permission = f"oauth2PermissionGrants/{gid}", PERM_GRANTS_WRITE
    elif kind == "app_role":
        sp_id = _resource_part(resource, "app_role")
        if not sp_id:
            return ActionResult(action, "failed", message="needs params['resource'] (app_role key)")
        path = f"servicePrincipals/{object_id(sp_id)}/appRoleAssignedTo/{gid}"
        permission = PERM_APP_ASSIGNMENTS_WRITE
    elif kind == "role":
        return ActionResult(
            action,
            "refused",
            message="directory admin roles are removed in the Entra admin centre "
            "(Roles and administrators), with PIM where it is used",
        )
    else:
        return ActionResult(action, "failed", message=f"unknown grant kind {kind!r}")
    try:
        prior_raw = client.get_json(path, permission=permission)
    except GraphNotFound:
        return ActionResult(action, "unchanged", prior={"exists": False}, after={"exists": False})
    prior = {
        "exists": True,
        **{
            k: prior_raw.get(k)
            for k in ("principalId", "resourceId", "appRoleId", "clientId", "consentType", "scope")
            if k in prior_raw
        },
    }
    try:
        client.call("DELETE", path, permission=permission)
    except GraphNotFound:
        return ActionResult(action, "unchanged", prior=prior, after={"exists": False})
    return ActionResult(action, "changed", prior=prior, after={"exists": False})


def _resource_part(resource_key: str, kind: str) -> str | None:
    """The service principal id in ``<source>:resource:<kind>:<sp id>[:<role id>]``."""
    parts = resource_key.split(":")
    if len(parts) >= 4 and parts[2] == kind:
        return parts[3]
    return None


def apply_action(client: GraphClient, action: Action) -> ActionResult:
    try:
        if action.kind == "disable_account":
            return set_account_enabled(client, action, False)
        if action.kind == "enable_account":
            return set_account_enabled(client, action, True)
        if action.kind == "revoke_sessions":
            return revoke_sessions(client, action)
        if action.kind == "remove_membership":
            return remove_membership(client, action)
        if action.kind == "remove_grant":
            return remove_grant(client, action)
    except PermissionDenied:
        raise
    except GraphNotFound as exc:
        return ActionResult(action, "failed", message=str(exc))
    return ActionResult(action, "refused", message=f"{action.kind} is not supported by Entra")
