"""HTTP batch requests: thousands of calls in tens of round trips, paced to the quota.

Google's batch endpoint answers a multipart/mixed request with one part per call, each with
its own status (https://developers.google.com/workspace/admin/directory/v1/guides/batch).
So a batch can half succeed: items that were throttled are sent again in the next batch,
with backoff from the one retry helper, and nothing that succeeded is asked for twice.
Every call inside a batch counts against its API's per-minute quota: each batch is as large
as the slots its API's ``QuotaPacer`` has free (quota.py), up to the batch limit.
"""

from __future__ import annotations

import socket
import time
from collections import deque
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Callable, Iterable, Mapping

import httplib2
from google.auth import exceptions as auth_exceptions
from googleapiclient.errors import HttpError

from access_review import activity
from access_review.errors import IncompleteRead, RetryableError, SourceError
from access_review.retry import DEFAULT_POLICY, RetryPolicy, with_retries

from .client import GoogleClients
from .http import execute, translate_http_error, translate_refresh_error
from .quota import QuotaPacer


@dataclass(frozen=True)
class BatchCall:
    """One call to put in a batch: ``build`` makes a fresh HttpRequest for each attempt."""

    key: Any
    call: str
    build: Callable[[], Any]


@dataclass
class BatchRunner:
    clients: GoogleClients
    pacers: Mapping[str, QuotaPacer]  # per API: "directory", "drive", "vault"
    policy: RetryPolicy = DEFAULT_POLICY
    sleep: Callable[[float], None] = time.sleep
    stats: dict[str, int] = field(default_factory=dict)

    @property
    def source(self) -> str:
        return self.clients.settings.source

    def count(self, name: str, n: int = 1) -> None:
        self.stats[name] = self.stats.get(name, 0) + n

    def run(
        self, api: str, calls: Iterable[BatchCall], *, scope: str, batch_size: int
    ) -> dict[Any, Any]:
        """Every call's response by key. Raises the first non-retryable error, or the last
        throttling error once the tries are spent; never returns a partial result.

        Each batch takes the slots free in the API's quota, up to its size: with 400 of 2,400
        free, 400 calls go now rather than 1,000 a minute later."""
        pacer = self.pacers[api]
        remaining = deque(calls)
        results: dict[Any, Any] = {}
        while remaining:
            size = self._batch_size(pacer, len(remaining), batch_size)
            if size == 1:
                call = remaining.popleft()
                results[call.key] = self._run_one(pacer, call, scope)
                continue
            taken = pacer.acquire(
                min(size, len(remaining)), at_least=min(size, len(remaining), pacer.lump)
            )
            chunk = [remaining.popleft() for _ in range(taken)]
            results.update(self._run_chunk(api, pacer, chunk, scope))
        return results

    @staticmethod
    def _batch_size(pacer: QuotaPacer, backlog: int, batch_size: int) -> int:
        """``batch_size`` while the quota has room for the whole ``backlog``; once it binds, a
        tenth of the quota: a call holds its slot until 60 s after its batch's answer, so a
        batch answered sooner (fewer calls to process) frees its slots sooner."""
        if batch_size == 1 or backlog <= pacer.free():
            return max(1, min(batch_size, pacer.per_minute))
        return max(1, min(batch_size, pacer.lump))

    def _run_one(self, pacer: QuotaPacer, call: BatchCall, scope: str) -> Any:
        with pacer.calls(1):
            self.count("api_calls")
            return execute(
                self.source,
                call.call,
                call.build,
                scope=scope,
                scopes=self.clients.scopes,
                policy=self.policy,
                sleep=self.sleep,
            )

    def _run_chunk(
        self, api: str, pacer: QuotaPacer, chunk: list[BatchCall], scope: str
    ) -> dict[Any, Any]:
        """One batch of ``chunk``, its slots already taken; throttled items again, in batches of
        their own, each attempt taking its slots anew."""
        pending: dict[str, BatchCall] = {str(i): c for i, c in enumerate(chunk)}
        results: dict[Any, Any] = {}
        held = len(chunk)  # the first attempt's slots were taken by run()

        def send_pending() -> None:
            nonlocal held
            if not held:
                held = pacer.acquire(len(pending))
            self.count("api_calls", len(pending))
            self.count("batches")
            failures: dict[str, SourceError] = {}

            def on_response(request_id: str, response: Any, exc: HttpError | None) -> None:
                if exc is None:
                    results[pending[request_id].key] = response
                else:
                    failures[request_id] = translate_http_error(
                        self.source, pending[request_id].call, exc, scope=scope
                    )

            what = f"batch of {len(pending)} calls ({next(iter(pending.values())).call}, ...)"
            try:
                batch = self.clients.new_batch(api)
                for request_id, c in pending.items():
                    batch.add(c.build(), callback=on_response, request_id=request_id)
                batch.execute(http=self.clients.authorized)
            except HttpError as exc:
                raise translate_http_error(self.source, what, exc, scope=scope) from None
            except (auth_exceptions.RefreshError, auth_exceptions.TransportError) as exc:
                raise translate_refresh_error(
                    self.source, what, exc, self.clients.scopes, self.clients.authorized.credentials
                ) from None
            except (httplib2.HttpLib2Error, socket.timeout, OSError) as exc:
                raise RetryableError(self.source, what, f"network error: {exc}") from None
            finally:
                pacer.release(held)  # answered or not, Google may have counted them by now
                held = 0
            for request_id in list(pending):
                if request_id not in failures:
                    del pending[request_id]
            fatal = [e for e in failures.values() if not isinstance(e, RetryableError)]
            if fatal:
                raise fatal[0]
            if failures:
                self.count("items_retried", len(failures))
                first = next(iter(failures.values()))
                waits = [
                    e.retry_after
                    for e in failures.values()
                    if isinstance(e, RetryableError) and e.retry_after is not None
                ]
                raise RetryableError(
                    self.source,
                    first.call,
                    f"{len(failures)} calls of a batch throttled or failed: "
                    f"{str(first).split(': ', 2)[-1]}",
                    retry_after=max(waits) if waits else None,
                    throttled=any(getattr(e, "throttled", False) for e in failures.values()),
                )

        def on_retry(exc: RetryableError, wait: float) -> None:
            self.count("retries")

        with_retries(send_pending, policy=self.policy, sleep=self.sleep, on_retry=on_retry)
        return results

    def run_paged(
        self,
        api: str,
        first_pages: Mapping[Any, Callable[[str | None], Any]],
        *,
        call: str,
        items_field: str,
        scope: str,
        batch_size: int,
    ) -> dict[Any, list[dict]]:
        """Page every listing to its end. Calls wait in one queue and each batch is filled from
        it, so a next page found in one batch rides in a later batch with other first pages
        instead of costing a round trip of its own."""
        items: dict[Any, list[dict]] = {key: [] for key in first_pages}
        seen_tokens: dict[Any, set[str]] = {key: set() for key in first_pages}
        queue: deque[tuple[Any, str | None]] = deque((key, None) for key in first_pages)
        while queue:
            size = self._batch_size(self.pacers[api], len(queue), batch_size)
            todo = [queue.popleft() for _ in range(min(size, len(queue)))]
            calls = [
                BatchCall(
                    key=(key, token),
                    call=f"{call} {key}" + (" (next page)" if token else ""),
                    build=partial(first_pages[key], token),
                )
                for key, token in todo
            ]
            responses = self.run(api, calls, scope=scope, batch_size=batch_size)
            for key, token in todo:
                page = responses[(key, token)] or {}
                activity.note_page(
                    self.source, f"{call} {key}", len(page.get(items_field, []) or [])
                )
                items[key].extend(page.get(items_field, []) or [])
                next_token = page.get("nextPageToken")
                if next_token:
                    if next_token in seen_tokens[key]:
                        raise IncompleteRead(
                            self.source,
                            f"{call} {key}",
                            "the server repeated a page token; the listing would never end",
                        )
                    seen_tokens[key].add(next_token)
                    queue.append((key, next_token))
        return items
