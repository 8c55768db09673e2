"""Rate limiting of link attempts: a personal link is 256 bits of signature, so guessing one
is hopeless, but a client that keeps trying links is told to wait rather than served — and
the audit log and the server's log are not flooded. In memory, per client address, in one
server process (the documented deployment); bounded in the addresses it remembers."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from typing import Callable


class AttemptLimiter:
    def __init__(
        self,
        limit: int,
        window_seconds: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_clients: int = 10_000,
    ):
        self.limit, self.window, self.clock, self.max_clients = (
            limit,
            window_seconds,
            clock,
            max_clients,
        )
        self._seen: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def wait_for(self, client: str) -> float:
        """Record an attempt by ``client``: 0 when it may go ahead, else the seconds to wait."""
        now = self.clock()
        with self._lock:
            times = self._seen.pop(client, None) or deque()
            while times and now - times[0] >= self.window:
                times.popleft()
            self._seen[client] = times  # most recently seen last
            if len(times) >= self.limit:
                return max(1.0, self.window - (now - times[0]))
            times.append(now)
            while len(self._seen) > self.max_clients:
                self._seen.popitem(last=False)
            return 0.0
