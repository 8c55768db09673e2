"""`access-review sync` and `status`: read the directories with progress bars, and show the
runs and imports in use."""

from __future__ import annotations

from typing import Annotated, Any, Optional, Sequence

import typer
from rich.progress import BarColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from ..config import Config
from ..connector import Progress as ProgressCallback
from ..store import SyncRun
from ..sync import SourceResult, run_sync, select_sources
from . import logs
from .common import ConfigOption, command, console, err_console, load_config, open_store, safe
from .connectors import connector_factory
from .output import FormatOption, OutputFormat, iso, write_csv, write_json


def register(app: typer.Typer) -> None:

    @command(app, "sync")
    def sync(
        source: Annotated[
            Optional[list[str]], typer.Option("--source", "-s", help="Only these sources.")
        ] = None,
        full: Annotated[
            bool, typer.Option(help="Read everything, ignoring incremental cursors.")
        ] = False,
        config: ConfigOption = None,
    ) -> None:
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
    def status(
        config: ConfigOption = None,
        format: FormatOption = OutputFormat.table,
        last: Annotated[
            int, typer.Option("--last", min=1, help="How many of the latest sync runs.")
        ] = 20,
    ) -> None:
        """Recent sync runs, the roster and inventory in use."""
        cfg = load_config(config)
        with open_store(cfg) as store:
            runs = [_run_row(r) for r in store.sync_runs(limit=last)]
            roster = store.latest_roster_import()
            inventory = store.latest_inventory_files()
        roster_row = (
            {"import": roster[0], "imported": iso(roster[1]), "file": roster[2]} if roster else None
        )
        inventory_row = (
            {"version": inventory[0], "imported": iso(inventory[1])} if inventory else None
        )
        if format is OutputFormat.json:
            write_json({"runs": runs, "roster": roster_row, "inventory": inventory_row})
            return
        if format is OutputFormat.csv:
            write_csv(RUN_FIELDS, runs)
            return
        table = Table(header_style="bold")
        for col in ("run", "source", "state", "mode", "started", "accounts", "error"):
            table.add_column(col)
        for r in runs:
            table.add_row(
                str(r["run"]),
                safe(r["source"]),
                safe(r["state"]),
                safe(r["mode"]),
                r["started"][:16].replace("T", " "),
                f"{r['accounts'] if r['accounts'] is not None else ''}",
                safe((r["error"] or "")[:80]),
            )
        console.print(table)
        console.print(
            f"roster: {safe(roster[2]) + ' imported ' + roster[1].strftime('%Y-%m-%d') if roster else 'not imported'}",
            highlight=False,
        )
        console.print(
            f"inventory: {'version ' + str(inventory[0]) if inventory else 'not imported'}"
        )


# The fields of a sync run in `status --format csv|json` (docs/output.md).
RUN_FIELDS = (
    "run",
    "source",
    "state",
    "mode",
    "started",
    "finished",
    "accounts",
    "groups",
    "memberships",
    "grants",
    "error",
    "warnings",
)


def _run_row(r: SyncRun) -> dict[str, Any]:
    return {
        "run": r.id,
        "source": r.source,
        "state": r.status,
        "mode": r.mode,
        "started": iso(r.started_at),
        "finished": iso(r.finished_at),
        "accounts": r.counts.get("accounts"),
        "groups": r.counts.get("groups"),
        "memberships": r.counts.get("memberships"),
        "grants": r.counts.get("grants"),
        "error": r.error or None,
        "warnings": list(r.warnings),
    }


def _show_interrupted(runs: Sequence[SyncRun]) -> None:
    for run in runs:
        err_console.print(
            f"[yellow]note:[/] run {run.id} ({safe(run.source)}, started "
            f"{run.started_at:%Y-%m-%d %H:%M} UTC) never finished; marked interrupted",
            highlight=False,
            soft_wrap=True,
        )


def sync_with_progress(cfg: Config, source: Sequence[str] | None, full: bool) -> list[SourceResult]:
    """Sync with a progress bar per source (on a terminal), then a table of what was read."""
    select_sources(cfg, source)  # a config with no sources (or an unknown one) creates nothing
    with open_store(cfg, create=True) as store:
        with Progress(
            TextColumn("{task.fields[source]:<10}"),
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed:,.0f}"),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
            disable=logs.is_quiet() or not err_console.is_terminal,
        ) as bar:
            tasks: dict[str, TaskID] = {}

            def factory(name: str) -> ProgressCallback:
                tasks[name] = bar.add_task("starting", total=None, source=safe(name))

                def report(stage: str, done: int, total: int | None) -> None:
                    bar.update(tasks[name], description=safe(stage), completed=done, total=total)

                return report

            results = run_sync(
                cfg,
                store,
                connector_factory(cfg, cache=False),
                source,
                full=full,
                progress_factory=factory,
                on_interrupted=_show_interrupted,
            )
    table = Table(header_style="bold")
    for col in (
        "source",
        "result",
        "mode",
        "accounts",
        "groups",
        "memberships",
        "grants",
        "seconds",
    ):
        table.add_column(
            col, justify="right" if col not in ("source", "result", "mode") else "left"
        )
    for r in results:
        c = r.counts
        table.add_row(
            safe(r.source),
            "[green]complete[/]" if r.ok else "[red]failed[/]",
            safe(r.mode),
            f"{c.get('accounts', 0):,}",
            f"{c.get('groups', 0):,}",
            f"{c.get('memberships', 0):,}",
            f"{c.get('grants', 0):,}",
            f"{r.seconds:.1f}",
        )
    console.print(table)
    for r in results:
        for w in r.warnings:
            console.print(f"[yellow]warning:[/] {safe(r.source)}: {safe(w)}", highlight=False)
        if not r.ok:
            err_console.print(
                f"[bold red]error:[/] {safe(r.error)}", highlight=False, soft_wrap=True
            )
            err_console.print(
                "  the previous complete snapshot of this source stays in use"
                + (f"; next: {safe(r.hint)}" if r.hint else ""),
                highlight=False,
            )
    return results
