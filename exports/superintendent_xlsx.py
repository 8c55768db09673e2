"""The superintendent's report as a workbook: the first sheet is one printed landscape page
(scorecard, sentences, what needs a decision, the audit anchor); the trend sheet has a line
chart per kind of figure; the results by data manager and the detail sheets follow, each
printable (landscape, fit to width, header row repeated, rows as tall as their text).
"""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell.cell import Cell
from openpyxl.cell.rich_text import CellRichText, TextBlock
from openpyxl.cell.text import InlineFont
from openpyxl.chart import LineChart, Reference
from openpyxl.styles import Alignment, Border, Color, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from access_review.private_files import atomic_file

from .cells import spreadsheet_value
from .scorecard import GREY, MEASURE_BY_KEY, STATUS_WORDS, Unit, status_from_figures
from .sheet import (
    HEADER_FILL,
    HEADER_FONT,
    row_height,
    set_print_layout,
    wrapped_lines,
    write_worksheet,
)
from .superintendent import (
    REMEDIATION,
    SUMMARY,
    TITLE,
    TREND,
    SuperintendentReport,
    anchor_text,
    report_subtitle,
    trend_rows,
)

# Excel's own "Good / Neutral / Bad" cell styles: readable printed in colour or in grey,
# and the status word is always written beside the colour.
STATUS_FILL = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE", "grey": "E7E6E6"}
STATUS_FONT = {"green": "006100", "amber": "9C5700", "red": "9C0006", "grey": "3A3A3A"}

# Calibri is Excel's default; a font left unnamed is drawn in a serif by LibreOffice.
FONT = "Calibri"
TITLE_FONT = Font(name=FONT, bold=True, size=16, color="1F4E78")
SECTION_FONT = Font(name=FONT, bold=True, size=12, color="1F4E78")
NOTE_FONT = Font(name=FONT, size=9, color="595959")
BODY_FONT = Font(name=FONT, size=10)
TOP_WRAP = Alignment(vertical="top", wrap_text=True)
THIN = Side(style="thin", color="BFBFBF")
ROW_BORDER = Border(bottom=THIN)

# The first page: policy clause, what we measure, status, this quarter, last quarter, detail.
SUMMARY_WIDTHS = (30, 30, 16, 19, 15, 62)
SMALL_LINE = 12.5  # points per line of 9-10 point text


def _text(
    ws: Worksheet,
    row: int,
    col: int,
    value: object,
    font: Font | None = None,
    align: Alignment = TOP_WRAP,
) -> Cell:
    cell: Cell = ws.cell(
        row=row, column=col, value=spreadsheet_value(value)
    )  # (a MergedCell only inside a merge)
    if isinstance(cell.value, str):
        cell.quotePrefix = cell.value.startswith("'")
    if font is not None:
        cell.font = font
    cell.alignment = align
    return cell


def _merged_text(ws: Worksheet, row: int, text: str, font: Font, line: float) -> None:
    """One paragraph across the page, its row as tall as the wrapped text."""
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(SUMMARY_WIDTHS))
    _text(ws, row, 1, text, font)
    # Merged cells are never sized by a spreadsheet; 10-point text fits ~1.1 characters per unit.
    width = sum(SUMMARY_WIDTHS) * (1.1 if font.sz and font.sz <= 10 else 1.0)
    ws.row_dimensions[row].height = wrapped_lines(text, width) * line + 4


def _status_cell(
    ws: Worksheet, row: int, col: int, status: str | None, text: str, *, filled: bool
) -> None:
    cell = _text(
        ws,
        row,
        col,
        text,
        Font(name=FONT, bold=filled, size=10, color=STATUS_FONT.get(status or GREY)),
        Alignment(vertical="top", horizontal="center" if filled else "left", wrap_text=True),
    )
    if filled and status:
        cell.fill = PatternFill("solid", fgColor=STATUS_FILL[status])


