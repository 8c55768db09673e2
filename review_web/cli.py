"""`access-review serve`: the web review page for data managers (issue 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from access_review.cli.common import ConfigOption, command, console, load_config, safe


def register(app: typer.Typer) -> None:

    @command(app, "serve")
    def serve(
        host: Annotated[
            Optional[str],
            typer.Option(help="Address to listen on (default [web] host, else 127.0.0.1)."),
        ] = None,
        port: Annotated[
            Optional[int], typer.Option(help="Port (default [web] port, else 8080).")
        ] = None,
        tls_cert: Annotated[
            Optional[Path],
            typer.Option("--tls-cert", help="TLS certificate (PEM); with --tls-key."),
        ] = None,
        tls_key: Annotated[
            Optional[Path],
            typer.Option("--tls-key", help="TLS private key (PEM, readable only by you)."),
        ] = None,
        behind_proxy: Annotated[
            Optional[bool],
            typer.Option(
                "--behind-proxy/--no-proxy",
                help="A reverse proxy on [web] proxy_address terminates TLS and forwards here.",
            ),
        ] = None,
        config: ConfigOption = None,
    ) -> None:
        """Serve the web review page: data managers open their personal link from the campaign
        e-mail and answer Keep / Revoke in a browser. Never talks to a directory."""
        from campaigns.links import base_url

        from .server import run_server
        from .settings import serve_settings

        cfg = load_config(config)
        settings = serve_settings(
            cfg.section("web"),
            host=host,
            port=port,
            tls_cert=tls_cert,
            tls_key=tls_key,
            behind_proxy=behind_proxy,
            base_url=base_url(cfg),
        )

        def ready(url: str) -> None:
            console.print(
                f"Serving the review page at {safe(url)} (Ctrl-C to stop).",
                highlight=False,
                soft_wrap=True,
            )
            if settings.base_url:
                console.print(
                    f"Links in campaign e-mails start with {safe(settings.base_url)}/r/.",
                    highlight=False,
                    soft_wrap=True,
                )
            else:
                console.print(
                    "No [web] base_url is set: `campaign send` e-mails workbooks only, without links.",
                    highlight=False,
                    soft_wrap=True,
                )

        run_server(cfg, settings, on_ready=ready)
