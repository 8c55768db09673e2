"""The facts one analysis rests on: the latest complete snapshots, the roster and the
inventory, correlated and turned into the entitlement graph and effective access.

The finding rules (``findings.py``) read these facts; ``analysis.py`` puts the two together
as the ``Analysis`` everything downstream uses. Keeping the facts apart means the rules and
the analysis depend on this module, never on each other.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Mapping


from . import inventory as inv
from .bulk import collector_paused
from .config import Config
from .correlation import Correlation, correlate
from .oauth_grants import oauth_clients_of
from .graph import Access, AccessGraph, build_graph, effective_access, paths_to
from .records import VIEW_HOLDS, Account, Group, Person, Resource, Snapshot
from .store import SyncRun


@dataclass
class Facts:
    config: Config
    snapshots: dict[str, Snapshot]
    persons: dict[str, Person]
    inventory: inv.Inventory
    today: date
    correlation: Correlation = field(init=False)
    graph: AccessGraph = field(init=False)
    access: list[Access] = field(init=False)
    selector_matches: dict[str, list[str]] = field(init=False)
    selector_warnings: list[str] = field(init=False)
    timings: dict[str, float] = field(default_factory=dict)
    # held account key -> the last complete sync run that still held it (from the store)
    last_seen: Mapping[str, SyncRun] = field(default_factory=dict)
    # Inputs the analysis was made without ("roster", "inventory"): the findings that need
    # them are skipped, and said to be (findings.RULE_NEEDS).
    missing_inputs: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        with collector_paused():
            self._build()

    def _build(self) -> None:
        t = time.perf_counter()
        self.accounts: dict[str, Account] = {
            a.key: a for s in self.snapshots.values() for a in s.accounts
        }
        self.resources: dict[str, Resource] = {
            r.key: r for s in self.snapshots.values() for r in s.resources
        }
        self.correlation = correlate(
            self.accounts.values(), self.persons.values(), self.config.classify
        )
        groups = [g for s in self.snapshots.values() for g in s.groups]
        self.selector_matches, self.selector_warnings = inv.resolve_selectors(
            self.inventory, groups, list(self.resources.values())
        )
        self.selector_warnings += _drop_distribution_selections(self.selector_matches, groups)
        self.timings["correlate"] = time.perf_counter() - t
        t = time.perf_counter()
        self.graph = build_graph(
            self.snapshots, self.persons.values(), self.correlation, self.selector_matches
        )
        self.timings["graph"] = time.perf_counter() - t
        t = time.perf_counter()
        self.access = effective_access(
            self.graph, self.correlation, [r.name for r in self.inventory.resources]
        )
        self.timings["access"] = time.perf_counter() - t
        self.inventory_by_name = {r.name: r for r in self.inventory.resources}

    # -- views a sync could read only in part -------------------------------------------
    def partial_view(self, view: str) -> dict[str, str]:
        """source -> why, for every latest snapshot that read ``view`` only in part."""
        return {
            source: snap.partial_views[view]
            for source, snap in self.snapshots.items()
            if view in snap.partial_views
        }

    @property
    def holds_may_be_missing(self) -> list[str]:
        """One line per source whose Vault hold view is partial: every output that rests on
        holds (suspension plans, retention, findings) must say that holds may be missing."""
        return [f"{source}: {why}" for source, why in sorted(self.partial_view(VIEW_HOLDS).items())]

    # -- used by the rules ----------------------------------------------------------------
    def is_authorized(self, resource: inv.InventoryResource, person: Person) -> tuple[bool, str]:
        if (
            resource.data_manager
            and person.employee_id == resource.data_manager
            and person.status == "active"
        ):
            return True, "data manager"
        return inv.is_authorized(resource, person, self.today)

    def find_approval(self, app_name: str, client_id: str | None) -> inv.AppApproval | None:
        return inv.find_approval(self.inventory, app_name, client_id or None)

    def privileged_holders(self) -> dict[str, list[tuple[str, tuple[str, ...]]]]:
        """For each privileged resource, every account holding it (directly or through groups)."""
        return {
            key: sorted(paths_to(self.graph, key).items())
            for key, res in self.resources.items()
            if res.privileged and key in self.graph
        }

    def resolve_subject(self, subject: str) -> list[str]:
        """Account keys a hold subject (account key, e-mail or employee id) names today."""
        s = subject.strip()
        if s.count(":") >= 2:
            return [s] if s in self.accounts else []
        low = s.lower()
        if "@" in low:
            return [
                k
                for k, a in self.accounts.items()
                if low
                in {
                    (a.email or "").lower(),
                    (a.login or "").lower(),
                    *(x.lower() for x in a.aliases),
                }
            ]
        return list(self.correlation.accounts_of.get(f"person:{s}", ()))

    def person_key_for(self, subject: str) -> str | None:
        s = subject.strip()
        if f"person:{s}" in self.persons:
            return f"person:{s}"
        low = s.lower()
        for key, p in self.persons.items():
            if p.email and p.email.lower() == low:
                return key
        return None

    def account_history(self, subject: str) -> str:
        """Where a held account was last seen, so the ISO knows when it vanished."""
        run = self.last_seen.get(subject.strip())
        if run is None:
            return "not present in any stored snapshot"
        when = run.finished_at.strftime("%Y-%m-%d %H:%M") if run.finished_at else "?"
        return f"last seen in the {run.source} sync of {when} (run {run.id})"

    def holds_for_person(self, person_key: str) -> list[inv.Hold]:
        person = self.persons[person_key]
        subjects = {
            person.employee_id,
            *(k for k in self.correlation.accounts_of.get(person_key, ())),
        }
        if person.email:
            subjects.add(person.email)
        for k in self.correlation.accounts_of.get(person_key, ()):
            a = self.accounts[k]
            subjects.update(x for x in (a.email, a.login) if x)
        return self._active_holds(subjects)

    def holds_for_account(self, account_key: str) -> list[inv.Hold]:
        account = self.accounts.get(account_key)
        subjects = {account_key}
        if account:
            subjects.update(x for x in (account.email, account.login) if x)
        person = self.correlation.person_of(account_key)
        if person:
            return self.holds_for_person(person)
        return self._active_holds(subjects)

    def _active_holds(self, subjects: set[str]) -> list[inv.Hold]:
        """Holds in force on any of ``subjects``: the ISO's register and the directories' own."""
        wanted = {s.strip().casefold() for s in subjects if s}
        directory = [
            h
            for h in self.directory_holds
            if h.subject.casefold() in wanted and h.active(self.today)
        ]
        return inv.active_holds_for(self.inventory, subjects, self.today) + directory

    @cached_property
    def directory_holds(self) -> list[inv.Hold]:
        """Holds a directory reports itself (Google Vault: Grant kind "hold" from a
        Resource kind "vault_hold"), as entries of the hold register."""
        holds = []
        for snap in self.snapshots.values():
            matters = {r.key: r for r in snap.resources if r.kind == "vault_hold"}
            for g in snap.grants:
                if g.kind != "hold" or g.resource_key not in matters:
                    continue
                res = matters[g.resource_key]
                since = _date_or_none(str(g.extra.get("holdTime", ""))[:10])
                holds.append(
                    inv.Hold(
                        subject=g.principal_key,
                        matter=f"{res.name} ({snap.source} Vault)",
                        since=since,
                        released=None,
                    )
                )
        return holds

    # -- what a suspension plan asks (suspension.plan.PlanFacts) ------------------------------
    state_note = "at the last sync"  # the accounts here are as the last sync read them
    notes = ()  # nothing here was left unread

    def accounts_of(self, person_key: str) -> list[str]:
        return list(self.correlation.accounts_of.get(person_key, ()))

    def person_of(self, account_key: str) -> str | None:
        return self.correlation.person_of(account_key)

    def privileged_roles(self) -> list[tuple[str, str, bool, list[str]]]:
        """(role name, source, is a super-admin role, holder account keys) per privileged role."""
        out = []
        for key, holders in self.privileged_holders().items():
            res = self.resources[key]
            out.append(
                (
                    res.name,
                    res.source,
                    bool(res.extra and res.extra.get("isSuperAdminRole")),
                    [account for account, _path in holders],
                )
            )
        return out

    def oauth_clients(self, account_key: str) -> list[tuple[str, str]]:
        """(client id, app name) of the third-party OAuth tokens the account has granted."""
        snapshot = self.snapshots.get(account_key.split(":", 1)[0])
        return oauth_clients_of(account_key, snapshot.grants if snapshot else (), self.resources)

    def gone(self, account_key: str) -> str | None:
        """Why an account named is not there to suspend (None: it is there)."""
        return (
            None if account_key in self.accounts else f"{account_key} is not in the last snapshots"
        )

    # -- lookups for the CLI ----------------------------------------------------------------
    def find_person(self, text: str) -> Person | None:
        """A person by employee id, e-mail, or a unique part of the name."""
        t = text.strip().lower()
        for p in self.persons.values():
            if p.employee_id.lower() == t or (p.email or "").lower() == t:
                return p
        matches = [p for p in self.persons.values() if t in p.name.lower()]
        return matches[0] if len(matches) == 1 else None

    def find_account(self, text: str) -> Account | None:
        t = text.strip().lower()
        if t in self.accounts:
            return self.accounts[t]
        for a in self.accounts.values():
            if t in {(a.login or "").lower(), (a.email or "").lower(), a.key.lower()}:
                return a
        return None


def _drop_distribution_selections(matches: dict[str, list[str]], groups: list[Group]) -> list[str]:
    """A distribution group is not a security principal: nothing can be granted to it, so
    an inventory selector naming one stands for no access (docs/access-model.md). Its keys
    leave the matches, with one warning each."""
    distribution = {g.key: g for g in groups if g.kind == "distribution"}
    warnings = []
    for name, keys in matches.items():
        for key in [k for k in keys if k in distribution]:
            group = distribution[key]
            keys.remove(key)
            warnings.append(
                f"inventory resource {name}: {group.source} group '{group.name}' is a "
                "distribution group, which confers no access (only security groups can "
                "be granted permissions); its members are not counted as having access"
            )
    return warnings


def _date_or_none(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None
