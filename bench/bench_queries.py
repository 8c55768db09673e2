"""Query benchmark (issue 13 goal 1): each query at district scale as a whole process — process
start included — against the targets (<= 0.5 s, <= 150 MB), side by side with what every
query cost before the analysis was stored (the analysis rebuilt in the query's own process).

The district is generated and stored once (not timed); the stored analysis is brought up to
date as `access-review sync` does after reading the directories. Then each query runs as
`python -m access_review ...` in a fresh child, --runs times in turn; the figures are the
medians of wall-clock time and of the child's own peak memory (ru_maxrss from wait4).
"before" is one child that loads the snapshots and computes the analysis and findings from
scratch (what who/access/why/findings each did), timed the same way.

It also checks, at this scale, that what the queries print equals the analysis computed from
scratch (tests/test_stored_analysis.py does it for every query on the small demo).

Run:  python bench/bench_queries.py [--size district] [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TIME_TARGET, MEMORY_TARGET_MB = 0.5, 150


def prepare(size: str, folder: Path) -> dict:
    """Generate and store the district; bring the stored analysis up to date (as sync does)."""
    from access_review.config import load_config
    from access_review.demo import generate_district, write_demo
    from access_review.imports import import_inventory, import_roster
    from access_review.store import Store
    from access_review.stored_analysis import refresh_analysis

    district = generate_district(size)
    config_path = write_demo(folder, district)
    cfg = load_config(config_path)
    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
        for snap in district.snapshots.values():
            store.save_snapshot(snap)
        t = time.perf_counter()
        refresh_analysis(cfg, store)
        built = time.perf_counter() - t
    people = {p.employee_id: p for p in district.roster}
    return {
        "config": str(config_path),
        "build_s": built,
        "accounts": sum(len(s.accounts) for s in district.snapshots.values()),
        "memberships": sum(len(s.memberships) for s in district.snapshots.values()),
        "people": len(people),
    }


def pick_arguments(config: str) -> dict:
    """A person with accounts in three directories and access, and the largest resource."""
    from access_review.config import load_config
    from access_review.store import Store
    from access_review.stored_analysis import latest_stored_analysis

    cfg = load_config(config)
    with Store(cfg.store_path) as store:
        analysis = latest_stored_analysis(store)
        row = store.db.execute(
            "SELECT l.person, a.resource FROM analysis_access a JOIN analysis_links l ON l.account = a.account"
            " AND l.to_run IS NULL WHERE a.to_run IS NULL GROUP BY l.person"
            " HAVING COUNT(DISTINCT a.source) = 3 ORDER BY l.person LIMIT 1"
        ).fetchone()
        largest = store.db.execute(
            "SELECT resource, COUNT(*) n FROM analysis_access WHERE to_run IS NULL"
            " GROUP BY resource ORDER BY n DESC LIMIT 1"
        ).fetchone()[0]
        assert analysis is not None  # noqa: S101 (the bench checks its own premise)
    return {
        "person": row[0].split(":", 1)[1],
        "resource": row[1],
        "largest": largest,
        "surname": "Smith",
    }


def queries(args: dict) -> list[tuple[str, list[str]]]:
    p, r, big = args["person"], args["resource"], args["largest"]
    return [
        (f"who '{big}'", ["who", big]),
        (f"who '{r}' --format json", ["who", r, "--format", "json"]),
        (f"access {p}", ["access", p]),
        (f"why {p} '{r}'", ["why", p, r]),
        ("findings", ["findings"]),
        ("findings --severity high", ["findings", "--severity", "high"]),
        ("findings --type unauthorized", ["findings", "--type", "unauthorized"]),
        (f"findings --resource '{r}'", ["findings", "--resource", r]),
        (f"findings --person {p}", ["findings", "--person", p]),
        ("findings --format csv", ["findings", "--format", "csv"]),
        ("accounts --unmatched", ["accounts", "--unmatched"]),
        ("inventory check", ["inventory", "check"]),
        (f"access {args['surname']} (several match)", ["access", args["surname"]]),
    ]


def run_child(argv: list[str], env: dict) -> tuple[float, float, int, float]:
    """(seconds, peak MB, exit code, CPU seconds) of one child process. CPU time (user +
    system, from wait4) is what a busy shared machine disturbs least."""
    started = time.perf_counter()
    proc = subprocess.Popen(  # noqa: S603 (this Python with fixed arguments)
        argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, cwd=ROOT
    )
    proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, proc.returncode, usage.ru_utime + usage.ru_stime


def scratch_child(config: str) -> None:
    """What each query did before: the whole analysis and its findings, in this process."""
    from access_review.analysis import analyse
    from access_review.config import load_config
    from access_review.store import Store

    cfg = load_config(config)
    with Store(cfg.store_path) as store:
        a = analyse(cfg, store)
        _ = a.findings


def check_equal(config: str, args: dict, env: dict) -> list[str]:
    """What the stored-analysis queries print equals the analysis computed from scratch."""
    from access_review.analysis import analyse
    from access_review.config import load_config
    from access_review.finding_types import today_utc
    from access_review.graph import describe_path
    from access_review.records import level_label
    from access_review.store import Store

    cfg = load_config(config)
    with Store(cfg.store_path) as store:
        a = analyse(cfg, store, today=today_utc())
    problems = []

    def cli_json(*argv: str):
        out = subprocess.run(  # noqa: S603 (this Python with fixed arguments)
            [sys.executable, "-m", "access_review", *argv, "--format", "json", "--config", config],
            capture_output=True,
            env=env,
            cwd=ROOT,
            check=True,
        ).stdout
        return json.loads(out)

    who = cli_json("who", args["largest"])
    want = sorted(
        (x for x in a.access if x.resource == args["largest"]),
        key=lambda x: (x.person or "~", x.account),
    )
    if [(r["account_key"], r["level"], r["path"], r["authorized"]) for r in who] != [
        (
            x.account,
            level_label(x.level),
            describe_path(a.graph, x.path),
            a.is_authorized(a.inventory_by_name[x.resource], a.persons[x.person])[0]
            if x.person
            else False,
        )
        for x in want
    ]:
        problems.append(f"who '{args['largest']}' differs from the analysis computed from scratch")
    found = cli_json("findings", "--no-save")
    if [(f["type"], f["summary"], f["account_key"], f["path"]) for f in found] != [
        (f.type, f.summary, f.account or "", describe_path(a.graph, f.path) if f.path else "")
        for f in a.findings
    ]:
        problems.append("findings differ from the analysis computed from scratch")
    person = f"person:{args['person']}"
    accounts = set(a.correlation.accounts_of[person])
    access = cli_json("access", args["person"])
    if sorted((r["resource"], r["account_key"], r["level"]) for r in access) != sorted(
        (x.resource, x.account, level_label(x.level)) for x in a.access if x.account in accounts
    ):
        problems.append(f"access {args['person']} differs from the analysis computed from scratch")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="district")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        if mode == "prepare":
            print(json.dumps(prepare(rest[0], Path(rest[1]))))
        elif mode == "scratch":
            scratch_child(rest[0])
        return

    with tempfile.TemporaryDirectory(prefix=f"bench-queries-{args.size}-") as tmp:
        # The audit key of the bench's own store lives in the bench's folder, not the ISO's home.
        # Bytecode is cached (in the bench's folder) as an installed package's is: a query
        # process must not be timed compiling the tool's source.
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "COLUMNS": "120",
            "XDG_CONFIG_HOME": str(Path(tmp) / "xdg"),
            "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pycache"),
        }
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        out = subprocess.run(  # noqa: S603 (this same script with fixed arguments)
            [sys.executable, __file__, "--child", "prepare", args.size, tmp],
            check=True,
            capture_output=True,
            text=True,
            cwd=ROOT,
            env=env,
        )
        info = json.loads(out.stdout.strip().splitlines()[-1])
        config = info["config"]
        picked = pick_arguments(config)
        print(
            f"{args.size}: {info['people']:,} people, {info['accounts']:,} accounts, "
            f"{info['memberships']:,} memberships; stored analysis built in {info['build_s']:.1f} s "
            "(once per sync or import)"
        )
        cases = queries(picked)
        floors = [
            ("python -c pass", ["-c", "pass"]),
            ("access-review --version", ["-m", "access_review", "--version"]),
        ]
        times: dict[str, list[float]] = {name: [] for name, _ in [*cases, *floors]}
        cpu: dict[str, list[float]] = {name: [] for name, _ in [*cases, *floors]}
        peaks: dict[str, list[float]] = {name: [] for name, _ in [*cases, *floors]}
        codes: dict[str, int] = {}
        before_t, before_m, before_c = [], [], []
        for _name, argv in cases:  # warm-up, not timed: the bytecode cache is written
            run_child([sys.executable, "-m", "access_review", *argv, "--config", config], env)
        for _ in range(args.runs):  # in turn, so the shared machine's load falls on all alike
            for name, argv in [
                *[(n, ["-m", "access_review", *a, "--config", config]) for n, a in cases],
                *floors,
            ]:
                seconds, peak, code, used = run_child([sys.executable, *argv], env)
                times[name].append(seconds)
                peaks[name].append(peak)
                cpu[name].append(used)
                codes[name] = code
            seconds, peak, code, used = run_child(
                [sys.executable, __file__, "--child", "scratch", config], env
            )
            before_t.append(seconds)
            before_m.append(peak)
            before_c.append(used)
        os.environ["XDG_CONFIG_HOME"] = env["XDG_CONFIG_HOME"]
        problems = check_equal(config, picked, env)
    bt, bm, bc = (
        statistics.median(before_t),
        statistics.median(before_m),
        statistics.median(before_c),
    )
    print(
        f"medians of {args.runs} runs, each query a whole process; before = the analysis rebuilt in the "
        f"query's process: {bt:.2f} s ({bc:.2f} s CPU), {bm:.0f} MB"
    )
    print(f"  {'query':<52} {'seconds':>8} {'CPU s':>6} {'peak MB':>8} {'vs before':>10}  exit")
    worst_t = worst_m = 0.0
    for name, _ in [*cases, *floors]:
        t, m, c = (
            statistics.median(times[name]),
            statistics.median(peaks[name]),
            statistics.median(cpu[name]),
        )
        if (name, _) in cases:
            worst_t, worst_m = max(worst_t, t), max(worst_m, m)
        floor = " (floor)" if (name, _) in floors else ""
        print(
            f"  {(name + floor)[:52]:<52} {t:>8.2f} {c:>6.2f} {m:>8.0f} {t / bt:>9.2f}x  {codes[name]}"
        )
    ok_t, ok_m = worst_t <= TIME_TARGET, worst_m <= MEMORY_TARGET_MB
    print(
        f"slowest {worst_t:.2f} s (target <= {TIME_TARGET} s: {'met' if ok_t else 'MISSED'}), "
        f"largest {worst_m:.0f} MB (target <= {MEMORY_TARGET_MB} MB: {'met' if ok_m else 'MISSED'})"
    )
    print(
        "output equals the analysis computed from scratch: "
        + ("yes" if not problems else "; ".join(problems))
    )


if __name__ == "__main__":
    main()
