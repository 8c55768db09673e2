"""The exports on the demo district with a real campaign run through the CLI: the
superintendent workbook (golden key figures, LibreOffice) and the campaign evidence pack
(every item, defaults, remediation, verification, snapshot times, the audit chain, manifest).

The campaign is built once for the module: create → send --out → every reviewer but the
busiest answers → import ("open" copy) → close → remediate --apply → sync → verify
("verified" copy). Tests work on copies.
"""
from __future__ import annotations

import hashlib
import json
import shutil
import stat
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook
from typer.testing import CliRunner

from access_review import audit
from access_review.cli import app
from access_review.imports import import_inventory, import_roster
from access_review.config import load_config
from access_review.demo import generate_district, write_demo
from access_review.store import Store
from access_review.cli.connectors import connector_factory
from access_review.sync import run_sync
from campaigns.store import CampaignStore
from campaigns.workbook import HEADERS
from test_export_support import libreoffice_convert

AS_OF = "2026-11-28"
AFTER_DUE = "2026-12-22"          # the campaign (due 21 days after AS_OF) is overdue
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
    cli(folder, "campaign", "create", "--quarter", "2026Q4", "--due", "21d", "--today", AS_OF)
    cli(folder, "campaign", "send", "--out", str(root / "sent"))
    with Store(cfg.store_path) as store:
        items = CampaignStore(store).items(1)
    by_reviewer: dict[str, set[str]] = {}
    for i in items:
        by_reviewer.setdefault(i.reviewer, set()).add(i.item_id)
    files = sorted((root / "sent").glob("*.xlsx"))
    assert len(files) == len(by_reviewer) >= 3
    silent = max(by_reviewer, key=lambda r: len(by_reviewer[r]))     # the busiest never answers
    silent_file = next(f for f in files if _item_ids(f) == by_reviewer[silent])
    returned = [f for f in files if f != silent_file]
    for f in returned:
        _answer(f)
    cli(folder, "campaign", "import", *map(str, returned))
    suspended = next(p for p in reversed(district.roster) if p.status == "active" and p.person_type == "employee")
    cli(folder, "suspend", suspended.employee_id, "--case", "HR-2026-7", "--reason", "pending investigation",
        "--apply")
    _checkpoint(cfg.store_path)
    shutil.copytree(folder, root / "open")
    cli(folder, "campaign", "close", "--today", AS_OF, "--yes")   # issue 16: the silent reviewer's items need --yes
    cli(folder, "campaign", "remediate", "--apply")
    cli(folder, "sync")
    cli(folder, "campaign", "verify", "--today", AS_OF)
    _checkpoint(cfg.store_path)
    shutil.copytree(folder, root / "verified")
    return {"open": root / "open", "verified": root / "verified", "silent": silent, "suspended": suspended}


def _item_ids(path: Path) -> set[str]:
    return {str(v) for v in pd.read_excel(path, sheet_name="Review", dtype=str)["Item"]}


def _checkpoint(db: Path) -> None:
    with Store(db) as store:
        store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def _copy(states, name: str, dest: Path) -> Path:
    shutil.copytree(states[name], dest)
    return dest


def _stable(figures: dict) -> dict:
    """The key figures without the wall-clock times of the demo sync."""
    out = json.loads(json.dumps(figures))
    for s in out["sources"]:
        s["snapshot"] = bool(s["snapshot"])
    return out


# ---------------------------------------------------------------- the superintendent workbook

def test_superintendent_workbook_on_the_demo_district_matches_the_golden_summary(states, tmp_path):
    folder = _copy(states, "open", tmp_path / "d")
    cli(folder, "export", "superintendent", "--format", "json", "--out", str(tmp_path / "s.json"),
        "--today", AFTER_DUE)
    figures = _stable(json.loads((tmp_path / "s.json").read_text(encoding="utf-8"))["figures"])
    assert GOLDEN.exists(), f"missing golden file {GOLDEN}: review the output and commit it"
    assert figures == json.loads(GOLDEN.read_text(encoding="utf-8"))


