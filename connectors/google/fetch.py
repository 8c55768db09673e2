"""Google network reads: every listing pages to its end (``nextPageToken``) or raises.

Admin SDK Directory API v1, Drive API v3 (shared drives as domain admin), Vault API v1.
Page sizes are each method's documented maximum (see the discovery documents' ``maximum``).
"""

from __future__ import annotations

from functools import partial
from typing import Any, Callable, Iterator

from access_review.errors import IncompleteRead

from .batch import BatchRunner
from .client import (
    DRIVE_READ,
    GROUP_READ,
    ORGUNIT_READ,
    ROLE_READ,
    USER_READ,
    USER_SECURITY,
    VAULT_READ,
    GoogleClients,
)
from .http import execute

# ``fields`` keeps the payload to what transform reads (partial responses:
# https://developers.google.com/workspace/admin/directory/v1/guides/performance#partial).
USER_FIELDS = (
    "nextPageToken,users(id,primaryEmail,name/fullName,suspended,archived,orgUnitPath,"
    "isAdmin,isDelegatedAdmin,lastLoginTime,creationTime,externalIds,aliases)"
)
GROUP_FIELDS = (
    "nextPageToken,groups(id,email,name,description,directMembersCount,adminCreated,aliases)"
)
MEMBER_FIELDS = "nextPageToken,members(id,email,role,type,status)"
TOKEN_FIELDS = "items(clientId,displayText,scopes,anonymous,nativeApp,userKey)"  # noqa: S105 (a Google API fields selector for OAuth tokens, not a password)
DRIVE_FIELDS = "nextPageToken,drives(id,name,createdTime,hidden)"
PERMISSION_FIELDS = (
    "nextPageToken,permissions(id,type,emailAddress,domain,role,displayName,deleted)"
)

USERS_PAGE = 500  # users.list maxResults maximum
GROUPS_PAGE = 200  # groups.list: "Max allowed value is 200"
MEMBERS_PAGE = 200  # members.list: "Max allowed value is 200"
ROLES_PAGE = 100
ROLE_ASSIGNMENTS_PAGE = 200
DRIVES_PAGE = 100  # drives.list: "values above 100 will be coerced to 100"
PERMISSIONS_PAGE = 100
VAULT_PAGE = 100
# Vault's batch path is "batch" (its discovery document); no per-batch limit is published for
# Vault, so the common ceiling of Google's batch guides (Directory: 1000) is not assumed: 100.
VAULT_BATCH_LIMIT = 100
# "matters.list: 10 matter reads", of 120 matter reads a minute per project
# (https://developers.google.com/workspace/vault/limits): a page of matters takes 10 slots.
MATTERS_LIST_COST = 10


def fetch_pages(
    runner: BatchRunner,
    call: str,
    build: Callable[[str | None], Any],
    items_field: str,
    *,
    scope: str,
    api: str = "directory",
    cost: int = 1,
) -> Iterator[dict]:
    """Yield every item of a paged listing; raises rather than stopping early. Each page takes
    ``cost`` slots of ``api``'s quota (quota.py)."""
    clients = runner.clients
    token: str | None = None
    seen: set[str] = set()
    while True:
        runner.count("api_calls")
        with runner.pacers[api].calls(cost):
            page = (
                execute(
                    clients.settings.source,
                    call,
                    partial(build, token),
                    scope=scope,
                    scopes=clients.scopes,
                    policy=runner.policy,
                    sleep=runner.sleep,
                )
                or {}
            )
        yield from page.get(items_field, []) or []
        token = page.get("nextPageToken")
        if not token:
            return
        if token in seen:
            raise IncompleteRead(
                clients.settings.source,
                call,
                "the server repeated a page token; the listing would never end",
            )
        seen.add(token)


def _customer_or_domain(clients: GoogleClients) -> dict[str, str]:
    s = clients.settings
    return {"domain": s.domain} if s.domain else {"customer": s.customer}


def fetch_users(runner: BatchRunner) -> Iterator[dict]:
    users = runner.clients.directory.users()
    where = _customer_or_domain(runner.clients)
    return fetch_pages(
        runner,
        "users.list",
        lambda t: users.list(
            **where, maxResults=USERS_PAGE, pageToken=t, fields=USER_FIELDS, projection="basic"
        ),
        "users",
        scope=USER_READ,
    )


def fetch_groups(runner: BatchRunner) -> Iterator[dict]:
    groups = runner.clients.directory.groups()
    where = _customer_or_domain(runner.clients)
    return fetch_pages(
        runner,
        "groups.list",
        lambda t: groups.list(**where, maxResults=GROUPS_PAGE, pageToken=t, fields=GROUP_FIELDS),
        "groups",
        scope=GROUP_READ,
    )


