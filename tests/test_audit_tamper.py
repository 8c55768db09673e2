"""The audit log against someone who can write the store (issue 15, item 5).

Before, `audit verify` said "intact" after each of these: truncation plus deleting or rewriting
the head; editing an entry, re-hashing the chain and updating the head; deleting and
renumbering; appending a forged entry; wiping every entry and the head; deleting only the
head; and a garbage head file gave a ValueError traceback. Each attack is performed here on a
real store, as the attacker could (SQL on the file, the head file rewritten), without the audit
key, which the store does not hold.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
from datetime import timedelta
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from access_review import audit
from access_review.audit_head import head_path
from access_review.audit_key import AuditKeyError, AuditKeySource, key_id
from access_review.cli import app
from access_review.errors import SecretError
from access_review.store import Store, now_utc
from test_export_support import build_tiny_district

runner = CliRunner()


@pytest.fixture
def keys(tmp_path) -> AuditKeySource:
    return AuditKeySource(file=tmp_path / "keys" / "audit.key")


def make_log(path: Path, keys: AuditKeySource, n: int = 5) -> Store:
    store = Store(path, audit_key=keys)
    for i in range(n):
        audit.append(store, "sync", {"source": "ad", "n": i})
    return store


def rows(store: Store) -> list:
    return store.db.execute(
        "SELECT seq, at, actor, action, details, prev_hash, hash FROM audit_log ORDER BY seq"
    ).fetchall()


def rehash_without_key(store: Store, start_prev: str, records: list[tuple]) -> str:
    """What an attacker can do: rewrite entries and chain them with the only hash they can compute."""
    store.db.execute("DELETE FROM audit_log WHERE seq >= ?", (records[0][0],))
    prev = start_prev
    for seq, at, actor, action, details in records:
        digest = audit.legacy_entry_hash(prev, seq, at, actor, action, details)
        store.db.execute(
            "INSERT INTO audit_log VALUES (?,?,?,?,?,?,?)",
            (seq, at, actor, action, details, prev, digest),
        )
        prev = digest
    return prev


def write_head(store: Store, text: str) -> None:
    head_path(store.path).write_text(text, encoding="utf-8")


# -- the attacks of the issue ------------------------------------------------------------------
def test_an_untouched_log_verifies(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    result = audit.verify(store)
    assert result.ok and result.entries == 5 and result.keyed_from == 1


def test_truncation_and_deleting_the_head(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    store.db.execute("DELETE FROM audit_log WHERE seq > 3")
    head_path(store.path).unlink()
    result = audit.verify(store)
    assert not result.ok and "head file" in result.problem and "missing" in result.problem
    # The next command's entry does not paper over it: the mismatch is recorded first.
    audit.append(store, "findings", {"run": 9})
    actions = [r[3] for r in rows(store)]
    assert actions[3:] == [audit.HEAD_MISMATCH, "findings"]
    result = audit.verify(store)
    assert (
        not result.ok
        and result.first_bad_seq == 4
        and "was missing (the log ended at entry 3)" in result.problem
    )


def test_truncation_and_rewriting_the_head(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    store.db.execute("DELETE FROM audit_log WHERE seq > 3")
    seq, digest = rows(store)[-1][0], rows(store)[-1][6]
    for forged in (
        f"{seq} {digest}\n",
        f"{seq} {digest} {'0' * 64}\n",
    ):  # no seal, or a made-up seal
        write_head(store, forged)
        result = audit.verify(store)
        assert not result.ok and "not sealed by the audit key" in result.problem


def test_an_old_head_put_back_with_a_log_cut_to_match_is_caught_by_the_anchor(tmp_path, keys):
    """The one truncation the head cannot catch: the attacker kept a copy of an old head file.
    The anchor carried outside the store (report, evidence pack) catches it."""
    store = make_log(tmp_path / "s.db", keys, n=3)
    old_head = head_path(store.path).read_text()
    for i in range(3):
        audit.append(store, "suspension.step", {"n": i})
    report_anchor = audit.anchor(store)  # printed in the board report
    store.db.execute("DELETE FROM audit_log WHERE seq > 3")  # the suspension is erased
    write_head(store, old_head)
    assert audit.verify(store).ok  # locally consistent ...
    result = audit.verify(store, expect=report_anchor)  # ... but not what the board saw
    assert not result.ok and f"has no entry {report_anchor.entries}" in result.problem


def test_editing_an_entry_rehashing_the_chain_and_updating_the_head(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    records = [r[:5] for r in rows(store)]
    records[1] = (*records[1][:4], json.dumps({"n": 1000, "source": "ad"}))
    last = rehash_without_key(store, audit.GENESIS, records)
    write_head(store, f"5 {last}\n")
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 1 and "was altered" in result.problem


def test_deleting_and_renumbering(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    original = rows(store)
    kept = [original[0]] + original[2:]  # entry 2 removed, the rest renumbered 2..4
    store.db.execute("DELETE FROM audit_log")
    prev = audit.GENESIS
    for new_seq, (_, at, actor, action, details, _, digest) in enumerate(kept, start=1):
        store.db.execute(
            "INSERT INTO audit_log VALUES (?,?,?,?,?,?,?)",
            (new_seq, at, actor, action, details, prev, digest),
        )
        prev = digest
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 2 and "altered" in result.problem


def test_appending_a_forged_entry(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    last = rows(store)[-1]
    forged = (6, last[1], "iso", "suspension.restore", '{"case": "HR-1"}')
    digest = audit.legacy_entry_hash(last[6], *forged)
    store.db.execute("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?)", (*forged, last[6], digest))
    write_head(store, f"6 {digest}\n")
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 6 and "altered" in result.problem


def test_wiping_every_entry_and_the_head(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    store.save_roster([], "roster.csv")  # the store holds data the log recorded
    anchor = audit.anchor(store)
    store.db.execute("DELETE FROM audit_log")
    head_path(store.path).unlink()
    result = audit.verify(store)
    assert not result.ok and "keyed from entry 1, which is missing" in result.problem
    store.db.execute("DELETE FROM audit_keying")  # the keying record too
    result = audit.verify(store)
    assert not result.ok and "the log is empty, but the store holds 1" in result.problem
    assert not audit.verify(store, expect=anchor).ok


def test_a_wiped_log_is_recorded_by_the_next_append_in_an_established_store(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    store.save_roster([], "roster.csv")
    long_ago = (now_utc() - timedelta(days=30)).isoformat()
    store.db.execute("UPDATE roster_imports SET imported_at=?", (long_ago,))
    store.db.execute("DELETE FROM audit_log")
    store.db.execute("DELETE FROM audit_keying")
    head_path(store.path).unlink()
    audit.append(store, "sync", {"n": 1})  # the next sync starts a fresh chain ...
    result = audit.verify(store)  # ... that still says what happened
    assert (
        not result.ok
        and result.first_bad_seq == 1
        and "its entries and head were removed" in result.problem
    )


def test_deleting_only_the_head(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    head_path(store.path).unlink()
    result = audit.verify(store)
    assert not result.ok and "head file" in result.problem and "is missing" in result.problem


def test_a_garbage_head_file_is_a_clear_verdict_not_a_traceback(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    write_head(store, "garbage\x1b[31m here\n")
    result = audit.verify(store)
    assert not result.ok and "is not a head" in result.problem and "\x1b" not in result.problem
    audit.append(store, "sync", {"n": 9})  # and the next append records it
    assert [r[3] for r in rows(store)][-2] == audit.HEAD_MISMATCH


def test_through_the_cli_a_tampered_log_is_one_line_and_exit_7(tmp_path):
    config = build_tiny_district(tmp_path / "d")
    (tmp_path / "d" / "store.db.audit-head").write_text("garbage\n")
    result = runner.invoke(app, ["audit", "verify", "-c", str(config)])
    assert (
        result.exit_code == 7
        and "audit log TAMPERED" in result.output
        and "is not a head" in result.output
    )
    assert "Traceback" not in result.output


# -- what a person does about it --------------------------------------------------------------
def test_an_acknowledged_mismatch_is_shown_but_no_longer_fails(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    head_path(store.path).unlink()
    audit.append(store, "sync", {"n": 6})
    mismatch = next(r[0] for r in rows(store) if r[3] == audit.HEAD_MISMATCH)
    with pytest.raises(audit.AuditError):
        audit.acknowledge(store, 1, "not a mismatch entry")
    audit.acknowledge(store, mismatch, "backup restore on 2026-11-02, ticket 4411")
    result = audit.verify(store)
    assert result.ok and len(result.notes) == 1 and "ticket 4411" in result.notes[0]


# -- the key -----------------------------------------------------------------------------------
def test_the_key_is_created_owner_only_apart_from_the_store(tmp_path, keys):
    make_log(tmp_path / "store" / "s.db", keys, n=1)
    assert stat.S_IMODE(keys.file.stat().st_mode) == 0o600
    assert stat.S_IMODE(keys.file.parent.stat().st_mode) == 0o700
    assert len(bytes.fromhex(keys.file.read_text().strip())) == 32
    assert keys.file.parent != (tmp_path / "store")


def test_a_missing_or_wrong_key_is_never_replaced_by_a_new_one(tmp_path, keys):
    store = make_log(tmp_path / "s.db", keys)
    saved = keys.file.read_text()
    keys.file.unlink()
    with pytest.raises(AuditKeyError, match="its key is missing"):
        audit.verify(store)
    with pytest.raises(AuditKeyError, match="its key is missing"):
        audit.append(store, "sync", {})
    assert not keys.file.exists()  # no new key was made for a keyed log
    keys.file.write_text(os.urandom(32).hex() + "\n")
    os.chmod(keys.file, 0o600)
    result = audit.verify(store)
    assert not result.ok and "holds key" in result.problem
    with pytest.raises(AuditKeyError, match="was keyed with key"):
        audit.append(store, "sync", {})
    keys.file.write_text(saved)
    assert audit.verify(store).ok


def test_a_key_file_others_can_read_is_refused(tmp_path, keys):
    make_log(tmp_path / "s.db", keys, n=1)
    os.chmod(keys.file, 0o644)
    with pytest.raises(SecretError, match="readable by others"):
        audit.verify(Store(tmp_path / "s.db", audit_key=keys))


def test_the_key_can_come_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("AR_AUDIT_KEY", "k" * 40)
    source = AuditKeySource.from_settings({"key_env": "AR_AUDIT_KEY"})
    store = make_log(tmp_path / "s.db", source)
    assert audit.verify(store).ok
    monkeypatch.setenv("AR_AUDIT_KEY", "short")
    with pytest.raises(AuditKeyError, match="shorter than 32"):
        audit.verify(store)
    with pytest.raises(AuditKeyError, match="must not be written in the config"):
        AuditKeySource.from_settings({"key": "abc"})


def test_the_config_names_the_key(tmp_path):
    config = build_tiny_district(tmp_path / "d")
    with config.open("a", encoding="utf-8") as fh:
        fh.write('\n[audit]\nkey_file = "../keys/district-audit.key"\n')
    # The tiny district was built with the default key; this config names another: a new store.
    (tmp_path / "d" / "store.db").unlink()
    head_path(tmp_path / "d" / "store.db").unlink(missing_ok=True)
    assert runner.invoke(app, ["roster", "import", "-c", str(config)]).exit_code == 0
    assert (tmp_path / "keys" / "district-audit.key").exists()
    assert runner.invoke(app, ["audit", "verify", "-c", str(config)]).exit_code == 0


# -- an existing, unkeyed log ----------------------------------------------------------------
def make_legacy_log(path: Path, n: int = 4) -> Store:
    """A log as the previous version wrote it: plain SHA-256, an unsealed head."""
    store = Store(path)
    prev = audit.GENESIS
    for seq in range(1, n + 1):
        at, details = f"2026-01-0{seq}T00:00:00+00:00", json.dumps({"n": seq})
        digest = audit.legacy_entry_hash(prev, seq, at, "iso", "sync", details)
        store.db.execute(
            "INSERT INTO audit_log VALUES (?,?,?,?,?,?,?)",
            (seq, at, "iso", "sync", details, prev, digest),
        )
        prev = digest
    head_path(path).write_text(f"{n} {prev}\n")
    return store


def test_an_unkeyed_log_is_not_called_intact_and_is_keyed_by_the_next_append(tmp_path, keys):
    store = make_legacy_log(tmp_path / "s.db")
    store.audit_key = keys
    result = audit.verify(store)
    assert not result.ok and result.unkeyed and "not keyed yet" in result.problem
    legacy_head = rows(store)[-1][6]
    audit.append(store, "findings", {"run": 1})
    keyed = [r for r in rows(store) if r[3] == audit.KEYED]
    assert len(keyed) == 1 and keyed[0][0] == 5
    assert json.loads(keyed[0][4]) == {
        "key_id": key_id(keys.load(create=False)),
        "legacy_entries": 4,
        "legacy_head": legacy_head,
        "legacy_chain": "intact",
    }
    result = audit.verify(store)
    assert result.ok and result.keyed_from == 5 and result.entries == 6


def test_after_keying_the_old_entries_cannot_be_rewritten(tmp_path, keys):
    store = make_legacy_log(tmp_path / "s.db")
    store.audit_key = keys
    audit.append(store, "findings", {"run": 1})
    old = [r[:5] for r in rows(store)][:4]
    old[2] = (*old[2][:4], json.dumps({"n": 99}))
    keyed_tail = rows(store)[4:]
    rehash_without_key(store, audit.GENESIS, old)  # the unkeyed part re-hashed consistently
    for r in keyed_tail:
        store.db.execute("INSERT INTO audit_log VALUES (?,?,?,?,?,?,?)", r)
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 5 and "chain broken" in result.problem
    # Making the whole log look unkeyed again does not make it "intact" either.
    store.db.execute("DELETE FROM audit_log WHERE seq >= 5")
    store.db.execute("DELETE FROM audit_keying")
    assert not audit.verify(store).ok


# -- anchors outside the store -----------------------------------------------------------------
def test_the_board_report_and_the_cli_carry_and_check_the_anchor(tmp_path):
    config = build_tiny_district(tmp_path / "d")
    with Store(tmp_path / "d" / "store.db") as store:
        before = audit.anchor(store)
    out = tmp_path / "board.xlsx"
    result = runner.invoke(
        app,
        ["export", "superintendent", "--out", str(out), "--today", "2026-11-28", "-c", str(config)],
    )
    assert result.exit_code == 0, result.output
    summary = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True)
        if r[0]
    }
    anchor = next(v for k, v in summary.items() if str(k).startswith("Anchor"))
    assert anchor == str(before) and summary["Entries when this report was made"] == before.entries
    assert summary["Hash chain"].startswith("intact")
    ok = runner.invoke(app, ["audit", "verify", "--expect", anchor, "-c", str(config)])
    assert ok.exit_code == 0 and f"It holds the anchor {anchor}" in ok.output
    # Someone cuts the log back to before the report and puts back a head that matches.
    shutil.copy(tmp_path / "d" / "store.db.audit-head", tmp_path / "head-now")
    with Store(tmp_path / "d" / "store.db") as store:
        store.db.execute("DELETE FROM audit_log WHERE seq >= ?", (before.entries,))
    bad = runner.invoke(app, ["audit", "verify", "--expect", anchor, "-c", str(config)])
    assert bad.exit_code == 7 and f"the anchor {anchor} is not in the log" in bad.output
    malformed = runner.invoke(app, ["audit", "verify", "--expect", "nonsense:x", "-c", str(config)])
    assert malformed.exit_code == 1 and "is not an audit anchor" in malformed.output
