"""The superintendent workbook: one file a superintendent reads without help.

``build_superintendent_report`` is pure (an Analysis and the campaign/suspension views in,
a ``SuperintendentReport`` out); ``write_workbook`` / ``write_csv_folder`` / ``write_json``
only lay it out. The key figures (``report.figures``) are plain JSON so that a golden file
can pin them for the demo district.
"""
from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Alignment, Font
from openpyxl.worksheet.worksheet import Worksheet

from access_review.findings import FINDING_TYPES, SEVERITY_ORDER
from access_review.graph import describe_path

from access_review.private_files import atomic_file, atomic_folder, write_private_file
from .cells import json_value, spreadsheet_value
from .feature_views import CampaignData, SuspensionData
from .sheet import Column, Sheet, sheet_csv_bytes, sheets_json, write_worksheet

if TYPE_CHECKING:
    from access_review.analysis import Analysis

SUMMARY = "Summary"
FINDINGS = "Findings"
ACCESS = "Access to confidential data"
CAMPAIGN = "Campaign decisions"
SUSPENSIONS = "Suspensions"
INVENTORY = "Data inventory"
TRAINING = "Training"
APPS = "Apps"
SHEET_ORDER = (SUMMARY, FINDINGS, ACCESS, CAMPAIGN, SUSPENSIONS, INVENTORY, TRAINING, APPS)

NO_CAMPAIGN = "no campaign yet"
NO_SUSPENSIONS = "no suspensions"


@dataclass(frozen=True)
class SuperintendentReport:
    figures: dict[str, Any]           # JSON-ready key figures shown on the Summary sheet
    sheets: tuple[Sheet, ...]         # every sheet after the Summary, in SHEET_ORDER
    summary: Sheet                    # the Summary as a plain (section, item, value) table

    def sheet(self, name: str) -> Sheet:
        return next(s for s in (self.summary, *self.sheets) if s.name == name)


# ---------------------------------------------------------------- helpers over the analysis

def _person_label(a: "Analysis", key: str | None) -> tuple[str, str]:
    person = a.persons.get(key) if key else None
    return (person.name, person.employee_id) if person else ("", "")


def _account_cells(a: "Analysis", key: str | None) -> tuple[str, str]:
    account = a.accounts.get(key) if key else None
    if account is None:
        return (key or "", "")
    return account.login, account.source


def _training_state(a: "Analysis", last: date | None) -> tuple[int | None, bool]:
    if last is None:
        return None, False
    age = (a.today - last).days
    return age, age <= a.config.policy.training_days


def _people_reaching(a: "Analysis", confidential: bool) -> dict[str, set[str]]:
    """person key -> inventory resources (confidential or critical ones) the person reaches."""
    out: dict[str, set[str]] = {}
    for x in a.access:
        res = a.inventory_by_name[x.resource]
        if x.person and (res.confidential if confidential else res.critical):
            out.setdefault(x.person, set()).add(x.resource)
    return out


def _apps(a: "Analysis") -> list[dict[str, Any]]:
    """Every app holding access in a directory, with its approval, plus register rows never seen."""
    rows: list[dict[str, Any]] = []
    seen_register_rows: set[int] = set()
    for name in sorted(a.snapshots):
        snap = a.snapshots[name]
        holders: dict[str, set[str]] = {}
        scopes: dict[str, set[str]] = {}
        for g in snap.grants:
            holders.setdefault(g.resource_key, set()).add(g.principal_key)
            scopes.setdefault(g.resource_key, set()).update(g.scopes)
        for r in sorted(snap.resources, key=lambda r: r.name.lower()):
            if r.kind not in ("oauth_app", "app") or r.key not in holders:
                continue
            client_id = str(r.extra.get("client_id") or r.extra.get("appId") or "")
            approval = a.find_approval(r.name, client_id)
            held = sorted(scopes.get(r.key, ()))
            if approval is None:
                status = "not in the approval register"
            elif not approval.approved:
                status = "not approved"
            elif approval.approved_scopes and set(held) - set(approval.approved_scopes):
                status = "holds scopes beyond those approved"
            else:
                status = "approved"
            if approval is not None:
                seen_register_rows.add(id(approval))
            rows.append({"app": r.name, "source": name, "kind": r.kind.replace("_", " "),
                         "client_id": client_id, "holders": len(holders[r.key]), "scopes": held,
                         "in_register": approval is not None,
                         "approved": bool(approval and approval.approved),
                         "approved_on": approval.approved_on if approval else None,
                         "approved_scopes": sorted(approval.approved_scopes) if approval else [],
                         "status": status})
    for approval in a.inventory.apps:
        if id(approval) not in seen_register_rows:
            rows.append({"app": approval.app, "source": "", "kind": "", "client_id": approval.client_id,
                         "holders": 0, "scopes": [], "in_register": True, "approved": approval.approved,
                         "approved_on": approval.approved_on,
                         "approved_scopes": sorted(approval.approved_scopes),
                         "status": "in the register, holding no access"})
    return rows


