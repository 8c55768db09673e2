"""A demo district built once per test session through the real pipeline (roster import,
inventory import, sync through the demo connectors), copied per test that changes it."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

from access_review.analysis import Analysis, analyse
from access_review.imports import import_inventory, import_roster
from access_review.config import Config, load_config
from access_review.demo import generate_district, write_demo
from access_review.store import Store
from access_review.cli.connectors import connector_factory
from access_review.sync import run_sync


@dataclass
class DemoEnv:
    folder: Path
    config_path: Path
    district: object

    @property
    def config(self) -> Config:
        return load_config(self.config_path)

    def store(self) -> Store:
        return Store(self.config.store_path)

    def analysis(self) -> Analysis:
        with self.store() as store:
            return analyse(self.config, store, today=self.district.as_of)

    def copy_to(self, folder: Path) -> "DemoEnv":
        shutil.copytree(self.folder, folder, dirs_exist_ok=True)
        return DemoEnv(folder, folder / self.config_path.name, self.district)


def build_demo_env(folder: Path, size: str = "small", seed: int = 2026) -> DemoEnv:
    district = generate_district(size, seed=seed)
    config_path = write_demo(folder, district)
    cfg = load_config(config_path)
    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
        results = run_sync(cfg, store, connector_factory(cfg))
        assert all(r.ok for r in results), [r.error for r in results]
    return DemoEnv(folder, config_path, district)
