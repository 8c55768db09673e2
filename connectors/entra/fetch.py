"""What a sync reads from Microsoft Graph: each listing as a URL asking for its documented
maximum page size, with the application permission it needs. batch.py pages every one to its
end (or raises) inside $batch requests; ``fetch_page_sequence`` reads one on its own.

Permissions named here are the least-privileged application permissions each call
needs (from the Graph reference pages); they name what is missing when Graph says 403.
"""

from __future__ import annotations

from typing import Iterator, Mapping
from urllib.parse import quote, urlencode

from access_review.errors import IncompleteRead, PermissionDenied, RetryableError

from .batch import Listing
from .client import GraphClient
from .http import GraphNotFound, PremiumLicenceRequired
from .odata import object_id

USER_FIELDS = (
    "id,userPrincipalName,mail,displayName,employeeId,accountEnabled,jobTitle,"
    "department,onPremisesSyncEnabled,onPremisesImmutableId,createdDateTime,userType"
)
GROUP_FIELDS = (
    "id,displayName,mail,groupTypes,securityEnabled,mailEnabled,"
    "membershipRule,onPremisesSyncEnabled,createdDateTime,isAssignableToRole"
)
MEMBER_FIELDS = "id"
SERVICE_PRINCIPAL_FIELDS = (
    "id,appId,displayName,appRoles,servicePrincipalType,accountEnabled,tags,appOwnerOrganizationId"
)
APP_ROLE_ASSIGNMENT_FIELDS = "id,appRoleId,principalId,principalType,resourceId"

# Page sizes: each listing's documented maximum ($top). Directory objects: "The default and
# maximum page sizes are 100 and 999" (users https://learn.microsoft.com/graph/api/user-list,
# groups .../group-list, members .../group-list-members, service principals
# .../serviceprincipal-list); Graph answers a larger $top with 400 "Invalid page size
# specified: '1000'. Must be between 1 and 999 inclusive."
TOP = 999
# Users with signInActivity selected or filtered on: "the maximum page size is 500"
# (https://learn.microsoft.com/graph/api/user-list, optional query parameters; raised from
# 120 in microsoftgraph/microsoft-graph-docs-contrib PR 9591, July 2025). Above it Graph
# answers an error rather than a smaller page ("Cannot query data for more than 120 users at
# a time.", microsoftgraph/msgraph-sdk-powershell issue 1898).
TOP_WITH_SIGN_IN = 500

PERM_USERS = "User.Read.All"
PERM_SIGN_IN = "AuditLog.Read.All"
PERM_GROUPS = "GroupMember.Read.All"
PERM_ROLES = "RoleManagement.Read.Directory"
PERM_APPS = "Application.Read.All"
PERM_GRANTS = "DelegatedPermissionGrant.Read.All"
PERM_UNITS = "AdministrativeUnit.Read.All"

USERS_DELTA = "users/delta"
GROUPS_DELTA = "groups/delta"
USERS_DELTA_FIELDS = USER_FIELDS
GROUPS_DELTA_FIELDS = GROUP_FIELDS + ",members"


def beta_root(graph_url: str) -> str | None:
    """The beta endpoint beside the configured v1.0 one (same host, national clouds too)."""
    head, _, version = graph_url.rstrip("/").rpartition("/")
    return f"{head}/beta" if version == "v1.0" and head else None


def with_query(path: str, params: Mapping[str, str]) -> str:
    """``path?query`` with OData's ``$``, commas and slashes kept readable and spaces encoded:
    a $batch item's url is sent as written."""
    return f"{path}?{urlencode(params, safe='$,/:', quote_via=quote)}"


def users_listing(*, with_sign_in: bool) -> Listing:
    """Every user; with signInActivity a page holds at most 500, and a tenant without an
    Entra ID P1/P2 licence answers 403 (tolerated: the caller lists again without it)."""
    if with_sign_in:
        return Listing(
            with_query(
                "users", {"$select": USER_FIELDS + ",signInActivity", "$top": str(TOP_WITH_SIGN_IN)}
            ),
            PERM_SIGN_IN,
            tolerate=(PremiumLicenceRequired,),
        )
    return Listing(with_query("users", {"$select": USER_FIELDS, "$top": str(TOP)}), PERM_USERS)


def groups_listing() -> Listing:
    return Listing(with_query("groups", {"$select": GROUP_FIELDS, "$top": str(TOP)}), PERM_GROUPS)


def members_listing(group_id: str) -> Listing:
    """A group's direct members; a group deleted since the groups listing answers 404."""
    return Listing(
        with_query(
            f"groups/{object_id(group_id)}/members", {"$select": MEMBER_FIELDS, "$top": str(TOP)}
        ),
        PERM_GROUPS,
        tolerate=(GraphNotFound,),
    )


def role_definitions_listing() -> Listing:
    # roleManagement/directory, not /directoryRoles: the latter lists only activated roles.
    # No $top: the reference lists only $filter and $select for this method.
    return Listing(
        with_query(
            "roleManagement/directory/roleDefinitions",
            {"$select": "id,displayName,isBuiltIn,templateId"},
        ),
        PERM_ROLES,
    )


