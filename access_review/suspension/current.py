"""The facts a suspension plan rests on, read when the ISO asks for it (issue 13).

Who owns which account, the litigation holds and who holds the top administrator roles come
from the stored analysis (stored_analysis.py); the state of every account the plan looks at —
the targets', the AD account an Entra user is synced from, and where it matters the other top
administrators — is read fresh from its directory with ``Connector.fetch_accounts``: a handful
of requests per directory, every directory at once, instead of a sync of every source.

A directory that cannot be read now is said so; its accounts are planned as the last sync
saw them (each change is checked again on apply), never taken for gone. An account its
directory no longer has is reported and left out of the plan.
"""

from __future__ import annotations

import base64
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Mapping, Sequence

from ..answers import Answers, Principal
from ..connector import ConnectorFactory
from ..errors import AccessReviewError
from ..inventory import Hold
from ..oauth_grants import oauth_clients_of
from ..records import Account, Person, source_of
from ..snapshot_tables import GRANTS, RESOURCES
from ..store import Store, _unextra
from ..stored_analysis import StoredAnalysis
from .plan import TOP_ADMIN_ROLES


@dataclass
class CurrentFacts:
    """``plan.PlanFacts`` over the stored analysis, with every account read now."""

    persons: dict[str, Person]
    accounts: dict[str, Account]
    holds_may_be_missing: list[str]
    today: date
    _store: Store  # the last sync's grants (OAuth clients)
    notes: list[str] = field(default_factory=list)  # directories that could not be read
    read_seconds: dict[str, float] = field(default_factory=dict)
    requested: dict[str, int] = field(default_factory=dict)  # accounts read per directory
    state_note: str = "when read just now"
    _principals: dict[str, Principal] = field(default_factory=dict)
    _accounts_of: dict[str, list[str]] = field(default_factory=dict)
    _person_of: dict[str, str] = field(default_factory=dict)
    _holds: list[Hold] = field(default_factory=list)
    _privileged: list[tuple[str, str, bool, list[str]]] = field(default_factory=list)
    _gone: dict[str, str] = field(default_factory=dict)
    _stored: dict[str, Account] = field(default_factory=dict)

    def find_person(self, text: str) -> Person | None:
        principal = self._principals.get(text)
        if principal is None or principal.kind != "person" or principal.person is None:
            return None
        return self.persons.get(principal.person)

    def find_account(self, text: str) -> Account | None:
        principal = self._principals.get(text)
        if principal is None or principal.kind != "account":
            return None
        key = principal.accounts[0]
        return self.accounts.get(key) or self._stored.get(key)

    def accounts_of(self, person_key: str) -> list[str]:
        return list(self._accounts_of.get(person_key, ()))

    def person_of(self, account_key: str) -> str | None:
        return self._person_of.get(account_key)

    def holds_for_account(self, account_key: str) -> list[Hold]:
        person = self.person_of(account_key)
        subjects = {account_key}
        keys = self.accounts_of(person) if person else [account_key]
        if person and person in self.persons:
            subjects.update(
                x for x in (self.persons[person].employee_id, self.persons[person].email) if x
            )
        for key in keys:
            subjects.add(key)
            account = self.accounts.get(key) or self._stored.get(key)
            if account is not None:
                subjects.update(x for x in (account.email, account.login) if x)
        wanted = {s.strip().casefold() for s in subjects if s}
        return [
            h
            for h in self._holds
            if h.subject.strip().casefold() in wanted and h.active(self.today)
        ]

    def privileged_roles(self) -> list[tuple[str, str, bool, list[str]]]:
        return list(self._privileged)

    def oauth_clients(self, account_key: str) -> list[tuple[str, str]]:
        """From the last sync's grants (revoking is idempotent and re-read on apply)."""
        db = self._store.db
        grants = [
            _Grant(r[0], r[1], r[2])
            for r in db.execute(
                f"SELECT principal_key, kind, resource_key FROM {GRANTS.name} WHERE to_run IS NULL"  # noqa: S608 (constant names)
                " AND principal_key=? AND kind='oauth'",
                (account_key,),
            )
        ]
        keys = sorted({g.resource_key for g in grants})
        resources = {}
        if keys:
            for key, id_, name, extra in db.execute(
                f"SELECT key, id, name, extra FROM {RESOURCES.name} WHERE to_run IS NULL"  # noqa: S608 (constant names)
                f" AND key IN ({','.join('?' * len(keys))})",
                keys,
            ):
                resources[key] = _Resource(id_, name, _unextra(extra))
        return oauth_clients_of(account_key, grants, resources)

    def gone(self, account_key: str) -> str | None:
        return self._gone.get(account_key)


@dataclass(frozen=True)
class _Grant:
    principal_key: str
    kind: str
    resource_key: str


@dataclass(frozen=True)
class _Resource:
    id: str
    name: str
    extra: dict[str, Any]


