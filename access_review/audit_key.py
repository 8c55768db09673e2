"""The audit log's key: a secret kept apart from the store.

An unkeyed hash chain proves nothing against whoever can write the store: they rewrite an
entry and re-hash everything after it. Each entry's hash is therefore an HMAC-SHA256 under a
key the store never holds (the idea of CloudTrail's signed digest files and of certificate
transparency's signed tree heads, with a shared secret instead of a signature).

Where the key comes from, in this order:

- ``[audit] key_env = "VARIABLE"``: the key itself, in an environment variable (at least 32
  characters; ``python3 -c 'import secrets; print(secrets.token_hex(32))'`` makes one);
- ``[audit] key_file = "path"``: a file readable only by its owner (relative to the config);
- otherwise ``$XDG_CONFIG_HOME/access-review/audit.key`` (``~/.config/...``): the ISO's own
  account, not the store's folder. It is created, owner-only, the first time a log is keyed.

A key file is never created for a log that is already keyed: a new key would make the whole
log unverifiable, so a missing key is an error that says which key the log expects.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import SecretError
from .secrets import check_owner_only

KEY_BYTES = 32
MIN_ENV_CHARACTERS = 32
DEFAULT_KEY_NAME = "audit.key"


class AuditKeyError(SecretError):
    """The audit key is missing, unreadable, or not the one the log was written with."""


def default_key_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "access-review" / DEFAULT_KEY_NAME


def key_id(key: bytes) -> str:
    """A short public name for a key (never the key): which key a log was written with."""
    return hmac.new(key, b"access-review audit key id", hashlib.sha256).hexdigest()[:16]


@dataclass(frozen=True)
class AuditKeySource:
    env: str | None = None
    file: Path | None = None

    @classmethod
    def from_settings(cls, section: Mapping[str, Any]) -> "AuditKeySource":
        """From the config's ``[audit]`` table (``key_file`` already resolved against the config)."""
        env, file = section.get("key_env"), section.get("key_file")
        if env and file:
            raise AuditKeyError("[audit]: set key_env or key_file, not both")
        if "key" in section:
            raise AuditKeyError(
                "[audit]: the key must not be written in the config",
                hint='use key_env = "VARIABLE" or key_file = "/path/readable/by/owner"',
            )
        if env:
            return cls(env=str(env))
        return cls(file=Path(str(file)).expanduser() if file else default_key_path())

    def describe(self) -> str:
        return (
            f"environment variable {self.env}"
            if self.env
            else f"key file {self.file or default_key_path()}"
        )

    def load(self, *, create: bool) -> bytes | None:
        """The key; None when its file does not exist and ``create`` is False."""
        if self.env:
            value = os.environ.get(self.env, "")
            if len(value) < MIN_ENV_CHARACTERS:
                raise AuditKeyError(
                    f"the audit key in environment variable {self.env} is "
                    + ("not set" if not value else f"shorter than {MIN_ENV_CHARACTERS} characters"),
                    hint=f"export {self.env}=$(python3 -c 'import secrets; print(secrets.token_hex(32))'),"
                    " and keep the value safe: the log cannot be verified without it",
                )
            return value.encode("utf-8")
        file = self.file or default_key_path()
        if not file.exists():
            if not create:
                return None
            try:
                return _create_key_file(file)
            except FileExistsError:  # another process made it just now: use that one
                pass
        text = check_owner_only(file, "audit key file").read_text(encoding="utf-8").strip()
        try:
            key = bytes.fromhex(text)
        except ValueError:
            key = b""
        if len(key) < KEY_BYTES:
            raise AuditKeyError(
                f"audit key file {file} does not hold a key ({KEY_BYTES * 2} hex digits)",
                hint="restore it from your backup of the key",
            )
        return key


def _create_key_file(path: Path) -> bytes:
    """A new random key in a new owner-only file (in an owner-only folder when we make it)."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    key = secrets.token_bytes(KEY_BYTES)
    # O_EXCL: never overwrite a key that appeared meanwhile; 0600 from the start.
    fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(key.hex() + "\n")
        fh.flush()
        os.fsync(fh.fileno())
    return key
