"""Pure mapping of raw Google payloads into normalized records. No network here.

Vault holds have no record of their own: each hold is a Resource(kind="vault_hold") whose
extra carries the matter, the corpus and any held org unit, and each held account is a
Grant(kind="hold") from that resource to the account, so the core's hold register can
read "who is held, by which matter" from the ordinary tables. A hold on an org unit holds
every account in that org unit's subtree: it becomes one Grant per such account.

Org unit ids differ by API: the Directory API writes "id:03ph8a2z1abc", Vault and role
assignments write "03ph8a2z1abc" (``org_unit_id``).
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Iterable, Mapping

from access_review.errors import SourceError
from access_review.records import (
    Account,
    Grant,
    GrantLevel,
    Group,
    Membership,
    MemberRole,
    Resource,
    account_key,
    group_key,
)

from .client import normalize_org_unit

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)

# Drive roles (https://developers.google.com/workspace/drive/api/guides/ref-roles).
DRIVE_LEVELS: dict[str, GrantLevel] = {
    "reader": "read",
    "commenter": "read",
    "writer": "write",
    "fileOrganizer": "write",
    "organizer": "admin",
}


def parse_google_time(value: Any) -> datetime | None:
    """RFC 3339 as the API returns it; also the epoch-millisecond strings some documented
    samples show ("1336509883546"). The 1970 epoch is Google's "never signed in"."""
    if value in (None, ""):
        return None
    text = str(value).strip()
    if text.isdigit():
        when = datetime.fromtimestamp(int(text) / 1000, tz=timezone.utc)
    else:
        try:
            when = datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=timezone.utc)
    return None if when <= EPOCH else when


def is_under(org_unit: str, parents: Iterable[str]) -> bool:
    return any(p == "/" or org_unit == p or org_unit.startswith(p + "/") for p in parents)


def employee_id_of(user: Mapping[str, Any]) -> str | None:
    """externalIds entry of type "organization" is the Admin console's Employee ID field."""
    for ext in user.get("externalIds") or []:
        if ext.get("type") == "organization" and ext.get("value"):
            return str(ext["value"])
    return None


def transform_user(
    source: str, user: Mapping[str, Any], student_org_units: tuple[str, ...]
) -> Account:
    # The documented users.list sample for my_customer says "username" where the API says
    # "primaryEmail"; tolerate both.
    email = user.get("primaryEmail") or user.get("username") or ""
    org_unit = normalize_org_unit(user.get("orgUnitPath") or "/")
    return Account(
        source=source,
        id=str(user["id"]),
        login=email,
        email=email or None,
        display_name=(user.get("name") or {}).get("fullName", "") or email,
        employee_id=employee_id_of(user),
        enabled=not user.get("suspended", False) and not user.get("archived", False),
        last_sign_in=parse_google_time(user.get("lastLoginTime")),
        created=parse_google_time(user.get("creationTime")),
        org_unit=org_unit,
        kind="student" if is_under(org_unit, student_org_units) else "person",
        aliases=tuple(user.get("aliases") or ()),
        extra={
            "isAdmin": bool(user.get("isAdmin")),
            "isDelegatedAdmin": bool(user.get("isDelegatedAdmin")),
            "suspended": bool(user.get("suspended")),
            "archived": bool(user.get("archived")),
        },
    )


def _require_unique(source: str, call: str, records: list) -> list:
    seen: set[str] = set()
    for r in records:
        if r.key in seen:
            raise SourceError(
                source, call, f"two records share the id behind {r.key}; refusing an ambiguous read"
            )
        seen.add(r.key)
    return records


def transform_users(
    source: str, users: Iterable[Mapping[str, Any]], student_org_units: tuple[str, ...]
) -> list[Account]:
    return _require_unique(
        source, "users.list", [transform_user(source, u, student_org_units) for u in users]
    )


