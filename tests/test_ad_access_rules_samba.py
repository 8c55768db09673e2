"""AD's access rules on a real Samba AD DC (docs/access-model.md, "Active Directory"): the
primary group, computer and contact members, and a distribution group inside a security
group. The independent check is Samba's own ``tokenGroups`` — the security groups Windows
puts in an account's token (https://learn.microsoft.com/windows/win32/adschema/a-tokengroups):
for every account, the groups the entitlement graph says it reaches must be exactly those."""

from __future__ import annotations

import ldap3
import pytest

from access_review.config import Classification
from access_review.correlation import correlate
from access_review.graph import build_graph, effective_access
from access_review.retry import RetryPolicy
from connectors.ad.connector import build_connector
from connectors.ad.transform import sid_text
from samba_dc import SambaDC, ldif_entry

BASE = "DC=district,DC=test"
RULES = Classification(student_org_units=(), student_domains=(), service_patterns=("svc-*",))
GLOBAL_SECURITY, GLOBAL_DISTRIBUTION = -2147483646, 2
USERS = ("pat", "quinn", "rita", "sam")


def group_dn(cn: str) -> str:
    return f"CN={cn},OU=Groups,{BASE}"


def user_dn(sam: str) -> str:
    return f"CN={sam},OU=Staff,{BASE}"


def district_ldif() -> str:
    out = [
        ldif_entry(f"OU=Groups,{BASE}", {"objectClass": "organizationalUnit"}),
        ldif_entry(f"OU=Staff,{BASE}", {"objectClass": "organizationalUnit"}),
    ]
    for sam in USERS:
        out.append(
            ldif_entry(
                user_dn(sam),
                {
                    "objectClass": "user",
                    "sAMAccountName": sam,
                    "userPrincipalName": f"{sam}@district.test",
                    "userAccountControl": "512",
                },
            )
        )
    # WORKSTATION_TRUST_ACCOUNT (0x1000): Samba gives it primary group Domain Computers (515).
    out.append(
        ldif_entry(
            f"CN=WS01,CN=Computers,{BASE}",
            {"objectClass": "computer", "sAMAccountName": "WS01$", "userAccountControl": "4096"},
        )
    )
    out.append(
        ldif_entry(
            f"CN=Parent Liaison,OU=Staff,{BASE}",
            {"objectClass": "contact", "mail": "liaison@parents.example"},
        )
    )
    out.append(
        ldif_entry(
            group_dn("SpEd Aides"),
            {
                "objectClass": "group",
                "sAMAccountName": "SpEd Aides",
                "groupType": str(GLOBAL_SECURITY),
                "member": [user_dn("sam")],
            },
        )
    )
    out.append(
        ldif_entry(
            group_dn("SpEd List"),
            {
                "objectClass": "group",
                "sAMAccountName": "SpEd List",
                "groupType": str(GLOBAL_DISTRIBUTION),
                "member": [user_dn("quinn"), f"CN=Parent Liaison,OU=Staff,{BASE}"],
            },
        )
    )
    out.append(
        ldif_entry(
            group_dn("SpEd Records"),
            {
                "objectClass": "group",
                "sAMAccountName": "SpEd Records",
                "groupType": str(GLOBAL_SECURITY),
                "member": [
                    user_dn("rita"),
                    group_dn("SpEd Aides"),
                    group_dn("SpEd List"),
                    f"CN=Parent Liaison,OU=Staff,{BASE}",
                ],
            },
        )
    )
    return "".join(out)


@pytest.fixture(scope="module")
def dc(tmp_path_factory):
    dc = SambaDC.create(tmp_path_factory.mktemp("samba-rules"), ldif=district_ldif())
    conn = dc.admin_connection()
    try:
        domain_admins = f"CN=Domain Admins,CN=Users,{BASE}"
        conn.modify(
            domain_admins,
            {"member": [(ldap3.MODIFY_ADD, [user_dn("pat"), f"CN=WS01,CN=Computers,{BASE}"])]},
        )
        # Making Domain Admins pat's primary group, the way an admin does it: AD then keeps
        # the membership in primaryGroupID only, and drops pat from the group's member values.
        conn.modify(user_dn("pat"), {"primaryGroupID": [(ldap3.MODIFY_REPLACE, ["512"])]})
    finally:
        conn.unbind()
    yield dc
    dc.stop()


@pytest.fixture(scope="module")
def snapshot(dc):
    connector = build_connector(
        "ad", dc.settings(), retry_policy=RetryPolicy(tries=2, base=0.01, cap=0.05)
    )
    return connector.fetch_snapshot(None)


def token_group_sids(dc: SambaDC, dn: str) -> set[str]:
    conn = dc.admin_connection()
    try:
        conn.search(dn, "(objectClass=*)", ldap3.BASE, attributes=["tokenGroups"])
        return {sid_text(v) for v in conn.response[0]["raw_attributes"].get("tokenGroups", [])}
    finally:
        conn.unbind()


