"""Answers given one at a time — the web review page's path into the campaign (issue 17).

A returned workbook and the web page record decisions the same way: each answer is checked by
``rules.check_answer`` (Keep or Revoke, by the item's own reviewer, a justification to keep a
flagged item), turned into a Decision by ``decision_from_answer`` (the importer calls it too),
stored by ``CampaignStore.record_decisions`` (an answer equal to the one in force is not
stored again; the latest answer counts until close) and written to the audit log. Here the
campaign must be open *inside* the write transaction, because the page runs in another
process while the ISO may be closing the campaign.

A batch (``answer_items``; "accept all recommendations" is one) is all or nothing: one answer
with a problem, and nothing of the batch is recorded.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Sequence

from access_review import audit
from access_review.errors import AccessReviewError

from .items import Item
from .model import Decision
from .rules import Answer, AnswerProblem, check_answer, check_answers_open
from .store import CampaignStore

VIA_WEB, VIA_WORKBOOK = "web", "workbook"


def decision_from_answer(
    item: Item,
    answering_reviewer: str,
    decision: str,
    justification: str,
    *,
    via: str,
    file: str = "",
) -> Decision | AnswerProblem | None:
    """One answer to ``item`` by ``answering_reviewer`` under the review rules: the Decision to
    record, the problem with it, or None (blank: not answered yet)."""
    answer = check_answer(
        item_reviewer=item.reviewer,
        answering_reviewer=answering_reviewer,
        flagged=item.flagged,
        flag_text=item.flag_text,
        decision=decision,
        justification=justification,
    )
    if not isinstance(answer, Answer):
        return answer
    return Decision(
        item.item_id,
        answer.decision,
        "reviewer",
        answer.justification,
        decided_by=item.reviewer_name,
        file=file,
        via=via,
    )


@dataclass(frozen=True)
class ItemProblem:
    item_id: str
    field: str  # decision | justification | reviewer | item
    message: str


class AnswersRejected(AccessReviewError):
    """At least one answer broke a rule; nothing of the batch was recorded."""

    exit_code = 3

    def __init__(self, problems: Sequence[ItemProblem]):
        self.problems = tuple(problems)
        first = problems[0]
        super().__init__(f"item {first.item_id}: {first.message}")


@dataclass(frozen=True)
class AnswerOutcome:
    decisions: tuple[Decision, ...]
    recorded: int  # how many changed what was stored


@dataclass(frozen=True)
class GivenAnswer:
    item_id: str
    decision: str
    justification: str = ""


def answer_items(
    store,
    campaign_id: int,
    reviewer: str,
    answers: Iterable[GivenAnswer],
    *,
    via: str,
    client: str = "",
    action: str = "campaign.answer",
) -> AnswerOutcome:
    """Record ``reviewer``'s answers (all or nothing) and audit-log them with how they came
    (``via``) and from where (``client``). An item that is not this reviewer's — another
    reviewer's, or no item at all — is a problem, never recorded."""
    cstore = CampaignStore(store)
    campaign = cstore.get(campaign_id)
    check_answers_open(campaign.id, campaign.state)
    answers = list(answers)
    found = cstore.items_by_id(campaign.id, [a.item_id for a in answers])
    problems: list[ItemProblem] = []
    decisions: list[Decision] = []
    for given in answers:
        item = found.get(given.item_id)
        if item is None or item.reviewer != reviewer:
            problems.append(ItemProblem(given.item_id, "item", "this item is not in your review"))
            continue
        result = decision_from_answer(item, reviewer, given.decision, given.justification, via=via)
        if isinstance(result, AnswerProblem):
            problems.append(ItemProblem(item.item_id, result.field, result.message))
        elif result is None:
            problems.append(ItemProblem(item.item_id, "decision", "choose Keep or Revoke"))
        else:
            decisions.append(result)
    if problems:
        raise AnswersRejected(problems)
    recorded = cstore.record_decisions(campaign.id, decisions, while_open=True)
    if recorded:
        # The reviewer acted, through the page the ISO's account serves: the entry says both.
        audit.append(
            store,
            action,
            actor=f"{via}:{reviewer}" if via == VIA_WEB else None,
            details={
                "campaign": campaign.id,
                "reviewer": reviewer,
                "via": via,
                "client": client,
                "recorded": recorded,
                "decisions": {d.item_id: d.decision for d in decisions},
                "justifications": {
                    d.item_id: d.justification for d in decisions if d.justification
                },
            },
        )
    return AnswerOutcome(tuple(decisions), recorded)
