"""The connector contract: everything a connector must do, owned by the core.

A connector reads one configured source into a ``Snapshot`` and applies a small set of
idempotent actions, each returning the prior state so it can be undone. Paging, rate
limits, retries and delta tokens live inside the connector. The core never builds a
connector: the terminal layer (``access_review/cli/connectors.py``) builds them through
``connectors.registry`` and hands them to the core (``run_sync``, suspension, campaign
remediation) as a ``name -> Connector`` factory.

What a connector provides (``Connector`` below):
  fetch_snapshot(previous, progress)  a complete ``Snapshot`` or an exception, never a partial read
  fetch_accounts(keys)                the named accounts as the directory holds them now: a few
                                      targeted reads (suspension, restore), never a listing
  apply(action)                       one ``Action`` -> ``ActionResult`` with the prior state
  refusal(action, snapshot)           why it would refuse an action, at planning time
  doctor()                            read-only connectivity and permission ``Check``s

Rhythm of every connector package (``connectors/<type>/``; CONTRIBUTING.md walks through it):
  client.py     build the authenticated client from settings and secrets
  fetch.py      network reads: page to the end or raise (``fetch_*``)
  transform.py  pure: raw dicts in, records out (``transform_*``)
  actions.py    the write operations
  doctor.py     the read-only checks
  connector.py  the class implementing ``Connector``, wiring the above together, and
                ``build_connector(name, settings, *, base_dir)`` for ``connectors/registry.py``
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import (
    Any,
    Callable,
    Iterable,
    Iterator,
    Literal,
    Mapping,
    Protocol,
    Sequence,
    TypeVar,
    runtime_checkable,
)

from access_review.errors import SourceError
from access_review.records import Account, Snapshot

T = TypeVar("T")

# progress(stage, done, total): stage is e.g. "users", "groups", "members"; total may be None.
Progress = Callable[[str, int, "int | None"], None]


def no_progress(stage: str, done: int, total: int | None) -> None:
    return None


def counting(items: Iterable[T], stage: str, progress: Progress, every: int = 500) -> Iterator[T]:
    """Pass ``items`` through, telling ``progress`` how many went by, so a long listing
    shows movement page by page instead of only when it ends."""
    done = 0
    for done, item in enumerate(items, 1):
        if done % every == 0:
            progress(stage, done, None)
        yield item
    progress(stage, done, done)


def account_ids(source: str, keys: Sequence[str]) -> dict[str, str]:
    """key -> the directory's id, for ``fetch_accounts``; a key of another source or kind is a
    caller's mistake, said as such."""
    prefix = f"{source}:account:"
    out = {}
    for key in keys:
        if not key.startswith(prefix) or len(key) == len(prefix):
            raise SourceError(
                source, "fetch_accounts", f"{key!r} is not an account key of source {source!r}"
            )
        out[key] = key[len(prefix) :]
    return out


ActionKind = Literal[
    "disable_account",  # target: account key
    "enable_account",  # target: account key
    "revoke_sessions",  # target: account key (Entra revokeSignInSessions, Google signOut)
    "remove_membership",  # target: group key, params["member"]: member key
    "remove_grant",  # target: grant key, params may carry resource/principal keys
    "revoke_oauth_token",  # target: account key, params["client_id"]
]


@dataclass(frozen=True)
class Action:
    kind: str
    source: str
    target: str
    params: Mapping[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        extra = ", ".join(f"{k}={v}" for k, v in sorted(self.params.items()))
        return f"{self.kind} {self.target}" + (f" ({extra})" if extra else "")


# What became of an action (``ActionResult.status``).
ActionStatus = Literal["changed", "unchanged", "refused", "failed"]


@dataclass
class ActionResult:
    """The outcome of one action.

    status: "changed" (done now), "unchanged" (already in the wanted state: idempotent),
    "refused" (the connector will not do it, e.g. wrong authority), "failed".
    ``prior`` is the state read before the change, enough to undo it
    (e.g. {"enabled": True, "userAccountControl": 512}).
    """

    action: Action
    status: ActionStatus
    prior: dict[str, Any] = field(default_factory=dict)
    after: dict[str, Any] = field(default_factory=dict)
    message: str = ""


@dataclass
class Check:
    """One line of ``access-review doctor``."""

    name: str
    ok: bool
    detail: str = ""
    fix: str = ""  # what to do next when not ok


@runtime_checkable
class Connector(Protocol):
    name: str  # the configured source name; record keys start with it
    type: str  # ad | entra | google | demo

    def fetch_snapshot(
        self, previous: Snapshot | None, progress: Progress = no_progress
    ) -> Snapshot:
        """Read the source. With ``previous`` (the last complete snapshot, with its cursor) a
        connector may read incrementally and return the merged, whole snapshot with
        ``mode="incremental"``. Returns a snapshot with ``complete=True`` or raises."""
        ...

    def fetch_accounts(self, keys: Sequence[str]) -> dict[str, Account | None]:
        """Read the named accounts (keys of this source) fresh from the directory, by their
        immutable id — objectGUID, Graph object id, Google user id — a handful of requests
        whatever the directory's size. Every key is in the answer: its ``Account``, or None
        when the directory has no such account (it was deleted). A read that fails raises a
        typed error: "could not read" is never "does not exist"."""
        ...

    def apply(self, action: Action) -> ActionResult:
        """Carry out one action: read the prior state, change it if needed, return both."""
        ...

    def refusal(self, action: Action, snapshot: Snapshot | None = None) -> str | None:
        """Why this connector would refuse ``action`` (planning-time check), or None."""
        ...

    def doctor(self) -> list[Check]:
        """Connectivity and permission checks; reads only, never writes."""
        ...


# How the core receives connectors: the caller (the terminal layer) builds them.
ConnectorFactory = Callable[[str], Connector]
