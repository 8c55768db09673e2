"""The embedded store: SQLite, versioned schema with migrations.

It keeps sync runs (one snapshot per source per run, complete or failed), roster imports,
inventory versions, findings runs and the audit log. Only the latest *complete* snapshot
of a source is ever used; failed ones are kept for diagnosis.

The file holds confidential data, so it is created readable by its owner only.
"""

from __future__ import annotations

import json
import os
import sqlite3
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Iterable,
    Iterator,
    Protocol,
    Sequence,
    get_args,
    overload,
)

from .analysis_tables import create_analysis_tables
from .bulk import collector_paused
from .errors import StoreError
from .finding_types import finding_order
from .private_files import make_private_folder
from .records import (
    Account,
    Contact,
    Grant,
    Group,
    Membership,
    MemberRole,
    MemberType,
    Person,
    Resource,
    Snapshot,
)
from .snapshot_tables import (
    ACCOUNTS,
    CONTACTS,
    GRANTS,
    GROUPS,
    MEMBERSHIPS,
    RESOURCES,
    SNAPSHOT_TABLES,
    fold_copies,
    note_vanished,
    record_columns,
)
from .versioned import Row, VersionedTable, rows_at, write_version

if TYPE_CHECKING:
    from .audit_key import AuditKeySource

MIGRATIONS: list[str] = [
    # 1: snapshots, roster, inventory, findings, audit
    """
    CREATE TABLE sync_runs (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        started_at TEXT NOT NULL,
        finished_at TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'complete', 'failed')),
        mode TEXT NOT NULL DEFAULT 'full',
        error TEXT,
        counts TEXT, stats TEXT, cursor TEXT, warnings TEXT
    );
    CREATE INDEX sync_runs_source ON sync_runs(source, status, id);
    CREATE TABLE accounts (
        run_id INTEGER NOT NULL, key TEXT NOT NULL, source TEXT, id TEXT, login TEXT, email TEXT,
        display_name TEXT, employee_id TEXT, enabled INTEGER, last_sign_in TEXT, created TEXT,
        org_unit TEXT, kind TEXT, title TEXT, department TEXT, aliases TEXT, authority TEXT, extra TEXT
    );
    CREATE INDEX accounts_run ON accounts(run_id);
    CREATE TABLE groups_ (
        run_id INTEGER NOT NULL, key TEXT NOT NULL, source TEXT, id TEXT, name TEXT, email TEXT,
        kind TEXT, authority TEXT, extra TEXT
    );
    CREATE INDEX groups_run ON groups_(run_id);
    CREATE TABLE memberships (
        run_id INTEGER NOT NULL, source TEXT, group_key TEXT, member_key TEXT, member_type TEXT
    );
    CREATE INDEX memberships_run ON memberships(run_id);
    CREATE TABLE resources (
        run_id INTEGER NOT NULL, key TEXT NOT NULL, source TEXT, id TEXT, name TEXT, kind TEXT,
        privileged INTEGER, extra TEXT
    );
    CREATE INDEX resources_run ON resources(run_id);
    CREATE TABLE grants (
        run_id INTEGER NOT NULL, key TEXT NOT NULL, source TEXT, id TEXT, resource_key TEXT,
        principal_key TEXT, level TEXT, kind TEXT, scopes TEXT, role TEXT, extra TEXT
    );
    CREATE INDEX grants_run ON grants(run_id);
    CREATE TABLE roster_imports (
        id INTEGER PRIMARY KEY, imported_at TEXT NOT NULL, path TEXT, count INTEGER
    );
    CREATE TABLE persons (
        import_id INTEGER NOT NULL, employee_id TEXT, name TEXT, email TEXT, title TEXT,
        department TEXT, building TEXT, person_type TEXT, status TEXT, status_date TEXT,
        training_date TEXT, aliases TEXT
    );
    CREATE INDEX persons_import ON persons(import_id);
    CREATE TABLE inventory_versions (
        id INTEGER PRIMARY KEY, imported_at TEXT NOT NULL, roster_import_id INTEGER,
        files TEXT NOT NULL  -- JSON: {"inventory": [name, hex bytes], "apps": ..., "holds": ...}
    );
    CREATE TABLE findings_runs (
        id INTEGER PRIMARY KEY, created_at TEXT NOT NULL, snapshot_runs TEXT, count INTEGER
    );
    CREATE TABLE findings (
        run_id INTEGER NOT NULL, type TEXT, severity TEXT, person TEXT, account TEXT,
        resource TEXT, path TEXT, summary TEXT, evidence TEXT
    );
    CREATE INDEX findings_run ON findings(run_id);
    CREATE TABLE audit_log (
        seq INTEGER PRIMARY KEY, at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
        details TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
    );
    """,
    # 2: features (campaigns, suspensions, ...) keep their own tables and versions
    """
    CREATE TABLE feature_schemas (feature TEXT PRIMARY KEY, version INTEGER NOT NULL);
    """,
    # 3: what each directory's access rules need (issue 12, docs/access-model.md): member
    # roles (AD primary group, Google owners/managers), UPNs, guests, unknown sign-in,
    # group aliases and role-assignable groups, role scopes and privileges, grants to direct
    # members only, mail contacts, and the views a sync could read only in part.
    """
    ALTER TABLE memberships ADD COLUMN role TEXT;
    ALTER TABLE accounts ADD COLUMN upn TEXT;
    ALTER TABLE accounts ADD COLUMN guest INTEGER;
    ALTER TABLE accounts ADD COLUMN sign_in_known INTEGER;
    ALTER TABLE groups_ ADD COLUMN aliases TEXT;
    ALTER TABLE groups_ ADD COLUMN role_assignable INTEGER;
    ALTER TABLE resources ADD COLUMN scope TEXT;
    ALTER TABLE resources ADD COLUMN privileges TEXT;
    ALTER TABLE grants ADD COLUMN direct_members_only INTEGER;
    ALTER TABLE sync_runs ADD COLUMN partial_views TEXT;
    CREATE TABLE contacts (
        run_id INTEGER NOT NULL, key TEXT NOT NULL, source TEXT, id TEXT, name TEXT, email TEXT,
        extra TEXT
    );
    CREATE INDEX contacts_run ON contacts(run_id);
    """,
    # 4: a sync killed mid-run is marked interrupted, with when, by the next sync; pid says
    # which process ran it. (Columns are added rather than the status CHECK widened: SQLite
    # can change a CHECK only by rebuilding the table, which every later column would have
    # to follow; an interrupted run keeps status 'failed', which every "not complete" query
    # already reads right, and SyncRun.status says 'interrupted'.)
    """
    ALTER TABLE sync_runs ADD COLUMN pid INTEGER;
    ALTER TABLE sync_runs ADD COLUMN interrupted_at TEXT;
    """,
    # 5 (issue 13): snapshots are kept as rows valid from one run to another instead of a copy
    # per run (versioned.py), so a sync that changes nothing adds nothing but its run record.
    # Existing copies are folded into intervals (snapshot_tables.fold_copies). A run whose
    # snapshot was thinned away by the retention policy keeps its record, with pruned_at.
    # accounts_vanished remembers the last run that held each account no longer present, so
    # "last seen" for a held account outlives the thinning.
    "fold_snapshot_copies",
    # 6 (issue 13): the stored analysis (stored_analysis.py): built once when its inputs change,
    # read by every query.
    "create_analysis_tables",
]

