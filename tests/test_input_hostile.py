"""Hostile input files (issue 14): each way a roster, inventory, app or hold file used to be
read with data silently lost, or crashed, is now one clear line naming the file, row and
column — through the `roster import` / `inventory import` commands — and the store is left
exactly as it was."""

from __future__ import annotations

import csv
import re
import tempfile
import zipfile
from pathlib import Path

import openpyxl
import pytest

from import_workspace import APPS, HOLDS, INVENTORY, ROSTER, Workspace, build_workspace, error_lines
from libreoffice import run_libreoffice

ROSTER_HEADER = "employee_id,name,email,status,status_date\n"
INVENTORY_HEADER = "resource,classification,data_manager,entitlements\n"
APPS_HEADER = "app,client_id,approved\n"
HOLDS_HEADER = "subject,matter,since\n"


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Workspace:
    return build_workspace(tmp_path_factory.mktemp("hostile-base"))


@pytest.fixture
def ws(base, tmp_path) -> Workspace:
    return base.copy_to(tmp_path / "ws")


def big_roster(n: int = 298) -> list[str]:
    return [f"E{i:05d},Person {i},p{i}@district.org,active,\n" for i in range(1, n + 1)]


def refused(
    ws: Workspace,
    *args,
    row: int | None = None,
    column: str | None = None,
    says: str = "",
    exit_code: int = 3,
):
    """Run an import that must be refused: one error line naming file, row and column; no
    traceback; every table as it was. Returns the error line."""
    before = ws.dump()
    result = ws.run(*args)
    assert result.exit_code == exit_code, result.output
    assert (
        "Traceback" not in result.output
        and result.exception is None
        or isinstance(result.exception, SystemExit)
    ), result.output
    [line] = error_lines(result)
    if row is not None:
        assert f", row {row}" in line, line
    if column is not None:
        assert f"column {column!r}" in line or f"column {column}" in line, line
    assert says in line or says in result.output, result.output
    assert ws.dump() == before
    return line


def inventory_args(inventory: Path, apps: Path = APPS, holds: Path = HOLDS) -> list[str]:
    return ["inventory", "import", str(inventory), "--apps", str(apps), "--holds", str(holds)]


def write(tmp_path: Path, name: str, text: str | bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode("utf-8"))
    return path


# ---------------------------------------------------------------- 1. an unclosed quote


def test_unclosed_quote_in_a_298_person_roster_names_the_row_where_it_opened(ws, tmp_path):
    rows = big_roster()
    rows[3] = 'E00004,"Person 4,p4@district.org,active,\n'  # row 5 of the file: quote never closed
    path = write(tmp_path, "roster.csv", ROSTER_HEADER + "".join(rows))
    line = refused(ws, "roster", "import", path, row=5, says="never closed")
    assert str(path) in line
    with ws.store() as store:
        assert len(store.load_roster()) == 6


def test_a_quote_closed_rows_later_is_a_value_running_past_its_line(ws, tmp_path):
    rows = big_roster(20)
    rows[6] = 'E00007,"Person 7,p7@district.org,active,\n'  # opens on row 8
    rows[9] = 'E00010,Person 10",p10@district.org,active,\n'  # a stray quote closes it on row 11
    path = write(tmp_path, "roster.csv", ROSTER_HEADER + "".join(rows))
    refused(ws, "roster", "import", path, row=8, says="runs past the end of the line")


@pytest.mark.parametrize(
    "register, header, bad_row",
    [
        ("apps", APPS_HEADER, 'Quiz Maker,"quiz-1,yes\nGradebook,gb-1,no\n'),
        ("holds", HOLDS_HEADER, 'E0004,"Price v. District,2026-07-01\nE0003,Audit,2026-01-01\n'),
    ],
)
def test_unclosed_quote_in_a_register(ws, tmp_path, register, header, bad_row):
    path = write(
        tmp_path,
        f"{register}.csv",
        header
        + "E0001,Ok,2026-01-01\n".replace(
            "2026-01-01", "yes" if register == "apps" else "2026-01-01"
        )
        + bad_row,
    )
    args = inventory_args(INVENTORY, **{register: path})
    refused(ws, *args, row=3)


