"""The superintendent workbook on a hand-written district whose names, titles and apps carry a
formula-injection corpus: read back by pandas, openpyxl and LibreOffice (one conversion to
CSV of every sheet, one to PDF, for the whole module); the board brief's text made safe."""

from __future__ import annotations

import csv
import json
import stat
from datetime import datetime
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from typer.testing import CliRunner

from access_review import audit
from access_review.cli import app
from exports.board_brief import safe_pdf_text
from exports.superintendent import SHEET_ORDER, build_superintendent_report, read_report_inputs
from exports.superintendent_xlsx import write_workbook
from libreoffice import libreoffice_convert, pdf_pages
from test_export_support import (
    AS_OF,
    INJECTION_CORPUS,
    build_tiny_district,
    copy_district,
    tiny_analysis,
)

# Every corpus string as it must read back: a leading quote, the literal text (CR as a line break).
EXPECTED_LITERALS = {s: "'" + s.replace("\r", "\n") for s in INJECTION_CORPUS}


@pytest.fixture(scope="module")
def tiny_template(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("tiny") / "district"
    build_tiny_district(folder)
    return folder


@pytest.fixture(scope="module")
def written(tiny_template, tmp_path_factory):
    """The workbook, the analysis it came from, and LibreOffice's CSV of every sheet."""
    cfg, store, a = tiny_analysis(tiny_template / "access-review.toml")
    try:
        report = build_superintendent_report(a, read_report_inputs(store, a))
        out = tmp_path_factory.mktemp("out") / "superintendent.xlsx"
        write_workbook(report, out)
        # Filter options: comma, double quote, UTF-8, ..., token 12 = -1: every sheet to its own file.
        lo_dir = tmp_path_factory.mktemp("lo")
        libreoffice_convert(
            out,
            "csv:Text - txt - csv (StarCalc):44,34,76,1,,0,false,true,false,false,false,-1",
            lo_dir,
        )
        lo_csv = {}
        for sheet in SHEET_ORDER:
            with (lo_dir / f"superintendent-{sheet}.csv").open(encoding="utf-8", newline="") as fh:
                lo_csv[sheet] = list(csv.reader(fh))
        yield out, a, report, lo_csv
    finally:
        store.close()


def test_sheets_and_counts_read_back_by_pandas_match_the_analysis(written):
    out, a, report, _ = written
    sheets = pd.read_excel(out, sheet_name=None)
    assert list(sheets) == list(SHEET_ORDER)
    assert len(sheets["Findings"]) == len(a.findings) == 11
    assert list(sheets["Findings"].columns[:3]) == ["Severity", "Finding", "What was found"]
    access = sheets["Access to confidential data"]
    assert len(access) == len(a.access)
    assert {"Person", "Building", "Resource", "Classification", "How they reach it"} <= set(
        access.columns
    )
    assert sorted(access["Resource"].unique()) == ["Payroll", "Special Education Records"]
    assert set(sheets["Data inventory"]["Resource"]) == {"Special Education Records", "Payroll"}
    assert (
        sheets["Data inventory"].set_index("Resource").loc["Payroll", "Data manager"]
        == "Pat Principal"
    )
    assert len(sheets["Training"]) == 6  # active people reaching confidential data
    assert len(sheets["Apps"]) == 4
    assert sheets["Campaign decisions"].iloc[0, 0].startswith("no campaign yet")
    assert sheets["Remediation"].iloc[0, 0].startswith("no campaign yet")
    assert sheets["Suspensions"].iloc[0, 0].startswith("no suspensions")


def test_summary_figures_for_the_tiny_district(written):
    _, _, report, _ = written
    f = report.figures
    assert f["as_of"] == AS_OF.isoformat()
    assert f["sources"] == [{"source": "ad", "snapshot": "2026-11-28T06:30:00Z", "accounts": 8}]
    assert (f["people_with_confidential_access"], f["people_with_critical_access"]) == (7, 2)
    assert f["accounts_without_roster_person_with_access"] == 1
    assert f["training"] == {
        "people": 6,
        "compliant": 4,
        "overdue": 1,
        "never_trained": 1,
        "threshold_days": 365,
    }
    assert f["unapproved_apps"] == sorted(INJECTION_CORPUS[5:7] + ("=cmd|' /C calc'!A0",))
    assert f["findings_by_type"]["unapproved_app"] == 3
    assert sum(f["findings_by_severity"].values()) == f["findings_total"] == 11
    assert f["campaign"] is None and f["open_suspensions"] == 0


def test_formatting_a_person_expects(written):
    out, _, _, _ = written
    wb = openpyxl.load_workbook(out)
    summary = wb["Summary"]
    assert summary.sheet_view.showGridLines is False
    # The first sheet is one landscape page; the trend has a line chart per kind of figure.
    assert (
        summary.page_setup.orientation == "landscape"
        and summary.sheet_properties.pageSetUpPr.fitToPage
    )
    assert (summary.page_setup.fitToWidth, summary.page_setup.fitToHeight) == (1, 1)
    assert [type(c).__name__ for c in wb["Trend"]._charts] == ["LineChart", "LineChart"]
    for name in SHEET_ORDER[2:]:
        ws = wb[name]
        assert ws.freeze_panes == "A2", name
        assert ws["A1"].font.bold, name
        assert ws.column_dimensions["A"].width >= 9, name
        # printable: landscape, one page wide, the header row on every page
        assert ws.page_setup.orientation == "landscape", name
        assert (ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == (1, 0), name
        assert ws.print_title_rows == "$1:$1", name
    assert wb["Findings"].auto_filter.ref == f"A1:I{len(list(wb['Findings'].rows))}"
    training = wb["Training"]
    last_training = [c.value for c in training["E"][1:]]
    assert any(isinstance(v, datetime) for v in last_training)  # real dates, not text
    assert all(c.number_format == "yyyy-mm-dd" for c in training["E"][1:] if c.value is not None)
    assert str(summary["A1"].value).startswith(
        "Data governance report to the superintendent — 2026Q4"
    )


def test_the_first_sheet_carries_the_audit_anchor_as_label_and_value(written):
    out, _, report, _ = written
    rows = {
        r[0]: r[1]
        for r in openpyxl.load_workbook(out)["Summary"].iter_rows(values_only=True)
        if r[0]
    }
    anchor = next(v for k, v in rows.items() if str(k).startswith("Anchor"))
    assert (
        anchor == f"{report.anchor.head_hash}:{report.anchor.entries}"
        and len(anchor.split(":")[0]) == 64
    )
    assert rows["Entries when this report was made"] == report.anchor.entries
    assert rows["Hash chain"].startswith("intact")


def test_detail_rows_are_as_tall_as_their_wrapped_text(written):
    out, a, _, _ = written
    ws = openpyxl.load_workbook(out)["Findings"]
    widths = [ws.column_dimensions[c].width for c in "ABCDEFGHI"]
    for row in ws.iter_rows(min_row=2):
        longest = max(len(str(c.value or "")) / w for c, w in zip(row, widths))
        assert row[2].alignment.wrap_text
        # at least one line per column-width of text, never a default-height row cut short
        assert ws.row_dimensions[row[0].row].height >= 14.5 * max(1, int(longest)), row[2].value


def test_injection_corpus_is_text_in_openpyxl(written):
    out, _, _, _ = written
    wb = openpyxl.load_workbook(out)
    values = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (
                    f"{ws.title}!{cell.coordinate} is a formula: {cell.value!r}"
                )
                values.add(cell.value)
                if cell.row > 1 and isinstance(cell.value, str) and cell.value.startswith("'"):
                    assert cell.quotePrefix, (
                        f"{ws.title}!{cell.coordinate} stays text only until edited"
                    )
    for original, literal in EXPECTED_LITERALS.items():
        assert literal in values, original
    persons = {c.value for c in wb["Access to confidential data"]["A"][1:]}
    assert {
        "'=1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'+cmd|' /C calc'!A0",
        EXPECTED_LITERALS[INJECTION_CORPUS[4]],
    } <= persons


def test_injection_corpus_is_literal_text_in_libreoffice(written):
    _, _, _, lo = written
    apps = {row[0] for row in lo["Apps"][1:]}
    for original in (INJECTION_CORPUS[5], INJECTION_CORPUS[6], "=cmd|' /C calc'!A0"):
        assert "'" + original.replace("\r", "\n") in apps
    access = lo["Access to confidential data"]
    persons = {row[access[0].index("Person")] for row in access[1:]}
    assert {
        "'=1+1",
        "'-2+3",
        "'@SUM(A1)",
        "'+cmd|' /C calc'!A0",
        EXPECTED_LITERALS[INJECTION_CORPUS[4]],
    } <= persons
    assert "2" not in persons and "1" not in persons  # =1+1 and -2+3 never evaluated
    summary_col = lo["Findings"][0].index("What was found")
    assert any(row[summary_col].startswith("'=1+1 (E2) can reach") for row in lo["Findings"][1:])
    training_header = lo["Training"][0]
    titles = {row[training_header.index("Title")] for row in lo["Training"][1:]}
    assert {"'@SUM(A1)", "'-2+3", EXPECTED_LITERALS[INJECTION_CORPUS[4]]} <= titles
    inventory = lo["Data inventory"]
    assert inventory[1 + [r[0] for r in inventory[1:]].index("Payroll")][-1] == "'=2*3"


def test_libreoffice_prints_the_first_sheet_on_exactly_one_page(written, tmp_path):
    out, _, report, _ = written
    pdf = libreoffice_convert(out, "pdf", tmp_path)
    pages = pdf_pages(pdf)
    # Page 1 holds the whole first sheet, from the title to the audit anchor at its foot;
    # page 2 is already the trend sheet.
    assert "Data governance report to the superintendent" in pages[0]
    assert "Policy scorecard" in pages[0] and "What needs a decision" in pages[0]
    assert report.anchor.head_hash[:40] in pages[0].replace("\n", "")
    assert "Trend: the scorecard's figures per quarter" in pages[1]
    assert "Policy scorecard" not in "".join(pages[1:])


def test_board_brief_text_is_made_safe_for_the_page():
    assert (
        safe_pdf_text('<font size="40">big</font> & <b>')
        == '&lt;font size="40"&gt;big&lt;/font&gt; &amp; &lt;b&gt;'
    )
    assert safe_pdf_text("a\x1b[31mred\x07") == "a[31mred"  # control characters dropped
    assert safe_pdf_text("line one\r\nline two") == "line one<br/>line two"
    assert safe_pdf_text("Zoë Ní Bhriain Søren Kowalczyk") == "Zoë Ní Bhriain Søren Kowalczyk"
    assert safe_pdf_text("校长 Zhang") == "?? Zhang"  # no glyph: shown, not a blank box


def test_cli_pdf_format_writes_a_two_page_board_brief(tiny_template, tmp_path):
    config = copy_district(tiny_template, tmp_path / "d")
    out = tmp_path / "brief.pdf"
    result = _run(
        [
            "export",
            "superintendent",
            "--format",
            "pdf",
            "--out",
            str(out),
            "--today",
            "2026-11-28",
            "-c",
            str(config),
        ]
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    first, trend = pdf_pages(out)
    assert "Data governance report to the superintendent — 2026Q4" in first
    for clause in (
        "Data Managers",
        "Confidential and Critical",
        "Using Online Services",
        "Training",
        "Data Retention and Deletion",
        "Litigation Hold",
        "Consequences",
    ):
        assert clause in first, clause
    assert "In brief" in first and "What needs a decision" in first
    # A hostile app name is printed as the text it is, markup and all.
    assert "=cmd|' /C calc'!A0" in first
    assert "Trend: the scorecard's figures per quarter" in trend
    assert "Shares (%) per quarter" in trend and "Counts per quarter" in trend  # the charts' titles


# ---------------------------------------------------------------- through the command line


def _run(args):
    result = CliRunner().invoke(app, args)
    return result


def test_cli_writes_an_owner_only_workbook_and_logs_the_export(tiny_template, tmp_path):
    config = copy_district(tiny_template, tmp_path / "d")
    out = tmp_path / "report.xlsx"
    result = _run(
        ["export", "superintendent", "--out", str(out), "--today", "2026-11-28", "-c", str(config)]
    )
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert list(pd.read_excel(out, sheet_name=None)) == list(SHEET_ORDER)
    cfg, store, _ = tiny_analysis(config)
    try:
        logged = audit.entries(store, action_prefix="export.superintendent")
        assert (
            len(logged) == 1
            and logged[0].details["format"] == "xlsx"
            and len(logged[0].details["sha256"]) == 64
        )
        assert audit.verify(store).ok
    finally:
        store.close()


def test_cli_csv_format_writes_one_safe_file_per_sheet(tiny_template, tmp_path):
    config = copy_district(tiny_template, tmp_path / "d")
    out = tmp_path / "sheets"
    result = _run(
        [
            "export",
            "superintendent",
            "--format",
            "csv",
            "--out",
            str(out),
            "--today",
            "2026-11-28",
            "-c",
            str(config),
        ]
    )
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in out.iterdir())
    assert names == [
        "01-summary.csv",
        "02-trend.csv",
        "03-remediation.csv",
        "04-findings.csv",
        "05-access-to-confidential-data.csv",
        "06-campaign-decisions.csv",
        "07-suspensions.csv",
        "08-data-inventory.csv",
        "09-training.csv",
        "10-apps.csv",
    ]
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in out.iterdir())
    findings = pd.read_csv(
        out / "04-findings.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False
    )
    assert len(findings) == 11
    assert "'=1+1" in set(findings["Person"])
    apps = pd.read_csv(out / "10-apps.csv", encoding="utf-8-sig", dtype=str, keep_default_na=False)
    assert EXPECTED_LITERALS[INJECTION_CORPUS[6]] in set(apps["App"])


def test_cli_json_format_is_one_document_with_raw_text(tiny_template, tmp_path):
    config = copy_district(tiny_template, tmp_path / "d")
    out = tmp_path / "report.json"
    result = _run(
        [
            "export",
            "superintendent",
            "--format",
            "json",
            "--out",
            str(out),
            "--today",
            "2026-11-28",
            "-c",
            str(config),
        ]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(out.read_text(encoding="utf-8"))
    assert list(doc["sheets"]) == list(SHEET_ORDER)
    assert doc["figures"]["people_with_confidential_access"] == 7
    assert len(doc["sheets"]["Findings"]) == 11
    assert "=1+1" in {
        row["Person"] for row in doc["sheets"]["Findings"]
    }  # JSON keeps the raw value
    assert stat.S_IMODE(out.stat().st_mode) == 0o600


def test_cli_rejects_an_unknown_format_in_one_line(tiny_template, tmp_path):
    config = copy_district(tiny_template, tmp_path / "d")
    result = _run(
        [
            "export",
            "superintendent",
            "--format",
            "ods",
            "--out",
            str(tmp_path / "x"),
            "-c",
            str(config),
        ]
    )
    assert result.exit_code == 1
    assert "unknown format 'ods'" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "x").exists()