SCHEMA_VERSION = len(MIGRATIONS)


def now_utc() -> datetime:
    return datetime.now(timezone.utc)


def now_iso() -> str:
    """The current UTC time as stored in every table (ISO 8601, microseconds)."""
    return now_utc().isoformat(timespec="microseconds")


@overload
def _iso(value: date) -> str: ...
@overload
def _iso(value: date | None) -> str | None: ...
def _iso(value: date | datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def _required_dt(value: str) -> datetime:
    """A time from a NOT NULL column."""
    return datetime.fromisoformat(value)


def inserted_id(cur: sqlite3.Cursor) -> int:
    """The rowid the INSERT just run on ``cur`` gave its row. (typeshed types ``lastrowid`` as
    ``int | None``: None only before any INSERT on the cursor, https://docs.python.org/3/library/sqlite3.html#sqlite3.Cursor.lastrowid.)"""
    if cur.lastrowid is None:
        raise StoreError("SQLite returned no id for an inserted row")
    return cur.lastrowid


def _d(value: str | None) -> date | None:
    return date.fromisoformat(value) if value else None


def _json(value: Any) -> str:
    return json.dumps(value, default=str, separators=(",", ":"))


def _extra(value: Any) -> str | None:
    return _json(dict(value)) if value else None


def _unextra(value: str | None) -> dict[str, Any]:
    return json.loads(value) if value else {}


def _list(values: Sequence[str]) -> str | None:
    return _json(list(values)) if values else None


def _unlist(value: str | None) -> tuple[str, ...]:
    return tuple(json.loads(value)) if value else ()


class StoredFinding(Protocol):
    """What the store keeps of a finding (``findings.Finding`` has it; the store may not import
    it: findings reads the facts, which read the store)."""

    @property
    def type(self) -> str: ...
    @property
    def severity(self) -> str: ...
    @property
    def summary(self) -> str: ...
    @property
    def person(self) -> str | None: ...
    @property
    def account(self) -> str | None: ...
    @property
    def resource(self) -> str | None: ...
    @property
    def path(self) -> Sequence[str]: ...
    @property
    def evidence(self) -> dict[str, Any]: ...


@dataclass(frozen=True)
class SyncRun:
    id: int
    source: str
    started_at: datetime
    finished_at: datetime | None
    status: str
    mode: str
    error: str | None
    counts: dict[str, int]
    stats: dict[str, int]
    warnings: list[str]
    interrupted_at: datetime | None = None  # status is then 'interrupted' (stored as 'failed')


class Store:
    def __init__(
        self,
        path: str | Path,
        *,
        audit_key: "AuditKeySource | None" = None,
        actor: str | None = None,
    ):
        self.path = Path(path)
        # Where the audit log's key comes from (the config's [audit] table); None: the default.
        self.audit_key = audit_key
        # Who the audit log records as acting through this store (the OS user and the ISO the
        # config names); None: the OS user alone.
        self.actor = actor
        make_private_folder(self.path.parent)
        self._on_rollback: list[Callable[[], None]] = []
        if not self.path.exists():
            # Created owner-only before SQLite writes anything into it.
            fd = os.open(self.path, os.O_CREAT | os.O_WRONLY, 0o600)
            os.close(fd)
        try:
            self.db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
            self._use_wal()
            self.db.execute("PRAGMA foreign_keys=ON")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"{self.path}: cannot open the store: {exc}") from None

    def _use_wal(self, patience: float = 30.0) -> None:
        """Write-ahead logging, so readers never block the writer. The switch needs an
        exclusive lock, and SQLite may answer "database is locked" at once instead of waiting
        on the busy timeout ("the presence of a busy handler does not guarantee that it will
        be invoked when there is lock contention", https://www.sqlite.org/c3ref/busy_handler.html):
        several processes opening a new store together hit it. Ask again, as long as the
        connection would have waited."""
        deadline = time.monotonic() + patience
        while True:
            try:
                self.db.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
                time.sleep(0.05)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- schema -------------------------------------------------------------------------
    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path}: the store was written by a newer access-review (schema {version})",
                hint="upgrade access-review",
            )
        for number in range(version, SCHEMA_VERSION):
            with self.transaction():
                # Another process opening the same new store (a `status` while `sync` starts)
                # may have applied this step since the version was read: look again under
                # the write lock rather than apply it twice.
                if self.db.execute("PRAGMA user_version").fetchone()[0] > number:
                    continue
                _run_migration(self.db, MIGRATIONS[number])
                self.db.execute(f"PRAGMA user_version = {number + 1}")
            if MIGRATIONS[number] == "fold_snapshot_copies" and version > 0:
                # The per-run copies are gone: give their space back to the file system now,
                # once, rather than leave a store twice its size until the next prune.
                self.db.execute("VACUUM")

    def ensure_feature_schema(self, feature: str, migrations: list[str]) -> None:
        """Let a feature package (campaigns, suspension, ...) own its tables: ``migrations``
        are applied in order, each once, recorded under the feature's name."""
        row = self.db.execute(
            "SELECT version FROM feature_schemas WHERE feature=?", (feature,)
        ).fetchone()
        version = row[0] if row else 0
        if version > len(migrations):
            raise StoreError(
                f"{self.path}: {feature} tables were written by a newer access-review",
                hint="upgrade access-review",
            )
        for number in range(version, len(migrations)):
            with self.transaction():
                for statement in _split_sql(migrations[number]):
                    self.db.execute(statement)
                self.db.execute(
                    "INSERT INTO feature_schemas (feature, version) VALUES (?, ?)"
                    " ON CONFLICT(feature) DO UPDATE SET version=excluded.version",
                    (feature, number + 1),
                )

    @property
    def schema_version(self) -> int:
        version: int = self.db.execute("PRAGMA user_version").fetchone()[0]
        return version

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction. A transaction opened inside another joins it, so several
        writes (a snapshot and its audit entry, an import and its entry) commit together or
        not at all."""
        if self.db.in_transaction:
            yield self.db
            return
        self._on_rollback = []
        self.db.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
            self.db.execute("COMMIT")
        except BaseException:
            if self.db.in_transaction:  # not when COMMIT itself failed and ended it
                # mypy keeps in_transaction narrowed to False from the early return above,
                # across the yield and the COMMIT that change it.
                self.db.execute("ROLLBACK")  # type: ignore[unreachable]
            undo, self._on_rollback = self._on_rollback, []
            for callback in reversed(undo):
                callback()
            raise
        self._on_rollback = []

    @contextmanager
    def reading(self) -> Iterator[sqlite3.Connection]:
        """Several reads that see one state of the store (a read transaction: with WAL, a sync
        committing meanwhile is not seen half-way). Joins a transaction already open."""
        if self.db.in_transaction:
            yield self.db
            return
        self.db.execute("BEGIN")
        try:
            yield self.db
        finally:
            if self.db.in_transaction:
                self.db.execute("COMMIT")  # type: ignore[unreachable]  # narrowed before the yield, as above

    def on_rollback(self, callback: Callable[[], None]) -> None:
        """Undo something kept beside the store (the audit head) if the transaction it was
        done in — the outermost one, when they are nested — rolls back."""
        if self.db.in_transaction:
            self._on_rollback.append(callback)

    # -- sync runs and snapshots --------------------------------------------------------
    def begin_sync(self, source: str, mode: str = "full") -> int:
        """Record that a sync started, by this process. If the process dies, the run stays
        'running' (never used: only 'complete' runs are read back as snapshots) until the next
        sync marks it interrupted (``mark_interrupted_runs``)."""
        cur = self.db.execute(
            "INSERT INTO sync_runs (source, started_at, status, mode, pid) VALUES (?, ?, 'running', ?, ?)",
            (source, _iso(now_utc()), mode, os.getpid()),
        )
        return inserted_id(cur)

    def mark_interrupted_runs(self) -> list[SyncRun]:
        """Mark every run still 'running' as interrupted, with when, and return them.

        Call only while holding the sync lock: every sync holds it for as long as it runs and
        the system releases it when the process ends, however it ends, so a run still
        'running' then belongs to a process that is gone (a kill -9, a power cut). Runs of
        this process are left alone."""
        with self.transaction() as db:
            rows = db.execute(
                "SELECT id, pid FROM sync_runs WHERE status='running' AND (pid IS NULL OR pid != ?)"
                " ORDER BY id",
                (os.getpid(),),
            ).fetchall()
            noticed = _iso(now_utc())
            for run_id, pid in rows:
                who = f"process {pid}" if pid is not None else "its process"
                db.execute(
                    "UPDATE sync_runs SET status='failed', interrupted_at=?, finished_at=?, error=?"
                    " WHERE id=?",
                    (
                        noticed,
                        noticed,
                        f"interrupted: {who} ended before the sync finished "
                        f"(noticed {noticed[:19].replace('T', ' ')} UTC)",
                        run_id,
                    ),
                )
        return [run for run_id, _ in rows if (run := self.sync_run(run_id)) is not None]

    def fail_sync(self, run_id: int, error: str, snapshot: Snapshot | None = None) -> None:
        self.db.execute(
            "UPDATE sync_runs SET status='failed', finished_at=?, error=?, stats=?, warnings=? WHERE id=?",
            (
                _iso(now_utc()),
                error,
                _json(snapshot.stats if snapshot else {}),
                _json(snapshot.warnings if snapshot else []),
                run_id,
            ),
        )

    def complete_sync(self, run_id: int, snap: Snapshot) -> None:
        """Store the snapshot as the run's and mark the run complete, in one transaction.

        Only what changed since the source's previous complete run is written (versioned.py):
        rows that ended are closed, new and changed rows added, the rest left as they are."""
        if not snap.complete:
            raise StoreError(
                f"refusing to store an incomplete snapshot of {snap.source} as complete"
            )
        with self.transaction() as db:
            row = db.execute("SELECT source FROM sync_runs WHERE id=?", (run_id,)).fetchone()
            if row is None:
                raise StoreError(f"no sync run {run_id}")
            source = row[0]
            previous = self.latest_complete_run(source)
            if previous is not None and previous.id > run_id:
                raise StoreError(
                    f"sync run {run_id} of {source} is older than its stored complete run "
                    f"{previous.id}: an older read cannot become current"
                )
            rows = snapshot_rows(snap, source)
            closed_accounts: tuple[Row, ...] = ()
            for table in SNAPSHOT_TABLES:
                written = write_version(
                    db,
                    table,
                    run_id,
                    rows[table.name],
                    lineage_value=source,
                    keep_closed=table is ACCOUNTS,
                )
                if table is ACCOUNTS:
                    closed_accounts = written.closed_rows
            note_vanished(
                db,
                source,
                run_id,
                previous.id if previous else None,
                closed_accounts,
                {a.key for a in snap.accounts},
            )
            db.execute(
                "UPDATE sync_runs SET status='complete', finished_at=?, mode=?, counts=?, stats=?,"
                " cursor=?, warnings=?, partial_views=? WHERE id=?",
                (
                    _iso(snap.finished_at or now_utc()),
                    snap.mode,
                    _json(snap.counts()),
                    _json(snap.stats),
                    _json(snap.cursor),
                    _json(snap.warnings),
                    _json(snap.partial_views) if snap.partial_views else None,
                    run_id,
                ),
            )

    def save_snapshot(self, snap: Snapshot) -> int:
        """Begin and complete a run in one transaction (used by the demo and tests): it is
        never seen 'running', so a sync starting meanwhile cannot take it for interrupted."""
        with self.transaction():
            run_id = self.begin_sync(snap.source, snap.mode)
            self.complete_sync(run_id, snap)
        return run_id

    def _run_from_row(self, row: Row) -> SyncRun:
        return SyncRun(
            id=row[0],
            source=row[1],
            started_at=_required_dt(row[2]),
            finished_at=_dt(row[3]),
            status="interrupted" if row[10] else row[4],
            mode=row[5],
            error=row[6],
            counts=json.loads(row[7] or "{}"),
            stats=json.loads(row[8] or "{}"),
            warnings=json.loads(row[9] or "[]"),
            interrupted_at=_dt(row[10]),
        )

    _RUN_COLUMNS = (
        "id, source, started_at, finished_at, status, mode, error, counts, stats, warnings,"
        " interrupted_at"
    )

    def sync_runs(self, source: str | None = None, limit: int = 50) -> list[SyncRun]:
        sql = f"SELECT {self._RUN_COLUMNS} FROM sync_runs"  # noqa: S608 (a constant column list)
        args: tuple[str, ...] = ()
        if source:
            sql, args = sql + " WHERE source=?", (source,)
        rows = self.db.execute(sql + " ORDER BY id DESC LIMIT ?", args + (limit,)).fetchall()
        return [self._run_from_row(r) for r in rows]

    def sync_run(self, run_id: int) -> SyncRun | None:
        row = self.db.execute(
            f"SELECT {self._RUN_COLUMNS} FROM sync_runs WHERE id=?",  # noqa: S608 (a constant column list)
            (run_id,),
        ).fetchone()
        return self._run_from_row(row) if row else None

    def last_seen(self, account_key: str) -> SyncRun | None:
        """The latest complete sync run whose snapshot still held this account (kept apart from
        the snapshots, so it survives their thinning)."""
        row = self.db.execute(
            "SELECT source FROM accounts WHERE key=? AND to_run IS NULL LIMIT 1", (account_key,)
        ).fetchone()
        if row is not None:
            return self.latest_complete_run(row[0])
        row = self.db.execute(
            "SELECT last_run FROM accounts_vanished WHERE key=?", (account_key,)
        ).fetchone()
        return self.sync_run(row[0]) if row else None

    def latest_complete_run(self, source: str) -> SyncRun | None:
        row = self.db.execute(
            f"SELECT {self._RUN_COLUMNS} FROM sync_runs WHERE source=? AND status='complete'"  # noqa: S608 (a constant column list)
            " ORDER BY id DESC LIMIT 1",
            (source,),
        ).fetchone()
        return self._run_from_row(row) if row else None

    def current_accounts(self, keys: Iterable[str]) -> dict[str, Account]:
        """The named accounts as the latest complete snapshot of their source holds them (an
        account in no current snapshot is left out): one pass over the accounts table, not a load."""
        wanted = sorted(set(keys))
        out: dict[str, Account] = {}
        for start in range(0, len(wanted), 500):
            part = wanted[start : start + 500]
            for row in self.db.execute(
                f"SELECT {', '.join(_ACCOUNT_COLUMNS)} FROM accounts WHERE to_run IS NULL"  # noqa: S608 (constant columns; values bound)
                f" AND key IN ({','.join('?' * len(part))})",
                part,
            ):
                account = _account_from_row(row)
                out[account.key] = account
        return out

    def sources(self) -> list[str]:
        return [
            r[0]
            for r in self.db.execute(
                "SELECT DISTINCT source FROM sync_runs WHERE status='complete' ORDER BY source"
            )
        ]

    def latest_snapshot(self, source: str) -> Snapshot | None:
        run = self.latest_complete_run(source)
        return self.load_snapshot(run.id) if run else None

    def latest_snapshots(self) -> dict[str, Snapshot]:
        return {s: snap for s in self.sources() if (snap := self.latest_snapshot(s)) is not None}

    def load_snapshot(self, run_id: int) -> Snapshot:
        with collector_paused():
            return self._load_snapshot(run_id)

    def _load_snapshot(self, run_id: int) -> Snapshot:
        row = self.db.execute(
            "SELECT source, status, mode, started_at, finished_at, stats, cursor, warnings, partial_views,"
            " pruned_at FROM sync_runs WHERE id=?",
            (run_id,),
        ).fetchone()
        if row is None:
            raise StoreError(f"no sync run {run_id}")
        source, status, mode, started, finished, stats, cursor, warnings, partial, pruned = row
        if pruned:
            raise StoreError(
                f"the snapshot of sync run {run_id} ({source}) was thinned by the retention "
                f"policy on {pruned[:10]}",
                hint="only its record is kept (`access-review store stats`)",
            )
        latest = self.latest_complete_run(source)
        current = latest is not None and latest.id == run_id

        def rows(table: VersionedTable) -> Iterable[Row]:
            """The table's rows of this run, as record_columns(table): r[0] is the source."""
            if status != "complete":
                return []
            return rows_at(
                self.db,
                table,
                run_id,
                lineage_value=source,
                current=current,
                columns=record_columns(table),
            )

        accounts = [_account_from_row(r) for r in rows(ACCOUNTS)]
        groups = [
            Group(
                source=r[0],
                id=r[1],
                name=r[2],
                email=r[3],
                kind=r[4],
                authority=r[5],
                extra=_unextra(r[6]),
                aliases=_unlist(r[7]),
                role_assignable=bool(r[8]),
            )
            for r in rows(GROUPS)
        ]
        # Each membership row repeats keys already loaded (accounts, groups) and a handful of
        # short words; sharing one string object per distinct value instead of a new one per
        # row saves hundreds of MB at state scale, and the time to allocate them.
        shared: dict[str, str] = {a.key: a.key for a in accounts}
        shared.update((g.key, g.key) for g in groups)
        one = shared.setdefault
        try:
            memberships = [
                Membership(
                    one(r[0], r[0]),
                    one(r[1], r[1]),
                    one(r[2], r[2]),
                    _MEMBER_TYPES[r[3]],
                    _MEMBER_ROLES[r[4]] if r[4] else "member",
                )
                for r in rows(MEMBERSHIPS)
            ]
        except KeyError as exc:
            raise StoreError(
                f"sync run {run_id} ({source}): a membership has an unknown type or role {exc}"
            ) from None
        resources = [
            Resource(
                source=r[0],
                id=r[1],
                name=r[2],
                kind=r[3],
                privileged=bool(r[4]),
                extra=_unextra(r[5]),
                scope=r[6] or "",
                privileges=_unlist(r[7]),
            )
            for r in rows(RESOURCES)
        ]
        grants = [
            Grant(
                source=r[0],
                id=r[1],
                resource_key=r[2],
                principal_key=r[3],
                level=r[4],
                kind=r[5],
                scopes=_unlist(r[6]),
                role=r[7] or "",
                extra=_unextra(r[8]),
                direct_members_only=bool(r[9]),
            )
            for r in rows(GRANTS)
        ]
        contacts = [
            Contact(source=r[0], id=r[1], name=r[2] or "", email=r[3], extra=_unextra(r[4]))
            for r in rows(CONTACTS)
        ]
        return Snapshot(
            source=source,
            accounts=accounts,
            groups=groups,
            memberships=memberships,
            resources=resources,
            grants=grants,
            contacts=contacts,
            cursor=json.loads(cursor or "{}"),
            mode=mode,
            complete=(status == "complete"),
            started_at=_dt(started),
            finished_at=_dt(finished),
            stats=json.loads(stats or "{}"),
            warnings=json.loads(warnings or "[]"),
            partial_views=json.loads(partial or "{}"),
        )

    # -- roster -------------------------------------------------------------------------
    def save_roster(self, persons: list[Person], path: str) -> int:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO roster_imports (imported_at, path, count) VALUES (?,?,?)",
                (_iso(now_utc()), str(path), len(persons)),
            )
            import_id = inserted_id(cur)
            db.executemany(
                "INSERT INTO persons VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                [
                    (
                        import_id,
                        p.employee_id,
                        p.name,
                        p.email,
                        p.title,
                        p.department,
                        p.building,
                        p.person_type,
                        p.status,
                        _iso(p.status_date),
                        _iso(p.training_date),
                        _json(list(p.aliases)) if p.aliases else None,
                    )
                    for p in persons
                ],
            )
        return import_id

    def latest_roster_import(self) -> tuple[int, datetime, str] | None:
        row = self.db.execute(
            "SELECT id, imported_at, path FROM roster_imports ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return (row[0], _required_dt(row[1]), row[2]) if row else None

    def load_roster(self, import_id: int | None = None) -> list[Person]:
        if import_id is None:
            latest = self.latest_roster_import()
            if latest is None:
                return []
            import_id = latest[0]
        return [
            _person_from_row(r)
            for r in self.db.execute(
                f"SELECT {_PERSON_COLUMNS} FROM persons WHERE import_id=?",  # noqa: S608 (a constant column list)
                (import_id,),
            )
        ]

    def load_roster_people(self, import_id: int, employee_ids: list[str]) -> list[Person]:
        """The named people of a roster import (not the whole roster)."""
        marks = ",".join("?" * len(employee_ids))
        return [
            _person_from_row(r)
            for r in self.db.execute(
                f"SELECT {_PERSON_COLUMNS} FROM persons WHERE import_id=? AND employee_id IN ({marks})",  # noqa: S608 (constant columns, placeholders)
                (import_id, *employee_ids),
            )
        ]

    # -- inventory (kept as the files themselves, re-read with the roster of the time) ----
    def save_inventory_files(
        self, files: dict[str, tuple[str, bytes]], roster_import_id: int | None
    ) -> int:
        payload = {kind: [name, data.hex()] for kind, (name, data) in files.items()}
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO inventory_versions (imported_at, roster_import_id, files) VALUES (?,?,?)",
                (_iso(now_utc()), roster_import_id, _json(payload)),
            )
        return inserted_id(cur)

    def latest_inventory_files(
        self,
    ) -> tuple[int, datetime, int | None, dict[str, tuple[str, bytes]]] | None:
        row = self.db.execute(
            "SELECT id, imported_at, roster_import_id, files FROM inventory_versions"
            " ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        files = {k: (v[0], bytes.fromhex(v[1])) for k, v in json.loads(row[3]).items()}
        return row[0], _required_dt(row[1]), row[2], files

    # -- findings -----------------------------------------------------------------------
    def save_findings(
        self, findings: Sequence[StoredFinding], snapshot_runs: dict[str, int]
    ) -> int:
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO findings_runs (created_at, snapshot_runs, count) VALUES (?,?,?)",
                (_iso(now_utc()), _json(snapshot_runs), len(findings)),
            )
            run_id = inserted_id(cur)
            db.executemany(
                "INSERT INTO findings VALUES (?,?,?,?,?,?,?,?,?)",
                [
                    (
                        run_id,
                        f.type,
                        f.severity,
                        f.person,
                        f.account,
                        f.resource,
                        _json(list(f.path)),
                        f.summary,
                        _json(f.evidence),
                    )
                    for f in findings
                ],
            )
        return run_id

    def save_findings_run(self, analysis_id: int, count: int, snapshot_runs: dict[str, int]) -> int:
        """Record that the findings of a stored analysis were listed (`findings --save`): the run
        points at the analysis, which holds them, instead of keeping a copy."""
        with self.transaction() as db:
            cur = db.execute(
                "INSERT INTO findings_runs (created_at, snapshot_runs, count, analysis_id)"
                " VALUES (?,?,?,?)",
                (_iso(now_utc()), _json(snapshot_runs), count, analysis_id),
            )
        return inserted_id(cur)

    def latest_findings(self) -> tuple[int, datetime, list[dict[str, Any]]] | None:
        row = self.db.execute(
            "SELECT id, created_at, analysis_id FROM findings_runs ORDER BY id DESC LIMIT 1"
        ).fetchone()
        if row is None:
            return None
        if row[2] is not None:
            rows = sorted(
                self.db.execute(
                    "SELECT type, severity, person, account, resource, path, summary, evidence FROM analysis_findings"
                    " WHERE from_run <= ? AND (to_run IS NULL OR to_run > ?)",
                    (row[2], row[2]),
                ).fetchall(),
                key=lambda r: finding_order(r[1], r[0], r[6], r[2], r[3], r[4]),
            )
        else:
            rows = self.db.execute(
                "SELECT type, severity, person, account, resource, path, summary, evidence"
                " FROM findings WHERE run_id=?",
                (row[0],),
            ).fetchall()
        return (
            row[0],
            _required_dt(row[1]),
            [
                {
                    "type": r[0],
                    "severity": r[1],
                    "person": r[2],
                    "account": r[3],
                    "resource": r[4],
                    "path": json.loads(r[5]),
                    "summary": r[6],
                    "evidence": json.loads(r[7]),
                }
                for r in rows
            ],
        )


