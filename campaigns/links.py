"""Each reviewer's personal link to the web review page (issue 17).

A link names one campaign, one reviewer and one link id, and carries an HMAC-SHA256 signature
under the **link key**, a secret kept apart from the store (like the audit key): whoever can
read the store sees link ids but cannot make a working link from them. The store keeps which
link is in force for each reviewer, so a link can be revoked, or replaced by a new one
(``campaign links --reissue REVIEWER``), and it works only while the campaign is open — it
expires when the campaign closes.

Where the key comes from, in this order (the ``[web]`` table):

- ``link_key_env = "VARIABLE"``: the key itself in an environment variable (32+ characters);
- ``link_key_file = "path"``: a file readable only by its owner (relative to the config);
- otherwise ``$XDG_CONFIG_HOME/access-review/link.key`` (``~/.config/...``), created owner-only
  the first time a link is made. ``campaign send`` and ``serve`` must run as the same account
  (or name the same key), else every link is refused as not valid.

A token reads ``<campaign>.<reviewer, base64url>.<link id>.<signature>``: URL-safe, about 90
characters, nothing confidential in it but the reviewer's key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping
from urllib.parse import urlsplit

from access_review.errors import AccessReviewError, ConfigError, SecretError
from access_review.key_file import default_key_path as _key_path
from access_review.key_file import key_settings, read_env_key, read_key_file

from .store import Campaign, CampaignStore, LinkRecord

DEFAULT_KEY_NAME = "link.key"
LINK_PURPOSE = b"access-review review link v1\x00"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")


class LinkKeyError(SecretError):
    """The link key is missing, unreadable or too short."""


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(key: bytes, purpose: bytes, payload: str) -> str:
    """The URL-safe HMAC-SHA256 of ``payload`` for one purpose (link, session, form)."""
    return b64(hmac.new(key, purpose + payload.encode("utf-8"), hashlib.sha256).digest())


def same(a: str, b: str) -> bool:
    """Constant-time comparison of two signatures, whatever characters they hold."""
    return hmac.compare_digest(
        a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    )


def default_key_path() -> Path:
    return _key_path(DEFAULT_KEY_NAME)


@dataclass(frozen=True)
class LinkKeySource:
    env: str | None = None
    file: Path | None = None

    @classmethod
    def from_settings(cls, section: Mapping[str, Any]) -> "LinkKeySource":
        """From the config's ``[web]`` table (``link_key_file`` already resolved against the config)."""
        env, file = key_settings(
            section,
            table="web",
            name="link_key",
            what="link key",
            error=LinkKeyError,
            default=default_key_path(),
        )
        return cls(env=env, file=file)

    def load(self) -> bytes:
        """The key; a key file that does not exist yet is created (owner-only, random)."""
        if self.env:
            return read_env_key(
                self.env,
                "link key",
                error=LinkKeyError,
                hint=f"export {self.env}=$(python3 -c 'import secrets; print(secrets.token_hex(32))')",
            )
        return read_key_file(
            self.file or default_key_path(),
            "link key",
            create=True,
            error=LinkKeyError,
            hint="delete it and run `campaign links --reissue` for every reviewer",
        )


def link_key(config) -> bytes:
    return LinkKeySource.from_settings(config.section("web")).load()


# ---------------------------------------------------------------- tokens


@dataclass(frozen=True)
class LinkToken:
    campaign_id: int
    reviewer: str
    link_id: str


def build_token(key: bytes, campaign_id: int, reviewer: str, link_id: str) -> str:
    payload = f"{campaign_id}.{b64(reviewer.encode('utf-8'))}.{link_id}"
    return f"{payload}.{sign(key, LINK_PURPOSE, payload)}"


def read_token(key: bytes, token: str) -> LinkToken | None:
    """The link a token names, or None when it is malformed or not signed by ``key`` (tampered,
    truncated, or made by another installation)."""
    if len(token) > 400:
        return None
    parts = token.split(".")
    if len(parts) != 4:
        return None
    campaign, reviewer, link_id, signature = parts
    if not same(signature, sign(key, LINK_PURPOSE, ".".join(parts[:3]))):
        return None
    try:
        return LinkToken(int(campaign), unb64(reviewer).decode("utf-8"), link_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


# ---------------------------------------------------------------- what a link opens


class LinkRefused(AccessReviewError):
    """A link that opens nothing; ``kind`` says which page the reviewer sees:
    invalid | replaced | revoked | closed | not_open."""

    def __init__(self, kind: str, message: str, campaign: Campaign | None = None):
        super().__init__(message)
        self.kind, self.campaign = kind, campaign


@dataclass(frozen=True)
class LinkGrant:
    campaign: Campaign
    reviewer: str
    link_id: str


def check_link(cstore: CampaignStore, token: LinkToken | None) -> LinkGrant:
    """What a (signature-checked) link opens, or LinkRefused: it must be the reviewer's link in
    force, for a reviewer of that campaign, and the campaign must be open."""
    if token is None:
        raise LinkRefused("invalid", "the link is not valid")
    record = cstore.link(token.campaign_id, token.link_id)
    if record is None or record.reviewer != token.reviewer:
        raise LinkRefused("invalid", "no such link")
    campaign = cstore.get(token.campaign_id)
    if not record.active:
        kind = "replaced" if record.revoked_reason == "reissued" else "revoked"
        raise LinkRefused(kind, f"the link was {kind}", campaign)
    if campaign.state == "draft":
        raise LinkRefused("not_open", "the review has not started", campaign)
    if campaign.state != "open":
        raise LinkRefused("closed", "the review has closed", campaign)
    return LinkGrant(campaign, record.reviewer, record.link_id)


# ---------------------------------------------------------------- issuing and revoking


def base_url(config) -> str:
    """``[web] base_url``, checked: https, or http only for this machine (the demo); "" when unset."""
    url = str(config.section("web").get("base_url", "") or "").strip().rstrip("/")
    if not url:
        return ""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise ConfigError(f"[web] base_url {url!r} is not like https://review.district.example.org")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise ConfigError(
            f"[web] base_url {url!r} is plain http: review links would travel in clear",
            hint="use https:// (the server's TLS, or the reverse proxy in front of it)",
        )
    if parts.query or parts.fragment:
        raise ConfigError(f"[web] base_url {url!r} must not have a query or fragment")
    return url


def link_url(base: str, token: str) -> str:
    return f"{base}/r/{token}"


def ensure_link(
    cstore: CampaignStore, campaign: Campaign, reviewer: str, issued_by: str
) -> tuple[LinkRecord, bool]:
    """The reviewer's link in force, issued now if they have none. (record, newly issued)."""
    record = cstore.active_link(campaign.id, reviewer)
    if record is not None:
        return record, False
    return cstore.issue_link(campaign.id, reviewer, new_link_id(), issued_by), True


def new_link_id() -> str:
    return secrets.token_urlsafe(12)


def reissue_link(
    cstore: CampaignStore, campaign: Campaign, reviewer: str, issued_by: str
) -> LinkRecord:
    """A new link for ``reviewer``; the old one stops working at once ("replaced")."""
    return cstore.issue_link(
        campaign.id, reviewer, new_link_id(), issued_by, replace_reason="reissued"
    )
