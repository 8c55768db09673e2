"""What others may read of the campaigns: small frozen views of a campaign and its items,
decisions, remediation and verification, and the functions that read them. The exports (the
superintendent's report, evidence packs) read campaigns only through this module.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from access_review.errors import AccessReviewError
from access_review.store import Store

from .items import ISO_REVIEWER
from .store import CampaignStore


@dataclass(frozen=True)
class CampaignItemView:
    item_id: str
    person: str              # name, or "" for an account with no roster person
    employee_id: str
    account: str             # login (source)
    resource: str
    classification: str
    path: str
    flags: tuple[str, ...]
    recommendation: str
    reviewer: str            # the data manager (or ISO) the item was sent to
    decision: str            # keep | revoke | "" while undecided
    decision_source: str     # reviewer | default | ""
    justification: str
    decided_by: str
    decided_at: datetime | None
    action: str              # what remediation did ("" when nothing was needed)
    action_result: str       # changed | unchanged | refused | failed | "" (not yet run)
    action_message: str
    verification: str        # gone | still present | "" (not yet verified)


@dataclass(frozen=True)
class CampaignView:
    id: int
    name: str
    state: str
    created_at: datetime | None
    due: date | None
    snapshot_times: dict[str, datetime | None]   # source -> snapshot reviewed
    items: tuple[CampaignItemView, ...]
    extra: dict[str, Any] = field(default_factory=dict)

    def completion_by_reviewer(self, today: date) -> list[tuple[str, int, int, bool]]:
        """(reviewer, items, decided by the reviewer or a default, overdue) per reviewer."""
        totals: dict[str, list[int]] = {}
        for item in self.items:
            counts = totals.setdefault(item.reviewer, [0, 0])
            counts[0] += 1
            counts[1] += 1 if item.decision else 0
        late = self.state == "open" and self.due is not None and today > self.due
        return [(reviewer, n, done, late and done < n) for reviewer, (n, done) in sorted(totals.items())]


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _snapshot_times(store: Store, runs: dict[str, int]) -> dict[str, datetime | None]:
    """When each pinned sync run finished (the snapshot the campaign reviewed)."""
    out: dict[str, datetime | None] = {}
    for source, run_id in sorted(runs.items()):
        run = store.sync_run(run_id)
        out[source] = run.finished_at if run else None
    return out


def campaign_name(campaign) -> str:
    """How people name a campaign: its quarter, with the scope when it is not everything."""
    return campaign.quarter if campaign.scope == "all" else f"{campaign.quarter} ({campaign.scope})"


def _reviewer_label(item) -> str:
    # The ISO reviews privileged roles and orphaned resources and may also be a data manager:
    # keep the two workloads apart, as the ISO sees them.
    name = item.reviewer_name or item.reviewer
    return f"{name} (ISO)" if item.reviewer == ISO_REVIEWER else name


def _campaign_view(store: Store, cstore: CampaignStore, campaign: Any) -> CampaignView:
    decisions = cstore.effective_decisions(campaign.id)
    steps: dict[str, list] = {}
    for step in cstore.plan(campaign.id):
        steps.setdefault(step.item_id, []).append(step)
    verified = cstore.verification(campaign.id)
    items = []
    for item in cstore.items(campaign.id):
        d = decisions.get(item.item_id)
        item_steps = steps.get(item.item_id, [])
        status, detail = verified.get(item.item_id, ("", ""))
        items.append(CampaignItemView(
            item_id=item.item_id, person=item.name, employee_id=item.employee_id,
            account="; ".join(item.account_labels), resource=item.resource,
            classification=item.classification, path=item.path_text,
            flags=tuple(flag for flag, _ in item.flags), recommendation=item.recommendation,
            reviewer=_reviewer_label(item),
            decision=d.decision if d else "", decision_source=d.source if d else "",
            justification=d.justification if d else "", decided_by=d.decided_by if d else "",
            decided_at=_parse_time(d.decided_at) if d else None,
            action="; ".join(f"{s.kind} {s.target}" + (f" ({s.note})" if s.note else "") for s in item_steps),
            action_result="; ".join(s.status for s in item_steps),
            action_message="; ".join(s.message for s in item_steps if s.message),
            verification=(status.replace("_", " ") + (f": {detail}" if detail else "")) if status else ""))
    return CampaignView(id=campaign.id, name=campaign_name(campaign), state=campaign.state,
                        created_at=_parse_time(campaign.created_at), due=campaign.due,
                        snapshot_times=_snapshot_times(store, campaign.snapshot_runs), items=tuple(items),
                        extra={"quarter": campaign.quarter, "scope": campaign.scope,
                               "closed_at": campaign.closed_at, "remediated_at": campaign.remediated_at,
                               "verified_at": campaign.verified_at})


def read_current_campaign(store: Store) -> CampaignView | None:
    """The campaign in progress (the latest not yet verified), else the latest one; None when
    no campaign was ever created."""
    cstore = CampaignStore(store)
    campaigns = cstore.all()
    if not campaigns:
        return None
    in_progress = [c for c in campaigns if c.state != "verified"]
    current = (in_progress or campaigns)[-1]
    return _campaign_view(store, cstore, current)


def read_campaign_by_name(store: Store, name: str) -> CampaignView:
    """A campaign by id (``3``), quarter (``2026Q4``) or quarter and scope as listed."""
    cstore = CampaignStore(store)
    campaigns = cstore.all()
    wanted = name.strip()
    matches = [c for c in campaigns if str(c.id) == wanted] or \
              [c for c in campaigns if campaign_name(c).lower() == wanted.lower()] or \
              [c for c in campaigns if c.quarter.lower() == wanted.lower()]
    listing = ", ".join(f"{c.id} = {campaign_name(c)}" for c in campaigns) or "none yet"
    if not matches:
        raise AccessReviewError(f"no campaign named {name!r}", hint=f"campaigns: {listing}")
    if len(matches) > 1:
        raise AccessReviewError(f"{name!r} names {len(matches)} campaigns", hint=f"use the id: {listing}")
    return _campaign_view(store, cstore, matches[0])
