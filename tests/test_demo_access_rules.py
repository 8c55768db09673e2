"""Each access rule's planted case in the demo district (access_review/demo/access_rules.py),
through the real pipeline: what `who`, `access`, `why`, findings, campaign items and the
suspension plan show for it. The findings test (test_findings.py) checks planted == found per
type; these check the cases that must *not* be findings, and what people see."""

import json

import pytest
from typer.testing import CliRunner

from access_review.cli import app
from access_review.graph import all_paths, path_level
from access_review.records import VIEW_HOLDS, VIEW_SIGN_IN
from access_review.suspension.plan import Protection, build_plan, directory_kinds
from campaigns import wording
from campaigns.items import build_items

runner = CliRunner()


@pytest.fixture(scope="module")
def analysis(demo_template):
    return demo_template.analysis()


def cli(demo, *args):
    result = runner.invoke(app, [*args, "--config", str(demo.config_path)])
    assert result.exit_code == 0, result.output
    return result


def access(analysis, account=None, person=None, resource=None):
    return [
        x
        for x in analysis.access
        if (account is None or x.account == account)
        and (person is None or x.person == person)
        and (resource is None or x.resource == resource)
    ]


def clean(demo_template, case):
    return demo_template.district.clean[case]


def test_a_distribution_list_inside_a_security_group_gives_nothing(analysis, demo_template):
    [custodian] = clean(demo_template, "distribution_list_member")
    assert access(analysis, person=custodian, resource="Special Education Records") == []


def test_the_primary_group_domain_admin_is_joined_by_upn_and_privileged(analysis, demo_template):
    [account] = clean(demo_template, "joined_by_upn")
    assert analysis.correlation.links[account].method == "UPN"
    finding = next(
        f for f in analysis.findings if f.type == "privileged_access" and f.account == account
    )
    assert "Domain Admins" in finding.summary and finding.severity == "info"


def test_a_computer_in_domain_admins_is_a_high_finding(analysis):
    finding = next(
        f
        for f in analysis.findings
        if f.type == "privileged_access" and f.evidence["holder_kind"] == "computer"
    )
    assert finding.severity == "high" and "(a computer account)" in finding.summary


def test_a_nested_app_role_group_does_not_grant(analysis, demo_template):
    [para] = clean(demo_template, "nested_app_role_member")
    assert access(analysis, person=para, resource="Special Education Records") == []
    finding = next(
        f
        for f in analysis.findings
        if f.type == "ungoverned_group" and "SpEd Case Managers" in f.summary
    )
    assert "(direct members only)" in finding.evidence["path"]


def test_an_administrative_unit_role_is_its_own_scoped_finding(analysis):
    scoped = [
        f
        for f in analysis.findings
        if f.type == "privileged_access" and f.evidence["scope"] != "directory"
    ]
    assert any(
        f.evidence["scope"].startswith("administrative unit '")
        and "User Administrator" in f.summary
        for f in scoped
    )


def test_a_guest_reaching_confidential_data_is_unauthorized(analysis):
    guest = next(
        f
        for f in analysis.findings
        if f.type == "unauthorized" and "guest account" in f.evidence["reason"]
    )
    assert guest.person is None and analysis.accounts[guest.account].guest


def test_a_service_principal_in_a_role_assignable_group_is_privileged(analysis):
    finding = next(
        f
        for f in analysis.findings
        if f.type == "privileged_access"
        and analysis.accounts[f.account].extra.get("servicePrincipal")
    )
    assert "(role-assignable)" in finding.evidence["path"] and finding.severity == "high"


def test_read_through_one_group_write_through_nested_groups_is_write(analysis, demo_template):
    [teacher] = clean(demo_template, "highest_level_write")
    [x] = access(analysis, account=teacher, resource="Gradebook and Assessment Data")
    assert x.level == "write"
    assert "'Assessment Coordinators'" in " ".join(
        analysis.graph.nodes[n].get("label", "") for n in x.via
    )
    paths = all_paths(analysis.graph, teacher, "Gradebook and Assessment Data")
    assert paths[0] == x.path and path_level(analysis.graph, paths[-1]) == "read"