# ---------------------------------------------------------------- the sheets

def build_findings_sheet(a: "Analysis") -> Sheet:
    rows = []
    for f in a.findings:
        person, employee_id = _person_label(a, f.person)
        login, source = _account_cells(a, f.account)
        rows.append((f.severity, f.type, f.title, f.summary, person, employee_id, login, source,
                     f.resource or "", describe_path(a.graph, f.path) if f.path else ""))
    return Sheet(FINDINGS, (
        Column("Severity", width=10), Column("Type", width=20), Column("Finding", width=40),
        Column("Summary", width=70), Column("Person", width=24), Column("Employee ID", width=12),
        Column("Account", width=28), Column("Source", width=9), Column("Resource", width=30),
        Column("Path", width=80)), tuple(rows), empty_note="no findings")


def build_access_sheet(a: "Analysis") -> Sheet:
    rows = []
    ordered = sorted(a.access, key=lambda x: (x.resource.lower(), _person_label(a, x.person)[0].lower(), x.account))
    for x in ordered:
        res = a.inventory_by_name[x.resource]
        person = a.persons.get(x.person) if x.person else None
        ok, reason = a.is_authorized(res, person) if person else (False, "no roster person")
        account = a.accounts[x.account]
        rows.append((person.name if person else "", person.employee_id if person else "",
                     person.status if person else "", account.login, account.source, account.enabled,
                     x.resource, res.classification, x.level, ok, reason, describe_path(a.graph, x.path)))
    return Sheet(ACCESS, (
        Column("Person", width=24), Column("Employee ID", width=12), Column("Person status", width=12),
        Column("Account", width=28), Column("Source", width=9), Column("Account enabled", width=10),
        Column("Resource", width=30), Column("Classification", width=14), Column("Level", width=8),
        Column("Authorized", width=11), Column("Reason", width=40), Column("Path", width=90)),
        tuple(rows), empty_note="no one reaches any inventory resource")


def build_campaign_sheet(campaigns: CampaignData) -> Sheet:
    columns = (
        Column("Campaign", width=16), Column("Item", width=10), Column("Person", width=24),
        Column("Employee ID", width=12), Column("Account", width=28), Column("Resource", width=30),
        Column("Classification", width=14), Column("Flags", width=24), Column("Recommendation", width=14),
        Column("Reviewer", width=24), Column("Decision", width=10), Column("Decided by", width=20),
        Column("Default applied", width=10), Column("Justification", width=40),
        Column("Decided (UTC)", "datetime", 17), Column("Action", width=30), Column("Action result", width=12),
        Column("Verification", width=14), Column("Path", width=80))
    c = campaigns.current
    if c is None:
        return Sheet(CAMPAIGN, columns, (), empty_note=campaigns.note or NO_CAMPAIGN)
    rows = tuple((c.name, i.item_id, i.person, i.employee_id, i.account, i.resource, i.classification,
                  list(i.flags), i.recommendation, i.reviewer, i.decision or "undecided", i.decided_by,
                  i.decision_source == "default", i.justification, i.decided_at, i.action,
                  i.action_result, i.verification, i.path) for i in c.items)
    return Sheet(CAMPAIGN, columns, rows, empty_note=f"campaign {c.name} has no items")


def build_suspensions_sheet(suspensions: SuspensionData) -> Sheet:
    columns = (Column("Case", width=14), Column("Person", width=24), Column("Employee ID", width=12),
               Column("State", width=12),
               Column("Reason", width=40), Column("Suspended (UTC)", "datetime", 17),
               Column("Suspended by", width=16), Column("Restored (UTC)", "datetime", 17),
               Column("Accounts", width=60))
    rows = tuple((s.id, s.person, s.employee_id, s.state, s.reason, s.suspended_at, s.suspended_by,
                  s.restored_at, list(s.accounts)) for s in suspensions.suspensions)
    return Sheet(SUSPENSIONS, columns, rows, empty_note=suspensions.note or NO_SUSPENSIONS)


