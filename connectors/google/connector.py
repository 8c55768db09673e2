"""The Google Workspace connector: wires client, fetch, transform, actions and doctor."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping, Sequence

from access_review.records import VIEW_HOLDS, Account, Snapshot
from access_review.retry import DEFAULT_POLICY, RetryPolicy

from access_review.connector import Action, ActionResult, Check, Progress, counting, no_progress
from . import actions, doctor, fetch, targeted, transform
from .batch import BatchRunner
from .client import USER_READ, GoogleClients, GoogleSettings, build_clients, build_settings
from .quota import QuotaPacer, build_pacers


@dataclass
class GoogleConnector:
    settings: GoogleSettings
    policy: RetryPolicy = DEFAULT_POLICY
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    type: str = "google"
    _pacers: dict[str, QuotaPacer] | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.settings.source

    @property
    def pacers(self) -> dict[str, QuotaPacer]:
        # One set for the connector's lifetime: the quotas are per minute, not per sync.
        if self._pacers is None:
            self._pacers = build_pacers(
                self.settings.quota_per_minute, clock=self.clock, sleep=self.sleep
            )
        return self._pacers

    def runner(self, scopes: tuple[str, ...], *, subject: str | None = None) -> BatchRunner:
        """Calls with ``scopes``, acting as ``subject`` (default: the sync's subject)."""
        clients: GoogleClients = build_clients(self.settings, scopes, subject=subject)
        return BatchRunner(
            clients=clients, pacers=self.pacers, policy=self.policy, sleep=self.sleep
        )

    def fetch_snapshot(
        self, previous: Snapshot | None = None, progress: Progress = no_progress
    ) -> Snapshot:
        """A full read. Raises (never returns an incomplete snapshot) if any listing fails."""
        s = self.settings
        snap = Snapshot(source=s.source, mode="full", started_at=datetime.now(timezone.utc))
        runner = self.runner(s.read_scopes())

        raw_users = list(counting(fetch.fetch_users(runner), "users", progress))
        snap.accounts = transform.transform_users(s.source, raw_users, s.student_org_units)

        snap.groups = transform.transform_groups(
            s.source, counting(fetch.fetch_groups(runner), "groups", progress)
        )
        members = fetch.fetch_members(runner, [g.id for g in snap.groups])
        snap.memberships, notes = transform.transform_memberships(
            s.source, members, {a.id for a in snap.accounts}, {g.id for g in snap.groups}
        )
        snap.warnings.extend(notes)
        progress("members", len(snap.memberships), None)

        roles = list(fetch.fetch_roles(runner))
        assignments = list(fetch.fetch_role_assignments(runner))
        matters = self._read_matters(runner) if s.vault else {}
        # Org unit paths, read (one call) only when a role is scoped to an org unit or a
        # hold is on one.
        needs_ous = any(
            str(a.get("scopeType", "")).upper() == "ORG_UNIT" for a in assignments
        ) or any(h.get("orgUnit") for _, holds in matters.values() for h in holds)
        ou_paths = transform.org_unit_paths(fetch.fetch_org_units(runner)) if needs_ous else {}
        role_resources, role_grants = transform.transform_admin_roles(
            s.source, roles, assignments, {g.id for g in snap.groups}, ou_paths
        )
        snap.resources.extend(role_resources)
        snap.grants.extend(role_grants)
        progress("admin roles", len(role_grants), len(role_grants))

        if s.oauth_tokens:
            # One call per user, so students only when configured (a district has many).
            users = [
                a.id for a in snap.accounts if a.kind != "student" or s.oauth_tokens_for_students
            ]
            tokens = fetch.fetch_tokens(runner, users)
            resources, grants = transform.transform_oauth_tokens(s.source, tokens)
            snap.resources.extend(resources)
            snap.grants.extend(grants)
            if not s.oauth_tokens_for_students:
                snap.warnings.append(
                    "OAuth tokens of students were not read (oauth_tokens_for_students = false)"
                )
            progress("oauth tokens", len(grants), None)

        if s.shared_drives:
            drives = list(fetch.fetch_shared_drives(runner))
            permissions = fetch.fetch_drive_permissions(runner, [d["id"] for d in drives])
            resources, grants = transform.transform_shared_drives(
                s.source, drives, permissions, transform.email_index(snap.accounts, snap.groups)
            )
            snap.resources.extend(resources)
            snap.grants.extend(grants)
            progress("shared drives", len(resources), len(resources))

        if s.vault:
            resources, grants = transform.transform_vault_holds(
                s.source, matters, snap.accounts, ou_paths
            )
            snap.resources.extend(resources)
            snap.grants.extend(grants)
            gaps = (
                [gap]
                if (
                    gap := transform.vault_view_gap(
                        s.subject, snap.accounts, snap.memberships, role_resources, role_grants
                    )
                )
                else []
            )
            unexpanded = [
                r.name
                for r in resources
                if r.extra.get("org_unit_id") and not r.extra.get("org_unit_path")
            ]
            if unexpanded:
                gaps.append(
                    f"hold(s) on an org unit that orgunits.list did not return, so their accounts are "
                    f"unknown: {', '.join(unexpanded)}"
                )
            if gaps:
                # Structured, so that every hold-dependent output can say holds may be missing.
                snap.partial_views[VIEW_HOLDS] = "; ".join(gaps)
                snap.warnings.extend(f"Vault holds may be missing: {g}" for g in gaps)
            progress("vault holds", len(resources), len(resources))

        snap.stats = {
            "round_trips": runner.clients.round_trips,
            **runner.stats,
            "quota_wait_seconds": int(sum(p.waited for p in self.pacers.values())),
        }
        snap.finished_at = datetime.now(timezone.utc)
        snap.complete = True
        return snap

    @staticmethod
    def _read_matters(runner: BatchRunner) -> dict[str, tuple[dict, list[dict]]]:
        """matter id -> (matter, its holds): every matter the subject can see."""
        matters = {m["matterId"]: m for m in fetch.fetch_matters(runner)}
        holds = fetch.fetch_holds(runner, list(matters))
        return {mid: (m, holds[mid]) for mid, m in matters.items()}

    def fetch_accounts(self, keys: Sequence[str]) -> dict[str, Account | None]:
        """One users.get per named account (targeted.py), never a listing."""
        s = self.settings
        return targeted.fetch_accounts(
            self.runner((USER_READ,)), s.source, keys, s.student_org_units
        )

    def apply(self, action: Action) -> ActionResult:
        return actions.apply_action(self, action)

    def refusal(self, action: Action, snapshot: Snapshot | None = None) -> str | None:
        return actions.refusal(self, action)

    def doctor(self) -> list[Check]:
        return doctor.run_checks(self.settings)


def build_connector(
    name: str, settings: Mapping[str, Any], *, base_dir: str = "."
) -> GoogleConnector:
    return GoogleConnector(build_settings(name, settings, base_dir=base_dir))
