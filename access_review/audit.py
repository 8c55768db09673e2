"""Append-only audit log of every sync, import, findings run and action: keyed, chained, and
anchored outside the store.

What it proves, and against whom (SECURITY.md says it for people):

- Each entry's hash is an HMAC-SHA256, under the audit key (``audit_key.py``), of the previous
  entry's hash, its own number and its content. Without the key nobody — not even someone who
  can write the store — can alter, insert, renumber, forge or re-hash entries undetected.
- The head file (``audit_head.py``) holds the last entry's number and hash, sealed with the
  key: cutting entries off the end is detected, and so is deleting the head.
- Anchors outside the store — ``HASH:COUNT`` on the superintendent report's Summary and in
  every evidence pack — are checked by ``audit verify --expect``: they catch what the head
  cannot (an old head file put back together with a log cut to match it, a whole store
  swapped for an older copy).

What it cannot prove: anything against someone who holds the key (the ISO's account), and
that nothing happened which the tool never saw (a change made directly in a directory).

An append that finds the head out of step with the log (missing, unreadable, not sealed by
the key, naming another entry) records that in the log itself, as an ``audit.head_mismatch``
entry before its own, so the next write never papers over the evidence. ``verify`` reports
each such entry as a problem until the ISO acknowledges it (``audit acknowledge``), and as a
note after.

Logs written before keying keep their plain SHA-256 hashes. The first append by this version
seals them: it records which entry is the first keyed one and with which key (the
``audit_keying`` table), and writes an ``audit.keyed`` entry whose keyed hash covers the last
unkeyed hash, so any later change to the old entries breaks the chain. What those entries said
before that moment is only as trustworthy as the store was then; ``verify`` says how many.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import json
import logging
import os
import re
import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, Callable, Sequence

from .audit_head import (
    Head,
    HeadUnreadable,
    head_path,
    head_text,
    is_sealed_by,
    read_head,
    restore_head,
    seal,
    write_head,
)
from .audit_key import AuditKeyError, AuditKeySource, key_id
from .errors import AccessReviewError, SecretError
from .store import Store, now_iso, now_utc
from .versioned import Row

log = logging.getLogger(__name__)

GENESIS = "0" * 64
KEYED = "audit.keyed"
HEAD_MISMATCH = "audit.head_mismatch"
ACKNOWLEDGED = "audit.acknowledged"

# Which entry is the first keyed one, and the key's public id: the audit log's own table.
KEYING_MIGRATIONS = [
    "CREATE TABLE audit_keying (key_id TEXT NOT NULL, first_seq INTEGER NOT NULL,"
    " keyed_at TEXT NOT NULL)"
]
# Tables whose rows are only ever written together with an audit entry, with their time column.
AUDITED_TABLES = (
    ("sync_runs", "started_at"),
    ("roster_imports", "imported_at"),
    ("inventory_versions", "imported_at"),
    ("findings_runs", "created_at"),
)
# An empty log in a store holding data older than this was emptied, not just started: the first
# command of a new store writes its data and its first entry within one run.
EMPTIED_AFTER = timedelta(hours=24)

_HEX64 = re.compile(r"[0-9a-f]{64}")
_COLUMNS = "seq, at, actor, action, details, prev_hash, hash"


class AuditError(AccessReviewError):
    """A request about the audit log that cannot be met (a malformed anchor, an unknown entry)."""


def current_actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no passwd entry (containers): fall back to the uid
        return f"uid:{os.getuid()}"


def actor_of(store: Store) -> str:
    """Who acts through ``store``: what the terminal layer said when it opened it (the OS user
    and the ISO named in the config), else the OS user."""
    return getattr(store, "actor", None) or current_actor()


def _body(prev_hash: str, seq: int, at: str, actor: str, action: str, details: str) -> bytes:
    return json.dumps(
        [prev_hash, seq, at, actor, action, details], separators=(",", ":"), ensure_ascii=False
    ).encode("utf-8")


def legacy_entry_hash(
    prev_hash: str, seq: int, at: str, actor: str, action: str, details: str
) -> str:
    """The unkeyed SHA-256 of entries written before the log was keyed."""
    return hashlib.sha256(_body(prev_hash, seq, at, actor, action, details)).hexdigest()


def entry_hash(
    key: bytes, prev_hash: str, seq: int, at: str, actor: str, action: str, details: str
) -> str:
    """HMAC-SHA256 under the audit key of the compact JSON array
    ``[previous hash, seq, at, actor, action, details]``."""
    return hmac.new(
        key, _body(prev_hash, seq, at, actor, action, details), hashlib.sha256
    ).hexdigest()


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
class Anchor:
    """The log's head as carried outside the store: ``HASH:COUNT`` (COUNT may be unknown)."""

    hash: str
    entries: int | None = None

    def __str__(self) -> str:
        return self.hash if self.entries is None else f"{self.hash}:{self.entries}"


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    problem: str = ""
    first_bad_seq: int | None = None
    keyed_from: int | None = None  # the first keyed entry; those before it predate keying
    notes: tuple[str, ...] = ()  # acknowledged head mismatches, shown but not failing
    unkeyed: bool = False  # an old log nothing has keyed yet


