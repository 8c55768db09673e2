"""Correlation and the entitlement graph: joins and how they were made, nesting to any depth,
cycles that must not loop, and the path that explains access."""

from access_review.config import Classification
from access_review.correlation import classify_account, correlate
from access_review.graph import all_paths, build_graph, describe_path, effective_access
from access_review.records import Account, Grant, Group, Membership, Person, Resource, Snapshot

RULES = Classification(
    student_org_units=("students",),
    student_domains=("students.d.org",),
    service_patterns=("svc-*", "*$"),
)


def test_correlation_prefers_employee_id_then_email_case_insensitively():
    persons = [
        Person("E1", "Ann", "ann@d.org"),
        Person("E2", "Bob", "BOB@d.org", aliases=("robert@d.org",)),
    ]
    accounts = [
        Account("ad", "a1", "ann", email="other@d.org", employee_id="e1"),
        Account("entra", "b1", "Bob@D.org"),
        Account("google", "b2", "robert@d.org"),
        Account("google", "x", "nobody@d.org"),
    ]
    c = correlate(accounts, persons, RULES)
    assert c.links["ad:account:a1"].method == "employee id"
    assert (c.links["entra:account:b1"].person_key, c.links["entra:account:b1"].method) == (
        "person:E2",
        "login",
    )
    assert c.links["google:account:b2"].method == "login"
    assert c.unmatched == ["google:account:x"]
    assert sorted(c.accounts_of["person:E2"]) == ["entra:account:b1", "google:account:b2"]


def test_duplicate_email_in_roster_joins_nobody_and_is_reported():
    persons = [Person("E1", "Ann", "shared@d.org"), Person("E2", "Anne", "shared@d.org")]
    c = correlate([Account("google", "g", "shared@d.org")], persons, RULES)
    assert c.links == {} and c.unmatched == ["google:account:g"]
    assert c.ambiguous and set(c.ambiguous[0][2]) == {"person:E1", "person:E2"}


def test_missing_employee_id_falls_back_to_alias():
    persons = [Person("E9", "Cy", "cy@d.org")]
    c = correlate([Account("google", "g", "cy.new@d.org", aliases=("CY@d.org",))], persons, RULES)
    assert c.links["google:account:g"].method == "alias"


def test_account_classification_rules():
    assert (
        classify_account(Account("ad", "1", "jdoe", org_unit="OU=Students,OU=North,DC=d"), RULES)
        == "student"
    )
    assert classify_account(Account("google", "2", "kid@students.d.org"), RULES) == "student"
    assert classify_account(Account("ad", "3", "svc-backup"), RULES) == "service"
    assert classify_account(Account("ad", "4", "WS01$"), RULES) == "service"
    assert classify_account(Account("ad", "5", "jdoe"), RULES) == "person"


def nested_snapshot():
    s = "ad"
    accounts = [
        Account(s, "ann", "ann", employee_id="E1"),
        Account(s, "bob", "bob", employee_id="E2"),
    ]
    groups = [Group(s, n, n) for n in ("SpEd Staff", "Aides", "Temp", "Loop A", "Loop B")]
    key = {g.id: g.key for g in groups}
    memberships = [
        Membership(s, key["SpEd Staff"], key["Aides"], "group"),
        Membership(s, key["Aides"], key["Temp"], "group"),
        Membership(s, key["Temp"], "ad:account:bob"),
        Membership(s, key["SpEd Staff"], "ad:account:ann"),
        # a cycle that also leads into SpEd Staff
        Membership(s, key["Loop A"], key["Loop B"], "group"),
        Membership(s, key["Loop B"], key["Loop A"], "group"),
        Membership(s, key["Aides"], key["Loop A"], "group"),
    ]
    res = Resource(s, "da", "Domain Admins", "admin_role", privileged=True)
    grants = [Grant(s, "g1", res.key, key["Loop B"], "admin", "privileged_group")]
    return Snapshot(s, accounts, groups, memberships, [res], grants, complete=True), key


