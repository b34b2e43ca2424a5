"""The report as a board pack: a one-page Summary with the headline KPIs and native charts,
one wide sheet per family, Definitions, Data quality, and the charts' data.

Every text cell goes through `cell_value` (formulas defused, control characters shown), and
nothing is written as a formula: a workbook from hostile exports runs nothing when opened.
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from openpyxl import Workbook

from csmetrics_cli.render import Env
from csmetrics_cli.render.xlsx.charts import chart_data
from csmetrics_cli.render.xlsx.families import family_sheets
from csmetrics_cli.render.xlsx.reference import definitions_sheet, quality_sheet
from csmetrics_cli.render.xlsx.sheet import cell_value, fit_columns
from csmetrics_cli.render.xlsx.summary import summary_sheet

if TYPE_CHECKING:
    from csmetrics_cli.api import ReportResult

__all__ = ["cell_value", "fit_columns", "report_xlsx"]


def report_xlsx(result: ReportResult, env: Env) -> bytes:
    """The workbook as bytes (written atomically by the caller)."""
    currency = env.currency or result.currency
    book = Workbook()
    summary = book.active
    assert summary is not None
    summary.title = "Summary"
    family_sheets(book, result, currency)
    definitions_sheet(book.create_sheet("Definitions"), result)
    quality_sheet(book.create_sheet("Data quality"), result)
    charts = chart_data(book.create_sheet("Chart data"), result, currency)
    summary_sheet(summary, result, charts, currency)
    book.properties.title = cell_value(result.title)  # type: ignore[assignment]
    book.properties.creator = "csm"
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
