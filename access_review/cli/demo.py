"""`access-review demo`: the whole pipeline on a generated district, shown in the terminal."""

from __future__ import annotations

import shlex
from collections import Counter
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console, JustifyMethod
from rich.table import Table

from exports.demo_history import record_demo_history

from ..demo.run import DemoRun, run_demo
from ..store import Store
from . import logs
from .common import command, console, operator, safe
from .render import SEVERITY_STYLE, findings_table
from .sync import sync_with_progress


def register(app: typer.Typer) -> None:

    @command(app, "demo")
    def demo(
        out: Annotated[
            Optional[Path],
            typer.Option(help="Keep the demo district here (default: a temporary folder)."),
        ] = None,
        size: Annotated[str, typer.Option(help="small, district or state.")] = "small",
        seed: Annotated[int, typer.Option(help="Generator seed.")] = 2026,
        serve: Annotated[
            bool,
            typer.Option(
                "--serve",
                help="Then start a review campaign and serve the web review page on this machine, printing each reviewer's link.",
            ),
        ] = False,
        port: Annotated[int, typer.Option(help="With --serve: the port on 127.0.0.1.")] = 8080,
    ) -> None:
        """Run the whole pipeline on a generated district: no credentials, no network."""
        run = run_demo(
            out=out,
            size=size,
            seed=seed,
            sync=lambda cfg: sync_with_progress(cfg, None, False),
            say=lambda message: console.print(safe(message), highlight=False),
        )
        logs.attach(run.config)  # the demo's store exists now: its log goes beside it
        with Store(run.config.store_path, actor=operator(run.config)) as store:
            history = record_demo_history(store, run.analysis)
        show_demo(console, run)
        console.print(
            f"  [dim](the superintendent's report's trend starts with a generated {safe(history.quarter)})[/]",
            highlight=False,
        )
        if serve:
            serve_demo(run, port)


def serve_demo(run: DemoRun, port: int) -> None:
    """A campaign on the demo district, each reviewer's link printed, and the page served."""
    from campaigns.links import base_url
    from review_web.demo import prepare_demo_review
    from review_web.server import run_server
    from review_web.settings import serve_settings

    cfg, links = prepare_demo_review(run.config_path, run.analysis, port)
    console.print(
        "\n[bold]Review the demo in a browser[/]: a campaign was sent to "
        f"{len(links)} reviewer(s); open a reviewer's personal link:",
        highlight=False,
    )
    for link in links:
        console.print(
            f"  {safe(link.name)} ({safe(link.reviewer)}): {link.items} item(s), {link.flagged} flagged",
            highlight=False,
            soft_wrap=True,
        )
        console.print(f"    {safe(link.url)}", highlight=False, soft_wrap=True)
    console.print(
        f"  then: access-review campaign status --config {safe(run.config_path)}", highlight=False
    )
    settings = serve_settings(cfg.section("web"), base_url=base_url(cfg))
    run_server(
        cfg,
        settings,
        on_ready=lambda url: console.print(
            f"Serving the review page at {safe(url)} (Ctrl-C to stop).", highlight=False
        ),
    )


SHOWN_FINDINGS = 8


def show_demo(console: Console, run: DemoRun) -> None:
    """What the demo found, most severe first — counts by severity, then the worst findings —
    and what to try next, each as a command to copy."""
    import time

    from ..findings import SEVERITY_ORDER

    a = run.analysis
    found = sorted(run.findings, key=lambda f: SEVERITY_ORDER.get(f.severity, len(SEVERITY_ORDER)))
    people_conf = {
        x.person for x in a.access if x.person and a.inventory_by_name[x.resource].confidential
    }
    console.print(
        f"\n[bold]Effective access[/]: {len(a.access):,} account-to-resource paths; "
        f"{len(people_conf):,} people can reach confidential data."
    )
    by_severity = Counter(f.severity for f in found)
    console.print(
        f"[bold]Findings[/]: {len(found):,} — "
        + ", ".join(
            f"[{SEVERITY_STYLE.get(s, '')}]{n} {safe(s)}[/]"
            for s in SEVERITY_ORDER
            if (n := by_severity[s])
        ),
        highlight=False,
    )
    summary = Table(title="Findings by severity and type", header_style="bold")
    columns: tuple[tuple[str, JustifyMethod], ...] = (
        ("severity", "left"),
        ("type", "left"),
        ("count", "right"),
    )
    for col, justify in columns:
        summary.add_column(col, justify=justify)
    by_type = Counter((f.severity, f.type) for f in found)
    for (severity, t_name), n in sorted(
        by_type.items(), key=lambda kv: (SEVERITY_ORDER.get(kv[0][0], 9), -kv[1], kv[0][1])
    ):
        style = SEVERITY_STYLE.get(severity, "")
        summary.add_row(
            f"[{style}]{safe(severity)}[/]" if style else safe(severity), safe(t_name), str(n)
        )
    console.print(summary)
    top = found[:SHOWN_FINDINGS]
    table = findings_table(top, a.graph)
    table.title = (
        f"The {len(top)} most severe of {len(found)} findings"
        if len(found) > len(top)
        else f"All {len(found)} findings, most severe first"
    )
    console.print(table)
    cfg, config_path = run.config, run.config_path
    console.print(
        f"\nFinished in {time.perf_counter() - run.started:.1f} s. Files: {safe(run.folder)}",
        highlight=False,
    )
    roster, inventory = (
        path.name if path else "" for path in (cfg.roster_path, cfg.inventory_path)
    )
    console.print(
        f"  config {safe(config_path.name)}, roster {safe(roster)},"
        f" inventory {safe(inventory)}, store {safe(cfg.store_path.name)}",
        highlight=False,
    )
    console.print("[bold]Try next[/] (every command: access-review -h):")
    for line, why in next_steps(run):
        console.print(f"  {safe(line)}\n      [dim]{safe(why)}[/]", highlight=False, soft_wrap=True)


def next_steps(run: DemoRun) -> list[tuple[str, str]]:
    """(command, what it shows) for the ISO's first session with the demo: every value from data
    quoted for a shell."""
    a, found = run.analysis, run.findings
    config = shlex.quote(str(run.config_path))
    steps = [
        (
            f"access-review findings --config {config} --severity high",
            "every finding of high severity or worse, with the path that gives the access",
        )
    ]
    example = next((f for f in found if f.type == "unauthorized" and f.person), None)
    if example and example.person and example.resource:
        person = a.persons[example.person]
        steps.append(
            (
                f"access-review why --config {config} {shlex.quote(person.employee_id)} "
                f"{shlex.quote(example.resource)}",
                f"how {person.name} reaches {example.resource}, and why it is not authorized",
            )
        )
    quarter = f"{a.today.year}Q{(a.today.month - 1) // 3 + 1}"
    steps.append(
        (
            f"access-review campaign create --config {config} --quarter {quarter} && "
            f"access-review campaign send --config {config} --out reviews",
            "a quarterly review: one workbook per data manager, written to ./reviews instead of e-mailed",
        )
    )
    separated = next((f for f in found if f.type == "separated_access" and f.person), None)
    if separated and separated.person:
        person = a.persons[separated.person]
        steps.append(
            (
                f"access-review suspend --config {config} {shlex.quote(person.employee_id)} "
                "--case REHEARSAL-1 --reason 'rehearsal'",
                f"a suspension rehearsal for {person.name}: the plan in every directory; "
                "nothing changes without --apply",
            )
        )
    steps.append(
        (
            f"access-review export superintendent --config {config} --out board-report.xlsx",
            "the superintendent's report (--format pdf: the two-page board brief)",
        )
    )
    return steps
