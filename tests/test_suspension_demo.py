"""ISO suspension and restore on the demo district, through the CLI: plan, apply, a second run
that changes nothing, an interruption between directories then --resume, a failing directory,
restore with drift, protected accounts and litigation holds (issue 7).

The demo state file plays the live directories: every check of what changed reads it
directly, not through the tool."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from access_review import audit
from access_review.cli import app
from access_review.errors import RetryableError
from access_review.records import source_of
from access_review.suspension.plan import Protection, build_plan, directory_kinds

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()


# ---- helpers --------------------------------------------------------------------------------
def cli(env, *args: str):
    result = runner.invoke(app, [*args, "--config", str(env.config_path)], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def directory_row(env, key: str) -> dict:
    """An account as the demo directory holds it now (the demo state file, not the tool's store)."""
    source, _, ident = key.split(":", 2)
    directory = env.config.sources[source]["directory"]
    with sqlite3.connect(env.folder / "demo-directory.db") as db:
        row = db.execute(
            "SELECT enabled, sessions_revoked FROM accounts WHERE directory=? AND id=?",
            (directory, ident),
        ).fetchone()
    return {"enabled": bool(row[0]), "sessions_revoked": bool(row[1])}


def oauth_tokens(env, key: str) -> int:
    """How many third-party OAuth tokens the demo Google directory holds for the account."""
    ident = key.split(":", 2)[2]
    with sqlite3.connect(env.folder / "demo-directory.db") as db:
        return db.execute(
            "SELECT COUNT(*) FROM grants WHERE directory='google' AND principal_id=? AND kind='oauth'",
            (ident,),
        ).fetchone()[0]


def set_enabled_in_directory(env, key: str, enabled: bool) -> None:
    """Someone else changes the account in the directory, outside the tool."""
    source, _, ident = key.split(":", 2)
    with sqlite3.connect(env.folder / "demo-directory.db") as db:
        db.execute(
            "UPDATE accounts SET enabled=? WHERE directory=? AND id=?",
            (int(enabled), env.config.sources[source]["directory"], ident),
        )


def audit_entries(env, prefix: str):
    with env.store() as store:
        return audit.entries(store, action_prefix=prefix)


def step_entries(env, case: str):
    return [
        e
        for e in audit_entries(env, "suspension.step")
        if e.action == "suspension.step" and e.details["case"] == case
    ]


def ordinary_person(a, *, with_tokens: bool = False) -> str:
    """An active employee with an enabled account in AD, an AD-synced Entra account and Google,
    who is neither protected nor an administrator (optionally with Google OAuth tokens)."""
    protection = Protection.from_config(a.config)
    privileged = {k for holders in a.privileged_holders().values() for k, _ in holders}
    for person_key, keys in sorted(a.correlation.accounts_of.items()):
        accounts = [a.accounts[k] for k in keys]
        sources = sorted(x.source for x in accounts)
        if sources != ["ad", "entra", "google"] or a.persons[person_key].status != "active":
            continue
        if not all(x.enabled for x in accounts) or any(protection.reason(x) for x in accounts):
            continue
        if set(keys) & privileged or a.holds_for_person(person_key):
            continue
        if next(x for x in accounts if x.source == "entra").authority != "ad":
            continue
        google = next(x for x in accounts if x.source == "google")
        tokens = [
            g
            for g in a.snapshots["google"].grants
            if g.principal_key == google.key and g.kind == "oauth"
        ]
        if with_tokens and not tokens:
            continue
        return a.persons[person_key].employee_id
    raise AssertionError("the demo district has no such person")


def accounts_of(a, employee_id: str) -> dict[str, str]:
    return {a.accounts[k].source: k for k in a.correlation.accounts_of[f"person:{employee_id}"]}


@pytest.fixture(scope="module")
def district_facts(demo_template):
    """The analysis of the pristine demo district, computed once: who to suspend in each test
    (each test's private copy starts identical to the template)."""
    return demo_template.analysis()


# ---- plan -----------------------------------------------------------------------------------
def test_plan_covers_every_directory_the_way_each_needs(district_facts):
    a = district_facts
    employee = ordinary_person(a, with_tokens=True)
    plan = build_plan(
        a,
        [employee],
        kinds=directory_kinds(a.config),
        protection=Protection.from_config(a.config),
        revoke_tokens=True,
    )
    steps = {(source_of(s.account_key), s.kind) for s in plan.steps}
    # AD: disabled there. Entra (synced from AD): not disabled in Entra, which would refuse,
    # but its sessions revoked at once. Google: suspended, signed out, tokens revoked.
    assert ("ad", "disable_account") in steps
    assert ("entra", "revoke_sessions") in steps and ("entra", "disable_account") not in steps
    assert {
        ("google", "disable_account"),
        ("google", "revoke_sessions"),
        ("google", "revoke_oauth_token"),
    } <= steps
    assert all(p.disposition == "suspend" for p in plan.accounts)

    without_tokens = build_plan(
        a, [employee], kinds=directory_kinds(a.config), protection=Protection.from_config(a.config)
    )
    assert not [s for s in without_tokens.steps if s.kind == "revoke_oauth_token"]


def test_dry_run_shows_the_plan_and_changes_nothing(demo, district_facts):
    a = district_facts
    employee = ordinary_person(a)
    keys = accounts_of(a, employee)
    before = {k: directory_row(demo, k) for k in keys.values()}

    result = cli(demo, "suspend", employee, "--case", "HR-1", "--reason", "pending investigation")

    assert result.exit_code == 0, result.output
    assert "Dry run" in result.output and "disable the account" in result.output
    assert "revoke sign-in sessions now" in result.output and "suspend the user" in result.output
    assert {k: directory_row(demo, k) for k in keys.values()} == before
    assert not audit_entries(demo, "suspension")


# ---- apply, twice ---------------------------------------------------------------------------
def test_apply_locks_out_everywhere_records_prior_state_and_a_second_run_changes_nothing(
    demo, district_facts
):
    a = district_facts
    employee = ordinary_person(a, with_tokens=True)
    keys = accounts_of(a, employee)
    assert oauth_tokens(demo, keys["google"])

    first = cli(
        demo,
        "suspend",
        employee,
        "--case",
        "HR-2",
        "--reason",
        "pending investigation",
        "--apply",
        "--revoke-tokens",
    )

    assert first.exit_code == 0, first.output
    assert directory_row(demo, keys["ad"])["enabled"] is False
    assert directory_row(demo, keys["entra"])["sessions_revoked"] is True
    assert directory_row(demo, keys["google"]) == {"enabled": False, "sessions_revoked": True}
    assert oauth_tokens(demo, keys["google"]) == 0
    steps = step_entries(demo, "HR-2")
    assert sorted(
        (e.details["account"], e.details["action"], e.details["status"])
        for e in steps
        if e.details["action"] != "revoke_oauth_token"
    ) == sorted(
        [
            (keys["ad"], "disable_account", "changed"),
            (keys["entra"], "revoke_sessions", "changed"),
            (keys["google"], "disable_account", "changed"),
            (keys["google"], "revoke_sessions", "changed"),
        ]
    )
    tokens_revoked = [e for e in steps if e.details["action"] == "revoke_oauth_token"]
    assert tokens_revoked and all(e.details["status"] == "changed" for e in tokens_revoked)

    # The prior state is in the log: each step's begin entry (written before the call, with the
    # state at the last sync) precedes its outcome entry (with the state the directory reported).
    def step_of(e):
        return e.details["account"], e.details["action"], e.details["params"].get("client_id")

    begins = {step_of(e): e.seq for e in audit_entries(demo, "suspension.step.begin")}
    for e in steps:
        assert begins[step_of(e)] < e.seq
        if e.details["action"] == "disable_account":
            assert e.details["prior"]["enabled"] is True and e.details["changed_by_case"] is True

    second = cli(
        demo, "suspend", employee, "--case", "HR-2", "--reason", "pending investigation", "--apply"
    )
    assert second.exit_code == 0, second.output
    assert "nothing changed" in second.output
    assert len(step_entries(demo, "HR-2")) == len(steps)

    # Even after a sync shows the accounts disabled, the same suspension changes nothing.
    assert cli(demo, "sync").exit_code == 0
    third = cli(demo, "suspend", employee, "--case", "HR-2", "--apply")
    assert third.exit_code == 0, third.output
    assert len(step_entries(demo, "HR-2")) == len(steps)


# ---- interruption between directories, then --resume ------------------------------------------
KILLED_RUN = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {repo!r})
    import connectors.registry as registry
    real_build = registry.build_connector

    class Stalls:
        # AD runs normally. Google makes its first change and then hangs, as if the process
        # died after the directory changed but before the outcome was written. Entra hangs
        # before its call.
        def __init__(self, inner):
            self.inner = inner
        def apply(self, action):
            if self.inner.name == "entra":
                time.sleep(600)
            result = self.inner.apply(action)
            if self.inner.name == "google":
                time.sleep(600)
            return result
        def __getattr__(self, name):
            return getattr(self.inner, name)

    registry.build_connector = lambda *a, **k: Stalls(real_build(*a, **k))
    from access_review.cli import app
    app(sys.argv[1:])
