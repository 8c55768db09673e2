"""The exports on the demo district over two quarters with a real campaign run through the
CLI: the superintendent's report (scorecard checked against the store, golden key figures,
LibreOffice, the PDF board brief) and the campaign evidence pack (every item, defaults,
remediation, verification, snapshot times, the audit chain, manifest).

The district is built once for the module: sync → the demo's generated previous quarter
(2026Q3) → campaign create → send --out → every reviewer but the busiest answers → import
("open" copy) → close → remediate --apply → sync → verify ("verified" copy). Tests work on
copies.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import stat
from collections import Counter
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from access_review import audit
from access_review.audit_key import AuditKeySource
from access_review.cli import app
from access_review.analysis import analyse
from access_review.imports import import_inventory, import_roster
from access_review.config import load_config
from access_review.demo import generate_district, write_demo
from access_review.store import Store
from access_review.suspension.store import SuspensionStore
from access_review.cli.connectors import connector_factory
from access_review.sync import run_sync
from campaigns.store import CampaignStore
from campaigns.workbook import HEADERS
from exports.demo_history import record_demo_history
from exports.history import read_history
from exports.scorecard import MEASURES
from exports.story import number_word
from exports.superintendent import SHEET_ORDER
from libreoffice import libreoffice_convert, pdf_pages

AS_OF = "2026-11-28"
AFTER_DUE = "2026-12-22"  # the campaign (due 21 days after AS_OF) is overdue
GOLDEN = Path(__file__).parent / "golden" / "superintendent_demo_summary.json"
DECISION = HEADERS.index("Decision") + 1
runner = CliRunner()


def cli(folder: Path, *args, code: int = 0) -> str:
    result = runner.invoke(app, [*args, "--config", str(folder / "access-review.toml")])
    assert result.exit_code == code, result.output
    return result.output


def _answer(path: Path) -> None:
    """Revoke what is recommended, keep the rest (justifying flagged keeps)."""
    wb = load_workbook(path)
    ws = wb["Review"]
    header = [c.value for c in ws[1]]
    for r in range(2, ws.max_row + 1):
        values = dict(zip(header, (c.value for c in ws[r])))
        if str(values["Recommendation"]).startswith("Revoke"):
            choice = ("Revoke", "")
        else:
            choice = ("Keep", "needed for their job" if values["Flags"] else "")
        ws.cell(r, DECISION).value, ws.cell(r, DECISION + 1).value = choice
    wb.save(path)


@pytest.fixture(scope="module")
def states(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("demo-export")
    folder = root / "work"
    district = generate_district("small")
    config_path = write_demo(folder, district)
    # Unanswered items are kept at close, and recorded as defaults (what the evidence must show).
    with config_path.open("a", encoding="utf-8") as fh:
        fh.write('\n[campaigns]\ndefault = "keep"\n')
    cfg = load_config(config_path)
    with Store(cfg.store_path) as store:
        import_roster(cfg, store, cfg.roster_path)
        import_inventory(cfg, store, cfg.inventory_path, cfg.apps_path, cfg.holds_path)
        assert all(r.ok for r in run_sync(cfg, store, connector_factory(cfg)))
        record_demo_history(
            store, analyse(cfg, store, today=district.as_of)
        )  # as `access-review demo` does
    cli(folder, "campaign", "create", "--quarter", "2026Q4", "--due", "21d", "--today", AS_OF)
    cli(folder, "campaign", "send", "--out", str(root / "sent"))
    with Store(cfg.store_path) as store:
        items = CampaignStore(store).items(1)
    by_reviewer: dict[str, set[str]] = {}
    for i in items:
        by_reviewer.setdefault(i.reviewer, set()).add(i.item_id)
    files = sorted((root / "sent").glob("*.xlsx"))
    assert len(files) == len(by_reviewer) >= 3
    silent = max(by_reviewer, key=lambda r: len(by_reviewer[r]))  # the busiest never answers
    silent_file = next(f for f in files if _item_ids(f) == by_reviewer[silent])
    returned = [f for f in files if f != silent_file]
    for f in returned:
        _answer(f)
    cli(folder, "campaign", "import", *map(str, returned))
    suspended = next(
        p for p in reversed(district.roster) if p.status == "active" and p.person_type == "employee"
    )
    cli(
        folder,
        "suspend",
        suspended.employee_id,
        "--case",
        "HR-2026-7",
        "--reason",
        "pending investigation",
        "--apply",
    )
    _checkpoint(cfg.store_path)
    shutil.copytree(folder, root / "open")
    cli(
        folder, "campaign", "close", "--today", AS_OF, "--yes"
    )  # issue 16: the silent reviewer's items need --yes
    cli(folder, "campaign", "remediate", "--apply")
    cli(folder, "sync")
    cli(folder, "campaign", "verify", "--today", AS_OF)
    _checkpoint(cfg.store_path)
    shutil.copytree(folder, root / "verified")
    return {
        "open": root / "open",
        "verified": root / "verified",
        "silent": silent,
        "suspended": suspended,
    }


def _item_ids(path: Path) -> set[str]:
    return {str(v) for v in pd.read_excel(path, sheet_name="Review", dtype=str)["Item"]}


def _checkpoint(db: Path) -> None:
    with Store(db) as store:
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _copy(states, name: str, dest: Path) -> Path:
    shutil.copytree(states[name], dest)
    return dest


def _stable(figures: dict) -> dict:
    """The key figures without what the wall clock changes: the demo sync's times, the audit
    record's hashes (entries carry their time), and the age of the suspension (opened now,
    reported as of a fixed date)."""
    out = json.loads(json.dumps(figures))
    for s in out["sources"]:
        s["snapshot"] = bool(s["snapshot"])
    out["audit"]["head_hash"] = len(out["audit"]["head_hash"])
    for row in out["scorecard"]:
        if row["measure"] == "open_investigations":
            row["shown"] = row["shown"].split(",")[0]
            row["detail"] = row["detail"].split(",")[0]
        if row["measure"] == "audit_verified":
            row["detail"] = row["detail"].split(";")[0]
    return out


# ---------------------------------------------------------------- the superintendent's report

RECORD_KEY = re.compile(
    r"(?<![\w.-])(?:(?:ad|entra|google):(?:account|group|resource|grant)|person):\S"
)


def _report(folder: Path, tmp_path: Path, fmt: str = "json", today: str = AFTER_DUE) -> Path:
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = tmp_path / f"report.{fmt}"
    cli(folder, "export", "superintendent", "--format", fmt, "--out", str(out), "--today", today)
    return out


def test_superintendent_report_on_the_demo_district_matches_the_golden_summary(states, tmp_path):
    folder = _copy(states, "open", tmp_path / "d")
    figures = _stable(json.loads(_report(folder, tmp_path).read_text(encoding="utf-8"))["figures"])
    assert GOLDEN.exists(), f"missing golden file {GOLDEN}: review the output and commit it"
    assert figures == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_scorecard_over_two_quarters_is_what_the_store_holds(states, tmp_path):
    """Every figure of the first page, recomputed here from the store's own tables and the
    generated district, with last quarter's from the recorded history."""
    folder = _copy(states, "verified", tmp_path / "d")
    district = generate_district("small")
    with Store(folder / "access-review.db") as store:
        last = {q.quarter: q for q in read_history(store)}["2026Q3"]
    doc = json.loads(_report(folder, tmp_path).read_text(encoding="utf-8"))
    f = doc["figures"]
    rows = {r["measure"]: r for r in f["scorecard"]}
    assert (f["quarter"], f["last_quarter"], last.origin) == ("2026Q4", "2026Q3", "demo")
    assert list(rows) == [m.key for m in MEASURES]

    cfg = load_config(folder / "access-review.toml")
    with Store(folder / "access-review.db") as store:
        a = analyse(cfg, store, today=date.fromisoformat(AFTER_DUE))
        cstore = CampaignStore(store)
        items, decisions = cstore.items(1), cstore.effective_decisions(1)
        verification = cstore.verification(1)
        cases = SuspensionStore(store).cases()
        export = audit.entries(store, action_prefix="export.superintendent")[-1]
        before_export = audit.entries(store)[export.seq - 2]
        recorded = {q.quarter: q for q in read_history(store)}["2026Q4"]
    findings = Counter(x.type for x in a.findings)

    # Data inventory: the generated inventory and the two resources planted without a valid manager.
    total, invalid = len(district.inventory), len(district.planted["data_manager_invalid"])
    assert (
        rows["inventory_valid_percent"]["shown"]
        == f"{round(100 * (total - invalid) / total)}% ({total - invalid} of {total})"
    )
    # Monitoring: the reviewers' own answers, the defaults given at close, nothing left unanswered.
    answered = sum(1 for d in decisions.values() if d.source == "reviewer")
    defaulted = sum(1 for d in decisions.values() if d.source == "default")
    assert defaulted == sum(1 for i in items if i.reviewer == states["silent"]) > 0
    assert rows["campaign_answered_percent"]["value"] == round(100 * answered / len(items), 1)
    # The state names the non-response once; the counts say how much (keep: the demo's default).
    assert rows["campaign_answered_percent"]["detail"].startswith(
        "campaign 2026Q4 (verified with non-response, due "
    )
    assert rows["campaign_answered_percent"]["detail"].endswith(
        f"{answered:,} of {len(items):,} answered, {defaulted:,} closed by the default (keep),"
        " 0 unanswered"
    )
    # Authorized access, apps, retention, holds: the findings of the store's current facts.
    assert (
        rows["unauthorized_access"]["value"]
        == findings["unauthorized"] + findings["separated_access"] + findings["leave_access"]
    )
    assert (
        rows["unapproved_apps"]["value"]
        == len(district.planted["unapproved_app"]) + len(district.planted["app_scope_exceeded"])
        == 3
    )
    assert (
        rows["retention_awaiting"]["value"]
        == len(set(district.planted["retention_eligible"]) - set(district.must_keep))
        == 1
    )
    assert (
        rows["held_accounts_missing"]["value"] == len(district.planted["held_account_missing"]) == 1
    )
    # Training: active people reaching confidential data, trained within the configured days.
    reach = {
        x.person
        for x in a.access
        if x.person
        and a.inventory_by_name[x.resource].confidential
        and a.persons[x.person].status == "active"
    }
    trained = {
        p
        for p in reach
        if a.persons[p].training_date
        and (a.today - a.persons[p].training_date).days <= cfg.policy.training_days
    }
    assert rows["training_percent"]["shown"].endswith(f"({len(trained)} of {len(reach)})")
    # Suspensions: the one open case.
    open_cases = [c for c in cases if c.restored_at is None]
    assert rows["open_investigations"]["value"] == len(open_cases) == 1
    assert rows["open_investigations"]["detail"].startswith(f"case {open_cases[0].id}")
    # Accountability: the chain as it stood when the report was built (the export's own entry follows).
    assert f["audit"] == {
        "verified": True,
        "entries": export.seq - 1,
        "head_hash": before_export.hash,
    }
    assert rows["audit_verified"]["status"] == "green"
    # Last quarter: the history the demo generated; this quarter is now recorded beside it.
    for key, row in rows.items():
        assert row["last_value"] == last.figures[key], key
        assert recorded.figures[key] == row["value"], key
    assert recorded.origin == "report"
    # The review's results by data manager: every revoked access removed and confirmed gone.
    results = {r["Data manager"]: r for r in doc["sheets"]["Remediation"]}
    revoked = [i for i in items if decisions[i.item_id].decision == "revoke"]
    gone = [k for k, (status, _) in verification.items() if status == "gone"]
    assert results["All data managers"]["Revoked"] == len(revoked) == len(gone) > 0
    assert results["All data managers"]["Confirmed gone by a complete sync"] == len(gone)
    assert results["All data managers"]["Still pending"] == 0
    silent_name = next(i.reviewer_name for i in items if i.reviewer == states["silent"])
    assert (
        results[silent_name]["Answered"] == 0
        and results[silent_name]["Closed by the default"] == defaulted
    )
    assert any(
        f"{number_word(len(revoked))} accesses revoked in the review were removed and confirmed gone"
        in s
        for s in f["sentences"]
    )
    assert 3 <= len(f["sentences"]) <= 5


