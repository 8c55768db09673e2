"""Pure tests of the AD connector: transform, ranged `member` retrieval and paging, on
responses in the exact shapes a Windows DC returns (Samba never sends ranges and does not
cap pages, so these paths are tested here; everything else against Samba)."""

from __future__ import annotations

import base64
import json
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from ldap3.core import exceptions as lx

from access_review.errors import (
    AuthError,
    ConfigError,
    IncompleteRead,
    PermissionDenied,
    RetryableError,
    SourceError,
)
from connectors.ad.actions import guid_filter, refusal_reason
from access_review.connector import Action
from access_review.records import Snapshot
from connectors.ad.client import build_settings, translate_error
from connectors.ad.fetch import fetch_pages
from connectors.ad.incremental import build_full, merge_delta
from connectors.ad.ranged import collect_ranged, read_ranged
from connectors.ad.transform import (
    dn_is_within,
    filetime,
    parent_dn,
    privileged_role_name,
    split_extended_dn,
    transform_account,
    transform_group,
)

FIXTURES = Path(__file__).parent / "fixtures" / "ad"
DOMAIN_SID = "S-1-5-21-1004336348-1177238915-682003330"
BASE = "DC=district,DC=org"


def load_entry(name: str) -> dict:
    data = json.loads((FIXTURES / name).read_text(encoding="utf-8"))
    decode = lambda v: base64.b64decode(v[4:]) if v.startswith("b64:") else v.encode("utf-8")  # noqa: E731 (a one-line decoder for the fixture's values)
    return {
        "dn": data["dn"],
        "attributes": {k: [decode(v) for v in vs] for k, vs in data["attributes"].items()},
    }


def sid_bytes(sid: str) -> bytes:
    parts = sid.split("-")
    subs = [int(p) for p in parts[3:]]
    return (
        bytes([int(parts[1]), len(subs)])
        + int(parts[2]).to_bytes(6, "big")
        + b"".join(s.to_bytes(4, "little") for s in subs)
    )


def ext_dn(guid: str, dn: str, sid: str | None = None) -> bytes:
    return (f"<GUID={guid}>;" + (f"<SID={sid}>;" if sid else "") + dn).encode()


def user_entry(guid: str, sam: str, dn: str, uac: int = 512) -> dict:
    return {
        "dn": ext_dn(guid, dn).decode(),
        "attributes": {
            "objectGUID": [uuid.UUID(guid).bytes_le],
            "sAMAccountName": [sam.encode()],
            "userAccountControl": [str(uac).encode()],
            "objectClass": [b"top", b"user"],
        },
    }


def group_entry(
    guid: str,
    cn: str,
    members: list[bytes],
    *,
    sid: str | None = None,
    group_type: int = -2147483646,
    member_attr: str = "member",
) -> dict:
    attrs = {
        "objectGUID": [uuid.UUID(guid).bytes_le],
        "cn": [cn.encode()],
        "groupType": [str(group_type).encode()],
        "objectClass": [b"top", b"group"],
        member_attr: members,
    }
    if sid:
        attrs["objectSid"] = [sid_bytes(sid)]
    return {"dn": ext_dn(guid, f"CN={cn},OU=Groups,{BASE}").decode(), "attributes": attrs}


def guid(n: int) -> str:
    return str(uuid.UUID(int=n + 1))


# ---------- transform ----------


def test_windows_user_entry_maps_every_field():
    account = transform_account(load_entry("windows_user_entry.json"), "ad")
    assert account.id == "5f0c7e2a-9c1b-4f5e-8d7a-2b3c4d5e6f70"
    assert account.key == "ad:account:5f0c7e2a-9c1b-4f5e-8d7a-2b3c4d5e6f70"
    assert account.login == "jsmith" and account.employee_id == "E01234"
    assert account.email == "John.Smith@district.org" and account.display_name == "Smith, John"
    # 66050 = 0x10202: NORMAL_ACCOUNT | ACCOUNTDISABLE | DONT_EXPIRE_PASSWORD
    assert account.enabled is False
    assert account.extra["password_never_expires"] is True
    assert account.extra["sid"] == f"{DOMAIN_SID}-1105"
    assert account.extra["password_last_set"] is None  # 0 = must change at next logon
    assert account.extra["admin_count"] == 1
    assert account.last_sign_in == datetime(2024, 11, 12, 16, 0, tzinfo=timezone.utc)
    assert account.created == datetime(2019, 8, 15, 13, 45, 12, tzinfo=timezone.utc)
    # The comma in the CN is escaped: the OU is everything after the first RDN.
    assert account.org_unit == "OU=Staff,OU=Lincoln Elementary,DC=district,DC=org"
    assert account.kind == "person"


