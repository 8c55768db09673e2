"""The AD connector against a real Samba AD DC (see samba_dc.py): a test district of ~3,000
users is bulk-loaded, read, changed, read incrementally and acted on. Expected numbers come
from what was loaded and from Samba's own tools (ldbsearch, samba-tool), never from the
connector. If Samba cannot run, these tests fail with the reason; they never skip."""

from __future__ import annotations

import os

import ldap3
import pytest

from access_review.errors import AuthError, PermissionDenied, RetryableError, SourceError
from access_review.retry import RetryPolicy
from connectors.ad.connector import build_connector
from access_review.connector import Action
from samba_dc import SambaDC, build_district

USERS = 3000
BUILTIN_USERS = 4  # Administrator, Guest, krbtgt, dns-DC1 (provision makes it even without DNS)
FAST_RETRY = RetryPolicy(tries=2, base=0.01, cap=0.05)


@pytest.fixture(scope="module")
def district():
    return build_district(USERS)


@pytest.fixture(scope="module")
def dc(tmp_path_factory, district):
    dc = SambaDC.create(tmp_path_factory.mktemp("samba"), ldif=district.ldif, start=False)
    dc.ldbmodify(district.modify_ldif)
    dc.start()
    yield dc
    dc.stop()


@pytest.fixture(scope="module")
def connector(dc):
    return build_connector("ad", dc.settings(), base_dir=".", retry_policy=FAST_RETRY)


@pytest.fixture(scope="module")
def first(connector):
    return connector.fetch_snapshot(None)


def by_login(snapshot):
    return {a.login: a for a in snapshot.accounts}


def group_named(snapshot, name):
    return next(g for g in snapshot.groups if g.name == name)


def members_of(snapshot, group):
    return {m.member_key for m in snapshot.memberships if m.group_key == group.key}


# ---------- full read ----------


def test_full_sync_counts_match_what_samba_holds(dc, district, first):
    assert first.complete and first.mode == "full"
    samba_users = dc.count("(&(objectClass=user)(!(objectClass=computer)))")
    assert samba_users == USERS + len(district.service_accounts) + BUILTIN_USERS
    # Computers are group members too (issue 12): stored as accounts of kind "computer".
    computers = [a for a in first.accounts if a.kind == "computer"]
    assert len(computers) == dc.count("(objectClass=computer)") >= 1  # the DC itself
    assert len(first.accounts) - len(computers) == samba_users
    assert len(first.groups) == dc.count("(objectClass=group)")
    samba_disabled = dc.count(
        "(&(objectClass=user)(!(objectClass=computer))"
        "(userAccountControl:1.2.840.113556.1.4.803:=2))"
    )
    assert sum(not a.enabled for a in first.accounts if a.kind != "computer") == samba_disabled
    loaded_disabled = sum(not p["enabled"] for p in district.people)
    builtin_disabled = dc.count(
        "(&(objectClass=user)(userAccountControl:1.2.840.113556.1.4.803:=2))",
        base=f"CN=Users,{dc.base_dn}",
    )
    assert samba_disabled == loaded_disabled + builtin_disabled
    keys = [a.key for a in first.accounts] + [g.key for g in first.groups]
    assert len(keys) == len(set(keys)) and all(k.split(":")[2] for k in keys)
    assert first.stats["ldap_operations"] >= 5 and first.cursor["usn"] > 0


def test_every_loaded_group_has_exactly_its_members(dc, district, first):
    accounts = by_login(first)
    dn_to_key = {p["dn"].lower(): accounts[p["sam"]].key for p in district.people}
    dn_to_key.update(
        {district.group_dn(cn).lower(): group_named(first, cn).key for cn in district.groups}
    )
    for cn, member_dns in district.groups.items():
        group = group_named(first, cn)
        samba_members = dc.ldbsearch(f"(cn={cn})", ["member"], base=f"OU=Groups,{dc.base_dn}")[
            0
        ].get("member", [])
        assert len(samba_members) == len(member_dns), cn
        assert members_of(first, group) == {dn_to_key[d.lower()] for d in member_dns}, cn
    assert len(members_of(first, group_named(first, "All Staff"))) == USERS


