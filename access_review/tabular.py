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

A file is read once into an ``InputFile`` (its bytes and the name messages give it), so what
is checked is exactly what gets stored, and a stored file read back later is named as the
stored import it is, never by a temporary path.
"""
from __future__ import annotations

import codecs
import csv
import io
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

# No value in any of our formats is longer than this; a longer one is almost always a quote
# left open that swallowed the rows after it, or pasted garbage.
MAX_CELL_CHARS = 4000

# Control characters have no place in names, ids, selectors or dates (tab, line feed and
# carriage return aside); NUL in particular truncates values in other programs.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# What `--delimiter` accepts, by the character or its name.
DELIMITERS = {",": ",", "comma": ",", ";": ";", "semicolon": ";", "\t": "\t", "tab": "\t",
              "\\t": "\t", "|": "|", "pipe": "|"}

# The values Excel stores in a cell whose formula failed.
_EXCEL_ERRORS = frozenset({"#NULL!", "#DIV/0!", "#VALUE!", "#REF!", "#NAME?", "#NUM!", "#N/A",
                           "#GETTING_DATA", "#SPILL!", "#CALC!"})

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"   # .xls, and any password-protected workbook
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


@dataclass(frozen=True, slots=True)
class InputFile:
    """A file's bytes and how messages name it: the path the user gave, or a stored import
    ("stored inventory version 3 (inventory.xlsx, imported 2026-05-01)"). ``name`` is the
    file's own name; its suffix says CSV or XLSX."""

    label: str
    name: str
    data: bytes = field(repr=False)

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()


