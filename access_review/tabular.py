"""Rows from the CSV and XLSX files people hand the tool (roster, inventory, registers).

One reader for every input format in docs/formats.md, so all of them treat headers, blank
lines, row numbers and dates the same way:

- headers match case-insensitively, ignoring spaces, underscores and hyphens, and a small
  alias table per format maps other spellings ("Emp ID", "Mail") onto the documented column;
- blank lines are skipped but still counted, so a row number in a message is the row a
  spreadsheet shows (header = row 1);
- every problem is an ``InputError`` naming the file (and sheet), the row and the column as
  the file spells it;
- nothing is dropped or guessed: a value under no header, a quoted value running past its
  line, a control character, an over-long value, a formula without a saved value, a byte that
  is not UTF-8 — each stops the read with the row and column, never a silently changed row.

The bytes come as an ``InputFile`` (input_file.py); splitting them into rows is
csv_input.py's and xlsx_input.py's; here the rows become a ``Table`` and every value is
checked the same way whichever file it came from.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from typing import Any, Callable, Iterable, Iterator, Mapping

from access_review.csv_input import read_csv_rows
from access_review.errors import InputError
from access_review.input_file import CSV_SUFFIXES, XLSX_SUFFIXES, InputSource, as_input
from access_review.xlsx_input import column_letter, read_xlsx_rows

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


_HEADER_NOISE = re.compile(r"[\s_\-]+")

# No value in any of our formats is longer than this; a longer one is almost always a quote
# left open that swallowed the rows after it, or pasted garbage.
MAX_CELL_CHARS = 4000

# Control characters have no place in names, ids, selectors or dates (tab, line feed and
# carriage return aside); NUL in particular truncates values in other programs.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# The values Excel stores in a cell whose formula failed.
_EXCEL_ERRORS = frozenset(
    {
        "#NULL!",
        "#DIV/0!",
        "#VALUE!",
        "#REF!",
        "#NAME?",
        "#NUM!",
        "#N/A",
        "#GETTING_DATA",
        "#SPILL!",
        "#CALC!",
    }
)

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected workbook
_CSV_HINT = "In Excel use Save As > 'CSV UTF-8 (Comma delimited)'."


@lru_cache(maxsize=1024)  # called per cell read with a handful of column names
def _normalize_header_text(text: str) -> str:
    return _HEADER_NOISE.sub("", text).lower()


def normalize_header(text: Any) -> str:
    """``"Employee ID"``, ``"employee_id"`` and ``"Employee-Id"`` all become ``"employeeid"``."""
    if text is None:
        return ""
    return _normalize_header_text(str(text))


@dataclass(frozen=True, slots=True)
class Row:
    """One non-blank data row. ``number`` is the row a spreadsheet shows (header = row 1)."""

    number: int
    values: dict[str, Any] = field(hash=False)

    def text(self, column: str) -> str:
        """The cell as stripped text; "" when absent or empty."""
        return cell_text(self.values.get(normalize_header(column)))


@dataclass(frozen=True, slots=True)
class Table:
    """Rows of one file or sheet. ``where`` names it in messages (file, and sheet for XLSX).

    ``headers`` maps each normalized column to the header as the file spells it, so messages
    name the column the person can see.
    """

    where: str
    headers: dict[str, str] = field(hash=False)
    rows: list[Row] = field(hash=False)

    def has(self, column: str) -> bool:
        return normalize_header(column) in self.headers

    def column_label(self, column: str) -> str:
        """The header as written in the file, or the documented name when it is absent."""
        return self.headers.get(normalize_header(column), column)

    def error(
        self,
        message: str,
        *,
        row: int | None = None,
        column: str | None = None,
        hint: str | None = None,
    ) -> InputError:
        label = self.column_label(column) if column else None
        return InputError(self.where, message, row=row, column=label, hint=hint)

    def require(self, columns: Iterable[str]) -> None:
        """Raise for the first documented column that the file lacks."""
        for column in columns:
            if not self.has(column):
                raise InputError(
                    self.where, f"missing required column (found: {self._found()})", column=column
                )

    def _found(self) -> str:
        return ", ".join(self.headers.values()) or "no headers"


def cell_text(value: Any) -> str:
    """A cell as text. Integral floats lose their ".0": Excel stores the id 1234 as 1234.0."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        return (
            value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
        )
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def parse_date(value: Any, *, table: Table, row: int, column: str) -> date | None:
    """A date cell: a real XLSX date, ``YYYY-MM-DD`` or ``MM/DD/YYYY``; None when empty."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        # An XLSX cell holding a date serial number that is not formatted as a date.
        raise table.error(
            f"{cell_text(value)!r} is a number, not a date; format the cell as a date",
            row=row,
            column=column,
        )
    text = cell_text(value)
    if not text:
        return None
    parsed = parse_date_text(text)
    if parsed is None:
        raise table.error(
            f"{text!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)", row=row, column=column
        )
    return parsed


def parse_date_text(text: str) -> date | None:
    """``YYYY-MM-DD`` or ``MM/DD/YYYY`` (as US HR systems export them); None if neither."""
    text = text.strip()
    try:
        if match := _ISO_DATE.match(text):
            return date(int(match[1]), int(match[2]), int(match[3]))
        if match := _US_DATE.match(text):
            return date(int(match[3]), int(match[1]), int(match[2]))
    except ValueError:  # 2026-02-30 and the like
        return None
    return None


def read_table(
    source: InputSource,
    *,
    sheet: str | None = None,
    aliases: Mapping[str, str] | None = None,
    delimiter: str | None = None,
) -> Table:
    """Read a CSV or XLSX file (the named sheet, or the first) into a ``Table``.

    ``aliases`` maps other header spellings onto documented columns; both sides are
    normalized, so ``{"emp id": "employee_id"}`` maps "Emp ID" to "employeeid".
    ``delimiter`` separates CSV values (default: comma).
    """
    file = as_input(source)
    if file.suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise InputError(
            file.label,
            f"unsupported file type {file.suffix or '(none)'!r}; use .csv (UTF-8) or .xlsx",
        )
    if file.suffix in CSV_SUFFIXES:
        if sheet is not None:
            raise InputError(file.label, f"a CSV file has no sheet {sheet!r}")
        raw_rows = read_csv_rows(file, delimiter)
        return _build_table(
            file.label,
            raw_rows,
            _normalized_aliases(aliases or {}),
            column_name=lambda position: f"column {position + 1}",
        )
    where, raw_rows = read_xlsx_rows(file, sheet)
    return _build_table(
        where,
        raw_rows,
        _normalized_aliases(aliases or {}),
        column_name=lambda position: f"column {column_letter(position)}",
        excel=True,
    )


def read_rows(
    source: InputSource, *, sheet: str | None = None, aliases: Mapping[str, str] | None = None
) -> list[Row]:
    """Just the data rows of ``read_table``."""
    return read_table(source, sheet=sheet, aliases=aliases).rows


def _normalized_aliases(aliases: Mapping[str, str]) -> dict[str, str]:
    return {
        normalize_header(alias): normalize_header(canonical) for alias, canonical in aliases.items()
    }


def _is_blank(values: list[Any]) -> bool:
    return all(cell_text(value) == "" for value in values)


def _check_value(
    where: str, value: Any, *, row: int, column: str | None, cell: str, excel: bool
) -> None:
    """One cell's value is something a person could have meant, or an error naming it."""
    if not isinstance(value, str):
        return
    if (match := _CONTROL.search(value)) is not None:
        raise InputError(
            where,
            f"{cell} holds the control character U+{ord(match.group()):04X}",
            row=row,
            column=column,
            hint="remove it (often a damaged export)",
        )
    if len(value) > MAX_CELL_CHARS:
        raise InputError(
            where,
            f"{cell} is {len(value):,} characters long (at most {MAX_CELL_CHARS:,})",
            row=row,
            column=column,
        )
    if excel and value.strip() in _EXCEL_ERRORS:
        raise InputError(
            where,
            f"{cell} holds the Excel error {value.strip()}",
            row=row,
            column=column,
            hint="fix the formula in the workbook",
        )


