"""The core commands through typer's runner, as the ISO would type them."""

import json
import os
import stat

import pytest
from typer.testing import CliRunner

from access_review.cli import app
from access_review.store import Store

runner = CliRunner()


def run(demo, *args):
    return runner.invoke(app, [*args, "--config", str(demo.config_path)])


def test_findings_json_lists_every_type_and_records_the_run(demo):
    result = run(demo, "findings", "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    assert {f["type"] for f in found} >= {"unauthorized", "orphan_account", "privileged_access"}
    with Store(demo.config.store_path) as store:
        assert store.latest_findings()[2] and len(store.latest_findings()[2]) == len(found)


def test_findings_filters(demo):
    result = run(demo, "findings", "--type", "orphan_account", "--format", "csv")
    lines = result.stdout.strip().splitlines()
    assert lines[0].startswith("severity,type") and len(lines) == 1 + len(
        demo.district.planted["orphan_account"]
    )
    bad = run(demo, "findings", "--type", "nonsense")
    assert bad.exit_code != 0 and "unknown finding type 'nonsense'" in bad.output


def test_why_explains_the_path_and_the_verdict(demo):
    person = demo.district.planted["unauthorized"][0].split(":", 1)[1]
    a = demo.analysis()
    resource = next(x.resource for x in a.access if x.person == f"person:{person}")
    result = run(demo, "why", person, resource)
    assert result.exit_code == 0, result.output
    assert "→" in result.stdout and "not authorized" in result.stdout


def test_who_and_access(demo):
    a = demo.analysis()
    res = a.inventory.resources[0].name
    result = run(demo, "who", res, "--format", "json")
    rows = json.loads(result.stdout)
    assert len(rows) == len([x for x in a.access if x.resource == res])
    person = next(x.person for x in a.access if x.person)
    result = run(demo, "access", person.split(":", 1)[1])
    assert result.exit_code == 0 and "Access of" in result.stdout


def test_unknown_person_is_one_clear_line(demo):
    result = run(demo, "why", "nobody-at-all", "Special")
    assert result.exit_code != 0
    assert "no person or account matches 'nobody-at-all'" in result.output
    assert "Traceback" not in result.output


def test_bad_roster_gives_file_row_column_and_stores_nothing(demo, tmp_path):
    bad = tmp_path / "roster.csv"
    bad.write_text(
        "\ufeffemployee_id,name,email,status,status_date\nE1,Ann,ann@d.org,active,\n"
        "E2,Bob,bob@d.org,separated,2026-13-45\n",
        encoding="utf-8",
    )
    with Store(demo.config.store_path) as store:
        before = store.latest_roster_import()
    result = run(demo, "roster", "import", str(bad))
    assert result.exit_code == 3
    assert f"{bad}, row 3, column 'status_date'" in result.output
    with Store(demo.config.store_path) as store:
        assert store.latest_roster_import() == before


def test_audit_verify_detects_tampering(demo):
    assert run(demo, "audit", "verify").exit_code == 0
    with Store(demo.config.store_path) as store:
        store.db.execute("UPDATE audit_log SET actor='someone-else' WHERE seq=2")
    result = run(demo, "audit", "verify")
    assert result.exit_code == 7 and "entry 2" in result.output


def test_doctor_on_the_demo(demo):
    result = run(demo, "doctor")
    assert result.exit_code == 0, result.output
    assert "FAIL" not in result.output


def test_init_writes_a_starter_and_refuses_to_overwrite(tmp_path):
    path = tmp_path / "access-review.toml"
    assert runner.invoke(app, ["init", str(path)]).exit_code == 0
    assert "[sources.ad]" in path.read_text()
    again = runner.invoke(app, ["init", str(path)])
    assert again.exit_code != 0 and "already exists" in again.output


def test_secret_in_config_is_refused(tmp_path, monkeypatch):
    from access_review.errors import SecretError
    from access_review.secrets import read_secret

    with pytest.raises(SecretError, match="must not be written in the config"):
        read_secret({"password": "hunter2"}, "password")
    secret = tmp_path / "pw"
    secret.write_text("s3cret\n")
    os.chmod(secret, 0o644)
    with pytest.raises(SecretError, match="readable by others") as err:
        read_secret({"password_file": str(secret)}, "password")
    assert err.value.hint == f"run: chmod 600 {secret}"
    os.chmod(secret, stat.S_IRUSR | stat.S_IWUSR)
    assert read_secret({"password_file": str(secret)}, "password") == "s3cret"
    monkeypatch.setenv("AR_PW", "from-env")
    assert read_secret({"password_env": "AR_PW"}, "password") == "from-env"


def test_sync_command_shows_counts_and_demo_runs(tmp_path):
    result = runner.invoke(app, ["demo", "--out", str(tmp_path / "d")])
    assert result.exit_code == 0, result.output
    assert "Findings by severity and type" in result.output and "access-review why" in result.output
    again = runner.invoke(app, ["sync", "--config", str(tmp_path / "d" / "access-review.toml")])
    assert again.exit_code == 0 and "complete" in again.output


def test_bad_inventory_names_the_row_and_keeps_the_stored_version(demo, tmp_path):
    bad = tmp_path / "inventory.csv"
    bad.write_text(
        "resource,classification,data_manager,entitlements\n"
        "Payroll,critical,E99999,ad:group:Payroll Clerks\n",
        encoding="utf-8",
    )
    with Store(demo.config.store_path) as store:
        before = store.latest_inventory_files()[0]
    result = run(demo, "inventory", "import", str(bad))
    assert result.exit_code == 3
    assert f"{bad}, row 2, column 'data_manager'" in result.output and "E99999" in result.output
    with Store(demo.config.store_path) as store:
        assert store.latest_inventory_files()[0] == before


def test_inventory_check_and_accounts_summaries(demo):
    result = run(demo, "inventory", "check")
    assert result.exit_code == 0 and "Inventory resources" in result.output
    result = run(demo, "accounts", "--unmatched")
    assert (
        result.exit_code == 0 and "joined to" in result.output and "by employee id" in result.output
    )
    for key in demo.district.planted["orphan_account"]:
        login = demo.analysis().accounts[key].login
        assert login in result.output


def test_an_empty_store_path_is_a_config_error_naming_the_setting(tmp_path):
    """`[store] path = ""` names no file: one line and exit code 2, not a traceback (found by
    the type check: the path resolved to None and reached `.exists()`)."""
    cfg = tmp_path / "access-review.toml"
    cfg.write_text('[store]\npath = ""\n', encoding="utf-8")
    result = runner.invoke(app, ["status", "--config", str(cfg)])
    assert result.exit_code == 2, result.output
    assert "[store] path must name the store's file" in result.output
    assert str(cfg) in result.output
    assert not isinstance(result.exception, AttributeError)
