"""The Entra connector: wires client, fetch, batch, delta, transform and actions together.

Full sync (members_via="batch", the default — measured cheaper, see bench/bench_entra.py):
  1. take "latest" deltaLinks for users and groups first (so nothing changed meanwhile is lost);
  2. list users ($top 999, or 120 with signInActivity) and groups ($top 999);
  3. list each group's direct members, 20 listings per $batch — on the beta endpoint: v1.0
     /groups/{id}/members does not list service principals, a documented known issue whose
     documented workaround is the beta endpoint (https://learn.microsoft.com/graph/api/group-list-members);
     the listings stay batched, through beta's own $batch, so this costs no extra request;
  4. read directory role assignments (and, only when one is scoped to an administrative
     unit, the administrative units, to name the scope), enterprise apps and their app-role
     assignments, and delegated consents (no delta in v1.0: every sync reads them whole).
Incremental sync replays the two deltaLinks onto the previous snapshot, refreshes sign-in
activity (delta does not carry it), then step 4.
"""
from __future__ import annotations

import time
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

from access_review.errors import DeltaExpired, PermissionDenied
from access_review.records import VIEW_SIGN_IN, Account, Snapshot
from access_review.retry import DEFAULT_POLICY, RetryPolicy
from access_review.connector import Action, ActionResult, Check, Progress, counting, no_progress

from . import fetch
from .actions import DYNAMIC_REFUSAL, SYNCED_REFUSAL, apply_action
from .batch import fetch_batched_listings
from .client import GraphClient, build_client
from .delta import DirectoryState, apply_group_changes, apply_user_changes
from .doctor import run_doctor
from .http import PremiumLicenceRequired
from .targeted import fetch_accounts
from .sign_in import LICENCE_REASON, OFF_REASON, SignInRefresh, now_iso, refresh_sign_ins
from .transform import (transform_app_grants, transform_group,
                        transform_members, transform_oauth_grants, transform_role_grants,
                        transform_service_principal_accounts, transform_users)

USERS_DELTA = "users/delta"
GROUPS_DELTA = "groups/delta"
USERS_DELTA_PARAMS = {"$select": fetch.USER_FIELDS}
GROUPS_DELTA_PARAMS = {"$select": fetch.GROUP_FIELDS + ",members"}
# Service principals whose app-role assignments we read: enterprise apps (the portal's
# "Enterprise applications" are the ones tagged WindowsAzureActiveDirectoryIntegratedApp)
# and any API that defines app roles (that is where application permissions are held).
INTEGRATED_APP_TAG = "WindowsAzureActiveDirectoryIntegratedApp"
SIGN_IN_LICENCE_WARNING = LICENCE_REASON
NO_BETA_WARNING = ("service principals that are group members were not read: graph_url is not a v1.0 "
                   "endpoint, so the beta endpoint that lists them (Graph known issue) is unknown")
SP_MEMBERS_NOT_BY_DELTA = ("service principals that are group members were not read: members_via = delta "
                           "reads members through v1.0 groups/delta, which may leave them out (known issue); "
                           "members_via = batch reads them on the beta endpoint")
SP_MEMBERS_FROM_FULL_SYNC = ("service-principal group memberships are as the last full sync read them: "
                             "v1.0 does not list service principals as group members (known issue), "
                             "so delta may not report their changes; the next full sync re-reads them")


