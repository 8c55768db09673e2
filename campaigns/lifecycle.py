"""The campaign commands as functions (the CLI is a thin layer over these, and tests drive
them directly with a fixed "today"). Each step checks the state machine, does its work,
moves the state and writes the audit log."""
from __future__ import annotations

import re
import tempfile
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterable

from access_review import audit
from access_review.errors import AccessReviewError, InputError

from .importer import ImportResult, import_workbook
from .items import Item, Reviewer, build_items, reviewers_of
from .mail import (build_escalation_message, build_review_message, send_messages, smtp_settings)
from .model import next_state, parse_quarter
from .remediation import (ApplyReport, apply_plan, configured_default, default_decisions,
                          plan_revocations)
from .store import Campaign, CampaignStore
from .verify import VerifiedItem, check_fresh_syncs, sources_to_confirm, verify_items
from .workbook import write_review_workbook


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
            raise AccessReviewError(f"no inventory resource named {text!r}",
                                    hint="names: " + ", ".join(sorted(by_lower.values())))
        names.append(name)
    names = sorted(set(names))
    return "; ".join(names), names


def create_campaign(store, analysis, *, quarter: str, resources: Iterable[str] | None = None,
                    due: str = "21d", today: date | None = None) -> tuple[Campaign, list[Item]]:
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
        raise AccessReviewError("no complete snapshot of any source yet", hint="run `access-review sync`")
    items = build_items(analysis, quarter=q, resources=names, previous=cstore.previous_decisions())
    campaign = cstore.create(quarter, scope, parse_due(due, today), runs, items)
    audit.append(store, "campaign.create", {"campaign": campaign.id, "quarter": quarter, "scope": scope,
                                            "items": len(items), "snapshot_runs": runs,
                                            "due": campaign.due.isoformat()})
    return campaign, items


def _answers_so_far(cstore: CampaignStore, campaign: Campaign) -> dict[str, tuple[str, str]]:
    return {item_id: (d.decision.capitalize(), d.justification)
            for item_id, d in cstore.effective_decisions(campaign.id).items() if d.source == "reviewer"}


def workbook_name(campaign: Campaign, reviewer: Reviewer) -> str:
    ascii_name = unicodedata.normalize("NFKD", reviewer.name).encode("ascii", "ignore").decode()
    safe = re.sub(r"[^A-Za-z0-9]+", "-", ascii_name).strip("-") or reviewer.key
    return f"access-review-{campaign.quarter}-{safe}-{reviewer.key}.xlsx"


def write_workbooks(cstore: CampaignStore, campaign: Campaign, folder: Path,
                    reviewers: Iterable[str] | None = None) -> dict[str, tuple[Reviewer, Path, list[Item]]]:
    items = cstore.items(campaign.id)
    answers = _answers_so_far(cstore, campaign)
    out = {}
    wanted = set(reviewers) if reviewers is not None else None
    for key, reviewer in sorted(reviewers_of(items).items()):
        if wanted is not None and key not in wanted:
            continue
        mine = [i for i in items if i.reviewer == key]
        path = write_review_workbook(folder / workbook_name(campaign, reviewer), campaign_id=campaign.id,
                                     quarter=campaign.quarter, secret=campaign.secret, reviewer=key,
                                     reviewer_name=reviewer.name, due=campaign.due, items=mine,
                                     previous_answers=answers)
        out[key] = (reviewer, path, mine)
    return out


