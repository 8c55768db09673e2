"""A real SMTP server for the e-mail tests: aiosmtpd on a free loopback port, and the inbox that
keeps what it accepted."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default as default_policy
from typing import Any, Iterator

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from loopback import free_port


def parse_message(content: bytes) -> EmailMessage:
    """A received message as the modern email API reads it (get_body, get_content)."""
    return message_from_bytes(content, policy=default_policy)


class Inbox:
    """aiosmtpd's handler: what the server accepted, in order. The server answers in its own
    thread, hence the lock. Each message is kept parsed; a test that needs more of the session
    or the envelope overrides ``keep``."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.lock = threading.Lock()
        self.port = 0  # set by the fixture once the server listens

    def keep(self, session: Any, envelope: Any) -> Any:
        return parse_message(envelope.content)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        kept = self.keep(session, envelope)
        with self.lock:
            self.messages.append(kept)
        return "250 OK"

    def take(self) -> list[Any]:
        """What arrived since the last take."""
        with self.lock:
            taken, self.messages = self.messages, []
        return taken


class InboxWithRecipients(Inbox):
    """Keeps (envelope recipients, parsed message): who the server was told to deliver to, which
    may differ from the To header."""

    def keep(self, session: Any, envelope: Any) -> Any:
        return envelope.rcpt_tos, parse_message(envelope.content)


def login_checker(user: str, password: str) -> Any:
    """An aiosmtpd authenticator that accepts LOGIN/PLAIN with this one user and password."""

    def check(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> Any:
        return AuthResult(
            handled=False,
            success=isinstance(auth_data, LoginPassword)
            and (auth_data.login, auth_data.password) == (user.encode(), password.encode()),
        )

    return check


@contextmanager
def running_smtp_server(handler: Any, **options: Any) -> Iterator[Controller]:
    """An SMTP server on a free loopback port (aiosmtpd's Controller ``options``: TLS,
    authentication), stopped on the way out."""
    controller = Controller(handler, hostname="127.0.0.1", port=free_port(), **options)
    controller.start()
    try:
        yield controller
    finally:
        controller.stop()
