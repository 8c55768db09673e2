"""`access-review roster import` and `inventory import`: the district's own files into the store.

Every import shows what it changes against what is stored; one that would shrink a register
by surprise shows the same summary and stops until run again with --yes."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Callable, Optional

import typer

from ..errors import AccessReviewError, ConfirmationNeeded
from ..import_changes import ImportChanges, RegisterChange
from ..config import Config
from ..imports import ImportResult, import_inventory, import_roster
from .common import ConfigOption, command, console, err_console, load_config, open_store, safe

SHOWN_PER_LIST = 5

YesOption = Annotated[
    bool,
    typer.Option(
        "--yes",
        "-y",
        help="Go ahead even if the import removes more than the configured share of what is stored, or releases a hold.",
    ),
]
AllowEmptyOption = Annotated[
    bool,
    typer.Option(
        "--allow-empty",
        help="Let a file with a header and no rows replace what is stored with nothing.",
    ),
]
DelimiterOption = Annotated[
    Optional[str],
    typer.Option(
        "--delimiter", help="What separates values in a CSV file: ',' (default), ';', 'tab' or '|'."
    ),
]


def _need(path: Path | None, what: str, key: str) -> Path:
    if path is None:
        raise AccessReviewError(
            f"no {what} file given", hint=f"pass FILE, or set {key} in the config"
        )
    return path


def _listed(title: str, items: tuple[str, ...]) -> str | None:
    if not items:
        return None
    shown = ", ".join(safe(item) for item in items[:SHOWN_PER_LIST])
    more = f", and {len(items) - SHOWN_PER_LIST:,} more" if len(items) > SHOWN_PER_LIST else ""
    return f"    {title}: {shown}{more}"


def _register_lines(change: RegisterChange) -> list[str]:
    parts = [f"+{len(change.added):,} added", f"-{len(change.removed):,} removed"]
    if change.changed:
        parts.append(f"{len(change.changed):,} changed")
    if change.released:
        parts.append(f"[bold red]{len(change.released):,} released[/]")
    head = f"  {change.what}: {change.stored:,} → {change.new:,}" + (
        "  (no change)" if change.unchanged else f"  ({', '.join(parts)})"
    )
    lines = [head]
    if change.note:
        lines.append(f"    [yellow]{safe(change.note)}[/]")
    for title, items in (
        ("released", change.released),
        ("removed", change.removed),
        ("added", change.added),
        ("changed", change.changed),
    ):
        if (line := _listed(title, items)) is not None:
            lines.append(line)
    return lines


def show_changes(changes: ImportChanges, *, to_stderr: bool = False) -> None:
    """What the import changes against what is stored, register by register."""
    out = err_console if to_stderr else console
    out.print(f"Changes against {safe(changes.against)}:", highlight=False)
    if changes.unreadable:
        out.print(
            f"  [yellow]it cannot be read back ({safe(changes.unreadable)}); the changes are "
            "shown against nothing[/]",
            highlight=False,
            soft_wrap=True,
        )
    for change in changes.registers:
        for line in _register_lines(change):
            out.print(line, highlight=False, soft_wrap=True)


def _summary_before_refusal(run: Callable[[], ImportResult]) -> ImportResult:
    """Run an import; when it needs --yes, show its summary before the error line."""
    try:
        return run()
    except ConfirmationNeeded as exc:
        if isinstance(
            exc.changes, ImportChanges
        ):  # (errors.py cannot name the type: it comes first)
            show_changes(exc.changes, to_stderr=True)
        raise


def register(roster_app: typer.Typer, inventory_app: typer.Typer) -> None:

    @command(roster_app, "import")
    def roster_import(
        file: Annotated[
            Optional[Path], typer.Argument(help="CSV or XLSX from HR (default: [roster] path).")
        ] = None,
        sheet: Annotated[
            Optional[str], typer.Option(help="The workbook's sheet to read (default: the first).")
        ] = None,
        delimiter: DelimiterOption = None,
        yes: YesOption = False,
        allow_empty: AllowEmptyOption = False,
        config: ConfigOption = None,
    ) -> None:
        """Import the staff roster. On any error nothing is stored."""
        cfg = load_config(config)
        file = file or _need(cfg.roster_path, "roster", "[roster] path")
        with open_store(cfg, create=True) as store:
            result = _summary_before_refusal(
                lambda: import_roster(
                    cfg,
                    store,
                    file,
                    sheet=sheet,
                    delimiter=delimiter,
                    confirm=yes,
                    allow_empty=allow_empty,
                )
            )
        show_changes(result.changes)
        console.print(f"Imported {result.count:,} people from {safe(file)}.", highlight=False)
        for w in result.warnings:
            console.print(f"[yellow]warning:[/] {safe(w)}", highlight=False, soft_wrap=True)
        _refresh(cfg)

    @command(inventory_app, "import")
    def inventory_import(
        file: Annotated[
            Optional[Path], typer.Argument(help="CSV or XLSX (default: [inventory] path).")
        ] = None,
        apps: Annotated[Optional[Path], typer.Option(help="App approval register.")] = None,
        holds: Annotated[Optional[Path], typer.Option(help="Litigation-hold register.")] = None,
        delimiter: DelimiterOption = None,
        yes: YesOption = False,
        allow_empty: AllowEmptyOption = False,
        config: ConfigOption = None,
    ) -> None:
        """Import the data inventory (and the app and hold registers). On any error nothing is stored."""
        cfg = load_config(config)
        file = file or _need(cfg.inventory_path, "inventory", "[inventory] path")
        with open_store(cfg, create=True) as store:
            result = _summary_before_refusal(
                lambda: import_inventory(
                    cfg,
                    store,
                    file,
                    apps or cfg.apps_path,
                    holds or cfg.holds_path,
                    delimiter=delimiter,
                    confirm=yes,
                    allow_empty=allow_empty,
                )
            )
        show_changes(result.changes)
        console.print(f"Imported {result.count:,} resources from {safe(file)}.", highlight=False)
        for w in result.warnings:
            console.print(f"[yellow]warning:[/] {safe(w)}", highlight=False)
        _refresh(cfg)


def _refresh(cfg: Config) -> None:
    """The analysis rests on the roster and the inventory: rebuild it now, when something is synced."""
    from .refresh import refresh_after_change

    with open_store(cfg) as store:
        if store.sources():
            refresh_after_change(cfg, store)
