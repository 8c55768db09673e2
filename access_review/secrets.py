"""Secrets come from the environment or from a file only its owner can read. Never argv."""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any, Mapping

from .errors import SecretError


def check_owner_only(path: str | Path, what: str = "secret file") -> Path:
    """Refuse a file that group or others can read or write (like ssh does for keys)."""
    p = Path(path).expanduser()
    try:
        st = p.stat()
    except FileNotFoundError:
        raise SecretError(f"{what} {p} does not exist") from None
    if st.st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise SecretError(
            f"{what} {p} is readable by others (mode {stat.S_IMODE(st.st_mode):o})",
            hint=f"run: chmod 600 {p}",
        )
    return p


def read_secret(settings: Mapping[str, Any], name: str, *, source: str = "") -> str:
    """Read secret ``name`` from ``settings``: ``<name>_env`` names an environment variable,
    ``<name>_file`` a file readable only by its owner. A literal ``<name>`` is refused so
    that secrets never sit in a config file that is shared or committed."""
    where = f"source {source!r}: " if source else ""
    if name in settings:
        raise SecretError(
            f"{where}{name} must not be written in the config",
            hint=f'use {name}_env = "VARIABLE" or {name}_file = "/path/readable/by/owner"',
        )
    env = settings.get(f"{name}_env")
    if env:
        value = os.environ.get(env)
        if not value:
            raise SecretError(
                f"{where}environment variable {env} (for {name}) is not set",
                hint=f"export {env}=... in the shell that runs access-review",
            )
        return value
    file = settings.get(f"{name}_file")
    if file:
        return check_owner_only(file, f"{name} file").read_text(encoding="utf-8").strip()
    raise SecretError(
        f"{where}no {name} configured", hint=f"set {name}_env or {name}_file in the config"
    )