def test_demo_workbook_counts_match_the_store_and_libreoffice_prints_it(states, tmp_path):
    folder = _copy(states, "open", tmp_path / "d")
    out = tmp_path / "superintendent.xlsx"
    cli(folder, "export", "superintendent", "--out", str(out), "--today", AFTER_DUE)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    sheets = pd.read_excel(out, sheet_name=None)
    with Store(folder / "access-review.db") as store:
        cstore = CampaignStore(store)
        items = cstore.items(1)
        decided = cstore.effective_decisions(1)
    campaign = sheets["Campaign decisions"]
    assert len(campaign) == len(items)
    assert (campaign["Decision"] != "undecided").sum() == len(decided)
    (case,) = sheets["Suspensions"].itertuples(index=False)
    person = states["suspended"]
    assert (case.Case, case.Person, case._2, case.State) == ("HR-2026-7", person.name, person.employee_id, "suspended")
    summary = load_workbook(out)["Summary"]
    assert len(summary._charts) == 2                    # findings by type, completion by data manager
    overdue = [r[0].value for r in summary.iter_rows() if isinstance(r[1].value, str) and "OVERDUE" in r[1].value]
    silent_name = next(i.reviewer_name for i in items if i.reviewer == states["silent"])
    assert overdue == [silent_name]
    pdf = libreoffice_convert(out, "pdf", tmp_path / "pdf")
    assert pdf.read_bytes().startswith(b"%PDF")


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
        runs = {s: next(r for r in store.sync_runs(s, limit=100) if r.id == run_id)
                for s, run_id in c.snapshot_runs.items()}
        campaign_entries = [e for e in audit.entries(store) if e.details.get("campaign") == 1]
    assert c.state == "verified"
    names = sorted(p.name for p in pack.iterdir())
    assert names == ["01-items.csv", "02-defaults-applied.csv", "03-remediation.csv", "04-verification.csv",
                     "05-snapshots-reviewed.csv", "06-audit-log.csv", "07-responses-by-reviewer.csv",
                     "MANIFEST.sha256", "VERIFICATION.txt", "manifest.json"]   # 07: issue 16
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
    assert all(responses[i.item_id].startswith("no response → default keep (recorded by ") for i in silent_items)
    assert set(responses.drop([i.item_id for i in silent_items])) == {"decided: keep", "decided: revoke"}
    per_reviewer = _read_csv(pack / "07-responses-by-reviewer.csv").set_index("Reviewer")
    silent_name = silent_items[0].reviewer_name
    assert per_reviewer.loc[silent_name, ["Items", "Decided by the reviewer", "No response, default applied",
                                          "No response, nothing decided"]].astype(int).tolist() == [
        len(silent_items), 0, len(silent_items), 0]
    assert per_reviewer.loc["all reviewers", ["Items", "No response, default applied"]].astype(int).tolist() == [
        len(items), len(silent_items)]
    remediation = _read_csv(pack / "03-remediation.csv")
    assert len(remediation) == len({s.item_id for s in plan}) > 0
    assert set(remediation["Result"]) <= {"changed", "unchanged", "changed; changed", "unchanged; changed",
                                          "changed; unchanged", "refused"}
    verified = _read_csv(pack / "04-verification.csv")
    assert len(verified) == len(verification) and verified["Verification"].str.startswith("gone").all()
    snaps = _read_csv(pack / "05-snapshots-reviewed.csv")
    assert dict(zip(snaps["Source"], snaps["Snapshot time (UTC)"])) == {
        s: r.finished_at.replace(tzinfo=None, microsecond=0).isoformat(sep=" ") for s, r in runs.items()}

    log = _read_csv(pack / "06-audit-log.csv")
    mine = log[log["About this campaign"] == "yes"]
    assert sorted(mine["Seq"].astype(int)) == [e.seq for e in campaign_entries]
    assert (mine["Hash recomputed"] == "ok").all()
    # The chain can be followed link by link, and each campaign entry recomputed by hand.
    assert (log["Previous hash"].iloc[1:].values == log["Hash"].iloc[:-1].values).all()
    for _, row in mine.iterrows():
        body = json.dumps([row["Previous hash"], int(row["Seq"]), row["At (UTC)"], row["Actor"], row["Action"],
                           row["Details (hashed text)"]], separators=(",", ":"), ensure_ascii=False)
        assert hashlib.sha256(body.encode("utf-8")).hexdigest() == row["Hash"]
    statement = (pack / "VERIFICATION.txt").read_text(encoding="utf-8")
    assert "INTACT" in statement and f"Entries about this campaign: {len(campaign_entries)}" in statement
    assert (f"state verified with non-response: {len(silent_items)} of {len(items)} items had no answer"
            " (default keep)") in statement   # issue 16: never simply "verified"

    # Every file is listed with its SHA-256, and the manifest's digest is in the audit log.
    sums = (pack / "MANIFEST.sha256").read_text().splitlines()
    listed = {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in sums}
    assert set(listed) == set(names) - {"MANIFEST.sha256", "manifest.json"}
    for name, digest in listed.items():
        assert hashlib.sha256((pack / name).read_bytes()).hexdigest() == digest
    with Store(folder / "access-review.db") as store:
        (logged,) = audit.entries(store, action_prefix="export.evidence")
    assert logged.details["manifest_sha256"] == hashlib.sha256((pack / "MANIFEST.sha256").read_bytes()).hexdigest()


