"""The finding types and severities, apart from the rules (findings.py) so that reading stored
findings does not load the entitlement graph."""

from __future__ import annotations

from datetime import date, datetime, timezone

SEVERITY_ORDER = {"critical": 0, "high": 1, "medium": 2, "low": 3, "info": 4}

FINDING_TYPES = {
    "unauthorized": "Access to confidential or critical data not authorized by the inventory",
    "separated_access": "Separated person with an enabled account or access",
    "leave_access": "Person on leave with access to confidential or critical data",
    "orphan_account": "Enabled account with no person in the roster",
    "dormant_account": "Dormant account with access to confidential data",
    "training_overdue": "Confidentiality training missing or older than allowed",
    "privileged_access": "Directory administrator role",
    "unapproved_app": "App holding access that the ISO has not approved",
    "app_scope_exceeded": "Approved app holding scopes beyond those approved",
    "data_manager_invalid": "Resource without a valid data manager",
    "ungoverned_group": "Group granting confidential data that is not in the inventory",
    "held_account_missing": "Account on litigation hold missing from its directory",
    "retention_eligible": "Separated person's account past the retention period",
}


def finding_title(type_: str) -> str:
    """How a finding type reads ("Separated person still has access"); an unknown type as itself."""
    return FINDING_TYPES.get(type_, type_)


def finding_order(
    severity: str,
    type_: str,
    summary: str,
    person: str | None,
    account: str | None,
    resource: str | None,
) -> tuple[int, str, str, str, str, str]:
    """How findings are listed: most severe first, then by type and summary (and, for findings
    that read the same, by whom and what they are about, so the order is always the same)."""
    return (
        SEVERITY_ORDER.get(severity, 9),
        type_,
        summary,
        person or "",
        account or "",
        resource or "",
    )


def today_utc() -> date:
    """The day findings are evaluated for, unless a command names another."""
    return datetime.now(timezone.utc).date()
