"""Sync orchestration: run the configured sources concurrently and store each snapshot.

A source's snapshot is stored only when its connector read everything (``complete``);
otherwise the run is recorded as failed and the previous complete snapshot stays current.
Only one sync runs at a time per store: a second waits briefly, then refuses. The connectors
come from the caller (a ``name -> Connector`` factory): the core never builds one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterator, Sequence

from . import activity, audit
from .config import Config
from .connector import ConnectorFactory, Progress
from .errors import AccessReviewError, ConfigError, StoreBusy
from .records import Snapshot
from .store import Store, SyncRun

log = logging.getLogger(__name__)


@dataclass
class SourceResult:
    source: str
    ok: bool
    run_id: int
    seconds: float
    counts: dict[str, int] = field(default_factory=dict)
    stats: dict[str, int] = field(default_factory=dict)
    mode: str = "full"
    error: str = ""
    hint: str = ""
    warnings: list[str] = field(default_factory=list)


@contextmanager
def sync_lock(store: Store, wait_seconds: float = 10.0) -> Iterator[None]:
    """An exclusive lock beside the store file, released when the process ends however it ends."""
    path = store.path.with_name(store.path.name + ".sync.lock")
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    deadline = time.monotonic() + wait_seconds
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = Path(path).read_text().strip() if Path(path).exists() else ""
                    raise StoreBusy(
                        f"another sync is running on {store.path}"
                        + (f" (pid {holder})" if holder else ""),
                        hint="wait for it to finish, then run the sync again",
                    ) from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)


def select_sources(config: Config, names: Sequence[str] | None) -> list[str]:
    if not config.sources:
        raise ConfigError(
            f"{config.path}: no [sources.NAME] tables are configured",
            hint="add one per directory (see `access-review init`)",
        )
    if not names:
        return list(config.sources)
    unknown = [n for n in names if n not in config.sources]
    if unknown:
        raise ConfigError(
            f"unknown source(s): {', '.join(unknown)}",
            hint=f"configured: {', '.join(config.sources)}",
        )
    return list(names)


def run_sync(
    config: Config,
    store: Store,
    connector_for: ConnectorFactory,
    names: Sequence[str] | None = None,
    *,
    full: bool = False,
    progress_factory: Callable[[str], Progress] | None = None,
    lock_wait: float = 10.0,
    on_interrupted: Callable[[list[SyncRun]], None] | None = None,
) -> list[SourceResult]:
    """Sync the chosen sources concurrently. ``connector_for(name)`` builds the connector of a
    configured source. Returns one result per source; never raises for a single source's
    failure (that source is recorded as failed, the others go on).

    Each run is stored together with its ``sync`` audit entry, in one transaction, so a
    snapshot in use always has its entry even if the process is killed a moment later. Runs
    left 'running' by a sync that was killed are marked interrupted first (and handed to
    ``on_interrupted``)."""
    chosen = select_sources(config, names)
    results: list[SourceResult] = []
    with sync_lock(store, lock_wait):
        interrupted = mark_interrupted(store)
        if interrupted and on_interrupted:
            on_interrupted(interrupted)
        connectors, previous, run_ids = {}, {}, {}
        for name in chosen:
            try:
                connectors[name] = connector_for(name)
            except AccessReviewError as exc:
                run_id = store.begin_sync(name)
                results.append(
                    _record_failure(
                        store,
                        SourceResult(name, False, run_id, 0.0, error=str(exc), hint=exc.hint or ""),
                        cost={},
                    )
                )
                continue
            previous[name] = None if full else store.latest_snapshot(name)
            run_ids[name] = store.begin_sync(name, attempted_mode(previous[name]))

        started: dict[str, float] = {}
        cost_before: dict[str, dict[str, float]] = {}

        def fetch(name: str) -> tuple[Snapshot, float]:
            progress = progress_factory(name) if progress_factory else (lambda *a: None)
            log.info(
                "sync %s: started (%s)",
                name,
                attempted_mode(previous[name]),
                extra={"source": name},
            )
            cost_before[name] = activity.totals(name)
            started[name] = time.perf_counter()
            snap = connectors[name].fetch_snapshot(previous[name], progress)
            return snap, time.perf_counter() - started[name]

        def took(name: str) -> float:
            return time.perf_counter() - started[name] if name in started else 0.0

        def fetch_failed(name: str, error: str, hint: str = "") -> SourceResult:
            """The source's run recorded as failed before it returned a snapshot: in the mode
            it set out in, with what its reads cost until then."""
            return _record_failure(
                store,
                SourceResult(
                    name,
                    False,
                    run_ids[name],
                    took(name),
                    mode=attempted_mode(previous[name]),
                    error=error,
                    hint=hint,
                ),
                cost=activity.since(name, cost_before.get(name, {})),
            )

        with ThreadPoolExecutor(max_workers=max(1, len(connectors))) as pool:
            futures = {pool.submit(fetch, name): name for name in connectors}
            for future in as_completed(futures):
                name = futures[future]
                run_id = run_ids[name]
                try:
                    snap, seconds = future.result()
                except AccessReviewError as exc:
                    results.append(fetch_failed(name, str(exc), exc.hint or ""))
                    continue
                except Exception as exc:  # a bug in a connector must still leave the run failed
                    log.exception("sync %s: a bug in the connector", name, extra={"source": name})
                    results.append(
                        fetch_failed(name, f"{name}: unexpected {type(exc).__name__}: {exc}")
                    )
                    continue
                if not snap.complete:
                    msg = f"{name}: the read did not finish; the previous complete snapshot stays current"
                    results.append(
                        _record_failure(
                            store,
                            SourceResult(name, False, run_id, seconds, mode=snap.mode, error=msg),
                            snap,
                            cost=activity.since(name, cost_before.get(name, {})),
                        )
                    )
                    continue
                result = SourceResult(
                    name,
                    True,
                    run_id,
                    seconds,
                    snap.counts(),
                    dict(snap.stats),
                    snap.mode,
                    warnings=list(snap.warnings),
                )
                with store.transaction():
                    store.complete_sync(run_id, snap)
                    _audit_sync(store, result)
                _log_result(result, activity.since(name, cost_before.get(name, {})))
                results.append(result)
    results.sort(key=lambda r: chosen.index(r.source))
    return results


def attempted_mode(previous: Snapshot | None) -> str:
    """The mode a sync sets out in: incremental when the last complete snapshot left a cursor
    to read on from (the AD USN, the Entra delta links), else full. A failed run is recorded in
    this mode, so `status` does not call a failed incremental run "full"; a complete run is
    recorded in the mode its connector reports (it may fall back to full)."""
    return (
        "incremental" if previous is not None and previous.complete and previous.cursor else "full"
    )


def mark_interrupted(store: Store) -> list[SyncRun]:
    """Under the sync lock: runs left 'running' by a process that is gone become interrupted,
    each with an audit entry, in one transaction."""
    with store.transaction():
        runs = store.mark_interrupted_runs()
        for run in runs:
            audit.append(
                store,
                "sync.interrupted",
                {
                    "source": run.source,
                    "run": run.id,
                    "started": run.started_at.isoformat(),
                    "noticed": run.finished_at.isoformat() if run.finished_at else None,
                },
            )
    return runs


def _record_failure(
    store: Store, result: SourceResult, snap: Snapshot | None = None, *, cost: dict[str, float]
) -> SourceResult:
    with store.transaction():
        store.fail_sync(result.run_id, result.error, snap)
        _audit_sync(store, result)
    _log_result(result, cost)
    return result


def _log_result(r: SourceResult, cost: dict[str, float]) -> None:
    """One line per source and sync, for the log file, syslog or a SIEM: what was read, what it
    cost (requests, pages, retries, throttling waits) and how long it took."""
    extra = {
        "source": r.source,
        "event": "sync",
        "ok": r.ok,
        "mode": r.mode,
        "seconds": round(r.seconds, 3),
        "counts": r.counts,
        **{k: round(v, 3) for k, v in cost.items()},
    }
    if r.ok:
        log.info(
            "sync %s: complete (%s), %s in %.1f s; %s",
            r.source,
            r.mode,
            ", ".join(f"{n:,} {k}" for k, n in r.counts.items()),
            r.seconds,
            activity.describe(cost),
            extra=extra,
        )
        for w in r.warnings:
            log.warning(
                "sync %s: %s", r.source, w, extra={"source": r.source, "event": "sync.warning"}
            )
    else:
        log.error(
            "sync %s: failed (%s) after %.1f s: %s; %s",
            r.source,
            r.mode,
            r.seconds,
            r.error,
            activity.describe(cost),
            extra=extra,
        )


def _audit_sync(store: Store, r: SourceResult) -> None:
    audit.append(
        store,
        "sync",
        {
            "source": r.source,
            "run": r.run_id,
            "ok": r.ok,
            "mode": r.mode,
            "counts": r.counts,
            "stats": r.stats,
            "error": r.error,
        },
    )
