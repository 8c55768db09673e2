"""Which of the tool's files and folders someone other than their owner can reach.

The store, its side files (SQLite's -wal/-shm, the audit head, the sync lock), the folder it
writes into, the config and the audit key must be owner-only: the store and the exports hold
confidential data, and whoever can write the config or the folder it sits in decides which
directories the tool talks to and where its key comes from. ``doctor`` reports each exposure
with the command that fixes it.
"""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

from .audit_head import head_path
from .config import Config

STORE_SIDE_FILES = ("-wal", "-shm", ".sync.lock")


@dataclass(frozen=True)
class Exposure:
    what: str  # "store", "config folder", ...
    path: Path
    problem: str  # "others can read it (mode 644)"
    fix: str  # "chmod 600 PATH"


def _who(mode: int, bit_group: int, bit_other: int) -> list[str]:
    return [name for name, bit in (("its group", bit_group), ("others", bit_other)) if mode & bit]


def describe_access(path: Path, *, write_only: bool = False) -> str:
    """Who besides the owner can read or write ``path`` ("" when no one, or it does not exist)."""
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return ""
    parts = []
    readers = [] if write_only else _who(mode, stat.S_IRGRP, stat.S_IROTH)
    writers = _who(mode, stat.S_IWGRP, stat.S_IWOTH)
    if readers:
        parts.append(f"{' and '.join(readers)} can read it")
    if writers:
        parts.append(f"{' and '.join(writers)} can change it")
    return f"{'; '.join(parts)} (mode {mode:o})" if parts else ""


def find_exposures(cfg: Config) -> list[Exposure]:
    """Every file and folder of this config that someone other than its owner can reach."""
    store = cfg.store_path
    candidates: list[tuple[str, Path, bool, str]] = [
        ("config", cfg.path, False, "chmod 600"),
        ("store", store, False, "chmod 600"),
        *(
            (
                f"store file {store.name}{suffix}",
                store.with_name(store.name + suffix),
                False,
                "chmod 600",
            )
            for suffix in STORE_SIDE_FILES
        ),
        ("audit head", head_path(store), False, "chmod 600"),
        ("store folder (where the tool writes)", store.parent, False, "chmod 700"),
        # The config's folder is trusted: others must not be able to replace what is in it
        # (when it is also the store folder, the stricter check above covers it).
        ("config folder", cfg.path.parent, True, "chmod go-w"),
    ]
    smtp_password = cfg.section("smtp").get("password_file")
    if smtp_password:
        candidates.append(("smtp password file", Path(smtp_password), False, "chmod 600"))
    seen: set[Path] = set()
    found = []
    for what, path, write_only, command in candidates:
        if path in seen:
            continue
        seen.add(path)
        problem = describe_access(path, write_only=write_only)
        if problem:
            found.append(Exposure(what, path, problem, f"{command} {path}"))
    return found
