"""`access-review roster import` and `inventory import`: the district's own files into the store."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..errors import AccessReviewError
from ..imports import import_inventory, import_roster
from .common import ConfigOption, command, console, load_config, open_store, safe


def _need(path: Path | None, what: str, key: str) -> Path:
    if path is None:
        raise AccessReviewError(f"no {what} file given", hint=f"pass FILE, or set {key} in the config")
    return path


def register(roster_app: typer.Typer, inventory_app: typer.Typer) -> None:

    @command(roster_app, "import")
    def roster_import(file: Annotated[Optional[Path], typer.Argument(help=f"CSV or XLSX from HR (default: {safe('[roster] path')}).")] = None,
                      config: ConfigOption = None):
        """Import the staff roster. On any error nothing is stored."""
        cfg = load_config(config)
        file = file or _need(cfg.roster_path, "roster", "[roster] path")
        with open_store(cfg) as store:
            n = import_roster(cfg, store, file)
        console.print(f"Imported {n} people from {safe(file)}.", highlight=False)

    @command(inventory_app, "import")
    def inventory_import(file: Annotated[Optional[Path], typer.Argument(help=f"CSV or XLSX (default: {safe('[inventory] path')}).")] = None,
                         apps: Annotated[Optional[Path], typer.Option(help="App approval register.")] = None,
                         holds: Annotated[Optional[Path], typer.Option(help="Litigation-hold register.")] = None,
                         config: ConfigOption = None):
        """Import the data inventory (and the app and hold registers). On any error nothing is stored."""
        cfg = load_config(config)
        file = file or _need(cfg.inventory_path, "inventory", "[inventory] path")
        with open_store(cfg) as store:
            n, warnings = import_inventory(cfg, store, file, apps or cfg.apps_path, holds or cfg.holds_path)
        console.print(f"Imported {n} resources from {safe(file)}.", highlight=False)
        for w in warnings:
            console.print(f"[yellow]warning:[/] {safe(w)}", highlight=False)
