"""What docs/formats.md says each roster, inventory, app and hold row means — written apart
from the code that reads them — and hypothesis strategies for such rows, seeded with the
values that broke imports before (quotes, commas, semicolons, formulas, BOMs, NULs, huge and
non-ASCII values). The property tests compare what the import commands store against this."""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from datetime import date

from hypothesis import strategies as st

MAX_CELL_CHARS = 4000  # docs/formats.md: "a value longer than 4,000 characters"
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
EXCEL_ERRORS = {
    "#NULL!",
    "#DIV/0!",
    "#VALUE!",
    "#REF!",
    "#NAME?",
    "#NUM!",
    "#N/A",
    "#GETTING_DATA",
    "#SPILL!",
    "#CALC!",
}
ROSTER_IDS = ["E0001", "E0002", "E0003", "E0004", "V0100", "C0200"]  # tests/fixtures roster

# Dates as written -> what they mean ("" = no date; None = not a date, an error).
DATES: dict[str, date | None | str] = {
    "": "",
    "2026-01-31": date(2026, 1, 31),
    "01/31/2026": date(2026, 1, 31),
    "2025-12-01": date(2025, 12, 1),
    "2026-02-30": None,
    "31/01/2026": None,
    "soon": None,
}

SEEDED_TEXT = [
    "Zoë Müller",
    "O'Brien, Pat",
    'He said "hi"',
    "a;b;c",
    "tab\tinside",
    "  padded  ",
    "=1+2",
    '=HYPERLINK("http://x")',
    "+SUM(A1)",
    "@cmd",
    "-2",
    "#REF!",
    " #N/A",
    "名前 テスト",
    "emoji 🎉",
    "\ufeffbom-inside",
    "nul\x00inside",
    "esc\x1b[31m",
    "bell\x07",
    "x" * MAX_CELL_CHARS,
    "y" * (MAX_CELL_CHARS + 1),
    "line\nbreak",
    " ",
    "",
]

# CSV text may hold anything but a line break (a seed holds one); a workbook cannot hold
# control characters at all (openpyxl refuses to write them).
csv_text = st.one_of(
    st.sampled_from(SEEDED_TEXT),
    st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\r\n"), max_size=24),
)
xlsx_text = st.one_of(
    st.sampled_from([t for t in SEEDED_TEXT if not CONTROL.search(t)]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=24),
)


def bad_cell(value: str, *, excel: bool) -> bool:
    """A value no reader may store as it stands (docs/formats.md, "Refused")."""
    if CONTROL.search(value) or len(value) > MAX_CELL_CHARS:
        return True
    if not excel and ("\n" in value or "\r" in value):
        return True
    return excel and ((len(value) > 1 and value.startswith("=")) or value.strip() in EXCEL_ERRORS)


def writable_in_xlsx(value: str) -> bool:
    """openpyxl cannot put control characters in a workbook at all."""
    return not CONTROL.search(value) and len(value) <= 32767


@dataclass
class Spec:
    """One file's rows as written, and what the model says about them."""

    header: list[str]
    rows: list[list[str]]
    bad_rows: set[int] = field(default_factory=set)  # spreadsheet row numbers that must be refused
    expected: list = field(default_factory=list)  # what is stored when nothing is bad

    @property
    def valid(self) -> bool:
        return not self.bad_rows


def _row_number(index: int) -> int:
    return index + 2  # header = row 1


def _cells_bad(row: list[str], excel: bool) -> bool:
    return any(bad_cell(value, excel=excel) for value in row)


def _blank(row) -> bool:
    """A row whose every value is empty or spaces is no row at all (but keeps its number)."""
    return all(not value.strip() for value in row)


# ---------------------------------------------------------------- roster


def roster_row(text):
    return st.tuples(
        st.one_of(st.sampled_from(ROSTER_IDS + ["T1", "t1", " T2 ", ""]), text),  # employee_id
        text,  # name
        st.one_of(st.just(""), text),  # title
        st.sampled_from(["", "active", "Leave", "SEPARATED", "retired"]),  # status
        st.sampled_from(list(DATES)),  # status_date
    )


