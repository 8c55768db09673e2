"""Suspension and restore read only the named people's accounts, fresh from each directory
(issue 13 goal 5): no sync of every source, a handful of requests per directory, and the
state the plan shows is the directory's now, not the last sync's."""

from __future__ import annotations

import sqlite3
from datetime import date

import pytest
import responses
from typer.testing import CliRunner

from access_review.cli import app
from access_review.config import load_config
from access_review.finding_types import today_utc
from access_review.store import Store
from access_review.stored_analysis import refresh_analysis
from access_review.suspension.current import read_current_facts
from access_review.suspension.plan import Protection, build_plan, directory_kinds

from test_suspension_demo import (
    accounts_of,
    directory_row,
    ordinary_person,
    set_enabled_in_directory,
)

runner = CliRunner()


def cli(env, *args: str, code: int = 0):
    result = runner.invoke(app, [*args, "--config", str(env.config_path)], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result


def sync_runs(env) -> int:
    with env.store() as store:
        return store.db.execute("SELECT COUNT(*) FROM sync_runs").fetchone()[0]


@pytest.fixture(scope="module")
def district_facts(demo_template):
    return demo_template.analysis()


def test_the_plan_shows_each_accounts_state_now_without_a_sync(demo, district_facts):
    a = district_facts
    employee = ordinary_person(a)
    keys = accounts_of(a, employee)
    runs = sync_runs(demo)
    set_enabled_in_directory(demo, keys["google"], False)  # someone disabled it after the last sync
    plan = cli(demo, "suspend", employee, "--case", "F-1", "--reason", "test").stdout
    assert sync_runs(demo) == runs  # nothing was synced
    google_line = next(line for line in plan.splitlines() if "│ google" in line)
    assert "already disabled when read just now" in google_line
    assert "read from its directory just now" in plan
    assert "disable the account" in next(line for line in plan.splitlines() if "│ ad " in line)


def test_an_account_the_directory_no_longer_has_is_said_and_left_out(demo, district_facts):
    a = district_facts
    employee = ordinary_person(a)
    google = accounts_of(a, employee)["google"]
    with sqlite3.connect(demo.folder / "demo-directory.db") as db:
        db.execute(
            "DELETE FROM accounts WHERE directory='google' AND id=?", (google.split(":", 2)[2],)
        )
    out = cli(demo, "suspend", employee, "--case", "F-2", "--reason", "test").stdout
    assert f"({'google'}) is no longer in google (read just now): nothing to suspend there" in out
    assert "│ google" not in out and "│ ad " in out


def test_a_directory_that_cannot_be_read_now_is_said_and_the_others_are_planned(
    demo, district_facts, monkeypatch
):
    from access_review.errors import SourceError
    from connectors.demo.connector import DemoConnector

    a = district_facts
    employee = ordinary_person(a)
    real = DemoConnector.fetch_accounts

    def failing(self, keys):
        if self.name == "entra":
            raise SourceError("entra", "GET /v1.0/users/{id}", "HTTP 503: Service Unavailable")
        return real(self, keys)

    monkeypatch.setattr(DemoConnector, "fetch_accounts", failing)
    out = cli(demo, "suspend", employee, "--case", "F-3", "--reason", "test").stdout
    assert (
        "could not read entra now (entra: GET /v1.0/users/{id}: HTTP 503: Service Unavailable)"
        in out
    )
    assert "planned as the last sync saw them" in out
    assert "│ entra" in out and "│ google" in out and "│ ad " in out


def test_restore_reads_the_case_accounts_fresh_and_reports_drift_without_a_sync(
    demo, district_facts
):
    a = district_facts
    employee = ordinary_person(a)
    keys = accounts_of(a, employee)
    cli(demo, "suspend", employee, "--case", "F-4", "--reason", "test", "--apply")
    assert directory_row(demo, keys["ad"])["enabled"] is False
    runs = sync_runs(demo)
    set_enabled_in_directory(demo, keys["ad"], True)  # someone re-enabled it by hand
    plan = cli(demo, "restore", "--case", "F-4").stdout
    assert sync_runs(demo) == runs
    ad_line = next(line for line in plan.splitlines() if "│ ad " in line)
    assert "DRIFT" in ad_line and "enabled again by someone else (read " in ad_line
    google_line = next(line for line in plan.splitlines() if "│ google" in line)
    assert "re-enable" in google_line


def test_the_plan_names_people_the_same_way_queries_do(demo, district_facts):
    a = district_facts
    surname = max(
        {p.name.split()[-1] for p in a.persons.values()},
        key=lambda s: sum(p.name.endswith(" " + s) for p in a.persons.values()),
    )
    result = cli(demo, "suspend", surname, "--case", "F-5", "--reason", "test", code=2)
    assert "which one?" in result.stderr and "employee id" in result.stderr


# -- real connectors over HTTP: how many requests a plan costs ------------------------------------
ADAMS = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"  # a cloud-only user of the small tenant


def stored(tmp_path, source: str, snapshot):
    (tmp_path / "access-review.toml").write_text(f'[sources.{source}]\ntype = "{source}"\n')
    cfg = load_config(tmp_path / "access-review.toml")
    store = Store(tmp_path / "access-review.db")
    store.save_snapshot(snapshot)
    return cfg, store, refresh_analysis(cfg, store)


def test_an_entra_plan_reads_one_user_not_the_tenant(tmp_path):
    from entra_fake import build_fake_connector, small_tenant

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        tenant = small_tenant()
        tenant.install(mock)
        connector = build_fake_connector(tenant)
        cfg, store, analysis = stored(tmp_path, "entra", connector.fetch_snapshot(None))
        tenant.change_user(ADAMS, accountEnabled=False)  # disabled since the sync
        before = tenant.graph_requests
        facts = read_current_facts(
            store,
            analysis,
            [f"entra:account:{ADAMS}"],
            kinds=directory_kinds(cfg),
            connector_for=lambda source: connector,
            today=today_utc(),
        )
        assert tenant.graph_requests - before == 1  # GET /users/{id}
        plan = build_plan(
            facts,
            [f"entra:account:{ADAMS}"],
            kinds=directory_kinds(cfg),
            protection=Protection(frozenset(), frozenset()),
        )
        [account] = plan.accounts
        assert account.disposition == "already disabled" and account.prior["enabled"] is False
        store.close()


def test_a_google_plan_reads_one_user_not_the_domain(tmp_path):
    from google_fake import FakeGoogle, make_connector, small_domain

    server = small_domain(FakeGoogle()).start()
    try:
        connector = make_connector(server, tmp_path)
        snapshot = connector.fetch_snapshot(None)
        target = next(a for a in snapshot.accounts if a.enabled and not a.extra.get("isAdmin"))
        cfg, store, analysis = stored(tmp_path, "google", snapshot)
        before = sum(server.calls.values())
        facts = read_current_facts(
            store,
            analysis,
            [target.key],
            kinds=directory_kinds(cfg),
            connector_for=lambda source: connector,
            today=date.today(),
        )
        assert sum(server.calls.values()) - before == 1  # users.get
        plan = build_plan(
            facts,
            [target.key],
            kinds=directory_kinds(cfg),
            protection=Protection(frozenset(), frozenset()),
        )
        assert [s.kind for s in plan.steps] == ["disable_account", "revoke_sessions"]
        store.close()
    finally:
        server.stop()
