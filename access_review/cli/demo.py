"""`access-review demo`: the whole pipeline on a generated district, shown in the terminal."""
from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.table import Table

from exports.demo_history import record_demo_history

from ..demo.run import DemoRun, run_demo
from ..store import Store
from .common import command, console, safe
from .render import findings_table
from .sync import sync_with_progress


def register(app: typer.Typer) -> None:

    @command(app, "demo")
    def demo(out: Annotated[Optional[Path], typer.Option(help="Keep the demo district here (default: a temporary folder).")] = None,
             size: Annotated[str, typer.Option(help="small, district or state.")] = "small",
             seed: Annotated[int, typer.Option(help="Generator seed.")] = 2026):
        """Run the whole pipeline on a generated district: no credentials, no network."""
        run = run_demo(out=out, size=size, seed=seed,
                       sync=lambda cfg: sync_with_progress(cfg, None, False),
                       say=lambda message: console.print(safe(message), highlight=False))
        with Store(run.config.store_path) as store:
            history = record_demo_history(store, run.analysis)
        show_demo(console, run)
        console.print(f"  access-review export superintendent --config {safe(run.config_path)} --out board-report.xlsx"
                      f"   (its trend starts with a generated {history.quarter})", highlight=False)


def show_demo(console: Console, run: DemoRun) -> None:
    import time

    a, found = run.analysis, run.findings
    people_conf = {x.person for x in a.access if x.person and a.inventory_by_name[x.resource].confidential}
    console.print(f"\n[bold]Effective access[/]: {len(a.access):,} account-to-resource paths; "
                  f"{len(people_conf):,} people can reach confidential data.")
    by_type = Counter(f.type for f in found)
    summary = Table(title="Findings by type", header_style="bold")
    summary.add_column("type")
    summary.add_column("count", justify="right")
    for t_name, n in by_type.most_common():
        summary.add_row(safe(t_name), str(n))
    console.print(summary)
    top = [f for f in found if f.path][:8]
    console.print(findings_table(top, a.graph))
    example = next((f for f in found if f.type == "unauthorized" and f.person), None)
    cfg, config_path = run.config, run.config_path
    console.print(f"\nFinished in {time.perf_counter() - run.started:.1f} s. Files: {safe(run.folder)}", highlight=False)
    console.print(f"  config {safe(config_path.name)}, roster {safe(cfg.roster_path.name)},"
                  f" inventory {safe(cfg.inventory_path.name)}, store {safe(cfg.store_path.name)}", highlight=False)
    console.print("Try next:")
    # Commands to copy into a shell: every value from data quoted for it.
    config = shlex.quote(str(config_path))
    console.print(safe(f"  access-review -h; access-review findings --config {config} --severity high"),
                  highlight=False)
    if example:
        person = a.persons[example.person]
        console.print(safe(f"  access-review why --config {config} {shlex.quote(person.employee_id)}"
                           f" {shlex.quote(example.resource)}"), highlight=False)
    console.print(safe(f"  access-review who --config {config} {shlex.quote(a.inventory.resources[0].name)}"),
                  highlight=False)
