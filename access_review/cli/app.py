"""The `access-review` command: the typer app, its command groups, and where each group's
commands come from. Commands are thin; domain errors become one clear line and an exit code
in one place (``common.handle_errors``)."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated, Optional

import typer

import campaigns.cli
import exports.cli
import review_web.cli

from ..errors import EXIT_CODES
from . import audit, configure, demo, imports, logs, queries, schedule, suspension, sync
from .common import command_group, console
from .help_style import ReadableGroup


def exit_codes_text() -> str:
    """The exit codes, one per line, as `--help` ends."""
    return "Exit codes:\n\n" + "\n".join(f"  {code}  {meaning}" for code, meaning in sorted(EXIT_CODES.items()))


app = typer.Typer(help="Who can reach your district's confidential and critical data — and should they?",
                  epilog=exit_codes_text(), cls=ReadableGroup,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


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
def _options(show_version: Annotated[bool, typer.Option(
                 "--version", callback=_show_version, is_eager=True, help="Print the version and exit.")] = False,
             log_level: Annotated[Optional[str], typer.Option(
                 "--log-level", metavar="[debug|info|warning|error]", case_sensitive=False,
                 help="What the log file and syslog keep (default: [logging] level, else info).")] = None,
             quiet: Annotated[bool, typer.Option(
                 "--quiet", "-q", help="Print only warnings and errors (data asked for with --format still goes to"
                                       " standard output).")] = False,
             verbose: Annotated[int, typer.Option(
                 "--verbose", "-v", count=True, show_default=False, help="Also show the log on standard error (-vv: with every"
                                                     " request).")] = 0) -> None:
    """Who can reach your district's confidential and critical data — and should they?"""
    if log_level is not None and log_level.lower() not in logs.LEVELS:
        raise typer.BadParameter(f"{log_level!r} is not one of {', '.join(logs.LEVELS)}", param_hint="--log-level")
    if quiet and verbose:
        raise typer.BadParameter("--quiet and --verbose contradict each other", param_hint="--quiet")
    logs.start(level=log_level, quiet=quiet, verbose=verbose)
    console.quiet = quiet


roster_app = command_group("Import the staff roster.")
inventory_app = command_group("Import and check the data inventory.")
audit_app = command_group("The audit log.")
app.add_typer(roster_app, name="roster")
app.add_typer(inventory_app, name="inventory")
app.add_typer(audit_app, name="audit")

configure.register(app)                      # init, doctor
imports.register(roster_app, inventory_app)  # roster import, inventory import
sync.register(app)                           # sync, status
queries.register(app, inventory_app)         # findings, why, access, who, accounts, inventory check
audit.register(audit_app)                    # audit verify, audit show
demo.register(app)                           # demo
campaigns.cli.register(app)                  # campaign ...
suspension.register(app)                     # suspend, restore, suspensions
exports.cli.register(app)                    # export ...
schedule.register(app)                       # run-due, schedule
review_web.cli.register(app)                 # serve (the web review page)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
