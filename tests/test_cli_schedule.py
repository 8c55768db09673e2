"""Unattended (issue 19, "Schedules"): `access-review run-due` does what is due — the nightly
sync, the quarter's campaign on its start date (created and e-mailed through a real SMTP
server), reminders — and nothing else, so it is safe every hour; a failed task is tried again,
a bounded number of times; a second run-due while one runs does nothing. `schedule` writes a
systemd timer (checked by systemd-analyze) or a crontab line, with the config and a lock."""

from __future__ import annotations

import fcntl
import os
import re
import stat
import subprocess
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from typer.testing import CliRunner

from access_review.cli import app
from access_review.cli.schedule import lock_path
from access_review.config import load_config
from loopback import free_port

runner = CliRunner()


class Inbox:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append(envelope)
        return "250 OK"


class Server:
    """A real SMTP server that can go down and come back on the same port."""

    def __init__(self):
        self.inbox, self.port = Inbox(), free_port()
        self.controller = None

    def start(self):
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


@pytest.fixture
def smtp():
    server = Server()
    server.start()
    yield server, server.inbox
    server.stop()


@pytest.fixture
def district(demo, smtp):
    server, _ = smtp
    with demo.config_path.open("a", encoding="utf-8") as fh:
        fh.write(
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {server.port}\nsecurity = "none"\ntimeout = 5\n'
            '\n[campaigns]\nstarts = ["01-15", "04-15", "07-15", "10-15"]\ndue = "21d"\ndefault = "keep"\n'
            '\n[schedule]\nsync_at = "02:00"\nremind_at = "08:00"\ncampaign_at = "07:00"\n'
        )
    return demo


