"""Reading returned review workbooks.

A workbook is accepted whole or not at all: every row is checked (campaign and reviewer stamp,
each item key's signature, the read-only cells against the signed original values, and the
answer itself against ``rules.check_answer``, through ``answers.decision_from_answer`` as the
web page's answers are) and only a workbook with no problem has its
decisions recorded. Every problem in a workbook is reported at once — a reviewer fixes three
rows in one go, not in three round trips. Rows may come back reordered, sorted or filtered;
blank decisions are simply not answered yet (a partial return), and importing the same
workbook again records nothing new.

Whatever a file holds — broken XML, formulas, dates, non-ASCII in a signature, cells of any
size — the answer is a WorkbookRejected naming the file (and row and column), never a
traceback: signatures are compared as UTF-8 bytes, because ``hmac.compare_digest`` raises
TypeError on a ``str`` that is not ASCII.
"""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from openpyxl import load_workbook

from access_review.errors import InputError

from .answers import VIA_WORKBOOK, decision_from_answer
from .model import Decision
from .rules import AnswerProblem
from .store import Campaign, CampaignStore
from .workbook import (
    CHECK_SHEET,
    DECISION_HEADER,
    HEADERS,
    JUSTIFICATION_HEADER,
    KEY_HEADER,
    READ_ONLY_COLUMNS,
    REVIEW_SHEET,
    item_key,
    row_values,
    stamp_signature,
    values_signature,
)

ROW_SLACK = 1000  # rows beyond the reviewer's items: blank rows are fine, a million are not
RETURN_HINT = "return the workbook that was sent"


@dataclass(frozen=True)
class ImportResult:
    path: str
    reviewer: str
    answered: int  # rows with a decision in the workbook
    recorded: int  # decisions that changed what was stored
    undecided: int
    decisions: dict[str, str]  # item id -> keep | revoke, as answered in this workbook


@dataclass(frozen=True)
class WorkbookProblem:
    reason: str
    row: int | None = None
    column: str | None = None
    person: str = ""  # whose row it is, when the row could be matched to an item

    def for_reviewer(self) -> str:
        """How the reviewer is told: "Row 6 (Zoë O'Brien), Decision column: …"."""
        where = []
        if self.row is not None:
            where.append(f"Row {self.row}" + (f" ({self.person})" if self.person else ""))
        if self.column:
            where.append(f"{self.column} column")
        return (", ".join(where) + ": " if where else "") + self.reason


class WorkbookRejected(InputError):
    """A returned workbook with at least one problem; ``problems`` lists every one. The message
    is the first problem's line; the others follow as ``also`` lines."""

    also: list[str]

    def __init__(
        self,
        path: str,
        problems: Sequence[WorkbookProblem],
        *,
        reviewer: str | None = None,
        hint: str | None = None,
    ):
        first = problems[0]
        super().__init__(path, first.reason, row=first.row, column=first.column, hint=hint)
        self.problems = tuple(problems)
        self.reviewer = reviewer
        self.also = [
            str(InputError(path, p.reason, row=p.row, column=p.column)) for p in problems[1:]
        ]

    def lines(self) -> list[str]:
        return [str(self), *self.also]


def _text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).replace("\r\n", "\n")


def _same(a: str, b: str) -> bool:
    """Constant-time comparison of two signatures, whatever characters they hold."""
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


def _load(path: Path):
    where = str(path)
    try:
        return load_workbook(path, data_only=False)
    except Exception as exc:  # noqa: BLE001 - a file from outside: broken zip, XML, styles, ... all mean "cannot read"
        reason = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        if len(reason) > 200:
            reason = reason[:200] + "…"
        raise WorkbookRejected(
            where,
            [WorkbookProblem(f"not a review workbook that can be read ({reason})")],
            hint=RETURN_HINT,
        ) from None


def _reject(
    path: Path,
    reason: str,
    *,
    row: int | None = None,
    column: str | None = None,
    hint: str | None = RETURN_HINT,
    reviewer: str | None = None,
) -> WorkbookRejected:
    return WorkbookRejected(
        str(path), [WorkbookProblem(reason, row, column)], reviewer=reviewer, hint=hint
    )


def read_stamp(path: Path, campaign: Campaign):
    """(workbook, reviewer, signed originals by item, problems) once the stamp is proved; the
    workbook-level problems (unreadable, wrong campaign, altered stamp) are raised."""
    wb = _load(path)
    if REVIEW_SHEET not in wb.sheetnames or CHECK_SHEET not in wb.sheetnames:
        raise _reject(
            path,
            f"not a review workbook: it has no {REVIEW_SHEET!r} and {CHECK_SHEET!r} sheets",
            hint="return the workbook that was sent, with its sheets as they were",
        )
    check = wb[CHECK_SHEET]
    stamp = [_text(c.value) for c in next(check.iter_rows(min_row=1, max_row=1, max_col=5), ())]
    if len(stamp) < 5 or stamp[0] != "campaign" or stamp[2] != "reviewer":
        raise _reject(path, "the workbook's campaign stamp is missing")
    stamped_campaign, reviewer, stamp_sig = stamp[1], stamp[3], stamp[4]
    if stamped_campaign != str(campaign.id):
        raise _reject(
            path,
            f"this workbook belongs to campaign {stamped_campaign}, not to {campaign.label}",
            hint=f"import it with --campaign {stamped_campaign}, or send the reviewer the right workbook",
        )
    if not _same(stamp_sig, stamp_signature(campaign.secret, campaign.id, reviewer)):
        raise _reject(path, "the workbook's campaign/reviewer stamp was altered")
    problems: list[WorkbookProblem] = []
    originals: dict[str, list[str]] = {}
    if check.max_row > ROW_SLACK * 100:
        raise _reject(path, f"the hidden check sheet has {check.max_row:,} rows", reviewer=reviewer)
    for row in check.iter_rows(min_row=2, max_col=3, values_only=True):
        item_id, values_json, sig = (_text(v) for v in (list(row) + [None] * 3)[:3])
        if not item_id:
            continue
        try:
            values = json.loads(values_json)
        except ValueError:
            values = None
        if not (
            isinstance(values, list)
            and len(values) == len(READ_ONLY_COLUMNS)
            and all(isinstance(v, str) for v in values)
            and _same(
                sig, values_signature(campaign.secret, campaign.id, reviewer, item_id, values)
            )
        ):
            problems.append(WorkbookProblem(f"the hidden check sheet was altered (item {item_id})"))
            continue
        originals[item_id] = values
    return wb, reviewer, originals, problems


