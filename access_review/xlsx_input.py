"""XLSX workbooks as people hand them over, read into rows of cell values — or refused: a
damaged workbook (broken XML, a missing part, a cut-off download: openpyxl raises whatever
its parser raised, or skips a missing sheet without a word), an old .xls or text under an
.xlsx name, and a formula cell whose value was never calculated (a workbook written by a
script and never opened), which would otherwise read as empty."""

from __future__ import annotations

import io
import re
import zipfile
from typing import TYPE_CHECKING, Any, Iterable

from access_review.errors import InputError
from access_review.input_file import InputFile, InputSource, XLSX_SUFFIXES, as_input

if TYPE_CHECKING:
    from openpyxl.workbook.workbook import Workbook

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected workbook


def xlsx_sheet_names(source: InputSource) -> list[str]:
    """Sheet names of an XLSX workbook, in order; [] for a CSV file."""
    if not isinstance(source, InputFile) and not str(source).lower().endswith(tuple(XLSX_SUFFIXES)):
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


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text[:200]


def _open_workbook(file: InputFile, *, data_only: bool = True) -> Workbook:
    import openpyxl  # imported here: reading CSV rosters should not pay for openpyxl

    data = file.data
    if not data.startswith(_ZIP_MAGIC):
        if not data:
            raise InputError(file.label, "the file is empty (0 bytes), not an .xlsx workbook")
        if data.startswith(_OLE_MAGIC):
            raise InputError(
                file.label,
                "this is an Excel 97-2003 (.xls) or password-protected "
                "workbook, not an .xlsx workbook",
                hint="open it in Excel and save it as .xlsx without a password",
            )
        if _looks_like_text(data):
            raise InputError(
                file.label, "this is text (CSV?), not an .xlsx workbook", hint="rename it to .csv"
            )
        raise InputError(file.label, "not a readable .xlsx workbook (not a zip archive)")
    try:
        # read_only streams large sheets; data_only gives "the value stored the last time
        # Excel read the sheet" instead of the formula, and None when none was stored
        # (https://openpyxl.readthedocs.io/en/3.1.0/api/openpyxl.reader.excel.html).
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=data_only)
    except Exception as exc:  # noqa: BLE001 — see _read_sheet
        raise InputError(
            file.label,
            f"not a readable .xlsx workbook ({_describe(exc)})",
            hint="open it in Excel or LibreOffice and save it again",
        ) from None
    # openpyxl skips a sheet whose part is missing from the archive without a word
    # (ExcelReader.read_worksheets: "if rel.target not in self.valid_files: continue"); that
    # sheet would read as absent ("no Holds sheet") rather than as the damage it is.
    missing = [name for name in _listed_sheet_names(data) if name not in workbook.sheetnames]
    if missing:
        workbook.close()
        raise InputError(
            file.label,
            f"the workbook is damaged: sheet {missing[0]!r} is listed but its contents are missing",
            hint="open it in Excel or LibreOffice and save it again",
        )
    return workbook


_RELATIONSHIPS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def _listed_sheet_names(data: bytes) -> list[str]:
    """The sheet names the workbook part lists (ECMA-376 Part 1, 18.2.20 "sheets"), found
    through the package's office-document relationship; [] if that cannot be read (openpyxl
    has then already refused the file, or read it its own way)."""
    from xml.etree import ElementTree

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            # The parts openpyxl has just parsed with the same expat (2.4.1+ refuses entity
            # expansion bombs: https://docs.python.org/3/library/xml.html#xml-vulnerabilities).
            rels = ElementTree.fromstring(archive.read("_rels/.rels"))  # noqa: S314 (see above)
            target = next(
                (
                    rel.get("Target", "")
                    for rel in rels.iter(f"{_RELATIONSHIPS}Relationship")
                    if rel.get("Type", "").endswith("/officeDocument")
                ),
                "xl/workbook.xml",
            )
            workbook = ElementTree.fromstring(archive.read(target.lstrip("/")))  # noqa: S314 (see above)
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


def _read_sheet(
    file: InputFile, where: str, workbook: Workbook, name: str, *, values_only: bool
) -> list[list[Any]]:
    # openpyxl reports a damaged part with whatever its parser raises (ParseError, KeyError,
    # ValueError, TypeError, zlib.error, ...), and in read-only mode only while the rows are
    # read. Each means the same thing to the person holding the file: one line, not a traceback.
    try:
        # In read-only mode iter_rows starts at row 1 and yields all-None tuples for empty
        # rows, so enumeration gives the row numbers Excel shows.
        return [list(values) for values in workbook[name].iter_rows(values_only=values_only)]
    except Exception as exc:  # noqa: BLE001
        raise InputError(
            where,
            f"the workbook is damaged and this sheet cannot be read ({_describe(exc)})",
            hint="open it in Excel or LibreOffice and save it again",
        ) from None


def read_xlsx_rows(file: InputFile, sheet: str | None) -> tuple[str, list[list[Any]]]:
    """Where the rows come from (file and sheet), and every row's values (empty rows as
    well, so counting them gives row numbers): the named sheet, or the first."""
    workbook = _open_workbook(file)
    try:
        name: str | None
        if sheet is None:
            if not workbook.sheetnames:
                raise InputError(file.label, "the workbook has no sheets")
            name = workbook.sheetnames[0]
        else:
            name = find_sheet(workbook.sheetnames, sheet)
            if name is None:
                raise InputError(
                    file.label,
                    f"no sheet named {sheet!r} (sheets: {', '.join(workbook.sheetnames)})",
                )
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
            return any(
                _FORMULA_TAG.search(archive.read(member))
                for member in archive.namelist()
                if member.startswith("xl/worksheets/") and member.endswith(".xml")
            )
    except Exception:  # noqa: BLE001 — openpyxl read it; a second look must not be stricter
        return True


def _refuse_formulas_without_values(
    file: InputFile, where: str, name: str, values: list[list[Any]]
) -> None:
    """A formula cell whose value was never calculated reads as empty: a script wrote the
    workbook and nothing has opened it since. Empty would be a guess (a status of "active"),
    so it is an error naming the cell."""
    workbook = _open_workbook(file, data_only=False)
    try:
        cells = _read_sheet(file, where, workbook, name, values_only=False)
    finally:
        workbook.close()
    header = next((row for row in values if any(_text(v) for v in row)), [])
    for number, row in enumerate(cells, start=1):
        for position, cell in enumerate(row):
            if getattr(cell, "data_type", None) != "f":
                continue
            cached = (
                values[number - 1][position]
                if number <= len(values) and position < len(values[number - 1])
                else None
            )
            if cached is None:
                label = _text(header[position]) if position < len(header) else ""
                raise InputError(
                    where,
                    f"cell {column_letter(position)}{number} holds a formula "
                    f"({str(cell.value)[:60]}) with no saved value",
                    row=number,
                    column=label or None,
                    hint="open the workbook in Excel or LibreOffice and save it, so each "
                    "formula's value is stored",
                )


def column_letter(position: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(position + 1)


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()
