"""What others may read of the campaigns: small frozen views of a campaign and its items,
decisions, non-response, remediation and verification, and the functions that read them. The
exports (the superintendent's report, evidence packs) read campaigns only through this module.

Non-response is part of the view, never left for a reader to work out: each item says whether
it was decided by its reviewer, defaulted (no answer; the default kept or revoked it) or left
unanswered, with "no response → default X (who, when)"; the campaign carries the same counts
per reviewer (``responses``) and overall (``totals``), its default decision, and a
``state_text`` that never says just "verified" when reviewers did not answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from access_review.store import Store

from . import wording
from .responses import DECIDED, ResponseTally, response_of, tally
from .rules import reviewer_role
from .store import Campaign, CampaignStore


@dataclass(frozen=True)
class CampaignItemView:
    item_id: str
    person: str  # name, or "" for an account with no roster person
    employee_id: str
    account: str  # login (source)
    resource: str
    classification: str
    path: str
    flags: tuple[str, ...]
    recommendation: str
    reviewer: str  # the data manager (or ISO) the item was sent to
    decision: str  # keep | revoke | "" while undecided
    decision_source: str  # reviewer | default | ""
    justification: str
    decided_by: str
    decided_at: datetime | None
    action: str  # what remediation did ("" when nothing was needed)
    action_result: str  # changed | unchanged | refused | failed | "" (not yet run)
    action_message: str
    verification: str  # gone | still present | "" (not yet verified)
    response: str = ""  # decided | defaulted | unanswered
    response_text: str = (
        ""  # "decided: keep", "no response → default keep (recorded by tsmith, 2026-12-20 …)"
    )
    access_text: str = ""  # how they have access, in plain words (one path per line)
    via: str = ""  # how the reviewer answered: web | workbook ("" for a default or no answer)


@dataclass(frozen=True)
class ReviewerResponses:
    """One reviewer's answers (reviewer "" with name "all reviewers": the whole campaign)."""

    reviewer: str  # as on the items: "Dana Lee", "Timothy Smith (ISO)"
    items: int
    decided: int  # answered by the reviewer
    defaulted: int  # not answered; the default decision kept or revoked it at close
    unanswered: int  # not answered and nothing decided (still open, or default "no action")
    revoked: int
    flagged: int
    flagged_kept: int

    @property
    def not_answered(self) -> int:
        return self.defaulted + self.unanswered


@dataclass(frozen=True)
class CampaignView:
    id: int
    name: str
    state: str
    created_at: datetime | None
    due: date | None
    snapshot_times: dict[str, datetime | None]  # source -> snapshot reviewed
    items: tuple[CampaignItemView, ...]
    extra: dict[str, Any] = field(default_factory=dict)
    default_decision: str = ""  # keep | revoke | recommendation | none ("" unknown)
    responses: tuple[ReviewerResponses, ...] = ()  # per reviewer, by name
    totals: ReviewerResponses | None = None  # the whole campaign

    @property
    def default_text(self) -> str:
        """ "Items with no answer when the review closes: keep — their access is kept." """
        return wording.default_text(self.default_decision) if self.default_decision else ""

    @property
    def closed_with_nonresponse(self) -> bool:
        return self.state in ("closed", "remediated", "verified") and bool(
            self.totals and self.totals.not_answered
        )

    @property
    def state_text(self) -> str:
        """The state as people should read it: "verified with non-response: 160 of 412 items
        had no answer (default keep)" — never just "verified" when reviewers did not answer."""
        t = self.totals
        if not self.closed_with_nonresponse or t is None:
            return self.state
        return (
            f"{self.state} with non-response: {t.not_answered} of {t.items} items had no answer"
            f" (default {self.default_words})"
        )

    @property
    def default_words(self) -> str:
        """The default decision for unanswered items in the words people read ("keep")."""
        return wording.DEFAULT_WORDS.get(self.default_decision, self.default_decision or "none")

    def completion_by_reviewer(self, today: date) -> list[tuple[str, int, int, bool]]:
        """(reviewer, items, decided by the reviewer or a default, overdue) per reviewer."""
        totals: dict[str, list[int]] = {}
        for item in self.items:
            counts = totals.setdefault(item.reviewer, [0, 0])
            counts[0] += 1
            counts[1] += 1 if item.decision else 0
        late = self.state == "open" and self.due is not None and today > self.due
        return [
            (reviewer, n, done, late and done < n) for reviewer, (n, done) in sorted(totals.items())
        ]


