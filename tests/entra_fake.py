"""A fake Microsoft Graph tenant (and msal token endpoint) served through ``responses``.

Payload shapes follow the Graph docs (tests/fixtures/entra/). Paging and delta behaviour
follow the documented limits, with these modelled assumptions stated once here:
- list pages hold the documented default of 100 without ``$top`` and honour ``$top`` up to the
  documented maximum: 999 for directory objects ("The default and maximum page sizes are 100
  and 999", https://learn.microsoft.com/graph/api/user-list and group-list, group-list-members,
  serviceprincipal-list), 500 for users with signInActivity selected or filtered on (same
  page; 120 before July 2025). Above the maximum Graph answers 400, not a smaller page:
  "Invalid page size specified: '1000'. Must be between 1 and 999 inclusive." (Microsoft Q&A
  1129204) and, for signInActivity, "Cannot query data for more than 120 users at a time."
  (microsoftgraph/msgraph-sdk-powershell issue 1898, when the maximum was 120; the status
  and code of that one are not published: 400 Request_UnsupportedQuery assumed). Listings whose
  reference documents no ``$top`` (roleDefinitions, roleAssignments) ignore it: 100 a page;
- delta pages hold at most 200 objects and 500 member references (Microsoft Q&A answer on
  odata.maxpagesize for directory objects / links); a large group's members continue on the
  next page as the same group again (docs: delta-query-groups);
- ``$batch`` takes at most 20 requests; items answer with their own status and headers;
- v1.0 ``/groups/{id}/members`` does not list service principals — the documented known
  issue (https://learn.microsoft.com/graph/api/group-list-members); the beta endpoint (and
  its own ``$batch``) lists them. Assumed, not documented either way: v1.0 groups/delta
  leaves them out of ``members@delta`` too;
- ``signInActivity`` supports ``$filter`` (ge) on ``lastSignInDateTime`` on its own
  (https://learn.microsoft.com/graph/api/resources/user);
- role assignments carry ``directoryScopeId`` "/" or "/administrativeUnits/{id}"
  (https://learn.microsoft.com/graph/api/resources/unifiedroleassignment), and
  ``/directory/administrativeUnits`` lists the units.
Every request is counted (``requests`` per route, ``beta_requests`` for the beta endpoint,
``graph_requests``, ``token_requests``).
"""

from __future__ import annotations

import base64
import itertools
import json
import random
import re
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

import responses

GRAPH = "https://graph.microsoft.com/v1.0"
AUTHORITY_HOST = "https://login.microsoftonline.com"
TENANT_ID = "11111111-2222-3333-4444-555555555555"
USER_TYPE = "#microsoft.graph.user"
GROUP_TYPE = "#microsoft.graph.group"
SP_TYPE = "#microsoft.graph.servicePrincipal"
ALL_READ_ROLES = [
    "User.Read.All",
    "GroupMember.Read.All",
    "RoleManagement.Read.Directory",
    "Application.Read.All",
    "DelegatedPermissionGrant.Read.All",
    "AuditLog.Read.All",
    "User.EnableDisableAccount.All",
    "User.RevokeSessions.All",
    "GroupMember.ReadWrite.All",
    "AppRoleAssignment.ReadWrite.All",
    "DelegatedPermissionGrant.ReadWrite.All",
]
DELTA_MAX_OBJECTS = 200
DELTA_MAX_LINKS = 500
DEFAULT_TOP = 100
MAX_TOP = 999
MAX_TOP_WITH_SIGN_IN = 500


