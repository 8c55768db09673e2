"""`access-review init` and `doctor`: a starter config, and checks of the config, its files,
the store and each source."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from .. import audit
from ..config import STARTER_CONFIG
from ..errors import AccessReviewError
from ..permissions import find_exposures
from ..settings_spec import render_table
from ..store import Store
from ..sync import select_sources
from .common import ConfigOption, command, console, load_config, open_store, safe, without_source
from .connectors import build_connector


def register(app: typer.Typer) -> None:

    @command(app, "init")
    def init(
        path: Annotated[Path, typer.Argument(help="Where to write the config.")] = Path(
            "access-review.toml"
        ),
    ) -> None:
        """Write a commented starter config."""
        try:
            # O_EXCL: never overwrite; 0600: the config names the district's directories and files.
            fd = os.open(
                path, os.O_CREAT | os.O_EXCL | os.O_WRONLY | getattr(os, "O_NOFOLLOW", 0), 0o600
            )
        except FileExistsError:
            raise AccessReviewError(f"{path} already exists; not overwriting it") from None
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(starter_config())
        console.print(
            f"Wrote {safe(path)}. Next: fill in {safe('[sources.*]')}, then run `access-review doctor`.",
            highlight=False,
        )

    @command(app, "doctor")
    def doctor(
        config: ConfigOption = None,
        source: Annotated[
            Optional[list[str]], typer.Option("--source", "-s", help="Only this source.")
        ] = None,
    ) -> None:
        """Check the config, the files it names and each source's connectivity and permissions."""
        cfg = load_config(config)
        failures = 0

        def show(ok: bool, name: str, detail: str = "", fix: str = "") -> None:
            nonlocal failures
            failures += 0 if ok else 1
            mark = "[green]ok  [/]" if ok else "[red]FAIL[/]"
            console.print(
                f"{mark} {safe(name)}" + (f" — {safe(detail)}" if detail else ""), highlight=False
            )
            if fix and not ok:
                console.print(f"       fix: {safe(fix)}", highlight=False)

        show(True, "config", str(cfg.path))
        for label, p in (
            ("roster", cfg.roster_path),
            ("inventory", cfg.inventory_path),
            ("apps register", cfg.apps_path),
            ("hold register", cfg.holds_path),
        ):
            if p is not None:
                show(p.exists(), f"{label} file", str(p), "check the path in the config")
        if not cfg.store_path.exists():  # doctor reads; it never creates the store
            show(
                True,
                "store",
                f"{cfg.store_path} (not created yet: the first import or sync creates it)",
            )
        else:
            try:
                with open_store(cfg) as store:
                    show(True, "store", f"{cfg.store_path} (schema {store.schema_version})")
                    show(*_audit_key_line(store))
            except AccessReviewError as exc:
                show(False, "store", str(exc), exc.hint or "")
        exposed = find_exposures(cfg)
        for e in exposed:
            show(False, f"{e.what} is not private", f"{e.path}: {e.problem}", e.fix)
        if not exposed:
            show(
                True, "file permissions", "config, store, its folder and side files are owner-only"
            )
        if cfg.section("smtp"):
            from campaigns.mail import check_smtp, smtp_settings

            try:
                settings = smtp_settings(cfg.section("smtp"), cfg.iso.email, cfg.iso.name)
            except AccessReviewError as exc:
                show(False, "smtp", str(exc), exc.hint or "")
            else:
                for check in check_smtp(settings):
                    show(check.ok, check.name, check.detail, check.fix)
        if not cfg.sources:
            show(
                False,
                "sources",
                "none configured",
                "add a [sources.NAME] table per directory (`access-review init`"
                " writes an example of each)",
            )
        for name in select_sources(cfg, source) if cfg.sources else []:
            try:
                connector = build_connector(cfg, name)
                for check in connector.doctor():
                    label = (
                        check.name if check.name.startswith(f"{name}:") else f"{name}: {check.name}"
                    )
                    show(check.ok, label, without_source(name, check.detail), check.fix)
            except AccessReviewError as exc:
                show(False, f"{name}", without_source(name, str(exc)), exc.hint or "")
        if failures:
            raise typer.Exit(1)


SOURCE_INTROS = {
    "ad": [
        "Active Directory: a read-only service account; for suspensions and remediation it needs write",
        "on userAccountControl and group members (`access-review doctor` says what it may do).",
    ],
    "entra": [
        "Microsoft Entra ID: an app registration with application permissions and admin consent",
        "(`access-review doctor` names any that are missing).",
    ],
    "google": [
        "Google Workspace: a service account with domain-wide delegation",
        "(connectors/google/README.md lists the scopes and the admin privileges).",
    ],
}


def starter_config() -> str:
    """The core's settings, then one commented table per connector type, [smtp], [campaigns] and
    [logging] — every key each reads, with its default, from the settings its code declares."""
    from campaigns.mail import SMTP_SETTINGS
    from campaigns.schedule import CAMPAIGN_SETTINGS

    from ..schedule import SCHEDULE_SETTINGS

    from .connectors import source_settings
    from .logs import LOG_SETTINGS

    parts = [
        STARTER_CONFIG.rstrip() + "\n",
        "# One table per directory: uncomment what you have (rename the table to name the source,\n"
        "# e.g. [sources.district-ad]). Every setting is shown with its default.\n",
    ]
    for kind, settings in source_settings().items():
        parts.append(
            render_table(
                f"sources.{kind}",
                settings,
                preset={"type": kind},
                intro=SOURCE_INTROS.get(kind, []),
            )
        )
    parts.append(
        render_table("smtp", SMTP_SETTINGS, intro=["Review campaigns e-mail the data managers."])
    )
    parts.append(
        render_table(
            "campaigns",
            CAMPAIGN_SETTINGS,
            commented=False,
            intro=["What review campaigns do by default."],
        )
    )
    parts.append(
        render_table(
            "schedule",
            SCHEDULE_SETTINGS,
            commented=False,
            intro=[
                "What `access-review run-due` does when it is due (`access-review schedule`",
                "installs a timer that runs it every hour).",
            ],
        )
    )
    parts.append(
        render_table(
            "logging",
            LOG_SETTINGS,
            commented=False,
            intro=["The log: every command, sync, action and error; never a secret."],
        )
    )
    return "\n".join(parts)


def _audit_key_line(store: Store) -> tuple[bool, str, str, str]:
    ok, detail, fix = audit.key_status(store)
    return ok, "audit key", detail, fix
