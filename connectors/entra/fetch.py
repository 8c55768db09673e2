"""Microsoft Graph reads. Each listing pages to its end (``@odata.nextLink``) or raises.

Permissions named here are the least-privileged application permissions each call
needs (from the Graph reference pages); they name what is missing when Graph says 403.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Mapping

from access_review.errors import IncompleteRead, RetryableError

from .client import GraphClient

USER_FIELDS = ("id,userPrincipalName,mail,displayName,employeeId,accountEnabled,jobTitle,"
               "department,onPremisesSyncEnabled,onPremisesImmutableId,createdDateTime,userType")
GROUP_FIELDS = ("id,displayName,mail,groupTypes,securityEnabled,mailEnabled,"
                "membershipRule,onPremisesSyncEnabled,createdDateTime,isAssignableToRole")
MEMBER_FIELDS = "id"
SERVICE_PRINCIPAL_FIELDS = ("id,appId,displayName,appRoles,servicePrincipalType,"
                            "accountEnabled,tags,appOwnerOrganizationId")

# $top maxima: 999 for directory object lists (users, groups, members)
# https://learn.microsoft.com/graph/paging; when signInActivity is selected Graph caps
# a users page at 120 (https://learn.microsoft.com/graph/api/user-list, "signInActivity").
TOP = 999
TOP_WITH_SIGN_IN = 120

PERM_USERS = "User.Read.All"
PERM_SIGN_IN = "AuditLog.Read.All"
PERM_GROUPS = "GroupMember.Read.All"
PERM_ROLES = "RoleManagement.Read.Directory"
PERM_APPS = "Application.Read.All"
PERM_GRANTS = "DelegatedPermissionGrant.Read.All"
PERM_UNITS = "AdministrativeUnit.Read.All"


def beta_root(graph_url: str) -> str | None:
    """The beta endpoint beside the configured v1.0 one (same host, national clouds too)."""
    head, _, version = graph_url.rstrip("/").rpartition("/")
    return f"{head}/beta" if version == "v1.0" and head else None


def fetch_page_sequence(client: GraphClient, start: str, params: Mapping[str, str] | None, *,
                        permission: str, what: str = "listing") -> Iterator[dict]:
    """Every page from ``start`` along its nextLinks. A page that cannot be read after the
    first raises IncompleteRead naming the call and how far it got (never a short listing)."""
    url: str | None = start
    pages = 0
    while url:
        try:
            page = client.get_json(url, params=params, permission=permission)
        except RetryableError as exc:
            if pages == 0:
                raise
            raise IncompleteRead(client.source, client.call_name("GET", start),
                                 f"{what} stopped after {pages} page(s): {exc}") from exc
        pages += 1
        yield page
        # The nextLink already carries the whole query ($select, $top, $skiptoken).
        url, params = page.get("@odata.nextLink"), None


def fetch_pages(client: GraphClient, path: str, params: Mapping[str, str] | None, *,
                permission: str) -> Iterator[dict]:
    """Every item of a listing, page by page to the end."""
    for page in fetch_page_sequence(client, path, params, permission=permission):
        yield from page.get("value", [])


def fetch_users(client: GraphClient, *, with_sign_in: bool) -> Iterator[dict]:
    fields = USER_FIELDS + (",signInActivity" if with_sign_in else "")
    top = TOP_WITH_SIGN_IN if with_sign_in else TOP
    return fetch_pages(client, "users", {"$select": fields, "$top": str(top)},
                       permission=PERM_SIGN_IN if with_sign_in else PERM_USERS)


def fetch_groups(client: GraphClient) -> Iterator[dict]:
    return fetch_pages(client, "groups", {"$select": GROUP_FIELDS, "$top": str(TOP)},
                       permission=PERM_GROUPS)


def fetch_role_definitions(client: GraphClient) -> Iterator[dict]:
    # roleManagement/directory, not /directoryRoles: the latter lists only activated roles.
    return fetch_pages(client, "roleManagement/directory/roleDefinitions",
                       {"$select": "id,displayName,isBuiltIn,templateId"}, permission=PERM_ROLES)


def fetch_role_assignments(client: GraphClient) -> Iterator[dict]:
    return fetch_pages(client, "roleManagement/directory/roleAssignments",
                       {"$select": "id,principalId,roleDefinitionId,directoryScopeId"},
                       permission=PERM_ROLES)


def fetch_administrative_units(client: GraphClient) -> Iterator[dict]:
    """Administrative units, to name the scope of AU-scoped role assignments
    (https://learn.microsoft.com/graph/api/directory-list-administrativeunits)."""
    return fetch_pages(client, "directory/administrativeUnits", {"$select": "id,displayName"},
                       permission=PERM_UNITS)


def fetch_sign_ins_since(client: GraphClient, since: str) -> Iterator[dict]:
    """Users who signed in (interactively) since ``since``, with their signInActivity.
    signInActivity supports $filter (eq, ne, not, ge, le) on its own, and a page holds at
    most 120 users when it is selected (https://learn.microsoft.com/graph/api/user-list,
    "signInActivity"; https://learn.microsoft.com/graph/api/resources/user)."""
    return fetch_pages(client, "users", {"$filter": f"signInActivity/lastSignInDateTime ge {since}",
                                         "$select": "id,signInActivity", "$top": str(TOP_WITH_SIGN_IN)},
                       permission=PERM_SIGN_IN)


def fetch_all_sign_ins(client: GraphClient) -> Iterator[dict]:
    """Every user's signInActivity alone (an incremental sync's periodic full refresh)."""
    return fetch_pages(client, "users", {"$select": "id,signInActivity", "$top": str(TOP_WITH_SIGN_IN)},
                       permission=PERM_SIGN_IN)


def fetch_service_principals(client: GraphClient) -> Iterator[dict]:
    return fetch_pages(client, "servicePrincipals",
                       {"$select": SERVICE_PRINCIPAL_FIELDS, "$top": str(TOP)},
                       permission=PERM_APPS)


def fetch_oauth2_permission_grants(client: GraphClient) -> Iterator[dict]:
    return fetch_pages(client, "oauth2PermissionGrants", None, permission=PERM_GRANTS)


@dataclass(frozen=True)
class DeltaRound:
    """One round of a delta query: the changed objects (in order) and the next deltaLink."""

    objects: list[dict]
    delta_link: str
    pages: int


def fetch_delta_round(client: GraphClient, start: str, params: Mapping[str, str] | None, *,
                      permission: str) -> DeltaRound:
    """Follow nextLinks to the deltaLink. ``start`` is a path (initial round) or a saved
    deltaLink (replay). A 410 syncStateNotFound raises DeltaExpired (http.py)."""
    objects: list[dict] = []
    pages = 0
    last: dict = {}
    for last in fetch_page_sequence(client, start, params, permission=permission, what="delta round"):
        pages += 1
        objects.extend(last.get("value", []))
    if last.get("@odata.deltaLink"):
        return DeltaRound(objects, last["@odata.deltaLink"], pages)
    raise IncompleteRead(client.source, client.call_name("GET", start),
                         "delta page had neither nextLink nor deltaLink")


def fetch_latest_delta_link(client: GraphClient, path: str, params: Mapping[str, str], *,
                            permission: str) -> str:
    """"Sync from now": ``$deltatoken=latest`` returns no objects, only a deltaLink
    (https://learn.microsoft.com/graph/delta-query-overview#use-delta-query-to-track-changes
    — supported for users and groups). Taken *before* the full listing, so a change made
    while listing is replayed next time rather than lost."""
    round_ = fetch_delta_round(client, path, {**params, "$deltatoken": "latest"},
                               permission=permission)
    return round_.delta_link
