"""The demo source connector: reads back exactly what was generated, under the configured
source name, and applies each action idempotently, returning and persisting the prior state
(revoke -> sync -> verify)."""

from __future__ import annotations

import shutil

import pytest

from access_review.demo import generate_district
from access_review.errors import ConfigError, SourceError
from access_review.connector import Action, Connector
from connectors.demo.connector import build_connector
from access_review.demo.state_file import write_state
from connectors.registry import build_connector as build_from_registry


@pytest.fixture(scope="module")
def district():
    return generate_district("small", seed=2026)


@pytest.fixture(scope="module")
def pristine_state(district, tmp_path_factory):
    return write_state(tmp_path_factory.mktemp("demo") / "demo-directory.db", district.snapshots)


@pytest.fixture
def folder(pristine_state, tmp_path):
    """A fresh copy of the state file for each test, since actions change it."""
    shutil.copy(pristine_state, tmp_path / "demo-directory.db")
    return tmp_path


def connect(folder, name="ad", directory=None):
    settings = {"type": "demo", "state": "demo-directory.db", "directory": directory or name}
    return build_connector(name, settings, base_dir=str(folder))


def account_of(district, source, predicate):
    return next(a for a in district.snapshots[source].accounts if predicate(a))


def person(district, key):
    return next(p for p in district.roster if p.key == key)


# ---- reading ---------------------------------------------------------------------------------


@pytest.mark.parametrize("source", ["ad", "entra", "google"])
def test_fetch_returns_exactly_the_generated_snapshot(district, folder, source):
    snap = connect(folder, source).fetch_snapshot(None)
    generated = district.snapshots[source]
    assert snap.complete and snap.mode == "full" and snap.source == source
    assert snap.counts() == generated.counts()
    for table in ("accounts", "groups", "memberships", "resources", "grants"):
        assert getattr(snap, table) == getattr(generated, table), table
    assert [a.extra for a in snap.accounts[:50]] == [a.extra for a in generated.accounts[:50]]


def test_keys_use_the_configured_source_name(district, folder):
    snap = connect(folder, "district-ad", directory="ad").fetch_snapshot(None)
    assert snap.source == "district-ad"
    assert all(a.key.startswith("district-ad:account:") for a in snap.accounts)
    assert all(
        m.group_key.startswith("district-ad:group:") and m.member_key.startswith("district-ad:")
        for m in snap.memberships
    )
    assert all(g.resource_key.startswith("district-ad:resource:") for g in snap.grants)
    assert len(snap.memberships) == len(district.snapshots["ad"].memberships)


def test_progress_is_reported_per_stage(folder):
    stages = []
    connect(folder, "google").fetch_snapshot(
        None, progress=lambda stage, done, total: stages.append(stage)
    )
    assert stages == ["accounts", "groups", "memberships", "grants"]


def test_a_missing_state_file_raises_instead_of_reading_nothing(tmp_path):
    with pytest.raises(SourceError, match="does not exist"):
        connect(tmp_path, "ad").fetch_snapshot(None)


def test_a_file_that_is_not_a_state_file_raises(tmp_path):
    (tmp_path / "demo-directory.db").write_text("not sqlite at all " * 100)
    with pytest.raises(SourceError, match="not a demo state file"):
        connect(tmp_path, "ad").fetch_snapshot(None)


def test_factory_validates_settings_and_is_registered(folder):
    with pytest.raises(ConfigError, match="needs state"):
        build_connector("ad", {"type": "demo"}, base_dir=str(folder))
    with pytest.raises(ConfigError, match="not a demo directory"):
        build_connector("x", {"type": "demo", "state": "s.db", "directory": "ldap"}, base_dir=".")
    connector = build_from_registry(
        "ad", {"type": "demo", "state": "demo-directory.db"}, base_dir=str(folder)
    )
    assert isinstance(connector, Connector) and connector.type == "demo"
    assert connector.state_path == folder / "demo-directory.db"


def test_doctor_reports_a_missing_file_with_a_fix_and_a_good_one_as_ok(folder, tmp_path_factory):
    missing = connect(tmp_path_factory.mktemp("empty"), "ad").doctor()
    assert [c.ok for c in missing] == [False] and "access-review demo" in missing[0].fix
    checks = connect(folder, "entra").doctor()
    assert checks and all(c.ok for c in checks)


# ---- acting: each action idempotent, prior state returned and persisted ----------------------


def test_disable_then_enable_account_round_trip(district, folder):
    connector = connect(folder, "ad")
    target = account_of(district, "ad", lambda a: a.login == "svc-print").key
    first = connector.apply(Action("disable_account", "ad", target))
    assert (first.status, first.prior, first.after) == (
        "changed",
        {"enabled": True},
        {"enabled": False},
    )
    again = connector.apply(Action("disable_account", "ad", target))
    assert (again.status, again.prior) == ("unchanged", {"enabled": False})
    synced = {a.key: a for a in connector.fetch_snapshot(None).accounts}
    assert synced[target].enabled is False
    restored = connector.apply(Action("enable_account", "ad", target))
    assert (restored.status, restored.prior) == ("changed", {"enabled": False})
    assert {a.key: a for a in connector.fetch_snapshot(None).accounts}[target].enabled is True


