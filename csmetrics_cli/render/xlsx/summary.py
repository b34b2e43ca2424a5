"""The Summary sheet: one printed page with the title, period and data source, the headline
KPIs (with the previous period and the change under --compare) and the charts beside them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from openpyxl.chart import LineChart
from openpyxl.drawing.spreadsheet_drawing import AnchorMarker, TwoCellAnchor
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.worksheet import Worksheet

from csmetrics_cli.metrics.catalog import BY_ID
from csmetrics_cli.render.cells import is_null
from csmetrics_cli.render.xlsx.charts import Chart
from csmetrics_cli.render.xlsx.sheet import (
    BAD,
    FONT,
    MUTED,
    WRAP,
    cell_value,
    change_font,
    change_format,
    fit_columns,
    header,
    number_format,
    print_to_width,
)

if TYPE_CHECKING:
    from csmetrics_cli.api import ReportResult

HEADLINE = ("mrr", "arr", "customers_end", "customer_churn_rate", "net_revenue_retention",
            "gross_revenue_retention", "nps", "csat", "customer_health_score",
            "at_risk_mrr")  # fmt: skip
SHOWN_PERIODS = 6  # a trend shows its last periods here; the family sheets have them all
TITLE = Font(name=FONT, bold=True, size=16, color="1F4E79")
KPI = Font(name=FONT, size=11)
CHART_COLUMN_WIDTH = 10.0
CHART_COLUMNS = 8  # columns a chart right of the table spans
CHART_ROWS = 21  # rows a chart spans
GRID_GAP = 1  # rows between charts


def _lines(result: ReportResult, shown: list[str]) -> list[tuple[str, Font | None]]:
    """The caption under the title: periods, data source, rows used, warnings."""
    periods = result.periods
    span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
    text = f"Period: {span}" if len(periods) == 1 else f"Periods: {span} ({len(periods)})"
    if result.previous_label:
        text += f", compared with {result.previous_label}"
    lines: list[tuple[str, Font | None]] = [(text, None)]
    through = result.data_through
    source = f"Data: {result.data}"
    if through.get("last"):
        source += f", data through {through['last']} (from {through['first']})"
    lines.append((source, None))
    lines.append((result.definitions.header(), MUTED))
    tables = result.data_quality.get("tables", [])
    if tables:
        read = sum(t["rows_read"] for t in tables)
        excluded = sum(t["rows_excluded"] for t in tables)
        issues = len(result.data_quality.get("issues", []))
        lines.append((f"Rows: {read:,} read from {len(tables)} tables, {excluded:,} excluded,"
                      f" {issues:,} issues (see Data quality)", MUTED))  # fmt: skip
    if len(shown) < len(periods):
        lines.append((f"Showing the last {len(shown)} of {len(periods)} periods; every period"
                      " is on the family sheets", MUTED))  # fmt: skip
    if result.segment_by:
        lines.append((f"All customers here; each {result.segment_by} is on the family sheets",
                      MUTED))  # fmt: skip
    lines += [(f"Warning: {w}", BAD) for w in result.warnings]
    return lines


def _kpis(result: ReportResult, shown: list[str]) -> list[dict[str, object]]:
    """The headline metrics with a value in some shown period: values, change, notes."""
    frame = result.frame
    rows = frame[frame["segment"].isna() & frame["item"].isna() & frame["metric"].isin(HEADLINE)]
    fields = [f for f in ("value", "previous", "change", "note") if f in rows.columns]
    by_key = {
        (m, p): dict(zip(fields, v, strict=True))
        for m, p, *v in zip(rows["metric"], rows["period"], *(rows[f] for f in fields), strict=True)
    }
    out = []
    for metric in HEADLINE:
        cells = [by_key.get((metric, p), {}) for p in shown]
        if not any(not is_null(c.get("value")) for c in cells):
            continue
        notes = [(p, c.get("note")) for p, c in zip(shown, cells, strict=True)
                 if is_null(c.get("value")) and not is_null(c.get("note"))]  # fmt: skip
        note = "; ".join(f"{p}: {n}" if len(shown) > 1 else str(n) for p, n in notes)
        out.append({"metric": metric, "values": [c.get("value") for c in cells],
                    "previous": cells[-1].get("previous"), "change": cells[-1].get("change"),
                    "note": note or None})  # fmt: skip
    return out


def _title(result: ReportResult) -> str:
    periods = result.periods
    span = periods[0] if len(periods) == 1 else f"{periods[0]} to {periods[-1]}"
    return f"Customer success report: {span}" + (
        f" by {result.segment_by}" if result.segment_by else "")  # fmt: skip


def summary_sheet(ws: Worksheet, result: ReportResult, charts: list[Chart], currency: str) -> None:
    """Fill the Summary and set it to print on one page."""
    shown = result.periods[-SHOWN_PERIODS:]
    compare = "previous" in result.frame.columns
    single = len(shown) == 1
    kpis = _kpis(result, shown)
    noted = any(k["note"] for k in kpis)
    ws.sheet_view.showGridLines = False
    ws.cell(1, 1, cell_value(_title(result))).font = TITLE
    for row, (text, font) in enumerate(_lines(result, shown), start=2):
        ws.cell(row, 1, cell_value(text)).font = font or KPI
    head = ws.max_row + 2
    labels: list[str] = ["KPI", *shown]
    if compare and single:
        labels.append(result.previous_label or "Previous")
    if compare:
        labels.append("Change" if single else f"Change vs {result.previous_periods[-1]}")
    header(ws, head, [*labels, *(["Note"] if noted else [])], range(2, len(labels) + 1))
    for r, kpi in enumerate(kpis, start=head + 1):
        _kpi_row(ws, r, kpi, compare and single, compare, currency)
    end = max(ws.max_row, head)
    fit_columns(ws, min_row=head)
    ws.cell(end + 2, 1, "Definitions of every metric: the Definitions sheet").font = MUTED
    least = [28.0, *[12.0] * (len(labels) - 1), *([34.0] if noted else [])]
    widths = []
    for i, width in enumerate(least, start=1):
        column = ws.column_dimensions[get_column_letter(i)]
        column.width = width if noted and i == len(least) else max(width, column.width or 0)
        widths.append(column.width)
    last_col, last_row = _place_charts(ws, charts, len(widths), end + 3)
    ws.print_area = f"A1:{get_column_letter(last_col)}{max(last_row, end + 2)}"
    ws.page_margins = PageMargins(left=0.4, right=0.4, top=0.5, bottom=0.5)
    width = sum(widths) + (last_col - len(widths)) * CHART_COLUMN_WIDTH
    print_to_width(ws, landscape=width > 100, pages_high=1)


def _kpi_row(
    ws: Worksheet, r: int, kpi: dict[str, object], previous: bool, change: bool, currency: str
) -> None:
    """One headline metric: its name, values by unit, previous, a coloured change, note."""
    spec = BY_ID[str(kpi["metric"])]
    values = [*kpi["values"], *([kpi["previous"]] if previous else [])]  # type: ignore[misc]
    cells = [spec.name, *values, *([kpi["change"]] if change else []), kpi["note"]]
    for c, value in enumerate(cells, start=1):
        ws.cell(r, c, cell_value(value)).font = KPI
    fmt = number_format(spec.unit, currency)
    for c in range(2, 2 + len(values)):
        ws.cell(r, c).number_format = fmt
    if change:
        cell = ws.cell(r, 2 + len(values))
        cell.number_format = change_format(spec.unit, currency)
        cell.font = change_font(kpi["change"], spec.better) or KPI
    ws.cell(r, len(cells)).alignment = WRAP


def _place_charts(
    ws: Worksheet, charts: list[Chart], table_cols: int, below: int
) -> tuple[int, int]:
    """Anchor the charts over cell ranges (so they fill the print area in any spreadsheet):
    two or three in a column right of the table, the MRR trend (or else the last chart)
    under the table. Returns the last column and row used (1-based)."""
    side = [c for c in charts if not isinstance(c, LineChart)]
    under = [c for c in charts if isinstance(c, LineChart)]
    if not under and len(side) > 2:
        under = [side.pop()]
    first = table_cols + 1  # 0-based: one empty column after the table
    for i in range(CHART_COLUMNS if side else 0):
        ws.column_dimensions[get_column_letter(first + 1 + i)].width = CHART_COLUMN_WIDTH
    last = 0
    for i, chart in enumerate(side):
        top = i * (CHART_ROWS + GRID_GAP)
        chart.anchor = _cells(first, top, first + CHART_COLUMNS, top + CHART_ROWS)
        ws.add_chart(chart)
        last = top + CHART_ROWS
    for chart in under:
        bottom = max(last, below + CHART_ROWS)
        chart.anchor = _cells(0, below, table_cols, bottom)
        ws.add_chart(chart)
        last = bottom
    return (first + CHART_COLUMNS if side else table_cols), last


def _cells(col: int, row: int, to_col: int, to_row: int) -> TwoCellAnchor:
    """From the top-left corner of cell (col, row) to that of (to_col, to_row), 0-based."""
    return TwoCellAnchor(
        _from=AnchorMarker(col=col, row=row), to=AnchorMarker(col=to_col, row=to_row)
    )
