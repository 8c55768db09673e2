"""The data inventory and its two registers (docs/formats.md): what holds confidential or
critical data, who manages it, who may reach it, which apps the ISO approved, which
accounts are on litigation hold.

Loading is all or nothing, like the roster: ``load_inventory`` returns only when every row
of every file is valid; ``validate_inventory`` lists every problem at once.

Pure afterwards: ``is_authorized`` answers "may this person reach this resource, and why",
``resolve_selectors`` maps the inventory's selectors onto the records the connectors read.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Callable, Iterable, Literal, Mapping, Sequence, TypeVar

from access_review.errors import InputError
from access_review.records import Group, Person, Resource
from access_review.input_file import XLSX_SUFFIXES, InputFile, InputSource, as_input
from access_review.tabular import Table, normalize_header, parse_date, parse_date_text, read_table
from access_review.xlsx_input import find_sheet, xlsx_sheet_names

T = TypeVar("T")

Classification = Literal["confidential", "critical", "both"]
CLASSIFICATIONS: tuple[Classification, ...] = ("confidential", "critical", "both")
REVIEW_FREQUENCIES: tuple[str, ...] = ("quarterly", "semiannual", "annual")
RULE_ATTRIBUTES: tuple[str, ...] = ("person_type", "title", "department", "building", "status")

# Selector kind -> the records.Resource kind it names; "group" selects records.Group.
SELECTOR_KINDS: dict[str, str | None] = {
    "group": None,
    "drive": "shared_drive",
    "app": "app",
    "app-role": "app_role",
    "role": "admin_role",
    "oauth": "oauth_app",
}

RESOURCE_ALIASES = {
    "name": "resource",
    "resource name": "resource",
    "system": "resource",
    "classification level": "classification",
    "class": "classification",
    "manager": "data_manager",
    "owner": "data_manager",
    "data owner": "data_manager",
    "selectors": "entitlements",
    "entitlement": "entitlements",
    "access": "entitlements",
    "authorized users": "authorized",
    "authorization": "authorized",
    "rules": "authorized",
    "exception": "exceptions",
    "review": "review_frequency",
    "frequency": "review_frequency",
}
APP_ALIASES = {
    "app name": "app",
    "application": "app",
    "name": "app",
    "application id": "client_id",
    "app id": "client_id",
    "client id": "client_id",
    "scopes": "approved_scopes",
    "date approved": "approved_on",
}
HOLD_ALIASES = {
    "account": "subject",
    "case": "matter",
    "start": "since",
    "start date": "since",
    "released on": "released",
    "release date": "released",
}


class InventorySyntaxError(ValueError):
    """A selector, rule or exception that does not parse; the loader adds file, row and column."""


# ---------------------------------------------------------------- records of the inventory


@dataclass(frozen=True, slots=True)
class Selector:
    """``<source>:<kind>:<name>``, e.g. ``ad:group:SpEd Staff``; ``name`` keeps its spelling."""

    source: str
    kind: str
    name: str

    def __str__(self) -> str:
        return f"{self.source}:{self.kind}:{self.name}"


def parse_selector(text: str) -> Selector:
    parts = text.strip().split(":", 2)
    if len(parts) != 3 or not all(part.strip() for part in parts):
        raise InventorySyntaxError(
            f"selector {text.strip()!r} is not <source>:<kind>:<name> (e.g. ad:group:SpEd Staff)"
        )
    source, kind, name = (part.strip() for part in parts)
    source, kind = source.lower(), kind.lower()
    if not re.fullmatch(r"[a-z0-9][a-z0-9_.-]*", source):
        raise InventorySyntaxError(f"selector {text.strip()!r}: {source!r} is not a source name")
    if kind not in SELECTOR_KINDS:
        raise InventorySyntaxError(
            f"selector {text.strip()!r}: kind {kind!r} is not one of {', '.join(SELECTOR_KINDS)}"
        )
    if kind == "app-role" and not _split_app_role(name):
        raise InventorySyntaxError(f"selector {text.strip()!r}: an app-role is named App/Role")
    return Selector(source=source, kind=kind, name=name)


def _split_app_role(name: str) -> tuple[str, str] | None:
    app, _, role = name.rpartition("/")
    return (app.strip(), role.strip()) if app.strip() and role.strip() else None


@dataclass(frozen=True, slots=True)
class Condition:
    """``attribute=value|value``: the person's attribute equals one of the values (any case)."""

    attribute: str
    values: tuple[str, ...]

    def holds_for(self, person: Person) -> bool:
        actual = str(getattr(person, self.attribute) or "").strip().casefold()
        return any(actual == value.casefold() for value in self.values)

    def __str__(self) -> str:
        return f"{self.attribute}={'|'.join(self.values)}"


