"""Settings and the LDAP session: TLS, bind, timeouts, operation counting, and the one
place where ldap3 exceptions become the tool's typed errors."""

from __future__ import annotations

import os
import re
import socket
import ssl
import time
from dataclasses import dataclass
from typing import Any, Callable, Literal, Mapping, Sequence
from urllib.parse import urlparse

import ldap3
from ldap3.core import exceptions as lx

from access_review import activity
from access_review.errors import (
    AuthError,
    ConfigError,
    IncompleteRead,
    PermissionDenied,
    RetryableError,
    SourceError,
)
from access_review.secrets import read_secret
from access_review.settings_spec import check_known

from .settings import DEFAULT_PAGE_SIZE, DEFAULT_TIMEOUT, SETTINGS

# The extended DN control makes every DN-valued attribute (``member``) carry the target's
# objectGUID and SID: "<GUID=...>;<SID=...>;CN=...". Flag 1 asks for the string forms.
# https://learn.microsoft.com/openspecs/windows_protocols/ms-adts/57056773-932c-4e55-9491-e13f49ba580c
EXTENDED_DN_CONTROL = ("1.2.840.113556.1.4.529", False, b"\x30\x03\x02\x01\x01")
# LDAP_SERVER_SHOW_DELETED_OID: deleted objects (tombstones) are returned too.
SHOW_DELETED_CONTROL = ("1.2.840.113556.1.4.417", True, None)


@dataclass(frozen=True)
class AdSettings:
    source: str
    url: str
    base_dn: str
    bind_user: str
    users_base: str
    groups_base: str
    start_tls: bool = False
    ca_file: str | None = None
    tls_server_name: str | None = None  # name on the DC certificate when the URL uses an address
    allow_plaintext: bool = False
    timeout: float = 30.0
    page_size: int = DEFAULT_PAGE_SIZE

    @property
    def uses_tls(self) -> bool:
        return self.url.lower().startswith("ldaps://") or self.start_tls


def build_settings(name: str, settings: Mapping[str, Any], *, base_dir: str = ".") -> AdSettings:
    check_known(f"source {name!r}", settings, SETTINGS)

    def need(key: str) -> str:
        value = settings.get(key)
        if not value:
            raise ConfigError(
                f"source {name!r}: {key} is required for an ad source",
                hint="`access-review init` writes an example of every ad setting",
            )
        return str(value)

    url = need("url")
    scheme = urlparse(url).scheme.lower()
    if scheme not in ("ldap", "ldaps"):
        raise ConfigError(f"source {name!r}: url must start with ldaps:// or ldap://, not {url!r}")
    start_tls = bool(settings.get("start_tls", False))
    allow_plaintext = bool(settings.get("allow_plaintext", False))
    if scheme == "ldap" and not start_tls and not allow_plaintext:
        raise ConfigError(
            f"source {name!r}: {url} would send the password unencrypted",
            hint="use ldaps://, or start_tls = true; allow_plaintext = true is for a lab only",
        )
    ca_file = settings.get("ca_file")
    if ca_file:
        ca_file = os.path.join(base_dir, ca_file) if not os.path.isabs(ca_file) else ca_file
        check_ca_file(name, ca_file)
    base_dn = need("base_dn")
    page_size = int(settings.get("page_size", DEFAULT_PAGE_SIZE))
    if not 1 <= page_size <= DEFAULT_PAGE_SIZE:
        raise ConfigError(
            f"source {name!r}: page_size must be 1..1000 (Windows caps pages at 1000)"
        )
    return AdSettings(
        source=name,
        url=url,
        base_dn=base_dn,
        bind_user=need("bind_user"),
        users_base=str(settings.get("users_base") or base_dn),
        groups_base=str(settings.get("groups_base") or base_dn),
        start_tls=start_tls,
        ca_file=ca_file,
        tls_server_name=settings.get("tls_server_name"),
        allow_plaintext=allow_plaintext,
        timeout=float(settings.get("timeout", DEFAULT_TIMEOUT)),
        page_size=page_size,
    )


def check_ca_file(name: str, path: str) -> None:
    """A ca_file that is missing, unreadable or holds no certificate is named with the fix here:
    ldap3 would only say "invalid CA public key file", without the file, deep in a connect."""
    fix = (
        "set ca_file to the PEM file of the CA that signed the DC's certificate (export it from the"
        " DC's certificate chain or your PKI), or remove ca_file to trust the system's CAs"
    )
    if not os.path.exists(path):
        raise ConfigError(f"source {name!r}: ca_file {path} does not exist", hint=fix)
    try:
        ssl.create_default_context(cafile=path)
    except (OSError, ssl.SSLError) as exc:
        reason = getattr(exc, "reason", None) or exc.strerror or str(exc)
        raise ConfigError(
            f"source {name!r}: ca_file {path} holds no usable CA certificate ({reason})", hint=fix
        ) from None


