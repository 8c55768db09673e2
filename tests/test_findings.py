"""Every finding type is caught on its planted case in the demo district, and nothing else is
raised: the planted set and the found set are equal, type by type."""

from datetime import date

import pytest

from access_review.findings import FINDING_TYPES
from access_review.records import Person


@pytest.fixture(scope="module")
def analysis(demo_template):
    return demo_template.analysis()


def identifiers(f):
    return {f.person, f.account, f.resource, f.evidence.get("group"), f.evidence.get("app")} - {
        None
    }


@pytest.mark.parametrize("finding_type", sorted(FINDING_TYPES))
def test_planted_case_caught_and_no_false_positive(analysis, demo_template, finding_type):
    planted = set(demo_template.district.planted[finding_type])
    found = [f for f in analysis.findings if f.type == finding_type]
    assert planted, "the demo must plant every finding type"
    caught = {p for p in planted if any(p in identifiers(f) for f in found)}
    assert caught == planted
    unexplained = [f.summary for f in found if not identifiers(f) & planted]
    assert unexplained == []


def test_findings_carry_paths_that_explain_access(analysis):
    unauthorized = [f for f in analysis.findings if f.type == "unauthorized"]
    for f in unauthorized:
        assert f.path[0] == f.account and f.path[-1] == f"inventory:{f.resource}"
        assert "→" in f.evidence["path"]


def test_retention_finding_says_must_keep_when_held(analysis):
    retention = [f for f in analysis.findings if f.type == "retention_eligible"]
    held = [f for f in retention if f.evidence["must_keep"]]
    assert held and all("MUST KEEP" in f.summary for f in held)
    assert any(not f.evidence["must_keep"] and "never deletes" in f.summary for f in retention)


def test_training_recent_enough_is_not_flagged(analysis):
    flagged = {f.person for f in analysis.findings if f.type == "training_overdue"}
    confidential = {
        x.person
        for x in analysis.access
        if x.person and analysis.inventory_by_name[x.resource].confidential
    }
    for key in confidential - flagged:
        p = analysis.persons[key]
        if p.status == "active":
            assert p.training_date and (analysis.today - p.training_date).days <= 365


def test_authorization_turns_on_the_roster(analysis):
    """The same access is unauthorized or not depending only on the person's roster attributes."""
    f = next(f for f in analysis.findings if f.type == "unauthorized" and f.person)
    res = analysis.inventory_by_name[f.resource]
    person = analysis.persons[f.person]
    assert not analysis.is_authorized(res, person)[0]
    ok_people = [p for p in analysis.persons.values() if analysis.is_authorized(res, p)[0]]
    assert ok_people, "some people must be authorized for the resource"
    assert (
        analysis.is_authorized(
            res,
            Person(
                person.employee_id, person.name, status="separated", status_date=date(2026, 1, 1)
            ),
        )[0]
        is False
    )


def test_vanished_held_account_says_when_it_was_last_seen(demo):
    import dataclasses

    from access_review.records import Account

    held = demo.district.planted["held_account_missing"][0]
    source, _, account_id = held.split(":", 2)
    with demo.store() as store:
        current = store.latest_snapshot(source)
        earlier = dataclasses.replace(
            current, accounts=current.accounts + [Account(source, account_id, "held.user")]
        )
        seen_run = store.save_snapshot(earlier)
        store.save_snapshot(current)  # the account is gone from the newest snapshot
    finding = next(f for f in demo.analysis().findings if f.type == "held_account_missing")
    assert finding.account == held
    assert finding.evidence["history"].startswith(f"last seen in the {source} sync of ")
    assert finding.evidence["history"].endswith(f"(run {seen_run})")


def test_directory_holds_count_as_holds(demo):
    """A Google Vault hold read by the connector makes a separated account must-keep, like the register."""
    from access_review.records import Grant, Resource

    a = demo.analysis()
    eligible = next(
        f for f in a.findings if f.type == "retention_eligible" and not f.evidence["must_keep"]
    )
    account = a.accounts[eligible.account]
    with demo.store() as store:
        snap = store.latest_snapshot(account.source)
        vault = Resource(
            account.source,
            "hold:m1:h1",
            "Smith v. District / staff mail",
            "vault_hold",
            extra={"matter": "Smith v. District"},
        )
        snap.resources.append(vault)
        snap.grants.append(
            Grant(
                account.source,
                "hold:m1:h1:x",
                vault.key,
                account.key,
                "read",
                "hold",
                extra={"holdTime": "2026-03-01T00:00:00Z"},
            )
        )
        store.save_snapshot(snap)
    a = demo.analysis()
    again = next(
        f for f in a.findings if f.type == "retention_eligible" and f.account == eligible.account
    )
    assert again.evidence["must_keep"] and "Smith v. District / staff mail" in again.summary
    assert [h.matter for h in a.holds_for_account(account.key)] == [
        f"Smith v. District / staff mail ({account.source} Vault)"
    ]
