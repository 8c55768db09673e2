"""The superintendent's report: a first page a superintendent can hand to the board (the
policy scorecard, a few sentences, what needs a decision), the trend over the quarters the
store holds, the review's results by data manager, then the detail.

``build_superintendent_report`` is pure (an Analysis and what was read of the campaigns,
suspensions, audit record, hold view and quarter history in; a ``SuperintendentReport``
out); ``read_report_inputs`` does the reading. The layouts live apart: the workbook
(``superintendent_xlsx``), the board brief (``board_brief``), and here the CSV/JSON forms.
The key figures (``report.figures``) are plain JSON so that a golden file can pin them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from access_review.config import Scorecard as Thresholds
from access_review.findings import FINDING_TYPES, SEVERITY_ORDER
from access_review.private_files import atomic_file, atomic_folder, write_private_file
from access_review.store import Store

from .access_facts import (
    active_people_to_train,
    app_rows,
    apps_beyond_scopes,
    people_reaching,
    training_state,
    unapproved_app_holders,
)
from .cells import json_value
from .feature_views import (
    AuditAnchor,
    CampaignData,
    CampaignItemView,
    HoldView,
    SuspensionData,
    read_audit_anchor,
    read_current_campaign,
    read_hold_view,
    read_suspensions,
)
from .friendly import FriendlyNames, selector_label, source_label
from .history import QuarterFigures, read_history
from .remediation_results import build_remediation_results, total_results
from .scorecard import (
    EXTRA_FIGURES,
    MEASURES,
    Unit,
    Scorecard,
    ScorecardInputs,
    build_scorecard,
    campaign_counts,
    shown_value,
)
from .sheet import Column, Sheet, sheet_csv_bytes, sheets_json
from .story import Decision, build_decisions, build_sentences

if TYPE_CHECKING:
    from access_review.analysis import Analysis

SUMMARY = "Summary"
TREND = "Trend"
REMEDIATION = "Remediation"
FINDINGS = "Findings"
ACCESS = "Access to confidential data"
CAMPAIGN = "Campaign decisions"
SUSPENSIONS = "Suspensions"
INVENTORY = "Data inventory"
TRAINING = "Training"
APPS = "Apps"
SHEET_ORDER = (
    SUMMARY,
    TREND,
    REMEDIATION,
    FINDINGS,
    ACCESS,
    CAMPAIGN,
    SUSPENSIONS,
    INVENTORY,
    TRAINING,
    APPS,
)
DETAIL_SHEETS = SHEET_ORDER[3:]

NO_CAMPAIGN = "no campaign yet"
NO_SUSPENSIONS = "no suspensions"
TITLE = "Data governance report to the superintendent"

FLAG_WORDS = {
    "separated": "left the district",
    "leave": "on leave",
    "unauthorized": "not authorized",
    "dormant": "dormant account",
    "unapproved_app": "unapproved app",
    "untrained": "training overdue",
}
RESULT_WORDS = {
    "changed": "removed",
    "unchanged": "already gone",
    "refused": "refused",
    "failed": "failed",
}


@dataclass(frozen=True)
class ReportInputs:
    campaigns: CampaignData
    suspensions: SuspensionData
    anchor: AuditAnchor
    hold_view: HoldView
    history: tuple[QuarterFigures, ...]


@dataclass(frozen=True)
class SuperintendentReport:
    figures: dict[str, Any]  # JSON-ready key figures (the golden file pins them)
    scorecard: Scorecard
    sentences: tuple[str, ...]
    decisions: tuple[Decision, ...]
    more_decisions: int  # decisions left off the first page
    trend: tuple[QuarterFigures, ...]  # the quarters recorded before this one, then this one
    anchor: AuditAnchor
    thresholds: Thresholds  # the config's [scorecard]: what each status means
    summary: Sheet  # the first page as a plain table (CSV / JSON form)
    sheets: tuple[Sheet, ...]  # every sheet after the Summary, in SHEET_ORDER

    def sheet(self, name: str) -> Sheet:
        return next(s for s in (self.summary, *self.sheets) if s.name == name)


def read_report_inputs(store: Store, a: "Analysis") -> ReportInputs:
    """Everything the report reads besides the analysis, each through its owner's read API."""
    return ReportInputs(
        campaigns=read_current_campaign(store),
        suspensions=read_suspensions(store, a.persons),
        anchor=read_audit_anchor(store),
        hold_view=read_hold_view(a.snapshots),
        history=tuple(read_history(store)),
    )


