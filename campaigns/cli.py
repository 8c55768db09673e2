"""`access-review campaign ...`: thin typer commands over campaigns.lifecycle."""

from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer

from access_review.cli.common import ConfigOption, command, console, err_console, load_config, open_store
from access_review.cli.connectors import connector_factory

CampaignOption = Annotated[Optional[int], typer.Option("--campaign", help="Campaign id (default: the latest not yet verified).")]
TodayOption = Annotated[Optional[str], typer.Option("--today", help="Evaluate as of this date (YYYY-MM-DD; default: today).")]


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
        raise AccessReviewError("no complete snapshot of any source yet", hint="run `access-review sync`")
    return a


def _refusal(cfg, analysis):
    """Planning-time check by each connector (e.g. Entra refuses a group synced from AD)."""
    from access_review.connector import Action
    from access_review.errors import AccessReviewError

    connector_for = connector_factory(cfg)

    def refusal(source, kind, target, params):
        try:
            connector = connector_for(source)
        except AccessReviewError as exc:
            return f"cannot build the {source} connector: {exc}"
        return connector.refusal(Action(kind, source, target, dict(params)), analysis.snapshots.get(source))
    return refusal


def _print_plan(console, steps) -> None:
    from rich.table import Table

    table = Table(header_style="bold")
    for col in ("item", "#", "where", "change", "status", "why / note"):
        table.add_column(col, overflow="fold")
    for s in steps:
        change = f"{s.kind} {s.target}" + (f" member {s.params['member']}" if "member" in s.params else "")
        note = s.note + (f" — {s.message}" if s.message else "")
        table.add_row(s.item_id, str(s.step), s.source, change, s.status, note)
    console.print(table)


