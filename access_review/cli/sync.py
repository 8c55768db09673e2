"""`access-review sync` and `status`: read the directories with progress bars, and show the
runs and imports in use."""
from __future__ import annotations

from typing import Annotated, Optional, Sequence

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..config import Config
from ..connector import Progress as ProgressCallback
from ..store import SyncRun
from ..sync import SourceResult, run_sync
from .common import ConfigOption, command, console, err_console, load_config, open_store, safe
from .connectors import connector_factory


def register(app: typer.Typer) -> None:

    @command(app, "sync")
    def sync(source: Annotated[Optional[list[str]], typer.Option("--source", "-s", help="Only these sources.")] = None,
             full: Annotated[bool, typer.Option(help="Read everything, ignoring incremental cursors.")] = False,
             config: ConfigOption = None):
        """Read the configured directories (concurrently) and store a snapshot of each."""
        cfg = load_config(config)
        results = sync_with_progress(cfg, source, full)
        if any(r.ok for r in results):
            from .refresh import refresh_after_change

            with open_store(cfg) as store:
                refresh_after_change(cfg, store)
        failed = [r for r in results if not r.ok]
        if failed:
            raise typer.Exit(5)

    @command(app, "status")
    def status(config: ConfigOption = None):
        """Recent sync runs, the roster and inventory in use."""
        cfg = load_config(config)
        with open_store(cfg) as store:
            table = Table(header_style="bold")
            for col in ("run", "source", "status", "mode", "started", "accounts", "error"):
                table.add_column(col)
            for r in store.sync_runs(limit=20):
                table.add_row(str(r.id), safe(r.source), safe(r.status), safe(r.mode),
                              r.started_at.strftime("%Y-%m-%d %H:%M"),
                              f"{r.counts.get('accounts', '')}", safe((r.error or "")[:80]))
            console.print(table)
            roster = store.latest_roster_import()
            inventory = store.latest_inventory_files()
            console.print(f"roster: {safe(roster[2]) + ' imported ' + roster[1].strftime('%Y-%m-%d') if roster else 'not imported'}",
                          highlight=False)
            console.print(f"inventory: {'version ' + str(inventory[0]) if inventory else 'not imported'}")


def _show_interrupted(runs: Sequence[SyncRun]) -> None:
    for run in runs:
        err_console.print(f"[yellow]note:[/] run {run.id} ({safe(run.source)}, started "
                          f"{run.started_at:%Y-%m-%d %H:%M} UTC) never finished; marked interrupted",
                          highlight=False, soft_wrap=True)


def sync_with_progress(cfg: Config, source: Sequence[str] | None, full: bool) -> list[SourceResult]:
    """Sync with a progress bar per source (on a terminal), then a table of what was read."""
    with open_store(cfg) as store:
        with Progress(TextColumn("{task.fields[source]:<10}"), TextColumn("{task.description}"),
                      BarColumn(), TextColumn("{task.completed:,.0f}"), TimeElapsedColumn(),
                      console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
            tasks: dict[str, int] = {}

            def factory(name: str) -> ProgressCallback:
                tasks[name] = bar.add_task("starting", total=None, source=safe(name))

                def report(stage: str, done: int, total: int | None) -> None:
                    bar.update(tasks[name], description=safe(stage), completed=done, total=total)
                return report

            results = run_sync(cfg, store, connector_factory(cfg, cache=False), source, full=full,
                               progress_factory=factory, on_interrupted=_show_interrupted)
    table = Table(header_style="bold")
    for col in ("source", "result", "mode", "accounts", "groups", "memberships", "grants", "seconds"):
        table.add_column(col, justify="right" if col not in ("source", "result", "mode") else "left")
    for r in results:
        c = r.counts
        table.add_row(safe(r.source), "[green]complete[/]" if r.ok else "[red]failed[/]", safe(r.mode),
                      f"{c.get('accounts', 0):,}", f"{c.get('groups', 0):,}", f"{c.get('memberships', 0):,}",
                      f"{c.get('grants', 0):,}", f"{r.seconds:.1f}")
    console.print(table)
    for r in results:
        for w in r.warnings:
            console.print(f"[yellow]warning:[/] {safe(r.source)}: {safe(w)}", highlight=False)
        if not r.ok:
            err_console.print(f"[bold red]error:[/] {safe(r.error)}", highlight=False, soft_wrap=True)
            err_console.print("  the previous complete snapshot of this source stays in use"
                              + (f"; next: {safe(r.hint)}" if r.hint else ""), highlight=False)
    return results