def test_revoke_sessions_is_idempotent_and_visible(district, folder):
    connector = connect(folder, "entra")
    target = district.planted["dormant_account"][0]
    assert target.startswith("entra:")
    first = connector.apply(Action("revoke_sessions", "entra", target))
    assert (first.status, first.prior) == ("changed", {"sessions_revoked": False})
    assert connector.apply(Action("revoke_sessions", "entra", target)).status == "unchanged"
    synced = {a.key: a for a in connector.fetch_snapshot(None).accounts}
    assert synced[target].extra["sessions_revoked"] is True
    assert synced[target].extra["onPremisesSyncEnabled"] is True


def test_remove_membership_closes_the_loop(district, folder):
    connector = connect(folder, "ad")
    group = district.planted["ungoverned_group"][0]
    zoe = person(district, district.planted["unauthorized"][0])
    member = account_of(district, "ad", lambda a: a.employee_id == zoe.employee_id).key
    action = Action("remove_membership", "ad", group, {"member": member})
    first = connector.apply(action)
    assert first.status == "changed"
    assert first.prior == {"member": member, "member_type": "account", "present": True}
    again = connector.apply(action)
    assert (again.status, again.prior["present"]) == ("unchanged", False)
    pairs = {(m.group_key, m.member_key) for m in connector.fetch_snapshot(None).memberships}
    assert (group, member) not in pairs
    assert len(pairs) == len(district.snapshots["ad"].memberships) - 1


def test_remove_grant_returns_enough_to_restore_it(district, folder):
    connector = connect(folder, "google")
    luis = person(district, district.planted["unauthorized"][1])
    account = account_of(district, "google", lambda a: a.email == luis.email).key
    grant = next(
        g
        for g in district.snapshots["google"].grants
        if g.principal_key == account and g.kind == "drive_permission"
    )
    first = connector.apply(Action("remove_grant", "google", grant.key))
    assert first.status == "changed"
    assert first.prior["resource"] == grant.resource_key and first.prior["principal"] == account
    assert (first.prior["level"], first.prior["role"]) == ("read", "reader")
    assert connector.apply(Action("remove_grant", "google", grant.key)).status == "unchanged"
    assert grant.key not in {g.key for g in connector.fetch_snapshot(None).grants}


def test_revoke_oauth_token_removes_that_apps_tokens_only(district, folder):
    connector = connect(folder, "entra")
    entra = district.snapshots["entra"]
    quiz = next(r for r in entra.resources if r.name == district.planted["unapproved_app"][0])
    token = next(g for g in entra.grants if g.resource_key == quiz.key)
    client_id = quiz.extra["client_id"]
    action = Action("revoke_oauth_token", "entra", token.principal_key, {"client_id": client_id})
    first = connector.apply(action)
    assert first.status == "changed" and first.prior["present"] is True
    assert first.prior["grants"][0]["scopes"] == list(token.scopes)
    assert connector.apply(action).status == "unchanged"
    after = connector.fetch_snapshot(None).grants
    assert token.key not in {g.key for g in after}
    assert len(after) == len(entra.grants) - 1


def test_acting_on_something_missing_fails_with_a_message(folder):
    connector = connect(folder, "ad")
    result = connector.apply(Action("disable_account", "ad", "ad:account:no-such-id"))
    assert result.status == "failed" and "no account" in result.message


# ---- refusals --------------------------------------------------------------------------------


def test_a_synced_user_is_changed_in_ad_not_in_entra(district, folder):
    connector = connect(folder, "entra")
    synced = account_of(district, "entra", lambda a: a.authority == "ad" and a.kind == "person")
    action = Action("disable_account", "entra", synced.key)
    assert connector.refusal(action) == "synced from AD: change it in AD"
    assert (
        connector.refusal(action, district.snapshots["entra"]) == "synced from AD: change it in AD"
    )
    result = connector.apply(action)
    assert result.status == "refused"
    assert {a.key: a for a in connector.fetch_snapshot(None).accounts}[synced.key].enabled is True
    cloud_only = account_of(district, "entra", lambda a: a.login.startswith("ga."))
    assert connector.refusal(Action("disable_account", "entra", cloud_only.key)) is None
    assert connector.refusal(Action("revoke_sessions", "entra", synced.key)) is None


def test_dynamic_group_membership_and_foreign_or_unknown_actions_are_refused(district, folder):
    connector = connect(folder, "entra")
    dynamic = next(g for g in district.snapshots["entra"].groups if g.kind == "dynamic")
    member = next(
        m.member_key for m in district.snapshots["entra"].memberships if m.group_key == dynamic.key
    )
    assert "dynamic group" in connector.refusal(
        Action("remove_membership", "entra", dynamic.key, {"member": member})
    )
    assert "never deletes" in connector.refusal(Action("delete_account", "entra", member))
    assert "belongs to source 'ad'" in connector.refusal(
        Action("disable_account", "ad", "ad:account:x")
    )
    assert "params['member']" in connector.refusal(
        Action("remove_membership", "entra", dynamic.key)
    )
