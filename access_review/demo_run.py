"""`access-review demo`: generate a district, then run exactly the pipeline a district runs —
roster import, inventory import, sync through the (demo) connectors, findings — in a store
of its own, and show what came out."""
from __future__ import annotations

import tempfile
import time
from collections import Counter
from pathlib import Path

from rich.console import Console
from rich.table import Table

from . import audit
from .config import load_config
from .errors import AccessReviewError
from .store import Store

SIZES = ("small", "district", "state")


def run_demo(console: Console, *, out: Path | None, size: str = "small", seed: int = 2026) -> Path:
    from .cli import sync_with_progress
    from .imports import import_inventory, import_roster
    from .analysis import analyse
    from .demo import generate_district, write_demo
    from .render import findings_table

    if size not in SIZES:
        raise AccessReviewError(f"unknown demo size {size!r}", hint="small, district or state")
    folder = Path(out) if out else Path(tempfile.mkdtemp(prefix="access-review-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / "access-review.db").exists():
        raise AccessReviewError(f"{folder} already holds a demo store",
                                hint="choose an empty folder with --out, or delete that folder")
    t = time.perf_counter()
    console.print(f"Generating the [bold]{size}[/] demo district (seed {seed}) in {folder} ...")
    district = generate_district(size, seed=seed)
    config_path = write_demo(folder, district)
    cfg = load_config(config_path)
    with Store(cfg.store_path) as store:
        n_people = import_roster(cfg, store, cfg.roster_path)
        n_resources, warnings = import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
        console.print(f"Imported {n_people:,} people and {n_resources} inventory resources.")
    results = sync_with_progress(cfg, None, False)
    if not all(r.ok for r in results):
        raise AccessReviewError("the demo sync failed", hint="see the errors above")
    with Store(cfg.store_path) as store:
        a = analyse(cfg, store, today=district.as_of)
        found = a.findings
        runs = {s: store.latest_complete_run(s).id for s in a.snapshots}
        run_id = store.save_findings(found, runs)
        audit.append(store, "findings", {"run": run_id, "count": len(found)})

    people_conf = {x.person for x in a.access if x.person and a.inventory_by_name[x.resource].confidential}
    console.print(f"\n[bold]Effective access[/]: {len(a.access):,} account-to-resource paths; "
                  f"{len(people_conf):,} people can reach confidential data.")
    by_type = Counter(f.type for f in found)
    summary = Table(title="Findings by type", header_style="bold")
    summary.add_column("type")
    summary.add_column("count", justify="right")
    for t_name, n in by_type.most_common():
        summary.add_row(t_name, str(n))
    console.print(summary)
    top = [f for f in found if f.path][:8]
    console.print(findings_table(top, a.graph))
    example = next((f for f in found if f.type == "unauthorized" and f.person), None)
    console.print(f"\nFinished in {time.perf_counter() - t:.1f} s. Files: {folder}")
    console.print(f"  config {config_path.name}, roster {cfg.roster_path.name}, inventory {cfg.inventory_path.name},"
                  f" store {cfg.store_path.name}")
    console.print("Try next:")
    console.print(f"  access-review -h; access-review findings --config {config_path} --severity high")
    if example:
        person = a.persons[example.person]
        console.print(f"  access-review why --config {config_path} {person.employee_id} \"{example.resource}\"")
    console.print(f"  access-review who --config {config_path} \"{a.inventory.resources[0].name}\"")
    return folder
