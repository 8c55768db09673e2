"""The policy scorecard: one row per clause of the district's data-governance policy, each
with the figure behind it, last quarter's figure, and a status (green / amber / red by the
thresholds in the config's ``[scorecard]`` table, always shown with a word as well).

Pure: ``build_scorecard`` takes what was read (the analysis, campaign, suspensions, audit
anchor, hold view) and the quarters already recorded, and returns a ``Scorecard``. A figure
that could not be read is "not measured" (grey), never a reassuring zero.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Final, Literal

from access_review.config import Scorecard as Thresholds

from .access_facts import active_people_to_train, apps_beyond_scopes, unapproved_app_holders
from .feature_views import (
    AuditAnchor,
    CampaignData,
    CampaignView,
    HoldView,
    SuspensionData,
    SuspensionView,
)
from .history import QuarterFigures, quarter_of

if TYPE_CHECKING:
    from access_review.analysis import Analysis
    from access_review.findings import Finding

Status = Literal["green", "amber", "red", "grey"]
# Final: each is its own Literal word, so it is a Status wherever it is used.
GREEN: Final = "green"
AMBER: Final = "amber"
RED: Final = "red"
GREY: Final = "grey"
STATUS_WORDS: dict[str, str] = {
    GREEN: "On track",
    AMBER: "Needs attention",
    RED: "Action needed",
    GREY: "Not measured",
}
Unit = Literal["percent", "count", "flag"]


@dataclass(frozen=True)
class Measure:
    key: str  # the figure's name in the quarter history
    clause: str  # the policy section it answers to, as the policy titles it
    asks: str  # what that section asks, in our words
    label: str  # what we count
    unit: Unit
    higher_is_better: bool


MEASURES: tuple[Measure, ...] = (
    Measure(
        "inventory_valid_percent",
        "Data Managers",
        "Every resource holding confidential or critical data has an administrator answering for it.",
        "Resources with a valid data manager",
        "percent",
        True,
    ),
    Measure(
        "campaign_answered_percent",
        "Data Managers",
        "Data managers check who can reach their data.",
        "Review items answered by the data managers",
        "percent",
        True,
    ),
    Measure(
        "unauthorized_access",
        "Confidential and Critical Information",
        "Only people whose duties need it can reach confidential or critical data.",
        "Access the inventory does not authorize",
        "count",
        False,
    ),
    Measure(
        "unapproved_apps",
        "Using Online Services and Applications",
        "The ISO approves an online service before it holds district data.",
        "Apps holding access without the ISO's approval",
        "count",
        False,
    ),
    Measure(
        "training_percent",
        "Training",
        "Everyone with access to confidential data is trained in confidentiality every year.",
        "People with access to confidential data trained within the year",
        "percent",
        True,
    ),
    Measure(
        "retention_awaiting",
        "Data Retention and Deletion",
        "Accounts of people who left follow the retention schedule.",
        "Separated accounts past the schedule awaiting a decision",
        "count",
        False,
    ),
    Measure(
        "held_accounts_missing",
        "Litigation Hold",
        "Accounts under a litigation hold are kept until the hold is released.",
        "Held accounts missing from their directory",
        "count",
        False,
    ),
    Measure(
        "open_investigations",
        "Consequences",
        "Access may be suspended pending an investigation; investigations do not linger.",
        "Open investigations (accounts suspended)",
        "count",
        False,
    ),
    Measure(
        "audit_verified",
        "Consequences",
        "Every change is accountable: the record of actions cannot be altered unnoticed.",
        "Audit record verified intact",
        "flag",
        True,
    ),
)
MEASURE_BY_KEY = {m.key: m for m in MEASURES}

# Figures kept for the trend beside the headline ones (same history row).
EXTRA_FIGURES: dict[str, tuple[str, Unit]] = {
    "campaign_defaulted_percent": ("Review items closed by the default decision", "percent"),
    "campaign_unanswered_percent": ("Review items unanswered", "percent"),
    "held_accounts_intact": ("Held accounts intact", "count"),
    "oldest_investigation_days": ("Days the oldest open investigation has lasted", "count"),
    "audit_entries": ("Audit record entries", "count"),
}


@dataclass(frozen=True)
class ScorecardRow:
    measure: Measure
    value: float | None  # the headline figure (None: not measured)
    shown: str  # how it reads: "88% (15 of 17)"
    detail: str  # what lies behind it, in a sentence fragment
    status: Status
    last_value: float | None = None
    last_shown: str = ""
    last_status: Status | None = None  # None: no earlier quarter recorded
    extras: dict[str, float | None] = field(default_factory=dict)

    @property
    def status_word(self) -> str:
        return STATUS_WORDS[self.status]


@dataclass(frozen=True)
class Scorecard:
    quarter: str
    as_of: date
    last_quarter: str | None  # the latest quarter recorded before this one
    last_origin: str  # report | demo | "" (no earlier quarter)
    rows: tuple[ScorecardRow, ...]

    def row(self, key: str) -> ScorecardRow:
        return next(r for r in self.rows if r.measure.key == key)

    def figures(self) -> dict[str, float | None]:
        """Every figure to record for this quarter (headline and extras)."""
        out: dict[str, float | None] = {}
        for r in self.rows:
            out[r.measure.key] = r.value
            out.update(r.extras)
        return out

    def counts(self) -> Counter[str]:
        return Counter(r.status for r in self.rows)


@dataclass(frozen=True)
class ScorecardInputs:
    analysis: "Analysis"
    campaigns: CampaignData
    suspensions: SuspensionData
    anchor: AuditAnchor
    hold_view: HoldView


# ---------------------------------------------------------------- figures as people read them


def percent(part: int, whole: int) -> float:
    return round(100 * part / whole, 1)


def percent_text(part: int, whole: int) -> str:
    """A share that never rounds a gap away: 99.7% reads 99%, and 0.2% reads 1%."""
    if whole == 0:
        return "—"
    if part == whole:
        return "100%"
    if part == 0:
        return "0%"
    return f"{min(99, max(1, round(100 * part / whole)))}%"


# What a figure recorded as null means, where it is not "could not measure".
NONE_WORDS = {
    "campaign_answered_percent": "no campaign",
    "campaign_defaulted_percent": "no campaign",
    "campaign_unanswered_percent": "no campaign",
    "oldest_investigation_days": "none open",
}


def shown_value(measure_unit: Unit, value: float | None, key: str = "") -> str:
    """A recorded figure as the scorecard shows it (last quarter's column, the trend)."""
    if value is None:
        return NONE_WORDS.get(key, "not measured")
    if measure_unit == "percent":
        v = float(value)
        # as percent_text: a gap is never rounded away, nor a few made into none
        return "100%" if v >= 100 else "0%" if v <= 0 else f"{min(99, max(1, round(v)))}%"
    if measure_unit == "flag":
        return "verified" if value else "FAILED"
    return f"{int(value):,}"


def counted(n: int, singular: str, plural: str | None = None) -> str:
    """ "1 person", "2 people", "1,204 accounts"."""
    return f"{n:,} {singular if n == 1 else (plural or singular + 's')}"


def names(items: list[str], limit: int = 3) -> str:
    """ "A, B and C" / "A, B, C and 4 more"."""
    if len(items) > limit:
        return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
    if len(items) > 1:
        return ", ".join(items[:-1]) + " and " + items[-1]
    return items[0] if items else ""


# ---------------------------------------------------------------- status from thresholds


def status_of_share(value: float, pair: tuple[int, int]) -> Status:
    green, amber = pair
    return GREEN if value >= green else AMBER if value >= amber else RED


def status_of_count(value: float, pair: tuple[int, int]) -> Status:
    green, amber = pair
    return GREEN if value <= green else AMBER if value <= amber else RED


# ---------------------------------------------------------------- one function per clause


def _inventory(i: ScorecardInputs, t: Thresholds) -> ScorecardRow:
    a = i.analysis
    total = len(a.inventory.resources)
    invalid = [f for f in a.findings if f.type == "data_manager_invalid"]
    bad = sorted({f.resource for f in invalid if f.resource})
    valid = total - len(bad)
    m = MEASURE_BY_KEY["inventory_valid_percent"]
    if total == 0:
        return ScorecardRow(m, None, "no resources", "the data inventory lists no resource", GREY)
    exact = 100 * valid / total
    detail = f"without one: {names(bad)}" if bad else f"all {total} resources in the inventory"
    return ScorecardRow(
        m,
        percent(valid, total),
        f"{percent_text(valid, total)} ({valid} of {total})",
        detail,
        status_of_share(exact, t.inventory_percent),
    )


def campaign_counts(c: CampaignView) -> tuple[int, int, int, int]:
    """(items, answered by the reviewer, closed by the default, unanswered) of a campaign view."""
    items = len(c.items)
    defaulted = sum(1 for x in c.items if x.decision and x.decision_source == "default")
    answered = sum(1 for x in c.items if x.decision and x.decision_source != "default")
    return items, answered, defaulted, items - answered - defaulted


def _monitoring(i: ScorecardInputs, t: Thresholds) -> ScorecardRow:
    m = MEASURE_BY_KEY["campaign_answered_percent"]
    if not i.campaigns.available:
        return ScorecardRow(
            m, None, "could not read", i.campaigns.note or "the campaigns could not be read", GREY
        )
    c = i.campaigns.current
    if c is None:
        # No review at all is the clause not being followed, not a figure we failed to read.
        return ScorecardRow(
            m,
            None,
            "no campaign",
            "no access review campaign has been run",
            RED,
            extras={"campaign_defaulted_percent": None, "campaign_unanswered_percent": None},
        )
    n, answered, defaulted, unanswered = campaign_counts(c)
    if n == 0:
        return ScorecardRow(m, None, "no items", f"campaign {c.name} has no review items", GREY)
    due = f", due {c.due.isoformat()}" if c.due else ""
    # The counts follow, so the state is named without state_text's own count of non-response
    # (on the first page it read "161 of 417 ... 161 closed by the default" twice over).
    state = f"{c.state} with non-response" if c.closed_with_nonresponse else c.state
    default = f" ({c.default_words})" if defaulted and c.default_words else ""
    detail = (
        f"campaign {c.name} ({state}{due}): {answered:,} of {n:,} answered, {defaulted:,} closed by"
        f" the default{default}, {unanswered:,} unanswered"
    )
    return ScorecardRow(
        m,
        percent(answered, n),
        f"{percent_text(answered, n)} answered",
        detail,
        status_of_share(100 * answered / n, t.campaign_answered_percent),
        extras={
            "campaign_defaulted_percent": percent(defaulted, n),
            "campaign_unanswered_percent": percent(unanswered, n),
        },
    )


def _authorized(i: ScorecardInputs, t: Thresholds) -> ScorecardRow:
    kinds = Counter(
        f.type
        for f in i.analysis.findings
        if f.type in ("unauthorized", "separated_access", "leave_access")
    )
    total = sum(kinds.values())
    parts = [
        text
        for n, text in (
            (
                kinds["unauthorized"],
                f"{kinds['unauthorized']} not allowed by the inventory's rules",
            ),
            (
                kinds["separated_access"],
                f"{counted(kinds['separated_access'], 'person', 'people')} who left the district",
            ),
            (
                kinds["leave_access"],
                f"{counted(kinds['leave_access'], 'person', 'people')} on leave",
            ),
        )
        if n
    ]
    m = MEASURE_BY_KEY["unauthorized_access"]
    return ScorecardRow(
        m,
        total,
        f"{total:,}",
        "; ".join(parts) if total else "none found",
        status_of_count(total, t.unauthorized),
    )


def _apps(i: ScorecardInputs, t: Thresholds) -> ScorecardRow:
    unapproved = unapproved_app_holders(i.analysis)
    beyond = apps_beyond_scopes(i.analysis)
    apps = sorted(set(unapproved) | set(beyond))
    parts = []
    if unapproved:
        parts.append(
            "not approved: " + names([f"{app} ({n} accounts)" for app, n in unapproved.items()])
        )
    if beyond:
        parts.append("beyond approved scopes: " + names(beyond))
    m = MEASURE_BY_KEY["unapproved_apps"]
    return ScorecardRow(
        m,
        len(apps),
        f"{len(apps)}",
        "; ".join(parts) or "every app holding access is approved",
        status_of_count(len(apps), t.unapproved_apps),
    )


def _training(i: ScorecardInputs, t: Thresholds) -> ScorecardRow:
    states = active_people_to_train(i.analysis)
    m = MEASURE_BY_KEY["training_percent"]
    people = len(states)
    if people == 0:
        return ScorecardRow(m, None, "no one", "no active person reaches confidential data", GREY)
    trained = sum(1 for _, ok in states.values() if ok)
    never = sum(1 for age, _ in states.values() if age is None)
    overdue = people - trained - never
    detail = f"{trained:,} of {people:,} trained; {overdue} overdue, {never} never trained"
    return ScorecardRow(
        m,
        percent(trained, people),
        f"{percent_text(trained, people)} ({trained:,} of {people:,})",
        detail,
        status_of_share(100 * trained / people, t.training_percent),
    )


def _retention(i: ScorecardInputs, t: Thresholds) -> ScorecardRow:
    found = [f for f in i.analysis.findings if f.type == "retention_eligible"]
    awaiting = [f for f in found if not f.evidence.get("must_keep")]
    kept = len(found) - len(awaiting)
    detail = (
        f"{counted(len(awaiting), 'account')} of people who left, past the schedule"
        if awaiting
        else "none awaiting a decision"
    ) + (f"; {kept} more kept for a litigation hold" if kept else "")
    m = MEASURE_BY_KEY["retention_awaiting"]
    return ScorecardRow(
        m,
        len(awaiting),
        f"{len(awaiting)}",
        detail,
        status_of_count(len(awaiting), t.retention_awaiting),
    )


def held_accounts(a: "Analysis") -> tuple[set[str], list[Finding]]:
    """(held account keys present in the directories, held_account_missing findings)."""
    holds = [h for h in a.inventory.holds if h.active(a.today)] + [
        h for h in a.directory_holds if h.active(a.today)
    ]
    present = {k for h in holds for k in a.resolve_subject(h.subject)}
    missing = [f for f in a.findings if f.type == "held_account_missing"]
    return present, missing


def _holds(i: ScorecardInputs, t: Thresholds) -> ScorecardRow:
    present, missing = held_accounts(i.analysis)
    view = (
        "hold view complete"
        if i.hold_view.complete
        else "hold view PARTIAL (" + "; ".join(i.hold_view.notes) + ")"
    )
    matters = sorted({f.evidence.get("matter", "") for f in missing} - {""})
    detail = (
        f"{counted(len(present), 'held account')} intact"
        + (f", {len(missing)} missing ({names(matters)})" if missing else "")
        + f"; {view}"
    )
    status: Status = RED if missing else (AMBER if not i.hold_view.complete else GREEN)
    shown = f"{len(missing)} missing" if missing else f"all {len(present)} intact"
    m = MEASURE_BY_KEY["held_accounts_missing"]
    return ScorecardRow(
        m, len(missing), shown, detail, status, extras={"held_accounts_intact": len(present)}
    )


def investigation_age(s: SuspensionView, today: date) -> int:
    started = s.suspended_at.date() if s.suspended_at else today
    return max(0, (today - started).days)


def _suspensions(i: ScorecardInputs, t: Thresholds) -> ScorecardRow:
    m = MEASURE_BY_KEY["open_investigations"]
    if not i.suspensions.available:
        return ScorecardRow(
            m, None, "could not read", i.suspensions.note or "suspensions could not be read", GREY
        )
    today = i.analysis.today
    open_cases = sorted(i.suspensions.open, key=lambda s: -investigation_age(s, today))
    if not open_cases:
        return ScorecardRow(
            m,
            0,
            "none open",
            "no account is suspended pending an investigation",
            GREEN,
            extras={"oldest_investigation_days": None},
        )
    oldest = investigation_age(open_cases[0], today)
    detail = "; ".join(
        f"case {s.id}, {investigation_age(s, today)} days" for s in open_cases[:3]
    ) + (f" and {len(open_cases) - 3} more" if len(open_cases) > 3 else "")
    return ScorecardRow(
        m,
        len(open_cases),
        f"{len(open_cases)} open, oldest {oldest} days",
        detail,
        status_of_count(oldest, t.investigation_days),
        extras={"oldest_investigation_days": oldest},
    )


def _audit(i: ScorecardInputs, t: Thresholds) -> ScorecardRow:
    anchor = i.anchor
    m = MEASURE_BY_KEY["audit_verified"]
    head = f"head {anchor.head_hash[:12]}…" if anchor.head_hash else "no entries yet"
    if anchor.verified:
        return ScorecardRow(
            m,
            1,
            "verified",
            f"{anchor.entries:,} entries, chain intact; {head}",
            GREEN,
            extras={"audit_entries": anchor.entries},
        )
    return ScorecardRow(
        m,
        0,
        "FAILED",
        f"{anchor.problem}; {anchor.entries:,} entries",
        RED,
        extras={"audit_entries": anchor.entries},
    )


ROW_BUILDERS = (
    _inventory,
    _monitoring,
    _authorized,
    _apps,
    _training,
    _retention,
    _holds,
    _suspensions,
    _audit,
)


def status_from_figures(key: str, figures: dict[str, float | None], t: Thresholds) -> Status:
    """A recorded quarter's status, from its figures alone (last quarter's column, the trend)."""
    v = figures.get(key)
    if key == "campaign_answered_percent":
        return RED if v is None else status_of_share(v, t.campaign_answered_percent)
    if v is None:
        return GREY
    if key == "inventory_valid_percent":
        return status_of_share(v, t.inventory_percent)
    if key == "training_percent":
        return status_of_share(v, t.training_percent)
    if key == "unauthorized_access":
        return status_of_count(v, t.unauthorized)
    if key == "unapproved_apps":
        return status_of_count(v, t.unapproved_apps)
    if key == "retention_awaiting":
        return status_of_count(v, t.retention_awaiting)
    if key == "held_accounts_missing":
        return RED if v else GREEN
    if key == "open_investigations":
        return (
            GREEN
            if not v
            else status_of_count(
                figures.get("oldest_investigation_days") or 0, t.investigation_days
            )
        )
    if key == "audit_verified":
        return GREEN if v else RED
    return GREY


def _with_last(row: ScorecardRow, last: QuarterFigures | None, t: Thresholds) -> ScorecardRow:
    if last is None:
        return row
    value = last.figures.get(row.measure.key)
    return ScorecardRow(
        row.measure,
        row.value,
        row.shown,
        row.detail,
        row.status,
        value,
        shown_value(row.measure.unit, value, row.measure.key),
        status_from_figures(row.measure.key, last.figures, t),
        row.extras,
    )


def build_scorecard(
    inputs: ScorecardInputs, thresholds: Thresholds, history: list[QuarterFigures]
) -> Scorecard:
    quarter = quarter_of(inputs.analysis.today)
    earlier = [q for q in history if q.quarter < quarter]
    last = earlier[-1] if earlier else None
    rows = tuple(_with_last(build(inputs, thresholds), last, thresholds) for build in ROW_BUILDERS)
    return Scorecard(
        quarter=quarter,
        as_of=inputs.analysis.today,
        last_quarter=last.quarter if last else None,
        last_origin=last.origin if last else "",
        rows=rows,
    )