def transform_groups(source: str, groups: Iterable[Mapping[str, Any]]) -> list[Group]:
    return _require_unique(
        source,
        "groups.list",
        [
            Group(
                source=source,
                id=str(g["id"]),
                name=g.get("name") or g.get("email", ""),
                email=g.get("email"),
                kind="google",
                aliases=tuple(g.get("aliases") or ()),
                extra={
                    "description": g.get("description", ""),
                    "adminCreated": g.get("adminCreated"),
                },
            )
            for g in groups
        ],
    )


# members.list role: OWNER and MANAGER can add and remove members
# (https://support.google.com/a/answer/167094); both are members of the group too.
MEMBER_ROLES: dict[str, MemberRole] = {"OWNER": "owner", "MANAGER": "manager"}


def transform_memberships(
    source: str,
    members_by_group: Mapping[str, list[dict]],
    known_user_ids: set[str] | None = None,
    known_group_ids: set[str] | None = None,
) -> tuple[list[Membership], list[str]]:
    """Direct memberships (with the member's role), and notes for members that are not a
    user or a group.

    A CUSTOMER member means "everyone in the organization"; it is kept as a foreign member
    (``<source>:customer:<id>``) so that the graph and the reviewer see it, never dropped.
    A USER or GROUP outside the domain (a personal account, another organization's group)
    has an id users.list / groups.list never return; with ``known_user_ids`` /
    ``known_group_ids`` it becomes ``<source>:external:<email>``, keeping its address.
    """
    memberships: list[Membership] = []
    notes: list[str] = []
    for gid, members in members_by_group.items():
        gkey = group_key(source, gid)
        for m in members:
            kind = m.get("type", "USER")
            role = MEMBER_ROLES.get(str(m.get("role", "")).upper(), "member")
            known = known_group_ids if kind == "GROUP" else known_user_ids
            if kind in ("USER", "GROUP") and known is not None and m.get("id") not in known:
                ident = m.get("email") or m.get("id") or "unknown"
                memberships.append(
                    Membership(source, gkey, f"{source}:external:{ident}", "foreign", role)
                )
            elif kind == "GROUP":
                memberships.append(
                    Membership(source, gkey, group_key(source, m["id"]), "group", role)
                )
            elif kind == "USER" and m.get("id"):
                memberships.append(
                    Membership(source, gkey, account_key(source, m["id"]), "account", role)
                )
            else:
                # CUSTOMER (the whole organization), or an external member without a user id.
                ident = m.get("id") or m.get("email") or "unknown"
                memberships.append(
                    Membership(source, gkey, f"{source}:{kind.lower()}:{ident}", "foreign")
                )
                if kind == "CUSTOMER":
                    notes.append(
                        f"group {gid} has the whole organization (CUSTOMER {ident}) as a member"
                    )
    return list(dict.fromkeys(memberships)), notes


# System roles come back from roles.list under internal names; the Admin console (and so the
# inventory's "google:role:Super Admin") uses these.
SYSTEM_ROLE_NAMES = {
    "_SEED_ADMIN_ROLE": "Super Admin",
    "_GROUPS_ADMIN_ROLE": "Groups Admin",
    "_USER_MANAGEMENT_ADMIN_ROLE": "User Management Admin",
    "_HELP_DESK_ADMIN_ROLE": "Help Desk Admin",
    "_SERVICES_ADMIN_ROLE": "Services Admin",
    "_MOBILE_ADMIN_ROLE": "Mobile Admin",
}


def role_display_name(role: Mapping[str, Any]) -> str:
    raw = str(role.get("roleName") or role["roleId"])
    if role.get("isSuperAdminRole"):
        return "Super Admin"
    if raw in SYSTEM_ROLE_NAMES:
        return SYSTEM_ROLE_NAMES[raw]
    if raw.startswith("_") and raw.endswith("_ROLE"):
        return raw.strip("_").removesuffix("_ROLE").replace("_", " ").title()
    return raw


