"""E-mail delivery against a real SMTP server (aiosmtpd) over STARTTLS and implicit TLS,
with login; certificates are verified, a wrong password is one clear error."""

import socket
import ssl
import subprocess
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from campaigns.mail import DeliveryError, send_messages, smtp_settings

USER, PASSWORD = "mailer", "tls-test-password"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    folder = tmp_path_factory.mktemp("smtp-tls")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(  # noqa: S603 (openssl from PATH with arguments the test builds)
        [  # noqa: S607 (openssl from PATH with arguments the test builds)
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context


class Inbox:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((session.authenticated, envelope.rcpt_tos, envelope.content))
        return "250 OK"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def check_login(server, session, envelope, mechanism, auth_data):
    return AuthResult(
        handled=False,
        success=isinstance(auth_data, LoginPassword)
        and (auth_data.login, auth_data.password) == (USER.encode(), PASSWORD.encode()),
    )


@pytest.fixture(params=["starttls", "tls"])
def server(request, certificate):
    _, context = certificate
    inbox = Inbox()
    kwargs = dict(
        hostname="127.0.0.1", port=free_port(), authenticator=check_login, auth_required=True
    )
    if request.param == "starttls":
        controller = Controller(inbox, tls_context=context, require_starttls=True, **kwargs)
    else:
        # aiosmtpd only counts STARTTLS as encryption for AUTH; this whole session is TLS.
        controller = Controller(inbox, ssl_context=context, auth_require_tls=False, **kwargs)
    controller.start()
    yield request.param, controller.port, inbox
    controller.stop()


def message():
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "ar@d.org", "dana@d.org", "Access review 2026Q4"
    msg.set_content("hello")
    return msg


def settings_for(security, port, monkeypatch, *, ca_file=None, password=PASSWORD):
    monkeypatch.setenv("SMTP_TEST_PASSWORD", password)
    section = {
        "host": "127.0.0.1",
        "port": port,
        "security": security,
        "username": USER,
        "password_env": "SMTP_TEST_PASSWORD",
        "timeout": 10,
    }
    if ca_file:
        section["ca_file"] = str(ca_file)
    return smtp_settings(section, "ar@d.org")


def test_messages_are_delivered_over_tls_with_login(server, certificate, monkeypatch):
    security, port, inbox = server
    settings = settings_for(security, port, monkeypatch, ca_file=certificate[0])
    assert send_messages(settings, [message(), message()]) == 2
    assert [(auth, rcpts) for auth, rcpts, _ in inbox.received] == [(True, ["dana@d.org"])] * 2
    assert b"Subject: Access review 2026Q4" in inbox.received[0][2]


def test_an_untrusted_certificate_is_refused(server, monkeypatch):
    security, port, inbox = server
    settings = settings_for(security, port, monkeypatch)
    with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        send_messages(settings, [message()])
    assert inbox.received == []


def test_a_wrong_password_is_one_clear_error(server, certificate, monkeypatch):
    security, port, inbox = server
    settings = settings_for(security, port, monkeypatch, ca_file=certificate[0], password="wrong")  # noqa: S106 (the throw-away password of the SMTP server the test starts)
    with pytest.raises(DeliveryError, match=f"SMTP 127.0.0.1:{port}: login refused") as exc:
        send_messages(settings, [message()])
    assert "password" in exc.value.hint and "wrong" not in str(exc.value)
    assert inbox.received == []


def test_smtp_settings_are_checked():
    from access_review.errors import ConfigError, SecretError

    with pytest.raises(ConfigError, match="no \\[smtp\\] host"):
        smtp_settings({}, "a@d.org")
    with pytest.raises(ConfigError, match="security 'ssl'"):
        smtp_settings({"host": "h", "security": "ssl"}, "a@d.org")
    with pytest.raises(SecretError, match="password must not be written in the config"):
        smtp_settings({"host": "h", "username": "u", "password": "plain"}, "a@d.org")
    assert smtp_settings({"host": "h", "security": "tls"}, "a@d.org").port == 465
    assert smtp_settings({"host": "h"}, "a@d.org").port == 587
