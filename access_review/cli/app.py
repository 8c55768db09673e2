"""The `access-review` command: the typer app, its command groups, and where each group's
commands come from. Commands are thin; domain errors become one clear line and an exit code
in one place (``common.handle_errors``)."""
from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Annotated

import typer

import campaigns.cli
import exports.cli
import review_web.cli

from . import audit, configure, demo, imports, queries, suspension, sync

app = typer.Typer(help="Who can reach your district's confidential and critical data — and should they?",
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
        "--version", callback=_show_version, is_eager=True, help="Print the version and exit.")] = False) -> None:
    """Who can reach your district's confidential and critical data — and should they?"""


roster_app = typer.Typer(help="Import the staff roster.", no_args_is_help=True)
inventory_app = typer.Typer(help="Import and check the data inventory.", no_args_is_help=True)
audit_app = typer.Typer(help="The audit log.", no_args_is_help=True)
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
review_web.cli.register(app)                 # serve (the web review page)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