@pytest.mark.parametrize(
    "uac,enabled", [(512, True), (514, False), (66048, True), (66050, False), (2, False)]
)
def test_enabled_is_normalized_from_bit_0x2_only(uac, enabled):
    account = transform_account(user_entry(guid(1), "x", f"CN=x,{BASE}", uac), "ad")
    assert account.enabled is enabled


@pytest.mark.parametrize(
    "sam,dn,kind",
    [
        ("svc-backup", f"CN=svc-backup,OU=Service Accounts,{BASE}", "service"),
        ("gmsa-sql$", f"CN=gmsa-sql,CN=Managed Service Accounts,{BASE}", "service"),
        ("s12345", f"CN=Pupil\\, A,OU=Students,OU=Adams Middle,{BASE}", "student"),
        (
            "jdoe",
            f"CN=Students\\, Teacher of,OU=Staff,{BASE}",
            "person",
        ),  # "Students" in a CN is not an OU
    ],
)
def test_kind_first_guess(sam, dn, kind):
    assert transform_account(user_entry(guid(2), sam, dn), "ad").kind == kind


def test_filetime_never_values():
    assert filetime(0) is None and filetime(0x7FFFFFFFFFFFFFFF) is None and filetime(None) is None


def test_dn_handling_respects_escaped_commas_and_accents():
    dn = "CN=O'Neil\\, Zoë,OU=Smith\\, John Annex,DC=district,DC=org"
    assert parent_dn(dn) == "OU=Smith\\, John Annex,DC=district,DC=org"
    assert dn_is_within(dn, "ou=smith\\, john annex,dc=district,dc=org")
    assert not dn_is_within(dn, "OU=Smith,DC=district,DC=org")
    ids, plain = split_extended_dn("<GUID=abc>;<SID=S-1-5-21-1-2-3-500>;" + dn)
    assert ids == {"GUID": "abc", "SID": "S-1-5-21-1-2-3-500"} and plain == dn


def test_group_kind_and_scope_from_group_type():
    security = transform_group(group_entry(guid(3), "Staff", [], group_type=-2147483646), "ad")
    distribution = transform_group(group_entry(guid(4), "News", [], group_type=8), "ad")
    local = transform_group(group_entry(guid(5), "Local", [], group_type=-2147483644), "ad")
    assert (security.kind, security.extra["scope"]) == ("security", "global")
    assert (distribution.kind, distribution.extra["scope"]) == ("distribution", "universal")
    assert local.extra["scope"] == "domain_local"


@pytest.mark.parametrize(
    "sid,role",
    [
        (f"{DOMAIN_SID}-512", "Domain Admins"),
        (f"{DOMAIN_SID}-519", "Enterprise Admins"),
        (f"{DOMAIN_SID}-518", "Schema Admins"),
        (f"{DOMAIN_SID}-520", "Group Policy Creator Owners"),
        ("S-1-5-32-544", "Administrators"),
        ("S-1-5-32-548", "Account Operators"),
        ("S-1-5-32-551", "Backup Operators"),
        (f"{DOMAIN_SID}-513", None),
        (f"{DOMAIN_SID}-1512", None),
        ("S-1-5-32-545", None),
    ],
)
def test_privileged_groups_by_well_known_sid(sid, role):
    assert privileged_role_name(sid) == role


