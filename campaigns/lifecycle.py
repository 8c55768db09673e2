"""The campaign commands as functions (the CLI is a thin layer over these, and tests drive
them directly with a fixed "today"). Each step checks the state machine, does its work,
moves the state and writes the audit log."""
from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Callable, Iterable, Sequence

from access_review import audit
from access_review.errors import AccessReviewError, InputError
from access_review.store import now_iso

from .filenames import confined, slug
from .importer import ImportResult, WorkbookProblem, WorkbookRejected, import_workbook
from .items import Item, Reviewer, build_items, reviewers_of
from .mail import (SmtpSettings, build_escalation_message, build_rejection_message, build_review_message,
                   send_messages, smtp_settings)
from .model import next_state, parse_quarter
from .remediation import (ApplyReport, apply_plan, configured_default, plan_revocations,
                          unanswered_at_close)
from .responses import ResponseTally, tally
from .rules import check_answers_open, parse_default
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
                    due: str = "21d", today: date | None = None,
                    default: str | None = None) -> tuple[Campaign, list[Item]]:
    """``default``: what unanswered items become at close (keep | revoke | recommendation |
    none); unset, ``[campaigns] default`` decides, and the campaign keeps that choice."""
    default_decision = (parse_default(default) if default is not None
                        else configured_default(analysis.config.section("campaigns")))
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
    campaign = cstore.create(quarter, scope, parse_due(due, today), runs, items, default_decision)
    audit.append(store, "campaign.create", {"campaign": campaign.id, "quarter": quarter, "scope": scope,
                                            "items": len(items), "snapshot_runs": runs,
                                            "due": campaign.due.isoformat(), "default": default_decision,
                                            "routed_to_avoid_self_review": sorted(
                                                i.item_id for i in items if "own access" in i.reviewer_reason)})
    return campaign, items


def default_of(campaign: Campaign, config) -> str:
    """The campaign's default decision; one created before defaults were per campaign uses
    ``[campaigns] default``."""
    return campaign.default_decision or configured_default(config.section("campaigns"))


def _answers_so_far(cstore: CampaignStore, campaign: Campaign) -> dict[str, tuple[str, str]]:
    return {item_id: (d.decision.capitalize(), d.justification)
            for item_id, d in cstore.effective_decisions(campaign.id).items() if d.source == "reviewer"}


def workbook_name(campaign: Campaign, reviewer: Reviewer) -> str:
    """``access-review-2026Q4-Soren-White-E00001.xlsx``: every part from data is a slug."""
    return (f"access-review-{slug(campaign.quarter)}-{slug(reviewer.name, 'reviewer')}-"
            f"{slug(reviewer.key, 'reviewer')}.xlsx")


def write_workbooks(cstore: CampaignStore, campaign: Campaign, folder: Path, default_decision: str,
                    reviewers: Iterable[str] | None = None) -> dict[str, tuple[Reviewer, Path, list[Item]]]:
    """One workbook per reviewer in ``folder`` (created owner-only if it does not exist);
    every file owner-only, named from data but never outside ``folder``."""
    items = cstore.items(campaign.id)
    answers = _answers_so_far(cstore, campaign)
    out = {}
    wanted = set(reviewers) if reviewers is not None else None
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for key, reviewer in sorted(reviewers_of(items).items()):
        if wanted is not None and key not in wanted:
            continue
        mine = [i for i in items if i.reviewer == key]
        path = write_review_workbook(confined(folder, workbook_name(campaign, reviewer)), campaign_id=campaign.id,
                                     quarter=campaign.quarter, secret=campaign.secret, reviewer=key,
                                     reviewer_name=reviewer.name, due=campaign.due, items=mine,
                                     previous_answers=answers, default_decision=default_decision)
        out[key] = (reviewer, path, mine)
    return out


@dataclass(frozen=True)
class Delivery:
    reviewer: str
    name: str
    where: str             # e-mail address or file
    status: str            # sent | resent | written | skipped (already sent)


def _mail_settings(config) -> SmtpSettings:
    return smtp_settings(config.section("smtp"), config.iso.email, config.iso.name)


