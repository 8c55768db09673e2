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
             seed: Annotated[int, typer.Option(help="Generator seed.")] = 2026,
             serve: Annotated[bool, typer.Option("--serve", help="Then start a review campaign and serve the web review page on this machine, printing each reviewer's link.")] = False,
             port: Annotated[int, typer.Option(help="With --serve: the port on 127.0.0.1.")] = 8080):
        """Run the whole pipeline on a generated district: no credentials, no network."""
        run = run_demo(out=out, size=size, seed=seed,
                       sync=lambda cfg: sync_with_progress(cfg, None, False),
                       say=lambda message: console.print(safe(message), highlight=False))
        with Store(run.config.store_path) as store:
            history = record_demo_history(store, run.analysis)
        show_demo(console, run)
        console.print(f"  access-review export superintendent --config {safe(run.config_path)} --out board-report.xlsx"
                      f"   (its trend starts with a generated {history.quarter})", highlight=False)
        if serve:
            serve_demo(run, port)


def serve_demo(run: DemoRun, port: int) -> None:
    """A campaign on the demo district, each reviewer's link printed, and the page served."""
    from campaigns.links import base_url
    from review_web.demo import prepare_demo_review
    from review_web.server import run_server
    from review_web.settings import serve_settings

    cfg, links = prepare_demo_review(run.config_path, run.analysis, port)
    console.print("\n[bold]Review the demo in a browser[/]: a campaign was sent to "
                  f"{len(links)} reviewer(s); open a reviewer's personal link:", highlight=False)
    for link in links:
        console.print(f"  {safe(link.name)} ({safe(link.reviewer)}): {link.items} item(s), {link.flagged} flagged",
                      highlight=False, soft_wrap=True)
        console.print(f"    {safe(link.url)}", highlight=False, soft_wrap=True)
    console.print(f"  then: access-review campaign status --config {safe(run.config_path)}", highlight=False)
    settings = serve_settings(cfg.section("web"), base_url=base_url(cfg))
    run_server(cfg, settings, on_ready=lambda url: console.print(
        f"Serving the review page at {safe(url)} (Ctrl-C to stop).", highlight=False))


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
