"""`access-review suspend`, `restore` and `suspensions`: the ISO's lockout pending an
investigation (docs/suspension.md). Every command is a dry run unless --apply is given."""

import shlex
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Optional

import typer
from rich.console import Console
from rich.table import Table

from ..errors import AccessReviewError, ActionRefused, SourceError
from .common import (
    ConfigOption,
    command,
    console,
    err_console,
    load_config,
    open_store,
    safe,
    with_source,
)
from .connectors import connector_factory
from .output import FormatOption, OutputFormat, iso, write_csv, write_json

if TYPE_CHECKING:  # the suspension modules are imported when a command runs
    from datetime import datetime

    from ..config import Config
    from ..records import Snapshot
    from ..store import Store
    from ..suspension.apply import ApplyReport
    from ..suspension.plan import PlanFacts, SuspensionPlan
    from ..suspension.store import CaseAccount, Step, SuspensionStore

STATUS_STYLE = {
    "changed": "green",
    "unchanged": "dim",
    "refused": "red",
    "failed": "bold red",
    "not run": "yellow",
    "re-enabled": "green",
    "drift": "yellow",
    "restored": "green",
}


def register(app: typer.Typer) -> None:

    @command(app, "suspend")
    def suspend(
        targets: Annotated[
            Optional[list[str]],
            typer.Argument(
                help="People (employee id, e-mail, name) or accounts (login, e-mail, account key)."
            ),
        ] = None,
        case: Annotated[
            Optional[str], typer.Option("--case", help="Case id, e.g. HR-2026-014.")
        ] = None,
        reason: Annotated[
            Optional[str],
            typer.Option("--reason", help="Why (kept with the case and in the audit log)."),
        ] = None,
        until: Annotated[
            Optional[str],
            typer.Option("--until", help="Review date YYYY-MM-DD; listed when passed."),
        ] = None,
        apply: Annotated[
            bool, typer.Option("--apply", help="Carry it out. Without it: show the plan only.")
        ] = False,
        revoke_tokens: Annotated[
            bool,
            typer.Option("--revoke-tokens", help="Also revoke Google third-party OAuth tokens."),
        ] = False,
        resume: Annotated[
            Optional[str], typer.Option("--resume", help="Complete what is left of this case.")
        ] = None,
        config: ConfigOption = None,
    ) -> None:
        """Disable a person's accounts in every directory and revoke their sessions (dry run unless --apply)."""

        cfg = load_config(config)
        with open_store(cfg) as store:
            if resume:
                if targets or case:
                    raise AccessReviewError(
                        "--resume takes only the case id",
                        hint=f"access-review suspend --resume {resume} --apply",
                    )
                _resume(cfg, store, resume, apply, config)
            else:
                _suspend(
                    cfg,
                    store,
                    targets or [],
                    case,
                    reason,
                    _parse_until(until),
                    apply,
                    revoke_tokens,
                    config,
                )

    @command(app, "restore")
    def restore(
        case: Annotated[str, typer.Option("--case", help="The case to restore.")],
        apply: Annotated[
            bool, typer.Option("--apply", help="Carry it out. Without it: show the plan only.")
        ] = False,
        sync: Annotated[
            bool,
            typer.Option(
                "--sync/--no-sync",
                help="Read the case's accounts from their directories first (a few requests each, not a sync), to see drift.",
            ),
        ] = True,
        config: ConfigOption = None,
    ) -> None:
        """Re-enable exactly what a case disabled; report accounts changed by someone else since (drift)."""

        cfg = load_config(config)
        with open_store(cfg) as store:
            _restore(cfg, store, case, apply, sync)

    @command(app, "suspensions")
    def suspensions(
        all_cases: Annotated[bool, typer.Option("--all", help="Also restored cases.")] = False,
        format: FormatOption = OutputFormat.table,
        config: ConfigOption = None,
    ) -> None:
        """Open suspension cases, their accounts and state; cases whose --until has passed."""

        cfg = load_config(config)
        with open_store(cfg) as store:
            _list(store, all_cases, format)


def _parse_until(text: str | None) -> date | None:
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AccessReviewError(
            f"--until {text!r} is not a date", hint="write it as YYYY-MM-DD"
        ) from None


def _resume_command(case_id: str, config: Path | None) -> str:
    words = ["access-review", "suspend", "--resume", case_id, "--apply"]
    if config:
        words += ["--config", str(config)]
    return shlex.join(words)