def test_unclosed_quote_in_the_inventory(ws, tmp_path):
    path = write(
        tmp_path,
        "inventory.csv",
        INVENTORY_HEADER
        + "Payroll,critical,E0001,ad:group:Payroll\n"
        + 'Grades,"confidential,E0001,ad:group:Teachers\n'
        + "Health,confidential,E0002,google:drive:Nurse\n",
    )
    refused(ws, *inventory_args(path), row=3)


# ---------------------------------------------------------------- 2. a header-only file


@pytest.mark.parametrize("what", ["roster", "inventory", "apps", "holds"])
def test_header_only_file_never_replaces_what_is_stored(ws, tmp_path, what):
    headers = {
        "roster": ROSTER_HEADER,
        "inventory": INVENTORY_HEADER,
        "apps": APPS_HEADER,
        "holds": HOLDS_HEADER,
    }
    path = write(tmp_path, f"{what}.csv", headers[what])
    args = (
        ["roster", "import", str(path)]
        if what == "roster"
        else inventory_args(path)
        if what == "inventory"
        else inventory_args(INVENTORY, **{what: path})
    )
    line = refused(ws, *args, says="has a header but no rows")
    assert str(path) in line
    # Saying so explicitly (and confirming the removal it makes) is the way to mean it.
    result = ws.run(*args, "--allow-empty", "--yes")
    assert result.exit_code == 0, result.output
    with ws.store() as store:
        if what == "roster":
            assert store.load_roster() == []
        else:
            from access_review.analysis import load_inventory_from_store

            inventory = load_inventory_from_store(store, store.load_roster())
            counts = {
                "inventory": inventory.resources,
                "apps": inventory.apps,
                "holds": inventory.holds,
            }
            assert counts[what] == ()


# ---------------------------------------------------------------- 3. a row longer than the header


@pytest.mark.parametrize(
    "what, text, row, column",
    [
        (
            "roster",
            ROSTER_HEADER + "E1,Ann,a@d.org,active,\nE2,Bob,b@d.org,separated,2026-01-01,Bobby\n",
            3,
            "column 6",
        ),
        (
            "inventory",
            INVENTORY_HEADER + "Payroll,critical,E0001,ad:group:Payroll,ad:group:HR\n",
            2,
            "column 5",
        ),
        ("apps", APPS_HEADER + "Quiz Maker,quiz-1,yes,2026-01-01\n", 2, "column 4"),
        ("holds", HOLDS_HEADER + "E0004,Price v. District,2026-07-01,2026-08-01\n", 2, "column 4"),
    ],
)
def test_row_longer_than_the_header_is_refused_not_trimmed(ws, tmp_path, what, text, row, column):
    path = write(tmp_path, f"{what}.csv", text)
    args = (
        ["roster", "import", str(path)]
        if what == "roster"
        else inventory_args(path)
        if what == "inventory"
        else inventory_args(INVENTORY, **{what: path})
    )
    line = refused(ws, *args, row=row, says="has no header")
    assert column in line


def test_value_under_an_empty_header_in_a_workbook_names_the_cell_column(ws, tmp_path):
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["employee_id", "name", None, "status"])
    workbook.active.append(["E1", "Ann", "note: on leave soon", "active"])
    workbook.save(path)
    line = refused(ws, "roster", "import", path, row=2, says="has no header")
    assert "column C" in line


def test_trailing_empty_cells_are_not_values(ws, tmp_path):
    path = write(
        tmp_path, "roster.csv", ROSTER_HEADER + "".join(big_roster(10)).replace(",\n", ",,,\n")
    )
    result = ws.run("roster", "import", str(path), "--yes")
    assert result.exit_code == 0, result.output
    with ws.store() as store:
        assert len(store.load_roster()) == 10


