"""`access-review run-due` and `access-review schedule`: the district's work, unattended.

``run-due`` does what is due and nothing else — the nightly sync, the quarter's campaign on its
start date, the reminders of an open campaign — and records each run in the store's ledger
(``access_review/schedule.py``), so running it every hour is safe: a task runs once per slot,
a failed one is tried again at the next run (up to ``[schedule] max_attempts`` a day). It holds
a lock beside the store while it works; a second run-due meanwhile does nothing.

``schedule --systemd|--cron`` prints (``--install``: installs) a timer or a crontab line that
runs it hourly, with the config's path and the same lock (flock), so a run that overruns an
hour is never doubled."""

from __future__ import annotations

import fcntl
import logging
import os
import shlex
import shutil
import subprocess
import sys
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Callable, Iterator, Optional

import typer

from ..config import Config
from ..errors import AccessReviewError, ConfigError, SourceError
from ..schedule import Schedule, TaskLedger, daily_slot, parse_schedule
from .common import ConfigOption, command, console, err_console, load_config, open_store, safe

if TYPE_CHECKING:  # imported when a task runs
    from campaigns.schedule import CampaignSchedule

    from ..store import Store

log = logging.getLogger(__name__)
UNIT_NAME = "access-review-run-due"
CRON_MARK = "# access-review run-due"


def lock_path(cfg: Config) -> Path:
    return cfg.store_path.with_name(cfg.store_path.name + ".run-due.lock")


@contextmanager
def run_due_lock(cfg: Config) -> Iterator[bool]:
    """True when this process holds the run-due lock; False when another run-due does."""
    path = lock_path(cfg)
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    fd = os.open(path, os.O_CREAT | os.O_RDWR, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _say(done: bool, task: str, text: str) -> None:
    """One line per task: what was done (or why not)."""
    log.info("run-due %s: %s", task, text, extra={"event": "run-due", "task": task, "done": done})
    console.print(
        f"{'[green]done[/]   ' if done else '[dim]not due[/]'} {safe(task)}: {safe(text)}",
        highlight=False,
    )


def _fail(task: str, exc: AccessReviewError) -> int:
    log.error("run-due %s: %s", task, exc, extra={"event": "run-due", "task": task, "done": False})
    err_console.print(
        f"[bold red]error:[/] {safe(task)}: {safe(exc)}", highlight=False, soft_wrap=True
    )
    if exc.hint:
        err_console.print(f"  next: {safe(exc.hint)}", highlight=False, soft_wrap=True)
    return exc.exit_code


def register(app: typer.Typer) -> None:

    @command(app, "run-due")
    def run_due(
        config: ConfigOption = None,
        now: Annotated[
            Optional[str],
            typer.Option(
                "--now",
                metavar="DATETIME",
                help="Act as if it were this local time (YYYY-MM-DDTHH:MM).",
            ),
        ] = None,
        dry_run: Annotated[
            bool, typer.Option("--dry-run", help="Say what is due, do nothing.")
        ] = False,
    ) -> None:
        """Do what is due — the nightly sync, the quarter's campaign on its date, reminders — and
        nothing else; safe to run every hour (`access-review schedule` installs that)."""
        cfg = load_config(config)
        schedule = parse_schedule(cfg.section("schedule"), f"{cfg.path} [schedule]")
        from campaigns.schedule import parse_campaign_schedule

        campaign_schedule = parse_campaign_schedule(
            cfg.section("campaigns"), f"{cfg.path} [campaigns]"
        )
        moment = _parse_now(now)
        with run_due_lock(cfg) as mine:
            if not mine:
                holder = lock_path(cfg).read_text().strip() if lock_path(cfg).exists() else "?"
                log.warning(
                    "run-due: another run-due holds %s (pid %s); nothing done",
                    lock_path(cfg),
                    holder,
                )
                err_console.print(
                    f"[yellow]note:[/] another run-due is running (pid {safe(holder)}); nothing done.",
                    highlight=False,
                )
                return
            codes = _run_tasks(cfg, schedule, campaign_schedule, moment, dry_run)
        failed = [c for c in codes if c]
        if failed:
            raise typer.Exit(failed[0])

    @command(app, "schedule")
    def schedule_(
        config: ConfigOption = None,
        systemd: Annotated[
            bool, typer.Option("--systemd", help="A systemd service and hourly timer.")
        ] = False,
        cron: Annotated[bool, typer.Option("--cron", help="An hourly crontab line.")] = False,
        install: Annotated[
            bool,
            typer.Option(
                "--install",
                help="Install it (systemd: write the units and enable the timer; cron: add the line"
                " to your crontab) instead of printing it.",
            ),
        ] = False,
        env_file: Annotated[
            Optional[Path],
            typer.Option(
                "--env-file",
                metavar="FILE",
                help="An owner-only file of VARIABLE=value lines setting the"
                " secrets the config names by *_env.",
            ),
        ] = None,
        unit_dir: Annotated[
            Optional[Path],
            typer.Option(
                "--unit-dir",
                metavar="DIR",
                help="Where --install --systemd writes the units (default:"
                " /etc/systemd/system as root, else ~/.config/systemd/user).",
            ),
        ] = None,
    ) -> None:
        """Print (or --install) a timer or crontab line that runs `access-review run-due` every
        hour with this config and a lock."""
        if systemd == cron:
            raise ConfigError(
                "choose one: --systemd or --cron", hint="access-review schedule --systemd"
            )
        cfg = load_config(config)
        if env_file is not None:
            from ..secrets import check_owner_only

            env_file = check_owner_only(env_file.resolve(), "environment file")
        command_line = run_due_command(cfg)
        if systemd:
            units = systemd_units(cfg, command_line, env_file)
            if install:
                _install_systemd(units, unit_dir)
                return
            for name, text in units.items():  # raw text: a unit line must never be wrapped
                typer.echo(f"# {name}\n{text}")
        else:
            line = cron_block(cfg, command_line, env_file)
            if install:
                _install_cron(cfg, line)
                return
            typer.echo(line, nl=False)


# ------------------------------------------------------------------------------- run-due
def _parse_now(text: str | None) -> datetime:
    if not text:
        return datetime.now()
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"--now {text!r} is not a local time like 2026-10-15T07:30") from None


