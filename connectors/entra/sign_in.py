"""Keeping last sign-in true between full syncs, and saying "unknown" where it is not.

A user's ``signInActivity`` is read with the users listing in a full sync. Delta queries do
not carry it, so an incremental sync refreshes it on its own:
- when the last read is recent: only the users who signed in since, with
  ``$filter=signInActivity/lastSignInDateTime ge <last read>`` (signInActivity supports
  $filter on its own: https://learn.microsoft.com/graph/api/resources/user, signInActivity);
- otherwise (no read yet, or older than ``FULL_REFRESH_DAYS``): every user's, in one
  ``$select=id,signInActivity`` listing (pages of at most 500 with signInActivity:
  https://learn.microsoft.com/graph/api/user-list).
Either listing rides in the sync's $batch requests beside the delta replays.
The filter sees interactive sign-ins only; the periodic full refresh bounds how stale a
non-interactive-only user's value can get.

Where sign-in cannot be read (no Entra ID P1/P2 licence, reading switched off) every account
is marked ``sign_in_known=False``: "unknown", never "never signed in", and the dormant rule
does not fire on it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta, timezone
from typing import MutableMapping

from access_review.records import Account

from . import fetch
from .batch import Listing
from .http import LICENCE_REASON as LICENCE_REASON  # re-exported for the readers
from .http import PremiumLicenceRequired
from .transform import parse_graph_datetime, sign_in_time

FULL_REFRESH_DAYS = 30
# Sign-in data reaches the user object with some delay; re-reading an hour of overlap costs
# little and loses nothing.
OVERLAP = timedelta(hours=1)

OFF_REASON = (
    "signInActivity not read (sign_in_activity = false): last sign-in is unknown, "
    "so dormant-account findings cannot use it"
)


@dataclass(frozen=True)
class SignInRefresh:
    """Where the sign-in view stands after a sync: ``read_at`` (ISO, UTC) is what the next
    refresh filters from; ``unknown_reason`` says why sign-in is unknown, when it is."""

    read_at: str | None = None
    unknown_reason: str | None = None


def now_iso() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def mark_unknown(accounts: MutableMapping[str, Account], reason: str) -> SignInRefresh:
    for key, account in accounts.items():
        accounts[key] = replace(account, sign_in_known=False)
    return SignInRefresh(unknown_reason=reason)


@dataclass(frozen=True)
class SignInRead:
    """Which sign-in listing an incremental sync sends: every user's (``full``) or only those
    who signed in since the last read; ``started`` is when it was planned (the next read's
    starting point)."""

    listing: Listing
    full: bool
    started: str


def plan_sign_in_read(last_read_at: str | None) -> SignInRead:
    """The listing that brings sign-in up to date from a read at ``last_read_at``."""
    started = now_iso()
    last = parse_graph_datetime(last_read_at) if last_read_at else None
    if last is None or datetime.now(timezone.utc) - last > timedelta(days=FULL_REFRESH_DAYS):
        return SignInRead(fetch.all_sign_ins_listing(), True, started)
    since = (last - OVERLAP).strftime("%Y-%m-%dT%H:%M:%SZ")
    return SignInRead(fetch.sign_ins_since_listing(since), False, started)


def apply_sign_ins(
    accounts: MutableMapping[str, Account],
    raws: list[dict] | None,
    error: Exception | None,
    known_before: set[str],
    plan: SignInRead,
) -> SignInRefresh:
    """Bring ``accounts`` (Graph id -> Account, changed in place) up to date from the sign-in
    listing's answer (``raws``), or mark them unknown when it failed for want of a licence.
    ``known_before``: ids of the accounts the previous snapshot had (their sign-in as of the
    last read). Pure."""
    if isinstance(
        error, PremiumLicenceRequired
    ):  # no licence, or no AuditLog.Read.All: sign-in unknown
        return mark_unknown(accounts, error.unknown_reason)
    seen: set[str] = set()
    for raw in raws or []:
        account = accounts.get(raw["id"])
        if account is not None:
            accounts[raw["id"]] = replace(
                account, last_sign_in=sign_in_time(raw.get("signInActivity")), sign_in_known=True
            )
            seen.add(raw["id"])
    for uid, account in list(accounts.items()):
        if uid in seen:
            continue
        if plan.full:
            # Read in full and absent: the user object carries no sign-in at all.
            accounts[uid] = replace(account, last_sign_in=None, sign_in_known=True)
        elif uid not in known_before or not account.sign_in_known:
            # New since the last read and not among those who signed in since: it may have
            # signed in before it came into scope. Unknown until the next full refresh.
            accounts[uid] = replace(account, sign_in_known=False)
    return SignInRefresh(read_at=plan.started)
