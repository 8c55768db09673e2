"""Pure mapping from raw LDAP entries to normalized records.

A raw entry is ``{"dn": str, "attributes": {name: [bytes, ...]}}`` — the attribute values
exactly as they arrive on the wire (ldap3's ``raw_attributes``), so the mapping does not
depend on a schema being loaded and behaves the same against Windows and Samba.
Attribute names are matched case-insensitively (AD echoes the case the client asked for).
"""

from __future__ import annotations

import re
import struct
import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, Iterable, Mapping

from ldap3.utils.dn import parse_dn

from access_review.records import (
    Account,
    AccountKind,
    Contact,
    Grant,
    Group,
    Membership,
    Resource,
    account_key,
    contact_key,
    group_key,
)

RawEntry = Mapping[str, Any]

# userAccountControl bits, https://learn.microsoft.com/troubleshoot/windows-server/active-directory/useraccountcontrol-manipulate-account-properties
UAC_ACCOUNTDISABLE = 0x0002
UAC_DONT_EXPIRE_PASSWORD = 0x10000

# groupType bits, https://learn.microsoft.com/windows/win32/adschema/a-grouptype
GROUP_TYPE_SECURITY = 0x80000000
GROUP_SCOPES = {0x1: "builtin", 0x2: "global", 0x4: "domain_local", 0x8: "universal"}

# Privileged groups by well-known SID, never by name (names are localized and renamable).
# https://learn.microsoft.com/windows-server/identity/ad-ds/manage/understand-security-identifiers
PRIVILEGED_DOMAIN_RIDS = {
    512: "Domain Admins",
    518: "Schema Admins",
    519: "Enterprise Admins",
    520: "Group Policy Creator Owners",
}
PRIVILEGED_BUILTIN_SIDS = {
    "S-1-5-32-544": "Administrators",
    "S-1-5-32-548": "Account Operators",
    "S-1-5-32-549": "Server Operators",
    "S-1-5-32-550": "Print Operators",
    "S-1-5-32-551": "Backup Operators",
}

# FILETIME: 100-ns intervals since 1601-01-01 UTC; 0 and 2**63-1 both mean "never".
_FILETIME_EPOCH = datetime(1601, 1, 1, tzinfo=timezone.utc)
_FILETIME_NEVER = (0, 0x7FFFFFFFFFFFFFFF)

# Extended DN (control 1.2.840.113556.1.4.529, flag 1): "<GUID=...>;<SID=...>;CN=..."
_EXTENDED_DN = re.compile(r"^((?:<[A-Za-z]+=[^>]*>;)+)(.*)$", re.S)
_EXTENDED_PART = re.compile(r"<([A-Za-z]+)=([^>]*)>")


# ---------- attribute decoding ----------


def attr_values(entry: RawEntry, name: str) -> list[bytes]:
    """All raw values of ``name`` (case-insensitive, exact description; no range options)."""
    wanted = name.lower()
    for key, values in entry["attributes"].items():
        if key.lower() == wanted:
            return [v if isinstance(v, bytes) else str(v).encode("utf-8") for v in values]
    return []


def attr_text(entry: RawEntry, name: str) -> str | None:
    values = attr_values(entry, name)
    return values[0].decode("utf-8") if values else None


def attr_int(entry: RawEntry, name: str) -> int | None:
    text = attr_text(entry, name)
    return int(text) if text not in (None, "") else None


def guid_text(raw: bytes) -> str:
    """objectGUID bytes are little-endian in the first three fields (as Windows prints them)."""
    return str(uuid.UUID(bytes_le=bytes(raw)))


def sid_text(raw: bytes) -> str:
    """Binary SID -> S-1-5-21-... (MS-DTYP 2.4.2.2)."""
    raw = bytes(raw)
    revision, count = raw[0], raw[1]
    authority = int.from_bytes(raw[2:8], "big")
    subs = struct.unpack("<" + "I" * count, raw[8 : 8 + 4 * count])
    return "S-%d-%d" % (revision, authority) + "".join(f"-{s}" for s in subs)


