"""The board brief: the report's first page and its trend as a two-page PDF (landscape US
Letter), charts included. The workbook stays the full report.

Written with ReportLab (BSD licence, maintained by ReportLab Inc. since 2000, regular
releases): it lays out text, tables and line charts in pure Python with no system library
(an HTML-to-PDF route such as WeasyPrint needs Pango; matplotlib would be a second heavy
dependency just for two charts), and embeds a TrueType font so names with accents print.

Every value from data is made safe for the page: ReportLab reads Paragraph text as markup,
so ``<`` and ``&`` are escaped; control characters are dropped; a character the font cannot
draw becomes "?" rather than an empty box.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO, Callable
from xml.sax.saxutils import escape

from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import landscape, letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus.doctemplate import BaseDocTemplate
from reportlab.platypus.flowables import Flowable
from reportlab.platypus import (
    KeepInFrame,
    PageBreak,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from access_review.private_files import atomic_file

from .scorecard import MEASURE_BY_KEY, STATUS_WORDS, shown_value, status_from_figures
from .superintendent import TITLE, SuperintendentReport, anchor_text, report_subtitle, trend_rows

PAGE = landscape(letter)
MARGIN = 36
FRAME_WIDTH = PAGE[0] - 2 * MARGIN
FRAME_HEIGHT = PAGE[1] - 2 * MARGIN - 14  # room for the footer
TREND_QUARTERS = 8  # the brief shows the latest eight; the workbook has all

STATUS_FILL = {"green": "#C6EFCE", "amber": "#FFEB9C", "red": "#FFC7CE", "grey": "#E7E6E6"}
STATUS_INK = {"green": "#006100", "amber": "#9C5700", "red": "#9C0006", "grey": "#3A3A3A"}
BLUE = colors.HexColor("#1F4E78")
SERIES_COLOURS = ("#1F4E78", "#C00000", "#548235", "#BF8F00", "#7030A0", "#2E75B6", "#7F7F7F")

# DejaVu Sans (Debian's fonts-dejavu-core, most Linux desktops) covers Latin, Greek, Cyrillic
# and more; ReportLab's own Bitstream Vera, from which DejaVu grew, is the fallback.
FONT_CANDIDATES = (
    (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    ("/usr/share/fonts/dejavu/DejaVuSans.ttf", "/usr/share/fonts/dejavu/DejaVuSans-Bold.ttf"),
    ("/usr/local/share/fonts/DejaVuSans.ttf", "/usr/local/share/fonts/DejaVuSans-Bold.ttf"),
)
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@lru_cache(maxsize=1)
def _fonts() -> tuple[str, str, frozenset[int]]:
    """(regular, bold, the code points the regular font can draw)."""
    for regular, bold in FONT_CANDIDATES:
        if Path(regular).is_file() and Path(bold).is_file():
            break
    else:
        regular, bold = "Vera.ttf", "VeraBd.ttf"  # shipped inside reportlab/fonts
    regular_font = TTFont("BriefSans", regular)
    pdfmetrics.registerFont(regular_font)
    pdfmetrics.registerFont(TTFont("BriefSans-Bold", bold))
    pdfmetrics.registerFontFamily(
        "BriefSans",
        normal="BriefSans",
        bold="BriefSans-Bold",
        italic="BriefSans",
        boldItalic="BriefSans-Bold",
    )
    return "BriefSans", "BriefSans-Bold", frozenset(regular_font.face.charToGlyph)


def safe_pdf_text(value: object) -> str:
    """Any value as Paragraph text: no markup, no control characters, nothing undrawable."""
    _, _, drawable = _fonts()
    text = _CONTROL.sub("", str(value).replace("\r\n", "\n").replace("\r", "\n").replace("\t", " "))
    text = "".join(ch if ch == "\n" or ord(ch) in drawable else "?" for ch in text)
    return escape(text).replace("\n", "<br/>")


def _styles() -> dict[str, ParagraphStyle]:
    regular, bold, _ = _fonts()
    return {
        "title": ParagraphStyle("title", fontName=bold, fontSize=16, leading=19, textColor=BLUE),
        "note": ParagraphStyle(
            "note",
            fontName=regular,
            fontSize=7.5,
            leading=9.5,
            textColor=colors.HexColor("#595959"),
        ),
        "section": ParagraphStyle(
            "section",
            fontName=bold,
            fontSize=11,
            leading=14,
            textColor=BLUE,
            spaceBefore=6,
            spaceAfter=3,
        ),
        "cell": ParagraphStyle("cell", fontName=regular, fontSize=8, leading=9.8),
        "clause": ParagraphStyle("clause", fontName=regular, fontSize=8, leading=9),
        "cell_bold": ParagraphStyle("cell_bold", fontName=bold, fontSize=8, leading=9.8),
        "header": ParagraphStyle(
            "header", fontName=bold, fontSize=8, leading=9.8, textColor=colors.white
        ),
        "status": ParagraphStyle(
            "status", fontName=bold, fontSize=8, leading=9.8, alignment=TA_CENTER
        ),
        "body": ParagraphStyle(
            "body",
            fontName=regular,
            fontSize=9,
            leading=11.5,
            leftIndent=12,
            bulletIndent=0,
            spaceAfter=2,
        ),
    }


def _p(text: object, style: ParagraphStyle, colour: str | None = None) -> Paragraph:
    body = safe_pdf_text(text)
    return Paragraph(f'<font color="{colour}">{body}</font>' if colour else body, style)


# ---------------------------------------------------------------- page 1: the scorecard


def _first_page(report: SuperintendentReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    sc = report.scorecard
    flow: list[Flowable] = [
        _p(f"{TITLE} — {sc.quarter}", st["title"]),
        _p(report_subtitle(report), st["note"]),
        Spacer(1, 4),
        _p("Policy scorecard", st["section"]),
    ]
    header = [
        "Policy (clause)",
        "What we measure",
        "Status",
        "This quarter",
        f"Last quarter ({sc.last_quarter})" if sc.last_quarter else "Last quarter",
        "What lies behind it",
    ]
    rows = [[_p(h, st["header"]) for h in header]]
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, colors.HexColor("#BFBFBF")),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
    ]
    for index, r in enumerate(sc.rows, start=1):
        clause = Paragraph(
            f"<b>{safe_pdf_text(r.measure.clause)}</b><br/>"
            f'<font size="7" color="#595959">{safe_pdf_text(r.measure.asks)}</font>',
            st["clause"],
        )
        rows.append(
            [
                clause,
                _p(r.measure.label, st["cell"]),
                _p(STATUS_WORDS[r.status], st["status"], STATUS_INK[r.status]),
                _p(r.shown, st["cell_bold"]),
                _p(
                    r.last_shown or "—",
                    st["cell"],
                    STATUS_INK[r.last_status] if r.last_status else None,
                ),
                _p(r.detail, st["cell"]),
            ]
        )
        style.append(("BACKGROUND", (2, index), (2, index), colors.HexColor(STATUS_FILL[r.status])))
    widths = [178, 122, 66, 90, 70, FRAME_WIDTH - 526]
    flow.append(Table(rows, colWidths=widths, style=TableStyle(style), repeatRows=1, hAlign="LEFT"))
    # The sentences and the decisions side by side: a landscape page is wide, not tall.
    brief = [_p("In brief", st["section"])]
    brief += [Paragraph(safe_pdf_text(s), st["body"], bulletText="•") for s in report.sentences]
    decide = [_p("What needs a decision", st["section"])]
    if not report.decisions:
        decide.append(_p("Nothing this quarter: the ISO can close every open item.", st["body"]))
    for number, d in enumerate(report.decisions, start=1):
        decide.append(
            Paragraph(
                f"{safe_pdf_text(d.text)} "
                f'<font color="#595959">(policy: {safe_pdf_text(d.topic)})</font>',
                st["body"],
                bulletText=f"{number}.",
            )
        )
    if report.more_decisions:
        decide.append(
            _p(
                f"… and {report.more_decisions} more: see the workbook's Findings sheet.",
                st["note"],
            )
        )
    half = FRAME_WIDTH / 2
    flow.append(
        Table(
            [[brief, decide]],
            colWidths=[half, half],
            hAlign="LEFT",
            style=TableStyle(
                [
                    ("VALIGN", (0, 0), (-1, -1), "TOP"),
                    ("LEFTPADDING", (0, 0), (0, 0), 0),
                    ("RIGHTPADDING", (0, 0), (0, 0), 10),
                    ("LEFTPADDING", (1, 0), (1, 0), 10),
                ]
            ),
        )
    )
    a = report.anchor
    flow += [
        Spacer(1, 6),
        _p(
            f"Audit log anchor: {anchor_text(a)} ({a.entries:,} entries when this report was made;"
            f" hash chain {'intact' if a.verified else 'NOT VERIFIED: ' + a.problem}). Keep this"
            " page: a later check of the log must still find this entry with this hash.",
            st["note"],
        ),
    ]
    return flow


# ---------------------------------------------------------------- page 2: the trend


def _chart(
    title: str, quarters: list[str], series: list[tuple[str, list[float | None]]], percent: bool
) -> Drawing:
    regular, bold, _ = _fonts()
    drawing = Drawing(FRAME_WIDTH / 2 - 8, 250)
    chart = HorizontalLineChart()
    # (reportlab takes any number for a size; its stubs say int.)
    chart.x, chart.y, chart.width, chart.height = 36, 96, FRAME_WIDTH / 2 - 60, 130  # type: ignore[assignment]
    chart.data = [tuple(v for v in values) for _, values in series] or [tuple(0 for _ in quarters)]
    chart.categoryAxis.categoryNames = quarters
    chart.categoryAxis.labels.fontName = regular
    chart.categoryAxis.labels.fontSize = 7
    chart.valueAxis.labels.fontName = regular
    chart.valueAxis.labels.fontSize = 7
    chart.valueAxis.valueMin = 0
    top = max((v for _, values in series for v in values if v is not None), default=0)
    chart.valueAxis.valueMax = 100 if percent else max(5, int(top) + 1)
    chart.valueAxis.valueStep = 20 if percent else max(1, (max(5, int(top) + 1)) // 5)
    # Joined per series: a series with fewer than two figures (one quarter, or quarters not
    # measured) is drawn as its points alone — ReportLab refuses a one-point line.
    chart.joinedLines = 0
    for index, (_, values) in enumerate(series):
        colour = colors.HexColor(SERIES_COLOURS[index % len(SERIES_COLOURS)])
        if sum(v is not None for v in values) >= 2:
            chart.lines[index].lineStyle = "joinedLine"
        chart.lines[index].strokeColor = colour
        chart.lines[index].strokeWidth = 1.6
        chart.lines[index].symbol = makeMarker(
            "FilledCircle", fillColor=colour, strokeColor=colour, size=4
        )
    drawing.add(chart)
    drawing.add(String(chart.x, 238, title, fontName=bold, fontSize=9, fillColor=BLUE))
    legend = Legend()  # one column under the chart: the labels are long
    legend.x, legend.y = chart.x, 74
    legend.alignment = "right"
    legend.fontName, legend.fontSize = regular, 7
    legend.columnMaximum = 10
    legend.dx, legend.dy, legend.deltay = 8, 6, 9
    legend.colorNamePairs = [
        (
            colors.HexColor(SERIES_COLOURS[i % len(SERIES_COLOURS)]),
            safe_pdf_text(label).replace("&amp;", "&"),
        )
        for i, (label, _) in enumerate(series)
    ]
    drawing.add(legend)
    return drawing


def _trend_page(report: SuperintendentReport, st: dict[str, ParagraphStyle]) -> list[Flowable]:
    trend = list(report.trend)[-TREND_QUARTERS:]
    quarters = [q.quarter + (" (demo)" if q.origin == "demo" else "") for q in trend]
    flow: list[Flowable] = [
        _p("Trend: the scorecard's figures per quarter", st["title"]),
        _p(
            "Each quarter shows the figures of the last report built in it."
            + (
                " Quarters marked (demo) were generated by the demo, not measured."
                if any(q.origin == "demo" for q in trend)
                else ""
            )
            + (
                f" The workbook's Trend sheet has all {len(report.trend)} quarters."
                if len(report.trend) > TREND_QUARTERS
                else ""
            ),
            st["note"],
        ),
        Spacer(1, 6),
    ]
    rows = [[_p("Measure", st["header"]), *(_p(q, st["header"]) for q in quarters)]]
    style: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, colors.HexColor("#BFBFBF")),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
    ]
    for r_index, (key, label, unit) in enumerate(trend_rows(), start=1):
        row = [_p(label, st["cell"])]
        for c_index, q in enumerate(trend, start=1):
            if key in MEASURE_BY_KEY:
                status = status_from_figures(key, q.figures, report.thresholds)
                row.append(
                    _p(shown_value(unit, q.figures.get(key), key), st["status"], STATUS_INK[status])
                )
                style.append(
                    (
                        "BACKGROUND",
                        (c_index, r_index),
                        (c_index, r_index),
                        colors.HexColor(STATUS_FILL[status]),
                    )
                )
            else:
                row.append(_p(shown_value(unit, q.figures.get(key), key), st["status"]))
        rows.append(row)
    quarter_width = min(80, (FRAME_WIDTH - 260) / max(1, len(trend)))
    flow.append(
        Table(
            rows,
            colWidths=[260, *([quarter_width] * len(trend))],
            style=TableStyle(style),
            hAlign="LEFT",
        )
    )
    percent_series = [
        (label, [q.figures.get(key) for q in trend])
        for key, label, unit in trend_rows()
        if unit == "percent"
    ]
    count_series = [
        (label, [q.figures.get(key) for q in trend])
        for key, label, unit in trend_rows()
        if unit == "count" and key != "audit_entries"
    ]
    charts = Table(
        [
            [
                _chart("Shares (%) per quarter", quarters, percent_series, True),
                _chart("Counts per quarter", quarters, count_series, False),
            ]
        ],
        colWidths=[FRAME_WIDTH / 2, FRAME_WIDTH / 2],
    )
    flow += [Spacer(1, 8), charts]
    return flow


def _footer(report: SuperintendentReport) -> Callable[[Canvas, BaseDocTemplate], None]:
    regular, _, _ = _fonts()

    def draw(canvas: Canvas, doc: BaseDocTemplate) -> None:
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#595959"))
        canvas.drawString(
            MARGIN,
            MARGIN / 2,
            f"Board brief {report.scorecard.quarter} · access-review · confidential",
        )
        canvas.drawRightString(PAGE[0] - MARGIN, MARGIN / 2, f"Page {doc.page} of 2")
        canvas.restoreState()

    return draw


def build_board_brief(report: SuperintendentReport, out: BinaryIO) -> None:
    """Two pages, each shrunk to fit if it must: a brief never spills onto a third page."""
    st = _styles()
    doc = SimpleDocTemplate(
        out,
        pagesize=PAGE,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 10,
        title=f"{TITLE} — {report.scorecard.quarter}",
        author="access-review",
        subject="Data governance board brief",
    )
    story = [
        KeepInFrame(FRAME_WIDTH, FRAME_HEIGHT, _first_page(report, st), mode="shrink"),
        PageBreak(),
        KeepInFrame(FRAME_WIDTH, FRAME_HEIGHT, _trend_page(report, st), mode="shrink"),
    ]
    footer = _footer(report)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)


def write_board_brief(report: SuperintendentReport, path: str | Path) -> Path:
    with atomic_file(path) as fh:
        build_board_brief(report, fh)
    return Path(path)