def test_nested_groups_and_cycles_give_effective_access_with_paths():
    snap, key = nested_snapshot()
    persons = [Person("E1", "Ann"), Person("E2", "Bob")]
    c = correlate(snap.accounts, persons, RULES)
    g = build_graph(
        {"ad": snap},
        persons,
        c,
        {"SpEd Records": [key["SpEd Staff"]], "Admin": [snap.resources[0].key]},
    )
    access = effective_access(g, c, ["SpEd Records", "Admin"])
    by = {(x.account, x.resource): x for x in access}
    bob = by[("ad:account:bob", "SpEd Records")]
    assert bob.person == "person:E2"
    assert bob.path == (
        "ad:account:bob",
        key["Temp"],
        key["Aides"],
        key["SpEd Staff"],
        "inventory:SpEd Records",
    )
    assert "ad group 'Temp'" in describe_path(g, bob.path)
    assert by[("ad:account:ann", "SpEd Records")].path == (
        "ad:account:ann",
        key["SpEd Staff"],
        "inventory:SpEd Records",
    )
    # nobody is a member of the loop, so nobody reaches Admin — and the walk terminates
    assert not [x for x in access if x.resource == "Admin"]


def test_cycle_members_reach_through_the_cycle_once():
    snap, key = nested_snapshot()
    snap.memberships.append(Membership("ad", key["Loop A"], "ad:account:ann"))
    persons = [Person("E1", "Ann"), Person("E2", "Bob")]
    c = correlate(snap.accounts, persons, RULES)
    g = build_graph({"ad": snap}, persons, c, {"Admin": [snap.resources[0].key]})
    access = effective_access(g, c, ["Admin"])
    assert [(x.account, x.level) for x in access] == [("ad:account:ann", "admin")]
    paths = all_paths(g, "ad:account:ann", "Admin")
    assert paths[0] == (
        "ad:account:ann",
        key["Loop A"],
        key["Loop B"],
        snap.resources[0].key,
        "inventory:Admin",
    )


def test_memberships_of_groups_that_lead_nowhere_are_left_out():
    snap, key = nested_snapshot()
    snap.groups.append(Group("ad", "Chess Club", "Chess Club"))
    club = "ad:group:Chess Club"
    snap.memberships.append(Membership("ad", club, "ad:account:ann"))
    persons = [Person("E1", "Ann"), Person("E2", "Bob")]
    c = correlate(snap.accounts, persons, RULES)
    g = build_graph({"ad": snap}, persons, c, {"SpEd Records": [key["SpEd Staff"]]})
    assert not g.has_edge("ad:account:ann", club)  # leads to nothing
    assert g.has_edge("ad:account:bob", key["Temp"])  # nested into a selected group
    assert g.has_edge(key["Loop A"], key["Aides"])  # a cycle below a selected group
    assert g.has_edge(key["Loop A"], key["Loop B"])  # a member of the group holding a grant
    assert (
        describe_path(g, ("ad:account:ann", key["SpEd Staff"]))
        == "ad account ann → ad group 'SpEd Staff'"
    )


def test_an_account_without_mail_joins_by_its_upn_and_says_so():
    """An AD admin account with no mail, but a UPN equal to the person's roster e-mail."""
    persons = [Person("E7", "Dee", "dee@d.org")]
    accounts = [
        Account("ad", "adm", "adm-dee", upn="Dee@d.org"),
        Account("entra", "e", "dee@d.org", upn="dee@d.org"),
    ]
    c = correlate(accounts, persons, RULES)
    assert (c.links["ad:account:adm"].person_key, c.links["ad:account:adm"].method) == (
        "person:E7",
        "UPN",
    )
    assert c.links["entra:account:e"].method == "UPN"


def test_computers_and_guests_are_their_own_kinds():
    assert classify_account(Account("ad", "c", "WS01$", kind="computer"), RULES) == "computer"
    assert (
        classify_account(Account("entra", "g", "x_y.org#EXT#@d.org", guest=True), RULES) == "guest"
    )