@dataclass(frozen=True, slots=True)
class AuthorizationRule:
    """All conditions must hold. ``any_active_employee`` is the rule written ``*``."""

    conditions: tuple[Condition, ...] = ()
    any_active_employee: bool = False

    def holds_for(self, person: Person) -> bool:
        if self.any_active_employee:
            return person.person_type == "employee" and person.status == "active"
        return all(condition.holds_for(person) for condition in self.conditions)

    def __str__(self) -> str:
        if self.any_active_employee:
            return "* (any active employee)"
        return " & ".join(str(condition) for condition in self.conditions)


def parse_rules(text: str) -> tuple[AuthorizationRule, ...]:
    """``department=Special Education & person_type=employee; title=Principal|Assistant Principal``."""
    rules = []
    for alternative in (part.strip() for part in text.split(";")):
        if not alternative:
            continue
        if alternative == "*":
            rules.append(AuthorizationRule(any_active_employee=True))
            continue
        rules.append(
            AuthorizationRule(
                conditions=tuple(
                    _parse_condition(condition, alternative) for condition in alternative.split("&")
                )
            )
        )
    return tuple(rules)


def _parse_condition(text: str, alternative: str) -> Condition:
    attribute, equals, values = text.partition("=")
    attribute = normalize_header(attribute)
    canonical = {normalize_header(name): name for name in RULE_ATTRIBUTES}.get(attribute)
    if not equals:
        if text.strip() == "*":
            raise InventorySyntaxError(f"rule {alternative!r}: '*' must stand alone")
        raise InventorySyntaxError(f"rule {alternative!r}: {text.strip()!r} is not attribute=value")
    if canonical is None:
        raise InventorySyntaxError(
            f"rule {alternative!r}: unknown attribute {text.partition('=')[0].strip()!r} "
            f"(use {', '.join(RULE_ATTRIBUTES)})"
        )
    allowed = tuple(value.strip() for value in values.split("|"))
    if not all(allowed):
        raise InventorySyntaxError(f"rule {alternative!r}: {text.strip()!r} has an empty value")
    return Condition(attribute=canonical, values=allowed)


@dataclass(frozen=True, slots=True)
class AccessException:
    """A named person allowed despite the rules, approved by someone, until a date (inclusive)."""

    employee_id: str
    approver: str
    until: date

    def valid_on(self, on: date) -> bool:
        return on <= self.until


_EXCEPTION = re.compile(r"^(\S+)\s+approved[-\s]by\s+(\S+)\s+until\s+(\S+)$", re.IGNORECASE)


def parse_exceptions(text: str) -> tuple[AccessException, ...]:
    """``E1234 approved-by E0001 until 2027-06-30``, several separated by ``;``.

    Ids are returned as written; the loader resolves them against the roster.
    """
    found = []
    for part in (part.strip() for part in text.split(";")):
        if not part:
            continue
        match = _EXCEPTION.match(part)
        if not match:
            raise InventorySyntaxError(
                f"exception {part!r} is not '<employee id> approved-by <employee id> until <date>'"
            )
        until = parse_date_text(match[3])
        if until is None:
            raise InventorySyntaxError(
                f"exception {part!r}: {match[3]!r} is not a date (use YYYY-MM-DD or MM/DD/YYYY)"
            )
        found.append(AccessException(employee_id=match[1], approver=match[2], until=until))
    return tuple(found)


@dataclass(frozen=True, slots=True)
class InventoryResource:
    name: str
    classification: Classification
    data_manager: str  # resolved employee id; "" when the inventory names nobody
    selectors: tuple[Selector, ...]
    rules: tuple[AuthorizationRule, ...] = ()
    exceptions: tuple[AccessException, ...] = ()
    review_frequency: str = "quarterly"
    description: str = ""
    row: int = 0

    @property
    def confidential(self) -> bool:
        return self.classification in ("confidential", "both")

    @property
    def critical(self) -> bool:
        return self.classification in ("critical", "both")


@dataclass(frozen=True, slots=True)
class AppApproval:
    app: str
    client_id: str
    approved: bool
    approved_on: date | None
    approved_scopes: frozenset[str]  # empty = any scope
    row: int = 0


