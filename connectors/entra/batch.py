"""JSON batching: every listing of a sync travels in POST /$batch, 20 GETs at a time, each
paged to its end.

Graph takes at most 20 requests per batch ("JSON batch requests are currently limited to 20
individual requests", https://learn.microsoft.com/graph/json-batching#batch-size-limitations),
and a batch item may be any GET, a paged listing included: the docs' own example batches one
that answers with an ``@odata.nextLink``. So the runner keeps one queue of pages to read and
fills each batch from it: a listing's next page goes in the next batch, beside the first pages
of other listings, and a listing with many pages (users) costs one item per batch rather than
a request of its own per page. ``then`` lets a finished listing queue the listings that need
its answer (the app-role listings of the service principals just read).

The envelope answers 200 even when items inside failed; every item carries its own status
and headers (https://learn.microsoft.com/graph/json-batching#response-format). A throttled
item (429, or 503/5xx) is re-sent in a later batch after its own Retry-After; other item
errors raise their typed error (http.py), unless the listing says it tolerates that error.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
import random
from typing import Callable, Generic, Hashable, Mapping, TypeVar

from access_review import activity
from access_review.errors import IncompleteRead, RetryableError, SourceError

from .client import GraphClient
from .http import GraphNotFound, error_for_status

BATCH_SIZE = 20


@dataclass(frozen=True)
class Listing:
    """One listing to page to its end. ``url`` is relative to the batch's version root (or a
    link Graph handed out, on the configured host). ``delta``: a delta round, which must end
    on an ``@odata.deltaLink``. ``tolerate``: errors recorded for the caller to handle instead
    of failing the whole read: in ``failed`` (a missing licence, an optional read), or, for
    GraphNotFound, in ``vanished`` (the object listed was deleted since its parent listing)."""

    url: str
    permission: str
    delta: bool = False
    tolerate: tuple[type[SourceError], ...] = ()


K = TypeVar(
    "K", bound=Hashable
)  # what names a listing: a group id, "users", ("assigned_to", id), ...


@dataclass
class BatchListings(Generic[K]):
    """What the batches read: items per key, the deltaLink of each delta round, keys whose
    object vanished (404), and keys that failed with an error their listing tolerates."""

    items: dict[K, list[dict]] = field(default_factory=dict)
    delta_links: dict[K, str] = field(default_factory=dict)
    vanished: set[K] = field(default_factory=set)
    failed: dict[K, SourceError] = field(default_factory=dict)
    pages: dict[K, int] = field(default_factory=dict)
    batches: int = 0


Then = Callable[[K, BatchListings[K]], Mapping[K, Listing]]


def fetch_batched_listings(
    client: GraphClient,
    listings: Mapping[K, Listing | str],
    *,
    permission: str | None = None,
    root: str | None = None,
    then: Then[K] | None = None,
    on_batch: Callable[[BatchListings[K]], None] | None = None,
) -> BatchListings[K]:
    """Read every listing (a ``Listing``, or a URL read with ``permission``) to its end.

    ``root`` is another version's root (the beta endpoint) to batch against instead of the
    configured one: a $batch only takes URLs of its own version. ``then(key, result)`` is
    called when a listing ends (or fails with a tolerated error) and returns listings to add.
    """
    endpoint = f"{root}/$batch" if root else "$batch"
    prefix = (root.rstrip("/") + "/") if root else None

    def relative(url: str) -> str:
        if prefix and url.startswith(prefix):
            return "/" + url[len(prefix) :]
        return client.relative(url)

    result: BatchListings[K] = BatchListings()
    wanted: dict[K, Listing] = {}
    pending: deque[tuple[K, str]] = deque()
    tries: dict[K, int] = {}

    def add(new: Mapping[K, Listing | str]) -> None:
        for key, listing in new.items():
            if not isinstance(listing, Listing):
                listing = Listing(listing, permission or "")
            wanted[key] = listing
            result.items[key], result.pages[key] = [], 0
            pending.append((key, relative(listing.url)))

    def finished(key: K) -> None:
        if then is not None:
            add(then(key, result))

    add(listings)
    rng = random.Random()  # noqa: S311 (backoff jitter, not security)
    while pending:
        chunk = [pending.popleft() for _ in range(min(BATCH_SIZE, len(pending)))]
        body = {
            "requests": [
                {"id": str(i), "method": "GET", "url": url} for i, (_, url) in enumerate(chunk)
            ]
        }
        try:
            envelope = client.call(
                "POST", endpoint, json=body, permission=wanted[chunk[0][0]].permission
            ).json()
        except RetryableError as exc:
            raise _cut_short(client, result, wanted, chunk, exc) from exc
        result.batches += 1
        answered = {str(r.get("id")): r for r in envelope.get("responses", [])}
        wait = 0.0
        throttled_now: list[bool] = []
        for i, (key, url) in enumerate(chunk):
            listing, item = wanted[key], answered.get(str(i))
            call = client.call_name("GET", url)
            if item is None:
                raise IncompleteRead(client.source, call, "missing from the $batch response")
            error = error_for_status(
                int(item.get("status", 0)),
                item.get("headers"),
                item.get("body"),
                source=client.source,
                call=call,
                permission=listing.permission,
            )
            if isinstance(error, RetryableError):
                attempt = tries.get(key, 0)
                if attempt + 1 >= client.policy.tries:
                    state = "still throttled" if error.throttled else "still failing"
                    raise _cut_short(
                        client,
                        result,
                        wanted,
                        [(key, url)],
                        f"{state} after {attempt + 1} tries: {error.detail}",
                    )
                tries[key] = attempt + 1
                throttled_now.append(error.throttled)
                wait = max(wait, client.policy.delay(attempt, error.retry_after, rng))
                pending.append((key, url))
                continue
            tries.pop(key, None)
            if error is not None and isinstance(error, listing.tolerate):
                if isinstance(error, GraphNotFound):
                    result.vanished.add(key)
                else:
                    result.failed[key] = error
                result.items.pop(key, None)
                finished(key)
                continue
            if error is not None:
                raise error
            page = item.get("body") or {}
            activity.note_page(client.source, call, len(page.get("value", [])))
            result.items[key].extend(page.get("value", []))
            result.pages[key] += 1
            if page.get("@odata.nextLink"):
                # At the front: a listing's next page rides in the very next batch.
                pending.appendleft((key, relative(page["@odata.nextLink"])))
                continue
            if listing.delta:
                if not page.get("@odata.deltaLink"):
                    raise IncompleteRead(
                        client.source,
                        client.call_name("GET", listing.url),
                        "delta page had neither nextLink nor deltaLink",
                    )
                result.delta_links[key] = page["@odata.deltaLink"]
            finished(key)
        if on_batch is not None:
            on_batch(result)
        if wait:
            client.retries += 1
            activity.note_retry(
                client.source,
                client.call_name("POST", endpoint),
                f"{len(pending)} listing(s) of the batch to send again",
                wait,
                throttled=any(t for t in throttled_now),
            )
            client.sleep(wait)
    return result


def _cut_short(
    client: GraphClient,
    result: BatchListings[K],
    wanted: Mapping[K, Listing],
    chunk: list[tuple[K, str]],
    cause: RetryableError | str,
) -> SourceError:
    """The error for a read that cannot go on: an IncompleteRead naming a listing that was
    part-way through (never a short listing passed off as whole); the throttling error
    itself when nothing had been read yet."""
    started = [key for key, _ in chunk if result.pages.get(key)]
    key = started[0] if started else chunk[0][0]
    listing = wanted[key]
    call = client.call_name("GET", listing.url)
    what = "delta round" if listing.delta else "listing"
    if not started and isinstance(cause, RetryableError):
        return cause
    return IncompleteRead(
        client.source, call, f"{what} stopped after {result.pages.get(key, 0)} page(s): {cause}"
    )
