"""The `access-review` command. Thin typer commands; domain errors become one clear line and
an exit code in one place (``handle_errors``)."""
from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.table import Table

from . import audit, cli_queries
from .cli_common import (ConfigOption, console, err_console, handle_errors, load_config,  # noqa: F401
                         open_store)
from .cli_common import command as common_command
from .config import STARTER_CONFIG, Config
from .errors import AccessReviewError
from .imports import import_inventory, import_roster

app = typer.Typer(help="Who can reach your district's confidential and critical data — and should they?",
                  context_settings={"help_option_names": ["-h", "--help"]},
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
roster_app = typer.Typer(help="Import the staff roster.", no_args_is_help=True)
inventory_app = typer.Typer(help="Import and check the data inventory.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(roster_app, name="roster")
app.add_typer(inventory_app, name="inventory")
app.add_typer(audit_app, name="audit")


def command(parent: typer.Typer = app, name: str | None = None):
    """A command of the main app (or of ``parent``), behind the shared error handling."""
    return common_command(parent, name)


# -- set-up -----------------------------------------------------------------------------
@command()
def init(path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path("access-review.toml")):
    """Write a commented starter config."""
    if path.exists():
        raise AccessReviewError(f"{path} already exists; not overwriting it")
    path.write_text(STARTER_CONFIG, encoding="utf-8")
    console.print(f"Wrote {path}. Next: fill in [sources.*], then run `access-review doctor`.")


@command()
def doctor(config: ConfigOption = None,
           source: Annotated[Optional[list[str]], typer.Option("--source", "-s", help="Only this source.")] = None):
    """Check the config, the files it names and each source's connectivity and permissions."""
    from connectors.registry import build_connector
    from .sync import select_sources

    cfg = load_config(config)
    failures = 0

    def show(ok: bool, name: str, detail: str = "", fix: str = "") -> None:
        nonlocal failures
        failures += 0 if ok else 1
        mark = "[green]ok  [/]" if ok else "[red]FAIL[/]"
        console.print(f"{mark} {name}" + (f" — {detail}" if detail else ""), highlight=False)
        if fix and not ok:
            console.print(f"       fix: {fix}", highlight=False)

    show(True, "config", str(cfg.path))
    for label, p in (("roster", cfg.roster_path), ("inventory", cfg.inventory_path),
                     ("apps register", cfg.apps_path), ("hold register", cfg.holds_path)):
        if p is not None:
            show(p.exists(), f"{label} file", str(p), "check the path in the config")
    try:
        with open_store(cfg) as store:
            show(True, "store", f"{cfg.store_path} (schema {store.schema_version})")
    except AccessReviewError as exc:
        show(False, "store", str(exc), exc.hint or "")
    for name in select_sources(cfg, source):
        try:
            connector = build_connector(name, cfg.sources[name], base_dir=str(cfg.base_dir))
            for check in connector.doctor():
                label = check.name if check.name.startswith(f"{name}:") else f"{name}: {check.name}"
                show(check.ok, label, check.detail, check.fix)
        except AccessReviewError as exc:
            show(False, f"{name}", str(exc), exc.hint or "")
    if failures:
        raise typer.Exit(1)


# -- imports ----------------------------------------------------------------------------
def _need(path: Path | None, what: str, key: str) -> Path:
    if path is None:
        raise AccessReviewError(f"no {what} file given", hint=f"pass FILE, or set {key} in the config")
    return path


@command(roster_app, "import")
def roster_import(file: Annotated[Optional[Path], typer.Argument(help="CSV or XLSX from HR (default: [roster] path).")] = None,
                  config: ConfigOption = None):
    """Import the staff roster. On any error nothing is stored."""
    cfg = load_config(config)
    file = file or _need(cfg.roster_path, "roster", "[roster] path")
    with open_store(cfg) as store:
        n = import_roster(cfg, store, file)
    console.print(f"Imported {n} people from {file}.")


@command(inventory_app, "import")
def inventory_import(file: Annotated[Optional[Path], typer.Argument(help="CSV or XLSX (default: [inventory] path).")] = None,
                     apps: Annotated[Optional[Path], typer.Option(help="App approval register.")] = None,
                     holds: Annotated[Optional[Path], typer.Option(help="Litigation-hold register.")] = None,
                     config: ConfigOption = None):
    """Import the data inventory (and the app and hold registers). On any error nothing is stored."""
    cfg = load_config(config)
    file = file or _need(cfg.inventory_path, "inventory", "[inventory] path")
    with open_store(cfg) as store:
        n, warnings = import_inventory(cfg, store, file, apps or cfg.apps_path, holds or cfg.holds_path)
    console.print(f"Imported {n} resources from {file}.")
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)


# -- sync -------------------------------------------------------------------------------
@command()
def sync(source: Annotated[Optional[list[str]], typer.Option("--source", "-s", help="Only these sources.")] = None,
         full: Annotated[bool, typer.Option(help="Read everything, ignoring incremental cursors.")] = False,
         config: ConfigOption = None):
    """Read the configured directories (concurrently) and store a snapshot of each."""

    cfg = load_config(config)
    results = sync_with_progress(cfg, source, full)
    failed = [r for r in results if not r.ok]
    if failed:
        raise typer.Exit(5)


def sync_with_progress(cfg: Config, source, full: bool):
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from .sync import run_sync

    with open_store(cfg) as store:
        with Progress(TextColumn("{task.fields[source]:<10}"), TextColumn("{task.description}"),
                      BarColumn(), TextColumn("{task.completed:,.0f}"), TimeElapsedColumn(),
                      console=err_console, transient=True, disable=not err_console.is_terminal) as bar:
            tasks: dict[str, int] = {}

            def factory(name: str):
                tasks[name] = bar.add_task("starting", total=None, source=name)

                def report(stage: str, done: int, total: int | None) -> None:
                    bar.update(tasks[name], description=stage, completed=done, total=total)
                return report

            results = run_sync(cfg, store, source, full=full, progress_factory=factory)
    table = Table(header_style="bold")
    for col in ("source", "result", "mode", "accounts", "groups", "memberships", "grants", "seconds"):
        table.add_column(col, justify="right" if col not in ("source", "result", "mode") else "left")
    for r in results:
        c = r.counts
        table.add_row(r.source, "[green]complete[/]" if r.ok else "[red]failed[/]", r.mode,
                      f"{c.get('accounts', 0):,}", f"{c.get('groups', 0):,}", f"{c.get('memberships', 0):,}",
                      f"{c.get('grants', 0):,}", f"{r.seconds:.1f}")
    console.print(table)
    for r in results:
        for w in r.warnings:
            console.print(f"[yellow]warning:[/] {r.source}: {w}", highlight=False)
        if not r.ok:
            err_console.print(f"[bold red]error:[/] {r.error}", highlight=False, soft_wrap=True)
            err_console.print("  the previous complete snapshot of this source stays in use"
                              + (f"; next: {r.hint}" if r.hint else ""), highlight=False)
    return results


@command()
def status(config: ConfigOption = None):
    """Recent sync runs, the roster and inventory in use."""
    cfg = load_config(config)
    with open_store(cfg) as store:
        table = Table(header_style="bold")
        for col in ("run", "source", "status", "mode", "started", "accounts", "error"):
            table.add_column(col)
        for r in store.sync_runs(limit=20):
            table.add_row(str(r.id), r.source, r.status, r.mode, r.started_at.strftime("%Y-%m-%d %H:%M"),
                          f"{r.counts.get('accounts', '')}", (r.error or "")[:80])
        console.print(table)
        roster = store.latest_roster_import()
        inventory = store.latest_inventory_files()
        console.print(f"roster: {roster[2] + ' imported ' + roster[1].strftime('%Y-%m-%d') if roster else 'not imported'}")
        console.print(f"inventory: {'version ' + str(inventory[0]) if inventory else 'not imported'}")


# -- questions (access_review/cli_queries.py) ---------------------------------------------
for _name, _func in (("findings", cli_queries.findings), ("why", cli_queries.why),
                     ("access", cli_queries.access), ("who", cli_queries.who),
                     ("accounts", cli_queries.accounts)):
    command(app, _name)(_func)
command(inventory_app, "check")(cli_queries.inventory_check)


# -- audit ------------------------------------------------------------------------------
@command(audit_app, "verify")
def audit_verify(config: ConfigOption = None):
    """Check the audit log's hash chain; report the first altered or missing entry."""
    cfg = load_config(config)
    with open_store(cfg) as store:
        result = audit.verify(store)
    if result.ok:
        console.print(f"audit log intact: {result.entries} entries, hash chain verified.")
        return
    err_console.print(f"[bold red]audit log TAMPERED:[/] {result.problem}", highlight=False)
    raise typer.Exit(7)


@command(audit_app, "show")
def audit_show(config: ConfigOption = None,
               last: Annotated[int, typer.Option(help="How many of the latest entries.")] = 20):
    """The latest audit-log entries."""
    cfg = load_config(config)
    with open_store(cfg) as store:
        rows = audit.entries(store)[-last:]
    table = Table(header_style="bold")
    for col in ("#", "when", "who", "what", "details"):
        table.add_column(col, overflow="fold")
    for e in rows:
        table.add_row(str(e.seq), e.at[:19], e.actor, e.action, json.dumps(e.details, ensure_ascii=False)[:200])
    console.print(table)


# -- demo -------------------------------------------------------------------------------
@command()
def demo(out: Annotated[Optional[Path], typer.Option(help="Keep the demo district here (default: a temporary folder).")] = None,
         size: Annotated[str, typer.Option(help="small, district or state.")] = "small",
         seed: Annotated[int, typer.Option(help="Generator seed.")] = 2026):
    """Run the whole pipeline on a generated district: no credentials, no network."""
    from .demo_run import run_demo

    run_demo(console, out=out, size=size, seed=seed)


def _register_plugins() -> None:
    """Command groups that live in their own packages (campaigns, suspension, exports)."""
    import importlib

    for module_name, attr in (("campaigns.cli", "register"), ("access_review.suspension_cli", "register"),
                              ("exports.cli", "register")):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        getattr(module, attr)(app, command)


_register_plugins()


def main() -> None:
    app()


if __name__ == "__main__":
    main()
