"""Answers to the ISO's questions, read from the stored analysis (stored_analysis.py): who
reaches a resource, what a person reaches, why, the findings, how accounts were joined to
people, and the inventory check — as typed rows, for the terminal (cli/queries.py), the web
page or a script alike.

Nothing here builds the graph or loads a snapshot: a query reads a few indexed rows, so it
answers in a fraction of a second at district scale (bench/bench_queries.py). Arguments that
name a person, an account or a resource are resolved one way everywhere (``resolve_principal``,
``resolve_resource``): exact first, then a unique prefix or case-insensitive match, else the
candidates, so the ISO can choose.
"""

from __future__ import annotations

import json
import unicodedata
from dataclasses import asdict, dataclass, field
from typing import Any, Callable, Iterable, Sequence

from .analysis_tables import ACCESS, FINDINGS, LINKS, NAMES, PATHS, UNMATCHED
from .errors import AccessReviewError
from .finding_types import SEVERITY_ORDER, finding_order, finding_title
from .records import LEVEL_LABELS, Person
from .store import Store
from .stored_analysis import StoredAnalysis, latest_stored_analysis
from .versioned import Row, VersionedTable, rows_at

CANDIDATES_SHOWN = 15


class ArgumentError(AccessReviewError):
    """An argument that names nothing, or several things: the command line needs fixing."""

    exit_code = 2

    def __init__(
        self, message: str, *, candidates: Sequence["Candidate"] = (), hint: str | None = None
    ):
        super().__init__(message, hint=hint)
        self.candidates = tuple(candidates)


@dataclass(frozen=True)
class Candidate:
    """One of several things an argument could mean, as the ISO tells them apart."""

    value: str  # what to type to mean exactly this one
    label: str  # name, employee id and building; or login, directory and name


@dataclass(frozen=True)
class Principal:
    """Who an argument named: a roster person (with their accounts) or one account."""

    person: str | None  # person key (for an account: the person it is joined to)
    accounts: tuple[str, ...]  # account keys (the person's, or the one named)
    label: str  # "Luis Núñez (E00012)" or "jdoe (ad)"
    kind: str = "person"  # person | account: what the argument named


@dataclass(frozen=True)
class AccessRow:
    """One account's effective access to one inventory resource."""

    person: str  # the person's name ("" when the account is joined to nobody)
    employee_id: str
    account: str  # login
    account_key: str
    source: str
    resource: str
    classification: str
    level: str  # as people read it: read, write, admin, manages who has access
    authorized: bool
    reason: str
    path: str  # the path that gives the level, in words

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class WhyRow:
    """One path from an account to a resource; the first of an account gives its level."""

    person: str
    employee_id: str
    account: str
    account_key: str
    source: str
    resource: str
    classification: str
    level: str
    path: str
    authorized: bool | None  # None when the account is joined to no roster person
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class FindingRow:
    severity: str
    type: str
    title: str
    summary: str
    person: str
    employee_id: str
    account: str
    account_key: str
    source: str
    resource: str
    path: str
    path_keys: tuple[str, ...]
    evidence: dict[str, Any] = field(compare=False, hash=False, default_factory=dict)
    person_key: str = ""  # for filtering; not part of the documented output

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d.pop("person_key")
        d["path_keys"] = list(self.path_keys)
        return d