def send_campaign(store, config, campaign_id: int | None = None, *, out: Path | None = None) -> list[tuple[str, str]]:
    """Deliver every reviewer's workbook, by e-mail or (``out``) as files. Returns (reviewer, where)."""
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    new_state = next_state(campaign.id, campaign.state, "send")
    delivered = []
    if out is not None:
        written = write_workbooks(cstore, campaign, out)
        for key, (reviewer, path, mine) in written.items():
            cstore.record_delivery(campaign.id, key, "file", str(path), f"{len(mine)} items")
            delivered.append((key, str(path)))
    else:
        settings = smtp_settings(config.section("smtp"), config.iso.email)
        with tempfile.TemporaryDirectory() as tmp:
            written = write_workbooks(cstore, campaign, Path(tmp))
            for key, (reviewer, _, _) in written.items():
                if not reviewer.email:
                    raise AccessReviewError(f"reviewer {reviewer.name} ({key}) has no e-mail address",
                                            hint="set [iso] email, or the data manager's e-mail in the roster")
            messages = [build_review_message(sender=settings.sender, reviewer_name=r.name, reviewer_email=r.email,
                                             quarter=campaign.quarter, due=campaign.due, items=mine, workbook=path)
                        for r, path, mine in written.values()]
            send_messages(settings, messages)
        for key, (reviewer, _, mine) in written.items():
            cstore.record_delivery(campaign.id, key, "send", reviewer.email, f"{len(mine)} items")
            delivered.append((key, reviewer.email))
    cstore.set_state(campaign.id, new_state)
    audit.append(store, "campaign.send", {"campaign": campaign.id, "by": "files" if out else "e-mail",
                                          "reviewers": [k for k, _ in delivered]})
    return delivered


@dataclass(frozen=True)
class ImportOutcome:
    accepted: list[ImportResult]
    rejected: list[InputError]


def import_workbooks(store, files: Iterable[Path], campaign_id: int | None = None) -> ImportOutcome:
    """Each workbook all or nothing; one bad workbook does not stop the others."""
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    next_state(campaign.id, campaign.state, "import")
    accepted, rejected = [], []
    for path in files:
        try:
            result = import_workbook(Path(path), campaign, cstore)
        except InputError as exc:
            rejected.append(exc)
            audit.append(store, "campaign.import.rejected", {"campaign": campaign.id, "file": str(path),
                                                             "reason": str(exc)})
            continue
        accepted.append(result)
        audit.append(store, "campaign.import", {"campaign": campaign.id, "file": str(path),
                                                "reviewer": result.reviewer, "answered": result.answered,
                                                "recorded": result.recorded, "decisions": result.decisions})
    return ImportOutcome(accepted, rejected)


@dataclass(frozen=True)
class ReviewerProgress:
    reviewer: Reviewer
    items: int
    decided: int
    flagged: int
    flagged_kept: int
    revoked: int

    @property
    def undecided(self) -> int:
        return self.items - self.decided


def progress(cstore: CampaignStore, campaign: Campaign) -> list[ReviewerProgress]:
    items = cstore.items(campaign.id)
    decisions = {k: d for k, d in cstore.effective_decisions(campaign.id).items() if d.source == "reviewer"}
    out = []
    for key, reviewer in sorted(reviewers_of(items).items(), key=lambda kv: kv[1].name):
        mine = [i for i in items if i.reviewer == key]
        decided = [i for i in mine if i.item_id in decisions]
        out.append(ReviewerProgress(
            reviewer, len(mine), len(decided), sum(i.flagged for i in mine),
            sum(1 for i in decided if i.flagged and decisions[i.item_id].decision == "keep"),
            sum(1 for i in decided if decisions[i.item_id].decision == "revoke")))
    return out


