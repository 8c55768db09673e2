"""What the review changed, by data manager: items answered, defaulted, unanswered; accesses
revoked, the removals applied, confirmed gone by a later complete sync, and still pending.

Counted from the campaign's item views only (``campaigns/results.py``): an item with no
decision is unanswered, one whose decision came from the default was closed by it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .feature_views import CampaignItemView, CampaignView

APPLIED_RESULTS = {"changed", "unchanged"}  # "unchanged": the access was already gone when applied


@dataclass(frozen=True)
class ReviewerResults:
    reviewer: str
    items: int = 0
    answered: int = 0
    defaulted: int = 0
    unanswered: int = 0
    revoked: int = 0
    applied: int = 0
    confirmed_gone: int = 0

    @property
    def pending(self) -> int:
        """Revoked and not yet confirmed gone by a complete sync."""
        return self.revoked - self.confirmed_gone


def applied(item: CampaignItemView) -> bool:
    results = [r.strip() for r in item.action_result.split(";") if r.strip()]
    return bool(results) and all(r in APPLIED_RESULTS for r in results)


def confirmed_gone(item: CampaignItemView) -> bool:
    return item.verification.startswith("gone")


def _count(reviewer: str, items: list[CampaignItemView]) -> ReviewerResults:
    revoked = [i for i in items if i.decision == "revoke"]
    return ReviewerResults(
        reviewer=reviewer,
        items=len(items),
        answered=sum(1 for i in items if i.decision and i.decision_source != "default"),
        defaulted=sum(1 for i in items if i.decision and i.decision_source == "default"),
        unanswered=sum(1 for i in items if not i.decision),
        revoked=len(revoked),
        applied=sum(1 for i in revoked if applied(i)),
        confirmed_gone=sum(1 for i in revoked if confirmed_gone(i)),
    )


def build_remediation_results(c: CampaignView) -> list[ReviewerResults]:
    by_reviewer: dict[str, list[CampaignItemView]] = {}
    for item in c.items:
        by_reviewer.setdefault(item.reviewer, []).append(item)
    return [_count(r, by_reviewer[r]) for r in sorted(by_reviewer, key=str.lower)]


def total_results(c: CampaignView) -> ReviewerResults:
    return _count("All data managers", list(c.items))
