"""Snapshots kept as rows valid from one run to another (issue 13): a sync that changes nothing
writes no rows, a change writes only what changed, every kept run still reads back exactly as
it was stored, and stores written with a copy per run are folded into intervals."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from datetime import datetime, timezone

import pytest

from access_review.errors import StoreError
from access_review.records import Account, Grant, Group, Membership, Resource, Snapshot
from access_review.snapshot_tables import SNAPSHOT_TABLES
from access_review.store import MIGRATIONS, Store


def snapshot(
    n: int = 50,
    *,
    source: str = "ad",
    disabled: frozenset[int] = frozenset(),
    extra_group: bool = False,
    drop_member: int | None = None,
) -> Snapshot:
    accounts = [
        Account(
            source,
            f"u{i}",
            f"user{i}",
            email=f"user{i}@d.org",
            enabled=i not in disabled,
            last_sign_in=datetime(2026, 1, 1 + i % 28, tzinfo=timezone.utc),
            extra={"uac": 512},
        )
        for i in range(n)
    ]
    groups = [Group(source, "g1", "Staff"), *([Group(source, "g2", "New")] if extra_group else [])]
    memberships = [
        Membership(source, groups[0].key, a.key) for i, a in enumerate(accounts) if i != drop_member
    ]
    return Snapshot(
        source,
        accounts=accounts,
        groups=groups,
        memberships=memberships,
        resources=[Resource(source, "r1", "Domain Admins", "admin_role", privileged=True)],
        grants=[Grant(source, "gr1", f"{source}:resource:r1", groups[0].key, "admin", "role")],
        cursor={"usn": 1},
        complete=True,
    )


def rows(store: Store) -> dict[str, int]:
    return {
        t.name: store.db.execute(f"SELECT COUNT(*) FROM {t.name}").fetchone()[0]  # noqa: S608 (the store's own table names)
        for t in SNAPSHOT_TABLES
    }


def same(a: Snapshot, b: Snapshot) -> bool:
    key = lambda r: getattr(r, "key", None) or (r.group_key, r.member_key)  # noqa: E731
    return all(
        sorted(getattr(a, t), key=key) == sorted(getattr(b, t), key=key)
        for t in ("accounts", "groups", "memberships", "resources", "grants", "contacts")
    )


def test_a_sync_that_changes_nothing_writes_no_rows(tmp_path):
    store = Store(tmp_path / "s.db")
    first = store.save_snapshot(snapshot())
    before = rows(store)
    second = store.save_snapshot(snapshot())
    assert rows(store) == before
    assert same(store.load_snapshot(first), snapshot()) and same(
        store.load_snapshot(second), snapshot()
    )
    assert store.latest_complete_run("ad").id == second


def test_a_change_writes_only_what_changed_and_every_run_reads_back_as_it_was(tmp_path):
    store = Store(tmp_path / "s.db")
    versions = [
        snapshot(),
        snapshot(disabled=frozenset({3})),
        snapshot(disabled=frozenset({3}), extra_group=True, drop_member=7),
        snapshot(),
    ]
    runs = []
    for snap in versions:
        before = rows(store)
        runs.append(store.save_snapshot(snap))
        after = rows(store)
        if len(runs) > 1:
            grown = sum(after.values()) - sum(before.values())
            assert grown <= 3, (before, after)  # one changed account, one group (and back)
    for run, snap in zip(runs, versions):
        assert same(store.load_snapshot(run), snap), run
    assert [a.enabled for a in store.load_snapshot(runs[1]).accounts if a.id == "u3"] == [False]
    assert len(store.latest_snapshot("ad").memberships) == 50


def test_sources_are_separate_lineages_and_a_failed_run_writes_nothing(tmp_path):
    store = Store(tmp_path / "s.db")
    store.save_snapshot(snapshot(source="ad"))
    store.save_snapshot(snapshot(10, source="google"))
    before = rows(store)
    run = store.begin_sync("ad")
    store.fail_sync(run, "ad: LDAP search users: connection reset")
    assert rows(store) == before
    store.save_snapshot(snapshot(source="ad"))
    assert (
        len(store.latest_snapshot("google").accounts) == 10
        and len(store.latest_snapshot("ad").accounts) == 50
    )


def test_an_older_read_never_becomes_current(tmp_path):
    store = Store(tmp_path / "s.db")
    older = store.begin_sync("ad")
    store.save_snapshot(snapshot(disabled=frozenset({1})))
    with pytest.raises(StoreError, match="older"):
        store.complete_sync(older, snapshot())
    assert not store.latest_snapshot("ad").accounts[1].enabled


def test_a_snapshot_holding_another_sources_records_is_refused(tmp_path):
    store = Store(tmp_path / "s.db")
    snap = snapshot()
    snap.accounts.append(Account("google", "x", "stray"))
    with pytest.raises(StoreError, match="holds records of google"):
        store.save_snapshot(snap)
    assert store.latest_snapshot("ad") is None


def test_last_seen_names_the_last_run_that_held_a_vanished_account(tmp_path):
    store = Store(tmp_path / "s.db")
    first = store.save_snapshot(snapshot(5))
    second = store.save_snapshot(snapshot(5))
    store.save_snapshot(snapshot(4))  # u4 vanished
    assert store.last_seen("ad:account:u4").id == second
    assert store.last_seen("ad:account:u1").id == store.latest_complete_run("ad").id
    assert store.last_seen("ad:account:never") is None
    store.save_snapshot(snapshot(5))  # back again: current, not "vanished"
    assert store.last_seen("ad:account:u4").id == store.latest_complete_run("ad").id
    assert first < second


def old_layout_store(path, snapshots: list[Snapshot]) -> None:
    """A store as access-review wrote it before issue 13: schema 4, one copy per run."""
    db = sqlite3.connect(path)
    for script in MIGRATIONS[:4]:
        db.executescript(script)
    db.execute("PRAGMA user_version = 4")
    for i, snap in enumerate(snapshots, 1):
        db.execute(
            "INSERT INTO sync_runs (id, source, started_at, finished_at, status, mode, counts, stats,"
            " cursor, warnings) VALUES (?,?,?,?,'complete','full','{}','{}','{}','[]')",
            (i, snap.source, f"2026-0{i}-01T00:00:00+00:00", f"2026-0{i}-01T00:05:00+00:00"),
        )
        for a in snap.accounts:
            db.execute(
                "INSERT INTO accounts (run_id, key, source, id, login, email, display_name, employee_id,"
                " enabled, last_sign_in, created, org_unit, kind, title, department, aliases, authority,"
                " extra, upn, guest, sign_in_known) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                (
                    i,
                    a.key,
                    a.source,
                    a.id,
                    a.login,
                    a.email,
                    a.display_name,
                    a.employee_id,
                    int(a.enabled),
                    a.last_sign_in.isoformat() if a.last_sign_in else None,
                    None,
                    a.org_unit,
                    a.kind,
                    a.title,
                    a.department,
                    None,
                    a.authority,
                    json.dumps(dict(a.extra), separators=(",", ":")),
                    a.upn,
                    0,
                    1,
                ),
            )
        for g in snap.groups:
            db.execute(
                "INSERT INTO groups_ (run_id, key, source, id, name, email, kind, authority, extra, aliases,"
                " role_assignable) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (i, g.key, g.source, g.id, g.name, g.email, g.kind, g.authority, None, None, 0),
            )
        db.executemany(
            "INSERT INTO memberships (run_id, source, group_key, member_key, member_type, role)"
            " VALUES (?,?,?,?,?,?)",
            [
                (i, m.source, m.group_key, m.member_key, m.member_type, None)
                for m in snap.memberships
            ],
        )
    db.commit()
    db.close()


def test_a_store_with_a_copy_per_run_is_folded_into_intervals(tmp_path):
    path = tmp_path / "old.db"
    versions = [dataclasses.replace(snapshot(20), resources=[], grants=[]) for _ in range(3)]
    versions[2] = dataclasses.replace(snapshot(19), resources=[], grants=[])
    old_layout_store(path, versions)
    store = Store(path)
    assert store.schema_version == len(MIGRATIONS)
    assert (
        rows(store)["accounts"] == 20 and rows(store)["memberships"] == 20
    )  # one row each, not three
    for run, snap in zip((1, 2, 3), versions):
        assert same(store.load_snapshot(run), snap)
    assert store.last_seen("ad:account:u19").id == 2
    assert not store.db.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE '%per_run'"
    ).fetchall()