# ---------------------------------------------------------------- the trend and the results


def _trend_quarters(
    sc: Scorecard, history: tuple[QuarterFigures, ...]
) -> tuple[QuarterFigures, ...]:
    earlier = tuple(q for q in history if q.quarter < sc.quarter)
    return (
        *earlier,
        QuarterFigures(quarter=sc.quarter, as_of=sc.as_of, origin="report", figures=sc.figures()),
    )


def trend_rows() -> list[tuple[str, str, Unit]]:
    """(figure key, label, unit) of every figure the trend shows, headline figures first."""
    rows = [(m.key, m.label, m.unit) for m in MEASURES]
    rows += [(key, label, unit) for key, (label, unit) in EXTRA_FIGURES.items()]
    return rows


def build_trend_sheet(trend: tuple[QuarterFigures, ...]) -> Sheet:
    columns = (
        Column("Measure", width=46),
        *(Column(q.quarter + (" (demo)" if q.origin == "demo" else ""), width=12) for q in trend),
    )
    rows = tuple(
        (label, *(shown_value(unit, q.figures.get(key), key) for q in trend))
        for key, label, unit in trend_rows()
    )
    return Sheet(TREND, columns, rows)


def build_remediation_sheet(campaigns: CampaignData) -> Sheet:
    columns = (
        Column("Data manager", width=28),
        Column("Review items", "number", 10),
        Column("Answered", "number", 10),
        Column("Closed by the default", "number", 12),
        Column("Unanswered", "number", 11),
        Column("Revoked", "number", 10),
        Column("Removal applied", "number", 10),
        Column("Confirmed gone by a complete sync", "number", 14),
        Column("Still pending", "number", 10),
    )
    c = campaigns.current
    if c is None:
        return Sheet(REMEDIATION, columns, (), empty_note=campaigns.note or NO_CAMPAIGN)
    rows = [
        (
            r.reviewer,
            r.items,
            r.answered,
            r.defaulted,
            r.unanswered,
            r.revoked,
            r.applied,
            r.confirmed_gone,
            r.pending,
        )
        for r in (*build_remediation_results(c), total_results(c))
    ]
    return Sheet(REMEDIATION, columns, tuple(rows), empty_note=f"campaign {c.name} has no items")


# ---------------------------------------------------------------- the detail sheets


def build_findings_sheet(a: "Analysis", names: FriendlyNames) -> Sheet:
    rows = []
    for f in a.findings:
        rows.append(
            (
                f.severity,
                f.title,
                names.text(f.summary),
                names.person(f.person),
                names.building(f.person),
                names.account(f.account),
                names.directory(f.account),
                f.resource or "",
                names.path(f.path) if f.path else "",
            )
        )
    return Sheet(
        FINDINGS,
        (
            Column("Severity", width=9),
            Column("Finding", width=28),
            Column("What was found", width=60),
            Column("Person", width=20),
            Column("Building", width=18),
            Column("Account", width=24),
            Column("Directory", width=9),
            Column("Resource", width=22),
            Column("How they reach it", width=50),
        ),
        tuple(rows),
        empty_note="no findings",
    )