def test_nested_groups_with_a_cycle_and_distribution_lists(first):
    a, b = group_named(first, "Cycle A"), group_named(first, "Cycle B")
    assert b.key in members_of(first, a) and a.key in members_of(first, b)
    types = {m.member_type for m in first.memberships if m.group_key == a.key}
    assert types == {"account", "group"}
    assert group_named(first, "Newsletter").kind == "distribution"
    assert group_named(first, "All Staff").kind == "security"
    assert group_named(first, "All Staff").extra["scope"] == "global"


def test_domain_admins_is_a_privileged_grant_by_sid(district, first):
    domain_admins = group_named(first, "Domain Admins")
    assert domain_admins.extra["sid"].endswith("-512")
    resource = next(r for r in first.resources if r.name == "Domain Admins")
    assert resource.privileged and resource.kind == "admin_role"
    grant = next(g for g in first.grants if g.resource_key == resource.key)
    assert grant.principal_key == domain_admins.key and grant.level == "admin"
    accounts = by_login(first)
    expected = {
        accounts["Administrator"].key,
        accounts[district.people[0]["sam"]].key,
        group_named(first, "Building Leaders").key,
    }
    assert members_of(first, domain_admins) == expected
    assert {r.name for r in first.resources} >= {
        "Administrators",
        "Enterprise Admins",
        "Schema Admins",
        "Backup Operators",
        "Account Operators",
    }


def test_awkward_names_ous_kinds_and_attributes(district, first):
    accounts = by_login(first)
    smith = accounts[district.people[0]["sam"]]
    assert smith.display_name == "Smith, John"
    assert smith.org_unit == district.people[0]["ou"]
    zoe = accounts[district.people[1]["sam"]]
    assert zoe.display_name == "Zoë O'Brien" and zoe.extra["dn"].startswith("CN=Zoë O'Brien,")
    for name in district.service_accounts:
        assert accounts[name].kind == "service" and accounts[name].extra["password_never_expires"]
    student = next(p for p in district.people if p["student"])
    assert accounts[student["sam"]].kind == "student"
    staff = next(p for p in district.people if not p["student"])
    assert accounts[staff["sam"]].kind == "person"
    assert accounts[staff["sam"]].employee_id == "E" + staff["sam"][1:]
    assert accounts[staff["sam"]].email == f"{staff['sam']}@district.test"


# ---------- incremental ----------


def through_store(snapshot, path):
    """What the next sync really gets: the last complete snapshot as the store gives it back."""
    from access_review.store import Store

    with Store(path) as store:
        return store.load_snapshot(store.save_snapshot(snapshot))


def test_incremental_after_adding_changing_disabling_and_deleting(
    dc, district, connector, first, tmp_path
):
    conn = dc.admin_connection()
    staff = [p for p in district.people if not p["student"]]
    changed_title, disabled, deleted, removed_member = staff[10], staff[11], staff[12], staff[13]
    new_dn = f"CN=New\\, Hire,OU=Staff,OU=Adams Middle,{dc.base_dn}"
    conn.add(new_dn, "user", {"sAMAccountName": "newhire", "userAccountControl": 514})
    conn.modify(changed_title["dn"], {"title": [(ldap3.MODIFY_REPLACE, ["Principal"])]})
    conn.modify(disabled["dn"], {"userAccountControl": [(ldap3.MODIFY_REPLACE, ["514"])]})
    conn.delete(deleted["dn"])
    conn.modify(district.group_dn("SpEd Staff"), {"member": [(ldap3.MODIFY_ADD, [new_dn])]})
    removed_from = f"{removed_member['building']} Staff"
    conn.modify(
        district.group_dn(removed_from), {"member": [(ldap3.MODIFY_DELETE, [removed_member["dn"]])]}
    )
    conn.unbind()

    incremental = connector.fetch_snapshot(through_store(first, tmp_path / "store.db"))
    assert incremental.mode == "incremental" and incremental.complete
    full = connector.fetch_snapshot(None)
    # The merged incremental snapshot is exactly what a full read now says.
    assert set(incremental.accounts) == set(full.accounts)
    assert set(incremental.groups) == set(full.groups)
    assert set(incremental.memberships) == set(full.memberships)
    assert set(incremental.grants) == set(full.grants)
    accounts = by_login(incremental)
    assert "newhire" in accounts and accounts["newhire"].enabled is False
    assert accounts[changed_title["sam"]].title == "Principal"
    assert accounts[disabled["sam"]].enabled is False
    assert deleted["sam"] not in accounts
    assert len(incremental.accounts) == len(first.accounts)  # one added, one deleted
    assert accounts["newhire"].key in members_of(
        incremental, group_named(incremental, "SpEd Staff")
    )
    assert accounts[removed_member["sam"]].key not in members_of(
        incremental, group_named(incremental, removed_from)
    )
    assert incremental.stats["ldap_operations"] < full.stats["ldap_operations"]
    assert incremental.stats["entries_read"] < 20
    assert incremental.cursor["usn"] > first.cursor["usn"]


