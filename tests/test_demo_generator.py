"""The demo district generator: deterministic, realistic, the right size, every finding type
planted — and nothing else flagged (checked by a small reference evaluation of the inventory
rules, independent of the findings module)."""

from __future__ import annotations

import csv
import hashlib
import json
import tomllib
from datetime import date, timedelta

import openpyxl
import pytest

from access_review.demo import generate_district, write_demo
from access_review.demo.plants import FINDING_TYPES

AS_OF = date(2026, 11, 28)


@pytest.fixture(scope="module")
def small():
    return generate_district("small", seed=2026)


def fingerprint(district) -> str:
    """A digest of everything generated, extras included (records compare without them)."""
    h = hashlib.sha256()
    for person in district.roster:
        h.update(repr(person).encode())
    for name, snap in district.snapshots.items():
        for table in ("accounts", "groups", "memberships", "resources", "grants"):
            for record in getattr(snap, table):
                h.update(repr(record).encode())  # the repr includes ``extra``
    for rows in (district.inventory, district.apps, district.holds):
        h.update(json.dumps(rows, default=str, sort_keys=True).encode())
    h.update(json.dumps(district.planted, sort_keys=True).encode())
    return h.hexdigest()


# ---- determinism -----------------------------------------------------------------------------


def test_same_seed_gives_the_same_district(small):
    assert fingerprint(generate_district("small", seed=2026)) == fingerprint(small)


def test_another_seed_gives_another_district(small):
    other = generate_district("small", seed=7)
    assert fingerprint(other) != fingerprint(small)
    assert [p.name for p in other.roster] != [p.name for p in small.roster]


def test_dates_follow_as_of_not_the_clock():
    later = generate_district("small", seed=2026, as_of=AS_OF + timedelta(days=100))
    assert later.as_of == AS_OF + timedelta(days=100)
    newest = max(a.last_sign_in for a in later.snapshots["ad"].accounts if a.last_sign_in)
    assert newest.date() <= later.as_of and newest.date() > AS_OF


def test_unknown_size_is_refused():
    with pytest.raises(ValueError, match="unknown demo size"):
        generate_district("county")  # type: ignore[arg-type]


# ---- size and shape --------------------------------------------------------------------------


def test_small_has_about_300_staff_3_schools_and_1500_students(small):
    assert 270 <= len(small.roster) <= 330
    assert len(small.buildings) == 4  # three schools and the central office
    for source in ("ad", "entra", "google"):
        students = [a for a in small.snapshots[source].accounts if a.kind == "student"]
        assert 1_400 <= len(students) <= 1_700, source
    assert all(s.complete and s.source == name for name, s in small.snapshots.items())


def test_district_size_has_about_400k_memberships():
    district = generate_district("district", seed=2026)
    assert 3_800 <= len(district.roster) <= 4_200
    assert len(district.buildings) == 26
    students = sum(1 for a in district.snapshots["ad"].accounts if a.kind == "student")
    assert 24_000 <= students <= 26_000
    assert 360_000 <= district.membership_count() <= 440_000
    assert set(district.planted) == set(FINDING_TYPES)


def test_keys_are_unique_within_each_source(small):
    for snap in small.snapshots.values():
        for table in ("accounts", "groups", "resources", "grants"):
            keys = [r.key for r in getattr(snap, table)]
            assert len(keys) == len(set(keys)), (snap.source, table)
        pairs = [(m.group_key, m.member_key) for m in snap.memberships]
        assert len(pairs) == len(set(pairs))
    assert len({p.employee_id for p in small.roster}) == len(small.roster)
    assert len({p.email for p in small.roster}) == len(small.roster)


def test_ad_has_building_ous_escaped_display_names_and_service_accounts(small):
    ad = small.snapshots["ad"]
    staff_ous = {a.org_unit for a in ad.accounts if a.kind == "person" and a.enabled}
    assert "OU=Staff,OU=Lincoln Elementary,DC=district,DC=example,DC=org" in staff_ous
    assert any(a.org_unit.startswith("OU=Students,OU=") for a in ad.accounts if a.kind == "student")
    zoe = next(a for a in ad.accounts if a.display_name == "O'Brien, Zoë")
    assert zoe.extra["distinguishedName"].startswith("CN=O'Brien\\, Zoë,OU=Staff,")
    assert any(not a.isascii() for a in (a.display_name for a in ad.accounts))
    assert {a.login for a in ad.accounts if a.kind == "service"} >= {"svc-backup", "svc-print"}
    assert any(not a.enabled for a in ad.accounts if a.kind == "person")
    with_id = sum(1 for a in ad.accounts if a.kind == "person" and a.employee_id)
    google_with_id = sum(
        1 for a in small.snapshots["google"].accounts if a.kind == "person" and a.employee_id
    )
    assert google_with_id < with_id