# ---------------------------------------------------------------- 4. a formula with no saved value


def formula_roster(path: Path) -> Path:
    """A workbook as a script writes it (openpyxl): the formula is there, its value never computed."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "Staff"
    sheet.append(["employee_id", "name", "status", "status_date"])
    sheet.append(["E0001", "Dana Whitfield", "active", None])
    sheet.append(["E0004", "Sam Price", '=IF(TRUE,"separated","active")', "2026-06-30"])
    workbook.save(path)
    return path


def test_formula_cell_without_a_cached_value_names_the_cell(ws, tmp_path):
    path = formula_roster(tmp_path / "roster.xlsx")
    line = refused(
        ws, "roster", "import", path, row=3, column="status", says="cell C3 holds a formula"
    )
    assert "no saved value" in line


def test_the_same_formula_once_calculated_by_a_spreadsheet_is_read(ws, tmp_path):
    """LibreOffice opens the script's workbook and saves it: the value is stored, and read."""
    (tmp_path / "script").mkdir()
    source = formula_roster(tmp_path / "script" / "roster.xlsx")
    out = tmp_path / "saved"
    run_libreoffice([source], "xlsx", out)
    result = ws.run("roster", "import", str(out / "roster.xlsx"), "--yes")
    assert result.exit_code == 0, result.output
    with ws.store() as store:
        people = {p.employee_id: p for p in store.load_roster()}
    assert people["E0004"].status == "separated"


def test_excel_error_value_is_refused(ws, tmp_path):
    path = tmp_path / "roster.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["employee_id", "name", "status"])
    workbook.active.append(["E1", "Ann", "#REF!"])
    workbook.save(path)
    refused(ws, "roster", "import", path, row=2, column="status", says="#REF!")


# ---------------------------------------------------------------- 5. a missing or renamed Holds sheet


def inventory_workbook(path: Path, *, holds_sheet: str | None = "Holds") -> Path:
    workbook = openpyxl.Workbook()
    resources = workbook.active
    resources.title = "Resources"
    resources.append(["resource", "classification", "data_manager", "entitlements"])
    resources.append(["Special Education Records", "confidential", "E0002", "ad:group:SpEd Staff"])
    resources.append(["Student Information System", "both", "E0001", "entra:app:PowerSchool SIS"])
    resources.append(["Domain Administration", "critical", "", "ad:role:Domain Admins"])
    resources.append(
        [
            "Gradebook Add-on",
            "confidential",
            "E0001",
            "google:oauth:123456789.apps.googleusercontent.com",
        ]
    )
    apps = workbook.create_sheet("Apps")
    for line in APPS.read_text().splitlines():
        apps.append(line.split(","))
    if holds_sheet:
        holds = workbook.create_sheet(holds_sheet)
        for line in HOLDS.read_text().splitlines():
            holds.append([cell or None for cell in line.split(",")])
    workbook.save(path)
    return path


def test_renamed_holds_sheet_is_an_error_not_an_empty_register(ws, tmp_path):
    path = inventory_workbook(tmp_path / "inventory.xlsx", holds_sheet="Litigation Holds")
    line = refused(ws, "inventory", "import", path, says="'Litigation Holds'")
    assert "no sheet named 'Holds'" in line


def test_missing_holds_sheet_shows_the_holds_it_releases_and_needs_yes(ws, tmp_path):
    path = inventory_workbook(tmp_path / "inventory.xlsx", holds_sheet=None)
    before = ws.dump()
    result = ws.run("inventory", "import", str(path))
    assert result.exit_code == 8, result.output
    assert "releases 2 litigation holds" in result.output
    assert "no hold register given" in result.output
    assert "E0004 (Price v. District" in result.output and "sprice@district.org" in result.output
    assert ws.dump() == before
    confirmed = ws.run("inventory", "import", str(path), "--yes")
    assert confirmed.exit_code == 0, confirmed.output
    from access_review import audit

    with ws.store() as store:
        [entry] = audit.entries(store, action_prefix="inventory.import")[-1:]
    assert entry.details["holds"] == 0 and entry.details["holds_released"] == 2
    assert any("releases 2" in reason for reason in entry.details["confirmed"])


