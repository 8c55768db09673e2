"""The connector contract on a generated district-like tenant, and building from config."""

from __future__ import annotations

import os

import pytest
import responses

from access_review.errors import ConfigError, SecretError
from access_review.connector import Connector
from connectors.entra.client import build_credential, build_settings
from connectors.entra.connector import EntraConnector
from connectors.registry import build_connector
from entra_fake import build_fake_connector, district_tenant
from entra_floor import full_sync_floor


@pytest.fixture(scope="module")
def district():
    t = district_tenant(users=3_000, groups=300, memberships=24_000, apps=30, seed=3)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as r:
        t.install(r)
        conn = build_fake_connector(t)
        yield t, conn, conn.fetch_snapshot(None)


def test_snapshot_is_complete_and_matches_the_tenant(district):
    t, conn, snap = district
    assert snap.complete and snap.mode == "full"
    assert len(snap.accounts) == 3_000 and len(snap.groups) == 300
    assert len(snap.memberships) == sum(len(m) for m in t.members.values()) == 24_000


@pytest.mark.parametrize("records", ["accounts", "groups", "memberships", "resources", "grants"])
def test_keys_unique_and_non_empty(district, records):
    items = getattr(district[2], records)
    keys = [(m.group_key, m.member_key) if records == "memberships" else m.key for m in items]
    assert items and len(set(keys)) == len(keys)
    assert all(k and all(k) for k in keys)
    assert all(
        k.startswith("entra:") if isinstance(k, str) else k[0].startswith("entra:") for k in keys
    )


def test_enabled_is_a_real_bool_and_authority_set_for_synced(district):
    t, _, snap = district
    assert all(type(a.enabled) is bool for a in snap.accounts)
    synced = {u["id"] for u in t.users.values() if u["onPremisesSyncEnabled"]}
    assert {a.id for a in snap.accounts if a.authority == "ad"} == synced


def test_full_sync_requests_within_ten_percent_of_the_documented_floor(district):
    """The floor from the documented limits (tests/entra_floor.py), every read included
    (issue 13: the minimum used to leave out the fixed reads and assume 120 users a page)."""
    t, _, snap = district
    floor = full_sync_floor(t)
    assert snap.stats["requests"] <= 1.1 * floor.requests, (snap.stats, floor)


def test_is_a_connector_and_registry_builds_it(monkeypatch):
    monkeypatch.setenv("ENTRA_SECRET_FOR_TEST", "s3cret")
    conn = build_connector(
        "entra-district",
        {
            "type": "entra",
            "tenant_id": "t",
            "client_id": "c",
            "client_secret_env": "ENTRA_SECRET_FOR_TEST",
        },
        base_dir=".",
    )
    assert isinstance(conn, EntraConnector) and isinstance(conn, Connector)
    assert conn.name == "entra-district" and conn.type == "entra"
    assert conn.client.settings.graph_scope == "https://graph.microsoft.com/.default"


def test_secret_written_in_config_is_refused():
    with pytest.raises(SecretError):
        build_credential("entra", {"client_secret": "literal"}, base_dir=".")


def test_certificate_file_must_be_owner_only_and_needs_thumbprint(tmp_path):
    pem = tmp_path / "app.pem"
    pem.write_text("-----BEGIN PRIVATE KEY-----\n...\n")
    os.chmod(pem, 0o644)
    with pytest.raises(SecretError, match="readable by others"):
        build_credential(
            "entra",
            {"certificate_file": "app.pem", "certificate_thumbprint": "AB"},
            base_dir=str(tmp_path),
        )
    os.chmod(pem, 0o600)
    with pytest.raises(ConfigError, match="thumbprint"):
        build_credential("entra", {"certificate_file": "app.pem"}, base_dir=str(tmp_path))
    cred = build_credential(
        "entra",
        {"certificate_file": "app.pem", "certificate_thumbprint": "AB"},
        base_dir=str(tmp_path),
    )
    assert cred["thumbprint"] == "AB" and "PRIVATE KEY" in cred["private_key"]


def test_missing_tenant_is_a_config_error():
    with pytest.raises(ConfigError, match="tenant_id"):
        build_settings("entra", {"client_id": "c"})
