"""Who answered: every item of a campaign is decided (its reviewer answered), defaulted (no
answer; at close the default decision kept or revoked it) or unanswered (no answer, and nothing
was decided: the campaign is still open, or it closed with the default "no action").

Counted per reviewer and for the whole campaign, the same way for ``campaign status``, the
close summary, the evidence pack and the superintendent's report — so non-response is never
hidden behind "closed" or "verified".
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from .items import Item
from .model import Decision
from .rules import reviewer_role
from .store import NonResponse

DECIDED, DEFAULTED, UNANSWERED = "decided", "defaulted", "unanswered"


def response_of(
    item_id: str, decisions: Mapping[str, Decision], nonresponse: Mapping[str, NonResponse]
) -> str:
    d = decisions.get(item_id)
    if d is not None and d.source == "reviewer":
        return DECIDED
    if d is not None and d.source == "default":
        return DEFAULTED
    return UNANSWERED


@dataclass(frozen=True)
class ResponseTally:
    """One reviewer's figures (``reviewer`` is "" for the whole campaign)."""

    reviewer: str
    name: str
    items: int
    decided: int
    defaulted: int
    unanswered: int
    revoked: int  # revoked by the reviewer or by the default
    flagged: int
    flagged_kept: int  # flagged items the reviewer chose to keep

    @property
    def not_answered(self) -> int:
        """Items the reviewer did not answer, whatever the default then did."""
        return self.defaulted + self.unanswered

    @property
    def label(self) -> str:
        role = reviewer_role(self.reviewer)
        return f"{self.name} ({role or self.reviewer})" if self.reviewer else "all reviewers"


def tally(
    items: Iterable[Item], decisions: Mapping[str, Decision], nonresponse: Mapping[str, NonResponse]
) -> tuple[list[ResponseTally], ResponseTally]:
    """(per reviewer, sorted by name; the whole campaign)."""
    by_reviewer: dict[str, list[Item]] = {}
    for item in items:
        by_reviewer.setdefault(item.reviewer, []).append(item)

    def count(key: str, name: str, mine: list[Item]) -> ResponseTally:
        kinds = [response_of(i.item_id, decisions, nonresponse) for i in mine]
        revoked = sum(1 for i in mine if (d := decisions.get(i.item_id)) and d.decision == "revoke")
        kept_flagged = sum(
            1
            for i, k in zip(mine, kinds)
            if k == DECIDED and i.flagged and decisions[i.item_id].decision == "keep"
        )
        return ResponseTally(
            key,
            name,
            len(mine),
            kinds.count(DECIDED),
            kinds.count(DEFAULTED),
            kinds.count(UNANSWERED),
            revoked,
            sum(i.flagged for i in mine),
            kept_flagged,
        )

    per = [count(k, mine[0].reviewer_name, mine) for k, mine in by_reviewer.items()]
    per.sort(key=lambda t: (t.name.casefold(), t.reviewer))
    everything = [i for mine in by_reviewer.values() for i in mine]
    return per, count("", "all reviewers", everything)


def campaign_responses(cstore, campaign) -> tuple[list[ResponseTally], ResponseTally]:
    """Decided / defaulted / unanswered per reviewer and for the whole campaign, as stored."""
    return tally(
        cstore.items(campaign.id),
        cstore.effective_decisions(campaign.id),
        cstore.nonresponse(campaign.id),
    )