def _group_graph(snap):
    children: dict[str, list[str]] = {}
    for m in snap.memberships:
        if m.member_type == "group":
            children.setdefault(m.group_key, []).append(m.member_key)
    return children


def _has_cycle(children) -> bool:
    state: dict[str, int] = {}

    def visit(node) -> bool:
        state[node] = 1
        for child in children.get(node, ()):
            if state.get(child) == 1 or (child not in state and visit(child)):
                return True
        state[node] = 2
        return False

    return any(node not in state and visit(node) for node in list(children))


def test_nesting_cycles_and_a_group_over_1500_members(small):
    assert _has_cycle(_group_graph(small.snapshots["ad"]))
    assert _has_cycle(_group_graph(small.snapshots["google"]))
    assert not _has_cycle(_group_graph(small.snapshots["entra"]))
    sizes: dict[str, int] = {}
    for m in small.snapshots["ad"].memberships:
        sizes[m.group_key] = sizes.get(m.group_key, 0) + 1
    assert max(sizes.values()) > 1_500


def test_privileged_roles_are_resources_with_grants(small):
    ad, entra, google = (small.snapshots[s] for s in ("ad", "entra", "google"))
    domain_admins = next(r for r in ad.resources if r.name == "Domain Admins")
    assert domain_admins.kind == "admin_role" and domain_admins.privileged
    grant = next(g for g in ad.grants if g.resource_key == domain_admins.key)
    group = next(g for g in ad.groups if g.key == grant.principal_key)
    assert (grant.kind, group.name) == ("privileged_group", "Domain Admins")
    for snap, name in ((entra, "Global Administrator"), (google, "Super Admin")):
        role = next(r for r in snap.resources if r.name == name)
        assert role.privileged and any(g.resource_key == role.key for g in snap.grants)


def test_entra_has_synced_and_cloud_users_groups_and_the_sis_app(small):
    entra = small.snapshots["entra"]
    synced = [a for a in entra.accounts if a.authority == "ad"]
    assert synced and all(a.extra.get("onPremisesSyncEnabled") for a in synced)
    assert any(a.authority is None for a in entra.accounts)
    assert {"m365", "dynamic", "security"} <= {g.kind for g in entra.groups}
    teacher = next(r for r in entra.resources if r.name == "PowerSchool SIS/Teacher")
    assert teacher.kind == "app_role" and teacher.extra["app"] == "PowerSchool SIS"
    assert any(r.kind == "app" and r.name == "PowerSchool SIS" for r in entra.resources)
    assert any(
        g.kind == "app_role" and g.principal_key.startswith("entra:group:") for g in entra.grants
    )
    assert any(
        g.kind == "app_role" and g.principal_key.startswith("entra:account:") for g in entra.grants
    )


def test_google_has_org_units_drives_and_oauth_tokens(small):
    google = small.snapshots["google"]
    assert any(a.org_unit.startswith("/Staff/") for a in google.accounts)
    assert any(a.org_unit.startswith("/Students/") for a in google.accounts)
    drive = next(r for r in google.resources if r.name == "Special Education Records")
    levels = {g.level for g in google.grants if g.resource_key == drive.key}
    assert levels == {"read", "write", "admin"}
    tokens = [g for g in google.grants if g.kind == "oauth"]
    assert tokens and all(g.scopes and g.extra["client_id"] for g in tokens)


def test_inventory_has_15_to_30_resources_with_data_managers_from_the_roster(small):
    assert 15 <= len(small.inventory) <= 30
    by_id = {p.employee_id: p for p in small.roster}
    managers = [row["data_manager"] for row in small.inventory if row["data_manager"]]
    assert all(m in by_id for m in managers)
    assert {"resource", "classification", "data_manager", "entitlements", "authorized"} <= set(
        small.inventory[0]
    )


# ---- planted cases ---------------------------------------------------------------------------


