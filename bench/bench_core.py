"""Core pipeline benchmark: load -> graph -> effective access -> findings.

For each size, a child process generates the demo district and stores it (not timed); then
fresh child processes run the pipeline from the store, each reporting every stage's time and
its own peak memory (ru_maxrss of that child only). Figures are medians over --runs.

Run:  python bench/bench_core.py [--sizes district state] [--runs 3]
Targets (issue 2): district pipeline <= 3x its load time and <= 1.5 GB peak;
state pipeline <= 12x the district pipeline time.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def prepare(size: str, folder: Path) -> dict:
    """Generate the district, import roster and inventory, store the three snapshots."""
    from access_review.imports import import_inventory, import_roster
    from access_review.config import load_config
    from access_review.demo import generate_district, write_demo
    from access_review.store import Store

    t = time.perf_counter()
    district = generate_district(size)
    generated = time.perf_counter() - t
    config_path = write_demo(folder, district)
    cfg = load_config(config_path)
    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
        for snap in district.snapshots.values():
            store.save_snapshot(snap)
    memberships = sum(len(s.memberships) for s in district.snapshots.values())
    accounts = sum(len(s.accounts) for s in district.snapshots.values())
    return {
        "config": str(config_path),
        "as_of": district.as_of.isoformat(),
        "generate_s": generated,
        "memberships": memberships,
        "accounts": accounts,
        "people": len(district.roster),
    }


def pipeline(config_path: str, as_of: str) -> dict:
    from datetime import date

    from access_review.analysis import Analysis, load_inventory_from_store
    from access_review.config import load_config
    from access_review.store import Store

    cfg = load_config(config_path)
    t0 = time.perf_counter()
    with Store(cfg.store_path) as store:
        snapshots = store.latest_snapshots()
        roster = store.load_roster()
        inventory = load_inventory_from_store(store, roster)
    load = time.perf_counter() - t0
    a = Analysis(
        config=cfg,
        snapshots=snapshots,
        persons={p.key: p for p in roster},
        inventory=inventory,
        today=date.fromisoformat(as_of),
    )
    found = a.findings
    total = time.perf_counter() - t0
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "load": load,
        "graph": a.timings["correlate"] + a.timings["graph"],
        "access": a.timings["access"],
        "findings": a.timings["findings"],
        "total": total,
        "peak_mb": peak_mb,
        "paths": len(a.access),
        "findings_count": len(found),
    }


def child(mode: str, *args: str) -> dict:
    out = subprocess.run(  # noqa: S603 (runs this same script with fixed arguments)
        [sys.executable, __file__, "--child", mode, *args],
        check=True,
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", nargs="+", default=["district", "state"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--child", nargs="+")
    args = parser.parse_args()
    if args.child:
        mode, *rest = args.child
        result = (
            prepare(rest[0], Path(rest[1])) if mode == "prepare" else pipeline(rest[0], rest[1])
        )
        print(json.dumps(result))
        return

    medians: dict[str, dict] = {}
    for size in args.sizes:
        with tempfile.TemporaryDirectory(prefix=f"bench-{size}-") as tmp:
            info = child("prepare", size, tmp)
            runs = [child("pipeline", info["config"], info["as_of"]) for _ in range(args.runs)]
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        medians[size] = med
        print(
            f"\n{size}: {info['people']:,} people, {info['accounts']:,} accounts, "
            f"{info['memberships']:,} memberships (generated in {info['generate_s']:.1f} s)"
        )
        print(
            f"  medians over {args.runs} runs: load {med['load']:.2f} s | graph {med['graph']:.2f} s | "
            f"access {med['access']:.2f} s | findings {med['findings']:.2f} s | total {med['total']:.2f} s"
        )
        print(
            f"  peak memory {med['peak_mb']:.0f} MB; {med['paths']:,.0f} access paths; "
            f"{med['findings_count']:,.0f} findings"
        )
        print(f"  pipeline / load = {med['total'] / med['load']:.2f}x")
    if "district" in medians:
        d = medians["district"]
        print(
            f"\ndistrict: total/load {d['total'] / d['load']:.2f}x (target <= 3x), "
            f"peak {d['peak_mb']:.0f} MB (target <= 1536 MB)"
        )
        if "state" in medians:
            s = medians["state"]
            print(f"state/district total time {s['total'] / d['total']:.2f}x (target <= 12x)")


if __name__ == "__main__":
    main()
