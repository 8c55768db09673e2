"""Data inventory, app approval and hold registers (docs/formats.md), and the questions asked of them."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import openpyxl
import pytest

from access_review.errors import InputError
from access_review.inventory import (
    AccessException,
    AppApproval,
    Hold,
    Inventory,
    InventoryResource,
    InventorySyntaxError,
    Selector,
    active_holds_for,
    find_approval,
    is_authorized,
    load_inventory,
    parse_rules,
    parse_selector,
    resolve_selectors,
    validate_inventory,
)
from access_review.records import Group, Person, Resource
from access_review.roster import load_roster

FIXTURES = Path(__file__).parent / "fixtures" / "inventory"
ROSTER = load_roster(Path(__file__).parent / "fixtures" / "roster" / "roster.csv")
PEOPLE = {p.employee_id: p for p in ROSTER}
TODAY = date(2026, 11, 28)
HEADER = "resource,classification,data_manager,entitlements,authorized,exceptions\n"


def load_fixture() -> Inventory:
    return load_inventory(
        FIXTURES / "inventory.csv",
        roster=ROSTER,
        apps_path=FIXTURES / "apps.csv",
        holds_path=FIXTURES / "holds.csv",
    )


def write_csv(tmp_path: Path, text: str, name: str = "inventory.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def inventory_error(path: Path, **kwargs) -> InputError:
    with pytest.raises(InputError) as caught:
        load_inventory(path, roster=ROSTER, **kwargs)
    return caught.value


def assert_names(error: InputError, path: Path, *, row: int | None, column: str) -> None:
    assert (error.row, error.column) == (row, column)
    assert str(path) in str(error) and repr(column) in str(error)
    if row is not None:
        assert f"row {row}" in str(error)


def person(**changes) -> Person:
    values = dict(
        employee_id="E9000",
        name="Test Person",
        title="Teacher",
        department="Special Education",
        building="North Elementary",
    )
    values.update(changes)
    return Person(**values)


# ---------------------------------------------------------------- loading


def test_fixture_inventory_loads_with_resolved_people():
    inventory = load_fixture()
    sped, sis, domain, addon = inventory.resources

    assert sped.name == "Special Education Records" and sped.row == 2
    assert sped.confidential and not sped.critical
    assert sis.confidential and sis.critical and sis.classification == "both"
    assert domain.critical and not domain.confidential
    assert sped.data_manager == "E0002"
    assert sis.data_manager == "E0001"  # given as an e-mail, stored as the employee id
    assert domain.data_manager == ""  # empty is allowed: it becomes a finding later
    assert sped.selectors == (
        Selector("ad", "group", "SpEd Staff"),
        Selector("google", "drive", "Special Education Records"),
        Selector("entra", "app-role", "PowerSchool SIS/SpEd Case Manager"),
    )
    assert sped.exceptions == (
        AccessException("V0100", "E0001", date(2027, 6, 30)),
        AccessException("E0003", "E0001", date(2025, 6, 30)),
    )
    assert domain.exceptions == (AccessException("C0200", "E0001", date(2026, 12, 31)),)
    assert [r.review_frequency for r in inventory.resources] == [
        "quarterly",
        "semiannual",
        "annual",
        "quarterly",
    ]
    assert sped.description == "IEPs and evaluations"
    assert [str(rule) for rule in sped.rules] == [
        "department=Special Education & person_type=employee",
        "title=Principal|Assistant Principal",
    ]
    assert len(inventory.apps) == 3 and len(inventory.holds) == 3
    assert inventory.resource("special education RECORDS") is sped


def test_registers_load_with_their_values():
    inventory = load_fixture()
    addon = inventory.apps[0]
    assert addon.client_id == "123456789.apps.googleusercontent.com" and addon.approved
    assert addon.approved_on == date(2026, 1, 15)
    assert addon.approved_scopes == frozenset(
        {
            "https://www.googleapis.com/auth/classroom.rosters.readonly",
            "https://www.googleapis.com/auth/userinfo.email",
        }
    )
    assert inventory.apps[1].approved_scopes == frozenset()  # empty = any scope
    assert inventory.apps[2].approved is False
    assert inventory.holds[0] == Hold("E0004", "Price v. District", date(2026, 7, 1), None, row=2)
    assert inventory.holds[1].released == date(2025, 12, 1)


def test_data_manager_on_leave_is_not_an_error(tmp_path):
    # E0003 is on leave: the data-manager finding reports it; loading must not refuse it.
    path = write_csv(tmp_path, HEADER + "Grades,confidential,e0003,ad:group:Teachers,,\n")
    [resource] = load_inventory(path, roster=ROSTER).resources
    assert resource.data_manager == "E0003"


def test_xlsx_workbook_with_resources_apps_and_holds_sheets(tmp_path):
    path = tmp_path / "inventory.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Read Me"
    resources = workbook.create_sheet("Resources")
    resources.append(["Resource", "Classification", "Data Manager", "Entitlements", "Exceptions"])
    resources.append(["Payroll", "Critical", "E0001", "ad:group:Payroll", None])
    resources.append([None, None, None, None, None])
    resources.append(
        [
            "Health Records",
            "confidential",
            "LORTEGA@district.org",
            "google:drive:Nurse",
            "C0200 approved-by E0001 until 2027-01-31",
        ]
    )
    apps = workbook.create_sheet("Apps")
    apps.append(["App", "Client ID", "Approved", "Approved On"])
    apps.append(["Quiz Maker", "quiz-1", "yes", date(2026, 2, 1)])
    holds = workbook.create_sheet("Holds")
    holds.append(["Subject", "Matter", "Since", "Released"])
    holds.append(["E0004", "Audit", date(2026, 1, 1), None])
    workbook.save(path)

    inventory = load_inventory(path, roster=ROSTER)
    assert [(r.name, r.row, r.data_manager) for r in inventory.resources] == [
        ("Payroll", 2, "E0001"),
        ("Health Records", 4, "E0002"),
    ]
    assert inventory.resources[0].classification == "critical"
    assert inventory.apps == (
        AppApproval("Quiz Maker", "quiz-1", True, date(2026, 2, 1), frozenset(), row=2),
    )
    assert inventory.holds == (Hold("E0004", "Audit", date(2026, 1, 1), None, row=2),)


def test_xlsx_errors_name_the_sheet(tmp_path):
    path = tmp_path / "inventory.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.title = "Resources"
    workbook.active.append(["resource", "classification", "data_manager", "entitlements"])
    workbook.active.append(["Payroll", "critical", "", "ad:group:Payroll"])
    apps = workbook.create_sheet("Apps")
    apps.append(["app", "approved"])
    apps.append(["Quiz Maker", "maybe"])
    workbook.save(path)

    error = inventory_error(path)
    assert (error.row, error.column) == (2, "approved")
    assert str(path) in str(error) and "'Apps'" in str(error) and "maybe" in str(error)


def test_workbook_without_register_sheets_has_empty_registers(tmp_path):
    path = tmp_path / "inventory.xlsx"
    workbook = openpyxl.Workbook()
    workbook.active.append(["resource", "classification", "data_manager", "entitlements"])
    workbook.active.append(["Payroll", "critical", "", "ad:group:Payroll"])
    workbook.save(path)
    inventory = load_inventory(path, roster=ROSTER)
    assert len(inventory.resources) == 1 and inventory.apps == () and inventory.holds == ()


# ---------------------------------------------------------------- one clear error per problem


def test_missing_required_column(tmp_path):
    path = write_csv(tmp_path, "resource,classification,entitlements\nX,critical,ad:group:X\n")
    error = inventory_error(path)
    assert_names(error, path, row=None, column="data_manager")


def test_unknown_classification(tmp_path):
    path = write_csv(tmp_path, HEADER + "Payroll,secret,E0001,ad:group:Payroll,,\n")
    error = inventory_error(path)
    assert_names(error, path, row=2, column="classification")
    assert "secret" in str(error)


def test_duplicate_resource_name_is_case_insensitive(tmp_path):
    path = write_csv(
        tmp_path,
        HEADER + "Payroll,critical,E0001,ad:group:Payroll,,\n"
        "Grades,confidential,E0001,ad:group:Teachers,,\n"
        "PAYROLL ,critical,E0001,ad:group:HR,,\n",
    )
    error = inventory_error(path)
    assert_names(error, path, row=4, column="resource")
    assert "first on row 2" in str(error)


def test_unknown_data_manager_names_the_value(tmp_path):
    path = write_csv(
        tmp_path,
        HEADER + "Payroll,critical,E0001,ad:group:Payroll,,\n"
        "Grades,confidential,jdoe@district.org,ad:group:T,,\n",
    )
    error = inventory_error(path)
    assert_names(error, path, row=3, column="data_manager")
    assert "jdoe@district.org" in str(error)


@pytest.mark.parametrize(
    "entitlements",
    [
        "ad:SpEd Staff",  # no kind
        "ad:groups:SpEd Staff",  # unknown kind
        "ad:group:",  # no name
        "entra:app-role:PowerSchool",  # app-role without /Role
        "ad group SpEd Staff",
        "ad:group:Ok; :group:Missing Source",
    ],
)
def test_malformed_selector(tmp_path, entitlements):
    path = write_csv(tmp_path, HEADER + f"Payroll,critical,E0001,{entitlements},,\n")
    error = inventory_error(path)
    assert_names(error, path, row=2, column="entitlements")


def test_empty_entitlements(tmp_path):
    path = write_csv(tmp_path, HEADER + "Payroll,critical,E0001,,,\n")
    assert_names(inventory_error(path), path, row=2, column="entitlements")


@pytest.mark.parametrize(
    "authorized",
    [
        "department",  # no =
        "shoe_size=9",  # unknown attribute
        "title=Principal|",  # empty alternative value
        "* & building=North",  # * must stand alone
    ],
)
def test_malformed_rule(tmp_path, authorized):
    path = write_csv(tmp_path, HEADER + f"Payroll,critical,E0001,ad:group:P,{authorized},\n")
    assert_names(inventory_error(path), path, row=2, column="authorized")


@pytest.mark.parametrize(
    "exceptions, needle",
    [
        ("E0003 until 2027-01-01", "approved-by"),
        ("E0003 approved-by E0001 until soon", "soon"),
        ("E0003 approved-by E0001 until 2027-02-30", "2027-02-30"),
        ("E7777 approved-by E0001 until 2027-01-01", "E7777"),  # not in the roster
        ("E0003 approved-by nobody@x.org until 2027-01-01", "nobody@x.org"),
    ],
)
def test_malformed_exception(tmp_path, exceptions, needle):
    path = write_csv(tmp_path, HEADER + f"Payroll,critical,E0001,ad:group:P,,{exceptions}\n")
    error = inventory_error(path)
    assert_names(error, path, row=2, column="exceptions")
    assert needle in str(error)


def test_validate_lists_problems_of_every_file_and_nothing_is_returned(tmp_path):
    inventory = write_csv(
        tmp_path,
        HEADER + "Payroll,top secret,E0001,ad:group:P,,\nGrades,confidential,E0404,ad:group:T,,\n",
    )
    apps = write_csv(
        tmp_path,
        "app,client_id,approved,approved_on\nQuiz,q1,yes,yesterday\nQuiz 2,Q1,no,\n",
        name="apps.csv",
    )
    holds = write_csv(
        tmp_path, "subject,matter,since,released\nE0004,,2026-02-01,2026-01-01\n", name="holds.csv"
    )
    problems = validate_inventory(inventory, roster=ROSTER, apps_path=apps, holds_path=holds)
    assert [(Path(p.path).name, p.row, p.column) for p in problems] == [
        ("inventory.csv", 2, "classification"),
        ("inventory.csv", 3, "data_manager"),
        ("apps.csv", 2, "approved_on"),
        ("apps.csv", 3, "client_id"),
        ("holds.csv", 2, "matter"),
        ("holds.csv", 2, "released"),
    ]
    with pytest.raises(InputError) as caught:
        load_inventory(inventory, roster=ROSTER, apps_path=apps, holds_path=holds)
    assert str(caught.value) == str(problems[0])
    assert (
        validate_inventory(
            FIXTURES / "inventory.csv",
            roster=ROSTER,
            apps_path=FIXTURES / "apps.csv",
            holds_path=FIXTURES / "holds.csv",
        )
        == []
    )


def test_missing_register_file_is_an_error_not_an_empty_register(tmp_path):
    path = write_csv(tmp_path, HEADER + "Payroll,critical,E0001,ad:group:P,,\n")
    error = inventory_error(path, apps_path=tmp_path / "apps.csv")
    assert "apps.csv" in str(error) and "not found" in str(error)


# ---------------------------------------------------------------- authorization

SPED = InventoryResource(
    name="Special Education Records",
    classification="confidential",
    data_manager="E0002",
    selectors=(Selector("ad", "group", "SpEd Staff"),),
    rules=parse_rules(
        "department=Special Education & person_type=employee; title=Principal|Assistant Principal"
    ),
    exceptions=(
        AccessException("V0100", "E0001", date(2027, 6, 30)),
        AccessException("E0005", "E0001", date(2026, 6, 30)),
    ),
)


def test_rule_with_all_conditions_holding():
    assert is_authorized(SPED, person(), TODAY) == (
        True,
        "rule 1: department=Special Education & person_type=employee",
    )


def test_rule_values_match_case_insensitively_and_alternatives_with_bar():
    assert is_authorized(SPED, person(department="special education"), TODAY)[0]
    principal = person(department="Mathematics", title="assistant principal")
    assert is_authorized(SPED, principal, TODAY) == (
        True,
        "rule 2: title=Principal|Assistant Principal",
    )


def test_one_failing_condition_fails_the_rule():
    contractor = person(person_type="contractor")
    assert is_authorized(SPED, contractor, TODAY) == (False, "no rule matches")


def test_valid_exception_authorizes_a_named_person():
    volunteer = person(employee_id="V0100", person_type="volunteer", department="")
    assert is_authorized(SPED, volunteer, TODAY) == (
        True,
        "exception approved by E0001 until 2027-06-30",
    )
    # the exception is good through its last day, not after
    assert is_authorized(SPED, volunteer, date(2027, 6, 30))[0]
    assert not is_authorized(SPED, volunteer, date(2027, 7, 1))[0]


def test_expired_exception_does_not_count():
    teacher = person(employee_id="E0005", department="Mathematics")
    allowed, reason = is_authorized(SPED, teacher, TODAY)
    assert not allowed and "no rule matches" in reason and "expired 2026-06-30" in reason


def test_data_manager_is_authorized():
    assert is_authorized(SPED, person(employee_id="E0002", department="Admin"), TODAY) == (
        True,
        "data manager",
    )


@pytest.mark.parametrize("status", ["leave", "separated"])
def test_leave_and_separated_are_never_authorized(status):
    for who in (
        person(status=status),
        person(employee_id="E0002", status=status),
        person(employee_id="V0100", person_type="volunteer", status=status),
    ):
        assert is_authorized(SPED, who, TODAY) == (False, f"status is {status}")


def test_star_means_any_active_employee_only():
    anyone = InventoryResource(
        name="SIS", classification="both", data_manager="", selectors=(), rules=parse_rules("*")
    )
    assert is_authorized(anyone, person(department="Mathematics"), TODAY) == (
        True,
        "rule 1: * (any active employee)",
    )
    assert not is_authorized(anyone, person(person_type="volunteer"), TODAY)[0]
    assert not is_authorized(anyone, person(status="leave"), TODAY)[0]


def test_no_rules_means_only_named_exceptions():
    nobody = InventoryResource(
        name="X", classification="critical", data_manager="", selectors=(), rules=parse_rules("")
    )
    assert is_authorized(nobody, person(), TODAY) == (False, "no rule matches")


def test_parse_selector_normalizes_source_and_kind_but_keeps_the_name():
    assert parse_selector(" AD:Group:SpEd Staff ") == Selector("ad", "group", "SpEd Staff")
    assert str(parse_selector("google:oauth:a:b")) == "google:oauth:a:b"  # ids may hold ':'
    with pytest.raises(InventorySyntaxError):
        parse_selector("ad:group")


# ---------------------------------------------------------------- selector resolution

GROUPS = [
    Group(source="ad", id="g1", name="SpEd Staff"),
    Group(source="google", id="g2", name="SpEd Staff", email="sped@district.org"),
    Group(source="google", id="g3", name="SIS Admins", email="sis-admins@district.org"),
    Group(source="ad", id="g4", name="Domain Admins"),  # a group, not the admin role
]
RESOURCES = [
    Resource(source="google", id="d1", name="Special Education Records", kind="shared_drive"),
    Resource(source="entra", id="app1", name="PowerSchool SIS", kind="app"),
    Resource(
        source="entra",
        id="r1",
        name="PowerSchool SIS/Teacher",
        kind="app_role",
        extra={"app": "PowerSchool SIS"},
    ),
    Resource(
        source="entra",
        id="r2",
        name="PowerSchool SIS/SpEd Case Manager",
        kind="app_role",
        extra={"app": "PowerSchool SIS"},
    ),
    Resource(
        source="entra", id="r3", name="Canvas/Teacher", kind="app_role", extra={"app": "Canvas"}
    ),
    Resource(source="ad", id="da", name="Domain Admins", kind="admin_role", privileged=True),
    Resource(
        source="entra", id="ga", name="Global Administrator", kind="admin_role", privileged=True
    ),
    Resource(source="google", id="sa", name="Super Admin", kind="admin_role", privileged=True),
    Resource(
        source="google",
        id="o1",
        name="Gradebook Add-on",
        kind="oauth_app",
        extra={"client_id": "123456789.apps.googleusercontent.com"},
    ),
    Resource(source="entra", id="sd", name="Special Education Records", kind="app"),
]


def test_selectors_resolve_to_record_keys_of_their_own_source():
    mapping, warnings = resolve_selectors(load_fixture(), GROUPS, RESOURCES)
    assert mapping == {
        "Special Education Records": ["ad:group:g1", "google:resource:d1", "entra:resource:r2"],
        "Student Information System": [
            "entra:resource:app1",
            "entra:resource:r1",
            "entra:resource:r2",
            "google:group:g3",
        ],
        "Domain Administration": ["ad:resource:da", "entra:resource:ga", "google:resource:sa"],
        "Gradebook Add-on": ["google:resource:o1"],
    }
    assert warnings == [
        "inventory row 5 (Gradebook Add-on): selector 'ad:group:Retired Group' matches nothing"
    ]


def test_selectors_match_names_case_insensitively_and_groups_by_email(tmp_path):
    path = write_csv(
        tmp_path,
        HEADER + "A,critical,,google:group:SPED@district.org; "
        "ad:group:sped staff; entra:app-role:powerschool sis / teacher; "
        "google:oauth:gradebook add-on,,\n",
    )
    mapping, warnings = resolve_selectors(load_inventory(path, roster=ROSTER), GROUPS, RESOURCES)
    assert mapping["A"] == [
        "google:group:g2",
        "ad:group:g1",
        "entra:resource:r1",
        "google:resource:o1",
    ]
    assert warnings == []


def test_selector_of_another_source_or_kind_matches_nothing(tmp_path):
    path = write_csv(
        tmp_path,
        HEADER + "A,critical,,entra:group:SpEd Staff; "
        "google:role:Domain Admins; ad:drive:Special Education Records,,\n",
    )
    mapping, warnings = resolve_selectors(load_inventory(path, roster=ROSTER), GROUPS, RESOURCES)
    assert mapping == {"A": []}
    assert warnings == [
        "inventory row 2 (A): selector 'entra:group:SpEd Staff' matches nothing",
        "inventory row 2 (A): selector 'google:role:Domain Admins' matches nothing",
        "inventory row 2 (A): selector 'ad:drive:Special Education Records' matches nothing",
    ]


# ---------------------------------------------------------------- app approvals and holds


def test_find_approval_by_client_id_first():
    inventory = load_fixture()
    found = find_approval(
        inventory, "Some Other Display Name", "123456789.APPS.googleusercontent.com"
    )
    assert found is not None and found.app == "Gradebook Add-on"


def test_find_approval_by_name_when_no_client_id_on_either_side():
    inventory = load_fixture()
    assert find_approval(inventory, "powerschool sis", "f00-app-id").app == "PowerSchool SIS"
    assert find_approval(inventory, "Quiz Maker", None).approved is False
    assert find_approval(inventory, "Gradebook Add-on", None).client_id  # name only: still found


def test_same_name_with_a_different_client_id_is_not_approved():
    # anyone can register an OAuth client called "Gradebook Add-on"
    assert find_approval(load_fixture(), "Gradebook Add-on", "evil-client-id") is None
    assert find_approval(load_fixture(), "Unknown App", "unknown-id") is None


def test_active_holds_for_subjects():
    inventory = load_fixture()
    held = active_holds_for(inventory, {"e0004", "SPRICE@district.org"}, TODAY)
    assert [(h.subject, h.row) for h in held] == [("E0004", 2), ("sprice@district.org", 4)]
    # released on 2025-12-01: active the day before, not from that day
    key = {"ad:account:1b2c3d4e-0000-4000-8000-000000000001"}
    assert len(active_holds_for(inventory, key, date(2025, 11, 30))) == 1
    assert active_holds_for(inventory, key, date(2025, 12, 1)) == []
    # not yet begun
    assert active_holds_for(inventory, {"E0004"}, date(2026, 6, 30)) == []


def test_unreadable_workbook_is_one_problem_from_validate_and_an_error_from_load(tmp_path):
    path = tmp_path / "inventory.xlsx"
    path.write_bytes(b"not a workbook")
    [problem] = validate_inventory(path, roster=ROSTER)
    assert str(path) in str(problem) and "xlsx" in str(problem)
    assert str(inventory_error(path)) == str(problem)
