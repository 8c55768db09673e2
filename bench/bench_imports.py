"""Import benchmark: what reading a roster costs now that nothing is dropped or guessed
(issue 14), side by side with what any reader must pay, in one run.

For a roster of N people (CSV and XLSX, as HR exports it), medians over --runs of:
- csv floor:        csv.reader over the decoded text — the least any CSV read costs;
- read CSV:         tabular.read_table (quotes, control characters, lengths, headers checked);
- parse CSV:        roster.parse_roster (and every row validated into a Person);
- xlsx floor:       openpyxl read-only values of the sheet;
- read XLSX:        read_table of a workbook without formulas;
- read XLSX+f:      the same workbook with one calculated formula cell (a second pass looks
                    for formulas without a saved value);
- import first:     imports.import_roster into an empty store;
- import again:     the same file over itself (the change summary against N stored people).

With --against REV (e.g. main), roster.load_roster of this tree and of that git revision read
the same files in fresh child processes taking turns, for the ratio "this tree / REV" in the
same run; those figures are CPU seconds (time.process_time), which a busy shared machine
disturbs far less than wall-clock time.

Run:  python bench/bench_imports.py [--people 4000 40000] [--runs 5] [--against main]
"""

from __future__ import annotations

import argparse
import csv
import io
import shutil
import json
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

HEADER = [
    "Employee ID",
    "First Name",
    "Last Name",
    "E-mail",
    "Title",
    "Department",
    "Building",
    "Person Type",
    "Status",
    "Status Date",
    "Training Date",
    "Aliases",
]


def roster_rows(n: int) -> list[list[str]]:
    return [
        [
            f"E{i:06d}",
            "Zoë",
            f"Müller-{i}",
            f"p{i}@district.example.org",
            "Teacher",
            "Special Education",
            "North Elementary",
            "employee",
            "separated" if i % 50 == 0 else "active",
            "2026-06-30" if i % 50 == 0 else "",
            "2026-08-15",
            "",
        ]
        for i in range(n)
    ]


def write_files(folder: Path, n: int) -> dict[str, Path]:
    import openpyxl

    rows = roster_rows(n)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows([HEADER, *rows])
    paths = {
        "csv": folder / "roster.csv",
        "xlsx": folder / "roster.xlsx",
        "xlsx+f": folder / "roster-f.xlsx",
    }
    paths["csv"].write_bytes(b"\xef\xbb\xbf" + out.getvalue().encode("utf-8"))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("Staff")
    sheet.append(HEADER)
    for row in rows:
        sheet.append([value or None for value in row])
    workbook.save(paths["xlsx"])
    # The same workbook with one formula whose value a spreadsheet saved (openpyxl cannot
    # write a cached value, so the sheet XML is patched the way Excel writes it).
    formula = '<c r="E2" t="str"><f>UPPER("teacher")</f><v>TEACHER</v></c>'
    with (
        zipfile.ZipFile(paths["xlsx"]) as src,
        zipfile.ZipFile(paths["xlsx+f"], "w", zipfile.ZIP_DEFLATED) as dst,
    ):
        for item in src.infolist():
            data = src.read(item)
            if item.filename.startswith("xl/worksheets/"):
                text = data.decode("utf-8")
                start = text.index('<c r="E2"')
                end = text.index("</c>", start) + len("</c>")
                data = (text[:start] + formula + text[end:]).encode("utf-8")
            dst.writestr(item, data)
    return paths