@dataclass(frozen=True, slots=True)
class Hold:
    subject: str  # employee id, e-mail or account key, as written
    matter: str
    since: date | None
    released: date | None
    row: int = 0

    def active(self, on: date) -> bool:
        """In force on ``on``: started (or no start given) and not yet released."""
        started = self.since is None or self.since <= on
        return started and (self.released is None or on < self.released)


@dataclass(frozen=True, slots=True)
class Inventory:
    resources: tuple[InventoryResource, ...]
    apps: tuple[AppApproval, ...] = ()
    holds: tuple[Hold, ...] = ()
    source_path: str = ""
    # Where each register was read from (file, and sheet for a workbook); "" when none was
    # given, so "no register" is never mistaken for "an empty register".
    apps_source: str = ""
    holds_source: str = ""

    def resource(self, name: str) -> InventoryResource | None:
        wanted = name.strip().casefold()
        return next((r for r in self.resources if r.name.casefold() == wanted), None)


# ---------------------------------------------------------------- loading


def load_inventory(
    path: InputSource,
    *,
    roster: Sequence[Person],
    apps_path: InputSource | None = None,
    holds_path: InputSource | None = None,
    delimiter: str | None = None,
) -> Inventory:
    """The inventory with its registers; raises the first ``InputError`` if anything is bad.

    For an XLSX inventory the sheets "Apps" and "Holds" of the same workbook are the
    registers unless separate files are given; a workbook without them has empty registers
    (``Inventory.apps_source`` / ``holds_source`` are then ""), but a sheet whose name
    suggests a register ("Litigation Holds") is an error rather than an empty register.
    """
    inventory, problems = parse_inventory(
        path, roster=roster, apps_path=apps_path, holds_path=holds_path, delimiter=delimiter
    )
    if problems:
        raise problems[0]
    assert inventory is not None  # noqa: S101 (an invariant of parse_inventory: no problems means an inventory)
    return inventory


def validate_inventory(
    path: InputSource,
    *,
    roster: Sequence[Person],
    apps_path: InputSource | None = None,
    holds_path: InputSource | None = None,
    delimiter: str | None = None,
) -> list[InputError]:
    """Every problem in the inventory and its registers; [] when it would load."""
    return parse_inventory(
        path, roster=roster, apps_path=apps_path, holds_path=holds_path, delimiter=delimiter
    )[1]


def parse_inventory(
    path: InputSource,
    *,
    roster: Sequence[Person],
    apps_path: InputSource | None = None,
    holds_path: InputSource | None = None,
    delimiter: str | None = None,
) -> tuple[Inventory | None, list[InputError]]:
    """The inventory and every problem found (None when there is any): one read for both."""
    problems: list[InputError] = []
    try:
        file = as_input(path)
        sheets = xlsx_sheet_names(file)
    except InputError as exc:  # an unreadable file or workbook: nothing else in it can be checked
        return None, [exc]
    resources = _load_part(
        problems,
        lambda: _parse_resources(
            _read(file, "Resources", RESOURCE_ALIASES, sheets, delimiter), roster, problems
        ),
    )
    apps: tuple[AppApproval, ...] = ()
    holds: tuple[Hold, ...] = ()
    sources = {"Apps": "", "Holds": ""}

    def register(
        sheet: str, register_path: InputSource | None, aliases: Mapping[str, str]
    ) -> Table:
        table = _register_table(file, register_path, sheet, aliases, sheets, delimiter)
        sources[sheet] = table.where
        return table

    for sheet, register_path in (("Apps", apps_path), ("Holds", holds_path)):
        if register_path is None and not find_sheet(sheets, sheet):
            _load_part(problems, lambda: _refuse_near_miss(file, sheet, sheets))
    if apps_path is not None or find_sheet(sheets, "Apps"):
        apps = _load_part(
            problems, lambda: _parse_apps(register("Apps", apps_path, APP_ALIASES), problems)
        )
    if holds_path is not None or find_sheet(sheets, "Holds"):
        holds = _load_part(
            problems, lambda: _parse_holds(register("Holds", holds_path, HOLD_ALIASES), problems)
        )
    if problems:
        return None, problems
    return Inventory(
        resources=resources,
        apps=apps,
        holds=holds,
        source_path=file.label,
        apps_source=sources["Apps"],
        holds_source=sources["Holds"],
    ), []


def _load_part(problems: list[InputError], parse: Callable[[], T]) -> T | tuple[()]:
    """Run one file's parser; a file-level error (missing file or column) becomes a problem."""
    try:
        return parse()
    except InputError as exc:
        problems.append(exc)
        return ()