# -- suspend ---------------------------------------------------------------------------------
def _suspend(
    cfg: "Config",
    store: "Store",
    targets: list[str],
    case_id: str | None,
    reason: str | None,
    until: date | None,
    apply: bool,
    revoke_tokens: bool,
    config: Path | None,
) -> None:
    from .. import audit
    from ..finding_types import today_utc
    from ..stored_analysis import refresh_analysis
    from ..suspension.apply import apply_case
    from ..suspension.current import read_current_facts
    from ..suspension.plan import Protection, build_plan, directory_kinds
    from ..suspension.store import SuspensionStore
    from .queries import _resolve

    if not targets:
        raise AccessReviewError(
            "name the person or account to suspend",
            hint="access-review suspend E1234 --case CASE --reason TEXT",
        )
    if not case_id:
        raise AccessReviewError(
            "--case is required: every suspension belongs to a case", hint="e.g. --case HR-2026-014"
        )
    sstore = SuspensionStore(store)
    existing = sstore.case(case_id)
    if not reason:
        if existing is None:
            raise AccessReviewError(
                "--reason is required for a new case",
                hint='e.g. --reason "pending HR investigation"',
            )
        reason = existing.reason
    if existing is not None and existing.restored_at is not None:
        raise AccessReviewError(
            f"case {case_id} was restored and is closed",
            hint="open a new case with another --case ID",
        )
    # Who owns which account, the holds and the administrators: the stored analysis (one of an
    # earlier day will do: holds are checked against today below). Each account's state: read
    # now from its directory, a few requests each, every directory at once.
    analysis = refresh_analysis(
        cfg,
        store,
        same_day=False,
        on_rebuild=lambda why: err_console.print(
            f"[dim]Bringing the stored analysis up to date ({safe('; '.join(why))}) ...[/]",
            highlight=False,
        ),
    )
    kinds = directory_kinds(cfg)
    interactive = sys.stdin.isatty() and sys.stdout.isatty()
    facts = read_current_facts(
        store,
        analysis,
        targets,
        kinds=kinds,
        connector_for=connector_factory(cfg, cache=False),
        today=today_utc(),
        resolve=lambda answers, text: _resolve(answers.resolve_principal, text, interactive),
    )
    plan = build_plan(
        facts,
        targets,
        kinds=kinds,
        protection=Protection.from_config(cfg),
        revoke_tokens=revoke_tokens,
    )
    done_before = {
        (s.account_key, s.kind, str(s.params.get("client_id", ""))): s
        for s in (sstore.steps(case_id) if existing else [])
        if s.settled
    }
    _show_plan(console, facts, plan, case_id, done_before)
    read = [f"{source} {seconds:.1f} s" for source, seconds in sorted(facts.read_seconds.items())]
    if read:
        synced = ", ".join(
            f"{s} {at[:16].replace('T', ' ')} UTC"
            for s, at in (
                (s, v.get("finished_at") or "")
                for s, v in sorted(analysis.summary["sources"].items())
            )
            if at
        )
        console.print(
            "Each account's state was read from its directory just now ("
            + safe(", ".join(read))
            + ");"
            " who owns which account and the holds are from the last sync (" + safe(synced) + ")."
            " Each change is checked again on apply.",
            highlight=False,
        )
    if not plan.steps:
        if plan.refused:
            raise ActionRefused(
                "nothing to suspend: every account named is refused (reasons above)"
            )
        raise AccessReviewError("nothing to suspend: no account found for what was named")
    if not apply:
        console.print("[bold]Dry run[/]: nothing was changed. Add --apply to carry it out.")
        return
    case, new_steps = sstore.record_plan(case_id, reason, until, plan, audit.actor_of(store))
    audit.append(
        store,
        "suspension.case",
        {
            "case": case_id,
            "reason": case.reason,
            "until": until,
            "targets": list(plan.targets),
            "new_steps": len(new_steps),
            "revoke_tokens": revoke_tokens,
            "accounts": {p.key: p.disposition for p in plan.accounts},
            "refused": {p.key: p.reason for p in plan.refused},
            "holds": {p.key: list(p.holds) for p in plan.accounts if p.holds},
        },
    )
    if not any(not s.settled for s in sstore.steps(case_id)):
        console.print(
            f"Case {safe(case_id)}: every step is done already; nothing changed.", highlight=False
        )
        return
    report = apply_case(sstore, case_id, connector_factory(cfg, cache=False))
    _show_outcome(console, sstore, case_id, report, config)