def send_campaign(store, config, campaign_id: str | int | None = None, *, out: Path | None = None,
                  resend: bool = False, only: Sequence[str] | None = None,
                  today: date | None = None) -> list[Delivery]:
    """Deliver every reviewer's workbook, by e-mail or (``out``) as files.

    E-mail is sent once per reviewer: a reviewer already sent to is skipped unless ``resend``
    (recorded as a resend). ``only`` limits it to some reviewers (keys or e-mail addresses).
    Each message is recorded as soon as the server accepts it, so a failure halfway leaves a
    true record and the next run sends only the rest."""
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    new_state = next_state(campaign.id, campaign.state, "send")
    default = default_of(campaign, config)
    items = cstore.items(campaign.id)
    everyone = reviewers_of(items)
    wanted = list(everyone)
    if only:
        lookup = {k.lower(): k for k in everyone} | {r.email.lower(): k for k, r in everyone.items() if r.email}
        missing = [x for x in only if x.lower() not in lookup]
        if missing:
            raise AccessReviewError(f"no reviewer {', '.join(map(repr, missing))} in {campaign.label}",
                                    hint="reviewers: " + ", ".join(sorted(everyone)))
        wanted = sorted({lookup[x.lower()] for x in only})
    delivered: list[Delivery] = []
    if out is not None:
        written = write_workbooks(cstore, campaign, out, default, wanted)
        for key, (reviewer, path, mine) in written.items():
            cstore.record_delivery(campaign.id, key, "file", str(path), f"{len(mine)} items")
            delivered.append(Delivery(key, reviewer.name, str(path), "written"))
        cstore.set_state(campaign.id, new_state)
        audit.append(store, "campaign.send", {"campaign": campaign.id, "by": "files",
                                              "reviewers": [d.reviewer for d in delivered]})
        return delivered

    settings = _mail_settings(config)
    already = {r for r, kind, *_ in cstore.deliveries(campaign.id) if kind in ("send", "resend")}
    to_send = [k for k in wanted if resend or k not in already]
    delivered += [Delivery(k, everyone[k].name, everyone[k].email, "skipped") for k in wanted if k not in to_send]
    for key in to_send:
        if not everyone[key].email:
            raise AccessReviewError(f"reviewer {everyone[key].name} ({key}) has no e-mail address",
                                    hint="set [iso] email, or the data manager's e-mail in the roster")
    sent: list[Delivery] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            written = write_workbooks(cstore, campaign, Path(tmp), default, to_send)
            order = list(written)
            messages = [build_review_message(sender=settings.from_header, reviewer_name=r.name,
                                             reviewer_email=r.email, quarter=campaign.quarter, due=campaign.due,
                                             items=mine, workbook=path, default_decision=default, today=today)
                        for r, path, mine in written.values()]

            def record(index: int) -> None:
                key = order[index]
                reviewer, _, mine = written[key]
                kind = "resend" if key in already else "send"
                cstore.record_delivery(campaign.id, key, kind, reviewer.email, f"{len(mine)} items")
                sent.append(Delivery(key, reviewer.name, reviewer.email, "resent" if kind == "resend" else "sent"))
            send_messages(settings, messages, on_sent=record)
    finally:
        if sent:
            if campaign.state == "draft":
                cstore.set_state(campaign.id, new_state)
            audit.append(store, "campaign.send", {
                "campaign": campaign.id, "by": "e-mail",
                "reviewers": [d.reviewer for d in sent if d.status == "sent"],
                "resent": [d.reviewer for d in sent if d.status == "resent"],
                "skipped_already_sent": [d.reviewer for d in delivered if d.status == "skipped"]})
    if not sent and campaign.state == "draft" and not to_send:
        cstore.set_state(campaign.id, new_state)
    return delivered + sent


@dataclass(frozen=True)
class ImportOutcome:
    accepted: list[ImportResult]
    rejected: list[InputError]
    notified: list[str] = field(default_factory=list)   # reviewers e-mailed what to fix