def run_due(env, now: str, *extra: str, code: int = 0):
    result = runner.invoke(
        app,
        ["run-due", "--now", now, *extra, "--config", str(env.config_path)],
        env={"COLUMNS": "300"},
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result.output


def sync_runs(env) -> int:
    with env.store() as store:
        return len(store.sync_runs(limit=1000))


def campaigns(env) -> list:
    from campaigns.store import CampaignStore

    with env.store() as store:
        return CampaignStore(store).all()


def test_each_task_runs_once_in_its_slot(district, smtp):
    _, inbox = smtp
    before = sync_runs(district)

    out = run_due(district, "2026-10-15T01:00")
    assert re.search(r"done\s+sync: 3 source\(s\) read completely", out)
    assert "campaign: today's start is at 07:00" in out and "reminders: no open campaign" in out
    assert sync_runs(district) == before + 3 and campaigns(district) == []

    out = run_due(district, "2026-10-15T08:00")
    assert re.search(r"done\s+sync", out)  # 02:00 has passed: the sync of 10-15
    assert re.search(
        r"done\s+campaign: 2026Q4 created and sent to \d+ reviewer\(s\), due 2026-11-05", out
    )
    assert "reminders: 2026Q4 was sent on 2026-10-15" in out
    (campaign,) = campaigns(district)
    assert (
        campaign.quarter == "2026Q4"
        and campaign.state == "open"
        and campaign.default_decision == "keep"
    )
    sent = len(inbox.received)
    assert sent >= 1 and all("2026Q4" in e.content.decode(errors="replace") for e in inbox.received)

    # The same hour again, and later the same day: nothing twice.
    for when in ("2026-10-15T08:00", "2026-10-15T23:59"):
        out = run_due(district, when)
        assert not re.search(r"^done", out, re.M) and re.search(
            r"not due sync: the sync of 2026-10-15 was done at", out
        )
        assert "campaign: the 2026Q4 campaign exists already" in out
    assert (
        sync_runs(district) == before + 6
        and len(inbox.received) == sent
        and len(campaigns(district)) == 1
    )

    out = run_due(district, "2026-10-16T09:00")
    assert re.search(r"done\s+sync", out) and re.search(
        r"done\s+reminders: 2026Q4: reminded \d+ reviewer\(s\)", out
    )
    reminded = len(inbox.received)
    assert reminded > sent
    out = run_due(district, "2026-10-16T10:00")
    assert (
        not re.search(r"^done", out, re.M)
        and "reminders: sent on 2026-10-16 (every 1 day(s))" in out
    )
    assert len(inbox.received) == reminded


def test_dry_run_says_what_is_due_and_does_nothing(district, smtp):
    _, inbox = smtp
    before = sync_runs(district)
    out = run_due(district, "2026-10-15T08:00", "--dry-run")
    assert "sync: due (the sync of 2026-10-15); --dry-run: not run" in out
    assert (
        "campaign: due: 2026Q4 (its start date 2026-10-15); --dry-run: not created or sent" in out
    )
    assert sync_runs(district) == before and campaigns(district) == [] and inbox.received == []


def test_a_failed_task_is_tried_again_a_bounded_number_of_times(district, smtp):
    controller, inbox = smtp
    controller.stop()  # the mail server is down on the start date
    for attempt in range(1, 4):
        out = run_due(district, f"2026-10-15T{7 + attempt:02d}:00", code=5)
        assert "error: campaign: SMTP 127.0.0.1:" in out and "refused the connection" in out
    out = run_due(district, "2026-10-15T11:00")
    assert "campaign: 2026Q4: failed 3 time(s) already" in out
    controller.start()  # back the next day: the draft is sent, not created again
    out = run_due(district, "2026-10-16T08:00")
    assert re.search(r"done\s+campaign: 2026Q4 created and sent to \d+ reviewer\(s\)", out)
    assert (
        len(campaigns(district)) == 1 and campaigns(district)[0].state == "open" and inbox.received
    )


def test_a_second_run_due_meanwhile_does_nothing(district):
    cfg = load_config(district.config_path)
    before = sync_runs(district)
    fd = os.open(lock_path(cfg), os.O_CREAT | os.O_RDWR, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        os.write(fd, b"4242")
        result = runner.invoke(
            app, ["run-due", "--now", "2026-10-15T08:00", "--config", str(district.config_path)]
        )
    finally:
        os.close(fd)
    assert (
        result.exit_code == 0
        and "another run-due is running (pid 4242); nothing done" in result.output
    )
    assert sync_runs(district) == before


def test_run_due_logs_each_task(district):
    run_due(district, "2026-10-15T01:00", "--dry-run")
    log = (district.config.store_path.parent / "access-review.log").read_text()
    assert "run-due sync: due (the sync of 2026-10-14)" in log and "command run-due" in log


# ------------------------------------------------------------------------------- schedule
def schedule(env, *args: str, path_dir: Path | None = None, code: int = 0):
    environ = {"COLUMNS": "300"}
    if path_dir is not None:
        environ["PATH"] = f"{path_dir}:{os.environ['PATH']}"
    old = os.environ.get("PATH")
    if path_dir is not None:  # subprocesses of the command look programs up in os.environ
        os.environ["PATH"] = environ["PATH"]
    try:
        result = runner.invoke(
            app, ["schedule", *args, "--config", str(env.config_path)], env=environ
        )
    finally:
        if old is not None:
            os.environ["PATH"] = old
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result.output


def test_systemd_units_are_valid_and_carry_the_config_and_the_lock(demo, tmp_path):
    out = schedule(demo, "--systemd")
    units = dict(
        re.findall(
            r"^# (access-review-run-due\.\w+)\n(.*?)(?=^# access-review-run-due|\Z)",
            out,
            re.M | re.S,
        )
    )
    assert set(units) == {"access-review-run-due.service", "access-review-run-due.timer"}
    for name, text in units.items():
        (tmp_path / name).write_text(text)
    check = subprocess.run(  # noqa: S603 (systemd-analyze from PATH, on files the test wrote)
        ["systemd-analyze", "verify", *(str(tmp_path / n) for n in units)],  # noqa: S607 (systemd-analyze from PATH, on files the test wrote)
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert check.returncode == 0 and check.stderr.strip() == "", check.stderr
    service = units["access-review-run-due.service"]
    lock = lock_path(load_config(demo.config_path))
    assert re.search(
        rf"^ExecStart=\S*flock --nonblock {re.escape(str(lock))} \S+ --quiet run-due --config "
        rf"{re.escape(str(demo.config_path.resolve()))}$",
        service,
        re.M,
    ), service
    assert "UMask=0077" in service and "Type=oneshot" in service
    timer = units["access-review-run-due.timer"]
    assert (
        "OnCalendar=hourly" in timer
        and "Persistent=true" in timer
        and "WantedBy=timers.target" in timer
    )


def test_systemd_install_writes_the_units_and_enables_the_timer(demo, tmp_path):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    calls = tmp_path / "systemctl-calls"
    (fake_bin / "systemctl").write_text(f'#!/bin/sh\necho "$@" >> {calls}\n')
    (fake_bin / "systemctl").chmod(0o755)
    units = tmp_path / "units"
    out = schedule(demo, "--systemd", "--install", "--unit-dir", str(units), path_dir=fake_bin)
    assert sorted(p.name for p in units.iterdir()) == [
        "access-review-run-due.service",
        "access-review-run-due.timer",
    ]
    assert calls.read_text().splitlines() == [
        "daemon-reload",
        "enable --now access-review-run-due.timer",
    ]
    assert "Enabled access-review-run-due.timer" in out


def test_systemd_install_that_cannot_enable_says_what_to_run(demo, tmp_path):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    (fake_bin / "systemctl").write_text(
        "#!/bin/sh\necho 'System has not been booted with systemd' >&2\nexit 1\n"
    )
    (fake_bin / "systemctl").chmod(0o755)
    out = schedule(
        demo, "--systemd", "--install", "--unit-dir", str(tmp_path / "u"), path_dir=fake_bin, code=1
    )
    assert (
        "the units are written, but `systemctl daemon-reload` failed: System has not been booted"
        in out
    )
    assert (
        "next: run: systemctl daemon-reload && systemctl enable --now access-review-run-due.timer"
        in out
    )


def test_cron_install_adds_one_line_per_config_and_keeps_the_rest(demo, tmp_path):
    fake_bin = tmp_path / "bin"
    fake_bin.mkdir()
    table = tmp_path / "crontab"
    table.write_text("MAILTO=iso@district.example.org\n5 4 * * * /usr/local/bin/backup\n")
    (fake_bin / "crontab").write_text(
        f'#!/bin/sh\nif [ "$1" = "-l" ]; then cat {table}; else cat > {table}; fi\n'
    )
    (fake_bin / "crontab").chmod(0o755)
    env_file = tmp_path / "secrets.env"
    env_file.write_text("ACCESS_REVIEW_AD_PASSWORD=x\n")
    env_file.chmod(0o600)
    for _ in range(2):
        schedule(demo, "--cron", "--install", "--env-file", str(env_file), path_dir=fake_bin)
    lines = table.read_text().splitlines()
    assert lines[:2] == ["MAILTO=iso@district.example.org", "5 4 * * * /usr/local/bin/backup"]
    ours = [ln for ln in lines if "run-due" in ln and not ln.startswith("#")]
    assert len(ours) == 1 and ours[0].startswith("17 * * * * set -a && . ")
    assert f"flock -n {lock_path(load_config(demo.config_path))}" in ours[0]
    assert f"--quiet run-due --config {demo.config_path.resolve()}" in ours[0]


def test_an_env_file_others_can_read_is_refused(demo, tmp_path):
    env_file = tmp_path / "secrets.env"
    env_file.write_text("X=y\n")
    env_file.chmod(0o644)
    out = schedule(demo, "--systemd", "--env-file", str(env_file), code=2)
    assert "readable by others" in out and stat.S_IMODE(env_file.stat().st_mode) == 0o644