def _show_plan(
    console: Console,
    a: "PlanFacts",
    plan: "SuspensionPlan",
    case_id: str,
    done_before: dict[tuple[str, str, str], "Step"],
) -> None:
    who = (
        ", ".join(f"{a.persons[p].name} ({a.persons[p].employee_id})" for p in plan.persons)
        if plan.persons
        else ", ".join(plan.targets)
    )
    console.print(
        f"[bold]Suspension plan[/] for case {safe(case_id)}: {safe(who)}", highlight=False
    )
    table = Table(header_style="bold")
    for col in ("directory", "account", "what will change", "holds"):
        table.add_column(col, overflow="fold")
    for acct in plan.accounts:
        if acct.disposition == "refused":
            what = f"[red]REFUSED[/]: {safe(acct.reason)}"
        else:
            lines = []
            for s in acct.steps:
                earlier = done_before.get(s.identity)
                lines.append(
                    safe(s.why)
                    + (
                        f" [dim](done earlier in this case: {safe(earlier.status)})[/]"
                        if earlier
                        else ""
                    )
                )
            if acct.disposition == "already disabled":
                lines = [
                    f"[dim]{safe(acct.reason or 'already disabled')}: left alone[/]"
                    + (" (re-checked on apply)" if acct.steps else "")
                ]
            elif acct.reason:
                lines.append(f"[dim]{safe(acct.reason)}[/]")
            what = "\n".join(lines)
        holds = "\n".join(f"[yellow]hold[/]: {safe(h)}" for h in acct.holds) or ""
        table.add_row(safe(acct.source), safe(acct.login), what, holds)
    console.print(table)
    if any(acct.holds for acct in plan.accounts):
        console.print(
            "[yellow]Litigation hold[/]: suspension keeps the account and its data; nothing is deleted."
        )
    for w in plan.warnings:
        console.print(f"[yellow]warning:[/] {safe(w)}", highlight=False)


