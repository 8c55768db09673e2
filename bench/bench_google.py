"""A full Google sync of a district-scale fake domain: round trips, and time under the quota.

    python bench/bench_google.py [--users 29000 --staff 4000 --groups 4000 --memberships 300000
                                  --drives 200] [--quota 2400 --runs 3 --window fixed|sliding
                                  --call-ms 5 --batch-delay-ms 1000]
                                 [--skip-unbatched] [--skip-quota] [--sweep]

1. Round trips with the quota out of the way, against the minimum possible (one token, every
   listing page, each batched phase's calls divided by the batch size; target <= 1.1x), and the
   same sync without batching (one call per group and per user, as most tools do).
2. Under the Directory API's quota, enforced by the fake the way Google documents it (tests/
   google_fake.py: 2,400 calls per minute per user by default, every call inside a batch
   counted when the server processes it, a fixed window aligned to the minute, or --window
   sliding), each call taking --call-ms to process after its batch waited a random 0 to
   --batch-delay-ms (Google publishes no figure for either: assumptions, so that a batch is
   counted over seconds, some time after it was sent, as Google processes it): the sync's wall time
   against the quota bound (Directory calls / quota per minute; target <= 1.05x) and the calls
   Google refused (target <= 1%). --runs syncs, medians quoted; each run starts with the
   quota unused. Real time: at district scale a run takes minutes.
3. --sweep: the quota run again in virtual time (the fake and the connector share a clock that
   only sleeps and the modelled processing move), at 2,000 to 6,000 groups: the pacing's
   schedule across district sizes, without this machine's speed.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from google_fake import FakeGoogle, VirtualClock, district  # noqa: E402

from access_review.retry import DEFAULT_POLICY  # noqa: E402
from connectors.google.client import DIRECTORY_BATCH_LIMIT, DRIVE_BATCH_LIMIT  # noqa: E402
from connectors.google.connector import build_connector  # noqa: E402


def minimum_round_trips(fake: FakeGoogle, staff_ids: set[str]) -> int:
    pages = lambda n, size: max(1, math.ceil(n / size))  # noqa: E731
    member_calls = sum(pages(len(m), 200) for m in fake.members.values())
    permission_calls = sum(pages(len(p), 100) for p in fake.permissions.values())
    return (
        1  # the token
        + pages(len(fake.users), 500)
        + pages(len(fake.groups), 200)
        + pages(len(fake.roles), 100)
        + pages(len(fake.role_assignments), 200)
        + math.ceil(member_calls / DIRECTORY_BATCH_LIMIT)
        + math.ceil(len(staff_ids) / DIRECTORY_BATCH_LIMIT)
        + pages(len(fake.drives), 100)
        + math.ceil(permission_calls / DRIVE_BATCH_LIMIT)
        + pages(len(fake.matters), 100)
        + 1
    )  # matters, then every matter's holds in one batch


def run(
    fake: FakeGoogle, tmp: Path, quota: int = 10_000_000, **settings
) -> tuple[int, float, dict]:
    before = fake.round_trips
    key = fake.write_key_file(tmp / "key.json")
    connector = build_connector(
        "google",
        {
            "type": "google",
            "key_file": str(key),
            "subject": fake.admin,
            "api_endpoint": fake.url,
            "vault": True,
            "quota_per_minute": quota,
            **settings,
        },
        base_dir=str(tmp),
    )
    started = time.perf_counter()
    snap = connector.fetch_snapshot()
    elapsed = time.perf_counter() - started
    assert snap.complete and snap.stats["round_trips"] == fake.round_trips - before  # noqa: S101 (a benchmark checks its own premise)
    return fake.round_trips - before, elapsed, {**snap.counts(), **snap.stats}


def quota_runs(
    fake: FakeGoogle, tmp: Path, quota: int, runs: int, call_ms: float, delay_ms: float
) -> None:
    fake.quota_per_minute, fake.call_seconds = quota, call_ms / 1000
    rng = random.Random(13)  # noqa: S311 (seeded, reproducible latency, not security)
    fake.batch_delays = iter(lambda: rng.uniform(0, delay_ms / 1000), None)
    rows = []
    for i in range(runs):
        fake.directory_calls.clear()  # each run starts with the minute's quota unused
        counted, rejected = fake.directory_counted, fake.directory_rejected
        round_trips, seconds, stats = run(fake, tmp, quota=quota)
        calls, refused = fake.directory_counted - counted, fake.directory_rejected - rejected
        bound = calls / quota * 60
        rows.append((seconds, bound, calls, refused, round_trips))
        print(
            f"  run {i + 1}: {seconds:6.1f}s for {calls} Directory calls (bound {bound:.1f}s) -> "
            f"{seconds / bound:.3f}x; refused {refused} ({100 * refused / calls:.2f}%); "
            f"{round_trips} round trips, quota waits {stats.get('quota_wait_seconds', 0)}s"
        )
    seconds = statistics.median(r[0] for r in rows)
    bound = statistics.median(r[1] for r in rows)
    refused = statistics.median(r[3] for r in rows)
    calls = statistics.median(r[2] for r in rows)
    print(
        f"median of {runs}: {seconds:.1f}s against the quota bound {bound:.1f}s -> {seconds / bound:.3f}x "
        f"(target <= 1.05); refused {refused:.0f} of {calls:.0f} calls = {100 * refused / calls:.2f}% "
        "(target <= 1%)"
    )


def virtual_sweep(args: argparse.Namespace) -> None:
    """The same quota run in virtual time (a clock shared by the fake and the connector, moved
    by sleeps and by the modelled processing only) at several numbers of groups: the pacing's
    schedule alone, without this machine's speed, across district sizes (a pacer that leaves
    slots idle loses a whole minute at some sizes and not at others)."""
    ratios = []
    for groups in (2000, 3000, 4000, 5000, 6000):
        clock = VirtualClock(start=1_000_030.0)
        rng = random.Random(13)  # noqa: S311 (seeded, reproducible latency, not security)
        fake = district(
            FakeGoogle(
                quota_per_minute=args.quota,
                quota_window=args.window,
                clock=clock,
                call_seconds=args.call_ms / 1000,
                batch_delays=iter(lambda: rng.uniform(0, args.batch_delay_ms / 1000), None),
            ),
            users=args.users,
            groups=groups,
            memberships=groups * 75,
            drives=args.drives,
            staff_fraction=args.staff / args.users,
        ).start()
        try:
            with tempfile.TemporaryDirectory() as tmp:
                key = fake.write_key_file(Path(tmp) / "key.json")
                connector = build_connector(
                    "google",
                    {
                        "type": "google",
                        "key_file": str(key),
                        "subject": fake.admin,
                        "api_endpoint": fake.url,
                        "vault": True,
                        "quota_per_minute": args.quota,
                    },
                    base_dir=tmp,
                )
                connector.policy, connector.clock, connector.sleep = (
                    DEFAULT_POLICY,
                    clock,
                    clock.sleep,
                )
                started = clock()
                connector.fetch_snapshot()
                seconds = clock() - started
        finally:
            fake.stop()
        bound = fake.directory_counted / args.quota * 60
        ratios.append(seconds / bound)
        print(
            f"  {groups} groups: {fake.directory_counted} Directory calls in {seconds:.1f}s of virtual time, "
            f"bound {bound:.1f}s -> {seconds / bound:.3f}x; refused {fake.directory_rejected}"
        )
    print(f"  median {statistics.median(ratios):.3f}x, worst {max(ratios):.3f}x (target <= 1.05)")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--users", type=int, default=29_000)
    parser.add_argument("--staff", type=int, default=4_000)
    parser.add_argument("--groups", type=int, default=4_000)
    parser.add_argument("--memberships", type=int, default=300_000)
    parser.add_argument("--drives", type=int, default=200)
    parser.add_argument(
        "--quota", type=int, default=2400, help="Directory calls per minute (Google's default)"
    )
    parser.add_argument("--window", choices=("fixed", "sliding"), default="fixed")
    parser.add_argument(
        "--call-ms",
        type=float,
        default=5.0,
        help="modelled time Google takes to process one call (not published)",
    )
    parser.add_argument(
        "--batch-delay-ms",
        type=float,
        default=1000.0,
        help="each batch waits a random 0..this before its calls are processed (not published)",
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--skip-unbatched", action="store_true")
    parser.add_argument("--skip-quota", action="store_true")
    parser.add_argument(
        "--sweep",
        action="store_true",
        help="also run the quota sync in virtual time at 2,000-6,000 groups",
    )
    args = parser.parse_args()

    t0 = time.perf_counter()
    fake = district(
        FakeGoogle(quota_window=args.window),
        users=args.users,
        groups=args.groups,
        memberships=args.memberships,
        drives=args.drives,
        staff_fraction=args.staff / args.users,
    ).start()
    print(
        f"fake domain built in {time.perf_counter() - t0:.1f}s: {len(fake.users)} users ({args.staff} staff), "
        f"{len(fake.groups)} groups, {sum(map(len, fake.members.values()))} memberships, "
        f"{len(fake.drives)} shared drives, {len(fake.matters)} Vault matters"
    )
    staff = {u["id"] for u in fake.users.values() if u["orgUnitPath"] == "/Staff"}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            minimum = minimum_round_trips(fake, staff)
            batched, seconds, counts = run(fake, Path(tmp))
            print(
                f"batched sync, quota out of the way: {batched} round trips, {counts['api_calls']} API calls, "
                f"{seconds:.1f}s"
            )
            print(
                f"  minimum {minimum} round trips -> ratio {batched / minimum:.3f} (target <= 1.1)"
            )
            if not args.skip_unbatched:
                unbatched, seconds, counts = run(fake, Path(tmp), batch_size=1, drive_batch_size=1)
                print(
                    f"unbatched sync: {unbatched} round trips, {seconds:.1f}s -> {unbatched / batched:.1f}x the "
                    "batched round trips"
                )
            if not args.skip_quota:
                print(
                    f"under the Directory quota of {args.quota} calls/min ({args.window} window), each call "
                    f"processed in {args.call_ms:g} ms after its batch waited 0-{args.batch_delay_ms:g} ms, "
                    f"{args.runs} run(s):"
                )
                quota_runs(
                    fake, Path(tmp), args.quota, args.runs, args.call_ms, args.batch_delay_ms
                )
        if args.sweep:
            print(
                f"in virtual time, {args.window} window, {args.users} users ({args.staff} staff), 75 members a group:"
            )
            virtual_sweep(args)
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