_REGISTER_WORD = {
    "Apps": re.compile(r"\bapp", re.IGNORECASE),
    "Holds": re.compile(r"\bhold", re.IGNORECASE),
}


def _refuse_near_miss(file: InputFile, sheet: str, sheet_names: list[str]) -> None:
    """A workbook without a ``Holds`` sheet has no hold register — unless a sheet was only
    renamed ("Litigation Holds", "Hold"): reading that as "no holds" would wipe the register."""
    for name in sheet_names:
        if _REGISTER_WORD[sheet].search(name):
            raise InputError(
                file.label,
                f"no sheet named {sheet!r}, but there is a sheet "
                f"{name!r}: is it the {_REGISTER_NAMES[sheet]}?",
                hint=f"rename the sheet to {sheet!r}",
            )


_REGISTER_NAMES = {"Apps": "app approval register", "Holds": "litigation-hold register"}


def _read(
    file: InputFile,
    sheet: str,
    aliases: Mapping[str, str],
    sheet_names: list[str],
    delimiter: str | None,
) -> Table:
    """The named sheet of a workbook when it has one, else its first sheet (or the CSV)."""
    chosen = find_sheet(sheet_names, sheet) if file.suffix in XLSX_SUFFIXES else None
    return read_table(
        file,
        sheet=chosen,
        aliases=aliases,
        delimiter=None if file.suffix in XLSX_SUFFIXES else delimiter,
    )


def _register_table(
    inventory: InputFile,
    register_path: InputSource | None,
    sheet: str,
    aliases: Mapping[str, str],
    inventory_sheets: list[str],
    delimiter: str | None,
) -> Table:
    if register_path is None:
        return read_table(inventory, sheet=find_sheet(inventory_sheets, sheet), aliases=aliases)
    file = as_input(register_path)
    names = xlsx_sheet_names(file)
    if len(names) > 1 and not find_sheet(names, sheet):
        # Several sheets and none is the register: the first would be a guess (often the
        # Resources sheet of the same workbook).
        raise InputError(
            file.label,
            f"no sheet named {sheet!r} (sheets: {', '.join(names)})",
            hint=f"name the {_REGISTER_NAMES[sheet]}'s sheet {sheet!r}",
        )
    return _read(file, sheet, aliases, names, delimiter)


class _PersonIndex:
    """Roster lookup by employee id or e-mail (primary or alias), case-insensitively."""

    def __init__(self, roster: Iterable[Person]):
        self._by_id: dict[str, Person] = {}
        self._by_email: dict[str, list[Person]] = defaultdict(list)
        for person in roster:
            self._by_id[person.employee_id.casefold()] = person
            for email in ((person.email,) if person.email else ()) + tuple(person.aliases):
                self._by_email[email.casefold()].append(person)

    def resolve(self, value: str) -> str:
        """The employee id ``value`` names; raises InventorySyntaxError when it names nobody."""
        wanted = value.strip().casefold()
        if wanted in self._by_id:
            return self._by_id[wanted].employee_id
        matches = {p.employee_id for p in self._by_email.get(wanted, [])}
        if len(matches) == 1:
            return matches.pop()
        if matches:
            raise InventorySyntaxError(
                f"{value!r} is the e-mail of several people in the roster "
                f"({', '.join(sorted(matches))}); use the employee id"
            )
        raise InventorySyntaxError(f"{value!r} is not an employee id or e-mail in the roster")


