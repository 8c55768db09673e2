"""E-mail delivery: review requests, reminders, escalations and "please fix" replies over SMTP.

Settings come from the config's ``[smtp]`` table::

    [smtp]
    host = "smtp.district.example.org"
    port = 587
    security = "starttls"        # starttls | tls (implicit, port 465) | none (a local relay)
    username = "access-review@district.example.org"   # optional: no login without it
    password_env = "ACCESS_REVIEW_SMTP_PASSWORD"      # or password_file (owner-only)
    from = "access-review@district.example.org"       # default: the ISO's address
    from_name = "Timothy Smith, Information Security Officer"   # default: built from [iso] name
    ca_file = "/etc/ssl/certs/district-ca.pem"        # optional: trust a district CA for the relay
    # allow_plaintext = true     # only with security = "none" and a username, on a lab relay

A login over ``security = "none"`` would send the password (and then the workbooks) in clear,
so it is refused unless ``allow_plaintext = true`` says it is meant — as the AD connector does
for ``ldap://``.

Messages are built purely (``build_*``) and sent by ``send_messages`` over one connection. Each
carries Date and Message-ID headers (RFC 5322 §3.6: Date is required, Message-ID expected) and
a From with the ISO's name, so it reads as coming from a person at the district. The HTML part
is a single-column table layout with inline styles — what Outlook's Word engine and Gmail both
render — with a summary box (how many, by when, what happens otherwise); the text part says the
same.
"""

from __future__ import annotations

import html
import re
import smtplib
import socket
import ssl
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid, parseaddr
from pathlib import Path
from typing import Callable, Iterable, Mapping, Sequence

from access_review.connector import Check
from access_review.errors import AccessReviewError, ConfigError
from access_review.secrets import read_secret
from access_review.settings_spec import REQUIRED, Setting, check_known

from . import wording
from .items import Item

# Every key of [smtp], with its default: read below, written by `access-review init`.
SMTP_SETTINGS = (
    Setting(
        "host",
        REQUIRED,
        "the district's mail relay or submission server",
        example="smtp.district.example.org",
    ),
    Setting("port", 587, "587 for starttls, 465 for tls (default: by security)"),
    Setting(
        "security",
        "starttls",
        "starttls | tls (implicit, port 465) | none (a local relay, no login)",
    ),
    Setting(
        "username",
        "",
        "the login, if the server wants one (no login without it)",
        example="access-review@district.example.org",
    ),
    Setting(
        "password_env",
        None,
        "environment variable holding its password (this or password_file)",
        example="ACCESS_REVIEW_SMTP_PASSWORD",
    ),
    Setting(
        "password_file",
        None,
        "a file only you can read holding it",
        example="/etc/access-review/smtp-password",
        alternative_to="password_env",
    ),
    Setting(
        "from",
        None,
        "the sender address (default: [iso] email)",
        example="access-review@district.example.org",
    ),
    Setting(
        "from_name",
        None,
        "the sender's name (default: the ISO's name and title)",
        example="Timothy Smith, Information Security Officer",
    ),
    Setting(
        "ca_file",
        None,
        "PEM of a district CA that signed the server's certificate (default: the system's CAs)",
        example="/etc/ssl/certs/district-ca.pem",
    ),
    Setting("timeout", 30, "seconds to wait for the server"),
    Setting(
        "allow_plaintext",
        False,
        "a login over security = none sends the password in clear: a lab relay only",
    ),
)

XLSX_TYPE = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")
ISO_TITLE = "Information Security Officer"


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
    sender_name: str = ""

    def tls_context(self) -> ssl.SSLContext:
        """Certificates are always verified (hostname included); ``ca_file`` adds a district CA."""
        return ssl.create_default_context(cafile=self.ca_file)

    @property
    def from_header(self) -> str:
        return address(self.sender_name, self.sender) if self.sender_name else self.sender


def sender_name_for(iso_name: str) -> str:
    """ "Timothy Smith, Information Security Officer" (the title alone when no name is set)."""
    name = (iso_name or "").strip()
    if not name or name.lower() == ISO_TITLE.lower():
        return ISO_TITLE
    return f"{name}, {ISO_TITLE}"


