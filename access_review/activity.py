"""What talking to a directory cost, counted per source as it happens, and logged.

Connectors report each request they send, each page of a listing they read and each retry
(``note_*``); the one retry helper (``retry.with_retries``) reports its waits itself. The sync
logs each source's totals when the source is done (``access_review.sync``), so the log of a
nightly sync says, per directory: requests, pages, retries, throttling waits and duration —
also for a sync that failed halfway, which a snapshot's own statistics cannot say.

Counters are per process and only grow; a caller wanting one sync's share takes the
difference of two ``totals`` (``since``). Thread-safe: sources sync in parallel threads.
"""

from __future__ import annotations

import logging
import threading
from typing import Mapping

log = logging.getLogger(__name__)

_lock = threading.Lock()
_counts: dict[str, dict[str, float]] = {}  # waited seconds are not whole: no Counter

REQUESTS, PAGES, RETRIES, THROTTLED, WAITED = (
    "requests",
    "pages",
    "retries",
    "throttled",
    "waited_seconds",
)


def count(source: str, what: str, n: float = 1) -> None:
    with _lock:
        counts = _counts.setdefault(source, {})
        counts[what] = counts.get(what, 0) + n


def note_request(source: str, call: str, outcome: str = "", seconds: float | None = None) -> None:
    """One request sent (an HTTP request, an LDAP operation, a token request)."""
    count(source, REQUESTS)
    if log.isEnabledFor(logging.DEBUG):
        took = f" in {seconds:.2f} s" if seconds is not None else ""
        log.debug(
            "%s: %s%s%s",
            source,
            call,
            f" -> {outcome}" if outcome else "",
            took,
            extra={"source": source, "event": "request"},
        )


def note_page(source: str, call: str, items: int | None = None) -> None:
    """One page of a listing read."""
    count(source, PAGES)
    if log.isEnabledFor(logging.DEBUG):
        log.debug(
            "%s: %s: page of %s item(s)",
            source,
            call,
            "?" if items is None else items,
            extra={"source": source, "event": "page"},
        )


def note_retry(
    source: str,
    call: str,
    reason: str,
    wait: float,
    *,
    throttled: bool,
    attempt: int | None = None,
    tries: int | None = None,
) -> None:
    """A call that will be tried again after ``wait`` seconds; ``throttled`` when the server
    asked us to slow down (429, a quota), not when it was unavailable or the network failed."""
    count(source, RETRIES)
    if throttled:
        count(source, THROTTLED)
        count(source, WAITED, wait)
    which = f" (try {attempt + 1} of {tries})" if attempt is not None and tries else ""
    log.warning(
        "%s: %s: %s; %s %.1f s%s",
        source,
        call,
        reason,
        "throttled, waiting" if throttled else "trying again in",
        wait,
        which,
        extra={"source": source, "event": "throttled" if throttled else "retry"},
    )


def totals(source: str) -> dict[str, float]:
    with _lock:
        return dict(_counts.get(source, {}))


def since(source: str, before: Mapping[str, float]) -> dict[str, float]:
    """What ``source`` cost since ``before`` (an earlier ``totals``)."""
    now = totals(source)
    return {
        k: now.get(k, 0) - before.get(k, 0) for k in (REQUESTS, PAGES, RETRIES, THROTTLED, WAITED)
    }


def describe(cost: Mapping[str, float]) -> str:
    """``1,234 requests, 40 pages, 2 retries, throttled 1 time (waited 4.2 s)``."""
    parts = [
        f"{int(cost.get(REQUESTS, 0)):,} requests",
        f"{int(cost.get(PAGES, 0)):,} pages",
        f"{int(cost.get(RETRIES, 0)):,} retries",
    ]
    throttled = int(cost.get(THROTTLED, 0))
    parts.append(
        f"throttled {throttled} time(s) (waited {cost.get(WAITED, 0):.1f} s)"
        if throttled
        else "never throttled"
    )
    return ", ".join(parts)