def _parse_resources(
    table: Table, roster: Sequence[Person], problems: list[InputError]
) -> tuple[InventoryResource, ...]:
    table.require(["resource", "classification", "data_manager", "entitlements"])
    people = _PersonIndex(roster)
    resources: list[InventoryResource] = []
    first_row_of_name: dict[str, int] = {}
    for row in table.rows:
        before = len(problems)

        def problem(message: str, column: str) -> None:
            problems.append(table.error(message, row=row.number, column=column))

        def parsed(column: str, parse: Callable[[str], T], default: T) -> T:
            try:
                return parse(row.text(column))
            except InventorySyntaxError as exc:
                problem(str(exc), column)
                return default

        name = row.text("resource")
        if not name:
            problem("resource name is empty", "resource")
        else:
            first = first_row_of_name.setdefault(name.casefold(), row.number)
            if first != row.number:
                problem(f"duplicate resource {name!r} (first on row {first})", "resource")
        classification = row.text("classification").lower()
        if classification not in CLASSIFICATIONS:
            problem(
                f"classification {row.text('classification')!r} is not one of "
                f"{', '.join(CLASSIFICATIONS)}",
                "classification",
            )
        # An empty data manager is allowed here and becomes a finding; a name that is not in
        # the roster is a typo the ISO must fix now.
        manager = row.text("data_manager")
        data_manager = parsed("data_manager", people.resolve, "") if manager else ""
        selectors: tuple[Selector, ...] = parsed("entitlements", _parse_selectors, ())
        if not row.text("entitlements"):
            problem(
                "no entitlements: list at least one selector such as ad:group:<name>",
                "entitlements",
            )
        rules: tuple[AuthorizationRule, ...] = parsed("authorized", parse_rules, ())
        exceptions: tuple[AccessException, ...] = parsed(
            "exceptions", lambda text: _resolved_exceptions(text, people), ()
        )
        frequency = normalize_header(row.text("review_frequency")) or "quarterly"
        if frequency not in REVIEW_FREQUENCIES:
            problem(
                f"review frequency {row.text('review_frequency')!r} is not one of "
                f"{', '.join(REVIEW_FREQUENCIES)}",
                "review_frequency",
            )
        # (A classification that is none of the words is a problem already; naming the check
        # again narrows it to its Literal type.)
        if len(problems) == before and classification in CLASSIFICATIONS:
            resources.append(
                InventoryResource(
                    name=name,
                    classification=classification,
                    data_manager=data_manager,
                    selectors=selectors,
                    rules=rules,
                    exceptions=exceptions,
                    review_frequency=frequency,
                    description=row.text("description"),
                    row=row.number,
                )
            )
    return tuple(resources)


def _parse_selectors(text: str) -> tuple[Selector, ...]:
    return tuple(parse_selector(part) for part in text.split(";") if part.strip())


def _resolved_exceptions(text: str, people: _PersonIndex) -> tuple[AccessException, ...]:
    return tuple(
        AccessException(
            employee_id=people.resolve(exc.employee_id),
            approver=people.resolve(exc.approver),
            until=exc.until,
        )
        for exc in parse_exceptions(text)
    )


_YES = {"yes", "y", "true", "1", "approved"}
_NO = {"no", "n", "false", "0", "denied", "rejected", ""}


def _parse_apps(table: Table, problems: list[InputError]) -> tuple[AppApproval, ...]:
    table.require(["app", "approved"])
    apps: list[AppApproval] = []
    first_row_of_client: dict[str, int] = {}
    for row in table.rows:
        before = len(problems)
        app, client_id = row.text("app"), row.text("client_id")
        if not app and not client_id:
            problems.append(
                table.error("neither app name nor client id given", row=row.number, column="app")
            )
        if client_id:
            first = first_row_of_client.setdefault(client_id.casefold(), row.number)
            if first != row.number:
                problems.append(
                    table.error(
                        f"duplicate client id {client_id!r} (first on row {first})",
                        row=row.number,
                        column="client_id",
                    )
                )
        approved_text = row.text("approved").lower()
        if approved_text not in _YES | _NO:
            problems.append(
                table.error(
                    f"approved {row.text('approved')!r} is not yes or no",
                    row=row.number,
                    column="approved",
                )
            )
        try:
            approved_on = parse_date(
                row.values.get("approvedon"), table=table, row=row.number, column="approved_on"
            )
        except InputError as exc:
            problems.append(exc)
            approved_on = None
        scopes = frozenset(re.split(r"[\s;]+", row.text("approved_scopes"))) - {""}
        if len(problems) == before:
            apps.append(
                AppApproval(
                    app=app,
                    client_id=client_id,
                    approved=approved_text in _YES,
                    approved_on=approved_on,
                    approved_scopes=scopes,
                    row=row.number,
                )
            )
    return tuple(apps)


def _parse_holds(table: Table, problems: list[InputError]) -> tuple[Hold, ...]:
    table.require(["subject", "matter"])
    holds: list[Hold] = []
    for row in table.rows:
        before = len(problems)
        subject, matter = row.text("subject"), row.text("matter")
        if not subject:
            problems.append(table.error("subject is empty", row=row.number, column="subject"))
        if not matter:
            problems.append(table.error("matter is empty", row=row.number, column="matter"))
        dates: dict[str, date | None] = {}
        for column in ("since", "released"):
            try:
                dates[column] = parse_date(
                    row.values.get(column), table=table, row=row.number, column=column
                )
            except InputError as exc:
                problems.append(exc)
        since, released = dates.get("since"), dates.get("released")
        if since and released and released < since:
            problems.append(
                table.error("released before it began", row=row.number, column="released")
            )
        if len(problems) == before:
            holds.append(
                Hold(
                    subject=subject,
                    matter=matter,
                    since=dates["since"],
                    released=dates["released"],
                    row=row.number,
                )
            )
    return tuple(holds)