@dataclass(frozen=True)
class Keying:
    key_id: str
    first_seq: int
    keyed_at: str


def parse_anchor(text: str) -> Anchor:
    digest, _, count = text.strip().lower().partition(":")
    if not _HEX64.fullmatch(digest) or (count and not count.isdigit()):
        raise AuditError(
            f"{text!r} is not an audit anchor",
            hint="write HASH or HASH:COUNT, as the superintendent report or an evidence pack shows it",
        )
    return Anchor(digest, int(count) if count else None)


def key_source(store: Store) -> AuditKeySource:
    """Where this store's audit key comes from: what the config said (``open_store``), else the default."""
    return getattr(store, "audit_key", None) or AuditKeySource.from_settings({})


def _ensure_schema(store: Store) -> None:
    store.ensure_feature_schema("audit", KEYING_MIGRATIONS)


def _keying(db: sqlite3.Connection) -> Keying | None:
    row = db.execute(
        "SELECT key_id, first_seq, keyed_at FROM audit_keying ORDER BY rowid LIMIT 1"
    ).fetchone()
    return Keying(*row) if row else None


def _load_key(source: AuditKeySource, keying: Keying | None, *, create: bool) -> bytes:
    key = source.load(create=create)
    if key is None:
        raise AuditKeyError(
            f"the audit log is keyed (key {keying.key_id if keying else '?'}) but its key is"
            f" missing: {source.describe()} does not exist",
            hint="restore the key from your backup; without it the log cannot be verified or extended",
        )
    if keying is not None and key_id(key) != keying.key_id:
        raise AuditKeyError(
            f"the audit log was keyed with key {keying.key_id}, but {source.describe()} holds"
            f" key {key_id(key)}",
            hint="restore the key the log was written with (or the keying record was altered)",
        )
    return key


# -- writing ----------------------------------------------------------------------------------
def append(
    store: Store, action: str, details: dict[str, Any] | None = None, actor: str | None = None
) -> AuditEntry:
    """Append one entry in its own transaction (so that concurrent writers chain correctly),
    or inside the caller's ``store.transaction()``, so that the change it records and the entry
    commit together (or neither does, head included); keying the log first if it is not keyed
    yet, and recording a head out of step with the log."""
    actor = actor or actor_of(store)
    details_json = json.dumps(details or {}, sort_keys=True, default=str, ensure_ascii=False)
    _ensure_schema(store)
    source = key_source(store)
    log.info(
        "audit %s by %s: %s",
        action,
        actor,
        details_json[:2000],
        extra={"event": "audit", "action": action, "actor": actor},
    )
    with store.transaction() as db:
        last = db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
        keying = _keying(db)
        key = _load_key(source, keying, create=keying is None)
        records: list[tuple[str, str]] = []
        if keying is None and last is not None:
            records.append((KEYED, _json(_legacy_summary(db, key, last))))
        problem = _head_out_of_step(store, db, key, last, keying)
        if problem:
            records.append((HEAD_MISMATCH, _json({"problem": problem})))
        if keying is None:
            db.execute(
                "INSERT INTO audit_keying VALUES (?,?,?)",
                (key_id(key), (last[0] if last else 0) + 1, now_iso()),
            )
        records.append((action, details_json))
        seq, prev = (last[0], last[1]) if last else (0, GENESIS)
        for what, text in records:
            seq, at = seq + 1, now_iso()
            digest = entry_hash(key, prev, seq, at, actor, what, text)
            db.execute(
                "INSERT INTO audit_log VALUES (?,?,?,?,?,?,?)",
                (seq, at, actor, what, text, prev, digest),
            )
            entry = AuditEntry(seq, at, actor, what, json.loads(text), prev, digest, text)
            prev = digest
        # Written inside the transaction, so that appenders (serialized by it) never see a
        # head behind the log; put back if it rolls back — the outermost one, when the entry
        # is part of a larger change (an import, a sync) that fails after it.
        previous_head = head_text(store.path)
        write_head(store.path, Head(seq, prev, seal(key, seq, prev)))
        store.on_rollback(lambda: restore_head(store.path, previous_head))
    return entry