def test_full_build_memberships_privilege_and_foreign_principals():
    admin, nested = guid(10), guid(11)
    fsp_sid = "S-1-5-21-999-888-777-1234"
    users = [user_entry(admin, "admin", f"CN=Admin,OU=IT,{BASE}")]
    groups = [
        group_entry(
            guid(20),
            "Tech Overlords",
            [  # Domain Admins, renamed: still privileged by SID
                ext_dn(admin, f"CN=Admin,OU=IT,{BASE}"),
                ext_dn(nested, f"CN=Helpdesk,OU=Groups,{BASE}"),
                ext_dn(guid(30), f"CN={fsp_sid},CN=ForeignSecurityPrincipals,{BASE}", fsp_sid),
                ext_dn(guid(31), f"CN=WS01,OU=Computers,{BASE}"),
            ],
            sid=f"{DOMAIN_SID}-512",
        ),
        group_entry(nested, "Helpdesk", [ext_dn(guid(20), f"CN=Tech Overlords,OU=Groups,{BASE}")]),
    ]
    records = build_full(users, groups, "ad")
    members = {
        (m.member_key, m.member_type)
        for m in records.memberships
        if m.group_key == f"ad:group:{guid(20)}"
    }
    assert members == {
        (f"ad:account:{admin}", "account"),
        (f"ad:group:{nested}", "group"),
        (f"ad:foreign:{fsp_sid}", "foreign"),
    }
    assert len(records.warnings) == 1 and "CN=WS01" in records.warnings[0]  # reported, not dropped
    assert [(r.name, r.kind, r.privileged) for r in records.resources] == [
        ("Domain Admins", "admin_role", True)
    ]
    grant = records.grants[0]
    assert (grant.principal_key, grant.level, grant.kind) == (
        f"ad:group:{guid(20)}",
        "admin",
        "privileged_group",
    )
    keys = [a.key for a in records.accounts] + [g.key for g in records.groups]
    assert len(keys) == len(set(keys)) and all(keys)


# ---------- ranged retrieval (MaxValRange) in the Windows shape ----------


def windows_range_server(member_dns: list[bytes], max_val_range: int = 1500):
    """Answers ``member;range=N-*`` reads the way a Windows DC does."""
    reads = []

    def read_range(description: str) -> dict:
        reads.append(description)
        start = int(description.split("=")[1].split("-")[0])
        chunk = member_dns[start : start + max_val_range]
        end = start + len(chunk) - 1
        last = start + max_val_range >= len(member_dns)
        return {f"member;range={start}-{'*' if last else end}": chunk}

    return read_range, reads


def test_ranged_members_are_read_to_the_end():
    dns = [ext_dn(guid(100 + i), f"CN=User {i},OU=Staff,{BASE}") for i in range(3210)]
    # The group's own entry in the search page: an empty `member` and the first 1,500 values.
    first = {"cn": [b"All Staff"], "member": [], "member;range=0-1499": dns[:1500]}
    read_range, reads = windows_range_server(dns)
    values, extra_reads = collect_ranged(
        first, "member", read_range, where="CN=All Staff", source="ad"
    )
    assert values == dns
    assert reads == ["member;range=1500-*", "member;range=3000-*"] and extra_reads == 2


def test_ranged_exactly_at_the_boundary():
    dns = [ext_dn(guid(i), f"CN=U{i},{BASE}") for i in range(3000)]
    read_range, reads = windows_range_server(dns)
    values, _ = collect_ranged(
        {"member;range=0-1499": dns[:1500]}, "member", read_range, where="g", source="ad"
    )
    assert len(values) == 3000 and reads == ["member;range=1500-*"]


def test_ranged_answer_without_a_range_raises_not_truncates():
    dns = [b"x"] * 1500
    with pytest.raises(IncompleteRead):
        collect_ranged(
            {"member;range=0-1499": dns}, "member", lambda d: {"cn": [b"g"]}, where="g", source="ad"
        )


def test_plain_member_attribute_is_complete():
    assert read_ranged({"member": [b"a", b"b"]}, "member").next_start is None
    assert read_ranged({"cn": [b"g"]}, "member").values == []


# ---------- paging (MaxPageSize 1,000) ----------


def windows_pager(total: int, max_page_size: int = 1000, fail_at_page: int | None = None):
    """A DC that caps every page at MaxPageSize whatever the client asked for."""
    calls = []

    def read_page(cookie):
        page = int(cookie.decode()) if cookie else 0
        calls.append(cookie)
        if fail_at_page is not None and page == fail_at_page:
            raise RetryableError("ad", "LDAP search users", "connection reset")
        start = page * max_page_size
        entries = [
            {"dn": f"CN=U{i},{BASE}", "attributes": {}}
            for i in range(start, min(total, start + max_page_size))
        ]
        more = start + max_page_size < total
        return entries, (str(page + 1).encode() if more else b"")

    return read_page, calls


