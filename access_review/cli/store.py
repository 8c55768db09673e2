"""`access-review store stats` and `store prune`: how big the store is and what it holds, and
thinning its history by the retention policy ([retention] in the config). Prune shows its
plan and changes nothing without --apply, like every other change."""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from .common import ConfigOption, command, command_group, console, load_config, open_store, safe

if TYPE_CHECKING:
    from ..store import Store


def register(app: typer.Typer) -> None:
    store_app = command_group("The store: its size and history, and thinning it.")
    app.add_typer(store_app, name="store")
    command(store_app, "stats")(stats)
    command(store_app, "prune")(prune)


def _mb(n: int) -> str:
    return f"{n / 1_000_000:,.1f} MB" if n >= 1_000_000 else f"{n / 1000:,.0f} kB"


def stats(
    config: ConfigOption = None,
    format: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
) -> None:
    """The store's size, what it holds, and what the retention policy would thin now."""
    from ..errors import AccessReviewError
    from ..retention import plan_prune, read_stats
    from ..store import now_utc

    if format not in ("table", "json"):
        raise AccessReviewError(f"unknown format {format!r}", hint="use table or json")
    cfg = load_config(config)
    with open_store(cfg) as store:
        s = read_stats(store)
        plan = plan_prune(store, cfg.retention, now_utc(), keep=_runs_in_use(store))
    if format == "json":
        sys.stdout.write(
            json.dumps(
                {
                    "path": s.path,
                    "file_bytes": s.file_bytes,
                    "free_bytes": s.free_bytes,
                    "rows": s.tables,
                    "table_bytes": s.table_bytes,
                    "sync_runs": s.runs,
                    "analyses": s.analyses,
                    "oldest_snapshot": s.oldest_snapshot.isoformat() if s.oldest_snapshot else None,
                    "retention": cfg.retention.describe(),
                    "prune_would_thin": {
                        "sync_runs": plan.count("sync"),
                        "analyses": plan.count("analysis"),
                        "findings_copies": len(plan.findings_copies),
                    },
                },
                indent=2,
            )
            + "\n"
        )
        return
    console.print(
        f"[bold]{safe(s.path)}[/]: {_mb(s.file_bytes)}"
        + (
            f" ({_mb(s.free_bytes)} free inside, given back by `store prune --apply`)"
            if s.free_bytes
            else ""
        ),
        highlight=False,
    )
    console.print(
        "sync runs: " + ", ".join(f"{n:,} {safe(k)}" for k, n in sorted(s.runs.items())) or "none"
    )
    console.print(
        "analyses: "
        + (", ".join(f"{n:,} {safe(k)}" for k, n in sorted(s.analyses.items())) or "none")
    )
    if s.oldest_snapshot:
        console.print(f"oldest snapshot kept: {s.oldest_snapshot:%Y-%m-%d %H:%M} UTC")
    table = Table(header_style="bold")
    for col in ("table", "rows", "size"):
        table.add_column(col, justify="left" if col == "table" else "right")
    for name, rows in sorted(s.tables.items(), key=lambda kv: -s.table_bytes.get(kv[0], kv[1])):
        table.add_row(
            safe(name), f"{rows:,}", _mb(s.table_bytes[name]) if name in s.table_bytes else ""
        )
    console.print(table)
    console.print(
        f"retention: {safe(cfg.retention.describe())} ({safe('[retention]')} in the config); "
        f"`store prune` would thin {plan.count('sync')} sync run(s) and {plan.count('analysis')} "
        "analysis(es) now.",
        highlight=False,
    )


def _runs_in_use(store: Store) -> dict[int, str]:
    """What campaigns (and so their evidence packs and verifications) refer to: always kept."""
    from campaigns.results import runs_in_use

    return runs_in_use(store)


def prune(
    config: ConfigOption = None,
    apply: Annotated[
        bool, typer.Option("--apply", help="Carry it out. Without it: show the plan only.")
    ] = False,
) -> None:
    """Thin the store's history by the retention policy ([retention]): the current state and
    everything campaigns refer to are always kept (dry run unless --apply)."""
    from .. import audit
    from ..retention import apply_prune, plan_prune, vacuum
    from ..store import now_utc

    cfg = load_config(config)
    with open_store(cfg) as store:
        in_use = _runs_in_use(store)
        plan = plan_prune(store, cfg.retention, now_utc(), keep=in_use)
        console.print(
            f"[bold]Retention[/]: {safe(cfg.retention.describe())}; the current snapshots and "
            "analysis, and what campaigns refer to, are always kept.",
            highlight=False,
        )
        kept_in_use = sorted(
            {
                why
                for (kind, _i), why in plan.keep.items()
                if kind == "sync" and why in in_use.values()
            }
        )
        for why in kept_in_use:
            console.print(f"  kept: {safe(why)}", highlight=False)
        if plan.empty:
            console.print("Nothing to thin.")
            if apply and store.db.execute("PRAGMA freelist_count").fetchone()[0]:
                before, after = vacuum(store)
                console.print(
                    f"The store went from {_mb(before)} to {_mb(after)} (free space given back)."
                )
            return
        table = Table(
            title="To thin (the record stays; its rows go where nothing kept holds them)",
            header_style="bold",
        )
        for col in ("what", "source", "id", "when (UTC)"):
            table.add_column(col)
        for v in plan.prune:
            table.add_row(
                "snapshot" if v.kind == "sync" else "analysis",
                safe(v.source or ""),
                str(v.id),
                f"{v.at:%Y-%m-%d %H:%M}",
            )
        console.print(table)
        if plan.findings_copies:
            console.print(f"and {len(plan.findings_copies)} old findings run copies.")
        if not apply:
            console.print("[bold]Dry run[/]: nothing was changed. Add --apply to carry it out.")
            return
        with store.transaction():
            result = apply_prune(store, plan)
            audit.append(
                store,
                "store.prune",
                {
                    "policy": cfg.retention.describe(),
                    "sync_runs": [v.id for v in plan.prune if v.kind == "sync"],
                    "analyses": [v.id for v in plan.prune if v.kind == "analysis"],
                    "findings_copies": list(plan.findings_copies),
                    "rows_deleted": result.rows_deleted,
                },
            )
        before, after = vacuum(store)
    console.print(
        f"Thinned {result.runs} snapshot(s), {result.analyses} analysis(es)"
        f"{f' and {result.findings_copies} findings copies' if result.findings_copies else ''}: "
        f"{sum(result.rows_deleted.values()):,} rows; the store went from {_mb(before)} to {_mb(after)}."
    )
