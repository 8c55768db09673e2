"""A query process loads only what it needs (issue 13: every query within 0.5 s, process start
included): the command modules are imported when their command runs, and a query reads the
stored analysis without the graph, spreadsheet, PDF or directory libraries."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from access_review.cli import app
from access_review.cli.app import COMMANDS
from access_review.stored_analysis import refresh_analysis

REPO = Path(__file__).resolve().parents[1]
HEAVY = (
    "networkx",
    "numpy",
    "pandas",
    "openpyxl",
    "reportlab",
    "msal",
    "googleapiclient",
    "ldap3",
    "campaigns",
    "exports",
)
PROBE = """
import sys
from access_review.cli import app
try:
    app(sys.argv[1:])
except SystemExit:
    pass
sys.stderr.write("LOADED " + repr(sorted({m.split('.')[0] for m in sys.modules})) + "\\n")
"""


def test_help_lists_every_command_though_none_is_loaded_before_it_runs():
    out = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    for name in COMMANDS:
        assert name in out, name


@pytest.mark.parametrize(
    "args",
    [
        ("findings",),
        ("who", "Special Education Records"),
        ("access", "E00005"),
        ("accounts",),
        ("inventory", "check"),
    ],
)
def test_a_query_process_loads_no_heavy_library(demo, args):
    with demo.store() as store:
        refresh_analysis(demo.config, store)  # as `sync` leaves it
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.run(  # noqa: S603 (this Python, the test's own probe)
        [
            sys.executable,
            "-c",
            PROBE,
            *args,
            "--format",
            "json",
            "--config",
            str(demo.config_path),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    json.loads(proc.stdout)  # it answered
    loaded = eval(proc.stderr.rsplit("LOADED ", 1)[1])  # noqa: S307 (the probe's own repr of a list of names)
    assert not set(HEAVY) & set(loaded), sorted(set(HEAVY) & set(loaded))
