"""`access-review audit verify` and `audit show`: the hash-chained audit log."""
from __future__ import annotations

import json
from typing import Annotated

import typer
from rich.table import Table

from .. import audit
from .common import ConfigOption, command, console, err_console, load_config, open_store, safe


def register(audit_app: typer.Typer) -> None:

    @command(audit_app, "verify")
    def audit_verify(config: ConfigOption = None):
        """Check the audit log's hash chain; report the first altered or missing entry."""
        cfg = load_config(config)
        with open_store(cfg) as store:
            result = audit.verify(store)
        if result.ok:
            console.print(f"audit log intact: {result.entries} entries, hash chain verified.")
            return
        err_console.print(f"[bold red]audit log TAMPERED:[/] {safe(result.problem)}", highlight=False)
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
            table.add_row(str(e.seq), safe(e.at[:19]), safe(e.actor), safe(e.action),
                          safe(json.dumps(e.details, ensure_ascii=False)[:200]))
        console.print(table)