def test_pages_capped_at_1000_are_followed_to_the_end():
    read_page, calls = windows_pager(3500)
    entries = list(fetch_pages(read_page, source="ad", call="users"))
    assert len(entries) == 3500 and len(calls) == 4


def test_a_page_sequence_cut_short_never_yields_a_complete_snapshot():
    read_page, _ = windows_pager(3500, fail_at_page=2)
    seen = []
    with pytest.raises(RetryableError):
        for entry in fetch_pages(read_page, source="ad", call="users"):
            seen.append(entry)
    assert len(seen) == 2000  # the caller got an error, not 2,000 users that look like all


def test_a_cookie_that_never_ends_is_bounded():
    with pytest.raises(IncompleteRead):
        list(fetch_pages(lambda c: ([], b"again"), source="ad", call="users", max_pages=5))


# ---------- incremental merge ----------


def test_merge_delta_applies_changes_deletions_and_member_changes():
    a, b, c, g = guid(1), guid(2), guid(3), guid(9)
    users = [user_entry(a, "a", f"CN=A,{BASE}"), user_entry(b, "b", f"CN=B,{BASE}")]
    groups = [group_entry(g, "Staff", [ext_dn(a, f"CN=A,{BASE}"), ext_dn(b, f"CN=B,{BASE}")])]
    full = build_full(users, groups, "ad")
    previous = Snapshot(
        source="ad",
        accounts=full.accounts,
        groups=full.groups,
        memberships=full.memberships,
        complete=True,
        cursor={"usn": 1},
    )
    deleted_b = {
        "dn": f"CN=B\\0ADEL:{b},CN=Deleted Objects,{BASE}",
        "attributes": {
            "objectGUID": [uuid.UUID(b).bytes_le],
            "isDeleted": [b"TRUE"],
            "objectClass": [b"user"],
        },
    }
    changed = [
        user_entry(a, "a", f"CN=A,{BASE}", uac=514),
        user_entry(c, "c", f"CN=C,{BASE}"),
        deleted_b,
    ]
    merged = merge_delta(previous, changed, "ad", users_base=BASE, groups_base=BASE)
    by_id = {x.id: x for x in merged.accounts}
    assert set(by_id) == {a, c} and by_id[a].enabled is False
    # The group itself did not change: its memberships stay, minus the deleted member.
    assert {m.member_key for m in merged.memberships} == {f"ad:account:{a}"}
    # Now the group changes (C added): its whole member list is re-read.
    changed_group = group_entry(g, "Staff", [ext_dn(a, f"CN=A,{BASE}"), ext_dn(c, f"CN=C,{BASE}")])
    previous2 = Snapshot(
        source="ad",
        accounts=merged.accounts,
        groups=merged.groups,
        memberships=merged.memberships,
        complete=True,
    )
    merged2 = merge_delta(previous2, [changed_group], "ad", users_base=BASE, groups_base=BASE)
    assert {m.member_key for m in merged2.memberships} == {f"ad:account:{a}", f"ad:account:{c}"}


def test_moved_out_of_scope_is_removed():
    a = guid(1)
    users_base = f"OU=Staff,{BASE}"
    full = build_full([user_entry(a, "a", f"CN=A,{users_base}")], [], "ad")
    previous = Snapshot(source="ad", accounts=full.accounts, complete=True)
    merged = merge_delta(
        previous,
        [user_entry(a, "a", f"CN=A,OU=Former,{BASE}")],
        "ad",
        users_base=users_base,
        groups_base=BASE,
    )
    assert merged.accounts == []


# ---------- error mapping (one place) ----------


