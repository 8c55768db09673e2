"""What every command shares: the consoles, the --config option, one place where domain
errors become a clear line and an exit code (``handle_errors``), registering a command
(``command``), and opening the store and the analysis."""

from __future__ import annotations

import functools
import logging
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Optional, ParamSpec, TypeVar

import click
import typer
from rich.console import Console
from rich.markup import escape

from .. import config as config_module
from ..audit_key import AuditKeySource
from ..config import Config
from ..errors import AccessReviewError, StoreError
from ..store import Store
from . import logs
from .help_style import ReadableCommand, ReadableGroup

if TYPE_CHECKING:
    from ..analysis import Analysis

P = ParamSpec("P")
R = TypeVar("R")

log = logging.getLogger("access_review.cli")

# emoji=False: ":x:" in a name is text, not an emoji code.
console = Console(emoji=False)
err_console = Console(stderr=True, emoji=False)

# C0/C1 controls (but tab and newline) and the invisible format characters that reorder or
# hide text on a terminal (bidi overrides, zero-width): shown as escapes, never obeyed.
_UNSAFE_CHARACTERS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]"
)


def visible(value: object) -> str:
    """Any value from data for output that takes no markup (plain lines written as they are):
    control characters made visible (``\\x1b``), so a name cannot restyle or rewrite the screen."""
    return _UNSAFE_CHARACTERS.sub(
        lambda m: (
            f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}"
        ),
        str(value),
    )


def safe(value: object) -> str:
    """Any value from data, config or an exception, ready to go into a rich string: markup
    escaped (so ``[link=…]`` or ``[/]`` in a name is shown, never obeyed) and control
    characters made visible (``\\x1b``), so a directory name cannot restyle or rewrite the screen."""
    return escape(visible(value))


ConfigOption = Annotated[
    Optional[Path],
    typer.Option(
        "--config",
        "-c",
        help="Config file (default ./access-review.toml or $ACCESS_REVIEW_CONFIG).",
    ),
]


def with_source(source: str, text: str) -> str:
    """``entra: GET /v1.0/users: ...`` with the source named once: a directory's error already
    starts with it, and "entra: entra:" reads like a stutter."""
    return (
        text
        if text.startswith(f"{source}:") or text.startswith(f"source {source!r}")
        else f"{source}: {text}"
    )


def without_source(source: str, text: str) -> str:
    """``text`` without a leading ``source:`` (where the source is named beside it already)."""
    return text[len(source) + 1 :].lstrip() if text.startswith(f"{source}:") else text


def _command_path() -> str:
    """``campaign status``: the command as typed (without the program's name)."""
    try:  # typer 0.29 carries its own copy of click, with its own context stack
        from typer._click.globals import get_current_context
    except ImportError:  # an earlier typer: click's
        old = click.get_current_context(silent=True)
        path = old.command_path if old is not None else ""
    else:
        ctx = get_current_context(silent=True)
        path = ctx.command_path if ctx is not None else ""
    return " ".join(path.split()[1:])


def handle_errors(func: Callable[P, R]) -> Callable[P, R]:
    """Every command goes through here: a domain error is one line (and a hint), never a
    traceback; the command, its outcome and its exit code are logged (``logs``)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        name = _command_path() or func.__name__
        logs.STATE.command = name
        shown = " ".join(
            f"{k}={v if isinstance(v, (int, float, Path)) else v!r}"
            for k, v in kwargs.items()
            if v not in (None, False, [], ())
        )
        log.info("command %s%s", name, f" {shown}" if shown else "", extra={"event": "command"})
        started, code = time.monotonic(), 0
        try:
            return func(*args, **kwargs)
        except AccessReviewError as exc:
            code = exc.exit_code
            log.error(
                "%s: %s%s",
                name,
                exc,
                f" (next: {exc.hint})" if exc.hint else "",
                extra={"event": "error", "error_type": type(exc).__name__, "exit_code": code},
            )
            err_console.print(f"[bold red]error:[/] {safe(exc)}", highlight=False, soft_wrap=True)
            more = getattr(exc, "also", [])
            for other in more[:9]:
                err_console.print(f"  also: {safe(other)}", highlight=False, soft_wrap=True)
            if len(more) > 9:
                err_console.print(f"  ... and {len(more) - 9} more problems", highlight=False)
            candidates = getattr(exc, "candidates", ())  # an argument that matched several things
            for candidate in candidates[:15]:
                err_console.print(f"  - {safe(candidate.label)}", highlight=False, soft_wrap=True)
            if len(candidates) > 15:
                err_console.print(f"  ... and {len(candidates) - 15} more", highlight=False)
            if exc.hint:
                err_console.print(f"  next: {safe(exc.hint)}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code)
        except (typer.Exit, click.exceptions.Exit) as exc:
            code = exc.exit_code
            raise
        except Exception:
            code = 1
            log.exception("%s: unexpected error", name, extra={"event": "error", "exit_code": 1})
            raise
        finally:
            log.log(
                logging.INFO if code == 0 else logging.WARNING,
                "command %s ended with exit code %d in %.1f s",
                name,
                code,
                time.monotonic() - started,
                extra={
                    "event": "command.end",
                    "exit_code": code,
                    "seconds": round(time.monotonic() - started, 3),
                },
            )
            if code != 0:
                config = kwargs.get("config")  # the --config option, when the command has one
                logs.attach_if_possible(config if isinstance(config, (str, Path)) else None)
            logs.finish()

    return wrapper


def command(
    parent: typer.Typer, name: str | None = None
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Register ``func`` as a command of ``parent``, behind ``handle_errors``, with help that
    reads like typer's classic help (``help_style``)."""

    def register(func: Callable[P, R]) -> Callable[P, R]:
        return parent.command(name, cls=ReadableCommand)(handle_errors(func))

    return register


def command_group(help: str, **settings: Any) -> typer.Typer:
    """A group of commands (``campaign``, ``audit``, ...) whose help reads like every other."""
    return typer.Typer(help=help, cls=ReadableGroup, no_args_is_help=True, **settings)


def load_config(path: str | Path | None = None) -> Config:
    """The config (``--config``, ``$ACCESS_REVIEW_CONFIG`` or ./access-review.toml); from here
    on the command logs to the file and syslog it names (``logs``)."""
    cfg = config_module.load_config(path)
    logs.attach(cfg)
    return cfg


def open_store(config: Config, *, create: bool = False) -> Store:
    """The config's store, with the audit key the config names (``[audit]``; default: the ISO's
    own). Only commands with something to store (imports, sync, the demo) pass ``create``; any
    other finds no store an error, and creates nothing."""
    if not create and not config.store_path.exists():
        raise StoreError(
            f"no store yet at {config.store_path}: nothing was imported or synced with this config",
            hint="import the roster and the inventory, then run `access-review sync`",
        )
    store = Store(
        config.store_path,
        audit_key=AuditKeySource.from_settings(config.section("audit")),
        actor=operator(config),
    )
    logs.open_file()
    return store


def operator(config: Config) -> str:
    """Who the audit log records for this command: the operating-system user, and the ISO the
    config names (the terminal's user is often root or a service account)."""
    from ..audit import current_actor

    user = current_actor()
    return f"{user} (ISO: {config.iso.name})" if config.iso.name else user


def load_analysis(cfg: Config, store: Store) -> Analysis:
    """The analysis of the latest complete snapshots; an error when nothing was synced yet."""
    from ..analysis import analyse

    a = analyse(cfg, store)
    if not a.snapshots:
        raise AccessReviewError(
            "no complete snapshot of any source yet", hint="run `access-review sync`"
        )
    return a