@dataclass(frozen=True)
class InventoryRow:
    resource: str
    classification: str
    data_manager: str  # the data manager's name ("" when nobody valid)
    data_manager_id: str  # their employee id as the inventory names it
    selector_matches: int
    people: int

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class UnjoinedAccount:
    account: str
    account_key: str
    source: str
    kind: str
    enabled: bool
    display_name: str
    status: str  # unmatched | ambiguous
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class AccountsSummary:
    accounts: int
    joined: int
    people: int
    by_method: tuple[tuple[str, int], ...]
    unmatched: int
    unmatched_by_kind: tuple[tuple[str, int], ...]
    ambiguous: tuple[UnjoinedAccount, ...]
    unmatched_accounts: tuple[UnjoinedAccount, ...]  # not students, sorted by key

    def as_dict(self) -> dict[str, Any]:
        return {
            "accounts": self.accounts,
            "joined": self.joined,
            "people": self.people,
            "by_method": dict(self.by_method),
            "unmatched": self.unmatched,
            "unmatched_by_kind": dict(self.unmatched_by_kind),
            "ambiguous": [a.as_dict() for a in self.ambiguous],
            "unmatched_accounts": [a.as_dict() for a in self.unmatched_accounts],
        }


def level_label(level: str) -> str:
    return LEVEL_LABELS.get(level, level)


def _fold(text: str) -> str:
    """For matching what the ISO typed: case and accents do not matter (Sørensen, sorensen)."""
    decomposed = unicodedata.normalize("NFKD", text.strip())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