# The few words a membership's type and role can be: looked up rather than copied, so the
# millions of rows share the records' own constants, typed as their Literals.
_MEMBER_TYPES: dict[str, MemberType] = {word: word for word in get_args(MemberType)}
_MEMBER_ROLES: dict[str, MemberRole] = {word: word for word in get_args(MemberRole)}

_PERSON_COLUMNS = (
    "employee_id, name, email, title, department, building, person_type, status, status_date,"
    " training_date, aliases"
)


def _person_from_row(r: Row) -> Person:
    return Person(
        employee_id=r[0],
        name=r[1],
        email=r[2],
        title=r[3] or "",
        department=r[4] or "",
        building=r[5] or "",
        person_type=r[6],
        status=r[7],
        status_date=_d(r[8]),
        training_date=_d(r[9]),
        aliases=tuple(json.loads(r[10])) if r[10] else (),
    )


_ACCOUNT_COLUMNS = record_columns(ACCOUNTS)


def _account_from_row(r: Row) -> Account:
    return Account(
        source=r[0],
        id=r[1],
        login=r[2],
        email=r[3],
        display_name=r[4] or "",
        employee_id=r[5],
        enabled=bool(r[6]),
        last_sign_in=_dt(r[7]),
        created=_dt(r[8]),
        org_unit=r[9] or "",
        kind=r[10],
        title=r[11] or "",
        department=r[12] or "",
        aliases=_unlist(r[13]),
        authority=r[14],
        extra=_unextra(r[15]),
        upn=r[16],
        guest=bool(r[17]),
        sign_in_known=r[18] is None or bool(r[18]),
    )