def build_access_sheet(a: "Analysis", names: FriendlyNames) -> Sheet:
    rows = []
    ordered = sorted(
        a.access, key=lambda x: (x.resource.lower(), names.person(x.person).lower(), x.account)
    )
    for x in ordered:
        res = a.inventory_by_name[x.resource]
        person = a.persons.get(x.person) if x.person else None
        ok, reason = a.is_authorized(res, person) if person else (False, "no roster person")
        account = a.accounts[x.account]
        rows.append(
            (
                person.name if person else "",
                person.building if person else "",
                person.status if person else "",
                account.login,
                source_label(account.source),
                account.enabled,
                x.resource,
                res.classification,
                x.level,
                ok,
                names.text(reason),
                names.path(x.path),
            )
        )
    return Sheet(
        ACCESS,
        (
            Column("Person", width=20),
            Column("Building", width=18),
            Column("Person status", width=10),
            Column("Account", width=24),
            Column("Directory", width=9),
            Column("Account enabled", width=9),
            Column("Resource", width=22),
            Column("Classification", width=13),
            Column("Level", width=7),
            Column("Authorized", width=10),
            Column("Why", width=30),
            Column("How they reach it", width=50),
        ),
        tuple(rows),
        empty_note="no one reaches any inventory resource",
    )


def _removal(i: CampaignItemView) -> str:
    results = [r.strip() for r in i.action_result.split(";") if r.strip()]
    if not results:
        return "" if i.decision != "revoke" else "not yet applied"
    words = "; ".join(dict.fromkeys(RESULT_WORDS.get(r, r) for r in results))
    return words + (f" ({i.action_message})" if i.action_message else "")


def build_campaign_sheet(campaigns: CampaignData, names: FriendlyNames) -> Sheet:
    columns = (
        Column("Person", width=20),
        Column("Building", width=16),
        Column("Account", width=24),
        Column("Resource", width=22),
        Column("Flags", width=18),
        Column("Recommendation", width=24),
        Column("Reviewer", width=20),
        Column("Decision", width=9),
        Column("How decided", width=12),
        Column("Justification", width=24),
        Column("Decided (UTC)", "datetime", 16),
        Column("Removal", width=16),
        Column("Verification", width=24),
        Column("How they reach it", width=44),
    )
    c = campaigns.current
    if c is None:
        return Sheet(CAMPAIGN, columns, (), empty_note=campaigns.note or NO_CAMPAIGN)
    rows = []
    for i in c.items:
        person_key = f"person:{i.employee_id}" if i.employee_id else None
        how = (
            {"default": "default decision", "": "no answer"}.get(
                i.decision_source, "by the reviewer"
            )
            if i.decision
            else "no answer"
        )
        rows.append(
            (
                i.person,
                names.building(person_key),
                names.text(i.account),
                i.resource,
                [FLAG_WORDS.get(f, f.replace("_", " ")) for f in i.flags],
                names.text(i.recommendation),
                i.reviewer,
                i.decision or "undecided",
                how,
                i.justification,
                i.decided_at,
                names.text(_removal(i)),
                names.text(i.verification),
                names.text(i.path),
            )
        )
    return Sheet(CAMPAIGN, columns, tuple(rows), empty_note=f"campaign {c.name} has no items")


def build_suspensions_sheet(suspensions: SuspensionData) -> Sheet:
    columns = (
        Column("Case", width=14),
        Column("Person", width=22),
        Column("Employee ID", width=11),
        Column("State", width=12),
        Column("Reason", width=34),
        Column("Suspended (UTC)", "datetime", 16),
        Column("Suspended by", width=14),
        Column("Restored (UTC)", "datetime", 16),
        Column("Accounts", width=44),
    )
    rows = tuple(
        (
            s.id,
            s.person,
            s.employee_id,
            s.state,
            s.reason,
            s.suspended_at,
            s.suspended_by,
            s.restored_at,
            list(s.accounts),
        )
        for s in suspensions.suspensions
    )
    return Sheet(SUSPENSIONS, columns, rows, empty_note=suspensions.note or NO_SUSPENSIONS)


