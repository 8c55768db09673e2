"""Store transactions (issue 14): a change and its audit entry commit together or not at all
— head beside the store included, even when COMMIT itself fails — and several processes
opening a new store at once (a `status` while `sync` starts, the kill -9 test's poller) each
apply the migrations they still find missing under the write lock, so none fails with
"table sync_runs already exists"."""

import multiprocessing
import sqlite3

import pytest

from access_review import audit
from access_review.store import SCHEMA_VERSION, Store


def _open(path, results):
    try:
        Store(path).close()
        results.put("ok")
    except Exception as exc:  # noqa: BLE001 — the test reports whatever escaped
        results.put(repr(exc))


def test_processes_opening_a_new_store_together_all_succeed(tmp_path):
    ctx = multiprocessing.get_context("fork")
    failures = []
    for attempt in range(10):
        path = str(tmp_path / f"s{attempt}.db")
        results = ctx.Queue()
        workers = [ctx.Process(target=_open, args=(path, results)) for _ in range(4)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join(60)
        failures += [r for r in (results.get(timeout=10) for _ in workers) if r != "ok"]
        with Store(path) as store:
            assert store.schema_version == SCHEMA_VERSION
    assert failures == []


def test_a_commit_that_fails_takes_the_audit_entry_and_its_head_back(tmp_path):
    """A deferred foreign key is checked at COMMIT: the commit fails after the entry and the
    head were written, and both go back."""
    store = Store(tmp_path / "s.db")
    store.ensure_feature_schema(
        "probe",
        [
            "CREATE TABLE probe_parent (id INTEGER PRIMARY KEY);"
            "CREATE TABLE probe_child (parent INTEGER REFERENCES probe_parent(id) DEFERRABLE INITIALLY DEFERRED)"
        ],
    )
    audit.append(store, "first")
    head = audit.head_path(store.path).read_text()
    with pytest.raises(sqlite3.IntegrityError):
        with store.transaction() as db:
            audit.append(store, "second")
            db.execute("INSERT INTO probe_child VALUES (42)")  # no parent 42: refused at COMMIT
    assert [e.action for e in audit.entries(store)] == ["first"]
    assert audit.head_path(store.path).read_text() == head
    assert audit.verify(store).ok
    audit.append(store, "third")  # and the store goes on
    assert [e.action for e in audit.entries(store)] == ["first", "third"]
