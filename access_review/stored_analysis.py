"""The stored analysis: the analysis (analysis.py) computed once when its inputs change and
kept in indexed tables (analysis_tables.py), so that every query reads answers instead of
rebuilding the entitlement graph (issue 13: 5-8 s and 300 MB per query at district scale).

``refresh_analysis`` builds and stores it when the stored one does not match the current
inputs (analysis_inputs.py); the CLI calls it after a sync or an import, and a query that finds
the stored analysis out of date calls it too before answering, so a stale analysis is never
read. What is stored is exactly what the queries show, computed by the same code as before:
effective access with levels, paths and authorization, every path `why` shows, the findings
in order, how accounts were joined to people, and a summary (counts, warnings, the
inventory check, partial views, holds, privileged holders).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, Callable

from .analysis_inputs import AnalysisInputs, current_inputs
from .analysis_tables import ACCESS, ANALYSIS_TABLES, FINDINGS, LINKS, NAMES, PATHS, UNMATCHED
from .config import Config
from .errors import AccessReviewError
from .finding_types import today_utc
from .store import Store, inserted_id, now_iso
from .versioned import Row, write_version

if TYPE_CHECKING:
    from .analysis import Analysis


@dataclass(frozen=True)
class StoredAnalysis:
    id: int
    built_at: datetime
    inputs: AnalysisInputs
    summary: dict[str, Any]
    seconds: float | None = None

    @property
    def today(self) -> date:
        return date.fromisoformat(self.inputs.today)


def latest_stored_analysis(store: Store) -> StoredAnalysis | None:
    row = store.db.execute(
        "SELECT id, built_at, inputs, summary, seconds FROM analysis_runs"
        " WHERE pruned_at IS NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if row is None:
        return None
    return StoredAnalysis(
        row[0],
        datetime.fromisoformat(row[1]),
        AnalysisInputs.from_json(row[2]),
        json.loads(row[3]),
        row[4],
    )


def stored_analysis(store: Store, analysis_id: int) -> StoredAnalysis | None:
    row = store.db.execute(
        "SELECT id, built_at, inputs, summary, seconds, pruned_at FROM analysis_runs WHERE id=?",
        (analysis_id,),
    ).fetchone()
    if row is None or row[5]:
        return None
    return StoredAnalysis(
        row[0],
        datetime.fromisoformat(row[1]),
        AnalysisInputs.from_json(row[2]),
        json.loads(row[3]),
        row[4],
    )


def refresh_analysis(
    config: Config,
    store: Store,
    *,
    today: date | None = None,
    same_day: bool = True,
    on_rebuild: Callable[[list[str]], None] | None = None,
) -> StoredAnalysis:
    """The stored analysis for the current inputs: the one already stored when it matches
    them, else a new one built and stored now (``on_rebuild`` is told why first). Without
    ``same_day``, one built from the same data for an earlier day will do (a reader that
    checks dates itself, like a suspension plan checking holds)."""
    today = today or today_utc()
    with store.reading():
        inputs = current_inputs(config, store, today)
        latest = latest_stored_analysis(store)
        if latest is not None and (
            latest.inputs == inputs or (not same_day and inputs.on_another_day(latest.inputs))
        ):
            return latest
        from .analysis import analyse  # the graph and the rules: only when a build is needed

        if not inputs.runs:
            # What is wrong with the roster or the stored inventory is said first (it is what
            # the ISO must fix); then that nothing is synced yet.
            analyse(config, store, today=today, partial=True)
            raise AccessReviewError(
                "no complete snapshot of any source yet", hint="run `access-review sync`"
            )
        if on_rebuild is not None:
            on_rebuild(
                inputs.changes_since(latest.inputs) if latest else ["no analysis stored yet"]
            )
        started = time.perf_counter()
        a = analyse(config, store, today=today, partial=True)
        rows = build_rows(a)
        summary = build_summary(a, inputs)
    return write_analysis(store, inputs, rows, summary, time.perf_counter() - started)


def write_analysis(
    store: Store,
    inputs: AnalysisInputs,
    rows: dict[str, list[Row]],
    summary: dict[str, Any],
    seconds: float,
) -> StoredAnalysis:
    built_at = now_iso()
    with store.transaction() as db:
        latest = latest_stored_analysis(store)
        if latest is not None and latest.inputs == inputs:
            return latest  # another process stored the same analysis meanwhile
        cur = db.execute(
            "INSERT INTO analysis_runs (built_at, inputs, summary, seconds) VALUES (?,?,?,?)",
            (built_at, inputs.to_json(), _json(summary), round(seconds, 3)),
        )
        analysis_id = inserted_id(cur)
        for table in ANALYSIS_TABLES:
            write_version(db, table, analysis_id, rows[table.name])
    return StoredAnalysis(analysis_id, datetime.fromisoformat(built_at), inputs, summary, seconds)


def store_built_analysis(config: Config, store: Store, a: Analysis) -> StoredAnalysis:
    """Store an analysis already computed in this process (the demo's), for the day it was
    computed for; a query for another day rebuilds."""
    inputs = current_inputs(config, store, a.today)
    started = time.perf_counter()
    return write_analysis(
        store, inputs, build_rows(a), build_summary(a, inputs), time.perf_counter() - started
    )


# -- building the rows ---------------------------------------------------------------------------
def _json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False)


def build_rows(a: Analysis) -> dict[str, list[Row]]:
    """Every table's rows from an ``Analysis`` (findings computed here if not yet)."""
    from .graph import describe_path, paths_around, path_level

    g = a.graph
    access_rows, path_rows = [], []
    for x in a.access:
        account = a.accounts[x.account]
        person = a.persons.get(x.person) if x.person else None
        if person is not None:
            ok, reason = a.is_authorized(a.inventory_by_name[x.resource], person)
        else:
            ok, reason = False, "no roster person"
        access_rows.append(
            (
                x.resource,
                x.account,
                x.person,
                x.level,
                _json(list(x.path)),
                describe_path(g, x.path),
                int(ok),
                reason,
                account.login,
                account.source,
            )
        )
        for rank, path in enumerate(paths_around(g, x.path)):
            path_rows.append(
                (x.account, x.resource, rank, path_level(g, path), describe_path(g, path))
            )
    finding_rows = []
    for f in a.findings:
        # The account's login and directory as they were when found (a held account that
        # vanished has none: its directory is the key's).
        found_on = a.accounts.get(f.account) if f.account else None
        login, source = (
            (found_on.login, found_on.source)
            if found_on
            else ("", f.account.split(":", 1)[0] if f.account else "")
        )
        finding_rows.append(
            (
                f.type,
                f.severity,
                f.person,
                f.account,
                f.resource,
                _json(list(f.path)),
                describe_path(g, f.path) if f.path else "",
                f.summary,
                _json(f.evidence),
                login,
                source,
            )
        )
    c = a.correlation
    link_rows = [
        (account, person, c.links[account].method, c.links[account].value, rank)
        for person, accounts in c.accounts_of.items()
        for rank, account in enumerate(accounts)
    ]
    unmatched_rows = []
    for key in c.unmatched:
        if c.kinds[key] == "student":
            continue
        acct = a.accounts[key]
        unmatched_rows.append(
            (key, acct.source, acct.login, c.kinds[key], int(acct.enabled), acct.display_name)
        )
    names = sorted({(r.name, r.kind, r.source) for r in a.resources.values()})
    return {
        ACCESS.name: access_rows,
        PATHS.name: path_rows,
        FINDINGS.name: finding_rows,
        LINKS.name: link_rows,
        UNMATCHED.name: unmatched_rows,
        NAMES.name: names,
    }


def build_summary(a: Analysis, inputs: AnalysisInputs) -> dict[str, Any]:
    from .findings import skipped_types

    c = a.correlation
    people_by_resource: dict[str, set[str]] = {}
    for x in a.access:
        if x.person:
            people_by_resource.setdefault(x.resource, set()).add(x.person)
    inventory = []
    for res in a.inventory.resources:
        manager = a.persons.get(f"person:{res.data_manager}")
        inventory.append(
            {
                "name": res.name,
                "classification": res.classification,
                "confidential": res.confidential,
                "data_manager": res.data_manager,
                "data_manager_name": manager.name if manager else None,
                "matches": len(a.selector_matches.get(res.name, [])),
                "people": len(people_by_resource.get(res.name, ())),
            }
        )
    # Every hold, released or not: whoever reads them (a suspension plan) checks them for its own day.
    holds = [
        {
            "subject": h.subject,
            "matter": h.matter,
            "since": h.since.isoformat() if h.since else None,
            "released": h.released.isoformat() if h.released else None,
        }
        for h in [*a.inventory.holds, *a.directory_holds]
    ]
    privileged = []
    for key, holders in a.privileged_holders().items():
        granted = a.resources[key]
        privileged.append(
            {
                "resource": key,
                "name": granted.name,
                "source": granted.source,
                "super_admin": bool(granted.extra and granted.extra.get("isSuperAdminRole")),
                "holders": [account for account, _path in holders],
            }
        )
    found = a.findings
    return {
        "sources": {
            s: {
                "finished_at": snap.finished_at.isoformat() if snap.finished_at else None,
                "accounts": len(snap.accounts),
            }
            for s, snap in sorted(a.snapshots.items())
        },
        "accounts": {
            "total": len(a.accounts),
            "linked": len(c.links),
            "people": len(c.accounts_of),
            "by_method": Counter(link.method for link in c.links.values()).most_common(),
            "unmatched": len(c.unmatched),
            "unmatched_by_kind": Counter(c.kinds[k] for k in c.unmatched).most_common(),
            "ambiguous": [
                [account, address, list(people)] for account, address, people in c.ambiguous
            ],
        },
        "inventory": inventory,
        "selector_warnings": list(a.selector_warnings),
        "partial_views": {
            s: dict(sorted(snap.partial_views.items()))
            for s, snap in sorted(a.snapshots.items())
            if snap.partial_views
        },
        "holds_may_be_missing": list(a.holds_may_be_missing),
        "holds": holds,
        "privileged": privileged,
        "missing_inputs": list(a.missing_inputs),
        "skipped": skipped_types(a.missing_inputs),
        "findings": {
            "count": len(found),
            "by_type": dict(Counter(f.type for f in found)),
            "by_severity": dict(Counter(f.severity for f in found)),
        },
        "timings": {k: round(v, 3) for k, v in a.timings.items()},
    }