def read_input(path: str | Path) -> InputFile:
    """Read a file the user named, once; a wrong type, a missing file or an unreadable one is
    an ``InputError``."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise InputError(str(path), f"unsupported file type {path.suffix or '(none)'!r}; "
                         "use .csv (UTF-8) or .xlsx")
    if not path.is_file():
        raise InputError(str(path), "file not found")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from None
    return InputFile(label=str(path), name=path.name, data=data)


def as_input(source: "str | Path | InputFile") -> InputFile:
    return source if isinstance(source, InputFile) else read_input(source)


def normalize_delimiter(text: str | None) -> str | None:
    """``--delimiter``: ``,`` ``;`` ``tab`` or ``|`` (None: comma)."""
    if text is None:
        return None
    delimiter = DELIMITERS.get(text.strip().lower() if text.strip() else text)
    if delimiter is None:
        raise InputError("--delimiter", f"{text!r} is not a delimiter; use ',', ';', 'tab' or '|'")
    return delimiter


def read_table(source: "str | Path | InputFile", *, sheet: str | None = None,
               aliases: Mapping[str, str] | None = None, delimiter: str | None = None) -> Table:
    """Read a CSV or XLSX file (the named sheet, or the first) into a ``Table``.

    ``aliases`` maps other header spellings onto documented columns; both sides are
    normalized, so ``{"emp id": "employee_id"}`` maps "Emp ID" to "employeeid".
    ``delimiter`` separates CSV values (default: comma).
    """
    file = as_input(source)
    if file.suffix not in CSV_SUFFIXES | XLSX_SUFFIXES:
        raise InputError(file.label, f"unsupported file type {file.suffix or '(none)'!r}; "
                         "use .csv (UTF-8) or .xlsx")
    if file.suffix in CSV_SUFFIXES:
        if sheet is not None:
            raise InputError(file.label, f"a CSV file has no sheet {sheet!r}")
        raw_rows = _read_csv_rows(file, delimiter)
        return _build_table(file.label, raw_rows, _normalized_aliases(aliases or {}),
                            column_name=lambda position: f"column {position + 1}")
    where, raw_rows = _read_xlsx_rows(file, sheet)
    return _build_table(where, raw_rows, _normalized_aliases(aliases or {}),
                        column_name=lambda position: f"column {_column_letter(position)}",
                        excel=True)


def read_rows(source: "str | Path | InputFile", *, sheet: str | None = None,
              aliases: Mapping[str, str] | None = None) -> list[Row]:
    """Just the data rows of ``read_table``."""
    return read_table(source, sheet=sheet, aliases=aliases).rows


def xlsx_sheet_names(source: "str | Path | InputFile") -> list[str]:
    """Sheet names of an XLSX workbook, in order; [] for a CSV file."""
    if not isinstance(source, InputFile) and Path(source).suffix.lower() not in XLSX_SUFFIXES:
        return []
    file = as_input(source)
    if file.suffix not in XLSX_SUFFIXES:
        return []
    workbook = _open_workbook(file)
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


def _read_csv_rows(file: InputFile, delimiter: str | None) -> list[list[str]]:
    _refuse_binary(file)
    # Excel's "CSV UTF-8" starts with a byte-order mark; it is not part of the first header.
    bom = len(codecs.BOM_UTF8) if file.data.startswith(codecs.BOM_UTF8) else 0
    body = file.data[bom:]
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise _not_utf8(file, body, exc, bom, delimiter) from None
    rows = _parse_csv(file.label, text, delimiter)
    if delimiter is None:
        _refuse_other_delimiter(file.label, rows)
    return rows


def _csv_error(label: str, rows: list[list[str]], delimiter: str | None, message: str, *,
               row: int, column: str | None = None, hint: str | None = None) -> InputError:
    """A broken row, unless the header already shows the file is split by something else:
    then that is the error to fix (a semicolon file breaks on its first quoted value)."""
    if delimiter is None:
        _refuse_other_delimiter(label, rows)
    return InputError(label, message, row=row, column=column, hint=hint)


def _refuse_binary(file: InputFile) -> None:
    """A workbook or UTF-16 text saved under a .csv name: say what it is, not "found: PK…"."""
    data = file.data
    if data.startswith(_ZIP_MAGIC):
        raise InputError(file.label, "this is an Excel workbook (.xlsx), not CSV text",
                         hint=f"rename it to .xlsx, or {_CSV_HINT[0].lower() + _CSV_HINT[1:]}")
    if data.startswith(_OLE_MAGIC):
        raise InputError(file.label, "this is an Excel 97-2003 (.xls) or password-protected "
                         "workbook, not CSV text", hint=_CSV_HINT)
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(file.label, "this is UTF-16 text (Excel's 'Unicode Text'), not UTF-8",
                         hint=_CSV_HINT)


def _parse_csv(label: str, text: str, delimiter: str | None) -> list[list[str]]:
    # strict: a quote left open to the end of the file is an error, not one giant value.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or ",", strict=True)
    rows: list[list[str]] = []
    try:
        for record in reader:
            # csv yields [] for a blank line, so counting records keeps spreadsheet row numbers
            # for as long as no value spans lines — and none may.
            for position, value in enumerate(record):
                if "\n" in value or "\r" in value:
                    raise _csv_error(
                        label, rows, delimiter, "a quoted value that starts on this row runs past "
                        f"the end of the line (to line {reader.line_num}); is a closing quote missing?",
                        row=len(rows) + 1, column=_header_label(rows, position),
                        hint="values may not contain line breaks")
            rows.append(record)
    except csv.Error as exc:
        row = len(rows) + 1
        reason = str(exc)
        if "unexpected end of data" in reason:
            message = ("a quote opened on this row is never closed: the rest of the file "
                       "would be read as one value")
        elif "field larger than field limit" in reason:
            message = (f"a value runs on for more than {csv.field_size_limit():,} characters "
                       "(a quote opened on this row is probably not closed)")
        elif reader.line_num > row:
            message = (f"a quote opened on this row runs on to line {reader.line_num} and closes "
                       "in the middle of a value; is a closing quote missing?")
        else:
            message = f"a closing quote is followed by more of the value ({reason}); check the quotes on this row"
        raise _csv_error(label, rows, delimiter, message, row=row) from None
    return rows


def _header_label(rows: list[list[str]], position: int) -> str | None:
    """The header of column ``position`` among the rows read so far, if there is one."""
    header = next((row for row in rows if not _is_blank(row)), None)
    if header is None or position >= len(header) or not header[position].strip():
        return None
    return header[position].strip()


def _refuse_other_delimiter(label: str, rows: list[list[str]]) -> None:
    """A header that is one value full of semicolons (European Excel) or tabs was not split."""
    for number, row in enumerate(rows, start=1):
        cells = [cell for cell in row if cell.strip()]
        if not cells:
            continue
        if len(cells) == 1:
            for character, name, option in ((";", "semicolon", ";"), ("\t", "tab", "tab")):
                if character in cells[0]:
                    raise InputError(
                        label, f"the header looks {name}-separated, not comma-separated "
                        f"({cells[0][:60]!r})", row=number,
                        hint=f"pass --delimiter '{option}', or {_CSV_HINT[0].lower() + _CSV_HINT[1:]}")
        return


def _not_utf8(file: InputFile, body: bytes, exc: UnicodeDecodeError, bom: int,
              delimiter: str | None) -> InputError:
    """Name the row and column of the first byte that is not UTF-8, and its offset in the file."""
    message = f"not UTF-8 text: byte 0x{body[exc.start]:02X} at file offset {exc.start + bom:,}"
    # Decode undecodable bytes as lone surrogates so the CSV can still be split into cells,
    # then find the first cell holding one.
    text = body.decode("utf-8", "surrogateescape")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or ","))
    except csv.Error:
        rows = []
    for number, row in enumerate(rows, start=1):
        for position, value in enumerate(row):
            if any("\udc80" <= character <= "\udcff" for character in value):
                return InputError(file.label, message, row=number,
                                  column=_header_label(rows[:number - 1], position),
                                  hint=_CSV_HINT)
    return InputError(file.label, message, row=body.count(b"\n", 0, exc.start) + 1, hint=_CSV_HINT)


def _column_letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1)


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _open_workbook(file: InputFile, *, data_only: bool = True):
    import openpyxl  # imported here: reading CSV rosters should not pay for openpyxl

    data = file.data
    if not data.startswith(_ZIP_MAGIC):
        if not data:
            raise InputError(file.label, "the file is empty (0 bytes), not an .xlsx workbook")
        if data.startswith(_OLE_MAGIC):
            raise InputError(file.label, "this is an Excel 97-2003 (.xls) or password-protected "
                             "workbook, not an .xlsx workbook",
                             hint="open it in Excel and save it as .xlsx without a password")
        if _looks_like_text(data):
            raise InputError(file.label, "this is text (CSV?), not an .xlsx workbook",
                             hint="rename it to .csv")
        raise InputError(file.label, "not a readable .xlsx workbook (not a zip archive)")
    try:
        # read_only streams large sheets; data_only gives formulas' cached values.
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception as exc:  # noqa: BLE001 — see _read_sheet
        raise InputError(file.label, f"not a readable .xlsx workbook ({_describe(exc)})",
                         hint="open it in Excel or LibreOffice and save it again") from None
    # openpyxl skips a sheet whose part is missing from the archive without a word; that
    # sheet would read as absent ("no Holds sheet") rather than as the damage it is.
    missing = [name for name in _listed_sheet_names(data) if name not in workbook.sheetnames]
    if missing:
        workbook.close()
        raise InputError(file.label, f"the workbook is damaged: sheet {missing[0]!r} is listed "
                         "but its contents are missing",
                         hint="open it in Excel or LibreOffice and save it again")
    return workbook


_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _listed_sheet_names(data: bytes) -> list[str]:
    """The sheet names the workbook part lists (ECMA-376 Part 1, 18.2.20 "sheets"), found
    through the package's office-document relationship; [] if that cannot be read (openpyxl
    has then already refused the file, or read it its own way)."""
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            rels = ElementTree.fromstring(archive.read("_rels/.rels"))
            target = next((rel.get("Target", "") for rel in rels.iter(f"{_RELATIONSHIPS}Relationship")
                           if rel.get("Type", "").endswith("/officeDocument")), "xl/workbook.xml")
            workbook = ElementTree.fromstring(archive.read(target.lstrip("/")))
    except Exception:  # noqa: BLE001
        return []
    return [sheet.get("name", "") for sheet in workbook.iter() if sheet.tag.endswith("}sheet")]


def _looks_like_text(data: bytes) -> bool:
    head = data[:4096]
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # not just a character cut at the 4096th byte
            return False
    return b"\x00" not in head


def _read_sheet(file: InputFile, where: str, workbook, name: str, *, values_only: bool) -> list:
    # openpyxl reports a damaged part with whatever its parser raises (ParseError, KeyError,
    # ValueError, TypeError, zlib.error, ...), and in read-only mode only while the rows are
    # read. Each means the same thing to the person holding the file: one line, not a traceback.
    try:
        # In read-only mode iter_rows starts at row 1 and yields all-None tuples for empty
        # rows, so enumeration gives the row numbers Excel shows.
        return [list(values) for values in workbook[name].iter_rows(values_only=values_only)]
    except Exception as exc:  # noqa: BLE001
        raise InputError(where, f"the workbook is damaged and this sheet cannot be read "
                         f"({_describe(exc)})",
                         hint="open it in Excel or LibreOffice and save it again") from None


def _read_xlsx_rows(file: InputFile, sheet: str | None) -> tuple[str, list[list[Any]]]:
    workbook = _open_workbook(file)
    try:
        if sheet is None:
            if not workbook.sheetnames:
                raise InputError(file.label, "the workbook has no sheets")
            name = workbook.sheetnames[0]
        else:
            name = find_sheet(workbook.sheetnames, sheet)
            if name is None:
                raise InputError(file.label, f"no sheet named {sheet!r} "
                                 f"(sheets: {', '.join(workbook.sheetnames)})")
        where = f"{file.label} (sheet {name!r})"
        rows = _read_sheet(file, where, workbook, name, values_only=True)
    finally:
        workbook.close()
    if _has_formulas(file):
        _refuse_formulas_without_values(file, where, name, rows)
    return where, rows


_FORMULA_TAG = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _has_formulas(file: InputFile) -> bool:
    """Whether any sheet holds a formula (a cheap look before reading the sheet a second time)."""
    try:
        with zipfile.ZipFile(io.BytesIO(file.data)) as archive:
            return any(_FORMULA_TAG.search(archive.read(member))
                       for member in archive.namelist()
                       if member.startswith("xl/worksheets/") and member.endswith(".xml"))
    except Exception:  # noqa: BLE001 — openpyxl read it; a second look must not be stricter
        return True


def _refuse_formulas_without_values(file: InputFile, where: str, name: str,
                                    values: list[list[Any]]) -> None:
    """A formula cell whose value was never calculated reads as empty: a script wrote the
    workbook and nothing has opened it since. Empty would be a guess (a status of "active"),
    so it is an error naming the cell."""
    workbook = _open_workbook(file, data_only=False)
    try:
        cells = _read_sheet(file, where, workbook, name, values_only=False)
    finally:
        workbook.close()
    header = next((row for row in values if not _is_blank(row)), [])
    for number, row in enumerate(cells, start=1):
        for position, cell in enumerate(row):
            if getattr(cell, "data_type", None) != "f":
                continue
            cached = values[number - 1][position] if number <= len(values) and \
                position < len(values[number - 1]) else None
            if cached is None:
                label = cell_text(header[position]) if position < len(header) else ""
                raise InputError(
                    where, f"cell {_column_letter(position)}{number} holds a formula "
                    f"({str(cell.value)[:60]}) with no saved value", row=number,
                    column=label or None,
                    hint="open the workbook in Excel or LibreOffice and save it, so each "
                         "formula's value is stored")


def _is_blank(values: list[Any]) -> bool:
    return all(cell_text(value) == "" for value in values)


def _check_value(where: str, value: Any, *, row: int, column: str | None,
                 cell: str, excel: bool) -> None:
    """One cell's value is something a person could have meant, or an error naming it."""
    if not isinstance(value, str):
        return
    if (match := _CONTROL.search(value)) is not None:
        raise InputError(where, f"{cell} holds the control character U+{ord(match.group()):04X}",
                         row=row, column=column, hint="remove it (often a damaged export)")
    if len(value) > MAX_CELL_CHARS:
        raise InputError(where, f"{cell} is {len(value):,} characters long (at most "
                         f"{MAX_CELL_CHARS:,})", row=row, column=column)
    if excel and value.strip() in _EXCEL_ERRORS:
        raise InputError(where, f"{cell} holds the Excel error {value.strip()}", row=row,
                         column=column, hint="fix the formula in the workbook")