def test_another_dc_means_full_reconciliation(connector, first):
    moved = type(first)(**{**first.__dict__, "cursor": {**first.cursor, "dc": "DC2.district.test"}})
    again = connector.fetch_snapshot(moved)
    assert again.mode == "full" and any("DC changed" in w for w in again.warnings)


# ---------- actions ----------


def uac_from_samba_tool(dc, sam) -> int:
    shown = dc.samba_tool("user", "show", sam)
    return int(
        next(
            line.split(":", 1)[1]
            for line in shown.splitlines()
            if line.startswith("userAccountControl:")
        )
    )


def test_disable_and_reenable_read_back_with_samba_tool(dc, district, connector, first):
    person = next(
        p
        for p in district.people
        if p["enabled"] and not p["student"] and p["sam"] != district.people[0]["sam"]
    )
    account = by_login(first)[person["sam"]]
    before = uac_from_samba_tool(dc, person["sam"])
    disable = Action("disable_account", "ad", account.key)
    result = connector.apply(disable)
    assert result.status == "changed" and result.prior["enabled"] is True
    assert result.prior["userAccountControl"] == before
    assert uac_from_samba_tool(dc, person["sam"]) == before | 0x2
    assert connector.apply(disable).status == "unchanged"  # idempotent
    enable = connector.apply(Action("enable_account", "ad", account.key))
    assert enable.status == "changed" and enable.prior["enabled"] is False
    assert uac_from_samba_tool(dc, person["sam"]) == before  # only bit 0x2 moved


def test_remove_membership_read_back_with_ldbsearch(dc, district, connector, first):
    group = group_named(first, "Newsletter")
    person = district.people[20]
    member = by_login(first)[person["sam"]]
    action = Action("remove_membership", "ad", group.key, {"member": member.key})
    before = dc.ldbsearch("(cn=Newsletter)", ["member"], base=f"OU=Groups,{dc.base_dn}")[0][
        "member"
    ]
    assert person["dn"] in before
    result = connector.apply(action)
    assert result.status == "changed" and result.prior["was_member"] is True
    members = dc.ldbsearch("(cn=Newsletter)", ["member"], base=f"OU=Groups,{dc.base_dn}")[0][
        "member"
    ]
    assert len(members) == len(before) - 1
    assert person["dn"].lower() not in {m.lower() for m in members}
    again = connector.apply(action)
    assert again.status == "unchanged" and again.prior["was_member"] is False
    assert dc.count(f"(objectGUID={member.id})") == 1  # nothing deleted


def test_unsupported_actions_are_refused(connector, first):
    account = first.accounts[0]
    assert connector.refusal(Action("disable_account", "ad", account.key)) is None
    assert "does not" in connector.refusal(Action("revoke_sessions", "ad", account.key))
    assert connector.apply(Action("revoke_sessions", "ad", account.key)).status == "refused"


# ---------- errors and doctor ----------