def build_inventory_sheet(a: "Analysis") -> Sheet:
    accounts: Counter[str] = Counter()
    people: dict[str, set[str]] = {}
    for x in a.access:
        accounts[x.resource] += 1
        if x.person:
            people.setdefault(x.resource, set()).add(x.person)
    unauthorized = Counter(f.resource for f in a.findings if f.type == "unauthorized")
    rows = []
    for r in a.inventory.resources:
        manager = a.persons.get(f"person:{r.data_manager}") if r.data_manager else None
        rows.append((r.name, r.classification, manager.name if manager else "", r.data_manager,
                     manager.title if manager else "", manager.status if manager else "",
                     r.review_frequency, [str(s) for s in r.selectors], [str(x) for x in r.rules],
                     [f"{e.employee_id} approved by {e.approver} until {e.until}" for e in r.exceptions],
                     accounts[r.name], len(people.get(r.name, ())), unauthorized[r.name], r.description))
    return Sheet(INVENTORY, (
        Column("Resource", width=30), Column("Classification", width=14), Column("Data manager", width=24),
        Column("Data manager ID", width=12), Column("Data manager title", width=24),
        Column("Data manager status", width=12), Column("Review", width=11), Column("Entitlements", width=50),
        Column("Authorized", width=50), Column("Exceptions", width=40), Column("Accounts with access", "number", 10),
        Column("People with access", "number", 10), Column("Unauthorized accounts", "number", 12),
        Column("Description", width=40)), tuple(rows), empty_note="the inventory is empty")


def build_training_sheet(a: "Analysis") -> Sheet:
    rows = []
    reach = _people_reaching(a, confidential=True)
    for key in sorted(reach, key=lambda k: (a.persons[k].name.lower(), k)):
        p = a.persons[key]
        if p.status != "active":
            continue  # separated and on-leave people are reported as findings, not as training gaps
        age, ok = _training_state(a, p.training_date)
        rows.append((p.name, p.employee_id, p.title, p.building, p.training_date, age, ok,
                     sorted(reach[key])))
    return Sheet(TRAINING, (
        Column("Person", width=24), Column("Employee ID", width=12), Column("Title", width=24),
        Column("Building", width=22), Column("Last training", "date", 12), Column("Days since", "number", 10),
        Column(f"Trained within {a.config.policy.training_days} days", width=12),
        Column("Confidential resources reached", width=60)),
        tuple(rows), empty_note="no active person reaches confidential data")


def build_apps_sheet(a: "Analysis") -> Sheet:
    rows = tuple((r["app"], r["source"], r["kind"], r["client_id"], r["holders"], r["scopes"],
                  r["in_register"], r["approved"], r["approved_on"], r["approved_scopes"], r["status"])
                 for r in _apps(a))
    return Sheet(APPS, (
        Column("App", width=30), Column("Source", width=9), Column("Kind", width=10), Column("Client ID", width=30),
        Column("Principals holding it", "number", 10), Column("Scopes held", width=50),
        Column("In register", width=10), Column("Approved", width=10), Column("Approved on", "date", 12),
        Column("Approved scopes", width=40), Column("Status", width=30)), rows,
        empty_note="no app holds access and the register is empty")


# ---------------------------------------------------------------- the key figures

def build_figures(a: "Analysis", campaigns: CampaignData, suspensions: SuspensionData) -> dict[str, Any]:
    confidential = _people_reaching(a, confidential=True)
    critical = _people_reaching(a, confidential=False)
    trained = [_training_state(a, a.persons[k].training_date) for k in confidential
               if a.persons[k].status == "active"]
    by_severity = Counter(f.severity for f in a.findings)
    by_type = Counter(f.type for f in a.findings)
    apps = _apps(a)
    sources = []
    for name in sorted(a.snapshots):
        snap = a.snapshots[name]
        sources.append({"source": name, "snapshot": json_value(snap.finished_at),
                        "accounts": len(snap.accounts)})
    figures: dict[str, Any] = {
        "as_of": a.today.isoformat(),
        "sources": sources,
        "people_with_confidential_access": len(confidential),
        "people_with_critical_access": len(critical),
        "accounts_without_roster_person_with_access": len({x.account for x in a.access if x.person is None}),
        "findings_total": len(a.findings),
        "findings_by_severity": {s: by_severity[s] for s in SEVERITY_ORDER if by_severity[s]},
        "findings_by_type": {t: by_type[t] for t in FINDING_TYPES if by_type[t]},
        "training": {
            "people": len(trained),
            "compliant": sum(1 for _, ok in trained if ok),
            "overdue": sum(1 for age, ok in trained if age is not None and not ok),
            "never_trained": sum(1 for age, _ in trained if age is None),
            "threshold_days": a.config.policy.training_days,
        },
        "unapproved_apps": sorted({r["app"] for r in apps if r["holders"] and not r["approved"]}),
        "apps_beyond_approved_scopes": sorted({r["app"] for r in apps
                                               if r["status"] == "holds scopes beyond those approved"}),
        "campaign": None,
        "open_suspensions": len(suspensions.open) if suspensions.available else None,
    }
    c = campaigns.current
    if c is not None:
        figures["campaign"] = {
            "name": c.name, "state": c.state, "due": json_value(c.due), "items": len(c.items),
            "decided": sum(1 for i in c.items if i.decision),
            "by_reviewer": [{"reviewer": r, "items": n, "decided": d, "overdue": late}
                            for r, n, d, late in c.completion_by_reviewer(a.today)],
        }
    return figures