def _build_table(where: str, raw_rows: list[list[Any]], aliases: dict[str, str], *,
                 column_name, excel: bool = False) -> Table:
    numbered: Iterator[tuple[int, list[Any]]] = (
        (number, values) for number, values in enumerate(raw_rows, start=1) if not _is_blank(values))
    header_row = next(numbered, None)
    if header_row is None:
        raise InputError(where, "the file is empty (no header row)")
    header_number, header_values = header_row
    headers: dict[str, str] = {}
    positions: dict[int, str] = {}
    for position, header in enumerate(header_values):
        _check_value(where, header, row=header_number, column=None,
                     cell=f"the header in {column_name(position)}", excel=excel)
        label = cell_text(header)
        key = normalize_header(label)
        if not key:
            continue  # a column without a header must stay empty (checked row by row)
        key = aliases.get(key, key)
        if key in headers:
            raise InputError(where, f"columns {headers[key]!r} and {label!r} mean the same thing",
                             row=header_number, column=label)
        headers[key] = label
        positions[position] = key
    rows = []
    for number, values in numbered:
        for position, value in enumerate(values):
            key = positions.get(position)
            column = headers[key] if key else None
            _check_value(where, value, row=number, column=column,
                         cell="the value" if key else column_name(position), excel=excel)
            if key is None and cell_text(value) != "":
                # A row longer than the header, or a value under an empty header: keeping it
                # would mean guessing its column, dropping it would lose it.
                raise InputError(where, f"{column_name(position)} holds {cell_text(value)[:40]!r} "
                                 f"but has no header (the header row, row {header_number}, "
                                 f"names {len(headers)} columns)", row=number,
                                 hint="remove the value, or give its column a header")
        rows.append(Row(number, {key: values[position] if position < len(values) else None
                                 for position, key in positions.items()}))
    return Table(where=where, headers=headers, rows=rows)
