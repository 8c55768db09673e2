"""`access-review doctor` checks SMTP (issue 19): it connects, starts TLS with the certificate
checked and logs in — against a real SMTP server (aiosmtpd) — and sends nothing. Each failure is
one line naming the cause, with the fix."""

from __future__ import annotations

import re

import pytest
from typer.testing import CliRunner

from access_review.cli import app
from loopback import free_port, loopback_server_tls
from smtp_server import Inbox, login_checker, running_smtp_server

USER, PASSWORD = "mailer", "doctor-test-password"
runner = CliRunner()


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return loopback_server_tls(tmp_path_factory.mktemp("smtp-tls"))


@pytest.fixture
def server(certificate):
    inbox = Inbox()
    with running_smtp_server(
        inbox,
        authenticator=login_checker(USER, PASSWORD),
        auth_required=True,
        tls_context=certificate[1],
        require_starttls=True,
    ) as controller:
        yield controller.port, inbox


def doctor(demo, monkeypatch, *, port, password=PASSWORD, ca_file=None, security="starttls"):
    monkeypatch.setenv("AR_DOCTOR_SMTP_PASSWORD", password)
    with demo.config_path.open("a", encoding="utf-8") as fh:
        fh.write(
            f'\n[smtp]\nhost = "127.0.0.1"\nport = {port}\nsecurity = "{security}"\nusername = "{USER}"\n'
            f'password_env = "AR_DOCTOR_SMTP_PASSWORD"\ntimeout = 5\n'
            + (f'ca_file = "{ca_file}"\n' if ca_file else "")
        )
    result = runner.invoke(
        app, ["doctor", "--config", str(demo.config_path)], env={"COLUMNS": "300"}
    )
    return result, [line for line in result.output.splitlines() if "smtp" in line or "fix:" in line]


def test_connect_tls_and_login_pass_and_nothing_is_sent(demo, server, certificate, monkeypatch):
    port, inbox = server
    result, lines = doctor(demo, monkeypatch, port=port, ca_file=certificate[0])
    assert result.exit_code == 0, result.output
    assert any(re.match(rf"ok\s+smtp: connect — 127.0.0.1:{port}", ln) for ln in lines), lines
    assert any(re.match(r"ok\s+smtp: STARTTLS — certificate trusted", ln) for ln in lines), lines
    assert any(
        re.match(rf"ok\s+smtp: login — as {USER} \(nothing was sent\)", ln) for ln in lines
    ), lines
    assert inbox.messages == []


@pytest.mark.parametrize(
    "case, expected, fix",
    [
        (
            "wrong password",
            "smtp: login — 127.0.0.1:{port} refused the login for mailer (535",
            "check [smtp] username and the password in password_env / password_file",
        ),
        (
            "untrusted certificate",
            "smtp: STARTTLS — the certificate of 127.0.0.1:{port} is not trusted "
            "(certificate verify failed: self-signed certificate)",
            "set [smtp] ca_file to the PEM of the CA that signed it",
        ),
        (
            "nothing listening",
            "smtp: connect — 127.0.0.1:{port} refused the connection",
            "check [smtp] host and port (587 for starttls, 465 for tls)",
        ),
        (
            "implicit TLS against a STARTTLS port",
            "smtp: connect over TLS — TLS with 127.0.0.1:{port} failed",
            'security = "tls" is implicit TLS (port 465)',
        ),
    ],
)
def test_each_failure_is_one_line_with_the_fix(
    demo, server, certificate, monkeypatch, case, expected, fix
):
    port, inbox = server
    kwargs = {"port": port, "ca_file": certificate[0]}
    if case == "wrong password":
        kwargs["password"] = "wrong"  # noqa: S105 (the throw-away server's wrong password, on purpose)
    elif case == "untrusted certificate":
        kwargs["ca_file"] = None
    elif case == "nothing listening":
        kwargs["port"] = free_port()
    else:
        kwargs["security"] = "tls"
    result, lines = doctor(demo, monkeypatch, **kwargs)
    assert result.exit_code == 1
    failing = [ln for ln in lines if ln.startswith("FAIL")]
    assert len(failing) == 1 and expected.format(port=kwargs["port"]) in failing[0], lines
    assert fix in lines[lines.index(failing[0]) + 1]
    assert "Traceback" not in result.output and inbox.messages == []
