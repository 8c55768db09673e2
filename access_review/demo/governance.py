"""The demo district's governance files: data inventory, app approval register, hold register.

Rows are dicts keyed by the column names of docs/formats.md. The authorization rules agree
with the entitlements people.py gives each job, so only planted cases break them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from .entra import APPROVED_APP, SIS_APP, SIS_APP_ID, UNAPPROVED_APP
from .google import G, OAUTH_APPS
from .names import DOMAIN

INVENTORY_COLUMNS = (
    "resource",
    "classification",
    "data_manager",
    "entitlements",
    "authorized",
    "exceptions",
    "review_frequency",
    "description",
)
APPS_COLUMNS = ("app", "client_id", "approved", "approved_on", "approved_scopes")
HOLDS_COLUMNS = ("subject", "matter", "since", "released")

TECH_ADMINS = "title=Technology Coordinator|Network Administrator"
# resource, classification, data manager's title ("" = none named), selectors, rule, frequency, description
RESOURCES = (
    (
        "Special Education Records",
        "confidential",
        "Director of Special Education",
        (
            "ad:group:SpEd Records",
            "google:drive:Special Education Records",
            f"google:group:sped@{DOMAIN}",
            f"entra:app-role:{SIS_APP}/Special Education",
        ),
        "department=Special Education & person_type=employee; title=Principal|School Psychologist",
        "quarterly",
        "IEPs, evaluations and service logs",
    ),
    (
        "Student Health Records",
        "confidential",
        "Director of Student Services",
        ("ad:group:Nurses", "ad:group:Health Services", "google:drive:Health Office"),
        "department=Health Services & person_type=employee; title=Director of Student Services",
        "quarterly",
        "Nurse visit logs, immunizations, medication plans",
    ),
    (
        "Counseling Notes",
        "confidential",
        "Director of Student Services",
        (
            "google:drive:Counseling Notes",
            f"google:group:counselors@{DOMAIN}",
            f"google:group:student-services@{DOMAIN}",
        ),
        "department=Counseling & person_type=employee; title=Director of Student Services",
        "quarterly",
        "",
    ),
    (
        "Section 504 Plans",
        "confidential",
        "Director of Student Services",
        (f"google:group:504-team@{DOMAIN}",),
        "department=Counseling|Special Education & person_type=employee; title=Principal|Director of Student Services",
        "semiannual",
        "",
    ),
    (
        "Student Information System",
        "both",
        "Technology Coordinator",
        (
            f"entra:app:{SIS_APP}",
            "entra:group:PowerSchool Teachers",
            "entra:group:PowerSchool Office",
            "entra:group:PowerSchool Administrators",
        ),
        "person_type=employee",
        "quarterly",
        "Enrollment, schedules, grades, contacts",
    ),
    (
        "Discipline Records",
        "confidential",
        "Superintendent",
        (f"entra:app-role:{SIS_APP}/Administrator", "entra:group:PowerSchool Administrators"),
        "title=Principal|Assistant Principal|Superintendent",
        "quarterly",
        "",
    ),
    (
        "Gradebook and Assessment Data",
        "confidential",
        "Director of Curriculum",
        (
            "google:drive:Assessment Data",
            f"google:group:teachers@{DOMAIN}",
            f"google:group:principals@{DOMAIN}",
            f"entra:app-role:{SIS_APP}/Teacher",
            "entra:group:PowerSchool Teachers",
            # Planted (issue 12): file organizers of the drive, through a nested group.
            f"google:group:assessment-organizers@{DOMAIN}",
            f"google:group:assessment-coordinators@{DOMAIN}",
        ),
        "person_type=employee & department=Instruction|Special Education; title=Principal|Assistant Principal",
        "semiannual",
        "State assessment results and gradebooks",
    ),
    (
        "Payroll",
        "both",
        "Director of Finance",
        ("ad:group:Payroll Access", "google:drive:Payroll"),
        "department=Finance|Human Resources & person_type=employee",
        "quarterly",
        "",
    ),
    (
        "Personnel Files",
        "confidential",
        "Director of Human Resources",
        ("google:drive:HR Personnel Files", "ad:group:HR Staff"),
        "department=Human Resources & person_type=employee; title=Superintendent",
        "quarterly",
        "",
    ),
    (
        "Employee Evaluations",
        "confidential",
        "Director of Human Resources",
        ("google:drive:Evaluations", f"google:group:principals@{DOMAIN}"),
        "title=Principal|Assistant Principal|Superintendent|Director of Human Resources",
        "annual",
        "",
    ),
    (
        "Finance System",
        "critical",
        "Director of Finance",
        ("ad:group:Finance Staff",),
        "department=Finance & person_type=employee",
        "quarterly",
        "General ledger and purchasing",
    ),
    # Planted: the data manager is on leave.
    (
        "Transportation Routes",
        "confidential",
        "Director of Transportation",
        ("ad:group:Transportation Office",),
        "department=Transportation & title=Transportation Dispatcher|Director of Transportation",
        "annual",
        "Bus stops and student home addresses",
    ),
    # Planted: nobody named as data manager.
    (
        "Free and Reduced Lunch Eligibility",
        "confidential",
        "",
        ("ad:group:Food Services Office",),
        "department=Food Services & title=Food Services Clerk|Food Services Director",
        "annual",
        "",
    ),
    (
        "Domain Administration",
        "critical",
        "Technology Coordinator",
        ("ad:role:Domain Admins", "ad:group:Domain Admins"),
        TECH_ADMINS,
        "quarterly",
        "",
    ),
    (
        "Entra ID Administration",
        "critical",
        "Technology Coordinator",
        ("entra:role:Global Administrator",),
        TECH_ADMINS,
        "quarterly",
        "",
    ),
    (
        "Google Workspace Administration",
        "critical",
        "Technology Coordinator",
        ("google:role:Super Admin",),
        TECH_ADMINS,
        "quarterly",
        "",
    ),
    (
        "Backups",
        "critical",
        "Network Administrator",
        ("ad:group:Backup Operators",),
        TECH_ADMINS,
        "semiannual",
        "Backup server and its restore rights",
    ),
)


def build_inventory_rows(
    data_manager_of_title: dict[str, str], exception: str
) -> list[dict[str, Any]]:
    """``data_manager_of_title``: title -> employee id of the person holding it.
    ``exception``: one named exception (an employee id approved by a data manager)."""
    rows = []
    for name, classification, manager_title, selectors, rule, frequency, description in RESOURCES:
        rows.append(
            {
                "resource": name,
                "classification": classification,
                "data_manager": data_manager_of_title.get(manager_title, "")
                if manager_title
                else "",
                "entitlements": "; ".join(selectors),
                "authorized": rule,
                "exceptions": exception if name == "Finance System" else "",
                "review_frequency": frequency,
                "description": description,
            }
        )
    return rows


def build_apps_rows() -> list[dict[str, Any]]:
    kami_id, _, _, _ = OAUTH_APPS["Kami"]
    pear_id, pear_scopes, _, _ = OAUTH_APPS["Pear Deck"]
    return [
        {
            "app": SIS_APP,
            "client_id": SIS_APP_ID,
            "approved": "yes",
            "approved_on": date(2019, 8, 1),
            "approved_scopes": "",
        },
        {
            "app": APPROVED_APP[0],
            "client_id": APPROVED_APP[1],
            "approved": "yes",
            "approved_on": date(2023, 1, 17),
            "approved_scopes": " ".join(APPROVED_APP[2]),
        },
        # Planted: the ISO reviewed and declined it, yet teachers consented.
        {
            "app": UNAPPROVED_APP[0],
            "client_id": UNAPPROVED_APP[1],
            "approved": "no",
            "approved_on": date(2025, 9, 3),
            "approved_scopes": "",
        },
        # Planted: approved for drive.file only; its tokens also hold the full drive scope.
        {
            "app": "Kami",
            "client_id": kami_id,
            "approved": "yes",
            "approved_on": date(2024, 8, 20),
            "approved_scopes": f"{G}drive.file {G}userinfo.email {G}userinfo.profile",
        },
        {
            "app": "Pear Deck",
            "client_id": pear_id,
            "approved": "yes",
            "approved_on": date(2022, 2, 11),
            "approved_scopes": " ".join(pear_scopes),
        },
        # "Homework Helper AI" is deliberately absent: nobody ever asked the ISO.
    ]


def build_holds_rows(
    *, held_employee_id: str, missing_account_key: str, released_email: str, active_email: str
) -> list[dict[str, Any]]:
    return [
        {
            "subject": held_employee_id,
            "matter": "Özdemir v. Northfield USD",
            "since": date(2023, 1, 10),
            "released": None,
        },
        {
            "subject": missing_account_key,
            "matter": "OCR complaint 05-25-1187",
            "since": date(2025, 2, 1),
            "released": None,
        },
        {
            "subject": released_email,
            "matter": "Public records request 2023-044",
            "since": date(2023, 5, 2),
            "released": date(2024, 1, 15),
        },
        {
            "subject": active_email,
            "matter": "Grievance 2026-07",
            "since": date(2026, 7, 14),
            "released": None,
        },
    ]
