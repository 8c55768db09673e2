"""Several processes opening a new store at once (a `status` while `sync` starts, the kill -9
test's poller): each applies the migrations it still finds missing under the write lock, so
none fails with "table sync_runs already exists"."""
import multiprocessing

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