def org_unit_id(value: Any) -> str:
    """One form for an org unit id: the Directory API's orgunits write "id:03ph8a2z1abc",
    Vault's HeldOrgUnit and roleAssignments write "03ph8a2z1abc"."""
    text = str(value or "").strip()
    return text[3:] if text.startswith("id:") else text


def org_unit_paths(org_units: Iterable[Mapping[str, Any]]) -> dict[str, str]:
    """org unit id (normalized) -> path, from orgunits.list."""
    return {
        org_unit_id(o["orgUnitId"]): normalize_org_unit(o.get("orgUnitPath") or "/")
        for o in org_units
        if o.get("orgUnitId")
    }


def role_privileges(role: Mapping[str, Any]) -> tuple[str, ...]:
    """A role's privileges as "serviceId/privilegeName" (roles.list rolePrivileges)."""
    return tuple(
        f"{p.get('serviceId', '')}/{p.get('privilegeName', '')}"
        for p in role.get("rolePrivileges") or ()
    )


def transform_admin_roles(
    source: str,
    roles: Iterable[Mapping[str, Any]],
    assignments: Iterable[Mapping[str, Any]],
    group_ids: set[str],
    ou_paths: Mapping[str, str] | None = None,
) -> tuple[list[Resource], list[Grant]]:
    """Admin roles are privileged resources; each role assignment is a grant at level admin.

    An assignment with scopeType ORG_UNIT holds the role only over that org unit: it is a
    resource of its own, with the org unit's path as its scope, so it is a different
    finding from the same role over the whole organization
    (https://developers.google.com/workspace/admin/directory/reference/rest/v1/roleAssignments)."""
    ou_paths = ou_paths or {}
    base = {
        str(r["roleId"]): Resource(
            source=source,
            id=f"role:{r['roleId']}",
            name=role_display_name(r),
            kind="admin_role",
            privileged=True,
            privileges=role_privileges(r),
            extra={
                "roleName": r.get("roleName", ""),
                "isSuperAdminRole": bool(r.get("isSuperAdminRole")),
                "isSystemRole": bool(r.get("isSystemRole")),
                "description": r.get("roleDescription", ""),
            },
        )
        for r in roles
    }
    resources = dict(base)
    grants = []
    for a in assignments:
        role_id = str(a["roleId"])
        if role_id not in base:  # a role the roles listing did not return: keep it visible
            base[role_id] = resources[role_id] = Resource(
                source, f"role:{role_id}", f"role {role_id}", "admin_role", True
            )
        key = role_id
        if str(a.get("scopeType", "")).upper() == "ORG_UNIT":
            ou = org_unit_id(a.get("orgUnitId"))
            key = f"{role_id}@ou:{ou}"
            if key not in resources:
                role = base[role_id]
                resources[key] = Resource(
                    source,
                    f"role:{key}",
                    role.name,
                    "admin_role",
                    True,
                    scope=f"org unit {ou_paths.get(ou, 'id ' + ou)}",
                    privileges=role.privileges,
                    extra={**role.extra, "orgUnitId": ou, "orgUnitPath": ou_paths.get(ou)},
                )
        principal = str(a["assignedTo"])
        is_group = a.get("assigneeType") == "group" or principal in group_ids
        grants.append(
            Grant(
                source=source,
                id=f"role:{a['roleAssignmentId']}",
                resource_key=resources[key].key,
                principal_key=group_key(source, principal)
                if is_group
                else account_key(source, principal),
                level="admin",
                kind="role",
                role=resources[key].name,
                extra={
                    "roleAssignmentId": str(a["roleAssignmentId"]),
                    "scopeType": a.get("scopeType", ""),
                    "orgUnitId": a.get("orgUnitId", ""),
                },
            )
        )
    return list(resources.values()), grants


