"""Restore a case: re-enable exactly the accounts this case disabled.

Not restored: accounts that were already disabled before the case (the case never changed
them), sessions (they cannot be given back: the person signs in again) and revoked OAuth
tokens (the person grants the app again if still wanted).

Drift: an account the case disabled that someone else changed since is reported and left as
it is, never overwritten. It is seen two ways: in what is read after the case disabled the
account — the case's accounts read fresh from their directories when the restore is planned
(``read_case_accounts``), or a later snapshot — (enabled again, gone, or its
userAccountControl changed), and, on apply, when the directory reports the account already
enabled.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Mapping

from .. import audit
from ..connector import Action, ActionResult, Connector, ConnectorFactory
from ..errors import AccessReviewError, ActionRefused
from ..records import Account, Snapshot
from .runner import Record, run_per_source
from .store import Step, SuspensionStore

NOT_RESTORED_NOTE = (
    "sessions and revoked OAuth tokens are not restored: the person signs in again "
    "and grants apps again where still wanted"
)


@dataclass(frozen=True)
class RestoreItem:
    account_key: str
    source: str
    login: str
    action: str  # re-enable | drift | leave disabled | done
    reason: str
    step_id: int  # the case's disable_account step this item restores


@dataclass(frozen=True)
class RestorePlan:
    case_id: str
    items: tuple[RestoreItem, ...]
    notes: tuple[str, ...] = ()

    @property
    def to_enable(self) -> list[RestoreItem]:
        return [i for i in self.items if i.action == "re-enable"]

    @property
    def drift(self) -> list[RestoreItem]:
        return [i for i in self.items if i.action == "drift"]


@dataclass
class RestoreReport:
    case_id: str
    items: list[RestoreItem] = field(default_factory=list)  # what happened, one per account
    failed_sources: dict[str, str] = field(default_factory=dict)
    restored_case: bool = False


def _finished(step: Step) -> datetime | None:
    return datetime.fromisoformat(step.finished_at) if step.finished_at else None


def snapshot_drift(step: Step, snapshot: Snapshot | None, synced_at: datetime | None) -> str | None:
    """What a read made after the case disabled the account (the case's accounts read now, or a
    later sync) says changed since, or None."""
    done = _finished(step)
    if snapshot is None or synced_at is None or done is None or synced_at <= done:
        return None
    account = next((a for a in snapshot.accounts if a.key == step.account_key), None)
    if account is None:
        return f"no longer in {step.source} (read {synced_at:%Y-%m-%d %H:%M} UTC)"
    if account.enabled:
        return f"enabled again by someone else (read {synced_at:%Y-%m-%d %H:%M} UTC)"
    left = step.after.get("userAccountControl")
    extra = account.extra or {}
    now = extra.get(
        "user_account_control", extra.get("userAccountControl")
    )  # AD snapshot's name first
    if left is not None and now is not None and int(now) != int(left):
        return f"userAccountControl changed since the case set it ({left} -> {now})"
    return None


def read_case_accounts(
    sstore: SuspensionStore, case_id: str, connector_for: ConnectorFactory, *, configured: set[str]
) -> tuple[dict[str, Snapshot], dict[str, datetime], dict[str, str]]:
    """The accounts the case disabled, read now from their directories (``fetch_accounts``: a few
    requests each, every directory at once): (source -> a snapshot holding just them, source ->
    when they were read, source -> why it could not be read). An account a directory no longer
    has is simply absent, which ``snapshot_drift`` reports."""
    by_source: dict[str, list[str]] = {}
    for step in sstore.steps(case_id):
        if step.kind == "disable_account" and step.ours and step.source in configured:
            by_source.setdefault(step.source, []).append(step.account_key)

    def read(
        source: str,
    ) -> tuple[str, dict[str, Account | None], datetime] | tuple[str, str, None]:
        """(source, the accounts, when read), or (source, why it could not be read, None)."""
        try:
            found = connector_for(source).fetch_accounts(list(dict.fromkeys(by_source[source])))
            return source, found, datetime.now(timezone.utc)
        except Exception as exc:  # said per directory, as "could not read", never as "gone"
            return (
                source,
                (
                    str(exc)
                    if isinstance(exc, AccessReviewError)
                    else f"{type(exc).__name__}: {exc}"
                ),
                None,
            )

    snapshots: dict[str, Snapshot] = {}
    read_at: dict[str, datetime] = {}
    failed: dict[str, str] = {}
    with ThreadPoolExecutor(max_workers=max(1, len(by_source))) as pool:
        for outcome in pool.map(read, sorted(by_source)):
            if outcome[2] is None:
                source, error, _ = outcome
                failed[source] = error
                continue
            source, found, at = outcome
            snapshots[source] = Snapshot(
                source, accounts=[a for a in found.values() if a is not None], complete=True
            )
            read_at[source] = at
    return snapshots, read_at, failed


def plan_restore(
    sstore: SuspensionStore,
    case_id: str,
    snapshots: Mapping[str, Snapshot],
    synced_at: Mapping[str, datetime],
) -> RestorePlan:
    case = sstore.require_case(case_id)
    steps = sstore.steps(case_id)
    unsettled = [s for s in steps if not s.settled]
    if case.restored_at is None and unsettled:
        raise AccessReviewError(
            f"case {case_id} is not complete: {len(unsettled)} step(s) not done, so what it changed is "
            "not yet known",
            hint=f"run `access-review suspend --resume {case_id} --apply` first",
        )
    logins = {a.account_key: a.login for a in sstore.accounts(case_id)}
    items = []
    for step in steps:
        if step.kind != "disable_account":
            continue
        login = logins.get(step.account_key, step.account_key)
        if step.restore_status in ("restored", "drift"):
            items.append(
                RestoreItem(
                    step.account_key,
                    step.source,
                    login,
                    "done",
                    f"{step.restore_status} earlier: {step.restore_message}".rstrip(": "),
                    step.id,
                )
            )
        elif not step.ours:
            reason = (
                "was already disabled before this case"
                if step.status == "unchanged"
                else f"this case did not disable it ({step.status}"
                + (f": {step.message})" if step.message else ")")
            )
            items.append(
                RestoreItem(step.account_key, step.source, login, "leave disabled", reason, step.id)
            )
        else:
            drift = snapshot_drift(step, snapshots.get(step.source), synced_at.get(step.source))
            if drift:
                items.append(
                    RestoreItem(step.account_key, step.source, login, "drift", drift, step.id)
                )
            else:
                items.append(
                    RestoreItem(
                        step.account_key,
                        step.source,
                        login,
                        "re-enable",
                        "disabled by this case",
                        step.id,
                    )
                )
    return RestorePlan(case_id, tuple(items), (NOT_RESTORED_NOTE,))


def apply_restore(
    sstore: SuspensionStore,
    plan: RestorePlan,
    connector_for: ConnectorFactory,
    *,
    actor: str | None = None,
) -> RestoreReport:
    store = sstore.store
    case_id = plan.case_id
    report = RestoreReport(case_id)

    def record_drift(item: RestoreItem) -> None:
        sstore.record_restore(item.step_id, "drift", message=item.reason)
        audit.append(
            store,
            "suspension.restore.step",
            {
                "case": case_id,
                "account": item.account_key,
                "source": item.source,
                "status": "drift",
                "message": item.reason,
            },
            actor=actor,
        )

    for item in plan.drift:
        record_drift(item)
        report.items.append(item)

    def begin(item: RestoreItem) -> None:
        audit.append(
            store,
            "suspension.restore.step.begin",
            {
                "case": case_id,
                "account": item.account_key,
                "source": item.source,
                "action": "enable_account",
            },
            actor=actor,
        )

    def finish(item: RestoreItem, status: str, result: ActionResult | None, message: str) -> None:
        prior = result.prior if result else {}
        sstore.record_restore(item.step_id, status, prior=prior, message=message)
        audit.append(
            store,
            "suspension.restore.step",
            {
                "case": case_id,
                "account": item.account_key,
                "source": item.source,
                "action": "enable_account",
                "status": status,
                "prior": prior,
                "after": result.after if result else {},
                "message": message,
            },
            actor=actor,
        )

    def handle(connector: Connector, item: RestoreItem, record: Record) -> RestoreItem:
        record(lambda: begin(item))
        action = Action("enable_account", item.source, item.account_key)
        try:
            result = connector.apply(action)
        except ActionRefused as exc:
            result = ActionResult(action, "refused", message=str(exc))
        if result.status == "changed":
            status, label, message = "restored", "re-enabled", "re-enabled"
        elif result.status == "unchanged":
            # Enabled by someone else after the case disabled it: nothing was overwritten.
            status, label = "drift", "drift"
            message = "already enabled again by someone else; left as it is"
        else:
            status, label, message = result.status, result.status, result.message or result.status
        record(lambda: finish(item, status, result, message))
        return RestoreItem(item.account_key, item.source, item.login, label, message, item.step_id)

    def on_error(item: RestoreItem, message: str, record: Record) -> RestoreItem:
        record(lambda: finish(item, "failed", None, message))
        return RestoreItem(
            item.account_key, item.source, item.login, "failed", message, item.step_id
        )

    by_source: dict[str, list[RestoreItem]] = {}
    for item in plan.to_enable:
        by_source.setdefault(item.source, []).append(item)
    run = run_per_source(by_source, connector_for, handle, on_error)
    report.items.extend(run.results)
    report.failed_sources = dict(run.failed_sources)
    for source, left in run.not_run.items():
        report.items.extend(
            RestoreItem(
                i.account_key,
                i.source,
                i.login,
                "not run",
                f"not tried: {run.failed_sources.get(source, '')}",
                i.step_id,
            )
            for i in left
        )
    steps = [s for s in sstore.steps(case_id) if s.kind == "disable_account" and s.ours]
    if all(s.restore_status in ("restored", "drift") for s in steps):
        sstore.mark_restored(case_id)
        report.restored_case = True
    audit.append(
        store,
        "suspension.restore",
        {
            "case": case_id,
            "restored": sum(i.action == "re-enabled" for i in report.items),
            "drift": sum(i.action == "drift" for i in report.items),
            "failed_sources": report.failed_sources,
            "case_restored": report.restored_case,
        },
        actor=actor,
    )
    return report
