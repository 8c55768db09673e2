"""Carry out a case's unsettled steps, every directory at once (runner.py: one thread per
source), so the lockout takes about as long as the slowest directory, not their sum.

Within a source the steps run in plan order: an account is disabled before its sessions are
revoked, so no new session can start in between. Before each directory call the step is
marked "started" (the state read at the last sync is already recorded under the case) and the
audit log says what is about to happen; after it, the outcome and the prior state the directory
reported are recorded and audited. A directory that fails stops its own remaining steps (they
stay pending for ``suspend --resume``), never the other directories'.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import audit
from ..connector import ActionResult, Connector, ConnectorFactory
from ..errors import ActionRefused
from .runner import Record, run_per_source
from .store import Step, SuspensionStore, result_is_ours

INTERRUPTED_NOTE = "done by an earlier, interrupted run of this case"


@dataclass(frozen=True)
class StepOutcome:
    step_id: int
    account_key: str
    source: str
    kind: str
    status: str  # changed | unchanged | refused | failed | not run
    ours: bool
    message: str = ""


@dataclass
class ApplyReport:
    case_id: str
    outcomes: list[StepOutcome] = field(default_factory=list)
    failed_sources: dict[str, str] = field(default_factory=dict)  # source -> error
    seconds_by_source: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def complete(self) -> bool:
        return not self.failed_sources and all(
            o.status not in ("failed", "not run") for o in self.outcomes
        )


def apply_steps(
    sstore: SuspensionStore,
    case_id: str,
    steps: list[Step],
    connector_for: ConnectorFactory,
    *,
    actor: str | None = None,
) -> ApplyReport:
    store = sstore.store

    def begin(step: Step) -> None:
        sstore.mark_started(step.id)
        audit.append(
            store,
            "suspension.step.begin",
            {
                "case": case_id,
                "account": step.account_key,
                "source": step.source,
                "action": step.kind,
                "params": step.params,
                "prior_at_last_sync": step.planned_prior,
                "attempt": step.attempts + 1,
            },
            actor=actor,
        )

    def finish(
        step: Step, status: str, ours: bool, result: ActionResult | None, message: str
    ) -> None:
        prior, after = (result.prior, result.after) if result else ({}, {})
        sstore.record_outcome(step.id, status, ours=ours, prior=prior, after=after, message=message)
        audit.append(
            store,
            "suspension.step",
            {
                "case": case_id,
                "account": step.account_key,
                "source": step.source,
                "action": step.kind,
                "params": step.params,
                "status": status,
                "changed_by_case": ours,
                "prior": prior,
                "after": after,
                "message": message,
            },
            actor=actor,
        )

    def handle(connector: Connector, step: Step, record: Record) -> StepOutcome:
        record(lambda: begin(step))
        try:
            result = connector.apply(step.action())
        except ActionRefused as exc:
            result = ActionResult(step.action(), "refused", message=str(exc))
        ours = result_is_ours(step, result)
        message = INTERRUPTED_NOTE if ours and result.status == "unchanged" else result.message
        record(lambda: finish(step, result.status, ours, result, message))
        return StepOutcome(
            step.id, step.account_key, step.source, step.kind, result.status, ours, message
        )

    def on_error(step: Step, message: str, record: Record) -> StepOutcome:
        record(lambda: finish(step, "failed", False, None, message))
        return StepOutcome(
            step.id, step.account_key, step.source, step.kind, "failed", False, message
        )

    by_source: dict[str, list[Step]] = {}
    for step in steps:
        by_source.setdefault(step.source, []).append(step)
    run = run_per_source(by_source, connector_for, handle, on_error)
    report = ApplyReport(
        case_id,
        list(run.results),
        dict(run.failed_sources),
        dict(run.seconds_by_source),
        run.seconds,
    )
    for source, left in run.not_run.items():
        report.outcomes.extend(
            StepOutcome(
                s.id,
                s.account_key,
                source,
                s.kind,
                "not run",
                False,
                f"not tried: {run.failed_sources.get(source, source + ' failed')}",
            )
            for s in left
        )
    return report


def apply_case(
    sstore: SuspensionStore,
    case_id: str,
    connector_for: ConnectorFactory,
    *,
    actor: str | None = None,
) -> ApplyReport:
    """Run every step of the case that is not settled yet (pending, interrupted or failed).
    Settled steps are never repeated, so applying a case twice changes nothing the second time."""
    sstore.require_case(case_id)
    todo = [s for s in sstore.steps(case_id) if not s.settled]
    report = apply_steps(sstore, case_id, todo, connector_for, actor=actor)
    audit.append(
        sstore.store,
        "suspension.apply",
        {
            "case": case_id,
            "steps": len(todo),
            "changed": sum(o.status == "changed" for o in report.outcomes),
            "failed_sources": report.failed_sources,
            "complete": report.complete,
        },
        actor=actor,
    )
    return report
