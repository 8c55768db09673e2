"""Append-only, hash-chained audit log of every sync, import, findings run and action.

Each entry's hash covers its own content and the previous entry's hash, so editing or
removing any entry breaks the chain from there on. Removing entries from the *end* leaves
a valid shorter chain, so the head (sequence number and hash) is also written beside the
store; ``verify`` compares against it.
"""
from __future__ import annotations

import getpass
import hashlib
import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .store import Store, now_iso

GENESIS = "0" * 64


def current_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): fall back to the uid
        return f"uid:{os.getuid()}"


def entry_hash(prev_hash: str, seq: int, at: str, actor: str, action: str, details: str) -> str:
    body = json.dumps([prev_hash, seq, at, actor, action, details], separators=(",", ":"),
                      ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class AuditEntry:
    seq: int
    at: str
    actor: str
    action: str
    details: dict[str, Any]
    prev_hash: str
    hash: str
    details_text: str = ""  # exactly the text that was hashed, for independent re-verification


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    problem: str = ""
    first_bad_seq: int | None = None


def head_path(store: Store) -> Path:
    return store.path.with_name(store.path.name + ".audit-head")


def append(store: Store, action: str, details: dict[str, Any] | None = None,
           actor: str | None = None) -> AuditEntry:
    """Append one entry in its own transaction (so that concurrent writers chain correctly),
    or inside the caller's ``store.transaction()``, so that the change it records and the
    entry commit together (or neither does, head included)."""
    actor = actor or current_actor()
    details_json = json.dumps(details or {}, sort_keys=True, default=str, ensure_ascii=False)
    at = now_iso()
    with store.transaction() as db:
        row = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        seq, prev = (row[0] + 1, row[1]) if row else (1, GENESIS)
        digest = entry_hash(prev, seq, at, actor, action, details_json)
        db.execute("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?)",
                   (seq, at, actor, action, details_json, prev, digest))
        # Written inside the transaction, so appenders (serialized by it) never see a head
        # behind the log; put back if it rolls back — the outermost one, when the entry is
        # part of a larger change that fails after it.
        previous = _head_text(store)
        _write_head(store, seq, digest)
        store.on_rollback(lambda: _restore_head(store, previous))
    return AuditEntry(seq, at, actor, action, json.loads(details_json), prev, digest, details_json)


def _head_text(store: Store) -> str | None:
    path = head_path(store)
    return path.read_text() if path.exists() else None


def _restore_head(store: Store, previous: str | None) -> None:
    if previous is None:
        head_path(store).unlink(missing_ok=True)
    else:
        seq, digest = previous.split()
        _write_head(store, int(seq), digest)


def _write_head(store: Store, seq: int, digest: str) -> None:
    path = head_path(store)
    # A temporary name of its own per writer, so concurrent appenders never collide on it.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_WRONLY | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(f"{seq} {digest}\n")
    os.replace(tmp, path)


def entries(store: Store, *, action_prefix: str | None = None,
            where_detail: tuple[str, str] | None = None) -> list[AuditEntry]:
    rows = store.db.execute(
        "SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
    out = [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[4]) for r in rows]
    if action_prefix:
        out = [e for e in out if e.action.startswith(action_prefix)]
    if where_detail:
        key, value = where_detail
        out = [e for e in out if str(e.details.get(key)) == value]
    return out


def verify(store: Store) -> VerifyResult:
    """Walk the chain; report the first entry altered, missing or out of place."""
    rows = store.db.execute(
        "SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log ORDER BY seq").fetchall()
    prev, expected_seq = GENESIS, 1
    for seq, at, actor, action, details, prev_hash, digest in rows:
        if seq != expected_seq:
            return VerifyResult(False, len(rows), f"entry {expected_seq} is missing", expected_seq)
        if prev_hash != prev:
            return VerifyResult(False, len(rows),
                                f"entry {seq} does not follow entry {seq - 1} (chain broken)", seq)
        if entry_hash(prev_hash, seq, at, actor, action, details) != digest:
            return VerifyResult(False, len(rows), f"entry {seq} ({action}) was altered", seq)
        prev, expected_seq = digest, seq + 1
    head = head_path(store)
    if head.exists():
        head_seq, head_hash = head.read_text().split()
        if int(head_seq) > len(rows):
            return VerifyResult(False, len(rows),
                                f"entries {len(rows) + 1}..{head_seq} are missing from the end",
                                len(rows) + 1)
        if int(head_seq) == len(rows) and head_hash != prev:
            return VerifyResult(False, len(rows), f"entry {head_seq} does not match the recorded head",
                                int(head_seq))
    return VerifyResult(True, len(rows))
