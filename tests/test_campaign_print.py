"""The review workbook as a principal sees it: rendered by LibreOffice to PDF (what printing
gives) for the demo reviewer with the most items.

The bound, stated: the busiest demo reviewer (160 rows, one resource) prints in at most
1 + ceil(rows / 16) landscape pages — one page of instructions, then at least 16 rows a page
(it is 9 pages today; before issue 16 it was one portrait page per 4 rows or so, with the
Decision column pages away from the Person). Every review page repeats the header row and
shows Person and Decision; no visible cell, and nothing printed, holds a record key or id;
every word of every visible cell is printed (rows tall enough for their wrapped text)."""

from __future__ import annotations

import math
import re
import subprocess
from pathlib import Path

import pytest
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from typer.testing import CliRunner

from access_review.cli import app
from access_review.store import Store
from campaigns.store import CampaignStore
from campaigns.workbook import HEADERS
from libreoffice import pdf_pages, run_libreoffice

runner = CliRunner()
ROWS_PER_PAGE_AT_LEAST = 16
# What a key or id looks like: record keys (ad:group:…), person keys, signed item keys, item
# numbers, the demo's employee ids.
KEY_LIKE = re.compile(
    r"\b[a-z][a-z0-9_.-]*:(account|group|resource|grant|role|app):|\bperson:|"
    r"\b\d+/I\d{4}/[0-9a-f]{64}\b|\bI\d{4}\b|\bE\d{5}\b"
)


def cli(config: Path, *args):
    result = runner.invoke(app, [*args, "--config", str(config)])
    assert result.exit_code == 0, result.output
    return result.output


def to_pdf(workbook: Path, out: Path) -> Path:
    proc = run_libreoffice([workbook], "pdf", out)
    pdf = out / (workbook.stem + ".pdf")
    assert pdf.exists(), (proc.stdout, proc.stderr)
    return pdf


def landscape_pages(pdf: Path) -> list[str]:
    """The text of each printed page, the pages checked to be landscape."""
    info = subprocess.run(  # noqa: S603 (poppler from PATH)
        ["pdfinfo", str(pdf)],  # noqa: S607 (poppler from PATH)
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    width, height = map(float, re.search(r"^Page size:\s+([\d.]+) x ([\d.]+)", info, re.M).groups())
    assert width > height, "landscape"
    return pdf_pages(pdf)


@pytest.fixture(scope="module")
def sent(tmp_path_factory, demo_template):
    """The demo campaign created and written with --out once; the busiest reviewer's workbook."""
    env = demo_template.copy_to(tmp_path_factory.mktemp("print") / "demo")
    cli(
        env.config_path,
        "campaign",
        "create",
        "--quarter",
        "2026Q4",
        "--today",
        str(env.district.as_of),
    )
    out = env.folder / "out"
    cli(env.config_path, "campaign", "send", "--out", str(out))
    with Store(env.config.store_path) as store:
        items = CampaignStore(store).items(1)
    counts: dict[str, int] = {}
    for i in items:
        counts[i.reviewer] = counts.get(i.reviewer, 0) + 1
    busiest = max(counts, key=counts.get)
    (workbook,) = out.glob(f"*-{busiest}.xlsx")
    return workbook, [i for i in items if i.reviewer == busiest], items


def visible_cells(ws):
    hidden = {
        col
        for col in range(1, len(HEADERS) + 1)
        if ws.column_dimensions[get_column_letter(col)].hidden
    }
    for row in ws.iter_rows(min_row=1, max_col=len(HEADERS)):
        for cell in row:
            if cell.column not in hidden and cell.value not in (None, ""):
                yield cell


def test_the_busiest_reviewers_workbook_prints_within_the_bound_with_person_and_decision_on_every_page(
    sent, tmp_path
):
    workbook, mine, _ = sent
    assert len(mine) == 161  # the busiest demo reviewer (the ISO as data manager)
    pages = landscape_pages(to_pdf(workbook, tmp_path))
    bound = 1 + math.ceil(len(mine) / ROWS_PER_PAGE_AT_LEAST)
    assert len(pages) <= bound, f"{len(pages)} pages for {len(mine)} rows (bound {bound})"
    assert "Please return this workbook by" in pages[0]
    for number, text in enumerate(pages[1:], 2):
        header = next(
            line for line in text.splitlines() if line.strip()
        )  # page header, then the column titles
        assert "Access review 2026Q4 for" in header, number
        assert re.search(r"Person\s+Title\s+Building.*Decision\s+Justification", text), number
        assert f"Page {number} of {len(pages)}" in text


def printed_in_pieces(word: str, printed_words: set[str]) -> bool:
    """The word is printed: whole, or — longer than its column, like a guest's
    ``…#EXT#@…onmicrosoft.com`` login — cut into pieces on consecutive lines, each printed."""
    if word in printed_words:
        return True
    return any(
        word[:i] in printed_words and printed_in_pieces(word[i:], printed_words)
        for i in range(len(word) - 1, 0, -1)
    )


def test_no_visible_cell_or_printed_text_holds_a_key_and_every_word_is_printed(sent, tmp_path):
    workbook, mine, _ = sent
    ws = load_workbook(workbook)["Review"]
    cells = list(visible_cells(ws))
    assert cells and not [c.value for c in cells if KEY_LIKE.search(str(c.value))]
    assert {ws.cell(1, c.column).value for c in cells} >= {
        "Person",
        "How they have access",
        "Recommendation",
        "Decision",
        "Justification",
    }
    printed = "\n".join(landscape_pages(to_pdf(workbook, tmp_path)))
    assert not KEY_LIKE.search(printed), KEY_LIKE.search(printed)
    split = re.compile(r"[\s\-/]+")  # LibreOffice may break a line after a hyphen or a slash
    words = set(split.split(printed))
    missing = [
        (c.coordinate, w)
        for c in cells
        for w in split.split(str(c.value))
        if w and not printed_in_pieces(w, words)
    ]
    assert not missing, missing[:10]  # a row too short would hide its last lines


def test_rows_are_flagged_first_then_by_person_in_plain_words(sent):
    workbook, mine, _ = sent
    ws = load_workbook(workbook)["Review"]
    col = {h: HEADERS.index(h) + 1 for h in HEADERS}
    rows = [
        {h: ws.cell(r, c).value or "" for h, c in col.items()} for r in range(2, ws.max_row + 1)
    ]
    flagged = [bool(r["Flags"]) for r in rows]
    assert flagged == sorted(flagged, reverse=True) and any(flagged)
    for group in (True, False):
        names = [r["Person"].casefold() for r, f in zip(rows, flagged) if f is group]
        assert names == sorted(names)
    assert all(r["Recommendation"].startswith(("Keep. ", "Revoke. ")) for r in rows)
    assert not [
        r
        for r in rows
        if "→" in r["How they have access"] or re.search(r"rule \d+:", r["Recommendation"])
    ]
    assert any(r["How they have access"].startswith("Member of the Entra ID group '") for r in rows)
    assert any(
        re.fullmatch(r"Keep\. Authorized: any employee \(inventory rule 1\)\.", r["Recommendation"])
        for r in rows
    )
    assert all(ws.row_dimensions[r].height for r in range(1, ws.max_row + 1))
