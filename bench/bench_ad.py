"""Full vs incremental sync against a real Samba AD DC.

    python bench/bench_ad.py [--users 10000] [--address 127.0.0.x]

Loads a district of --users accounts (OUs per building, per-building groups, one group
holding everyone, nested groups, Domain Admins) with ldbadd, starts a throw-away DC on
--address (loopback; the LDAP port is fixed, so another address allows a second DC), runs a
full sync, changes 1% of the users (titles, disables and a few group memberships), runs an
incremental sync and prints LDAP operations, entries read and time for both.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from connectors.ad.connector import build_connector  # noqa: E402
from samba_dc import SambaDC, build_district  # noqa: E402


def change_one_percent(dc: SambaDC, district, users: int) -> int:
    conn = dc.admin_connection()  # ldap3 stays inside connectors/ and tests/
    picked = district.people[:: max(1, 100)][: max(1, users // 100)]
    for n, person in enumerate(picked):
        if n % 10 == 0:
            conn.modify(person["dn"], {"userAccountControl": [("MODIFY_REPLACE", ["514"])]})
        elif n % 10 == 1:
            conn.modify(district.group_dn("SpEd Staff"), {"member": [("MODIFY_ADD", [person["dn"]])]})
        else:
            conn.modify(person["dn"], {"title": [("MODIFY_REPLACE", ["Changed"])]})
    conn.unbind()
    return len(picked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument("--address", default=None, help="loopback address for the DC (default: a free one)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-ad-") as work:
        district = build_district(args.users)
        t0 = time.perf_counter()
        dc = SambaDC.create(work, ldif=district.ldif, address=args.address, start=False)
        dc.ldbmodify(district.modify_ldif)
        dc.start()
        print(f"loaded {args.users} users + {len(district.groups)} groups with ldbadd and started "
              f"in {time.perf_counter() - t0:.1f}s")
        try:
            connector = build_connector("ad", dc.settings())
            t0 = time.perf_counter()
            full = connector.fetch_snapshot(None)
            full_s = time.perf_counter() - t0
            changed = change_one_percent(dc, district, args.users)
            t0 = time.perf_counter()
            inc = connector.fetch_snapshot(full)
            inc_s = time.perf_counter() - t0
        finally:
            dc.stop()
    f_ops, i_ops = full.stats["ldap_operations"], inc.stats["ldap_operations"]
    print(f"full sync:        {f_ops:5d} LDAP operations, {full.stats['entries_read']:6d} entries, "
          f"{full_s:6.2f}s  counts={full.counts()}")
    print(f"incremental sync: {i_ops:5d} LDAP operations, {inc.stats['entries_read']:6d} entries, "
          f"{inc_s:6.2f}s  after changing {changed} users (mode={inc.mode})")
    print(f"incremental/full: operations {i_ops / f_ops:.1%}, entries "
          f"{inc.stats['entries_read'] / full.stats['entries_read']:.1%}, time {inc_s / full_s:.1%}")
    print("operation breakdown full:", {k: v for k, v in full.stats.items() if k.startswith("ldap_")})
    print("operation breakdown incremental:", {k: v for k, v in inc.stats.items() if k.startswith("ldap_")})


if __name__ == "__main__":
    main()
