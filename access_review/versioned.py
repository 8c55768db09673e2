"""Rows valid from one version to another: how the store keeps history without a copy per run.

A versioned table holds each distinct row once, with the interval of versions it was part
of: ``from_run`` (the first version that held it) and ``to_run`` (the first version that no
longer held it; NULL while it is still current). A *version* is a complete sync run for the
snapshot tables (one lineage per source) and an analysis build for the analysis tables (one
lineage). Version ids only grow within a lineage, so the rows of version V are those with
``from_run <= V < to_run`` (or ``to_run`` NULL).

Writing a version compares the new rows with the current ones (``write_version``): an
unchanged row is not written at all, a changed one is closed and its new form inserted. A
sync that changes nothing therefore adds nothing but its run record; a 1 % change adds about
1 % of a snapshot (bench/bench_store.py).

Rows are compared whole, as the tuples SQLite hands back (text, integers, NULL), so the
writer must build them in those types. Duplicates are counted, never merged: a snapshot that
holds the same row twice reads back twice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

# A row as SQLite hands it back (text, integers, NULL): the DB-API types it Any.
Row = tuple[Any, ...]


@dataclass(frozen=True)
class VersionedTable:
    name: str
    columns: tuple[str, ...]  # the row's content, in order (from_run/to_run excluded)
    lineage: str | None = None  # the column that separates lineages (``source``), if any

    def where_lineage(self) -> str:
        return f"{self.lineage}=?" if self.lineage else "1=1"

    def lineage_args(self, lineage_value: str | None) -> tuple[str | None, ...]:
        return (lineage_value,) if self.lineage else ()


@dataclass(frozen=True)
class VersionWrite:
    """What writing one version did to one table."""

    kept: int
    added: int
    closed: int
    closed_rows: tuple[Row, ...] = ()  # the rows that ended (their content), when asked for


def write_version(
    db: sqlite3.Connection,
    table: VersionedTable,
    version: int,
    rows: Iterable[Sequence[Any]],
    *,
    lineage_value: str | None = None,
    keep_closed: bool = False,
) -> VersionWrite:
    """Make ``rows`` the current content of ``table`` (for ``lineage_value``) as of ``version``.

    Call inside a write transaction. ``version`` must be newer than every version already
    written for the lineage (the caller checks; the store refuses an older sync run)."""
    columns = ", ".join(table.columns)
    current: dict[Row, list[int]] = {}
    for rowid, *values in db.execute(
        f"SELECT rowid, {columns} FROM {table.name} WHERE {table.where_lineage()}"  # noqa: S608 (names from the module's own table list)
        " AND to_run IS NULL",
        table.lineage_args(lineage_value),
    ):
        current.setdefault(tuple(values), []).append(rowid)
    added: list[Row] = []
    kept = 0
    for row in rows:
        row = tuple(row)
        ids = current.get(row)
        if ids:
            ids.pop()
            kept += 1
            if not ids:
                del current[row]
        else:
            added.append(row)
    closed = [(version, rowid) for ids in current.values() for rowid in ids]
    db.executemany(f"UPDATE {table.name} SET to_run=? WHERE rowid=?", closed)  # noqa: S608 (a constant table name)
    marks = ", ".join("?" * (len(table.columns) + 1))
    db.executemany(
        f"INSERT INTO {table.name} ({columns}, from_run) VALUES ({marks})",  # noqa: S608 (constant names)
        (row + (version,) for row in added),
    )
    closed_rows = tuple(row for row, ids in current.items() for _ in ids) if keep_closed else ()
    return VersionWrite(kept=kept, added=len(added), closed=len(closed), closed_rows=closed_rows)


def rows_at(
    db: sqlite3.Connection,
    table: VersionedTable,
    version: int,
    *,
    lineage_value: str | None = None,
    current: bool = False,
    columns: Sequence[str] | None = None,
    where: str = "",
    args: tuple[Any, ...] = (),
) -> Iterable[Row]:
    """The rows of ``version``, in the order they were first written. ``current`` says that
    ``version`` is the lineage's newest, so its rows are simply the open ones."""
    wanted = ", ".join(columns or table.columns)
    valid_args: tuple[int, ...]
    if current:
        valid, valid_args = "to_run IS NULL", ()
    else:
        valid, valid_args = "from_run <= ? AND (to_run IS NULL OR to_run > ?)", (version, version)
    extra = f" AND ({where})" if where else ""
    return db.execute(
        f"SELECT {wanted} FROM {table.name} WHERE {table.where_lineage()} AND {valid}{extra}"  # noqa: S608 (constant names; values are bound)
        " ORDER BY rowid",
        table.lineage_args(lineage_value) + valid_args + tuple(args),
    )


def drop_unreferenced(
    db: sqlite3.Connection,
    table: VersionedTable,
    kept_versions: Sequence[int],
    *,
    lineage_value: str | None = None,
) -> int:
    """Delete the rows of ``table`` that no kept version holds; return how many. A row is
    held by version V when ``from_run <= V < to_run``; open rows are always kept (they are
    the newest version's, which is never pruned)."""
    kept = sorted(set(kept_versions))
    db.execute("CREATE TEMP TABLE IF NOT EXISTS kept_versions (v INTEGER PRIMARY KEY)")
    db.execute("DELETE FROM temp.kept_versions")
    db.executemany("INSERT INTO temp.kept_versions (v) VALUES (?)", ((v,) for v in kept))
    cur = db.execute(
        f"DELETE FROM {table.name} WHERE {table.where_lineage()} AND to_run IS NOT NULL"  # noqa: S608 (constant names)
        " AND NOT EXISTS (SELECT 1 FROM temp.kept_versions k WHERE k.v >= from_run AND k.v < to_run)",
        table.lineage_args(lineage_value),
    )
    db.execute("DELETE FROM temp.kept_versions")
    return cur.rowcount
