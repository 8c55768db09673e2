"""LDAP reads. Each ``fetch_*`` pages to the end or raises; nothing here builds records.

Paging uses the simple paged results control (RFC 2696). A page request is one LDAP
operation; a listing is complete only when the server answers with an empty cookie.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator, Sequence

import ldap3
from ldap3.utils.conv import escape_filter_chars

from access_review.errors import IncompleteRead, SourceError

from .client import EXTENDED_DN_CONTROL, SHOW_DELETED_CONTROL, LdapSession
from .ranged import collect_ranged
from .transform import attr_values, entry_dn, guid_text

# primaryGroupID: the RID (in the account's own domain) of its primary group, a membership
# that appears in no ``member`` value (https://learn.microsoft.com/windows/win32/adschema/a-primarygroupid).
USER_ATTRIBUTES = (
    "objectGUID",
    "objectSid",
    "sAMAccountName",
    "userPrincipalName",
    "mail",
    "employeeID",
    "displayName",
    "cn",
    "title",
    "department",
    "userAccountControl",
    "lastLogonTimestamp",
    "whenCreated",
    "pwdLastSet",
    "adminCount",
    "objectClass",
    "uSNChanged",
    "primaryGroupID",
)
GROUP_ATTRIBUTES = (
    "objectGUID",
    "objectSid",
    "sAMAccountName",
    "cn",
    "mail",
    "groupType",
    "adminCount",
    "member",
    "objectClass",
    "uSNChanged",
)
# Users, service accounts included; computers are users too but are not people's accounts.
USER_FILTER = "(&(objectClass=user)(!(objectClass=computer)))"
GROUP_FILTER = "(objectClass=group)"
# Computers (security principals that sign in: a computer in Domain Admins is a domain admin)
# and contacts (mail recipients that cannot sign in) are group members too: read wherever
# they live in the domain, since they may sit outside the users base.
MEMBER_OBJECT_FILTER = "(|(objectClass=computer)(objectClass=contact))"

# One page of a listing: (entries, cookie). A cookie of None/b"" means the listing ended.
PageReader = Callable[[bytes | None], tuple[list[dict], bytes | None]]


def fetch_pages(
    read_page: PageReader, *, source: str, call: str, max_pages: int = 1_000_000
) -> Iterator[dict]:
    """Every entry of a paged listing, in order; ends only on an empty cookie.

    A cookie is opaque and may repeat (Samba hands back the same cookie on every page), so
    the only loop guard is a page bound. Any failure of a later page propagates: the entries
    already yielded never become a listing that looks complete.
    """
    cookie: bytes | None = None
    for _ in range(max_pages):
        entries, cookie = read_page(cookie)
        yield from entries
        if not cookie:
            return
    raise IncompleteRead(source, call, f"more than {max_pages} pages; the listing did not finish")


def session_pager(
    session: LdapSession,
    call: str,
    base: str,
    search_filter: str,
    attributes: Sequence[str],
    controls: Sequence[tuple] = (),
) -> PageReader:
    def read_page(cookie: bytes | None):
        return session.search(
            call,
            base,
            search_filter,
            attributes,
            controls=controls,
            paged=True,
            paged_cookie=cookie,
        )

    return read_page


def complete_members(session: LdapSession, entry: dict) -> dict:
    """The entry with every ``member`` value, reading further ranges when the DC sent a
    ``member;range=0-1499`` slice (Windows; MaxValRange)."""
    attributes = entry["attributes"]
    dn = entry_dn(entry)
    if not any(key.lower().startswith("member;range=") for key in attributes):
        return entry

    def read_range(description: str):
        found, _ = session.search(
            f"LDAP ranged read {description} of {dn}",
            dn,
            "(objectClass=*)",
            [description],
            scope=ldap3.BASE,
            controls=[EXTENDED_DN_CONTROL],
            kind="ranged_reads",
        )
        if len(found) != 1:
            raise IncompleteRead(
                session.settings.source,
                f"LDAP ranged read {description}",
                f"{dn} vanished while its members were being read",
            )
        return found[0]["attributes"]

    values, _ = collect_ranged(
        attributes, "member", read_range, where=dn, source=session.settings.source
    )
    kept = {
        k: v
        for k, v in attributes.items()
        if k.lower() != "member" and not k.lower().startswith("member;range=")
    }
    kept["member"] = values
    return {"dn": entry["dn"], "attributes": kept}


def fetch_users(session: LdapSession) -> Iterator[dict]:
    s = session.settings
    call = f"LDAP search users under {s.users_base}"
    yield from fetch_pages(
        session_pager(session, call, s.users_base, USER_FILTER, USER_ATTRIBUTES),
        source=s.source,
        call=call,
    )


def fetch_computers_and_contacts(session: LdapSession) -> Iterator[dict]:
    s = session.settings
    call = f"LDAP search computers and contacts under {s.base_dn}"
    yield from fetch_pages(
        session_pager(session, call, s.base_dn, MEMBER_OBJECT_FILTER, USER_ATTRIBUTES),
        source=s.source,
        call=call,
    )


def fetch_groups(session: LdapSession) -> Iterator[dict]:
    """Groups with all direct members (extended DNs: each carries the member's GUID/SID)."""
    s = session.settings
    call = f"LDAP search groups under {s.groups_base}"
    pages = fetch_pages(
        session_pager(
            session, call, s.groups_base, GROUP_FILTER, GROUP_ATTRIBUTES, [EXTENDED_DN_CONTROL]
        ),
        source=s.source,
        call=call,
    )
    for entry in pages:
        yield complete_members(session, entry)


def fetch_changed_since(session: LdapSession, usn: int) -> Iterator[dict]:
    """Users and groups (live or deleted) whose uSNChanged is above ``usn`` on this DC.

    One listing over the whole naming context with the show-deleted control, so tombstones
    in CN=Deleted Objects (which keep objectGUID and get a new uSNChanged when deleted)
    arrive in the same pages as changes. Member changes bump the group's uSNChanged.
    https://learn.microsoft.com/windows/win32/ad/polling-for-changes-using-usnchanged
    """
    s = session.settings
    low = escape_filter_chars(str(int(usn) + 1))
    # Users, computers (objectClass user too), contacts and groups.
    search_filter = (
        f"(&(uSNChanged>={low})(|(objectClass=group)(objectClass=user)(objectClass=contact)))"
    )
    call = f"LDAP search changes since USN {usn} under {s.base_dn}"
    attributes = sorted(set(USER_ATTRIBUTES) | set(GROUP_ATTRIBUTES) | {"isDeleted"})
    pages = fetch_pages(
        session_pager(
            session,
            call,
            s.base_dn,
            search_filter,
            attributes,
            [EXTENDED_DN_CONTROL, SHOW_DELETED_CONTROL],
        ),
        source=s.source,
        call=call,
    )
    for entry in pages:
        if any(k.lower() == "isdeleted" for k in entry["attributes"]):
            yield entry
        else:
            yield complete_members(session, entry)


@dataclass(frozen=True)
class DcState:
    dc: str
    invocation_id: str
    usn: int


def fetch_dc_state(session: LdapSession) -> DcState:
    """Which DC answered and its highestCommittedUSN, from the rootDSE read at bind, plus the
    invocationId of its NTDS Settings (it changes when the DC database is restored, which
    makes USNs from before meaningless)."""
    info = session.server_info
    source = session.settings.source
    try:
        usn = int(info["highestCommittedUSN"][0])
        dc = (info.get("dnsHostName") or info.get("serverName") or [])[0]
        ds_service = info["dsServiceName"][0]
    except (KeyError, TypeError, IndexError, ValueError) as exc:
        raise SourceError(
            source,
            f"rootDSE on {session.settings.url}",
            f"the rootDSE lacks highestCommittedUSN/dnsHostName/dsServiceName ({exc})",
        ) from exc
    found, _ = session.search(
        "LDAP read NTDS Settings invocationId",
        ds_service,
        "(objectClass=*)",
        ["invocationId"],
        scope=ldap3.BASE,
        kind="reads",
    )
    raw = attr_values(found[0], "invocationId") if found else []
    return DcState(dc=dc, invocation_id=guid_text(raw[0]) if raw else "", usn=usn)
