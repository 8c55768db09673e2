"""Suspension and restore through the real Entra and Google connectors, against their HTTP
fakes (tests/entra_fake.py: `responses` on Graph and the token endpoint; tests/google_fake.py:
a local HTTP server behind the real google-api-python-client). What changed is read back from
the fakes' own state, not through the connectors."""

from __future__ import annotations

from datetime import date

import pytest
import responses

from access_review.analysis import Analysis
from access_review.config import load_config
from access_review.inventory import Inventory
from access_review.records import Person
from access_review.store import Store
from access_review.suspension.apply import apply_case
from access_review.suspension.plan import Protection, build_plan, directory_kinds
from access_review.suspension.restore import apply_restore, plan_restore
from access_review.suspension.store import SuspensionStore
from entra_fake import build_fake_connector, small_tenant
from google_fake import FakeGoogle, make_connector, small_domain

ADAMS = "6ea91a8d-e32e-41a1-b7bd-d2d185eed0e0"  # cloud-only user
ADMIN = "4562bcc8-c436-4f95-b7c0-4f8ce89dca5e"  # synced from AD; the only Global Administrator


def analysis_of(tmp_path, source: str, snapshot, persons=()) -> Analysis:
    (tmp_path / "access-review.toml").write_text(f'[sources.{source}]\ntype = "{source}"\n')
    return Analysis(
        config=load_config(tmp_path / "access-review.toml"),
        snapshots={source: snapshot},
        persons={p.key: p for p in persons},
        inventory=Inventory(resources=()),
        today=date(2026, 11, 28),
    )


def plan_for(a: Analysis, *targets: str, revoke_tokens: bool = False):
    return build_plan(
        a,
        targets,
        kinds=directory_kinds(a.config),
        protection=Protection.from_config(a.config),
        revoke_tokens=revoke_tokens,
    )


@pytest.fixture
def sstore(tmp_path):
    with Store(tmp_path / "store.db") as store:
        yield SuspensionStore(store)


# ---- Entra ------------------------------------------------------------------------------------
@pytest.fixture
def tenant():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        t = small_tenant()
        t.users[ADMIN]["accountEnabled"] = True
        t.install(mock)
        yield t


def test_entra_cloud_user_is_disabled_and_signed_out_then_restored(tenant, sstore, tmp_path):
    connector = build_fake_connector(tenant)
    a = analysis_of(tmp_path, "entra", connector.fetch_snapshot(None))
    plan = plan_for(a, f"entra:account:{ADAMS}")
    assert [s.kind for s in plan.steps] == ["disable_account", "revoke_sessions"]
    sstore.record_plan("E-1", "investigation", None, plan, "iso")

    report = apply_case(sstore, "E-1", lambda source: connector)

    assert report.complete, report.failed_sources
    assert tenant.users[ADAMS]["accountEnabled"] is False and tenant.users[ADAMS]["_revoked"] == 1
    assert apply_case(sstore, "E-1", lambda source: connector).outcomes == []  # nothing twice

    restored = apply_restore(sstore, plan_restore(sstore, "E-1", {}, {}), lambda source: connector)
    assert restored.restored_case and tenant.users[ADAMS]["accountEnabled"] is True


def test_entra_synced_user_gets_sessions_revoked_without_touching_entra_and_admin_is_protected(
    tenant, sstore, tmp_path
):
    connector = build_fake_connector(tenant)
    a = analysis_of(tmp_path, "entra", connector.fetch_snapshot(None))

    plan = plan_for(a, f"entra:account:{ADMIN}")

    # The only enabled Global Administrator: refused, nothing to do.
    assert [p.disposition for p in plan.accounts] == ["refused"]
    assert "last enabled Global Administrator" in plan.accounts[0].reason

    tenant.users[ADAMS]["onPremisesSyncEnabled"] = True  # make the cloud user a synced one
    a = analysis_of(tmp_path, "entra", connector.fetch_snapshot(None))
    plan = plan_for(a, f"entra:account:{ADAMS}")
    assert [s.kind for s in plan.steps] == ["revoke_sessions"]
    assert any("disable it in AD yourself" in w for w in plan.warnings)  # no AD source here
    sstore.record_plan("E-2", "investigation", None, plan, "iso")
    assert apply_case(sstore, "E-2", lambda source: connector).complete
    assert tenant.users[ADAMS]["_revoked"] == 1 and tenant.users[ADAMS]["accountEnabled"] is True


# ---- Google -----------------------------------------------------------------------------------
@pytest.fixture
def google():
    server = small_domain(FakeGoogle()).start()
    yield server
    server.stop()


def test_google_user_is_suspended_signed_out_and_tokens_revoked_then_restored(
    google, sstore, tmp_path
):
    connector = make_connector(google, tmp_path)
    teacher = Person("E0002", "Terry Teacher", email="teacher@district.org")
    a = analysis_of(tmp_path, "google", connector.fetch_snapshot(None), [teacher])
    plan = plan_for(a, "E0002", revoke_tokens=True)
    assert [(s.kind, s.params.get("client_id")) for s in plan.steps] == [
        ("disable_account", None),
        ("revoke_sessions", None),
        ("revoke_oauth_token", "999-grades.apps.googleusercontent.com"),
    ]
    sstore.record_plan("G-1", "investigation", None, plan, "iso")

    report = apply_case(sstore, "G-1", lambda source: connector)

    assert report.complete, report.failed_sources
    user = google.users["1002"]
    assert user["suspended"] is True and user["signOuts"] == 1 and google.tokens["1002"] == []

    restore = plan_restore(sstore, "G-1", {}, {})
    assert [(i.account_key, i.action) for i in restore.to_enable] == [
        ("google:account:1002", "re-enable")
    ]
    assert apply_restore(sstore, restore, lambda source: connector).restored_case
    assert google.users["1002"]["suspended"] is False
    assert google.tokens["1002"] == []  # revoked tokens are not given back


def test_google_already_suspended_user_is_left_alone_and_not_restored(google, sstore, tmp_path):
    connector = make_connector(google, tmp_path)
    a = analysis_of(tmp_path, "google", connector.fetch_snapshot(None))
    plan = plan_for(a, "gone@district.org")
    assert [p.disposition for p in plan.accounts] == ["already disabled"]
    sstore.record_plan("G-2", "investigation", None, plan, "iso")
    apply_case(sstore, "G-2", lambda source: connector)
    assert google.calls["users.update"] == 0 and google.users["1003"].get("signOuts", 0) == 0

    restore = plan_restore(sstore, "G-2", {}, {})
    assert [i.action for i in restore.items] == ["leave disabled"]
    apply_restore(sstore, restore, lambda source: connector)
    assert google.users["1003"]["suspended"] is True


def test_google_last_super_admin_is_refused(google, tmp_path):
    connector = make_connector(google, tmp_path)
    a = analysis_of(tmp_path, "google", connector.fetch_snapshot(None))
    plan = plan_for(a, google.admin)
    assert [p.disposition for p in plan.accounts] == ["refused"]
    assert "last enabled Super Admin in google" in plan.accounts[0].reason