def transform_oauth_tokens(
    source: str, tokens_by_user: Mapping[str, list[dict]]
) -> tuple[list[Resource], list[Grant]]:
    apps: dict[str, Resource] = {}
    grants: list[Grant] = []
    for uid, tokens in tokens_by_user.items():
        for t in tokens:
            client_id = str(t["clientId"])
            if client_id not in apps:
                apps[client_id] = Resource(
                    source=source,
                    id=f"oauth:{client_id}",
                    name=t.get("displayText") or client_id,
                    kind="oauth_app",
                    extra={
                        "client_id": client_id,
                        "nativeApp": bool(t.get("nativeApp")),
                        "anonymous": bool(t.get("anonymous")),
                    },
                )
            grants.append(
                Grant(
                    source=source,
                    id=f"oauth:{uid}:{client_id}",
                    resource_key=apps[client_id].key,
                    principal_key=account_key(source, uid),
                    level="read",
                    kind="oauth",
                    scopes=tuple(t.get("scopes") or ()),
                    extra={"client_id": client_id},
                )
            )
    return list(apps.values()), grants


def transform_shared_drives(
    source: str,
    drives: Iterable[Mapping[str, Any]],
    permissions_by_drive: Mapping[str, list[dict]],
    principal_by_email: Mapping[str, str],
) -> tuple[list[Resource], list[Grant]]:
    """A shared drive is a resource; each permission a grant. Principals are matched by e-mail
    (Drive permissions carry no Directory id); an unknown e-mail, a domain or "anyone" is kept
    as a foreign principal with the address in extra, never dropped."""
    resources, grants = [], []
    for d in drives:
        res = Resource(
            source=source,
            id=f"drive:{d['id']}",
            name=d.get("name", d["id"]),
            kind="shared_drive",
            extra={"drive_id": d["id"], "hidden": bool(d.get("hidden"))},
        )
        resources.append(res)
        for p in permissions_by_drive.get(d["id"], []):
            email = (p.get("emailAddress") or "").lower()
            kind = p.get("type", "user")
            principal = principal_by_email.get(email) if email else None
            extra: dict[str, Any] = {"drive_id": d["id"], "permission_id": p["id"], "type": kind}
            if principal is None:
                target = email or p.get("domain") or kind
                principal = f"{source}:{kind}:{target}"
                extra["unresolved"] = target
            grants.append(
                Grant(
                    source=source,
                    id=f"drive:{d['id']}:{p['id']}",
                    resource_key=res.key,
                    principal_key=principal,
                    level=DRIVE_LEVELS.get(p.get("role", ""), "read"),
                    kind="drive_permission",
                    role=p.get("role", ""),
                    extra=extra,
                )
            )
    return resources, grants


def transform_vault_holds(
    source: str,
    holds_by_matter: Mapping[str, tuple[Mapping[str, Any], list[dict]]],
    accounts: Iterable[Account] = (),
    ou_paths: Mapping[str, str] | None = None,
) -> tuple[list[Resource], list[Grant]]:
    """holds_by_matter: matter id -> (matter, holds). A hold on an org unit holds every
    account in the org unit's subtree (``ou_paths``: org unit id -> path, from orgunits.list);
    one whose org unit is not in ``ou_paths`` keeps ``extra.org_unit_path`` None, for the
    caller to report."""
    ou_paths = ou_paths or {}
    accounts = list(accounts)
    resources, grants = [], []
    for matter_id, (matter, holds) in holds_by_matter.items():
        for h in holds:
            held = [a for a in h.get("accounts") or [] if a.get("accountId")]
            org_unit = (h.get("orgUnit") or {}).get("orgUnitId")
            path = ou_paths.get(org_unit_id(org_unit)) if org_unit else None
            res = Resource(
                source=source,
                id=f"hold:{matter_id}:{h['holdId']}",
                name=f"{matter.get('name', matter_id)} / {h.get('name', h['holdId'])}",
                kind="vault_hold",
                extra={
                    "matter_id": matter_id,
                    "matter": matter.get("name", ""),
                    "matter_state": matter.get("state", ""),
                    "hold": h.get("name", ""),
                    "corpus": h.get("corpus", ""),
                    "org_unit_id": org_unit,
                    "org_unit_path": path,
                    "accounts": [a.get("email", "") for a in held],
                },
            )
            resources.append(res)
            for a in held:
                grants.append(
                    Grant(
                        source=source,
                        id=f"hold:{matter_id}:{h['holdId']}:{a['accountId']}",
                        resource_key=res.key,
                        principal_key=account_key(source, a["accountId"]),
                        level="read",
                        kind="hold",
                        extra={"email": a.get("email", ""), "holdTime": a.get("holdTime", "")},
                    )
                )
            if path is None:
                continue
            since = (h.get("orgUnit") or {}).get("holdTime", "")
            for account in accounts:
                if is_under(account.org_unit, [path]):
                    grants.append(
                        Grant(
                            source=source,
                            id=f"hold:{matter_id}:{h['holdId']}:{account.id}",
                            resource_key=res.key,
                            principal_key=account.key,
                            level="read",
                            kind="hold",
                            extra={
                                "email": account.email or "",
                                "holdTime": since,
                                "via_org_unit": path,
                            },
                        )
                    )
    return resources, grants


