"""Run work on several directories at once: one worker thread per source.

The store and the audit log are written by the calling thread only: a worker hands each
write to it (``record``) and waits until it is done. So a record a worker makes before calling
a directory is on disk before the call, and an SQLite connection is never shared between
threads. A source whose work raises stops there (its remaining items are reported "not run")
and never stops the other sources.
"""

from __future__ import annotations

import queue
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any, Callable, Generic, Mapping, Sequence, TypeVar

from ..connector import Connector, ConnectorFactory
from ..errors import AccessReviewError

T = TypeVar("T")
R = TypeVar("R")
Record = Callable[[Callable[[], Any]], Any]


class Recorder:
    """Runs store writes on the thread that owns the store, for workers that wait on them."""

    def __init__(self) -> None:
        self.requests: "queue.Queue[tuple[Callable[[], Any], Future[Any]]]" = queue.Queue()

    def call(self, fn: Callable[[], Any]) -> Any:
        done: Future[Any] = Future()
        self.requests.put((fn, done))
        return done.result()

    def serve(self, workers: list[threading.Thread]) -> None:
        while True:
            try:
                fn, done = self.requests.get(timeout=0.02)
            except queue.Empty:
                if not any(w.is_alive() for w in workers) and self.requests.empty():
                    return
                continue
            try:
                done.set_result(fn())
            except BaseException as exc:  # handed back to the waiting worker
                done.set_exception(exc)


@dataclass
class SourceRun(Generic[R]):
    results: list[R] = field(default_factory=list)
    failed_sources: dict[str, str] = field(default_factory=dict)  # source -> the error
    not_run: dict[str, list[Any]] = field(default_factory=dict)  # source -> items never tried
    seconds_by_source: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0


def describe_error(exc: BaseException) -> str:
    """One line: what failed and, when the error knows it, what to do next."""
    if isinstance(exc, AccessReviewError):
        return f"{exc}; next: {exc.hint}" if exc.hint else str(exc)
    return f"{type(exc).__name__}: {exc}"


def run_per_source(
    items: Mapping[str, Sequence[T]],
    connector_for: ConnectorFactory,
    handle: Callable[[Connector, T, Record], R],
    on_error: Callable[[T, str, Record], R],
) -> SourceRun[R]:
    """For each source, in its own thread: build its connector, then ``handle`` its items in
    order. When ``handle`` raises, ``on_error`` records that item and the source stops."""
    run: SourceRun[R] = SourceRun()
    recorder = Recorder()
    per_source: dict[str, list[R]] = {s: [] for s in items}

    def work(source: str) -> None:
        started = time.perf_counter()
        todo = list(items[source])
        try:
            # Built in the worker: a connector may hold thread-bound handles (SQLite, sockets).
            connector = connector_for(source)
        except Exception as exc:
            run.failed_sources[source] = describe_error(exc)
            run.not_run[source] = todo
            return
        for index, item in enumerate(todo):
            try:
                per_source[source].append(handle(connector, item, recorder.call))
            except Exception as exc:
                message = describe_error(exc)
                per_source[source].append(on_error(item, message, recorder.call))
                run.failed_sources[source] = message
                run.not_run[source] = todo[index + 1 :]
                break
        run.seconds_by_source[source] = time.perf_counter() - started

    t0 = time.perf_counter()
    workers = [
        threading.Thread(target=work, args=(s,), name=f"source-{s}", daemon=True) for s in items
    ]
    for w in workers:
        w.start()
    recorder.serve(workers)
    for w in workers:
        w.join()
    run.seconds = time.perf_counter() - t0
    for source in items:
        run.results.extend(per_source[source])
    return run
