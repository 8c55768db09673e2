"""The starter config (issue 19, "Setup and doctor"): `access-review init` writes every key of
every connector, [smtp], [campaigns], [schedule] and [logging], commented, with its default;
it is derived from the settings the code declares, and a test reads every key each connector
reads, so the two cannot drift. A misspelt key is an error naming the known ones."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from pathlib import Path

import pytest
from typer.testing import CliRunner

from access_review import secrets as secrets_module
from access_review.cli import app
from access_review.errors import AccessReviewError, ConfigError
from access_review.settings_spec import REQUIRED
from connectors import registry

runner = CliRunner()


class Recording(Mapping):
    """A settings table that remembers every key the code asked for, present or not."""

    def __init__(self, data: dict, asked: set):
        self.data, self.asked = data, asked

    def __getitem__(self, key):
        self.asked.add(key)
        return self.data[key]

    def get(self, key, default=None):
        self.asked.add(key)
        return self.data.get(key, default)

    def __contains__(self, key):
        self.asked.add(key)
        return key in self.data

    def __iter__(self):
        return iter(self.data)

    def __len__(self):
        return len(self.data)


@pytest.fixture(scope="module")
def starter(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("init") / "access-review.toml"
    result = runner.invoke(app, ["init", str(path)])
    assert result.exit_code == 0, result.output
    return path.read_text(encoding="utf-8")


def block(text: str, header: str) -> str:
    """The lines of one table in the starter, commented or not, up to the next blank line."""
    start = re.search(rf"^(# )?\[{re.escape(header)}\]$", text, re.M)
    assert start, f"[{header}] is not in the starter"
    return text[start.start() :].split("\n\n", 1)[0]


def keys_in(block_text: str) -> set[str]:
    return set(re.findall(r"^(?:# )?([a-z_]+) = ", block_text, re.M))


def test_the_starter_is_valid_toml_and_a_valid_config(starter, tmp_path):
    tomllib.loads(starter)
    path = tmp_path / "access-review.toml"
    path.write_text(starter, encoding="utf-8")
    from access_review.config import load_config
    from access_review.schedule import parse_schedule
    from campaigns.schedule import parse_campaign_schedule
    from access_review.cli.logs import LogSettings

    cfg = load_config(path)
    parse_schedule(cfg.section("schedule"))
    parse_campaign_schedule(cfg.section("campaigns"))
    LogSettings.from_config(cfg)


@pytest.mark.parametrize("kind", sorted(registry.SETTINGS))
def test_every_connector_setting_is_in_the_starter_with_its_default(starter, kind):
    text = block(starter, f"sources.{kind}")
    settings = registry.settings_of(kind)
    assert keys_in(text) == {s.key for s in settings} | {"type"}
    for s in settings:
        assert s.shown_value() is not None, f"{kind}.{s.key} shows no value"
        line = next(ln for ln in text.splitlines() if ln.startswith(f"# {s.key} = "))
        if not s.required and s.example is None:
            assert line.split("#")[1].strip().endswith(f"= {_toml(s.default)}"), line


def _toml(value):
    from access_review.settings_spec import toml_value

    return toml_value(value)


def test_the_keys_the_issue_named_are_there(starter):
    for key in (
        "tls_server_name",
        "start_tls",
        "users_base",
        "groups_base",
        "timeout",
        "page_size",
    ):
        assert key in keys_in(block(starter, "sources.ad"))
    for key in ("api_endpoint", "vault", "quota_per_minute", "action_subject"):
        assert key in keys_in(block(starter, "sources.google"))
    assert "token_scope" in keys_in(block(starter, "sources.entra"))
    assert {"host", "port", "security", "username", "password_env"} <= keys_in(
        block(starter, "smtp")
    )


def _full_table(kind: str, tmp_path: Path) -> dict:
    """A table of ``kind`` with every declared key set to its example or default."""
    table = {"type": kind}
    for s in registry.settings_of(kind):
        table[s.key] = s.shown_value()
    table.pop("password_file", None)
    table.pop("client_secret_file", None)
    if kind == "ad":
        ca = tmp_path / "ca.pem"
        ca.write_text(_ca_pem())
        table.update(ca_file=str(ca), url="ldaps://dc1.district.example.org")
    if kind == "entra":
        table.pop("certificate_file")
        table.pop("certificate_thumbprint")
    if kind == "google":
        key = tmp_path / "key.json"
        key.write_text("{}")
        key.chmod(0o600)
        table["key_file"] = str(key)
    return table


def _ca_pem() -> str:
    import ssl

    return Path(
        ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt"
    ).read_text()


@pytest.mark.parametrize("kind", sorted(registry.SETTINGS))
def test_every_key_a_connector_reads_is_declared(kind, tmp_path, monkeypatch):
    asked: set[str] = set()
    real_read_secret = secrets_module.read_secret

    def recording_read_secret(settings, name, *, source=""):
        asked.update({f"{name}_env", f"{name}_file"})  # a literal {name} is read only to refuse it
        return real_read_secret(settings, name, source=source)

    monkeypatch.setattr(secrets_module, "read_secret", recording_read_secret)
    for module in ("connectors.ad.client", "connectors.entra.client"):
        monkeypatch.setattr(f"{module}.read_secret", recording_read_secret)
    monkeypatch.setenv("ACCESS_REVIEW_AD_PASSWORD", "x")
    monkeypatch.setenv("ACCESS_REVIEW_ENTRA_SECRET", "x")
    table = Recording(_full_table(kind, tmp_path), asked)
    connector = registry.build_connector(kind, table, base_dir=str(tmp_path))
    if kind == "ad":
        from connectors.ad.client import read_password

        read_password(kind, table)
    if kind == "entra":  # the certificate path of the credential, too
        cert = dict(
            _full_table(kind, tmp_path),
            certificate_file=str(tmp_path / "c.pem"),
            certificate_thumbprint="AB",
        )
        (tmp_path / "c.pem").write_text("x")
        (tmp_path / "c.pem").chmod(0o600)
        cert.pop("client_secret_env")
        registry.build_connector(kind, Recording(cert, asked), base_dir=str(tmp_path))
    declared = {s.key for s in registry.settings_of(kind)} | {"type"}
    assert connector is not None
    assert asked - declared == set(), f"{kind} reads undeclared settings"
    assert {s.key for s in registry.settings_of(kind)} - asked == set(), (
        f"{kind} declares settings it never reads"
    )


def test_every_smtp_key_read_is_declared(monkeypatch):
    from campaigns.mail import SMTP_SETTINGS, smtp_settings

    asked: set[str] = set()
    table = {
        s.key: s.shown_value() for s in SMTP_SETTINGS if s.key not in ("password_file", "ca_file")
    }
    monkeypatch.setenv("ACCESS_REVIEW_SMTP_PASSWORD", "a-test-value")  # noqa: S105 (not a real password)
    smtp_settings(Recording(table, asked), "iso@district.example.org", "Ann")
    asked |= {"password_env", "password_file", "ca_file"}  # read through read_secret / a path check
    assert asked - {s.key for s in SMTP_SETTINGS} == set()


def test_log_settings_match_the_logging_code():
    from access_review.cli.logs import LOG_SETTINGS, LogSettings

    assert [s.key for s in LOG_SETTINGS] == list(LogSettings.__dataclass_fields__)
    defaults = LogSettings()
    for s in LOG_SETTINGS:
        if s.key != "file":
            assert getattr(defaults, s.key) == s.default, s.key


@pytest.mark.parametrize(
    "kind, key", [("ad", "page_sise"), ("entra", "tenantid"), ("google", "subjet")]
)
def test_a_misspelt_key_is_an_error_naming_the_known_ones(kind, key, tmp_path):
    table = _full_table(kind, tmp_path)
    table[key] = "x"
    with pytest.raises(ConfigError, match=f"unknown setting '{key}'") as err:
        registry.build_connector(kind, table, base_dir=str(tmp_path))
    assert "access-review init lists them" in err.value.hint


def test_required_settings_say_so(starter):
    for kind in registry.SETTINGS:
        for s in registry.settings_of(kind):
            if s.default is REQUIRED:
                assert f"# required: {s.help}" in starter.replace(
                    "  ", " "
                ) or "required:" in block(starter, f"sources.{kind}")


def test_a_missing_ca_file_is_named_with_the_fix(tmp_path):
    table = _full_table("ad", tmp_path)
    table["ca_file"] = str(tmp_path / "nowhere.pem")
    with pytest.raises(AccessReviewError) as err:
        registry.build_connector("ad", table, base_dir=str(tmp_path))
    assert str(err.value) == f"source 'ad': ca_file {tmp_path / 'nowhere.pem'} does not exist"
    assert "PEM file of the CA that signed the DC's certificate" in err.value.hint
    (tmp_path / "junk.pem").write_text("not a certificate")
    table["ca_file"] = str(tmp_path / "junk.pem")
    with pytest.raises(ConfigError, match="holds no usable CA certificate"):
        registry.build_connector("ad", table, base_dir=str(tmp_path))
