"""E-mail delivery against a real SMTP server (aiosmtpd) over STARTTLS and implicit TLS,
with login; certificates are verified, a wrong password is one clear error."""

from email.message import EmailMessage

import pytest

from campaigns.mail import DeliveryError, send_messages, smtp_settings
from loopback import loopback_server_tls
from smtp_server import Inbox, login_checker, running_smtp_server

USER, PASSWORD = "mailer", "tls-test-password"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    return loopback_server_tls(tmp_path_factory.mktemp("smtp-tls"))


class RawInbox(Inbox):
    """Whether the session had logged in, the envelope's recipients and the bytes as sent."""

    def keep(self, session, envelope):
        return session.authenticated, envelope.rcpt_tos, envelope.content


@pytest.fixture(params=["starttls", "tls"])
def server(request, certificate):
    _, context = certificate
    inbox = RawInbox()
    if request.param == "starttls":
        tls = dict(tls_context=context, require_starttls=True)
    else:
        # aiosmtpd only counts STARTTLS as encryption for AUTH; this whole session is TLS.
        tls = dict(ssl_context=context, auth_require_tls=False)
    with running_smtp_server(
        inbox, authenticator=login_checker(USER, PASSWORD), auth_required=True, **tls
    ) as controller:
        yield request.param, controller.port, inbox


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
    assert [(auth, rcpts) for auth, rcpts, _ in inbox.messages] == [(True, ["dana@d.org"])] * 2
    assert b"Subject: Access review 2026Q4" in inbox.messages[0][2]


def test_an_untrusted_certificate_is_refused(server, monkeypatch):
    security, port, inbox = server
    settings = settings_for(security, port, monkeypatch)
    with pytest.raises(DeliveryError, match="CERTIFICATE_VERIFY_FAILED|certificate verify failed"):
        send_messages(settings, [message()])
    assert inbox.messages == []


def test_a_wrong_password_is_one_clear_error(server, certificate, monkeypatch):
    security, port, inbox = server
    settings = settings_for(security, port, monkeypatch, ca_file=certificate[0], password="wrong")  # noqa: S106 (the throw-away password of the SMTP server the test starts)
    with pytest.raises(DeliveryError, match=f"SMTP 127.0.0.1:{port}: login refused") as exc:
        send_messages(settings, [message()])
    assert "password" in exc.value.hint and "wrong" not in str(exc.value)
    assert inbox.messages == []


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
