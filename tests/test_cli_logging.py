"""Logs (issue 19): every command, each source's sync with what it cost, every action and
every error reach a rotating owner-only file beside the store, JSON lines and syslog when
asked; --log-level, --quiet, --verbose; never a secret — tried with the secrets of every
connector; the audit log names the OS user and the ISO; a config with nothing to store
creates nothing."""

from __future__ import annotations

import getpass
import json
import os
import re
import socket
import stat
import time
from pathlib import Path

import pytest
import responses
from typer.testing import CliRunner

from access_review import audit
from access_review.cli import app
from access_review.cli.logs import secret_values
from access_review.config import load_config
from connectors import registry
from entra_fake import small_tenant
from google_fake import FakeGoogle, small_domain

runner = CliRunner()


def cli(config: Path, *args: str, before: tuple[str, ...] = (), code: int | None = 0):
    result = runner.invoke(app, [*before, *args, "--config", str(config)], env={"COLUMNS": "200"})
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    if code is not None:
        assert result.exit_code == code, result.output
    return result


def add_to_config(env, text: str) -> None:
    with env.config_path.open("a", encoding="utf-8") as fh:
        fh.write("\n" + text + "\n")


def log_of(env) -> str:
    return (env.config.store_path.parent / "access-review.log").read_text(encoding="utf-8")


# ---------------------------------------------------------------------------- what is logged
def test_a_sync_is_logged_per_source_with_its_cost_in_an_owner_only_file(demo):
    log_file = demo.config.store_path.parent / "access-review.log"
    log_file.unlink(missing_ok=True)
    cli(demo.config_path, "sync")
    assert stat.S_IMODE(log_file.stat().st_mode) == 0o600
    text = log_file.read_text(encoding="utf-8")
    assert "access_review.cli: command sync" in text
    for source in demo.config.sources:
        line = next(ln for ln in text.splitlines() if f"sync {source}: complete (full)" in ln)
        assert "6 requests, 6 pages, 0 retries, never throttled" in line and " in 0." in line
        assert f"audit sync by {getpass.getuser()} (ISO: {demo.config.iso.name})" in text
    assert "command sync ended with exit code 0 in" in text.splitlines()[-1]


def test_json_lines_carry_the_fields_a_siem_reads(demo):
    add_to_config(demo, '[logging]\nformat = "json"')
    cli(demo.config_path, "sync", "--source", "ad")
    records = [json.loads(line) for line in log_of(demo).splitlines() if line.startswith("{")]
    sync = next(r for r in records if r.get("event") == "sync")
    assert sync["source"] == "ad" and sync["ok"] is True and sync["mode"] == "full"
    assert (
        sync["requests"] == 6
        and sync["pages"] == 6
        and sync["retries"] == 0
        and sync["seconds"] >= 0
    )
    assert (
        sync["counts"]["accounts"] > 0
        and sync["command"] == "sync"
        and sync["user"] == getpass.getuser()
    )
    end = records[-1]
    assert end["event"] == "command.end" and end["exit_code"] == 0


def test_errors_and_exit_codes_are_logged(demo):
    cli(demo.config_path, "findings", "--type", "nonsense", code=1)
    cli(demo.config_path, "sync", "--source", "nowhere", code=2)
    text = log_of(demo)
    assert "findings: unknown finding type 'nonsense'" in text
    assert "command findings ended with exit code 1" in text
    assert "sync: unknown source(s): nowhere (next: configured: ad, entra, google)" in text
    assert "command sync ended with exit code 2" in text


def test_actions_are_logged(demo):
    a = demo.analysis()
    person = next(
        p
        for p in a.persons.values()
        if p.status == "active" and a.correlation.accounts_of.get(p.key)
    )
    cli(
        demo.config_path,
        "suspend",
        person.employee_id,
        "--case",
        "LOG-1",
        "--reason",
        "rehearsal",
        "--apply",
    )
    text = log_of(demo)
    assert "audit suspension.case by" in text and "audit suspension.step by" in text
    assert '"action": "disable_account"' in text


def test_log_level_quiet_and_verbose(demo):
    cli(demo.config_path, "sync", "--source", "ad", before=("--log-level", "debug"))
    assert "access_review.activity: ad: SELECT accounts -> ok" in log_of(demo)

    quiet = cli(demo.config_path, "sync", "--source", "ad", before=("--quiet",))
    assert quiet.stdout == ""
    verbose = cli(demo.config_path, "sync", "--source", "ad", before=("-v",))
    assert "sync ad: complete (full)" in verbose.stderr and "complete" in verbose.stdout
    bad = runner.invoke(app, ["--log-level", "chatty", "status", "--config", str(demo.config_path)])
    assert bad.exit_code == 2 and "chatty" in bad.output


