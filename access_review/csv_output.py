"""The one CSV writer. Every CSV the tool writes — ``findings``/``who --format csv``, the
superintendent's csv folder, evidence packs — is built here, so every cell follows the same
rule as the workbooks (``cell_text.safe_text``): whoever opens it in a spreadsheet sees text,
never a live formula."""

from __future__ import annotations

import csv
import io
from typing import Iterable, Sequence

from .cell_text import safe_text


def csv_text(value: object) -> str:
    """One cell: nothing for None, a number as written (``-5`` is a number, not a formula),
    anything else as neutralized text."""
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return safe_text(str(value))


def build_csv(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """RFC 4180 text (CRLF line ends, fields quoted when needed), every cell made safe."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([csv_text(h) for h in header])
    for row in rows:
        writer.writerow([csv_text(v) for v in row])
    return out.getvalue()


def csv_file_bytes(header: Sequence[object], rows: Iterable[Sequence[object]]) -> bytes:
    """A CSV file: UTF-8 with a BOM, so that Excel opens accented names correctly."""
    return ("\ufeff" + build_csv(header, rows)).encode("utf-8")