def snapshot_rows(snap: Snapshot, source: str) -> dict[str, list[Row]]:
    """The snapshot as rows of each versioned table, in the types SQLite hands back (text,
    integers, NULL), so that an unchanged record compares equal to its stored row. Every
    record must belong to the run's source: rows are versioned per source."""
    strays = {
        r.source
        for table in (
            snap.accounts,
            snap.groups,
            snap.memberships,
            snap.resources,
            snap.grants,
            snap.contacts,
        )
        for r in table
    } - {source}
    if strays:
        raise StoreError(f"a snapshot of {source} holds records of {', '.join(sorted(strays))}")
    return {
        ACCOUNTS.name: [
            (
                a.key,
                a.source,
                a.id,
                a.login,
                a.email,
                a.display_name,
                a.employee_id,
                int(a.enabled),
                _iso(a.last_sign_in),
                _iso(a.created),
                a.org_unit,
                a.kind,
                a.title,
                a.department,
                _list(a.aliases),
                a.authority,
                _extra(a.extra),
                a.upn,
                int(a.guest),
                int(a.sign_in_known),
            )
            for a in snap.accounts
        ],
        GROUPS.name: [
            (
                g.key,
                g.source,
                g.id,
                g.name,
                g.email,
                g.kind,
                g.authority,
                _extra(g.extra),
                _list(g.aliases),
                int(g.role_assignable),
            )
            for g in snap.groups
        ],
        # A plain member stores no role: millions of rows at state scale.
        MEMBERSHIPS.name: [
            (
                m.source,
                m.group_key,
                m.member_key,
                m.member_type,
                None if m.role == "member" else m.role,
            )
            for m in snap.memberships
        ],
        RESOURCES.name: [
            (
                r.key,
                r.source,
                r.id,
                r.name,
                r.kind,
                int(r.privileged),
                _extra(r.extra),
                r.scope or None,
                _list(r.privileges),
            )
            for r in snap.resources
        ],
        GRANTS.name: [
            (
                g.key,
                g.source,
                g.id,
                g.resource_key,
                g.principal_key,
                g.level,
                g.kind,
                _list(g.scopes),
                g.role,
                _extra(g.extra),
                int(g.direct_members_only),
            )
            for g in snap.grants
        ],
        CONTACTS.name: [
            (c.key, c.source, c.id, c.name, c.email, _extra(c.extra)) for c in snap.contacts
        ],
    }


def _run_migration(db: sqlite3.Connection, step: str) -> None:
    """A migration is SQL, or the name of a Python step (for what SQL alone cannot do well,
    such as folding per-run copies into intervals)."""
    if step == "fold_snapshot_copies":
        fold_copies(db)
    elif step == "create_analysis_tables":
        create_analysis_tables(db)
    else:
        for statement in _split_sql(step):
            db.execute(statement)


def _split_sql(script: str) -> list[str]:
    """Statements of a migration script (no semicolons inside our DDL strings)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [s.strip() for s in "\n".join(lines).split(";") if s.strip()]
