"""Pacing calls to Google's per-minute quotas, so a sync runs at the quota's pace with no call
refused.

The Directory API allows "2,400 queries per minute per user per Google Cloud project" by
default and answers more with 403 userRateLimitExceeded
(https://developers.google.com/workspace/admin/directory/v1/limits). Every call inside a batch
counts ("A set of n requests batched together counts toward your usage limit as n requests ...
The batch request is separated into a set of requests before processing": Google's batch
guides), and Google counts a call when it processes it, which is somewhere between our
sending the batch and its answer arriving. Google enforces rate quotas per minute, refilling
"at the start of the next synchronized interval" (https://cloud.google.com/compute/api-quota).

So a call holds a slot from the moment it is sent (in flight) until 60 seconds after its
answer (by then Google has processed it, and 60 seconds have passed since, whichever way the
minute is measured): no 60 seconds, fixed or sliding, can hold more than ``per_minute`` calls
as Google counts them. Counting calls when sent instead lets a batch processed over a few
seconds spill into the next minute: refused calls. And a sync takes what is free: a batch is
as large as the free slots (a batch of 1,000 waiting for 1,000 free slots leaves the rest of
the quota idle), but at least ``lump`` calls when that many free up within a second, so slots
freed one at a time do not turn into batches of one.
"""

from __future__ import annotations

import time
from collections import deque
from contextlib import contextmanager
from typing import Callable, Iterator

WINDOW_SECONDS = 60.0
# How long a batch that could be smaller waits for more slots before taking those free now.
PATIENCE_SECONDS = 1.0


class QuotaPacer:
    """Slots for calls against a per-minute quota (see the module's docstring)."""

    def __init__(
        self,
        per_minute: int,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.per_minute = per_minute
        self.clock, self.sleep = clock, sleep
        self.in_flight = 0
        self.answered: deque[tuple[float, int]] = deque()  # (answer time, calls), oldest first
        self.waited = 0.0

    @property
    def lump(self) -> int:
        """The fewest calls worth a batch of their own while the quota is busy: a tenth of it."""
        return max(1, self.per_minute // 10)

    def free(self) -> int:
        """Slots free now: the quota less calls in flight and calls answered in the last 60 s."""
        now = self.clock()
        while self.answered and self.answered[0][0] + WINDOW_SECONDS <= now:
            self.answered.popleft()
        return self.per_minute - self.in_flight - sum(n for _, n in self.answered)

    def acquire(self, wanted: int, at_least: int | None = None) -> int:
        """Take up to ``wanted`` slots, waiting until at least ``at_least`` (default: all of
        ``wanted``) are free; returns how many were taken. Give them back with ``release``.

        With ``at_least`` given, slots that are free now are taken rather than waiting more
        than ``PATIENCE_SECONDS`` for ``at_least`` of them: the end of a minute's quota is
        used, not left idle until the next."""
        need = wanted if at_least is None else max(1, min(at_least, wanted))
        if need > self.per_minute:
            raise ValueError(
                f"{need} calls at once exceed the quota of {self.per_minute} per minute"
            )
        while (free := self.free()) < need:
            if not self.answered:
                raise RuntimeError(
                    f"{need} slots wanted while {self.in_flight} calls are still in flight: "
                    "release them first"
                )
            if (
                at_least is not None
                and free >= 1
                and self._ready_at(need) - self.clock() > PATIENCE_SECONDS
            ):
                break
            wait = self.answered[0][0] + WINDOW_SECONDS - self.clock()
            self.waited += wait
            self.sleep(wait)
        taken = min(wanted, free)
        self.in_flight += taken
        return taken

    def _ready_at(self, need: int) -> float:
        """When ``need`` slots will be free, as answered calls leave the window."""
        free = self.free()
        for answered_at, calls in self.answered:
            free += calls
            if free >= need:
                return answered_at + WINDOW_SECONDS
        return float("inf")

    def release(self, calls: int) -> None:
        """``calls`` taken with ``acquire`` have been answered: Google has processed them by
        now, so they hold their slots for the next 60 seconds."""
        self.in_flight -= calls
        self.answered.append((self.clock(), calls))

    @contextmanager
    def calls(self, n: int = 1) -> Iterator[None]:
        """Hold ``n`` slots around one request (a page of a listing), answered or failed."""
        self.acquire(n)
        try:
            yield
        finally:
            self.release(n)


# Vault: "Read requests per minute per project: Export, matter, and saved query 120; Hold 228",
# and "matters.list: 10 matter reads" (https://developers.google.com/workspace/vault/limits). A
# Vault sync reads one page of matters and the holds of each: paced at the lower of the two.
VAULT_READS_PER_MINUTE = 120


def build_pacers(
    directory_per_minute: int,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> dict[str, QuotaPacer]:
    """One pacer per API: each has a quota of its own, so a Drive or Vault call never waits
    for the Directory's minute. Drive counts "quota units" (325,000 a minute per user:
    https://developers.google.com/workspace/drive/api/guides/limits) with no per-call cost
    published for permissions.list: its calls keep the Directory's pace in a budget of their
    own, far under that."""

    def pacer(per_minute: int) -> QuotaPacer:
        return QuotaPacer(per_minute, clock=clock, sleep=sleep)

    return {
        "directory": pacer(directory_per_minute),
        "drive": pacer(directory_per_minute),
        "vault": pacer(VAULT_READS_PER_MINUTE),
    }
