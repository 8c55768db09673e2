"""E-mail delivery: review requests, reminders and escalations over SMTP.

Settings come from the config's ``[smtp]`` table::

    [smtp]
    host = "smtp.district.example.org"
    port = 587
    security = "starttls"        # starttls | tls (implicit, port 465) | none (a local relay)
    username = "access-review@district.example.org"   # optional: no login without it
    password_env = "ACCESS_REVIEW_SMTP_PASSWORD"      # or password_file (owner-only)
    from = "access-review@district.example.org"       # default: the ISO's address
    ca_file = "/etc/ssl/certs/district-ca.pem"        # optional: trust a district CA for the relay

Messages are built purely (``build_*``) and sent by ``send_messages`` over one connection.
"""
from __future__ import annotations

import html
import smtplib
import ssl
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, make_msgid
from pathlib import Path
from typing import Iterable, Mapping

from access_review.errors import AccessReviewError, ConfigError
from access_review.secrets import read_secret

from .items import Item

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


class DeliveryError(AccessReviewError):
    """The SMTP server refused or could not be reached. Nothing after the failure was sent."""

    exit_code = 5


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    sender: str
    username: str = ""
    password: str = ""
    timeout: float = 30.0
    ca_file: str | None = None

    def tls_context(self) -> ssl.SSLContext:
        """Certificates are always verified (hostname included); ``ca_file`` adds a district CA."""
        return ssl.create_default_context(cafile=self.ca_file)


def smtp_settings(section: Mapping, default_sender: str) -> SmtpSettings:
    if not section.get("host"):
        raise ConfigError("no [smtp] host in the config",
                          hint="add an [smtp] table (host, port, security), or use `campaign send --out DIR`")
    security = str(section.get("security", "starttls")).lower()
    if security not in ("starttls", "tls", "none"):
        raise ConfigError(f"[smtp] security {security!r} is not starttls, tls or none")
    port = section.get("port", 465 if security == "tls" else 587)
    if not isinstance(port, int) or isinstance(port, bool):
        raise ConfigError(f"[smtp] port {port!r} is not a number")
    username = str(section.get("username", ""))
    password = read_secret(dict(section), "password", source="smtp") if username else ""
    sender = str(section.get("from", default_sender) or "")
    if not sender:
        raise ConfigError("no sender address", hint="set [smtp] from, or [iso] email")
    ca_file = section.get("ca_file")
    if ca_file and not Path(ca_file).expanduser().exists():
        raise ConfigError(f"[smtp] ca_file {ca_file} does not exist")
    return SmtpSettings(str(section["host"]), port, security, sender, username, password,
                        float(section.get("timeout", 30)), str(Path(ca_file).expanduser()) if ca_file else None)


def send_messages(settings: SmtpSettings, messages: Iterable[EmailMessage]) -> int:
    """Send over one connection; returns how many were sent or raises DeliveryError."""
    messages = list(messages)
    if not messages:
        return 0
    call = f"SMTP {settings.host}:{settings.port}"
    sent = 0
    try:
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                      context=settings.tls_context())
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=settings.tls_context())
            if settings.username:
                client.login(settings.username, settings.password)
            for message in messages:
                client.send_message(message)
                sent += 1
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(f"{call}: login refused ({exc.smtp_code})",
                            hint="check [smtp] username and the password variable") from None
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"{call}: {exc} — {sent} of {len(messages)} message(s) sent",
                            hint="fix the server settings and run the command again (the reviewers "
                                 "listed before the failure may get the message twice)") from None
    return sent


def _message(sender: str, to: Iterable[str], subject: str, text: str, body_html: str) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1] if "@" in sender else None)
    msg.set_content(text)
    msg.add_alternative(body_html, subtype="html")
    return msg


def _html_paragraphs(paragraphs: list[str]) -> str:
    body = "".join(f"<p>{html.escape(p)}</p>" for p in paragraphs)
    return f"<!doctype html><html><body style=\"font-family:sans-serif\">{body}</body></html>"


def build_review_message(*, sender: str, reviewer_name: str, reviewer_email: str, quarter: str,
                         due: date, items: list[Item], workbook: Path, reminder: bool = False) -> EmailMessage:
    flagged = sum(1 for i in items if i.flagged)
    subject = (f"{'Reminder: ' if reminder else ''}Access review {quarter}: {len(items)} item(s), "
               f"due {due:%B %d}")
    paragraphs = [
        f"Dear {reviewer_name},",
        (f"This is a reminder: your access review for {quarter} still has {len(items)} undecided item(s)."
         if reminder else
         f"Please review who can reach the data you manage: {len(items)} item(s) for {quarter}."),
        f"{flagged} of them are flagged (highlighted in the workbook): please look at those first.",
        f"Please answer by {due:%A, %B %d, %Y}.",
        "How to answer: open the attached workbook, choose Keep or Revoke in the Decision column of "
        "each row, and write a short justification when you keep a highlighted row. Save it and "
        "reply to this e-mail with the workbook attached. You can answer part now and the rest later.",
        "Thank you — this review is how the district keeps confidential data limited to the people who need it.",
    ]
    msg = _message(sender, [formataddr((reviewer_name, reviewer_email))], subject,
                   "\n\n".join(paragraphs) + "\n", _html_paragraphs(paragraphs))
    msg.add_attachment(workbook.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1],
                       filename=workbook.name)
    return msg


def build_escalation_message(*, sender: str, iso_names: list[tuple[str, str]], quarter: str, due: date,
                             overdue: list[tuple[str, str, int, int]]) -> EmailMessage:
    """overdue: (reviewer name, e-mail, undecided items, flagged undecided)."""
    lines = [f"{name} <{email}>: {undecided} undecided item(s), {flagged} flagged"
             for name, email, undecided, flagged in overdue]
    paragraphs = [
        f"The access review {quarter} was due on {due:%B %d, %Y}. These reviewers have not finished:",
        *lines,
        "Please follow up with them, or close the campaign (`access-review campaign close`) to apply "
        "the configured default to the undecided items.",
    ]
    to = [formataddr((name, email)) for name, email in iso_names if email]
    if not to:
        raise ConfigError("no ISO e-mail address to escalate to", hint="set [iso] email (and alternate_email)")
    return _message(sender, to, f"Overdue access review {quarter}: {len(overdue)} reviewer(s)",
                    "\n\n".join(paragraphs) + "\n", _html_paragraphs(paragraphs))