def test_workbook_with_its_holds_sheet_keeps_the_register(ws, tmp_path):
    path = inventory_workbook(tmp_path / "inventory.xlsx")
    result = ws.run("inventory", "import", str(path))
    assert result.exit_code == 0, result.output
    assert "holds: 3 → 3  (no change)" in result.output


# ---------------------------------------------------------------- 6. NUL bytes


@pytest.mark.parametrize(
    "what, text, row, column",
    [
        (
            "inventory",
            INVENTORY_HEADER + "Pay\x00roll,critical,E0001,ad:group:Payroll\n",
            2,
            "resource",
        ),
        ("apps", APPS_HEADER + "Quiz\x00Maker,quiz-1,yes\n", 2, "app"),
        ("holds", HOLDS_HEADER + "E0004,Price\x00,2026-07-01\n", 2, "matter"),
        (
            "roster",
            ROSTER_HEADER + "E1,Ann,a@d.org,active,\nE2,B\x00b,b@d.org,active,\n",
            3,
            "name",
        ),
    ],
)
def test_nul_byte_is_refused_naming_row_and_column(ws, tmp_path, what, text, row, column):
    path = write(tmp_path, f"{what}.csv", text)
    args = (
        ["roster", "import", str(path)]
        if what == "roster"
        else inventory_args(path)
        if what == "inventory"
        else inventory_args(INVENTORY, **{what: path})
    )
    refused(ws, *args, row=row, column=column, says="U+0000")


# ---------------------------------------------------------------- crashes and vague errors


def test_workbook_with_broken_xml_is_one_line(ws, tmp_path):
    good = formula_roster(tmp_path / "good.xlsx")
    broken = tmp_path / "roster.xlsx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(broken, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]  # cut mid-tag, as a failed download leaves it
            dst.writestr(item, data)
    line = refused(ws, "roster", "import", broken, says="damaged")
    assert str(broken) in line


def test_bad_utf8_byte_deep_in_the_file_names_row_column_and_real_offset(ws, tmp_path):
    text = (ROSTER_HEADER + "".join(big_roster(1000))).encode("utf-8")
    at = text.index(b"Person 700,")
    data = text[:at] + b"Ren\xe9 " + text[at:]  # cp1252 é in row 701's name
    path = write(tmp_path, "roster.csv", data)
    line = refused(ws, "roster", "import", path, row=701, column="name", says="not UTF-8")
    assert f"file offset {at + 3:,}" in line and "0xE9" in line


def test_semicolon_separated_file_says_so_and_delimiter_reads_it(ws, tmp_path):
    path = write(
        tmp_path,
        "roster.csv",
        ROSTER_HEADER.replace(",", ";") + "".join(big_roster(10)).replace(",", ";"),
    )
    result = ws.run("roster", "import", str(path))
    assert result.exit_code == 3
    [line] = error_lines(result)
    assert "semicolon-separated" in line and "--delimiter ';'" in result.output
    ok = ws.run("roster", "import", str(path), "--delimiter", ";", "--yes")
    assert ok.exit_code == 0, ok.output
    with ws.store() as store:
        assert [p.name for p in store.load_roster()][:2] == ["Person 1", "Person 2"]


def rewrite_with_delimiter(source: Path, target: Path, delimiter: str) -> Path:
    """The same file as a European Excel saves it: another delimiter, quoted where needed."""
    with (
        source.open(newline="", encoding="utf-8") as src,
        target.open("w", newline="", encoding="utf-8") as dst,
    ):
        csv.writer(dst, delimiter=delimiter).writerows(csv.reader(src))
    return target


