"""The `access-review` command. Thin typer commands; domain errors become one clear line and
an exit code in one place (``handle_errors``)."""
from __future__ import annotations

import functools
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Annotated, Callable, Optional

import typer
from rich.console import Console
from rich.table import Table

from . import audit
from .config import STARTER_CONFIG, Config, load_config
from .errors import AccessReviewError
from .imports import import_inventory, import_roster
from .store import Store

app = typer.Typer(help="Who can reach your district's confidential and critical data — and should they?",
                  context_settings={"help_option_names": ["-h", "--help"]},
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)
roster_app = typer.Typer(help="Import the staff roster.", no_args_is_help=True)
inventory_app = typer.Typer(help="Import and check the data inventory.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
app.add_typer(roster_app, name="roster")
app.add_typer(inventory_app, name="inventory")
app.add_typer(audit_app, name="audit")

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


def command(parent: typer.Typer = app, name: str | None = None):
    def register(func: Callable) -> Callable:
        return parent.command(name)(handle_errors(func))
    return register


def open_store(config: Config) -> Store:
    return Store(config.store_path)


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


@command(inventory_app, "check")
def inventory_check(config: ConfigOption = None):
    """Check the imported inventory against the latest snapshots: selectors that match nothing."""
    cfg = load_config(config)
    with open_store(cfg) as store:
        a = _analysis(cfg, store)
    table = Table(title="Inventory resources", header_style="bold")
    for col in ("resource", "classification", "data manager", "matches", "people with access"):
        table.add_column(col, overflow="fold")
    for res in a.inventory.resources:
        manager = a.persons.get(f"person:{res.data_manager}")
        people = {x.person for x in a.access if x.resource == res.name and x.person}
        table.add_row(res.name, res.classification, manager.name if manager else "[red](none)[/]",
                      str(len(a.selector_matches.get(res.name, []))), str(len(people)))
    console.print(table)
    for w in a.selector_warnings:
        console.print(f"[yellow]warning:[/] {w}", highlight=False)
    if not a.selector_warnings:
        console.print("Every selector matches something in the latest snapshots.")


@command()
def accounts(config: ConfigOption = None,
             unmatched: Annotated[bool, typer.Option(help="List the non-student accounts that match no roster person.")] = False):
    """How directory accounts were joined to roster people, and which were not."""
    cfg = load_config(config)
    with open_store(cfg) as store:
        a = _analysis(cfg, store)
    c = a.correlation
    by_method = Counter(link.method for link in c.links.values())
    by_kind = Counter(c.kinds[k] for k in c.unmatched)
    console.print(f"{len(a.accounts):,} accounts; {len(c.links):,} joined to {len(c.accounts_of):,} people"
                  f" ({', '.join(f'{n:,} by {m}' for m, n in by_method.most_common())}).")
    console.print(f"{len(c.unmatched):,} without a roster person: "
                  + (", ".join(f"{n:,} {k}" for k, n in by_kind.most_common()) or "none") + ".")
    for account, address, people in c.ambiguous:
        console.print(f"[yellow]ambiguous:[/] {account}: {address} belongs to {', '.join(people)} in the roster;"
                      " not joined", highlight=False)
    if unmatched:
        # Students are expected to have no staff-roster person; list everything else.
        for key in sorted(k for k in c.unmatched if c.kinds[k] != "student"):
            acct = a.accounts[key]
            state = "enabled" if acct.enabled else "disabled"
            console.print(f"  {acct.source}:{acct.login}  {c.kinds[key]}, {state}  {acct.display_name}",
                          highlight=False, soft_wrap=True)


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


# -- analysis ---------------------------------------------------------------------------
def _analysis(cfg: Config, store: Store):
    from .analysis import analyse

    a = analyse(cfg, store)
    if not a.snapshots:
        raise AccessReviewError("no complete snapshot of any source yet", hint="run `access-review sync`")
    return a


@command()
def findings(config: ConfigOption = None,
             type: Annotated[Optional[list[str]], typer.Option("--type", "-t", help="Only these finding types.")] = None,
             severity: Annotated[Optional[str], typer.Option(help="This severity or worse: critical, high, medium, low, info.")] = None,
             resource: Annotated[Optional[str], typer.Option(help="Only findings about this resource.")] = None,
             person: Annotated[Optional[str], typer.Option(help="Only findings about this person (id, e-mail or name).")] = None,
             format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table",
             save: Annotated[bool, typer.Option(help="Record this findings run in the store.")] = True):
    """Compare who has access with the inventory and the roster; list what needs attention."""
    from .findings import FINDING_TYPES, SEVERITY_ORDER
    from .render import findings_csv, findings_json, findings_table

    if format not in ("table", "csv", "json"):
        raise AccessReviewError(f"unknown format {format!r}", hint="use table, csv or json")
    for t in type or []:
        if t not in FINDING_TYPES:
            raise AccessReviewError(f"unknown finding type {t!r}", hint="types: " + ", ".join(FINDING_TYPES))
    cfg = load_config(config)
    with open_store(cfg) as store:
        a = _analysis(cfg, store)
        found = a.findings
        if save:
            runs = {s: store.latest_complete_run(s).id for s in a.snapshots}
            run_id = store.save_findings(found, runs)
            audit.append(store, "findings", {"run": run_id, "count": len(found),
                                             "by_type": dict(Counter(f.type for f in found))})
        selected = list(found)
        if type:
            selected = [f for f in selected if f.type in type]
        if severity:
            if severity not in SEVERITY_ORDER:
                raise AccessReviewError(f"unknown severity {severity!r}", hint="critical, high, medium, low or info")
            selected = [f for f in selected if SEVERITY_ORDER[f.severity] <= SEVERITY_ORDER[severity]]
        if resource:
            selected = [f for f in selected if (f.resource or "").lower() == resource.lower()]
        if person:
            p = a.find_person(person)
            if p is None:
                raise AccessReviewError(f"no one in the roster matches {person!r}")
            selected = [f for f in selected if f.person == p.key
                        or (f.account and a.correlation.person_of(f.account) == p.key)]
        if format == "json":
            sys.stdout.write(findings_json(selected, a.graph) + "\n")
        elif format == "csv":
            sys.stdout.write(findings_csv(selected, a.graph))
        else:
            console.print(findings_table(selected, a.graph))
            counts = Counter(f.severity for f in selected)
            console.print(", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts[s]) or "no findings")


def _resolve_resource(a, text: str):
    t = text.strip().lower()
    exact = [r for r in a.inventory.resources if r.name.lower() == t]
    if exact:
        return exact[0]
    partial = [r for r in a.inventory.resources if t in r.name.lower()]
    if len(partial) == 1:
        return partial[0]
    names = ", ".join(r.name for r in (partial or a.inventory.resources)[:8])
    raise AccessReviewError(f"no single inventory resource matches {text!r}", hint=f"try one of: {names}")


def _resolve_principal(a, text: str) -> tuple[str | None, list[str], str]:
    """(person key, account keys, label) for a person or an account."""
    p = a.find_person(text)
    if p is not None:
        return p.key, list(a.correlation.accounts_of.get(p.key, [])), f"{p.name} ({p.employee_id})"
    acct = a.find_account(text)
    if acct is not None:
        person = a.correlation.person_of(acct.key)
        return person, [acct.key], f"{acct.login} ({acct.source})"
    raise AccessReviewError(f"no person or account matches {text!r}",
                            hint="use an employee id, an e-mail, a login or a unique part of a name")


@command()
def why(person: Annotated[str, typer.Argument(help="Employee id, e-mail, login or name.")],
        resource: Annotated[str, typer.Argument(help="Inventory resource name (or a unique part of it).")],
        config: ConfigOption = None):
    """Explain how a person reaches a resource: every path, readable."""
    from .graph import all_paths, describe_path

    cfg = load_config(config)
    with open_store(cfg) as store:
        a = _analysis(cfg, store)
        res = _resolve_resource(a, resource)
        person_key, accounts, label = _resolve_principal(a, person)
        any_path = False
        for account in accounts:
            for path in all_paths(a.graph, account, res.name):
                any_path = True
                prefix = f"{a.persons[person_key].name} → " if person_key else ""
                console.print(f"• {prefix}{describe_path(a.graph, path)}", highlight=False, soft_wrap=True)
        if not any_path:
            console.print(f"{label} has no access to {res.name}.")
            return
        if person_key:
            ok, reason = a.is_authorized(res, a.persons[person_key])
            console.print(("[green]authorized[/]" if ok else "[red]not authorized[/]") + f": {reason}",
                          highlight=False)


@command()
def access(person: Annotated[str, typer.Argument(help="Employee id, e-mail, login or name.")],
           config: ConfigOption = None):
    """Everything in the inventory a person (or account) can reach, and how."""
    from .graph import describe_path

    cfg = load_config(config)
    with open_store(cfg) as store:
        a = _analysis(cfg, store)
        person_key, accounts, label = _resolve_principal(a, person)
        rows = [x for x in a.access if x.account in set(accounts)]
        table = Table(title=f"Access of {label}", header_style="bold")
        for col in ("resource", "classification", "level", "authorized", "path"):
            table.add_column(col, overflow="fold")
        for x in sorted(rows, key=lambda x: x.resource):
            res = a.inventory_by_name[x.resource]
            ok, reason = a.is_authorized(res, a.persons[person_key]) if person_key else (False, "no roster person")
            table.add_row(x.resource, res.classification, x.level, ("yes" if ok else "NO") + f" ({reason})",
                          describe_path(a.graph, x.path))
        console.print(table)
        if not rows:
            console.print(f"{label} reaches nothing in the inventory.")


@command()
def who(resource: Annotated[str, typer.Argument(help="Inventory resource name (or a unique part of it).")],
        config: ConfigOption = None,
        format: Annotated[str, typer.Option("--format", "-f", help="table, csv or json.")] = "table"):
    """Everyone who can reach a resource, with the path and whether the inventory authorizes it."""
    import csv as _csv

    from .graph import describe_path

    cfg = load_config(config)
    with open_store(cfg) as store:
        a = _analysis(cfg, store)
        res = _resolve_resource(a, resource)
        rows = []
        for x in sorted((x for x in a.access if x.resource == res.name), key=lambda x: (x.person or "~", x.account)):
            person = a.persons.get(x.person) if x.person else None
            ok, reason = a.is_authorized(res, person) if person else (False, "no roster person")
            rows.append({"person": person.name if person else "", "employee_id": person.employee_id if person else "",
                         "account": a.accounts[x.account].login, "source": a.accounts[x.account].source,
                         "level": x.level, "authorized": ok, "reason": reason,
                         "path": describe_path(a.graph, x.path)})
        if format == "json":
            sys.stdout.write(json.dumps(rows, indent=2, ensure_ascii=False) + "\n")
        elif format == "csv":
            w = _csv.DictWriter(sys.stdout, fieldnames=list(rows[0]) if rows else ["person"])
            w.writeheader()
            w.writerows(rows)
        else:
            table = Table(title=f"{res.name} ({res.classification}) — {len(rows)} accounts", header_style="bold")
            for col in ("person", "account", "level", "authorized", "path"):
                table.add_column(col, overflow="fold")
            for r in rows:
                table.add_row(r["person"] or "[red](no roster person)[/]", f"{r['source']}:{r['account']}",
                              r["level"], ("yes" if r["authorized"] else "[red]NO[/]") + f" ({r['reason']})", r["path"])
            console.print(table)


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