# The Vault privilege that lists every matter; without it matters.list returns only the
# matters the caller created or that were shared with it (Vault API overview:
# https://developers.google.com/workspace/vault/reference/rest/v1/matters). The Admin SDK does
# not publish privilege names; roles.list names it after the Vault privilege "View All
# Matters" (https://support.google.com/vault/answer/2799699), matched here by that name.
VIEW_ALL_MATTERS = "VIEW_ALL_MATTERS"


def _privilege_name(entry: str) -> str:
    return entry.rsplit("/", 1)[-1].upper().replace(" ", "_")


def vault_view_gap(
    subject: str,
    accounts: Iterable[Account],
    memberships: Iterable[Membership],
    role_resources: Iterable[Resource],
    role_grants: Iterable[Grant],
) -> str | None:
    """Why the subject's Vault view is partial, or None when it sees every matter: a super
    admin (user isAdmin, or a super admin role) or a role holding View All Matters, assigned
    to the subject or to a group it belongs to (nested groups included)."""
    wanted = subject.strip().lower()
    user = next(
        (
            a
            for a in accounts
            if wanted in {(a.email or "").lower(), a.login.lower(), *(x.lower() for x in a.aliases)}
        ),
        None,
    )
    if user is None:
        return f"the sync's subject {subject} is not among the users read, so its Vault privileges are unknown"
    if user.extra.get("isAdmin"):
        return None
    parents: dict[str, list[str]] = {}
    for m in memberships:
        parents.setdefault(m.member_key, []).append(m.group_key)
    principals, stack = {user.key}, [user.key]
    while stack:
        for group in parents.get(stack.pop(), ()):
            if group not in principals:
                principals.add(group)
                stack.append(group)
    roles = {r.key: r for r in role_resources}
    for g in role_grants:
        role = roles.get(g.resource_key)
        if g.principal_key not in principals or role is None or role.scope:
            continue
        if role.extra.get("isSuperAdminRole") or any(
            _privilege_name(p) == VIEW_ALL_MATTERS for p in role.privileges
        ):
            return None
    return (
        f"the sync's subject {subject} lacks the Vault privilege View All Matters: only matters "
        "shared with it are listed, so holds may be missing"
    )


def email_index(accounts: Iterable[Account], groups: Iterable[Group]) -> dict[str, str]:
    """Lower-cased primary e-mail and aliases -> record key."""
    index: dict[str, str] = {}
    for a in accounts:
        for addr in (a.email, *a.aliases):
            if addr:
                index.setdefault(addr.lower(), a.key)
    for g in groups:
        for addr in (g.email, *g.aliases):
            if addr:
                index.setdefault(addr.lower(), g.key)
    return index
