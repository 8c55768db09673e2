"""Hostile names reach the terminal as text (issue 15, item 1).

A directory display name, a roster name or a config value is data, and data must never
restyle, relink or rewrite the ISO's terminal: ``Temp [/] Sub`` once crashed `findings`, `why`
and `accounts --unmatched` with a rich MarkupError; ``[link=…]…[/link]`` rendered as a
clickable hyperlink; a raw ``\\x1b[31m`` reached the terminal; config names vanished from the
tool's own messages. Here the demo district gets hostile names in its directory state, its
roster and its config, and every command that prints runs over it.
"""

from __future__ import annotations

import csv
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from access_review.cli import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

BRACKETS = "Temp [/] Sub"  # rich closing tag with nothing open
LINK = "[link=http://evil.example]Luis[/link]"  # rich hyperlink markup
ESCAPE = "\x1b[31mRed\x1b[0m Orphan"  # a raw ANSI colour escape
BIDI = "Ann \u202eevil\u202c Lee"  # right-to-left override
PERSON = "E00011"  # unauthorized access (planted)
GROUP_ID = "663c1328-0c4e-2c10-09ac-e774eb0f30cb"  # in PERSON's path; ungoverned (planted)
ORPHAN_ID = "3d606013-828d-9c28-6aef-00cbdc85a7be"  # an AD account with no roster person
RESOURCE = "Special Education Records"
RESOURCE_NAME = "Records [/] \u202eevil"  # an inventory resource


def _rename_in_roster(path: Path, names: dict[str, str]) -> None:
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    for row in rows:
        row["name"] = names.get(row["employee_id"], row["name"])
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)


def cli(folder: Path, *args: str, code: int | None = 0):
    result = runner.invoke(
        app, [*args, "--config", str(folder / "access-review.toml")], env={"COLUMNS": "1000"}
    )
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    if code is not None:
        assert result.exit_code == code, result.output
    return result


@pytest.fixture(scope="module")
def hostile(demo_template, tmp_path_factory) -> Path:
    """The demo district with hostile names in the directory, the roster and the config, synced."""
    import shutil

    folder = tmp_path_factory.mktemp("hostile") / "district"
    shutil.copytree(demo_template.folder, folder)
    _rename_in_roster(folder / "roster.csv", {PERSON: LINK, "E00012": BIDI})
    with sqlite3.connect(folder / "demo-directory.db") as db:
        assert (
            db.execute(
                "UPDATE groups_ SET name=? WHERE directory='ad' AND id=?", (BRACKETS, GROUP_ID)
            ).rowcount
            == 1
        )
        assert (
            db.execute(
                "UPDATE accounts SET display_name=? WHERE directory='ad' AND id=?",
                (ESCAPE, ORPHAN_ID),
            ).rowcount
            == 1
        )
    with (folder / "access-review.toml").open("a", encoding="utf-8") as fh:
        # A source whose name and state path are hostile, and which cannot be read.
        fh.write(
            '\n[sources."lab [/] \\u001b[31mdc"]\ntype = "demo"\ndirectory = "ad"\n'
            'state = "missing [link=http://evil.example]x[/link].db"\n'
        )
    # An inventory resource whose name and selector are hostile (the selector matches nothing).
    workbook = openpyxl.load_workbook(folder / "inventory.xlsx")
    sheet = workbook["Resources"]
    header = [c.value for c in sheet[1]]
    row = dict.fromkeys(header, "")
    row.update(
        resource=RESOURCE_NAME,
        classification="confidential",
        data_manager="E00002",
        entitlements="ad:group:[link=http://evil.example]x[/link]",
        review_frequency="annual",
    )
    sheet.append([row[h] for h in header])
    workbook.save(folder / "inventory.xlsx")
    for args in (("roster", "import"), ("inventory", "import")):
        output = cli(folder, *args).output
        assert_shown_as_text(output)
        assert "Traceback" not in output
    result = cli(folder, "sync", code=5)  # the hostile source fails; the others complete
    assert "complete" in result.output
    assert_shown_as_text(result.output)
    assert "lab [/] \\x1b[31mdc" in result.output
    return folder


def assert_shown_as_text(output: str) -> None:
    """No traceback, no raw escape or bidi control: the terminal shows what the data says."""
    assert "Traceback" not in output and "MarkupError" not in output, output
    assert "\x1b" not in output, repr(output)
    assert not re.search("[\u202a-\u202e\u2066-\u2069]", output), repr(output)


COMMANDS = [
    (("findings",), 0, [BRACKETS, LINK]),
    (("findings", "--type", "unauthorized"), 0, [LINK]),
    (("why", PERSON, RESOURCE), 0, [BRACKETS, LINK]),
    (("access", PERSON), 0, [BRACKETS]),
    (("who", RESOURCE), 0, [BRACKETS, LINK]),
    (("accounts", "--unmatched"), 0, ["\\x1b[31mRed\\x1b[0m Orphan"]),
    (("inventory", "check"), 0, ["Records [/] \\u202eevil", "[link=http://evil.example]x[/link]"]),
    (("status",), 0, ["lab [/] \\x1b[31mdc"]),
    # (a path: "//" reads back as "/")
    (("doctor",), 1, ["lab [/] \\x1b[31mdc", "missing [link=http:/evil.example]x[/link].db"]),
    (("sync", "--source", "ad"), 0, []),
    (("audit", "show", "--last", "100"), 0, []),
    (("audit", "verify"), 0, []),
    # an argument naming nobody is a usage error: exit 2 (issue 19; it was 1)
    (("why", "nobody [/] \x1b[31m", RESOURCE), 2, ["nobody [/] \\x1b[31m"]),
]


