"""`access-review campaign ...`: thin typer commands over campaigns.lifecycle.

Every value that came from data (names, e-mail addresses, file names, resource and group
names, error text) goes through ``safe()`` before it reaches the terminal."""

from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Callable, Mapping, Optional

import typer

from access_review.cli.common import (
    ConfigOption,
    command,
    command_group,
    console,
    err_console,
    load_config,
    open_store,
    safe,
)
from access_review.cli.connectors import connector_factory
from access_review.cli.output import FormatOption, OutputFormat, write_csv, write_json

if TYPE_CHECKING:  # the campaign modules are imported when a command runs
    from access_review.analysis import Analysis
    from access_review.config import Config
    from access_review.connector import ActionKind

    from .responses import ResponseTally
    from .store import Campaign

CampaignOption = Annotated[
    Optional[str],
    typer.Option(
        "--campaign",
        help="Campaign label (2026Q4) or id (default: the latest not yet verified, else the latest).",
    ),
]
TodayOption = Annotated[
    Optional[str],
    typer.Option(
        "--today", metavar="DATE", help="Evaluate as of this date (YYYY-MM-DD; default: today)."
    ),
]


def _today(text: str | None) -> date | None:
    from access_review.errors import AccessReviewError

    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise AccessReviewError(f"--today {text!r} is not a date like 2026-12-18") from None


def _analysis(cfg, store, today: date | None):
    from access_review.analysis import analyse
    from access_review.errors import AccessReviewError

    a = analyse(cfg, store, today=today)
    if not a.snapshots:
        raise AccessReviewError(
            "no complete snapshot of any source yet", hint="run `access-review sync`"
        )
    return a


def _refusal(
    cfg: "Config", analysis: "Analysis"
) -> Callable[[str, "ActionKind", str, Mapping[str, Any]], str | None]:
    """Planning-time check by each connector (e.g. Entra refuses a group synced from AD)."""
    from access_review.connector import Action
    from access_review.errors import AccessReviewError

    connector_for = connector_factory(cfg)

    def refusal(
        source: str, kind: "ActionKind", target: str, params: Mapping[str, Any]
    ) -> str | None:
        try:
            connector = connector_for(source)
        except AccessReviewError as exc:
            return f"cannot build the {source} connector: {exc}"
        return connector.refusal(
            Action(kind, source, target, dict(params)), analysis.snapshots.get(source)
        )

    return refusal


def _print_plan(console, steps, items: dict) -> None:
    """The plan as the ISO reads it: per person and resource, each change in words (people and
    groups by name), its status and why; lines are not cut to the terminal's width."""
    by_item: dict[str, list] = {}
    for s in steps:
        by_item.setdefault(s.item_id, []).append(s)
    if not by_item:
        console.print("No changes to make: nothing was revoked.", highlight=False)
    colour = {
        "planned": "yellow",
        "changed": "green",
        "unchanged": "green",
        "refused": "red",
        "failed": "red",
    }
    for item_id, mine in by_item.items():
        item = items.get(item_id)
        head = f"{safe(item.name)} → {safe(item.resource)}" if item else safe(item_id)
        console.print(f"[bold]{head}[/] ({item_id})", highlight=False, soft_wrap=True)
        for s in mine:
            console.print(
                f"  {s.step}. {safe(s.change_text)} — [{colour.get(s.status, 'white')}]{s.status}[/]",
                highlight=False,
                soft_wrap=True,
            )
            for line in [s.note, s.message]:
                if line:
                    console.print(f"     {safe(line)}", highlight=False, soft_wrap=True)