def build_inventory_sheet(a: "Analysis") -> Sheet:
    accounts: Counter[str] = Counter()
    people: dict[str, set[str]] = {}
    for x in a.access:
        accounts[x.resource] += 1
        if x.person:
            people.setdefault(x.resource, set()).add(x.person)
    unauthorized = Counter(f.resource for f in a.findings if f.type == "unauthorized")

    def person_name(employee_id: str) -> str:
        p = a.persons.get(f"person:{employee_id}")
        return p.name if p else f"employee {employee_id} (not in the roster)"

    rows = []
    for r in a.inventory.resources:
        manager = a.persons.get(f"person:{r.data_manager}") if r.data_manager else None
        manager_name = (
            manager.name
            if manager
            else (person_name(r.data_manager) if r.data_manager else "none named")
        )
        rows.append(
            (
                r.name,
                r.classification,
                manager_name,
                manager.title if manager else "",
                manager.status if manager else "",
                r.review_frequency,
                [selector_label(s) for s in r.selectors],
                [str(x) for x in r.rules],
                [
                    f"{person_name(e.employee_id)}, approved by {person_name(e.approver)} until {e.until}"
                    for e in r.exceptions
                ],
                accounts[r.name],
                len(people.get(r.name, ())),
                unauthorized[r.name],
                r.description,
            )
        )
    return Sheet(
        INVENTORY,
        (
            Column("Resource", width=22),
            Column("Classification", width=12),
            Column("Data manager", width=20),
            Column("Data manager's title", width=20),
            Column("Data manager's status", width=10),
            Column("Review", width=10),
            Column("Entitlements", width=36),
            Column("Authorized", width=36),
            Column("Exceptions", width=26),
            Column("Accounts with access", "number", 9),
            Column("People with access", "number", 9),
            Column("Unauthorized accounts", "number", 11),
            Column("Description", width=26),
        ),
        tuple(rows),
        empty_note="the inventory is empty",
    )


def build_training_sheet(a: "Analysis") -> Sheet:
    rows = []
    reach = people_reaching(a, confidential=True)
    for key in sorted(reach, key=lambda k: (a.persons[k].name.lower(), k)):
        p = a.persons[key]
        if p.status != "active":
            continue  # separated and on-leave people are reported as findings, not as training gaps
        age, ok = training_state(a, p.training_date)
        rows.append(
            (
                p.name,
                p.employee_id,
                p.title,
                p.building,
                p.training_date,
                age,
                ok,
                sorted(reach[key]),
            )
        )
    return Sheet(
        TRAINING,
        (
            Column("Person", width=22),
            Column("Employee ID", width=11),
            Column("Title", width=24),
            Column("Building", width=20),
            Column("Last training", "date", 11),
            Column("Days since", "number", 9),
            Column(f"Trained within {a.config.policy.training_days} days", width=11),
            Column("Confidential resources reached", width=50),
        ),
        tuple(rows),
        empty_note="no active person reaches confidential data",
    )


def build_apps_sheet(a: "Analysis") -> Sheet:
    rows = tuple(
        (
            r["app"],
            source_label(r["source"]) if r["source"] else "",
            r["kind"],
            r["client_id"],
            r["holders"],
            r["scopes"],
            r["in_register"],
            r["approved"],
            r["approved_on"],
            r["approved_scopes"],
            r["status"],
        )
        for r in app_rows(a)
    )
    return Sheet(
        APPS,
        (
            Column("App", width=22),
            Column("Directory", width=9),
            Column("Kind", width=9),
            Column("Client ID", width=24),
            Column("Accounts holding it", "number", 9),
            Column("Scopes held", width=44),
            Column("In register", width=9),
            Column("Approved", width=9),
            Column("Approved on", "date", 11),
            Column("Approved scopes", width=36),
            Column("Status", width=22),
        ),
        rows,
        empty_note="no app holds access and the register is empty",
    )


# ---------------------------------------------------------------- the key figures


