"""Answering a review workbook as a reviewer does in Excel: a decision and a justification typed
into the rows they choose."""

from __future__ import annotations

from pathlib import Path

from openpyxl import load_workbook

from campaigns.workbook import HEADERS

DECISION = HEADERS.index("Decision") + 1  # the Justification column follows it


def answer(path: Path, decide, out: Path | None = None, edit=None) -> Path:
    """Fill the Decision/Justification cells: ``decide(row values by header)`` returns
    (decision, justification) or None to leave the row open; ``edit(sheet)`` then changes
    anything else. Saved to ``out`` (default: over ``path``)."""
    wb = load_workbook(path)
    ws = wb["Review"]
    header = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):
        values = dict(zip(header, (c.value for c in ws[r])))
        choice = decide(values)
        if choice:
            ws.cell(r, DECISION).value, ws.cell(r, DECISION + 1).value = choice
    if edit:
        edit(ws)
    out = out or path
    wb.save(out)
    return out
