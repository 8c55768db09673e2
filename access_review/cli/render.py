"""Turning findings and access into tables, CSV and JSON for the terminal."""

from __future__ import annotations

import json
from typing import Any, Iterable

from rich.table import Table

from ..csv_output import build_csv
from ..findings import Finding
from ..graph import AccessGraph, describe_path
from .common import safe

SEVERITY_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}


def findings_table(
    findings: Iterable[Finding], graph: AccessGraph, limit: int | None = None
) -> Table:
    table = Table(show_lines=False, header_style="bold")
    for col in ("severity", "type", "summary", "path"):
        table.add_column(col, overflow="fold")
    for i, f in enumerate(findings):
        if limit is not None and i >= limit:
            break
        style = SEVERITY_STYLE.get(f.severity, "")
        severity = f"[{style}]{safe(f.severity)}[/]" if style else safe(f.severity)
        table.add_row(
            severity,
            safe(f.type),
            safe(f.summary),
            safe(describe_path(graph, f.path)) if f.path else "",
        )
    return table


def finding_dict(f: Finding, graph: AccessGraph) -> dict[str, Any]:
    return {
        "type": f.type,
        "severity": f.severity,
        "summary": f.summary,
        "person": f.person,
        "account": f.account,
        "resource": f.resource,
        "path": list(f.path),
        "path_text": describe_path(graph, f.path) if f.path else "",
        "evidence": f.evidence,
    }


def findings_json(findings: Iterable[Finding], graph: AccessGraph) -> str:
    return json.dumps(
        [finding_dict(f, graph) for f in findings], indent=2, default=str, ensure_ascii=False
    )


def findings_csv(findings: Iterable[Finding], graph: AccessGraph) -> str:
    return build_csv(
        ["severity", "type", "summary", "person", "account", "resource", "path"],
        (
            [
                f.severity,
                f.type,
                f.summary,
                f.person,
                f.account,
                f.resource,
                describe_path(graph, f.path) if f.path else "",
            ]
            for f in findings
        ),
    )