def test_the_next_quarter_compares_with_the_quarter_just_recorded(states, tmp_path):
    folder = _copy(states, "verified", tmp_path / "d")
    q4 = json.loads(_report(folder, tmp_path).read_text(encoding="utf-8"))["figures"]
    q1 = json.loads(
        _report(folder, tmp_path / "next", today="2027-02-01").read_text(encoding="utf-8")
    )["figures"]
    assert (q1["quarter"], q1["last_quarter"]) == ("2027Q1", "2026Q4")
    assert [r["last_value"] for r in q1["scorecard"]] == [r["value"] for r in q4["scorecard"]]
    with Store(folder / "access-review.db") as store:
        assert [q.quarter for q in read_history(store)] == ["2026Q3", "2026Q4", "2027Q1"]


def test_demo_workbook_prints_a_one_page_summary_and_holds_no_record_key(states, tmp_path):
    folder = _copy(states, "open", tmp_path / "d")
    out = _report(folder, tmp_path, "xlsx")
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == list(SHEET_ORDER)
    with Store(folder / "access-review.db") as store:
        cstore = CampaignStore(store)
        items = cstore.items(1)
        decided = cstore.effective_decisions(1)
        stored_findings = [
            x.summary
            for x in analyse(
                load_config(folder / "access-review.toml"),
                store,
                today=date.fromisoformat(AFTER_DUE),
            ).findings
        ]
    campaign = sheets["Campaign decisions"]
    assert len(campaign) == len(items)
    assert (campaign["Decision"] != "undecided").sum() == len(decided)
    (case,) = sheets["Suspensions"].itertuples(index=False)
    person = states["suspended"]
    assert (case.Case, case.Person, case._2, case.State) == (
        "HR-2026-7",
        person.name,
        person.employee_id,
        "suspended",
    )
    silent_name = next(i.reviewer_name for i in items if i.reviewer == states["silent"])
    results = sheets["Remediation"].set_index("Data manager")
    assert (results.loc[silent_name, "Answered"], results.loc[silent_name, "Unanswered"]) == (
        0,
        sum(1 for i in items if i.reviewer == states["silent"]),
    )

    # No visible cell holds a record key, though the findings' own wording does carry one.
    assert any(RECORD_KEY.search(text) for text in stored_findings)
    wb = load_workbook(out)
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert not RECORD_KEY.search(str(cell.value or "")), (
                    f"{ws.title}!{cell.coordinate}: {cell.value}"
                )

    # LibreOffice prints the first sheet on exactly one page: page 2 is already the trend.
    pages = pdf_pages(libreoffice_convert(out, "pdf", tmp_path / "pdf"))
    assert "Data governance report to the superintendent — 2026Q4" in pages[0]
    assert "Anchor: check later with" in pages[0] and silent_name in pages[0]
    assert "Trend: the scorecard's figures per quarter" in pages[1]
    assert all("Policy scorecard" not in p for p in pages[1:])


