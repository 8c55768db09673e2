"""Thinning the store's history by the retention policy (config ``[retention]``): what
`access-review store prune` plans and, with --apply, carries out.

Kept, always: the current snapshot of every source and the current analysis; every run and
analysis the caller says is in use (``keep``: the terminal layer passes what campaigns,
verifications and evidence packs refer to — the core knows no campaign); every complete run
and analysis of the last ``keep_every_run_days`` days; and the last of each calendar month
(UTC) for ``keep_monthly_years`` years. The rest is thinned: its rows go where no kept version
holds them (versioned.py), its record stays with ``pruned_at``, so history still says when each
sync ran and what it counted, and "last seen" for a held account that vanished keeps working
(it is kept apart, in ``accounts_vanished``). Failed and interrupted runs hold no rows; their
records are kept. Findings copies written before the analysis was stored are thinned by the
same rule.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Mapping

from .analysis_tables import ANALYSIS_TABLES
from .config import Retention as RetentionPolicy
from .snapshot_tables import SNAPSHOT_TABLES
from .store import Store, now_iso
from .versioned import drop_unreferenced


@dataclass(frozen=True)
class Version:
    """A sync run (kind "sync", with its source) or an analysis build (kind "analysis")."""

    kind: str
    id: int
    source: str
    at: datetime


@dataclass(frozen=True)
class PrunePlan:
    now: datetime
    policy: RetentionPolicy
    keep: dict[tuple[str, int], str]  # (kind, id) -> why it is kept
    prune: tuple[Version, ...]  # what will be thinned
    findings_copies: tuple[int, ...] = ()  # old findings runs whose copies go

    @property
    def empty(self) -> bool:
        return not self.prune and not self.findings_copies

    def count(self, kind: str) -> int:
        return sum(v.kind == kind for v in self.prune)


@dataclass
class PruneResult:
    rows_deleted: dict[str, int] = field(default_factory=dict)
    runs: int = 0
    analyses: int = 0
    findings_copies: int = 0


def _month(at: datetime) -> str:
    return f"{at.year:04d}-{at.month:02d}"


def _keep_reason(
    v: Version, latest: bool, month_last: bool, now: datetime, policy: RetentionPolicy
) -> str | None:
    if latest:
        return "current"
    age = now - v.at
    if age <= timedelta(days=policy.keep_every_run_days):
        return f"within {policy.keep_every_run_days} days"
    if month_last and age <= timedelta(days=round(365.25 * policy.keep_monthly_years)):
        return f"the last of {_month(v.at)}"
    return None


def _thin(
    versions: list[Version], now: datetime, policy: RetentionPolicy, in_use: Mapping[int, str]
) -> tuple[dict[int, str], list[Version]]:
    """One lineage, oldest first: (id -> why kept, versions to thin)."""
    last_of_month: dict[str, int] = {}
    for v in versions:
        last_of_month[_month(v.at)] = v.id
    keep: dict[int, str] = {}
    thin: list[Version] = []
    for i, v in enumerate(versions):
        why = in_use.get(v.id) or _keep_reason(
            v, i == len(versions) - 1, last_of_month[_month(v.at)] == v.id, now, policy
        )
        if why:
            keep[v.id] = why
        else:
            thin.append(v)
    return keep, thin


def plan_prune(
    store: Store,
    policy: RetentionPolicy,
    now: datetime,
    *,
    keep: Mapping[int, str],
    keep_analyses: Mapping[int, str] | None = None,
) -> PrunePlan:
    """What the policy thins now. ``keep``: sync run id -> why it is in use elsewhere (pass
    what campaigns and their evidence refer to); ``keep_analyses`` the same for analyses."""
    kept: dict[tuple[str, int], str] = {}
    prune: list[Version] = []
    by_source: dict[str, list[Version]] = {}
    for run_id, source, finished in store.db.execute(
        "SELECT id, source, COALESCE(finished_at, started_at) FROM sync_runs"
        " WHERE status='complete' AND pruned_at IS NULL ORDER BY id"
    ):
        by_source.setdefault(source, []).append(
            Version("sync", run_id, source, datetime.fromisoformat(finished))
        )
    for source, versions in sorted(by_source.items()):
        keep_ids, thin = _thin(versions, now, policy, keep)
        kept.update((("sync", i), why) for i, why in keep_ids.items())
        prune += thin
    in_use_analyses = dict(keep_analyses or {})
    latest_findings = store.db.execute(
        "SELECT analysis_id FROM findings_runs WHERE analysis_id IS NOT NULL ORDER BY id DESC LIMIT 1"
    ).fetchone()
    if latest_findings:
        in_use_analyses.setdefault(latest_findings[0], "the latest findings run")
    analyses = [
        Version("analysis", i, "", datetime.fromisoformat(at))
        for i, at in store.db.execute(
            "SELECT id, built_at FROM analysis_runs WHERE pruned_at IS NULL ORDER BY id"
        )
    ]
    keep_ids, thin = _thin(analyses, now, policy, in_use_analyses)
    kept.update((("analysis", i), why) for i, why in keep_ids.items())
    prune += thin
    copies = [
        Version("findings", i, "", datetime.fromisoformat(at))
        for i, at in store.db.execute(
            "SELECT r.id, r.created_at FROM findings_runs r WHERE r.analysis_id IS NULL"
            " AND EXISTS (SELECT 1 FROM findings f WHERE f.run_id = r.id) ORDER BY r.id"
        )
    ]
    _, thin_copies = _thin(copies, now, policy, {})
    return PrunePlan(
        now=now,
        policy=policy,
        keep=kept,
        prune=tuple(prune),
        findings_copies=tuple(v.id for v in thin_copies),
    )


def apply_prune(store: Store, plan: PrunePlan) -> PruneResult:
    """Thin what ``plan`` says, in one transaction (the caller audits it in the same one)."""
    result = PruneResult()
    stamp = now_iso()
    with store.transaction() as db:
        runs = [v for v in plan.prune if v.kind == "sync"]
        for source in sorted({v.source for v in runs}):
            db.executemany(
                "UPDATE sync_runs SET pruned_at=? WHERE id=?",
                [(stamp, v.id) for v in runs if v.source == source],
            )
            kept = [
                r[0]
                for r in db.execute(
                    "SELECT id FROM sync_runs WHERE source=? AND status='complete'"
                    " AND pruned_at IS NULL",
                    (source,),
                )
            ]
            for table in SNAPSHOT_TABLES:
                n = drop_unreferenced(db, table, kept, lineage_value=source)
                result.rows_deleted[table.name] = result.rows_deleted.get(table.name, 0) + n
        result.runs = len(runs)
        analyses = [v.id for v in plan.prune if v.kind == "analysis"]
        if analyses:
            db.executemany(
                "UPDATE analysis_runs SET pruned_at=? WHERE id=?", [(stamp, i) for i in analyses]
            )
            kept = [
                r[0] for r in db.execute("SELECT id FROM analysis_runs WHERE pruned_at IS NULL")
            ]
            for table in ANALYSIS_TABLES:
                result.rows_deleted[table.name] = drop_unreferenced(db, table, kept)
        result.analyses = len(analyses)
        for run_id in plan.findings_copies:
            n = db.execute("DELETE FROM findings WHERE run_id=?", (run_id,)).rowcount
            result.rows_deleted["findings"] = result.rows_deleted.get("findings", 0) + n
        result.findings_copies = len(plan.findings_copies)
    return result


@dataclass(frozen=True)
class StoreStats:
    path: str
    file_bytes: int
    free_bytes: int
    tables: dict[str, int]  # table -> rows
    runs: dict[str, int]  # complete, failed, pruned
    analyses: dict[str, int]  # kept, pruned
    oldest_snapshot: datetime | None
    table_bytes: dict[str, int] = field(default_factory=dict)  # when SQLite can tell (dbstat)


def read_stats(store: Store) -> StoreStats:
    db = store.db
    page_size = db.execute("PRAGMA page_size").fetchone()[0]
    free = db.execute("PRAGMA freelist_count").fetchone()[0] * page_size
    tables = {}
    for (name,) in db.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%'"
        " ORDER BY name"
    ).fetchall():
        tables[name] = db.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]  # noqa: S608 (names from sqlite_master)
    table_bytes: dict[str, int] = {}
    try:
        for name, size in db.execute("SELECT name, SUM(pgsize) FROM dbstat GROUP BY name"):
            table_bytes[name] = size
    except Exception:  # noqa: S110 (dbstat is an optional SQLite module; the sizes are then left out)
        table_bytes = {}
    runs = dict(
        db.execute(
            "SELECT CASE WHEN pruned_at IS NOT NULL THEN 'thinned' ELSE status END, COUNT(*)"
            " FROM sync_runs GROUP BY 1"
        ).fetchall()
    )
    analyses = dict(
        db.execute(
            "SELECT CASE WHEN pruned_at IS NULL THEN 'kept' ELSE 'thinned' END, COUNT(*)"
            " FROM analysis_runs GROUP BY 1"
        ).fetchall()
    )
    oldest = db.execute(
        "SELECT MIN(COALESCE(finished_at, started_at)) FROM sync_runs WHERE status='complete'"
        " AND pruned_at IS NULL"
    ).fetchone()[0]
    return StoreStats(
        path=str(store.path),
        file_bytes=store.path.stat().st_size,
        free_bytes=free,
        tables=tables,
        runs=runs,
        analyses=analyses,
        oldest_snapshot=datetime.fromisoformat(oldest) if oldest else None,
        table_bytes=table_bytes,
    )


def vacuum(store: Store) -> tuple[int, int]:
    """Give the space freed back to the file system: (bytes before, after)."""
    before = store.path.stat().st_size
    store.db.execute("VACUUM")
    store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return before, store.path.stat().st_size