def _suspect(values: list[Any], excel: bool) -> bool:
    """Whether any value of the row might be refused by ``_check_value`` (a quick look at the
    whole row first: the checks run per cell only for the rare row that needs them)."""
    texts = (
        [value for value in values if isinstance(value, str)] if excel else values
    )  # CSV: all text
    joined = "".join(texts)
    return (
        (len(joined) > MAX_CELL_CHARS and max(map(len, texts)) > MAX_CELL_CHARS)
        or _CONTROL.search(joined) is not None
        or (excel and "#" in joined)
    )


def _build_table(
    where: str,
    raw_rows: list[list[Any]],
    aliases: dict[str, str],
    *,
    column_name: Callable[[int], str],
    excel: bool = False,
) -> Table:
    numbered: Iterator[tuple[int, list[Any]]] = (
        (number, values) for number, values in enumerate(raw_rows, start=1) if not _is_blank(values)
    )
    header_row = next(numbered, None)
    if header_row is None:
        raise InputError(where, "the file is empty (no header row)")
    header_number, header_values = header_row
    headers: dict[str, str] = {}
    positions: dict[int, str] = {}
    for position, header in enumerate(header_values):
        _check_value(
            where,
            header,
            row=header_number,
            column=None,
            cell=f"the header in {column_name(position)}",
            excel=excel,
        )
        label = cell_text(header)
        key = normalize_header(label)
        if not key:
            continue  # a column without a header must stay empty (checked row by row)
        key = aliases.get(key, key)
        if key in headers:
            raise InputError(
                where,
                f"columns {headers[key]!r} and {label!r} mean the same thing",
                row=header_number,
                column=label,
            )
        headers[key] = label
        positions[position] = key
    width = len(header_values)
    unlabelled = [position for position in range(width) if position not in positions]
    rows = []
    for number, values in numbered:
        if _suspect(values, excel):
            for position, value in enumerate(values):
                column_key = positions.get(position)
                _check_value(
                    where,
                    value,
                    row=number,
                    column=headers[column_key] if column_key else None,
                    cell="the value" if column_key else column_name(position),
                    excel=excel,
                )
        for position in (*unlabelled, *range(width, len(values))):
            if position < len(values) and cell_text(values[position]) != "":
                # A row longer than the header, or a value under an empty header: keeping it
                # would mean guessing its column, dropping it would lose it.
                raise InputError(
                    where,
                    f"{column_name(position)} holds {cell_text(values[position])[:40]!r} "
                    f"but has no header (the header row, row {header_number}, "
                    f"names {len(headers)} columns)",
                    row=number,
                    hint="remove the value, or give its column a header",
                )
        rows.append(
            Row(
                number,
                {
                    key: values[position] if position < len(values) else None
                    for position, key in positions.items()
                },
            )
        )
    return Table(where=where, headers=headers, rows=rows)
