"""The Entra connector: wires client, reading, delta, transform and actions together.

What a full and an incremental sync read, and how they share $batch requests: reading.py.
Full sync (members_via="batch", the default — measured cheaper, see bench/bench_entra.py)
lists users, groups and every group's members; incremental sync replays the two saved
deltaLinks onto the previous snapshot and refreshes sign-in activity (delta does not carry
it). Both read directory roles, apps and consents whole (no delta for those in v1.0).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

from access_review.errors import DeltaExpired
from access_review.records import VIEW_SIGN_IN, Account, Snapshot
from access_review.retry import DEFAULT_POLICY, RetryPolicy
from access_review.connector import Action, ActionResult, Check, Progress, no_progress

from . import reading
from .actions import DYNAMIC_REFUSAL, SYNCED_REFUSAL, apply_action
from .client import GraphClient, build_client
from .delta import DirectoryState, apply_group_changes, apply_user_changes
from .doctor import run_doctor
from .fetch import beta_root
from .sign_in import OFF_REASON, SignInRefresh, apply_sign_ins, mark_unknown, plan_sign_in_read
from .targeted import fetch_accounts
from .transform import (
    transform_app_grants,
    transform_group,
    transform_members,
    transform_oauth_grants,
    transform_role_grants,
    transform_service_principal_accounts,
    transform_users,
)

NO_BETA_WARNING = (
    "service principals that are group members were not read: graph_url is not a v1.0 "
    "endpoint, so the beta endpoint that lists them (Graph known issue) is unknown"
)
SP_MEMBERS_NOT_BY_DELTA = (
    "service principals that are group members were not read: members_via = delta "
    "reads members through v1.0 groups/delta, which may leave them out (known issue); "
    "members_via = batch reads them on the beta endpoint"
)
SP_MEMBERS_FROM_FULL_SYNC = (
    "service-principal group memberships are as the last full sync read them: "
    "v1.0 does not list service principals as group members (known issue), "
    "so delta may not report their changes; the next full sync re-reads them"
)


class EntraConnector:
    type = "entra"

    def __init__(self, name: str, client: GraphClient):
        self.name = name
        self.client = client

    # -- reading ---------------------------------------------------------------------
    def fetch_snapshot(
        self, previous: Snapshot | None, progress: Progress = no_progress
    ) -> Snapshot:
        snap = Snapshot(source=self.name, started_at=datetime.now(timezone.utc))
        start_requests, start_tokens = self.client.requests_sent, self.client.tokens.requests_sent
        start_retries = self.client.retries
        cursor = (previous.cursor if previous is not None and previous.complete else {}) or {}
        read = None
        if previous is not None and cursor.get("users_delta") and cursor.get("groups_delta"):
            try:
                read = self._read_incremental(previous, cursor, progress)
                snap.mode = "incremental"
                sp_keys = {a.key for a in previous.accounts if a.extra.get("servicePrincipal")}
                if any(m.member_key in sp_keys for m in previous.memberships):
                    snap.warnings.append(SP_MEMBERS_FROM_FULL_SYNC)
            except DeltaExpired as exc:
                snap.warnings.append(f"delta token expired, full sync instead: {exc}")
        state, links, sign_in, grants = read or self._read_full(snap.warnings, progress)
        if sign_in.unknown_reason:
            snap.partial_views[VIEW_SIGN_IN] = sign_in.unknown_reason
            if sign_in.unknown_reason not in snap.warnings:
                snap.warnings.append(sign_in.unknown_reason)
        snap.groups = list(state.groups.values())
        snap.memberships = state.memberships()
        users = list(state.accounts.values())
        snap.resources, snap.grants, sp_accounts = self._transform_grants(
            grants,
            {a.id for a in users},
            set(state.groups),
            snap.memberships,
            snap.warnings,
            progress,
        )
        snap.accounts = users + sp_accounts
        snap.cursor = {
            "users_delta": links[0],
            "groups_delta": links[1],
            "members_via": self.client.settings.members_via,
        }
        if sign_in.read_at:
            snap.cursor["sign_in_read_at"] = sign_in.read_at
        snap.stats = {
            "requests": self.client.requests_sent - start_requests,
            "token_requests": self.client.tokens.requests_sent - start_tokens,
            "retries": self.client.retries - start_retries,
        }
        snap.finished_at = datetime.now(timezone.utc)
        snap.complete = True  # every listing above paged to its end, or raised
        return snap

    def fetch_accounts(self, keys: Sequence[str]) -> dict[str, Account | None]:
        """One GET per named account (targeted.py), never a listing."""
        return fetch_accounts(self.client, keys)

    def _read_full(
        self, warnings: list[str], progress: Progress
    ) -> tuple[DirectoryState, tuple[str, str], SignInRefresh, reading.GrantsRead]:
        settings = self.client.settings
        if settings.members_via == "delta":
            warnings.append(SP_MEMBERS_NOT_BY_DELTA)
            # The initial delta round carries no signInActivity: read it on its own.
            return self._read_by_delta(DirectoryState(), None, set(), None, progress)
        if beta_root(settings.graph_url) is None:
            warnings.append(NO_BETA_WARNING)
        full = reading.read_full(
            self.client, with_sign_in=settings.read_sign_in_activity, progress=progress
        )
        accounts = transform_users(full.users, self.name)
        state = DirectoryState.of(
            accounts,
            [transform_group(g, self.name) for g in full.groups],
            [
                m
                for g in full.groups
                for m in transform_members(g["id"], full.members[g["id"]], self.name)
            ],
        )
        if full.sign_in.unknown_reason:
            mark_unknown(state.accounts, full.sign_in.unknown_reason)
        return state, full.delta_links, full.sign_in, full.grants

    def _read_incremental(
        self, previous: Snapshot, cursor: Mapping[str, Any], progress: Progress
    ) -> tuple[DirectoryState, tuple[str, str], SignInRefresh, reading.GrantsRead]:
        # Service principals are not users: delta never reports them. Their accounts are
        # rebuilt from this sync's service principal listing (_transform_grants).
        users = [a for a in previous.accounts if not a.extra.get("servicePrincipal")]
        base = DirectoryState.of(users, previous.groups, previous.memberships)
        return self._read_by_delta(
            base,
            (cursor["users_delta"], cursor["groups_delta"]),
            {a.id for a in previous.accounts},
            cursor.get("sign_in_read_at"),
            progress,
        )

    def _read_by_delta(
        self,
        state: DirectoryState,
        links: tuple[str, str] | None,
        known_before: set[str],
        sign_in_read_at: str | None,
        progress: Progress,
    ) -> tuple[DirectoryState, tuple[str, str], SignInRefresh, reading.GrantsRead]:
        """Replay (or, without ``links``, run from the start) users/delta and groups/delta,
        with the sign-in listing delta does not carry; merge only once all is read, so a
        failure leaves nothing half-merged."""
        enabled = self.client.settings.read_sign_in_activity
        plan = plan_sign_in_read(sign_in_read_at) if enabled else None
        changes = reading.read_changes(self.client, links, plan, progress)
        progress("users", apply_user_changes(state, changes.user_changes, self.name), None)
        progress("groups", apply_group_changes(state, changes.group_changes, self.name), None)
        if plan is None:
            sign_in = mark_unknown(state.accounts, OFF_REASON)
        else:
            sign_in = apply_sign_ins(
                state.accounts, changes.sign_ins, changes.sign_in_error, known_before, plan
            )
        return state, changes.delta_links, sign_in, changes.grants

    def _transform_grants(
        self,
        grants: reading.GrantsRead,
        user_ids: set[str],
        group_ids: set[str],
        memberships: list,
        warnings: list[str],
        progress: Progress,
    ):
        sps = grants.service_principals
        sp_ids = {sp["id"] for sp in sps}
        member_ids = {
            m.member_key.rsplit(":", 1)[1] for m in memberships if m.member_type == "account"
        }
        wanted = (member_ids | {a["principalId"] for a in grants.assignments}) & sp_ids - user_ids
        sp_accounts = transform_service_principal_accounts(sps, wanted, self.name)
        if grants.unit_error is not None:
            warnings.append(
                f"administrative unit names not read ({grants.unit_error}); "
                "AU-scoped roles show the unit's id"
            )
        role_resources, role_grants = transform_role_grants(
            grants.definitions,
            grants.assignments,
            self.name,
            user_ids,
            group_ids,
            wanted,
            grants.unit_names,
        )
        app_resources, app_grants = transform_app_grants(sps, grants.assigned_to, self.name)
        oauth_resources, oauth_grants = transform_oauth_grants(grants.oauth2_grants, sps, self.name)
        progress("grants", len(role_grants) + len(app_grants) + len(oauth_grants), None)
        resources = {r.key: r for r in role_resources + app_resources + oauth_resources}
        return list(resources.values()), role_grants + app_grants + oauth_grants, sp_accounts

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


def build_connector(
    name: str,
    settings: Mapping[str, Any],
    *,
    base_dir: str = ".",
    sleep: Callable[[float], None] = time.sleep,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> EntraConnector:
    return EntraConnector(
        name, build_client(name, settings, base_dir=base_dir, sleep=sleep, policy=policy)
    )
