"""The session a personal link opens, kept in a cookie, and the CSRF token of its forms.

Both are signed with the link key (``campaigns.links``), each for its own purpose, so neither
can be forged without the key and neither can stand in for the other. Nothing is stored on
the server: every request re-checks that the link the session came from is still the
reviewer's link in force and that the campaign is open — so revoking or reissuing a link, or
closing the campaign, ends its sessions at once.

The cookie is HttpOnly, SameSite=Strict, and Secure (with the ``__Host-`` prefix) when the page
is served over TLS (https://developer.mozilla.org/en-US/docs/Web/HTTP/Cookies#cookie_prefixes).
A session lasts ``SESSION_HOURS``; the link itself works until the campaign closes.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from campaigns.links import b64, same, sign, unb64

SESSION_PURPOSE = b"access-review review session v1\x00"
CSRF_PURPOSE = b"access-review review form v1\x00"
SESSION_HOURS = 12
COOKIE_PLAIN = "review_session"
COOKIE_SECURE = (
    "__Host-review_session"  # the browser sets it only from https, for this host, path /
)


@dataclass(frozen=True)
class Session:
    campaign_id: int
    reviewer: str
    link_id: str
    session_id: str
    issued: int  # seconds since the epoch


def new_session(campaign_id: int, reviewer: str, link_id: str, now: float) -> Session:
    return Session(campaign_id, reviewer, link_id, secrets.token_urlsafe(16), int(now))


def write_session(key: bytes, s: Session) -> str:
    payload = (
        f"{s.campaign_id}.{b64(s.reviewer.encode('utf-8'))}.{s.link_id}.{s.session_id}.{s.issued}"
    )
    return f"{payload}.{sign(key, SESSION_PURPOSE, payload)}"


def read_session(key: bytes, text: str | None, now: float) -> Session | None:
    """The session in a cookie, or None: absent, malformed, not signed by ``key``, or expired."""
    if not text or len(text) > 400:
        return None
    parts = text.split(".")
    if len(parts) != 6 or not same(parts[5], sign(key, SESSION_PURPOSE, ".".join(parts[:5]))):
        return None
    try:
        s = Session(
            int(parts[0]), unb64(parts[1]).decode("utf-8"), parts[2], parts[3], int(parts[4])
        )
    except (ValueError, UnicodeDecodeError):
        return None
    if not (0 <= now - s.issued < SESSION_HOURS * 3600):
        return None
    return s


def csrf_token(key: bytes, s: Session) -> str:
    """The token every form of this session carries: tied to the session, so a page from
    another session (or another site) cannot post into this one."""
    return sign(key, CSRF_PURPOSE, s.session_id)


def csrf_ok(key: bytes, s: Session, token: str | None) -> bool:
    if not token:
        return False
    return same(token, csrf_token(key, s))