@pytest.mark.parametrize("args,code,literals", COMMANDS, ids=[" ".join(c[0][:2]) for c in COMMANDS])
def test_every_query_command_shows_hostile_names_as_text(hostile, args, code, literals):
    output = cli(hostile, *args, code=code).output
    assert_shown_as_text(output)
    for text in literals:
        assert text in output, (text, output)


def test_the_bidi_override_is_shown_not_obeyed(hostile):
    output = cli(hostile, "who", RESOURCE).output + cli(hostile, "findings").output
    assert_shown_as_text(output)
    assert "Ann \\u202eevil\\u202c Lee" in output


def test_machine_formats_carry_no_terminal_escape(hostile):
    for args in (
        ("findings", "--format", "csv"),
        ("findings", "--format", "json"),
        ("who", RESOURCE, "--format", "csv"),
        ("who", RESOURCE, "--format", "json"),
    ):
        output = cli(hostile, *args).output
        assert "Traceback" not in output and "\x1b" not in output, args
    assert (
        "[link=http://evil.example]Luis[/link]"
        in cli(hostile, "who", RESOURCE, "--format", "json").output
    )


def test_suspend_restore_and_exports_print_hostile_names_as_text(hostile, tmp_path):
    import shutil

    folder = tmp_path / "d"
    shutil.copytree(hostile, folder)
    case, reason = "HR [/] 1", "[link=http://evil.example]pending[/link] \x1b[31m"
    outputs = [
        cli(folder, "suspend", PERSON, "--case", case, "--reason", reason).output,
        cli(folder, "suspend", PERSON, "--case", case, "--reason", reason, "--apply").output,
        cli(folder, "suspensions").output,
        cli(folder, "restore", "--case", case, "--no-sync").output,
        cli(folder, "restore", "--case", case, "--no-sync", "--apply").output,
        cli(folder, "suspensions", "--all").output,
        cli(folder, "export", "superintendent", "--out", str(tmp_path / "r [bold] x.xlsx")).output,
    ]
    for output in outputs:
        assert_shown_as_text(output)
    assert LINK in outputs[0] and "HR [/] 1" in outputs[1]
    assert "[link=http://evil.example]pending[/link] \\x1b[31m" in outputs[2]
    assert "r [bold] x.xlsx" in outputs[-1]


def test_config_names_appear_in_the_tools_own_messages(tmp_path):
    result = runner.invoke(app, ["init", str(tmp_path / "access-review.toml")])
    assert result.exit_code == 0 and "Next: fill in [sources.*], then run" in result.output
    (tmp_path / "empty.toml").write_text('[store]\npath = "s.db"\n', encoding="utf-8")
    result = runner.invoke(app, ["sync", "--config", str(tmp_path / "empty.toml")])
    assert result.exit_code == 2 and "no [sources.NAME] tables are configured" in result.output
    assert (
        "(default: [roster] path)"
        in runner.invoke(app, ["roster", "import", "--help"], env={"COLUMNS": "200"}).output
    )
    assert (
        "(default: [inventory] path)"
        in runner.invoke(app, ["inventory", "import", "--help"], env={"COLUMNS": "200"}).output
    )


@pytest.mark.parametrize(
    "args", [("why", PERSON, RESOURCE), ("accounts", "--unmatched"), ("findings",)]
)
def test_on_a_colour_terminal_no_hyperlink_and_no_raw_escape(hostile, args):
    """As the ISO's terminal gets it: rich styles on (FORCE_COLOR), so a hyperlink would be an
    OSC 8 sequence and a raw escape would sit among the tool's own colour codes."""
    env = {
        **os.environ,
        "FORCE_COLOR": "1",
        "TERM": "xterm-256color",
        "COLUMNS": "1000",
        "PYTHONPATH": str(REPO),
    }
    env.pop("NO_COLOR", None)
    proc = subprocess.run(  # noqa: S603 (this Python running the tool, arguments from the test)
        [
            sys.executable,
            "-m",
            "access_review",
            *args,
            "--config",
            str(hostile / "access-review.toml"),
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode("utf-8")
    assert "\x1b[" in out  # the tool's own colours are on
    assert "\x1b]8;" not in out  # no OSC 8 hyperlink
    text = re.sub("\x1b\\[[0-9;]*m", "", out)  # strip every colour code ...
    assert "\x1b" not in text  # ... and nothing else escapes
    if args[0] == "accounts":
        assert "\\x1b[31mRed\\x1b[0m Orphan" in text  # the data's escape, shown as text
    else:
        assert LINK in text or BRACKETS in text
