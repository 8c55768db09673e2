"""`--format table|csv|json` on `status`, `audit show`, `suspensions`, `campaign list` and
`campaign status` (issue 19): what a script reads equals what the table shows, the fields are
the ones docs/output.md documents, the same thing has the same name in each command, and a CSV
cell never becomes a formula."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from access_review.cli import app

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


def cli(env, *args: str, code: int = 0):
    result = runner.invoke(app, [*args, "--config", str(env.config_path)], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result


def as_json(env, *args: str):
    return json.loads(cli(env, *args, "--format", "json").stdout)


def as_csv(env, *args: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(cli(env, *args, "--format", "csv").stdout)))


def documented_fields(heading: str) -> list[list[str]]:
    """The field tables under a heading of docs/output.md: each table's field names, in order
    (a row naming several fields, `a`, `b`, counts each)."""
    text = (REPO / "docs" / "output.md").read_text(encoding="utf-8")
    section = text.split(f"## `{heading}`", 1)[1].split("\n## ", 1)[0]
    tables, current = [], None
    for line in section.splitlines():
        if line.startswith("| field |"):
            current = []
            tables.append(current)
        elif line.startswith("|") and current is not None and not line.startswith("|---"):
            cell = line.split("|")[1]
            current.extend(re.findall(r"`([a-z_]+)`", cell))
        elif not line.startswith("|"):
            current = None
    return tables


@pytest.fixture(scope="module")
def busy(demo_template, tmp_path_factory):
    """The demo district with a campaign and a suspension case in it."""
    env = demo_template.copy_to(tmp_path_factory.mktemp("busy") / "demo")
    a = env.analysis()
    person = next(
        p
        for p in a.persons.values()
        if p.status == "active"
        and a.correlation.accounts_of.get(p.key)
        and p.employee_id not in (a.config.iso.accounts or ())
    )
    cli(env, "campaign", "create", "--quarter", "2026Q4", "--today", a.today.isoformat())
    cli(
        env,
        "suspend",
        person.employee_id,
        "--case",
        "HR-1",
        "--reason",
        '=HYPERLINK("http://x")',
        "--apply",
    )
    return env


def test_status_json_csv_and_table_agree(busy):
    doc = as_json(busy, "status")
    assert set(doc) == {"runs", "roster", "inventory"}
    runs = doc["runs"]
    assert runs and {r["source"] for r in runs} == set(busy.config.sources)
    assert all(r["state"] == "complete" and r["mode"] == "full" and r["accounts"] > 0 for r in runs)
    assert doc["roster"]["file"].endswith("roster.csv") and doc["inventory"]["version"] >= 1
    rows = as_csv(busy, "status")
    assert [int(r["run"]) for r in rows] == [r["run"] for r in runs]
    assert list(rows[0]) == documented_fields("access-review status")[1]
    table = cli(busy, "status").stdout
    assert all(str(r["run"]) in table and r["source"] in table for r in runs)
    assert list(runs[0]) == documented_fields("access-review status")[1]
    assert list(doc) == documented_fields("access-review status")[0]


def test_audit_show_json_is_the_log(busy):
    from access_review import audit

    entries = as_json(busy, "audit", "show", "--last", "5")
    with busy.store() as store:
        last = audit.entries(store)[-5:]
    assert [e["seq"] for e in entries] == [e.seq for e in last]
    assert [e["hash"] for e in entries] == [e.hash for e in last]
    assert entries[-1]["details"] == last[-1].details and isinstance(entries[-1]["details"], dict)
    assert list(entries[0]) == documented_fields("access-review audit show")[0]
    rows = as_csv(busy, "audit", "show", "--last", "5")
    assert [json.loads(r["details"]) for r in rows] == [e["details"] for e in entries]


def test_suspensions_json_nests_accounts_and_csv_flattens_them_without_formulas(busy):
    cases = as_json(busy, "suspensions")
    assert [c["case"] for c in cases] == ["HR-1"]
    case = cases[0]
    case_fields, account_fields = documented_fields("access-review suspensions")
    assert list(case) == case_fields
    assert (
        case["state"] == "suspended"
        and case["review_date_passed"] is False
        and case["restored"] is None
    )
    assert case["accounts"] and all(list(a) == account_fields for a in case["accounts"])
    assert {a["account_state"].split(" (")[0] for a in case["accounts"]} <= {
        "disabled by this case",
        "sessions revoked",
        "was already disabled",
    }
    employee_ids = {a["employee_id"] for a in case["accounts"]}
    assert len(employee_ids) == 1 and None not in employee_ids
    text = cli(busy, "suspensions", "--format", "csv").stdout
    rows = list(csv.DictReader(io.StringIO(text)))
    assert (
        len(rows) == len(case["accounts"])
        and list(rows[0]) == [f for f in case_fields if f != "accounts"] + account_fields
    )
    # Data from the command line and the directories is text in a spreadsheet, never a formula.
    assert rows[0]["case"] == "HR-1" and rows[0]["reason"].startswith("'=HYPERLINK")


def test_campaign_list_and_status(busy):
    listed = as_json(busy, "campaign", "list")
    assert (
        len(listed) == 1 and list(listed[0]) == documented_fields("access-review campaign list")[0]
    )
    c = listed[0]
    assert (
        c["quarter"] == "2026Q4"
        and c["state"] == "draft"
        and c["items"] > 0
        and c["unanswered"] == c["items"]
    )
    assert as_csv(busy, "campaign", "list")[0]["items"] == str(c["items"])

    status = as_json(busy, "campaign", "status")
    assert {k: status[k] for k in c} == c
    assert (
        status["overdue"] is False
        and status["verification"] is None
        and status["remediation"] == {}
    )
    reviewers = status["reviewers"]
    assert sum(r["items"] for r in reviewers) == c["items"]
    reviewer_fields = documented_fields("access-review campaign status")[1]
    assert all(list(r) == reviewer_fields for r in reviewers)
    assert all((r["employee_id"] is None) == (r["role"] is not None) for r in reviewers)
    rows = as_csv(busy, "campaign", "status")
    assert [r["reviewer"] for r in rows] == [r["reviewer"] for r in reviewers]


def test_the_same_thing_has_the_same_name(busy):
    """`person` is a name and `employee_id` an id wherever they appear, as `who` has them."""
    a = busy.analysis()
    ids = {p.employee_id for p in a.persons.values()}
    names = {p.name for p in a.persons.values()}
    cases = as_json(busy, "suspensions")
    reviewers = as_json(busy, "campaign", "status")["reviewers"]
    who = json.loads(cli(busy, "who", a.inventory.resources[0].name, "--format", "json").stdout)
    for row in [*[acct for c in cases for acct in c["accounts"]], *reviewers, *who]:
        assert row["person"] in names and row["employee_id"] in ids | {None}


def test_an_unknown_format_is_a_usage_error(busy):
    result = runner.invoke(app, ["status", "--format", "xml", "--config", str(busy.config_path)])
    assert result.exit_code == 2 and "xml" in result.output