def median_seconds(run, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        run()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


# load_roster of each file in a fresh child process: one load to warm up (first-use costs
# such as compiling regular expressions are not what is compared), then the median of three.
# argv = tree, csv, xlsx.
_LOAD_ROSTER = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from access_review.roster import load_roster
out = {}
for kind, path in (("csv", sys.argv[2]), ("xlsx", sys.argv[3])):
    load_roster(path)
    times = []
    for _ in range(3):
        t = time.process_time(); load_roster(path); times.append(time.process_time() - t)
    out[kind] = statistics.median(times)
print(json.dumps(out))
"""


def load_roster_seconds(
    trees: dict[str, Path], paths: dict[str, Path], runs: int
) -> dict[str, dict[str, float]]:
    """Median seconds per tree and file kind. The trees take turns, run after run, so that
    a busy moment on a shared machine falls on both alike."""
    times: dict[str, dict[str, list[float]]] = {name: {"csv": [], "xlsx": []} for name in trees}
    for _ in range(runs):
        for name, tree in trees.items():
            done = subprocess.run(  # noqa: S603 (this Python, a fixed script, files the bench wrote)
                [
                    sys.executable,
                    "-c",
                    _LOAD_ROSTER,
                    str(tree),
                    str(paths["csv"]),
                    str(paths["xlsx"]),
                ],
                capture_output=True,
                text=True,
                check=True,
            )
            for kind, seconds in json.loads(done.stdout).items():
                times[name][kind].append(seconds)
    return {
        name: {kind: statistics.median(v) for kind, v in kinds.items()}
        for name, kinds in times.items()
    }


def export_revision(rev: str, folder: Path) -> Path:
    tree = folder / f"tree-{rev}"
    tree.mkdir()
    archive = subprocess.run(  # noqa: S603 (git from PATH, a revision the person running the bench names)
        ["git", "-C", str(ROOT), "archive", rev, "access_review"],  # noqa: S607 (git from PATH, a revision the person running the bench names)
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)  # noqa: S603, S607 (tar from PATH, a folder the bench made)
    return tree


def measure(n: int, runs: int, against: str | None = None) -> dict[str, float]:
    import openpyxl

    from access_review.config import load_config
    from access_review.imports import import_roster
    from access_review.roster import parse_roster
    from access_review.store import Store
    from access_review.tabular import read_table

    folder = Path(tempfile.mkdtemp(prefix="bench-imports-"))
    try:
        paths = write_files(folder, n)

        def csv_floor():
            text = paths["csv"].read_bytes().decode("utf-8-sig")
            return list(csv.reader(io.StringIO(text, newline="")))

        def xlsx_floor():
            workbook = openpyxl.load_workbook(paths["xlsx"], read_only=True, data_only=True)
            rows = list(workbook.worksheets[0].iter_rows(values_only=True))
            workbook.close()
            return rows

        config = folder / "access-review.toml"
        config.write_text(f'[store]\npath = "{folder / "s.db"}"\n')
        cfg = load_config(config)

        def import_first():
            (folder / "s.db").unlink(missing_ok=True)
            with Store(cfg.store_path) as store:
                import_roster(cfg, store, paths["csv"])

        def import_again():
            with Store(cfg.store_path) as store:
                import_roster(cfg, store, paths["csv"])

        figures = {
            "csv floor": median_seconds(csv_floor, runs),
            "read CSV": median_seconds(lambda: read_table(paths["csv"]), runs),
            "parse CSV": median_seconds(lambda: parse_roster(paths["csv"]), runs),
            "xlsx floor": median_seconds(xlsx_floor, runs),
            "read XLSX": median_seconds(lambda: read_table(paths["xlsx"]), runs),
            "read XLSX+f": median_seconds(lambda: read_table(paths["xlsx+f"]), runs),
            "import first": median_seconds(import_first, runs),
        }
        import_first()
        figures["import again"] = median_seconds(import_again, runs)
        if against:
            both = load_roster_seconds(
                {"this": ROOT, against: export_revision(against, folder)}, paths, runs
            )
            mine, theirs = both["this"], both[against]
            figures.update(
                {
                    "load CSV (cpu)": mine["csv"],
                    f"load CSV {against} (cpu)": theirs["csv"],
                    "load XLSX (cpu)": mine["xlsx"],
                    f"load XLSX {against} (cpu)": theirs["xlsx"],
                }
            )
        return figures
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="+", default=[4000, 40000])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--against", help="a git revision whose load_roster to compare with")
    args = parser.parse_args()
    for n in args.people:
        f = measure(n, args.runs, args.against)
        print(f"\n{n:,} people, medians of {args.runs} runs (seconds):")
        for name, seconds in f.items():
            print(f"  {name:<26} {seconds:8.3f}")
        print(
            f"  ratios: read CSV / csv floor {f['read CSV'] / f['csv floor']:.1f}x;  "
            f"read XLSX / xlsx floor {f['read XLSX'] / f['xlsx floor']:.2f}x;  "
            f"XLSX with a formula / without {f['read XLSX+f'] / f['read XLSX']:.2f}x;  "
            f"import again / first {f['import again'] / f['import first']:.2f}x"
        )
        if args.against:
            print(
                f"  load_roster CPU time, this tree / {args.against}: CSV "
                f"{f['load CSV (cpu)'] / f[f'load CSV {args.against} (cpu)']:.2f}x, XLSX "
                f"{f['load XLSX (cpu)'] / f[f'load XLSX {args.against} (cpu)']:.2f}x"
            )


if __name__ == "__main__":
    main()
