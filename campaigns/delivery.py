"""Delivering a campaign: each reviewer's workbook written (owner-only, safe names) and
e-mailed once (``send``) — with their personal link to the web review page when ``[web]
base_url`` is set — reminders and the escalation of overdue reviewers (``remind``), and
the "please fix" reply to a rejected workbook (``notify_rejections``). Every message is
recorded as a delivery as soon as the server accepts it."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Iterable, Sequence

from access_review import audit
from access_review.errors import AccessReviewError, InputError

from .filenames import confined, slug
from .importer import WorkbookRejected
from .items import Item, reviewers_of
from .links import base_url, build_token, ensure_link, link_key, link_url
from .mail import (
    SmtpSettings,
    build_escalation_message,
    build_rejection_message,
    build_review_message,
    send_messages,
    smtp_settings,
)
from .model import next_state
from .remediation import default_of
from .rules import Reviewer
from .responses import campaign_responses
from .store import Campaign, CampaignStore
from .workbook import write_review_workbook


def _answers_so_far(cstore: CampaignStore, campaign: Campaign) -> dict[str, tuple[str, str]]:
    return {
        item_id: (d.decision.capitalize(), d.justification)
        for item_id, d in cstore.effective_decisions(campaign.id).items()
        if d.source == "reviewer"
    }


def workbook_name(campaign: Campaign, reviewer: Reviewer) -> str:
    """``access-review-2026Q4-Soren-White-E00001.xlsx``: every part from data is a slug."""
    return (
        f"access-review-{slug(campaign.quarter)}-{slug(reviewer.name, 'reviewer')}-"
        f"{slug(reviewer.key, 'reviewer')}.xlsx"
    )


def write_workbooks(
    cstore: CampaignStore,
    campaign: Campaign,
    folder: Path,
    default_decision: str,
    reviewers: Iterable[str] | None = None,
) -> dict[str, tuple[Reviewer, Path, list[Item]]]:
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
        path = write_review_workbook(
            confined(folder, workbook_name(campaign, reviewer)),
            campaign_id=campaign.id,
            quarter=campaign.quarter,
            secret=campaign.secret,
            reviewer=key,
            reviewer_name=reviewer.name,
            due=campaign.due,
            items=mine,
            previous_answers=answers,
            default_decision=default_decision,
        )
        out[key] = (reviewer, path, mine)
    return out


@dataclass(frozen=True)
class Delivery:
    reviewer: str
    name: str
    where: str  # e-mail address or file
    status: str  # sent | resent | written | skipped (already sent)


def review_links(
    store, cstore: CampaignStore, campaign: Campaign, config, reviewers: Iterable[str]
) -> dict[str, str]:
    """Each reviewer's personal link to the web review page, issued the first time it is needed
    (and audit-logged); {} when ``[web] base_url`` is not set (workbooks only)."""
    base = base_url(config)
    if not base:
        return {}
    key = link_key(config)
    by = audit.current_actor()
    urls, issued = {}, []
    for reviewer in reviewers:
        record, new = ensure_link(cstore, campaign, reviewer, by)
        urls[reviewer] = link_url(base, build_token(key, campaign.id, reviewer, record.link_id))
        if new:
            issued.append(reviewer)
    if issued:
        audit.append(store, "campaign.link.issue", {"campaign": campaign.id, "reviewers": issued})
    return urls


def _mail_settings(config) -> SmtpSettings:
    return smtp_settings(config.section("smtp"), config.iso.email, config.iso.name)


def send_campaign(
    store,
    config,
    campaign_id: str | int | None = None,
    *,
    out: Path | None = None,
    resend: bool = False,
    only: Sequence[str] | None = None,
    today: date | None = None,
) -> list[Delivery]:
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
        lookup = {k.lower(): k for k in everyone} | {
            r.email.lower(): k for k, r in everyone.items() if r.email
        }
        missing = [x for x in only if x.lower() not in lookup]
        if missing:
            raise AccessReviewError(
                f"no reviewer {', '.join(map(repr, missing))} in {campaign.label}",
                hint="reviewers: " + ", ".join(sorted(everyone)),
            )
        wanted = sorted({lookup[x.lower()] for x in only})
    delivered: list[Delivery] = []
    if out is not None:
        written = write_workbooks(cstore, campaign, out, default, wanted)
        for key, (reviewer, path, mine) in written.items():
            cstore.record_delivery(campaign.id, key, "file", str(path), f"{len(mine)} items")
            delivered.append(Delivery(key, reviewer.name, str(path), "written"))
        cstore.set_state(campaign.id, new_state)
        audit.append(
            store,
            "campaign.send",
            {"campaign": campaign.id, "by": "files", "reviewers": [d.reviewer for d in delivered]},
        )
        return delivered

    settings = _mail_settings(config)
    already = {r for r, kind, *_ in cstore.deliveries(campaign.id) if kind in ("send", "resend")}
    to_send = [k for k in wanted if resend or k not in already]
    delivered += [
        Delivery(k, everyone[k].name, everyone[k].email, "skipped")
        for k in wanted
        if k not in to_send
    ]
    for key in to_send:
        if not everyone[key].email:
            raise AccessReviewError(
                f"reviewer {everyone[key].name} ({key}) has no e-mail address",
                hint="set [iso] email, or the data manager's e-mail in the roster",
            )
    sent: list[Delivery] = []
    links = review_links(store, cstore, campaign, config, to_send)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            written = write_workbooks(cstore, campaign, Path(tmp), default, to_send)
            order = list(written)
            messages = [
                build_review_message(
                    sender=settings.from_header,
                    reviewer_name=r.name,
                    reviewer_email=r.email,
                    quarter=campaign.quarter,
                    due=campaign.due,
                    items=mine,
                    workbook=path,
                    default_decision=default,
                    today=today,
                    review_link=links.get(r.key, ""),
                )
                for r, path, mine in written.values()
            ]

            def record(index: int) -> None:
                key = order[index]
                reviewer, _, mine = written[key]
                kind = "resend" if key in already else "send"
                cstore.record_delivery(campaign.id, key, kind, reviewer.email, f"{len(mine)} items")
                sent.append(
                    Delivery(
                        key, reviewer.name, reviewer.email, "resent" if kind == "resend" else "sent"
                    )
                )

            send_messages(settings, messages, on_sent=record)
    finally:
        if sent:
            if campaign.state == "draft":
                cstore.set_state(campaign.id, new_state)
            audit.append(
                store,
                "campaign.send",
                {
                    "campaign": campaign.id,
                    "by": "e-mail",
                    "reviewers": [d.reviewer for d in sent if d.status == "sent"],
                    "resent": [d.reviewer for d in sent if d.status == "resent"],
                    "skipped_already_sent": [
                        d.reviewer for d in delivered if d.status == "skipped"
                    ],
                },
            )
    if not sent and campaign.state == "draft" and not to_send:
        cstore.set_state(campaign.id, new_state)
    return delivered + sent


def remind(
    store, config, campaign_id: str | int | None = None, *, today: date | None = None
) -> dict[str, list[str]]:
    """Remind every reviewer with unanswered items; once past due, escalate them to the ISO and
    the alternate ISO. Returns {"reminded": [...], "escalated": [...]}."""
    today = today or date.today()
    cstore = CampaignStore(store)
    campaign = cstore.current(campaign_id)
    next_state(campaign.id, campaign.state, "remind")
    default = default_of(campaign, config)
    per_reviewer, _ = campaign_responses(cstore, campaign)
    pending = [t for t in per_reviewer if t.unanswered]
    settings = _mail_settings(config)
    answered = {
        k for k, d in cstore.effective_decisions(campaign.id).items() if d.source == "reviewer"
    }
    messages = []
    links = review_links(store, cstore, campaign, config, [t.reviewer for t in pending])
    with tempfile.TemporaryDirectory() as tmp:
        written = write_workbooks(
            cstore, campaign, Path(tmp), default, [t.reviewer for t in pending]
        )
        for t in pending:
            reviewer, path, mine = written[t.reviewer]
            open_items = [i for i in mine if i.item_id not in answered]
            messages.append(
                build_review_message(
                    sender=settings.from_header,
                    reviewer_name=reviewer.name,
                    reviewer_email=reviewer.email,
                    quarter=campaign.quarter,
                    due=campaign.due,
                    items=open_items,
                    workbook=path,
                    reminder=True,
                    default_decision=default,
                    today=today,
                    review_link=links.get(t.reviewer, ""),
                )
            )
        escalation = None
        if today > campaign.due and pending:
            iso = config.iso
            escalation = build_escalation_message(
                sender=settings.from_header,
                iso_names=[(iso.name, iso.email), (iso.alternate_name, iso.alternate_email)],
                quarter=campaign.quarter,
                due=campaign.due,
                default_decision=default,
                today=today,
                overdue=[
                    (
                        written[t.reviewer][0].name,
                        written[t.reviewer][0].email,
                        t.unanswered,
                        sum(
                            1
                            for i in written[t.reviewer][2]
                            if i.flagged and i.item_id not in answered
                        ),
                    )
                    for t in pending
                ],
            )
            messages.append(escalation)
        send_messages(settings, messages)
    for t in pending:
        email = written[t.reviewer][0].email
        cstore.record_delivery(
            campaign.id, t.reviewer, "remind", email, f"{t.unanswered} undecided"
        )
        if escalation is not None:
            cstore.record_delivery(
                campaign.id,
                t.reviewer,
                "escalate",
                escalation["To"],
                f"{t.unanswered} undecided, due {campaign.due}",
            )
    result = {
        "reminded": [t.reviewer for t in pending],
        "escalated": [t.reviewer for t in pending] if escalation is not None else [],
    }
    audit.append(store, "campaign.remind", {"campaign": campaign.id, **result})
    return result


def notify_rejections(
    store,
    cstore: CampaignStore,
    campaign: Campaign,
    config,
    rejected: list[InputError],
    today: date | None,
) -> list[str]:
    """E-mail each reviewer whose workbook was rejected (the stamp told us who) everything to fix."""
    people = reviewers_of(cstore.items(campaign.id))
    wanted = [
        (exc, people[exc.reviewer])
        for exc in rejected
        if isinstance(exc, WorkbookRejected)
        and exc.reviewer in people
        and people[exc.reviewer].email
    ]
    if not wanted:
        return []
    settings = _mail_settings(config)
    messages = [
        build_rejection_message(
            sender=settings.from_header,
            reviewer_name=r.name,
            reviewer_email=r.email,
            quarter=campaign.quarter,
            due=campaign.due,
            problems=[p.for_reviewer() for p in exc.problems],
            workbook=Path(exc.path),
            today=today,
        )
        for exc, r in wanted
    ]
    notified: list[str] = []

    def record(index: int) -> None:
        exc, reviewer = wanted[index]
        cstore.record_delivery(
            campaign.id,
            reviewer.key,
            "rejected",
            reviewer.email,
            f"{len(exc.problems)} problem(s) in {Path(exc.path).name}",
        )
        notified.append(reviewer.key)

    try:
        send_messages(settings, messages, on_sent=record)
    finally:
        if notified:
            audit.append(
                store, "campaign.import.notify", {"campaign": campaign.id, "reviewers": notified}
            )
    return notified
