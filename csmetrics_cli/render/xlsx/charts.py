"""Native Excel charts of the all-customers figures, fed from a "Chart data" sheet.

Each chart is a block on that sheet (a title, a header row naming the series, one row per
period), so every series has a name in its legend and the family sheets stay tables only.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from openpyxl.chart import BarChart, LineChart, Reference
from openpyxl.chart._chart import ChartBase as Chart
from openpyxl.chart.axis import ChartLines
from openpyxl.chart.data_source import NumFmt
from openpyxl.chart.label import DataLabelList
from openpyxl.worksheet.worksheet import Worksheet

from csmetrics_cli.render.xlsx.sheet import (
    BOLD,
    cell_value,
    fit_columns,
    header,
    number_format,
    print_to_width,
)

if TYPE_CHECKING:
    import pandas as pd

    from csmetrics_cli.api import ReportResult

LABELLED_PERIODS = 6  # data labels on the bars only while they stay readable


@dataclass(frozen=True)
class Series:
    """A named series: the metric it reads, the sign it is drawn with, and its colour."""

    name: str
    metric: str
    sign: int
    colour: str


@dataclass(frozen=True)
class Plot:
    """One chart: its title, axis titles, unit, series and how it is drawn."""

    title: str
    value_axis: str
    unit: str
    series: tuple[Series, ...]
    draw: Callable[[], Chart]
    labels: bool = True


def _stacked(kind: str) -> Callable[[], Chart]:
    def make() -> Chart:
        chart = BarChart(gapWidth=60, overlap=100)
        chart.type, chart.grouping = kind, "stacked"
        return chart

    return make


MRR_TREND = Plot("MRR trend", "MRR", "currency", (Series("MRR", "mrr", 1, "1F4E79"),),
                 LineChart, labels=False)  # fmt: skip
BRIDGE = Plot("MRR movements", "MRR change", "currency", (
    Series("New MRR", "new_mrr", 1, "2E7D32"),
    Series("Expansion MRR", "expansion_mrr", 1, "81C784"),
    Series("Reactivation MRR", "reactivation_mrr", 1, "4DB6AC"),
    Series("Contraction MRR", "contraction_mrr", -1, "FFB74D"),
    Series("Churned MRR", "churned_mrr", -1, "C62828"),
), _stacked("col"), labels=False)  # fmt: skip
NPS = Plot("NPS breakdown", "% of responses", "%", (
    Series("Promoters (9-10)", "nps_promoters_pct", 1, "2E7D32"),
    Series("Passives (7-8)", "passives", 1, "BDBDBD"),
    Series("Detractors (0-6)", "nps_detractors_pct", 1, "C62828"),
), _stacked("bar"))  # fmt: skip
HEALTH = Plot("Health bands", "Customers", "customers", (
    Series("Healthy", "healthy_customers", 1, "2E7D32"),
    Series("Needs attention", "needs_attention_customers", 1, "F9A825"),
    Series("At risk", "at_risk_customers", 1, "C62828"),
), _stacked("col"))  # fmt: skip


def overall(frame: pd.DataFrame) -> dict[tuple[str, str], float]:
    """(metric, period) -> value of the all-customers rows that have a value."""
    rows = frame[frame["segment"].isna() & frame["item"].isna() & frame["value"].notna()]
    return {
        (m, p): float(v)
        for m, p, v in zip(rows["metric"], rows["period"], rows["value"], strict=True)
    }


def _with_passives(values: dict[tuple[str, str], float], periods: list[str]) -> None:
    """Passives are what promoters and detractors leave of 100% (the NPS chart's middle)."""
    for p in periods:
        promoters, detractors = (
            values.get(("nps_promoters_pct", p)),
            values.get(("nps_detractors_pct", p)),
        )
        if promoters is not None and detractors is not None:
            values[("passives", p)] = max(100.0 - promoters - detractors, 0.0)


def plots(result: ReportResult) -> list[Plot]:
    """The charts this report has data for: the MRR trend only over several periods."""
    candidates = [MRR_TREND] if len(result.periods) > 1 else []
    values = overall(result.frame)
    return [
        p
        for p in [*candidates, BRIDGE, NPS, HEALTH]
        if any((s.metric, period) in values for s in p.series for period in result.periods)
    ]


def chart_data(ws: Worksheet, result: ReportResult, currency: str) -> list[Chart]:
    """Write each plot's block on `ws` and return its chart (not yet placed)."""
    values = overall(result.frame)
    _with_passives(values, result.periods)
    charts = []
    row = 1
    for plot in plots(result):
        ws.cell(row, 1, plot.title).font = BOLD
        head = row + 1
        header(ws, head, ["Period", *(s.name for s in plot.series)], range(2, len(plot.series) + 2))
        fmt = number_format(plot.unit, currency)
        for i, period in enumerate(result.periods, start=head + 1):
            ws.cell(i, 1, cell_value(period))
            for j, s in enumerate(plot.series, start=2):
                v = values.get((s.metric, period))
                ws.cell(i, j, None if v is None else s.sign * v).number_format = fmt
        last = head + len(result.periods)
        charts.append(_chart(ws, plot, head, last, len(result.periods), currency))
        row = last + 2
    fit_columns(ws)
    print_to_width(ws, landscape=True)
    return charts


def _chart(ws: Worksheet, plot: Plot, head: int, last: int, periods: int, currency: str) -> Chart:
    chart = plot.draw()
    chart.title = plot.title
    chart.style = 10
    data = Reference(ws, min_col=2, max_col=1 + len(plot.series), min_row=head, max_row=last)
    chart.add_data(data, titles_from_data=True)  # the header cells name the series
    chart.set_categories(Reference(ws, min_col=1, min_row=head + 1, max_row=last))
    chart.x_axis.title = "Period"
    chart.x_axis.tickLblPos = "low"  # under the bars, not on the zero line
    chart.y_axis.title = plot.value_axis + (
        f" ({currency})" if plot.unit == "currency" and currency else ""
    )
    chart.y_axis.numFmt = NumFmt(formatCode=_axis_format(plot.unit), sourceLinked=False)
    chart.y_axis.majorGridlines = ChartLines()
    for axis in (chart.x_axis, chart.y_axis):
        axis.delete = False  # openpyxl 3.1 hides axes unless told otherwise
    if isinstance(chart, BarChart) and chart.type == "bar":
        chart.x_axis.scaling.orientation = "maxMin"  # first period on top
        chart.y_axis.crosses = "max"  # and the value axis at the bottom
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 100
    chart.legend.position = "b"
    for series, s in zip(chart.series, plot.series, strict=True):
        if isinstance(chart, LineChart):
            series.graphicalProperties.line.solidFill = s.colour
            series.graphicalProperties.line.width = 28000
            series.smooth = False
        else:
            series.graphicalProperties.solidFill = s.colour
            series.graphicalProperties.line.solidFill = s.colour
    if plot.labels and periods <= LABELLED_PERIODS:
        chart.dataLabels = DataLabelList(showVal=True, showSerName=False, showCatName=False,
                                         showLegendKey=False, showPercent=False)  # fmt: skip
    return chart


def _axis_format(unit: str) -> str:
    return {"currency": "#,##0", "%": '0"%"', "customers": "#,##0"}.get(unit, "General")
