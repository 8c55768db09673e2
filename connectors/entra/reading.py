"""What one sync reads from Graph, sent together so the request count stays at the floor the
documented limits allow (bench/bench_entra.py computes that floor and measures against it).

Every listing travels in $batch requests of 20 (batch.py); a listing with many pages (users)
costs one item per batch, and everything else rides beside it:

full sync (members_via = "batch"):
  1. the "latest" deltaLinks of users and groups, the role definitions and assignments, the
     service principals and the delegated consents: one batch;
  2. users (500 a page with signInActivity, else 999) and groups (999), each once its
     deltaLink is taken (so nothing changed while listing is lost), the app-role assignments
     of each app once the service principals are read, the administrative units when a role
     is scoped to one: all in the same batches, the users' pages setting their number;
  3. every group's direct members, 20 listings per batch, on the beta endpoint: v1.0
     /groups/{id}/members leaves service principals out, a documented known issue whose
     documented workaround is beta (https://learn.microsoft.com/graph/api/group-list-members);
     a $batch takes URLs of its own version only, so these batches are beta's own.
incremental sync, and a full sync with members_via = "delta": the two delta rounds (replayed
from the saved deltaLinks, or from the start), the sign-in listing delta does not carry, and
the same grant listings, in shared batches.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Hashable, Mapping

from access_review.errors import SourceError
from access_review.connector import Progress

from . import fetch
from .batch import BatchListings, Listing, fetch_batched_listings
from .client import GraphClient
from .sign_in import LICENCE_REASON, OFF_REASON, SignInRead, SignInRefresh, now_iso

# Service principals whose app-role assignments we read: enterprise apps (the portal's
# "Enterprise applications" are the ones tagged WindowsAzureActiveDirectoryIntegratedApp)
# and any API that defines app roles (that is where application permissions are held).
INTEGRATED_APP_TAG = "WindowsAzureActiveDirectoryIntegratedApp"
AU_PREFIX = "/administrativeUnits/"


@dataclass
class GrantsRead:
    """Directory roles, apps, their app-role assignments and delegated consents, as read."""

    definitions: list[dict] = field(default_factory=list)
    assignments: list[dict] = field(default_factory=list)
    service_principals: list[dict] = field(default_factory=list)
    assigned_to: dict[str, list[dict]] = field(
        default_factory=dict
    )  # resource SP id -> assignments
    oauth2_grants: list[dict] = field(default_factory=list)
    unit_names: dict[str, str] = field(default_factory=dict)
    unit_error: SourceError | None = None


@dataclass
class FullRead:
    users: list[dict]
    sign_in: SignInRefresh
    groups: list[dict]
    members: dict[str, list[dict]]  # group id -> direct member references; vanished groups left out
    delta_links: tuple[str, str]
    grants: GrantsRead


@dataclass
class ChangesRead:
    """Two delta rounds (users, groups), the sign-in listing's answer, and the grants."""

    user_changes: list[dict]
    group_changes: list[dict]
    delta_links: tuple[str, str]
    sign_ins: list[dict] | None
    sign_in_error: SourceError | None
    grants: GrantsRead


GRANT_KEYS = ("role_definitions", "role_assignments", "service_principals", "oauth2_grants")


def grant_listings() -> dict[Hashable, Listing]:
    return {
        "role_definitions": fetch.role_definitions_listing(),
        "role_assignments": fetch.role_assignments_listing(),
        "service_principals": fetch.service_principals_listing(),
        "oauth2_grants": fetch.oauth2_grants_listing(),
    }


def grant_followups(key: Hashable, result: BatchListings) -> dict[Hashable, Listing]:
    """The listings a finished grant listing calls for: each app's app-role assignments once
    the service principals are read; the administrative units (one listing) only when a role
    is scoped to one."""
    if key == "service_principals":
        return {
            ("assigned_to", sp["id"]): fetch.app_role_assigned_to_listing(sp["id"])
            for sp in result.items[key]
            if sp.get("appRoles") or INTEGRATED_APP_TAG in (sp.get("tags") or [])
        }
    if key == "role_assignments" and any(
        str(a.get("directoryScopeId", "")).startswith(AU_PREFIX) for a in result.items[key]
    ):
        return {"administrative_units": fetch.administrative_units_listing()}
    return {}