def read_decisions(
    path: Path, campaign: Campaign, cstore: CampaignStore
) -> tuple[str, list[Decision], int]:
    """Check a returned workbook against ``campaign``; (reviewer, decisions, undecided) or
    WorkbookRejected naming the file and every problem with its row and column."""
    wb, reviewer, originals, problems = read_stamp(path, campaign)
    ws = wb[REVIEW_SHEET]
    header = [
        _text(c.value).strip()
        for c in next(ws.iter_rows(min_row=1, max_row=1, max_col=len(HEADERS)), ())
    ]
    if header[: len(HEADERS)] != list(HEADERS):
        raise _reject(
            path,
            "the Review sheet's columns were changed",
            row=1,
            hint="do not insert, delete or move columns",
            reviewer=reviewer,
        )
    items = {i.item_id: i for i in cstore.items(campaign.id)}
    mine = sum(1 for i in items.values() if i.reviewer == reviewer)
    if ws.max_row > mine + ROW_SLACK:
        raise _reject(
            path, f"the Review sheet has {ws.max_row:,} rows for {mine} item(s)", reviewer=reviewer
        )
    decision_col = HEADERS.index(DECISION_HEADER)
    justification_col = HEADERS.index(JUSTIFICATION_HEADER)
    seen: dict[str, int] = {}
    decisions: list[Decision] = []
    undecided = 0
    for row_number, row in enumerate(
        ws.iter_rows(min_row=2, max_col=len(HEADERS), values_only=True), 2
    ):
        cells = [_text(v) for v in (list(row) + [None] * len(HEADERS))[: len(HEADERS)]]
        if not any(c.strip() for c in cells):
            continue
        problem = _check_row(row_number, cells, campaign, reviewer, items, originals, seen)
        if isinstance(problem, WorkbookProblem):
            problems.append(problem)
            continue
        item = problem
        answer = decision_from_answer(
            item,
            reviewer,
            cells[decision_col],
            cells[justification_col],
            via=VIA_WORKBOOK,
            file=Path(path).name,
        )
        if isinstance(answer, AnswerProblem):
            column = JUSTIFICATION_HEADER if answer.field == "justification" else DECISION_HEADER
            problems.append(WorkbookProblem(answer.message, row_number, column, item.name))
        elif answer is None:
            undecided += 1
        else:
            decisions.append(answer)
    if problems:
        raise WorkbookRejected(str(path), problems, reviewer=reviewer)
    return reviewer, decisions, undecided


def _check_row(
    row_number: int,
    cells: list[str],
    campaign: Campaign,
    reviewer: str,
    items: dict,
    originals: dict[str, list[str]],
    seen: dict[str, int],
):
    """The row's item, or the problem that makes the row untrustworthy (its key, or a
    read-only cell that was edited)."""
    key = cells[0].strip()
    parts = key.split("/")
    if len(parts) != 3:
        return WorkbookProblem("the item key is missing or altered", row_number, KEY_HEADER)
    key_campaign, item_id, _ = parts
    if key_campaign != str(campaign.id):
        return WorkbookProblem(
            f"the row belongs to campaign {key_campaign}", row_number, KEY_HEADER
        )
    item = items.get(item_id)
    if not _same(key, item_key(campaign.secret, campaign.id, reviewer, item_id)):
        if (
            item is not None
            and item.reviewer != reviewer
            and _same(key, item_key(campaign.secret, campaign.id, item.reviewer, item_id))
        ):
            return WorkbookProblem(
                f"item {item_id} belongs to another reviewer's workbook",
                row_number,
                KEY_HEADER,
                item.name,
            )
        return WorkbookProblem("the item key was altered", row_number, KEY_HEADER)
    if item is None or item.reviewer != reviewer:
        return WorkbookProblem(
            f"item {item_id} is not {reviewer}'s to review", row_number, KEY_HEADER
        )
    if item_id in seen:
        return WorkbookProblem(
            f"item {item_id} appears twice (also row {seen[item_id]})", row_number, person=item.name
        )
    seen[item_id] = row_number
    expected = originals.get(item_id)
    current = row_values(item)
    for index, (column, _) in enumerate(READ_ONLY_COLUMNS):
        got = cells[index + 1]
        if expected is None or got != expected[index] or got != current[index]:
            shown = current[index] if len(current[index]) <= 80 else current[index][:80] + "…"
            return WorkbookProblem(
                f"the {column} cell was edited (it should read {shown!r}); only Decision"
                " and Justification may change",
                row_number,
                column,
                item.name,
            )
    return item


def import_workbook(path: Path, campaign: Campaign, cstore: CampaignStore) -> ImportResult:
    reviewer, decisions, undecided = read_decisions(path, campaign, cstore)
    recorded = cstore.record_decisions(campaign.id, decisions)
    return ImportResult(
        str(path),
        reviewer,
        len(decisions),
        recorded,
        undecided,
        {d.item_id: d.decision for d in decisions},
    )