def _run_tasks(
    cfg: Config,
    schedule: Schedule,
    campaign_schedule: CampaignSchedule,
    moment: datetime,
    dry_run: bool,
) -> list[int]:
    codes: list[int] = []
    if not cfg.sources:
        raise ConfigError(
            f"{cfg.path}: no [sources.NAME] tables are configured: there is nothing to sync",
            hint="add one per directory (see `access-review init`)",
        )
    with open_store(cfg, create=True) as store:
        ledger = TaskLedger(store)
        codes.append(_nightly_sync(cfg, store, ledger, schedule, moment, dry_run))
        codes.append(
            _quarter_campaign(cfg, store, ledger, schedule, campaign_schedule, moment, dry_run)
        )
        codes.append(_reminders(cfg, store, ledger, schedule, moment, dry_run))
    return codes


def _run(ledger: TaskLedger, task: str, slot: str, work: Callable[[], str]) -> int:
    """Run ``work()`` (which returns what it did, in words) as the ledger's next attempt."""
    attempt = ledger.begin(task, slot)
    try:
        text = work()
    except AccessReviewError as exc:
        ledger.finish(task, slot, attempt, False, str(exc))
        return _fail(task, exc)
    ledger.finish(task, slot, attempt, True, text)
    _say(True, task, text)
    return 0


def _nightly_sync(
    cfg: Config,
    store: Store,
    ledger: TaskLedger,
    schedule: Schedule,
    moment: datetime,
    dry_run: bool,
) -> int:
    if schedule.sync_at is None:
        _say(False, "sync", "no scheduled sync ([schedule] sync_at is empty)")
        return 0
    slot = daily_slot(moment, schedule.sync_at).isoformat()
    why = ledger.why_not_due("sync", slot, schedule.max_attempts)
    if why:
        _say(
            False,
            "sync",
            f"the sync of {slot} was {why}" if why.startswith("done") else f"{slot}: {why}",
        )
        return 0
    if dry_run:
        _say(False, "sync", f"due (the sync of {slot}); --dry-run: not run")
        return 0

    def work() -> str:
        from ..sync import run_sync
        from .connectors import connector_factory

        results = run_sync(cfg, store, connector_factory(cfg, cache=False))
        failed = [r for r in results if not r.ok]
        for r in results:
            for w in r.warnings:
                console.print(
                    f"[yellow]warning:[/] {safe(r.source)}: {safe(w)}",
                    highlight=False,
                    soft_wrap=True,
                )
        if failed:
            raise SourceError(
                failed[0].source,
                "sync",
                "; ".join(r.error for r in failed),
                hint=failed[0].hint
                or "run `access-review sync` to see it, fix the cause; the next"
                " run-due tries again",
            )
        return (
            f"{len(results)} source(s) read completely ("
            + ", ".join(f"{r.source} {r.counts.get('accounts', 0):,} accounts" for r in results)
            + ")"
        )

    return _run(ledger, "sync", slot, work)


