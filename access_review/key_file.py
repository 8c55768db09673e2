"""A secret key the tool keeps apart from the store: the audit key and the review-link key.

Either key comes from an environment variable (the key itself) or from a file readable only by
its owner, by default in ``$XDG_CONFIG_HOME/access-review/`` (``~/.config/...``): the ISO's own
account, not the store's folder, so that whoever can read or write the store cannot forge with
it. The file holds the key as hex; it is created, random and owner-only, on first use when the
caller allows it.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Literal, Mapping, overload

from .errors import SecretError
from .secrets import check_owner_only

KEY_BYTES = 32
MIN_ENV_CHARACTERS = 32


def default_key_path(name: str) -> Path:
    """Where key file ``name`` lives when the config names none."""
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "access-review" / name


def key_settings(
    section: Mapping[str, Any],
    *,
    table: str,
    name: str,
    what: str,
    error: type[SecretError],
    default: Path,
) -> tuple[str | None, Path | None]:
    """(environment variable, file) for a key from config table ``[table]``: ``{name}_env`` or
    ``{name}_file`` (already resolved against the config), else the ``default`` file. Both at once,
    or the key itself written as ``{name}``, is ``error``: a key in the config would sit beside
    the store it protects."""
    env, file = section.get(f"{name}_env"), section.get(f"{name}_file")
    if env and file:
        raise error(f"[{table}]: set {name}_env or {name}_file, not both")
    if name in section:
        raise error(
            f"[{table}]: the {what} must not be written in the config",
            hint=f'use {name}_env = "VARIABLE" or {name}_file = "/path/readable/by/owner"',
        )
    if env:
        return str(env), None
    return None, Path(str(file)).expanduser() if file else default


def read_env_key(env: str, what: str, *, error: type[SecretError], hint: str) -> bytes:
    """The key held in environment variable ``env``; ``error`` when it is unset or too short.

    ``what`` names the key in messages ("audit key"); ``hint`` says how to set one."""
    value = os.environ.get(env, "")
    if len(value) < MIN_ENV_CHARACTERS:
        raise error(
            f"the {what} in environment variable {env} is "
            + ("not set" if not value else f"shorter than {MIN_ENV_CHARACTERS} characters"),
            hint=hint,
        )
    return value.encode("utf-8")


@overload
def read_key_file(
    path: Path, what: str, *, create: Literal[True], error: type[SecretError], hint: str
) -> bytes: ...
@overload
def read_key_file(
    path: Path, what: str, *, create: bool, error: type[SecretError], hint: str
) -> bytes | None: ...
def read_key_file(
    path: Path, what: str, *, create: bool, error: type[SecretError], hint: str
) -> bytes | None:
    """The key in ``path``, which must be owner-only; None when it does not exist and ``create``
    is False, a new key in a new file when ``create`` is True. ``error`` (with ``hint``: how to
    recover) when the file holds no key."""
    if not path.exists():
        if not create:
            return None
        try:
            return _create_key_file(path)
        except FileExistsError:  # another process made it just now: use that one
            pass
    text = check_owner_only(path, f"{what} file").read_text(encoding="utf-8").strip()
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) < KEY_BYTES:
        raise error(
            f"{what} file {path} does not hold a key ({KEY_BYTES * 2} hex digits)", hint=hint
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
