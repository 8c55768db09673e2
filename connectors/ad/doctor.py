"""``access-review doctor`` for AD: reads only, never writes. Write permissions are
reported from allowedAttributesEffective (the attributes the bound account may write on
that object), not tried.
https://learn.microsoft.com/windows/win32/adschema/a-allowedattributeseffective"""

from __future__ import annotations

import ssl
from datetime import datetime, timezone
from typing import Callable

import ldap3
from ldap3.core import exceptions as lx

from access_review.errors import AccessReviewError

from access_review.connector import Check

from .client import SHOW_DELETED_CONTROL, AdSettings, LdapSession, build_server, translate_error
from .fetch import GROUP_FILTER, USER_FILTER
from .transform import attr_values, entry_dn

# Well-known GUID of the Deleted Objects container (GUID_DELETED_OBJECTS_CONTAINER_W).
DELETED_OBJECTS_WKGUID = "18E2EA80684F11D2B9AA00C04F79F805"
SAMPLE_SIZE = 20


def check_tls(settings: AdSettings) -> list[Check]:
    """Open the connection (TLS handshake, certificate checked) without binding."""
    if not settings.uses_tls:
        return [Check("reachable", True, f"{settings.url} (no TLS: allowed for a lab only)")]
    server = build_server(settings)
    conn = ldap3.Connection(
        server, raise_exceptions=True, receive_timeout=int(max(1, settings.timeout))
    )
    try:
        conn.open()
        if settings.start_tls:
            conn.start_tls()
        cert = conn.socket.getpeercert()
    except lx.LDAPException as exc:
        err = translate_error(exc, settings.source, settings.url, "connect", settings=settings)
        return [
            Check(
                "reachable over TLS",
                False,
                str(err),
                getattr(err, "hint", "") or "check url, firewall, ca_file",
            )
        ]
    finally:
        try:
            conn.unbind()
        except lx.LDAPException:
            pass
    expires = datetime.fromtimestamp(ssl.cert_time_to_seconds(cert["notAfter"]), timezone.utc)
    days = (expires - datetime.now(timezone.utc)).days
    return [
        Check("reachable over TLS", True, settings.url),
        Check(
            "certificate valid",
            days > 14,
            f"trusted; expires {expires:%Y-%m-%d} ({days} days)",
            "" if days > 14 else "renew the DC certificate",
        ),
    ]


def _read_check(
    name: str, read: Callable[[], list], describe: Callable[[list], str], fix: str
) -> tuple[Check, list]:
    try:
        found = read()
    except AccessReviewError as exc:
        return Check(name, False, str(exc), exc.hint or fix), []
    return Check(name, bool(found), describe(found), "" if found else fix), found


def check_reads(session: LdapSession) -> list[Check]:
    s = session.settings

    def one(call, base, flt, attrs, scope=ldap3.SUBTREE, controls=()):
        # One page of SAMPLE_SIZE only: allowedAttributesEffective is computed per object,
        # and Samba ignores sizeLimit for administrators.
        found, _ = session.search(
            call,
            base,
            flt,
            attrs,
            scope=scope,
            controls=controls,
            kind="reads",
            paged=scope != ldap3.BASE,
            page_size=SAMPLE_SIZE,
        )
        return found[:SAMPLE_SIZE]

    checks = []
    c, _ = _read_check(
        "base DN",
        lambda: one("LDAP read base DN", s.base_dn, "(objectClass=*)", ["objectGUID"], ldap3.BASE),
        lambda f: s.base_dn,
        "check base_dn",
    )
    checks.append(c)
    c, users = _read_check(
        "read users",
        lambda: one(
            "LDAP read users",
            s.users_base,
            USER_FILTER,
            ["sAMAccountName", "userAccountControl", "allowedAttributesEffective"],
        ),
        lambda f: f"users readable under {s.users_base}",
        "grant the service account read on users_base",
    )
    checks.append(c)
    c, groups = _read_check(
        "read groups",
        lambda: one(
            "LDAP read groups",
            s.groups_base,
            GROUP_FILTER,
            ["cn", "member", "allowedAttributesEffective"],
        ),
        lambda f: f"groups readable under {s.groups_base}",
        "grant the service account read on groups_base",
    )
    checks.append(c)
    c, _ = _read_check(
        "read deleted objects",
        lambda: one(
            "LDAP read Deleted Objects",
            f"<WKGUID={DELETED_OBJECTS_WKGUID},{s.base_dn}>",
            "(objectClass=*)",
            ["objectGUID"],
            ldap3.BASE,
            [SHOW_DELETED_CONTROL],
        ),
        lambda f: "Deleted Objects readable (incremental sync sees deletions)",
        "grant List Contents on CN=Deleted Objects (dsacls /takeownership ...), or incremental syncs cannot see deletions",
    )
    checks.append(c)
    checks.append(
        _write_check(
            "may disable/enable accounts",
            users,
            "userAccountControl",
            "delegate Write userAccountControl on user objects to the service account",
        )
    )
    checks.append(
        _write_check(
            "may remove group members",
            groups,
            "member",
            "delegate Write Members on group objects to the service account",
        )
    )
    return checks


def _write_check(name: str, samples: list, attribute: str, fix: str) -> Check:
    if not samples:
        return Check(name, False, "no sample object to check", fix)
    writable = [
        e
        for e in samples
        if attribute.lower()
        in {v.decode().lower() for v in attr_values(e, "allowedAttributesEffective")}
    ]
    if writable:
        return Check(
            name,
            True,
            f"{attribute} writable on {len(writable)} of {len(samples)} sampled objects "
            f"(e.g. {entry_dn(writable[0])}); reported, not tried",
        )
    return Check(
        name, False, f"{attribute} is not writable on the {len(samples)} sampled objects", fix
    )