# ---------------------------------------------------------------- questions asked of it


def is_authorized(resource: InventoryResource, person: Person, on: date) -> tuple[bool, str]:
    """Whether ``person`` may reach ``resource`` on ``on``, with the reason a reviewer reads."""
    if person.status != "active":
        return False, f"status is {person.status}"
    same = person.employee_id.casefold()
    if resource.data_manager and resource.data_manager.casefold() == same:
        return True, "data manager"
    for number, rule in enumerate(resource.rules, start=1):
        if rule.holds_for(person):
            return True, f"rule {number}: {rule}"
    expired = None
    for exception in resource.exceptions:
        if exception.employee_id.casefold() != same:
            continue
        if exception.valid_on(on):
            return (
                True,
                f"exception approved by {exception.approver} until {exception.until.isoformat()}",
            )
        expired = exception
    if expired is not None:
        return False, (
            f"no rule matches (exception approved by {expired.approver} "
            f"expired {expired.until.isoformat()})"
        )
    return False, "no rule matches"


def resolve_selectors(
    inventory: Inventory, groups: Iterable[Group], resources: Iterable[Resource]
) -> tuple[dict[str, list[str]], list[str]]:
    """Inventory resource name -> keys of the groups and resources its selectors match.

    A selector matches only records of its own source. Also returns one warning per
    selector that matches nothing (usually a renamed group or a typo).
    """
    index: dict[tuple[str, str, str], list[str]] = defaultdict(list)

    def add(source: str, kind: str, name: str | None, key: str) -> None:
        if name:
            index[(source, kind, _match_name(kind, name))].append(key)

    for group in groups:
        add(group.source, "group", group.name, group.key)
        add(group.source, "group", group.email, group.key)
    for resource in resources:
        add(resource.source, resource.kind, resource.name, resource.key)
        if resource.kind == "oauth_app":
            add(resource.source, resource.kind, resource.extra.get("client_id"), resource.key)
        if resource.kind == "app_role":
            # An app selector covers every role of the app.
            add(resource.source, "app", resource.extra.get("app"), resource.key)

    mapping: dict[str, list[str]] = {}
    warnings: list[str] = []
    for item in inventory.resources:
        keys: list[str] = []
        for selector in item.selectors:
            kind = SELECTOR_KINDS[selector.kind] or "group"
            found = index.get((selector.source, kind, _match_name(kind, selector.name)), [])
            if not found:
                warnings.append(
                    f"inventory row {item.row} ({item.name}): selector '{selector}' matches nothing"
                )
            keys.extend(key for key in found if key not in keys)
        mapping[item.name] = keys
    return mapping, warnings


def _match_name(kind: str, name: str) -> str:
    """How names compare: any case; "App / Role" and "App/Role" are the same app role."""
    if kind == "app_role" and (parts := _split_app_role(name)):
        name = "/".join(parts)
    return name.strip().casefold()


def find_approval(
    inventory: Inventory, app_name: str | None, client_id: str | None
) -> AppApproval | None:
    """The register row for an app: by client id first, then by name (case-insensitive).

    A row that names a client id never approves a different client id under the same name:
    anyone can register an OAuth client called "Google Drive".
    """
    if client_id:
        wanted = client_id.strip().casefold()
        for approval in inventory.apps:
            if approval.client_id and approval.client_id.casefold() == wanted:
                return approval
    if app_name:
        wanted = app_name.strip().casefold()
        for approval in inventory.apps:
            if approval.app.casefold() != wanted:
                continue
            if client_id and approval.client_id:
                continue  # same name, different client: not this approval
            return approval
    return None


def active_holds_for(inventory: Inventory, subjects: set[str], on: date) -> list[Hold]:
    """Holds in force on ``on`` whose subject is one of ``subjects`` (case-insensitive)."""
    wanted = {subject.strip().casefold() for subject in subjects if subject}
    return [
        hold for hold in inventory.holds if hold.subject.casefold() in wanted and hold.active(on)
    ]
