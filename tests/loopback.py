"""What a test needs to run a server on this machine: a free loopback port and a throwaway TLS
certificate."""

from __future__ import annotations

import socket
import ssl
import subprocess
from pathlib import Path


def free_port() -> int:
    """A port nothing listens on now (the OS picks it); the server binds it just after."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def write_self_signed_certificate(
    cert: Path, key: Path, *, subject: str, ip: str | None = None
) -> None:
    """A self-signed certificate valid for two days, and its unencrypted key. With ``ip``, the
    certificate names that address in subjectAltName: a client checking the host name looks
    there, not at the CN."""
    extensions = ["-addext", f"subjectAltName=IP:{ip}"] if ip else []
    subprocess.run(  # noqa: S603 (openssl from PATH with arguments the test builds)
        [  # noqa: S607 (openssl from PATH with arguments the test builds)
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            subject,
            *extensions,
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )


def loopback_server_tls(folder: Path) -> tuple[Path, ssl.SSLContext]:
    """A certificate for 127.0.0.1, written in ``folder``, and the TLS context a server on this
    machine serves it with; a client trusts the server by taking the certificate as its CA."""
    cert, key = folder / "cert.pem", folder / "key.pem"
    write_self_signed_certificate(cert, key, subject="/CN=127.0.0.1", ip="127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return cert, context
