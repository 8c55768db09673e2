"""The demo directories' state file: one SQLite database holding what each demo directory
("ad", "entra", "google") contains, by the directory's own ids.

It plays the part of the live directory: the demo connector reads its snapshot from here and
writes its actions here, so a revoke shows up on the next sync (revoke -> sync -> verify).
Record keys are not stored; they are rebuilt from ids with the *configured* source name.
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime
from pathlib import Path
from typing import Any, Iterator, Mapping

from access_review.errors import SourceError
from access_review.private_files import open_private
from access_review.records import Snapshot
from access_review.versioned import Row

# 2: the typed fields each directory's access rules need (issue 12): UPN, guest, sign-in
# known; group aliases and role-assignable; member roles; role scope and privileges; grants
# to direct members only.
SCHEMA_VERSION = 2
STATE_FILE_NAME = "demo-directory.db"

SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE accounts (
    directory TEXT NOT NULL, id TEXT NOT NULL, login TEXT NOT NULL, email TEXT,
    display_name TEXT, employee_id TEXT, enabled INTEGER NOT NULL, last_sign_in TEXT,
    created TEXT, org_unit TEXT, kind TEXT, title TEXT, department TEXT, aliases TEXT,
    authority TEXT, extra TEXT, sessions_revoked INTEGER NOT NULL DEFAULT 0,
    upn TEXT, guest INTEGER NOT NULL DEFAULT 0, sign_in_known INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (directory, id));
CREATE TABLE groups_ (
    directory TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, email TEXT, kind TEXT,
    authority TEXT, extra TEXT, aliases TEXT, role_assignable INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (directory, id));
CREATE TABLE memberships (
    directory TEXT NOT NULL, group_id TEXT NOT NULL, member_id TEXT NOT NULL,
    member_type TEXT NOT NULL, role TEXT, PRIMARY KEY (directory, group_id, member_id));
CREATE TABLE resources (
    directory TEXT NOT NULL, id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
    privileged INTEGER NOT NULL, extra TEXT, scope TEXT, privileges TEXT, PRIMARY KEY (directory, id));
CREATE TABLE grants (
    directory TEXT NOT NULL, id TEXT NOT NULL, resource_id TEXT NOT NULL,
    principal_type TEXT NOT NULL, principal_id TEXT NOT NULL, level TEXT NOT NULL,
    kind TEXT NOT NULL, scopes TEXT, role TEXT, extra TEXT, direct_members_only INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (directory, id));
CREATE INDEX grants_by_principal ON grants (directory, principal_id);
"""


class DemoStateError(SourceError):
    """The demo state file is missing, unreadable or not a demo state file."""


def record_id(key: str) -> tuple[str, str, str]:
    """'ad:account:<id>' -> ('ad', 'account', '<id>'); ids may themselves contain ':'."""
    source, kind, id_ = key.split(":", 2)
    return source, kind, id_


def _extra(value: Mapping[str, Any]) -> str | None:
    return json.dumps(dict(value), ensure_ascii=False, separators=(",", ":")) if value else None


