"""`access-review init` and `doctor`: a starter config, and checks of the config, its files,
the store and each source."""
from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ..config import STARTER_CONFIG
from ..errors import AccessReviewError
from ..sync import select_sources
from .common import ConfigOption, command, console, load_config, open_store, safe
from .connectors import build_connector


def register(app: typer.Typer) -> None:

    @command(app, "init")
    def init(path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path("access-review.toml")):
        """Write a commented starter config."""
        if path.exists():
            raise AccessReviewError(f"{path} already exists; not overwriting it")
        path.write_text(STARTER_CONFIG, encoding="utf-8")
        console.print(f"Wrote {safe(path)}. Next: fill in {safe('[sources.*]')}, then run `access-review doctor`.",
                      highlight=False)

    @command(app, "doctor")
    def doctor(config: ConfigOption = None,
               source: Annotated[Optional[list[str]], typer.Option("--source", "-s", help="Only this source.")] = None):
        """Check the config, the files it names and each source's connectivity and permissions."""
        cfg = load_config(config)
        failures = 0

        def show(ok: bool, name: str, detail: str = "", fix: str = "") -> None:
            nonlocal failures
            failures += 0 if ok else 1
            mark = "[green]ok  [/]" if ok else "[red]FAIL[/]"
            console.print(f"{mark} {safe(name)}" + (f" — {safe(detail)}" if detail else ""), highlight=False)
            if fix and not ok:
                console.print(f"       fix: {safe(fix)}", highlight=False)

        show(True, "config", str(cfg.path))
        for label, p in (("roster", cfg.roster_path), ("inventory", cfg.inventory_path),
                         ("apps register", cfg.apps_path), ("hold register", cfg.holds_path)):
            if p is not None:
                show(p.exists(), f"{label} file", str(p), "check the path in the config")
        try:
            with open_store(cfg) as store:
                show(True, "store", f"{cfg.store_path} (schema {store.schema_version})")
        except AccessReviewError as exc:
            show(False, "store", str(exc), exc.hint or "")
        for name in select_sources(cfg, source):
            try:
                connector = build_connector(cfg, name)
                for check in connector.doctor():
                    label = check.name if check.name.startswith(f"{name}:") else f"{name}: {check.name}"
                    show(check.ok, label, check.detail, check.fix)
            except AccessReviewError as exc:
                show(False, f"{name}", str(exc), exc.hint or "")
        if failures:
            raise typer.Exit(1)
