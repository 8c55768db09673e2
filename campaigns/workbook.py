"""The review workbook a data manager fills in.

Sheets:
  Instructions  what to do, in plain words, with the counts and the due date
  Review        one row per item; Decision (Keep / Revoke drop-down) and Justification are the
                only unlocked cells, the sheet is protected otherwise; flagged rows are
                highlighted and say why; frozen header, filters, readable widths; column A
                (hidden) holds the signed item key
  Check         (hidden) the campaign and reviewer stamp and, for every row, the original
                values of the read-only cells with their signature, so an edited cell is
                caught on import even if the sheet protection was removed

Signatures are HMAC-SHA256 with the campaign's secret, which stays in the store: a key
cannot be forged or moved to another campaign or reviewer without it.

Every text that came from a directory or the roster is written as an explicit string cell
with the quote prefix set, so a display name such as ``=HYPERLINK(...)`` or ``@SUM(...)``
is never a formula (OWASP "CSV injection", which spreadsheet apps also honour in xlsx).
"""
from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from pathlib import Path
from typing import Iterable

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from .items import Item

REVIEW_SHEET = "Review"
CHECK_SHEET = "Check"
INSTRUCTIONS_SHEET = "Instructions"
KEY_HEADER = "Key"
DECISION_HEADER = "Decision"
JUSTIFICATION_HEADER = "Justification"
DECISION_VALUES = ("Keep", "Revoke")

# (header, width) of the read-only columns, in order; values come from ``row_values``.
READ_ONLY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Item", 8), ("Person", 24), ("Employee ID", 12), ("Title", 24), ("Building", 20),
    ("Account(s)", 30), ("Resource", 28), ("Classification", 14), ("Access", 8),
    ("How they have access", 60), ("Flags", 45), ("Recommendation", 45), ("Previous review", 34),
)
HEADERS: tuple[str, ...] = (KEY_HEADER, *(h for h, _ in READ_ONLY_COLUMNS), DECISION_HEADER,
                            JUSTIFICATION_HEADER)
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
FLAGGED_FILL = PatternFill("solid", fgColor="FCE4D6")
EDITABLE_FILL = PatternFill("solid", fgColor="FFF2CC")


def sign(secret: str, *parts: str) -> str:
    message = "\x1f".join(parts).encode("utf-8")
    return hmac.new(bytes.fromhex(secret), message, hashlib.sha256).hexdigest()


def item_key(secret: str, campaign_id: int, reviewer: str, item_id: str) -> str:
    """What column A holds: ``<campaign>/<item>/<signature>``."""
    return f"{campaign_id}/{item_id}/{sign(secret, str(campaign_id), reviewer, item_id)}"


def stamp_signature(secret: str, campaign_id: int, reviewer: str) -> str:
    return sign(secret, "stamp", str(campaign_id), reviewer)


def values_signature(secret: str, campaign_id: int, reviewer: str, item_id: str, values: list[str]) -> str:
    return sign(secret, "values", str(campaign_id), reviewer, item_id, json.dumps(values, ensure_ascii=False))


def row_values(item: Item) -> list[str]:
    """The read-only cells of an item's row, as text."""
    recommendation = f"{item.recommendation.capitalize()}: {item.reason}"
    return [item.item_id, item.name, item.employee_id, item.title, item.building,
            ", ".join(item.account_labels), item.resource, item.classification, item.level,
            item.path_text, item.flag_text, recommendation, item.previous]


def write_text(cell, value: str) -> None:
    """A cell that is text whatever it starts with: never a formula."""
    cell.value = value
    if value and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True