def import_workbooks(store, files: Iterable[Path], campaign_id: str | int | None = None, *,
                     config=None, notify: bool = True, today: date | None = None) -> ImportOutcome:
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
            rejected.append(WorkbookRejected(str(path), [WorkbookProblem(
                f"could not be checked ({type(exc).__name__}: {exc})")]))
        else:
            accepted.append(result)
            audit.append(store, "campaign.import", {"campaign": campaign.id, "file": str(path),
                                                    "reviewer": result.reviewer, "answered": result.answered,
                                                    "recorded": result.recorded, "decisions": result.decisions})
            continue
        exc = rejected[-1]
        problems = exc.lines() if isinstance(exc, WorkbookRejected) else [str(exc)]
        audit.append(store, "campaign.import.rejected", {"campaign": campaign.id, "file": str(path),
                                                         "reason": str(exc), "problems": problems,
                                                         "reviewer": getattr(exc, "reviewer", None)})
    notified = []
    if notify and config is not None and config.section("smtp").get("host"):
        notified = _notify_rejections(store, cstore, campaign, config, rejected, today)
    return ImportOutcome(accepted, rejected, notified)


def _notify_rejections(store, cstore: CampaignStore, campaign: Campaign, config, rejected: list[InputError],
                       today: date | None) -> list[str]:
    """E-mail each reviewer whose workbook was rejected (the stamp told us who) everything to fix."""
    people = reviewers_of(cstore.items(campaign.id))
    wanted = [(exc, people[exc.reviewer]) for exc in rejected
              if isinstance(exc, WorkbookRejected) and exc.reviewer in people and people[exc.reviewer].email]
    if not wanted:
        return []
    settings = _mail_settings(config)
    messages = [build_rejection_message(sender=settings.from_header, reviewer_name=r.name, reviewer_email=r.email,
                                        quarter=campaign.quarter, due=campaign.due,
                                        problems=[p.for_reviewer() for p in exc.problems],
                                        workbook=Path(exc.path), today=today)
                for exc, r in wanted]
    notified: list[str] = []

    def record(index: int) -> None:
        exc, reviewer = wanted[index]
        cstore.record_delivery(campaign.id, reviewer.key, "rejected", reviewer.email,
                               f"{len(exc.problems)} problem(s) in {Path(exc.path).name}")
        notified.append(reviewer.key)
    try:
        send_messages(settings, messages, on_sent=record)
    finally:
        if notified:
            audit.append(store, "campaign.import.notify", {"campaign": campaign.id, "reviewers": notified})
    return notified


def responses(cstore: CampaignStore, campaign: Campaign) -> tuple[list[ResponseTally], ResponseTally]:
    """Decided / defaulted / unanswered per reviewer and for the whole campaign."""
    return tally(cstore.items(campaign.id), cstore.effective_decisions(campaign.id),
                 cstore.nonresponse(campaign.id))


def remind(store, config, campaign_id: str | int | None = None, *,
           today: date | None = None) -> dict[str, list[str]]:
    """Remind every reviewer with unanswered items; once past due, escalate them to the ISO and
    the alternate ISO. Returns {"reminded": [...], "escalated": [...]}."""
    today = today or date.today()
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    next_state(campaign.id, campaign.state, "remind")
    default = default_of(campaign, config)
    per_reviewer, _ = responses(cstore, campaign)
    pending = [t for t in per_reviewer if t.unanswered]
    settings = _mail_settings(config)
    answered = {k for k, d in cstore.effective_decisions(campaign.id).items() if d.source == "reviewer"}
    messages = []
    with tempfile.TemporaryDirectory() as tmp:
        written = write_workbooks(cstore, campaign, Path(tmp), default, [t.reviewer for t in pending])
        for t in pending:
            reviewer, path, mine = written[t.reviewer]
            open_items = [i for i in mine if i.item_id not in answered]
            messages.append(build_review_message(sender=settings.from_header, reviewer_name=reviewer.name,
                                                 reviewer_email=reviewer.email, quarter=campaign.quarter,
                                                 due=campaign.due, items=open_items, workbook=path, reminder=True,
                                                 default_decision=default, today=today))
        escalation = None
        if today > campaign.due and pending:
            iso = config.iso
            escalation = build_escalation_message(
                sender=settings.from_header,
                iso_names=[(iso.name, iso.email), (iso.alternate_name, iso.alternate_email)],
                quarter=campaign.quarter, due=campaign.due, default_decision=default, today=today,
                overdue=[(written[t.reviewer][0].name, written[t.reviewer][0].email, t.unanswered,
                          sum(1 for i in written[t.reviewer][2] if i.flagged and i.item_id not in answered))
                         for t in pending])
            messages.append(escalation)
        send_messages(settings, messages)
    for t in pending:
        email = written[t.reviewer][0].email
        cstore.record_delivery(campaign.id, t.reviewer, "remind", email, f"{t.unanswered} undecided")
        if escalation is not None:
            cstore.record_delivery(campaign.id, t.reviewer, "escalate", escalation["To"],
                                   f"{t.unanswered} undecided, due {campaign.due}")
    result = {"reminded": [t.reviewer for t in pending],
              "escalated": [t.reviewer for t in pending] if escalation is not None else []}
    audit.append(store, "campaign.remind", {"campaign": campaign.id, **result})
    return result