def role_assignments_listing() -> Listing:
    # No $top: "This method supports the $filter, $expand, and $select OData query parameters"
    # (https://learn.microsoft.com/graph/api/rbacapplication-list-roleassignments).
    return Listing(
        with_query(
            "roleManagement/directory/roleAssignments",
            {"$select": "id,principalId,roleDefinitionId,directoryScopeId"},
        ),
        PERM_ROLES,
    )


def administrative_units_listing() -> Listing:
    """Administrative units, to name the scope of AU-scoped role assignments
    (https://learn.microsoft.com/graph/api/directory-list-administrativeunits). Without
    AdministrativeUnit.Read.All the scopes are shown by id: tolerated, and said."""
    return Listing(
        with_query(
            "directory/administrativeUnits", {"$select": "id,displayName", "$top": str(TOP)}
        ),
        PERM_UNITS,
        tolerate=(PermissionDenied,),
    )


def service_principals_listing() -> Listing:
    return Listing(
        with_query("servicePrincipals", {"$select": SERVICE_PRINCIPAL_FIELDS, "$top": str(TOP)}),
        PERM_APPS,
    )


def app_role_assigned_to_listing(sp_id: str) -> Listing:
    """App-role assignments granted on a service principal; one deleted since the service
    principal listing answers 404."""
    return Listing(
        with_query(
            f"servicePrincipals/{object_id(sp_id)}/appRoleAssignedTo",
            {"$select": APP_ROLE_ASSIGNMENT_FIELDS, "$top": str(TOP)},
        ),
        PERM_APPS,
        tolerate=(GraphNotFound,),
    )


def oauth2_grants_listing() -> Listing:
    # Without $top a page holds the directory default of 100 grants; a district where staff
    # consent to apps one by one has thousands (https://learn.microsoft.com/graph/paging).
    return Listing(with_query("oauth2PermissionGrants", {"$top": str(TOP)}), PERM_GRANTS)


def sign_ins_since_listing(since: str) -> Listing:
    """Users who signed in (interactively) since ``since``, with their signInActivity.
    signInActivity supports $filter (eq, ne, not, ge, le) on its own
    (https://learn.microsoft.com/graph/api/resources/user)."""
    return Listing(
        with_query(
            "users",
            {
                "$filter": f"signInActivity/lastSignInDateTime ge {since}",
                "$select": "id,signInActivity",
                "$top": str(TOP_WITH_SIGN_IN),
            },
        ),
        PERM_SIGN_IN,
        tolerate=(PremiumLicenceRequired,),
    )


def all_sign_ins_listing() -> Listing:
    """Every user's signInActivity alone (an incremental sync's periodic full refresh)."""
    return Listing(
        with_query("users", {"$select": "id,signInActivity", "$top": str(TOP_WITH_SIGN_IN)}),
        PERM_SIGN_IN,
        tolerate=(PremiumLicenceRequired,),
    )


def latest_delta_listing(kind: str) -> Listing:
    """ "Sync from now": ``$deltatoken=latest`` returns no objects, only a deltaLink
    (https://learn.microsoft.com/graph/delta-query-overview#use-delta-query-to-track-changes
    — supported for users and groups). Read *before* the full listing, so a change made
    while listing is replayed next time rather than lost."""
    path, fields, perm = _delta_parts(kind)
    return Listing(with_query(path, {"$select": fields, "$deltatoken": "latest"}), perm, delta=True)


def initial_delta_listing(kind: str) -> Listing:
    """A delta round from the start: every object in its current state, then a deltaLink."""
    path, fields, perm = _delta_parts(kind)
    return Listing(with_query(path, {"$select": fields}), perm, delta=True)


def delta_replay_listing(kind: str, delta_link: str) -> Listing:
    """The changes since a saved deltaLink (a 410 raises DeltaExpired: http.py)."""
    return Listing(delta_link, _delta_parts(kind)[2], delta=True)


def _delta_parts(kind: str) -> tuple[str, str, str]:
    if kind == "users":
        return USERS_DELTA, USERS_DELTA_FIELDS, PERM_USERS
    return GROUPS_DELTA, GROUPS_DELTA_FIELDS, PERM_GROUPS


def fetch_page_sequence(
    client: GraphClient,
    start: str,
    params: Mapping[str, str] | None,
    *,
    permission: str,
    what: str = "listing",
) -> Iterator[dict]:
    """Every page from ``start`` along its nextLinks, one request each. A page that cannot
    be read after the first raises IncompleteRead naming the call and how far it got (never
    a short listing)."""
    url: str | None = start
    pages = 0
    while url:
        try:
            page = client.get_json(url, params=params, permission=permission)
        except RetryableError as exc:
            if pages == 0:
                raise
            raise IncompleteRead(
                client.source,
                client.call_name("GET", start),
                f"{what} stopped after {pages} page(s): {exc}",
            ) from exc
        pages += 1
        yield page
        # The nextLink already carries the whole query ($select, $top, $skiptoken).
        url, params = page.get("@odata.nextLink"), None


def fetch_pages(
    client: GraphClient, path: str, params: Mapping[str, str] | None, *, permission: str
) -> Iterator[dict]:
    """Every item of a listing, page by page to the end."""
    for page in fetch_page_sequence(client, path, params, permission=permission):
        yield from page.get("value", [])
