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
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from .errors import SecretError
from .key_file import default_key_path as _key_path
from .key_file import key_settings, read_env_key, read_key_file

DEFAULT_KEY_NAME = "audit.key"


class AuditKeyError(SecretError):
    """The audit key is missing, unreadable, or not the one the log was written with."""


def default_key_path() -> Path:
    return _key_path(DEFAULT_KEY_NAME)


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
        env, file = key_settings(
            section,
            table="audit",
            name="key",
            what="key",
            error=AuditKeyError,
            default=default_key_path(),
        )
        return cls(env=env, file=file)

    def describe(self) -> str:
        return (
            f"environment variable {self.env}"
            if self.env
            else f"key file {self.file or default_key_path()}"
        )

    def load(self, *, create: bool) -> bytes | None:
        """The key; None when its file does not exist and ``create`` is False."""
        if self.env:
            return read_env_key(
                self.env,
                "audit key",
                error=AuditKeyError,
                hint=f"export {self.env}=$(python3 -c 'import secrets; print(secrets.token_hex(32))'),"
                " and keep the value safe: the log cannot be verified without it",
            )
        return read_key_file(
            self.file or default_key_path(),
            "audit key",
            create=create,
            error=AuditKeyError,
            hint="restore it from your backup of the key",
        )
