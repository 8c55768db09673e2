"""What every command shares: the consoles, the --config option, one place where domain
errors become a clear line and an exit code, and opening the store and the analysis."""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console

from .config import Config, load_config  # noqa: F401  (re-exported for command modules)
from .errors import AccessReviewError
from .store import Store

console = Console()
err_console = Console(stderr=True)

ConfigOption = Annotated[Optional[Path], typer.Option("--config", "-c", help="Config file (default ./access-review.toml or $ACCESS_REVIEW_CONFIG).")]


def handle_errors(func: Callable) -> Callable:
    """Every command goes through here: a domain error is one line (and a hint), never a traceback."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except AccessReviewError as exc:
            err_console.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
            more = getattr(exc, "also", [])
            for other in more[:9]:
                err_console.print(f"  also: {other}", highlight=False, soft_wrap=True)
            if len(more) > 9:
                err_console.print(f"  ... and {len(more) - 9} more problems", highlight=False)
            if exc.hint:
                err_console.print(f"  next: {exc.hint}", highlight=False, soft_wrap=True)
            raise typer.Exit(exc.exit_code)
    return wrapper


def command(parent: typer.Typer, name: str | None = None):
    """Register ``func`` as a command of ``parent``, behind ``handle_errors``."""
    def register(func: Callable) -> Callable:
        return parent.command(name)(handle_errors(func))
    return register


def open_store(config: Config) -> Store:
    return Store(config.store_path)


def load_analysis(cfg: Config, store: Store):
    """The analysis of the latest complete snapshots; an error when nothing was synced yet."""
    from .analysis import analyse

    a = analyse(cfg, store)
    if not a.snapshots:
        raise AccessReviewError("no complete snapshot of any source yet", hint="run `access-review sync`")
    return a
