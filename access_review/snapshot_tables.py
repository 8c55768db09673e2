"""The snapshot tables as versioned tables (versioned.py): one lineage per source, one version
per complete sync run, and the migration that folds the old per-run copies into intervals."""

from __future__ import annotations

import sqlite3

from .versioned import Row, VersionedTable, write_version

ACCOUNTS = VersionedTable(
    "accounts",
    (
        "key",
        "source",
        "id",
        "login",
        "email",
        "display_name",
        "employee_id",
        "enabled",
        "last_sign_in",
        "created",
        "org_unit",
        "kind",
        "title",
        "department",
        "aliases",
        "authority",
        "extra",
        "upn",
        "guest",
        "sign_in_known",
    ),
    lineage="source",
)
GROUPS = VersionedTable(
    "groups_",
    (
        "key",
        "source",
        "id",
        "name",
        "email",
        "kind",
        "authority",
        "extra",
        "aliases",
        "role_assignable",
    ),
    lineage="source",
)
MEMBERSHIPS = VersionedTable(
    "memberships", ("source", "group_key", "member_key", "member_type", "role"), lineage="source"
)
RESOURCES = VersionedTable(
    "resources",
    ("key", "source", "id", "name", "kind", "privileged", "extra", "scope", "privileges"),
    lineage="source",
)
GRANTS = VersionedTable(
    "grants",
    (
        "key",
        "source",
        "id",
        "resource_key",
        "principal_key",
        "level",
        "kind",
        "scopes",
        "role",
        "extra",
        "direct_members_only",
    ),
    lineage="source",
)
CONTACTS = VersionedTable(
    "contacts", ("key", "source", "id", "name", "email", "extra"), lineage="source"
)

SNAPSHOT_TABLES = (ACCOUNTS, GROUPS, MEMBERSHIPS, RESOURCES, GRANTS, CONTACTS)


def record_columns(table: VersionedTable) -> tuple[str, ...]:
    """The columns a record is read back from, in the table's order: all but ``key``, which a
    record derives from its source and id."""
    return tuple(c for c in table.columns if c != "key")


# Position of the key in an account row (accounts_vanished is kept from the closed rows).
ACCOUNT_KEY = ACCOUNTS.columns.index("key")

VANISHED_TABLE = """
CREATE TABLE accounts_vanished (
    key TEXT PRIMARY KEY, source TEXT NOT NULL,
    last_run INTEGER NOT NULL,   -- the last complete run that held the account
    gone_run INTEGER NOT NULL    -- the first complete run that no longer did
)"""


def create_statement(table: VersionedTable) -> str:
    return (
        f"CREATE TABLE {table.name} (from_run INTEGER NOT NULL, to_run INTEGER, "
        + ", ".join(
            f"{c} TEXT" if c not in _INTEGER_COLUMNS else f"{c} INTEGER" for c in table.columns
        )
        + ")"
    )


_INTEGER_COLUMNS = {
    "enabled",
    "guest",
    "sign_in_known",
    "role_assignable",
    "privileged",
    "direct_members_only",
}


def note_vanished(
    db: sqlite3.Connection,
    source: str,
    run_id: int,
    previous_run: int | None,
    closed_accounts: tuple[Row, ...],
    present: set[str],
) -> None:
    """Accounts whose rows ended with ``run_id`` and whose key is in no row of it: remember the
    run that last held them (``previous_run``). An account that comes back is forgotten here."""
    if previous_run is not None:
        gone = {row[ACCOUNT_KEY] for row in closed_accounts} - present
        db.executemany(
            "INSERT INTO accounts_vanished (key, source, last_run, gone_run) VALUES (?,?,?,?)"
            " ON CONFLICT(key) DO UPDATE SET source=excluded.source, last_run=excluded.last_run,"
            " gone_run=excluded.gone_run",
            ((key, source, previous_run, run_id) for key in sorted(gone)),
        )
    if present:
        db.execute("CREATE TEMP TABLE IF NOT EXISTS present_keys (key TEXT PRIMARY KEY)")
        db.execute("DELETE FROM temp.present_keys")
        db.executemany(
            "INSERT OR IGNORE INTO temp.present_keys (key) VALUES (?)", ((k,) for k in present)
        )
        db.execute(
            "DELETE FROM accounts_vanished WHERE source=? AND key IN (SELECT key FROM temp.present_keys)",
            (source,),
        )
        db.execute("DELETE FROM temp.present_keys")


def fold_copies(db: sqlite3.Connection) -> None:
    """Migration 5: the per-run copies become intervals, run by run in the order they were
    stored, exactly as if each had been written by the new store; then the copies go."""
    for table in SNAPSHOT_TABLES:
        db.execute(f"DROP INDEX IF EXISTS {table.name.rstrip('_')}_run")
        db.execute(f"ALTER TABLE {table.name} RENAME TO {table.name}_per_run")
        db.execute(create_statement(table))
    db.execute(VANISHED_TABLE)
    db.execute("ALTER TABLE sync_runs ADD COLUMN pruned_at TEXT")
    previous: dict[str, int] = {}
    for run_id, source in db.execute(
        "SELECT id, source FROM sync_runs WHERE status='complete' ORDER BY id"
    ).fetchall():
        closed_accounts: tuple[Row, ...] = ()
        present: set[str] = set()
        for table in SNAPSHOT_TABLES:
            columns = ", ".join(table.columns)
            rows = db.execute(
                f"SELECT {columns} FROM {table.name}_per_run WHERE run_id=? ORDER BY rowid",  # noqa: S608 (constant names)
                (run_id,),
            ).fetchall()
            written = write_version(
                db, table, run_id, rows, lineage_value=source, keep_closed=table is ACCOUNTS
            )
            if table is ACCOUNTS:
                closed_accounts = written.closed_rows
                present = {row[ACCOUNT_KEY] for row in rows}
        note_vanished(db, source, run_id, previous.get(source), closed_accounts, present)
        previous[source] = run_id
    for table in SNAPSHOT_TABLES:
        db.execute(f"DROP TABLE {table.name}_per_run")