def roster_spec(rows: list[tuple], *, excel: bool) -> Spec:
    spec = Spec(["employee_id", "name", "title", "status", "status_date"], [list(r) for r in rows])
    seen: set[str] = set()
    for index, (employee_id, name, title, status, status_date) in enumerate(rows):
        if _blank(rows[index]):
            continue
        number, bad = _row_number(index), _cells_bad(list(rows[index]), excel)
        key = employee_id.strip()
        status_text = status.strip().lower() or "active"
        when = DATES[status_date]
        bad |= not key or not name.strip() or status_text not in ("active", "leave", "separated")
        bad |= when is None or (status_text == "separated" and when == "")
        if key and key.casefold() in seen:
            bad = True
        seen.add(key.casefold())
        if bad:
            spec.bad_rows.add(number)
        else:
            spec.expected.append((key, name.strip(), title.strip(), status_text, when or None))
    return spec


def stored_roster(people) -> list[tuple]:
    return [(p.employee_id, p.name, p.title, p.status, p.status_date) for p in people]


# ---------------------------------------------------------------- inventory resources

SELECTORS = {
    "ad:group:SpEd Staff": True,
    "google:drive:Nurse; entra:app:PowerSchool SIS": True,
    "ad:group:Ok; :group:Missing Source": False,
    "ad group SpEd": False,
    "": False,
}
CLASSIFICATIONS = {
    "confidential": "confidential",
    "Critical": "critical",
    "BOTH": "both",
    "secret": None,
    "": None,
}
MANAGERS = {
    "E0001": "E0001",
    "lortega@district.org": "E0002",
    "": "",
    "E7777": None,
    "nobody@x.org": None,
}
RULES = {
    "": True,
    "*": True,
    "department=Special Education & person_type=employee": True,
    "shoe_size=9": False,
    "title=Principal|": False,
}


def inventory_row(text):
    return st.tuples(
        text,  # resource
        st.sampled_from(list(CLASSIFICATIONS)),  # classification
        st.sampled_from(list(MANAGERS)),  # data_manager
        st.sampled_from(list(SELECTORS)),  # entitlements
        st.sampled_from(list(RULES)),  # authorized
    )


def inventory_spec(rows: list[tuple], *, excel: bool) -> Spec:
    spec = Spec(
        ["resource", "classification", "data_manager", "entitlements", "authorized"],
        [list(r) for r in rows],
    )
    seen: set[str] = set()
    for index, (name, classification, manager, selectors, rules) in enumerate(rows):
        if _blank(rows[index]):
            continue
        bad = _cells_bad(list(rows[index]), excel) or not name.strip()
        bad |= CLASSIFICATIONS[classification] is None or MANAGERS[manager] is None
        bad |= not SELECTORS[selectors] or not RULES[rules]
        if name.strip() and name.strip().casefold() in seen:
            bad = True
        seen.add(name.strip().casefold())
        if bad:
            spec.bad_rows.add(_row_number(index))
        else:
            spec.expected.append((name.strip(), CLASSIFICATIONS[classification], MANAGERS[manager]))
    return spec


def stored_resources(inventory) -> list[tuple]:
    return [(r.name, r.classification, r.data_manager) for r in inventory.resources]


# ---------------------------------------------------------------- app approvals

APPROVED = {"yes": True, "No": False, "approved": True, "": False, "maybe": None}


def apps_row(text):
    return st.tuples(
        st.one_of(st.just(""), text),  # app
        st.one_of(
            st.just(""),
            st.sampled_from(["quiz-1", "QUIZ-1", "gb.apps.googleusercontent.com"]),
            text,
        ),
        st.sampled_from(list(APPROVED)),  # approved
        st.sampled_from(list(DATES)),  # approved_on
    )


def apps_spec(rows: list[tuple], *, excel: bool) -> Spec:
    spec = Spec(["app", "client_id", "approved", "approved_on"], [list(r) for r in rows])
    seen: set[str] = set()
    for index, (app, client_id, approved, approved_on) in enumerate(rows):
        if _blank(rows[index]):
            continue
        bad = _cells_bad(list(rows[index]), excel) or (not app.strip() and not client_id.strip())
        bad |= APPROVED[approved] is None or DATES[approved_on] is None
        if client_id.strip():
            bad |= client_id.strip().casefold() in seen
            seen.add(client_id.strip().casefold())
        if bad:
            spec.bad_rows.add(_row_number(index))
        else:
            spec.expected.append(
                (app.strip(), client_id.strip(), APPROVED[approved], DATES[approved_on] or None)
            )
    return spec