@pytest.mark.parametrize("delimiter, name, option", [(";", "semicolon", ";"), ("\t", "tab", "tab")])
def test_inventory_and_registers_with_another_delimiter(ws, tmp_path, delimiter, name, option):
    files = {
        kind: rewrite_with_delimiter(source, tmp_path / f"{kind}.csv", delimiter)
        for kind, source in (("inventory", INVENTORY), ("apps", APPS), ("holds", HOLDS))
    }
    args = inventory_args(files["inventory"], files["apps"], files["holds"])
    line = refused(ws, *args, row=1, says=f"{name}-separated")
    assert str(files["inventory"]) in line
    ok = ws.run(*args, "--delimiter", option)
    assert ok.exit_code == 0, ok.output
    assert "resources: 4 → 4  (no change)" in ok.output and "holds: 3 → 3  (no change)" in ok.output


def test_workbook_renamed_to_csv_is_called_a_workbook(ws, tmp_path):
    workbook = formula_roster(tmp_path / "real.xlsx")
    path = write(tmp_path, "roster.csv", workbook.read_bytes())
    result = ws.run("roster", "import", str(path))
    refused(ws, "roster", "import", path, says="Excel workbook (.xlsx)")
    assert "PK" not in result.output and "\x00" not in result.output
    assert "rename it to .xlsx" in result.output


def test_csv_renamed_to_xlsx_is_called_text(ws, tmp_path):
    path = write(tmp_path, "roster.xlsx", ROSTER.read_bytes())
    refused(ws, "roster", "import", path, says="rename it to .csv")


def test_roster_sheet_option_reads_the_named_sheet(ws, tmp_path):
    path = tmp_path / "hr.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Notes"
    workbook.active.append(["exported by HR on Monday"])
    staff = workbook.create_sheet("Staff")
    staff.append(["Employee ID", "Name", "Status"])
    for i in range(1, 7):
        staff.append([f"E000{i}", f"Person {i}", "active"])
    workbook.save(path)
    first = ws.run("roster", "import", str(path))
    assert first.exit_code == 3 and "'Notes'" in first.output
    result = ws.run("roster", "import", str(path), "--sheet", "staff", "--yes")
    assert result.exit_code == 0, result.output
    missing = ws.run("roster", "import", str(path), "--sheet", "People")
    assert (
        missing.exit_code == 3
        and "no sheet named 'People' (sheets: Notes, Staff)" in missing.output
    )


def test_errors_about_the_stored_inventory_name_the_stored_import_not_a_temp_file(ws, tmp_path):
    # E0002 manages Special Education Records; a roster without E0002 is a small change
    # (1 of 6 people is over 10%, so confirmed), and the stored inventory no longer resolves.
    lines = ROSTER.read_text().splitlines(keepends=True)
    path = write(
        tmp_path, "roster.csv", "".join(line for line in lines if not line.startswith("E0002"))
    )
    imported = ws.run("roster", "import", str(path), "--yes")
    assert imported.exit_code == 0
    assert "warning: the stored inventory does not match this roster" in imported.output
    with ws.store() as store:
        version, imported_at = store.latest_inventory_files()[:2]
    result = ws.run("findings")
    assert result.exit_code == 3
    [line] = error_lines(result)
    assert (
        f"inventory.csv in stored inventory version {version} (imported {imported_at:%Y-%m-%d %H:%M} UTC)"
        in line
    )
    assert "row 2, column 'Data Manager'" in line
    # tempfile.TemporaryDirectory() names folders tmpXXXXXXXX in the system temp folder.
    temp_copy = re.escape(str(Path(tempfile.gettempdir()) / "tmp")) + r"[a-z0-9_]{8}/"
    assert not re.search(temp_copy, result.output)
    assert "inventory import" in result.output  # what to do next
