"""Questions the ISO asks: findings, why, access, who, accounts and the inventory check.

The answers come from the stored analysis (``access_review.answers``), rebuilt first when its
inputs changed; this module only resolves what was typed and shows the rows — as a table for
people, or as CSV or JSON for scripts (docs/output.md: the fields, the same names in every
command). Every value from data goes through ``safe()`` on the way to the terminal; CSV through
the one CSV writer, which neutralises formulas.
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Annotated,
    Any,
    Callable,
    Iterator,
    Optional,
    Protocol,
    Sequence,
    TypeVar,
)

import typer

from ..answers import AccessRow, Answers, ArgumentError, Principal
from ..csv_output import build_csv
from ..errors import AccessReviewError
from ..finding_types import FINDING_TYPES, SEVERITY_ORDER
from .common import (
    ConfigOption,
    command,
    console,
    err_console,
    load_config,
    open_store,
    safe,
    visible,
)

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

    from ..config import Config
    from ..store import Store

T = TypeVar("T")
FORMATS = ("table", "csv", "json")
SEVERITY_STYLE = {
    "critical": "bold red",
    "high": "red",
    "medium": "yellow",
    "low": "cyan",
    "info": "dim",
}
FormatOption = Annotated[
    str, typer.Option("--format", "-f", help="table, csv or json (docs/output.md).")
]


class _AnswerRow(Protocol):
    """A row of ``answers`` (``AccessRow``, ``FindingRow``, ...): its fields by name."""

    def as_dict(self) -> dict[str, Any]: ...


def register(app: typer.Typer, inventory_app: typer.Typer) -> None:
    for name, func in (
        ("findings", findings),
        ("why", why),
        ("access", access),
        ("who", who),
        ("accounts", accounts),
    ):
        command(app, name)(func)
    command(inventory_app, "check")(inventory_check)


# -- shared -------------------------------------------------------------------------------------
def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise AccessReviewError(f"unknown format {format!r}", hint="use table, csv or json")


def _say_rebuilding(reasons: list[str]) -> None:
    err_console.print(
        f"[dim]Bringing the stored analysis up to date ({safe('; '.join(reasons))}) ...[/]",
        highlight=False,
        soft_wrap=True,
    )


def _answers(cfg: Config, store: Store) -> Answers:
    """Answers from the stored analysis of the current inputs (built now if it is out of date)."""
    from ..stored_analysis import refresh_analysis

    return Answers(store, refresh_analysis(cfg, store, on_rebuild=_say_rebuilding))


@contextmanager
def _reading_answers(config: Path | None) -> Iterator[Answers]:
    """A query command's answers, read under one read transaction (one consistent view while a
    sync may be writing); the store is closed on the way out."""
    cfg = load_config(config)
    with open_store(cfg) as store:
        answers = _answers(cfg, store)
        with store.reading():
            yield answers


def _interactive(format: str) -> bool:
    return format == "table" and sys.stdin.isatty() and sys.stdout.isatty()


def _resolve(resolve: Callable[[str], T], text: str, interactive: bool) -> T:
    """``resolve(text)``; when several things match and a person is at the terminal, ask which."""
    try:
        return resolve(text)
    except ArgumentError as exc:
        if not (interactive and exc.candidates):
            raise
        err_console.print(f"{safe(exc)}", highlight=False)
        for number, candidate in enumerate(exc.candidates, 1):
            err_console.print(f"  {number:>2}. {safe(candidate.label)}", highlight=False)
        choice = typer.prompt(f"Which one (1-{len(exc.candidates)})", type=int, err=True)
        if not 1 <= choice <= len(exc.candidates):
            raise ArgumentError(f"{choice} is not one of 1-{len(exc.candidates)}") from None
        return resolve(exc.candidates[choice - 1].value)


def _write_rows(format: str, rows: Sequence[_AnswerRow], fields: tuple[str, ...]) -> None:
    if format == "json":
        sys.stdout.write(
            json.dumps([r.as_dict() for r in rows], indent=2, ensure_ascii=False, default=str)
            + "\n"
        )
    else:
        sys.stdout.write(build_csv(fields, ([r.as_dict()[f] for f in fields] for r in rows)))


# Fields a CSV cell cannot hold as text (lists, objects): in the JSON only.
NOT_IN_CSV = {"person_key", "path_keys", "evidence"}


def _fields(row_type: type[DataclassInstance]) -> tuple[str, ...]:
    return tuple(f for f in row_type.__dataclass_fields__ if f not in NOT_IN_CSV)


# Past this many rows a boxed table costs seconds to lay out (rich measures every cell) and
# is more than anyone reads on a terminal: the rows are written one line each instead, as
# plain text (control characters made visible, nothing taken as markup).
LONG_TABLE = 100


def _show_table(title: str | None, columns: tuple[str, ...], rows: list[list[Any]]) -> None:
    """``title`` is markup (its values already made safe); each cell a value from data, or
    (value, style)."""
    if len(rows) <= LONG_TABLE:
        from rich.table import Table

        table = Table(title=title, header_style="bold")
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(
                *(f"[{c[1]}]{safe(c[0])}[/]" if isinstance(c, tuple) else safe(c) for c in row)
            )
        console.print(table)
        return
    if title:
        console.print(f"[bold]{title}[/]", highlight=False, soft_wrap=True)
    lines = [" · ".join(columns)]
    lines += [" · ".join(visible(c[0] if isinstance(c, tuple) else c) for c in row) for row in rows]
    console.file.write("\n".join(lines) + "\n")
    console.print(
        f"[dim]{len(rows):,} rows, one line each; --format csv opens them in a spreadsheet[/]"
    )


def _note_missing(answers: Answers) -> None:
    """Say which findings could not be looked for, and what to import (on stderr)."""
    for missing, types in sorted(answers.summary.get("skipped", {}).items()):
        what = "staff roster" if missing == "roster" else "data inventory"
        how = (
            "access-review roster import FILE"
            if missing == "roster"
            else "access-review inventory import FILE"
        )
        err_console.print(
            f"[yellow]not looked for without the {what}:[/] {safe(', '.join(types))}"
            f" (import it: `{how}`)",
            highlight=False,
            soft_wrap=True,
        )


# -- inventory check ------------------------------------------------------------------------------
def inventory_check(config: ConfigOption = None, format: FormatOption = "table") -> None:
    """Check the imported inventory against the latest snapshots: selectors that match nothing."""
    from ..answers import InventoryRow

    _check_format(format)
    with _reading_answers(config) as answers:
        rows, warnings = answers.inventory_check()
    if format == "json":
        sys.stdout.write(
            json.dumps(
                {"resources": [r.as_dict() for r in rows], "warnings": warnings},
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
        return
    if format == "csv":
        _write_rows("csv", rows, _fields(InventoryRow))
        for w in warnings:
            err_console.print(f"[yellow]warning:[/] {safe(w)}", highlight=False)
        return
    _show_table(
        "Inventory resources",
        ("resource", "classification", "data manager", "matches", "people with access"),
        [
            [
                r.resource,
                r.classification,
                r.data_manager or ("(none)", "red"),
                str(r.selector_matches),
                str(r.people),
            ]
            for r in rows
        ],
    )
    for w in warnings:
        console.print(f"[yellow]warning:[/] {safe(w)}", highlight=False)
    if not warnings:
        console.print("Every selector matches something in the latest snapshots.")


# -- accounts -------------------------------------------------------------------------------------
def accounts(
    config: ConfigOption = None,
    unmatched: Annotated[
        bool, typer.Option(help="List the non-student accounts that match no roster person.")
    ] = False,
    format: FormatOption = "table",
) -> None:
    """How directory accounts were joined to roster people, and which were not."""
    from ..answers import UnjoinedAccount

    _check_format(format)
    with _reading_answers(config) as answers:
        s = answers.accounts_summary()
        missing = answers.missing_inputs
    listed = list(s.ambiguous) + (list(s.unmatched_accounts) if unmatched else [])
    if format == "json":
        out = s.as_dict()
        if not unmatched:
            out.pop("unmatched_accounts")
        sys.stdout.write(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
        return
    if format == "csv":
        _write_rows("csv", listed, _fields(UnjoinedAccount))
        return
    if "roster" in missing:
        err_console.print(
            "[yellow]no staff roster is imported:[/] no account can be joined to a person"
            " (import it: `access-review roster import FILE`)",
            highlight=False,
        )
    console.print(
        f"{s.accounts:,} accounts; {s.joined:,} joined to {s.people:,} people"
        f" ({', '.join(f'{n:,} by {safe(m)}' for m, n in s.by_method)})."
    )
    console.print(
        f"{s.unmatched:,} without a roster person: "
        + (", ".join(f"{n:,} {safe(k)}" for k, n in s.unmatched_by_kind) or "none")
        + "."
    )
    for a in s.ambiguous:
        console.print(
            f"[yellow]ambiguous:[/] {safe(a.account_key)}: {safe(a.note)}; not joined",
            highlight=False,
        )
    if unmatched:
        # Students are expected to have no staff-roster person; list everything else.
        for a in s.unmatched_accounts:
            state = "enabled" if a.enabled else "disabled"
            console.print(
                f"  {safe(a.source)}:{safe(a.account)}  {safe(a.kind)}, {state}"
                f"  {safe(a.display_name)}",
                highlight=False,
                soft_wrap=True,
            )


# -- findings ----------------------------------------------------------------------------------
def findings(
    config: ConfigOption = None,
    type: Annotated[
        Optional[list[str]], typer.Option("--type", "-t", help="Only these finding types.")
    ] = None,
    severity: Annotated[
        Optional[str],
        typer.Option(help="This severity or worse: critical, high, medium, low, info."),
    ] = None,
    resource: Annotated[
        Optional[str],
        typer.Option(help="Only findings about this resource (its name, or a unique part of it)."),
    ] = None,
    person: Annotated[
        Optional[str],
        typer.Option(
            help="Only findings about this person or account (id, e-mail, login or name)."
        ),
    ] = None,
    format: FormatOption = "table",
    save: Annotated[bool, typer.Option(help="Record this findings run in the store.")] = True,
) -> None:
    """Compare who has access with the inventory and the roster; list what needs attention."""
    from .. import audit
    from ..answers import FindingRow

    _check_format(format)
    for t in type or []:
        if t not in FINDING_TYPES:
            raise AccessReviewError(
                f"unknown finding type {t!r}", hint="types: " + ", ".join(FINDING_TYPES)
            )
    if severity and severity not in SEVERITY_ORDER:
        raise AccessReviewError(
            f"unknown severity {severity!r}", hint="critical, high, medium, low or info"
        )
    cfg = load_config(config)
    with open_store(cfg) as store:
        answers = _answers(cfg, store)
        with store.reading():
            named_resource = (
                _resolve(
                    lambda t: answers.resolve_resource(t, directory=True),
                    resource,
                    _interactive(format),
                )
                if resource
                else None
            )
            principal = (
                _resolve(answers.resolve_principal, person, _interactive(format))
                if person
                else None
            )
            selected = answers.findings(
                types=type or (), severity=severity, resource=named_resource, principal=principal
            )
        if save:
            count = answers.summary["findings"]["count"]
            run_id = store.save_findings_run(
                answers.analysis.id, count, dict(answers.analysis.inputs.runs)
            )
            audit.append(
                store,
                "findings",
                {"run": run_id, "count": count, "by_type": answers.summary["findings"]["by_type"]},
            )
    for source, views in sorted(answers.summary.get("partial_views", {}).items()):
        for view, why_partial in sorted(views.items()):
            # On stderr, so that csv/json output stays machine-readable.
            err_console.print(
                f"[yellow]partial view ({safe(source)}, {safe(view)}):[/] {safe(why_partial)}",
                highlight=False,
            )
    _note_missing(answers)
    if format != "table":
        _write_rows(format, selected, _fields(FindingRow))
        return
    _show_table(
        None,
        ("severity", "type", "summary", "path"),
        [
            [
                (f.severity, SEVERITY_STYLE[f.severity])
                if f.severity in SEVERITY_STYLE
                else f.severity,
                f.type,
                f.summary,
                f.path,
            ]
            for f in selected
        ],
    )
    counts: dict[str, int] = {}
    for f in selected:
        counts[f.severity] = counts.get(f.severity, 0) + 1
    console.print(
        ", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts.get(s)) or "no findings"
    )


# -- why, access, who -----------------------------------------------------------------------------
def why(
    person: Annotated[
        str, typer.Argument(help="Employee id, e-mail, login or name (or a unique part of it).")
    ],
    resource: Annotated[
        str, typer.Argument(help="Inventory resource name (or a unique part of it).")
    ],
    config: ConfigOption = None,
    format: FormatOption = "table",
) -> None:
    """Explain how a person reaches a resource: every path, readable, the one that gives the
    highest level first."""
    from ..answers import WhyRow

    _check_format(format)
    with _reading_answers(config) as answers:
        res = _resolve(answers.resolve_resource, resource, _interactive(format))
        principal = _resolve(answers.resolve_principal, person, _interactive(format))
        rows = answers.why(principal, res)
    if format != "table":
        _write_rows(format, rows, _fields(WhyRow))
        return
    if not rows:
        console.print(f"{safe(principal.label)} has no access to {safe(res)}.", highlight=False)
        return
    for r in rows:
        prefix = f"{r.person} → " if principal.person else ""
        console.print(
            f"• {safe(f'[{r.level}] ' + prefix + r.path)}", highlight=False, soft_wrap=True
        )
    if principal.person:
        ok, reason = rows[0].authorized, rows[0].reason
        console.print(
            ("[green]authorized[/]" if ok else "[red]not authorized[/]") + f": {safe(reason)}",
            highlight=False,
        )


def access(
    person: Annotated[
        str, typer.Argument(help="Employee id, e-mail, login or name (or a unique part of it).")
    ],
    config: ConfigOption = None,
    format: FormatOption = "table",
) -> None:
    """Everything in the inventory a person (or account) can reach, and how."""
    _check_format(format)
    with _reading_answers(config) as answers:
        answers.require_inventory()
        principal: Principal = _resolve(answers.resolve_principal, person, _interactive(format))
        rows = answers.access(principal)
    if format != "table":
        _write_rows(format, rows, _fields(AccessRow))
        return
    _show_table(
        f"Access of {safe(principal.label)}",
        ("resource", "classification", "level", "authorized", "path"),
        [
            [
                r.resource,
                r.classification,
                r.level,
                ("yes" if r.authorized else "NO") + f" ({r.reason})",
                r.path,
            ]
            for r in rows
        ],
    )
    if not rows:
        console.print(f"{safe(principal.label)} reaches nothing in the inventory.", highlight=False)


def who(
    resource: Annotated[
        str, typer.Argument(help="Inventory resource name (or a unique part of it).")
    ],
    config: ConfigOption = None,
    format: FormatOption = "table",
) -> None:
    """Everyone who can reach a resource, with the path and whether the inventory authorizes it."""
    _check_format(format)
    with _reading_answers(config) as answers:
        res = _resolve(answers.resolve_resource, resource, _interactive(format))
        rows = answers.who(res)
        classification = answers.inventory[res]["classification"]
    if format != "table":
        _write_rows(format, rows, _fields(AccessRow))
        return
    _show_table(
        f"{safe(res)} ({safe(classification)}) — {len(rows)} accounts",
        ("person", "account", "level", "authorized", "path"),
        [
            [
                r.person or ("(no roster person)", "red"),
                f"{r.source}:{r.account}",
                r.level,
                f"yes ({r.reason})" if r.authorized else (f"NO ({r.reason})", "red"),
                r.path,
            ]
            for r in rows
        ],
    )