def test_evidence_pack_as_json_is_one_document(states, tmp_path):
    folder = _copy(states, "verified", tmp_path / "d")
    cli(folder, "export", "evidence", "--campaign", "1", "--format", "json", "--out", str(tmp_path / "pack"))
    doc = json.loads((tmp_path / "pack" / "evidence.json").read_text(encoding="utf-8"))
    assert doc["campaign"]["name"] == "2026Q4" and doc["campaign"]["state"] == "verified"
    assert doc["audit_chain"]["ok"] is True
    with Store(folder / "access-review.db") as store:
        assert len(doc["Items"]) == len(CampaignStore(store).items(1))
    assert sorted(p.name for p in (tmp_path / "pack").iterdir()) == [
        "MANIFEST.sha256", "VERIFICATION.txt", "evidence.json", "manifest.json"]


def test_a_tampered_audit_log_is_reported_in_the_pack_and_fails_the_command(states, tmp_path):
    folder = _copy(states, "verified", tmp_path / "d")
    with Store(folder / "access-review.db") as store:
        seq = next(e.seq for e in audit.entries(store) if e.details.get("campaign") == 1)
        store.db.execute("UPDATE audit_log SET details = replace(details, '\"campaign\"', '\"campaign\" ') "
                         "WHERE seq = ?", (seq,))
    out = cli(folder, "export", "evidence", "--campaign", "2026Q4", "--out", str(tmp_path / "pack"), code=7)
    assert "NOT VERIFIED" in out
    statement = (tmp_path / "pack" / "VERIFICATION.txt").read_text(encoding="utf-8")
    assert f"NOT VERIFIED: entry {seq}" in statement


def test_unknown_campaign_and_a_used_folder_are_refused_in_one_line(states, tmp_path):
    folder = _copy(states, "open", tmp_path / "d")
    out = cli(folder, "export", "evidence", "--campaign", "2025Q1", "--out", str(tmp_path / "p"), code=1)
    assert "no campaign named '2025Q1'" in out and "1 = 2026Q4" in out
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "other.txt").write_text("x")
    out = cli(folder, "export", "evidence", "--campaign", "2026Q4", "--out", str(tmp_path / "used"), code=1)
    assert "is not empty" in out and sorted(p.name for p in (tmp_path / "used").iterdir()) == ["other.txt"]
