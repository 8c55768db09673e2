"""Importing the staff roster and the data inventory into the store: validated whole, stored
only when every row is good, recorded in the audit log."""
from __future__ import annotations

from pathlib import Path

from . import audit
from . import inventory as inv
from .config import Config
from .errors import AccessReviewError, InputError
from .roster import load_roster, validate_roster
from .store import Store


def _first_of(problems: list[InputError]) -> InputError:
    """The first problem, carrying the others along (``also``) for the CLI to list."""
    first = problems[0]
    first.also = problems[1:]
    return first


def import_roster(cfg: Config, store: Store, file: Path) -> int:
    """Store the roster; on any bad row raise its InputError and store nothing."""
    problems = validate_roster(file)
    if problems:
        raise _first_of(problems)
    persons = load_roster(file)
    import_id = store.save_roster(persons, str(file))
    audit.append(store, "roster.import", {"file": str(file), "people": len(persons), "import": import_id})
    return len(persons)


def import_inventory(cfg: Config, store: Store, file: Path, apps: Path | None,
                     holds: Path | None) -> tuple[int, list[str]]:
    """Store the inventory (with its app and hold registers) as checked against the stored
    roster. Returns the number of resources and warnings for selectors matching nothing in
    the latest snapshots."""
    roster = store.load_roster()
    if not roster:
        raise AccessReviewError("import the staff roster before the inventory (data managers are checked against it)",
                                hint="run `access-review roster import`")
    problems = inv.validate_inventory(file, roster=roster, apps_path=apps, holds_path=holds)
    if problems:
        raise _first_of(problems)
    inventory = inv.load_inventory(file, roster=roster, apps_path=apps, holds_path=holds)
    files = {"inventory": (file.name, file.read_bytes())}
    if apps:
        files["apps"] = (apps.name, apps.read_bytes())
    if holds:
        files["holds"] = (holds.name, holds.read_bytes())
    latest = store.latest_roster_import()
    version = store.save_inventory_files(files, latest[0] if latest else None)
    audit.append(store, "inventory.import", {"file": str(file), "resources": len(inventory.resources),
                                             "apps": len(inventory.apps), "holds": len(inventory.holds),
                                             "version": version})
    warnings: list[str] = []
    snaps = store.latest_snapshots()
    if snaps:
        groups = [g for s in snaps.values() for g in s.groups]
        resources = [r for s in snaps.values() for r in s.resources]
        _, warnings = inv.resolve_selectors(inventory, groups, resources)
    return len(inventory.resources), warnings
