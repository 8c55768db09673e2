"""A small store holding a roster, an inventory and both registers (tests/fixtures), and the
`access-review` commands run against a private copy of it — for the tests that feed the
import commands hostile files and check that nothing stored moves when they are refused."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from typer.testing import CliRunner, Result

from access_review.cli import app
from access_review.config import load_config
from access_review.imports import import_inventory, import_roster
from access_review.store import Store

FIXTURES = Path(__file__).parent / "fixtures"
ROSTER = FIXTURES / "roster" / "roster.csv"
INVENTORY = FIXTURES / "inventory" / "inventory.csv"
APPS = FIXTURES / "inventory" / "apps.csv"
HOLDS = FIXTURES / "inventory" / "holds.csv"

_runner = CliRunner()


@dataclass(frozen=True)
class Workspace:
    folder: Path

    @property
    def config_path(self) -> Path:
        return self.folder / "access-review.toml"

    @property
    def store_path(self) -> Path:
        return self.folder / "store.db"

    def config(self):
        return load_config(self.config_path)

    def store(self) -> Store:
        return Store(self.store_path)

    def run(self, *args: str) -> Result:
        """One `access-review` command, as typed, against this workspace's config."""
        return _runner.invoke(app, [*map(str, args), "--config", str(self.config_path)])

    def dump(self) -> str:
        """Every table, row by row, and the audit head beside the store: what must not move."""
        db = sqlite3.connect(self.store_path)
        try:
            tables = "\n".join(db.iterdump())
        finally:
            db.close()
        head = self.store_path.with_name(self.store_path.name + ".audit-head")
        return tables + "\nhead:" + (head.read_text() if head.exists() else "")

    def copy_to(self, folder: Path) -> "Workspace":
        shutil.copytree(self.folder, folder, dirs_exist_ok=True)
        copy = Workspace(folder)
        copy.config_path.write_text(
            self.config_path.read_text().replace(str(self.folder), str(folder))
        )
        return copy


def build_workspace(folder: Path, *, extra_config: str = "") -> Workspace:
    """A store with the fixture roster (6 people) and inventory (4 resources, 3 app
    approvals, 3 holds), imported through the import functions."""
    folder.mkdir(parents=True, exist_ok=True)
    ws = Workspace(folder)
    ws.config_path.write_text(
        f'[store]\npath = "{ws.store_path}"\n{extra_config}', encoding="utf-8"
    )
    cfg = ws.config()
    with ws.store() as store:
        import_roster(cfg, store, ROSTER)
        import_inventory(cfg, store, INVENTORY, APPS, HOLDS)
    return ws


def error_lines(result: Result) -> list[str]:
    return [line for line in result.output.splitlines() if line.startswith("error:")]