def make_jwt(claims: dict) -> str:
    def b64(d: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()

    return f"{b64({'alg': 'RS256', 'typ': 'JWT'})}.{b64(claims)}.c2lnbmF0dXJl"


def graph_error(status: int, code: str, message: str) -> tuple[int, dict, dict]:
    return (
        status,
        {"Content-Type": "application/json"},
        {
            "error": {
                "code": code,
                "message": message,
                "innerError": {
                    "date": "2020-08-18T12:51:51",
                    "request-id": "94fb3b52-452a-4535-a601-69e0a90e3aa2",
                },
            }
        },
    )


@dataclass
class Fault:
    """Answer requests matching ``method`` and ``path`` (regex on path+query) with ``status``
    for the next ``times`` matches. ``in_batch``: only items inside $batch (True), only
    top-level requests (False), or both (None). ``error``: raise this instead (connection)."""

    method: str
    path: str
    status: int = 500
    headers: dict = field(default_factory=dict)
    body: Any = None
    times: int = 1
    in_batch: bool | None = None
    error: Exception | None = None


class FakeTenant:
    def __init__(
        self,
        graph_url: str = GRAPH,
        authority_host: str = AUTHORITY_HOST,
        tenant_id: str = TENANT_ID,
    ):
        self.graph_url, self.authority_host, self.tenant_id = graph_url, authority_host, tenant_id
        self.beta_url = graph_url.rsplit("/", 1)[0] + "/beta"
        self.administrative_units: list[dict] = []
        self.beta_requests: Counter = Counter()
        self.users: dict[str, dict] = {}
        self.groups: dict[str, dict] = {}
        self.members: dict[str, dict[str, str]] = {}  # gid -> member id -> @odata.type
        self.role_definitions: list[dict] = []
        self.role_assignments: list[dict] = []
        self.service_principals: dict[str, dict] = {}
        self.assigned_to: dict[str, list[dict]] = {}  # resource sp id -> appRoleAssignments
        self.oauth2_grants: dict[str, dict] = {}
        self.token_roles = list(ALL_READ_ROLES)
        self.premium_licence = True
        self.denied: list[str] = []  # regexes of paths answering 403 Authorization_RequestDenied
        self.faults: list[Fault] = []
        # (method, regex on path+query, handler(target) -> (status, headers, payload)):
        # serve a documented payload verbatim in place of the generated one.
        self.overrides: list[tuple[str, str, Callable[[str], tuple[int, dict, Any]]]] = []
        self.expired_delta = False
        self.requests: Counter = Counter()
        self.graph_requests = 0
        self.token_requests = 0
        self.batch_items = 0
        self.batch_log: list[tuple[str, int]] = []  # (route, which $batch) of every batch item
        # change tracking: version increments on each change
        self.version = 0
        self.user_log: list[tuple[int, str]] = []
        self.group_log: list[tuple[int, str]] = []
        self.member_log: list[tuple[int, str, str, str, bool]] = []  # v, gid, mid, type, added
        self._rounds: dict[str, list[dict]] = {}
        self._round_ids = itertools.count(1)

    def reads(self, method: str, route: str) -> int:
        """How many times ``route`` was called, on its own or inside a $batch."""
        return sum(n for (m, r, _), n in self.requests.items() if (m, r) == (method, route))

    # -- building the tenant --------------------------------------------------------
    def add_user(self, **props: Any) -> dict:
        user = {
            "id": props.pop("id", None) or str(uuid.uuid4()),
            "accountEnabled": True,
            "onPremisesSyncEnabled": None,
            "onPremisesImmutableId": None,
            "createdDateTime": "2021-03-12T10:36:14Z",
            "employeeId": None,
            "jobTitle": None,
            "department": None,
            "mail": None,
            "displayName": "",
            "userPrincipalName": "",
        }
        user.update(props)
        self.users[user["id"]] = user
        return user

    def add_group(self, **props: Any) -> dict:
        group = {
            "id": props.pop("id", None) or str(uuid.uuid4()),
            "displayName": "",
            "mail": None,
            "groupTypes": [],
            "securityEnabled": True,
            "mailEnabled": False,
            "membershipRule": None,
            "onPremisesSyncEnabled": None,
            "createdDateTime": "2018-12-22T02:21:05Z",
        }
        group.update(props)
        self.groups[group["id"]] = group
        self.members.setdefault(group["id"], {})
        return group

    def add_member(self, gid: str, mid: str, odata_type: str = USER_TYPE) -> None:
        self.members[gid][mid] = odata_type

    # -- changes (tracked for delta) -------------------------------------------------
    def change_user(self, uid: str, **props: Any) -> None:
        self.version += 1
        self.users[uid].update(props)
        self.user_log.append((self.version, uid))

    def delete_user(self, uid: str) -> None:
        self.version += 1
        del self.users[uid]
        self.user_log.append((self.version, uid))
        for gid, ms in self.members.items():
            if ms.pop(uid, None):
                self.member_log.append((self.version, gid, uid, USER_TYPE, False))

    def new_user(self, **props: Any) -> dict:
        user = self.add_user(**props)
        self.version += 1
        self.user_log.append((self.version, user["id"]))
        return user

    def change_membership(
        self, gid: str, mid: str, added: bool, odata_type: str = USER_TYPE
    ) -> None:
        self.version += 1
        if added:
            self.members[gid][mid] = odata_type
        else:
            odata_type = self.members[gid].pop(mid, odata_type)
        self.member_log.append((self.version, gid, mid, odata_type, added))

    # -- serving ------------------------------------------------------------------------
    def install(self, rsps: responses.RequestsMock) -> None:
        authority = f"{self.authority_host}/{self.tenant_id}"
        rsps.add_callback(
            responses.GET,
            f"{authority}/v2.0/.well-known/openid-configuration",
            callback=self._openid,
        )
        rsps.add_callback(responses.POST, f"{authority}/oauth2/v2.0/token", callback=self._token)
        pattern = re.compile(
            "(" + re.escape(self.graph_url) + "|" + re.escape(self.beta_url) + r")/.*"
        )
        for method in (responses.GET, responses.POST, responses.PATCH, responses.DELETE):
            rsps.add_callback(method, pattern, callback=self._graph)

    def _openid(self, request: Any) -> tuple[int, dict, str]:
        authority = f"{self.authority_host}/{self.tenant_id}"
        return (
            200,
            {},
            json.dumps(
                {
                    "token_endpoint": f"{authority}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{authority}/oauth2/v2.0/authorize",
                    "issuer": f"{authority}/v2.0",
                }
            ),
        )

    def _token(self, request: Any) -> tuple[int, dict, str]:
        self.token_requests += 1
        token = make_jwt(
            {
                "aud": self.graph_url.rsplit("/", 1)[0],
                "tid": self.tenant_id,
                "roles": self.token_roles,
            }
        )
        return (
            200,
            {},
            json.dumps({"token_type": "Bearer", "expires_in": 3599, "access_token": token}),
        )

    def _graph(self, request: Any) -> tuple[int, dict, str]:
        self.graph_requests += 1
        body = json.loads(request.body) if request.body else None
        version = "beta" if request.url.startswith(self.beta_url + "/") else "v1.0"
        status, headers, payload = self.dispatch(
            request.method, request.url, body, in_batch=False, version=version
        )
        return status, headers, json.dumps(payload) if payload is not None else ""

    def dispatch(
        self, method: str, url: str, body: Any, *, in_batch: bool, version: str = "v1.0"
    ) -> tuple[int, dict, Any]:
        root = self.beta_url if version == "beta" else self.graph_url
        if not url.startswith("http"):
            url = root + url
        parts = urlsplit(url)
        path = parts.path[len(urlsplit(root).path) :].strip("/")
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        route = re.sub(r"[0-9a-f]{8}-[0-9a-f-]{27}", "{id}", path)
        self.requests[(method, route, in_batch)] += 1
        if in_batch:
            self.batch_log.append((route, self.requests[("POST", "$batch", False)]))
        if version == "beta":
            self.beta_requests[(method, route, in_batch)] += 1
        target = path + ("?" + parts.query if parts.query else "")
        for fault in self.faults:
            if (
                fault.times > 0
                and fault.method == method
                and re.search(fault.path, target)
                and fault.in_batch in (None, in_batch)
            ):
                fault.times -= 1
                if fault.error is not None:
                    raise fault.error
                return fault.status, dict(fault.headers), fault.body
        for o_method, o_path, handler in self.overrides:
            if o_method == method and re.search(o_path, target):
                return handler(target)
        for pattern in self.denied:
            if re.search(pattern, path):
                return graph_error(
                    403,
                    "Authorization_RequestDenied",
                    "Insufficient privileges to complete the operation.",
                )
        return self.route(method, path, query, body, version)

    def route(
        self, method: str, path: str, q: dict, body: Any, version: str = "v1.0"
    ) -> tuple[int, dict, Any]:
        seg = path.split("/")
        ok = {"Content-Type": "application/json"}
        if path == "$batch" and method == "POST":
            return 200, ok, self._batch(body, version)
        if path == "directory/administrativeUnits" and method == "GET":
            return self._page(path, self.administrative_units, q, MAX_TOP)
        if path == "users" and method == "GET":
            return self._list_users(q)
        if path == "users/delta":
            return self._delta("users", q)
        if path == "groups/delta":
            return self._delta("groups", q)
        if path == "groups" and method == "GET":
            return self._page("groups", list(self.groups.values()), q, MAX_TOP)
        if seg[0] == "users" and len(seg) >= 2:
            user = self.users.get(seg[1])
            if user is None:
                return graph_error(
                    404, "Request_ResourceNotFound", f"Resource '{seg[1]}' does not exist."
                )
            if len(seg) == 2 and method == "GET":
                return 200, ok, self._select(user, q)
            if len(seg) == 2 and method == "PATCH":
                self.change_user(seg[1], **body)
                return 204, {}, None
            if seg[2:] == ["revokeSignInSessions"] and method == "POST":
                user["_revoked"] = user.get("_revoked", 0) + 1
                return (
                    200,
                    ok,
                    {"@odata.context": f"{self.graph_url}/$metadata#Edm.Boolean", "value": True},
                )
        if seg[0] == "groups" and len(seg) >= 2:
            gid = seg[1]
            if gid not in self.groups:
                return graph_error(
                    404, "Request_ResourceNotFound", f"Resource '{gid}' does not exist."
                )
            if len(seg) == 2 and method == "GET":
                return 200, ok, self._select(self.groups[gid], q)
            if seg[2:] == ["members"] and method == "GET":
                refs = [
                    {"@odata.type": t, "id": m}
                    for m, t in self.members[gid].items()
                    if version == "beta" or t != SP_TYPE
                ]  # the v1.0 known issue
                m = re.fullmatch(r"id eq '((?:[^']|'')*)'", q.get("$filter", ""))
                if m:
                    wanted = m.group(1).replace("''", "'")
                    refs = [r for r in refs if r["id"] == wanted]
                return self._page(
                    path, refs, q, MAX_TOP, self.beta_url if version == "beta" else None
                )
            if len(seg) == 5 and seg[2] == "members" and seg[4] == "$ref" and method == "DELETE":
                if seg[3] not in self.members[gid]:
                    return graph_error(
                        404, "Request_ResourceNotFound", f"Resource '{seg[3]}' does not exist."
                    )
                self.change_membership(gid, seg[3], added=False)
                return 204, {}, None
        if path == "roleManagement/directory/roleDefinitions":
            return self._page(path, self.role_definitions, q, None)
        if path == "roleManagement/directory/roleAssignments":
            return self._page(path, self.role_assignments, q, None)
        if path == "servicePrincipals" and method == "GET":
            return self._page(path, list(self.service_principals.values()), q, MAX_TOP)
        if seg[0] == "servicePrincipals" and len(seg) == 2 and method == "GET":
            sp = self.service_principals.get(seg[1])
            if sp is None:
                return graph_error(
                    404, "Request_ResourceNotFound", f"Resource '{seg[1]}' does not exist."
                )
            return 200, ok, self._select(sp, q)
        if seg[0] == "servicePrincipals" and len(seg) >= 3:
            if seg[1] not in self.service_principals:
                return graph_error(404, "Request_ResourceNotFound", "does not exist")
            if seg[2] == "appRoleAssignedTo":
                items = self.assigned_to.get(seg[1], [])
                if len(seg) == 3:
                    return self._page(path, items, q, MAX_TOP)
                found = [a for a in items if a["id"] == seg[3]]
            elif seg[2] == "appRoleAssignments":
                items = [
                    a
                    for lst in self.assigned_to.values()
                    for a in lst
                    if a["principalId"] == seg[1]
                ]
                found = [a for a in items if len(seg) > 3 and a["id"] == seg[3]]
            else:
                found = []
            if not found:
                return graph_error(404, "Request_ResourceNotFound", "does not exist")
            if method == "GET":
                return 200, ok, found[0]
            if method == "DELETE":
                for lst in self.assigned_to.values():
                    if found[0] in lst:
                        lst.remove(found[0])
                return 204, {}, None
        if path == "oauth2PermissionGrants":
            return self._page(path, list(self.oauth2_grants.values()), q, MAX_TOP)
        if seg[0] == "oauth2PermissionGrants" and len(seg) == 2:
            grant = self.oauth2_grants.get(seg[1])
            if grant is None:
                return graph_error(404, "Request_ResourceNotFound", "does not exist")
            if method == "GET":
                return 200, ok, grant
            if method == "DELETE":
                del self.oauth2_grants[seg[1]]
                return 204, {}, None
        return graph_error(400, "BadRequest", f"fake Graph has no route {method} /{path}")

    # -- listing helpers ----------------------------------------------------------------
    def _select(self, obj: dict, q: dict) -> dict:
        if "$select" not in q:
            return {k: v for k, v in obj.items() if not k.startswith("_")}
        fields = q["$select"].split(",")
        out = {k: obj[k] for k in fields if k in obj}
        out["id"] = obj["id"]
        if "@odata.type" in obj:  # directoryObject collections always say what each item is
            out["@odata.type"] = obj["@odata.type"]
        return out

    def _list_users(self, q: dict) -> tuple[int, dict, Any]:
        if "$skiptoken" in q:  # offset~top~select~filter: the nextLink carries the query
            parts = q["$skiptoken"].split("~", 3)
            select, flt = parts[2], (parts[3] if len(parts) > 3 else "")
        else:
            select, flt = q.get("$select", ""), q.get("$filter", "")
        with_sign_in = "signInActivity" in select or "signInActivity" in flt
        if with_sign_in and not self.premium_licence:
            return graph_error(
                403,
                "Authentication_RequestFromNonPremiumTenantOrB2CTenant",
                "Neither tenant is B2C or tenant doesn't have premium license",
            )
        users = list(self.users.values())
        if flt:
            m = re.fullmatch(r"signInActivity/lastSignInDateTime ge (\S+)", flt)
            if not m:
                return graph_error(
                    400, "Request_UnsupportedQuery", f"fake Graph cannot filter {flt!r}"
                )
            # ISO 8601 UTC strings ending in Z compare in time order.
            users = [
                u
                for u in users
                if ((u.get("signInActivity") or {}).get("lastSignInDateTime") or "") >= m.group(1)
            ]
        if with_sign_in and int(q.get("$top", DEFAULT_TOP)) > MAX_TOP_WITH_SIGN_IN:
            return graph_error(
                400,
                "Request_UnsupportedQuery",
                f"Cannot query data for more than {MAX_TOP_WITH_SIGN_IN} users at a time.",
            )
        return self._page(
            "users", users, q, MAX_TOP_WITH_SIGN_IN if with_sign_in else MAX_TOP, extra_token=flt
        )

    def _page(
        self,
        path: str,
        items: list[dict],
        q: dict,
        max_top: int | None,
        root: str | None = None,
        extra_token: str = "",
    ) -> tuple[int, dict, Any]:
        """One page. ``max_top``: the documented maximum page size, or None when the reference
        documents no $top for the method (then it is ignored)."""
        root = root or self.graph_url
        if "$skiptoken" in q:
            offset, top, select = q["$skiptoken"].split("~", 3)[:3]
            offset, top = int(offset), int(top)
            q = {"$select": select} if select else {}
        elif max_top is None:
            offset, top = 0, DEFAULT_TOP
        else:
            offset, top = 0, int(q.get("$top", DEFAULT_TOP))
            if not 1 <= top <= max_top:
                return graph_error(
                    400,
                    "Request_BadRequest",
                    f"Invalid page size specified: '{top}'. "
                    f"Must be between 1 and {max_top} inclusive.",
                )
        page = [self._select(i, q) for i in items[offset : offset + top]]
        out: dict[str, Any] = {"@odata.context": f"{root}/$metadata#{path}", "value": page}
        if offset + top < len(items):
            token = f"{offset + top}~{top}~{q.get('$select', '')}" + (
                f"~{extra_token}" if extra_token else ""
            )
            out["@odata.nextLink"] = f"{root}/{path}?$skiptoken={token}"
        return 200, {"Content-Type": "application/json"}, out

    # -- delta --------------------------------------------------------------------------
    def _delta(self, kind: str, q: dict) -> tuple[int, dict, Any]:
        ok = {"Content-Type": "application/json"}
        if "$skiptoken" in q:
            round_id, index = q["$skiptoken"].split("~")
            pages = self._rounds[round_id]
            return 200, ok, pages[int(index)]
        token = q.get("$deltatoken")
        if token == "latest":  # noqa: S105 (a fake token the fake tenant hands out)
            return (
                200,
                ok,
                self._delta_page(kind, [], None, f"{self.version}~{q.get('$select', '')}"),
            )
        if token is not None:
            if self.expired_delta:
                return graph_error(
                    410,
                    "syncStateNotFound",
                    "The sync state generation is not found. Restart the sync.",
                )
            since, select = token.split("~", 1)
            objects = (
                self._user_changes(int(since), select)
                if kind == "users"
                else self._group_changes(int(since), select)
            )
        else:
            select = q.get("$select", "")
            objects = (
                [self._select(u, {"$select": select}) for u in self.users.values()]
                if kind == "users"
                else self._group_initial(select)
            )
        pages = self._split(objects)
        round_id = f"r{next(self._round_ids)}"
        final = f"{self.version}~{select}"
        built = []
        for i, chunk in enumerate(pages):
            nxt = f"{round_id}~{i + 1}" if i + 1 < len(pages) else None
            built.append(self._delta_page(kind, chunk, nxt, None if nxt else final))
        self._rounds[round_id] = built
        return 200, ok, built[0]

    def _delta_page(self, kind: str, value: list, skip: str | None, delta: str | None) -> dict:
        page: dict[str, Any] = {
            "@odata.context": f"{self.graph_url}/$metadata#{kind}",
            "value": value,
        }
        if skip:
            page["@odata.nextLink"] = f"{self.graph_url}/{kind}/delta?$skiptoken={skip}"
        else:
            page["@odata.deltaLink"] = f"{self.graph_url}/{kind}/delta?$deltatoken={delta}"
        return page

    def _split(self, objects: list[dict]) -> list[list[dict]]:
        """Pages of ≤200 objects and ≤500 member references; a group with more members
        than fit continues on the next page as the same group again."""
        pages: list[list[dict]] = [[]]
        links = 0
        for obj in objects:
            refs = obj.get("members@delta")
            rest = dict(obj)
            while True:
                if len(pages[-1]) >= DELTA_MAX_OBJECTS or (refs and links >= DELTA_MAX_LINKS):
                    pages.append([])
                    links = 0
                if refs is None:
                    pages[-1].append(rest)
                    break
                room = DELTA_MAX_LINKS - links
                part = dict(rest, **{"members@delta": refs[:room]})
                pages[-1].append(part)
                links += len(part["members@delta"])
                refs = refs[room:]
                if not refs:
                    break
                rest = {"id": obj["id"]}
        return pages

    def _user_changes(self, since: int, select: str) -> list[dict]:
        changed = dict.fromkeys(uid for v, uid in self.user_log if v > since)
        out = []
        for uid in changed:
            if uid in self.users:
                out.append(self._select(self.users[uid], {"$select": select}))
            else:
                out.append({"id": uid, "@removed": {"reason": "changed"}})
        return out

    def _group_select(self, select: str) -> str:
        return ",".join(f for f in select.split(",") if f != "members")

    def _group_initial(self, select: str) -> list[dict]:
        out = []
        for gid, group in self.groups.items():
            obj = self._select(group, {"$select": self._group_select(select)})
            refs = [
                {"@odata.type": t, "id": m} for m, t in self.members[gid].items() if t != SP_TYPE
            ]
            if refs and "members" in select.split(","):
                obj["members@delta"] = refs
            out.append(obj)
        return out

    def _group_changes(self, since: int, select: str) -> list[dict]:
        changed: dict[str, dict] = {}
        for v, gid in self.group_log:
            if v > since:
                changed[gid] = {}
        net: dict[str, dict[str, tuple[str, bool]]] = {}
        for v, gid, mid, t, added in self.member_log:
            if v > since and t != SP_TYPE:
                net.setdefault(gid, {})[mid] = (t, added)
        out = []
        for gid in dict.fromkeys(list(changed) + list(net)):
            if gid not in self.groups:
                out.append({"id": gid, "@removed": {"reason": "deleted"}})
                continue
            obj = self._select(self.groups[gid], {"$select": self._group_select(select)})
            refs = []
            for mid, (t, added) in net.get(gid, {}).items():
                ref = {"@odata.type": t, "id": mid}
                if not added:
                    ref["@removed"] = {"reason": "deleted"}
                refs.append(ref)
            if refs:
                obj["members@delta"] = refs
            out.append(obj)
        return out

    # -- $batch ---------------------------------------------------------------------------
    def _batch(self, body: dict, version: str = "v1.0") -> dict:
        reqs = body["requests"]
        if len(reqs) > 20:
            raise AssertionError("Graph rejects more than 20 requests in one $batch")
        out = []
        for r in reqs:
            self.batch_items += 1
            if r["url"].startswith("http"):
                raise AssertionError("a $batch item's url is relative to the batch's version")
            status, headers, payload = self.dispatch(
                r["method"], r["url"], r.get("body"), in_batch=True, version=version
            )
            item = {"id": r["id"], "status": status, "headers": headers}
            if payload is not None:
                item["body"] = payload
            out.append(item)
        out.reverse()  # Graph does not promise order: callers must match by id
        return {"responses": out}


# -- a district-scale tenant --------------------------------------------------------------
def district_tenant(
    users: int = 60_000,
    groups: int = 5_000,
    memberships: int = 400_000,
    apps: int = 150,
    seed: int = 7,
    user_consents: int | None = None,
) -> FakeTenant:
    """Users (80% synced from AD), groups (a few very large: all staff, all students),
    ``memberships`` direct memberships incl. some nested groups, enterprise apps with app-role
    assignments, directory role assignments, and delegated consents: 60 apps consented for
    all users or one, plus ``user_consents`` (default one user in twenty) made by users one
    by one to the apps they sign in to, as a tenant that lets users consent collects."""
    rng = random.Random(seed)  # noqa: S311 (seeded, reproducible fake data, not security)
    t = FakeTenant()

    def new_id() -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    user_ids = []
    for i in range(users):
        u = t.add_user(
            id=new_id(),
            userPrincipalName=f"u{i}@district.org",
            mail=f"u{i}@district.org",
            displayName=f"User {i}",
            employeeId=f"E{i:06d}",
            onPremisesSyncEnabled=True if i % 5 else None,
            onPremisesImmutableId=base64.b64encode(i.to_bytes(4, "big")).decode()
            if i % 5
            else None,
            signInActivity={
                "lastSignInDateTime": "2026-10-01T08:00:00Z",
                "lastNonInteractiveSignInDateTime": "2026-10-02T08:00:00Z",
            },
        )
        user_ids.append(u["id"])
    group_ids = []
    for i in range(groups):
        g = t.add_group(
            id=new_id(),
            displayName=f"Group {i}",
            groupTypes=["Unified"] if i % 10 == 0 else [],
            onPremisesSyncEnabled=True if i % 3 == 0 else None,
        )
        group_ids.append(g["id"])
    # five big groups take 10% of memberships (1000+ members: several member pages)
    big = memberships // 10
    for k in range(5):
        for uid in rng.sample(user_ids, big // 5):
            t.add_member(group_ids[k], uid)
    remaining = memberships - big
    nested = 500
    pairs: set[tuple[str, str]] = set()
    while len(pairs) < nested:
        a, b = rng.sample(group_ids[5:], 2)
        pairs.add((a, b))
    for a, b in sorted(pairs):
        t.add_member(a, b, GROUP_TYPE)
    remaining -= nested
    small = group_ids[5:]
    per = remaining // len(small)
    extra = remaining - per * len(small)
    for i, gid in enumerate(small):
        n = per + (1 if i < extra else 0)
        for uid in rng.sample(user_ids, n):
            t.add_member(gid, uid)
    # directory roles
    for name, rid in (
        ("Global Administrator", "62e90394-69f5-4237-9190-012177145e10"),
        ("User Administrator", "fe930be7-5e62-47db-91af-98c3a49a38b1"),
        ("Groups Administrator", "fdd7a751-b60b-444a-984c-02652fe8fa1c"),
    ):
        t.role_definitions.append(
            {"id": rid, "displayName": name, "isBuiltIn": True, "templateId": rid}
        )
        for uid in rng.sample(user_ids, 10):
            t.role_assignments.append(
                {
                    "id": new_id(),
                    "principalId": uid,
                    "roleDefinitionId": rid,
                    "directoryScopeId": "/",
                }
            )
    # service principals: Microsoft Graph (defines app roles = application permissions)
    graph_sp = new_id()
    t.service_principals[graph_sp] = {
        "id": graph_sp,
        "appId": "00000003-0000-0000-c000-000000000000",
        "displayName": "Microsoft Graph",
        "servicePrincipalType": "Application",
        "accountEnabled": True,
        "tags": [],
        "appOwnerOrganizationId": None,
        "appRoles": [
            {
                "id": "df021288-bdef-4463-88db-98f22de89214",
                "value": "User.Read.All",
                "displayName": "Read all users' full profiles",
                "allowedMemberTypes": ["Application"],
            }
        ],
    }
    t.assigned_to[graph_sp] = []
    for i in range(apps):
        sp = new_id()
        enterprise = i < 40
        roles = [
            {"id": new_id(), "value": v, "displayName": v, "allowedMemberTypes": ["User"]}
            for v in (("Teacher", "Admin") if enterprise else ())
        ]
        t.service_principals[sp] = {
            "id": sp,
            "appId": new_id(),
            "displayName": f"App {i}",
            "servicePrincipalType": "Application",
            "accountEnabled": True,
            "tags": ["WindowsAzureActiveDirectoryIntegratedApp"] if enterprise else [],
            "appOwnerOrganizationId": None,
            "appRoles": roles,
        }
        if enterprise:
            t.assigned_to[sp] = [
                {
                    "id": base64.urlsafe_b64encode(rng.randbytes(24)).decode().rstrip("="),
                    "appRoleId": rng.choice(roles)["id"],
                    "principalId": pid,
                    "principalType": ptype,
                    "principalDisplayName": "",
                    "resourceId": sp,
                    "resourceDisplayName": f"App {i}",
                    "createdDateTime": "2024-01-01T00:00:00Z",
                    "deletedDateTime": None,
                }
                for pid, ptype in (
                    [(u, "User") for u in rng.sample(user_ids, 30)]
                    + [(g, "Group") for g in rng.sample(group_ids, 2)]
                )
            ]
        elif i < 60:
            t.assigned_to[graph_sp].append(
                {
                    "id": base64.urlsafe_b64encode(rng.randbytes(24)).decode().rstrip("="),
                    "appRoleId": "df021288-bdef-4463-88db-98f22de89214",
                    "principalId": sp,
                    "principalType": "ServicePrincipal",
                    "resourceId": graph_sp,
                    "resourceDisplayName": "Microsoft Graph",
                    "createdDateTime": "2024-01-01T00:00:00Z",
                    "deletedDateTime": None,
                }
            )
        if 60 <= i < 120:
            gid_ = base64.urlsafe_b64encode(rng.randbytes(24)).decode().rstrip("=")
            all_p = i % 4 == 0
            t.oauth2_grants[gid_] = {
                "id": gid_,
                "clientId": sp,
                "consentType": "AllPrincipals" if all_p else "Principal",
                "principalId": None if all_p else rng.choice(user_ids),
                "resourceId": graph_sp,
                "scope": "openid profile User.Read Mail.Read",
            }
    consenting = [sp_id for sp_id in t.service_principals if sp_id != graph_sp][-20:]
    for uid in rng.sample(user_ids, users // 20 if user_consents is None else user_consents):
        gid_ = base64.urlsafe_b64encode(rng.randbytes(24)).decode().rstrip("=")
        t.oauth2_grants[gid_] = {
            "id": gid_,
            "clientId": rng.choice(consenting),
            "consentType": "Principal",
            "principalId": uid,
            "resourceId": graph_sp,
            "scope": "openid profile User.Read",
        }
    return t


# -- wiring a connector to the fake --------------------------------------------------------
SECRET_ENV = "ACCESS_REVIEW_TEST_ENTRA_SECRET"  # noqa: S105 (the name of an environment variable, not a secret)


def build_fake_connector(
    tenant: FakeTenant, name: str = "entra", sleeps: list | None = None, **settings: Any
):
    """An EntraConnector against ``tenant`` with a fresh token cache and recorded sleeps."""
    import os

    from access_review.retry import RetryPolicy
    from connectors.entra.client import clear_token_cache
    from connectors.entra.connector import build_connector

    os.environ[SECRET_ENV] = "fake-secret-value"
    clear_token_cache()
    raw = {
        "type": "entra",
        "tenant_id": tenant.tenant_id,
        "client_id": "cid-0001",
        "client_secret_env": SECRET_ENV,
        "graph_url": tenant.graph_url,
        "authority_host": tenant.authority_host,
        **settings,
    }
    recorded = sleeps if sleeps is not None else []
    return build_connector(
        name,
        raw,
        base_dir=".",
        sleep=recorded.append,
        policy=RetryPolicy(tries=4, base=0.01, cap=0.05),
    )


def small_tenant() -> FakeTenant:
    """The docs' sample objects wired into a small tenant: two users (one synced from AD),
    groups incl. a dynamic and a synced one, a nested group, an enterprise app with a role,
    an application permission and two delegated consents."""
    import pathlib

    fx = pathlib.Path(__file__).parent / "fixtures" / "entra"
    load = lambda n: json.loads((fx / n).read_text())  # noqa: E731
    t = FakeTenant()
    for u in load("users_with_sign_in.json")["value"]:
        t.add_user(**u)
    for g in load("list_groups.json")["value"]:
        t.add_group(
            **{
                k: v
                for k, v in g.items()
                if k
                in (
                    "id",
                    "displayName",
                    "mail",
                    "groupTypes",
                    "securityEnabled",
                    "mailEnabled",
                    "membershipRule",
                    "onPremisesSyncEnabled",
                    "createdDateTime",
                )
            }
        )
    dyn = t.add_group(
        id="c2f798fd-f95d-4623-8824-63aec21fffff",
        displayName="All Company",
        groupTypes=["DynamicMembership"],
        membershipRule='user.department -eq "x"',
    )
    hr = t.add_group(
        id="ec22655c-8eb2-432a-b4ea-8b8a254bffff", displayName="sg-HR", onPremisesSyncEnabled=True
    )
    golf = "45b7d2e7-b882-4a80-ba97-10b7a63b8fa4"
    t.add_member(golf, "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0")
    t.add_member(golf, "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e")
    t.add_member(golf, hr["id"], GROUP_TYPE)
    t.add_member(hr["id"], "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e")
    t.add_member(dyn["id"], "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0")
    t.role_definitions = load("role_definitions.json")["value"]
    t.role_assignments = load("role_assignments.json")["value"]
    for sp in load("service_principals.json")["value"]:
        t.service_principals[sp["id"]] = sp
    sis, graph_sp, quiz = (sp["id"] for sp in load("service_principals.json")["value"])
    t.assigned_to[sis] = load("app_role_assigned_to.json")["value"]
    t.assigned_to[graph_sp] = [
        {
            "id": "pQ1xH8fDkUaDdW5kQ3Jm1Z3c8bY9oW2f0dVq4kLs7nA",
            "deletedDateTime": None,
            "appRoleId": "df021288-bdef-4463-88db-98f22de89214",
            "createdDateTime": "2023-05-05T10:00:00Z",
            "principalDisplayName": "Quiz Maker Pro",
            "principalId": quiz,
            "principalType": "ServicePrincipal",
            "resourceDisplayName": "Microsoft Graph",
            "resourceId": graph_sp,
        }
    ]
    for g in load("oauth2_permission_grants.json")["value"]:
        t.oauth2_grants[g["id"]] = g
    return t
