"""The Google Workspace connector: wires client, fetch, transform, actions and doctor."""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Mapping

from access_review.records import Snapshot
from access_review.retry import DEFAULT_POLICY, RetryPolicy

from access_review.connector import Action, ActionResult, Check, Progress, counting, no_progress
from . import actions, doctor, fetch, transform
from .batch import BatchRunner, QuotaPacer
from .client import GoogleClients, GoogleSettings, build_clients, build_settings


@dataclass
class GoogleConnector:
    settings: GoogleSettings
    policy: RetryPolicy = DEFAULT_POLICY
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    type: str = "google"
    _pacer: QuotaPacer | None = field(default=None, repr=False)

    @property
    def name(self) -> str:
        return self.settings.source

    @property
    def pacer(self) -> QuotaPacer:
        # One pacer for the connector's lifetime: the quota is per minute, not per sync.
        if self._pacer is None:
            self._pacer = QuotaPacer(self.settings.quota_per_minute, clock=self.clock, sleep=self.sleep)
        return self._pacer

    def runner(self, scopes: tuple[str, ...]) -> BatchRunner:
        clients: GoogleClients = build_clients(self.settings, scopes)
        return BatchRunner(clients=clients, pacer=self.pacer, policy=self.policy, sleep=self.sleep)

    def fetch_snapshot(self, previous: Snapshot | None = None, progress: Progress = no_progress) -> Snapshot:
        """A full read. Raises (never returns an incomplete snapshot) if any listing fails."""
        s = self.settings
        snap = Snapshot(source=s.source, mode="full", started_at=datetime.now(timezone.utc))
        runner = self.runner(s.read_scopes())

        raw_users = list(counting(fetch.fetch_users(runner), "users", progress))
        snap.accounts = transform.transform_users(s.source, raw_users, s.student_org_units)

        snap.groups = transform.transform_groups(s.source, counting(fetch.fetch_groups(runner), "groups", progress))
        members = fetch.fetch_members(runner, [g.id for g in snap.groups])
        snap.memberships, notes = transform.transform_memberships(s.source, members, {a.id for a in snap.accounts})
        snap.warnings.extend(notes)
        progress("members", len(snap.memberships), None)

        roles = list(fetch.fetch_roles(runner))
        assignments = list(fetch.fetch_role_assignments(runner))
        resources, grants = transform.transform_admin_roles(s.source, roles, assignments, {g.id for g in snap.groups})
        snap.resources.extend(resources)
        snap.grants.extend(grants)
        progress("admin roles", len(grants), len(grants))

        if s.oauth_tokens:
            # One call per user, so students only when configured (a district has many).
            users = [a.id for a in snap.accounts if a.kind != "student" or s.oauth_tokens_for_students]
            tokens = fetch.fetch_tokens(runner, users)
            resources, grants = transform.transform_oauth_tokens(s.source, tokens)
            snap.resources.extend(resources)
            snap.grants.extend(grants)
            if not s.oauth_tokens_for_students:
                snap.warnings.append("OAuth tokens of students were not read (oauth_tokens_for_students = false)")
            progress("oauth tokens", len(grants), None)

        if s.shared_drives:
            drives = list(fetch.fetch_shared_drives(runner))
            permissions = fetch.fetch_drive_permissions(runner, [d["id"] for d in drives])
            resources, grants = transform.transform_shared_drives(
                s.source, drives, permissions, transform.email_index(snap.accounts, snap.groups))
            snap.resources.extend(resources)
            snap.grants.extend(grants)
            progress("shared drives", len(resources), len(resources))

        if s.vault:
            holds = {}
            for matter in fetch.fetch_matters(runner):
                holds[matter["matterId"]] = (matter, list(fetch.fetch_holds(runner, matter["matterId"])))
            resources, grants = transform.transform_vault_holds(s.source, holds)
            snap.resources.extend(resources)
            snap.grants.extend(grants)
            progress("vault holds", len(resources), len(resources))

        snap.stats = {"round_trips": runner.clients.round_trips, **runner.stats,
                      "quota_wait_seconds": int(self.pacer.waited)}
        snap.finished_at = datetime.now(timezone.utc)
        snap.complete = True
        return snap

    def apply(self, action: Action) -> ActionResult:
        return actions.apply_action(self, action)

    def refusal(self, action: Action, snapshot: Snapshot | None = None) -> str | None:
        return actions.refusal(self, action)

    def doctor(self) -> list[Check]:
        return doctor.run_checks(self.settings)


def build_connector(name: str, settings: Mapping[str, Any], *, base_dir: str = ".") -> GoogleConnector:
    return GoogleConnector(build_settings(name, settings, base_dir=base_dir))
