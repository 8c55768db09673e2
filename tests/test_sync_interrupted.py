"""A sync killed with kill -9 (issue 14): a real `access-review sync` process is killed while
one source has finished and another is still reading. Every snapshot in use has its `sync`
audit entry (they are stored in one transaction), and the run left 'running' is marked
interrupted, with when, by the next sync — which holds the sync lock, so it knows the
process that ran it is gone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from access_review import audit
from access_review.cli import app
from access_review.config import load_config
from access_review.store import Store
from connectors import registry

ROOT = Path(__file__).resolve().parents[1]

# The `access-review` app in a process of its own, with the test's fake source type known.
SYNC_PROCESS = """
import sys
from connectors import registry
registry.FACTORIES["fake"] = "fake_source:build_connector"
from access_review.cli import main
sys.argv = ["access-review", "sync", "--config", sys.argv[1]]
main()
"""


@pytest.fixture(autouse=True)
def fake_type(monkeypatch):
    monkeypatch.setitem(registry.FACTORIES, "fake", "fake_source:build_connector")


def write_config(folder: Path, slow_sleep: float) -> Path:
    path = folder / "access-review.toml"
    path.write_text(
        '[store]\npath = "s.db"\n'
        '[sources.fast]\ntype = "fake"\nn = 3\n'
        f'[sources.slow]\ntype = "fake"\nn = 2\nsleep = {slow_sleep}\n'
    )
    return path


def runs_by_source(store_path: Path) -> dict[str, str]:
    if not store_path.exists():
        return {}
    try:
        with Store(store_path) as store:
            return {r.source: r.status for r in store.sync_runs()}
    except Exception:  # noqa: BLE001 — the store is still being created by the other process
        return {}


def kill_sync_midway(folder: Path) -> int:
    """Start a real sync process, wait until 'fast' is stored and 'slow' still reading, and
    kill -9 it. Returns its pid."""
    config = write_config(folder, slow_sleep=120)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT), str(ROOT / "tests")])}
    proc = subprocess.Popen(  # noqa: S603 (this Python, a fixed script)
        [sys.executable, "-c", SYNC_PROCESS, str(config)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 90
        while runs_by_source(folder / "s.db") != {"fast": "complete", "slow": "running"}:
            assert proc.poll() is None, proc.stderr.read().decode()
            assert time.monotonic() < deadline, runs_by_source(folder / "s.db")
            time.sleep(0.1)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(30) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(30)
    return proc.pid


def test_every_snapshot_in_use_has_its_sync_entry_after_kill_9(tmp_path):
    kill_sync_midway(tmp_path)
    with Store(tmp_path / "s.db") as store:
        fast = store.latest_complete_run("fast")
        assert fast is not None  # in use from now on
        [entry] = [
            e for e in audit.entries(store, action_prefix="sync") if e.details["run"] == fast.id
        ]
        assert (entry.action, entry.details["source"], entry.details["ok"]) == (
            "sync",
            "fast",
            True,
        )
        assert audit.verify(store).ok


def test_a_killed_sync_is_marked_interrupted_by_the_next_one(tmp_path):
    pid = kill_sync_midway(tmp_path)
    killed_at = time.time()
    runner = CliRunner()
    status = runner.invoke(app, ["status", "--config", str(tmp_path / "access-review.toml")])
    assert "running" in status.output  # nothing can know yet that the process is gone

    config = write_config(tmp_path, slow_sleep=0)
    with Store(tmp_path / "s.db") as store:
        [stale] = [r for r in store.sync_runs() if r.status == "running"]
    result = runner.invoke(app, ["sync", "--config", str(config)])
    assert result.exit_code == 0, result.output
    assert (
        f"run {stale.id} (slow, started {stale.started_at:%Y-%m-%d %H:%M} UTC) never finished; "
        "marked interrupted"
    ) in result.stderr
    with Store(tmp_path / "s.db") as store:
        run = store.sync_run(stale.id)
        assert run.status == "interrupted"
        assert run.finished_at.timestamp() >= killed_at - 1
        assert f"process {pid} ended before the sync finished" in run.error
        [entry] = audit.entries(store, action_prefix="sync.interrupted")
        assert entry.details["run"] == stale.id and entry.details["source"] == "slow"
        assert entry.details["noticed"] == run.finished_at.isoformat()
        assert audit.verify(store).ok
        assert {r.source for r in store.sync_runs() if r.status == "complete"} == {"fast", "slow"}
    status = runner.invoke(app, ["status", "--config", str(config)])
    assert "interrupted" in status.output


def test_a_sync_running_now_is_not_taken_for_interrupted(tmp_path):
    """Only under the lock, and never this process's own runs."""
    cfg = load_config(write_config(tmp_path, slow_sleep=0))
    with Store(cfg.store_path) as store:
        mine = store.begin_sync("fast")
        assert store.mark_interrupted_runs() == []
        assert store.sync_run(mine).status == "running"


def test_a_store_from_before_keeps_its_runs_and_can_mark_them_interrupted(tmp_path):
    """A store written before schema 3 keeps every run, and can mark its stale ones."""
    import sqlite3

    from access_review.store import MIGRATIONS, _split_sql

    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    for number, script in enumerate(MIGRATIONS[:2]):
        for statement in _split_sql(script):
            db.execute(statement)
        db.execute(f"PRAGMA user_version = {number + 1}")
    db.execute(
        "INSERT INTO sync_runs (source, started_at, status, mode) VALUES "
        "('ad', '2026-01-01T00:00:00+00:00', 'complete', 'full'), "
        "('ad', '2026-01-02T00:00:00+00:00', 'running', 'full')"
    )
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == len(MIGRATIONS)
        assert [(r.id, r.status) for r in store.sync_runs()] == [(2, "running"), (1, "complete")]
        [run] = store.mark_interrupted_runs()
        assert (run.id, run.status) == (2, "interrupted") and run.interrupted_at is not None
        assert "its process ended before the sync finished" in run.error