def _responses_table(tallies, total=None, *, overdue: bool = False, show_kept: bool = True):
    """Decided / defaulted / unanswered per reviewer (and the campaign) — what `status` and
    `close` show; laid out to fit an 80-column terminal (names wrap, figures do not)."""
    from rich.table import Table

    table = Table(header_style="bold underline", box=None, padding=(0, 1), pad_edge=False)
    table.add_column("reviewer", min_width=18, ratio=1)
    columns = ["items", "decided", "defaulted", "unanswered", "revoked"] + (
        ["flagged kept"] if show_kept else []
    )
    for col in columns:
        table.add_column(col, justify="right", no_wrap=True)
    for t in [*tallies, *([total] if total is not None else [])]:
        name = safe(t.label) if t.reviewer else "[bold]all reviewers[/]"
        if overdue and t.reviewer and t.unanswered:
            name += " [red]overdue[/]"
        row = [
            name,
            str(t.items),
            str(t.decided),
            str(t.defaulted),
            f"[red]{t.unanswered}[/]" if t.unanswered else "0",
            str(t.revoked),
        ]
        if show_kept:
            kept = f"{t.flagged_kept}/{t.flagged}"
            if t.reviewer and t.flagged and t.flagged_kept == t.flagged:
                kept = f"[red]{kept} all kept[/]"
            row.append(kept)
        table.add_row(*row)
    return table


def _state_line(c: "Campaign", total: "ResponseTally", default: str) -> str:
    """The campaign's state, never just "verified" when reviewers did not answer."""
    from .wording import DEFAULT_WORDS

    words = DEFAULT_WORDS.get(default, default)
    if c.state in ("closed", "remediated", "verified") and total.not_answered:
        return (
            f"{c.state} [red]with non-response[/]: {total.not_answered} of {total.items} item(s) had no answer"
            f" (default: {words}; {total.defaulted} defaulted, {total.unanswered} left unanswered)"
        )
    return c.state


# The fields of `campaign list` and `campaign status --format csv|json` (docs/output.md).
CAMPAIGN_FIELDS = (
    "campaign",
    "name",
    "quarter",
    "scope",
    "state",
    "non_response",
    "due",
    "default",
    "items",
    "decided",
    "defaulted",
    "unanswered",
    "revoked",
    "flagged",
    "flagged_kept",
)
REVIEWER_FIELDS = (
    "reviewer",
    "person",
    "employee_id",
    "role",
    "items",
    "decided",
    "defaulted",
    "unanswered",
    "revoked",
    "flagged",
    "flagged_kept",
    "overdue",
)


def _figures(t) -> dict:
    return {
        "items": t.items,
        "decided": t.decided,
        "defaulted": t.defaulted,
        "unanswered": t.unanswered,
        "revoked": t.revoked,
        "flagged": t.flagged,
        "flagged_kept": t.flagged_kept,
    }


def _campaign_row(c, total, default: str) -> dict:
    return {
        "campaign": c.id,
        "name": c.name,
        "quarter": c.quarter,
        "scope": c.scope,
        "state": c.state,
        "non_response": c.state not in ("draft", "open") and total.not_answered > 0,
        "due": c.due.isoformat(),
        "default": default,
        **_figures(total),
    }


def _reviewer_row(t) -> dict:
    from .rules import reviewer_role

    role = reviewer_role(t.reviewer) or None
    return {
        "reviewer": t.reviewer,
        "person": t.name,
        "employee_id": None if role else t.reviewer,
        "role": role,
        **_figures(t),
    }