def stored_apps(inventory) -> list[tuple]:
    return [(a.app, a.client_id, a.approved, a.approved_on) for a in inventory.apps]


# ---------------------------------------------------------------- holds


def holds_row(text):
    return st.tuples(
        st.one_of(st.sampled_from(["E0004", "sprice@district.org", "ad:account:1b2c"]), text),
        text,  # matter
        st.sampled_from(list(DATES)),  # since
        st.sampled_from(list(DATES)),  # released
    )


def holds_spec(rows: list[tuple], *, excel: bool) -> Spec:
    spec = Spec(["subject", "matter", "since", "released"], [list(r) for r in rows])
    for index, (subject, matter, since, released) in enumerate(rows):
        if _blank(rows[index]):
            continue
        start, end = DATES[since], DATES[released]
        bad = _cells_bad(list(rows[index]), excel) or not subject.strip() or not matter.strip()
        bad |= start is None or end is None or (bool(start) and bool(end) and end < start)
        if bad:
            spec.bad_rows.add(_row_number(index))
        else:
            spec.expected.append((subject.strip(), matter.strip(), start or None, end or None))
    return spec


def stored_holds(inventory) -> list[tuple]:
    return [(h.subject, h.matter, h.since, h.released) for h in inventory.holds]


# ---------------------------------------------------------------- writing the files


def csv_bytes(spec: Spec, *, delimiter: str = ",", bom: bool = False, crlf: bool = False) -> bytes:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n" if crlf else "\n").writerows(
        [spec.header, *spec.rows]
    )
    return (b"\xef\xbb\xbf" if bom else b"") + out.getvalue().encode("utf-8")


def add_sheet(workbook, title: str, spec: Spec, *, first: bool = False) -> None:
    sheet = workbook.active if first else workbook.create_sheet(title)
    sheet.title = title
    sheet.append(spec.header)
    for row in spec.rows:
        sheet.append([value if value != "" else None for value in row])


# ---------------------------------------------------------------- rows that are good on their own

_GOOD_TEXT = st.sampled_from(["Ann", "Zoë Müller", "O'Brien, Pat", 'He said "hi"', "b", "名前"])


@st.composite
def good_rows(draw, part: str) -> list[tuple]:
    """1-6 rows the model accepts, so that what damage does to them is all that is judged."""
    n = draw(st.integers(1, 6))
    keys = draw(
        st.lists(
            st.sampled_from(ROSTER_IDS + ["T1", "T2", "T3"]), min_size=n, max_size=n, unique=True
        )
    )
    rows = []
    for key in keys:
        text = draw(_GOOD_TEXT)
        if part == "roster":
            rows.append(
                (key, text, draw(_GOOD_TEXT), draw(st.sampled_from(["", "active", "Leave"])), "")
            )
        elif part == "resources":
            rows.append(
                (
                    f"{text} {key}",
                    draw(st.sampled_from(["confidential", "Critical", "BOTH"])),
                    draw(st.sampled_from(["E0001", "lortega@district.org", ""])),
                    draw(
                        st.sampled_from(
                            ["ad:group:SpEd Staff", "google:drive:Nurse; entra:app:PowerSchool SIS"]
                        )
                    ),
                    draw(
                        st.sampled_from(
                            ["", "*", "department=Special Education & person_type=employee"]
                        )
                    ),
                )
            )
        elif part == "apps":
            rows.append(
                (
                    text,
                    f"client-{key}",
                    draw(st.sampled_from(["yes", "No", ""])),
                    draw(st.sampled_from(["", "2026-01-31", "01/31/2026"])),
                )
            )
        else:
            rows.append(
                (
                    key,
                    text,
                    draw(st.sampled_from(["", "2025-12-01"])),
                    draw(st.sampled_from(["", "2026-01-31"])),
                )
            )
    return rows
