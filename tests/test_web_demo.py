"""`access-review demo --serve`: someone trying the tool reviews the demo district in a browser.
The command runs the demo, sends a campaign, prints each reviewer's personal link and serves
the page; a link from its output opens that reviewer's review."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from loopback import free_port
from web_env import REPO


def test_demo_serve_prints_links_that_open_the_review(tmp_path):
    port = free_port()
    out = tmp_path / "demo"
    log = tmp_path / "demo.log"
    env = dict(os.environ, PYTHONPATH=str(REPO), PYTHONUNBUFFERED="1", COLUMNS="400")
    with log.open("w") as fh:
        process = subprocess.Popen(  # noqa: S603 - this interpreter, arguments the test builds
            [
                sys.executable,
                "-m",
                "access_review",
                "demo",
                "--out",
                str(out),
                "--serve",
                "--port",
                str(port),
            ],
            cwd=REPO,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 300
        while "Serving the review page" not in log.read_text() and time.monotonic() < deadline:
            assert process.poll() is None, log.read_text()
            time.sleep(0.5)
        output = log.read_text()
        assert "Serving the review page at http://127.0.0.1:" in output, output
        assert "Review the demo in a browser" in output
        links = re.findall(rf"http://127\.0\.0\.1:{port}/r/\S+", output)
        names = re.findall(
            r"^  (.+?) \((\w+)\): (\d+) item\(s\), (\d+) flagged$", output, re.MULTILINE
        )
        assert len(links) == len(names) >= 5, output
        name, reviewer, items, _ = names[0]
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                opening = opener.open(links[0], timeout=30)  # noqa: S310 - the demo's own page on loopback
                break
            except OSError:
                assert time.monotonic() < deadline
                time.sleep(0.5)
        assert opening.status == 200
        page = opener.open(f"http://127.0.0.1:{port}/review", timeout=30).read().decode("utf-8")  # noqa: S310 - the demo's own page on loopback
        assert f"Your access review, <bdi>{name}</bdi>" in page
        assert f"{items} items to review" in page and "Demo School District" in page
        assert Path(out, "review-workbooks").is_dir()  # the workbook path is there too
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
