"""The Entra connector: wires client, fetch, batch, delta, transform and actions together.

Full sync (members_via="batch", the default — measured cheaper, see bench/bench_entra.py):
  1. take "latest" deltaLinks for users and groups first (so nothing changed meanwhile is lost);
  2. list users ($top 999, or 120 with signInActivity) and groups ($top 999);
  3. list each group's direct members, 20 listings per $batch;
  4. read directory role assignments, enterprise apps and their app-role assignments,
     and delegated consents (these have no delta in v1.0, so every sync reads them whole).
Incremental sync replays the two deltaLinks onto the previous snapshot, then step 4.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from access_review.errors import DeltaExpired
from access_review.records import Snapshot
from access_review.retry import DEFAULT_POLICY, RetryPolicy
from access_review.connector import Action, ActionResult, Check, Progress, counting, no_progress

from . import fetch
from .actions import DYNAMIC_REFUSAL, SYNCED_REFUSAL, apply_action
from .batch import fetch_batched_listings
from .client import GraphClient, build_client
from .delta import DirectoryState, apply_group_changes, apply_user_changes
from .doctor import run_doctor
from .http import PremiumLicenceRequired
from .transform import (transform_app_grants, transform_group, transform_members,
                        transform_oauth_grants, transform_role_grants, transform_users)

USERS_DELTA = "users/delta"
GROUPS_DELTA = "groups/delta"
USERS_DELTA_PARAMS = {"$select": fetch.USER_FIELDS}
GROUPS_DELTA_PARAMS = {"$select": fetch.GROUP_FIELDS + ",members"}
# Service principals whose app-role assignments we read: enterprise apps (the portal's
# "Enterprise applications" are the ones tagged WindowsAzureActiveDirectoryIntegratedApp)
# and any API that defines app roles (that is where application permissions are held).
INTEGRATED_APP_TAG = "WindowsAzureActiveDirectoryIntegratedApp"
SIGN_IN_LICENCE_WARNING = ("signInActivity not read: the tenant has no Entra ID P1/P2 licence "
                           "(Graph: Authentication_RequestFromNonPremiumTenantOrB2CTenant); "
                           "last sign-in is unknown, so dormant-account findings cannot use it")


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
        if cursor.get("users_delta") and cursor.get("groups_delta"):
            try:
                state, links = self._read_incremental(previous, cursor, progress)
                snap.mode = "incremental"
            except DeltaExpired as exc:
                snap.warnings.append(f"delta token expired, full sync instead: {exc}")
        if state is None:
            state, links = self._read_full(snap.warnings, progress)
        snap.accounts = list(state.accounts.values())
        snap.groups = list(state.groups.values())
        snap.memberships = state.memberships()
        snap.resources, snap.grants = self._read_grants(set(state.accounts), set(state.groups),
                                                        progress)
        snap.cursor = {"users_delta": links[0], "groups_delta": links[1],
                       "members_via": self.client.settings.members_via}
        snap.stats = {"requests": self.client.requests_sent - start_requests,
                      "token_requests": self.client.tokens.requests_sent - start_tokens,
                      "retries": self.client.retries - start_retries}
        snap.finished_at = datetime.now(timezone.utc)
        snap.complete = True  # every listing above paged to its end, or raised
        return snap

    def _read_full(self, warnings: list[str], progress: Progress
                   ) -> tuple[DirectoryState, tuple[str, str]]:
        if self.client.settings.members_via == "delta":
            return self._read_by_delta(DirectoryState(), None, progress)
        c = self.client
        users_link = fetch.fetch_latest_delta_link(c, USERS_DELTA, USERS_DELTA_PARAMS,
                                                   permission=fetch.PERM_USERS)
        groups_link = fetch.fetch_latest_delta_link(c, GROUPS_DELTA, GROUPS_DELTA_PARAMS,
                                                    permission=fetch.PERM_GROUPS)
        raw_users = self._read_users(warnings, progress)
        accounts = transform_users(raw_users, self.name)
        groups = [transform_group(g, self.name) for g in counting(fetch.fetch_groups(c), "groups", progress)]
        listings = {g.id: f"/groups/{g.id}/members?$select={fetch.MEMBER_FIELDS}&$top={fetch.TOP}"
                    for g in groups}
        members = fetch_batched_listings(c, listings, permission=fetch.PERM_GROUPS)
        groups = [g for g in groups if g.id not in members.vanished]
        memberships = [m for g in groups
                       for m in transform_members(g.id, members.items[g.id], self.name)]
        progress("members", len(groups), len(groups))
        return DirectoryState.of(accounts, groups, memberships), (users_link, groups_link)

    def _read_users(self, warnings: list[str], progress: Progress) -> list[dict]:
        if not self.client.settings.read_sign_in_activity:
            return list(counting(fetch.fetch_users(self.client, with_sign_in=False), "users", progress))
        try:
            return list(counting(fetch.fetch_users(self.client, with_sign_in=True), "users", progress))
        except PremiumLicenceRequired:
            warnings.append(SIGN_IN_LICENCE_WARNING)
            return list(counting(fetch.fetch_users(self.client, with_sign_in=False), "users", progress))

    def _read_incremental(self, previous: Snapshot, cursor: Mapping[str, Any], progress: Progress
                          ) -> tuple[DirectoryState, tuple[str, str]]:
        base = DirectoryState.of(previous.accounts, previous.groups, previous.memberships)
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

    def _read_grants(self, user_ids: set[str], group_ids: set[str], progress: Progress):
        c = self.client
        definitions = list(fetch.fetch_role_definitions(c))
        assignments = list(fetch.fetch_role_assignments(c))
        role_resources, role_grants = transform_role_grants(definitions, assignments, self.name,
                                                            user_ids, group_ids)
        sps = list(fetch.fetch_service_principals(c))
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
        return list(resources.values()), role_grants + app_grants + oauth_grants

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
