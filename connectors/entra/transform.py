"""Pure: raw Graph dicts in, normalized records out. "enabled" is normalized here, once.

Partial objects are allowed (delta replays carry only what changed, at least the changed
properties: https://learn.microsoft.com/graph/delta-query-overview#resource-representation-in-the-delta-query-response),
so each ``*_fields`` function maps only the properties present, and the records are built
or patched from that.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import AbstractSet, Any, Iterable, Mapping, Sequence

from access_review.records import (
    Account,
    Grant,
    GrantLevel,
    Group,
    Membership,
    MemberType,
    Resource,
    account_key,
    contact_key,
    group_key,
)

USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"
SERVICE_PRINCIPAL_TYPE = "#microsoft.graph.servicePrincipal"
ORG_CONTACT_TYPE = "#microsoft.graph.orgContact"
# The app role id Graph uses for "default access" when an app defines no roles.
DEFAULT_ACCESS_ROLE_ID = "00000000-0000-0000-0000-000000000000"


def parse_graph_datetime(value: Any) -> datetime | None:
    """Graph timestamps are ISO 8601 UTC with ``Z`` (``2021-03-12T10:36:14Z``)."""
    if not value:
        return None
    text = str(value).replace("Z", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def sign_in_time(activity: Mapping[str, Any] | None) -> datetime | None:
    """The latest of interactive, non-interactive and successful sign-in times."""
    if not activity:
        return None
    parsed = [
        parse_graph_datetime(activity.get(k))
        for k in (
            "lastSignInDateTime",
            "lastNonInteractiveSignInDateTime",
            "lastSuccessfulSignInDateTime",
        )
    ]
    times = [t for t in parsed if t is not None]
    return max(times) if times else None


def user_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    """Account fields for the properties present in ``raw`` (extra is merged by the caller)."""
    fields: dict[str, Any] = {}
    if "userPrincipalName" in raw:
        fields["login"] = raw["userPrincipalName"] or ""
        fields["upn"] = raw["userPrincipalName"] or None
    if "userType" in raw:
        # "Guest": an invited external person (B2B); "Member": the tenant's own
        # (https://learn.microsoft.com/graph/api/resources/user, userType).
        fields["guest"] = raw["userType"] == "Guest"
    if "mail" in raw:
        fields["email"] = raw["mail"] or None
    if "displayName" in raw:
        fields["display_name"] = raw["displayName"] or ""
    if "employeeId" in raw:
        fields["employee_id"] = raw["employeeId"] or None
    if "accountEnabled" in raw:
        # Missing/null accountEnabled is not "enabled": the tool must not assume access.
        fields["enabled"] = raw["accountEnabled"] is True
    if "jobTitle" in raw:
        fields["title"] = raw["jobTitle"] or ""
    if "department" in raw:
        fields["department"] = raw["department"] or ""
    if "createdDateTime" in raw:
        fields["created"] = parse_graph_datetime(raw["createdDateTime"])
    if "onPremisesSyncEnabled" in raw:
        fields["authority"] = "ad" if raw["onPremisesSyncEnabled"] else None
    if "signInActivity" in raw:
        fields["last_sign_in"] = sign_in_time(raw["signInActivity"])
    return fields


def user_extra(raw: Mapping[str, Any]) -> dict[str, Any]:
    extra: dict[str, Any] = {}
    if "onPremisesImmutableId" in raw:
        extra["onPremisesImmutableId"] = raw["onPremisesImmutableId"]
    if raw.get("signInActivity"):
        extra["signInActivity"] = dict(raw["signInActivity"])
    return extra


def transform_user(raw: Mapping[str, Any], source: str) -> Account:
    # Kind is a first guess ("person"); access_review's classifier refines it from the
    # [classify] rules (student domains/OUs, service patterns).
    base = Account(source=source, id=raw["id"], login="", enabled=False, kind="person")
    return replace(base, **user_fields(raw), extra=user_extra(raw))


def patch_user(account: Account, raw: Mapping[str, Any]) -> Account:
    return replace(account, **user_fields(raw), extra={**account.extra, **user_extra(raw)})


def transform_users(raws: Iterable[Mapping[str, Any]], source: str) -> list[Account]:
    return [transform_user(u, source) for u in raws]


def group_kind(raw: Mapping[str, Any]) -> str:
    """dynamic (membershipRule / DynamicMembership), m365 (Unified), security, distribution."""
    types = raw.get("groupTypes") or []
    if "DynamicMembership" in types or raw.get("membershipRule"):
        return "dynamic"
    if "Unified" in types:
        return "m365"
    if raw.get("securityEnabled") is False and raw.get("mailEnabled"):
        return "distribution"
    return "security"


def group_fields(raw: Mapping[str, Any]) -> dict[str, Any]:
    fields: dict[str, Any] = {}
    if "displayName" in raw:
        fields["name"] = raw["displayName"] or ""
    if "mail" in raw:
        fields["email"] = raw["mail"] or None
    if any(k in raw for k in ("groupTypes", "membershipRule", "securityEnabled", "mailEnabled")):
        fields["kind"] = group_kind(raw)
    if "onPremisesSyncEnabled" in raw:
        fields["authority"] = "ad" if raw["onPremisesSyncEnabled"] else None
    if "isAssignableToRole" in raw:
        # Role-assignable groups can hold directory roles; only Privileged Role
        # Administrators change their members (https://learn.microsoft.com/entra/identity/role-based-access-control/groups-concept).
        fields["role_assignable"] = raw["isAssignableToRole"] is True
    return fields


def group_extra(raw: Mapping[str, Any]) -> dict[str, Any]:
    extra = {
        k: raw[k]
        for k in ("groupTypes", "membershipRule", "securityEnabled", "mailEnabled")
        if k in raw
    }
    if "Unified" in (raw.get("groupTypes") or []) and group_kind(raw) == "dynamic":
        extra["m365"] = True
    return extra


def transform_group(raw: Mapping[str, Any], source: str) -> Group:
    return replace(
        Group(source=source, id=raw["id"], name=""), **group_fields(raw), extra=group_extra(raw)
    )


def patch_group(group: Group, raw: Mapping[str, Any]) -> Group:
    return replace(group, **group_fields(raw), extra={**group.extra, **group_extra(raw)})


def member_ref(source: str, raw: Mapping[str, Any]) -> tuple[str, MemberType]:
    """(member key, member type) of a directoryObject reference by its @odata.type.

    A service principal is an account (an app signing in as itself: in a group it holds the
    group's access, and a role makes it privileged); an org contact is a contact (mail only);
    devices and anything else are "foreign" members."""
    kind = raw.get("@odata.type", USER_TYPE)
    if kind in (USER_TYPE, SERVICE_PRINCIPAL_TYPE):
        return account_key(source, raw["id"]), "account"
    if kind == GROUP_TYPE:
        return group_key(source, raw["id"]), "group"
    if kind == ORG_CONTACT_TYPE:
        return contact_key(source, raw["id"]), "contact"
    short = kind.rsplit(".", 1)[-1]
    return f"{source}:{short}:{raw['id']}", "foreign"


def transform_service_principal_accounts(
    service_principals: Iterable[Mapping[str, Any]], wanted: set[str], source: str
) -> list[Account]:
    """Accounts for the service principals that are group members or directory-role
    holders (``wanted``): the graph counts them as access holders like any account."""
    out = []
    for sp in service_principals:
        if sp["id"] not in wanted:
            continue
        out.append(
            Account(
                source=source,
                id=sp["id"],
                login=sp.get("appId") or sp["id"],
                display_name=sp.get("displayName") or sp["id"],
                enabled=sp.get("accountEnabled") is True,
                kind="service",
                # A service principal has no sign-in activity on the user object.
                sign_in_known=False,
                extra={
                    "servicePrincipal": True,
                    "servicePrincipalType": sp.get("servicePrincipalType"),
                    "appId": sp.get("appId"),
                },
            )
        )
    return out


def transform_members(
    group_id: str, raws: Iterable[Mapping[str, Any]], source: str
) -> list[Membership]:
    gkey = group_key(source, group_id)
    out = []
    for raw in raws:
        key, kind = member_ref(source, raw)
        out.append(Membership(source=source, group_key=gkey, member_key=key, member_type=kind))
    return out


def service_principal_key(source: str, sp_id: str) -> str:
    """Principal key for a service principal (an app acting as itself)."""
    return f"{source}:service_principal:{sp_id}"


# Delegated consent granted by an admin for every user (consentType AllPrincipals) has
# no single principal: we use one tenant-wide principal key for it, and say so in extra.
def all_users_key(source: str) -> str:
    return f"{source}:tenant:all-users"


def principal_key_for(
    source: str,
    principal_id: str,
    principal_type: str | None,
    user_ids: set[str],
    group_ids: set[str],
    sp_accounts: AbstractSet[str] = frozenset(),
) -> str:
    if principal_type == "User" or (principal_type is None and principal_id in user_ids):
        return account_key(source, principal_id)
    if principal_type == "Group" or (principal_type is None and principal_id in group_ids):
        return group_key(source, principal_id)
    if principal_id in sp_accounts:
        return account_key(source, principal_id)
    return service_principal_key(source, principal_id)


AU_PREFIX = "/administrativeUnits/"


def role_scope(scope_id: str, unit_names: Mapping[str, str]) -> str:
    """A role assignment's directoryScopeId in words: "" for "/" (the whole tenant),
    "administrative unit 'North Schools'", or "application object <id>"
    (https://learn.microsoft.com/graph/api/resources/unifiedroleassignment, directoryScopeId)."""
    if scope_id in ("", "/"):
        return ""
    if scope_id.startswith(AU_PREFIX):
        unit = scope_id[len(AU_PREFIX) :]
        return f"administrative unit '{unit_names.get(unit, unit)}'"
    return f"application object {scope_id.strip('/')}"


def transform_role_grants(
    definitions: Iterable[Mapping[str, Any]],
    assignments: Iterable[Mapping[str, Any]],
    source: str,
    user_ids: set[str],
    group_ids: set[str],
    sp_accounts: AbstractSet[str] = frozenset(),
    unit_names: Mapping[str, str] | None = None,
) -> tuple[list[Resource], list[Grant]]:
    """Directory role assignments as privileged grants. One resource per role and scope: a
    role held tenant-wide and the same role held in an administrative unit are different
    resources (and so different findings), the scoped one saying where it applies."""
    names = {d["id"]: d.get("displayName") or d["id"] for d in definitions}
    resources: dict[tuple[str, str], Resource] = {}
    grants = []
    for a in assignments:
        role_id = a["roleDefinitionId"]
        scope_id = a.get("directoryScopeId") or "/"
        scope = role_scope(scope_id, unit_names or {})
        res = resources.setdefault(
            (role_id, scope_id),
            Resource(
                source=source,
                id=f"role:{role_id}" + ("" if not scope else f"@{scope_id}"),
                name=names.get(role_id, role_id),
                kind="admin_role",
                privileged=True,
                scope=scope,
                extra={"roleDefinitionId": role_id, "directoryScopeId": scope_id},
            ),
        )
        grants.append(
            Grant(
                source=source,
                id=a["id"],
                resource_key=res.key,
                principal_key=principal_key_for(
                    source, a["principalId"], None, user_ids, group_ids, sp_accounts
                ),
                level="admin",
                kind="role",
                role=res.name,
                extra={"directoryScopeId": scope_id},
            )
        )
    return list(resources.values()), grants


def _app_resource(source: str, sp: Mapping[str, Any]) -> Resource:
    return Resource(
        source=source,
        id=f"app:{sp['id']}",
        name=sp.get("displayName") or sp["id"],
        kind="app",
        extra={
            "client_id": sp.get("appId"),
            "appId": sp.get("appId"),
            "servicePrincipalId": sp["id"],
        },
    )


def _oauth_app_resource(source: str, sp: Mapping[str, Any] | None, sp_id: str) -> Resource:
    name = (sp or {}).get("displayName") or sp_id
    return Resource(
        source=source,
        id=f"oauth_app:{sp_id}",
        name=name,
        kind="oauth_app",
        extra={"client_id": (sp or {}).get("appId"), "servicePrincipalId": sp_id},
    )


def transform_app_grants(
    service_principals: Iterable[Mapping[str, Any]],
    assigned_to: Mapping[str, Sequence[Mapping[str, Any]]],
    source: str,
) -> tuple[list[Resource], list[Grant]]:
    """App-role assignments (``/servicePrincipals/{id}/appRoleAssignedTo``).

    To users and groups: access to an enterprise app (e.g. the SIS through SSO) →
    Resource app + Resource app_role "App/Role" + Grant kind app_role.
    To service principals: an *application permission* held by that client app →
    Resource oauth_app (the client) + Grant kind oauth with the permission as its scope.
    """
    sps = {sp["id"]: sp for sp in service_principals}
    resources: dict[str, Resource] = {}
    grants = []
    for sp_id, assignments in assigned_to.items():
        sp = sps.get(sp_id)
        if sp is None or not assignments:
            continue
        roles = {r["id"]: r for r in sp.get("appRoles") or []}
        app = _app_resource(source, sp)
        for a in assignments:
            role = roles.get(a.get("appRoleId"), {})
            role_value = (
                role.get("value")
                or role.get("displayName")
                or (
                    "Default Access"
                    if a.get("appRoleId") == DEFAULT_ACCESS_ROLE_ID
                    else str(a.get("appRoleId"))
                )
            )
            if a.get("principalType") == "ServicePrincipal":
                client = _oauth_app_resource(source, sps.get(a["principalId"]), a["principalId"])
                resources.setdefault(client.key, client)
                grants.append(
                    Grant(
                        source=source,
                        id=a["id"],
                        resource_key=client.key,
                        principal_key=service_principal_key(source, a["principalId"]),
                        level=scope_level([role_value]),
                        kind="oauth",
                        scopes=(role_value,),
                        role=role_value,
                        extra={
                            "permission_type": "application",
                            "api": app.name,
                            "api_client_id": sp.get("appId"),
                        },
                    )
                )
                continue
            resources.setdefault(app.key, app)
            role_res = Resource(
                source=source,
                id=f"app_role:{sp_id}:{a.get('appRoleId')}",
                name=f"{app.name}/{role_value}",
                kind="app_role",
                extra={
                    "app": app.name,
                    "app_resource_key": app.key,
                    "appRoleId": a.get("appRoleId"),
                },
            )
            resources.setdefault(role_res.key, role_res)
            to_group = a.get("principalType") != "User"
            principal = (
                group_key(source, a["principalId"])
                if to_group
                else account_key(source, a["principalId"])
            )
            # Assigned to a group, an app role reaches the group's direct members only:
            # "Group-based assignment requires ... nested group memberships are not
            # supported" (https://learn.microsoft.com/entra/identity/enterprise-apps/assign-user-or-group-access-portal).
            grants.append(
                Grant(
                    source=source,
                    id=a["id"],
                    resource_key=role_res.key,
                    principal_key=principal,
                    level="read",
                    kind="app_role",
                    role=role_value,
                    direct_members_only=to_group,
                    extra={"app": app.name},
                )
            )
    return list(resources.values()), grants


def scope_level(scopes: Iterable[str]) -> GrantLevel:
    """ "write" when any scope can change data (``*ReadWrite*``, ``*.Send``, ``*Manage*``)."""
    for s in scopes:
        if (
            "ReadWrite" in s
            or "Manage" in s
            or s.endswith(".Send")
            or s.endswith("FullControl.All")
        ):
            return "write"
    return "read"


def transform_oauth_grants(
    grants_raw: Iterable[Mapping[str, Any]],
    service_principals: Iterable[Mapping[str, Any]],
    source: str,
) -> tuple[list[Resource], list[Grant]]:
    """Delegated consents (oauth2PermissionGrant): the client app may act as the user
    (consentType Principal) or as any user (AllPrincipals, admin consent) with ``scope``."""
    sps = {sp["id"]: sp for sp in service_principals}
    resources: dict[str, Resource] = {}
    grants = []
    for g in grants_raw:
        scopes = tuple((g.get("scope") or "").split())
        client = _oauth_app_resource(source, sps.get(g["clientId"]), g["clientId"])
        resources.setdefault(client.key, client)
        all_users = g.get("consentType") == "AllPrincipals"
        principal = all_users_key(source) if all_users else account_key(source, g["principalId"])
        api = sps.get(g.get("resourceId"), {}).get("displayName") or g.get("resourceId")
        grants.append(
            Grant(
                source=source,
                id=g["id"],
                resource_key=client.key,
                principal_key=principal,
                level=scope_level(scopes),
                kind="oauth",
                scopes=scopes,
                extra={
                    "permission_type": "delegated",
                    "consent_type": g.get("consentType"),
                    "api": api,
                    "resourceId": g.get("resourceId"),
                },
            )
        )
    return list(resources.values()), grants
