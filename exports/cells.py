"""Cell values that no spreadsheet evaluates, typed for workbooks, CSV and JSON.

The rule itself (which text is formula-like and how it is neutralized) lives in the core,
``access_review/cell_text.py``, so that every CSV and workbook the tool writes follows it.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from access_review.cell_text import (  # noqa: F401  (re-exported: the exports' cell vocabulary)
    EXCEL_CELL_LIMIT,
    FORMULA_TRIGGERS,
    NEUTRALIZING_PREFIX,
    is_formula_like,
    safe_text,
)


def naive_utc(value: datetime) -> datetime:
    """Spreadsheets have no time zones (openpyxl refuses aware datetimes): store UTC, and the
    column header says so."""
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.replace(microsecond=0)


def spreadsheet_value(value: Any) -> Any:
    """A Python value as one spreadsheet cell: numbers and dates stay typed, text is made safe,
    anything else (lists, None) becomes text or empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, datetime):
        return naive_utc(value)
    if isinstance(value, date):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return safe_text("; ".join(str(v) for v in value))
    return safe_text(str(value))


def csv_value(value: Any) -> str:
    """A value for a CSV cell: the same neutralization as the workbook, dates in ISO form."""
    cell = spreadsheet_value(value)
    if cell is None:
        return ""
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ")
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def json_value(value: Any) -> Any:
    """A value for JSON: the raw text (no spreadsheet reads JSON), dates as ISO strings."""
    if isinstance(value, datetime):
        return naive_utc(value).isoformat() + "Z"
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (list, tuple, set, frozenset)):
        return [json_value(v) for v in value]
    return value
