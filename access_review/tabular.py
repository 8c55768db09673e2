"""Rows from the CSV and XLSX files people hand the tool (roster, inventory, registers).

One reader for every input format in docs/formats.md, so all of them treat headers, blank
lines, row numbers and dates the same way:

- headers match case-insensitively, ignoring spaces, underscores and hyphens, and a small
  alias table per format maps other spellings ("Emp ID", "Mail") onto the documented column;
- blank lines are skipped but still counted, so a row number in a message is the row a
  spreadsheet shows (header = row 1);
- every problem is an ``InputError`` naming the file (and sheet), the row and the column as
  the file spells it.
"""
from __future__ import annotations

import csv
import re
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from access_review.errors import InputError

CSV_SUFFIXES = frozenset({".csv"})
XLSX_SUFFIXES = frozenset({".xlsx", ".xlsm"})

_US_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")


_HEADER_NOISE = re.compile(r"[\s_\-]+")


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

    def error(self, message: str, *, row: int | None = None, column: str | None = None,
              hint: str | None = None) -> InputError:
        label = self.column_label(column) if column else None
        return InputError(self.where, message, row=row, column=label, hint=hint)

    def require(self, columns: Iterable[str]) -> None:
        """Raise for the first documented column that the file lacks."""
        for column in columns:
            if not self.has(column):
                raise InputError(self.where, f"missing required column (found: {self._found()})",
                                 column=column)

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
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat()
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
        raise table.error(f"{cell_text(value)!r} is a number, not a date; format the cell as a date",
                          row=row, column=column)
    text = cell_text(value)
    if not text:
        return None
    parsed = parse_date_text(text)
    if parsed is None:
        raise table.error(f"{text!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)",
                          row=row, column=column)
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


def read_table(path: str | Path, *, sheet: str | None = None,
               aliases: Mapping[str, str] | None = None) -> Table:
    """Read a CSV or XLSX file (the named sheet, or the first) into a ``Table``.

    ``aliases`` maps other header spellings onto documented columns; both sides are
    normalized, so ``{"emp id": "employee_id"}`` maps "Emp ID" to "employeeid".
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise InputError(str(path), f"unsupported file type {path.suffix or '(none)'!r}; "
                         "use .csv (UTF-8) or .xlsx")
    if not path.is_file():
        raise InputError(str(path), "file not found")
    if suffix in CSV_SUFFIXES:
        if sheet is not None:
            raise InputError(str(path), f"a CSV file has no sheet {sheet!r}")
        where, raw_rows = str(path), _read_csv_rows(path)
    else:
        where, raw_rows = _read_xlsx_rows(path, sheet)
    return _build_table(where, raw_rows, _normalized_aliases(aliases or {}))


def read_rows(path: str | Path, *, sheet: str | None = None,
              aliases: Mapping[str, str] | None = None) -> list[Row]:
    """Just the data rows of ``read_table``."""
    return read_table(path, sheet=sheet, aliases=aliases).rows


def xlsx_sheet_names(path: str | Path) -> list[str]:
    """Sheet names of an XLSX workbook, in order; [] for a CSV file."""
    path = Path(path)
    if path.suffix.lower() not in XLSX_SUFFIXES:
        return []
    workbook = _open_workbook(path)
    try:
        return list(workbook.sheetnames)
    finally:
        workbook.close()


def find_sheet(names: Iterable[str], wanted: str) -> str | None:
    """The sheet called ``wanted``, case-insensitively ("resources" finds "Resources")."""
    for name in names:
        if name.strip().casefold() == wanted.casefold():
            return name
    return None


def _normalized_aliases(aliases: Mapping[str, str]) -> dict[str, str]:
    return {normalize_header(alias): normalize_header(canonical)
            for alias, canonical in aliases.items()}


def _read_csv_rows(path: Path) -> list[list[Any]]:
    # "utf-8-sig" drops the byte-order mark Excel writes with "CSV UTF-8".
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            # csv yields [] for a blank line, so enumerating records keeps spreadsheet row numbers.
            return [list(record) for record in csv.reader(handle)]
    except UnicodeDecodeError as exc:
        raise InputError(str(path), f"not UTF-8 text ({exc.reason} at byte {exc.start})",
                         hint="In Excel use Save As > 'CSV UTF-8 (Comma delimited)'.") from None
    except csv.Error as exc:
        raise InputError(str(path), f"malformed CSV: {exc}") from None
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None


def _open_workbook(path: Path):
    import openpyxl  # imported here: reading CSV rosters should not pay for openpyxl

    try:
        # read_only streams large sheets; data_only gives formulas' cached values.
        return openpyxl.load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as exc:
        raise InputError(str(path), f"not a readable .xlsx workbook ({exc})") from None


def _read_xlsx_rows(path: Path, sheet: str | None) -> tuple[str, list[list[Any]]]:
    workbook = _open_workbook(path)
    try:
        if sheet is None:
            if not workbook.sheetnames:
                raise InputError(str(path), "the workbook has no sheets")
            name = workbook.sheetnames[0]
        else:
            name = find_sheet(workbook.sheetnames, sheet)
            if name is None:
                raise InputError(str(path), f"no sheet named {sheet!r} "
                                 f"(sheets: {', '.join(workbook.sheetnames)})")
        worksheet = workbook[name]
        # In read-only mode iter_rows starts at row 1 and yields all-None tuples for empty
        # rows, so enumeration gives the row numbers Excel shows.
        return f"{path} (sheet {name!r})", [list(values) for values in worksheet.iter_rows(values_only=True)]
    finally:
        workbook.close()


def _is_blank(values: list[Any]) -> bool:
    return all(cell_text(value) == "" for value in values)


def _build_table(where: str, raw_rows: list[list[Any]], aliases: dict[str, str]) -> Table:
    numbered: Iterator[tuple[int, list[Any]]] = (
        (number, values) for number, values in enumerate(raw_rows, start=1) if not _is_blank(values))
    header_row = next(numbered, None)
    if header_row is None:
        raise InputError(where, "the file is empty (no header row)")
    header_number, header_values = header_row
    headers: dict[str, str] = {}
    positions: dict[int, str] = {}
    for position, header in enumerate(header_values):
        label = cell_text(header)
        key = normalize_header(label)
        if not key:
            continue  # an unlabelled column (often a stray note) is ignored
        key = aliases.get(key, key)
        if key in headers:
            raise InputError(where, f"columns {headers[key]!r} and {label!r} mean the same thing",
                             row=header_number, column=label)
        headers[key] = label
        positions[position] = key
    rows = [Row(number, {key: values[position] if position < len(values) else None
                         for position, key in positions.items()})
            for number, values in numbered]
    return Table(where=where, headers=headers, rows=rows)
