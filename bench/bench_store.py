"""Store growth benchmark (issue 13 goal 2): how much each district sync adds to the store.

One child process generates the demo district (seed 2026), imports its roster and inventory,
then syncs it through the demo connectors the way `access-review sync` does (a sync, then the
stored analysis brought up to date):
  sync 1          the first snapshot: its size is what every later figure is a share of;
  no change       the same directories again;
  churn 1..10     after 1 % of the directories changed (below), ten times in a row.
Sizes are of the store file after a WAL checkpoint (what the disk holds), and of the pages in
use (free pages inside the file are reused by later writes).

Churn, in every demo directory, each round (seeded): 1 % of accounts get a new title and a
new last sign-in; 1 % of groups a new e-mail address; 1 % of memberships change (half of them
removed, as many added: an account joins a group it was not in).

With --against REV (e.g. main) the same sequence runs again with that git revision's code,
side by side: before issue 13 every sync stored a whole copy of every snapshot.

Run:  python bench/bench_store.py [--size district] [--rounds 10] [--against main]
Targets: a sync that changes nothing adds < 1 % of one snapshot's size; after 1 % churn < 3 %.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NO_CHANGE_TARGET, CHURN_TARGET = 1.0, 3.0


def churn(state_file: Path, seed: int, share: float = 0.01) -> dict[str, int]:
    """Change ``share`` of every demo directory's accounts, groups and memberships."""
    rng = random.Random(seed)  # noqa: S311 (a seeded, repeatable churn, not security)
    changed = {"accounts": 0, "groups": 0, "memberships": 0}
    db = sqlite3.connect(state_file)
    with db:
        for (directory,) in db.execute("SELECT DISTINCT directory FROM accounts").fetchall():
            ids = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM accounts WHERE directory=? ORDER BY id", (directory,)
                )
            ]
            for account in rng.sample(ids, max(1, int(len(ids) * share))):
                db.execute(
                    "UPDATE accounts SET title=?, last_sign_in=? WHERE directory=? AND id=?",
                    (
                        f"Title {seed}-{rng.randrange(10_000)}",
                        f"2026-11-{rng.randint(1, 28):02d}T08:00:00+00:00",
                        directory,
                        account,
                    ),
                )
                changed["accounts"] += 1
            groups = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM groups_ WHERE directory=? ORDER BY id", (directory,)
                )
            ]
            for group in rng.sample(groups, max(1, int(len(groups) * share))):
                db.execute(
                    "UPDATE groups_ SET email=? WHERE directory=? AND id=?",
                    (f"g{seed}-{rng.randrange(10_000)}@district.example.org", directory, group),
                )
                changed["groups"] += 1
            pairs = db.execute(
                "SELECT group_id, member_id FROM memberships WHERE directory=? AND member_type='account'"
                " ORDER BY group_id, member_id",
                (directory,),
            ).fetchall()
            half = max(1, int(len(pairs) * share / 2))
            for group, member in rng.sample(pairs, half):
                db.execute(
                    "DELETE FROM memberships WHERE directory=? AND group_id=? AND member_id=?",
                    (directory, group, member),
                )
            existing = set(pairs)
            added = 0
            while added < half:
                pair = (rng.choice(groups), rng.choice(ids))
                if pair in existing:
                    continue
                existing.add(pair)
                db.execute(
                    "INSERT INTO memberships (directory, group_id, member_id, member_type, role)"
                    " VALUES (?,?,?,'account',NULL)",
                    (directory, *pair),
                )
                added += 1
            changed["memberships"] += 2 * half
    db.close()
    return changed


def sizes(store_path: Path) -> tuple[int, int]:
    """(file bytes, bytes of pages in use) after a checkpoint."""
    db = sqlite3.connect(store_path)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    page = db.execute("PRAGMA page_size").fetchone()[0]
    used = (
        db.execute("PRAGMA page_count").fetchone()[0]
        - db.execute("PRAGMA freelist_count").fetchone()[0]
    ) * page
    db.close()
    return store_path.stat().st_size, used


