"""A corpus of bad input files — mangled rosters, inventories, app and hold registers (CSV) and
damaged workbooks (XLSX), like the hostile-input review behind issue 14 — run through the
`access-review roster import` / `inventory import` commands against a store holding a
298-person roster, an inventory and both registers. Counts, per kind of file:

- tried: bad inputs run;
- clear: refused with exactly one `error:` line naming the file, a known exit code (3 bad
  input, 8 needs --yes), no traceback;
- tracebacks: an exception escaped (or "Traceback" was printed);
- store changes: any table, or the audit head, differs afterwards;
- accepted: exit 0 — a bad input stored.

    python3 tests/bad_input_corpus.py               # in-process (typer's CliRunner)
    python3 tests/bad_input_corpus.py --subprocess  # each run a real `python3 -m access_review`

tests/test_bad_input_corpus.py runs it in the suite and wants clear == tried.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import openpyxl

sys.path.insert(0, str(Path(__file__).resolve().parent))  # tests/ (run as a script)
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the worktree's code first

from import_workspace import APPS, HOLDS, INVENTORY, ROSTER, Workspace, build_workspace  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
KNOWN_EXIT_CODES = {3, 8}


@dataclass(frozen=True)
class BadInput:
    kind: str  # "roster csv", "inventory csv", "apps csv", "holds csv", "roster xlsx", "inventory xlsx"
    name: str
    file_name: str
    data: bytes | None  # None: the file does not exist
    extra: tuple[str, ...] = ()  # more arguments (--sheet ..., a second file)


# ---------------------------------------------------------------- files to start from


def roster_298() -> bytes:
    extra = "".join(
        f"E{i:05d},Staff,Member {i},s{i}@district.org,Teacher,,,employee,active,,,\n"
        for i in range(10, 302)
    )
    return (ROSTER.read_text() + extra).encode("utf-8")


def lines_of(data: bytes) -> list[bytes]:
    return data.split(b"\n")


def joined(lines: list[bytes]) -> bytes:
    return b"\n".join(lines)


def replace_line(data: bytes, index: int, new: bytes) -> bytes:
    lines = lines_of(data)
    lines[index] = new
    return joined(lines)


def insert_in_line(data: bytes, index: int, at: int, text: bytes) -> bytes:
    lines = lines_of(data)
    lines[index] = lines[index][:at] + text + lines[index][at:]
    return joined(lines)


def workbook_bytes(sheets: dict[str, list[list]], *, formulas: bool = True) -> bytes:
    workbook = openpyxl.Workbook()
    for position, (title, rows) in enumerate(sheets.items()):
        sheet = workbook.active if position == 0 else workbook.create_sheet()
        sheet.title = title
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def csv_rows(path: Path) -> list[list]:
    import csv

    return [[cell or None for cell in row] for row in csv.reader(path.read_text().splitlines())]


def inventory_sheets(**changes) -> dict[str, list[list]]:
    sheets = {"Resources": csv_rows(INVENTORY), "Apps": csv_rows(APPS), "Holds": csv_rows(HOLDS)}
    sheets.update(changes)
    return {k: v for k, v in sheets.items() if v is not None}


def rezip(data: bytes, change: Callable[[str, bytes], bytes | None]) -> bytes:
    """The same workbook with parts changed (or dropped, when ``change`` returns None)."""
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as src,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            new = change(item.filename, src.read(item))
            if new is not None:
                dst.writestr(item.filename, new)
    return out.getvalue()


# ---------------------------------------------------------------- the corpus


def csv_variants(kind: str, good: bytes, *, data_row: int = 1) -> list[tuple[str, bytes]]:
    """Bad versions of a good CSV, the ways files get mangled on the way to the ISO."""
    lines = lines_of(good)
    header = lines[0]
    xlsx = workbook_bytes({"Sheet1": [["a", "b"], ["1", "2"]]})
    return [
        ("unclosed quote mid-file", insert_in_line(good, data_row, 0, b'"')),
        (
            "unclosed quote on the last row",
            joined(lines[:-1]) + b'\n"' + lines[-2] if lines[-1] == b"" else good + b'\n"x',
        ),
        (
            "quote closed rows later",
            insert_in_line(insert_in_line(good, data_row, 0, b'"'), data_row + 2, 1, b'"'),
        ),
        ("header only", header + b"\n"),
        ("header only with BOM", b"\xef\xbb\xbf" + header + b"\r\n"),
        ("empty file", b""),
        ("blank lines only", b"\n\n \n"),
        ("row longer than the header", replace_line(good, data_row, lines[data_row] + b",extra")),
        ("NUL byte in a value", insert_in_line(good, data_row, 2, b"\x00")),
        ("escape sequence in a value", insert_in_line(good, data_row, 2, b"\x1b[2J")),
        ("cp1252 byte", insert_in_line(good, data_row, 2, b"\xe9")),
        ("UTF-16 file", good.decode("utf-8").encode("utf-16")),
        ("semicolon-separated", good.replace(b",", b";")),
        ("tab-separated", good.replace(b",", b"\t")),
        ("a workbook named .csv", xlsx),
        ("an .xls workbook named .csv", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600),
        ("a 40,000-character value", insert_in_line(good, data_row, 2, b"x" * 40_000)),
        (
            "a quote opened in a 40,000-character value",
            insert_in_line(good, data_row, 0, b'"' + b"y" * 140_000),
        ),
        ("random bytes", bytes(range(256)) * 8),
        ("cut inside a quoted value", joined(lines[:2]) + b'\n"cut mid'),
        ("duplicate header meaning", replace_line(good, 0, header + b"," + header.split(b",")[0])),
    ]


def build_corpus() -> list[BadInput]:
    corpus: list[BadInput] = []
    roster = roster_298()
    for name, data in csv_variants("roster csv", roster, data_row=5):
        corpus.append(BadInput("roster csv", name, "roster.csv", data))
    lines = lines_of(roster)
    corpus += [
        BadInput(
            "roster csv",
            "missing employee id column",
            "roster.csv",
            replace_line(roster, 0, lines[0].replace(b"Employee ID", b"Staff Number X")),
        ),
        BadInput("roster csv", "duplicate employee id", "roster.csv", roster + lines[1] + b"\n"),
        BadInput(
            "roster csv",
            "status not in the list",
            "roster.csv",
            roster.replace(b",active,", b",retired,", 1),
        ),
        BadInput(
            "roster csv",
            "separated without a date",
            "roster.csv",
            roster.replace(b"active,,", b"separated,,", 1),
        ),
        BadInput(
            "roster csv",
            "day-first date",
            "roster.csv",
            roster.replace(b"2026-08-15", b"15/08/2026"),
        ),
        BadInput(
            "roster csv", "60% of the people missing", "roster.csv", joined(lines[:120]) + b"\n"
        ),
        BadInput("roster csv", "wrong file type", "roster.txt", roster),
        BadInput("roster csv", "file not found", "missing.csv", None),
    ]
    inventory, apps, holds = INVENTORY.read_bytes(), APPS.read_bytes(), HOLDS.read_bytes()
    for name, data in csv_variants("inventory csv", inventory)[:16]:
        corpus.append(BadInput("inventory csv", name, "inventory.csv", data))
    inv_lines = lines_of(inventory)
    corpus += [
        BadInput(
            "inventory csv",
            "unknown data manager",
            "inventory.csv",
            inventory.replace(b",E0002,", b",E9999,"),
        ),
        BadInput(
            "inventory csv",
            "bad selector",
            "inventory.csv",
            inventory.replace(b"ad:group:SpEd Staff", b"ad group SpEd"),
        ),
        BadInput(
            "inventory csv", "duplicate resource", "inventory.csv", inventory + inv_lines[1] + b"\n"
        ),
        BadInput(
            "inventory csv",
            "half the resources gone",
            "inventory.csv",
            joined(inv_lines[:3]) + b"\n",
        ),
    ]
    for kind, good in (("apps csv", apps), ("holds csv", holds)):
        for name, data in csv_variants(kind, good)[:14]:
            corpus.append(BadInput(kind, name, f"{kind.split()[0]}.csv", data))
    corpus += [
        BadInput(
            "apps csv", "approved is 'maybe'", "apps.csv", apps.replace(b",yes,", b",maybe,", 1)
        ),
        BadInput("apps csv", "an approval dropped", "apps.csv", joined(lines_of(apps)[:3]) + b"\n"),
        BadInput(
            "holds csv",
            "a hold released",
            "holds.csv",
            holds.replace(b"2026-07-01,\n", b"2026-07-01,2026-12-01\n", 1),
        ),
        BadInput("holds csv", "a hold dropped", "holds.csv", joined(lines_of(holds)[:3]) + b"\n"),
        BadInput(
            "holds csv",
            "released before it began",
            "holds.csv",
            holds.replace(b"2025-03-01,2025-12-01", b"2025-03-01,2024-12-01"),
        ),
    ]

    # Workbooks.
    staff = [["Employee ID", "Name", "Status", "Status Date"]] + [
        [f"E{i:04d}" if i < 5 else f"X{i}", f"Person {i}", "active", None] for i in range(1, 7)
    ]
    good_roster = workbook_bytes({"Staff": staff})
    with_formula = workbook_bytes(
        {"Staff": staff + [["E0004", "Sam Price", '=IF(TRUE,"separated","active")', "2026-06-30"]]}
    )

    def cut_sheet(name: str, data: bytes) -> bytes:
        return data[: len(data) // 2] if name.startswith("xl/worksheets/") else data

    corpus += [
        BadInput("roster xlsx", name, "roster.xlsx", data, extra)
        for name, data, extra in [
            ("formula without a saved value", with_formula, ()),
            (
                "Excel error value",
                workbook_bytes({"Staff": staff + [["X9", "Err", "#REF!", None]]}),
                (),
            ),
            ("sheet XML cut short", rezip(good_roster, cut_sheet), ()),
            (
                "workbook.xml missing",
                rezip(good_roster, lambda n, d: None if n == "xl/workbook.xml" else d),
                (),
            ),
            (
                "styles.xml broken",
                rezip(good_roster, lambda n, d: b"<styleSheet" if n == "xl/styles.xml" else d),
                (),
            ),
            ("zip cut in half", good_roster[: len(good_roster) // 2], ()),
            (
                "a byte flipped in compressed data",
                good_roster[:600] + bytes([good_roster[600] ^ 0x5A]) + good_roster[601:],
                (),
            ),
            ("CSV text named .xlsx", ROSTER.read_bytes(), ()),
            (
                "an .xls workbook named .xlsx",
                b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600,
                (),
            ),
            ("no such sheet", good_roster, ("--sheet", "People")),
            ("header-only sheet", workbook_bytes({"Staff": staff[:1]}), ()),
            (
                "value under an empty header",
                workbook_bytes({"Staff": [["Employee ID", "Name", None], ["E1", "Ann", "stray"]]}),
                (),
            ),
            (
                "a 5,000-character cell",
                workbook_bytes({"Staff": staff + [["X8", "z" * 5000, "active", None]]}),
                (),
            ),
        ]
    ]
    corpus += [
        BadInput("inventory xlsx", name, "inventory.xlsx", data)
        for name, data in [
            ("Holds sheet missing", workbook_bytes(inventory_sheets(Holds=None))),
            (
                "Holds sheet renamed 'Litigation Holds'",
                workbook_bytes(
                    {**inventory_sheets(Holds=None), "Litigation Holds": csv_rows(HOLDS)}
                ),
            ),
            (
                "Apps sheet renamed 'App Approvals'",
                workbook_bytes({**inventory_sheets(Apps=None), "App Approvals": csv_rows(APPS)}),
            ),
            (
                "Holds sheet header only",
                workbook_bytes(inventory_sheets(Holds=csv_rows(HOLDS)[:1])),
            ),
            (
                "Apps row longer than its header",
                workbook_bytes(
                    inventory_sheets(
                        Apps=csv_rows(APPS) + [["X", "x-1", "yes", None, None, "extra"]]
                    )
                ),
            ),
            (
                "formula in a classification",
                workbook_bytes(
                    inventory_sheets(
                        Resources=csv_rows(INVENTORY)
                        + [["Payroll", '=LOWER("CRITICAL")', "E0001", "ad:group:Payroll"]]
                    )
                ),
            ),
            ("Resources sheet XML cut short", rezip(workbook_bytes(inventory_sheets()), cut_sheet)),
            (
                "a sheet's part missing",
                rezip(
                    workbook_bytes(inventory_sheets()),
                    lambda n, d: None if n == "xl/worksheets/sheet2.xml" else d,
                ),
            ),
            ("zip cut in half", workbook_bytes(inventory_sheets())[:3000]),
            ("empty file", b""),
            (
                "a hold released",
                workbook_bytes(
                    inventory_sheets(
                        Holds=[
                            [c if c != "2026-07-01" else c for c in r] for r in csv_rows(HOLDS)[:2]
                        ]
                        + [["sprice@district.org", "Price v. District", "2026-07-01", "2026-12-01"]]
                    )
                ),
            ),
            (
                "half the resources gone",
                workbook_bytes(inventory_sheets(Resources=csv_rows(INVENTORY)[:3])),
            ),
        ]
    ]
    return corpus


# ---------------------------------------------------------------- running it


def command_for(item: BadInput, path: Path) -> list[str]:
    kind = item.kind.split()[0]
    if kind == "roster":
        return ["roster", "import", str(path), *item.extra]
    files = {"inventory": INVENTORY, "apps": APPS, "holds": HOLDS}
    files[kind] = path
    if item.kind == "inventory xlsx":  # the registers are the workbook's own sheets
        return ["inventory", "import", str(path)]
    return [
        "inventory",
        "import",
        str(files["inventory"]),
        "--apps",
        str(files["apps"]),
        "--holds",
        str(files["holds"]),
    ]


@dataclass(frozen=True)
class Outcome:
    item: BadInput
    exit_code: int
    output: str
    traceback: bool
    store_changed: bool

    @property
    def clear(self) -> bool:
        errors = [line for line in self.output.splitlines() if line.startswith("error:")]
        path_named = self.item.file_name in errors[0] if len(errors) == 1 else False
        return (
            self.exit_code in KNOWN_EXIT_CODES
            and len(errors) == 1
            and path_named
            and not self.traceback
            and not self.store_changed
        )


def run_one(base: Workspace, item: BadInput, folder: Path, *, real_process: bool) -> Outcome:
    ws = base.copy_to(folder / "ws")
    path = folder / item.file_name
    if item.data is not None:
        path.write_bytes(item.data)
    args = command_for(item, path)
    before = ws.dump()
    if real_process:
        env = {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "200"}
        done = subprocess.run(  # noqa: S603 (this Python, the app, arguments the corpus builds)
            [sys.executable, "-m", "access_review", *args, "--config", str(ws.config_path)],
            capture_output=True,
            text=True,
            env=env,
            cwd=folder,
            timeout=120,
        )
        output, code = done.stdout + done.stderr, done.returncode
        traceback = "Traceback" in output
    else:
        result = ws.run(*args)
        output, code = result.output, result.exit_code
        traceback = (
            result.exception is not None and not isinstance(result.exception, SystemExit)
        ) or "Traceback" in output
    return Outcome(item, code, output, traceback, ws.dump() != before)


def run_corpus(*, real_process: bool = False) -> list[Outcome]:
    with tempfile.TemporaryDirectory(prefix="ar-corpus-") as tmp:
        base = build_workspace(Path(tmp) / "base")
        with base.store() as store:
            from access_review.config import load_config
            from access_review.imports import import_roster

            roster = Path(tmp) / "roster-298.csv"
            roster.write_bytes(roster_298())
            import_roster(load_config(base.config_path), store, roster)
        outcomes = []
        for number, item in enumerate(build_corpus()):
            folder = Path(tmp) / f"case-{number}"
            folder.mkdir()
            outcomes.append(run_one(base, item, folder, real_process=real_process))
        return outcomes


def tally(outcomes: list[Outcome]) -> dict[str, Counter]:
    counts: dict[str, Counter] = {}
    for o in outcomes:
        for kind in (o.item.kind, "all"):
            c = counts.setdefault(kind, Counter())
            c["tried"] += 1
            c["clear"] += o.clear
            c["tracebacks"] += o.traceback
            c["store changes"] += o.store_changed
            c["accepted"] += o.exit_code == 0
    return counts


def main(argv: list[str]) -> int:
    real = "--subprocess" in argv
    outcomes = run_corpus(real_process=real)
    counts = tally(outcomes)
    columns = ("tried", "clear", "tracebacks", "store changes", "accepted")
    print(f"{'kind':<16}" + "".join(f"{c:>15}" for c in columns))
    for kind in [k for k in counts if k != "all"] + ["all"]:
        print(f"{kind:<16}" + "".join(f"{counts[kind][col]:>15}" for col in columns))
    unclear = [o for o in outcomes if not o.clear]
    for o in unclear:
        print(f"\nNOT CLEAR: {o.item.kind}: {o.item.name} (exit {o.exit_code})\n{o.output}")
    if "--show" in argv:
        for o in outcomes:
            line = next((text for text in o.output.splitlines() if text.startswith("error:")), "")
            print(f"{o.item.kind:<15} {o.item.name:<45} exit {o.exit_code}  {line[:150]}")
    return 1 if unclear else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
