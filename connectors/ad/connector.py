"""The AD connector: wires settings, session, fetch, transform, incremental merge, actions
and doctor together (see access_review/connector.py for the contract)."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any, Callable, Literal, Mapping, Sequence, TypeVar

from access_review.errors import AccessReviewError, ActionRefused
from access_review.records import Account, Snapshot
from access_review.retry import DEFAULT_POLICY, RetryPolicy, with_retries

from access_review.connector import Action, ActionResult, Check, Progress, no_progress

from . import doctor as doctor_checks
from .actions import apply_action, refusal_reason
from .client import AdSettings, LdapSession, build_settings, open_session, read_password
from .fetch import (
    DcState,
    fetch_changed_since,
    fetch_computers_and_contacts,
    fetch_dc_state,
    fetch_groups,
    fetch_users,
)
from .incremental import Records, build_full, merge_delta
from .targeted import fetch_accounts

T = TypeVar("T")


class AdConnector:
    type = "ad"

    def __init__(
        self,
        name: str,
        settings: AdSettings,
        raw_settings: Mapping[str, Any],
        *,
        retry_policy: RetryPolicy = DEFAULT_POLICY,
        sleep: Callable[[float], None] | None = None,
    ):
        self.name = name
        self.settings = settings
        self._raw_settings = dict(raw_settings)
        self.retry_policy = retry_policy
        self._sleep = sleep

    # ---- session ----
    def open_session(self) -> LdapSession:
        return open_session(self.settings, read_password(self.name, self._raw_settings))

    def _with_retries(self, call: Callable[[], T]) -> T:
        if self._sleep is None:
            return with_retries(call, policy=self.retry_policy)
        return with_retries(call, policy=self.retry_policy, sleep=self._sleep)

    # ---- reading ----
    def fetch_snapshot(
        self, previous: Snapshot | None = None, progress: Progress = no_progress
    ) -> Snapshot:
        """A listing cut short restarts from scratch on the next try (paging cookies do not
        survive a new connection); any error leaves nothing half-read to store."""
        return self._with_retries(lambda: self._read(previous, progress))

    def _read(self, previous: Snapshot | None, progress: Progress) -> Snapshot:
        started = datetime.now(timezone.utc)
        session = self.open_session()
        try:
            state = fetch_dc_state(
                session
            )  # USN first: changes made during the read come again next time
            warnings: list[str] = []
            reason = self._why_not_incremental(previous, state)
            mode: Literal["full", "incremental"]
            if reason is None and previous is not None:  # (no reason: there is a previous snapshot)
                records, entries_read = self._read_delta(session, previous, state, progress)
                mode = "incremental"
            else:
                if previous is not None:
                    warnings.append(f"full read: {reason}")
                records, entries_read = self._read_full(session, progress)
                mode = "full"
            ops = session.operations
            return Snapshot(
                source=self.name,
                accounts=records.accounts,
                groups=records.groups,
                memberships=records.memberships,
                resources=records.resources,
                grants=records.grants,
                contacts=records.contacts,
                cursor={"dc": state.dc, "invocation_id": state.invocation_id, "usn": state.usn},
                mode=mode,
                complete=True,
                started_at=started,
                finished_at=datetime.now(timezone.utc),
                stats={
                    "ldap_operations": session.total_operations,
                    **{f"ldap_{k}": v for k, v in ops.items()},
                    "entries_read": entries_read,
                },
                warnings=warnings + records.warnings,
            )
        finally:
            session.close()

    def _why_not_incremental(self, previous: Snapshot | None, state: DcState) -> str | None:
        if previous is None:
            return "no previous snapshot"
        if not previous.complete:
            return "the previous snapshot is not complete"
        cursor = previous.cursor or {}
        if "usn" not in cursor:
            return "the previous snapshot has no USN cursor"
        if str(cursor.get("dc", "")).lower() != state.dc.lower():
            # USNs are per DC: another DC's numbers say nothing here. Reconcile in full.
            return f"the DC changed from {cursor.get('dc')} to {state.dc}"
        if cursor.get("invocation_id") and cursor["invocation_id"] != state.invocation_id:
            return f"{state.dc} was restored (invocationId changed)"
        if int(cursor["usn"]) > state.usn:
            return f"{state.dc}'s USN went backwards ({cursor['usn']} > {state.usn})"
        return None

    def _read_full(self, session: LdapSession, progress: Progress) -> tuple[Records, int]:
        users = []
        for entry in fetch_users(session):
            users.append(entry)
            if len(users) % 1000 == 0:
                progress("users", len(users), None)
        progress("users", len(users), len(users))
        others = list(fetch_computers_and_contacts(session))
        progress("computers and contacts", len(others), len(others))
        groups = list(fetch_groups(session))
        progress("groups", len(groups), len(groups))
        return build_full(users, groups, self.name, others), len(users) + len(others) + len(groups)

    def _read_delta(
        self, session: LdapSession, previous: Snapshot, state: DcState, progress: Progress
    ) -> tuple[Records, int]:
        changed = list(fetch_changed_since(session, int(previous.cursor["usn"])))
        progress("changes", len(changed), len(changed))
        return merge_delta(
            previous,
            changed,
            self.name,
            users_base=self.settings.users_base,
            groups_base=self.settings.groups_base,
            base_dn=self.settings.base_dn,
        ), len(changed)

    def fetch_accounts(self, keys: Sequence[str]) -> dict[str, Account | None]:
        """The named accounts, by objectGUID: one search per 50 (targeted.py), never a listing."""

        def run() -> dict[str, Account | None]:
            session = self.open_session()
            try:
                return fetch_accounts(session, keys)
            finally:
                session.close()

        return self._with_retries(run)

    # ---- acting ----
    def refusal(self, action: Action, snapshot: Snapshot | None = None) -> str | None:
        return refusal_reason(action, self.name)

    def apply(self, action: Action) -> ActionResult:
        reason = self.refusal(action)
        if reason:
            return ActionResult(action, "refused", message=reason)

        def run() -> ActionResult:
            session = self.open_session()
            try:
                return apply_action(session, action)
            finally:
                session.close()

        try:
            return self._with_retries(run)
        except ActionRefused as exc:
            return ActionResult(action, "refused", message=str(exc))

    # ---- doctor ----
    def doctor(self) -> list[Check]:
        checks = doctor_checks.check_tls(self.settings)
        if not all(c.ok for c in checks if c.name.startswith("reachable")):
            return checks
        try:
            session = self.open_session()
        except AccessReviewError as exc:
            return checks + [
                Check("bind", False, str(exc), exc.hint or "check bind_user and password")
            ]
        try:
            checks.append(Check("bind", True, f"as {self.settings.bind_user}"))
            return checks + doctor_checks.check_reads(session)
        finally:
            session.close()


def build_connector(
    name: str,
    settings: Mapping[str, Any],
    *,
    base_dir: str = ".",
    retry_policy: RetryPolicy = DEFAULT_POLICY,
) -> AdConnector:
    return AdConnector(
        name, build_settings(name, settings, base_dir=base_dir), settings, retry_policy=retry_policy
    )