def build_figures(
    a: "Analysis",
    inputs: ReportInputs,
    sc: Scorecard,
    sentences: list[str],
    decisions: list[Decision],
    more: int,
) -> dict[str, Any]:
    confidential = people_reaching(a, confidential=True)
    critical = people_reaching(a, confidential=False)
    trained = list(active_people_to_train(a).values())
    by_severity = Counter(f.severity for f in a.findings)
    by_type = Counter(f.type for f in a.findings)
    sources = [
        {
            "source": name,
            "snapshot": json_value(a.snapshots[name].finished_at),
            "accounts": len(a.snapshots[name].accounts),
        }
        for name in sorted(a.snapshots)
    ]
    figures: dict[str, Any] = {
        "as_of": a.today.isoformat(),
        "quarter": sc.quarter,
        "last_quarter": sc.last_quarter,
        "sources": sources,
        "scorecard": [
            {
                "measure": r.measure.key,
                "clause": r.measure.clause,
                "status": r.status,
                "status_word": r.status_word,
                "value": r.value,
                "shown": r.shown,
                "detail": r.detail,
                "last_value": r.last_value,
                "last_status": r.last_status,
            }
            for r in sc.rows
        ],
        "sentences": list(sentences),
        "decisions": [{"topic": d.topic, "text": d.text} for d in decisions],
        "more_decisions": more,
        "people_with_confidential_access": len(confidential),
        "people_with_critical_access": len(critical),
        "accounts_without_roster_person_with_access": len(
            {x.account for x in a.access if x.person is None}
        ),
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
        "unapproved_apps": sorted(unapproved_app_holders(a)),
        "apps_beyond_approved_scopes": apps_beyond_scopes(a),
        "campaign": None,
        "open_suspensions": len(inputs.suspensions.open) if inputs.suspensions.available else None,
        "audit": {
            "verified": inputs.anchor.verified,
            "entries": inputs.anchor.entries,
            "head_hash": inputs.anchor.head_hash,
        },
    }
    c = inputs.campaigns.current
    if c is not None:
        n, answered, defaulted, unanswered = campaign_counts(c)
        overdue = {r: late for r, _, _, late in c.completion_by_reviewer(a.today)}
        figures["campaign"] = {
            "name": c.name,
            "state": c.state,
            "status": c.state_text,
            "due": json_value(c.due),
            "items": n,
            "answered": answered,
            "defaulted": defaulted,
            "unanswered": unanswered,
            "by_reviewer": [
                {
                    "reviewer": r.reviewer,
                    "items": r.items,
                    "answered": r.answered,
                    "defaulted": r.defaulted,
                    "unanswered": r.unanswered,
                    "revoked": r.revoked,
                    "applied": r.applied,
                    "confirmed_gone": r.confirmed_gone,
                    "pending": r.pending,
                    "overdue": overdue.get(r.reviewer, False),
                }
                for r in build_remediation_results(c)
            ],
        }
    return figures


def build_summary_sheet(
    report_date: date,
    sc: Scorecard,
    sentences: list[str],
    decisions: list[Decision],
    more: int,
    figures: dict[str, Any],
    anchor: AuditAnchor,
) -> Sheet:
    """The first page as rows (section, item, status, this quarter, last quarter, detail) — the
    CSV/JSON form of the Summary sheet."""
    last = sc.last_quarter or "none recorded"
    rows: list[tuple[Any, ...]] = [
        ("Report", "As of", "", report_date, "", f"quarter {sc.quarter}; compared with {last}")
    ]
    for r in sc.rows:
        rows.append(
            (
                "Scorecard",
                f"{r.measure.clause}: {r.measure.label}",
                r.status_word,
                r.shown,
                r.last_shown or "",
                r.detail,
            )
        )
    rows += [("In brief", s, "", "", "", "") for s in sentences]
    rows += [("Needs a decision", d.text, "", "", "", f"policy: {d.topic}") for d in decisions]
    if more:
        rows.append(("Needs a decision", f"{more} more in the detail sheets", "", "", "", ""))
    if not decisions:
        rows.append(("Needs a decision", "nothing this quarter", "", "", "", ""))
    for s in figures["sources"]:
        rows.append(
            (
                "Directories read",
                f"{source_label(s['source'])} snapshot (UTC)",
                "",
                datetime.fromisoformat(s["snapshot"].rstrip("Z")) if s["snapshot"] else "never",
                "",
                "",
            )
        )
    rows.append(
        (
            "Audit log",
            "Anchor (HASH:COUNT)",
            "verified" if anchor.verified else "NOT VERIFIED",
            anchor_text(anchor),
            "",
            f"{anchor.entries:,} entries when this report was made",
        )
    )
    return Sheet(
        SUMMARY,
        (
            Column("Section", width=18),
            Column("Item", width=60),
            Column("Status", width=14),
            Column("This quarter", width=20),
            Column("Last quarter", width=14),
            Column("Detail", width=60),
        ),
        tuple(rows),
    )


