"""One planted case per access rule of docs/access-model.md (issue 12), so that the demo shows
each rule at work and a regression in any of them changes the findings.

Planted after the directories are built: the few people these cases need are added to the
roster last and get only the accounts their case needs, so the rest of the district (and the
random draws that made it) stays as it was.

Each case is either a finding (it joins ``planted``) or must *not* be one (it joins
``clean``, with what a test checks):
- AD: a distribution group nested in a security group gives its member nothing (clean); an
  admin account whose primary group is Domain Admins, with no mail but a UPN that is the
  person's address (privileged, joined by UPN); a computer in Domain Admins (privileged).
- Entra: a group nested in an app-role group does not pass the app role on (clean; the
  app-role group itself is ungoverned); a role scoped to an administrative unit (privileged,
  its own finding); a guest in an app-role group (unauthorized, no roster person); a service
  principal in a role-assignable group holding Global Administrator (privileged).
- Google: a teacher who reads a drive through one group and organizes files through a nested
  one (clean, level write); a school secretary who manages a group that writes to a
  confidential drive (unauthorized, level "manages who has access"); a Vault hold on an org
  unit that holds a separated person's account (retention: must keep).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from .builder import SnapshotBuilder
from .entra import SIS_APP
from .names import DOMAIN, TENANT_DOMAIN
from .people import NETWORK_ADMIN, Clock, Role, StaffFactory, StaffMember, TEACHER, at_noon

# A second network administrator whose job gives no entitlements: the only admin access is
# the planted primary-group account.
SYSTEMS_ADMIN = Role(NETWORK_ADMIN.title, NETWORK_ADMIN.department)
FORMER_STAFF_OU = "/Former Staff/Litigation"
GLOBAL_ADMIN = "Global Administrator"


@dataclass
class RuleCases:
    planted: dict[str, list[str]] = field(default_factory=dict)
    clean: dict[str, list[str]] = field(default_factory=dict)
    must_keep: list[str] = field(default_factory=list)

    def plant(self, finding_type: str, *keys: str) -> None:
        self.planted.setdefault(finding_type, []).extend(keys)


def _first(
    staff: list[StaffMember], builder: SnapshotBuilder, title: str, *, index: int = 0
) -> StaffMember:
    """The ``index``-th active person with this title who has an account in ``builder``."""
    found = [
        m
        for m in staff
        if m.person.title == title
        and m.person.status == "active"
        and m.account_state == "enabled"
        and m.person.employee_id in builder.account_of_employee
    ]
    return found[index]


def plant_access_rules(
    factory: StaffFactory,
    ad: SnapshotBuilder,
    entra: SnapshotBuilder,
    google: SnapshotBuilder,
    *,
    buildings: list[str],
    clock: Clock,
) -> RuleCases:
    staff = list(factory.members)
    cases = RuleCases()
    _plant_ad(factory, staff, ad, cases, clock)
    _plant_entra(staff, entra, cases, buildings, clock)
    _plant_google(factory, staff, google, cases, clock)
    return cases


def _plant_ad(
    factory: StaffFactory,
    staff: list[StaffMember],
    ad: SnapshotBuilder,
    cases: RuleCases,
    clock: Clock,
) -> None:
    # A distribution list nested in a security group: Windows puts only security groups in
    # the token, so its members get nothing from SpEd Records.
    custodian = _first(staff, ad, "Custodian")
    newsletter = ad.add_group(
        "SpEd Family Newsletter", email=f"sped-news@{DOMAIN}", kind="distribution"
    )
    ad.add_member(newsletter, ad.account_of_employee[custodian.person.employee_id])
    ad.add_member(ad.group_by_name["SpEd Records"], newsletter, "group")
    cases.clean["distribution_list_member"] = [custodian.person.key]

    domain_admins = ad.group_by_name["Domain Admins"]
    # An admin account whose primary group is Domain Admins: in no member value of the
    # group, no mail, no employee id; its UPN is its owner's address.
    admin = factory.add(SYSTEMS_ADMIN, -1, first="Kwame", last="Mensah-Ortiz", directories=())
    login = f"adm-{admin.login}"[:20]
    account = ad.add_account(
        login=login,
        email=None,
        upn=admin.person.email,
        display_name=f"{admin.last}, {admin.first} (Admin)",
        enabled=True,
        last_sign_in=at_noon(clock.days_ago(2)),
        created=at_noon(clock.days_ago(400)),
        org_unit="OU=Administrators,OU=Central Office,DC=district,DC=example,DC=org",
        kind="person",
        title=admin.person.title,
        department=admin.person.department,
        extra={"primary_group_id": 512},
    )
    ad.add_member(domain_admins, account, role="primary")
    cases.clean["joined_by_upn"] = [account]
    # A computer in Domain Admins: every service it runs is a domain admin.
    computer = ad.add_account(
        login="SRV-BACKUP01$",
        email=None,
        display_name="SRV-BACKUP01",
        enabled=True,
        last_sign_in=at_noon(clock.days_ago(1)),
        created=at_noon(clock.days_ago(900)),
        org_unit="OU=Servers,DC=district,DC=example,DC=org",
        kind="computer",
    )
    ad.add_member(domain_admins, computer)
    cases.plant("privileged_access", account, computer)


def _plant_entra(
    staff: list[StaffMember],
    entra: SnapshotBuilder,
    cases: RuleCases,
    buildings: list[str],
    clock: Clock,
) -> None:
    # An app role assigned to a group reaches its direct members only: the paraprofessional
    # in the nested group gets no SpEd access from it. The direct member is a principal
    # (authorized for SpEd records, with no other way to them), so the group shows on the
    # path that explains the principal's access.
    role = entra.resource_by_name[f"{SIS_APP}/Special Education"]
    case_managers = entra.add_group("SpEd Case Managers")
    interns = entra.add_group("SpEd Interns")
    lead = _first(staff, entra, "Principal", index=1)
    para = _first(staff, entra, "Paraprofessional")
    entra.add_member(case_managers, entra.account_of_employee[lead.person.employee_id])
    entra.add_member(case_managers, interns, "group")
    entra.add_member(interns, entra.account_of_employee[para.person.employee_id])
    entra.add_grant(
        role,
        case_managers,
        level="write",
        kind="app_role",
        role="Special Education",
        direct_members_only=True,
        extra={"app": SIS_APP},
    )
    cases.clean["nested_app_role_member"] = [para.person.key]
    cases.plant(
        "ungoverned_group", case_managers
    )  # it grants SpEd records and is in no inventory row

    # A role scoped to an administrative unit: its own, scoped, finding.
    principal = _first(staff, entra, "Principal")
    unit = buildings[principal.building_index]
    scoped = entra.add_resource(
        "User Administrator",
        "admin_role",
        privileged=True,
        scope=f"administrative unit '{unit}'",
        extra={"directoryScopeId": f"/administrativeUnits/{entra.new_id()}"},
    )
    principal_key = entra.account_of_employee[principal.person.employee_id]
    entra.add_grant(scoped, principal_key, level="admin", kind="role", role="User Administrator")
    cases.plant("privileged_access", principal_key)

    # A guest (an invited outside consultant) directly in the SIS teachers group.
    guest_login = f"pat.reyes_consulting.example#EXT#@{TENANT_DOMAIN}"
    guest = entra.add_account(
        login=guest_login,
        upn=guest_login,
        email="pat.reyes@consulting.example",
        display_name="Pat Reyes (Guest)",
        enabled=True,
        guest=True,
        last_sign_in=at_noon(clock.days_ago(6)),
        created=at_noon(clock.days_ago(200)),
        kind="person",
    )
    entra.add_member(entra.group_by_name["PowerSchool Teachers"], guest)
    cases.plant("unauthorized", guest)

    # A service principal in a role-assignable group that holds Global Administrator.
    tier0 = entra.add_group("Tier 0 Admins", role_assignable=True)
    sp = entra.add_account(
        login="8f3c2d1e-7b6a-4c5d-9e8f-0a1b2c3d4e5f",
        display_name="Backup Automation (app)",
        kind="service",
        enabled=True,
        sign_in_known=False,
        created=at_noon(clock.days_ago(300)),
        extra={"servicePrincipal": True, "servicePrincipalType": "Application"},
    )
    entra.add_member(tier0, sp)
    entra.add_grant(
        entra.resource_by_name[GLOBAL_ADMIN], tier0, level="admin", kind="role", role=GLOBAL_ADMIN
    )
    cases.plant("privileged_access", sp)


def _plant_google(
    factory: StaffFactory,
    staff: list[StaffMember],
    google: SnapshotBuilder,
    cases: RuleCases,
    clock: Clock,
) -> None:
    # Reads Assessment Data through teachers@ (reader); organizes its files through a group
    # nested in another: the level is write, and that path is shown first.
    teacher = _first(staff, google, "Teacher")
    teacher_key = google.account_of_employee[teacher.person.employee_id]
    organizers = google.add_group(
        "Assessment Organizers", email=f"assessment-organizers@{DOMAIN}", kind="google"
    )
    coordinators = google.add_group(
        "Assessment Coordinators", email=f"assessment-coordinators@{DOMAIN}", kind="google"
    )
    google.add_member(organizers, coordinators, "group")
    google.add_member(coordinators, teacher_key)
    google.add_grant(
        google.resource_by_name["Assessment Data"],
        organizers,
        level="write",
        kind="drive_permission",
        role="fileOrganizer",
    )
    cases.clean["highest_level_write"] = [teacher_key]

    # A school secretary who manages the Counselors group, which writes to Counseling Notes.
    secretary = _first(staff, google, "School Secretary")
    google.add_member(
        google.group_by_name["Counselors"],
        google.account_of_employee[secretary.person.employee_id],
        role="manager",
    )
    cases.plant("unauthorized", secretary.person.key)
    cases.clean["group_manager"] = [google.account_of_employee[secretary.person.employee_id]]

    # A Vault hold on an org unit holds a separated teacher's account, which no register names.
    former = factory.add(
        TEACHER,
        0,
        first="Imogen",
        last="Ravensworth",
        status="separated",
        status_date=date(2021, 5, 28),
        directories=(),
    )
    account = google.add_account(
        login=former.email,
        email=former.email,
        display_name=f"{former.first} {former.last}",
        enabled=False,
        last_sign_in=at_noon(date(2021, 5, 27)),
        created=at_noon(clock.days_ago(3000)),
        org_unit=FORMER_STAFF_OU,
        kind="person",
        title=former.person.title,
        department=former.person.department,
    )
    hold = google.add_resource(
        "Hernández v. Northfield USD / Former staff",
        "vault_hold",
        id="hold:m-ou:h-ou",
        extra={
            "matter": "Hernández v. Northfield USD",
            "corpus": "MAIL",
            "org_unit_id": "03ph8a2zfs",
            "org_unit_path": FORMER_STAFF_OU,
        },
    )
    google.add_grant(
        hold,
        account,
        level="read",
        kind="hold",
        id=f"hold:m-ou:h-ou:{account.rsplit(':', 1)[1]}",
        extra={"via_org_unit": FORMER_STAFF_OU, "holdTime": "2024-02-01T00:00:00Z"},
    )
    cases.plant("retention_eligible", account)
    cases.must_keep.append(account)