def register(app: typer.Typer) -> None:
    campaign_app = typer.Typer(help="Quarterly access reviews by the data managers.", no_args_is_help=True)
    app.add_typer(campaign_app, name="campaign")


    @command(campaign_app, "create")
    def create(quarter: Annotated[str, typer.Option(help="The quarter reviewed, e.g. 2026Q4.")],
               resource: Annotated[Optional[list[str]], typer.Option("--resource", "-r", help="Only these inventory resources (repeat).")] = None,
               due: Annotated[str, typer.Option(help="Answers due: 21d, 3w or a date.")] = "21d",
               today: TodayOption = None, config: ConfigOption = None):
        """Pin the latest complete snapshots and build one review item per person and resource."""
        from .lifecycle import create_campaign

        cfg = load_config(config)
        with open_store(cfg) as store:
            analysis = _analysis(cfg, store, _today(today))
            campaign, items = create_campaign(store, analysis, quarter=quarter, resources=resource, due=due)
        reviewers = {i.reviewer for i in items}
        console.print(f"Created {campaign.label}: {len(items)} items for {len(reviewers)} reviewer(s), "
                      f"{sum(i.flagged for i in items)} flagged, due {campaign.due}. "
                      "Next: `access-review campaign send`.", highlight=False, soft_wrap=True)

    @command(campaign_app, "send")
    def send(out: Annotated[Optional[Path], typer.Option(help="Write the workbooks to this folder instead of e-mailing them.")] = None,
             campaign: CampaignOption = None, config: ConfigOption = None):
        """E-mail each reviewer their workbook (SMTP from [smtp]), or write them with --out."""
        from .lifecycle import send_campaign

        cfg = load_config(config)
        with open_store(cfg) as store:
            delivered = send_campaign(store, cfg, campaign, out=out)
        for reviewer, where in delivered:
            console.print(f"{reviewer}: {where}", highlight=False, soft_wrap=True)
        console.print(f"{'Wrote' if out else 'Sent'} {len(delivered)} workbook(s).", highlight=False, soft_wrap=True)

    @command(campaign_app, "import")
    def import_(files: Annotated[list[Path], typer.Argument(help="Returned workbooks.")],
                campaign: CampaignOption = None, config: ConfigOption = None):
        """Record the decisions in returned workbooks; a workbook with any problem records nothing."""
        from .lifecycle import import_workbooks

        cfg = load_config(config)
        with open_store(cfg) as store:
            outcome = import_workbooks(store, files, campaign)
        for r in outcome.accepted:
            console.print(f"{r.path}: {r.answered} answered ({r.recorded} new or changed), "
                          f"{r.undecided} still open", highlight=False, soft_wrap=True)
        for exc in outcome.rejected:
            err_console.print(f"[bold red]rejected:[/] {exc} — nothing from this workbook was recorded",
                              highlight=False, soft_wrap=True)
        if outcome.rejected:
            raise typer.Exit(3)

    @command(campaign_app, "remind")
    def remind(campaign: CampaignOption = None, today: TodayOption = None, config: ConfigOption = None):
        """E-mail reviewers with undecided items; past the due date, escalate them to the ISO."""
        from .lifecycle import remind as do_remind

        cfg = load_config(config)
        with open_store(cfg) as store:
            result = do_remind(store, cfg, campaign, today=_today(today))
        console.print(f"Reminded {len(result['reminded'])} reviewer(s)"
                      + (f"; escalated {len(result['escalated'])} overdue to the ISO." if result["escalated"] else "."), highlight=False, soft_wrap=True)

    @command(campaign_app, "status")
    def status(campaign: CampaignOption = None, today: TodayOption = None, config: ConfigOption = None):
        """Completion by reviewer, overdue, flagged items kept (rubber-stamping), results."""
        from rich.table import Table

        from .lifecycle import progress
        from .store import CampaignStore

        cfg = load_config(config)
        now = _today(today) or date.today()
        with open_store(cfg) as store:
            cstore = CampaignStore(store)
            c = cstore.current(campaign)
            rows = progress(cstore, c)
            plan = cstore.plan(c.id)
            verification = cstore.verification(c.id)
            items = {i.item_id: i for i in cstore.items(c.id)}
        overdue = now > c.due and c.state == "open"
        console.print(f"{c.label}: {c.state}, due {c.due}" + (" — [red]OVERDUE[/]" if overdue else ""))
        table = Table(header_style="bold")
        for col in ("reviewer", "items", "done", "%", "revoked", "flagged", "flagged kept", "overdue"):
            table.add_column(col, justify="left" if col == "reviewer" else "right",
                             no_wrap=col in ("reviewer", "flagged kept"))
        for p in rows:
            pct = 100 * p.decided // p.items if p.items else 100
            kept = f"{p.flagged_kept}/{p.flagged}"
            if p.flagged and p.flagged_kept == p.flagged:
                kept = f"[red]{kept} all kept[/]"
            table.add_row(f"{p.reviewer.name} ({p.reviewer.key})", str(p.items), str(p.decided), f"{pct}%",
                          str(p.revoked), str(p.flagged), kept, "[red]yes[/]" if overdue and p.undecided else "")
        console.print(table)
        if plan:
            counts: dict[str, int] = {}
            for s in plan:
                counts[s.status] = counts.get(s.status, 0) + 1
            console.print("remediation: " + ", ".join(f"{n} {k}" for k, n in sorted(counts.items())))
        if verification:
            gone = sum(1 for s, _ in verification.values() if s == "gone")
            console.print(f"verification: {gone} confirmed gone, {len(verification) - gone} still present", highlight=False, soft_wrap=True)
            for item_id, (s, detail) in sorted(verification.items()):
                if s == "still_present":
                    i = items[item_id]
                    console.print(f"[red]still present[/] {item_id} {i.name} → {i.resource}: {detail}",
                                  highlight=False, soft_wrap=True)

    @command(campaign_app, "close")
    def close(campaign: CampaignOption = None, today: TodayOption = None, config: ConfigOption = None):
        """Apply the configured default to undecided items and compute the remediation plan."""
        from .lifecycle import close_campaign

        cfg = load_config(config)
        with open_store(cfg) as store:
            analysis = _analysis(cfg, store, _today(today))
            c, defaulted, plan = close_campaign(store, analysis, campaign, _refusal(cfg, analysis))
        console.print(f"Closed {c.label}: {defaulted} undecided item(s) given the default; "
                      f"{len(plan)} change(s) planned. Next: `access-review campaign remediate`.", highlight=False, soft_wrap=True)

    @command(campaign_app, "remediate")
    def remediate(apply: Annotated[bool, typer.Option("--apply", help="Carry out the plan (otherwise only show it).")] = False,
                  campaign: CampaignOption = None, config: ConfigOption = None):
        """Show the remediation plan; with --apply, carry it out through the connectors."""
        from .lifecycle import remediate as do_remediate
        from .model import next_state
        from .store import CampaignStore

        cfg = load_config(config)
        with open_store(cfg) as store:
            cstore = CampaignStore(store)
            c = cstore.current(campaign)
            if not apply:
                if c.state not in ("closed", "remediated", "verified"):
                    next_state(c.id, c.state, "remediate")  # explains what to do first
                _print_plan(console, cstore.plan(c.id))
                console.print("This is the plan only. Run with --apply to make these changes.", highlight=False, soft_wrap=True)
                return
            report = do_remediate(store, c.id, connector_factory(cfg))
            steps = cstore.plan(c.id)
        _print_plan(console, steps)
        console.print(f"{report.changed} changed, {report.unchanged} already as wanted, "
                      f"{len(report.refused)} refused, {len(report.failed)} failed.", highlight=False, soft_wrap=True)
        for s in report.refused:
            err_console.print(f"refused: {s.item_id} {s.kind} {s.target}: {s.message} — make this change by hand",
                              highlight=False, soft_wrap=True)
        for s in report.failed:
            err_console.print(f"[red]failed:[/] {s.item_id} {s.kind} {s.target}: {s.message}",
                              highlight=False, soft_wrap=True)
        if report.failed:
            err_console.print("  next: fix the cause, then run `access-review campaign remediate --apply` again;"
                              " only the failed changes are retried.", highlight=False, soft_wrap=True)
            raise typer.Exit(5)
        console.print("Next: `access-review sync`, then `access-review campaign verify`.", highlight=False, soft_wrap=True)

    @command(campaign_app, "verify")
    def verify(campaign: CampaignOption = None, today: TodayOption = None, config: ConfigOption = None):
        """After a complete sync: confirm each revoked access gone, or report it still present."""
        from .lifecycle import verify_campaign

        cfg = load_config(config)
        with open_store(cfg) as store:
            analysis = _analysis(cfg, store, _today(today))
            results = verify_campaign(store, analysis, campaign)
        gone = [v for v in results if v.status == "gone"]
        console.print(f"{len(gone)} revoked item(s) confirmed gone, {len(results) - len(gone)} still present.", highlight=False, soft_wrap=True)
        for v in results:
            if v.status == "still_present":
                console.print(f"[red]still present[/] {v.item.item_id} {v.item.name} → {v.item.resource}: {v.detail}",
                              highlight=False, soft_wrap=True)
        if len(gone) != len(results):
            raise typer.Exit(1)
