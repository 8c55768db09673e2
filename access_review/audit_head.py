"""The audit log's head file: the last entry's number and hash, kept beside the store and
sealed with the audit key.

Cutting entries off the end of a hash chain leaves a valid, shorter chain; the head is what
says how long it was. Sealing it (HMAC under the audit key) means that someone who can write
the store can delete the head — which is reported — but cannot write a head that matches a
truncated log. What the head cannot catch (an old head file put back together with a log cut
to match it) is what the anchors outside the store are for: the superintendent's report and
every evidence pack carry ``HASH:COUNT``, and ``audit verify --expect`` checks the log still
holds it.

Format, one line: ``SEQ HASH SEAL``. Logs written before keying have ``SEQ HASH``.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path

_HEX64 = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True)
class Head:
    seq: int
    hash: str
    seal: str = ""  # "" in a head written before the log was keyed


class HeadUnreadable(ValueError):
    """The head file exists but is not a head: altered or damaged."""


def head_path(store_path: Path) -> Path:
    return store_path.with_name(store_path.name + ".audit-head")


def seal(key: bytes, seq: int, digest: str) -> str:
    return hmac.new(
        key, f"access-review audit head {seq} {digest}".encode(), hashlib.sha256
    ).hexdigest()


def is_sealed_by(head: Head, key: bytes) -> bool:
    return bool(head.seal) and hmac.compare_digest(head.seal, seal(key, head.seq, head.hash))


def read_head(store_path: Path) -> Head | None:
    """The head, None when there is no head file; HeadUnreadable when it is not one."""
    path = head_path(store_path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
    fields = text.split()
    ok = (
        len(fields) in (2, 3)
        and fields[0].isdigit()
        and all(_HEX64.fullmatch(f) for f in fields[1:])
    )
    if not ok:
        shown = text.strip()[:60].encode("unicode_escape").decode("ascii")
        raise HeadUnreadable(
            f"the head file {path} is not a head ('{shown}'): it was altered or damaged"
        )
    return Head(int(fields[0]), fields[1], fields[2] if len(fields) == 3 else "")


def write_head(store_path: Path, head: Head) -> None:
    _write_atomically(head_path(store_path), f"{head.seq} {head.hash} {head.seal}".rstrip() + "\n")


def restore_head(store_path: Path, previous: str | None) -> None:
    """Put back the head file's earlier text (``None``: there was none) after a failed append."""
    if previous is None:
        head_path(store_path).unlink(missing_ok=True)
    else:
        _write_atomically(head_path(store_path), previous)


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` atomically, owner-only, never through a planted symlink."""
    # A temporary name of its own per writer, so concurrent appenders never collide on it.
    tmp = path.with_name(f"{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)


def head_text(store_path: Path) -> str | None:
    try:
        return head_path(store_path).read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        return None
