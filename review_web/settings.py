"""`access-review serve`'s settings: the ``[web]`` table, then the command's options.

```toml
[web]
base_url = "https://review.district.example.org"   # what links in e-mails start with
district_name = "Lakeview School District"         # shown on every page
host = "127.0.0.1"                                 # where the server listens
port = 8080
tls_cert_file = "/etc/access-review/review.crt"    # TLS here; or a reverse proxy in front:
tls_key_file = "/etc/access-review/review.key"     #   (owner-only)
behind_proxy = false                               # true: a proxy on proxy_address terminates TLS
proxy_address = "127.0.0.1"                        # whose X-Forwarded-For/-Proto are believed
link_key_file = "..."                              # or link_key_env (campaigns/links.py)
```

The server refuses to listen beyond this machine without TLS, unless it is told it is behind
a reverse proxy that terminates TLS (then it believes that proxy's X-Forwarded-For and
X-Forwarded-Proto, and no one else's).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from access_review.errors import ConfigError
from access_review.secrets import check_owner_only

DEFAULT_PORT = 8080


@dataclass(frozen=True)
class ServeSettings:
    host: str
    port: int
    tls_cert: Path | None
    tls_key: Path | None
    behind_proxy: bool
    proxy_address: str
    base_url: str

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None

    @property
    def scheme(self) -> str:
        return "https" if self.tls else "http"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve_settings(
    section: Mapping[str, Any],
    *,
    host: str | None = None,
    port: int | None = None,
    tls_cert: Path | None = None,
    tls_key: Path | None = None,
    behind_proxy: bool | None = None,
    base_url: str = "",
) -> ServeSettings:
    host = host or str(section.get("host", "127.0.0.1"))
    port = port if port is not None else section.get("port", DEFAULT_PORT)
    if not isinstance(port, int) or isinstance(port, bool) or not 0 < port < 65536:
        raise ConfigError(f"[web] port {port!r} is not a port number")
    cert = tls_cert or (Path(section["tls_cert_file"]) if section.get("tls_cert_file") else None)
    key = tls_key or (Path(section["tls_key_file"]) if section.get("tls_key_file") else None)
    if bool(cert) != bool(key):
        raise ConfigError(
            "TLS needs both a certificate and its key (--tls-cert and --tls-key, or [web]"
            " tls_cert_file and tls_key_file)"
        )
    if cert is not None and key is not None:  # (both or neither: checked above)
        if not cert.exists():
            raise ConfigError(f"TLS certificate {cert} does not exist")
        check_owner_only(key, "TLS key file")
    proxy = bool(section.get("behind_proxy", False)) if behind_proxy is None else behind_proxy
    proxy_address = str(section.get("proxy_address", "127.0.0.1"))
    settings = ServeSettings(host, port, cert, key, proxy, proxy_address, base_url)
    check_listen(settings)
    return settings


def check_listen(s: ServeSettings) -> None:
    """Refuse to serve personal links in clear beyond this machine."""
    if is_loopback(s.host) or s.tls or s.behind_proxy:
        return
    raise ConfigError(
        f"refusing to serve the review page on {s.host} without TLS: personal links and answers would travel"
        " in clear",
        hint="give --tls-cert and --tls-key (or [web] tls_cert_file and tls_key_file), or put a reverse proxy"
        " that terminates TLS in front and say so with --behind-proxy (docs/campaigns.md)",
    )