def build_server(settings: AdSettings) -> ldap3.Server:
    tls = None
    if settings.uses_tls:
        try:
            tls = ldap3.Tls(
                validate=ssl.CERT_REQUIRED,
                ca_certs_file=settings.ca_file,
                valid_names=[settings.tls_server_name] if settings.tls_server_name else None,
                version=ssl.PROTOCOL_TLS_CLIENT,
            )
        except (
            lx.LDAPSSLConfigurationError
        ):  # "invalid CA public key file": say which, and what to do
            check_ca_file(settings.source, str(settings.ca_file))
            raise
    # get_info=DSA reads the rootDSE at bind: highestCommittedUSN, dnsHostName and
    # dsServiceName come from it (the issue: read the USN from server info, not a search).
    return ldap3.Server(settings.url, tls=tls, get_info=ldap3.DSA, connect_timeout=settings.timeout)


def innermost_text(exc: BaseException) -> str:
    """ldap3 re-raises a socket error as ``type(e)(str(e))`` inside another exception, so its
    text arrives as ``("('socket ssl wrapping error: ...',)",)``: unwrap it to the message."""
    text = str(exc) or type(exc).__name__
    while True:
        m = re.fullmatch(r"""\(\s*(['"])(.*)\1\s*,?\s*\)""", text.strip(), re.S)
        if not m:
            return text
        text = m.group(2).replace("\\'", "'").replace('\\"', '"')


def describe_tls_failure(
    text: str, ca_file: str | None, server_name: str | None, server: str
) -> tuple[str, str] | None:
    """(what is wrong with the DC's certificate, in words; what to do) from ldap3's error text,
    or None when it is not about the certificate. ldap3 puts the whole certificate (a Python
    dict) in a name mismatch's message: only the names on it are kept."""
    host = urlparse(server).hostname or server
    verify = re.search(r"certificate verify failed: ([^(\n'\"]+)", text)
    if verify:
        reason = verify.group(1).strip()
        if "expired" in reason:
            return (
                f"the DC's certificate has expired (certificate verify failed: {reason})",
                "renew the DC's certificate",
            )
        trusted = (
            f"the CA in ca_file {ca_file}"
            if ca_file
            else "this machine's trusted CAs (no ca_file is set)"
        )
        return (
            f"the DC's certificate is not signed by {trusted} (certificate verify failed: {reason})",
            "set ca_file to the PEM of the CA that signed the DC's certificate (export it from the DC's"
            " certificate chain or your PKI)",
        )
    mismatch = re.search(r"doesn't match any name in \[([^\]]*)\]", text)
    if mismatch:
        subject = text.split("'issuer'", 1)[0]
        names = list(
            dict.fromkeys(
                re.findall(r"\('(?:DNS|IP Address)', '([^']+)'\)", text)
                + re.findall(r"\('commonName', '([^']+)'\)", subject)
            )
        )
        expected = server_name or host
        on_cert = ", ".join(names) or "no name we could read"
        return (
            f"the DC's certificate is for {on_cert}, not {expected}",
            f'set tls_server_name = "{names[0]}" (the name on the DC\'s certificate)'
            if names and not server_name
            else f"set tls_server_name to the name on the DC's certificate ({on_cert}), or use that name in url",
        )
    if "ssl" in text.lower() or "tls" in text.lower():
        return (
            f"TLS with the DC failed ({text.removeprefix('socket ssl wrapping error: ')})",
            "ldaps:// is TLS on port 636; ldap:// with start_tls = true upgrades port 389: use what the DC offers",
        )
    return None


def translate_error(
    exc: Exception,
    source: str,
    server: str,
    call: str,
    who: str = "",
    settings: "AdSettings | None" = None,
) -> Exception:
    """Every ldap3 failure becomes one typed error naming the server and the call."""
    where = f"{call} on {server}"
    text = innermost_text(exc)
    if isinstance(exc, lx.LDAPInvalidCredentialsResult):
        return AuthError(
            source,
            where,
            f"the server rejected the password for {who}",
            hint="check bind_user and the password in password_env / password_file",
        )
    if isinstance(
        exc,
        (
            lx.LDAPInsufficientAccessRightsResult,
            lx.LDAPStrongerAuthRequiredResult,
            lx.LDAPConfidentialityRequiredResult,
            lx.LDAPUnwillingToPerformResult,
        ),
    ):
        return PermissionDenied(
            source, where, f"{who or 'the service account'} is not allowed: {text}"
        )
    tls = (
        describe_tls_failure(
            text,
            settings.ca_file if settings else None,
            settings.tls_server_name if settings else None,
            server,
        )
        if isinstance(exc, lx.LDAPSocketOpenError)
        else None
    )
    if tls is not None:
        return SourceError(source, where, tls[0], hint=tls[1])
    if isinstance(
        exc,
        (
            lx.LDAPSocketOpenError,
            lx.LDAPSocketReceiveError,
            lx.LDAPSocketSendError,
            lx.LDAPSessionTerminatedByServerError,
            lx.LDAPBusyResult,
            lx.LDAPUnavailableResult,
            lx.LDAPTimeLimitExceededResult,
            lx.LDAPAdminLimitExceededResult,
            lx.LDAPResponseTimeoutError,
            socket.timeout,
            TimeoutError,
            ConnectionError,
        ),
    ):
        return RetryableError(source, where, f"cannot reach the server or it is busy: {text}")
    if isinstance(exc, lx.LDAPNoSuchObjectResult):
        return SourceError(
            source,
            where,
            f"no such object: {text}",
            hint="check base_dn / users_base / groups_base",
        )
    return SourceError(source, where, text)