def test_board_brief_pdf_has_the_first_page_and_the_trend(states, tmp_path):
    folder = _copy(states, "verified", tmp_path / "d")
    doc = json.loads(_report(folder, tmp_path).read_text(encoding="utf-8"))["figures"]
    pdf = _report(folder, tmp_path / "pdf", "pdf")
    first, trend = pdf_pages(pdf, layout=False)
    flat = " ".join(first.split())
    assert "Data governance report to the superintendent — 2026Q4" in flat
    for row in doc["scorecard"]:
        assert row["status_word"] in flat
    for sentence in doc["sentences"]:
        assert " ".join(sentence.split()[:6]) in flat, sentence
    for decision in doc["decisions"]:
        assert " ".join(decision["text"].split()[:5]) in flat, decision
    assert "2026Q3 (demo)" in trend and "2026Q4" in trend
    assert "Shares (%) per quarter" in trend and "Counts per quarter" in trend
    assert "Review items answered by the data managers" in trend  # a chart legend and a table row
    with Store(folder / "access-review.db") as store:
        (logged,) = [
            e
            for e in audit.entries(store, action_prefix="export.superintendent")
            if e.details["format"] == "pdf"
        ]
    assert logged.details["sha256"] == hashlib.sha256(pdf.read_bytes()).hexdigest()