def smtp_settings(section: Mapping, default_sender: str, iso_name: str = "") -> SmtpSettings:
    check_known("[smtp]", section, SMTP_SETTINGS, also=())
    if not section.get("host"):
        raise ConfigError(
            "no [smtp] host in the config",
            hint="add an [smtp] table (host, port, security), or use `campaign send --out DIR`",
        )
    security = str(section.get("security", "starttls")).lower()
    if security not in ("starttls", "tls", "none"):
        raise ConfigError(f"[smtp] security {security!r} is not starttls, tls or none")
    port = section.get("port", 465 if security == "tls" else 587)
    if not isinstance(port, int) or isinstance(port, bool):
        raise ConfigError(f"[smtp] port {port!r} is not a number")
    username = str(section.get("username", ""))
    allow_plaintext = section.get("allow_plaintext", False)
    if not isinstance(allow_plaintext, bool):
        raise ConfigError(f"[smtp] allow_plaintext {allow_plaintext!r} is not true or false")
    if security == "none" and username and not allow_plaintext:
        raise ConfigError(
            '[smtp] security = "none" with a username would send the password and the workbooks'
            " unencrypted",
            hint='use security = "starttls" or "tls"; allow_plaintext = true is for a lab relay only',
        )
    password = read_secret(dict(section), "password", source="smtp") if username else ""
    sender = str(section.get("from", default_sender) or "")
    if not sender:
        raise ConfigError("no sender address", hint="set [smtp] from, or [iso] email")
    ca_file = section.get("ca_file")
    if ca_file and not Path(ca_file).expanduser().exists():
        raise ConfigError(f"[smtp] ca_file {ca_file} does not exist")
    sender_name = str(section.get("from_name", "") or sender_name_for(iso_name))
    return SmtpSettings(
        str(section["host"]),
        port,
        security,
        sender,
        username,
        password,
        float(section.get("timeout", 30)),
        str(Path(ca_file).expanduser()) if ca_file else None,
        sender_name,
    )


def connect(settings: SmtpSettings) -> smtplib.SMTP:
    """A connection to the server, over TLS from the first byte when security is "tls";
    otherwise plain, for the caller to upgrade with STARTTLS (or not, when allowed)."""
    if settings.security == "tls":
        return smtplib.SMTP_SSL(
            settings.host, settings.port, timeout=settings.timeout, context=settings.tls_context()
        )
    return smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)


def send_messages(
    settings: SmtpSettings,
    messages: Iterable[EmailMessage],
    on_sent: Callable[[int], None] | None = None,
) -> int:
    """Send over one connection; returns how many were sent or raises DeliveryError.
    ``on_sent(index)`` is called after each message the server accepted, so the caller can
    record it even when a later one fails."""
    messages = list(messages)
    if not messages:
        return 0
    call = f"SMTP {settings.host}:{settings.port}"
    sent = 0
    try:
        with connect(settings) as client:
            if settings.security == "starttls":
                client.starttls(context=settings.tls_context())
            if settings.username:
                client.login(settings.username, settings.password)
            for index, message in enumerate(messages):
                client.send_message(message)
                sent += 1
                if on_sent is not None:
                    on_sent(index)
    except smtplib.SMTPAuthenticationError as exc:
        raise DeliveryError(
            f"{call}: login refused ({exc.smtp_code})",
            hint="check [smtp] username and the password variable",
        ) from None
    except (smtplib.SMTPException, OSError) as exc:
        what, fix = explain_smtp_failure(exc, settings)
        raise DeliveryError(
            f"{call}: {what} — {sent} of {len(messages)} message(s) sent",
            hint=f"{fix}, then run the command again: the messages already sent are recorded"
            " and not sent twice",
        ) from None
    return sent


