"""The level pass (issue 12): what the highest-level-over-all-paths costs on top of the walk
that finds everyone, measured side by side in one run on the same graph.

For every inventory resource of the demo district: (a) the reverse breadth-first walk alone
(graph.paths_to: who, with the shortest path — what effective access cost before), and (b)
the walk plus the level pass plus the best path of every account (graph.best_paths_to: what
it costs now). Then the same two on a "diamond ladder", a graph with 2**depth paths between
one account and its resource, at growing depths: (b)/(a) must stay flat while the number of
paths explodes — the pass is linear in the graph, not in the paths.

Run:  python bench/bench_levels.py [--size district] [--runs 5]
Prints medians over --runs.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn, runs: int) -> float:
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def district_graph(size: str):
    from access_review.demo import generate_district
    from access_review.facts import Facts
    from access_review.inventory import load_inventory
    from access_review.demo.writer import write_demo
    import tempfile

    district = generate_district(size)
    with tempfile.TemporaryDirectory() as tmp:
        from access_review.config import load_config

        cfg = load_config(write_demo(Path(tmp), district))
        inventory = load_inventory(
            cfg.inventory_path,
            roster=district.roster,
            apps_path=cfg.apps_path,
            holds_path=cfg.holds_path,
        )
    facts = Facts(
        config=cfg,
        snapshots=district.snapshots,
        persons={p.key: p for p in district.roster},
        inventory=inventory,
        today=district.as_of,
    )
    return facts.graph, [r.name for r in inventory.resources]


def ladder(depth: int):
    from access_review.config import Classification
    from access_review.correlation import correlate
    from access_review.graph import build_graph
    from access_review.records import Account, Grant, Group, Membership, Resource, Snapshot

    s = "google"
    ann = Account(s, "1", "ann@d.org")
    groups, memberships, prev = [], [], ann.key
    for i in range(depth):
        left, right, join = (Group(s, f"{i}{x}", f"{i}{x}") for x in "lrj")
        groups += [left, right, join]
        kind = "group" if i else "account"
        memberships += [
            Membership(s, left.key, prev, kind),
            Membership(s, right.key, prev, kind),
            Membership(s, join.key, left.key, "group"),
            Membership(s, join.key, right.key, "group"),
        ]
        prev = join.key
    drive = Resource(s, "drive:0A", "Drive", "shared_drive")
    snap = Snapshot(
        s,
        [ann],
        groups,
        memberships,
        [drive],
        [Grant(s, "w", drive.key, prev, "write", "drive_permission")],
        complete=True,
    )
    rules = Classification(student_org_units=(), student_domains=(), service_patterns=())
    c = correlate(snap.accounts, [], rules)
    return build_graph({s: snap}, [], c, {"Drive": [drive.key]})


def main() -> None:
    from access_review.graph import best_paths_to, inventory_node, paths_to

    parser = argparse.ArgumentParser()
    parser.add_argument("--size", default="district")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()

    t = time.perf_counter()
    g, names = district_graph(args.size)
    print(
        f"{args.size} demo district: {g.number_of_nodes():,} nodes, {g.number_of_edges():,} edges, "
        f"{len(names)} inventory resources (built in {time.perf_counter() - t:.1f}s)"
    )
    targets = [inventory_node(n) for n in names if inventory_node(n) in g]
    walk = timed(lambda: [paths_to(g, x) for x in targets], args.runs)
    levels = timed(lambda: [best_paths_to(g, x) for x in targets], args.runs)
    reached = sum(len(paths_to(g, x)) for x in targets)
    print(f"  all resources, {reached:,} (account, resource) pairs, median of {args.runs}:")
    print(f"    walk only (before)          {walk * 1000:8.1f} ms")
    print(f"    walk + level pass (now)     {levels * 1000:8.1f} ms   ratio {levels / walk:.2f}x")

    print("  diamond ladder (2**depth paths from one account to one drive):")
    for depth in (10, 20, 40, 80, 160):
        lg = ladder(depth)
        target = inventory_node("Drive")
        w = timed(lambda: paths_to(lg, target), args.runs)
        b = timed(lambda: best_paths_to(lg, target), args.runs)
        print(
            f"    depth {depth:3d}: {lg.number_of_edges():5d} edges, 2**{depth} paths, "
            f"walk {w * 1000:7.2f} ms, walk + level pass {b * 1000:7.2f} ms, ratio {b / w:.2f}x"
        )


if __name__ == "__main__":
    main()
