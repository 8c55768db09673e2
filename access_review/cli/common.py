"""What every command shares: the consoles, the --config option, one place where domain
errors become a clear line and an exit code (``handle_errors``), registering a command
(``command``), and opening the store and the analysis."""
from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console
from rich.markup import escape

from ..audit_key import AuditKeySource
from ..config import Config, load_config  # noqa: F401  (re-exported for command modules)
from ..errors import AccessReviewError
from ..store import Store

# emoji=False: ":x:" in a name is text, not an emoji code.
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)

# C0/C1 controls (but tab and newline) and the invisible format characters that reorder or
# hide text on a terminal (bidi overrides, zero-width): shown as escapes, never obeyed.
_UNSAFE_CHARACTERS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]")


def visible(value: object) -> str:
    """Any value from data for output that takes no markup (plain lines written as they are):
    control characters made visible (``\\x1b``), so a name cannot restyle or rewrite the screen."""
    return _UNSAFE_CHARACTERS.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                                  else f"\\u{ord(m.group()):04x}", str(value))


def safe(value: object) -> str:
    """Any value from data, config or an exception, ready to go into a rich string: markup
    escaped (so ``[link=…]`` or ``[/]`` in a name is shown, never obeyed) and control
    characters made visible (``\\x1b``), so a directory name cannot restyle or rewrite the screen."""
    return escape(visible(value))


ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", help="Config file (default ./access-review.toml or $ACCESS_REVIEW_CONFIG).")]


def handle_errors(func: Callable) -> Callable:
    """Every command goes through here: a domain error is one line (and a hint), never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except AccessReviewError as exc:
            err_console.print(f"[bold red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
            more = getattr(exc, "also", [])
            for other in more[:9]:
                err_console.print(f"  also: {safe(other)}", highlight=False, soft_wrap=True)
            if len(more) > 9:
                err_console.print(f"  ... and {len(more) - 9} more problems", highlight=False)
            candidates = getattr(exc, "candidates", ())   # an argument that matched several things
            for candidate in candidates[:15]:
                err_console.print(f"  - {safe(candidate.label)}", highlight=False, soft_wrap=True)
            if len(candidates) > 15:
                err_console.print(f"  ... and {len(candidates) - 15} more", highlight=False)
            if exc.hint:
                err_console.print(f"  next: {safe(exc.hint)}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code)
    return wrapper


def command(parent: typer.Typer, name: str | None = None):
    """Register ``func`` as a command of ``parent``, behind ``handle_errors``."""
    def register(func: Callable) -> Callable:
        return parent.command(name)(handle_errors(func))
    return register


def open_store(config: Config) -> Store:
    """The config's store, with the audit key the config names (``[audit]``; default: the ISO's own)."""
    return Store(config.store_path, audit_key=AuditKeySource.from_settings(config.section("audit")))


def load_analysis(cfg: Config, store: Store):
    """The analysis of the latest complete snapshots; an error when nothing was synced yet."""
    from ..analysis import analyse

    a = analyse(cfg, store)
    if not a.snapshots:
        raise AccessReviewError("no complete snapshot of any source yet", hint="run `access-review sync`")
    return a
