"""The stored analysis's tables (stored_analysis.py builds them, answers.py reads them).

``analysis_runs`` holds one record per build: the inputs it was built from (sync runs, roster
import, inventory version, config and code digests, and the day it was evaluated for) and a
summary (counts, warnings, the inventory check, partial views, holds). The rows themselves are
versioned tables (versioned.py) with a single lineage, one version per build, so a rebuild
that finds the same answers writes nothing but its record.
"""

from __future__ import annotations

import sqlite3

from .versioned import VersionedTable

# One row per (account, inventory resource): the highest level and the path that gives it.
ACCESS = VersionedTable(
    "analysis_access",
    (
        "resource",
        "account",
        "person",
        "level",
        "path",
        "path_text",
        "authorized",
        "reason",
        "login",
        "source",
    ),
)
# Every path `why` shows for an (account, resource), the one that gives the level first.
PATHS = VersionedTable("analysis_paths", ("account", "resource", "rank", "level", "path_text"))
# Findings; listed in finding_types.finding_order (not stored: one new finding would renumber
# every row after it, and a rebuild would rewrite them all).
FINDINGS = VersionedTable(
    "analysis_findings",
    (
        "type",
        "severity",
        "person",
        "account",
        "resource",
        "path",
        "path_text",
        "summary",
        "evidence",
        "login",
        "source",
    ),
)
# How accounts were joined to roster people; rank: the account's place among the person's.
LINKS = VersionedTable("analysis_links", ("account", "person", "method", "value", "rank"))
# Accounts joined to nobody that are not students (students have no staff-roster person).
UNMATCHED = VersionedTable(
    "analysis_unmatched", ("key", "source", "login", "kind", "enabled", "display_name")
)
# Names a resource argument can mean beyond the inventory: directory roles, apps, drives.
NAMES = VersionedTable("analysis_names", ("name", "kind", "source"))

ANALYSIS_TABLES = (ACCESS, PATHS, FINDINGS, LINKS, UNMATCHED, NAMES)
_INTEGER_COLUMNS = {"authorized", "rank", "enabled"}

RUNS_TABLE = """
CREATE TABLE analysis_runs (
    id INTEGER PRIMARY KEY,
    built_at TEXT NOT NULL,
    inputs TEXT NOT NULL,        -- JSON: what it was built from (analysis_inputs.AnalysisInputs)
    summary TEXT NOT NULL,       -- JSON: counts, warnings, inventory check, partial views, holds
    seconds REAL,
    pruned_at TEXT               -- its rows were thinned by the retention policy
)"""

INDEXES = (
    "CREATE INDEX analysis_access_resource ON analysis_access(resource)",
    "CREATE INDEX analysis_access_account ON analysis_access(account)",
    "CREATE INDEX analysis_paths_account ON analysis_paths(account, resource)",
    "CREATE INDEX analysis_links_person ON analysis_links(person)",
    "CREATE INDEX analysis_links_account ON analysis_links(account)",
)


def create_analysis_tables(db: sqlite3.Connection) -> None:
    """Migration 6."""
    db.execute(RUNS_TABLE)
    for table in ANALYSIS_TABLES:
        db.execute(
            f"CREATE TABLE {table.name} (from_run INTEGER NOT NULL, to_run INTEGER, "
            + ", ".join(
                f"{c} INTEGER" if c in _INTEGER_COLUMNS else f"{c} TEXT" for c in table.columns
            )
            + ")"
        )
    for statement in INDEXES:
        db.execute(statement)
    # A findings run (`findings --save`) now points at the analysis it listed instead of
    # holding a copy of it; older runs keep their copies in `findings`.
    db.execute("ALTER TABLE findings_runs ADD COLUMN analysis_id INTEGER")