def fetch_members(runner: BatchRunner, group_ids: list[str]) -> dict[str, list[dict]]:
    """Direct members of every group, first pages batched together, then any next pages."""
    members = runner.clients.directory.members()
    first_pages = {
        gid: (
            lambda t, g=gid: members.list(
                groupKey=g, maxResults=MEMBERS_PAGE, pageToken=t, fields=MEMBER_FIELDS
            )
        )
        for gid in group_ids
    }
    return runner.run_paged(
        "directory",
        first_pages,
        call="members.list groupKey=",
        items_field="members",
        scope=GROUP_READ,
        batch_size=runner.clients.settings.batch_size,
    )


def fetch_roles(runner: BatchRunner) -> Iterator[dict]:
    roles = runner.clients.directory.roles()
    customer = runner.clients.settings.customer
    return fetch_pages(
        runner,
        "roles.list",
        lambda t: roles.list(customer=customer, maxResults=ROLES_PAGE, pageToken=t),
        "items",
        scope=ROLE_READ,
    )


def fetch_role_assignments(runner: BatchRunner) -> Iterator[dict]:
    assignments = runner.clients.directory.roleAssignments()
    customer = runner.clients.settings.customer
    return fetch_pages(
        runner,
        "roleAssignments.list",
        lambda t: assignments.list(
            customer=customer, maxResults=ROLE_ASSIGNMENTS_PAGE, pageToken=t
        ),
        "items",
        scope=ROLE_READ,
    )


def fetch_org_units(runner: BatchRunner) -> list[dict]:
    """Every org unit (type=allIncludingParent: the whole tree, root included). One
    call: orgunits.list is not paged
    (https://developers.google.com/workspace/admin/directory/reference/rest/v1/orgunits/list)."""
    clients = runner.clients
    org_units = clients.directory.orgunits()
    runner.count("api_calls")
    with runner.pacers["directory"].calls(1):
        page = (
            execute(
                clients.settings.source,
                "orgunits.list",
                lambda: org_units.list(
                    customerId=clients.settings.customer, type="allIncludingParent"
                ),
                scope=ORGUNIT_READ,
                scopes=clients.scopes,
                policy=runner.policy,
                sleep=runner.sleep,
            )
            or {}
        )
    return list(page.get("organizationUnits") or [])


def fetch_tokens(runner: BatchRunner, user_ids: list[str]) -> dict[str, list[dict]]:
    """Third-party OAuth tokens per user: one call per user, batched. tokens.list is not paged."""
    tokens = runner.clients.directory.tokens()
    first_pages = {
        uid: (lambda t, u=uid: tokens.list(userKey=u, fields=TOKEN_FIELDS)) for uid in user_ids
    }
    return runner.run_paged(
        "directory",
        first_pages,
        call="tokens.list userKey=",
        items_field="items",
        scope=USER_SECURITY,
        batch_size=runner.clients.settings.batch_size,
    )


def fetch_shared_drives(runner: BatchRunner) -> Iterator[dict]:
    drives = runner.clients.drive.drives()
    # useDomainAdminAccess: every shared drive of the domain, not only those the admin is a member of.
    return fetch_pages(
        runner,
        "drives.list",
        lambda t: drives.list(
            useDomainAdminAccess=True, pageSize=DRIVES_PAGE, pageToken=t, fields=DRIVE_FIELDS
        ),
        "drives",
        scope=DRIVE_READ,
        api="drive",
    )


def fetch_drive_permissions(runner: BatchRunner, drive_ids: list[str]) -> dict[str, list[dict]]:
    permissions = runner.clients.drive.permissions()
    first_pages = {
        did: (
            lambda t, d=did: permissions.list(
                fileId=d,
                supportsAllDrives=True,
                useDomainAdminAccess=True,
                pageSize=PERMISSIONS_PAGE,
                pageToken=t,
                fields=PERMISSION_FIELDS,
            )
        )
        for did in drive_ids
    }
    return runner.run_paged(
        "drive",
        first_pages,
        call="permissions.list fileId=",
        items_field="permissions",
        scope=DRIVE_READ,
        batch_size=runner.clients.settings.drive_batch_size,
    )


def fetch_matters(runner: BatchRunner) -> Iterator[dict]:
    matters = runner.clients.vault.matters()
    return fetch_pages(
        runner,
        "vault matters.list",
        lambda t: matters.list(pageSize=VAULT_PAGE, pageToken=t, view="BASIC"),
        "matters",
        scope=VAULT_READ,
        api="vault",
        cost=MATTERS_LIST_COST,
    )


def fetch_holds(runner: BatchRunner, matter_ids: list[str]) -> dict[str, list[dict]]:
    """Every matter's holds, the first pages of all matters in one Vault batch (then any next
    pages): not one request per matter."""
    holds = runner.clients.vault.matters().holds()
    first_pages = {
        mid: (
            lambda t, m=mid: holds.list(
                matterId=m, pageSize=VAULT_PAGE, pageToken=t, view="FULL_HOLD"
            )
        )
        for mid in matter_ids
    }
    return runner.run_paged(
        "vault",
        first_pages,
        call="vault holds.list matterId=",
        items_field="holds",
        scope=VAULT_READ,
        batch_size=VAULT_BATCH_LIMIT,
    )
