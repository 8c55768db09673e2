"""The campaign schedule in the config's ``[campaigns]``: on which dates the quarter's review
starts, when answers are due, what unanswered items become, and (for a pilot) which reviewers
get it. ``access-review run-due`` creates and sends the quarter's campaign on its date, once.

A start date is a month and day (``"10-15"``); the campaign it starts reviews the quarter the
date falls in (2026-10-15 starts ``2026Q4``). A date missed while the machine was off is caught
up within ``CATCH_UP_DAYS``; older ones wait for the next date, so that installing the schedule
in the middle of a quarter does not e-mail every data manager at once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Iterable, Mapping

from access_review.errors import ConfigError
from access_review.settings_spec import Setting

from .rules import DEFAULT_DECISIONS

CATCH_UP_DAYS = 7

CAMPAIGN_SETTINGS = (
    Setting(
        "default",
        "none",
        "what unanswered items become at close: keep | revoke | recommendation | none "
        "(no action), unless `campaign create --default` says otherwise",
    ),
    Setting(
        "starts",
        [],
        "month-days each quarter's campaign starts by itself (access-review run-due); [] for none",
        example=["01-15", "04-15", "07-15", "10-15"],
    ),
    Setting("due", "21d", "answers due this long after a scheduled start (21d, 3w)"),
    Setting(
        "resources", [], "a scheduled campaign reviews only these inventory resources ([]: all)"
    ),
    Setting(
        "reviewers",
        [],
        "a scheduled campaign is sent only to these reviewers, e.g. for a pilot "
        "(employee ids or e-mails; []: every reviewer)",
    ),
)


@dataclass(frozen=True)
class CampaignSchedule:
    starts: tuple[tuple[int, int], ...] = ()  # (month, day)
    due: str = "21d"
    resources: tuple[str, ...] = ()
    reviewers: tuple[str, ...] = ()


def _strings(section: Mapping, key: str, where: str) -> tuple[str, ...]:
    value = section.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: {key} must be a list of strings, not {value!r}")
    return tuple(value)


def parse_campaign_schedule(section: Mapping, where: str = "[campaigns]") -> CampaignSchedule:
    known = {s.key for s in CAMPAIGN_SETTINGS}
    unknown = sorted(set(section) - known)
    if unknown:
        raise ConfigError(
            f"{where}: unknown setting {unknown[0]!r}", hint=f"known: {', '.join(sorted(known))}"
        )
    default = section.get("default", "none")
    if default not in DEFAULT_DECISIONS:
        raise ConfigError(
            f"{where}: default must be one of {', '.join(DEFAULT_DECISIONS)}, not {default!r}"
        )
    starts = []
    for text in _strings(section, "starts", where):
        m = re.fullmatch(r"(\d\d)-(\d\d)", text)
        try:
            if not m:
                raise ValueError
            date(2024, int(m.group(1)), int(m.group(2)))  # a leap year: 02-29 is a real date
        except ValueError:
            raise ConfigError(f'{where}: starts {text!r} is not a month-day like "10-15"') from None
        starts.append((int(m.group(1)), int(m.group(2))))
    due = section.get("due", "21d")
    if not isinstance(due, str) or not re.fullmatch(r"\d+[dw]", due):
        raise ConfigError(f"{where}: due must be like 21d or 3w, not {due!r}")
    return CampaignSchedule(
        tuple(sorted(set(starts))),
        due,
        _strings(section, "resources", where),
        _strings(section, "reviewers", where),
    )


def quarter_of(day: date) -> str:
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def latest_start(schedule: CampaignSchedule, today: date) -> date | None:
    """The latest scheduled start on or before ``today`` within the catch-up window, if any."""
    candidates = []
    for month, day in schedule.starts:
        for year in (today.year, today.year - 1):
            try:
                candidate = date(year, month, day)
            except ValueError:  # 02-29 in a year without it
                candidate = date(year, month, 28)
            if candidate <= today:
                candidates.append(candidate)
                break
    start = max(candidates, default=None)
    if start is None or today - start > timedelta(days=CATCH_UP_DAYS):
        return None
    return start


def due_quarter(
    schedule: CampaignSchedule, today: date, existing: Iterable[str]
) -> tuple[str | None, str]:
    """(the quarter whose campaign is due now, or None; why, in words)."""
    if not schedule.starts:
        return None, "no start dates in [campaigns] starts"
    start = latest_start(schedule, today)
    if start is None:
        return None, "no start date today or in the last week"
    quarter = quarter_of(start)
    if quarter in set(existing):
        return None, f"the {quarter} campaign exists already"
    return quarter, f"its start date {start.isoformat()}"
