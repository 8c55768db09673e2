"""One table of an export — a title, typed columns, rows — and how it is written as a
worksheet, a CSV file or a JSON list. Every export builds ``Sheet``s (pure) and hands them
to these writers, so formatting and formula-injection safety live in one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal, Sequence

from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.header_footer import HeaderFooterItem
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from access_review.csv_output import csv_file_bytes

from .cells import csv_value, json_value, spreadsheet_value

ColumnKind = Literal["text", "number", "date", "datetime", "percent"]

HEADER_FONT = Font(name="Calibri", bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0%"


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind = "text"
    width: int = 18  # characters; wide enough for the usual value, text wraps beyond


@dataclass(frozen=True)
class Sheet:
    name: str  # worksheet name (31 characters at most) and CSV/JSON file stem
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...] = ()
    empty_note: str = ""  # shown in the first row when there are no rows ("no campaign yet")

    def __post_init__(self) -> None:
        if len(self.name) > 31:
            raise ValueError(f"sheet name {self.name!r} is longer than Excel's 31 characters")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(
                    f"sheet {self.name!r}: a row has {len(row)} values for {len(self.columns)} columns"
                )

    @property
    def headers(self) -> list[str]:
        return [c.title for c in self.columns]

    @property
    def file_stem(self) -> str:
        return self.name.lower().replace(" ", "-")

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column title, JSON-ready."""
        return [{c.title: json_value(v) for c, v in zip(self.columns, row)} for row in self.rows]


# Points per line of 11-point text, and the padding a row needs above and below it.
LINE_HEIGHT = 14.5
ROW_PADDING = 3


def wrapped_lines(text: str, width: float) -> int:
    """How many lines ``text`` takes in a column ``width`` characters wide, wrapping at spaces
    as a spreadsheet does. Spreadsheets do not size rows to wrapped text on their own (Excel
    sizes only rows it edits; LibreOffice keeps the stored height), so the writer must."""
    # A unit of column width is one digit of Calibri 11; average text runs about 10% narrower.
    capacity = max(1, int(width * 1.1) - 1)
    lines = 0
    for paragraph in text.split("\n"):
        if len(paragraph) <= capacity:
            lines += 1
            continue
        used = 0
        count = 1
        for word in paragraph.split(" "):
            size = len(word)
            while size > capacity:  # a word longer than the column breaks anywhere
                if used:
                    count += 1
                count, size, used = count + 1, size - capacity, 0
            if used and used + 1 + size > capacity:
                count += 1
                used = size
            else:
                used = used + 1 + size if used else size
        lines += count
    return lines


def row_height(texts: Sequence[tuple[str, float]]) -> float:
    """The height (points) that shows every (text, column width) of a row in full."""
    lines = max((wrapped_lines(t, w) for t, w in texts if t), default=1)
    return lines * LINE_HEIGHT + ROW_PADDING


def set_print_layout(
    ws: Worksheet, *, one_page: bool = False, title_rows: str | None = "1:1"
) -> None:
    """Landscape on US Letter, fit to the page width (and height, for ``one_page``), the
    header row repeated on every printed page, page numbers in the footer."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_LETTER
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 1 if one_page else 0
    page_setup = ws.sheet_properties.pageSetUpPr
    if page_setup is None:  # (every new worksheet has one; the stubs allow none)
        page_setup = ws.sheet_properties.pageSetUpPr = PageSetupProperties()
    page_setup.fitToPage = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    ws.page_margins.top, ws.page_margins.bottom = 0.5, 0.6
    ws.print_options.horizontalCentered = True
    if title_rows:
        ws.print_title_rows = title_rows
    footer = ws.oddFooter
    if footer is None:  # (every new worksheet has one; the stubs allow none)
        footer = ws.oddFooter = HeaderFooterItem()
    footer.left.text = "&A"
    footer.right.text = "Page &P of &N"


def write_worksheet(ws: Worksheet, sheet: Sheet) -> None:
    """Header row styled, frozen and repeated on every printed page; an auto filter over the
    data; widths set; text wrapped in full with rows tall enough for it; dates as dates;
    printed landscape, fit to the page width."""
    ws.append(sheet.headers)
    wrap = Alignment(vertical="top", wrap_text=True)
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = wrap
    ws.row_dimensions[1].height = row_height([(c.title, c.width) for c in sheet.columns])
    widths = [c.width for c in sheet.columns]
    for number, row in enumerate(sheet.rows, start=2):
        values = [spreadsheet_value(v) for v in row]
        ws.append(values)
        # (ws.max_row scans every cell: counting rows here keeps a large sheet linear)
        ws.row_dimensions[number].height = row_height(
            [(v, w) for v, w in zip(values, widths) if isinstance(v, str)]
        )
    if not sheet.rows and sheet.empty_note:
        ws.append([sheet.empty_note])
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        fmt = {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT, "percent": PERCENT_FORMAT}.get(
            column.kind
        )
        if sheet.rows:
            for (cell,) in ws.iter_rows(
                min_row=2, max_row=len(sheet.rows) + 1, min_col=index, max_col=index
            ):
                cell.alignment = wrap
                if fmt and isinstance(cell.value, (date, datetime, float, int)):
                    cell.number_format = fmt
                elif isinstance(cell.value, str):
                    # Excel's quote prefix keeps an edited cell text (see access_review/cell_text.py for why the
                    # stored apostrophe is there as well).
                    cell.quotePrefix = cell.value.startswith("'")
    ws.freeze_panes = "A2"
    if sheet.rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(sheet.rows) + 1}"
    set_print_layout(ws)


def sheet_csv_bytes(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM so that Excel opens accented names correctly; every field quoted when
    needed, text neutralized exactly as in the workbook."""
    return csv_file_bytes(sheet.headers, ([csv_value(v) for v in row] for row in sheet.rows))


def sheets_json(sheets: Sequence[Sheet]) -> dict[str, list[dict[str, Any]]]:
    return {s.name: s.records() for s in sheets}
