"""One analysis: the facts (``facts.py``: the latest complete snapshots, the roster and the
inventory, correlated and turned into the entitlement graph and effective access) and the
findings drawn from them (``findings.py``).

Everything downstream (the CLI's why/access/who, findings, campaigns, suspension, exports)
starts from an ``Analysis`` so that they all see the same facts.
"""

from __future__ import annotations

import time
from datetime import date
from functools import cached_property
from typing import Mapping

from . import inventory as inv
from .bulk import collector_paused
from .config import Config
from .errors import AccessReviewError
from .facts import Facts
from .findings import Finding, run_rules, today_utc
from .records import Snapshot
from .store import Store, SyncRun
from .stored_inventory import fetch_stored_inventory, load_inventory_from_store  # noqa: F401  (bench_core reads it here)


class Analysis(Facts):
    """The facts and the findings drawn from them (computed on first use)."""

    @cached_property
    def findings(self) -> list[Finding]:
        t = time.perf_counter()
        with collector_paused():
            found = run_rules(self)
        self.timings["findings"] = time.perf_counter() - t
        return found


def _held_accounts_last_seen(
    store: Store, inventory: inv.Inventory, snapshots: Mapping[str, Snapshot]
) -> dict[str, SyncRun]:
    """For held accounts (named by key) missing from today's snapshots: when they were last seen."""
    present = {a.key for s in snapshots.values() for a in s.accounts}
    out = {}
    for hold in inventory.holds:
        key = hold.subject.strip()
        if key.count(":") >= 2 and key not in present and (run := store.last_seen(key)):
            out[key] = run
    return out


def analyse(
    config: Config,
    store: Store,
    *,
    today: date | None = None,
    snapshots: Mapping[str, Snapshot] | None = None,
    partial: bool = False,
) -> Analysis:
    """The analysis of the latest complete snapshots, the roster and the inventory in use.

    Without a roster or an inventory it refuses, unless ``partial``: then it runs what can run
    without them (privileged roles, apps) and ``missing_inputs`` names what is missing, so the
    findings that need it are skipped and said to be (findings.RULE_NEEDS)."""
    t = time.perf_counter()
    if snapshots is None:
        snapshots = store.latest_snapshots()
    roster = store.load_roster()
    missing: list[str] = []
    if not roster:
        if not partial:
            raise AccessReviewError(
                "no staff roster has been imported", hint="run `access-review roster import FILE`"
            )
        missing.append("roster")
    if fetch_stored_inventory(store) is None and partial:
        missing.append("inventory")
        inventory = inv.Inventory(resources=())
    else:
        inventory = load_inventory_from_store(store, roster)
    load_time = time.perf_counter() - t
    a = Analysis(
        config=config,
        snapshots=dict(snapshots),
        persons={p.key: p for p in roster},
        inventory=inventory,
        today=today or today_utc(),
        last_seen=_held_accounts_last_seen(store, inventory, snapshots),
        missing_inputs=tuple(missing),
    )
    a.timings["load"] = load_time
    return a