def register(app: typer.Typer) -> None:
    campaign_app = command_group("Quarterly access reviews by the data managers.")
    app.add_typer(campaign_app, name="campaign")

    @command(campaign_app, "create")
    def create(
        quarter: Annotated[str, typer.Option(help="The quarter reviewed, e.g. 2026Q4.")],
        resource: Annotated[
            Optional[list[str]],
            typer.Option("--resource", "-r", help="Only these inventory resources (repeat)."),
        ] = None,
        due: Annotated[str, typer.Option(help="Answers due: 21d, 3w or a date.")] = "21d",
        default: Annotated[
            Optional[str],
            typer.Option(
                "--default",
                help="What unanswered items become at close: keep, revoke, recommendation or none "
                "(no action). Default: [campaigns] default, else none.",
            ),
        ] = None,
        today: TodayOption = None,
        config: ConfigOption = None,
    ):
        """Pin the latest complete snapshots and build one review item per person and resource."""
        from .lifecycle import create_campaign
        from .remediation import default_of
        from .wording import default_text

        cfg = load_config(config)
        with open_store(cfg) as store:
            analysis = _analysis(cfg, store, _today(today))
            campaign, items = create_campaign(
                store, analysis, quarter=quarter, resources=resource, due=due, default=default
            )
        reviewers = {i.reviewer for i in items}
        console.print(
            f"Created {safe(campaign.label)}: {len(items)} items for {len(reviewers)} reviewer(s), "
            f"{sum(i.flagged for i in items)} flagged, due {campaign.due}.",
            highlight=False,
            soft_wrap=True,
        )
        console.print(
            safe(default_text(default_of(campaign, cfg))), highlight=False, soft_wrap=True
        )
        routed = [i for i in items if "own access" in i.reviewer_reason]
        if routed:
            console.print(
                f"{len(routed)} item(s) about a reviewer's own access go to someone else "
                "(no one reviews their own).",
                highlight=False,
                soft_wrap=True,
            )
        console.print("Next: `access-review campaign send`.", highlight=False, soft_wrap=True)

    @command(campaign_app, "send")
    def send(
        out: Annotated[
            Optional[Path],
            typer.Option(help="Write the workbooks to this folder instead of e-mailing them."),
        ] = None,
        resend: Annotated[
            bool,
            typer.Option(
                "--resend", help="E-mail reviewers again who were already sent their workbook."
            ),
        ] = False,
        reviewer: Annotated[
            Optional[list[str]],
            typer.Option(
                "--reviewer",
                help="Only this reviewer (employee id, iso, alternate or e-mail; repeat).",
            ),
        ] = None,
        campaign: CampaignOption = None,
        today: TodayOption = None,
        config: ConfigOption = None,
    ):
        """E-mail each reviewer their workbook once (SMTP from [smtp]), or write them with --out."""
        from .lifecycle import send_campaign

        cfg = load_config(config)
        with open_store(cfg) as store:
            delivered = send_campaign(
                store, cfg, campaign, out=out, resend=resend, only=reviewer, today=_today(today)
            )
        for d in delivered:
            what = {"skipped": "already sent, skipped (use --resend to send again)"}.get(
                d.status, d.status
            )
            console.print(
                f"{safe(d.name)} ({safe(d.reviewer)}): {safe(d.where)} — {what}",
                highlight=False,
                soft_wrap=True,
            )
        counts = {
            s: sum(1 for d in delivered if d.status == s)
            for s in ("written", "sent", "resent", "skipped")
        }
        if out:
            console.print(
                f"Wrote {counts['written']} workbook(s) to {safe(out)} (readable only by you).",
                highlight=False,
                soft_wrap=True,
            )
        else:
            console.print(
                f"Sent {counts['sent']} workbook(s)"
                + (f", re-sent {counts['resent']}" if counts["resent"] else "")
                + (
                    f"; {counts['skipped']} reviewer(s) already had theirs"
                    if counts["skipped"]
                    else ""
                )
                + ".",
                highlight=False,
                soft_wrap=True,
            )

    @command(campaign_app, "import")
    def import_(
        files: Annotated[list[Path], typer.Argument(help="Returned workbooks.")],
        notify: Annotated[
            bool,
            typer.Option(
                "--notify/--no-notify",
                help="E-mail a reviewer whose workbook is rejected what to fix (when [smtp] is set).",
            ),
        ] = True,
        campaign: CampaignOption = None,
        today: TodayOption = None,
        config: ConfigOption = None,
    ):
        """Record the decisions in returned workbooks; a workbook with any problem records nothing,
        and every problem in it is listed at once."""
        from .importer import WorkbookRejected
        from .lifecycle import import_workbooks

        cfg = load_config(config)
        with open_store(cfg) as store:
            outcome = import_workbooks(
                store, files, campaign, config=cfg, notify=notify, today=_today(today)
            )
        for r in outcome.accepted:
            console.print(
                f"{safe(r.path)}: {r.answered} answered ({r.recorded} new or changed), "
                f"{r.undecided} still open",
                highlight=False,
                soft_wrap=True,
            )
        for exc in outcome.rejected:
            lines = exc.lines() if isinstance(exc, WorkbookRejected) else [str(exc)]
            err_console.print(
                f"[bold red]rejected:[/] {safe(lines[0])} — nothing from this workbook was recorded",
                highlight=False,
                soft_wrap=True,
            )
            for line in lines[1:]:
                err_console.print(f"  also: {safe(line)}", highlight=False, soft_wrap=True)
            if len(lines) > 1:
                err_console.print(f"  ({len(lines)} problems in this workbook)", highlight=False)
        if outcome.notified:
            console.print(
                f"E-mailed {len(outcome.notified)} reviewer(s) what to fix, with their workbook attached.",
                highlight=False,
                soft_wrap=True,
            )
        if outcome.rejected:
            raise typer.Exit(3)

    @command(campaign_app, "remind")
    def remind(
        campaign: CampaignOption = None, today: TodayOption = None, config: ConfigOption = None
    ):
        """E-mail reviewers with undecided items; past the due date, escalate them to the ISO."""
        from .lifecycle import remind as do_remind

        cfg = load_config(config)
        with open_store(cfg) as store:
            result = do_remind(store, cfg, campaign, today=_today(today))
        console.print(
            f"Reminded {len(result['reminded'])} reviewer(s)"
            + (
                f"; escalated {len(result['escalated'])} overdue to the ISO."
                if result["escalated"]
                else "."
            ),
            highlight=False,
            soft_wrap=True,
        )

    @command(campaign_app, "list")
    def list_(format: FormatOption = OutputFormat.table, config: ConfigOption = None):
        """Every campaign with its state, default decision and figures."""
        from .lifecycle import default_of, list_campaigns
        from .wording import DEFAULT_WORDS

        cfg = load_config(config)
        with open_store(cfg) as store:
            rows = [
                _campaign_row(r.campaign, r.total, default_of(r.campaign, cfg))
                for r in list_campaigns(store)
            ]
        if format is OutputFormat.json:
            write_json(rows)
            return
        if format is OutputFormat.csv:
            write_csv(CAMPAIGN_FIELDS, rows)
            return
        if not rows:
            console.print(
                "No campaign yet. Start one with `access-review campaign create --quarter 2026Q4`.",
                highlight=False,
            )
            return
        for r in rows:
            state = r["state"] + (" [red]with non-response[/]" if r["non_response"] else "")
            console.print(
                f"[bold]{r['campaign']}[/]  {safe(r['name'])}  {state} — due {r['due']}, default "
                f"{DEFAULT_WORDS.get(r['default'], '')}: {r['items']} items, {r['decided']} decided, "
                f"{r['defaulted']} defaulted, {r['unanswered']} unanswered",
                highlight=False,
                soft_wrap=True,
            )

    @command(campaign_app, "status")
    def status(
        campaign: CampaignOption = None,
        today: TodayOption = None,
        format: FormatOption = OutputFormat.table,
        config: ConfigOption = None,
    ):
        """Answers by reviewer (decided / defaulted / unanswered), overdue, flagged items kept
        (rubber-stamping), remediation and verification — also for a finished campaign."""
        from .lifecycle import campaign_responses, default_of
        from .store import CampaignStore
        from .wording import default_text

        cfg = load_config(config)
        now = _today(today) or date.today()
        with open_store(cfg) as store:
            cstore = CampaignStore(store)
            c = cstore.current(campaign)
            per_reviewer, total = campaign_responses(cstore, c)
            plan = cstore.plan(c.id)
            verification = cstore.verification(c.id)
            items = {i.item_id: i for i in cstore.items(c.id)}
            default = default_of(c, cfg)
            channels = [d.channel for d in cstore.effective_decisions(c.id).values() if d.channel]
        overdue = now > c.due and c.state == "open"
        counts: dict[str, int] = {}
        for s in plan:
            counts[s.status] = counts.get(s.status, 0) + 1
        if format is not OutputFormat.table:
            reviewers = [
                {**_reviewer_row(t), "overdue": bool(overdue and t.unanswered)}
                for t in per_reviewer
            ]
            if format is OutputFormat.csv:
                write_csv(REVIEWER_FIELDS, reviewers)
                return
            still = [
                {
                    "item": item_id,
                    "person": items[item_id].name,
                    "resource": items[item_id].resource,
                    "detail": detail,
                }
                for item_id, (st, detail) in sorted(verification.items())
                if st == "still_present"
            ]
            write_json(
                {
                    **_campaign_row(c, total, default),
                    "overdue": overdue,
                    "reviewers": reviewers,
                    "remediation": dict(sorted(counts.items())),
                    "verification": {
                        "gone": sum(1 for st, _ in verification.values() if st == "gone"),
                        "still_present": still,
                    }
                    if verification
                    else None,
                }
            )
            return
        console.print(
            f"{safe(c.label)}: {_state_line(c, total, default)}, due {c.due}"
            + (" — [red]OVERDUE[/]" if overdue else ""),
            highlight=False,
            soft_wrap=True,
        )
        console.print(safe(default_text(default)), highlight=False, soft_wrap=True)
        console.print(_responses_table(per_reviewer, total, overdue=overdue))
        if channels:  # issue 17: web and workbook answers count alike; this says how they came
            console.print(
                f"answers given: {channels.count('web')} via web (the review page), "
                f"{channels.count('workbook')} via workbook",
                highlight=False,
                soft_wrap=True,
            )
        if plan:
            console.print(
                "remediation: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())),
                highlight=False,
            )
        if verification:
            gone = sum(1 for state, _ in verification.values() if state == "gone")
            console.print(
                f"verification: {gone} confirmed gone, {len(verification) - gone} still present",
                highlight=False,
                soft_wrap=True,
            )
            for item_id, (state, detail) in sorted(verification.items()):
                if state == "still_present":
                    i = items[item_id]
                    console.print(
                        f"[red]still present[/] {item_id} {safe(i.name)} → {safe(i.resource)}: {safe(detail)}",
                        highlight=False,
                        soft_wrap=True,
                    )

    @command(campaign_app, "close")
    def close(
        yes: Annotated[
            bool,
            typer.Option(
                "--yes",
                help="Close even though some items have no answer (they are recorded as no response).",
            ),
        ] = False,
        campaign: CampaignOption = None,
        today: TodayOption = None,
        config: ConfigOption = None,
    ):
        """Record unanswered items as "no response → default", apply the campaign's default decision
        to them, and compute the remediation plan. Asks for --yes when items have no answer."""
        from .lifecycle import UnansweredItems, close_campaign
        from .wording import DEFAULT_WORDS, default_text

        cfg = load_config(config)
        with open_store(cfg) as store:
            analysis = _analysis(cfg, store, _today(today))
            try:
                report = close_campaign(
                    store, analysis, campaign, _refusal(cfg, analysis), confirmed=yes
                )
            except UnansweredItems as exc:
                err_console.print(
                    f"[bold red]not closed:[/] {safe(exc)}", highlight=False, soft_wrap=True
                )
                err_console.print(
                    _responses_table(
                        [t for t in exc.per_reviewer if t.unanswered], exc.total, show_kept=False
                    )
                )
                err_console.print(
                    f"If you close now: {safe(default_text(exc.default))}",
                    highlight=False,
                    soft_wrap=True,
                )
                err_console.print(f"  next: {safe(exc.hint)}", highlight=False, soft_wrap=True)
                raise typer.Exit(exc.exit_code)
        c, total = report.campaign, report.total
        words = DEFAULT_WORDS.get(report.default, report.default)
        if report.no_response:
            console.print(
                f"Closed {safe(c.label)} with non-response: {report.no_response} of {total.items} item(s) "
                f"had no answer → default {words} ({total.defaulted} defaulted, {total.unanswered} left "
                "unanswered).",
                highlight=False,
                soft_wrap=True,
            )
            for t in report.per_reviewer:
                if t.not_answered:
                    console.print(
                        f"  {safe(t.label)}: {t.not_answered} of {t.items} not answered",
                        highlight=False,
                        soft_wrap=True,
                    )
        else:
            console.print(
                f"Closed {safe(c.label)}: every item was answered.", highlight=False, soft_wrap=True
            )
        console.print(
            f"{len(report.plan)} change(s) planned. Next: `access-review campaign remediate`.",
            highlight=False,
            soft_wrap=True,
        )

    @command(campaign_app, "remediate")
    def remediate(
        apply: Annotated[
            bool, typer.Option("--apply", help="Carry out the plan (otherwise only show it).")
        ] = False,
        campaign: CampaignOption = None,
        config: ConfigOption = None,
    ):
        """Show the remediation plan; with --apply, carry it out through the connectors."""
        from .lifecycle import remediate as do_remediate
        from .model import next_state
        from .store import CampaignStore

        cfg = load_config(config)
        with open_store(cfg) as store:
            cstore = CampaignStore(store)
            c = cstore.current(campaign)
            items = {i.item_id: i for i in cstore.items(c.id)}
            names = {k: i.name for k, i in items.items()}
            if not apply:
                if c.state not in ("closed", "remediated", "verified"):
                    next_state(c.id, c.state, "remediate")  # explains what to do first
                _print_plan(console, cstore.plan(c.id), items)
                console.print(
                    "This is the plan only. Run with --apply to make these changes.",
                    highlight=False,
                    soft_wrap=True,
                )
                return
            report = do_remediate(store, c.id, connector_factory(cfg))
            steps = cstore.plan(c.id)
        _print_plan(console, steps, items)
        console.print(
            f"{report.changed} changed, {report.unchanged} already as wanted, "
            f"{len(report.refused)} refused, {len(report.failed)} failed.",
            highlight=False,
            soft_wrap=True,
        )
        for s in report.refused:
            err_console.print(
                f"refused: {safe(names.get(s.item_id, s.item_id))}: {safe(s.change_text)}: "
                f"{safe(s.message)} — make this change by hand",
                highlight=False,
                soft_wrap=True,
            )
        for s in report.failed:
            err_console.print(
                f"[red]failed:[/] {safe(names.get(s.item_id, s.item_id))}: {safe(s.change_text)}: "
                f"{safe(s.message)}",
                highlight=False,
                soft_wrap=True,
            )
        if report.failed:
            err_console.print(
                "  next: fix the cause, then run `access-review campaign remediate --apply` again;"
                " only the failed changes are retried.",
                highlight=False,
                soft_wrap=True,
            )
            raise typer.Exit(5)
        console.print(
            "Next: `access-review sync`, then `access-review campaign verify`.",
            highlight=False,
            soft_wrap=True,
        )

    @command(campaign_app, "verify")
    def verify(
        campaign: CampaignOption = None, today: TodayOption = None, config: ConfigOption = None
    ):
        """After a complete sync: confirm each revoked access gone, or report it still present."""
        from .lifecycle import campaign_responses, default_of, verify_campaign
        from .store import CampaignStore

        cfg = load_config(config)
        with open_store(cfg) as store:
            analysis = _analysis(cfg, store, _today(today))
            cstore = CampaignStore(store)
            campaign_id = cstore.current(campaign).id
            results = verify_campaign(store, analysis, campaign_id)
            c = cstore.get(campaign_id)
            _, total = campaign_responses(cstore, c)
            default = default_of(c, cfg)
        gone = [v for v in results if v.status == "gone"]
        console.print(
            f"{len(gone)} revoked item(s) confirmed gone, {len(results) - len(gone)} still present.",
            highlight=False,
            soft_wrap=True,
        )
        for v in results:
            if v.status == "still_present":
                console.print(
                    f"[red]still present[/] {v.item.item_id} {safe(v.item.name)} → {safe(v.item.resource)}: "
                    f"{safe(v.detail)}",
                    highlight=False,
                    soft_wrap=True,
                )
        console.print(
            f"{safe(c.label)}: {_state_line(c, total, default)}.", highlight=False, soft_wrap=True
        )
        if len(gone) != len(results):
            raise typer.Exit(1)

    @command(campaign_app, "links")
    def links(
        reissue: Annotated[
            Optional[str],
            typer.Option(
                "--reissue",
                metavar="REVIEWER",
                help="Replace this reviewer's link (employee id, iso, alternate or e-mail) and e-mail the new one.",
            ),
        ] = None,
        revoke: Annotated[
            Optional[str],
            typer.Option(
                "--revoke",
                metavar="REVIEWER",
                help="Stop this reviewer's link working, without a new one.",
            ),
        ] = None,
        email: Annotated[
            bool,
            typer.Option(
                "--email/--no-email",
                help="With --reissue: e-mail the new link (when [smtp] is set); --no-email prints it to hand over yourself.",
            ),
        ] = True,
        campaign: CampaignOption = None,
        today: TodayOption = None,
        config: ConfigOption = None,
    ):
        """Each reviewer's personal link to the web review page; --reissue or --revoke one."""
        from . import reviewer_links

        cfg = load_config(config)
        if reissue and revoke:
            from access_review.errors import AccessReviewError

            raise AccessReviewError("use --reissue or --revoke, not both")
        with open_store(cfg) as store:
            if revoke:
                change = reviewer_links.revoke(store, revoke, campaign)
                console.print(
                    f"Revoked the link of {safe(change.name)} ({safe(change.reviewer)}): it no longer opens "
                    "the review. `campaign links --reissue` makes a new one.",
                    highlight=False,
                    soft_wrap=True,
                )
                return
            if reissue:
                change = reviewer_links.reissue(
                    store, cfg, reissue, campaign, email=email, today=_today(today)
                )
                console.print(
                    f"Replaced the link of {safe(change.name)} ({safe(change.reviewer)}): the old link now "
                    "says it was replaced.",
                    highlight=False,
                    soft_wrap=True,
                )
                for d in change.deliveries:
                    console.print(
                        f"E-mailed the new link to {safe(d.where)}.",
                        highlight=False,
                        soft_wrap=True,
                    )
                if change.url:
                    console.print(
                        "The new link (personal: give it to this reviewer only):", highlight=False
                    )
                    console.print(safe(change.url), highlight=False, soft_wrap=True)
                return
            c, rows = reviewer_links.list_links(store, campaign)
        console.print(
            f"{safe(c.label)}: personal links to the review page", highlight=False, soft_wrap=True
        )
        for r in rows:
            state = (
                f"working link issued {r.active.issued_at[:16].replace('T', ' ')} UTC by {safe(r.active.issued_by)}"
                if r.active
                else "[yellow]no working link[/]"
            )
            extra = f"; {r.revoked} earlier link(s) revoked or replaced" if r.revoked else ""
            console.print(
                f"  {safe(r.name)} ({safe(r.reviewer)}): {state}{extra}",
                highlight=False,
                soft_wrap=True,
            )