class UnansweredItems(AccessReviewError):
    """Close was asked without --yes while items have no answer: nothing was changed."""

    exit_code = 8

    def __init__(self, campaign: Campaign, default: str, per_reviewer: list[ResponseTally], total: ResponseTally):
        self.campaign, self.default, self.per_reviewer, self.total = campaign, default, per_reviewer, total
        super().__init__(f"{campaign.label}: {total.unanswered} of {total.items} item(s) have no answer",
                         hint="run `access-review campaign close --yes` to close anyway and record them as "
                              "\"no response\", or remind the reviewers first (`campaign remind`)")


@dataclass(frozen=True)
class CloseReport:
    campaign: Campaign
    default: str
    per_reviewer: list[ResponseTally]    # after close
    total: ResponseTally
    no_response: int                     # items nobody answered
    plan: list


def close_campaign(store, analysis, campaign_id: str | int | None = None,
                   refusal: Callable | None = None, *, confirmed: bool = False) -> CloseReport:
    """Record every unanswered item as "no response → default X" (who, when), apply the
    campaign's default decision to them, and compute the remediation plan. With unanswered
    items and not ``confirmed``, raise UnansweredItems (per reviewer) and change nothing."""
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    new_state = next_state(campaign.id, campaign.state, "close")
    default = default_of(campaign, analysis.config)
    per_reviewer, total = responses(cstore, campaign)
    if total.unanswered and not confirmed:
        raise UnansweredItems(campaign, default, per_reviewer, total)
    items = cstore.items(campaign.id)
    answered = {k: d for k, d in cstore.effective_decisions(campaign.id).items() if d.source == "reviewer"}
    rows, defaults = unanswered_at_close(items, answered, default, closed_by=audit.current_actor(),
                                         closed_at=now_iso())
    cstore.record_nonresponse(campaign.id, rows, defaults)
    decisions = cstore.effective_decisions(campaign.id)
    revoked = [k for k, d in decisions.items() if d.decision == "revoke"]
    plan = plan_revocations(analysis, items, revoked, refusal)
    cstore.save_plan(campaign.id, [p.as_row() for p in plan])
    cstore.set_state(campaign.id, new_state)
    per_reviewer, total = responses(cstore, campaign)
    audit.append(store, "campaign.close", {
        "campaign": campaign.id, "default": default, "no_response": [r.item_id for r in rows],
        "no_response_by_reviewer": {t.reviewer: t.not_answered for t in per_reviewer if t.not_answered},
        "defaulted": [d.item_id for d in defaults], "revoked": len(revoked), "planned_changes": len(plan)})
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


@dataclass(frozen=True)
class CampaignSummary:
    campaign: Campaign
    total: ResponseTally


def list_campaigns(store) -> list[CampaignSummary]:
    """Every campaign, oldest first, with its figures."""
    cstore = CampaignStore(store)
    return [CampaignSummary(c, responses(cstore, c)[1]) for c in cstore.all()]
