"""Running the review page under uvicorn: TLS here (certificate and key files), or plain HTTP
on loopback, or behind a reverse proxy that terminates TLS — then, and only then, the proxy's
X-Forwarded-For and X-Forwarded-Proto are believed, and only from ``proxy_address``
(https://www.uvicorn.org/deployment/#proxies-and-forwarded-headers)."""

from __future__ import annotations

import logging
from typing import Callable

import uvicorn

from access_review.config import Config
from campaigns.links import link_key

from .app import build_app
from .settings import ServeSettings


def run_server(
    config: Config, settings: ServeSettings, *, on_ready: Callable[[str], None] | None = None
) -> None:
    """Serve until interrupted (Ctrl-C or SIGTERM)."""
    key = link_key(config)
    app = build_app(config, key)
    logging.getLogger("access_review.web").setLevel(logging.INFO)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=settings.host,
            port=settings.port,
            ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
            ssl_keyfile=str(settings.tls_key) if settings.tls_key else None,
            proxy_headers=settings.behind_proxy,
            forwarded_allow_ips=settings.proxy_address if settings.behind_proxy else None,
            server_header=False,
            log_level="info",
            access_log=False,
            timeout_graceful_shutdown=5,
        )
    )
    if on_ready is not None:
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        on_ready(f"{settings.scheme}://{host}:{settings.port}")
    server.run()
