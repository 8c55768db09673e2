"""Build authenticated Google API clients from a source's settings.

A service account with domain-wide delegation acts as a configured admin (``with_subject``).
Sync asks only for read-only scopes; the write scopes are asked for only by the action
that needs them, so a read-only deployment can grant read-only scopes and nothing else.

Clients are built from the discovery documents shipped inside google-api-python-client
(``static_discovery=True``): no discovery request at run time.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import google_auth_httplib2
import httplib2
from google.oauth2 import service_account
from googleapiclient.discovery import build
from googleapiclient.http import BatchHttpRequest

from access_review import activity
from access_review.errors import ConfigError
from access_review.secrets import check_owner_only
from access_review.settings_spec import check_known

from .settings import (
    DEFAULT_QUOTA_PER_MINUTE,
    DEFAULT_TIMEOUT,
    DIRECTORY_BATCH_LIMIT,
    DRIVE_BATCH_LIMIT,  # noqa: F401
    SETTINGS,
)

# Scopes, from each method's "scopes" in the discovery documents.
USER_READ = "https://www.googleapis.com/auth/admin.directory.user.readonly"
GROUP_READ = "https://www.googleapis.com/auth/admin.directory.group.readonly"
ROLE_READ = "https://www.googleapis.com/auth/admin.directory.rolemanagement.readonly"
# Org units: the paths of ORG_UNIT-scoped admin roles and of Vault holds on an org unit.
ORGUNIT_READ = "https://www.googleapis.com/auth/admin.directory.orgunit.readonly"
# tokens.list has no read-only scope: the Directory API accepts only user.security for it
# (https://developers.google.com/workspace/admin/directory/reference/rest/v1/tokens/list).
USER_SECURITY = "https://www.googleapis.com/auth/admin.directory.user.security"
DRIVE_READ = "https://www.googleapis.com/auth/drive.readonly"
VAULT_READ = "https://www.googleapis.com/auth/ediscovery.readonly"

USER_WRITE = "https://www.googleapis.com/auth/admin.directory.user"
GROUP_MEMBER_WRITE = "https://www.googleapis.com/auth/admin.directory.group.member"
DRIVE_WRITE = "https://www.googleapis.com/auth/drive"

DELEGATION_PAGE = (
    "Admin console > Security > Access and data control > API controls > Domain-wide delegation"
)

# The public endpoints; ``api_endpoint`` replaces this root for all three APIs at once.
DEFAULT_ROOT = "https://www.googleapis.com/"


@dataclass(frozen=True)
class GoogleSettings:
    source: str
    key_file: Path
    subject: str
    action_subject: str = ""  # the admin actions act as; "" = subject
    customer: str = "my_customer"
    domain: str | None = None
    api_endpoint: str | None = None
    quota_per_minute: int = DEFAULT_QUOTA_PER_MINUTE
    oauth_tokens: bool = True
    oauth_tokens_for_students: bool = False
    student_org_units: tuple[str, ...] = ("/Students",)
    shared_drives: bool = True
    vault: bool = False
    batch_size: int = DIRECTORY_BATCH_LIMIT
    drive_batch_size: int = DRIVE_BATCH_LIMIT
    timeout: float = DEFAULT_TIMEOUT

    @property
    def acting_subject(self) -> str:
        """Who suspensions and remediation act as: ``action_subject``, else the sync's subject."""
        return self.action_subject or self.subject

    def read_scopes(self) -> tuple[str, ...]:
        """The scopes a sync with these settings needs, in a stable order."""
        scopes = [USER_READ, GROUP_READ, ROLE_READ, ORGUNIT_READ]
        if self.oauth_tokens:
            scopes.append(USER_SECURITY)
        if self.shared_drives:
            scopes.append(DRIVE_READ)
        if self.vault:
            scopes.append(VAULT_READ)
        return tuple(scopes)


def _bool(name: str, settings: Mapping[str, Any], key: str, default: bool) -> bool:
    value = settings.get(key, default)
    if not isinstance(value, bool):
        raise ConfigError(f"source {name!r}: {key} must be true or false, not {value!r}")
    return value


