"""The `access-review` command: the typer app, its command groups, and where each group's
commands come from. Commands are thin; domain errors become one clear line and an exit code
in one place (``common.handle_errors``).

Command modules are imported when their command runs, not all at start: a query must not pay
for the workbook, PDF and graph libraries the campaign and export commands need (issue 13:
every query within 0.5 s, process start included; bench/bench_queries.py). ``COMMANDS`` says
which registration provides each command name; `--help` loads them all to describe them.
A module may still be registered the eager way (``x.register(app)`` below the table).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Annotated, Callable, Optional

import typer

from ..errors import EXIT_CODES
from . import logs
from .common import command_group, console
from .help_style import ReadableGroup

if TYPE_CHECKING:
    # typer 0.29 carries its own copy of click: its groups take and return these (click's own
    # Context and Command are other classes).
    from typer._click.core import Command, Context


def exit_codes_text() -> str:
    """The exit codes, one per line, as `--help` ends."""
    return "Exit codes:\n\n" + "\n".join(
        f"  {code}  {meaning}" for code, meaning in sorted(EXIT_CODES.items())
    )


@dataclass(frozen=True)
class Parts:
    """The app's groups, as each module's ``register`` receives them."""

    app: typer.Typer
    roster: typer.Typer
    inventory: typer.Typer
    audit: typer.Typer


def _new_parts(app: typer.Typer) -> Parts:
    roster_app = command_group("Import the staff roster.")
    inventory_app = command_group("Import and check the data inventory.")
    audit_app = command_group("The audit log.")
    app.add_typer(roster_app, name="roster")
    app.add_typer(inventory_app, name="inventory")
    app.add_typer(audit_app, name="audit")
    return Parts(app, roster_app, inventory_app, audit_app)


def _configure(p: Parts) -> None:
    from . import configure

    configure.register(p.app)  # init, doctor


def _imports(p: Parts) -> None:
    from . import imports

    imports.register(p.roster, p.inventory)  # roster import, inventory import


def _sync(p: Parts) -> None:
    from . import sync

    sync.register(p.app)  # sync, status


def _queries(p: Parts) -> None:
    from . import queries

    queries.register(p.app, p.inventory)  # findings, why, access, who, accounts, inventory check


def _audit(p: Parts) -> None:
    from . import audit

    audit.register(p.audit)  # audit verify, audit show


def _demo(p: Parts) -> None:
    from . import demo

    demo.register(p.app)  # demo


def _campaigns(p: Parts) -> None:
    import campaigns.cli

    campaigns.cli.register(p.app)  # campaign ...


def _suspension(p: Parts) -> None:
    from . import suspension

    suspension.register(p.app)  # suspend, restore, suspensions


def _exports(p: Parts) -> None:
    import exports.cli

    exports.cli.register(p.app)  # export ...


def _store(p: Parts) -> None:
    from . import store

    store.register(p.app)  # store stats, store prune


def _schedule(p: Parts) -> None:
    from . import schedule

    schedule.register(p.app)  # run-due, schedule


def _serve(p: Parts) -> None:
    import review_web.cli

    review_web.cli.register(p.app)  # serve (the web review page)


# command name -> the registrations that provide it (a group may take commands from several)
COMMANDS: dict[str, tuple[Callable[[Parts], None], ...]] = {
    "init": (_configure,),
    "doctor": (_configure,),
    "roster": (_imports,),
    "inventory": (_imports, _queries),
    "sync": (_sync,),
    "status": (_sync,),
    "findings": (_queries,),
    "why": (_queries,),
    "access": (_queries,),
    "who": (_queries,),
    "accounts": (_queries,),
    "audit": (_audit,),
    "demo": (_demo,),
    "campaign": (_campaigns,),
    "suspend": (_suspension,),
    "restore": (_suspension,),
    "suspensions": (_suspension,),
    "export": (_exports,),
    "store": (_store,),
    "run-due": (_schedule,),
    "schedule": (_schedule,),
    "serve": (_serve,),
}


class LazyCommands(ReadableGroup):
    """The root group: a command's module is imported and registered when it is asked for."""

    def list_commands(self, ctx: Context) -> list[str]:
        return [*super().list_commands(ctx), *(n for n in COMMANDS if n not in self.commands)]

    def get_command(self, ctx: Context, name: str) -> Command | None:
        if name not in self.commands and name in COMMANDS:
            shadow = typer.Typer()
            parts = _new_parts(shadow)
            for register in COMMANDS[name]:
                register(parts)
            command = typer.main.get_group(shadow).get_command(ctx, name)
            if command is not None:
                self.commands[name] = command
        return super().get_command(ctx, name)


app = typer.Typer(
    cls=LazyCommands,
    epilog=exit_codes_text(),
    help="Who can reach your district's confidential and critical data — and should they?",
    context_settings={"help_option_names": ["-h", "--help"]},
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def package_version() -> str:
    """The installed package's version (pyproject.toml), the one `--version` prints."""
    try:
        return version("access-review")
    except PackageNotFoundError:  # running from a source tree that was never installed
        return "unknown (not installed)"


def _show_version(value: bool) -> None:
    if value:
        typer.echo(f"access-review {package_version()}")
        raise typer.Exit()


@app.callback()
def _options(
    show_version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_show_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
    log_level: Annotated[
        Optional[str],
        typer.Option(
            "--log-level",
            metavar="[debug|info|warning|error]",
            case_sensitive=False,
            help="What the log file and syslog keep (default: [logging] level, else info).",
        ),
    ] = None,
    quiet: Annotated[
        bool,
        typer.Option(
            "--quiet",
            "-q",
            help="Print only warnings and errors (data asked for with --format still goes to"
            " standard output).",
        ),
    ] = False,
    verbose: Annotated[
        int,
        typer.Option(
            "--verbose",
            "-v",
            count=True,
            show_default=False,
            help="Also show the log on standard error (-vv: with every request).",
        ),
    ] = 0,
) -> None:
    """Who can reach your district's confidential and critical data — and should they?"""
    if log_level is not None and log_level.lower() not in logs.LEVELS:
        raise typer.BadParameter(
            f"{log_level!r} is not one of {', '.join(logs.LEVELS)}", param_hint="--log-level"
        )
    if quiet and verbose:
        raise typer.BadParameter(
            "--quiet and --verbose contradict each other", param_hint="--quiet"
        )
    logs.start(level=log_level, quiet=quiet, verbose=verbose)
    console.quiet = quiet


def main() -> None:
    app()


if __name__ == "__main__":
    main()