def test_wrong_password_is_one_auth_error_naming_server_and_user(dc):
    os.environ["AR_TEST_AD_WRONG"] = "not-the-password"
    bad = build_connector(
        "ad",
        dc.settings(password_env="AR_TEST_AD_WRONG"),  # noqa: S106 (the name of an environment variable, not a password)
        retry_policy=FAST_RETRY,
    )
    with pytest.raises(AuthError) as caught:
        bad.fetch_snapshot(None)
    assert dc.url in str(caught.value) and dc.admin_upn in str(caught.value)


def test_unreachable_server_is_one_error_naming_the_server(dc):
    sleeps = []
    gone = build_connector(
        "ad", {**dc.settings(), "url": "ldaps://127.0.0.9", "timeout": 2}, retry_policy=FAST_RETRY
    )
    gone._sleep = sleeps.append
    with pytest.raises(RetryableError) as caught:
        gone.fetch_snapshot(None)
    assert "ldaps://127.0.0.9" in str(caught.value)
    assert len(sleeps) == FAST_RETRY.tries - 1  # retried, then one error


def test_untrusted_certificate_is_refused(dc, tmp_path):
    other_ca = tmp_path / "other-ca.pem"
    other_ca.write_text(open("/etc/ssl/certs/ca-certificates.crt").read())
    untrusted = build_connector(
        "ad", {**dc.settings(), "ca_file": str(other_ca)}, retry_policy=FAST_RETRY
    )
    with pytest.raises(SourceError, match="certificate"):
        untrusted.fetch_snapshot(None)


def test_start_tls_on_389_reads_too(dc):
    plain = build_connector(
        "ad", {**dc.settings(), "url": dc.ldap_url, "start_tls": True}, retry_policy=FAST_RETRY
    )
    assert plain.doctor()[0].ok


def test_doctor_reports_reads_and_write_permissions(dc, connector):
    checks = {c.name: c for c in connector.doctor()}
    assert all(c.ok for c in checks.values()), [c for c in checks.values() if not c.ok]
    assert {
        "reachable over TLS",
        "certificate valid",
        "bind",
        "base DN",
        "read users",
        "read groups",
        "read deleted objects",
        "may disable/enable accounts",
        "may remove group members",
    } <= set(checks)


@pytest.fixture(scope="module")
def reader(dc):
    """An ordinary account (no delegated rights): the only other account given a password."""
    dc.samba_tool("user", "create", "svc-reader", "Reader-Passw0rd!")
    os.environ["AR_TEST_AD_READER"] = "Reader-Passw0rd!"
    return build_connector(
        "ad",
        dc.settings(
            password_env="AR_TEST_AD_READER",  # noqa: S106 (the name of an environment variable, not a password)
            bind_user="svc-reader@district.test",
        ),
        retry_policy=FAST_RETRY,
    )


def test_doctor_for_an_unprivileged_account_reports_missing_write(reader):
    checks = {c.name: c for c in reader.doctor()}
    assert checks["bind"].ok and checks["read users"].ok
    assert (
        not checks["may disable/enable accounts"].ok and checks["may disable/enable accounts"].fix
    )


def test_an_action_without_the_right_raises_permission_denied(dc, reader, first, district):
    person = district.people[30]
    account = by_login(first)[person["sam"]]
    before = uac_from_samba_tool(dc, person["sam"])
    with pytest.raises(PermissionDenied) as caught:
        reader.apply(Action("disable_account", "ad", account.key))
    assert "svc-reader@district.test" in str(caught.value)
    assert uac_from_samba_tool(dc, person["sam"]) == before


def test_a_read_cut_short_raises_and_never_returns_a_snapshot(dc, connector, first):
    """The DC goes away after the first page of users: no snapshot, complete or not, comes
    back, so the previous complete snapshot stays current. (Runs last: it restarts the DC.)"""

    def stop_after_first_page(stage, done, total):
        if stage == "users" and done >= 1000 and dc.pid is not None:
            dc.stop()

    try:
        with pytest.raises(RetryableError) as caught:
            connector.fetch_snapshot(first, progress=lambda *a: None)  # incremental: fine
            connector.fetch_snapshot(None, progress=stop_after_first_page)
        assert dc.url in str(caught.value)
    finally:
        if dc.pid is None:
            dc.start()
    assert connector.fetch_snapshot(None).complete  # and the DC is back for anyone after