def write_summary(ws: Worksheet, report: SuperintendentReport) -> None:
    sc = report.scorecard
    ws.sheet_view.showGridLines = False
    for index, width in enumerate(SUMMARY_WIDTHS, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(SUMMARY_WIDTHS))
    _text(ws, 1, 1, f"{TITLE} — {sc.quarter}", TITLE_FONT, Alignment(vertical="center"))
    ws.row_dimensions[1].height = 24
    _merged_text(ws, 2, report_subtitle(report), NOTE_FONT, SMALL_LINE)

    row = 4
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
    _text(ws, row, 1, "Policy scorecard", SECTION_FONT)
    row += 1
    headers = (
        "Policy (clause)",
        "What we measure",
        "Status",
        "This quarter",
        f"Last quarter ({sc.last_quarter})" if sc.last_quarter else "Last quarter",
        "What lies behind it",
    )
    for col, title in enumerate(headers, start=1):
        cell = _text(ws, row, col, title, HEADER_FONT)
        cell.fill = HEADER_FILL
    header_row = row
    for r in sc.rows:
        row += 1
        clause = CellRichText(
            [
                TextBlock(InlineFont(rFont=FONT, b=True, sz=10), r.measure.clause + "\n"),
                TextBlock(InlineFont(rFont=FONT, sz=9, color=Color("595959")), r.measure.asks),
            ]
        )
        ws.cell(row=row, column=1, value=clause).alignment = TOP_WRAP
        _text(ws, row, 2, r.measure.label, BODY_FONT)
        _status_cell(ws, row, 3, r.status, STATUS_WORDS[r.status], filled=True)
        _text(ws, row, 4, r.shown, Font(name=FONT, bold=True, size=10))
        _status_cell(ws, row, 5, r.last_status, r.last_shown or "—", filled=False)
        _text(ws, row, 6, r.detail, BODY_FONT)
        for col in range(1, len(SUMMARY_WIDTHS) + 1):
            ws.cell(row=row, column=col).border = ROW_BORDER
        # 10-point Calibri fits about 1.2 characters per unit of column width, 9-point about 1.35.
        ws.row_dimensions[row].height = 4 + max(
            13 + 11.5 * wrapped_lines(r.measure.asks, SUMMARY_WIDTHS[0] * 1.35),
            13 * wrapped_lines(r.measure.label, SUMMARY_WIDTHS[1] * 1.2),
            13 * wrapped_lines(r.detail, SUMMARY_WIDTHS[5] * 1.2),
            13 * wrapped_lines(r.shown, SUMMARY_WIDTHS[3] * 1.2),
        )

    # The sentences (columns A-C) beside what needs a decision (D-F): a landscape page is wide.
    row += 2
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
    ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=len(SUMMARY_WIDTHS))
    _text(ws, row, 1, "In brief", SECTION_FONT)
    _text(ws, row, 4, "What needs a decision", SECTION_FONT)
    decisions = [
        f"{n}. {d.text} (policy: {d.topic})" for n, d in enumerate(report.decisions, start=1)
    ]
    if not decisions:
        decisions = ["Nothing this quarter: the ISO can close every open item."]
    if report.more_decisions:
        decisions.append(f"… and {report.more_decisions} more: see the Findings sheet.")
    left_width, right_width = sum(SUMMARY_WIDTHS[:3]) * 1.2, sum(SUMMARY_WIDTHS[3:]) * 1.2
    for index in range(max(len(report.sentences), len(decisions))):
        row += 1
        sentence = f"• {report.sentences[index]}" if index < len(report.sentences) else ""
        decision = decisions[index] if index < len(decisions) else ""
        ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=3)
        ws.merge_cells(start_row=row, start_column=4, end_row=row, end_column=len(SUMMARY_WIDTHS))
        _text(ws, row, 1, sentence, BODY_FONT)
        _text(ws, row, 4, decision, BODY_FONT)
        # Merged cells are never sized by a spreadsheet: the writer sets the height.
        ws.row_dimensions[row].height = (
            max(wrapped_lines(sentence, left_width), wrapped_lines(decision, right_width)) * 13 + 3
        )
    row += 2
    # The audit log's head as label / value rows (columns A and B), the form the keyed log's
    # `audit verify --expect HASH:COUNT` (issue 15) reads back from this sheet.
    a = report.anchor
    _text(ws, row, 1, "Audit log", Font(name=FONT, bold=True, size=9, color="1F4E78"))
    ws.merge_cells(start_row=row, start_column=3, end_row=row, end_column=len(SUMMARY_WIDTHS))
    _text(
        ws,
        row,
        3,
        "Keep this page: a later check of the audit log must still find this entry with this"
        " hash (the anchor).",
        NOTE_FONT,
    )
    for label, value in (
        ("Entries when this report was made", a.entries),
        (
            "Hash chain",
            "intact (hash chain verified)" if a.verified else f"NOT VERIFIED: {a.problem}",
        ),
        ("Anchor: check later with  access-review audit verify --expect ANCHOR", anchor_text(a)),
    ):
        row += 1
        _text(ws, row, 1, label, NOTE_FONT)
        # not wrapped: the 70-character anchor reads on one line across the empty columns beside it
        _text(
            ws, row, 2, value, Font(name=FONT, size=9), Alignment(vertical="top", horizontal="left")
        )
        ws.row_dimensions[row].height = wrapped_lines(label, SUMMARY_WIDTHS[0] * 1.35) * 11.5 + 2
    ws.print_area = f"A1:{get_column_letter(len(SUMMARY_WIDTHS))}{row}"
    set_print_layout(ws, one_page=True, title_rows=None)
    ws.freeze_panes = None
    ws.sheet_view.zoomScale = 100
    ws.row_dimensions[header_row].height = 2 * SMALL_LINE + 4


