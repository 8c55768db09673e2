"""Store and audit log: complete vs failed snapshots, migrations, tampering detected."""

import os
import stat
import sqlite3
from datetime import datetime, timezone

import pytest

from access_review import audit
from access_review.errors import StoreError
from access_review.records import Account, Grant, Group, Membership, Person, Resource, Snapshot
from access_review.store import SCHEMA_VERSION, Store


def small_snapshot(source="ad", n=3, complete=True):
    accounts = [
        Account(
            source,
            f"u{i}",
            f"user{i}",
            email=f"user{i}@d.org",
            enabled=i != 2,
            last_sign_in=datetime(2026, 1, i + 1, tzinfo=timezone.utc),
            aliases=("x@d.org",),
            extra={"uac": 512},
        )
        for i in range(n)
    ]
    g = Group(source, "g1", "Staff, All", email="staff@d.org")
    return Snapshot(
        source,
        accounts=accounts,
        groups=[g],
        memberships=[Membership(source, g.key, a.key) for a in accounts],
        resources=[Resource(source, "r1", "Domain Admins", "admin_role", privileged=True)],
        grants=[
            Grant(
                source,
                "gr1",
                f"{source}:resource:r1",
                g.key,
                "admin",
                "privileged_group",
                scopes=("a", "b"),
            )
        ],
        cursor={"usn": 42},
        complete=complete,
    )


def test_store_round_trips_a_snapshot(tmp_path):
    store = Store(tmp_path / "s.db")
    snap = small_snapshot()
    store.save_snapshot(snap)
    back = store.latest_snapshot("ad")
    assert back.complete and back.cursor == {"usn": 42}
    assert sorted(back.accounts, key=lambda a: a.id) == snap.accounts
    assert back.accounts[0].extra == {"uac": 512}
    assert back.groups == snap.groups and back.memberships == snap.memberships
    assert back.grants == snap.grants and back.resources == snap.resources


def test_a_stored_membership_of_an_unknown_type_is_refused_by_name(tmp_path):
    """Member types and roles are read back as the records' own words (typed as their
    Literals); a word the store should never hold is an error naming the run, not a record
    the graph would misread."""
    store = Store(tmp_path / "s.db")
    run_id = store.save_snapshot(small_snapshot())
    store.db.execute(
        "UPDATE memberships SET member_type='printer' WHERE rowid=(SELECT MIN(rowid) FROM memberships)"
    )
    with pytest.raises(
        StoreError,
        match=rf"sync run {run_id} \(ad\): a membership has an unknown type or role 'printer'",
    ):
        store.latest_snapshot("ad")


def test_store_file_is_owner_only(tmp_path):
    path = tmp_path / "s.db"
    Store(path).close()
    assert stat.S_IMODE(os.stat(path).st_mode) & 0o077 == 0


def test_failed_sync_never_replaces_the_complete_snapshot(tmp_path):
    store = Store(tmp_path / "s.db")
    store.save_snapshot(small_snapshot(n=3))
    run = store.begin_sync("ad")
    store.fail_sync(run, "ad: LDAP search users: connection reset")
    crashed = store.begin_sync("ad")  # a process that died mid-sync leaves 'running'
    assert len(store.latest_snapshot("ad").accounts) == 3
    statuses = {r.id: r.status for r in store.sync_runs("ad")}
    assert statuses[run] == "failed" and statuses[crashed] == "running"


def test_incomplete_snapshot_is_refused_as_complete(tmp_path):
    store = Store(tmp_path / "s.db")
    run = store.begin_sync("ad")
    with pytest.raises(StoreError):
        store.complete_sync(run, small_snapshot(complete=False))
    assert store.latest_snapshot("ad") is None


def test_newer_schema_is_refused(tmp_path):
    path = tmp_path / "s.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 5}")
    db.commit()
    db.close()
    with pytest.raises(StoreError, match="newer access-review"):
        Store(path)


def test_roster_round_trip(tmp_path):
    store = Store(tmp_path / "s.db")
    people = [
        Person("E1", "Zoë O'Brien", "zoe@d.org", aliases=("z@d.org",)),
        Person("E2", "Smith, John"),
    ]
    store.save_roster(people, "roster.csv")
    assert store.load_roster() == people


def test_audit_chain_verifies_and_detects_alteration(tmp_path):
    store = Store(tmp_path / "s.db")
    for i in range(5):
        audit.append(store, "sync", {"n": i})
    assert audit.verify(store).ok
    store.db.execute("UPDATE audit_log SET details='{\"n\": 99}' WHERE seq=3")
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 3 and "altered" in result.problem


def test_audit_detects_deleted_entries_in_the_middle_and_at_the_end(tmp_path):
    store = Store(tmp_path / "s.db")
    for i in range(5):
        audit.append(store, "sync", {"n": i})
    store.db.execute("DELETE FROM audit_log WHERE seq=2")
    assert audit.verify(store).first_bad_seq == 2
    store2 = Store(tmp_path / "t.db")
    for i in range(5):
        audit.append(store2, "sync", {"n": i})
    store2.db.execute("DELETE FROM audit_log WHERE seq=5")
    result = audit.verify(store2)
    assert not result.ok and "missing from the end" in result.problem


def test_audit_detects_a_rehashed_rewrite_against_the_head(tmp_path):
    """Someone who rewrites an entry and recomputes the chain from there (without the audit key,
    which the store does not hold) is caught at the first entry they re-hashed (issue 15 keys the
    chain; before, this was caught only by the head, which they could rewrite as well)."""
    store = Store(tmp_path / "s.db")
    for i in range(3):
        audit.append(store, "sync", {"n": i})
    rows = store.db.execute(
        "SELECT seq, at, actor, action, details, hash FROM audit_log ORDER BY seq"
    ).fetchall()
    prev = rows[0][5]
    for seq, at, actor, action, details, _ in rows[1:]:
        if seq == 2:
            details = '{"n": 1000}'
        h = audit.legacy_entry_hash(prev, seq, at, actor, action, details)
        store.db.execute(
            "UPDATE audit_log SET details=?, prev_hash=?, hash=? WHERE seq=?",
            (details, prev, h, seq),
        )
        prev = h
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 2 and "altered" in result.problem


def test_feature_schemas_apply_once_and_in_order(tmp_path):
    store = Store(tmp_path / "s.db")
    migrations = ["CREATE TABLE f1 (a TEXT)", "ALTER TABLE f1 ADD COLUMN b TEXT"]
    store.ensure_feature_schema("feat", migrations[:1])
    store.ensure_feature_schema("feat", migrations)
    store.ensure_feature_schema("feat", migrations)  # idempotent
    store.db.execute("INSERT INTO f1 (a, b) VALUES ('x', 'y')")
    with pytest.raises(StoreError):
        store.ensure_feature_schema("feat", migrations[:1])
