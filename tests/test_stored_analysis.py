"""The stored analysis (issue 13): every query reads it, and what it answers equals the analysis
computed from scratch; it is rebuilt whenever an input changes (a sync, a roster or inventory
import, the day), so a stale one is never read."""

from __future__ import annotations

import json
import sqlite3
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from access_review.analysis import analyse
from access_review.cli import app
from access_review.finding_types import FINDING_TYPES, today_utc
from access_review.graph import all_paths, describe_path, path_level
from access_review.records import level_label
from access_review.stored_analysis import latest_stored_analysis, refresh_analysis

runner = CliRunner()


def cli(demo, *args, code=0):
    result = runner.invoke(app, [*args, "--config", str(demo.config_path)], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result


def as_json(demo, *args):
    return json.loads(cli(demo, *args, "--format", "json").stdout)


def scratch(demo):
    """The analysis as every query computed it before issue 13: from the store, for today."""
    with demo.store() as store:
        return analyse(demo.config, store, today=today_utc())


# -- the answers, computed from scratch the way the commands used to -----------------------------
def verdict(a, resource, person_key):
    if person_key is None:
        return False, "no roster person"
    return a.is_authorized(a.inventory_by_name[resource], a.persons[person_key])


def access_row(a, x):
    person = a.persons.get(x.person) if x.person else None
    ok, reason = verdict(a, x.resource, x.person)
    account = a.accounts[x.account]
    return {
        "person": person.name if person else "",
        "employee_id": person.employee_id if person else "",
        "account": account.login,
        "account_key": x.account,
        "source": account.source,
        "resource": x.resource,
        "classification": a.inventory_by_name[x.resource].classification,
        "level": level_label(x.level),
        "authorized": ok,
        "reason": reason,
        "path": describe_path(a.graph, x.path),
    }


def expected_who(a, resource):
    rows = sorted(
        (x for x in a.access if x.resource == resource), key=lambda x: (x.person or "~", x.account)
    )
    return [access_row(a, x) for x in rows]


def expected_access(a, accounts):
    rows = sorted(
        (x for x in a.access if x.account in set(accounts)), key=lambda x: (x.resource, x.account)
    )
    return [access_row(a, x) for x in rows]


def expected_why(a, person_key, accounts, resource):
    out = []
    person = a.persons.get(person_key) if person_key else None
    for account in accounts:
        ok, reason = verdict(a, resource, a.correlation.person_of(account))
        for path in all_paths(a.graph, account, resource):
            out.append(
                {
                    "person": person.name if person else "",
                    "employee_id": person.employee_id if person else "",
                    "account": a.accounts[account].login,
                    "account_key": account,
                    "source": a.accounts[account].source,
                    "resource": resource,
                    "classification": a.inventory_by_name[resource].classification,
                    "level": level_label(path_level(a.graph, path)),
                    "path": describe_path(a.graph, path),
                    "authorized": ok if person else None,
                    "reason": reason,
                }
            )
    return out


def expected_finding(a, f):
    person = a.persons.get(f.person) if f.person else None
    account = a.accounts.get(f.account) if f.account else None
    return {
        "severity": f.severity,
        "type": f.type,
        "title": FINDING_TYPES[f.type],
        "summary": f.summary,
        "person": person.name if person else "",
        "employee_id": person.employee_id if person else "",
        "account": account.login if account else "",
        "account_key": f.account or "",
        "source": account.source if account else (f.account.split(":", 1)[0] if f.account else ""),
        "resource": f.resource or "",
        "path": describe_path(a.graph, f.path) if f.path else "",
        "path_keys": list(f.path),
        "evidence": json.loads(json.dumps(f.evidence, default=str)),
    }


# -- the test the issue asks for -------------------------------------------------------------------
def test_every_query_answers_what_the_analysis_computed_from_scratch_says(demo):
    a = scratch(demo)
    for res in a.inventory.resources:
        assert as_json(demo, "who", res.name) == expected_who(a, res.name), res.name
    people = sorted({x.person for x in a.access if x.person})
    several = [p for p in people if len(a.correlation.accounts_of[p]) > 1]
    chosen = people[:: max(1, len(people) // 12)][:12] + several[:4]
    for key in chosen:
        person = a.persons[key]
        accounts = a.correlation.accounts_of[key]
        assert as_json(demo, "access", person.employee_id) == expected_access(a, accounts), key
        for res in sorted({x.resource for x in a.access if x.account in accounts}):
            assert as_json(demo, "why", person.employee_id, res) == expected_why(
                a, key, accounts, res
            ), (key, res)
    # an account joined to nobody (a guest, a service account) named by its login
    loose = next(k for k in a.correlation.unmatched if any(x.account == k for x in a.access))
    login = a.accounts[loose].login
    assert as_json(demo, "access", login) == expected_access(a, [loose]) != []
    res = next(x.resource for x in a.access if x.account == loose)
    assert as_json(demo, "why", login, res) == expected_why(a, None, [loose], res) != []

    found = [expected_finding(a, f) for f in a.findings]
    assert as_json(demo, "findings") == found
    assert as_json(demo, "findings", "--severity", "high") == [
        f for f in found if f["severity"] in ("critical", "high")
    ]
    for t in sorted({f["type"] for f in found}):
        assert as_json(demo, "findings", "--type", t) == [f for f in found if f["type"] == t]
    for res in sorted({f.resource for f in a.findings if f.resource}):
        assert as_json(demo, "findings", "--resource", res) == [
            expected_finding(a, f) for f in a.findings if (f.resource or "").lower() == res.lower()
        ], res
    for key in sorted({f.person for f in a.findings if f.person})[:6]:
        want = [
            expected_finding(a, f)
            for f in a.findings
            if f.person == key or (f.account and a.correlation.person_of(f.account) == key)
        ]
        assert as_json(demo, "findings", "--person", a.persons[key].employee_id) == want, key

    c = a.correlation
    summary = as_json(demo, "accounts", "--unmatched")
    assert summary["accounts"] == len(a.accounts) and summary["joined"] == len(c.links)
    assert summary["people"] == len(c.accounts_of) and summary["unmatched"] == len(c.unmatched)
    assert summary["by_method"] == {
        m: sum(1 for x in c.links.values() if x.method == m)
        for m in {x.method for x in c.links.values()}
    }
    assert [u["account_key"] for u in summary["unmatched_accounts"]] == sorted(
        k for k in c.unmatched if c.kinds[k] != "student"
    )
    check = as_json(demo, "inventory", "check")
    assert check["warnings"] == a.selector_warnings
    assert [(r["resource"], r["selector_matches"], r["people"]) for r in check["resources"]] == [
        (
            r.name,
            len(a.selector_matches.get(r.name, [])),
            len({x.person for x in a.access if x.resource == r.name and x.person}),
        )
        for r in a.inventory.resources
    ]


def test_the_table_output_is_the_one_people_knew(demo):
    a = scratch(demo)
    x = next(x for x in a.access if x.person and len(a.correlation.accounts_of[x.person]) == 1)
    person = a.persons[x.person]
    out = cli(demo, "why", person.employee_id, x.resource).stdout
    assert out.startswith(
        f"• [{level_label(x.level)}] {person.name} → {describe_path(a.graph, x.path)}"
    )
    assert ("authorized:" in out) or ("not authorized:" in out)
    who = cli(demo, "who", x.resource).stdout
    assert f"{x.resource} ({a.inventory_by_name[x.resource].classification}) —" in who


# -- never stale -----------------------------------------------------------------------------------
def drop_membership(demo, account_key: str, group_key: str) -> None:
    """Someone removes a membership in the (demo) directory itself."""
    source, _, member = account_key.split(":", 2)
    group = group_key.split(":", 2)[2]
    directory = demo.config.sources[source]["directory"]
    with sqlite3.connect(demo.folder / "demo-directory.db") as db:
        assert (
            db.execute(
                "DELETE FROM memberships WHERE directory=? AND group_id=? AND member_id=?",
                (directory, group, member),
            ).rowcount
            == 1
        )


def single_path_through_a_group(a, avoid=()):
    """An access row whose only path goes through one direct group membership, so that removing
    that membership removes the access."""
    for x in a.access:
        if (
            x.account in avoid
            or a.graph.nodes[x.path[1]].get("type") != "group"
            or "#" in x.path[1]
        ):
            continue
        if len(all_paths(a.graph, x.account, x.resource)) == 1:
            return x
    raise AssertionError("no such access in the demo")


def test_a_sync_rebuilds_the_analysis_and_a_query_never_reads_a_stale_one(demo):
    a = scratch(demo)
    x = single_path_through_a_group(a)
    before = as_json(demo, "who", x.resource)
    assert any(r["account_key"] == x.account for r in before)
    drop_membership(demo, x.account, x.path[1])
    synced = cli(demo, "sync")
    assert "Analysis brought up to date" in synced.stderr
    after = as_json(demo, "who", x.resource)
    assert not any(r["account_key"] == x.account for r in after) and len(after) == len(before) - 1
    # A sync outside the CLI (nothing rebuilds after it): the next query rebuilds before answering.
    y = single_path_through_a_group(a, avoid={x.account})
    drop_membership(demo, y.account, y.path[1])
    from access_review.cli.connectors import connector_factory
    from access_review.sync import run_sync

    with demo.store() as store:
        assert all(r.ok for r in run_sync(demo.config, store, connector_factory(demo.config)))
    result = cli(demo, "who", y.resource, "--format", "json")
    assert "Bringing the stored analysis up to date (a newer" in result.stderr
    assert not any(r["account_key"] == y.account for r in json.loads(result.stdout))


def test_the_analysis_records_its_inputs_and_a_new_day_or_import_rebuilds_it(demo):
    cfg = demo.config
    with demo.store() as store:
        first = refresh_analysis(cfg, store)
        inputs = first.inputs
        assert dict(inputs.runs) == {
            s: store.latest_complete_run(s).id for s in ("ad", "entra", "google")
        }
        assert (
            inputs.roster == store.latest_roster_import()[0]
            and inputs.today == today_utc().isoformat()
        )
        assert refresh_analysis(cfg, store).id == first.id  # nothing changed: nothing rebuilt
        reasons = []
        tomorrow = refresh_analysis(
            cfg, store, today=today_utc() + timedelta(days=1), on_rebuild=reasons.extend
        )
        assert tomorrow.id != first.id and reasons == [
            f"a new day ({tomorrow.inputs.today}; it was built for {inputs.today})"
        ]
    cli(demo, "roster", "import")
    with demo.store() as store:
        latest = latest_stored_analysis(store)
        assert (
            latest.inputs.roster == store.latest_roster_import()[0]
            and latest.inputs.today == inputs.today
        )


def test_a_rebuild_that_finds_the_same_answers_writes_only_its_record(demo):
    cfg = demo.config
    with demo.store() as store:
        refresh_analysis(cfg, store)
        tables = [
            r[0]
            for r in store.db.execute(
                "SELECT name FROM sqlite_master WHERE type='table'"
                " AND name LIKE 'analysis_%' AND name != 'analysis_runs'"
            )
        ]
        count = {t: store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in tables}  # noqa: S608 (names from sqlite_master)
    cli(demo, "sync")  # the same directories again: new runs, same answers
    with demo.store() as store:
        assert {
            t: store.db.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0]  # noqa: S608 (names from sqlite_master)
            for t in tables
        } == count
        assert store.db.execute("SELECT COUNT(*) FROM analysis_runs").fetchone()[0] == 2


# -- arguments ---------------------------------------------------------------------------------------
def test_a_name_shared_by_several_people_lists_them_and_asks_for_one(demo):
    a = scratch(demo)
    surname = max(
        {p.name.split()[-1] for p in a.persons.values()},
        key=lambda s: sum(p.name.endswith(" " + s) for p in a.persons.values()),
    )
    result = cli(demo, "access", surname, code=2)
    assert "people or accounts match" in result.stderr and "which one?" in result.stderr
    some = next(p for p in a.persons.values() if p.name.endswith(" " + surname))
    assert f"{some.name} ({some.employee_id}, {some.building or some.department})" in result.stderr
    assert "employee id" in result.stderr
    for command in (
        ("why", surname, a.inventory.resources[0].name),
        ("findings", "--person", surname),
    ):
        assert "which one?" in cli(demo, *command, code=2).stderr


def test_resources_resolve_the_same_way_everywhere_and_an_unknown_one_is_an_error(demo):
    a = scratch(demo)
    full = "Special Education Records"
    assert as_json(demo, "who", "special ed") == as_json(demo, "who", full)
    assert as_json(demo, "findings", "--resource", "Special Ed") == as_json(
        demo, "findings", "--resource", full
    )
    result = cli(demo, "findings", "--resource", "No Such Thing", code=2)
    assert "no resource matches 'No Such Thing'" in result.stderr
    assert "no resource matches" in cli(demo, "who", "No Such Thing", code=2).stderr
    ambiguous = cli(
        demo, "who", "Student", code=2
    ).stderr  # Student Information System, Student Health ...
    assert "resources match 'Student'" in ambiguous and "Student Health Records" in ambiguous
    role = next(f.resource for f in a.findings if f.type == "privileged_access")
    assert as_json(
        demo, "findings", "--resource", role
    )  # a directory role, not an inventory resource


@pytest.mark.parametrize("command", [("access",), ("why",), ("accounts",), ("inventory", "check")])
def test_every_query_has_table_csv_and_json(demo, command):
    a = scratch(demo)
    x = next(x for x in a.access if x.person)
    args = {
        "access": [a.persons[x.person].employee_id],
        "why": [a.persons[x.person].employee_id, x.resource],
    }
    extra = args.get(command[0], [])
    table = cli(demo, *command, *extra).stdout
    csv_text = cli(demo, *command, *extra, "--format", "csv").stdout
    data = json.loads(cli(demo, *command, *extra, "--format", "json").stdout)
    assert table and csv_text.splitlines()[0] and data
    if command[0] in ("access", "why"):
        assert csv_text.splitlines()[0].startswith(
            "person,employee_id,account,account_key,source,resource"
        )
        assert set(data[0]) >= {
            "person",
            "employee_id",
            "account",
            "account_key",
            "source",
            "resource",
            "level",
            "authorized",
            "reason",
            "path",
        }


# -- without a roster ---------------------------------------------------------------------------------
def test_without_a_roster_what_can_run_runs_and_the_rest_is_named(tmp_path):
    from access_review.cli.connectors import connector_factory
    from access_review.config import load_config
    from access_review.demo import generate_district, write_demo
    from access_review.store import Store
    from access_review.sync import run_sync

    config_path = write_demo(tmp_path, generate_district("small"))
    cfg = load_config(config_path)
    with Store(cfg.store_path) as store:
        assert all(r.ok for r in run_sync(cfg, store, connector_factory(cfg)))
    result = runner.invoke(app, ["findings", "--format", "json", "--config", str(config_path)])
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {f["type"] for f in found} >= {"privileged_access", "unapproved_app"}
    assert not {f["type"] for f in found} & {"unauthorized", "orphan_account", "separated_access"}
    assert (
        "not looked for without the staff roster:" in result.stderr
        and "orphan_account" in result.stderr
    )
    assert "access-review roster import" in result.stderr
    who = runner.invoke(app, ["who", "Payroll", "--config", str(config_path)])
    assert who.exit_code == 1 and "no data inventory has been imported" in who.stderr
    assert "import the staff roster, then the inventory" in who.stderr
    accounts = runner.invoke(app, ["accounts", "--config", str(config_path)])
    assert accounts.exit_code == 0 and "no staff roster is imported" in accounts.stderr


def test_a_long_answer_is_one_plain_line_per_row_with_hostile_names_shown_as_text(
    demo, monkeypatch
):
    import io

    from rich.console import Console

    from access_review.cli import queries

    a = scratch(demo)
    biggest = max(
        (r.name for r in a.inventory.resources),
        key=lambda n: sum(x.resource == n for x in a.access),
    )
    monkeypatch.setattr(queries, "LONG_TABLE", 3)
    out = cli(demo, "who", biggest).stdout
    lines = out.splitlines()
    assert lines[1] == "person · account · level · authorized · path"
    assert len(lines) == 2 + len(expected_who(a, biggest)) + 1 and "one line each" in lines[-1]
    buffer = io.StringIO()
    monkeypatch.setattr(queries, "console", Console(file=buffer, emoji=False))
    queries._show_table("t", ("a", "b"), [["Ann \x1b[31mRed [/] \u202eevil", ("NO", "red")]] * 4)
    text = buffer.getvalue()
    assert (
        "Ann \\x1b[31mRed [/] \\u202eevil · NO" in text
        and "\x1b" not in text
        and "\u202e" not in text
    )
