"""The tool's files as a person opens or prints them: headless LibreOffice converts them (to
PDF, to xlsx, or a CSV opened with its formulas evaluated), and poppler reads back the text of
each printed page."""

from __future__ import annotations

import glob
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Sequence


def run_libreoffice(
    files: Sequence[Path],
    target: str,
    outdir: Path,
    *,
    infilter: str | None = None,
    timeout: int = 180,
) -> subprocess.CompletedProcess[str]:
    """Convert ``files`` to ``target`` ("pdf", "xlsx", "xlsx:Calc MS Excel 2007 XML", ...) into
    ``outdir`` with one LibreOffice start, asserting it succeeded. A fresh private profile each
    time: a LibreOffice already running with the same profile would take the job and exit at once
    (and two tests must not share settings)."""
    outdir.mkdir(parents=True, exist_ok=True)
    profile = Path("/tmp") / f"lo-{uuid.uuid4().hex}"  # noqa: S108 (a fresh, uniquely named LibreOffice profile, removed after)
    try:
        proc = subprocess.run(  # noqa: S603 (LibreOffice with arguments the test builds)
            [  # noqa: S607 (soffice from PATH, installed by scripts/test)
                "soffice",
                "--headless",
                f"-env:UserInstallation=file://{profile}",
                *([f"--infilter={infilter}"] if infilter else []),
                "--convert-to",
                target,
                "--outdir",
                str(outdir),
                *map(str, files),
            ],
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        shutil.rmtree(profile, ignore_errors=True)
    assert proc.returncode == 0, f"LibreOffice failed ({proc.returncode}): {proc.stderr}"
    return proc


def libreoffice_convert(src: Path, target: str, outdir: Path) -> Path:
    """Convert one file; fail loudly on any error. The file written (the first sheet's, when a
    CSV filter writes one file a sheet)."""
    proc = run_libreoffice([src], target, outdir)
    ext = target.split(":", 1)[0]
    assert "Error" not in proc.stderr, proc.stderr
    # One sheet: FILE.ext; every sheet (CSV filter token 12 = -1): FILE-<sheet>.ext each.
    written = sorted(outdir.glob(f"{glob.escape(src.stem)}*.{ext}"))
    assert written and all(p.stat().st_size > 0 for p in written), (
        f"LibreOffice wrote nothing: {proc.stdout} {proc.stderr}"
    )
    return written[0]


def pdf_pages(pdf: Path, layout: bool = True) -> list[str]:
    """The text of each page (poppler's pdftotext; pages end with a form feed): laid out as
    printed, or (``layout=False``) in the order it was written, a table cell's lines together."""
    proc = subprocess.run(  # noqa: S603 (pdftotext with arguments the test builds)
        ["pdftotext", *(["-layout"] if layout else ["-raw"]), str(pdf), "-"],  # noqa: S607 (poppler-utils from PATH, installed by scripts/test)
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.split("\f")[:-1]
