"""Sync orchestration: sources run concurrently, a failed or truncated read never becomes
the current snapshot, and two syncs at once are refused with a clear message."""

import multiprocessing
import time

import pytest

from access_review import audit
from access_review.config import load_config
from access_review.errors import StoreBusy
from access_review.store import Store
from access_review.cli.connectors import connector_factory
from access_review.sync import run_sync, sync_lock
from connectors import registry


@pytest.fixture(autouse=True)
def fake_type(monkeypatch):
    monkeypatch.setitem(registry.FACTORIES, "fake", "fake_source:build_connector")


def write_config(tmp_path, sources: dict) -> str:
    lines = ['[store]\npath = "s.db"\n']
    for name, settings in sources.items():
        lines.append(f'[sources.{name}]\ntype = "fake"\n')
        for k, v in settings.items():
            lines.append(f"{k} = {v!r}\n" if not isinstance(v, str) else f'{k} = "{v}"\n')
    path = tmp_path / "access-review.toml"
    path.write_text("".join(lines))
    return str(path)


def test_failed_and_truncated_sources_keep_the_previous_snapshot(tmp_path):
    cfg = load_config(write_config(tmp_path, {"a": {"n": 3}, "b": {"n": 4}}))
    store = Store(cfg.store_path)
    assert all(r.ok for r in run_sync(cfg, store, connector_factory(cfg)))
    cfg = load_config(
        write_config(
            tmp_path, {"a": {"behaviour": "forbidden"}, "b": {"behaviour": "truncated", "n": 1}}
        )
    )
    results = {r.source: r for r in run_sync(cfg, store, connector_factory(cfg))}
    assert not results["a"].ok
    assert "403" in results["a"].error
    assert not results["b"].ok and "did not finish" in results["b"].error
    assert len(store.latest_snapshot("a").accounts) == 3
    assert len(store.latest_snapshot("b").accounts) == 4
    assert [e.details["ok"] for e in audit.entries(store, action_prefix="sync")] == [
        True,
        True,
        False,
        False,
    ]


def test_a_bug_in_a_connector_leaves_its_run_failed_and_the_others_complete(tmp_path):
    cfg = load_config(write_config(tmp_path, {"a": {"n": 3}, "b": {"n": 4}}))
    store = Store(cfg.store_path)
    assert all(r.ok for r in run_sync(cfg, store, connector_factory(cfg)))
    cfg = load_config(write_config(tmp_path, {"a": {"behaviour": "bug"}, "b": {"n": 5}}))
    results = {r.source: r for r in run_sync(cfg, store, connector_factory(cfg))}
    assert not results["a"].ok
    assert results["a"].error == "a: unexpected ZeroDivisionError: division by zero"
    assert results["b"].ok
    assert len(store.latest_snapshot("a").accounts) == 3  # the failed read is never current
    assert len(store.latest_snapshot("b").accounts) == 5
    failed = store.sync_run(results["a"].run_id)
    assert failed is not None and failed.status == "failed"


def test_sources_run_concurrently(tmp_path):
    cfg = load_config(write_config(tmp_path, {n: {"sleep": 1.0} for n in ("a", "b", "c")}))
    t = time.perf_counter()
    run_sync(cfg, Store(cfg.store_path), connector_factory(cfg))
    assert time.perf_counter() - t < 2.5  # one after another would take 3 s


def _hold_lock(path, ready, release):
    store = Store(path)
    with sync_lock(store):
        ready.set()
        release.wait(10)


def test_second_sync_waits_then_refuses(tmp_path):
    cfg = load_config(write_config(tmp_path, {"a": {}}))
    Store(cfg.store_path).close()
    ctx = multiprocessing.get_context("spawn")
    ready, release = ctx.Event(), ctx.Event()
    proc = ctx.Process(target=_hold_lock, args=(str(cfg.store_path), ready, release))
    proc.start()
    try:
        assert ready.wait(20)
        t = time.perf_counter()
        with pytest.raises(StoreBusy, match="another sync is running"):
            run_sync(cfg, Store(cfg.store_path), connector_factory(cfg), lock_wait=0.5)
        assert time.perf_counter() - t >= 0.5
    finally:
        release.set()
        proc.join(10)
    assert all(r.ok for r in run_sync(cfg, Store(cfg.store_path), connector_factory(cfg)))
