"""Formula-injection-safe cell values and atomic, owner-only writes."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from access_review.errors import AccessReviewError
from access_review.private_files import atomic_file, atomic_folder, write_private_file
from exports.cells import csv_value, json_value, safe_text, spreadsheet_value
from test_export_support import INJECTION_CORPUS


@pytest.mark.parametrize("text", INJECTION_CORPUS + ("\n=5+5", "\uff1d1+1"))
def test_formula_like_text_gets_a_leading_quote(text):
    assert safe_text(text) == "'" + text.replace("\r", "\n")


@pytest.mark.parametrize(
    "text", ["Pat Principal", "O'Brien", "a=b", "Room 101-B", "", "'quoted already"]
)
def test_ordinary_text_is_unchanged(text):
    assert safe_text(text) == text


def test_control_characters_that_xml_forbids_are_replaced_not_fatal():
    assert safe_text("Ann\x00\x07Lee") == "Ann\ufffd\ufffdLee"


def test_values_keep_their_types_for_spreadsheets():
    aware = datetime(2026, 11, 28, 8, 0, tzinfo=timezone(timedelta(hours=-5)))
    assert spreadsheet_value(aware) == datetime(2026, 11, 28, 13, 0)  # UTC, naive for Excel
    assert spreadsheet_value(date(2026, 1, 2)) == date(2026, 1, 2)
    assert spreadsheet_value(3) == 3 and spreadsheet_value(True) == "yes"
    assert spreadsheet_value(["=a", "b"]) == "'=a; b"
    assert csv_value("-2+3") == "'-2+3" and csv_value(None) == ""
    # JSON is read by programs, not spreadsheets: the raw text survives.
    assert json_value("=1+1") == "=1+1" and json_value(aware) == "2026-11-28T13:00:00Z"


def test_atomic_file_is_owner_only_even_with_a_permissive_umask(tmp_path):
    old = os.umask(0)
    try:
        with atomic_file(tmp_path / "out.xlsx") as fh:
            fh.write(b"data")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "out.xlsx").stat().st_mode) == 0o600
    assert (tmp_path / "out.xlsx").read_bytes() == b"data"


def test_a_failed_write_leaves_no_file_and_keeps_the_previous_one(tmp_path):
    target = tmp_path / "report.xlsx"
    with pytest.raises(RuntimeError):
        with atomic_file(target) as fh:
            fh.write(b"half")
            raise RuntimeError("disk full")
    assert not target.exists() and list(tmp_path.iterdir()) == []
    target.write_bytes(b"previous report")
    with pytest.raises(KeyboardInterrupt):
        with atomic_file(target) as fh:
            fh.write(b"half")
            raise KeyboardInterrupt
    assert target.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["report.xlsx"]


def test_a_killed_process_never_leaves_a_partial_destination(tmp_path):
    """SIGKILL mid-write (no cleanup runs): the destination does not exist at all."""
    target = tmp_path / "report.xlsx"
    script = textwrap.dedent(f"""
        import sys, time
        from access_review.private_files import atomic_file
        with atomic_file({str(target)!r}) as fh:
            fh.write(b"x" * 100000)
            fh.flush()
            print("writing", flush=True)
            time.sleep(60)
    """)
    proc = subprocess.Popen(  # noqa: S603 (this Python with a script the test wrote)
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert proc.stdout.readline().strip() == "writing"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert not target.exists()
    leftovers = list(tmp_path.iterdir())
    # Only the hidden temporary file remains, and it is owner-only too.
    assert all(
        p.name.startswith(".report.xlsx.") and stat.S_IMODE(p.stat().st_mode) == 0o600
        for p in leftovers
    )


def test_atomic_folder_appears_whole_and_refuses_to_mix_with_other_files(tmp_path):
    with atomic_folder(tmp_path / "pack") as tmp:
        write_private_file(tmp, "a.csv", b"1")
        assert not (tmp_path / "pack").exists()  # not visible until complete
    assert stat.S_IMODE((tmp_path / "pack").stat().st_mode) == 0o700
    assert stat.S_IMODE((tmp_path / "pack" / "a.csv").stat().st_mode) == 0o600
    with pytest.raises(AccessReviewError, match="not empty"):
        with atomic_folder(tmp_path / "pack"):
            pass
    with pytest.raises(ValueError):
        with atomic_folder(tmp_path / "other") as tmp:
            write_private_file(tmp, "a.csv", b"1")
            raise ValueError("interrupted")
    assert not (tmp_path / "other").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pack"]
