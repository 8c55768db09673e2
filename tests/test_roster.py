"""Staff roster import: docs/formats.md "Staff roster", and the shared tabular reader."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import openpyxl
import pytest

from access_review.errors import InputError
from access_review.roster import load_roster, validate_roster
from access_review.tabular import read_table

FIXTURES = Path(__file__).parent / "fixtures" / "roster"
HEADER = "employee_id,name,email,person_type,status,status_date,training_date\n"


def write_csv(tmp_path: Path, text: str, name: str = "roster.csv", *, bom: bool = False) -> Path:
    path = tmp_path / name
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


def roster_error(path: Path) -> InputError:
    with pytest.raises(InputError) as caught:
        load_roster(path)
    return caught.value


def assert_names(error: InputError, path: Path, *, row: int | None, column: str | None) -> None:
    """The message a person reads names the file, the row and the column."""
    assert error.row == row and error.column == column
    message = str(error)
    assert str(path) in message
    if row is not None:
        assert f"row {row}" in message
    if column is not None:
        assert repr(column) in message


# ---------------------------------------------------------------- good files


def test_fixture_roster_loads_every_person_with_normalized_values():
    people = {p.employee_id: p for p in load_roster(FIXTURES / "roster.csv")}

    assert list(people) == ["E0001", "E0002", "E0003", "E0004", "V0100", "C0200"]
    dana = people["E0001"]
    assert dana.name == "Dana Whitfield"  # first + last name
    assert dana.email == "dana.whitfield@district.org"  # lower-cased
    assert dana.training_date == date(2026, 8, 15)
    assert people["E0002"].training_date == date(2026, 8, 20)  # MM/DD/YYYY
    assert people["E0002"].aliases == ("luis.ortega@district.org", "l.ortega@district.org")
    assert people["E0004"].status == "separated"
    assert people["E0004"].status_date == date(2026, 6, 30)
    assert people["E0003"].status == "leave"
    volunteer = people["V0100"]
    assert (volunteer.person_type, volunteer.status, volunteer.email) == (
        "volunteer",
        "active",
        None,
    )
    assert people["C0200"].person_type == "contractor"


def test_defaults_when_optional_columns_are_absent(tmp_path):
    path = write_csv(tmp_path, "Employee ID,Name\nE1,Ann Example\n")
    [person] = load_roster(path)
    assert (person.person_type, person.status, person.email, person.aliases) == (
        "employee",
        "active",
        None,
        (),
    )


def test_csv_with_byte_order_mark(tmp_path):
    # Excel's "CSV UTF-8" writes a BOM; without utf-8-sig the first header would not match.
    path = write_csv(tmp_path, "Employee ID,Name,Building\nE1,Zoë Müller,École Nord\n", bom=True)
    [person] = load_roster(path)
    assert (person.employee_id, person.name, person.building) == ("E1", "Zoë Müller", "École Nord")


def test_header_aliases_and_spellings(tmp_path):
    path = write_csv(
        tmp_path, "EMP ID,Full Name,Mail,Person-Type,STATUS\nE7,Bo Diaz,BO@D.ORG,Volunteer,Active\n"
    )
    [person] = load_roster(path)
    assert (person.employee_id, person.name, person.email, person.person_type, person.status) == (
        "E7",
        "Bo Diaz",
        "bo@d.org",
        "volunteer",
        "active",
    )


def test_blank_lines_are_skipped_but_counted_in_row_numbers(tmp_path):
    path = write_csv(tmp_path, HEADER + "E1,Ann,,,,,\n\n,,,,,,\nE2,Bob,,,retired,,\n")
    error = roster_error(path)
    assert_names(error, path, row=5, column="status")
    assert "retired" in str(error)


def test_xlsx_roster_with_real_dates_numeric_ids_and_blank_rows(tmp_path):
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Staff"
    sheet.append(
        [
            "Employee ID",
            "First Name",
            "Last Name",
            "Email",
            "Status",
            "Status Date",
            "Training Date",
        ]
    )
    sheet.append([1001, "Ann", "Lee", "Ann@District.org", "active", None, datetime(2026, 3, 4)])
    sheet.append([])
    sheet.append([1002.0, "Bo", "Kim", None, "separated", date(2026, 5, 1), "2025-09-01"])
    workbook.save(path)

    people = load_roster(path)
    assert [p.employee_id for p in people] == ["1001", "1002"]  # not "1002.0"
    assert people[0].training_date == date(2026, 3, 4)
    assert people[0].email == "ann@district.org"
    assert people[1].status_date == date(2026, 5, 1)
    assert people[1].training_date == date(2025, 9, 1)


def test_xlsx_named_sheet_and_row_numbers_in_errors(tmp_path):
    path = tmp_path / "hr.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    sheet = workbook.create_sheet("Staff")
    sheet.append(["employee_id", "name", "training_date"])
    sheet.append(["E1", "Ann", date(2026, 1, 1)])
    sheet.append([None, None, None])
    sheet.append(["E2", "Bob", "31/12/2026"])  # day-first: not a format we accept
    workbook.save(path)

    with pytest.raises(InputError) as caught:
        load_roster(path, sheet="staff")
    error = caught.value
    assert (error.row, error.column) == (4, "training_date")
    assert str(path) in str(error) and "Staff" in str(error) and "31/12/2026" in str(error)


# ---------------------------------------------------------------- one clear error per problem


def test_missing_required_column_names_file_and_column(tmp_path):
    path = write_csv(tmp_path, "Name,Email\nAnn,ann@d.org\n")
    error = roster_error(path)
    assert_names(error, path, row=None, column="employee_id")
    assert "missing required column" in str(error)


def test_name_column_may_be_first_and_last_but_not_only_one_of_them(tmp_path):
    path = write_csv(tmp_path, "Employee ID,First Name\nE1,Ann\n")
    assert_names(roster_error(path), path, row=None, column="name")


def test_bad_date_names_row_and_column_as_the_file_spells_it(tmp_path):
    path = write_csv(tmp_path, "Employee ID,Name,Training Date\nE1,Ann,2026-02-30\n")
    error = roster_error(path)
    assert_names(error, path, row=2, column="Training Date")
    assert "2026-02-30" in str(error)


def test_duplicate_employee_id_names_the_second_row_and_the_first(tmp_path):
    path = write_csv(tmp_path, HEADER + "E1,Ann,,,,,\nE2,Bob,,,,,\ne1,Ann Again,,,,,\n")
    error = roster_error(path)
    assert_names(error, path, row=4, column="employee_id")
    assert "first on row 2" in str(error)


def test_missing_employee_id(tmp_path):
    path = write_csv(tmp_path, HEADER + ",Ann,,,,,\n")
    assert_names(roster_error(path), path, row=2, column="employee_id")


@pytest.mark.parametrize(
    "line, column",
    [
        ("E1,Ann,,staff,,,", "person_type"),
        ("E1,Ann,,,terminated,,", "status"),
        ("E1,Ann,,,separated,,", "status_date"),
        ("E1,Ann,ann at district,,,,", "email"),
        ("E1,Ann,,,,2026-13-01,", "status_date"),
    ],
)
def test_invalid_values(tmp_path, line, column):
    path = write_csv(tmp_path, HEADER + line + "\n")
    assert_names(roster_error(path), path, row=2, column=column)


def test_alias_that_is_not_an_email(tmp_path):
    path = write_csv(tmp_path, "employee_id,name,aliases\nE1,Ann,a@d.org; a2 d.org\n")
    error = roster_error(path)
    assert_names(error, path, row=2, column="aliases")
    assert "a2 d.org" in str(error)


def test_validate_lists_every_problem_and_load_raises_the_first(tmp_path):
    path = write_csv(
        tmp_path, HEADER + "E1,Ann,,,,,\nE1,Dup,,,,,\nE3,Cy,,,separated,,\nE4,,bad,,,,\n"
    )
    problems = validate_roster(path)
    assert [(p.row, p.column) for p in problems] == [
        (3, "employee_id"),
        (4, "status_date"),
        (5, "name"),
        (5, "email"),
    ]
    assert str(roster_error(path)) == str(problems[0])
    assert validate_roster(FIXTURES / "roster.csv") == []


# ---------------------------------------------------------------- files that cannot be read


def test_unknown_extension(tmp_path):
    path = tmp_path / "roster.xls"
    path.write_bytes(b"whatever")
    error = roster_error(path)
    assert str(path) in str(error) and ".xls" in str(error)


def test_missing_file(tmp_path):
    path = tmp_path / "nope.csv"
    assert "not found" in str(roster_error(path)) and str(path) in str(roster_error(path))


def test_unreadable_xlsx(tmp_path):
    path = tmp_path / "roster.xlsx"
    path.write_bytes(b"this is not a zip file")
    error = roster_error(path)
    assert str(path) in str(error) and "xlsx" in str(error)


def test_csv_that_is_not_utf8_gets_a_hint(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_bytes("employee_id,name\nE1,Zoë\n".encode("cp1252"))
    error = roster_error(path)
    assert str(path) in str(error) and "UTF-8" in str(error)
    assert error.hint and "CSV UTF-8" in error.hint


def test_empty_file(tmp_path):
    path = write_csv(tmp_path, "\n\n")
    assert "empty" in str(roster_error(path))


def test_two_headers_meaning_the_same_column_are_refused(tmp_path):
    path = write_csv(tmp_path, "Employee ID,Name,Email,E-mail\nE1,Ann,a@d.org,b@d.org\n")
    error = roster_error(path)
    assert error.row == 1 and "Email" in str(error) and "E-mail" in str(error)


def test_read_table_keeps_spreadsheet_row_numbers(tmp_path):
    path = write_csv(tmp_path, "\nEmployee_ID,Name\n\nE1,Ann\n,\nE2,Bob\n")
    table = read_table(path)
    assert [(row.number, row.text("employee id")) for row in table.rows] == [(4, "E1"), (6, "E2")]
