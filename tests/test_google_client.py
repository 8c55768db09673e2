"""Settings, registry wiring and client construction."""

import pytest

from access_review.errors import ConfigError
from connectors.google.client import USER_READ, build_clients, build_settings, load_key_info
from connectors.google.connector import GoogleConnector
from connectors.registry import build_connector
from google_fake import FakeGoogle, small_domain


def test_registry_builds_the_google_connector_with_paths_relative_to_the_config(tmp_path):
    c = build_connector(
        "gw",
        {"type": "google", "key_file": "keys/sa.json", "subject": "a@d.org"},
        base_dir=str(tmp_path),
    )
    assert isinstance(c, GoogleConnector) and c.name == "gw" and c.type == "google"
    assert c.settings.key_file == tmp_path / "keys" / "sa.json"
    assert c.settings.read_scopes()[0] == USER_READ and c.settings.quota_per_minute == 2400


@pytest.mark.parametrize(
    "settings, message",
    [
        ({"key_file": "k.json"}, "subject is required"),
        ({"subject": "a@d.org"}, "key_file is required"),
        ({"key_file": "k", "subject": "a", "batch_size": 5000}, "at most 1000"),
        ({"key_file": "k", "subject": "a", "vault": "yes"}, "true or false"),
    ],
)
def test_bad_settings_are_config_errors(settings, message):
    with pytest.raises(ConfigError, match=message):
        build_settings("google", settings)


def test_clients_use_shipped_discovery_and_the_configured_endpoint_for_batches(tmp_path):
    fake = small_domain(FakeGoogle()).start()
    try:
        key = fake.write_key_file(tmp_path / "k.json")
        settings = build_settings(
            "google",
            {"key_file": str(key), "subject": fake.admin, "api_endpoint": fake.url.rstrip("/")},
        )
        clients = build_clients(settings, (USER_READ,))
        assert clients.batch_uris == {
            "directory": fake.url + "batch",
            "drive": fake.url + "batch/drive/v3",
            "vault": fake.url + "batch",
        }
        assert clients.round_trips == 0  # no discovery request, no token yet
        clients.directory.users().list(customer="my_customer").execute()
        assert clients.round_trips == 2 and fake.round_trips == 2  # token + the call
    finally:
        fake.stop()


@pytest.mark.parametrize("text", ["[]", '"a key"', "42"])
def test_a_key_file_holding_json_but_no_object_is_a_config_error(tmp_path, text):
    """Valid JSON that is not an object (a list, a string) is no service account key: one line
    naming the file, not an AttributeError (found by the type check)."""
    key = tmp_path / "k.json"
    key.write_text(text, encoding="utf-8")
    key.chmod(0o600)
    settings = build_settings("google", {"key_file": str(key), "subject": "admin@d.org"})
    with pytest.raises(ConfigError, match=rf"{key} is not a service account key"):
        load_key_info(settings)