@pytest.mark.parametrize(
    "exc,expected",
    [
        (lx.LDAPInvalidCredentialsResult("invalidCredentials"), AuthError),
        (lx.LDAPInsufficientAccessRightsResult("insufficientAccessRights"), PermissionDenied),
        (
            lx.LDAPSocketOpenError("socket connection error: [Errno 111] Connection refused"),
            RetryableError,
        ),
        (lx.LDAPBusyResult("busy"), RetryableError),
        (
            lx.LDAPSocketOpenError("socket ssl wrapping error: certificate verify failed"),
            SourceError,
        ),
        (lx.LDAPNoSuchObjectResult("noSuchObject"), SourceError),
    ],
)
def test_ldap_errors_become_typed_errors_naming_server_and_call(exc, expected):
    err = translate_error(exc, "ad", "ldaps://dc1.district.org", "bind", "svc@district.org")
    assert type(err) is expected
    assert "ldaps://dc1.district.org" in str(err) and "bind" in str(err)
    if expected is AuthError:
        assert "svc@district.org" in str(err)


def test_refusal_names_unsupported_and_foreign_actions():
    assert refusal_reason(Action("disable_account", "ad", "ad:account:x"), "ad") is None
    assert (
        refusal_reason(
            Action("remove_membership", "ad", "ad:group:g", {"member": "ad:account:x"}), "ad"
        )
        is None
    )
    assert "does not" in refusal_reason(Action("revoke_sessions", "ad", "ad:account:x"), "ad")
    assert "does not belong" in refusal_reason(
        Action("disable_account", "ad", "entra:account:x"), "ad"
    )
    assert "member" in refusal_reason(Action("remove_membership", "ad", "ad:group:g"), "ad")


def test_guid_filter_escapes_every_byte():
    assert guid_filter("5f0c7e2a-9c1b-4f5e-8d7a-2b3c4d5e6f70") == (
        "(objectGUID=\\2a\\7e\\0c\\5f\\1b\\9c\\5e\\4f\\8d\\7a\\2b\\3c\\4d\\5e\\6f\\70)"
    )


# ---------- settings ----------


def test_plain_ldap_is_refused_unless_explicitly_allowed():
    base = {"bind_user": "svc@district.org", "base_dn": BASE, "password_env": "X"}
    with pytest.raises(ConfigError, match="unencrypted"):
        build_settings("ad", {**base, "url": "ldap://dc1"})
    assert build_settings("ad", {**base, "url": "ldap://dc1", "start_tls": True}).uses_tls
    assert not build_settings("ad", {**base, "url": "ldap://dc1", "allow_plaintext": True}).uses_tls
    with pytest.raises(ConfigError, match="1000"):
        build_settings("ad", {**base, "url": "ldaps://dc1", "page_size": 5000})


def test_relative_ca_file_resolves_against_config_folder(tmp_path):
    import shutil
    import ssl

    (tmp_path / "certs").mkdir()  # the file must exist now (issue 19: a missing ca_file is named)
    shutil.copy(
        ssl.get_default_verify_paths().cafile or "/etc/ssl/certs/ca-certificates.crt",
        tmp_path / "certs" / "ca.pem",
    )
    s = build_settings(
        "ad",
        {"url": "ldaps://dc1", "bind_user": "u", "base_dn": BASE, "ca_file": "certs/ca.pem"},
        base_dir=str(tmp_path),
    )
    assert s.ca_file == str(tmp_path / "certs" / "ca.pem")


def test_primary_group_membership_from_primary_group_id_and_missing_ones_reported():
    """primaryGroupID is a RID of the account's own domain SID (512 = Domain Admins)."""
    pat, kim = guid(40), guid(41)
    users = [
        user_entry(pat, "pat", f"CN=Pat,OU=IT,{BASE}"),
        user_entry(kim, "kim", f"CN=Kim,OU=IT,{BASE}"),
    ]
    users[0]["attributes"].update(
        objectSid=[sid_bytes(f"{DOMAIN_SID}-1601")], primaryGroupID=[b"512"]
    )
    users[1]["attributes"].update(
        objectSid=[sid_bytes(f"{DOMAIN_SID}-1602")], primaryGroupID=[b"513"]
    )
    groups = [group_entry(guid(42), "Domain Admins", [], sid=f"{DOMAIN_SID}-512")]
    records = build_full(users, groups, "ad")
    assert [(m.group_key, m.member_key, m.role) for m in records.memberships] == [
        (f"ad:group:{guid(42)}", f"ad:account:{pat}", "primary")
    ]
    assert any("primary group" in w and w.startswith("1 account") for w in records.warnings)
