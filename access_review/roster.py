"""The staff roster (docs/formats.md, "Staff roster"): CSV or XLSX from HR into ``Person`` records.

All or nothing: ``load_roster`` returns people only when every row is valid, so a bad
export never replaces a good roster in the store. ``validate_roster`` lists every problem
at once for the ISO to fix in one pass.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from access_review.errors import InputError
from access_review.records import Person, PersonStatus, PersonType
from access_review.input_file import InputFile
from access_review.tabular import Row, Table, normalize_header, parse_date, read_table

PERSON_TYPES: tuple[PersonType, ...] = ("employee", "volunteer", "contractor")
STATUSES: tuple[PersonStatus, ...] = ("active", "leave", "separated")

# Other spellings HR systems export for the documented columns (matched after normalizing).
ROSTER_ALIASES = {
    "emp id": "employee_id",
    "empid": "employee_id",
    "employee number": "employee_id",
    "employee no": "employee_id",
    "staff id": "employee_id",
    "full name": "name",
    "display name": "name",
    "first": "first_name",
    "given name": "first_name",
    "last": "last_name",
    "surname": "last_name",
    "family name": "last_name",
    "mail": "email",
    "email address": "email",
    "work email": "email",
    "type": "person_type",
    "employee type": "person_type",
    "employment status": "status",
    "status date": "status_date",
    "status effective": "status_date",
    "training": "training_date",
    "last training": "training_date",
    "confidentiality training": "training_date",
    "location": "building",
    "site": "building",
    "school": "building",
    "job title": "title",
    "position": "title",
    "other emails": "aliases",
    "alias": "aliases",
}

_EMAIL = re.compile(r"^[^@\s;,]+@[^@\s;,]+\.[^@\s;,]+$")


def looks_like_email(text: str) -> bool:
    return bool(_EMAIL.match(text))


def load_roster(
    path: str | Path | InputFile, *, sheet: str | None = None, delimiter: str | None = None
) -> list[Person]:
    """Every person in the roster; raises the first ``InputError`` if any row is bad."""
    people, problems = _parse_roster(path, sheet, delimiter)
    if problems:
        raise problems[0]
    return people


def validate_roster(
    path: str | Path | InputFile, *, sheet: str | None = None, delimiter: str | None = None
) -> list[InputError]:
    """Every problem in the roster, in row order; [] when it would load."""
    return _parse_roster(path, sheet, delimiter)[1]


def parse_roster(
    path: str | Path | InputFile, *, sheet: str | None = None, delimiter: str | None = None
) -> tuple[list[Person], list[InputError]]:
    """The people of every good row, and every problem (read the file once for both)."""
    return _parse_roster(path, sheet, delimiter)


def _parse_roster(
    path: str | Path | InputFile, sheet: str | None, delimiter: str | None
) -> tuple[list[Person], list[InputError]]:
    try:
        table = read_table(path, sheet=sheet, aliases=ROSTER_ALIASES, delimiter=delimiter)
        table.require(["employee_id"])
        if not table.has("name") and not (table.has("first_name") and table.has("last_name")):
            raise InputError(
                table.where,
                "missing required column (or both first_name and last_name)",
                column="name",
            )
    except InputError as exc:
        return [], [exc]
    people: list[Person] = []
    problems: list[InputError] = []
    first_row_of_id: dict[str, int] = {}
    for row in table.rows:
        row_problems: list[InputError] = []
        person = _person_from_row(table, row, row_problems)
        employee_id = row.text("employee_id")
        if employee_id:
            seen = first_row_of_id.setdefault(employee_id.casefold(), row.number)
            if seen != row.number:
                row_problems.append(
                    table.error(
                        f"duplicate employee id {employee_id!r} (first on row {seen})",
                        row=row.number,
                        column="employee_id",
                    )
                )
        problems.extend(row_problems)
        if person is not None and not row_problems:
            people.append(person)
    return people, problems


def _person_from_row(table: Table, row: Row, problems: list[InputError]) -> Person | None:
    """The row's person, or None; each problem found is appended to ``problems``."""

    def problem(message: str, column: str) -> None:
        problems.append(table.error(message, row=row.number, column=column))

    def date_of(column: str) -> tuple[date | None, bool]:
        """(the date or None, whether the cell was readable)."""
        try:
            return parse_date(
                row.values.get(normalize_header(column)), table=table, row=row.number, column=column
            ), True
        except InputError as exc:
            problems.append(exc)
            return None, False

    employee_id = row.text("employee_id")
    if not employee_id:
        problem("employee id is empty", "employee_id")
    name = row.text("name") or " ".join(
        part for part in (row.text("first_name"), row.text("last_name")) if part
    )
    if not name:
        problem("name is empty", "name" if table.has("name") else "first_name")

    person_type = row.text("person_type").lower() or "employee"
    if person_type not in PERSON_TYPES:
        problem(
            f"person type {row.text('person_type')!r} is not one of {', '.join(PERSON_TYPES)}",
            "person_type",
        )
    status = row.text("status").lower() or "active"
    if status not in STATUSES:
        problem(f"status {row.text('status')!r} is not one of {', '.join(STATUSES)}", "status")
    status_date, status_date_readable = date_of("status_date")
    training_date, _ = date_of("training_date")
    if status == "separated" and status_date is None and status_date_readable:
        problem("a separated person needs a status date (the separation date)", "status_date")

    email = row.text("email").lower() or None
    if email is not None and not looks_like_email(email):
        problem(f"{row.text('email')!r} does not look like an e-mail address", "email")
    aliases = tuple(
        alias.strip().lower() for alias in row.text("aliases").split(";") if alias.strip()
    )
    for alias in aliases:
        if not looks_like_email(alias):
            problem(
                f"alias {alias!r} does not look like an e-mail address (separate several with ';')",
                "aliases",
            )
    # (A type or status that is none of the words is a problem already; naming the checks
    # again narrows both to their Literal types.)
    if problems or person_type not in PERSON_TYPES or status not in STATUSES:
        return None
    return Person(
        employee_id=employee_id,
        name=name,
        email=email,
        title=row.text("title"),
        department=row.text("department"),
        building=row.text("building"),
        person_type=person_type,
        status=status,
        status_date=status_date,
        training_date=training_date,
        aliases=aliases,
    )