def reached_groups(snapshot):
    """account key -> SIDs of the groups the entitlement graph says it reaches: every group
    selected as an inventory resource of its own, through the real graph and level pass. A
    distribution group cannot be selected (the analysis drops such a selector with a warning:
    it is no security principal), so it is not among them."""
    by_key = {g.key: g for g in snapshot.groups}
    correlation = correlate(snapshot.accounts, [], RULES)
    selectors = {g.key: [g.key] for g in snapshot.groups if g.kind != "distribution"}
    graph = build_graph({"ad": snapshot}, [], correlation, selectors)
    reached: dict[str, set[str]] = {}
    for x in effective_access(graph, correlation, list(selectors)):
        reached.setdefault(x.account, set()).add(by_key[x.resource].extra["sid"])
    return reached


def test_the_precondition_pat_is_in_no_member_value_of_domain_admins(dc):
    members = dc.ldbsearch("(cn=Domain Admins)", ["member"], base=f"CN=Users,{BASE}")[0].get(
        "member", []
    )
    assert not any(m.lower().startswith("cn=pat,") for m in members)
    assert dc.ldbsearch("(sAMAccountName=pat)", ["primaryGroupID"])[0]["primaryGroupID"] == ["512"]


def test_primary_group_domain_admins_is_a_membership_and_privileged(snapshot):
    pat = next(a for a in snapshot.accounts if a.login == "pat")
    da = next(g for g in snapshot.groups if g.extra["sid"].endswith("-512"))
    primary = [m for m in snapshot.memberships if m.member_key == pat.key and m.role == "primary"]
    assert [(m.group_key, m.member_type) for m in primary] == [(da.key, "account")]
    correlation = correlate(snapshot.accounts, [], RULES)
    role = next(r for r in snapshot.resources if r.name == "Domain Admins")
    graph = build_graph({"ad": snapshot}, [], correlation, {"Domain": [role.key]})
    holders = {x.account: x.level for x in effective_access(graph, correlation, ["Domain"])}
    ws01 = next(a for a in snapshot.accounts if a.login == "WS01$")
    assert holders[pat.key] == "admin" and holders[ws01.key] == "admin"


def test_computers_and_contacts_are_stored_as_members(snapshot):
    ws01 = next(a for a in snapshot.accounts if a.login == "WS01$")
    assert ws01.kind == "computer" and ws01.enabled
    da = next(g for g in snapshot.groups if g.extra["sid"].endswith("-512"))
    assert any(m.group_key == da.key and m.member_key == ws01.key for m in snapshot.memberships)
    liaison = next(c for c in snapshot.contacts if c.name == "Parent Liaison")
    assert liaison.email == "liaison@parents.example"
    records = next(g for g in snapshot.groups if g.name == "SpEd Records")
    members = {
        m.member_key: m.member_type for m in snapshot.memberships if m.group_key == records.key
    }
    assert members[liaison.key] == "contact"
    assert not any("not recorded" in w for w in snapshot.warnings), snapshot.warnings


def test_groups_reached_match_samba_token_groups_for_every_account(dc, snapshot):
    reached = reached_groups(snapshot)
    in_snapshot = {g.extra["sid"] for g in snapshot.groups}
    checked = 0
    for account in snapshot.accounts:
        if account.login in ("krbtgt",):
            continue
        token = token_group_sids(dc, account.extra["dn"]) & in_snapshot
        assert reached.get(account.key, set()) == token, account.login
        checked += 1
    assert checked >= len(USERS) + 1
    quinn = next(a for a in snapshot.accounts if a.login == "quinn")
    records = next(g for g in snapshot.groups if g.name == "SpEd Records")
    assert records.extra["sid"] not in reached.get(
        quinn.key, set()
    )  # only through a distribution list


def test_incremental_sync_follows_a_primary_group_change(dc, snapshot, tmp_path):
    """A changed primaryGroupID bumps the account's uSNChanged: the incremental read rebuilds
    the primary membership, and tokenGroups still agrees."""
    from access_review.store import Store

    with Store(tmp_path / "store.db") as store:
        previous = store.load_snapshot(store.save_snapshot(snapshot))
    records = next(g for g in snapshot.groups if g.name == "SpEd Records")
    rid = records.extra["sid"].rsplit("-", 1)[1]
    conn = dc.admin_connection()
    try:
        conn.modify(user_dn("rita"), {"primaryGroupID": [(ldap3.MODIFY_REPLACE, [rid])]})
    finally:
        conn.unbind()
    connector = build_connector(
        "ad", dc.settings(), retry_policy=RetryPolicy(tries=2, base=0.01, cap=0.05)
    )
    incremental = connector.fetch_snapshot(previous)
    assert incremental.mode == "incremental"
    rita = next(a for a in incremental.accounts if a.login == "rita")
    primary = {
        m.group_key
        for m in incremental.memberships
        if m.member_key == rita.key and m.role == "primary"
    }
    assert primary == {records.key}
    in_snapshot = {g.extra["sid"] for g in incremental.groups}
    assert (
        reached_groups(incremental)[rita.key]
        == token_group_sids(dc, rita.extra["dn"]) & in_snapshot
    )
    assert len(incremental.contacts) == len(snapshot.contacts) == 1