def build_summary_sheet(figures: dict[str, Any], campaigns: CampaignData, suspensions: SuspensionData) -> Sheet:
    """The Summary as rows (section, item, value) — the CSV/JSON form of the Summary sheet."""
    rows: list[tuple[Any, ...]] = [("Report", "As of", date.fromisoformat(figures["as_of"]))]
    for s in figures["sources"]:
        rows.append(("Sources synced", f"{s['source']} snapshot (UTC)",
                     datetime.fromisoformat(s["snapshot"].rstrip("Z")) if s["snapshot"] else "never"))
    rows += [("Access", "People with access to confidential data", figures["people_with_confidential_access"]),
             ("Access", "People with access to critical data", figures["people_with_critical_access"]),
             ("Access", "Accounts with access and no roster person",
              figures["accounts_without_roster_person_with_access"])]
    rows += [("Open findings by severity", s, n) for s, n in figures["findings_by_severity"].items()]
    rows += [("Open findings by type", FINDING_TYPES[t], n) for t, n in figures["findings_by_type"].items()]
    c = figures["campaign"]
    if c is None:
        rows.append(("Current campaign", "Campaign", campaigns.note or NO_CAMPAIGN))
    else:
        rows.append(("Current campaign", c["name"], f"{c['state']}, due {c['due']}; {c['decided']} of {c['items']} decided"))
        for r in c["by_reviewer"]:
            rows.append(("Campaign completion", r["reviewer"],
                         f"{r['decided']} of {r['items']}" + (" — OVERDUE" if r["overdue"] else "")))
    if figures["open_suspensions"] is None:
        rows.append(("Suspensions", "Open suspensions", suspensions.note or NO_SUSPENSIONS))
    else:
        rows.append(("Suspensions", "Open suspensions", figures["open_suspensions"]))
    t = figures["training"]
    rows += [("Training", "Active people with access to confidential data", t["people"]),
             ("Training", f"Trained within {t['threshold_days']} days", t["compliant"]),
             ("Training", "Training overdue", t["overdue"]),
             ("Training", "Never trained", t["never_trained"])]
    rows += [("Unapproved apps", app, "holding access without approval") for app in figures["unapproved_apps"]]
    rows += [("Unapproved apps", app, "holding scopes beyond those approved")
             for app in figures["apps_beyond_approved_scopes"]]
    if not figures["unapproved_apps"] and not figures["apps_beyond_approved_scopes"]:
        rows.append(("Unapproved apps", "none", ""))
    return Sheet(SUMMARY, (Column("Section", width=28), Column("Item", width=50), Column("Value", width=30)),
                 tuple(rows))


def build_superintendent_report(a: "Analysis", campaigns: CampaignData,
                                suspensions: SuspensionData) -> SuperintendentReport:
    figures = build_figures(a, campaigns, suspensions)
    sheets = (build_findings_sheet(a), build_access_sheet(a), build_campaign_sheet(campaigns),
              build_suspensions_sheet(suspensions), build_inventory_sheet(a), build_training_sheet(a),
              build_apps_sheet(a))
    return SuperintendentReport(figures, sheets, build_summary_sheet(figures, campaigns, suspensions))


# ---------------------------------------------------------------- the workbook

TITLE_FONT = Font(bold=True, size=16)
SECTION_FONT = Font(bold=True, size=12, color="1F4E78")
ALERT_FONT = Font(bold=True, color="C00000")


