"""CSV text as people hand it over, split into rows — or refused with the row and column:
a quote left open (it would swallow every row after it), a value running past its line, a
byte that is not UTF-8 (named by row, column and offset in the file), a file split by
semicolons or tabs when commas were expected, and a workbook or UTF-16 text saved under a
.csv name. Python's csv module does the splitting (strict quoting)."""

from __future__ import annotations

import codecs
import csv
import io

from access_review.errors import InputError
from access_review.input_file import InputFile

# What `--delimiter` accepts, by the character or its name.
DELIMITERS = {
    ",": ",",
    "comma": ",",
    ";": ";",
    "semicolon": ";",
    "\t": "\t",
    "tab": "\t",
    "\\t": "\t",
    "|": "|",
    "pipe": "|",
}

_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and any password-protected workbook
_CSV_HINT = "In Excel use Save As > 'CSV UTF-8 (Comma delimited)'."


def normalize_delimiter(text: str | None) -> str | None:
    """``--delimiter``: ``,`` ``;`` ``tab`` or ``|`` (None: comma)."""
    if text is None:
        return None
    delimiter = DELIMITERS.get(text.strip().lower() if text.strip() else text)
    if delimiter is None:
        raise InputError("--delimiter", f"{text!r} is not a delimiter; use ',', ';', 'tab' or '|'")
    return delimiter


def read_csv_rows(file: InputFile, delimiter: str | None) -> list[list[str]]:
    """Every record of the file, blank ones as well (so counting them gives row numbers)."""
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


def _csv_error(
    label: str,
    rows: list[list[str]],
    delimiter: str | None,
    message: str,
    *,
    row: int,
    column: str | None = None,
    hint: str | None = None,
) -> InputError:
    """A broken row, unless the header already shows the file is split by something else:
    then that is the error to fix (a semicolon file breaks on its first quoted value)."""
    if delimiter is None:
        _refuse_other_delimiter(label, rows)
    return InputError(label, message, row=row, column=column, hint=hint)


def _refuse_binary(file: InputFile) -> None:
    """A workbook or UTF-16 text saved under a .csv name: say what it is, not "found: PK…"."""
    data = file.data
    if data.startswith(_ZIP_MAGIC):
        raise InputError(
            file.label,
            "this is an Excel workbook (.xlsx), not CSV text",
            hint=f"rename it to .xlsx, or {_CSV_HINT[0].lower() + _CSV_HINT[1:]}",
        )
    if data.startswith(_OLE_MAGIC):
        raise InputError(
            file.label,
            "this is an Excel 97-2003 (.xls) or password-protected workbook, not CSV text",
            hint=_CSV_HINT,
        )
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise InputError(
            file.label, "this is UTF-16 text (Excel's 'Unicode Text'), not UTF-8", hint=_CSV_HINT
        )


def _parse_csv(label: str, text: str, delimiter: str | None) -> list[list[str]]:
    # strict: a quote left open to the end of the file is an error, not one giant value.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter or ",", strict=True)
    rows: list[list[str]] = []
    try:
        for record in reader:
            # csv yields [] for a blank line, so counting records keeps spreadsheet row numbers
            # for as long as no value spans lines — and none may.
            joined = "".join(record)
            for position, value in enumerate(record if "\n" in joined or "\r" in joined else ()):
                if "\n" in value or "\r" in value:
                    raise _csv_error(
                        label,
                        rows,
                        delimiter,
                        "a quoted value that starts on this row runs past "
                        f"the end of the line (to line {reader.line_num}); is a closing quote missing?",
                        row=len(rows) + 1,
                        column=_header_label(rows, position),
                        hint="values may not contain line breaks",
                    )
            rows.append(record)
    except csv.Error as exc:
        row = len(rows) + 1
        reason = str(exc)
        if "unexpected end of data" in reason:
            message = (
                "a quote opened on this row is never closed: the rest of the file "
                "would be read as one value"
            )
        elif "field larger than field limit" in reason:
            message = (
                f"a value runs on for more than {csv.field_size_limit():,} characters "
                "(a quote opened on this row is probably not closed)"
            )
        elif reader.line_num > row:
            message = (
                f"a quote opened on this row runs on to line {reader.line_num} and closes "
                "in the middle of a value; is a closing quote missing?"
            )
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
                        label,
                        f"the header looks {name}-separated, not comma-separated "
                        f"({cells[0][:60]!r})",
                        row=number,
                        hint=f"pass --delimiter '{option}', or {_CSV_HINT[0].lower() + _CSV_HINT[1:]}",
                    )
        return


def _not_utf8(
    file: InputFile, body: bytes, exc: UnicodeDecodeError, bom: int, delimiter: str | None
) -> InputError:
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
                return InputError(
                    file.label,
                    message,
                    row=number,
                    column=_header_label(rows[: number - 1], position),
                    hint=_CSV_HINT,
                )
    return InputError(file.label, message, row=body.count(b"\n", 0, exc.start) + 1, hint=_CSV_HINT)


def _is_blank(row: list[str]) -> bool:
    return all(not value.strip() for value in row)
