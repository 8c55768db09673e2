"""Thinning the store's history by the retention policy (issue 13): every run for 30 days, then
the last of each month for 7 years; what campaigns refer to and the current state always kept;
a plan first, applied only with --apply, audited; kept runs read back exactly as before."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest
from typer.testing import CliRunner

from access_review import audit
from access_review.cli import app
from access_review.config import Retention
from access_review.errors import StoreError
from access_review.retention import apply_prune, plan_prune
from access_review.store import Store

from test_store_versions import rows, same, snapshot

NOW = datetime(2026, 12, 4, 12, 0, tzinfo=timezone.utc)
runner = CliRunner()


def backdate(store: Store, run_id: int, when: datetime) -> None:
    store.db.execute(
        "UPDATE sync_runs SET started_at=?, finished_at=? WHERE id=?",
        (when.isoformat(), when.isoformat(), run_id),
    )


def history(store: Store) -> dict[int, datetime]:
    """Eight syncs of one source, each changing one account, at chosen ages."""
    ages = [800, 430, 400, 100, 95, 60, 20, 1]  # days before NOW
    runs = {}
    for i, age in enumerate(ages):
        run = store.save_snapshot(snapshot(disabled=frozenset({i})))
        backdate(store, run, NOW - timedelta(days=age))
        runs[run] = NOW - timedelta(days=age)
    return runs


def test_the_policy_keeps_recent_runs_the_last_of_each_month_and_what_is_in_use(tmp_path):
    store = Store(tmp_path / "s.db")
    runs = history(store)
    ids = list(runs)
    plan = plan_prune(store, Retention(), NOW, keep={ids[0]: "reviewed by campaign 2024Q4"})
    thinned = {v.id for v in plan.prune if v.kind == "sync"}
    # 800 days: kept only because a campaign refers to it; 430/400 days: the same month (Oct
    # 2025), the later kept; 100/95 days: Aug 2026 and Sep 2026 ... each the last of its month.
    assert plan.keep[("sync", ids[0])] == "reviewed by campaign 2024Q4"
    months = {}
    for run_id, when in runs.items():
        months.setdefault((when.year, when.month), []).append(run_id)
    expected_thinned = {
        r for group in months.values() for r in group[:-1] if NOW - runs[r] > timedelta(days=30)
    } - {ids[0]}
    assert thinned == expected_thinned and thinned
    assert (
        plan.keep[("sync", ids[-1])] == "current"
        and plan.keep[("sync", ids[-2])] == "within 30 days"
    )
    short = plan_prune(store, Retention(keep_every_run_days=30, keep_monthly_years=0), NOW, keep={})
    assert {v.id for v in short.prune} == {r for r in ids if NOW - runs[r] > timedelta(days=30)}


def test_applying_thins_rows_and_every_kept_run_reads_back_as_before(tmp_path):
    store = Store(tmp_path / "s.db")
    runs = history(store)
    ids = list(runs)
    before = {r: store.load_snapshot(r) for r in ids}
    rows_before = sum(rows(store).values())
    plan = plan_prune(store, Retention(keep_every_run_days=30, keep_monthly_years=0), NOW, keep={})
    result = apply_prune(store, plan)
    thinned = {v.id for v in plan.prune}
    assert result.runs == len(thinned) == 6
    assert (
        sum(rows(store).values()) == rows_before - sum(result.rows_deleted.values()) < rows_before
    )
    for r in ids:
        if r in thinned:
            with pytest.raises(StoreError, match="thinned by the retention policy"):
                store.load_snapshot(r)
            assert store.sync_run(r) is not None  # the record stays
        else:
            assert same(store.load_snapshot(r), before[r])
    assert (
        apply_prune(store, plan_prune(store, Retention(0, 0), NOW, keep={})).runs == 1
    )  # only the 20-day one
    assert same(store.latest_snapshot("ad"), before[ids[-1]])


def test_last_seen_survives_thinning(tmp_path):
    store = Store(tmp_path / "s.db")
    first = store.save_snapshot(snapshot(5))
    held = store.save_snapshot(snapshot(5))
    store.save_snapshot(snapshot(4))  # u4 vanished
    for run in (first, held):
        backdate(store, run, NOW - timedelta(days=300))
    apply_prune(store, plan_prune(store, Retention(0, 0), NOW, keep={}))
    with pytest.raises(StoreError):
        store.load_snapshot(held)
    seen = store.last_seen("ad:account:u4")
    assert seen.id == held and seen.finished_at == NOW - timedelta(days=300)


# -- through the CLI, on the demo district, with a campaign --------------------------------------
def cli(demo, *args, code=0):
    result = runner.invoke(app, [*args, "--config", str(demo.config_path)], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert result.exit_code == code, result.output
    return result


def test_store_prune_plans_first_keeps_what_campaigns_use_and_audits_what_it_did(demo):
    cli(demo, "campaign", "create", "--quarter", "2026Q4", "--due", "21d")
    with demo.store() as store:
        reviewed = {r.source: r.id for r in store.sync_runs()}
    for _ in range(3):
        cli(demo, "sync")
    with demo.store() as store:
        # Every run but the current ones happened within one day, 100 days ago: of each source's
        # three, the campaign's is kept, the last of the month is kept, the one between thinned.
        current = {store.latest_complete_run(s).id for s in ("ad", "entra", "google")}
        long_ago = datetime.now(timezone.utc) - timedelta(days=100)
        for run in sorted(store.sync_runs(limit=100), key=lambda r: r.id):
            if run.id not in current:
                backdate(store, run.id, long_ago + timedelta(minutes=run.id))
        runs_before = [(r.id, r.status) for r in store.sync_runs(limit=100)]
    stats = cli(demo, "store", "stats")
    assert (
        "sync runs:" in stats.stdout
        and "memberships" in stats.stdout
        and "would thin" in stats.stdout
    )
    dry = cli(demo, "store", "prune")
    assert "Dry run" in dry.stdout and "reviewed by campaign 2026Q4" in dry.stdout
    with demo.store() as store:
        assert [(r.id, r.status) for r in store.sync_runs(limit=100)] == runs_before
        assert not store.db.execute(
            "SELECT COUNT(*) FROM sync_runs WHERE pruned_at IS NOT NULL"
        ).fetchone()[0]
    done = cli(demo, "store", "prune", "--apply")
    assert "Thinned" in done.stdout
    with demo.store() as store:
        thinned = [
            r[0] for r in store.db.execute("SELECT id FROM sync_runs WHERE pruned_at IS NOT NULL")
        ]
        assert len(thinned) == 3 and not set(thinned) & set(reviewed.values())
        for run_id in reviewed.values():
            assert store.load_snapshot(run_id).complete  # the campaign's snapshots are kept
        entry = audit.entries(store, action_prefix="store.prune")[-1]
        assert sorted(entry.details["sync_runs"]) == sorted(thinned)
    assert cli(demo, "audit", "verify").exit_code == 0
    assert json.loads(cli(demo, "store", "stats", "--format", "json").stdout)["sync_runs"][
        "thinned"
    ] == len(thinned)
    assert "Nothing to thin." in cli(demo, "store", "prune").stdout


def test_the_retention_settings_are_checked(tmp_path):
    from access_review.config import load_config
    from access_review.errors import ConfigError

    path = tmp_path / "c.toml"
    path.write_text("[retention]\nkeep_every_run_days = 14\nkeep_monthly_years = 3\n")
    assert load_config(path).retention == Retention(14, 3)
    assert "14 days" in load_config(path).retention.describe()
    path.write_text("[retention]\nkeep_every_run_days = -1\n")
    with pytest.raises(ConfigError, match="keep_every_run_days must be a whole number"):
        load_config(path)
    path.write_text("[retention]\nkeep_days = 3\n")
    with pytest.raises(ConfigError, match="unknown setting 'keep_days'"):
        load_config(path)