def _positive_int(
    name: str, settings: Mapping[str, Any], key: str, default: int, maximum: int | None = None
) -> int:
    value = settings.get(key, default)
    if (
        not isinstance(value, int)
        or isinstance(value, bool)
        or value < 1
        or (maximum and value > maximum)
    ):
        limit = f" and at most {maximum}" if maximum else ""
        raise ConfigError(
            f"source {name!r}: {key} must be a whole number at least 1{limit}, not {value!r}"
        )
    return value


def build_settings(
    name: str, settings: Mapping[str, Any], *, base_dir: str = "."
) -> GoogleSettings:
    """Validate a ``[sources.<name>]`` table of type google."""
    check_known(f"source {name!r}", settings, SETTINGS)
    for required in ("key_file", "subject"):
        if not settings.get(required):
            raise ConfigError(
                f"source {name!r}: {required} is required for a google source",
                hint="key_file = the service account's JSON key; subject = the admin to act as",
            )
    key_file = Path(str(settings["key_file"])).expanduser()
    if not key_file.is_absolute():
        key_file = Path(base_dir) / key_file
    ous = settings.get("student_org_units", ["/Students"])
    if isinstance(ous, str):
        ous = [ous]
    endpoint = settings.get("api_endpoint")
    if endpoint and not str(endpoint).endswith("/"):
        endpoint = f"{endpoint}/"
    return GoogleSettings(
        source=name,
        key_file=key_file,
        subject=str(settings["subject"]),
        action_subject=str(settings.get("action_subject") or ""),
        customer=str(settings.get("customer", "my_customer")),
        domain=settings.get("domain"),
        api_endpoint=endpoint,
        quota_per_minute=_positive_int(
            name, settings, "quota_per_minute", DEFAULT_QUOTA_PER_MINUTE
        ),
        oauth_tokens=_bool(name, settings, "oauth_tokens", True),
        oauth_tokens_for_students=_bool(name, settings, "oauth_tokens_for_students", False),
        student_org_units=tuple(normalize_org_unit(o) for o in ous),
        shared_drives=_bool(name, settings, "shared_drives", True),
        vault=_bool(name, settings, "vault", False),
        batch_size=_positive_int(
            name, settings, "batch_size", DIRECTORY_BATCH_LIMIT, DIRECTORY_BATCH_LIMIT
        ),
        drive_batch_size=_positive_int(
            name, settings, "drive_batch_size", DRIVE_BATCH_LIMIT, DRIVE_BATCH_LIMIT
        ),
        timeout=float(settings.get("timeout", DEFAULT_TIMEOUT)),
    )


def normalize_org_unit(path: str) -> str:
    """'/Students/HS' form. The docs' own samples write 'corp/engineering' without the slash."""
    path = (path or "/").strip()
    if not path.startswith("/"):
        path = "/" + path
    return path.rstrip("/") or "/"


class CountingHttp(httplib2.Http):
    """httplib2.Http that counts HTTP round trips (token fetches, calls and batch POSTs), and
    logs each under the source's name (``access_review.activity``)."""

    def __init__(self, *args: Any, source: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.round_trips = 0
        self.source = source

    def request(self, uri: str, method: str = "GET", *args: Any, **kwargs: Any):
        self.round_trips += 1
        started = time.monotonic()
        call = f"{method} {urllib.parse.urlsplit(uri).path}"
        try:
            response, content = super().request(uri, method, *args, **kwargs)
        except Exception as exc:
            activity.note_request(self.source, call, type(exc).__name__, time.monotonic() - started)
            raise
        activity.note_request(self.source, call, str(response.status), time.monotonic() - started)
        return response, content


def load_key_info(settings: GoogleSettings) -> dict[str, Any]:
    """The service account key, refused unless only its owner can read it."""
    path = check_owner_only(settings.key_file, "service account key file")
    try:
        info = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"source {settings.source!r}: cannot read service account key {path}: {exc}"
        ) from None
    if not isinstance(info, dict):  # JSON, but a list or a string: no key
        info = {}
    missing = [k for k in ("client_email", "private_key", "token_uri") if not info.get(k)]
    if info.get("type") != "service_account" or missing:
        raise ConfigError(
            f"source {settings.source!r}: {path} is not a service account key"
            + (f" (missing {', '.join(missing)})" if missing else ""),
            hint="download a JSON key for the service account in the Google Cloud console",
        )
    return info


