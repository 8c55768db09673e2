"""What the exports need from campaigns and suspensions, as small frozen views, read through
those packages' public read functions (``campaigns/results.py``, the suspension store).

The exports never write SQL against another package's tables. ``available`` says whether
the feature could be read at all, so the sheets show "no campaign yet" / "no suspensions"
only when that is the truth — never an empty list standing in for "could not read".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from access_review import audit
from access_review.records import VIEW_HOLDS, Snapshot
from access_review.store import Store
from access_review.suspension.store import SuspensionStore, case_state
from campaigns.results import CampaignItemView as CampaignItemView  # re-exported for the sheets
from campaigns.results import CampaignView as CampaignView
from campaigns.results import read_campaign_by_name as read_campaign_by_name
from campaigns.results import read_current_campaign as _read_current_campaign


@dataclass(frozen=True)
class SuspensionView:
    id: str
    person: str
    employee_id: str
    reason: str
    state: str  # suspended | restored | partial ...
    suspended_at: datetime | None
    suspended_by: str
    restored_at: datetime | None
    accounts: tuple[str, ...]  # "login (source)" of each account it disabled


@dataclass(frozen=True)
class FeatureData:
    """What an adapter found: ``available`` is False when the feature could not be read."""

    available: bool
    note: str = ""


@dataclass(frozen=True)
class CampaignData(FeatureData):
    current: CampaignView | None = None


@dataclass(frozen=True)
class SuspensionData(FeatureData):
    suspensions: tuple[SuspensionView, ...] = ()

    @property
    def open(self) -> tuple[SuspensionView, ...]:
        return tuple(s for s in self.suspensions if s.restored_at is None)


def read_current_campaign(store: Store) -> CampaignData:
    """The campaign in progress (the latest not yet verified), else the latest one."""
    current = _read_current_campaign(store)
    if current is None:
        return CampaignData(available=True, note="no campaign yet")
    return CampaignData(available=True, current=current)


def read_suspensions(store: Store, persons: Mapping[str, Any] | None = None) -> SuspensionData:
    """Every suspension case, through the suspension package's store.

    ``persons`` (person key -> Person) turns the case's people into names."""
    sstore = SuspensionStore(store)
    persons = persons or {}
    views = []
    for case in sstore.cases():
        accounts = sstore.accounts(case.id)
        steps = sstore.steps(case.id)
        people = list(dict.fromkeys(a.person for a in accounts if a.person))
        names = [getattr(persons.get(k), "name", "") or k.split(":", 1)[1] for k in people]
        state = case_state(case, steps)
        views.append(
            SuspensionView(
                id=case.id,
                person="; ".join(names) or "; ".join(case.targets),
                employee_id="; ".join(k.split(":", 1)[1] for k in people),
                reason=case.reason,
                state=state,
                suspended_at=case.created_at,
                suspended_by=case.created_by,
                restored_at=case.restored_at,
                accounts=tuple(f"{a.login} ({a.source})" for a in accounts),
            )
        )
    return SuspensionData(
        available=True, suspensions=tuple(views), note="" if views else "no suspensions"
    )


@dataclass(frozen=True)
class AuditAnchor:
    """The audit log's head, to be printed outside the store: whoever can rewrite the store
    cannot rewrite a copy of this already handed to the board."""

    verified: bool
    entries: int
    head_hash: str  # the hash of the last entry ("" for an empty log)
    problem: str = ""  # what verification found, when it failed


def read_audit_anchor(store: Store) -> AuditAnchor:
    """The keyed audit chain's anchor (head hash and entry count, what `audit verify --expect`
    checks later) and whether the chain verifies now."""
    result = audit.verify(store)
    head = audit.anchor(store)
    return AuditAnchor(
        verified=result.ok,
        entries=head.entries or 0,
        head_hash=head.hash if head.entries else "",
        problem=result.problem,
    )


@dataclass(frozen=True)
class HoldView:
    """Whether the directories' own holds (Google Vault) could all be read."""

    complete: bool
    notes: tuple[str, ...] = ()


def read_hold_view(snapshots: Mapping[str, Snapshot]) -> HoldView:
    """Partial when a connector could read the directory's own holds only in part (a Google
    subject that sees only the Vault matters shared with it: ``partial_views["holds"]``)."""
    notes = tuple(
        f"{name}: {snap.partial_views[VIEW_HOLDS]}"
        for name, snap in sorted(snapshots.items())
        if VIEW_HOLDS in snap.partial_views
    )
    return HoldView(complete=not notes, notes=notes)