class EntraConnector:
    type = "entra"

    def __init__(self, name: str, client: GraphClient):
        self.name = name
        self.client = client

    # -- reading ---------------------------------------------------------------------
    def fetch_snapshot(self, previous: Snapshot | None, progress: Progress = no_progress) -> Snapshot:
        snap = Snapshot(source=self.name, started_at=datetime.now(timezone.utc))
        start_requests, start_tokens = self.client.requests_sent, self.client.tokens.requests_sent
        start_retries = self.client.retries
        cursor = (previous.cursor if previous is not None and previous.complete else {}) or {}
        state = None
        sign_in = SignInRefresh()
        if cursor.get("users_delta") and cursor.get("groups_delta"):
            try:
                state, links = self._read_incremental(previous, cursor, progress)
                snap.mode = "incremental"
                sign_in = refresh_sign_ins(self.client, state.accounts, {a.id for a in previous.accounts},
                                           cursor.get("sign_in_read_at"),
                                           enabled=self.client.settings.read_sign_in_activity)
                sp_keys = {a.key for a in previous.accounts if a.extra.get("servicePrincipal")}
                if any(m.member_key in sp_keys for m in previous.memberships):
                    snap.warnings.append(SP_MEMBERS_FROM_FULL_SYNC)
            except DeltaExpired as exc:
                snap.warnings.append(f"delta token expired, full sync instead: {exc}")
        if state is None:
            state, links, sign_in = self._read_full(snap.warnings, progress)
        if sign_in.unknown_reason:
            snap.partial_views[VIEW_SIGN_IN] = sign_in.unknown_reason
            if sign_in.unknown_reason not in snap.warnings:
                snap.warnings.append(sign_in.unknown_reason)
        snap.groups = list(state.groups.values())
        snap.memberships = state.memberships()
        users = list(state.accounts.values())
        snap.resources, snap.grants, sp_accounts = self._read_grants(
            {a.id for a in users}, set(state.groups), snap.memberships, snap.warnings, progress)
        snap.accounts = users + sp_accounts
        snap.cursor = {"users_delta": links[0], "groups_delta": links[1],
                       "members_via": self.client.settings.members_via}
        if sign_in.read_at:
            snap.cursor["sign_in_read_at"] = sign_in.read_at
        snap.stats = {"requests": self.client.requests_sent - start_requests,
                      "token_requests": self.client.tokens.requests_sent - start_tokens,
                      "retries": self.client.retries - start_retries}
        snap.finished_at = datetime.now(timezone.utc)
        snap.complete = True  # every listing above paged to its end, or raised
        return snap

    def fetch_accounts(self, keys: Sequence[str]) -> dict[str, Account | None]:
        """One GET per named account (targeted.py), never a listing."""
        return fetch_accounts(self.client, keys)

    def _read_full(self, warnings: list[str], progress: Progress
                   ) -> tuple[DirectoryState, tuple[str, str], SignInRefresh]:
        if self.client.settings.members_via == "delta":
            state, links = self._read_by_delta(DirectoryState(), None, progress)
            warnings.append(SP_MEMBERS_NOT_BY_DELTA)
            # The initial delta round carries no signInActivity: read it on its own.
            sign_in = refresh_sign_ins(self.client, state.accounts, set(), None,
                                       enabled=self.client.settings.read_sign_in_activity)
            return state, links, sign_in
        c = self.client
        users_link = fetch.fetch_latest_delta_link(c, USERS_DELTA, USERS_DELTA_PARAMS,
                                                   permission=fetch.PERM_USERS)
        groups_link = fetch.fetch_latest_delta_link(c, GROUPS_DELTA, GROUPS_DELTA_PARAMS,
                                                    permission=fetch.PERM_GROUPS)
        raw_users, sign_in = self._read_users(progress)
        accounts = transform_users(raw_users, self.name)
        if sign_in.unknown_reason:
            accounts = [replace(a, sign_in_known=False) for a in accounts]
        groups = [transform_group(g, self.name) for g in counting(fetch.fetch_groups(c), "groups", progress)]
        listings = {g.id: f"/groups/{g.id}/members?$select={fetch.MEMBER_FIELDS}&$top={fetch.TOP}"
                    for g in groups}
        beta = fetch.beta_root(c.settings.graph_url)
        if beta is None:
            warnings.append(NO_BETA_WARNING)
        members = fetch_batched_listings(c, listings, permission=fetch.PERM_GROUPS, root=beta)
        groups = [g for g in groups if g.id not in members.vanished]
        memberships = [m for g in groups
                       for m in transform_members(g.id, members.items[g.id], self.name)]
        progress("members", len(groups), len(groups))
        return DirectoryState.of(accounts, groups, memberships), (users_link, groups_link), sign_in

    def _read_users(self, progress: Progress) -> tuple[list[dict], SignInRefresh]:
        """The users; with their sign-in activity when the setting and the licence allow."""
        if not self.client.settings.read_sign_in_activity:
            users = list(counting(fetch.fetch_users(self.client, with_sign_in=False), "users", progress))
            return users, SignInRefresh(unknown_reason=OFF_REASON)
        read_at = now_iso()  # taken before the listing: the next refresh overlaps it
        try:
            users = list(counting(fetch.fetch_users(self.client, with_sign_in=True), "users", progress))
            return users, SignInRefresh(read_at=read_at)
        except PremiumLicenceRequired:
            users = list(counting(fetch.fetch_users(self.client, with_sign_in=False), "users", progress))
            return users, SignInRefresh(unknown_reason=SIGN_IN_LICENCE_WARNING)

    def _read_incremental(self, previous: Snapshot, cursor: Mapping[str, Any], progress: Progress
                          ) -> tuple[DirectoryState, tuple[str, str]]:
        # Service principals are not users: delta never reports them. Their accounts are
        # rebuilt from this sync's service principal listing (_read_grants).
        users = [a for a in previous.accounts if not a.extra.get("servicePrincipal")]
        base = DirectoryState.of(users, previous.groups, previous.memberships)
        return self._read_by_delta(base, cursor, progress)

    def _read_by_delta(self, state: DirectoryState, cursor: Mapping[str, Any] | None,
                       progress: Progress) -> tuple[DirectoryState, tuple[str, str]]:
        """Replay (or, without a cursor, run an initial round of) users/delta and groups/delta."""
        c = self.client
        users = fetch.fetch_delta_round(
            c, cursor["users_delta"] if cursor else USERS_DELTA,
            None if cursor else USERS_DELTA_PARAMS, permission=fetch.PERM_USERS)
        groups = fetch.fetch_delta_round(
            c, cursor["groups_delta"] if cursor else GROUPS_DELTA,
            None if cursor else GROUPS_DELTA_PARAMS, permission=fetch.PERM_GROUPS)
        # Apply only once both rounds are read: a failure leaves nothing half-merged.
        progress("users", apply_user_changes(state, users.objects, self.name), None)
        progress("groups", apply_group_changes(state, groups.objects, self.name), None)
        return state, (users.delta_link, groups.delta_link)

    def _read_grants(self, user_ids: set[str], group_ids: set[str], memberships: list,
                     warnings: list[str], progress: Progress):
        c = self.client
        definitions = list(fetch.fetch_role_definitions(c))
        assignments = list(fetch.fetch_role_assignments(c))
        sps = list(fetch.fetch_service_principals(c))
        sp_ids = {sp["id"] for sp in sps}
        member_ids = {m.member_key.rsplit(":", 1)[1] for m in memberships if m.member_type == "account"}
        wanted = (member_ids | {a["principalId"] for a in assignments}) & sp_ids - user_ids
        sp_accounts = transform_service_principal_accounts(sps, wanted, self.name)
        role_resources, role_grants = transform_role_grants(
            definitions, assignments, self.name, user_ids, group_ids, wanted,
            self._unit_names(assignments, warnings))
        wanted = [sp for sp in sps
                  if sp.get("appRoles") or INTEGRATED_APP_TAG in (sp.get("tags") or [])]
        listings = {sp["id"]: f"/servicePrincipals/{sp['id']}/appRoleAssignedTo?"
                              f"$select=id,appRoleId,principalId,principalType,resourceId"
                              f"&$top={fetch.TOP}" for sp in wanted}
        assigned = fetch_batched_listings(c, listings, permission=fetch.PERM_APPS)
        app_resources, app_grants = transform_app_grants(sps, assigned.items, self.name)
        oauth_resources, oauth_grants = transform_oauth_grants(
            fetch.fetch_oauth2_permission_grants(c), sps, self.name)
        progress("grants", len(role_grants) + len(app_grants) + len(oauth_grants), None)
        resources = {r.key: r for r in role_resources + app_resources + oauth_resources}
        return list(resources.values()), role_grants + app_grants + oauth_grants, sp_accounts

    def _unit_names(self, assignments: list[dict], warnings: list[str]) -> dict[str, str]:
        """Administrative unit id -> name, read only when a role is scoped to one (one
        listing). Without AdministrativeUnit.Read.All the scope is shown by id, and said."""
        if not any(str(a.get("directoryScopeId", "")).startswith("/administrativeUnits/") for a in assignments):
            return {}
        try:
            return {u["id"]: u.get("displayName") or u["id"]
                    for u in fetch.fetch_administrative_units(self.client)}
        except PermissionDenied as exc:
            warnings.append(f"administrative unit names not read ({exc}); AU-scoped roles show the unit's id")
            return {}

    # -- acting ----------------------------------------------------------------------
    def apply(self, action: Action) -> ActionResult:
        refused = self.refusal(action)
        if refused:
            return ActionResult(action, "refused", message=refused)
        return apply_action(self.client, action)

    def refusal(self, action: Action, snapshot: Snapshot | None = None) -> str | None:
        if action.source != self.name:
            return f"action is for source {action.source!r}, not {self.name!r}"
        if action.kind == "revoke_oauth_token":
            return "Entra removes consents with remove_grant (kind oauth), not revoke_oauth_token"
        if snapshot is None:
            return None  # apply() reads the live object and refuses there if needed
        if action.kind in ("disable_account", "enable_account"):
            account = next((a for a in snapshot.accounts if a.key == action.target), None)
            if account is not None and account.authority == "ad":
                return SYNCED_REFUSAL
        if action.kind == "remove_membership":
            group = next((g for g in snapshot.groups if g.key == action.target), None)
            if group is not None and group.authority == "ad":
                return SYNCED_REFUSAL
            if group is not None and group.kind == "dynamic":
                return DYNAMIC_REFUSAL
        return None

    def doctor(self) -> list[Check]:
        s = self.client.settings
        features = ["read"] + (["sign_in_activity"] if s.read_sign_in_activity else [])
        features += ["act"] if "act" in s.features else []
        return run_doctor(self.client, features)


def build_connector(name: str, settings: Mapping[str, Any], *, base_dir: str = ".",
                    sleep: Callable[[float], None] = time.sleep,
                    policy: RetryPolicy = DEFAULT_POLICY) -> EntraConnector:
    return EntraConnector(name, build_client(name, settings, base_dir=base_dir, sleep=sleep,
                                             policy=policy))