def build_credentials(
    settings: GoogleSettings, scopes: tuple[str, ...], subject: str | None = None
) -> service_account.Credentials:
    """Credentials acting as ``subject`` (default: the sync's subject)."""
    info = load_key_info(settings)
    try:
        creds = service_account.Credentials.from_service_account_info(info, scopes=list(scopes))
    except ValueError as exc:
        raise ConfigError(
            f"source {settings.source!r}: service account key {settings.key_file}: {exc}"
        ) from None
    creds = creds.with_subject(subject or settings.subject)
    # The numeric client id is what the domain-wide delegation page lists; the credentials do
    # not keep it, and an error naming a missing scope should say which client to add it to.
    creds.client_id = str(info.get("client_id") or "")
    return creds


def fetch_ungranted_scopes(
    credentials: Any, scopes: tuple[str, ...], timeout: float = 30.0
) -> list[str]:
    """The scopes domain-wide delegation does not grant: one token request per scope, since
    Google refuses a token for several scopes when any one is missing, without naming it."""
    from google.auth import exceptions as auth_exceptions

    missing = []
    for scope in scopes:
        try:
            credentials.with_scopes([scope]).refresh(
                google_auth_httplib2.Request(httplib2.Http(timeout=timeout))
            )
        except auth_exceptions.RefreshError as exc:
            if "unauthorized_client" in str(exc):
                missing.append(scope)
        except (auth_exceptions.TransportError, httplib2.HttpLib2Error, OSError):
            return list(scopes)  # cannot tell: name them all
    return missing


@dataclass
class GoogleClients:
    """The three API clients sharing one authorized, counting HTTP connection."""

    settings: GoogleSettings
    scopes: tuple[str, ...]
    http: CountingHttp
    authorized: google_auth_httplib2.AuthorizedHttp
    directory: Any
    drive: Any
    vault: Any
    batch_uris: dict[str, str] = field(default_factory=dict)

    @property
    def round_trips(self) -> int:
        return self.http.round_trips

    def new_batch(self, api: str) -> BatchHttpRequest:
        # Built by hand: service.new_batch_http_request() takes the batch URL from the discovery
        # document's rootUrl and ignores client_options.api_endpoint.
        return BatchHttpRequest(batch_uri=self.batch_uris[api])


def _discovery_document(api: str, version: str) -> dict[str, Any]:
    from googleapiclient import discovery_cache

    raw = discovery_cache.get_static_doc(api, version)
    if raw is None:
        raise ConfigError(
            f"google-api-python-client has no shipped discovery document for {api} {version}"
        )
    document: dict[str, Any] = json.loads(raw)
    return document


def build_clients(
    settings: GoogleSettings, scopes: tuple[str, ...], *, subject: str | None = None
) -> GoogleClients:
    """The clients, acting as ``subject`` (default: the sync's subject)."""
    creds = build_credentials(settings, scopes, subject)
    http = CountingHttp(timeout=settings.timeout, source=settings.source)
    authorized = google_auth_httplib2.AuthorizedHttp(creds, http=http)
    root = settings.api_endpoint or None
    services: dict[str, Any] = {}
    batch_uris: dict[str, str] = {}
    for name, api, version in (
        ("directory", "admin", "directory_v1"),
        ("drive", "drive", "v3"),
        ("vault", "vault", "v1"),
    ):
        doc = _discovery_document(api, version)
        options = None
        if root:
            options = {"api_endpoint": urllib.parse.urljoin(root, doc["servicePath"])}
        services[name] = build(
            api,
            version,
            http=authorized,
            static_discovery=True,
            client_options=options,
            cache_discovery=False,
        )
        batch_uris[name] = urllib.parse.urljoin(
            root or doc["rootUrl"], doc.get("batchPath", "batch")
        )
    return GoogleClients(
        settings=settings,
        scopes=scopes,
        http=http,
        authorized=authorized,
        batch_uris=batch_uris,
        **services,
    )
