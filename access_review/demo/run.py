"""The demo pipeline: generate a district, then run exactly the pipeline a district runs —
roster import, inventory import, sync through the (demo) connectors, findings — in a store
of its own. The terminal layer (``access_review/cli/demo.py``) shows what came out; it hands
in the sync (which builds the connectors) and a callback for progress messages."""

from __future__ import annotations

import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from .. import audit
from ..audit_key import AuditKeySource
from ..analysis import Analysis, analyse
from ..config import Config, load_config
from ..errors import AccessReviewError
from ..findings import Finding
from ..imports import import_inventory, import_roster
from ..private_files import make_private_folder
from ..store import Store
from ..sync import SourceResult
from .generator import SIZES, generate_district
from .writer import write_demo

Say = Callable[[str], None]


@dataclass
class DemoRun:
    folder: Path
    config_path: Path
    config: Config
    people: int
    resources: int
    analysis: Analysis
    findings: list[Finding]
    started: float  # time.perf_counter() when the run began


def run_demo(
    *,
    out: Path | None,
    size: str = "small",
    seed: int = 2026,
    sync: Callable[[Config], Sequence[SourceResult]],
    say: Say = lambda message: None,
) -> DemoRun:
    """Generate the district into ``out`` (default: a new temporary folder) and run the
    pipeline; ``sync(config)`` reads every configured (demo) source into the store."""
    if size not in SIZES:
        raise AccessReviewError(f"unknown demo size {size!r}", hint="small, district or state")
    folder = Path(out) if out else Path(tempfile.mkdtemp(prefix="access-review-demo-"))
    make_private_folder(folder)
    if (folder / "access-review.db").exists():
        raise AccessReviewError(
            f"{folder} already holds a demo store",
            hint="choose an empty folder with --out, or delete that folder",
        )
    started = time.perf_counter()
    say(f"Generating the {size} demo district (seed {seed}) in {folder} ...")
    district = generate_district(size, seed=seed)
    config_path = write_demo(folder, district)
    cfg = load_config(config_path)
    if cfg.roster_path is None or cfg.inventory_path is None:  # write_demo names both
        raise AccessReviewError(f"{config_path}: the demo config names no roster or inventory")
    keys = AuditKeySource.from_settings(cfg.section("audit"))
    with Store(cfg.store_path, audit_key=keys) as store:
        n_people = import_roster(cfg, store, cfg.roster_path).count
        n_resources = import_inventory(
            cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path
        ).count
    say(f"Imported {n_people:,} people and {n_resources} inventory resources.")
    results = sync(cfg)
    if not all(r.ok for r in results):
        raise AccessReviewError("the demo sync failed", hint="see the errors above")
    with Store(cfg.store_path, audit_key=keys) as store:
        a = analyse(cfg, store, today=district.as_of)
        found = a.findings
        runs = {s: _latest_run_id(store, s) for s in a.snapshots}
        run_id = store.save_findings(found, runs)
        audit.append(store, "findings", {"run": run_id, "count": len(found)})
    return DemoRun(
        folder=folder,
        config_path=config_path,
        config=cfg,
        people=n_people,
        resources=n_resources,
        analysis=a,
        findings=found,
        started=started,
    )


def _latest_run_id(store: Store, source: str) -> int:
    """The complete sync run the analysis just read for ``source``."""
    run = store.latest_complete_run(source)
    if run is None:
        raise AccessReviewError(f"no complete sync of {source} is stored")
    return run.id
