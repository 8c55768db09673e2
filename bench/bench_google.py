"""HTTP round trips of a full Google sync on a district-scale fake domain.

    python bench/bench_google.py [--users 30000 --groups 3000 --memberships 300000 --drives 200]

Compares the round trips of a full sync with the minimum possible (one token, every listing
page, and each batched phase's calls divided by the batch size), target <= 1.1x, and with
the same sync without batching (one call per group and per user, as most tools do).
"""
from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from google_fake import FakeGoogle, district  # noqa: E402

from access_review.retry import RetryPolicy  # noqa: E402
from connectors.google.client import DIRECTORY_BATCH_LIMIT, DRIVE_BATCH_LIMIT  # noqa: E402
from connectors.google.connector import build_connector  # noqa: E402


def minimum_round_trips(fake: FakeGoogle, staff_ids: set[str]) -> int:
    pages = lambda n, size: max(1, math.ceil(n / size))  # noqa: E731
    member_calls = sum(pages(len(m), 200) for m in fake.members.values())
    permission_calls = sum(pages(len(p), 100) for p in fake.permissions.values())
    return (1  # the token
            + pages(len(fake.users), 500) + pages(len(fake.groups), 200)
            + pages(len(fake.roles), 100) + pages(len(fake.role_assignments), 200)
            + math.ceil(member_calls / DIRECTORY_BATCH_LIMIT)
            + math.ceil(len(staff_ids) / DIRECTORY_BATCH_LIMIT)
            + pages(len(fake.drives), 100) + math.ceil(permission_calls / DRIVE_BATCH_LIMIT)
            + pages(len(fake.matters), 100) + len(fake.matters))


def run(fake: FakeGoogle, tmp: Path, **settings) -> tuple[int, float, dict]:
    before = fake.round_trips
    key = fake.write_key_file(tmp / "key.json")
    connector = build_connector("google", {
        "type": "google", "key_file": str(key), "subject": fake.admin, "api_endpoint": fake.url,
        "vault": True, "quota_per_minute": 10_000_000, **settings}, base_dir=str(tmp))
    connector.policy = RetryPolicy(tries=3, base=0.01, cap=0.05)
    started = time.perf_counter()
    snap = connector.fetch_snapshot()
    elapsed = time.perf_counter() - started
    assert snap.complete and snap.stats["round_trips"] == fake.round_trips - before  # noqa: S101 (a benchmark checks its own premise)
    return fake.round_trips - before, elapsed, {**snap.counts(), "api_calls": snap.stats.get("api_calls", 0)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=30_000)
    parser.add_argument("--groups", type=int, default=3_000)
    parser.add_argument("--memberships", type=int, default=300_000)
    parser.add_argument("--drives", type=int, default=200)
    parser.add_argument("--skip-unbatched", action="store_true")
    args = parser.parse_args()

    t0 = time.perf_counter()
    fake = district(FakeGoogle(), users=args.users, groups=args.groups, memberships=args.memberships,
                    drives=args.drives).start()
    print(f"fake domain built in {time.perf_counter() - t0:.1f}s: {len(fake.users)} users, {len(fake.groups)} "
          f"groups, {sum(map(len, fake.members.values()))} memberships, {len(fake.drives)} shared drives")
    staff = {u["id"] for u in fake.users.values() if u["orgUnitPath"] == "/Staff"}
    try:
        with tempfile.TemporaryDirectory() as tmp:
            minimum = minimum_round_trips(fake, staff)
            batched, seconds, counts = run(fake, Path(tmp))
            print(f"batched sync:   {batched} round trips, {counts['api_calls']} API calls, {seconds:.1f}s; {counts}")
            print(f"minimum:        {minimum} round trips -> ratio {batched / minimum:.3f} (target <= 1.1)")
            print(f"at the default quota of 2400 calls/min, pacing alone needs "
                  f"{counts['api_calls'] / 2400:.1f} min for {counts['api_calls']} calls")
            if not args.skip_unbatched:
                unbatched, seconds, counts = run(fake, Path(tmp), batch_size=1, drive_batch_size=1)
                print(f"unbatched sync: {unbatched} round trips, {seconds:.1f}s -> {unbatched / batched:.1f}x the "
                      "batched round trips")
    finally:
        fake.stop()


if __name__ == "__main__":
    main()