def test_every_finding_type_is_planted_on_records_that_exist(small):
    assert set(small.planted) == set(FINDING_TYPES)
    assert all(small.planted[t] for t in FINDING_TYPES)
    persons = {p.key for p in small.roster}
    accounts = {a.key for s in small.snapshots.values() for a in s.accounts}
    groups = {g.key for s in small.snapshots.values() for g in s.groups}
    resources = {row["resource"] for row in small.inventory}
    apps = {
        r.name
        for s in small.snapshots.values()
        for r in s.resources
        if r.kind in ("oauth_app", "app")
    }
    for kind in ("separated_access", "leave_access", "training_overdue"):
        assert set(small.planted[kind]) <= persons, kind
    # A guest (issue 12) reaches data with no roster person: planted by its account.
    assert set(small.planted["unauthorized"]) <= persons | accounts
    for kind in ("orphan_account", "dormant_account", "privileged_access", "retention_eligible"):
        assert set(small.planted[kind]) <= accounts, kind
    assert set(small.planted["unapproved_app"] + small.planted["app_scope_exceeded"]) <= apps
    assert set(small.planted["data_manager_invalid"]) <= resources
    assert set(small.planted["ungoverned_group"]) <= groups
    assert not set(small.planted["held_account_missing"]) & accounts
    assert set(small.planted["held_account_missing"]) <= {h["subject"] for h in small.holds}


def test_planted_cases_are_what_they_claim(small):
    person = {p.key: p for p in small.roster}
    account = {a.key: a for s in small.snapshots.values() for a in s.accounts}
    as_of = small.as_of
    assert person[small.planted["separated_access"][0]].status == "separated"
    assert person[small.planted["leave_access"][0]].status == "leave"
    for key in small.planted["dormant_account"]:
        assert (as_of - account[key].last_sign_in.date()).days > 90
    for key in small.planted["training_overdue"]:
        trained = person[key].training_date
        assert trained is None or (as_of - trained).days > 365
    for key in small.planted["retention_eligible"]:
        owner = next(
            p
            for p in small.roster
            if p.employee_id == account[key].employee_id or p.email == account[key].email
        )
        assert owner.status == "separated" and (as_of - owner.status_date).days > 1095
    held_subjects = {h["subject"] for h in small.holds if not h["released"]}
    assert small.must_keep and set(small.must_keep) <= set(small.planted["retention_eligible"])
    assert any(
        p.employee_id in held_subjects
        for p in small.roster
        if account[small.must_keep[0]].email == p.email
    )
    approved = {row["app"]: row for row in small.apps}
    for app in small.planted["unapproved_app"]:
        assert app not in approved or approved[app]["approved"] == "no"
    kami = approved[small.planted["app_scope_exceeded"][0]]
    allowed = set(kami["approved_scopes"].split())
    held = {
        s
        for g in small.snapshots["google"].grants
        if g.kind == "oauth" and g.extra["client_id"] == kami["client_id"]
        for s in g.scopes
    }
    assert held - allowed
    managers = {row["resource"]: row["data_manager"] for row in small.inventory}
    by_id = {p.employee_id: p for p in small.roster}
    for resource in small.planted["data_manager_invalid"]:
        dm = managers[resource]
        assert not dm or by_id[dm].status != "active"


# ---- the rest of the district is clean: a reference evaluation -------------------------------


def _selector_principals(selector: str, snapshots) -> tuple[set[tuple[str, bool]], set[str]]:
    """((principal key, reaches direct members only) the selector grants, group keys it names).
    A distribution group named by a selector stands for nothing (docs/access-model.md)."""
    source, kind, name = selector.split(":", 2)
    snap, wanted = snapshots[source], name.lower()
    if kind == "group":
        keys = {
            g.key
            for g in snap.groups
            if wanted in (g.name.lower(), (g.email or "").lower()) and g.kind != "distribution"
        }
        assert keys, selector
        return {(k, False) for k in keys}, keys
    if kind == "app":
        resources = {
            r.key
            for r in snap.resources
            if r.kind == "app_role" and r.extra["app"].lower() == wanted
        }
    else:
        resources = {r.key for r in snap.resources if r.name.lower() == wanted}
    assert resources, selector
    return {
        (g.principal_key, g.direct_members_only) for g in snap.grants if g.resource_key in resources
    }, set()


def _authorized(rule: str, person) -> bool:
    if person.status != "active":
        return False
    if rule.strip() == "*":
        return person.person_type == "employee"
    for alternative in rule.split(";"):
        conditions = [c.split("=", 1) for c in alternative.split("&") if c.strip()]
        if conditions and all(
            getattr(person, a.strip()).lower() in {v.strip().lower() for v in values.split("|")}
            for a, values in conditions
        ):
            return True
    return False