def _parse_time(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _snapshot_times(store: Store, runs: dict[str, int]) -> dict[str, datetime | None]:
    """When each pinned sync run finished (the snapshot the campaign reviewed)."""
    out: dict[str, datetime | None] = {}
    for source, run_id in sorted(runs.items()):
        run = store.sync_run(run_id)
        out[source] = run.finished_at if run else None
    return out


def campaign_name(campaign: Campaign) -> str:
    """How people name a campaign: its quarter, with the scope when it is not everything."""
    return campaign.name


def _reviewer_label(item) -> str:
    # The ISO reviews privileged roles and orphaned resources and may also be a data manager:
    # keep the two workloads apart, as the ISO sees them (and the alternate ISO's, for the ISO's own).
    name = item.reviewer_name or item.reviewer
    role = reviewer_role(item.reviewer)
    return f"{name} ({role})" if role else name


def _responses_view(t: ResponseTally, label: str) -> ReviewerResponses:
    return ReviewerResponses(
        label, t.items, t.decided, t.defaulted, t.unanswered, t.revoked, t.flagged, t.flagged_kept
    )


def _response_text(kind: str, d, nonresponse, default: str) -> str:
    if kind == DECIDED:
        return wording.response_text(kind, decision=d.decision)
    r = nonresponse
    if r is None:
        return wording.response_text(kind)
    return wording.response_text(
        kind,
        default=r.default_decision,
        decision=d.decision if d else "",
        who=f"by {r.recorded_by}",
        when=r.recorded_at[:16].replace("T", " ") + " UTC",
    )


def _campaign_view(store: Store, cstore: CampaignStore, campaign: Any) -> CampaignView:
    decisions = cstore.effective_decisions(campaign.id)
    nonresponse = cstore.nonresponse(campaign.id)
    default = campaign.default_decision or ""
    steps: dict[str, list] = {}
    for step in cstore.plan(campaign.id):
        steps.setdefault(step.item_id, []).append(step)
    verified = cstore.verification(campaign.id)
    items = []
    for item in cstore.items(campaign.id):
        d = decisions.get(item.item_id)
        kind = response_of(item.item_id, decisions, nonresponse)
        item_steps = steps.get(item.item_id, [])
        status, detail = verified.get(item.item_id, ("", ""))
        items.append(
            CampaignItemView(
                item_id=item.item_id,
                person=item.name,
                employee_id=item.employee_id,
                account="; ".join(item.account_labels),
                resource=item.resource,
                classification=item.classification,
                path=item.path_text,
                flags=tuple(flag for flag, _ in item.flags),
                recommendation=item.recommendation,
                reviewer=_reviewer_label(item),
                decision=d.decision if d else "",
                decision_source=d.source if d else "",
                justification=d.justification if d else "",
                decided_by=d.decided_by if d else "",
                decided_at=_parse_time(d.decided_at) if d else None,
                action="; ".join(
                    (s.summary or f"{s.kind} {s.target}") + (f" ({s.note})" if s.note else "")
                    for s in item_steps
                ),
                action_result="; ".join(s.status for s in item_steps),
                action_message="; ".join(s.message for s in item_steps if s.message),
                verification=(status.replace("_", " ") + (f": {detail}" if detail else ""))
                if status
                else "",
                response=kind,
                response_text=_response_text(kind, d, nonresponse.get(item.item_id), default),
                access_text=item.access_plain,
                via=d.channel if d else "",
            )
        )
    raw_items = cstore.items(campaign.id)
    per, total = tally(raw_items, decisions, nonresponse)
    label_of = {i.reviewer: _reviewer_label(i) for i in raw_items}
    return CampaignView(
        id=campaign.id,
        name=campaign_name(campaign),
        state=campaign.state,
        created_at=_parse_time(campaign.created_at),
        due=campaign.due,
        snapshot_times=_snapshot_times(store, campaign.snapshot_runs),
        items=tuple(items),
        extra={
            "quarter": campaign.quarter,
            "scope": campaign.scope,
            "closed_at": campaign.closed_at,
            "remediated_at": campaign.remediated_at,
            "verified_at": campaign.verified_at,
        },
        default_decision=default,
        responses=tuple(_responses_view(t, label_of[t.reviewer]) for t in per),
        totals=_responses_view(total, "all reviewers"),
    )


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
    """A campaign by id (``3``), quarter (``2026Q4``) or quarter and scope as listed — the same
    names every ``campaign`` command accepts."""
    cstore = CampaignStore(store)
    return _campaign_view(store, cstore, cstore.find(name))


def read_campaigns(store: Store) -> list[CampaignView]:
    """Every campaign, oldest first."""
    cstore = CampaignStore(store)
    return [_campaign_view(store, cstore, c) for c in cstore.all()]


def runs_in_use(store: Store) -> dict[int, str]:
    """Sync run id -> the campaign that refers to it: the snapshots each campaign reviewed
    (its evidence pack gives their times) and those its verification read. The store's
    retention keeps them (`access-review store prune`)."""
    cstore = CampaignStore(store)
    out: dict[int, str] = {}
    names = {}
    for campaign in cstore.all():
        names[campaign.id] = campaign.name
        for run_id in campaign.snapshot_runs.values():
            out.setdefault(int(run_id), f"reviewed by campaign {campaign.name}")
    for campaign_id, runs in store.db.execute(
        "SELECT DISTINCT campaign_id, sync_runs FROM campaign_verification"
    ):
        for run_id in json.loads(runs).values():
            out.setdefault(
                int(run_id),
                f"read by the verification of campaign {names.get(campaign_id, campaign_id)}",
            )
    return out
