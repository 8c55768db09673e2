"""What an import changes against what is stored — people added and removed, status changes,
resources, app approvals and holds added, removed or released — and whether that is a change
nobody should get by surprise (``reasons_to_confirm``). Pure: records in, summary out."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, replace
from datetime import date
from typing import Callable, Hashable, Iterable, Sequence, TypeVar

from .inventory import AppApproval, Hold, Inventory, InventoryResource
from .records import Person

T = TypeVar("T")


@dataclass(frozen=True)
class RegisterChange:
    """One register's difference: labels of what is added, removed and changed."""

    what: str  # "people", "resources", "app approvals", "holds"
    stored: int
    new: int
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # status, classification, data manager, approval changes
    released: tuple[str, ...] = ()  # holds only: in force before, released (or gone) now
    note: str = ""  # e.g. "no hold register given: it becomes empty"
    source: str = ""  # where the new rows come from (file, sheet), for messages

    @property
    def removed_percent(self) -> float:
        return 100.0 * len(self.removed) / self.stored if self.stored else 0.0

    @property
    def unchanged(self) -> bool:
        return not (self.added or self.removed or self.changed or self.released)


@dataclass(frozen=True)
class ImportChanges:
    against: str  # "roster import 3 (2026-05-01 14:03 UTC)", or "nothing stored yet"
    registers: tuple[RegisterChange, ...]
    # Set when what is stored could not be read back to compare with: the changes are then
    # shown against nothing, and nobody can say what would be lost.
    unreadable: str = ""

    def reasons_to_confirm(self, max_removed_percent: float) -> list[str]:
        """Why this import must not go ahead without --yes; [] when it may."""
        reasons = (
            [f"{self.against} cannot be read back to compare with ({self.unreadable})"]
            if self.unreadable
            else []
        )
        for change in self.registers:
            found = []
            if change.removed and change.removed_percent > max_removed_percent:
                found.append(
                    f"removes {len(change.removed):,} of {change.stored:,} "
                    f"{change.what} ({change.removed_percent:.0f}%, more than "
                    f"{max_removed_percent:g}%)"
                )
            if change.released:
                n = len(change.released)
                found.append(f"releases {n} litigation hold{'s' if n != 1 else ''}")
            if found:
                reasons.append(f"{change.source or 'it'} {' and '.join(found)}")
        return reasons


def _diff(
    stored: Sequence[T], new: Sequence[T], key: Callable[[T], Hashable], label: Callable[[T], str]
) -> tuple[tuple[str, ...], tuple[str, ...], dict[Hashable, T], dict[Hashable, T]]:
    """Added and removed labels (as multisets of keys), and both sides by key."""
    stored_keys, new_keys = Counter(map(key, stored)), Counter(map(key, new))
    removed_left, added_left = stored_keys - new_keys, new_keys - stored_keys
    removed, added = [], []
    for item in stored:
        if removed_left[key(item)] > 0:
            removed_left[key(item)] -= 1
            removed.append(label(item))
    for item in new:
        if added_left[key(item)] > 0:
            added_left[key(item)] -= 1
            added.append(label(item))
    return tuple(added), tuple(removed), {key(i): i for i in stored}, {key(i): i for i in new}


def _person_label(person: Person) -> str:
    return f"{person.employee_id} {person.name}"


def roster_changes(
    stored: Sequence[Person], new: Sequence[Person], against: str, *, source: str = ""
) -> ImportChanges:
    added, removed, before, after = _diff(
        stored, new, lambda p: p.employee_id.casefold(), _person_label
    )
    changed = []
    for key, person in after.items():
        old = before.get(key)
        if old is not None and old.status != person.status:
            when = f" ({person.status_date.isoformat()})" if person.status_date else ""
            changed.append(f"{_person_label(person)}: {old.status} → {person.status}{when}")
    return ImportChanges(
        against,
        (
            RegisterChange(
                "people", len(stored), len(new), added, removed, tuple(changed), source=source
            ),
        ),
    )


def inventory_changes(
    stored: Inventory | None, new: Inventory, against: str, *, today: date, unreadable: str = ""
) -> ImportChanges:
    old = stored or Inventory(resources=())
    return ImportChanges(
        against,
        (
            replace(_resource_changes(old.resources, new.resources), source=new.source_path),
            replace(
                _app_changes(old.apps, new.apps, new.apps_source, bool(old.apps)),
                source=new.apps_source or new.source_path,
            ),
            replace(
                _hold_changes(old.holds, new.holds, new.holds_source, today),
                source=new.holds_source or new.source_path,
            ),
        ),
        unreadable,
    )


def _resource_changes(
    stored: Iterable[InventoryResource], new: Iterable[InventoryResource]
) -> RegisterChange:
    stored, new = list(stored), list(new)
    added, removed, before, after = _diff(
        stored, new, lambda r: r.name.casefold(), lambda r: r.name
    )
    changed = []
    for key, resource in after.items():
        old = before.get(key)
        if old is None:
            continue
        if old.classification != resource.classification:
            changed.append(f"{resource.name}: {old.classification} → {resource.classification}")
        if old.data_manager.casefold() != resource.data_manager.casefold():
            changed.append(
                f"{resource.name}: data manager {old.data_manager or '(none)'} → "
                f"{resource.data_manager or '(none)'}"
            )
    return RegisterChange("resources", len(stored), len(new), added, removed, tuple(changed))


def _app_key(app: AppApproval) -> str:
    return f"id:{app.client_id.casefold()}" if app.client_id else f"name:{app.app.casefold()}"


def _app_label(app: AppApproval) -> str:
    return f"{app.app} ({app.client_id})" if app.app and app.client_id else app.app or app.client_id


def _app_changes(
    stored: Sequence[AppApproval], new: Sequence[AppApproval], source: str, had_any: bool
) -> RegisterChange:
    added, removed, before, after = _diff(stored, new, _app_key, _app_label)
    changed = [
        f"{_app_label(app)}: {'approved' if before[key].approved else 'not approved'} → "
        f"{'approved' if app.approved else 'not approved'}"
        for key, app in after.items()
        if key in before and before[key].approved != app.approved
    ]
    note = "" if source or not had_any else "no app register given: it becomes empty"
    return RegisterChange(
        "app approvals", len(stored), len(new), added, removed, tuple(changed), note=note
    )


def _hold_key(hold: Hold) -> tuple[str, str]:
    return hold.subject.casefold(), hold.matter.casefold()


def _hold_label(hold: Hold) -> str:
    since = f", since {hold.since.isoformat()}" if hold.since else ""
    return f"{hold.subject} ({hold.matter}{since})"


def _hold_changes(
    stored: Sequence[Hold], new: Sequence[Hold], source: str, today: date
) -> RegisterChange:
    added, removed, before, after = _diff(stored, new, _hold_key, _hold_label)
    released, changed = [], []
    for key, old in before.items():
        if old.released is not None and old.released <= today:
            continue  # released already: dropping or editing it releases nothing
        now = after.get(key)
        if now is None:
            released.append(f"{_hold_label(old)}: no longer in the register")
        elif now.released is not None and (old.released is None or now.released < old.released):
            released.append(f"{_hold_label(old)}: released from {now.released.isoformat()}")
    for key, now in after.items():
        was = before.get(key)
        if was is not None and was.released is not None and now.released is None:
            changed.append(f"{_hold_label(now)}: in force again")
    note = "" if source or not stored else "no hold register given: it becomes empty"
    return RegisterChange(
        "holds", len(stored), len(new), added, removed, tuple(changed), tuple(released), note
    )
