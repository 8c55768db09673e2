"""The demo's ending (issue 19): the findings counted by severity, the most severe shown first
under a title, and what to try next — every suggested command runs as printed. Wording: a
data manager on leave "is on leave"."""

from __future__ import annotations

import re
import shlex
from collections import Counter

import pytest
from typer.testing import CliRunner

from access_review.cli import app
from access_review.findings import SEVERITY_ORDER

runner = CliRunner()


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo-run") / "d"
    result = runner.invoke(app, ["demo", "--out", str(folder)], env={"COLUMNS": "1000"})
    assert result.exit_code == 0, result.output
    return folder, result.output


def test_counts_by_severity_most_severe_first(demo_output, demo_template):
    folder, out = demo_output
    found = demo_template.analysis().findings
    counts = Counter(f.severity for f in found)
    expected = ", ".join(f"{counts[s]} {s}" for s in SEVERITY_ORDER if counts[s])
    assert f"Findings: {len(found)} — {expected}" in out
    assert counts["critical"] >= 1
    # The table of findings has a title and starts with the critical ones, whichever type they are.
    assert f"The 8 most severe of {len(found)} findings" in out
    table = out.split(f"The 8 most severe of {len(found)} findings", 1)[1].split("Finished in", 1)[
        0
    ]
    shown = re.findall(r"│ (critical|high|medium|low|info) +│", table)
    assert (
        shown == sorted(shown, key=SEVERITY_ORDER.get)
        and shown[: counts["critical"]] == ["critical"] * counts["critical"]
    )


def test_every_suggested_next_step_runs_as_printed(demo_output):
    folder, out = demo_output
    tail = out.split("Try next", 1)[1]
    commands = [
        line.strip() for line in tail.splitlines() if line.strip().startswith("access-review ")
    ]
    verbs = [shlex.split(c)[1] for c in commands]
    assert verbs[:1] == ["findings"] and {"why", "campaign", "suspend", "export"} <= set(verbs), (
        commands
    )
    for line in commands:
        for part in line.split(" && "):
            words = shlex.split(part)
            assert words[0] == "access-review"
            if "--out" in words:  # keep what they write inside the test's folder
                where = words.index("--out") + 1
                words[where] = str(folder / words[where])
            result = runner.invoke(app, words[1:], env={"COLUMNS": "200"})
            assert result.exit_code == 0, (part, result.output)
            if words[1] == "suspend":
                assert "Dry run" in result.output


def test_a_data_manager_on_leave_is_on_leave(demo_output):
    _, out = demo_output
    assert " is leave" not in out
    assert re.search(r"data manager \S+ \S+ is on leave", out)