def _write_summary(ws: Worksheet, report: SuperintendentReport) -> None:
    """Label/value blocks down column A-B, charts to the right; no gridlines."""
    ws.sheet_view.showGridLines = False
    ws.column_dimensions["A"].width = 70
    ws.column_dimensions["B"].width = 22
    ws.column_dimensions["C"].width = 14
    ws["A1"] = "Access review — report to the superintendent"
    ws["A1"].font = TITLE_FONT
    section = None
    row = 2
    chart_data: dict[str, tuple[int, int]] = {}   # block -> (first row, last row) of its values
    for sec, item, value in report.summary.rows:
        if sec != section:
            row += 1
            ws.cell(row=row, column=1, value=sec).font = SECTION_FONT
            section = sec
            row += 1
        label = ws.cell(row=row, column=1, value=spreadsheet_value(item))
        cell = ws.cell(row=row, column=2, value=spreadsheet_value(value))
        for written in (label, cell):
            written.quotePrefix = isinstance(written.value, str) and written.value.startswith("'")
        cell.alignment = Alignment(horizontal="left")
        if isinstance(value, datetime):
            cell.number_format = "yyyy-mm-dd hh:mm"
        elif isinstance(value, date):
            cell.number_format = "yyyy-mm-dd"
        if isinstance(value, str) and "OVERDUE" in value:
            cell.font = ALERT_FONT
        first, _ = chart_data.get(sec, (row, row))
        chart_data[sec] = (first, row)
        row += 1
    if "Open findings by type" in chart_data:
        first, last = chart_data["Open findings by type"]
        chart = BarChart()
        chart.type = "bar"
        chart.title = "Open findings by type"
        chart.legend = None
        chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=last), titles_from_data=False)
        chart.set_categories(Reference(ws, min_col=1, min_row=first, max_row=last))
        chart.height, chart.width = 9, 18
        ws.add_chart(chart, "E3")
    campaign = report.figures["campaign"]
    if campaign and campaign["by_reviewer"]:
        # A chart needs numbers: a hidden-by-position helper table of decided/open per reviewer.
        start = row + 2
        ws.cell(row=start, column=1, value="Completion by data manager").font = SECTION_FONT
        ws.cell(row=start + 1, column=1, value="Data manager")
        ws.cell(row=start + 1, column=2, value="Decided")
        ws.cell(row=start + 1, column=3, value="Open")
        for offset, r in enumerate(campaign["by_reviewer"], start=2):
            name = ws.cell(row=start + offset, column=1, value=spreadsheet_value(r["reviewer"]))
            name.quotePrefix = name.value.startswith("'")
            ws.cell(row=start + offset, column=2, value=r["decided"])
            ws.cell(row=start + offset, column=3, value=r["items"] - r["decided"])
        last = start + 1 + len(campaign["by_reviewer"])
        chart = BarChart()
        chart.type = "bar"
        chart.grouping = "stacked"
        chart.overlap = 100
        chart.title = "Campaign completion by data manager"
        chart.add_data(Reference(ws, min_col=2, max_col=3, min_row=start + 1, max_row=last), titles_from_data=True)
        chart.set_categories(Reference(ws, min_col=1, min_row=start + 2, max_row=last))
        chart.height, chart.width = 9, 18
        ws.add_chart(chart, "E23")


def build_workbook(report: SuperintendentReport) -> Workbook:
    wb = Workbook()
    summary = wb.active
    summary.title = SUMMARY
    _write_summary(summary, report)
    for sheet in report.sheets:
        write_worksheet(wb.create_sheet(sheet.name), sheet)
    return wb


def write_workbook(report: SuperintendentReport, path: str | Path) -> Path:
    wb = build_workbook(report)
    with atomic_file(path) as fh:
        wb.save(fh)
    return Path(path)


def write_csv_folder(report: SuperintendentReport, folder: str | Path) -> list[Path]:
    """One CSV per sheet (Summary first), in a folder that appears complete or not at all."""
    written = []
    with atomic_folder(folder) as tmp:
        for index, sheet in enumerate((report.summary, *report.sheets), start=1):
            name = f"{index:02d}-{sheet.file_stem}.csv"
            write_private_file(tmp, name, sheet_csv_bytes(sheet))
            written.append(Path(folder) / name)
    return written


def report_document(report: SuperintendentReport) -> dict[str, Any]:
    return {"figures": report.figures, "sheets": sheets_json((report.summary, *report.sheets))}


def write_json(report: SuperintendentReport, path: str | Path) -> Path:
    data = json.dumps(report_document(report), indent=2, ensure_ascii=False, default=str).encode("utf-8")
    with atomic_file(path) as fh:
        fh.write(data + b"\n")
    return Path(path)
