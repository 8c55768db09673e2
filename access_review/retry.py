"""The one retry helper: exponential backoff with full jitter, capped, bounded tries.

Only ``RetryableError`` is retried. A server's Retry-After wins over the computed backoff
(Graph sends fractional seconds, e.g. ``Retry-After: 2.128``).
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Callable, TypeVar

from . import activity
from .errors import RetryableError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    tries: int = 6
    base: float = 0.5
    cap: float = 30.0
    # Never sleep longer than this for one Retry-After: a server asking for an hour is an error.
    max_retry_after: float = 120.0

    def delay(self, attempt: int, retry_after: float | None, rng: random.Random) -> float:
        if retry_after is not None:
            return min(max(retry_after, 0.0), self.max_retry_after)
        return rng.uniform(0, min(self.cap, self.base * (2**attempt)))


DEFAULT_POLICY = RetryPolicy()


def with_retries(
    call: Callable[[], T],
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
    sleep: Callable[[float], None] = time.sleep,
    on_retry: Callable[[RetryableError, float], None] | None = None,
    rng: random.Random | None = None,
) -> T:
    """Run ``call``; on RetryableError wait and try again, up to ``policy.tries`` in all.

    The last RetryableError is re-raised unchanged, so the message still names the call.
    """
    rng = rng or random.Random()  # noqa: S311 (backoff jitter, not security)
    for attempt in range(policy.tries):
        try:
            return call()
        except RetryableError as exc:
            if attempt == policy.tries - 1:
                raise
            wait = policy.delay(attempt, exc.retry_after, rng)
            activity.note_retry(
                exc.source,
                exc.call,
                exc.detail,
                wait,
                throttled=exc.throttled,
                attempt=attempt + 1,
                tries=policy.tries,
            )
            if on_retry:
                on_retry(exc, wait)
            sleep(wait)
    raise AssertionError("unreachable")


def parse_retry_after(value: str | None) -> float | None:
    """Retry-After as seconds. Graph sends numbers (possibly fractional); HTTP-dates are rare here."""
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        from datetime import datetime, timezone

        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