class Answers:
    """The questions, answered from one stored analysis."""

    def __init__(self, store: Store, analysis: StoredAnalysis):
        self.store = store
        self.analysis = analysis
        latest = latest_stored_analysis(store)
        self._current = latest is not None and latest.id == analysis.id
        self._roster = analysis.inputs.roster
        self._persons: dict[str, Person] | None = None
        self._names: dict[str, tuple[str, str]] = {}
        self.summary = analysis.summary
        self.inventory = {r["name"]: r for r in self.summary["inventory"]}

    # -- reading ------------------------------------------------------------------------------
    def _rows(
        self,
        table: VersionedTable,
        columns: Sequence[str],
        where: str = "",
        args: tuple[Any, ...] = (),
    ) -> Iterable[Row]:
        return rows_at(
            self.store.db,
            table,
            self.analysis.id,
            current=self._current,
            columns=columns,
            where=where,
            args=args,
        )

    @property
    def missing_inputs(self) -> list[str]:
        return list(self.summary.get("missing_inputs", []))

    def require_inventory(self) -> None:
        if "inventory" in self.missing_inputs:
            needs_roster = "roster" in self.missing_inputs
            raise AccessReviewError(
                "no data inventory has been imported: there is no resource to ask about",
                hint=(
                    "import the staff roster, then the inventory (`access-review roster import`, "
                    "`access-review inventory import`)"
                )
                if needs_roster
                else "run `access-review inventory import`",
            )

    @property
    def persons(self) -> dict[str, Person]:
        """The roster the analysis was built with (read when first needed: resolving a name)."""
        if self._persons is None:
            self._persons = (
                {p.key: p for p in self.store.load_roster(self._roster)}
                if self._roster is not None
                else {}
            )
        return self._persons

    def person(self, person_key: str) -> Person:
        """One roster person, read alone unless the whole roster is already read."""
        if self._persons is not None:
            return self._persons[person_key]
        found = (
            self.store.load_roster_people(self._roster, [person_key.split(":", 1)[1]])
            if self._roster is not None
            else []
        )
        if not found:
            raise AccessReviewError(
                f"{person_key} is not in the roster the analysis was built with"
            )
        return found[0]

    def _load_names(self, keys: Iterable[str | None]) -> None:
        """Names and employee ids of these people, in one read (not the whole roster)."""
        wanted = sorted({k for k in keys if k and k not in self._names and k.startswith("person:")})
        if not wanted or self._roster is None:
            return
        if self._persons is not None:
            self._names.update(
                (k, (p.name, p.employee_id)) for k in wanted if (p := self._persons.get(k))
            )
            return
        ids = [k.split(":", 1)[1] for k in wanted]
        for start in range(0, len(ids), 500):
            part = ids[start : start + 500]
            for employee_id, name in self.store.db.execute(
                f"SELECT employee_id, name FROM persons WHERE import_id=? AND employee_id IN"  # noqa: S608 (placeholders only)
                f" ({','.join('?' * len(part))})",
                (self._roster, *part),
            ):
                self._names[f"person:{employee_id}"] = (name, employee_id)

    def _person_name(self, key: str | None) -> tuple[str, str]:
        if not key:
            return "", ""
        if key not in self._names:
            self._load_names([key])
        return self._names.get(key, ("", ""))

    def accounts_of(self, person_key: str) -> list[str]:
        rows = list(self._rows(LINKS, ("account", "rank"), "person=?", (person_key,)))
        return [account for account, _rank in sorted(rows, key=lambda r: r[1])]

    def person_of(self, account_keys: Iterable[str]) -> dict[str, str]:
        keys = sorted(set(account_keys))
        out: dict[str, str] = {}
        for chunk in range(0, len(keys), 500):
            part = keys[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            out.update(
                self._rows(LINKS, ("account", "person"), f"account IN ({marks})", tuple(part))
            )
        return out

    # -- resolving arguments -----------------------------------------------------------------
    def resolve_principal(self, text: str) -> Principal:
        """A person (employee id, e-mail, name or part of it) or an account (key, login, e-mail)."""
        wanted = text.strip()
        folded = _fold(wanted)
        if not folded:
            raise ArgumentError(
                "name a person or an account", hint="an employee id, an e-mail, a login or a name"
            )
        # 1. exact: employee id, a person's e-mail, an account's key, login or e-mail. The
        # common case, an employee id, is looked up without reading the whole roster.
        if self._roster is not None:
            found = self.store.db.execute(
                "SELECT employee_id, name FROM persons WHERE import_id=? AND employee_id = ? COLLATE NOCASE",
                (self._roster, wanted),
            ).fetchall()
            if len(found) == 1:
                self._names[f"person:{found[0][0]}"] = (found[0][1], found[0][0])
                return self._person(f"person:{found[0][0]}")
        for p in self.persons.values():
            if p.employee_id.casefold() == wanted.casefold():
                return self._person(p.key)
        exact = [
            p
            for p in self.persons.values()
            if wanted.casefold() in {(p.email or "").casefold(), *(x.casefold() for x in p.aliases)}
        ]
        if len(exact) == 1:
            return self._person(exact[0].key)
        account = self._exact_account(wanted)
        if account is not None:
            return self._account(*account)
        by_name = [p for p in self.persons.values() if _fold(p.name) == folded]
        if len(by_name) == 1:
            return self._person(by_name[0].key)
        if len(by_name) > 1 or len(exact) > 1:
            raise self._ambiguous_people(text, by_name or exact)
        # 2. a unique prefix or a case-insensitive part of a name
        people = [
            p
            for p in self.persons.values()
            if folded in _fold(p.name)
            or _fold(p.employee_id).startswith(folded)
            or (p.email and _fold(p.email).startswith(folded))
        ]
        # Accounts by the start of their login or e-mail, when no person's name matched (a
        # name that matches people is about people: their accounts come with them).
        accounts = [] if people else self._accounts_by_prefix(wanted)
        persons_of_accounts = self.person_of(a[0] for a in accounts)
        chosen = {p.key for p in people}
        loose_accounts = []
        for key, login, source, display in accounts:
            person = persons_of_accounts.get(key)
            if person is not None:
                if person not in chosen and person in self.persons:
                    chosen.add(person)
                    people.append(self.persons[person])
            else:
                loose_accounts.append((key, login, source, display))
        if len(people) == 1 and not loose_accounts:
            return self._person(people[0].key)
        if not people and len(loose_accounts) == 1:
            return self._account(loose_accounts[0][0], loose_accounts[0][1], loose_accounts[0][2])
        if people or loose_accounts:
            candidates = [
                self._person_candidate(p)
                for p in sorted(people, key=lambda p: (p.name, p.employee_id))
            ]
            candidates += [
                Candidate(
                    key,
                    f"{login} ({source} account{', ' + display if display else ''};"
                    " joined to no roster person)",
                )
                for key, login, source, display in sorted(loose_accounts, key=lambda a: a[1] or "")
            ]
            raise ArgumentError(
                f"{len(candidates)} people or accounts match {text!r}: which one?",
                candidates=candidates,
                hint="run it again with the employee id (or the account's login) of the one you mean",
            )
        raise ArgumentError(
            f"no person or account matches {text!r}",
            hint="use an employee id, an e-mail, a login or a part of a name"
            + ("" if self.persons else " (no roster is imported: only accounts can be named)"),
        )

    def _ambiguous_people(self, text: str, people: list[Person]) -> ArgumentError:
        candidates = [
            self._person_candidate(p) for p in sorted(people, key=lambda p: (p.name, p.employee_id))
        ]
        return ArgumentError(
            f"{len(candidates)} people match {text!r}: which one?",
            candidates=candidates,
            hint="run it again with the employee id of the one you mean",
        )

    @staticmethod
    def _person_candidate(p: Person) -> Candidate:
        where = ", ".join(x for x in (p.employee_id, p.building or p.department) if x)
        return Candidate(p.employee_id, f"{p.name} ({where})")

    def _person(self, person_key: str) -> Principal:
        name, employee_id = self._person_name(person_key)
        return Principal(person_key, tuple(self.accounts_of(person_key)), f"{name} ({employee_id})")

    def _account(self, key: str, login: str, source: str) -> Principal:
        person = self.person_of([key]).get(key)
        return Principal(person, (key,), f"{login} ({source})", kind="account")

    def _current_accounts(self, where: str, args: tuple[str, ...]) -> list[Row]:
        """Accounts of the snapshots the analysis was built from (their current rows)."""
        runs = dict(self.analysis.inputs.runs)
        out: list[Row] = []
        for source, run in sorted(runs.items()):
            latest = self.store.latest_complete_run(source)
            current = latest is not None and latest.id == run
            valid = (
                "to_run IS NULL" if current else "from_run <= ? AND (to_run IS NULL OR to_run > ?)"
            )
            valid_args = () if current else (run, run)
            out += self.store.db.execute(
                f"SELECT key, login, source, display_name FROM accounts WHERE source=? AND {valid}"  # noqa: S608 (constant fragments; values bound)
                f" AND ({where}) ORDER BY rowid",
                (source, *valid_args, *args),
            ).fetchall()
        return out

    def _exact_account(self, text: str) -> tuple[str, str, str] | None:
        low = text.strip().lower()
        found = self._current_accounts(
            "key=? OR lower(login)=? OR lower(email)=?", (text.strip(), low, low)
        )
        if not found:
            return None
        key, login, source, _display = found[0]
        return key, login, source

    def _accounts_by_prefix(self, text: str) -> list[Row]:
        pattern = (
            text.strip().lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        )
        return self._current_accounts(
            "lower(login) LIKE ? ESCAPE '\\' OR lower(email) LIKE ? ESCAPE '\\'", (pattern, pattern)
        )

    def resource_names(self, *, directory: bool = False) -> list[tuple[str, str]]:
        """(name, what it is) a resource argument can name: inventory resources, and with
        ``directory`` the directories' own roles, apps and drives too."""
        names = [(r["name"], r["classification"]) for r in self.summary["inventory"]]
        if directory:
            seen = {n.casefold() for n, _ in names}
            for name, kind, source in self._rows(NAMES, ("name", "kind", "source")):
                if name.casefold() not in seen:
                    seen.add(name.casefold())
                    names.append((name, f"{source} {kind.replace('_', ' ')}"))
        return names

    def resolve_resource(self, text: str, *, directory: bool = False) -> str:
        """An inventory resource (with ``directory``: or a directory role, app or drive) by
        its name, a unique prefix of it, or a unique part of it in any case."""
        if not directory:
            self.require_inventory()
        names = self.resource_names(directory=directory)
        wanted = _fold(text)
        if not wanted:
            raise ArgumentError("name a resource")
        stages: tuple[Callable[[str], bool], ...] = (
            lambda n: _fold(n) == wanted,
            lambda n: _fold(n).startswith(wanted),
            lambda n: wanted in _fold(n),
        )
        for stage in stages:
            found = [(n, what) for n, what in names if stage(n)]
            if len(found) == 1:
                return found[0][0]
            if len(found) > 1:
                raise ArgumentError(
                    f"{len(found)} resources match {text!r}: which one?",
                    candidates=[Candidate(n, f"{n} ({what})") for n, what in found],
                    hint="run it again with the whole name, in quotes",
                )
        shown = ", ".join(n for n, _ in names[:8])
        raise ArgumentError(
            f"no resource matches {text!r}",
            hint=f"resources: {shown}" + (", ..." if len(names) > 8 else "")
            if names
            else "no resource is known yet",
        )

    # -- the questions ------------------------------------------------------------------------
    _ACCESS_COLUMNS = (
        "resource",
        "account",
        "person",
        "level",
        "path_text",
        "authorized",
        "reason",
        "login",
        "source",
    )

    def _access_row(self, r: Row) -> AccessRow:
        resource, account, person, level, path, authorized, reason, login, source = r
        name, employee_id = self._person_name(person)
        return AccessRow(
            person=name,
            employee_id=employee_id,
            account=login,
            account_key=account,
            source=source,
            resource=resource,
            classification=self.inventory[resource]["classification"],
            level=level_label(level),
            authorized=bool(authorized),
            reason=reason,
            path=path,
        )

    def who(self, resource: str) -> list[AccessRow]:
        """Every account that reaches ``resource`` (an inventory name), people first."""
        rows = list(self._rows(ACCESS, self._ACCESS_COLUMNS, "resource=?", (resource,)))
        rows.sort(key=lambda r: (r[2] or "~", r[1]))
        self._load_names(r[2] for r in rows)
        return [self._access_row(r) for r in rows]

    def access(self, principal: Principal) -> list[AccessRow]:
        """Everything in the inventory the principal's accounts reach, by resource."""
        if not principal.accounts:
            return []
        marks = ",".join("?" * len(principal.accounts))
        rows = list(
            self._rows(ACCESS, self._ACCESS_COLUMNS, f"account IN ({marks})", principal.accounts)
        )
        rows.sort(key=lambda r: (r[0], r[1]))
        self._load_names(r[2] for r in rows)
        return [self._access_row(r) for r in rows]

    def why(self, principal: Principal, resource: str) -> list[WhyRow]:
        """Every path from the principal's accounts to ``resource``: account by account (in
        the order they are joined to the person), the path giving the level first."""
        out: list[WhyRow] = []
        name, employee_id = self._person_name(principal.person)
        verdicts = {
            r[0]: (r[1], r[2], r[3], r[4])
            for r in self._rows(
                ACCESS,
                ("account", "authorized", "reason", "login", "source"),
                "resource=?",
                (resource,),
            )
        }
        classification = self.inventory[resource]["classification"]
        for account in principal.accounts:
            if account not in verdicts:
                continue
            authorized, reason, login, source = verdicts[account]
            paths = sorted(
                self._rows(
                    PATHS,
                    ("rank", "level", "path_text"),
                    "account=? AND resource=?",
                    (account, resource),
                )
            )
            for _rank, level, path in paths:
                out.append(
                    WhyRow(
                        person=name,
                        employee_id=employee_id,
                        account=login,
                        account_key=account,
                        source=source,
                        resource=resource,
                        classification=classification,
                        level=level_label(level),
                        path=path,
                        authorized=bool(authorized) if principal.person else None,
                        reason=reason,
                    )
                )
        return out

    def findings(
        self,
        *,
        types: Sequence[str] = (),
        severity: str | None = None,
        resource: str | None = None,
        principal: Principal | None = None,
    ) -> list[FindingRow]:
        """The findings, most severe first, filtered."""
        rows = sorted(
            self._rows(FINDINGS, FINDINGS.columns),  # r[i]: FINDINGS' columns, in order
            key=lambda r: finding_order(r[1], r[0], r[7], r[2], r[3], r[4]),
        )
        found = []
        links = self.person_of(r[3] for r in rows if r[3]) if principal is not None else {}
        self._load_names(r[2] for r in rows)
        for (
            type_,
            sev,
            person,
            account,
            res,
            path,
            path_text,
            summary,
            evidence,
            login,
            source,
        ) in rows:
            if types and type_ not in types:
                continue
            if severity and SEVERITY_ORDER[sev] > SEVERITY_ORDER[severity]:
                continue
            if resource is not None and (res or "").casefold() != resource.casefold():
                continue
            if principal is not None:
                if principal.person is not None:
                    if person != principal.person and links.get(account or "") != principal.person:
                        continue
                elif account not in principal.accounts:
                    continue
            name, employee_id = self._person_name(person)
            found.append(
                FindingRow(
                    type=type_,
                    severity=sev,
                    title=finding_title(type_),
                    summary=summary,
                    person=name,
                    employee_id=employee_id,
                    account=login or "",
                    account_key=account or "",
                    source=source or "",
                    resource=res or "",
                    path=path_text,
                    path_keys=tuple(json.loads(path)),
                    evidence=json.loads(evidence),
                    person_key=person or "",
                )
            )
        return found

    def _logins(self, keys: Iterable[str]) -> dict[str, tuple[str, str]]:
        """account key -> (login, source), from the snapshots the analysis was built from."""
        keys = sorted(set(keys))
        out: dict[str, tuple[str, str]] = {}
        for chunk in range(0, len(keys), 500):
            part = keys[chunk : chunk + 500]
            marks = ",".join("?" * len(part))
            for key, login, source, _display in self._current_accounts(
                f"key IN ({marks})", tuple(part)
            ):
                out[key] = (login, source)
        return out

    def accounts_summary(self) -> AccountsSummary:
        s = self.summary["accounts"]
        unmatched = sorted(
            self._rows(UNMATCHED, ("key", "source", "login", "kind", "enabled", "display_name"))
        )
        ambiguous_keys = [a[0] for a in s["ambiguous"]]
        logins = self._logins(ambiguous_keys)
        ambiguous = []
        for account, address, people in s["ambiguous"]:
            login, source = logins.get(account, ("", account.split(":", 1)[0]))
            ambiguous.append(
                UnjoinedAccount(
                    account=login,
                    account_key=account,
                    source=source,
                    kind="",
                    enabled=True,
                    display_name="",
                    status="ambiguous",
                    note=f"{address} belongs to {', '.join(people)} in the roster",
                )
            )
        return AccountsSummary(
            accounts=s["total"],
            joined=s["linked"],
            people=s["people"],
            by_method=tuple((m, n) for m, n in s["by_method"]),
            unmatched=s["unmatched"],
            unmatched_by_kind=tuple((k, n) for k, n in s["unmatched_by_kind"]),
            ambiguous=tuple(ambiguous),
            unmatched_accounts=tuple(
                UnjoinedAccount(
                    account=login,
                    account_key=key,
                    source=source,
                    kind=kind,
                    enabled=bool(enabled),
                    display_name=display or "",
                    status="unmatched",
                )
                for key, source, login, kind, enabled, display in unmatched
            ),
        )

    def inventory_check(self) -> tuple[list[InventoryRow], list[str]]:
        self.require_inventory()
        rows = [
            InventoryRow(
                resource=r["name"],
                classification=r["classification"],
                data_manager=r["data_manager_name"] or "",
                data_manager_id=r["data_manager"],
                selector_matches=r["matches"],
                people=r["people"],
            )
            for r in self.summary["inventory"]
        ]
        return rows, list(self.summary["selector_warnings"])