""")


def test_killed_between_directories_then_resume_does_nothing_twice_and_misses_nothing(
    demo, district_facts, tmp_path
):
    a = district_facts
    employee = ordinary_person(a)
    keys = accounts_of(a, employee)
    script = tmp_path / "killed_run.py"
    script.write_text(KILLED_RUN.format(repo=str(REPO)))
    proc = subprocess.Popen(  # noqa: S603 (this Python running the tool, arguments from the test)
        [
            sys.executable,
            str(script),
            "suspend",
            employee,
            "--case",
            "HR-3",
            "--reason",
            "pending investigation",
            "--apply",
            "--config",
            str(demo.config_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            done = (
                [e.details for e in step_entries(demo, "HR-3")]
                if (demo.folder / "access-review.db").exists()
                else []
            )
            google_changed = not directory_row(demo, keys["google"])["enabled"]
            if any(d["source"] == "ad" for d in done) and google_changed:
                break
            assert proc.poll() is None, proc.stderr.read().decode()
            time.sleep(0.05)
        else:
            pytest.fail("the first directory never finished")
        os.kill(proc.pid, signal.SIGKILL)  # the process dies between directories
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()

    assert directory_row(demo, keys["ad"])["enabled"] is False
    assert directory_row(demo, keys["entra"])["sessions_revoked"] is False
    listing = cli(demo, "suspensions")
    assert "incomplete" in listing.output

    shown = cli(demo, "suspend", "--resume", "HR-3")
    assert shown.exit_code == 0 and "interrupted" in shown.output and "not started" in shown.output
    resumed = cli(demo, "suspend", "--resume", "HR-3", "--apply")
    assert resumed.exit_code == 0, resumed.output

    assert directory_row(demo, keys["entra"])["sessions_revoked"] is True
    assert directory_row(demo, keys["google"]) == {"enabled": False, "sessions_revoked": True}
    outcomes = [
        (d["account"], d["action"], d["status"], d["changed_by_case"])
        for d in (e.details for e in step_entries(demo, "HR-3"))
    ]
    # AD was never called again; Google's interrupted disable was re-checked (unchanged) and is
    # known to be this case's doing, so restore will re-enable it.
    assert outcomes.count((keys["ad"], "disable_account", "changed", True)) == 1
    assert [o for o in outcomes if o[0] == keys["ad"]] == [
        (keys["ad"], "disable_account", "changed", True)
    ]
    assert (keys["google"], "disable_account", "unchanged", True) in outcomes
    assert (keys["entra"], "revoke_sessions", "changed", True) in outcomes
    assert "suspended" in cli(demo, "suspensions").output

    restored = cli(demo, "restore", "--case", "HR-3", "--apply")
    assert restored.exit_code == 0, restored.output
    assert (
        directory_row(demo, keys["ad"])["enabled"]
        and directory_row(demo, keys["google"])["enabled"]
    )


# ---- one directory failing -------------------------------------------------------------------
def test_a_failing_directory_does_not_stop_the_others_and_says_how_to_resume(
    demo, district_facts, monkeypatch
):
    import connectors.registry as registry

    a = district_facts
    employee = ordinary_person(a)
    keys = accounts_of(a, employee)
    real_build = registry.build_connector

    class Unavailable:
        def __init__(self, inner):
            self.inner, self.name = inner, inner.name

        def apply(self, action):
            raise RetryableError(
                "google", "users.update", "503 Service Unavailable (after 6 tries)"
            )

    monkeypatch.setattr(
        registry,
        "build_connector",
        lambda name, *a, **k: (
            Unavailable(real_build(name, *a, **k))
            if name == "google"
            else real_build(name, *a, **k)
        ),
    )
    failed = cli(
        demo, "suspend", employee, "--case", "HR-4", "--reason", "pending investigation", "--apply"
    )

    assert failed.exit_code == 5
    assert "503" in failed.output
    assert (
        f"access-review suspend --resume HR-4 --apply --config {demo.config_path}" in failed.output
    )
    assert directory_row(demo, keys["ad"])["enabled"] is False
    assert directory_row(demo, keys["entra"])["sessions_revoked"] is True
    assert directory_row(demo, keys["google"])["enabled"] is True

    monkeypatch.setattr(registry, "build_connector", real_build)
    resumed = cli(demo, "suspend", "--resume", "HR-4", "--apply")
    assert resumed.exit_code == 0, resumed.output
    assert directory_row(demo, keys["google"]) == {"enabled": False, "sessions_revoked": True}
    assert [
        d["status"] for d in (e.details for e in step_entries(demo, "HR-4")) if d["source"] == "ad"
    ] == ["changed"]


# ---- restore --------------------------------------------------------------------------------
def test_restore_re_enables_what_the_case_disabled_and_reports_drift(demo, district_facts):
    a = district_facts
    employee = ordinary_person(a)
    keys = accounts_of(a, employee)
    held = next(
        h
        for h in a.inventory.holds
        if h.active(a.today)
        and a.resolve_subject(h.subject)
        and not a.accounts[a.resolve_subject(h.subject)[0]].enabled
    )
    already_disabled = a.resolve_subject(held.subject)[0]
    assert (
        cli(
            demo,
            "suspend",
            employee,
            already_disabled,
            "--case",
            "HR-5",
            "--reason",
            "investigation",
            "--apply",
        ).exit_code
        == 0
    )
    # Someone re-enables the Google account by hand while the case is open.
    set_enabled_in_directory(demo, keys["google"], True)

    plan = cli(demo, "restore", "--case", "HR-5")
    assert plan.exit_code == 0, plan.output
    assert "DRIFT" in plan.output and "enabled again by someone else" in plan.output
    assert "was already disabled before this case" in plan.output

    restored = cli(demo, "restore", "--case", "HR-5", "--apply")
    assert restored.exit_code == 0, restored.output
    assert directory_row(demo, keys["ad"])["enabled"] is True
    assert directory_row(demo, already_disabled)["enabled"] is False  # not ours: left disabled
    restore_steps = {
        e.details["account"]: e.details["status"]
        for e in audit_entries(demo, "suspension.restore.step")
        if e.action == "suspension.restore.step"
    }
    assert restore_steps == {keys["ad"]: "restored", keys["google"]: "drift"}
    assert "re-enabled" in cli(demo, "suspensions", "--all").output
    again = cli(demo, "restore", "--case", "HR-5", "--apply")
    assert again.exit_code == 0 and "nothing to do" in again.output


def test_drift_seen_only_by_the_directory_at_restore_time_is_not_overwritten(demo, district_facts):
    a = district_facts
    employee = ordinary_person(a)
    keys = accounts_of(a, employee)
    assert (
        cli(
            demo, "suspend", employee, "--case", "HR-6", "--reason", "investigation", "--apply"
        ).exit_code
        == 0
    )
    set_enabled_in_directory(demo, keys["ad"], True)

    restored = cli(demo, "restore", "--case", "HR-6", "--apply", "--no-sync")

    assert restored.exit_code == 0, restored.output
    assert "already enabled again by someone else" in restored.output
    statuses = {
        e.details["account"]: e.details["status"]
        for e in audit_entries(demo, "suspension.restore.step")
        if e.action == "suspension.restore.step"
    }
    assert statuses == {keys["ad"]: "drift", keys["google"]: "restored"}


# ---- protected accounts and holds -------------------------------------------------------------
def test_protected_and_iso_accounts_are_refused_with_the_reason(demo):
    cfg = demo.config
    breakglass = cfg.protected_accounts[0]
    refused = cli(demo, "suspend", breakglass, "--case", "HR-7", "--reason", "test", "--apply")
    assert refused.exit_code == 6
    assert "REFUSED" in refused.output and "protected account" in refused.output
    assert directory_row(demo, breakglass)["enabled"] is True

    iso = cli(demo, "suspend", cfg.iso.email, "--case", "HR-8", "--reason", "test")
    assert "the ISO's own account" in iso.output


def test_the_last_enabled_top_administrator_is_refused(district_facts):
    a = district_facts
    unprotected = Protection(frozenset(), frozenset())
    kinds = directory_kinds(a.config)
    admins = {
        k
        for res, holders in a.privileged_holders().items()
        if a.resources[res].name == "Domain Admins"
        for k, _ in holders
        if a.accounts[k].enabled
    }
    assert len(admins) >= 2
    plan = build_plan(a, sorted(admins), kinds=kinds, protection=unprotected)
    assert {p.key for p in plan.refused} == admins
    assert all("last enabled Domain Admins" in p.reason for p in plan.refused)
    # One of them alone may go: another Domain Admin stays.
    one = build_plan(a, [sorted(admins)[0]], kinds=kinds, protection=unprotected)
    assert not one.refused and one.steps
    # With the ISO's admin account protected, it stays enabled, so the others may go.
    protection = Protection.from_config(a.config)
    kept = {k for k in admins if protection.reason(a.accounts[k])}
    assert kept and kept != admins
    plan = build_plan(a, sorted(admins), kinds=kinds, protection=protection)
    assert {p.key for p in plan.refused} == kept
    assert {p.key for p in plan.accounts if p.disposition == "suspend"} == admins - kept


def test_a_held_account_is_suspended_and_its_hold_shown(demo, district_facts):
    a = district_facts
    hold, key = next(
        (h, k)
        for h in a.inventory.holds
        if h.active(a.today)
        for k in a.resolve_subject(h.subject)
        if a.accounts[k].enabled and not Protection.from_config(a.config).reason(a.accounts[k])
    )
    result = cli(demo, "suspend", key, "--case", "HR-9", "--reason", "investigation", "--apply")
    assert result.exit_code == 0, result.output
    assert f"hold: {hold.matter}" in result.output and "nothing is deleted" in result.output
    assert directory_row(demo, key)["enabled"] is False
    assert hold.matter in cli(demo, "suspensions").output


def test_suspensions_lists_cases_whose_review_date_passed(demo, district_facts):
    a = district_facts
    employee = ordinary_person(a)
    assert (
        cli(
            demo,
            "suspend",
            employee,
            "--case",
            "HR-10",
            "--reason",
            "investigation",
            "--until",
            "2020-01-01",
            "--apply",
        ).exit_code
        == 0
    )
    listing = cli(demo, "suspensions")
    assert "HR-10" in listing.output and "review date passed" in listing.output.lower()
    assert cli(demo, "restore", "--case", "HR-10", "--apply").exit_code == 0
    assert "HR-10" not in cli(demo, "suspensions").output
    assert "HR-10" in cli(demo, "suspensions", "--all").output


def test_bad_input_is_one_clear_line(demo):
    assert (
        "no person or account matches"
        in cli(demo, "suspend", "nobody-at-all", "--case", "X", "--reason", "r").output
    )
    assert cli(demo, "suspend", "E00001", "--reason", "r").exit_code == 1
    assert (
        "YYYY-MM-DD"
        in cli(demo, "suspend", "E00001", "--case", "X", "--reason", "r", "--until", "soon").output
    )
    assert "no suspension case" in cli(demo, "restore", "--case", "nope").output