def acknowledge(store: Store, seq: int, reason: str) -> AuditEntry:
    """The ISO looked into a recorded head mismatch: say so in the log (it stays visible)."""
    row = store.db.execute("SELECT action FROM audit_log WHERE seq=?", (seq,)).fetchone()
    if row is None or row[0] != HEAD_MISMATCH:
        raise AuditError(
            f"entry {seq} is not a recorded head mismatch",
            hint="`access-review audit verify` names the entries to acknowledge",
        )
    if not reason.strip():
        raise AuditError("say why the mismatch is understood (--reason)")
    return append(store, ACKNOWLEDGED, {"seq": seq, "reason": reason})


def _json(value: dict[str, Any]) -> str:
    return json.dumps(value, sort_keys=True, default=str, ensure_ascii=False)


def _legacy_summary(db: sqlite3.Connection, key: bytes, last: Row) -> dict[str, Any]:
    rows = db.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq").fetchall()  # noqa: S608 (constant columns)
    problem, _ = _walk(rows, lambda seq: None)
    return {
        "key_id": key_id(key),
        "legacy_entries": last[0],
        "legacy_head": last[1],
        "legacy_chain": problem or "intact",
    }


def _audited_data(db: sqlite3.Connection) -> tuple[int, str | None]:
    """(rows, earliest time) over the tables that are only written with an audit entry."""
    count, earliest = 0, None
    for table, column in AUDITED_TABLES:
        n, first = db.execute(f"SELECT COUNT(*), MIN({column}) FROM {table}").fetchone()  # noqa: S608 (constant names)
        count += n
        if first and (earliest is None or first < earliest):
            earliest = first
    return count, earliest


def _as_utc(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=timezone.utc)


def _head_out_of_step(
    store: Store, db: sqlite3.Connection, key: bytes, last: Row | None, keying: Keying | None
) -> str:
    """Why the head file does not match the end of the log ("" when it does)."""
    path = head_path(store.path)
    try:
        head = read_head(store.path)
    except HeadUnreadable as exc:
        return str(exc)
    if last is None:
        if head is not None:
            return f"the head file named entry {head.seq}, but the log was empty: its entries were removed"
        if keying is not None:
            return f"the log was empty, although it was keyed at {keying.keyed_at}: its entries were removed"
        rows, earliest = _audited_data(db)
        if rows and earliest and _as_utc(earliest) < now_utc() - EMPTIED_AFTER:
            return (
                f"the log was empty, although the store holds {rows} imports, syncs and findings runs"
                f" since {earliest[:19]}: its entries and head were removed"
            )
        return ""
    if head is None:
        return f"the head file {path} was missing (the log ended at entry {last[0]})"
    if keying is not None and not is_sealed_by(head, key):
        return "the head file was not sealed by the audit key: someone without the key wrote it"
    if (head.seq, head.hash) != (last[0], last[1]):
        if head.seq > last[0]:
            return (
                f"the head file named entry {head.seq}, but the log ended at entry {last[0]}: entries were"
                f" removed from the end (or a process was killed while writing entry {head.seq})"
            )
        return (
            f"the head file named entry {head.seq} ({head.hash[:12]}...), but the log ended at entry"
            f" {last[0]} ({last[1][:12]}...): an older head was put back"
        )
    return ""


# -- reading ----------------------------------------------------------------------------------
def entries(
    store: Store, *, action_prefix: str | None = None, where_detail: tuple[str, str] | None = None
) -> list[AuditEntry]:
    rows = store.db.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq").fetchall()  # noqa: S608 (constant columns)
    out = [AuditEntry(r[0], r[1], r[2], r[3], json.loads(r[4]), r[5], r[6], r[4]) for r in rows]
    if action_prefix:
        out = [e for e in out if e.action.startswith(action_prefix)]
    if where_detail:
        key, value = where_detail
        out = [e for e in out if str(e.details.get(key)) == value]
    return out


