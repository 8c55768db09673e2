"""Verification: after remediation, the next complete sync shows each revoked access gone.

Only a complete snapshot read after the remediation can confirm anything ("nothing counts as
removed unless it is missing from a complete snapshot"); until every source the plan touched
(and every source the item's access ran through) has one, verification refuses.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from access_review.errors import AccessReviewError
from access_review.graph import describe_path
from access_review.records import source_of

from .items import Item


@dataclass(frozen=True)
class VerifiedItem:
    item: Item
    status: str  # gone | still_present
    detail: str


def sources_to_confirm(items: list[Item], plan_sources: set[str]) -> set[str]:
    sources = set(plan_sources)
    for item in items:
        sources.update(source_of(k) for k in item.accounts)
    return sources


def check_fresh_syncs(store, sources: set[str], remediated_at: str) -> dict[str, int]:
    """The complete sync run of each source read after ``remediated_at``, or an error naming
    the sources still waiting for one."""
    since = datetime.fromisoformat(remediated_at)
    runs: dict[str, int] = {}
    stale = []
    for source in sorted(sources):
        run = store.latest_complete_run(source)
        started = getattr(run, "started_at", None) if run else None
        if run is None or started is None or started < since:
            stale.append(source)
        else:
            runs[source] = run.id
    if stale:
        raise AccessReviewError(
            f"no complete sync of {', '.join(stale)} since the remediation ({remediated_at})",
            hint="run `access-review sync`; only a complete snapshot can confirm that access is gone",
        )
    return runs


def verify_items(analysis, items: list[Item]) -> list[VerifiedItem]:
    """Each revoked item: does the subject (any of its accounts) still reach the resource?"""
    reach: dict[tuple[str, str], list] = {}
    for x in analysis.access:
        reach.setdefault((x.person or x.account, x.resource), []).append(x)
        if x.person:  # an account unmatched at review time may be matched to a person since
            reach.setdefault((x.account, x.resource), []).append(x)
    out = []
    for item in items:
        left = reach.get((item.subject, item.resource), [])
        if left:
            detail = "still reachable: " + " | ".join(
                describe_path(analysis.graph, x.path[:-1]) for x in left
            )
            out.append(VerifiedItem(item, "still_present", detail))
        else:
            out.append(VerifiedItem(item, "gone", "no path in the latest complete snapshots"))
    return out