def filetime(value: int | None) -> datetime | None:
    if value is None or value in _FILETIME_NEVER or value < 0:
        return None
    return _FILETIME_EPOCH + timedelta(microseconds=value // 10)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def generalized_time(text: str | None) -> datetime | None:
    """whenCreated: '20261128114609.0Z'."""
    if not text:
        return None
    return datetime.strptime(text.split(".")[0].rstrip("Z"), "%Y%m%d%H%M%S").replace(
        tzinfo=timezone.utc
    )


def split_extended_dn(value: str) -> tuple[dict[str, str], str]:
    """'<GUID=g>;<SID=s>;CN=x,DC=y' -> ({'GUID': g, 'SID': s}, 'CN=x,DC=y'); a plain DN passes through."""
    match = _EXTENDED_DN.match(value)
    if not match:
        return {}, value
    parts = {k.upper(): v for k, v in _EXTENDED_PART.findall(match.group(1))}
    return parts, match.group(2)


def entry_dn(entry: RawEntry) -> str:
    return split_extended_dn(entry["dn"])[1]


def split_rdns(dn: str) -> list[list[tuple[str, str, str]]]:
    """The RDNs of ``dn``, each a list of its attribute-value assertions. ``parse_dn`` lists
    assertions, not RDNs: a multi-valued RDN (``CN=a+UID=b``, RFC 4514 section 2.2) is several
    entries joined by the separator ``+``."""
    rdns: list[list[tuple[str, str, str]]] = [[]]
    for attribute, value, separator in parse_dn(dn):
        rdns[-1].append((attribute, value, separator))
        if separator != "+":
            rdns.append([])
    return [rdn for rdn in rdns if rdn]


def parent_dn(dn: str) -> str:
    """The container of ``dn``, handled as a DN (``CN=Smith\\, John,OU=...`` has one RDN, and
    so has ``CN=a+UID=b,OU=...``)."""
    return "".join(f"{a}={v}{sep}" for rdn in split_rdns(dn)[1:] for a, v, sep in rdn)


def dn_is_within(dn: str, base: str) -> bool:
    """True when ``dn`` is ``base`` or below it, comparing RDNs case-insensitively."""
    inner = [(a.lower(), v.lower()) for a, v, _ in parse_dn(dn)]
    outer = [(a.lower(), v.lower()) for a, v, _ in parse_dn(base)]
    return len(inner) >= len(outer) and inner[len(inner) - len(outer) :] == outer


def has_object_class(entry: RawEntry, name: str) -> bool:
    return name.lower() in {v.decode("utf-8").lower() for v in attr_values(entry, "objectClass")}


def is_deleted(entry: RawEntry) -> bool:
    return (attr_text(entry, "isDeleted") or "").upper() == "TRUE"


def object_guid(entry: RawEntry) -> str:
    values = attr_values(entry, "objectGUID")
    if not values:
        raise ValueError(f"entry {entry['dn']!r} has no objectGUID")
    return guid_text(values[0])


# ---------- records ----------


def guess_account_kind(sam: str, dn: str) -> AccountKind:
    """First guess only; the core reclassifies with the configured rules."""
    lowered = sam.lower()
    if lowered.startswith("svc-") or lowered.endswith("$"):
        return "service"
    if any(a.upper() == "OU" and "students" in v.lower() for a, v, _ in parse_dn(dn)):
        return "student"
    return "person"


def transform_account(entry: RawEntry, source: str) -> Account:
    """A user or a computer (objectClass computer: kind "computer")."""
    dn = entry_dn(entry)
    sam = attr_text(entry, "sAMAccountName") or ""
    uac = attr_int(entry, "userAccountControl") or 0
    sid = attr_values(entry, "objectSid")
    upn = attr_text(entry, "userPrincipalName")
    computer = has_object_class(entry, "computer")
    extra = {
        "dn": dn,
        "sid": sid_text(sid[0]) if sid else None,
        "upn": upn,
        "primary_group_id": attr_int(entry, "primaryGroupID"),
        "user_account_control": uac,
        "password_never_expires": bool(uac & UAC_DONT_EXPIRE_PASSWORD),
        # ISO text, not datetime: extra is stored as JSON and must read back the same.
        "password_last_set": _iso(filetime(attr_int(entry, "pwdLastSet"))),
        "admin_count": attr_int(entry, "adminCount") or 0,
        # lastLogonTimestamp replicates only when it moves by more than
        # msDS-LogonTimeSyncInterval (default 14 days, minus up to 5 random days), so
        # last_sign_in may be up to ~14 days stale. Dormancy thresholds must allow for it.
        # https://learn.microsoft.com/windows/win32/adschema/a-lastlogontimestamp
        "last_sign_in_staleness_days": 14,
    }
    return Account(
        source=source,
        id=object_guid(entry),
        login=sam,
        email=attr_text(entry, "mail"),
        display_name=attr_text(entry, "displayName") or attr_text(entry, "cn") or sam,
        employee_id=attr_text(entry, "employeeID"),
        enabled=not (uac & UAC_ACCOUNTDISABLE),
        last_sign_in=filetime(attr_int(entry, "lastLogonTimestamp")),
        created=generalized_time(attr_text(entry, "whenCreated")),
        org_unit=parent_dn(dn),
        kind="computer" if computer else guess_account_kind(sam, dn),
        title=attr_text(entry, "title") or "",
        department=attr_text(entry, "department") or "",
        upn=upn,
        extra=extra,
    )


def transform_contact(entry: RawEntry, source: str) -> Contact:
    dn = entry_dn(entry)
    return Contact(
        source=source,
        id=object_guid(entry),
        name=attr_text(entry, "displayName") or attr_text(entry, "cn") or dn,
        email=attr_text(entry, "mail"),
        extra={"dn": dn},
    )


def primary_group_memberships(
    accounts: Iterable[Account], groups: Iterable[Group], source: str
) -> tuple[list[Membership], int]:
    """The primary group of each account: a group of the account's own domain whose SID is
    the domain SID plus primaryGroupID (Domain Users 513, Domain Computers 515, or, set by
    hand, Domain Admins 512). AD keeps this membership out of the group's ``member`` values,
    yet the account's token holds the group (https://learn.microsoft.com/windows/win32/adschema/a-primarygroupid).
    Returns the memberships and how many accounts name a primary group not read (outside
    the configured groups base)."""
    by_sid = {g.extra.get("sid"): g.key for g in groups if g.extra.get("sid")}
    out, missing = [], 0
    for a in accounts:
        rid, sid = a.extra.get("primary_group_id"), a.extra.get("sid")
        if not rid or not sid:
            continue
        group = by_sid.get(f"{sid.rsplit('-', 1)[0]}-{rid}")
        if group is None:
            missing += 1
            continue
        out.append(Membership(source, group, a.key, "account", role="primary"))
    return out, missing


def transform_group(entry: RawEntry, source: str) -> Group:
    dn = entry_dn(entry)
    group_type = (attr_int(entry, "groupType") or 0) & 0xFFFFFFFF  # stored signed 32-bit
    scope = next((name for bit, name in GROUP_SCOPES.items() if group_type & bit), "unknown")
    sid = attr_values(entry, "objectSid")
    return Group(
        source=source,
        id=object_guid(entry),
        name=attr_text(entry, "cn") or attr_text(entry, "sAMAccountName") or dn,
        email=attr_text(entry, "mail"),
        kind="security" if group_type & GROUP_TYPE_SECURITY else "distribution",
        extra={
            "dn": dn,
            "sid": sid_text(sid[0]) if sid else None,
            "scope": scope,
            "sam_account_name": attr_text(entry, "sAMAccountName"),
            "admin_count": attr_int(entry, "adminCount") or 0,
        },
    )


def privileged_role_name(sid: str | None) -> str | None:
    """The well-known privileged role a group SID stands for, or None."""
    if not sid:
        return None
    if sid in PRIVILEGED_BUILTIN_SIDS:
        return PRIVILEGED_BUILTIN_SIDS[sid]
    if sid.startswith("S-1-5-21-"):
        rid = int(sid.rsplit("-", 1)[1])
        return PRIVILEGED_DOMAIN_RIDS.get(rid)
    return None


def transform_privileged(
    groups: Iterable[Group], source: str
) -> tuple[list[Resource], list[Grant]]:
    resources, grants = [], []
    for group in groups:
        role = privileged_role_name(group.extra.get("sid"))
        if role is None:
            continue
        resource = Resource(
            source=source,
            id=group.extra["sid"],
            name=role,
            kind="admin_role",
            privileged=True,
            extra={"group_dn": group.extra.get("dn")},
        )
        resources.append(resource)
        grants.append(
            Grant(
                source=source,
                id=f"privileged-group:{group.id}",
                resource_key=resource.key,
                principal_key=group.key,
                level="admin",
                kind="privileged_group",
                role=role,
            )
        )
    return resources, grants


def foreign_key(source: str, sid: str) -> str:
    return f"{source}:foreign:{sid}"


def is_foreign_principal_dn(dn: str) -> bool:
    """Members from trusted domains appear as CN=<SID>,CN=ForeignSecurityPrincipals,<domain>."""
    rdns = split_rdns(dn)
    return (
        len(rdns) > 1
        and len(rdns[1]) == 1
        and rdns[1][0][0].upper() == "CN"
        and rdns[1][0][1].lower() == "foreignsecurityprincipals"
    )


def transform_memberships(
    group: Group,
    member_values: Iterable[bytes | str],
    source: str,
    account_ids: set[str],
    group_ids: set[str],
    contact_ids: frozenset[str] | set[str] = frozenset(),
) -> tuple[list[Membership], list[str]]:
    """Direct members of one group, from extended-DN ``member`` values.

    Accounts (users and computers), groups, contacts and foreign security principals become
    memberships. Returns them and the member DNs that are none of these (objects outside the
    configured bases) so that the caller can report them rather than drop them silently.
    """
    memberships, unresolved = [], []
    for raw in member_values:
        value = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        ids, dn = split_extended_dn(value)
        guid = ids.get("GUID", "").lower()
        if guid in account_ids:
            memberships.append(Membership(source, group.key, account_key(source, guid), "account"))
        elif guid in group_ids:
            memberships.append(Membership(source, group.key, group_key(source, guid), "group"))
        elif guid in contact_ids:
            memberships.append(Membership(source, group.key, contact_key(source, guid), "contact"))
        elif is_foreign_principal_dn(dn):
            sid = ids.get("SID") or parse_dn(dn)[0][1]
            memberships.append(Membership(source, group.key, foreign_key(source, sid), "foreign"))
        else:
            unresolved.append(dn)
    return memberships, unresolved