def test_a_group_manager_manages_who_has_access_everywhere_people_look(
    demo, demo_template, monkeypatch
):
    monkeypatch.setenv("COLUMNS", "400")  # tables unfolded, so a phrase reads on one line
    [secretary] = clean(demo_template, "group_manager")
    a = demo.analysis()
    [x] = access(a, account=secretary, resource="Counseling Notes")
    assert x.level == "manage"
    finding = next(f for f in a.findings if f.type == "unauthorized" and f.account == secretary)
    assert "(manages who has access)" in finding.summary
    rows = json.loads(cli(demo, "who", "Counseling Notes", "--format", "json").stdout)
    login = a.accounts[secretary].login
    assert next(r for r in rows if r["account"] == login)["level"] == "manages who has access"
    assert "manages who has access" in cli(demo, "access", login).stdout
    why = cli(demo, "why", login, "Counseling Notes").stdout
    assert (
        why.splitlines()[0].startswith("• [manages who has access]")
        and "manager of google group" in why
    )
    item = next(
        i
        for i in build_items(a, quarter=4, resources=["Counseling Notes"])
        if secretary in i.accounts
    )
    assert item.level == "manage" and wording.level_text(item.level) == "Manages who has access"
    assert item.access_text.startswith("Manager of the Google group 'Counselors', which can edit")


def test_an_org_unit_vault_hold_keeps_a_separated_account(analysis, demo_template):
    held = demo_template.district.must_keep[-1]
    finding = next(
        f for f in analysis.findings if f.type == "retention_eligible" and f.account == held
    )
    assert finding.evidence["must_keep"] and "(google Vault)" in finding.summary


def test_a_partial_hold_view_is_said_by_every_hold_dependent_output(demo):
    with demo.store() as store:
        snap = store.latest_snapshot("google")
        snap.partial_views[VIEW_HOLDS] = "the subject lacks View All Matters"
        store.save_snapshot(snap)
    a = demo.analysis()
    assert a.holds_may_be_missing == ["google: the subject lacks View All Matters"]
    retention = [
        f for f in a.findings if f.type == "retention_eligible" and not f.evidence["must_keep"]
    ]
    assert retention and all("holds may be missing" in f.summary for f in retention)
    target = next(
        p
        for p in a.persons.values()
        if p.status == "active" and a.correlation.accounts_of.get(p.key)
    )
    plan = build_plan(
        a,
        [target.employee_id],
        kinds=directory_kinds(a.config),
        protection=Protection(frozenset(), frozenset()),
    )
    assert any("holds may be missing" in w and "View All Matters" in w for w in plan.warnings)
    result = runner.invoke(app, ["findings", "--format", "json", "--config", str(demo.config_path)])
    assert "partial view (google, holds)" in result.stderr and json.loads(result.stdout)


def test_unknown_sign_in_is_never_dormant(demo):
    """Entra without a P1/P2 licence: last sign-in unknown. The dormant rule used to call
    every such account "never signed in"."""
    import dataclasses

    a = demo.analysis()
    dormant = {f.account for f in a.findings if f.type == "dormant_account"}
    with demo.store() as store:
        snap = store.latest_snapshot("entra")
        snap.accounts = [
            dataclasses.replace(x, last_sign_in=None, sign_in_known=False) for x in snap.accounts
        ]
        snap.partial_views[VIEW_SIGN_IN] = "no licence"
        store.save_snapshot(snap)
    after = {f.account for f in demo.analysis().findings if f.type == "dormant_account"}
    assert after == {k for k in dormant if not k.startswith("entra:")}


def test_an_inventory_selector_naming_a_distribution_group_is_a_warning_and_no_access(
    demo, monkeypatch
):
    """`inventory check` says so; the list's members are not counted as having access."""
    from openpyxl import load_workbook

    from access_review.imports import import_inventory

    monkeypatch.setenv("COLUMNS", "400")
    cfg = demo.config
    wb = load_workbook(cfg.inventory_path)
    sheet = wb["Resources"]
    header = [c.value for c in sheet[1]]
    for cells in sheet.iter_rows(min_row=2):
        if cells[header.index("resource")].value == "Special Education Records":
            cells[header.index("entitlements")].value += "; ad:group:SpEd Family Newsletter"
    wb.save(cfg.inventory_path)
    with demo.store() as store:
        import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
    a = demo.analysis()
    assert any("'SpEd Family Newsletter' is a distribution group" in w for w in a.selector_warnings)
    [custodian] = demo.district.clean["distribution_list_member"]
    assert access(a, person=custodian, resource="Special Education Records") == []
    out = cli(demo, "inventory", "check").stdout
    assert "distribution group, which confers no access" in out