def _ad_key_of(entra: Account, kinds: Mapping[str, str]) -> list[str]:
    """The AD account keys an Entra user synced from AD may come from (onPremisesImmutableId is
    the base64 of the AD objectGUID by default in Entra Connect)."""
    immutable = entra.extra.get("onPremisesImmutableId") if entra.extra else None
    if not immutable:
        return []
    try:
        guid = str(uuid.UUID(bytes_le=base64.b64decode(immutable)))
    except (ValueError, TypeError):
        return []
    return [f"{source}:account:{guid}" for source, kind in kinds.items() if kind == "ad"]


def read_current_facts(
    store: Store,
    analysis: StoredAnalysis,
    targets: Sequence[str],
    *,
    kinds: Mapping[str, str],
    connector_for: ConnectorFactory,
    today: date,
    resolve: Callable[[Answers, str], Principal] | None = None,
) -> CurrentFacts:
    """Resolve the targets against the stored analysis, then read every account the plan looks
    at from its directory, all directories at once. ``resolve(answers, text)`` resolves one
    target (the terminal layer may ask the ISO to choose); by default, ``resolve_principal``."""
    answers = Answers(store, analysis)
    principals = {
        text: (resolve(answers, text) if resolve else answers.resolve_principal(text))
        for text in targets
    }
    persons: dict[str, Person] = {}
    accounts_of: dict[str, list[str]] = {}
    person_of: dict[str, str] = {}
    wanted: list[str] = []
    for principal in principals.values():
        if principal.person:
            persons[principal.person] = answers.person(principal.person)
            keys = answers.accounts_of(principal.person)
            accounts_of[principal.person] = keys
            person_of.update((k, principal.person) for k in keys)
        wanted += keys if principal.kind == "person" else principal.accounts
    stored = store.current_accounts(wanted)
    # The AD account an Entra user is synced from is disabled instead of it: read it too.
    for key in list(wanted):
        if (
            key in stored
            and kinds.get(stored[key].source) == "entra"
            and stored[key].authority == "ad"
        ):
            wanted += _ad_key_of(stored[key], kinds)
    summary = analysis.summary
    privileged = [
        (r["name"], r["source"], bool(r["super_admin"]), list(r["holders"]))
        for r in summary["privileged"]
    ]
    # Suspending a top administrator is refused while they are the last enabled one: read the
    # others of that directory too, so "the last" is known now, not as of the last sync.
    for name, source, super_admin, holders in privileged:
        top = name.lower() in TOP_ADMIN_ROLES.get(kinds.get(source, source), ()) or super_admin
        if top and set(holders) & set(wanted):
            wanted += holders
    wanted = list(dict.fromkeys(wanted))
    stored.update(store.current_accounts(k for k in wanted if k not in stored))
    by_source: dict[str, list[str]] = {}
    for key in wanted:
        by_source.setdefault(source_of(key), []).append(key)

    facts = CurrentFacts(
        persons=persons,
        accounts={},
        holds_may_be_missing=list(summary["holds_may_be_missing"]),
        today=today,
        _principals=principals,
        _accounts_of=accounts_of,
        _person_of=person_of,
        _holds=[
            Hold(
                h["subject"],
                h["matter"],
                date.fromisoformat(h["since"]) if h["since"] else None,
                date.fromisoformat(h["released"]) if h.get("released") else None,
            )
            for h in summary["holds"]
        ],
        _privileged=privileged,
        _stored=stored,
        _store=store,
    )
    person_of_holders = answers.person_of(
        [k for _n, _s, _x, holders in privileged for k in holders]
    )
    for key, person in person_of_holders.items():
        facts._person_of.setdefault(key, person)

    def read(source: str) -> tuple[str, dict[str, Account | None] | Exception, float]:
        started = time.perf_counter()
        try:
            return (
                source,
                connector_for(source).fetch_accounts(by_source[source]),
                time.perf_counter() - started,
            )
        except Exception as exc:  # said per directory; the others are planned all the same
            return source, exc, time.perf_counter() - started

    with ThreadPoolExecutor(max_workers=max(1, len(by_source))) as pool:
        results = list(pool.map(read, sorted(by_source)))
    for source, found, seconds in results:
        facts.read_seconds[source] = seconds
        facts.requested[source] = len(by_source[source])
        if isinstance(found, Exception):
            why = (
                str(found)
                if isinstance(found, AccessReviewError)
                else f"{type(found).__name__}: {found}"
            )
            facts.notes.append(
                f"could not read {source} now ({why}): its accounts are planned as the last sync "
                "saw them, and each change is checked again on apply"
            )
            facts.accounts.update((k, stored[k]) for k in by_source[source] if k in stored)
            continue
        for key, account in found.items():
            if account is not None:
                facts.accounts[key] = account
            else:
                label = stored[key].login if key in stored else key
                facts._gone[key] = (
                    f"{label} ({source}) is no longer in {source} (read just now): "
                    "nothing to suspend there"
                )
    return facts
