"""Build the authenticated Graph client from settings: msal client-credentials + requests.

The authority host and Graph base URL come from the config so a national cloud works
(US Government: https://login.microsoftonline.us and https://graph.microsoft.us/v1.0).
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping
from urllib.parse import urlsplit

import msal
import requests

from access_review import activity
from access_review.errors import AuthError, ConfigError, RetryableError, SourceError
from access_review.retry import DEFAULT_POLICY, RetryPolicy, with_retries
from access_review.secrets import check_owner_only, read_secret
from access_review.settings_spec import check_known

from .http import error_for_status

from .settings import DEFAULT_AUTHORITY_HOST, DEFAULT_GRAPH_URL, DEFAULT_TIMEOUT, SETTINGS


@dataclass(frozen=True)
class EntraSettings:
    name: str
    tenant_id: str
    client_id: str
    authority_host: str = DEFAULT_AUTHORITY_HOST
    graph_url: str = DEFAULT_GRAPH_URL
    timeout: float = DEFAULT_TIMEOUT
    # "batch" ($batch of per-group member listings, measured cheaper) or "delta"
    # (/groups/delta with members). See bench/bench_entra.py.
    members_via: str = "batch"
    read_sign_in_activity: bool = True
    features: tuple[str, ...] = ("read", "act")
    token_scope: str | None = None  # None: derived from graph_url

    @property
    def authority(self) -> str:
        return f"{self.authority_host.rstrip('/')}/{self.tenant_id}"

    @property
    def graph_scope(self) -> str:
        """The scope tokens are asked for: ``token_scope`` when set (a proxy or an API gateway
        in front of Graph has its own audience), else the Graph root of graph_url with
        ``/.default`` — the root, not the version path
        (https://learn.microsoft.com/entra/identity-platform/scopes-oidc#the-default-scope)."""
        if self.token_scope:
            return self.token_scope
        parts = urlsplit(self.graph_url)
        return f"{parts.scheme}://{parts.netloc}/.default"


class UntrustedUrl(SourceError):
    """A URL the bearer token must not be sent to: not HTTPS, or not on the configured Graph host."""


def _https_root(name: str, key: str, value: str) -> str:
    """``value`` as an https:// root URL; anything else would send a secret (the client secret to
    the authority, the bearer token to Graph) in clear or nowhere sensible."""
    parts = urlsplit(value)
    if parts.scheme.lower() != "https" or not parts.hostname:
        raise ConfigError(
            f"source {name!r}: {key} must be an https:// URL, not {value!r}",
            hint=f"the default is {DEFAULT_GRAPH_URL if key == 'graph_url' else DEFAULT_AUTHORITY_HOST}",
        )
    return value.rstrip("/")


def build_settings(name: str, raw: Mapping[str, Any]) -> EntraSettings:
    check_known(f"source {name!r}", raw, SETTINGS)
    missing = [k for k in ("tenant_id", "client_id") if not raw.get(k)]
    if missing:
        raise ConfigError(
            f"source {name!r}: missing {', '.join(missing)}",
            hint="set tenant_id and client_id from the app registration",
        )
    members_via = str(raw.get("members_via", "batch"))
    if members_via not in ("batch", "delta"):
        raise ConfigError(f"source {name!r}: members_via must be 'batch' or 'delta'")
    return EntraSettings(
        name=name,
        tenant_id=str(raw["tenant_id"]),
        client_id=str(raw["client_id"]),
        authority_host=_https_root(
            name, "authority_host", str(raw.get("authority_host", DEFAULT_AUTHORITY_HOST))
        ),
        graph_url=_https_root(name, "graph_url", str(raw.get("graph_url", DEFAULT_GRAPH_URL))),
        timeout=float(raw.get("timeout", DEFAULT_TIMEOUT)),
        members_via=members_via,
        read_sign_in_activity=bool(raw.get("sign_in_activity", True)),
        features=tuple(raw.get("features", ("read", "act"))),
        token_scope=_token_scope(name, raw.get("token_scope")),
    )


def _token_scope(name: str, value: Any) -> str | None:
    if value in (None, ""):
        return None
    if (
        not isinstance(value, str)
        or not value.startswith("https://")
        or not value.endswith("/.default")
    ):
        raise ConfigError(
            f"source {name!r}: token_scope must be an https:// resource ending in /.default, "
            f"not {value!r}",
            hint="e.g. https://graph.microsoft.com/.default",
        )
    return value


def build_credential(name: str, raw: Mapping[str, Any], *, base_dir: str) -> str | dict:
    """A client secret (``client_secret_env``/``client_secret_file``) or a certificate
    (``certificate_file`` PEM with the private key, ``certificate_thumbprint``)."""
    cert = raw.get("certificate_file")
    if cert:
        path = check_owner_only(os.path.join(base_dir, str(cert)), "certificate file")
        thumbprint = raw.get("certificate_thumbprint")
        if not thumbprint:
            raise ConfigError(f"source {name!r}: certificate_file needs certificate_thumbprint")
        return {"private_key": path.read_text(encoding="utf-8"), "thumbprint": str(thumbprint)}
    settings = dict(raw)
    if settings.get("client_secret_file"):
        settings["client_secret_file"] = os.path.join(base_dir, str(settings["client_secret_file"]))
    return read_secret(settings, "client_secret", source=name)


class CountingSession(requests.Session):
    """A requests session that counts what it sends: the cost figures in Snapshot.stats, and
    each request in the log (``access_review.activity``) under the source's name."""

    def __init__(self, source: str = "") -> None:
        super().__init__()
        self.sent = 0
        self.source = source

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        self.sent += 1
        started = time.monotonic()
        try:
            response = super().request(method, url, *args, **kwargs)
        except requests.RequestException as exc:
            activity.note_request(
                self.source,
                f"{method} {urlsplit(url).path}",
                type(exc).__name__,
                time.monotonic() - started,
            )
            raise
        activity.note_request(
            self.source,
            f"{method} {urlsplit(url).path}",
            str(response.status_code),
            time.monotonic() - started,
        )
        return response


# One msal app (and so one in-memory token cache) per process per (authority, client):
# acquire_token_for_client answers from this cache until the token nears expiry.
_APPS: dict[tuple[str, str, str], msal.ConfidentialClientApplication] = {}


def clear_token_cache() -> None:
    _APPS.clear()


class TokenSource:
    """Bearer tokens for Graph, from msal's confidential-client flow."""

    def __init__(
        self,
        settings: EntraSettings,
        credential: str | dict,
        session: CountingSession | None = None,
    ):
        self.settings = settings
        self.session = session or CountingSession(settings.name)
        self._credential = credential
        self._key = (settings.authority, settings.client_id, _credential_id(credential))

    @property
    def app(self) -> msal.ConfidentialClientApplication:
        """Built on first use: msal reads the authority's OpenID configuration when built,
        and building a connector must not touch the network."""
        if self._key not in _APPS:
            _APPS[self._key] = msal.ConfidentialClientApplication(
                self.settings.client_id,
                client_credential=self._credential,
                authority=self.settings.authority,
                # Instance discovery asks login.microsoftonline.com about the authority;
                # a national cloud host is known to be valid, so skip the extra round trip.
                instance_discovery=False,
                http_client=self.session,
                timeout=self.settings.timeout,
            )
        return _APPS[self._key]

    @property
    def requests_sent(self) -> int:
        return self.session.sent

    def token(self) -> str:
        call = f"token {self.settings.authority}"
        try:
            result = self.app.acquire_token_for_client(scopes=[self.settings.graph_scope])
        except requests.RequestException as exc:
            raise RetryableError(self.settings.name, call, f"connection failed: {exc}") from None
        except ValueError as exc:  # msal raises ValueError for a bad authority / discovery
            raise AuthError(self.settings.name, call, str(exc)) from None
        if "access_token" not in result:
            raise AuthError(
                self.settings.name,
                call,
                f"{result.get('error', 'no token')}: "
                f"{(result.get('error_description') or '').splitlines()[0] if result.get('error_description') else ''}",
                hint="check tenant_id, client_id and the client secret or certificate",
            )
        token: str = result["access_token"]
        return token


def _credential_id(credential: str | dict) -> str:
    import hashlib

    text = credential if isinstance(credential, str) else credential.get("thumbprint", "")
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass
class GraphClient:
    """HTTP to Graph with typed errors, retries and request counting."""

    settings: EntraSettings
    tokens: TokenSource
    session: requests.Session = field(default_factory=CountingSession)

    def __post_init__(self) -> None:
        if isinstance(self.session, CountingSession) and not self.session.source:
            self.session.source = self.settings.name

    policy: RetryPolicy = DEFAULT_POLICY
    sleep: Callable[[float], None] = time.sleep
    requests_sent: int = 0
    retries: int = 0

    @property
    def source(self) -> str:
        return self.settings.name

    def url(self, path_or_url: str) -> str:
        """The full URL of a path, or an absolute URL Graph handed us (``@odata.nextLink``,
        ``@odata.deltaLink``, a delta cursor read back from the store) once it is checked to be
        on the configured Graph host. Graph says to follow those links as opaque strings
        (https://learn.microsoft.com/graph/paging), and the bearer token goes with every request,
        so a link to any other host, or over plain http, is refused rather than followed."""
        if "://" not in path_or_url:
            return f"{self.settings.graph_url}/{path_or_url.lstrip('/')}"
        root, link = urlsplit(self.settings.graph_url), urlsplit(path_or_url)
        if (link.scheme.lower(), link.netloc.lower()) != (root.scheme.lower(), root.netloc.lower()):
            raise UntrustedUrl(
                self.source,
                f"GET {link.scheme}://{link.netloc}{link.path}",
                f"refusing to send the access token to {link.scheme}://{link.netloc}: "
                f"Graph links must stay on {root.scheme}://{root.netloc}",
            )
        return path_or_url

    def relative(self, url: str) -> str:
        """A URL relative to the version root, as a $batch item wants it."""
        url = self.url(url)
        root = self.settings.graph_url + "/"
        if not url.startswith(root):
            raise UntrustedUrl(
                self.source,
                f"GET {urlsplit(url).path}",
                f"a Graph link outside {self.settings.graph_url} cannot go into a $batch",
            )
        return "/" + url[len(root) :]

    def call_name(self, method: str, path_or_url: str) -> str:
        """``GET /v1.0/users``: how errors name a call (never raises: it also names refused ones)."""
        full = (
            path_or_url
            if "://" in path_or_url
            else f"{self.settings.graph_url}/{path_or_url.lstrip('/')}"
        )
        return f"{method} {urlsplit(full).path}"

    def send(
        self,
        method: str,
        path_or_url: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        permission: str | None = None,
    ) -> requests.Response:
        """One attempt; a non-2xx answer raises its typed error (see http.py)."""
        call = self.call_name(method, path_or_url)
        url = self.url(path_or_url)  # checked before the token is attached
        headers = {"Authorization": f"Bearer {self.tokens.token()}"}
        self.requests_sent += 1
        try:
            response = self.session.request(
                method,
                url,
                params=params,
                json=json,
                headers=headers,
                timeout=self.settings.timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise RetryableError(self.source, call, f"connection failed: {exc}") from None
        if response.status_code >= 300:
            try:
                body = response.json()
            except ValueError:
                body = None
            error = error_for_status(
                response.status_code,
                response.headers,
                body,
                source=self.source,
                call=call,
                permission=permission,
            )
            if error is not None:
                raise error
        return response

    def call(self, method: str, path_or_url: str, **kwargs: Any) -> requests.Response:
        """``send`` with the one retry helper: Retry-After honoured, backoff otherwise."""
        return with_retries(
            lambda: self.send(method, path_or_url, **kwargs),
            policy=self.policy,
            sleep=self.sleep,
            on_retry=self._count_retry,
        )

    def get_json(self, path_or_url: str, **kwargs: Any) -> dict:
        response = self.call("GET", path_or_url, **kwargs)
        try:
            body = response.json()
        except ValueError:
            raise SourceError(
                self.source, self.call_name("GET", path_or_url), "response is not JSON"
            ) from None
        if isinstance(body, dict) and isinstance(body.get("value"), list):
            activity.note_page(self.source, self.call_name("GET", path_or_url), len(body["value"]))
        return body

    def _count_retry(self, exc: RetryableError, wait: float) -> None:
        self.retries += 1


def build_client(
    name: str,
    raw: Mapping[str, Any],
    *,
    base_dir: str,
    sleep: Callable[[float], None] = time.sleep,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> GraphClient:
    settings = build_settings(name, raw)
    credential = build_credential(name, raw, base_dir=base_dir)
    tokens = TokenSource(settings, credential)
    return GraphClient(settings=settings, tokens=tokens, policy=policy, sleep=sleep)