def _quarter_campaign(
    cfg: Config,
    store: Store,
    ledger: TaskLedger,
    schedule: Schedule,
    campaign_schedule: CampaignSchedule,
    moment: datetime,
    dry_run: bool,
) -> int:
    from campaigns.schedule import due_quarter, latest_start, quarter_of
    from campaigns.store import CampaignStore

    cstore = CampaignStore(store)
    today = moment.date()
    start = latest_start(campaign_schedule, today)
    if start is not None and start == today and moment.time() < schedule.campaign_at:
        _say(False, "campaign", f"today's start is at {schedule.campaign_at:%H:%M}")
        return 0
    campaigns = {c.quarter: c for c in cstore.all()}
    quarter, why = due_quarter(
        campaign_schedule, today, [q for q, c in campaigns.items() if c.state != "draft"]
    )
    if quarter is None:
        _say(False, "campaign", why)
        return 0
    slot = quarter_of(start) if start else quarter
    not_due = ledger.why_not_due("campaign", f"{slot}:{today.isoformat()}", schedule.max_attempts)
    if not_due:
        _say(False, "campaign", f"{quarter}: {not_due}")
        return 0
    if dry_run:
        _say(False, "campaign", f"due: {quarter} ({why}); --dry-run: not created or sent")
        return 0

    def work() -> str:
        from campaigns.lifecycle import create_campaign, send_campaign

        from ..analysis import analyse

        existing = campaigns.get(quarter)
        if existing is None:
            analysis = analyse(cfg, store, today=today)
            if not analysis.snapshots:
                raise AccessReviewError(
                    "no complete snapshot of any source yet: the campaign waits for a sync",
                    hint="run `access-review sync`",
                )
            existing, items = create_campaign(
                store,
                analysis,
                quarter=quarter,
                resources=list(campaign_schedule.resources) or None,
                due=campaign_schedule.due,
                today=today,
            )
        delivered = send_campaign(
            store, cfg, existing.id, only=list(campaign_schedule.reviewers) or None, today=today
        )
        sent = sum(1 for d in delivered if d.status in ("sent", "resent"))
        return f"{quarter} created and sent to {sent} reviewer(s), due {existing.due.isoformat()}"

    return _run(ledger, "campaign", f"{slot}:{today.isoformat()}", work)


def _reminders(
    cfg: Config,
    store: Store,
    ledger: TaskLedger,
    schedule: Schedule,
    moment: datetime,
    dry_run: bool,
) -> int:
    from campaigns.store import CampaignStore

    if schedule.remind_at is None:
        _say(False, "reminders", "none scheduled ([schedule] remind_at is empty)")
        return 0
    open_ = [c for c in CampaignStore(store).all() if c.state == "open"]
    if not open_:
        _say(False, "reminders", "no open campaign")
        return 0
    campaign = open_[-1]
    slot = daily_slot(moment, schedule.remind_at)
    started = ledger.last_success("campaign")
    sent_on = (
        started.slot.rsplit(":", 1)[-1] if started is not None else str(campaign.created_at)[:10]
    )
    if sent_on >= slot.isoformat():  # no reminder on the day the campaign went out
        _say(False, "reminders", f"{campaign.name} was sent on {sent_on}")
        return 0
    last = ledger.last_success("reminders")
    if (
        last is not None
        and (slot - date.fromisoformat(last.slot)).days < schedule.remind_every_days
    ):
        _say(False, "reminders", f"sent on {last.slot} (every {schedule.remind_every_days} day(s))")
        return 0
    why = ledger.why_not_due("reminders", slot.isoformat(), schedule.max_attempts)
    if why:
        _say(False, "reminders", f"{slot}: {why}")
        return 0
    if dry_run:
        _say(False, "reminders", f"due for {campaign.name}; --dry-run: not sent")
        return 0

    def work() -> str:
        from campaigns.lifecycle import remind

        result = remind(store, cfg, campaign.id, today=moment.date())
        escalated = (
            f"; escalated {len(result['escalated'])} overdue to the ISO"
            if result["escalated"]
            else ""
        )
        return f"{campaign.name}: reminded {len(result['reminded'])} reviewer(s){escalated}"

    return _run(ledger, "reminders", slot.isoformat(), work)


# ------------------------------------------------------------------------------- schedule
def run_due_command(cfg: Config) -> list[str]:
    """How to start run-due with this config, as an argument list (the program as installed)."""
    program = shutil.which("access-review")
    base = [program] if program else [sys.executable, "-m", "access_review"]
    return [*base, "--quiet", "run-due", "--config", str(cfg.path)]


def _flock() -> str:
    return shutil.which("flock") or "/usr/bin/flock"


