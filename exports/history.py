"""The scorecard's figures per quarter, kept so the report can show the trend.

Why a table of its own: the store keeps findings runs, sync runs and campaigns, but not the
roster, inventory and campaign *as they were* at the end of each quarter in a form the
scorecard could be recomputed from (findings runs do not hold training or campaign figures;
the roster and inventory are replaced on import). So the figures are written down when they
are known: each time the superintendent's report is built, its quarter's row is replaced by
the figures it shows. The last report built in a quarter stands for that quarter; earlier
quarters are never touched again. A row says where it came from (``origin``): ``report`` for
a report built by this tool, ``demo`` for the history the demo generates.

The table is the "report_history" feature schema of the store (exports own it; the core
knows nothing of it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from access_review.store import Store, now_iso

FEATURE = "report_history"
MIGRATIONS = [
    """
    CREATE TABLE scorecard_quarters (
        quarter TEXT PRIMARY KEY,        -- 2026Q4
        as_of TEXT NOT NULL,             -- the report's date
        recorded_at TEXT NOT NULL,
        origin TEXT NOT NULL,            -- report | demo
        figures TEXT NOT NULL            -- JSON: measure key -> number or null (not measured)
    );
    """,
]

ORIGINS = ("report", "demo")


@dataclass(frozen=True)
class QuarterFigures:
    quarter: str
    as_of: date
    origin: str
    figures: dict[str, float | None]
    recorded_at: str = ""


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def previous_quarter(quarter: str) -> str:
    year, q = int(quarter[:4]), int(quarter[5])
    return f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}"


def quarter_end(quarter: str) -> date:
    year, q = int(quarter[:4]), int(quarter[5])
    return date(year, 3 * q, 31 if q in (1, 4) else 30)


def _ready(store: Store) -> None:
    store.ensure_feature_schema(FEATURE, MIGRATIONS)


def read_history(store: Store) -> list[QuarterFigures]:
    """Every recorded quarter, oldest first."""
    _ready(store)
    rows = store.db.execute(
        "SELECT quarter, as_of, origin, figures, recorded_at FROM scorecard_quarters ORDER BY quarter"
    ).fetchall()
    return [
        QuarterFigures(
            quarter=r[0],
            as_of=date.fromisoformat(r[1]),
            origin=r[2],
            figures=json.loads(r[3]),
            recorded_at=r[4],
        )
        for r in rows
    ]


def record_quarter(store: Store, record: QuarterFigures) -> None:
    """Write (or replace) one quarter's figures."""
    if record.origin not in ORIGINS:
        raise ValueError(f"unknown origin {record.origin!r}")
    _ready(store)
    with store.transaction() as db:
        db.execute(
            "INSERT INTO scorecard_quarters (quarter, as_of, recorded_at, origin, figures)"
            " VALUES (?,?,?,?,?) ON CONFLICT(quarter) DO UPDATE SET as_of=excluded.as_of,"
            " recorded_at=excluded.recorded_at, origin=excluded.origin, figures=excluded.figures",
            (
                record.quarter,
                record.as_of.isoformat(),
                now_iso(),
                record.origin,
                json.dumps(record.figures, sort_keys=True),
            ),
        )