def write_review_workbook(path: Path, *, campaign_id: int, quarter: str, secret: str, reviewer: str,
                          reviewer_name: str, due: date, items: Iterable[Item],
                          previous_answers: dict[str, tuple[str, str]] | None = None) -> Path:
    items = list(items)
    previous_answers = previous_answers or {}
    wb = Workbook()
    _instructions(wb.active, quarter=quarter, reviewer_name=reviewer_name, due=due, items=items)
    ws = wb.create_sheet(REVIEW_SHEET)
    check = wb.create_sheet(CHECK_SHEET)
    check.sheet_state = "hidden"

    for col, header in enumerate(HEADERS, 1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = Font(bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    widths = [10, *(w for _, w in READ_ONLY_COLUMNS), 12, 45]
    for col, width in enumerate(widths, 1):
        ws.column_dimensions[get_column_letter(col)].width = width
    ws.column_dimensions["A"].hidden = True

    decision_col = HEADERS.index(DECISION_HEADER) + 1
    justification_col = decision_col + 1
    check.append(["campaign", campaign_id, "reviewer", reviewer,
                  stamp_signature(secret, campaign_id, reviewer)])
    for row, item in enumerate(items, 2):
        values = row_values(item)
        write_text(ws.cell(row=row, column=1), item_key(secret, campaign_id, reviewer, item.item_id))
        for col, value in enumerate(values, 2):
            cell = ws.cell(row=row, column=col)
            write_text(cell, value)
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            if item.flagged:
                cell.fill = FLAGGED_FILL
        decision, justification = previous_answers.get(item.item_id, ("", ""))
        for col, value in ((decision_col, decision), (justification_col, justification)):
            cell = ws.cell(row=row, column=col)
            write_text(cell, value)
            cell.protection = Protection(locked=False)
            cell.fill = EDITABLE_FILL
            cell.alignment = Alignment(vertical="top", wrap_text=True)
        check_row = [item.item_id, json.dumps(values, ensure_ascii=False),
                     values_signature(secret, campaign_id, reviewer, item.item_id, values)]
        check.append(check_row)
        for cell in check[check.max_row]:
            cell.data_type = "s"

    last = max(len(items) + 1, 2)
    validation = DataValidation(type="list", formula1='"Keep,Revoke"', allow_blank=True,
                                showErrorMessage=True, errorTitle="Keep or Revoke",
                                error="Choose Keep or Revoke from the list.",
                                promptTitle="Your decision", prompt="Keep or Revoke",
                                showInputMessage=True)
    letter = get_column_letter(decision_col)
    validation.add(f"{letter}2:{letter}{last}")
    ws.add_data_validation(validation)
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{last}"
    # openpyxl's flags mean "protected": False allows the action on a protected sheet.
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    check.protection.sheet = True
    wb.active = wb.sheetnames.index(REVIEW_SHEET) if items else 0
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


def _instructions(ws, *, quarter: str, reviewer_name: str, due: date, items: list[Item]) -> None:
    ws.title = INSTRUCTIONS_SHEET
    flagged = sum(1 for i in items if i.flagged)
    lines = [
        (f"Access review {quarter}", Font(bold=True, size=14)),
        (f"For: {reviewer_name}", Font(bold=True)),
        (f"Please return this workbook by {due:%A, %B %d, %Y}.", Font(bold=True)),
        ("", None),
        (f"You have {len(items)} item(s) to review; {flagged} are flagged (highlighted) and need your"
         " attention first.", None),
        ("Each row is one person who can reach data you manage, the account they use, and how they got it.", None),
        ("", None),
        ("What to do", Font(bold=True)),
        ("1. Open the Review sheet.", None),
        ("2. In the Decision column choose Keep (they still need it) or Revoke (remove their access).", None),
        ("3. If you keep a highlighted (flagged) row, write why in the Justification column.", None),
        ("4. Save the file and reply to the e-mail with it attached. You may answer part now and"
         " the rest later.", None),
        ("", None),
        ("Only the Decision and Justification cells can be changed. Leave the other cells as they are:"
         " the file is checked when it comes back.", None),
        ("Our recommendation and its reason are in the Recommendation column; you decide.", None),
        ("Questions: reply to the e-mail; the Information Security Officer will help.", None),
    ]
    for row, (text, font) in enumerate(lines, 1):
        cell = ws.cell(row=row, column=1)
        write_text(cell, text)
        if font:
            cell.font = font
    ws.column_dimensions["A"].width = 110
    ws.protection.sheet = True
