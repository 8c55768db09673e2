"""JSON batching: up to 20 GET listings per POST /$batch, each paged to its end.

The envelope answers 200 even when items inside failed; every item carries its own status
and headers (https://learn.microsoft.com/graph/json-batching#response-format). A throttled
item (429, or 503/5xx) is re-sent in a later batch after its own Retry-After; other item
errors raise their typed error (http.py). 20 is Graph's documented maximum per batch.
"""
from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
import random

from access_review import activity
from access_review.errors import IncompleteRead, RetryableError

from .client import GraphClient
from .http import GraphNotFound, error_for_status

BATCH_SIZE = 20


@dataclass
class BatchListings:
    """Results of batched listings: items per key, and keys whose object vanished (404)."""

    items: dict[str, list[dict]] = field(default_factory=dict)
    vanished: set[str] = field(default_factory=set)
    batches: int = 0


def fetch_batched_listings(client: GraphClient, listings: dict[str, str], *,
                           permission: str, root: str | None = None) -> BatchListings:
    """``listings`` maps a caller key (e.g. a group id) to a URL relative to the version
    root. ``root`` is another version's root (the beta endpoint) to batch against instead
    of the configured one: a $batch only takes URLs of its own version.

    An object deleted between the parent listing and this call answers 404: it is
    reported in ``vanished`` (the caller drops it) rather than failing the whole read.
    """
    endpoint = f"{root}/$batch" if root else "$batch"

    def relative(url: str) -> str:
        prefix = (root.rstrip("/") + "/") if root else None
        if prefix and url.startswith(prefix):
            return "/" + url[len(prefix):]
        return client.relative(url)

    result = BatchListings(items={key: [] for key in listings})
    pending: deque[tuple[str, str]] = deque(listings.items())
    tries: dict[str, int] = {}
    rng = random.Random()  # noqa: S311 (backoff jitter, not security)
    while pending:
        chunk = [pending.popleft() for _ in range(min(BATCH_SIZE, len(pending)))]
        body = {"requests": [{"id": str(i), "method": "GET", "url": url}
                             for i, (_, url) in enumerate(chunk)]}
        envelope = client.call("POST", endpoint, json=body, permission=permission).json()
        result.batches += 1
        answered = {str(r.get("id")): r for r in envelope.get("responses", [])}
        wait = 0.0
        throttled_now: list[bool] = []
        for i, (key, url) in enumerate(chunk):
            item = answered.get(str(i))
            call = client.call_name("GET", url)
            if item is None:
                raise IncompleteRead(client.source, call, "missing from the $batch response")
            status = int(item.get("status", 0))
            error = error_for_status(status, item.get("headers"), item.get("body"),
                                     source=client.source, call=call, permission=permission)
            if isinstance(error, RetryableError):
                attempt = tries.get(key, 0)
                if attempt + 1 >= client.policy.tries:
                    state = "still throttled" if error.throttled else "still failing"
                    raise IncompleteRead(client.source, call,
                                         f"{state} after {attempt + 1} tries: {error.detail}")
                tries[key] = attempt + 1
                throttled_now.append(error.throttled)
                wait = max(wait, client.policy.delay(attempt, error.retry_after, rng))
                pending.append((key, url))
                continue
            if isinstance(error, GraphNotFound):
                result.vanished.add(key)
                continue
            if error is not None:
                raise error
            page = item.get("body") or {}
            activity.note_page(client.source, call, len(page.get("value", [])))
            result.items[key].extend(page.get("value", []))
            if page.get("@odata.nextLink"):
                pending.appendleft((key, relative(page["@odata.nextLink"])))
        if wait:
            client.retries += 1
            activity.note_retry(client.source, client.call_name("POST", endpoint),
                                f"{len(pending)} listing(s) of the batch to send again", wait,
                                throttled=any(t for t in throttled_now))
            client.sleep(wait)
    for key in result.vanished:
        result.items.pop(key, None)
    return result