def grants_from(result: BatchListings) -> GrantsRead:
    units = result.items.get("administrative_units", [])
    return GrantsRead(
        definitions=result.items["role_definitions"],
        assignments=result.items["role_assignments"],
        service_principals=result.items["service_principals"],
        assigned_to={
            key[1]: items
            for key, items in result.items.items()
            if isinstance(key, tuple) and key[0] == "assigned_to"
        },
        oauth2_grants=result.items["oauth2_grants"],
        unit_names={u["id"]: u.get("displayName") or u["id"] for u in units},
        unit_error=result.failed.get("administrative_units"),
    )


def _progress_of(progress: Progress, stages: Mapping[str, Hashable]):
    def report(result: BatchListings) -> None:
        for stage, key in stages.items():
            if key in result.items:
                progress(stage, len(result.items[key]), None)

    return report


def read_full(client: GraphClient, *, with_sign_in: bool, progress: Progress) -> FullRead:
    """A full read, members by $batch of per-group listings (see the module's docstring)."""

    def then(key: Hashable, result: BatchListings) -> Mapping[Hashable, Listing]:
        if key == "users_latest":
            return {"users": fetch.users_listing(with_sign_in=with_sign_in)}
        if key == "groups_latest":
            return {"groups": fetch.groups_listing()}
        if key == "users" and key in result.failed:  # no P1/P2 licence: list without sign-in
            return {"users_plain": fetch.users_listing(with_sign_in=False)}
        return grant_followups(key, result)

    read_at = now_iso()  # before the listing: the next sign-in refresh overlaps it
    first = fetch_batched_listings(
        client,
        {
            "users_latest": fetch.latest_delta_listing("users"),
            "groups_latest": fetch.latest_delta_listing("groups"),
            **grant_listings(),
        },
        then=then,
        on_batch=_progress_of(progress, {"users": "users", "groups": "groups"}),
    )
    if "users_plain" in first.items:
        # No licence, or no AuditLog.Read.All: the error says which (http.py), the sign-in is unknown.
        users = first.items["users_plain"]
        sign_in = SignInRefresh(
            unknown_reason=getattr(first.failed.get("users"), "unknown_reason", LICENCE_REASON)
        )
    else:
        users = first.items["users"]
        sign_in = (
            SignInRefresh(read_at=read_at)
            if with_sign_in
            else SignInRefresh(unknown_reason=OFF_REASON)
        )
    groups = first.items["groups"]
    progress("users", len(users), len(users))
    progress("groups", len(groups), len(groups))
    beta = fetch.beta_root(client.settings.graph_url)
    members = fetch_batched_listings(
        client,
        {g["id"]: fetch.members_listing(g["id"]) for g in groups},
        root=beta,
        on_batch=lambda r: progress(
            "members", sum(1 for k in r.items if r.pages.get(k)), len(groups)
        ),
    )
    return FullRead(
        users=users,
        sign_in=sign_in,
        groups=[g for g in groups if g["id"] not in members.vanished],
        members=members.items,
        delta_links=(first.delta_links["users_latest"], first.delta_links["groups_latest"]),
        grants=grants_from(first),
    )


def read_changes(
    client: GraphClient,
    delta_links: tuple[str, str] | None,
    sign_in: SignInRead | None,
    progress: Progress,
) -> ChangesRead:
    """The users and groups delta rounds, replayed from ``delta_links`` or, without them,
    from the start (every object and membership); with the sign-in listing ``sign_in`` plans
    (delta does not carry signInActivity) and the grant listings, all in shared batches."""
    rounds: dict[Hashable, Listing]
    if delta_links:
        rounds = {
            "users_delta": fetch.delta_replay_listing("users", delta_links[0]),
            "groups_delta": fetch.delta_replay_listing("groups", delta_links[1]),
        }
    else:
        rounds = {
            "users_delta": fetch.initial_delta_listing("users"),
            "groups_delta": fetch.initial_delta_listing("groups"),
        }
    listings: dict[Hashable, Listing] = {**rounds, **grant_listings()}
    if sign_in is not None:
        listings["sign_ins"] = sign_in.listing
    result = fetch_batched_listings(
        client,
        listings,
        then=grant_followups,
        on_batch=_progress_of(
            progress, {"changes": "users_delta", "group changes": "groups_delta"}
        ),
    )
    return ChangesRead(
        user_changes=result.items["users_delta"],
        group_changes=result.items["groups_delta"],
        delta_links=(result.delta_links["users_delta"], result.delta_links["groups_delta"]),
        sign_ins=result.items.get("sign_ins"),
        sign_in_error=result.failed.get("sign_ins"),
        grants=grants_from(result),
    )
