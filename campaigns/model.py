"""The campaign state machine and decision precedence.

Like midPoint's certification campaigns, a campaign moves through explicit states, and each
command is an event allowed only from some of them. The table below is the whole lifecycle:
anything not in it is refused with the state the campaign is in and what to do next.
"""

from __future__ import annotations

from dataclasses import dataclass

from access_review.errors import AccessReviewError

STATES = ("draft", "open", "closed", "remediated", "verified")

# event -> (states it is allowed from, state it leads to; None = stays where it is)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "send": (("draft", "open"), "open"),  # re-sending an open campaign is allowed
    "import": (("open",), None),
    "remind": (("open",), None),
    "close": (("draft", "open"), "closed"),
    "remediate": (("closed",), "remediated"),
    "verify": (("remediated", "verified"), "verified"),
}

NEXT_STEP = {
    "draft": "run `access-review campaign send`",
    "open": "collect workbooks with `campaign import`, then `campaign close`",
    "closed": "review the plan with `campaign remediate`, then `campaign remediate --apply`",
    "remediated": "run `access-review sync`, then `campaign verify`",
    "verified": "nothing left: the campaign is complete",
}

DECISIONS = ("keep", "revoke")

# How the answers recorded for one item combine: the highest source wins. A default applied at
# close never overrides a reviewer's answer, and a later answer from the same source replaces
# an earlier one (a reviewer may change their mind by returning the workbook again).
DECISION_PRECEDENCE: dict[str, int] = {"reviewer": 2, "default": 1}


class CampaignStateError(AccessReviewError):
    exit_code = 6


def next_state(campaign_id: int, state: str, event: str) -> str:
    """The state after ``event``, or CampaignStateError naming what to do instead."""
    allowed, target = TRANSITIONS[event]
    if state not in allowed:
        raise CampaignStateError(
            f"campaign {campaign_id} is {state}; `{event}` is possible only when it is "
            + " or ".join(allowed),
            hint=NEXT_STEP.get(state),
        )
    return target or state


@dataclass(frozen=True)
class Decision:
    item_id: str
    decision: str  # keep | revoke
    source: str  # reviewer | default
    justification: str = ""
    decided_by: str = ""
    decided_at: str = ""
    file: str = ""
    via: str = (
        ""  # how a reviewer's answer came: workbook | web ("" for a default, or before issue 17)
    )

    @property
    def channel(self) -> str:
        """workbook | web | "" (a default): answers recorded before issue 17 came in workbooks."""
        if self.source != "reviewer":
            return ""
        return self.via or "workbook"


def effective_decision(recorded: list[Decision]) -> Decision | None:
    """The decision that counts for one item: highest-precedence source, latest within it."""
    if not recorded:
        return None
    return max(
        enumerate(recorded), key=lambda pair: (DECISION_PRECEDENCE[pair[1].source], pair[0])
    )[1]


def parse_quarter(text: str) -> tuple[int, int]:
    """``2026Q4`` -> (2026, 4)."""
    t = text.strip().upper()
    if len(t) == 6 and t[:4].isdigit() and t[4] == "Q" and t[5] in "1234":
        return int(t[:4]), int(t[5])
    raise AccessReviewError(f"quarter {text!r} is not like 2026Q4")