def test_the_log_rotates_and_every_file_stays_owner_only(demo):
    add_to_config(demo, "[logging]\nmax_bytes = 500\nbackups = 2")
    for _ in range(4):
        cli(demo.config_path, "sync", "--source", "ad")
    folder = demo.config.store_path.parent
    files = sorted(folder.glob("access-review.log*"))
    assert [f.name for f in files] == [
        "access-review.log",
        "access-review.log.1",
        "access-review.log.2",
    ]
    assert all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)


def test_syslog_receives_the_records(demo):
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as server:
        server.bind(("127.0.0.1", 0))
        server.settimeout(0.2)
        add_to_config(
            demo,
            f'[logging]\nsyslog = "udp://127.0.0.1:{server.getsockname()[1]}"\n'
            'syslog_facility = "local3"',
        )
        cli(demo.config_path, "sync", "--source", "ad")
        got, deadline = [], time.monotonic() + 5
        while time.monotonic() < deadline:
            try:
                got.append(server.recv(65536).decode())
            except socket.timeout:
                if any("ended with exit code" in g for g in got):
                    break
    assert any(
        g.startswith("<158>access-review[") and "sync ad: complete (full)" in g for g in got
    ), got
    # <158> = facility local3 (19) * 8 + severity info (6)


# ---------------------------------------------------------------------------- never a secret
SECRETS = {
    "AR_T_AD_PASSWORD": "ad-P@ssw0rd-7f3a9c",
    "AR_T_ENTRA_SECRET": "entra~Secret~Q8v2KxL0pR",
    "AR_T_SMTP_PASSWORD": "smtp-pw-91bd77e2",
    "AR_T_LINK_KEY": "link-key-5c1e9a7b3d2f4e6a8b0c",
}


@pytest.fixture
def every_secret(demo, tmp_path, monkeypatch):
    """The demo config with a source of every type, each with its secrets, plus SMTP, the audit
    key and the review-link key; and a source whose server echoes all of them in its error."""
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    fake = FakeGoogle().start()
    key_file = fake.write_key_file(tmp_path / "google-key.json")
    from google_fake import private_key_pem
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    import datetime as dt

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(x509.oid.NameOID.COMMON_NAME, "access-review")])
    now = dt.datetime.now(dt.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    cert_file = tmp_path / "entra-cert.pem"
    cert_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        + cert.public_bytes(serialization.Encoding.PEM)
    )
    cert_file.chmod(0o600)
    google_key_line = next(ln for ln in private_key_pem().splitlines() if len(ln) > 40)
    cert_key_line = next(ln for ln in cert_file.read_text().splitlines() if len(ln) > 40)
    from access_review.audit_key import default_key_path

    audit_key = (
        default_key_path().read_text().strip()
    )  # the demo's log is keyed with the default key file
    # The review links' default key file, named nowhere in the config (a district that set no
    # [web] link key first and then moved it to the environment still has it on disk).
    from campaigns.links import LinkKeySource, default_key_path as default_link_key_path

    LinkKeySource(file=default_link_key_path()).load()
    default_link_key = default_link_key_path().read_text().strip()
    echo = " ".join(
        [
            *SECRETS.values(),
            google_key_line,
            cert_key_line,
            audit_key,
            default_link_key,
            "Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln",
        ]
    )
    text = demo.config_path.read_text(encoding="utf-8")
    text = text.replace(
        "[sources.",
        '[sources.leaky]\ntype = "fake"\nbehaviour = "leak"\n'
        f"echo = {json.dumps(echo)}\n\n[sources.",
        1,
    )
    text += f"""
[sources.corp-ad]
type = "ad"
url = "ldaps://127.0.0.1:1"
bind_user = "svc@district.example.org"
password_env = "AR_T_AD_PASSWORD"
base_dn = "DC=district,DC=example,DC=org"
timeout = 1

[sources.cloud]
type = "entra"
tenant_id = "11111111-2222-3333-4444-555555555555"
client_id = "cid-0001"
client_secret_env = "AR_T_ENTRA_SECRET"

[sources.cloud-cert]
type = "entra"
tenant_id = "11111111-2222-3333-4444-555555555555"
client_id = "cid-0002"
certificate_file = "{cert_file}"
certificate_thumbprint = "0123456789ABCDEF0123456789ABCDEF01234567"

[sources.workspace]
type = "google"
key_file = "{key_file}"
subject = "nobody@district.org"
api_endpoint = "{fake.url}"

[smtp]
host = "127.0.0.1"
port = 1
security = "none"
allow_plaintext = true
username = "access-review"
password_env = "AR_T_SMTP_PASSWORD"

[web]
link_key_env = "AR_T_LINK_KEY"

[logging]
level = "debug"
format = "json"
"""
    demo.config_path.write_text(text, encoding="utf-8")
    monkeypatch.setitem(registry.FACTORIES, "fake", "fake_source:build_connector")
    yield (
        demo,
        [*SECRETS.values(), google_key_line, cert_key_line, audit_key, default_link_key],
        fake,
    )
    fake.stop()


