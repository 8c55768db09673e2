"""The inventory as stored: its files (kept as the bytes imported) read back under names that
say which stored import they are — "inventory.xlsx in stored inventory version 3 (imported
2026-05-01 14:03 UTC)" — never a temporary path the person never saw."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Sequence

from . import inventory as inv
from .errors import AccessReviewError, InputError
from .records import Person
from .store import Store
from .input_file import InputFile


@dataclass(frozen=True)
class StoredInventory:
    version: int
    imported_at: datetime
    roster_import_id: int | None
    files: dict[str, InputFile]  # "inventory", and "apps" / "holds" when kept separately

    @property
    def label(self) -> str:
        return version_label(self.version, self.imported_at)


def version_label(version: int, imported_at: datetime) -> str:
    return f"stored inventory version {version} (imported {imported_at:%Y-%m-%d %H:%M} UTC)"


def fetch_stored_inventory(store: Store) -> StoredInventory | None:
    """The latest stored inventory version, its files named for messages; None if none."""
    latest = store.latest_inventory_files()
    if latest is None:
        return None
    version, imported_at, roster_import_id, files = latest
    label = version_label(version, imported_at)
    return StoredInventory(
        version,
        imported_at,
        roster_import_id,
        {
            kind: InputFile(label=f"{name} in {label}", name=name, data=data)
            for kind, (name, data) in files.items()
        },
    )


def load_stored_inventory(stored: StoredInventory, roster: Sequence[Person]) -> inv.Inventory:
    """Parse a stored version against ``roster``. An error names the stored import and says
    what to do: the files were valid when imported, so the roster (or the reader) has changed
    since."""
    try:
        return inv.load_inventory(
            stored.files["inventory"],
            roster=roster,
            apps_path=stored.files.get("apps"),
            holds_path=stored.files.get("holds"),
        )
    except InputError as exc:
        exc.hint = (
            f"{exc.hint}; then" if exc.hint else "fix the inventory file, then"
        ) + " import it again (`access-review inventory import`)"
        raise


def load_inventory_from_store(store: Store, roster: list[Person]) -> inv.Inventory:
    stored = fetch_stored_inventory(store)
    if stored is None:
        raise AccessReviewError(
            "no data inventory has been imported", hint="run `access-review inventory import FILE`"
        )
    return load_stored_inventory(stored, roster)