def anchor(store: Store) -> Anchor:
    """The head as the log holds it now — what reports and evidence packs carry outside the store,
    for ``audit verify --expect`` to check later."""
    row = store.db.execute("SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1").fetchone()
    return Anchor(row[1], row[0]) if row else Anchor(GENESIS, 0)


def entry_checker(store: Store) -> Callable[[AuditEntry], bool]:
    """``check(entry)``: does the entry's hash match its content (keyed, or unkeyed before keying)?"""
    _ensure_schema(store)
    keying = _keying(store.db)
    key = _load_key(key_source(store), keying, create=False) if keying else b""

    def check(e: AuditEntry) -> bool:
        unkeyed = keying is None or e.seq < keying.first_seq
        expected = (
            legacy_entry_hash(e.prev_hash, e.seq, e.at, e.actor, e.action, e.details_text)
            if unkeyed
            else entry_hash(key, e.prev_hash, e.seq, e.at, e.actor, e.action, e.details_text)
        )
        return hmac.compare_digest(expected, e.hash)

    return check


def key_status(store: Store) -> tuple[bool, str, str]:
    """(ok, what, fix) about the audit key, for ``doctor``: where it is, whether it is the one the
    log was keyed with, and whether others can read it."""
    _ensure_schema(store)
    keying, source = _keying(store.db), key_source(store)
    try:
        key = source.load(create=False)
    except SecretError as exc:
        return False, str(exc), exc.hint or ""
    if key is None:
        if keying is not None:
            return (
                False,
                f"{source.describe()} does not exist, but the log is keyed (key {keying.key_id})",
                "restore the key from your backup",
            )
        return (
            True,
            f"{source.describe()} (made owner-only when the log is first keyed; keep a backup)",
            "",
        )
    if keying is not None and key_id(key) != keying.key_id:
        return (
            False,
            f"{source.describe()} holds key {key_id(key)}; the log was keyed with {keying.key_id}",
            "restore the key the log was written with",
        )
    return True, f"{source.describe()} (owner-only, key id {key_id(key)}; keep a backup)", ""


def _walk(rows: Sequence[Row], key_for: Callable[[int], bytes | None]) -> tuple[str, int | None]:
    """The first problem of the chain (and its entry), or ("", None). ``key_for(seq)`` is the
    key of a keyed entry, None for an entry written before keying."""
    prev, expected = GENESIS, 1
    for seq, at, actor, action, details, prev_hash, digest in rows:
        if seq != expected:
            return f"entry {expected} is missing", expected
        if prev_hash != prev:
            return f"entry {seq} does not follow entry {seq - 1} (chain broken)", seq
        key = key_for(seq)
        computed = (
            entry_hash(key, prev_hash, seq, at, actor, action, details)
            if key is not None
            else legacy_entry_hash(prev_hash, seq, at, actor, action, details)
        )
        if not hmac.compare_digest(computed, digest):
            return f"entry {seq} ({action}) was altered: its hash does not match its content", seq
        prev, expected = digest, seq + 1
    return "", None


def verify(store: Store, expect: Anchor | None = None) -> VerifyResult:
    """Walk the chain with the key; compare the end with the sealed head; report recorded head
    mismatches; and, given an anchor from outside the store, check the log still holds it."""
    _ensure_schema(store)
    # One consistent view: appenders write the head inside their transaction.
    with store.transaction() as db:
        rows = db.execute(f"SELECT {_COLUMNS} FROM audit_log ORDER BY seq").fetchall()  # noqa: S608 (constant columns)
        keying = _keying(db)
        try:
            head, unreadable = read_head(store.path), ""
        except HeadUnreadable as exc:
            head, unreadable = None, str(exc)
        data_rows, _ = _audited_data(db) if not rows else (0, None)
    n = len(rows)
    if keying is None:
        return _verify_unkeyed(store, rows, head, unreadable, data_rows, expect)
    try:
        key = _load_key(key_source(store), keying, create=False)
    except AuditKeyError as exc:
        if "holds key" not in str(exc):
            raise  # a missing key: a setup problem (one clear line), not a verdict on the log
        return VerifyResult(False, n, str(exc), keyed_from=keying.first_seq)
    problems: list[tuple[str, int | None]] = []
    chain, bad = _walk(rows, lambda seq: None if seq < keying.first_seq else key)
    if chain:
        problems.append((chain, bad))
    if n < keying.first_seq:
        problems.append(
            (
                f"the log was keyed from entry {keying.first_seq}, which is missing: entries were removed",
                keying.first_seq,
            )
        )
    problems += _head_problems(store, rows, head, unreadable, key)
    notes: list[str] = []
    acknowledged = {
        e["seq"]: e
        for e in (json.loads(r[4]) for r in rows if r[3] == ACKNOWLEDGED)
        if isinstance(e.get("seq"), int)
    }
    for seq, at, actor, action, details, *_ in rows:
        if action != HEAD_MISMATCH:
            continue
        what = json.loads(details).get("problem", "")
        if seq in acknowledged:
            notes.append(
                f"entry {seq} ({at[:19]}): {what} — acknowledged: {acknowledged[seq].get('reason', '')}"
            )
        else:
            problems.append(
                (
                    f"entry {seq} records that {what} (look into it, then `access-review audit"
                    f" acknowledge {seq} --reason ...`)",
                    seq,
                )
            )
    if expect is not None:
        problems += _anchor_problems(rows, expect)
    return VerifyResult(
        not problems,
        n,
        "; ".join(p for p, _ in problems),
        next((s for _, s in problems if s is not None), None),
        keying.first_seq,
        tuple(notes),
    )