def _show_outcome(
    console: Console,
    sstore: "SuspensionStore",
    case_id: str,
    report: "ApplyReport",
    config: Path | None,
) -> None:
    from ..suspension.store import case_state

    logins = {x.account_key: x.login for x in sstore.accounts(case_id)}
    table = Table(title=f"Case {safe(case_id)}", header_style="bold")
    for col in ("directory", "account", "action", "result", "note"):
        table.add_column(col, overflow="fold")
    for o in report.outcomes:
        style = STATUS_STYLE.get(o.status, "")
        table.add_row(
            safe(o.source),
            safe(logins.get(o.account_key, o.account_key)),
            safe(o.kind.replace("_", " ")),
            f"[{style}]{safe(o.status)}[/]" if style else safe(o.status),
            safe(o.message),
        )
    console.print(table)
    refused = sum(o.status == "refused" for o in report.outcomes)
    if refused:
        console.print(
            f"[yellow]{refused} step{' was' if refused == 1 else 's were'} refused[/]: the note says what "
            "to do by hand.",
            highlight=False,
        )
    changed = sum(o.status == "changed" for o in report.outcomes)
    console.print(
        f"{changed} change(s) in {report.seconds:.1f}s ("
        + ", ".join(f"{safe(s)} {t:.1f}s" for s, t in sorted(report.seconds_by_source.items()))
        + ")",
        highlight=False,
    )
    state = case_state(sstore.require_case(case_id), sstore.steps(case_id))
    if report.complete:
        console.print(f"Case {safe(case_id)}: {safe(state)}.", highlight=False)
        return
    for source, error in sorted(report.failed_sources.items()):
        err_console.print(
            f"[bold red]error:[/] {safe(with_source(source, error))}",
            highlight=False,
            soft_wrap=True,
        )
    others = sorted({o.source for o in report.outcomes} - set(report.failed_sources))
    done = (
        f"; {', '.join(others)} {'was' if len(others) == 1 else 'were'} applied" if others else ""
    )
    err_console.print(
        f"Case {safe(case_id)} is incomplete{safe(done)}. "
        f"To finish it: {safe(_resume_command(case_id, config))}",
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(SourceError.exit_code)


# -- resume ----------------------------------------------------------------------------------
def _resume(cfg: "Config", store: "Store", case_id: str, apply: bool, config: Path | None) -> None:
    from ..suspension.apply import apply_case
    from ..suspension.store import SuspensionStore

    sstore = SuspensionStore(store)
    case = sstore.require_case(case_id)
    if case.restored_at is not None:
        raise AccessReviewError(f"case {case_id} was restored and is closed; nothing to resume")
    todo = [s for s in sstore.steps(case_id) if not s.settled]
    logins = {x.account_key: x.login for x in sstore.accounts(case_id)}
    if not todo:
        console.print(
            f"Case {safe(case_id)}: every step is done; nothing to resume.", highlight=False
        )
        return
    table = Table(title=f"Left to do in case {safe(case_id)}", header_style="bold")
    for col in ("directory", "account", "action", "state"):
        table.add_column(col)
    for s in todo:
        state = {
            "pending": "not started",
            "started": "interrupted (re-checked first)",
            "failed": f"failed: {s.message}",
        }[s.status]
        table.add_row(
            safe(s.source),
            safe(logins.get(s.account_key, s.account_key)),
            safe(s.why or s.kind),
            safe(state),
        )
    console.print(table)
    if not apply:
        console.print("[bold]Dry run[/]: nothing was changed. Add --apply to carry it out.")
        return
    report = apply_case(sstore, case_id, connector_factory(cfg, cache=False))
    _show_outcome(console, sstore, case_id, report, config)


# -- restore ---------------------------------------------------------------------------------
def _restore(cfg: "Config", store: "Store", case_id: str, apply: bool, read: bool) -> None:
    from ..suspension.restore import apply_restore, plan_restore, read_case_accounts
    from ..suspension.store import SuspensionStore

    sstore = SuspensionStore(store)
    case = sstore.require_case(case_id)
    snapshots: dict[str, Snapshot] = {}
    read_at: dict[str, datetime] = {}
    if read and case.restored_at is None:
        # The accounts the case disabled, read now from their directories (a few requests
        # each, not a sync): drift is seen before anything is re-enabled.
        snapshots, read_at, failed = read_case_accounts(
            sstore, case_id, connector_factory(cfg, cache=False), configured=set(cfg.sources)
        )
        for source, error in sorted(failed.items()):
            err_console.print(
                f"[yellow]warning:[/] could not read {safe(source)} ({safe(error)}); drift there is "
                "checked when each account is re-enabled",
                highlight=False,
                soft_wrap=True,
            )
    plan = plan_restore(sstore, case_id, snapshots, read_at)
    table = Table(
        title=f"Restore of case {safe(case_id)} ({safe(case.reason)})", header_style="bold"
    )
    for col in ("directory", "account", "restore", "why"):
        table.add_column(col, overflow="fold")
    labels = {
        "re-enable": "[green]re-enable[/]",
        "drift": "[yellow]DRIFT: left as it is[/]",
        "leave disabled": "leave disabled",
        "done": "[dim]done[/]",
    }
    for item in plan.items:
        table.add_row(
            safe(item.source),
            safe(item.login),
            labels.get(item.action, safe(item.action)),
            safe(item.reason),
        )
    console.print(table)
    for note in plan.notes:
        console.print(f"note: {safe(note)}", highlight=False)
    if not apply:
        console.print("[bold]Dry run[/]: nothing was changed. Add --apply to carry it out.")
        return
    if case.restored_at is not None:
        console.print(
            f"Case {safe(case_id)} was restored on {case.restored_at:%Y-%m-%d %H:%M}; nothing to do.",
            highlight=False,
        )
        return
    report = apply_restore(sstore, plan, connector_factory(cfg, cache=False))
    result = Table(title=f"Restored case {safe(case_id)}", header_style="bold")
    for col in ("directory", "account", "result", "note"):
        result.add_column(col, overflow="fold")
    for item in report.items:
        style = STATUS_STYLE.get(item.action, "")
        result.add_row(
            safe(item.source),
            safe(item.login),
            f"[{style}]{safe(item.action)}[/]" if style else safe(item.action),
            safe(item.reason),
        )
    console.print(result)
    drift = [i for i in report.items if i.action == "drift"]
    if drift:
        console.print(
            f"[yellow]{len(drift)} account(s) changed by someone else since the suspension were left "
            "as they are[/]: check them by hand."
        )
    if report.failed_sources or not report.restored_case:
        for source, error in sorted(report.failed_sources.items()):
            err_console.print(
                f"[bold red]error:[/] {safe(with_source(source, error))}",
                highlight=False,
                soft_wrap=True,
            )
        err_console.print(
            f"Case {safe(case_id)} is not fully restored; run the same command again to finish it.",
            highlight=False,
        )
        raise typer.Exit(SourceError.exit_code)
    console.print(f"Case {safe(case_id)}: restored.", highlight=False)


# -- list ------------------------------------------------------------------------------------
# The fields of `suspensions --format csv|json` (docs/output.md): JSON has one object per case
# with its accounts; CSV one line per account, with its case's fields.
CASE_FIELDS = (
    "case",
    "state",
    "reason",
    "opened",
    "opened_by",
    "until",
    "review_date_passed",
    "restored",
)
ACCOUNT_FIELDS = (
    "source",
    "account",
    "account_key",
    "person",
    "employee_id",
    "account_state",
    "holds",
)


def _case_rows(store: "Store", all_cases: bool) -> list[dict[str, Any]]:
    from ..suspension.store import SuspensionStore, case_state

    sstore = SuspensionStore(store)
    people = {f"person:{p.employee_id}": p for p in store.load_roster()}
    today = date.today()
    rows = []
    for case in sstore.cases():
        steps = sstore.steps(case.id)
        state = case_state(case, steps)
        if state == "restored" and not all_cases:
            continue
        by_account: dict[str, list[Step]] = {}
        for s in steps:
            by_account.setdefault(s.account_key, []).append(s)
        accounts = []
        for acct in sstore.accounts(case.id):
            person = people.get(acct.person or "")
            accounts.append(
                {
                    "source": acct.source,
                    "account": acct.login,
                    "account_key": acct.account_key,
                    "person": person.name if person else None,
                    "employee_id": person.employee_id
                    if person
                    else (acct.person or "").removeprefix("person:") or None,
                    "account_state": _account_state(acct, by_account.get(acct.account_key, [])),
                    "holds": list(acct.holds),
                }
            )
        rows.append(
            {
                "case": case.id,
                "state": state,
                "reason": case.reason,
                "opened": iso(case.created_at),
                "opened_by": case.created_by,
                "until": iso(case.until),
                "review_date_passed": bool(
                    case.until and case.until < today and state != "restored"
                ),
                "restored": iso(case.restored_at),
                "accounts": accounts,
            }
        )
    return rows


def _list(store: "Store", all_cases: bool, format: OutputFormat = OutputFormat.table) -> None:
    cases = _case_rows(store, all_cases)
    if format is OutputFormat.json:
        write_json(cases)
        return
    if format is OutputFormat.csv:
        write_csv(
            CASE_FIELDS + ACCOUNT_FIELDS,
            ({**{k: c[k] for k in CASE_FIELDS}, **a} for c in cases for a in c["accounts"]),
        )
        return
    for case in cases:
        until = f", until {case['until']}" if case["until"] else ""
        past = " [red](review date passed)[/]" if case["review_date_passed"] else ""
        console.print(
            f"[bold]{safe(case['case'])}[/] — {safe(case['state'])} — opened {case['opened'][:10]} by"
            f" {safe(case['opened_by'])}{until}{past}\n  reason: {safe(case['reason'])}",
            highlight=False,
        )
        table = Table(header_style="bold", show_edge=False)
        for col in ("directory", "account", "state", "holds"):
            table.add_column(col, overflow="fold")
        for acct in case["accounts"]:
            state = acct["account_state"]
            style = ACCOUNT_STATE_STYLE.get(state.split(":")[0], "")
            table.add_row(
                safe(acct["source"]),
                safe(acct["account"]),
                f"[{style}]{safe(state)}[/]" if style else safe(state),
                safe("; ".join(acct["holds"])),
            )
        console.print(table)
    if not cases:
        console.print("No open suspension cases." if not all_cases else "No suspension cases.")
    overdue = [c["case"] for c in cases if c["review_date_passed"]]
    if overdue:
        console.print(
            "[red]Review date passed[/]: "
            + safe(", ".join(overdue))
            + " — restore (`access-review restore --case ID`) or extend (`--until`).",
            highlight=False,
        )


ACCOUNT_STATE_STYLE = {"incomplete": "yellow", "refused": "red", "drift": "yellow"}


def _account_state(acct: "CaseAccount", steps: list["Step"]) -> str:
    """Where one account of a case stands, in words (plain text)."""
    if acct.disposition == "refused":
        return f"refused: {acct.reason}"
    disable = next((s for s in steps if s.kind == "disable_account"), None)
    if any(s.status in ("pending", "started", "failed") for s in steps):
        return "incomplete: " + ", ".join(
            f"{s.kind.replace('_', ' ')} {s.status}"
            for s in steps
            if s.status in ("pending", "started", "failed")
        )
    if disable is not None and disable.restore_status:
        return {"restored": "re-enabled", "drift": f"drift: {disable.restore_message}"}.get(
            disable.restore_status, f"restore {disable.restore_status}: {disable.restore_message}"
        )
    if disable is not None and disable.ours:
        return "disabled by this case"
    if disable is not None:
        return "was already disabled"
    if steps:
        return "sessions revoked" + (f" ({acct.reason})" if acct.reason else "")
    return acct.disposition