class LdapSession:
    """One bound connection. Counts every LDAP operation (bind, rootDSE, search page,
    ranged read, modify) in ``operations`` so a sync can report what it cost."""

    def __init__(self, settings: AdSettings, connection: ldap3.Connection):
        self.settings = settings
        self.connection = connection
        self.operations = {
            "bind": 1,
            "root_dse": 1,
            "search_pages": 0,
            "ranged_reads": 0,
            "reads": 0,
            "modifies": 0,
        }

    @property
    def total_operations(self) -> int:
        return sum(self.operations.values())

    @property
    def server_info(self) -> dict[str, list[str]]:
        info = self.connection.server.info
        return dict(info.other) if info is not None else {}

    def _run(self, call: str, operation: Callable[[], Any]) -> Any:
        started = time.monotonic()
        try:
            result = operation()
        except lx.LDAPException as exc:
            activity.note_request(
                self.settings.source, call, type(exc).__name__, time.monotonic() - started
            )
            raise translate_error(
                exc,
                self.settings.source,
                self.settings.url,
                call,
                self.settings.bind_user,
                self.settings,
            ) from exc
        activity.note_request(self.settings.source, call, "ok", time.monotonic() - started)
        return result

    def search(
        self,
        call: str,
        base: str,
        search_filter: str,
        attributes: Sequence[str],
        *,
        scope: Literal["BASE", "LEVEL", "SUBTREE"] = ldap3.SUBTREE,
        controls: Sequence[tuple] = (),
        paged_cookie: bytes | None = None,
        paged: bool = False,
        kind: str = "search_pages",
        size_limit: int = 0,
        page_size: int | None = None,
    ) -> tuple[list[dict], bytes | None]:
        """One search request (one page when ``paged``): raw entries and the next cookie.

        ldap3 does not raise for timeLimitExceeded, sizeLimitExceeded or referral (see
        ldap3.core.results.DO_NOT_RAISE_EXCEPTIONS) yet each means the answer is partial:
        only an explicit ``size_limit`` makes sizeLimitExceeded acceptable.
        """
        conn = self.connection

        def run():
            conn.search(
                base,
                search_filter,
                scope,
                attributes=list(attributes),
                controls=list(controls) or None,
                size_limit=size_limit,
                paged_size=(page_size or self.settings.page_size) if paged else None,
                paged_cookie=paged_cookie if paged else None,
            )
            return conn.response or [], conn.result

        self.operations[kind] += 1
        response, result = self._run(call, run)
        code = result.get("result", 0)
        where = f"{call} on {self.settings.url}"
        if code == 3:
            raise RetryableError(
                self.settings.source, where, "the server's time limit cut the answer short"
            )
        if code not in (0, 4) or (code == 4 and not size_limit):
            raise IncompleteRead(
                self.settings.source,
                where,
                f"partial answer ({result.get('description')}: {result.get('message')})",
            )
        entries = [
            {"dn": r["dn"], "attributes": r["raw_attributes"]}
            for r in response
            if r.get("type") == "searchResEntry"
        ]
        if paged:
            activity.note_page(self.settings.source, call, len(entries))
        cookie = None
        if paged:
            cookie = (
                result.get("controls", {})
                .get("1.2.840.113556.1.4.319", {})
                .get("value", {})
                .get("cookie")
            ) or None
        return entries, cookie

    def modify(self, call: str, dn: str, changes: Mapping[str, list]) -> None:
        self.operations["modifies"] += 1
        self._run(call, lambda: self.connection.modify(dn, dict(changes)))

    def close(self) -> None:
        try:
            self.connection.unbind()
        except lx.LDAPException:
            pass  # closing a dead socket is not worth an error; the work is done or already failed


def open_session(settings: AdSettings, password: str) -> LdapSession:
    """Connect (TLS checked), bind, read the rootDSE. Typed errors name the server."""
    server = build_server(settings)
    auto_bind = ldap3.AUTO_BIND_TLS_BEFORE_BIND if settings.start_tls else ldap3.AUTO_BIND_NO_TLS
    try:
        connection = ldap3.Connection(
            server,
            user=settings.bind_user,
            password=password,
            authentication=ldap3.SIMPLE,
            auto_bind=auto_bind,
            raise_exceptions=True,
            receive_timeout=int(max(1, settings.timeout)),
            read_only=False,
        )
    except lx.LDAPException as exc:
        raise translate_error(
            exc, settings.source, settings.url, "bind", settings.bind_user, settings
        ) from exc
    return LdapSession(settings, connection)


def read_password(name: str, raw_settings: Mapping[str, Any]) -> str:
    return read_secret(dict(raw_settings), "password", source=name)