def sequence(size: str, folder: Path, rounds: int) -> None:
    """The child: one JSON line per step."""
    from access_review.cli.connectors import connector_factory
    from access_review.config import load_config
    from access_review.demo import generate_district, write_demo
    from access_review.imports import import_inventory, import_roster
    from access_review.store import Store
    from access_review.sync import run_sync

    try:
        from access_review.stored_analysis import refresh_analysis
    except ImportError:  # a revision from before the stored analysis
        refresh_analysis = None

    config_path = write_demo(folder, generate_district(size))
    cfg = load_config(config_path)

    def step(label: str) -> None:
        t = time.perf_counter()
        with Store(cfg.store_path) as store:
            results = run_sync(cfg, store, connector_factory(cfg, cache=False))
            assert all(r.ok for r in results), [r.error for r in results]  # noqa: S101 (the bench checks its own premise)
            synced = sizes(cfg.store_path)
            if refresh_analysis is not None:
                refresh_analysis(cfg, store)
        file_bytes, used = sizes(cfg.store_path)
        print(
            json.dumps(
                {
                    "step": label,
                    "file": file_bytes,
                    "used": used,
                    "after_sync_file": synced[0],
                    "seconds": time.perf_counter() - t,
                }
            ),
            flush=True,
        )

    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
    file_bytes, used = sizes(cfg.store_path)
    print(
        json.dumps(
            {
                "step": "imports",
                "file": file_bytes,
                "used": used,
                "after_sync_file": file_bytes,
                "seconds": 0,
            }
        ),
        flush=True,
    )
    step("sync 1")
    step("no change")
    state = folder / "demo-directory.db"
    for n in range(1, rounds + 1):
        churn(state, seed=n)
        step(f"churn {n}")


def export_revision(rev: str, folder: Path) -> Path:
    tree = folder / f"tree-{rev}"
    tree.mkdir()
    archive = subprocess.run(  # noqa: S603 (git from PATH, a revision the person running the bench names)
        [  # noqa: S607 (git from PATH, a revision the person running the bench names)
            "git",
            "-C",
            str(ROOT),
            "archive",
            rev,
            "access_review",
            "connectors",
            "campaigns",
            "exports",
        ],
        capture_output=True,
        check=True,
    ).stdout
    subprocess.run(["tar", "-x", "-C", str(tree)], input=archive, check=True)  # noqa: S603, S607 (tar from PATH, a folder the bench made)
    return tree


def run(tree: Path, size: str, rounds: int, folder: Path) -> list[dict]:
    env = {**os.environ, "PYTHONPATH": str(tree), "XDG_CONFIG_HOME": str(folder / "xdg")}
    proc = subprocess.run(  # noqa: S603 (this same script with fixed arguments)
        [sys.executable, __file__, "--child", size, str(folder), str(rounds)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tree,
        check=False,
    )
    if proc.returncode:
        raise SystemExit(proc.stderr[-3000:])
    return [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]


def report(label: str, steps: list[dict]) -> dict[str, float]:
    base = steps[0]
    first = next(s for s in steps if s["step"] == "sync 1")
    snapshot = first["file"] - base["file"]
    print(
        f"\n{label}: one snapshot (sync 1, with its analysis where stored) = {snapshot / 1e6:,.1f} MB"
    )
    print(
        f"  {'step':<11} {'store MB':>9} {'in use MB':>10} {'added MB':>9} {'added % of snapshot':>20} {'seconds':>8}"
    )
    previous = first
    figures = {}
    for s in steps:
        if s["step"] in ("imports",):
            continue
        added = s["file"] - (previous["file"] if s is not first else base["file"])
        share = 100 * added / snapshot
        figures[s["step"]] = share
        print(
            f"  {s['step']:<11} {s['file'] / 1e6:>9.1f} {s['used'] / 1e6:>10.1f} {added / 1e6:>9.2f} "
            f"{share:>19.2f}% {s['seconds']:>8.1f}"
        )
        previous = s
    churns = [v for k, v in figures.items() if k.startswith("churn")]
    if churns:
        print(
            f"  no change: +{figures['no change']:.2f}% (target < {NO_CHANGE_TARGET}%); 1 % churn: "
            f"median +{sorted(churns)[len(churns) // 2]:.2f}%, largest +{max(churns):.2f}% (target < {CHURN_TARGET}%)"
        )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="district")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument(
        "--against", help="a git revision to run the same sequence with, side by side"
    )
    parser.add_argument("--child", nargs=3)
    args = parser.parse_args()
    if args.child:
        size, folder, rounds = args.child
        sys.path.insert(0, os.environ.get("PYTHONPATH", str(ROOT)))
        sequence(size, Path(folder), int(rounds))
        return
    with tempfile.TemporaryDirectory(prefix="bench-store-") as tmp:
        mine = run(ROOT, args.size, args.rounds, Path(tmp) / "this")
        figures = {"this tree": report("this tree", mine)}
        if args.against:
            tree = export_revision(args.against, Path(tmp))
            theirs = run(tree, args.size, args.rounds, Path(tmp) / args.against)
            figures[args.against] = report(args.against, theirs)
            last = f"churn {args.rounds}"
            print(
                f"\nstore after {args.rounds + 2} syncs: this tree {mine[-1]['file'] / 1e6:,.0f} MB, "
                f"{args.against} {theirs[-1]['file'] / 1e6:,.0f} MB "
                f"({theirs[-1]['file'] / mine[-1]['file']:.1f}x); a churn sync adds {figures['this tree'][last]:.2f}% "
                f"against {figures[args.against][last]:.0f}%"
            )


if __name__ == "__main__":
    main()