def remind(store, config, campaign_id: int | None = None, *, today: date | None = None) -> dict[str, list[str]]:
    """Remind every reviewer with undecided items; once past due, escalate them to the ISO and
    the alternate ISO. Returns {"reminded": [...], "escalated": [...]}."""
    today = today or date.today()
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    next_state(campaign.id, campaign.state, "remind")
    pending = [p for p in progress(cstore, campaign) if p.undecided]
    settings = smtp_settings(config.section("smtp"), config.iso.email)
    decisions = cstore.effective_decisions(campaign.id)
    messages = []
    with tempfile.TemporaryDirectory() as tmp:
        written = write_workbooks(cstore, campaign, Path(tmp), [p.reviewer.key for p in pending])
        for p in pending:
            reviewer, path, mine = written[p.reviewer.key]
            undecided = [i for i in mine if i.item_id not in decisions]
            messages.append(build_review_message(sender=settings.sender, reviewer_name=reviewer.name,
                                                 reviewer_email=reviewer.email, quarter=campaign.quarter,
                                                 due=campaign.due, items=undecided, workbook=path, reminder=True))
        overdue = today > campaign.due
        escalation = None
        if overdue and pending:
            iso = config.iso
            escalation = build_escalation_message(
                sender=settings.sender, iso_names=[(iso.name, iso.email), (iso.alternate_name, iso.alternate_email)],
                quarter=campaign.quarter, due=campaign.due,
                overdue=[(p.reviewer.name, p.reviewer.email, p.undecided,
                          sum(1 for i in written[p.reviewer.key][2] if i.flagged and i.item_id not in decisions))
                         for p in pending])
            messages.append(escalation)
        send_messages(settings, messages)
    for p in pending:
        cstore.record_delivery(campaign.id, p.reviewer.key, "remind", p.reviewer.email, f"{p.undecided} undecided")
        if escalation is not None:
            cstore.record_delivery(campaign.id, p.reviewer.key, "escalate", escalation["To"],
                                   f"{p.undecided} undecided, due {campaign.due}")
    result = {"reminded": [p.reviewer.key for p in pending],
              "escalated": [p.reviewer.key for p in pending] if escalation is not None else []}
    audit.append(store, "campaign.remind", {"campaign": campaign.id, **result})
    return result


def close_campaign(store, analysis, campaign_id: int | None = None,
                   refusal: Callable | None = None) -> tuple[Campaign, int, list]:
    """Apply the default to undecided items and compute the remediation plan."""
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    new_state = next_state(campaign.id, campaign.state, "close")
    default = configured_default(analysis.config.section("campaigns"))
    items = cstore.items(campaign.id)
    defaults = default_decisions(items, cstore.effective_decisions(campaign.id), default)
    cstore.record_decisions(campaign.id, defaults)
    decisions = cstore.effective_decisions(campaign.id)
    revoked = [k for k, d in decisions.items() if d.decision == "revoke"]
    plan = plan_revocations(analysis, items, revoked, refusal)
    cstore.save_plan(campaign.id, [p.as_row() for p in plan])
    cstore.set_state(campaign.id, new_state)
    audit.append(store, "campaign.close", {"campaign": campaign.id, "default": default,
                                           "defaulted": [d.item_id for d in defaults], "revoked": len(revoked),
                                           "planned_changes": len(plan)})
    return cstore.get(campaign.id), len(defaults), plan


def remediate(store, campaign_id: int | None, connector_for: Callable) -> ApplyReport:
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    new_state = next_state(campaign.id, campaign.state, "remediate")
    report = apply_plan(store, cstore, campaign.id, connector_for)
    if not report.failed:
        cstore.set_state(campaign.id, new_state)
    return report


def verify_campaign(store, analysis, campaign_id: int | None = None) -> list[VerifiedItem]:
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    new_state = next_state(campaign.id, campaign.state, "verify")
    decisions = cstore.effective_decisions(campaign.id)
    revoked = [i for i in cstore.items(campaign.id)
               if i.item_id in decisions and decisions[i.item_id].decision == "revoke"]
    plan_sources = {s.source for s in cstore.plan(campaign.id)}
    runs = check_fresh_syncs(store, sources_to_confirm(revoked, plan_sources), campaign.remediated_at)
    results = verify_items(analysis, revoked)
    cstore.save_verification(campaign.id, [(v.item.item_id, v.status, v.detail) for v in results], runs)
    cstore.set_state(campaign.id, new_state)
    audit.append(store, "campaign.verify", {
        "campaign": campaign.id, "sync_runs": runs,
        "gone": sum(v.status == "gone" for v in results),
        "still_present": [v.item.item_id for v in results if v.status == "still_present"]})
    return results
