"""The review workbook a data manager fills in — and prints.

Sheets:
  Instructions  what to do, in plain words, with the counts, the due date and what happens to
                an unanswered row
  Review        one row per item, flagged rows first, then by person; Decision (Keep / Revoke
                drop-down) and Justification are the only unlocked cells, the sheet is
                protected otherwise; flagged rows are highlighted and say why in words;
                frozen header and Person column, filters. Column A (hidden) holds the signed
                item key; the item number, employee id, accounts and classification are kept
                in hidden columns too, so no visible cell holds a key or an id.
  Check         (hidden) the campaign and reviewer stamp and, for every row, the original
                values of the read-only cells with their signature, so an edited cell is
                caught on import even if the sheet protection was removed

Printing: landscape, fit to one page wide (so Person and Decision are on every page), the
header row repeated on each page, row heights set to fit their wrapped text (LibreOffice and
Excel keep a row at the default height unless told), page numbers in the footer.

Signatures are HMAC-SHA256 with the campaign's secret, which stays in the store: a key
cannot be forged or moved to another campaign or reviewer without it.

Every text that came from a directory or the roster is written as an explicit string cell
with the quote prefix set, so a display name such as ``=HYPERLINK(...)`` or ``@SUM(...)`` —
or its full-width twin ``＝HYPERLINK(...)``, which spreadsheet apps also read as a formula
when the cell is edited — is never a formula (OWASP "CSV injection", which spreadsheet apps
also honour in xlsx).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import date
from pathlib import Path
from typing import Iterable, Mapping

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill, Protection
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from openpyxl.worksheet.properties import PageSetupProperties

from access_review.private_files import atomic_file

from . import wording
from .items import Item, workbook_order

REVIEW_SHEET = "Review"
CHECK_SHEET = "Check"
INSTRUCTIONS_SHEET = "Instructions"
KEY_HEADER = "Key"
DECISION_HEADER = "Decision"
JUSTIFICATION_HEADER = "Justification"
DECISION_VALUES = ("Keep", "Revoke")

# (header, width) of the read-only columns, in order; values come from ``row_values``. The
# widths of the visible columns add up to what fits one landscape Letter/A4 page at about 75 %.
READ_ONLY_COLUMNS: tuple[tuple[str, int], ...] = (
    ("Item", 8),
    ("Person", 18),
    ("Employee ID", 12),
    ("Title", 14),
    ("Building", 13),
    ("Account(s)", 30),
    ("Resource", 16),
    ("Classification", 14),
    ("Access", 8),
    ("How they have access", 30),
    ("Flags", 22),
    ("Recommendation", 26),
    ("Previous review", 18),
)
HEADERS: tuple[str, ...] = (
    KEY_HEADER,
    *(h for h, _ in READ_ONLY_COLUMNS),
    DECISION_HEADER,
    JUSTIFICATION_HEADER,
)
# Kept in the workbook (signed, checked on import) but not shown: keys and ids mean nothing to
# a reviewer, and the classification is the resource's, not the person's.
HIDDEN_HEADERS = frozenset({KEY_HEADER, "Item", "Employee ID", "Account(s)", "Classification"})
DECISION_WIDTH, JUSTIFICATION_WIDTH = 10, 22
# The visible columns always add up to this many width units, so one landscape page is always
# printed at the same size (about 75 %); a column hidden for a workbook gives its width to the
# wordy columns, which then wrap onto fewer lines.
PRINT_WIDTH = 180
WIDENED = {
    "How they have access": 0.4,
    "Recommendation": 0.3,
    "Flags": 0.15,
    JUSTIFICATION_HEADER: 0.15,
}
# ASCII and full-width (U+FF1D, U+FF0B, U+FF0D, U+FF20) formula starters, and the control
# characters that smuggle them past a first-character check.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n", "\uff1d", "\uff0b", "\uff0d", "\uff20")
FONT_NAME = "Calibri"  # the workbook's default font: a font without a name falls back to a serif in LibreOffice
LINE_HEIGHT = 14.5  # points per line of 11 pt Calibri (Excel's one-line row is 15 pt)

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


def values_signature(
    secret: str, campaign_id: int, reviewer: str, item_id: str, values: list[str]
) -> str:
    return sign(
        secret,
        "values",
        str(campaign_id),
        reviewer,
        item_id,
        json.dumps(values, ensure_ascii=False),
    )


def printable(text: str) -> str:
    """Text a worksheet can hold: the control characters XML 1.0 forbids (an escape code in a
    directory name) are shown as ``\\x1b``, never dropped silently and never a crash."""
    return ILLEGAL_CHARACTERS_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def row_values(item: Item) -> list[str]:
    """The read-only cells of an item's row, as text, in plain words — exactly as written, so
    that what comes back can be compared with it."""
    return [
        printable(v)
        for v in (
            item.item_id,
            item.name,
            item.employee_id,
            item.title,
            item.building,
            ", ".join(item.account_labels),
            item.resource,
            item.classification,
            wording.level_text(item.level),
            item.access_plain,
            item.flags_plain,
            item.recommendation_plain,
            item.previous,
        )
    ]


def write_text(cell, value: str) -> None:
    """A cell that is text whatever it starts with: never a formula."""
    value = printable(value)
    cell.value = value
    if value and value.startswith(FORMULA_TRIGGERS):
        cell.data_type = "s"
        cell.quotePrefix = True


def lines_needed(text: str, width: float) -> int:
    """How many lines ``text`` wraps to in a column ``width`` characters wide. A width unit is
    the width of a digit; text averages a little narrower (about 1.1 characters per unit in
    Calibri and its metric twin Carlito, less in a narrow column), counted short of that: a
    row too tall by a line reads fine, one too short hides text."""
    if not text:
        return 1
    per_line = max(1, int(width * 1.1) - 1)
    return sum(_wrapped_lines(paragraph, per_line) for paragraph in text.split("\n"))


def _wrapped_lines(paragraph: str, per_line: int) -> int:
    """Lines of one paragraph, wrapped the way a spreadsheet does: at spaces, and a word longer
    than a line (a guest's ``…#EXT#@…onmicrosoft.com`` login) starts a line of its own and is
    cut wherever the line is full."""
    lines, used = 1, 0
    for word in paragraph.split():
        if used and used + 1 + len(word) <= per_line:
            used += 1 + len(word)
            continue
        if used:
            lines += 1
        lines += (len(word) - 1) // per_line
        used = len(word) - (len(word) - 1) // per_line * per_line
    return lines


def row_height(values: Mapping[str, str], widths: Mapping[str, float]) -> float:
    """Points for a row whose wrapped cells are ``values`` (header -> text) in ``widths``."""
    lines = max(
        (lines_needed(text, widths[header]) for header, text in values.items() if header in widths),
        default=1,
    )
    return round(lines * LINE_HEIGHT + 3, 1)


def write_review_workbook(
    path: Path,
    *,
    campaign_id: int,
    quarter: str,
    secret: str,
    reviewer: str,
    reviewer_name: str,
    due: date,
    items: Iterable[Item],
    previous_answers: dict[str, tuple[str, str]] | None = None,
    default_decision: str = "none",
) -> Path:
    """Write the workbook to ``path`` (owner-only, whole or not at all)."""
    items = workbook_order(items)
    previous_answers = previous_answers or {}
    wb = Workbook()
    _instructions(
        wb.active,
        quarter=quarter,
        reviewer_name=reviewer_name,
        due=due,
        items=items,
        default_decision=default_decision,
    )
    ws = wb.create_sheet(REVIEW_SHEET)
    check = wb.create_sheet(CHECK_SHEET)
    check.sheet_state = "hidden"

    for col, header in enumerate(HEADERS, 1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = Font(name=FONT_NAME, bold=True, color="FFFFFF")
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="center", wrap_text=True)
    widths = {
        KEY_HEADER: 10,
        **dict(READ_ONLY_COLUMNS),
        DECISION_HEADER: DECISION_WIDTH,
        JUSTIFICATION_HEADER: JUSTIFICATION_WIDTH,
    }
    hidden = set(HIDDEN_HEADERS)
    if not any(i.previous for i in items):
        hidden.add("Previous review")  # the first campaign has nothing to show there
    resources = sorted({i.resource for i in items})
    if len(resources) == 1:
        hidden.add("Resource")  # said once, in the page header, instead of on every row
    spare = PRINT_WIDTH - sum(w for h, w in widths.items() if h not in hidden)
    for header, share in WIDENED.items():
        widths[header] += max(0, int(spare * share))
    for col, header in enumerate(HEADERS, 1):
        dimension = ws.column_dimensions[get_column_letter(col)]
        dimension.width = widths[header]
        dimension.hidden = header in hidden
    visible_widths = {h: w for h, w in widths.items() if h not in hidden}
    ws.row_dimensions[1].height = row_height({h: h for h in HEADERS}, visible_widths)

    decision_col = HEADERS.index(DECISION_HEADER) + 1
    justification_col = decision_col + 1
    check.append(
        [
            "campaign",
            campaign_id,
            "reviewer",
            reviewer,
            stamp_signature(secret, campaign_id, reviewer),
        ]
    )
    for row, item in enumerate(items, 2):
        values = row_values(item)
        write_text(
            ws.cell(row=row, column=1), item_key(secret, campaign_id, reviewer, item.item_id)
        )
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
        shown = dict(zip((h for h, _ in READ_ONLY_COLUMNS), values))
        shown[JUSTIFICATION_HEADER] = justification
        ws.row_dimensions[row].height = row_height(shown, visible_widths)
        check_row = [
            item.item_id,
            json.dumps(values, ensure_ascii=False),
            values_signature(secret, campaign_id, reviewer, item.item_id, values),
        ]
        check.append(check_row)
        for cell in check[check.max_row]:
            cell.data_type = "s"

    last = max(len(items) + 1, 2)
    validation = DataValidation(
        type="list",
        formula1='"Keep,Revoke"',
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="Keep or Revoke",
        error="Choose Keep or Revoke from the list.",
        promptTitle="Your decision",
        prompt="Keep or Revoke",
        showInputMessage=True,
    )
    letter = get_column_letter(decision_col)
    validation.add(f"{letter}2:{letter}{last}")
    ws.add_data_validation(validation)
    # Person (column C) stays in view when scrolling right to the Decision column.
    ws.freeze_panes = f"{get_column_letter(HEADERS.index('Person') + 2)}2"
    ws.auto_filter.ref = f"A1:{get_column_letter(len(HEADERS))}{last}"
    _print_setup(
        ws,
        title=f"Access review {quarter} for {reviewer_name}"
        + (f": {resources[0]}" if len(resources) == 1 else ""),
        repeat_header=True,
    )
    # openpyxl's flags mean "protected": False allows the action on a protected sheet.
    ws.protection.sheet = True
    ws.protection.autoFilter = False
    ws.protection.sort = False
    ws.protection.formatColumns = False
    ws.protection.formatRows = False
    check.protection.sheet = True
    wb.active = wb.sheetnames.index(REVIEW_SHEET) if items else 0
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    with atomic_file(path) as fh:
        wb.save(fh)
    return path


def _print_setup(ws, *, title: str, repeat_header: bool) -> None:
    """Landscape, one page wide, as many pages tall as needed; the header row on every page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top = ws.page_margins.bottom = 0.6
    ws.page_margins.header = ws.page_margins.footer = 0.25
    ws.print_options.gridLines = (
        repeat_header  # the review table has borders; the instructions are prose
    )
    if repeat_header:
        ws.print_title_rows = "1:1"
    # In header/footer text "&" starts a code (&P page, &N pages): a name's own "&" is doubled.
    ws.oddHeader.left.text = printable(title).replace("&", "&&")
    ws.oddFooter.right.text = "Page &P of &N"


def _instructions(
    ws, *, quarter: str, reviewer_name: str, due: date, items: list[Item], default_decision: str
) -> None:
    ws.title = INSTRUCTIONS_SHEET
    flagged = sum(1 for i in items if i.flagged)
    lines = [
        (f"Access review {quarter}", Font(name=FONT_NAME, bold=True, size=14)),
        (f"For: {reviewer_name}", Font(name=FONT_NAME, bold=True)),
        ("Data in this review: " + ", ".join(sorted({i.resource for i in items})), None),
        (f"Please return this workbook by {due:%A, %B %d, %Y}.", Font(name=FONT_NAME, bold=True)),
        ("", None),
        (
            f"You have {wording.plural(len(items), 'row')} to review."
            + (
                f" {flagged} {'is' if flagged == 1 else 'are'} flagged (highlighted and listed first): please look at"
                f" {'it' if flagged == 1 else 'those'} first."
                if flagged
                else ""
            ),
            None,
        ),
        (
            "Each row is one person who can reach data you manage: how they got that access, anything that looks"
            " wrong, and our recommendation.",
            None,
        ),
        ("", None),
        ("What to do", Font(name=FONT_NAME, bold=True)),
        ("1. Open the Review sheet.", None),
        (
            "2. In the Decision column choose Keep (they still need it) or Revoke (remove their access).",
            None,
        ),
        (
            "3. If you keep a highlighted (flagged) row, write why in the Justification column.",
            None,
        ),
        (
            "4. Save the file and reply to the e-mail with it attached. You may answer part now and"
            " the rest later, and change an answer until the review closes.",
            None,
        ),
        ("", None),
        (wording.default_text(default_decision), Font(name=FONT_NAME, bold=True)),
        ("", None),
        (
            "Only the Decision and Justification cells can be changed. Leave the other cells as they are:"
            " the file is checked when it comes back.",
            None,
        ),
        ("Our recommendation and its reason are in the Recommendation column; you decide.", None),
        ("Questions: reply to the e-mail; the Information Security Officer will help.", None),
    ]
    for row, (text, font) in enumerate(lines, 1):
        cell = ws.cell(row=row, column=1)
        write_text(cell, text)
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        if font:
            cell.font = font
        size = font.size if font is not None and font.size else 11
        ws.row_dimensions[row].height = round(
            lines_needed(text, 110) * LINE_HEIGHT * size / 11 + 4, 1
        )
    ws.column_dimensions["A"].width = 110
    _print_setup(ws, title=f"Access review {quarter} for {reviewer_name}", repeat_header=False)
    ws.protection.sheet = True
