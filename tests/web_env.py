"""What the web review page's tests share: a demo district with an open campaign and links
(with hostile names in it when asked), the real server started as its own process, and a real
headless Chromium from Debian's packages."""

from __future__ import annotations

import csv
import os
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from access_review.cli.connectors import connector_factory
from access_review.config import load_config
from access_review.imports import import_roster
from access_review.store import Store
from access_review.sync import run_sync
from campaigns import lifecycle
from campaigns.delivery import review_links
from campaigns.items import Item
from campaigns.store import CampaignStore

REPO = Path(__file__).resolve().parents[1]
CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
AXE = REPO / "tests" / "web" / "node_modules" / "axe-core" / "axe.min.js"
ARTIFACTS = REPO / "tests" / "artifacts" / "web"
AS_OF = "2026-11-28"

SCRIPT_NAME = '<script>alert("pwned")</script> Lee'  # HTML injection in a person's name
BRACKETS = "Temp [/] Sub"  # markup-ish group name (issue 13's tests)
BIDI = "Ann \u202eevil\u202c Lee"  # right-to-left override in a name
GROUP_ID = "663c1328-0c4e-2c10-09ac-e774eb0f30cb"  # an AD group in E00011's path (planted)


@dataclass
class ReviewDistrict:
    folder: Path
    config_path: Path
    campaign_id: int
    links: dict[str, str]  # reviewer -> personal link
    port: int

    @property
    def config(self):
        return load_config(self.config_path)

    def store(self) -> Store:
        return Store(self.config.store_path)

    def items(self, reviewer: str | None = None) -> list[Item]:
        with self.store() as store:
            return CampaignStore(store).items(self.campaign_id, reviewer=reviewer)

    def decisions(self):
        with self.store() as store:
            return CampaignStore(store).effective_decisions(self.campaign_id)

    def reviewer_with(self, predicate) -> str:
        """The reviewer with the fewest items among those having an item that ``predicate`` accepts."""
        items = self.items()
        counts: dict[str, int] = {}
        for i in items:
            counts[i.reviewer] = counts.get(i.reviewer, 0) + 1
        wanted = {i.reviewer for i in items if predicate(i)}
        return min(wanted, key=lambda r: (counts[r], r))


def web_settings(port: int, extra: str = "") -> str:
    return (
        f'\n[web]\ndistrict_name = "Lakeview School District"\nbase_url = "http://127.0.0.1:{port}"\n'
        f'host = "127.0.0.1"\nport = {port}\n{extra}'
    )


def _rename_in_roster(path: Path, names: dict[str, str]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["name"] = names.get(row["employee_id"], row["name"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def make_hostile(folder: Path) -> None:
    """Hostile names in the roster and the directory, imported and synced."""
    _rename_in_roster(folder / "roster.csv", {"E00011": SCRIPT_NAME, "E00012": BIDI})
    with sqlite3.connect(folder / "demo-directory.db") as db:
        assert (
            db.execute(
                "UPDATE groups_ SET name=? WHERE directory='ad' AND id=?", (BRACKETS, GROUP_ID)
            ).rowcount
            == 1
        )
    cfg = load_config(folder / "access-review.toml")
    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        assert all(r.ok for r in run_sync(cfg, store, connector_factory(cfg)))


def open_campaign(
    demo, port: int, *, hostile: bool = False, smtp_port: int | None = None, default: str = "none"
) -> ReviewDistrict:
    """The demo district with [web] (and [smtp]) settings and a campaign sent (workbooks written,
    so no e-mail is needed), every reviewer with a personal link."""
    if hostile:
        make_hostile(demo.folder)
    extra = ""
    if smtp_port:
        extra = (
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {smtp_port}\nsecurity = "none"\n'
            'from = "access-review@district.example.org"\n'
        )
    demo.config_path.write_text(
        demo.config_path.read_text(encoding="utf-8") + web_settings(port) + extra, encoding="utf-8"
    )
    cfg = load_config(demo.config_path)
    from access_review.analysis import analyse
    from datetime import date

    with Store(cfg.store_path) as store:
        a = analyse(cfg, store, today=date.fromisoformat(AS_OF))
        campaign, items = lifecycle.create_campaign(
            store, a, quarter="2026Q4", today=a.today, default=default
        )
        links = {}
        if not smtp_port:
            lifecycle.send_campaign(
                store, cfg, campaign.id, out=demo.folder / "sent", today=a.today
            )
            cstore = CampaignStore(store)
            links = review_links(
                store, cstore, cstore.get(campaign.id), cfg, sorted({i.reviewer for i in items})
            )
    return ReviewDistrict(demo.folder, demo.config_path, campaign.id, links, port)


# ---------------------------------------------------------------- the real server


class ServerProcess:
    """``access-review serve`` as its own process, from this worktree's code."""

    def __init__(self, config_path: Path, port: int, *args: str):
        env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1")
        self.log = tempfile.NamedTemporaryFile(prefix="serve-", suffix=".log", delete=False)  # noqa: SIM115 - kept open for the process
        self.port = port
        self.process = subprocess.Popen(  # noqa: S603 - this interpreter, arguments the test builds
            [
                sys.executable,
                "-m",
                "access_review",
                "serve",
                "--config",
                str(config_path),
                "--port",
                str(port),
                *args,
            ],
            cwd=REPO,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"serve exited: {self.output()}")
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise AssertionError(f"serve did not start: {self.output()}")

    def output(self) -> str:
        return Path(self.log.name).read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


# ---------------------------------------------------------------- the browser


def chromium(*, javascript: bool = True, width: int = 1280, height: int = 900):
    """Debian's Chromium through Debian's chromedriver, given explicitly (Selenium Manager never
    runs, nothing is downloaded), headless, with a fresh profile and the background traffic off
    (this machine has no network)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    for path in (CHROMIUM, CHROMEDRIVER):
        assert Path(path).exists(), (
            f"{path} is missing: ./scripts/test installs Debian's chromium and chromium-driver"
        )
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    flags = [
        "--headless=new",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-quic",
        "--disable-dev-shm-usage",
        f"--user-data-dir={tempfile.mkdtemp(prefix='chromium-profile-')}",
        f"--window-size={width},{height}",
    ]
    if os.geteuid() == 0:
        flags.append("--no-sandbox")  # Chromium's sandbox cannot start as root
    if not javascript:
        flags.append("--blink-settings=scriptEnabled=false")
    for flag in flags:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(30)
    return driver
