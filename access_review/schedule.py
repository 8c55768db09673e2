"""What is due for an unattended district: the nightly sync and the daily reminders, decided
from the config's ``[schedule]`` and a ledger of what already ran, so that ``access-review
run-due`` can run every hour and do each thing once (idempotent).

A daily task has one *slot* a day: the date of its latest time of day at or before now (the
02:00 sync of 2026-11-28 is slot "2026-11-28" from 02:00 that day until 01:59 the next). A
slot is due until a run of it succeeds, or it was tried ``max_attempts`` times (a failure is
tried again at the next hourly run, not every minute, and not forever). A slot missed while
the machine was off is run when it is back (as systemd's ``Persistent=true`` does).

The ledger is the store's ``scheduled_tasks`` table: task, slot, attempt, when it started and
ended, whether it succeeded, and what it said.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Mapping

from .errors import ConfigError
from .settings_spec import Setting
from .store import Store, now_iso

SCHEDULE_SETTINGS = (
    Setting("sync_at", "02:00", 'the nightly sync, local time ("": no scheduled sync)'),
    Setting("remind_at", "08:00", 'reminders for an open campaign, local time ("": none)'),
    Setting("remind_every_days", 1, "days between reminders (1: daily)"),
    Setting(
        "campaign_at",
        "07:00",
        "on a campaign's start date ([campaigns] starts), when it is created and sent",
    ),
    Setting(
        "max_attempts",
        3,
        "a failed task is tried again at the next run, up to this many times a day",
    ),
)

MIGRATIONS = [
    """
    CREATE TABLE scheduled_tasks (
        task TEXT NOT NULL,
        slot TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        ok INTEGER,
        message TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (task, slot, attempt)
    );
    """,
]


@dataclass(frozen=True)
class Schedule:
    sync_at: time | None = time(2, 0)
    remind_at: time | None = time(8, 0)
    remind_every_days: int = 1
    campaign_at: time = time(7, 0)
    max_attempts: int = 3


def _clock(where: str, key: str, value: object, *, optional: bool) -> time | None:
    if optional and value in ("", None):
        return None
    if not isinstance(value, str) or not re.fullmatch(r"([01]\d|2[0-3]):[0-5]\d", value):
        raise ConfigError(
            f'{where}: {key} must be a time of day like "02:00"'
            + (' (or "" for none)' if optional else "")
            + f", not {value!r}"
        )
    return time(int(value[:2]), int(value[3:]))


def parse_schedule(section: Mapping[str, object], where: str = "[schedule]") -> Schedule:
    known = {s.key for s in SCHEDULE_SETTINGS}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r}", hint=f"known: {', '.join(sorted(known))}"
        )
    numbers = {}
    for key in ("remind_every_days", "max_attempts"):
        value = section.get(key, getattr(Schedule, key))
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise ConfigError(f"{where}: {key} must be a whole number at least 1, not {value!r}")
        numbers[key] = value
    return Schedule(
        sync_at=_clock(where, "sync_at", section.get("sync_at", "02:00"), optional=True),
        remind_at=_clock(where, "remind_at", section.get("remind_at", "08:00"), optional=True),
        campaign_at=_clock(
            where, "campaign_at", section.get("campaign_at", "07:00"), optional=False
        )
        or time(7, 0),
        **numbers,
    )


def daily_slot(now: datetime, at: time) -> date:
    """The date of the latest ``at`` at or before ``now`` (local time)."""
    return now.date() if now.time() >= at else now.date() - timedelta(days=1)


@dataclass(frozen=True)
class Attempt:
    task: str
    slot: str
    attempt: int
    started_at: str
    finished_at: str | None
    ok: bool | None
    message: str


class TaskLedger:
    """What run-due already did, in the store."""

    def __init__(self, store: Store):
        self.store = store
        store.ensure_feature_schema("schedule", MIGRATIONS)

    def attempts(self, task: str, slot: str) -> list[Attempt]:
        rows = self.store.db.execute(
            "SELECT task, slot, attempt, started_at, finished_at, ok, message FROM scheduled_tasks"
            " WHERE task=? AND slot=? ORDER BY attempt",
            (task, slot),
        ).fetchall()
        return [
            Attempt(r[0], r[1], r[2], r[3], r[4], None if r[5] is None else bool(r[5]), r[6])
            for r in rows
        ]

    def last_success(self, task: str) -> Attempt | None:
        row = self.store.db.execute(
            "SELECT task, slot, attempt, started_at, finished_at, ok, message FROM scheduled_tasks"
            " WHERE task=? AND ok=1 ORDER BY slot DESC, attempt DESC LIMIT 1",
            (task,),
        ).fetchone()
        return Attempt(row[0], row[1], row[2], row[3], row[4], True, row[6]) if row else None

    def why_not_due(self, task: str, slot: str, max_attempts: int) -> str | None:
        """None when the slot is due; else why not (done already, or tried enough)."""
        tried = self.attempts(task, slot)
        if any(a.ok for a in tried):
            done = next(a for a in tried if a.ok)
            return f"done at {done.finished_at or done.started_at}"
        if len(tried) >= max_attempts:
            return f"failed {len(tried)} time(s) already (last: {tried[-1].message}); tried again in the next slot"
        return None

    def begin(self, task: str, slot: str) -> int:
        with self.store.transaction() as db:
            attempt = len(self.attempts(task, slot)) + 1
            db.execute(
                "INSERT INTO scheduled_tasks (task, slot, attempt, started_at) VALUES (?,?,?,?)",
                (task, slot, attempt, now_iso()),
            )
        return attempt

    def finish(self, task: str, slot: str, attempt: int, ok: bool, message: str) -> None:
        with self.store.transaction() as db:
            db.execute(
                "UPDATE scheduled_tasks SET finished_at=?, ok=?, message=? WHERE task=? AND slot=? AND attempt=?",
                (now_iso(), int(ok), message[:500], task, slot, attempt),
            )