def anchor_text(anchor: AuditAnchor) -> str:
    """The audit log's head as carried outside the store: ``HASH:COUNT``."""
    return f"{anchor.head_hash}:{anchor.entries}" if anchor.head_hash else "none (the log is empty)"


def report_subtitle(report: "SuperintendentReport") -> str:
    """The line under the title: the date, the snapshots read, what the quarter is compared with."""
    sc = report.scorecard
    sources = ", ".join(
        f"{source_label(s['source'])} {s['snapshot'][:16].replace('T', ' ')} UTC"
        for s in report.figures["sources"]
        if s["snapshot"]
    )
    compared = (
        (
            f"compared with {sc.last_quarter}"
            + (" (figures generated by the demo)" if sc.last_origin == "demo" else "")
        )
        if sc.last_quarter
        else "no earlier quarter recorded"
    )
    return f"As of {sc.as_of.isoformat()} · directories read: {sources or 'none'} · {compared}"


def build_report_scorecard(a: "Analysis", inputs: ReportInputs) -> Scorecard:
    read = ScorecardInputs(a, inputs.campaigns, inputs.suspensions, inputs.anchor, inputs.hold_view)
    return build_scorecard(read, a.config.scorecard, list(inputs.history))


def build_superintendent_report(a: "Analysis", inputs: ReportInputs) -> SuperintendentReport:
    read = ScorecardInputs(a, inputs.campaigns, inputs.suspensions, inputs.anchor, inputs.hold_view)
    sc = build_report_scorecard(a, inputs)
    sentences = build_sentences(sc, read)
    decisions, more = build_decisions(sc, read, a.config.scorecard)
    figures = build_figures(a, inputs, sc, sentences, decisions, more)
    trend = _trend_quarters(sc, inputs.history)
    names = FriendlyNames(a)
    sheets = (
        build_trend_sheet(trend),
        build_remediation_sheet(inputs.campaigns),
        build_findings_sheet(a, names),
        build_access_sheet(a, names),
        build_campaign_sheet(inputs.campaigns, names),
        build_suspensions_sheet(inputs.suspensions),
        build_inventory_sheet(a),
        build_training_sheet(a),
        build_apps_sheet(a),
    )
    summary = build_summary_sheet(a.today, sc, sentences, decisions, more, figures, inputs.anchor)
    return SuperintendentReport(
        figures=figures,
        scorecard=sc,
        sentences=tuple(sentences),
        decisions=tuple(decisions),
        more_decisions=more,
        trend=trend,
        anchor=inputs.anchor,
        thresholds=a.config.scorecard,
        summary=summary,
        sheets=sheets,
    )


def quarter_record(report: SuperintendentReport) -> QuarterFigures:
    """What the report records of its quarter for the trend."""
    sc = report.scorecard
    return QuarterFigures(quarter=sc.quarter, as_of=sc.as_of, origin="report", figures=sc.figures())


# ---------------------------------------------------------------- CSV and JSON


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
    data = json.dumps(report_document(report), indent=2, ensure_ascii=False, default=str).encode(
        "utf-8"
    )
    with atomic_file(path) as fh:
        fh.write(data + b"\n")
    return Path(path)