def test_no_secret_of_any_connector_reaches_the_log(every_secret):
    demo, secrets, fake = every_secret
    small_domain(fake)
    cfg = load_config(demo.config_path)
    learned = secret_values(cfg)
    for secret in secrets:
        assert any(secret in value for value in learned), secret
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        tenant = small_tenant()
        tenant.install(mock)
        # The token endpoint refuses the secret and quotes it back, as a hostile proxy might.
        mock.replace(
            responses.POST,
            f"{tenant.authority_host}/{tenant.tenant_id}/oauth2/v2.0/token",
            status=401,
            json={
                "error": "invalid_client",
                "error_description": f"AADSTS7000215: Invalid client secret "
                f"{SECRETS['AR_T_ENTRA_SECRET']} provided.",
            },
        )
        mock.add_passthru(fake.url)
        result = cli(demo.config_path, "sync", before=("--log-level", "debug"), code=5)
        cli(demo.config_path, "doctor", code=1)
    log_text = log_of(demo)
    assert "[redacted]" in log_text
    records = [json.loads(line) for line in log_text.splitlines()]
    assert {r.get("source") for r in records if r.get("event") == "sync"} >= {
        "leaky",
        "corp-ad",
        "cloud",
        "cloud-cert",
        "workspace",
    }
    for secret in secrets:
        assert secret not in log_text, secret
    assert "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0" not in log_text
    assert result.exit_code == 5


# ---------------------------------------------------------------------------- the audit actor
def test_the_audit_log_records_the_os_user_and_the_iso(demo):
    cli(demo.config_path, "sync", "--source", "ad")
    with demo.store() as store:
        last = audit.entries(store)[-1]
    assert (
        last.action == "sync" and last.actor == f"{getpass.getuser()} (ISO: {demo.config.iso.name})"
    )


# ---------------------------------------------------------------------------- create nothing
def test_a_config_with_nothing_to_store_creates_nothing(tmp_path):
    folder = tmp_path / "district"
    folder.mkdir()
    config = folder / "access-review.toml"
    config.write_text('[store]\npath = "access-review.db"\n', encoding="utf-8")
    sync = cli(config, "sync", code=2)
    assert "no [sources.NAME] tables are configured" in sync.output
    status = cli(config, "status", code=4)
    assert "no store yet" in status.output and "access-review sync" in status.output
    doctor = runner.invoke(app, ["doctor", "--config", str(config)])
    assert "not created yet" in doctor.output
    assert sorted(p.name for p in folder.iterdir()) == ["access-review.toml"]
    assert not os.path.exists(folder / "access-review.log")


def test_retries_and_throttling_waits_are_logged_per_source(tmp_path, monkeypatch):
    """Graph answers 429 with Retry-After once (https://learn.microsoft.com/graph/throttling):
    the log says so when it happens, and counts it in the source's sync line."""
    from connectors.entra.client import clear_token_cache
    from entra_fake import Fault, graph_error

    monkeypatch.setenv("AR_LOG_ENTRA_SECRET", "a-test-client-secret")
    clear_token_cache()
    folder = tmp_path / "d"
    folder.mkdir()
    config = folder / "access-review.toml"
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        t = small_tenant()
        t.install(mock)
        config.write_text(
            f'[store]\npath = "access-review.db"\n\n[sources.entra]\ntype = "entra"\n'
            f'tenant_id = "{t.tenant_id}"\nclient_id = "cid-0001"\n'
            'client_secret_env = "AR_LOG_ENTRA_SECRET"\n',
            encoding="utf-8",
        )
        status, headers, body = graph_error(429, "TooManyRequests", "Too many requests")
        # Top-level or inside a $batch, whichever way the connector lists users.
        t.faults.append(
            Fault("GET", r"^users\?", status, {**headers, "Retry-After": "0.01"}, body, times=1)
        )
        cli(config, "sync")
    text = (folder / "access-review.log").read_text(encoding="utf-8")
    assert re.search(
        r"WARNING .*entra: (GET /v1\.0/users: HTTP 429 TooManyRequests: Too many requests|"
        r"POST /v1\.0/\$batch: 1 listing\(s\) of the batch to send again); throttled, waiting 0\.0 s",
        text,
    ), text
    line = next(ln for ln in text.splitlines() if "sync entra: complete" in ln)
    assert re.search(
        r"\d+ requests, \d+ pages, 1 retries, throttled 1 time\(s\) \(waited 0\.0 s\)", line
    ), line