def _when(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def write_state(path: str | Path, snapshots: Mapping[str, Snapshot]) -> Path:
    """Write a fresh state file holding each snapshot under its source name as directory.

    Written to a temporary file and renamed into place, so a reader never sees half a file.
    """
    path = Path(path)
    temporary = path.with_name(path.name + ".tmp")
    temporary.unlink(missing_ok=True)
    open_private(temporary, "wb").close()  # owner-only before SQLite writes anything into it
    db = sqlite3.connect(temporary)
    try:
        # A bulk load of a throwaway file: durability comes from the final rename.
        db.execute("PRAGMA journal_mode=OFF")
        db.execute("PRAGMA synchronous=OFF")
        db.executescript(SCHEMA)
        db.execute("INSERT INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
        for directory, snap in snapshots.items():
            db.executemany(
                "INSERT INTO accounts VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,0,?,?,?)",
                (
                    (
                        directory,
                        a.id,
                        a.login,
                        a.email,
                        a.display_name,
                        a.employee_id,
                        int(a.enabled),
                        _when(a.last_sign_in),
                        _when(a.created),
                        a.org_unit,
                        a.kind,
                        a.title,
                        a.department,
                        json.dumps(list(a.aliases)) if a.aliases else None,
                        a.authority,
                        _extra(a.extra),
                        a.upn,
                        int(a.guest),
                        int(a.sign_in_known),
                    )
                    for a in snap.accounts
                ),
            )
            db.executemany(
                "INSERT INTO groups_ VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    (
                        directory,
                        g.id,
                        g.name,
                        g.email,
                        g.kind,
                        g.authority,
                        _extra(g.extra),
                        json.dumps(list(g.aliases)) if g.aliases else None,
                        int(g.role_assignable),
                    )
                    for g in snap.groups
                ),
            )
            db.executemany(
                "INSERT INTO memberships VALUES (?,?,?,?,?)",
                (
                    (
                        directory,
                        record_id(m.group_key)[2],
                        record_id(m.member_key)[2],
                        m.member_type,
                        None if m.role == "member" else m.role,
                    )
                    for m in snap.memberships
                ),
            )
            db.executemany(
                "INSERT INTO resources VALUES (?,?,?,?,?,?,?,?)",
                (
                    (
                        directory,
                        r.id,
                        r.name,
                        r.kind,
                        int(r.privileged),
                        _extra(r.extra),
                        r.scope or None,
                        json.dumps(list(r.privileges)) if r.privileges else None,
                    )
                    for r in snap.resources
                ),
            )
            db.executemany(
                "INSERT INTO grants VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    (
                        directory,
                        g.id,
                        record_id(g.resource_key)[2],
                        *record_id(g.principal_key)[1:],
                        g.level,
                        g.kind,
                        json.dumps(list(g.scopes)) if g.scopes else None,
                        g.role,
                        _extra(g.extra),
                        int(g.direct_members_only),
                    )
                    for g in snap.grants
                ),
            )
        db.commit()
    finally:
        db.close()
    os.replace(temporary, path)
    return path


def connect(path: str | Path, *, source: str, write: bool = False) -> sqlite3.Connection:
    """Open the state file (read-only unless ``write``); raise DemoStateError if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise DemoStateError(
            source,
            f"open {path}",
            "demo state file does not exist",
            hint="run `access-review demo` (or write_demo) to create it",
        )
    mode = "rw" if write else "ro"
    try:
        db = sqlite3.connect(f"file:{path}?mode={mode}", uri=True, timeout=10)
        row = db.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()
    except sqlite3.DatabaseError as exc:
        raise DemoStateError(source, f"open {path}", f"not a demo state file ({exc})") from None
    if row is None or row[0] != str(SCHEMA_VERSION):
        db.close()
        raise DemoStateError(
            source,
            f"open {path}",
            f"demo state schema {row[0] if row else 'unknown'}, expected {SCHEMA_VERSION}",
            hint="regenerate it with `access-review demo`",
        )
    return db


def directories(db: sqlite3.Connection) -> list[str]:
    return [r[0] for r in db.execute("SELECT DISTINCT directory FROM accounts ORDER BY directory")]


def count_rows(db: sqlite3.Connection, directory: str) -> dict[str, int]:
    return {
        table.rstrip("_"): db.execute(
            f"SELECT count(*) FROM {table} WHERE directory=?",  # noqa: S608 (table names from the module's own schema)
            (directory,),
        ).fetchone()[0]
        for table in ("accounts", "groups_", "memberships", "resources", "grants")
    }


def rows(db: sqlite3.Connection, sql: str, params: tuple[Any, ...] = ()) -> Iterator[Row]:
    cursor = db.execute(sql, params)
    while batch := cursor.fetchmany(5000):
        yield from batch
