"""`--format table|csv|json` for read commands: one option, one JSON writer, one CSV writer.

Tables are for people; CSV and JSON are for scripts and keep their field names from release
to release (docs/output.md lists them). The same thing has the same name in every command:
``person`` (a roster person's name), ``employee_id``, ``account`` (a login), ``source``,
``resource``, ``level``, ``state``, times as ISO 8601 in UTC. CSV goes through the project's
one CSV writer (``access_review.csv_output``), so no cell becomes a formula in a spreadsheet;
JSON is UTF-8 and written whole, so a script never reads half a document."""

from __future__ import annotations

import json
import sys
from enum import Enum
from typing import Annotated, Any, Iterable, Mapping, Sequence

import typer

from ..csv_output import build_csv


class OutputFormat(str, Enum):
    table = "table"
    csv = "csv"
    json = "json"


FormatOption = Annotated[
    OutputFormat,
    typer.Option(
        "--format",
        "-f",
        metavar="[table|csv|json]",
        case_sensitive=False,
        help="table (for people), csv or json (for scripts; the fields are listed in docs/output.md).",
    ),
]


def write_json(value: Any) -> None:
    """One JSON document on stdout."""
    sys.stdout.write(json.dumps(value, indent=2, ensure_ascii=False, default=str) + "\n")


def write_csv(columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    """A header and one line per row on stdout; a nested value (a list, a dict) as JSON text."""

    def cell(value: Any) -> Any:
        if isinstance(value, (list, tuple, dict)):
            return json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)
        if isinstance(value, bool):
            return "true" if value else "false"
        return value

    sys.stdout.write(build_csv(columns, ([cell(row.get(c)) for c in columns] for row in rows)))


def iso(value: Any) -> str | None:
    """A datetime or date as ISO 8601 (a datetime with its UTC offset), None as None."""
    return value.isoformat() if value is not None else None
