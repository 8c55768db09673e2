"""Issue 13, goal 4: under the Directory API's per-minute quota a full sync runs at the quota's
pace (time <= 1.05x calls / quota) with no more than 1% of its calls refused, and Vault holds
go in one batch. The fake counts a call when it processes it (each call of a batch taking
``call_seconds``), in a window fixed to the minute or sliding; a virtual clock shared by the
fake and the connector makes the minutes pass in milliseconds."""

from __future__ import annotations

import pytest

from google_fake import FakeGoogle, VirtualClock, district, make_connector, small_domain


def quota_sync(
    tmp_path,
    *,
    window: str,
    quota: int,
    batch_size: int,
    call_seconds: float = 0.01,
    batch_delays: tuple[float, ...] = (),
):
    clock = VirtualClock(
        start=1_000_030.0
    )  # half-way through a minute: fixed windows do not start with the sync
    fake = district(
        FakeGoogle(
            quota_per_minute=quota,
            quota_window=window,
            clock=clock,
            call_seconds=call_seconds,
            batch_delays=batch_delays,
        ),
        users=300,
        groups=600,
        memberships=3000,
        drives=2,
        staff_fraction=1.0,
    ).start()
    try:
        connector = make_connector(
            fake, tmp_path, quota_per_minute=quota, batch_size=batch_size, vault=False
        )
        connector.clock, connector.sleep = clock, clock.sleep
        started = clock()
        snap = connector.fetch_snapshot()
        return snap, clock() - started, fake.directory_counted, fake.directory_rejected
    finally:
        fake.stop()


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_sync_runs_at_the_quota_pace_without_idle_slots(tmp_path, window):
    """190 calls a minute and batches of up to 100: sending only whole batches of 100 left 90
    slots idle every minute (1.7x the bound)."""
    snap, seconds, calls, refused = quota_sync(tmp_path, window=window, quota=190, batch_size=100)
    assert snap.complete and calls > 900
    bound = calls / 190 * 60
    assert seconds <= 1.05 * bound, (seconds, bound)
    assert refused <= 0.01 * calls, (refused, calls)


@pytest.mark.parametrize("window", ["fixed", "sliding"])
def test_calls_are_counted_when_processed_not_when_sent(tmp_path, window):
    """Each batch waits before Google processes it (here 0 to 3 s, varying). Counting a call
    when sent freed its slot 60 s after sending; Google, counting it when processed, still
    held it: calls refused. A slot is now held until 60 s after the answer."""
    delays = tuple(3.0 * ((i * 7) % 4) / 3 for i in range(200))  # 0, 2.33, 0.67, 3, 1.33 ... s
    snap, seconds, calls, refused = quota_sync(
        tmp_path, window=window, quota=200, batch_size=100, batch_delays=delays
    )
    assert snap.complete
    assert refused <= 0.01 * calls, (refused, calls)
    assert seconds <= 1.05 * calls / 200 * 60


def test_vault_holds_of_every_matter_go_in_one_batch(tmp_path):
    fake = small_domain(FakeGoogle()).start()
    try:
        fake.matters += [
            {"matterId": f"m{i}", "name": f"Matter {i}", "state": "OPEN"} for i in (2, 3)
        ]
        for i in (2, 3):
            fake.holds[f"m{i}"] = [
                {
                    "holdId": f"h{i}",
                    "name": f"Hold {i}",
                    "corpus": "MAIL",
                    "accounts": [{"accountId": "1002", "email": "teacher@district.org"}],
                }
            ]
        snap = make_connector(fake, tmp_path).fetch_snapshot()
        assert fake.calls["holds.list"] == 3
        assert [n for api, n in fake.batch_log if api == "vault"] == [3]
        assert {r.name for r in snap.resources if r.kind == "vault_hold"} >= {
            "Matter 2 / Hold 2",
            "Matter 3 / Hold 3",
        }
    finally:
        fake.stop()