def explain_smtp_failure(exc: BaseException, settings: SmtpSettings) -> tuple[str, str]:
    """(what happened, what to do) for a failed SMTP connection, in words."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, ssl.SSLCertVerificationError):
        return (
            f"the certificate of {where} is not trusted (certificate verify failed: {exc.verify_message})",
            "set [smtp] ca_file to the PEM of the CA that signed it (a district CA), or have the relay use"
            " a publicly trusted certificate"
            if "self" in (exc.verify_message or "") or "issuer" in (exc.verify_message or "")
            else "check [smtp] host: it must be the name on the server's certificate",
        )
    if isinstance(exc, ssl.SSLError):
        return (
            f"TLS with {where} failed ({exc.reason or exc})",
            'security = "tls" is implicit TLS (port 465); security = "starttls" upgrades a plain '
            "connection (port 587): use the one the server speaks",
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return (
            f"{where} does not offer {'STARTTLS' if 'STARTTLS' in str(exc).upper() else 'login'} ({exc})",
            'use security = "tls" on port 465, or the relay\'s submission port',
        )
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return (
            f"{where} refused the login for {settings.username} ({exc.smtp_code} "
            f"{exc.smtp_error.decode(errors='replace') if isinstance(exc.smtp_error, bytes) else exc.smtp_error})",
            "check [smtp] username and the password in password_env / password_file",
        )
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return (
            f"{where} closed the connection ({exc or 'no reason given'})",
            "check [smtp] port and security: a TLS port answers nothing to a plain connection",
        )
    if isinstance(exc, (socket.timeout, TimeoutError)):
        return (
            f"{where} did not answer within {settings.timeout:.0f} s",
            "check [smtp] host and port, and that a firewall lets this machine reach it",
        )
    if isinstance(exc, ConnectionRefusedError):
        return (
            f"{where} refused the connection",
            "check [smtp] host and port (587 for starttls, 465 for tls)",
        )
    if isinstance(exc, socket.gaierror):
        return (f"{settings.host} is not a known host name ({exc.strerror})", "check [smtp] host")
    return (f"{where}: {exc}", "check the [smtp] settings")


def check_smtp(settings: SmtpSettings) -> list[Check]:
    """`access-review doctor`: connect, TLS (certificate checked), log in — and send nothing."""
    where = f"{settings.host}:{settings.port}"
    checks: list[Check] = []

    def failed(step: str, exc: BaseException) -> list[Check]:
        what, fix = explain_smtp_failure(exc, settings)
        return checks + [Check(f"smtp: {step}", False, what, fix)]

    try:
        client = connect(settings)
    except (smtplib.SMTPException, OSError) as exc:
        return failed("connect" if settings.security != "tls" else "connect over TLS", exc)
    with client:
        checks.append(
            Check(
                "smtp: connect",
                True,
                where + (" over TLS, certificate trusted" if settings.security == "tls" else ""),
            )
        )
        if settings.security == "starttls":
            try:
                client.starttls(context=settings.tls_context())
            except (smtplib.SMTPException, OSError) as exc:
                return failed("STARTTLS", exc)
            checks.append(Check("smtp: STARTTLS", True, "certificate trusted"))
        elif settings.security == "none":
            checks.append(
                Check("smtp: encryption", True, 'none (security = "none": a local relay)')
            )
        if settings.username:
            try:
                client.login(settings.username, settings.password)
            except (smtplib.SMTPException, OSError) as exc:
                return failed("login", exc)
            checks.append(Check("smtp: login", True, f"as {settings.username} (nothing was sent)"))
        else:
            checks.append(
                Check("smtp: login", True, "no username set: the relay is used without one")
            )
    return checks


def signed_by(sender: str) -> str:
    """ "Timothy Smith, Information Security Officer (ar@d.org)" from a From header."""
    name, addr = parseaddr(sender)
    return f"{name} ({addr})" if name else addr


def header_text(text: str) -> str:
    """A name or subject from data, fit for a header: a line break would be a header injection
    (the email package refuses it with ValueError) and an escape code has no business there."""
    return re.sub(r"[\x00-\x1f\x7f-\x9f]+", " ", text).strip()


def address(name: str, email: str) -> str:
    return formataddr((header_text(name), header_text(email)))


def _message(
    sender: str, to: Iterable[str], subject: str, text: str, body_html: str
) -> EmailMessage:
    subject = header_text(subject)
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = ", ".join(to)
    msg["Subject"] = subject
    msg["Date"] = formatdate(localtime=True)
    address = sender.rsplit("<", 1)[-1].rstrip(">")
    msg["Message-ID"] = make_msgid(domain=address.rsplit("@", 1)[-1] if "@" in address else None)
    msg.set_content(text)
    msg.add_alternative(body_html, subtype="html")
    return msg


# ---------------------------------------------------------------- the HTML layout

FONT = "font-family:Arial,Helvetica,sans-serif;"
NAVY, RED = "#1f4e78", "#9b1c1c"


def _p(text: str, style: str = "") -> str:
    return f'<p style="margin:0 0 14px 0;{style}">{html.escape(text)}</p>'


def _button(label: str, url: str) -> str:
    """A link that looks like a button in Outlook and Gmail alike: a padded table cell holding
    an <a> (Outlook's Word engine ignores padding on links), with the address written out below
    for any client that shows no buttons."""
    return (
        f'<table role="presentation" cellpadding="0" cellspacing="0" border="0" style="margin:0 0 8px 0;">'
        f'<tr><td style="background:{NAVY};padding:12px 20px;">'
        f'<a href="{html.escape(url, quote=True)}" style="{FONT}font-size:17px;font-weight:bold;color:#ffffff;'
        f'text-decoration:none;">{html.escape(label)}</a></td></tr></table>'
        f'<p style="margin:0 0 18px 0;font-size:13px;line-height:18px;color:#4b5563;word-break:break-all;">'
        f"{html.escape(url)}</p>"
    )


def html_layout(
    *,
    title: str,
    greeting: str,
    intro: Sequence[str],
    summary: Sequence[tuple[str, bool]],
    steps_title: str,
    steps: Sequence[str],
    closing: Sequence[str],
    footer: str,
    action: tuple[str, str] | None = None,
) -> str:
    """One column, 600 px, tables and inline styles only (Outlook renders HTML mail with Word,
    which ignores most CSS; Gmail drops <style> in some clients), with a summary box.
    ``summary``: (line, emphasised) — an emphasised line is bold, and red when it says overdue.
    ``action``: (label, url) — the reviewer's personal link, as a button under the box."""
    box = "".join(
        f'<p style="margin:0 0 8px 0;font-size:{18 if i == 0 else 16}px;line-height:24px;'
        f"{'font-weight:bold;' if strong or i == 0 else ''}"
        f'{"color:" + RED + ";" if strong and "overdue" in line.lower() else ""}">{html.escape(line)}</p>'
        for i, (line, strong) in enumerate(summary)
    )
    steps_html = "".join(f'<li style="margin:0 0 8px 0;">{html.escape(s)}</li>' for s in steps)
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title></head>
<body style="margin:0;padding:0;background:#f3f4f6;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#f3f4f6;">
<tr><td align="center" style="padding:24px 12px;">
<table role="presentation" width="600" cellpadding="0" cellspacing="0" border="0"
 style="width:600px;max-width:100%;background:#ffffff;border:1px solid #d1d5db;">
<tr><td style="padding:18px 24px;background:{NAVY};color:#ffffff;{FONT}font-size:22px;line-height:28px;font-weight:bold;">
<h1 style="margin:0;font-size:22px;line-height:28px;color:#ffffff;{FONT}">{html.escape(title)}</h1></td></tr>
<tr><td style="padding:24px;{FONT}font-size:16px;line-height:24px;color:#111827;">
{_p(greeting)}{"".join(_p(x) for x in intro)}
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0"
 style="width:100%;border:2px solid {NAVY};background:#eef4fa;margin:0 0 18px 0;">
<tr><td style="padding:16px 18px;{FONT}color:#111827;">{box}</td></tr></table>
{_button(*action) if action else ""}
<h2 style="margin:0 0 10px 0;font-size:18px;line-height:24px;color:{NAVY};{FONT}">{html.escape(steps_title)}</h2>
<ol style="margin:0 0 16px 0;padding-left:22px;">{steps_html}</ol>
{"".join(_p(x) for x in closing)}
</td></tr>
<tr><td style="padding:14px 24px;background:#f9fafb;border-top:1px solid #e5e7eb;{FONT}font-size:13px;line-height:20px;color:#4b5563;">
{html.escape(footer)}</td></tr>
</table></td></tr></table></body></html>
"""


def _text(
    greeting: str,
    intro: Sequence[str],
    summary: Sequence[tuple[str, bool]],
    steps_title: str,
    steps: Sequence[str],
    closing: Sequence[str],
    footer: str,
    action: tuple[str, str] | None = None,
) -> str:
    lines = [greeting, "", *[x for p in intro for x in (p, "")]]
    lines += ["  " + line for line, _ in summary] + [""]
    if action:
        lines += [f"{action[0]}:", action[1], ""]
    lines += [steps_title + ":"] + [f"  {n}. {s}" for n, s in enumerate(steps, 1)] + [""]
    lines += [x for p in closing for x in (p, "")]
    return "\n".join(lines + ["-- ", footer, ""])


# ---------------------------------------------------------------- the messages

REVIEW_LINK_LABEL = "Open your review"


def web_steps(flagged: int) -> list[str]:
    """How to answer on the web review page (the e-mail's button is the personal link)."""
    return [
        'Select "Open your review" above. It works on a phone or a computer; the link is yours alone, '
        "so please do not forward it.",
        "For each person choose Keep or Revoke. Each answer is saved as soon as you give it.",
        *(
            ["If you keep a flagged item, write a short reason in the box under it."]
            if flagged
            else []
        ),
        "You can stop and come back with the same link; you can change an answer until the review closes.",
        "If you prefer a spreadsheet, the attached workbook works too: choose Keep or Revoke in its Decision "
        "column and reply with it attached.",
    ]


def answer_steps(flagged: int) -> list[str]:
    return [
        "Open the attached workbook and go to the Review sheet.",
        "In the Decision column choose Keep or Revoke for each row.",
        *(
            [
                "If you keep a highlighted (flagged) row, write a short reason in the Justification column."
            ]
            if flagged
            else []
        ),
        "Save it and reply to this e-mail with the workbook attached. You can answer part now and the rest "
        "later.",
    ]


def due_line(due: date, today: date | None) -> tuple[str, bool]:
    """ "Please answer by …", or, once past it, how overdue (the emphasised summary line)."""
    if today is not None and today > due:
        days = (today - due).days
        return (
            f"Overdue by {wording.plural(days, 'day')}: it was due on {due:%A, %B %d, %Y}.",
            True,
        )
    return (f"Please answer by {due:%A, %B %d, %Y}.", True)


def build_review_message(
    *,
    sender: str,
    reviewer_name: str,
    reviewer_email: str,
    quarter: str,
    due: date,
    items: list[Item],
    workbook: Path,
    reminder: bool = False,
    default_decision: str = "none",
    today: date | None = None,
    attachment_name: str | None = None,
    review_link: str = "",
) -> EmailMessage:
    """``review_link``: the reviewer's personal link to the web review page ("" when [web]
    base_url is not set: the workbook alone)."""
    flagged = sum(1 for i in items if i.flagged)
    overdue = today is not None and today > due
    # No parentheses in a subject: Python's email folding moves a long one carrying them whole
    # onto a continuation line, which some readers show with a leading space.
    prefix = (
        ("Reminder, overdue: " if overdue else "Reminder: ")
        if reminder
        else ("Overdue: " if overdue else "")
    )
    subject = (
        f"{prefix}Access review {quarter}: {wording.plural(len(items), 'item')}, due {due:%B %d}"
    )
    if reminder:
        intro = [
            f"This is a reminder: your access review for {quarter} still has {len(items)} undecided item(s)."
        ]
    else:
        intro = [
            f"Please review who can reach the data you manage: {len(items)} item(s) for {quarter}."
        ]
    summary = [(f"{len(items)} item(s) to review", True)]
    if flagged:
        where = "listed first on your review page" if review_link else "highlighted in the workbook"
        summary.append(
            (f"{flagged} of them are flagged ({where}): please look at those first.", False)
        )
    summary.append(due_line(due, today))
    summary.append((wording.default_text(default_decision), False))
    closing = [
        "Thank you — this review is how the district keeps confidential data limited to the people "
        "who need it."
    ]
    footer = f"Sent for the {quarter} access review by {signed_by(sender)}. Questions: reply to this e-mail."
    greeting = f"Dear {reviewer_name},"
    steps = web_steps(flagged) if review_link else answer_steps(flagged)
    action = (REVIEW_LINK_LABEL, review_link) if review_link else None
    text = _text(greeting, intro, summary, "How to answer", steps, closing, footer, action)
    body = html_layout(
        title=f"Access review {quarter}",
        greeting=greeting,
        intro=intro,
        summary=summary,
        steps_title="How to answer (Keep or Revoke)",
        steps=steps,
        closing=closing,
        footer=footer,
        action=action,
    )
    msg = _message(sender, [address(reviewer_name, reviewer_email)], subject, text, body)
    msg.add_attachment(
        workbook.read_bytes(),
        maintype=XLSX_TYPE[0],
        subtype=XLSX_TYPE[1],
        filename=attachment_name or workbook.name,
    )
    return msg


def build_rejection_message(
    *,
    sender: str,
    reviewer_name: str,
    reviewer_email: str,
    quarter: str,
    due: date,
    problems: Sequence[str],
    workbook: Path,
    today: date | None = None,
) -> EmailMessage:
    """The reply to a returned workbook that could not be accepted: every problem at once, and
    the workbook attached again to fix and send back."""
    n = len(problems)
    subject = f"Access review {quarter}: please fix {wording.plural(n, 'thing')} in your workbook and send it again"
    intro = [
        f"Thank you for returning your workbook. It could not be accepted yet, so none of its answers "
        f"have been recorded: {'one thing needs' if n == 1 else f'{n} things need'} fixing first."
    ]
    summary = [(f"{wording.plural(n, 'thing')} to fix", True), due_line(due, today)]
    steps = [*problems, "Save the workbook and reply to this e-mail with it attached."]
    closing = ["Your other answers are kept in the workbook; only the rows above need a change."]
    footer = f"Sent for the {quarter} access review by {signed_by(sender)}. Questions: reply to this e-mail."
    greeting = f"Dear {reviewer_name},"
    text = _text(greeting, intro, summary, "What to fix", steps, closing, footer)
    body = html_layout(
        title=f"Access review {quarter}: please fix and resend",
        greeting=greeting,
        intro=intro,
        summary=summary,
        steps_title="What to fix",
        steps=steps,
        closing=closing,
        footer=footer,
    )
    msg = _message(sender, [address(reviewer_name, reviewer_email)], subject, text, body)
    msg.add_attachment(
        workbook.read_bytes(), maintype=XLSX_TYPE[0], subtype=XLSX_TYPE[1], filename=workbook.name
    )
    return msg


def build_escalation_message(
    *,
    sender: str,
    iso_names: list[tuple[str, str]],
    quarter: str,
    due: date,
    overdue: list[tuple[str, str, int, int]],
    default_decision: str = "none",
    today: date | None = None,
) -> EmailMessage:
    """overdue: (reviewer name, e-mail, undecided items, flagged undecided)."""
    lines = [
        f"{name} <{email}>: {undecided} undecided item(s), {flagged} flagged"
        for name, email, undecided, flagged in overdue
    ]
    intro = [
        f"The access review {quarter} was due on {due:%B %d, %Y}. These reviewers have not finished:"
    ]
    summary = [
        (f"{len(overdue)} reviewer(s) overdue", True),
        *[(line, False) for line in lines],
        (wording.default_text(default_decision), False),
    ]
    steps = [
        "Follow up with them (a reminder went out with this message).",
        "Or close the campaign (`access-review campaign close`): it lists every unanswered item per "
        "reviewer and asks for --yes before recording them as not answered.",
    ]
    footer = f"Sent for the {quarter} access review by {signed_by(sender)}."
    greeting = "Hello,"
    text = _text(greeting, intro, summary, "What you can do", steps, [], footer)
    body = html_layout(
        title=f"Overdue access review {quarter}",
        greeting=greeting,
        intro=intro,
        summary=summary,
        steps_title="What you can do",
        steps=steps,
        closing=[],
        footer=footer,
    )
    to = [address(name, email) for name, email in iso_names if email]
    if not to:
        raise ConfigError(
            "no ISO e-mail address to escalate to", hint="set [iso] email (and alternate_email)"
        )
    return _message(
        sender,
        to,
        f"Overdue access review {quarter}: {wording.plural(len(overdue), 'reviewer')}",
        text,
        body,
    )
