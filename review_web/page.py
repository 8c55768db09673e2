"""What the review page shows one reviewer, built purely from the campaign's items and the
decisions in force — in the words the workbook and the e-mails use (``campaigns.wording`` and
the Item's own ``access_plain``, ``flags_plain``, ``recommendation_plain``).

People are listed flagged first (the e-mail says to look at those first), then by name; each
person's items flagged first, then by resource.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Iterable, Mapping

from campaigns import wording
from campaigns.items import Item
from campaigns.model import DECISIONS, Decision
from campaigns.store import Campaign

LEVEL_PHRASES = {"read": "Can view", "write": "Can edit", "admin": "Can manage"}


@dataclass(frozen=True)
class ItemView:
    item_id: str
    person: str
    resource: str
    classification: str
    level: str  # "Can edit"
    access_lines: tuple[str, ...]  # how, in plain words, one path per line
    flag_lines: tuple[str, ...]  # "Has left the district (separated on 2026-10-14)"
    recommendation: str  # keep | revoke
    recommendation_word: str  # Keep | Revoke
    recommendation_reason: str
    previous: str
    decision: str  # keep | revoke | "" (not yet)
    justification: str
    saved_text: str  # "Saved: Keep (on the web page, 14:02 UTC)"

    @property
    def flagged(self) -> bool:
        return bool(self.flag_lines)


@dataclass(frozen=True)
class PersonView:
    name: str
    details: str  # "Teacher · Lincoln Elementary"
    items: tuple[ItemView, ...]

    @property
    def flagged(self) -> bool:
        return any(i.flagged for i in self.items)


@dataclass(frozen=True)
class ReviewPage:
    campaign_id: int
    quarter: str
    reviewer_name: str
    due_text: str  # "Tuesday, December 22, 2026"
    overdue_days: int
    default_text: str
    total: int
    decided: int
    flagged: int
    flagged_people: tuple[PersonView, ...]
    other_people: tuple[PersonView, ...]
    acceptable: int  # unflagged items not yet decided: what "accept all" answers

    @property
    def done(self) -> bool:
        return self.total > 0 and self.decided == self.total

    @property
    def progress_text(self) -> str:
        return f"{self.decided} of {self.total} decided"

    @property
    def kept(self) -> int:
        return sum(
            1
            for p in self.flagged_people + self.other_people
            for i in p.items
            if i.decision == "keep"
        )

    @property
    def revoked(self) -> int:
        return sum(
            1
            for p in self.flagged_people + self.other_people
            for i in p.items
            if i.decision == "revoke"
        )


def saved_text(d: Decision | None) -> str:
    if d is None or d.source != "reviewer":
        return ""
    how = {"web": "on this page", "workbook": "in the workbook"}.get(d.channel, "")
    when = _short_time(d.decided_at)
    details = ", ".join(x for x in (how, when) if x)
    return f"Saved: {d.decision.capitalize()}" + (f" ({details})" if details else "")


def _short_time(text: str) -> str:
    try:
        moment = datetime.fromisoformat(text)
    except (TypeError, ValueError):
        return ""
    return f"{moment:%b %d, %H:%M} UTC"


def build_item_view(item: Item, d: Decision | None) -> ItemView:
    mine = d if d is not None and d.source == "reviewer" else None
    return ItemView(
        item_id=item.item_id,
        person=item.name,
        resource=item.resource,
        classification=item.classification,
        level=LEVEL_PHRASES.get(item.level, wording.level_text(item.level)),
        access_lines=tuple(line for line in item.access_plain.split("\n") if line),
        flag_lines=tuple(line for line in item.flags_plain.split("\n") if line),
        recommendation=item.recommendation,
        recommendation_word=item.recommendation.capitalize(),
        recommendation_reason=item.reason,
        previous=item.previous,
        decision=mine.decision if mine else "",
        justification=mine.justification if mine else "",
        saved_text=saved_text(mine),
    )


def _person_details(item: Item) -> str:
    return " · ".join(x for x in (item.title, item.building) if x)


def build_review_page(
    campaign: Campaign,
    reviewer_name: str,
    items: Iterable[Item],
    decisions: Mapping[str, Decision],
    default_decision: str,
    today: date,
) -> ReviewPage:
    items = list(items)
    by_person: dict[str, list[Item]] = {}
    for item in items:
        by_person.setdefault(item.subject, []).append(item)
    people = []
    for mine in by_person.values():
        mine.sort(key=lambda i: (not i.flagged, i.resource.casefold(), i.item_id))
        people.append(
            PersonView(
                mine[0].name,
                _person_details(mine[0]),
                tuple(build_item_view(i, decisions.get(i.item_id)) for i in mine),
            )
        )
    people.sort(key=lambda p: (not p.flagged, p.name.casefold()))
    answered = {k for k, d in decisions.items() if d.source == "reviewer"}
    acceptable = sum(
        1
        for i in items
        if not i.flagged and i.item_id not in answered and i.recommendation in DECISIONS
    )
    return ReviewPage(
        campaign_id=campaign.id,
        quarter=campaign.quarter,
        reviewer_name=reviewer_name,
        due_text=f"{campaign.due:%A, %B %d, %Y}",
        overdue_days=max(0, (today - campaign.due).days),
        default_text=wording.default_text(default_decision, where="page"),
        total=len(items),
        decided=sum(1 for i in items if i.item_id in answered),
        flagged=sum(1 for i in items if i.flagged),
        flagged_people=tuple(p for p in people if p.flagged),
        other_people=tuple(p for p in people if not p.flagged),
        acceptable=acceptable,
    )


def recommendations_to_accept(
    items: Iterable[Item], decisions: Mapping[str, Decision]
) -> list[tuple[str, str]]:
    """(item, recommendation) for every unflagged item not yet answered — "accept all"."""
    answered = {k for k, d in decisions.items() if d.source == "reviewer"}
    return [
        (i.item_id, i.recommendation)
        for i in items
        if not i.flagged and i.item_id not in answered and i.recommendation in DECISIONS
    ]
