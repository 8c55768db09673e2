"""Graph requests of the Entra connector on a district-scale tenant, against the documented floor.

    python bench/bench_entra.py [--users 60000 --groups 5000 --memberships 400000] [--skip-delta]

The floor is computed from the documented limits and the tenant's size (tests/entra_floor.py
quotes each limit with its link), never from the fake's count: $top maxima per listing (999;
500 for users with signInActivity), 20 requests per $batch of one version, the deltaLinks taken
before the listings, beta's own batches for group members (service principals: issue 12).
The fake (tests/entra_fake.py) refuses a $top above those maxima the way Graph does, and caps
$batch at 20, so a request saved against it is one Graph would save too.

Prints, for a full sync with and without sign-in activity: requests, the floor and the ratio
(target <= 1.1); the same reads sent one request per listing page; the members_via = "delta"
alternative; and an incremental sync after changing 1% of users and 1% of memberships (target
<= 5% of the full sync; and checks it equals a fresh full sync).
"""

from __future__ import annotations

import argparse
import pathlib
import random
import sys
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import responses  # noqa: E402

from entra_fake import build_fake_connector, district_tenant  # noqa: E402
from entra_floor import full_sync_floor  # noqa: E402


def snapshot_facts(snap):
    return (
        {(a.key, a.title, a.enabled) for a in snap.accounts},
        {g.key for g in snap.groups},
        set(snap.memberships),
        {g.key for g in snap.grants},
    )


def measured(tenant, conn, previous=None):
    """(snapshot, requests, batch items, $batch requests, seconds) of one sync."""
    batch_key = ("POST", "$batch", False)
    before, items_before, batches_before = (
        tenant.graph_requests,
        tenant.batch_items,
        tenant.requests[batch_key],
    )
    t0 = time.perf_counter()
    snap = conn.fetch_snapshot(previous)
    requests = tenant.graph_requests - before
    assert snap.stats["requests"] == requests  # noqa: S101 (a benchmark checks its own premise)
    return (
        snap,
        requests,
        tenant.batch_items - items_before,
        tenant.requests[batch_key] - batches_before,
        time.perf_counter() - t0,
    )


def change_one_percent(tenant) -> tuple[int, int]:
    rng = random.Random(1)  # noqa: S311 (seeded, reproducible fake data, not security)
    uids = list(tenant.users)
    for uid in rng.sample(uids, len(uids) // 100):
        tenant.change_user(uid, jobTitle="Teacher (changed)")
    pairs = [
        (g, m) for g, ms in tenant.members.items() for m, t in ms.items() if t.endswith("user")
    ]
    n_changes = sum(len(m) for m in tenant.members.values()) // 100
    for gid, mid in rng.sample(pairs, n_changes // 2):
        tenant.change_membership(gid, mid, added=False)
    gids = list(tenant.groups)
    for _ in range(n_changes - n_changes // 2):
        gid, uid = rng.choice(gids), rng.choice(uids)
        if uid not in tenant.members[gid]:
            tenant.change_membership(gid, uid, added=True)
    return len(uids) // 100, n_changes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--users", type=int, default=60_000)
    ap.add_argument("--groups", type=int, default=5_000)
    ap.add_argument("--memberships", type=int, default=400_000)
    ap.add_argument("--skip-delta", action="store_true", help="skip the members_via = delta run")
    args = ap.parse_args()
    t0 = time.time()
    tenant = district_tenant(args.users, args.groups, args.memberships)
    print(
        f"tenant: {len(tenant.users)} users, {len(tenant.groups)} groups, "
        f"{sum(len(m) for m in tenant.members.values())} memberships, "
        f"{len(tenant.service_principals)} service principals, {len(tenant.oauth2_grants)} delegated "
        f"consents (built in {time.time() - t0:.1f}s)"
    )
    with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps:
        tenant.install(rsps)
        conn = build_fake_connector(tenant)
        full, full_requests, items, batches, seconds = measured(tenant, conn)
        floor = full_sync_floor(tenant, with_sign_in=True)
        print(
            f"full sync: {full_requests} requests (+{full.stats['token_requests']} to the authority), "
            f"{items} batch items, {seconds:.1f}s; counts {full.counts()}"
        )
        print(f"  documented floor: {floor.requests} = {floor.explain()}")
        print(f"  ratio {full_requests / floor.requests:.3f} (target <= 1.1)")

        plain = build_fake_connector(tenant, sign_in_activity=False)
        plain_requests = measured(tenant, plain)[1]
        plain_floor = full_sync_floor(tenant, with_sign_in=False)
        print(
            f"full sync without sign-in activity: {plain_requests} requests, documented floor "
            f"{plain_floor.requests} ({plain_floor.explain()}); ratio "
            f"{plain_requests / plain_floor.requests:.3f} (target <= 1.1)"
        )
        # Every batch item sent as a request of its own: what the same reads cost unbatched.
        unbatched = full_requests - batches + items
        print(
            f"the same reads one request per listing page: {unbatched} requests, "
            f"{unbatched / full_requests:.1f}x the batched sync"
        )

        if not args.skip_delta:
            tenant_d = district_tenant(args.users, args.groups, args.memberships)
            rsps.reset()
            tenant_d.install(rsps)
            full_d, delta_requests = measured(
                tenant_d, build_fake_connector(tenant_d, members_via="delta")
            )[:2]
            print(
                f"full sync via users/delta + groups/delta with members: {delta_requests} requests "
                f"({delta_requests / full_requests:.2f}x the $batch sync; same records: "
                f"{snapshot_facts(full_d)[1:] == snapshot_facts(full)[1:]})"
            )
            rsps.reset()
            tenant.install(rsps)

        users_changed, memberships_changed = change_one_percent(tenant)
        inc, inc_requests = measured(tenant, conn, full)[:2]
        print(
            f"incremental after 1% users ({users_changed}) and 1% memberships ({memberships_changed}) "
            f"changed: {inc_requests} requests = {100 * inc_requests / full_requests:.1f}% of the full sync "
            f"(target <= 5%), mode {inc.mode}"
        )
        fresh = measured(tenant, conn)[0]
        same = snapshot_facts(inc) == snapshot_facts(fresh)
        print(f"incremental result equals a fresh full sync: {same}")
        if not same:
            sys.exit(1)


if __name__ == "__main__":
    main()
