"""The web review page at district scale (issue 17: page < 300 ms, one answer < 100 ms, medians
of 20, while a sync runs on the same store).

    python bench/bench_web.py [--size district] [--items 400] [--samples 20] [--folder DIR]

The demo district of ``--size`` is generated, imported and synced through the real pipeline
(kept in ``--folder`` to be reused by the next run), a campaign is created and sent (workbooks
written), and `access-review serve` runs as its own process on loopback. The reviewer whose
item count is nearest ``--items`` (400) opens their link over HTTP (http.client, no browser:
what is timed is the server).

Timed, side by side in one run, each ``--samples`` times:
  page     GET /review: the reviewer's items and answers read, the page rendered and sent;
  answer   POST /review/answer (JSON, as the page's script sends it): checked by the review
           rules, recorded, audit-logged, and the new progress returned;
first with the store quiet, then while `access-review sync --full` (another process) syncs the
same store over and over. Medians, 90th percentiles and maxima, and the ratio busy / quiet.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import pathlib
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date
from urllib.parse import urlencode, urlsplit

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from access_review.analysis import analyse  # noqa: E402
from access_review.cli.connectors import connector_factory  # noqa: E402
from access_review.config import load_config  # noqa: E402
from access_review.demo import generate_district, write_demo  # noqa: E402
from access_review.imports import import_inventory, import_roster  # noqa: E402
from access_review.store import Store  # noqa: E402
from access_review.sync import run_sync  # noqa: E402
from campaigns import lifecycle  # noqa: E402
from campaigns.delivery import review_links  # noqa: E402
from campaigns.store import CampaignStore  # noqa: E402

ENV = dict(os.environ, PYTHONPATH=str(ROOT))


def check(ok: bool, what: object) -> None:
    if not ok:
        raise RuntimeError(f"bench step failed: {what}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(
    folder: pathlib.Path, size: str, port: int, wanted: int
) -> tuple[pathlib.Path, str, list[str], int]:
    """(config, the link of the reviewer whose item count is nearest ``wanted``, their unflagged
    items, how many items they have), building the district once."""
    config_path = folder / "access-review.toml"
    if not config_path.exists():
        print(f"generating the {size} demo district in {folder} (once) ...", flush=True)
        district = generate_district(size, seed=2026)
        config_path = write_demo(folder, district)
        cfg = load_config(config_path)
        with Store(cfg.store_path) as store:
            import_roster(cfg, store, cfg.roster_path)
            import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
            results = run_sync(cfg, store, connector_factory(cfg))
            check(all(r.ok for r in results), [r.error for r in results])
    text = config_path.read_text(encoding="utf-8")
    text = text.split("\n[web]\n")[0] + (
        f'\n[web]\ndistrict_name = "Bench District"\nbase_url = "http://127.0.0.1:{port}"\n'
    )
    config_path.write_text(text, encoding="utf-8")
    cfg = load_config(config_path)
    with Store(cfg.store_path) as store:
        cstore = CampaignStore(store)
        for c in cstore.all():  # a campaign from an earlier run: start again with a new one
            store.db.execute("UPDATE campaigns SET quarter='bench-' || id WHERE id=?", (c.id,))
        today = date(2026, 11, 28)
        a = analyse(cfg, store, today=today)
        campaign, items = lifecycle.create_campaign(store, a, quarter="2026Q4", today=today)
        lifecycle.send_campaign(
            store, cfg, campaign.id, out=folder / f"sent-{campaign.id}", today=today
        )
        counts: dict[str, int] = {}
        for i in items:
            counts[i.reviewer] = counts.get(i.reviewer, 0) + 1
        chosen = min(counts, key=lambda r: (abs(counts[r] - wanted), r))
        link = review_links(store, cstore, cstore.get(campaign.id), cfg, [chosen])[chosen]
        unflagged = [i.item_id for i in items if i.reviewer == chosen and not i.flagged]
    print(
        f"campaign {campaign.id}: {len(items):,} items for {len(counts)} reviewers "
        f"({', '.join(str(n) for n in sorted(counts.values(), reverse=True))}); "
        f"timed: reviewer {chosen} with {counts[chosen]} items ({len(unflagged)} unflagged)",
        flush=True,
    )
    return config_path, link, unflagged, counts[chosen]


class Client:
    def __init__(self, link: str):
        parts = urlsplit(link)
        self.host, self.port = parts.hostname, parts.port
        self.conn = http.client.HTTPConnection(self.host, self.port, timeout=60)
        self.conn.request("GET", parts.path)
        response = self.conn.getresponse()
        response.read()
        check(response.status == 200, response.status)
        self.cookie = response.getheader("set-cookie").split(";")[0]
        page = self.get("/review")[1]
        self.csrf = page.split('name="csrf" value="', 1)[1].split('"', 1)[0]

    def get(self, path: str) -> tuple[float, str]:
        started = time.perf_counter()
        self.conn.request("GET", path, headers={"Cookie": self.cookie})
        response = self.conn.getresponse()
        body = response.read().decode("utf-8")
        elapsed = time.perf_counter() - started
        check(response.status == 200, (response.status, body[:200]))
        return elapsed, body

    def answer(self, item: str, decision: str) -> float:
        body = urlencode({"csrf": self.csrf, "item": item, "decision": decision})
        started = time.perf_counter()
        self.conn.request(
            "POST",
            "/review/answer",
            body=body,
            headers={
                "Cookie": self.cookie,
                "Accept": "application/json",
                "Content-Type": "application/x-www-form-urlencoded",
            },
        )
        response = self.conn.getresponse()
        data = json.loads(response.read())
        elapsed = time.perf_counter() - started
        check(bool(data.get("ok")), data)
        return elapsed


def measure(
    client: Client, items: list[str], samples: int, offset: int
) -> tuple[list[float], list[float]]:
    pages, answers = [], []
    for n in range(samples):
        pages.append(client.get("/review")[0])
        # A different item each time, so every answer is recorded (not "same as before").
        answers.append(
            client.answer(
                items[(offset + n) % len(items)], "revoke" if (offset + n) % 2 else "keep"
            )
        )
    return pages, answers


def describe(times: list[float]) -> str:
    ms = sorted(t * 1000 for t in times)
    p90 = ms[min(len(ms) - 1, int(round(0.9 * (len(ms) - 1))))]
    return f"median {statistics.median(ms):7.1f} ms  p90 {p90:7.1f} ms  max {ms[-1]:7.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size", default="district")
    parser.add_argument("--samples", type=int, default=20)
    parser.add_argument(
        "--items", type=int, default=400, help="time the reviewer with about this many items"
    )
    parser.add_argument(
        "--folder", type=pathlib.Path, default=pathlib.Path(tempfile.gettempdir()) / "bench-web"
    )
    args = parser.parse_args()
    args.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    # The audit and link keys of this bench live beside its district, not in ~/.config.
    os.environ["XDG_CONFIG_HOME"] = ENV["XDG_CONFIG_HOME"] = str(args.folder / "config")
    port = free_port()
    config_path, link, items, total = prepare(args.folder, args.size, port, args.items)
    log = open(args.folder / "serve.log", "w")  # noqa: SIM115 - the server's output, closed below
    server = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "-m",
            "access_review",
            "serve",
            "--config",
            str(config_path),
            "--port",
            str(port),
        ],
        cwd=ROOT,
        env=ENV,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    sync = None
    try:
        for _ in range(300):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        client = Client(link)
        client.get("/review")  # warm up (templates compiled)
        quiet = measure(client, items, args.samples, 0)
        syncs, busy_pages, busy_answers, deadline = 0, [], [], time.monotonic() + 600
        while len(busy_pages) < args.samples and time.monotonic() < deadline:
            if sync is None or sync.poll() is not None:
                sync = subprocess.Popen(  # noqa: S603 - this interpreter, fixed arguments
                    [
                        sys.executable,
                        "-m",
                        "access_review",
                        "sync",
                        "--full",
                        "--config",
                        str(config_path),
                    ],
                    cwd=ROOT,
                    env=ENV,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                syncs += 1
                time.sleep(0.5)  # let it get going
            page, answer = measure(client, items, 1, args.samples + len(busy_pages))
            if sync.poll() is None:  # count only what overlapped the sync
                busy_pages += page
                busy_answers += answer
        print(
            f"\n{args.size} demo district, a reviewer with {total} items; {args.samples} samples each;"
            f" {syncs} full sync(s) of the same store ran during the busy samples\n"
        )
        for name, q, b in (("page  ", quiet[0], busy_pages), ("answer", quiet[1], busy_answers)):
            print(f"{name} quiet: {describe(q)}")
            print(
                f"{name} sync:  {describe(b)}   ratio of medians {statistics.median(b) / statistics.median(q):.2f}x"
            )
    finally:
        if sync is not None and sync.poll() is None:
            sync.terminate()
            sync.wait(timeout=60)
        server.terminate()
        server.wait(timeout=30)
        log.close()


if __name__ == "__main__":
    main()
