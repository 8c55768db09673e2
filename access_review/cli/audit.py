"""`access-review audit verify`, `audit show` and `audit acknowledge`: the keyed, hash-chained
audit log (what it proves: access_review/audit.py and SECURITY.md)."""

from __future__ import annotations

import json
from typing import Annotated, Any, Optional

import typer
from rich.table import Table

from .. import audit
from .common import ConfigOption, command, console, err_console, load_config, open_store, safe
from .output import FormatOption, OutputFormat, write_csv, write_json

TAMPERED_EXIT = 7
# The fields of an entry in `audit show --format csv|json` (docs/output.md).
AUDIT_FIELDS = ("seq", "at", "actor", "action", "details", "hash")


def register(audit_app: typer.Typer) -> None:

    @command(audit_app, "verify")
    def audit_verify(
        config: ConfigOption = None,
        expect: Annotated[
            Optional[str],
            typer.Option(
                "--expect",
                metavar="HASH[:COUNT]",
                help="An anchor kept outside the store (superintendent report, evidence pack):"
                " the log must still hold it.",
            ),
        ] = None,
    ) -> None:
        """Check the audit log: every keyed hash, the sealed head, recorded mismatches, and an anchor."""
        anchor = audit.parse_anchor(expect) if expect else None
        cfg = load_config(config)
        with open_store(cfg) as store:
            result = audit.verify(store, expect=anchor)
            head = audit.anchor(store)
        for note in result.notes:
            console.print(f"[yellow]note:[/] {safe(note)}", highlight=False, soft_wrap=True)
        if result.ok:
            older = (
                f"; entries 1..{result.keyed_from - 1} predate keying and are sealed by entry {result.keyed_from}"
                if result.keyed_from and result.keyed_from > 1
                else ""
            )
            console.print(
                f"audit log intact: {result.entries} entries, keyed hash chain and sealed head verified"
                f"{older}.",
                highlight=False,
                soft_wrap=True,
            )
            if anchor is not None:
                console.print(
                    f"It holds the anchor {safe(anchor)}.", highlight=False, soft_wrap=True
                )
            console.print(f"anchor now: {safe(head)}", highlight=False, soft_wrap=True)
            return
        label = (
            "audit log NOT KEYED"
            if result.unkeyed and "altered" not in result.problem
            else "audit log TAMPERED"
        )
        err_console.print(
            f"[bold red]{label}:[/] {safe(result.problem)}", highlight=False, soft_wrap=True
        )
        raise typer.Exit(TAMPERED_EXIT)

    @command(audit_app, "show")
    def audit_show(
        config: ConfigOption = None,
        last: Annotated[
            int, typer.Option("--last", min=1, help="How many of the latest entries.")
        ] = 20,
        format: FormatOption = OutputFormat.table,
    ) -> None:
        """The latest audit-log entries (verify them with `audit verify`)."""
        cfg = load_config(config)
        with open_store(cfg) as store:
            rows: list[dict[str, Any]] = [
                {
                    "seq": e.seq,
                    "at": e.at,
                    "actor": e.actor,
                    "action": e.action,
                    "details": e.details,
                    "hash": e.hash,
                }
                for e in audit.entries(store)[-last:]
            ]
        if format is OutputFormat.json:
            write_json(rows)
            return
        if format is OutputFormat.csv:
            write_csv(AUDIT_FIELDS, rows)
            return
        table = Table(header_style="bold")
        for col in ("#", "when", "who", "what", "details"):
            table.add_column(col, overflow="fold")
        for e in rows:
            table.add_row(
                str(e["seq"]),
                safe(e["at"][:19]),
                safe(e["actor"]),
                safe(e["action"]),
                safe(json.dumps(e["details"], ensure_ascii=False)[:200]),
            )
        console.print(table)

    @command(audit_app, "acknowledge")
    def audit_acknowledge(
        seq: Annotated[int, typer.Argument(help="The audit.head_mismatch entry looked into.")],
        reason: Annotated[str, typer.Option("--reason", help="What it was (kept in the log).")],
        config: ConfigOption = None,
    ) -> None:
        """Record that a head mismatch the log recorded was looked into; verify then shows it as a note."""
        cfg = load_config(config)
        with open_store(cfg) as store:
            entry = audit.acknowledge(store, seq, reason)
        console.print(f"Recorded as entry {entry.seq}: entry {seq} acknowledged.", highlight=False)
