"""Owner-only files that appear whole or not at all: every file the tool writes goes through here.

An export or a review workbook holds confidential data and may be interrupted (Ctrl-C, a full disk, a crash).
So we write to a temporary name in the destination's own folder — ``os.replace`` is atomic
only within one file system — created 0600 from the start (never chmod after the data is
in), fsync the data, rename over the destination, then fsync the folder so the rename
itself survives a power cut. On any failure the temporary file is removed and an existing
destination is left as it was.

A folder of files (CSV sheets, an evidence pack) is built the same way: in a 0700
temporary folder beside the destination, renamed into place when complete.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any, BinaryIO, Iterator

from access_review.errors import AccessReviewError

FILE_MODE = 0o600
FOLDER_MODE = 0o700


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def atomic_file(path: str | Path) -> Iterator[BinaryIO]:
    """Yield a binary file; on a clean exit it becomes ``path`` (mode 0600), else nothing changes."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if not folder.is_dir():
        raise AccessReviewError(f"{target}: folder {folder} does not exist")
    # mkstemp creates the file O_EXCL with mode 0600, whatever the umask.
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(folder)


def write_bytes_atomically(path: str | Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


@contextmanager
def atomic_folder(path: str | Path) -> Iterator[Path]:
    """Yield an empty private folder; on a clean exit it becomes ``path``.

    ``path`` must not exist or be empty: files from two exports must never mix (an auditor
    could not tell which manifest covers which file).
    """
    target = Path(path)
    parent = target.parent if str(target.parent) else Path(".")
    if target.exists():
        if not target.is_dir():
            raise AccessReviewError(f"{target} exists and is not a folder")
        if any(target.iterdir()):
            raise AccessReviewError(
                f"{target} is not empty; not mixing this export with other files",
                hint="choose a new folder for --out",
            )
    make_private_folder(parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".part", dir=parent))
    try:
        os.chmod(tmp, FOLDER_MODE)
        yield tmp
        for child in tmp.iterdir():
            _fsync_file(child)
        if target.exists():
            target.rmdir()  # empty, checked above
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    _fsync_folder(parent)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_private_file(folder: Path, name: str, data: bytes) -> Path:
    """One file inside an ``atomic_folder``: created 0600, never following a planted symlink."""
    path = folder / name
    fd = os.open(
        path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), FILE_MODE
    )
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path


def open_private(path: str | Path, mode: str = "w", **kwargs: Any) -> IO[Any]:
    """``path`` opened for writing (created or truncated) so that only its owner can read it,
    whatever the umask and whatever mode an existing file had — fixed before any data goes
    in — and never through a planted symlink. For files written in place (the demo's files,
    a new config), where an atomic rename is not needed."""
    fd = os.open(
        path, os.O_CREAT | os.O_WRONLY | os.O_TRUNC | getattr(os, "O_NOFOLLOW", 0), FILE_MODE
    )
    try:
        os.fchmod(fd, FILE_MODE)
        return os.fdopen(fd, mode, **kwargs)
    except BaseException:
        os.close(fd)
        raise


def make_private_folder(path: str | Path) -> Path:
    """A folder created owner-only, and so is every missing folder above it (``mkdir -p`` would
    give those the umask's mode); folders that exist are left as they are."""
    folder = Path(path)
    missing = []
    for candidate in (folder, *folder.parents):
        if candidate.exists():
            break
        missing.append(candidate)
    for candidate in reversed(missing):
        candidate.mkdir(mode=FOLDER_MODE, exist_ok=True)
        os.chmod(
            candidate, FOLDER_MODE
        )  # exactly 0700: the umask could have masked the owner's bits too
    return folder
