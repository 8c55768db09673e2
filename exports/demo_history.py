"""The demo's history: a generated previous quarter, so that the demo district's report has a
trend to show from its first run (a district's own history builds up one report a quarter).

The quarter before is this quarter's figures as the report computes them, made worse the way
a district's first quarter usually is: one more resource without a data manager, a few more
unauthorized accesses and unapproved apps, fewer people trained, more separated accounts
waiting, a review that fewer data managers answered. It is recorded with origin "demo", and
every page that shows it says it was generated.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from access_review.store import Store

from .history import QuarterFigures, previous_quarter, quarter_end, quarter_of, record_quarter
from .scorecard import percent
from .superintendent import build_report_scorecard, read_report_inputs

if TYPE_CHECKING:
    from access_review.analysis import Analysis

# The previous quarter's review, as the demo tells it (shares of its items).
DEMO_CAMPAIGN = {
    "campaign_answered_percent": 71.0,
    "campaign_defaulted_percent": 18.0,
    "campaign_unanswered_percent": 11.0,
}


def build_demo_previous_quarter(store: Store, a: "Analysis") -> QuarterFigures:
    now = build_report_scorecard(a, read_report_inputs(store, a)).figures()
    total = len(a.inventory.resources)
    invalid = len({f.resource for f in a.findings if f.type == "data_manager_invalid"})

    def more(key: str, extra: int) -> float | None:
        value = now.get(key)
        return None if value is None else value + extra

    training = now.get("training_percent")

    figures = dict(now)
    figures.update(DEMO_CAMPAIGN)
    figures.update(
        {
            "inventory_valid_percent": percent(max(0, total - invalid - 1), total)
            if total
            else None,
            "unauthorized_access": more("unauthorized_access", 3),
            "unapproved_apps": more("unapproved_apps", 1),
            "training_percent": None if training is None else max(0.0, training - 6),
            "retention_awaiting": more("retention_awaiting", 2),
            "open_investigations": 0,
            "oldest_investigation_days": None,
            "audit_verified": 1,
            "audit_entries": max(1, int(now.get("audit_entries") or 0) // 2),
        }
    )
    quarter = previous_quarter(quarter_of(a.today))
    return QuarterFigures(
        quarter=quarter, as_of=quarter_end(quarter), origin="demo", figures=figures
    )


def record_demo_history(store: Store, a: "Analysis") -> QuarterFigures:
    record = build_demo_previous_quarter(store, a)
    record_quarter(store, record)
    return record