# ---------------------------------------------------------------- the evidence pack


def _read_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig", dtype=str, keep_default_na=False)


def test_evidence_pack_holds_what_an_auditor_asks_for(states, tmp_path):
    folder = _copy(states, "verified", tmp_path / "d")
    pack = tmp_path / "pack"
    out = cli(folder, "export", "evidence", "--campaign", "2026Q4", "--out", str(pack))
    assert "audit chain verified" in out
    with Store(folder / "access-review.db") as store:
        cstore = CampaignStore(store)
        c = cstore.get(1)
        items = cstore.items(1)
        decided = cstore.effective_decisions(1)
        plan = cstore.plan(1)
        verification = cstore.verification(1)
        runs = {
            s: next(r for r in store.sync_runs(s, limit=100) if r.id == run_id)
            for s, run_id in c.snapshot_runs.items()
        }
        campaign_entries = [e for e in audit.entries(store) if e.details.get("campaign") == 1]
    assert c.state == "verified"
    names = sorted(p.name for p in pack.iterdir())
    assert names == [
        "01-items.csv",
        "02-defaults-applied.csv",
        "03-remediation.csv",
        "04-verification.csv",
        "05-snapshots-reviewed.csv",
        "06-audit-log.csv",
        "07-responses-by-reviewer.csv",
        "MANIFEST.sha256",
        "VERIFICATION.txt",
        "manifest.json",
    ]  # 07: issue 16
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in pack.iterdir())

    item_rows = _read_csv(pack / "01-items.csv")
    assert len(item_rows) == len(items)
    assert {"Reviewer", "Decision", "Justification", "Decided at (UTC)"} <= set(item_rows.columns)
    assert (item_rows["Decision"] != "undecided").all() and len(decided) == len(items)
    silent_items = [i for i in items if i.reviewer == states["silent"]]
    defaults = _read_csv(pack / "02-defaults-applied.csv")
    assert sorted(defaults["Item"]) == sorted(i.item_id for i in silent_items)
    # issue 16: non-response per item, per reviewer and for the campaign, never folded into "decided"
    responses = item_rows.set_index("Item")["Response"]
    assert all(
        responses[i.item_id].startswith("no response → default keep (recorded by ")
        for i in silent_items
    )
    assert set(responses.drop([i.item_id for i in silent_items])) == {
        "decided: keep",
        "decided: revoke",
    }
    per_reviewer = _read_csv(pack / "07-responses-by-reviewer.csv").set_index("Reviewer")
    silent_name = silent_items[0].reviewer_name
    assert per_reviewer.loc[
        silent_name,
        [
            "Items",
            "Decided by the reviewer",
            "No response, default applied",
            "No response, nothing decided",
        ],
    ].astype(int).tolist() == [len(silent_items), 0, len(silent_items), 0]
    assert per_reviewer.loc["all reviewers", ["Items", "No response, default applied"]].astype(
        int
    ).tolist() == [len(items), len(silent_items)]
    remediation = _read_csv(pack / "03-remediation.csv")
    assert len(remediation) == len({s.item_id for s in plan}) > 0
    assert set(remediation["Result"]) <= {
        "changed",
        "unchanged",
        "changed; changed",
        "unchanged; changed",
        "changed; unchanged",
        "refused",
    }
    verified = _read_csv(pack / "04-verification.csv")
    assert (
        len(verified) == len(verification) and verified["Verification"].str.startswith("gone").all()
    )
    snaps = _read_csv(pack / "05-snapshots-reviewed.csv")
    assert dict(zip(snaps["Source"], snaps["Snapshot time (UTC)"])) == {
        s: r.finished_at.replace(tzinfo=None, microsecond=0).isoformat(sep=" ")
        for s, r in runs.items()
    }

    log = _read_csv(pack / "06-audit-log.csv")
    mine = log[log["About this campaign"] == "yes"]
    assert sorted(mine["Seq"].astype(int)) == [e.seq for e in campaign_entries]
    assert (mine["Hash recomputed"] == "ok").all()
    # The chain can be followed link by link, and each campaign entry recomputed by hand — with the
    # audit key (issue 15 keys the chain: the store alone cannot re-hash it).
    assert (log["Previous hash"].iloc[1:].values == log["Hash"].iloc[:-1].values).all()
    key = AuditKeySource.from_settings({}).load(create=False)
    for _, row in mine.iterrows():
        body = json.dumps(
            [
                row["Previous hash"],
                int(row["Seq"]),
                row["At (UTC)"],
                row["Actor"],
                row["Action"],
                row["Details (hashed text)"],
            ],
            separators=(",", ":"),
            ensure_ascii=False,
        )
        assert hmac.new(key, body.encode("utf-8"), hashlib.sha256).hexdigest() == row["Hash"]
    statement = (pack / "VERIFICATION.txt").read_text(encoding="utf-8")
    assert (
        "INTACT" in statement
        and f"Entries about this campaign: {len(campaign_entries)}" in statement
    )
    # The pack carries the log's head as it was (the export's own entry came after it) ...
    with Store(folder / "access-review.db") as store:
        *_, before, export_entry = audit.entries(store)
    assert export_entry.action == "export.evidence"
    assert f"access-review audit verify --expect {before.hash}:{before.seq}" in statement
    # ... and the log, grown since, still holds it.
    assert "It holds the anchor" in cli(
        folder, "audit", "verify", "--expect", f"{before.hash}:{before.seq}"
    )
    assert (
        f"state verified with non-response: {len(silent_items)} of {len(items)} items had no answer"
        " (default keep)"
    ) in statement  # issue 16: never simply "verified"

    # Every file is listed with its SHA-256, and the manifest's digest is in the audit log.
    sums = (pack / "MANIFEST.sha256").read_text().splitlines()
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in sums}
    assert set(listed) == set(names) - {"MANIFEST.sha256", "manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((pack / name).read_bytes()).hexdigest() == digest
    with Store(folder / "access-review.db") as store:
        (logged,) = audit.entries(store, action_prefix="export.evidence")
    assert (
        logged.details["manifest_sha256"]
        == hashlib.sha256((pack / "MANIFEST.sha256").read_bytes()).hexdigest()
    )


def test_evidence_pack_as_json_is_one_document(states, tmp_path):
    folder = _copy(states, "verified", tmp_path / "d")
    cli(
        folder,
        "export",
        "evidence",
        "--campaign",
        "1",
        "--format",
        "json",
        "--out",
        str(tmp_path / "pack"),
    )
    doc = json.loads((tmp_path / "pack" / "evidence.json").read_text(encoding="utf-8"))
    assert doc["campaign"]["name"] == "2026Q4" and doc["campaign"]["state"] == "verified"
    assert doc["audit_chain"]["ok"] is True
    with Store(folder / "access-review.db") as store:
        assert len(doc["Items"]) == len(CampaignStore(store).items(1))
    assert sorted(p.name for p in (tmp_path / "pack").iterdir()) == [
        "MANIFEST.sha256",
        "VERIFICATION.txt",
        "evidence.json",
        "manifest.json",
    ]


def test_a_tampered_audit_log_is_reported_in_the_pack_and_fails_the_command(states, tmp_path):
    folder = _copy(states, "verified", tmp_path / "d")
    with Store(folder / "access-review.db") as store:
        seq = next(e.seq for e in audit.entries(store) if e.details.get("campaign") == 1)
        store.db.execute(
            "UPDATE audit_log SET details = replace(details, '\"campaign\"', '\"campaign\" ') "
            "WHERE seq = ?",
            (seq,),
        )
    out = cli(
        folder,
        "export",
        "evidence",
        "--campaign",
        "2026Q4",
        "--out",
        str(tmp_path / "pack"),
        code=7,
    )
    assert "NOT VERIFIED" in out
    statement = (tmp_path / "pack" / "VERIFICATION.txt").read_text(encoding="utf-8")
    assert f"NOT VERIFIED: entry {seq}" in statement


def test_unknown_campaign_and_a_used_folder_are_refused_in_one_line(states, tmp_path):
    folder = _copy(states, "open", tmp_path / "d")
    out = cli(
        folder, "export", "evidence", "--campaign", "2025Q1", "--out", str(tmp_path / "p"), code=1
    )
    assert "no campaign named '2025Q1'" in out and "1 = 2026Q4" in out
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "other.txt").write_text("x")
    out = cli(
        folder,
        "export",
        "evidence",
        "--campaign",
        "2026Q4",
        "--out",
        str(tmp_path / "used"),
        code=1,
    )
    assert "is not empty" in out and sorted(p.name for p in (tmp_path / "used").iterdir()) == [
        "other.txt"
    ]