def _verify_unkeyed(
    store: Store,
    rows: Sequence[Row],
    head: Head | None,
    unreadable: str,
    data_rows: int,
    expect: Anchor | None,
) -> VerifyResult:
    """A log nothing has keyed yet: empty (a new store), or written by an earlier version."""
    n = len(rows)
    if not rows:
        if unreadable:
            problem = unreadable
        elif head is not None:
            problem = f"the head file names entry {head.seq}, but the log is empty: its entries were removed"
        elif data_rows:
            problem = (
                f"the log is empty, but the store holds {data_rows} imports, syncs and findings runs, each"
                " of which writes an entry: the entries were removed"
            )
        else:
            problem = (
                "; ".join(p for p, _ in _anchor_problems(rows, expect))
                if expect is not None
                else ""
            )
        return VerifyResult(not problem, 0, problem)
    chain, bad = _walk(rows, lambda seq: None)
    if chain:
        return VerifyResult(False, n, chain, bad, unkeyed=True)
    return VerifyResult(
        False,
        n,
        f"the log is not keyed yet: its {n} entries were written by an earlier"
        " access-review without a key, so anyone who could write the store could have rewritten"
        " them; the next command that records something (a sync, `findings`) keys the log and"
        " seals these entries from then on",
        unkeyed=True,
    )


def _head_problems(
    store: Store, rows: Sequence[Row], head: Head | None, unreadable: str, key: bytes
) -> list[tuple[str, int | None]]:
    if unreadable:
        return [(unreadable, None)]
    if head is None:
        return [
            (
                f"the head file {head_path(store.path)} is missing: nothing shows that no entries were cut"
                " off the end of the log",
                None,
            )
        ]
    if not is_sealed_by(head, key):
        return [
            ("the head file is not sealed by the audit key: someone without the key wrote it", None)
        ]
    last = rows[-1] if rows else None
    last_seq, last_hash = (last[0], last[6]) if last else (0, GENESIS)
    if head.seq > last_seq:
        return [(f"entries {last_seq + 1}..{head.seq} are missing from the end", last_seq + 1)]
    if head.seq < last_seq:
        return [
            (
                f"the head names entry {head.seq}, but the log holds {last_seq}: an older head file was put"
                " back, or entries were appended without the key",
                head.seq + 1,
            )
        ]
    if head.hash != last_hash:
        return [(f"entry {head.seq} does not match the recorded head", head.seq)]
    return []


def _anchor_problems(rows: Sequence[Row], expect: Anchor) -> list[tuple[str, int | None]]:
    by_seq = {r[0]: r[6] for r in rows}
    if expect.entries is not None:
        if expect.entries == 0:
            return []
        if expect.entries not in by_seq:
            return [
                (
                    f"the anchor {expect} is not in the log: it has no entry {expect.entries} (entries were"
                    " removed since the anchor was taken)",
                    expect.entries,
                )
            ]
        if not hmac.compare_digest(by_seq[expect.entries], expect.hash):
            return [
                (
                    f"the anchor {expect} is not in the log: entry {expect.entries} has another hash (the log"
                    " was rewritten since the anchor was taken)",
                    expect.entries,
                )
            ]
        return []
    if expect.hash not in by_seq.values():
        return [
            (
                f"the anchor {expect} is not in the log: no entry has that hash (the log was rewritten or cut"
                " since the anchor was taken)",
                None,
            )
        ]
    return []