def systemd_units(cfg: Config, command_line: list[str], env_file: Path | None) -> dict[str, str]:
    lock = lock_path(cfg)
    exec_start = " ".join(
        _systemd_quote(w) for w in [_flock(), "--nonblock", str(lock), *command_line]
    )
    env = (
        f"EnvironmentFile={env_file}\n"
        if env_file
        else "# EnvironmentFile=/etc/access-review/secrets.env   # the *_env secrets the config names (chmod 600)\n"
    )
    service = (
        "[Unit]\n"
        f"Description=access-review: what is due (sync, the quarter's campaign, reminders) for {cfg.path}\n"
        "After=network-online.target\nWants=network-online.target\n\n"
        "[Service]\nType=oneshot\n"
        f"WorkingDirectory={cfg.base_dir}\n"
        f"{env}"
        "UMask=0077\n"
        f"ExecStart={exec_start}\n"
    )
    timer = (
        "[Unit]\n"
        f"Description=Run access-review run-due every hour for {cfg.path}\n\n"
        "[Timer]\nOnCalendar=hourly\nRandomizedDelaySec=300\nPersistent=true\n\n"
        "[Install]\nWantedBy=timers.target\n"
    )
    return {f"{UNIT_NAME}.service": service, f"{UNIT_NAME}.timer": timer}


def _systemd_quote(word: str) -> str:
    """A word for ExecStart= (systemd splits on spaces and honours double quotes)."""
    return f'"{word}"' if any(c in word for c in " \t\"'\\;$") else word


def cron_block(cfg: Config, command_line: list[str], env_file: Path | None) -> str:
    """The crontab lines: a marker naming the config, then the hourly line (17 minutes past, to
    stay off the top of the hour), the lock taken with flock."""
    run = " ".join(shlex.quote(w) for w in [_flock(), "-n", str(lock_path(cfg)), *command_line])
    if env_file:
        run = f"set -a && . {shlex.quote(str(env_file))} && set +a && {run}"
    return f"{CRON_MARK} {cfg.path}\n17 * * * * {run}\n"


def _install_systemd(units: dict[str, str], unit_dir: Path | None) -> None:
    user = os.geteuid() != 0
    folder = unit_dir or (
        Path.home() / ".config" / "systemd" / "user" if user else Path("/etc/systemd/system")
    )
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in units.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        path.chmod(0o644)
        console.print(f"wrote {safe(path)}", highlight=False)
    scope = ["--user"] if user and unit_dir is None else []
    steps = [
        ["systemctl", *scope, "daemon-reload"],
        ["systemctl", *scope, "enable", "--now", f"{UNIT_NAME}.timer"],
    ]
    for step in steps:
        failed = f"the units are written, but `{' '.join(step)}` failed"
        by_hand = "run: " + " && ".join(" ".join(s) for s in steps)
        try:
            done = subprocess.run(step, capture_output=True, text=True, timeout=60)  # noqa: S603 (systemctl with fixed arguments)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise AccessReviewError(f"{failed}: {exc}", hint=by_hand) from None
        if done.returncode != 0:
            output = (done.stderr or done.stdout).strip()
            raise AccessReviewError(
                f"{failed}: {output.splitlines()[0] if output else ''}", hint=by_hand
            )
    console.print(f"Enabled {UNIT_NAME}.timer: run-due runs every hour.", highlight=False)


def _install_cron(cfg: Config, block: str) -> None:
    crontab = shutil.which("crontab")
    if crontab is None:
        raise AccessReviewError(
            "crontab is not installed here", hint="add these lines with your scheduler:\n" + block
        )
    current = subprocess.run([crontab, "-l"], capture_output=True, text=True, timeout=30)  # noqa: S603 (crontab from PATH)
    lines = current.stdout.splitlines() if current.returncode == 0 else []
    kept, skip = [], False
    for line in lines:  # replace our earlier lines for this config, keep everything else
        if line == f"{CRON_MARK} {cfg.path}":
            skip = True
            continue
        if skip:
            skip = False
            continue
        kept.append(line)
    text = "\n".join([*kept, *block.rstrip("\n").splitlines()]) + "\n"
    done = subprocess.run([crontab, "-"], input=text, capture_output=True, text=True, timeout=30)  # noqa: S603 (crontab from PATH)
    if done.returncode != 0:
        raise AccessReviewError(
            f"crontab refused the new table: {done.stderr.strip()}",
            hint="add these lines with `crontab -e`:\n" + block,
        )
    console.print(
        f"Added to your crontab: run-due at 17 minutes past every hour for {safe(cfg.path)}.",
        highlight=False,
    )