def test_only_planted_cases_break_the_rules(small):
    """Walk every inventory resource's selectors through nested groups to accounts and
    persons; everyone reached must be authorized except the planted people. The walk follows
    docs/access-model.md: a distribution group passes nothing on, a grant for direct members
    only stops at the group's direct members, a guest has no roster person."""
    snapshots = small.snapshots
    members: dict[str, list[str]] = {}
    for snap in snapshots.values():
        for m in snap.memberships:
            members.setdefault(m.group_key, []).append(m.member_key)
    distribution = {g.key for s in snapshots.values() for g in s.groups if g.kind == "distribution"}
    accounts = {a.key: a for s in snapshots.values() for a in s.accounts}
    by_id = {p.employee_id: p for p in small.roster}
    by_email = {p.email: p for p in small.roster}
    unauthorized, ungoverned, reached_accounts = set(), set(), set()
    for row in small.inventory:
        principals, named = set(), set()
        for selector in row["entitlements"].split(";"):
            found, groups = _selector_principals(selector.strip(), snapshots)
            principals |= found
            named |= groups
        excepted = {e.split()[0] for e in row["exceptions"].split(";") if e.strip()}
        confidential = row["classification"] in ("confidential", "both")
        seen, stack = set(), list(principals)
        while stack:
            key, direct_only = stack.pop()
            if (key, direct_only) in seen or key in distribution:
                continue
            seen.add((key, direct_only))
            if ":group:" in key:
                if key not in named and confidential:
                    ungoverned.add(key)
                stack.extend(
                    (m, False) for m in members.get(key, ()) if not (direct_only and ":group:" in m)
                )
                continue
            account = accounts[key]
            if account.kind != "person":
                continue
            reached_accounts.add(key)
            if account.guest:
                unauthorized.add(key)
                continue
            person = _owner(account, by_id, by_email)
            assert person is not None, f"{key} reaches {row['resource']} without an owner"
            if not _authorized(row["authorized"], person) and person.employee_id not in excepted:
                unauthorized.add(person.key)
    planted = small.planted
    assert unauthorized == set(
        planted["unauthorized"] + planted["separated_access"] + planted["leave_access"]
    )
    assert ungoverned == set(planted["ungoverned_group"])
    assert set(small.clean["excepted_person"]) <= {p.key for p in small.roster}

    as_of = small.as_of
    dormant = {
        k
        for k in reached_accounts
        if accounts[k].last_sign_in is None or (as_of - accounts[k].last_sign_in.date()).days > 90
    }
    assert dormant == set(planted["dormant_account"])
    untrained = {_owner(accounts[k], by_id, by_email) for k in reached_accounts} - {None}
    untrained = {
        p.key
        for p in untrained
        if p.status == "active"
        and (p.training_date is None or (as_of - p.training_date).days > 365)
    }
    assert untrained == set(planted["training_overdue"])


def _owner(account, by_id, by_email):
    return (
        by_id.get(account.employee_id) or by_email.get(account.email) or by_email.get(account.upn)
    )


def test_orphans_are_only_the_planted_ones(small):
    emails = {p.email for p in small.roster}
    ids = {p.employee_id for p in small.roster}
    orphans = {
        a.key
        for s in small.snapshots.values()
        for a in s.accounts
        if a.kind == "person"
        and not a.guest
        and a.employee_id not in ids
        and a.email not in emails
        and a.upn not in emails
    }
    assert orphans == set(small.planted["orphan_account"])


# ---- files -----------------------------------------------------------------------------------


def test_write_demo_files_load_back(small, tmp_path):
    config_path = write_demo(tmp_path / "demo", small)
    folder = config_path.parent
    with (folder / "roster.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(small.roster)
    assert any(r["name"] == "Zoë O'Brien" for r in rows)
    assert {r["status"] for r in rows} == {"active", "leave", "separated"}
    assert {r["person_type"] for r in rows} == {"employee", "volunteer", "contractor"}

    workbook = openpyxl.load_workbook(folder / "inventory.xlsx", read_only=True)
    assert workbook.sheetnames == ["Resources", "Apps", "Holds"]
    resources = list(workbook["Resources"].values)
    assert resources[0][:5] == (
        "resource",
        "classification",
        "data_manager",
        "entitlements",
        "authorized",
    )
    assert len(resources) - 1 == len(small.inventory)
    assert len(list(workbook["Holds"].values)) - 1 == len(small.holds)
    workbook.close()

    config = tomllib.loads(config_path.read_text(encoding="utf-8"))
    assert config["sources"]["entra"] == {
        "type": "demo",
        "directory": "entra",
        "state": "demo-directory.db",
    }
    assert (folder / config["sources"]["ad"]["state"]).is_file()
    assert config["iso"]["email"] in {r["email"] for r in rows}
    assert config["policy"]["retention_days"] == 1095


def test_written_config_loads_with_the_project_loader(small, tmp_path):
    from access_review.config import load_config

    config = load_config(write_demo(tmp_path, small))
    assert set(config.sources) == {"ad", "entra", "google"}
    assert config.roster_path.is_file() and config.inventory_path.is_file()
    assert "students.district.example.org" in config.classify.student_domains
