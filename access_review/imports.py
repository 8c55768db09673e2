"""Importing the staff roster and the data inventory into the store: read once, validated
whole, compared with what is stored, stored only when every row is good and the change is no
surprise, recorded in the audit log in the same transaction.

"No surprise" (docs/formats.md, "What --yes guards"): an import that removes more than the
configured share of the stored people, resources, app approvals or holds, or releases any
hold, raises ``ConfirmationNeeded`` with its summary unless ``confirm`` is given; a file with a
header and no rows replaces stored data only with ``allow_empty``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

from . import audit
from . import inventory as inv
from .config import Config
from .errors import AccessReviewError, ConfirmationNeeded, EmptyInput, InputError
from .import_changes import ImportChanges, inventory_changes, roster_changes
from .roster import parse_roster
from .records import Person
from .store import Store, now_utc
from .stored_inventory import StoredInventory, fetch_stored_inventory, load_stored_inventory
from .csv_input import normalize_delimiter
from .input_file import InputFile, read_input


@dataclass(frozen=True)
class ImportResult:
    count: int  # people, or inventory resources, now stored
    changes: ImportChanges  # against what was stored before
    import_id: int  # roster import id, or inventory version
    confirmed: tuple[str, ...] = ()  # the reasons --yes was needed, when it was given
    warnings: tuple[str, ...] = ()  # for the ISO: selectors matching nothing, a stored
    # inventory the new roster no longer resolves


def _first_of(problems: list[InputError]) -> InputError:
    """The first problem, carrying the others along (``also``) for the CLI to list."""
    first = problems[0]
    first.also = problems[1:]
    return first


def _guard(cfg: Config, changes: ImportChanges, confirm: bool) -> tuple[str, ...]:
    reasons = changes.reasons_to_confirm(cfg.imports.max_removed_percent)
    if reasons and not confirm:
        raise ConfirmationNeeded(
            f"not imported: {'; '.join(reasons)}",
            changes,
            hint="check the file; if these changes are intended, run the import again with --yes",
        )
    return tuple(reasons)


def _refuse_empty(where: str, register: str, stored: int, unit: str, allow_empty: bool) -> None:
    if allow_empty:
        return
    effect = (
        f"replace the stored {register} ({stored:,} {unit}) with nothing"
        if stored
        else f"leave the {register} empty"
    )
    raise EmptyInput(
        where,
        f"has a header but no rows: importing it would {effect}",
        hint="if that is what you mean, run the import again with --allow-empty",
    )


def import_roster(
    cfg: Config,
    store: Store,
    file: Path,
    *,
    sheet: str | None = None,
    delimiter: str | None = None,
    confirm: bool = False,
    allow_empty: bool = False,
) -> ImportResult:
    """Store the roster; on any bad row raise its InputError and store nothing; a surprising
    shrink raises ``ConfirmationNeeded`` unless ``confirm``."""
    source = read_input(file)
    persons, problems = parse_roster(source, sheet=sheet, delimiter=normalize_delimiter(delimiter))
    if problems:
        raise _first_of(problems)
    with store.transaction():
        latest = store.latest_roster_import()
        stored = store.load_roster() if latest else []
        if not persons:
            _refuse_empty(source.label, "roster", len(stored), "people", allow_empty)
        against = (
            f"roster import {latest[0]} ({latest[1]:%Y-%m-%d %H:%M} UTC)"
            if latest
            else "nothing stored yet"
        )
        changes = roster_changes(stored, persons, against, source=source.label)
        confirmed = _guard(cfg, changes, confirm)
        import_id = store.save_roster(persons, str(file))
        [people] = changes.registers
        audit.append(
            store,
            "roster.import",
            {
                "file": str(file),
                "people": len(persons),
                "import": import_id,
                "added": len(people.added),
                "removed": len(people.removed),
                "status_changes": len(people.changed),
                "confirmed": list(confirmed),
            },
        )
        warnings = _stored_inventory_against(store, persons)
    return ImportResult(len(persons), changes, import_id, confirmed, warnings)


def _stored_inventory_against(store: Store, persons: Sequence[Person]) -> tuple[str, ...]:
    """Whether the stored inventory still reads with the new roster (a data manager or an
    exception's person removed): if not, findings stop until it is fixed — say so now."""
    stored = fetch_stored_inventory(store)
    if stored is None:
        return ()
    try:
        load_stored_inventory(stored, persons)
    except InputError as exc:
        return (
            f"the stored inventory does not match this roster ({exc}); findings and "
            "campaigns stop until the inventory is fixed and imported again",
        )
    return ()


def import_inventory(
    cfg: Config,
    store: Store,
    file: Path,
    apps: Path | None,
    holds: Path | None,
    *,
    delimiter: str | None = None,
    confirm: bool = False,
    allow_empty: bool = False,
) -> ImportResult:
    """Store the inventory (with its app and hold registers) as checked against the stored
    roster. The result's warnings are selectors matching nothing in the latest snapshots."""
    roster = store.load_roster()
    if not roster:
        raise AccessReviewError(
            "import the staff roster before the inventory (data managers are checked against it)",
            hint="run `access-review roster import`",
        )
    files = {"inventory": read_input(file)}
    # A register kept in the inventory workbook itself is read from the same bytes.
    for kind, path in (("apps", apps), ("holds", holds)):
        if path is not None:
            files[kind] = files["inventory"] if Path(path) == Path(file) else read_input(path)
    inventory, problems = inv.parse_inventory(
        files["inventory"],
        roster=roster,
        apps_path=files.get("apps"),
        holds_path=files.get("holds"),
        delimiter=normalize_delimiter(delimiter),
    )
    if problems:
        raise _first_of(problems)
    assert inventory is not None  # noqa: S101 (parse_inventory returns one whenever it finds no problem)
    with store.transaction():
        stored_version = fetch_stored_inventory(store)
        stored, against, unreadable = _stored_for_comparison(store, stored_version)
        _refuse_empty_parts(inventory, stored, allow_empty)
        changes = inventory_changes(
            stored, inventory, against, today=now_utc().date(), unreadable=unreadable
        )
        confirmed = _guard(cfg, changes, confirm)
        latest = store.latest_roster_import()
        version = store.save_inventory_files(_files_to_store(files), latest[0] if latest else None)
        audit.append(
            store,
            "inventory.import",
            {
                "file": str(file),
                "resources": len(inventory.resources),
                "apps": len(inventory.apps),
                "holds": len(inventory.holds),
                "version": version,
                "removed": {c.what: len(c.removed) for c in changes.registers},
                "holds_released": len(changes.registers[2].released),
                "confirmed": list(confirmed),
            },
        )
    warnings: list[str] = []
    snaps = store.latest_snapshots()
    if snaps:
        groups = [g for s in snaps.values() for g in s.groups]
        resources = [r for s in snaps.values() for r in s.resources]
        _, warnings = inv.resolve_selectors(inventory, groups, resources)
    return ImportResult(len(inventory.resources), changes, version, confirmed, tuple(warnings))


def _files_to_store(files: dict[str, InputFile]) -> dict[str, tuple[str, bytes]]:
    """The exact bytes that were checked; a register inside the inventory workbook is not
    stored twice (it is read back from the inventory's own sheets)."""
    return {
        kind: (f.name, f.data)
        for kind, f in files.items()
        if kind == "inventory" or f is not files["inventory"]
    }


def _stored_for_comparison(
    store: Store, stored: StoredInventory | None
) -> tuple[inv.Inventory | None, str, str]:
    """The stored inventory to compare with, its label, and why it cannot be read ("" if it
    can). A version stored before a stricter reader, or damaged, must not block the import
    that replaces it: it is compared against nothing, and the import needs --yes."""
    if stored is None:
        return None, "nothing stored yet", ""
    # Read back with the roster it was checked against, so a roster change since then
    # cannot make the stored version unreadable.
    roster = (
        store.load_roster(stored.roster_import_id)
        if stored.roster_import_id
        else store.load_roster()
    )
    try:
        return load_stored_inventory(stored, roster), stored.label, ""
    except InputError as exc:
        return None, stored.label, str(exc)


def _refuse_empty_parts(
    new: inv.Inventory, stored: inv.Inventory | None, allow_empty: bool
) -> None:
    """Resources must never be empty by accident; a register only when it replaces some."""
    if not new.resources:
        _refuse_empty(
            new.source_path,
            "inventory",
            len(stored.resources) if stored else 0,
            "resources",
            allow_empty,
        )
    for where, rows, register, unit, before in (
        (new.apps_source, new.apps, "app register", "approvals", stored.apps if stored else ()),
        (new.holds_source, new.holds, "hold register", "holds", stored.holds if stored else ()),
    ):
        if where and not rows and before:
            _refuse_empty(where, register, len(before), unit, allow_empty)
