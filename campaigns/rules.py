"""The review rules, in one place. Every way an answer can arrive (a returned workbook today,
the web review page later) and every step that decides who reviews what calls these:

- **Who reviews an item** (``route_review``): no one reviews their own access. An item whose
  person is its natural reviewer goes to the ISO; the ISO's own goes to the alternate ISO.
- **What an answer may be** (``check_answer``): Keep or Revoke, by the item's own reviewer;
  keeping a flagged item needs a justification; blank means "not answered yet".
- **When answers count** (``check_answers_open``): while the campaign is open. An answer may
  be changed any number of times until close (the latest counts, see ``model``); close ends it.
- **What an unanswered item becomes at close** (``default_outcome``): the campaign's default
  decision, chosen at create time in Microsoft Entra access reviews' vocabulary — keep
  (Approve), revoke (Deny), follow the recommendation (Recommendation), or no action (no
  default: nothing changes and the item stays "not reviewed").
  https://learn.microsoft.com/en-us/graph/api/resources/accessreviewschedulesettings
"""

from __future__ import annotations

from dataclasses import dataclass
from access_review.errors import AccessReviewError, ConfigError

from .model import DECISIONS, next_state

ISO_REVIEWER = "iso"
ALTERNATE_REVIEWER = "alternate"
DEFAULT_DECISIONS = ("keep", "revoke", "recommendation", "none")
DEFAULT_ALIASES = {
    "approve": "keep",
    "deny": "revoke",
    "no action": "none",
    "no-action": "none",
    "follow the recommendation": "recommendation",
    "recommended": "recommendation",
}
MAX_JUSTIFICATION = 2000  # characters: a reason, not a document


@dataclass(frozen=True)
class Reviewer:
    key: str  # employee id of a data manager, "iso" or "alternate"
    name: str
    email: str
    person: str = (
        ""  # the reviewer's own person key, when known: what self-review is checked against
    )


@dataclass(frozen=True)
class ReviewerPeople:
    """The two reviewers every routing falls back on."""

    iso: Reviewer
    alternate: Reviewer | None


class SelfReviewError(AccessReviewError):
    """Only the person themselves could review an item."""


def parse_default(text: str | None, where: str = "--default") -> str:
    """``keep | revoke | recommendation | none`` (Entra's Approve / Deny accepted too)."""
    value = str(text if text is not None else "none").strip().lower()
    value = DEFAULT_ALIASES.get(value, value)
    if value not in DEFAULT_DECISIONS:
        raise ConfigError(f"{where} {text!r} is not keep, revoke, recommendation or none")
    return value


def default_outcome(default: str, recommendation: str) -> str | None:
    """What an unanswered item becomes at close: keep, revoke, or None (no action)."""
    if default in DECISIONS:
        return default
    if default == "recommendation":
        return recommendation if recommendation in DECISIONS else None
    return None


def route_review(
    natural: Reviewer, subject: str, people: ReviewerPeople, why: str
) -> tuple[Reviewer, str]:
    """The reviewer of an item about ``subject``: ``natural`` unless that is the person
    themselves; then the ISO; if that is them too (the ISO's own access), the alternate ISO.
    Raises SelfReviewError when nobody else is configured."""
    candidates = [
        (natural, why),
        (people.iso, "the data manager's own access: no one reviews their own"),
    ]
    if people.alternate is not None:
        candidates.append((people.alternate, "the ISO's own access: no one reviews their own"))
    for reviewer, reason in candidates:
        if not reviewer.person or reviewer.person != subject:
            return reviewer, reason
    raise SelfReviewError(
        f"no one but {natural.name or subject} could review {natural.name or subject}'s own access",
        hint="set [iso] alternate_name and alternate_email: the alternate ISO reviews the ISO's access",
    )


def is_self_review(reviewer: Reviewer, subject: str) -> bool:
    return bool(reviewer.person) and reviewer.person == subject


def check_answers_open(campaign_id: int, state: str) -> None:
    """Answers are taken, and may be changed, only while the campaign is open."""
    next_state(campaign_id, state, "import")


@dataclass(frozen=True)
class Answer:
    decision: str  # keep | revoke
    justification: str


@dataclass(frozen=True)
class AnswerProblem:
    field: str  # decision | justification | reviewer
    message: str


def check_answer(
    *,
    item_reviewer: str,
    answering_reviewer: str,
    flagged: bool,
    flag_text: str,
    decision: str,
    justification: str,
) -> Answer | AnswerProblem | None:
    """One answer against the rules: an Answer, the problem with it, or None when it is blank
    (not answered yet). ``decision`` is as typed (any case, spaces around allowed)."""
    raw = decision.strip()
    justification = justification.strip()
    if item_reviewer != answering_reviewer:
        return AnswerProblem(
            "reviewer", f"this item is for {item_reviewer} to review, not {answering_reviewer}"
        )
    if not raw:
        return None
    value = raw.lower()
    if value not in DECISIONS:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        return AnswerProblem("decision", f"decision {shown!r} is not Keep or Revoke")
    if len(justification) > MAX_JUSTIFICATION:
        return AnswerProblem(
            "justification",
            f"the justification is {len(justification):,} characters long;"
            f" please keep it under {MAX_JUSTIFICATION:,}",
        )
    if value == "keep" and flagged and not justification:
        return AnswerProblem(
            "justification", f"Keep on a flagged item ({flag_text}) needs a justification"
        )
    return Answer(value, justification)


def reviewer_people(
    iso_name: str,
    iso_email: str,
    iso_person: str,
    alternate_name: str,
    alternate_email: str,
    alternate_person: str,
) -> ReviewerPeople:
    iso = Reviewer(ISO_REVIEWER, iso_name or "Information Security Officer", iso_email, iso_person)
    alternate = (
        Reviewer(
            ALTERNATE_REVIEWER, alternate_name or "Alternate ISO", alternate_email, alternate_person
        )
        if alternate_email or alternate_name
        else None
    )
    return ReviewerPeople(iso, alternate)


def reviewer_role(key: str) -> str:
    """How a reviewer key reads next to the name: "(ISO)", "(alternate ISO)" or ""."""
    return {ISO_REVIEWER: "ISO", ALTERNATE_REVIEWER: "alternate ISO"}.get(key, "")
