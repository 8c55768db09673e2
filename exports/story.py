"""The words on the first page: three to five sentences in plain English generated from the
figures, and what needs a decision — the few things the ISO cannot close alone.

Pure functions over the scorecard and what it was built from. Each candidate sentence has a
rank (what a board must hear first: a red clause before an amber one, results before
routine); the overview always leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from datetime import date, datetime

from access_review.config import Scorecard as Thresholds

from .feature_views import CampaignItemView, CampaignView
from .remediation_results import build_remediation_results, confirmed_gone, total_results
from .access_facts import active_people_to_train, unapproved_app_holders
from .scorecard import (
    AMBER,
    GREEN,
    RED,
    Scorecard,
    ScorecardInputs,
    held_accounts,
    investigation_age,
    names,
    percent_text,
    shown_value,
)

if TYPE_CHECKING:
    from access_review.analysis import Analysis

NUMBER_WORDS = ("no", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten")
MAX_SENTENCES = 5
MIN_SENTENCES = 3
MAX_DECISIONS = 6


def count_words(n: int, singular: str, plural: str | None = None) -> str:
    """ "one person", "two people", "12 people"."""
    word = NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"
    return f"{word} {singular if n == 1 else (plural or singular + 's')}"


def capitalized(text: str) -> str:
    return text[:1].upper() + text[1:]


def day_text(value: str | date | datetime | None) -> str:
    """ "14 December" (the year when it is not the report's)."""
    if not value:
        return ""
    d = (
        datetime.fromisoformat(value).date()
        if isinstance(value, str)
        else (value.date() if isinstance(value, datetime) else value)
    )
    return f"{d.day} {d.strftime('%B')} {d.year}"


@dataclass(frozen=True)
class Decision:
    topic: str  # the policy clause it falls under
    text: str  # what to decide, and why the ISO cannot alone


# ---------------------------------------------------------------- sentences


def number_word(n: int) -> str:
    return NUMBER_WORDS[n] if 0 <= n < len(NUMBER_WORDS) else f"{n:,}"


def _overview(sc: Scorecard) -> str:
    counts = sc.counts()
    parts = [
        f"{number_word(counts[GREEN])} of the {number_word(len(sc.rows))} policy measures"
        f" {'is' if counts[GREEN] == 1 else 'are'} on track"
    ]
    if counts[AMBER]:
        parts.append(
            f"{number_word(counts[AMBER])} {'needs' if counts[AMBER] == 1 else 'need'} attention"
        )
    if counts[RED]:
        parts.append(f"{number_word(counts[RED])} {'needs' if counts[RED] == 1 else 'need'} action")
    text = f"In {sc.quarter}, " + (
        ", ".join(parts[:-1]) + " and " + parts[-1] if len(parts) > 1 else parts[0]
    )
    if sc.last_quarter:
        last_green = sum(1 for r in sc.rows if r.last_status == GREEN)
        text += f" (in {sc.last_quarter}: {number_word(last_green)} on track)"
    return text + "."


def _who_left(left: set[str], leave: set[str]) -> str:
    """ "two people who left the district and one person on leave"."""
    return capitalized(
        " and ".join(
            p
            for p in (
                f"{count_words(len(left), 'person', 'people')} who left the district"
                if left
                else "",
                f"{count_words(len(leave), 'person', 'people')} on leave" if leave else "",
            )
            if p
        )
    )


# How the trend sentence names each measure.
SHORT_NAMES = {
    "inventory_valid_percent": "resources with a valid data manager",
    "campaign_answered_percent": "review items answered",
    "unauthorized_access": "unauthorized access",
    "unapproved_apps": "unapproved apps",
    "training_percent": "staff trained",
    "retention_awaiting": "separated accounts awaiting a decision",
    "held_accounts_missing": "held accounts missing",
    "open_investigations": "open investigations",
}


def _trend(sc: Scorecard) -> tuple[int, str] | None:
    """What moved since the last quarter recorded: the biggest changes, better ones first."""
    if not sc.last_quarter:
        return None
    better: list[tuple[float, str]] = []
    worse: list[tuple[float, str]] = []
    for r in sc.rows:
        if (
            r.measure.key not in SHORT_NAMES
            or r.value is None
            or r.last_value is None
            or r.value == r.last_value
        ):
            continue
        up = r.value > r.last_value
        moved = (
            f"{SHORT_NAMES[r.measure.key]} {'rose' if up else 'fell'} from {r.last_shown} to "
            f"{shown_value(r.measure.unit, r.value, r.measure.key)}"
        )
        change = abs(r.value - r.last_value) / max(abs(r.last_value), 1)
        (better if up == r.measure.higher_is_better else worse).append((change, moved))
    if not better and not worse:
        return (1, f"The figures are where they were in {sc.last_quarter}.")
    best = [m for _, m in sorted(better, reverse=True)[:3]]
    worst = [m for _, m in sorted(worse, reverse=True)[:2]]
    text = f"Since {sc.last_quarter}, " + (names(best) if best else "")
    if worst:
        text += ("; but " if best else "") + names(worst)
    return (1, text + ".")


def _left_the_district(i: ScorecardInputs, c: CampaignView | None) -> tuple[int, str] | None:
    """People who left (or are on leave) with access, and what the review did about them."""
    flagged = [x for x in (c.items if c else ()) if "separated" in x.flags or "leave" in x.flags]
    if flagged:

        def who(x: CampaignItemView) -> str:
            return x.employee_id or x.person

        people = {who(x) for x in flagged}
        left = {who(x) for x in flagged if "separated" in x.flags}
        revoked = {who(x) for x in flagged if x.decision == "revoke"}
        removed = {who(x) for x in flagged if x.decision == "revoke" and confirmed_gone(x)}
        resources = sorted({x.resource for x in flagged})
        what = names(resources, 2) if len(resources) <= 2 else "confidential data"
        text = f"{_who_left(left, people - left)} still had access to {what}"
        if removed == people:
            subject = "it" if len(people) == 1 else "both" if len(people) == 2 else "all of them"
            when = day_text(c.extra.get("remediated_at")) if c else ""
            text += (
                f"; {'the access was' if len(people) == 1 else subject + ' were'} removed"
                + (f" on {when}" if when else "")
                + " and the removal was confirmed by the next sync"
            )
        elif revoked:
            text += (
                f"; the review revoked the access of {count_words(len(revoked), 'of them', 'of them')}"
                f" and {count_words(len(removed), 'removal')} {'is' if len(removed) == 1 else 'are'}"
                " confirmed so far"
            )
        else:
            text += "; the review has not revoked it yet"
        return (1, text + ".")
    findings = [f for f in i.analysis.findings if f.type in ("separated_access", "leave_access")]
    if findings:
        left = {f.person for f in findings if f.type == "separated_access" and f.person is not None}
        leave = {f.person for f in findings if f.type == "leave_access" and f.person is not None}
        verb = "has" if len(left) + len(leave) == 1 else "have"
        return (
            1,
            f"{_who_left(left, leave)} still {verb} an enabled account or access to confidential data.",
        )
    return None


def _campaign(c: CampaignView | None) -> tuple[int, str] | None:
    if c is None or not c.items:
        return None
    total = total_results(c)
    silent = [r for r in build_remediation_results(c) if r.answered == 0]
    partial = [r for r in build_remediation_results(c) if 0 < r.answered < r.items]
    text = (
        f"Data managers answered {total.answered:,} of the {total.items:,} review items in campaign {c.name}"
        f" ({round(100 * total.answered / total.items)}%)"
    )
    if silent:
        who = names([f"{r.reviewer} ({r.items - r.answered:,} items)" for r in silent])
        outcome = (
            f"; {who} did not respond, so those items were closed by the default decision"
            if all(r.unanswered == 0 for r in silent)
            else f"; {who} did not respond"
        )
        text += outcome
    elif partial:
        text += f"; {names([r.reviewer for r in partial])} left some items unanswered"
    return (2 if silent else 4, text + ".")


def _remediation(c: CampaignView | None) -> tuple[int, str] | None:
    if c is None:
        return None
    total = total_results(c)
    if total.revoked == 0:
        return None
    revoked = count_words(total.revoked, "access", "accesses")
    if total.confirmed_gone == total.revoked:
        return (
            2,
            f"All {revoked.split(' ', 1)[0]} accesses revoked in the review were removed and confirmed gone"
            f" by a complete sync."
            if total.revoked > 1
            else "The one access revoked in the review was removed and confirmed gone by a complete sync.",
        )
    if total.applied == 0:
        return (
            2,
            f"{capitalized(revoked)} revoked in the review {'is' if total.revoked == 1 else 'are'}"
            " still to be removed from the directories.",
        )
    return (
        2,
        f"Of {revoked} revoked in the review, {total.applied} were removed and {total.confirmed_gone}"
        f" confirmed gone by a complete sync; {total.pending} {'is' if total.pending == 1 else 'are'}"
        " still pending.",
    )


def _row_sentence(sc: Scorecard, i: ScorecardInputs) -> list[tuple[int, str]]:
    out: list[tuple[int, str]] = []
    rank = {RED: 3, AMBER: 5, GREEN: 8}
    apps = sc.row("unapproved_apps")
    unapproved = unapproved_app_holders(i.analysis)
    if unapproved:
        out.append(
            (
                rank.get(apps.status, 8),
                f"{capitalized(count_words(len(unapproved), 'app'))} {'holds' if len(unapproved) == 1 else 'hold'}"
                f" district accounts without the ISO's approval ({names(list(unapproved))}).",
            )
        )
    holds = sc.row("held_accounts_missing")
    present, missing = held_accounts(i.analysis)
    if missing:
        matters = sorted({f.evidence.get("matter", "") for f in missing} - {""})
        out.append(
            (
                3,
                f"{capitalized(count_words(len(missing), 'account'))} under a litigation hold"
                f" ({names(matters)}) {'is' if len(missing) == 1 else 'are'} missing from"
                f" {'its' if len(missing) == 1 else 'their'} directory.",
            )
        )
    elif holds.status == AMBER:
        out.append(
            (5, "The litigation-hold view is partial: some directory holds could not be read.")
        )
    training = sc.row("training_percent")
    states = active_people_to_train(i.analysis)
    if states:
        late = sum(1 for _, ok in states.values() if not ok)
        trained = len(states) - late
        out.append(
            (
                rank.get(training.status, 8) + 1,
                f"{percent_text(trained, len(states))} of the staff with access to confidential data were"
                f" trained in confidentiality within the year"
                + (
                    f"; {count_words(late, 'person', 'people')} {'is' if late == 1 else 'are'} overdue."
                    if late
                    else "."
                ),
            )
        )
    audit = sc.row("audit_verified")
    if audit.status == RED:
        out.append(
            (0, f"The audit record FAILED verification: {i.anchor.problem}.")
        )  # before all else
    inventory = sc.row("inventory_valid_percent")
    bad = sorted(
        {f.resource for f in i.analysis.findings if f.type == "data_manager_invalid" and f.resource}
    )
    if inventory.status in (RED, AMBER) and bad:
        out.append(
            (
                rank[inventory.status] + 2,
                f"{capitalized(count_words(len(bad), 'resource'))} in the data inventory"
                f" {'has' if len(bad) == 1 else 'have'} no valid data manager ({names(bad)}).",
            )
        )
    return out


def build_sentences(sc: Scorecard, i: ScorecardInputs) -> list[str]:
    c = i.campaigns.current
    candidates = [
        x for x in (_trend(sc), _left_the_district(i, c), _campaign(c), _remediation(c)) if x
    ]
    candidates += _row_sentence(sc, i)
    candidates.sort(key=lambda pair: pair[0])
    chosen = [text for _, text in candidates[: MAX_SENTENCES - 1]]
    # A quiet quarter still gets its three sentences: what is on track, in figures.
    for r in sc.rows:
        if len(chosen) + 1 >= MIN_SENTENCES:
            break
        if r.status == GREEN:
            chosen.append(f"{r.measure.label}: {r.shown}.")
    return [_overview(sc), *chosen]


# ---------------------------------------------------------------- what needs a decision


def manager_problem(a: Analysis, resource: str | None) -> str:
    """Why a resource's data manager is not valid, in words."""
    res = a.inventory_by_name.get(resource) if resource else None
    if res is None or not res.data_manager:
        return "none named"
    manager = a.persons.get(f"person:{res.data_manager}")
    if manager is None:
        return "the one named is no longer in the roster"
    if manager.status == "leave":
        return f"{manager.name} is on leave"
    if manager.status == "separated":
        return f"{manager.name} has left the district"
    return f"{manager.name} is not an administrator"


def build_decisions(sc: Scorecard, i: ScorecardInputs, t: Thresholds) -> tuple[list[Decision], int]:
    """(the decisions shown, how many more there were)."""
    a = i.analysis
    out: list[Decision] = []
    _, missing = held_accounts(a)
    if missing:
        matters = sorted({f.evidence.get("matter", "") for f in missing} - {""})
        out.append(
            Decision(
                "Litigation Hold",
                f"Tell the district's attorney that {count_words(len(missing), 'held account')} "
                f"({names(matters)}) {'is' if len(missing) == 1 else 'are'} missing from the directory,"
                " and agree how to respond.",
            )
        )
    if i.anchor.entries and not i.anchor.verified:
        out.append(
            Decision(
                "Consequences",
                f"Order an investigation: the audit record failed verification"
                f" ({i.anchor.problem}).",
            )
        )
    invalid = [f for f in a.findings if f.type == "data_manager_invalid"]
    if invalid:
        out.append(
            Decision(
                "Data Managers",
                "Name a data manager for "
                + names([f"{f.resource} ({manager_problem(a, f.resource)})" for f in invalid], 4)
                + ".",
            )
        )
    awaiting = [
        f for f in a.findings if f.type == "retention_eligible" and not f.evidence.get("must_keep")
    ]
    if awaiting:
        people = sorted({a.persons[f.person].name for f in awaiting if f.person in a.persons})
        out.append(
            Decision(
                "Data Retention and Deletion",
                f"Decide whether to archive or keep {count_words(len(awaiting), 'account')} of"
                f" {count_words(len(people), 'person', 'people')} who left more than"
                f" {a.config.policy.retention_days // 365} years ago"
                + (f" ({names(people)})" if people else "")
                + ".",
            )
        )
    for app, holders in unapproved_app_holders(a).items():
        if holders >= t.app_users_for_decision:
            out.append(
                Decision(
                    "Using Online Services and Applications",
                    f"Approve or withdraw {app}: {holders:,} district accounts use it without the"
                    " ISO's approval.",
                )
            )
    c = i.campaigns.current
    if c is not None:
        silent = [r for r in build_remediation_results(c) if r.answered < r.items]
        if silent:
            out.append(
                Decision(
                    "Data Managers",
                    "Follow up with the data managers who did not answer their review: "
                    + names([f"{r.reviewer} ({r.items - r.answered:,} items)" for r in silent], 4)
                    + ".",
                )
            )
    green_days, _ = t.investigation_days
    for s in i.suspensions.open if i.suspensions.available else ():
        age = investigation_age(s, a.today)
        if age > green_days:
            out.append(
                Decision(
                    "Consequences",
                    f"Decide on case {s.id}: {s.person or 'accounts'} suspended"
                    f" {age} days pending an investigation.",
                )
            )
    return out[:MAX_DECISIONS], max(0, len(out) - MAX_DECISIONS)
