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
from openpyxl.worksheet.worksheet import Worksheet

from access_review.csv_output import csv_file_bytes

from .cells import csv_value, json_value, spreadsheet_value

ColumnKind = Literal["text", "number", "date", "datetime", "percent"]

HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
PERCENT_FORMAT = "0%"


@dataclass(frozen=True)
class Column:
    title: str
    kind: ColumnKind = "text"
    width: int = 18           # characters; wide enough for the usual value, text wraps beyond


@dataclass(frozen=True)
class Sheet:
    name: str                 # worksheet name (31 characters at most) and CSV/JSON file stem
    columns: tuple[Column, ...]
    rows: tuple[tuple[Any, ...], ...] = ()
    empty_note: str = ""      # shown in the first row when there are no rows ("no campaign yet")

    def __post_init__(self) -> None:
        if len(self.name) > 31:
            raise ValueError(f"sheet name {self.name!r} is longer than Excel's 31 characters")
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"sheet {self.name!r}: a row has {len(row)} values for {len(self.columns)} columns")

    @property
    def headers(self) -> list[str]:
        return [c.title for c in self.columns]

    @property
    def file_stem(self) -> str:
        return self.name.lower().replace(" ", "-")

    def records(self) -> list[dict[str, Any]]:
        """Rows as dicts keyed by column title, JSON-ready."""
        return [{c.title: json_value(v) for c, v in zip(self.columns, row)} for row in self.rows]


def write_worksheet(ws: Worksheet, sheet: Sheet) -> None:
    """Header row styled and frozen, an auto filter over the data, widths set, dates as dates."""
    ws.append(sheet.headers)
    for cell in ws[1]:
        cell.font, cell.fill = HEADER_FONT, HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
    for row in sheet.rows:
        ws.append([spreadsheet_value(v) for v in row])
    if not sheet.rows and sheet.empty_note:
        ws.append([sheet.empty_note])
    for index, column in enumerate(sheet.columns, start=1):
        letter = get_column_letter(index)
        ws.column_dimensions[letter].width = column.width
        fmt = {"date": DATE_FORMAT, "datetime": DATETIME_FORMAT, "percent": PERCENT_FORMAT}.get(column.kind)
        if sheet.rows:
            for (cell,) in ws.iter_rows(min_row=2, max_row=len(sheet.rows) + 1, min_col=index, max_col=index):
                if fmt and isinstance(cell.value, (date, datetime, float, int)):
                    cell.number_format = fmt
                elif isinstance(cell.value, str):
                    # Excel's quote prefix keeps an edited cell text (see access_review/cell_text.py for why the
                    # stored apostrophe is there as well).
                    cell.quotePrefix = cell.value.startswith("'")
    ws.freeze_panes = "A2"
    if sheet.rows:
        ws.auto_filter.ref = f"A1:{get_column_letter(len(sheet.columns))}{len(sheet.rows) + 1}"


def sheet_csv_bytes(sheet: Sheet) -> bytes:
    """UTF-8 with a BOM so that Excel opens accented names correctly; every field quoted when
    needed, text neutralized exactly as in the workbook."""
    return csv_file_bytes(sheet.headers, ([csv_value(v) for v in row] for row in sheet.rows))


def sheets_json(sheets: Sequence[Sheet]) -> dict[str, list[dict[str, Any]]]:
    return {s.name: s.records() for s in sheets}
