"""The campaign commands as functions (the CLI is a thin layer over these, and tests drive
them directly with a fixed "today"). Each step checks the state machine, does its work,
moves the state and writes the audit log."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterable

from access_review import audit
from access_review.errors import AccessReviewError, InputError
from access_review.store import now_iso

from .delivery import notify_rejections, remind, send_campaign  # noqa: F401 - send and remind are commands too
from .importer import ImportResult, WorkbookProblem, WorkbookRejected, import_workbook
from .items import Item, build_items
from .model import next_state, parse_quarter
from .remediation import (
    ApplyReport,
    apply_plan,
    configured_default,
    default_of,
    plan_revocations,  # noqa: F401
    unanswered_at_close,
)
from .responses import ResponseTally, campaign_responses
from .rules import check_answers_open, parse_default
from .store import Campaign, CampaignStore
from .verify import VerifiedItem, check_fresh_syncs, sources_to_confirm, verify_items

__all__ = [
    "create_campaign",
    "send_campaign",
    "import_workbooks",
    "remind",
    "close_campaign",
    "remediate",
    "verify_campaign",
    "list_campaigns",
    "default_of",
    "campaign_responses",
    "UnansweredItems",
]


def parse_due(text: str, today: date) -> date:
    """``21d`` / ``3w`` from today, or a date ``2026-12-18``."""
    t = text.strip().lower()
    m = re.fullmatch(r"(\d+)\s*([dw])", t)
    if m:
        return today + timedelta(days=int(m[1]) * (7 if m[2] == "w" else 1))
    try:
        return date.fromisoformat(t)
    except ValueError:
        raise AccessReviewError(f"due {text!r} is not like 21d, 3w or 2026-12-18") from None


def scope_of(resources: Iterable[str] | None, analysis) -> tuple[str, list[str] | None]:
    if not resources:
        return "all", None
    names = []
    by_lower = {r.name.lower(): r.name for r in analysis.inventory.resources}
    for text in resources:
        name = by_lower.get(text.strip().lower())
        if name is None:
            raise AccessReviewError(
                f"no inventory resource named {text!r}",
                hint="names: " + ", ".join(sorted(by_lower.values())),
            )
        names.append(name)
    names = sorted(set(names))
    return "; ".join(names), names


def create_campaign(
    store,
    analysis,
    *,
    quarter: str,
    resources: Iterable[str] | None = None,
    due: str = "21d",
    today: date | None = None,
    default: str | None = None,
) -> tuple[Campaign, list[Item]]:
    """``default``: what unanswered items become at close (keep | revoke | recommendation |
    none); unset, ``[campaigns] default`` decides, and the campaign keeps that choice."""
    default_decision = (
        parse_default(default)
        if default is not None
        else configured_default(analysis.config.section("campaigns"))
    )
    year, q = parse_quarter(quarter)
    quarter = f"{year}Q{q}"
    today = today or analysis.today
    cstore = CampaignStore(store)
    scope, names = scope_of(resources, analysis)
    runs = {}
    for source in analysis.snapshots:
        run = store.latest_complete_run(source)
        if run is not None:
            runs[source] = run.id
    if not runs:
        raise AccessReviewError(
            "no complete snapshot of any source yet", hint="run `access-review sync`"
        )
    items = build_items(analysis, quarter=q, resources=names, previous=cstore.previous_decisions())
    campaign = cstore.create(quarter, scope, parse_due(due, today), runs, items, default_decision)
    audit.append(
        store,
        "campaign.create",
        {
            "campaign": campaign.id,
            "quarter": quarter,
            "scope": scope,
            "items": len(items),
            "snapshot_runs": runs,
            "due": campaign.due.isoformat(),
            "default": default_decision,
            "routed_to_avoid_self_review": sorted(
                i.item_id for i in items if "own access" in i.reviewer_reason
            ),
        },
    )
    return campaign, items


@dataclass(frozen=True)
class ImportOutcome:
    accepted: list[ImportResult]
    rejected: list[InputError]
    notified: list[str] = field(default_factory=list)  # reviewers e-mailed what to fix


def import_workbooks(
    store,
    files: Iterable[Path],
    campaign_id: str | int | None = None,
    *,
    config=None,
    notify: bool = True,
    today: date | None = None,
) -> ImportOutcome:
    """Each workbook judged on its own, all or nothing: a bad one is rejected with every
    problem it has and its own audit entry, and the others go on. With e-mail configured
    (``config`` has an [smtp] host) and ``notify``, each reviewer whose workbook was rejected
    gets one message listing what to fix, with their workbook attached again."""
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    check_answers_open(campaign.id, campaign.state)
    accepted, rejected = [], []
    for path in files:
        try:
            result = import_workbook(Path(path), campaign, cstore)
        except InputError as exc:
            rejected.append(exc)
        except Exception as exc:  # noqa: BLE001 - one workbook must never stop the batch (issue 14)
            rejected.append(
                WorkbookRejected(
                    str(path),
                    [WorkbookProblem(f"could not be checked ({type(exc).__name__}: {exc})")],
                )
            )
        else:
            accepted.append(result)
            audit.append(
                store,
                "campaign.import",
                {
                    "campaign": campaign.id,
                    "file": str(path),
                    "reviewer": result.reviewer,
                    "answered": result.answered,
                    "recorded": result.recorded,
                    "decisions": result.decisions,
                },
            )
            continue
        refusal = rejected[-1]
        problems = refusal.lines() if isinstance(refusal, WorkbookRejected) else [str(refusal)]
        audit.append(
            store,
            "campaign.import.rejected",
            {
                "campaign": campaign.id,
                "file": str(path),
                "reason": str(refusal),
                "problems": problems,
                "reviewer": getattr(refusal, "reviewer", None),
            },
        )
    notified = []
    if notify and config is not None and config.section("smtp").get("host"):
        notified = notify_rejections(store, cstore, campaign, config, rejected, today)
    return ImportOutcome(accepted, rejected, notified)


class UnansweredItems(AccessReviewError):
    """Close was asked without --yes while items have no answer: nothing was changed."""

    exit_code = 8

    def __init__(
        self,
        campaign: Campaign,
        default: str,
        per_reviewer: list[ResponseTally],
        total: ResponseTally,
    ):
        self.campaign, self.default, self.per_reviewer, self.total = (
            campaign,
            default,
            per_reviewer,
            total,
        )
        super().__init__(
            f"{campaign.label}: {total.unanswered} of {total.items} item(s) have no answer",
            hint="run `access-review campaign close --yes` to close anyway and record them as "
            '"no response", or remind the reviewers first (`campaign remind`)',
        )


@dataclass(frozen=True)
class CloseReport:
    campaign: Campaign
    default: str
    per_reviewer: list[ResponseTally]  # after close
    total: ResponseTally
    no_response: int  # items nobody answered
    plan: list


def close_campaign(
    store,
    analysis,
    campaign_id: str | int | None = None,
    refusal: Callable | None = None,
    *,
    confirmed: bool = False,
) -> CloseReport:
    """Record every unanswered item as "no response → default X" (who, when), apply the
    campaign's default decision to them, and compute the remediation plan. With unanswered
    items and not ``confirmed``, raise UnansweredItems (per reviewer) and change nothing."""
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    new_state = next_state(campaign.id, campaign.state, "close")
    default = default_of(campaign, analysis.config)
    per_reviewer, total = campaign_responses(cstore, campaign)
    if total.unanswered and not confirmed:
        raise UnansweredItems(campaign, default, per_reviewer, total)
    items = cstore.items(campaign.id)
    answered = {
        k: d for k, d in cstore.effective_decisions(campaign.id).items() if d.source == "reviewer"
    }
    rows, defaults = unanswered_at_close(
        items, answered, default, closed_by=audit.actor_of(store), closed_at=now_iso()
    )
    rows, defaults = cstore.record_nonresponse(campaign.id, rows, defaults)
    decisions = cstore.effective_decisions(campaign.id)
    revoked = [k for k, d in decisions.items() if d.decision == "revoke"]
    plan = plan_revocations(analysis, items, revoked, refusal)
    cstore.save_plan(campaign.id, [p.as_row() for p in plan])
    cstore.set_state(campaign.id, new_state)
    per_reviewer, total = campaign_responses(cstore, campaign)
    audit.append(
        store,
        "campaign.close",
        {
            "campaign": campaign.id,
            "default": default,
            "no_response": [r.item_id for r in rows],
            "no_response_by_reviewer": {
                t.reviewer: t.not_answered for t in per_reviewer if t.not_answered
            },
            "defaulted": [d.item_id for d in defaults],
            "revoked": len(revoked),
            "planned_changes": len(plan),
        },
    )
    return CloseReport(cstore.get(campaign.id), default, per_reviewer, total, len(rows), plan)


def remediate(store, campaign_id: str | int | None, connector_for: Callable) -> ApplyReport:
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    new_state = next_state(campaign.id, campaign.state, "remediate")
    report = apply_plan(store, cstore, campaign.id, connector_for)
    if not report.failed:
        cstore.set_state(campaign.id, new_state)
    return report


def verify_campaign(store, analysis, campaign_id: str | int | None = None) -> list[VerifiedItem]:
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    new_state = next_state(campaign.id, campaign.state, "verify")
    decisions = cstore.effective_decisions(campaign.id)
    revoked = [
        i
        for i in cstore.items(campaign.id)
        if i.item_id in decisions and decisions[i.item_id].decision == "revoke"
    ]
    plan_sources = {s.source for s in cstore.plan(campaign.id)}
    if (
        campaign.remediated_at is None
    ):  # (a campaign is verified after its remediation, which stamps it)
        raise AccessReviewError(f"{campaign.label} has no remediation time to verify against")
    runs = check_fresh_syncs(
        store, sources_to_confirm(revoked, plan_sources), campaign.remediated_at
    )
    results = verify_items(analysis, revoked)
    cstore.save_verification(
        campaign.id, [(v.item.item_id, v.status, v.detail) for v in results], runs
    )
    cstore.set_state(campaign.id, new_state)
    audit.append(
        store,
        "campaign.verify",
        {
            "campaign": campaign.id,
            "sync_runs": runs,
            "gone": sum(v.status == "gone" for v in results),
            "still_present": [v.item.item_id for v in results if v.status == "still_present"],
        },
    )
    return results


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    total: ResponseTally


def list_campaigns(store) -> list[CampaignSummary]:
    """Every campaign, oldest first, with its figures."""
    cstore = CampaignStore(store)
    return [CampaignSummary(c, campaign_responses(cstore, c)[1]) for c in cstore.all()]
