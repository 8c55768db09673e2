"""The fewest Graph requests a full Entra sync can make, computed from the documented limits
and the tenant's size, never from a fake's own count (bench/bench_entra.py, and the contract
test at small scale).

The limits, each with its source:
- page sizes ($top maxima): users, groups, group members, service principals, administrative
  units, app-role assignments: 999 ("The default and maximum page sizes are 100 and 999",
  https://learn.microsoft.com/graph/api/user-list, group-list, group-list-members,
  serviceprincipal-list); users with signInActivity selected: 500 ("When signInActivity is
  selected or filtered on, the maximum page size is 500", user-list). Role definitions and
  assignments document no $top (rbacapplication-list-roleassignments lists $filter, $expand,
  $select): counted at the directory default of 100 a page (https://learn.microsoft.com/graph/paging).
  Delegated consents (oauth2PermissionGrants) at 999, the directory maximum.
- $batch: at most 20 requests (https://learn.microsoft.com/graph/json-batching#batch-size-limitations),
  any GET including a page of a listing; a batch addresses one version (v1.0 or beta), and a
  listing's next page can only be asked once the previous one has answered.
- what each listing costs: every page of every listing is one batch item; a listing of k
  pages needs at least k batches of its version.
- delta token capture: the two ``$deltatoken=latest`` GETs
  (https://learn.microsoft.com/graph/delta-query-overview) are taken before users and groups
  are listed, so a change made while listing is replayed next time: one batch ahead of the
  users' first page.
- reads issue 12 added, with their documented reason: group members on the beta endpoint
  (v1.0 /groups/{id}/members leaves service principals out, a known issue whose workaround is
  beta: https://learn.microsoft.com/graph/api/group-list-members), so member listings fill
  beta's own batches; the app-role assignments of every app and API with roles (one listing
  each); the administrative units when a role is scoped to one.

So the floor is, per version, the larger of "items / 20" and "the longest chain of pages":
v1.0 = max(1 + users pages, ceil(all v1.0 items / 20)); beta = max(largest group's member
pages, ceil(member pages / 20)).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

BATCH = 20
DIRECTORY_MAX = 999
SIGN_IN_MAX = 500
DEFAULT_PAGE = 100
INTEGRATED_APP_TAG = "WindowsAzureActiveDirectoryIntegratedApp"


def pages(n: int, size: int) -> int:
    return max(1, math.ceil(n / size))


@dataclass(frozen=True)
class Floor:
    users_pages: int
    v1_items: int
    v1_requests: int
    member_pages: int
    beta_requests: int

    @property
    def requests(self) -> int:
        return self.v1_requests + self.beta_requests

    def explain(self) -> str:
        return (
            f"v1.0 max(1 delta batch + {self.users_pages} users pages, ceil({self.v1_items} items / 20)) = "
            f"{self.v1_requests}; beta ceil({self.member_pages} member pages / 20) = {self.beta_requests}"
        )


def full_sync_floor(tenant, *, with_sign_in: bool = True) -> Floor:
    """The floor of a full sync (members by $batch) of ``tenant`` (tests/entra_fake.FakeTenant)."""
    users_pages = pages(len(tenant.users), SIGN_IN_MAX if with_sign_in else DIRECTORY_MAX)
    apps = [
        sp
        for sp in tenant.service_principals.values()
        if sp.get("appRoles") or INTEGRATED_APP_TAG in (sp.get("tags") or [])
    ]
    scoped = any(
        str(a.get("directoryScopeId", "")).startswith("/administrativeUnits/")
        for a in tenant.role_assignments
    )
    v1_items = (
        2  # users and groups "latest" deltaLinks
        + users_pages
        + pages(len(tenant.groups), DIRECTORY_MAX)
        + pages(len(tenant.role_definitions), DEFAULT_PAGE)
        + pages(len(tenant.role_assignments), DEFAULT_PAGE)
        + pages(len(tenant.service_principals), DIRECTORY_MAX)
        + pages(len(tenant.oauth2_grants), DIRECTORY_MAX)
        + sum(pages(len(tenant.assigned_to.get(sp["id"], [])), DIRECTORY_MAX) for sp in apps)
        + (pages(len(tenant.administrative_units), DIRECTORY_MAX) if scoped else 0)
    )
    member_pages = [pages(len(m), DIRECTORY_MAX) for m in tenant.members.values()]
    v1 = max(1 + users_pages, math.ceil(v1_items / BATCH))
    beta = max(max(member_pages, default=0), math.ceil(sum(member_pages) / BATCH))
    return Floor(users_pages, v1_items, v1, sum(member_pages), beta)
