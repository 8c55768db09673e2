"""Suspension cases in the store (feature schema "suspensions").

A case keeps every account it covers and every step, with the state read before the step
(from the last sync when the case is opened, then as the directory reported it when the step
ran) and the step's status. That is enough to resume an interrupted case without doing a step
twice, and to restore exactly what the case changed.

Step status: pending -> started -> changed | unchanged | refused | failed.
``started`` with no outcome means the process stopped while the directory call was in flight.
``ours`` is set when this case is what disabled the account (what restore undoes).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from ..connector import Action, ActionResult
from ..errors import AccessReviewError
from ..store import Store, inserted_id, now_iso
from ..versioned import Row
from .plan import SuspensionPlan

FEATURE = "suspensions"
MIGRATIONS = [
    """
    CREATE TABLE suspension_cases (
        id TEXT PRIMARY KEY,
        reason TEXT NOT NULL,
        until TEXT,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL,
        targets TEXT NOT NULL,
        revoke_tokens INTEGER NOT NULL DEFAULT 0,
        restored_at TEXT
    );
    CREATE TABLE suspension_accounts (
        case_id TEXT NOT NULL REFERENCES suspension_cases(id),
        account_key TEXT NOT NULL,
        source TEXT NOT NULL,
        login TEXT NOT NULL,
        person TEXT,
        enabled_at_sync INTEGER NOT NULL,
        disposition TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        holds TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (case_id, account_key)
    );
    CREATE TABLE suspension_steps (
        id INTEGER PRIMARY KEY,
        case_id TEXT NOT NULL REFERENCES suspension_cases(id),
        account_key TEXT NOT NULL,
        source TEXT NOT NULL,
        kind TEXT NOT NULL,
        client_id TEXT NOT NULL DEFAULT '',
        params TEXT NOT NULL DEFAULT '{}',
        why TEXT NOT NULL DEFAULT '',
        planned_prior TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN
            ('pending', 'started', 'changed', 'unchanged', 'refused', 'failed')),
        ours INTEGER NOT NULL DEFAULT 0,
        prior TEXT, after TEXT, message TEXT NOT NULL DEFAULT '',
        attempts INTEGER NOT NULL DEFAULT 0,
        started_at TEXT, finished_at TEXT,
        restore_status TEXT CHECK (restore_status IS NULL OR restore_status IN
            ('restored', 'drift', 'failed', 'refused')),
        restore_prior TEXT, restore_message TEXT NOT NULL DEFAULT '', restored_at TEXT,
        UNIQUE (case_id, account_key, kind, client_id)
    );
    CREATE INDEX suspension_steps_case ON suspension_steps(case_id, id);
    """,
]

UNSETTLED = ("pending", "started", "failed")


def _load(value: str | None) -> dict[str, Any]:
    return json.loads(value) if value else {}


@dataclass(frozen=True)
class Case:
    id: str
    reason: str
    until: date | None
    created_at: datetime
    created_by: str
    targets: tuple[str, ...]
    revoke_tokens: bool
    restored_at: datetime | None


@dataclass(frozen=True)
class CaseAccount:
    account_key: str
    source: str
    login: str
    person: str | None
    enabled_at_sync: bool
    disposition: str
    reason: str
    holds: tuple[str, ...]


@dataclass(frozen=True)
class Step:
    id: int
    case_id: str
    account_key: str
    source: str
    kind: str
    params: dict[str, Any]
    why: str
    planned_prior: dict[str, Any]
    status: str
    ours: bool
    prior: dict[str, Any]
    after: dict[str, Any]
    message: str
    attempts: int
    started_at: str | None
    finished_at: str | None
    restore_status: str | None
    restore_prior: dict[str, Any]
    restore_message: str
    restored_at: str | None

    def action(self) -> Action:
        return Action(self.kind, self.source, self.account_key, dict(self.params))

    @property
    def settled(self) -> bool:
        return self.status not in UNSETTLED


_STEP_COLUMNS = (
    "id, case_id, account_key, source, kind, params, why, planned_prior, status, ours, prior,"
    " after, message, attempts, started_at, finished_at, restore_status, restore_prior,"
    " restore_message, restored_at"
)


def _step(row: Row) -> Step:
    return Step(
        id=row[0],
        case_id=row[1],
        account_key=row[2],
        source=row[3],
        kind=row[4],
        params=_load(row[5]),
        why=row[6],
        planned_prior=_load(row[7]),
        status=row[8],
        ours=bool(row[9]),
        prior=_load(row[10]),
        after=_load(row[11]),
        message=row[12],
        attempts=row[13],
        started_at=row[14],
        finished_at=row[15],
        restore_status=row[16],
        restore_prior=_load(row[17]),
        restore_message=row[18],
        restored_at=row[19],
    )


class SuspensionStore:
    def __init__(self, store: Store):
        self.store = store
        store.ensure_feature_schema(FEATURE, MIGRATIONS)
        self.db = store.db

    # -- cases ------------------------------------------------------------------------------
    def case(self, case_id: str) -> Case | None:
        row = self.db.execute(
            "SELECT id, reason, until, created_at, created_by, targets, revoke_tokens,"
            " restored_at FROM suspension_cases WHERE id=?",
            (case_id,),
        ).fetchone()
        return _case(row) if row else None

    def require_case(self, case_id: str) -> Case:
        found = self.case(case_id)
        if found is None:
            raise AccessReviewError(
                f"no suspension case {case_id!r}",
                hint="`access-review suspensions` lists the cases",
            )
        return found

    def cases(self) -> list[Case]:
        rows = self.db.execute(
            "SELECT id, reason, until, created_at, created_by, targets, revoke_tokens,"
            " restored_at FROM suspension_cases ORDER BY created_at, id"
        ).fetchall()
        return [_case(r) for r in rows]

    def record_plan(
        self, case_id: str, reason: str, until: date | None, plan: SuspensionPlan, actor: str
    ) -> tuple[Case, list[Step]]:
        """Open the case (or extend it) with the plan, in one transaction, before any change.

        Steps the case already has are kept as they are (a second run of the same suspension
        does not redo them); only new steps are added. Returns the case and the new steps."""
        new_ids: list[int] = []
        with self.store.transaction() as db:
            exists = db.execute("SELECT 1 FROM suspension_cases WHERE id=?", (case_id,)).fetchone()
            if (
                exists
                and db.execute(
                    "SELECT restored_at FROM suspension_cases WHERE id=?", (case_id,)
                ).fetchone()[0]
            ):
                raise AccessReviewError(
                    f"case {case_id} was restored and is closed",
                    hint="open a new case with another --case ID",
                )
            if exists:
                old = json.loads(
                    db.execute(
                        "SELECT targets FROM suspension_cases WHERE id=?", (case_id,)
                    ).fetchone()[0]
                )
                merged = list(dict.fromkeys([*old, *plan.targets]))
                db.execute(
                    "UPDATE suspension_cases SET targets=?, revoke_tokens=MAX(revoke_tokens, ?),"
                    " until=COALESCE(?, until), restored_at=NULL WHERE id=?",
                    (
                        json.dumps(merged),
                        int(plan.revoke_tokens),
                        until.isoformat() if until else None,
                        case_id,
                    ),
                )
            else:
                db.execute(
                    "INSERT INTO suspension_cases VALUES (?,?,?,?,?,?,?,NULL)",
                    (
                        case_id,
                        reason,
                        until.isoformat() if until else None,
                        now_iso(),
                        actor,
                        json.dumps(list(plan.targets)),
                        int(plan.revoke_tokens),
                    ),
                )
            for acct in plan.accounts:
                db.execute(
                    "INSERT INTO suspension_accounts VALUES (?,?,?,?,?,?,?,?,?)"
                    " ON CONFLICT(case_id, account_key) DO NOTHING",
                    (
                        case_id,
                        acct.key,
                        acct.source,
                        acct.login,
                        acct.person,
                        int(acct.enabled),
                        acct.disposition,
                        acct.reason,
                        json.dumps(list(acct.holds)),
                    ),
                )
                for s in acct.steps:
                    cur = db.execute(
                        "INSERT INTO suspension_steps (case_id, account_key, source, kind, client_id, params,"
                        " why, planned_prior, status) VALUES (?,?,?,?,?,?,?,?,'pending')"
                        " ON CONFLICT(case_id, account_key, kind, client_id) DO NOTHING",
                        (
                            case_id,
                            s.account_key,
                            s.source,
                            s.kind,
                            str(s.params.get("client_id", "")),
                            json.dumps(dict(s.params)),
                            s.why,
                            json.dumps(dict(acct.prior) or {"enabled": acct.enabled}, default=str),
                        ),
                    )
                    if cur.rowcount:
                        new_ids.append(inserted_id(cur))
        case = self.require_case(case_id)
        return case, [s for s in self.steps(case_id) if s.id in set(new_ids)]

    def accounts(self, case_id: str) -> list[CaseAccount]:
        rows = self.db.execute(
            "SELECT account_key, source, login, person, enabled_at_sync, disposition,"
            " reason, holds FROM suspension_accounts WHERE case_id=? ORDER BY rowid",
            (case_id,),
        ).fetchall()
        return [
            CaseAccount(r[0], r[1], r[2], r[3], bool(r[4]), r[5], r[6], tuple(json.loads(r[7])))
            for r in rows
        ]

    def steps(self, case_id: str) -> list[Step]:
        rows = self.db.execute(
            f"SELECT {_STEP_COLUMNS} FROM suspension_steps WHERE case_id=? ORDER BY id",  # noqa: S608 (a constant column list)
            (case_id,),
        ).fetchall()
        return [_step(r) for r in rows]

    def step(self, step_id: int) -> Step:
        return _step(
            self.db.execute(
                f"SELECT {_STEP_COLUMNS} FROM suspension_steps WHERE id=?",  # noqa: S608 (a constant column list)
                (step_id,),
            ).fetchone()
        )

    # -- step outcomes ------------------------------------------------------------------------
    def mark_started(self, step_id: int) -> None:
        self.db.execute(
            "UPDATE suspension_steps SET status='started', attempts=attempts+1, started_at=?,"
            " finished_at=NULL WHERE id=?",
            (now_iso(), step_id),
        )

    def record_outcome(
        self,
        step_id: int,
        status: str,
        *,
        ours: bool,
        prior: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        message: str = "",
    ) -> None:
        self.db.execute(
            "UPDATE suspension_steps SET status=?, ours=?, prior=?, after=?, message=?,"
            " finished_at=? WHERE id=?",
            (
                status,
                int(ours),
                json.dumps(prior or {}, default=str),
                json.dumps(after or {}, default=str),
                message,
                now_iso(),
                step_id,
            ),
        )

    def record_restore(
        self, step_id: int, status: str, *, prior: dict[str, Any] | None = None, message: str = ""
    ) -> None:
        self.db.execute(
            "UPDATE suspension_steps SET restore_status=?, restore_prior=?, restore_message=?,"
            " restored_at=? WHERE id=?",
            (status, json.dumps(prior or {}, default=str), message, now_iso(), step_id),
        )

    def mark_restored(self, case_id: str) -> None:
        self.db.execute(
            "UPDATE suspension_cases SET restored_at=? WHERE id=?", (now_iso(), case_id)
        )


def _case(row: Row) -> Case:
    return Case(
        id=row[0],
        reason=row[1],
        until=date.fromisoformat(row[2]) if row[2] else None,
        created_at=datetime.fromisoformat(row[3]),
        created_by=row[4],
        targets=tuple(json.loads(row[5])),
        revoke_tokens=bool(row[6]),
        restored_at=datetime.fromisoformat(row[7]) if row[7] else None,
    )


def case_state(case: Case, steps: list[Step]) -> str:
    """incomplete (steps left to do) | suspended | restore incomplete | restored."""
    if case.restored_at is not None:
        return "restored"
    if any(s.status in UNSETTLED for s in steps):
        return "incomplete"
    if any(s.restore_status for s in steps):
        return "restore incomplete"
    return "suspended"


def result_is_ours(step: Step, result: ActionResult) -> bool:
    """Did this case change the account? ``step`` is as it was before this attempt began.

    ``changed`` says so. ``unchanged`` on a step an earlier attempt started without recording
    an outcome (the process was killed, or the call timed out) while the last sync saw the
    account enabled means that earlier call did it: the directory changed before the outcome
    could be written."""
    if step.kind != "disable_account":
        return result.status == "changed"
    if result.status == "changed":
        return True
    interrupted = step.status in ("started", "failed")
    return result.status == "unchanged" and interrupted and bool(step.planned_prior.get("enabled"))