CHART_CM, CHART_HEIGHT_CM = 15, 10
DEFAULT_WIDTH = 8.43  # a column's width when none is set


def _column_cm(width: float) -> float:
    """A column width (characters of Calibri 11) in centimetres: 7 pixels a character plus 5
    of padding, at 96 pixels an inch."""
    return (7 * width + 5) / 96 * 2.54


def _column_at(widths: list[float], cm: float) -> int:
    """The first column (1-based) starting at or beyond ``cm`` from the sheet's left edge."""
    edge = 0.0
    for index, width in enumerate(widths, start=1):
        if edge >= cm:
            return index
        edge += _column_cm(width)
    return len(widths) + 1


def write_trend(ws: Worksheet, report: SuperintendentReport) -> None:
    """The figures per quarter (status colours on the headline ones), and a line chart for the
    shares and one for the counts. The charts read a numbers-only copy of the table beside
    it (a text such as "not measured" would be drawn as zero)."""
    trend = report.trend
    thresholds = report.thresholds
    ws.sheet_view.showGridLines = False
    last_col = 1 + len(trend)
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=max(last_col, 6))
    _text(
        ws,
        1,
        1,
        "Trend: the scorecard's figures per quarter",
        TITLE_FONT,
        Alignment(vertical="center"),
    )
    ws.row_dimensions[1].height = 24
    note = "Each quarter shows the figures of the last report built in it. " + (
        "Quarters marked (demo) were generated by the demo, not measured."
        if any(q.origin == "demo" for q in trend)
        else ""
    )
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(last_col, 6))
    _text(ws, 2, 1, note, NOTE_FONT)
    sheet = report.sheet(TREND)
    header = 4
    for col, column in enumerate(sheet.columns, start=1):
        cell = _text(ws, header, col, column.title, HEADER_FONT)
        cell.fill = HEADER_FILL
        ws.column_dimensions[get_column_letter(col)].width = column.width
    ws.row_dimensions[header].height = row_height([(c.title, c.width) for c in sheet.columns])
    rows = trend_rows()
    for offset, ((key, label, unit), values) in enumerate(zip(rows, sheet.rows), start=1):
        r = header + offset
        _text(ws, r, 1, label, BODY_FONT)
        for col, (q, shown) in enumerate(zip(trend, values[1:]), start=2):
            if key in MEASURE_BY_KEY:
                _status_cell(
                    ws, r, col, status_from_figures(key, q.figures, thresholds), shown, filled=True
                )
            else:
                _text(ws, r, col, shown, BODY_FONT, Alignment(vertical="top", horizontal="center"))
        ws.row_dimensions[r].height = row_height([(label, sheet.columns[0].width * 1.2)])
    table_end = header + len(rows)

    # Two charts side by side under the table; the print area ends where the second one does.
    widths = [
        sheet.columns[c].width if c < len(sheet.columns) else DEFAULT_WIDTH for c in range(60)
    ]
    second_chart_col = _column_at(widths, CHART_CM + 0.5)
    print_end_col = _column_at(widths, 2 * CHART_CM + 1.0)
    # The charts' numbers, right of the printed area.
    data_col = print_end_col + 3
    _text(
        ws,
        header - 1,
        data_col,
        "Figures for the charts (blank = not measured)",
        NOTE_FONT,
        Alignment(vertical="top"),
    )
    for col, q in enumerate(trend, start=data_col + 1):
        ws.cell(row=header, column=col, value=q.quarter)
    blocks: dict[Unit, list[tuple[str, str]]] = {"percent": [], "count": []}
    for key, label, unit in rows:
        if unit in blocks and key not in ("audit_entries",):
            blocks[unit].append((key, label))
    r = header
    anchors = {
        "percent": f"A{table_end + 3}",
        "count": f"{get_column_letter(second_chart_col)}{table_end + 3}",
    }
    titles = {"percent": "Shares (%) per quarter", "count": "Counts per quarter"}
    for unit, block in blocks.items():
        first = r + 1
        for key, label in block:
            r += 1
            ws.cell(row=r, column=data_col, value=label)
            for col, q in enumerate(trend, start=data_col + 1):
                ws.cell(row=r, column=col, value=q.figures.get(key))
        chart = LineChart()
        chart.title = titles[unit]
        chart.add_data(
            Reference(
                ws, min_col=data_col, max_col=data_col + len(trend), min_row=first, max_row=r
            ),
            from_rows=True,
            titles_from_data=True,
        )
        chart.set_categories(
            Reference(
                ws,
                min_col=data_col + 1,
                max_col=data_col + len(trend),
                min_row=header,
                max_row=header,
            )
        )
        # openpyxl 3.1 writes axes as deleted unless told otherwise; a trend needs both.
        chart.x_axis.delete = False
        chart.y_axis.delete = False
        chart.y_axis.scaling.min = 0
        if unit == "percent":
            chart.y_axis.scaling.max = 100
        for series in chart.series:
            series.marker.symbol = "circle"
            series.smooth = False
        if chart.legend is not None:  # (a new chart has one; the stubs allow none)
            chart.legend.position = "b"
        chart.height, chart.width = CHART_HEIGHT_CM, CHART_CM
        ws.add_chart(chart, anchors[unit])
    chart_rows = int(CHART_HEIGHT_CM / 0.53) + 1  # default rows are 15 points, 0.53 cm
    ws.print_area = f"A1:{get_column_letter(print_end_col)}{table_end + 3 + chart_rows}"
    set_print_layout(ws, one_page=True, title_rows=None)


def write_remediation(ws: Worksheet, report: SuperintendentReport) -> None:
    sheet = report.sheet(REMEDIATION)
    write_worksheet(ws, sheet)
    if sheet.rows:  # the last row is the total over every data manager
        for cell in ws[len(sheet.rows) + 1]:
            cell.font = Font(name=FONT, bold=True)
            cell.border = Border(top=Side(style="thin"))


def build_workbook(report: SuperintendentReport) -> Workbook:
    wb = Workbook()
    summary = wb.active
    if not isinstance(
        summary, Worksheet
    ):  # (a new workbook starts with a worksheet; the stubs allow none)
        raise TypeError("openpyxl gave a new workbook no worksheet")
    summary.title = SUMMARY
    write_summary(summary, report)
    write_trend(wb.create_sheet(TREND), report)
    write_remediation(wb.create_sheet(REMEDIATION), report)
    for sheet in report.sheets:
        if sheet.name not in (TREND, REMEDIATION):
            write_worksheet(wb.create_sheet(sheet.name), sheet)
    return wb


def write_workbook(report: SuperintendentReport, path: str | Path) -> Path:
    wb = build_workbook(report)
    with atomic_file(path) as fh:
        wb.save(fh)
    return Path(path)
