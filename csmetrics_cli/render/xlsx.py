"""XLSX report: a summary sheet (metrics x periods/segments) and one long sheet per family."""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

import pandas as pd
from openpyxl import Workbook
from openpyxl.chart import LineChart, Reference
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet

from csmetrics_cli.metrics.spec import FAMILIES, UNITS
from csmetrics_cli.render import Env
from csmetrics_cli.render.cells import is_null, sheet_text

if TYPE_CHECKING:
    from csmetrics_cli.api import ReportResult

NUMBER_FORMATS = {u.id: u.excel for u in UNITS.values()}
LONG_COLUMNS = ["period", "segment", "metric", "item", "name", "value", "unit", "note"]


def cell_value(value: object) -> object:
    """A value openpyxl writes as data: numbers stay numbers, text can never be a formula."""
    if is_null(value):
        return None
    if isinstance(value, str):
        return sheet_text(value)
    return value.item() if hasattr(value, "item") else value


def fit_columns(ws: Worksheet) -> None:
    for i, column in enumerate(ws.iter_cols(min_row=1, max_row=min(ws.max_row, 200)), start=1):
        width = max((len(str(c.value)) for c in column if c.value is not None), default=8)
        ws.column_dimensions[get_column_letter(i)].width = min(max(width + 2, 8), 60)


def _summary(ws: Worksheet, frame: pd.DataFrame) -> None:
    frame = frame.assign(
        col=[
            p if is_null(s) else f"{p} {s}"
            for p, s in zip(frame["period"], frame["segment"], strict=True)
        ]
    )
    columns = list(dict.fromkeys(frame["col"]))
    ws.append(["Metric", "Item", "Family", "Unit", *(sheet_text(c) for c in columns)])
    for (_metric, _item), rows in frame.groupby(["metric", "item"], sort=False, dropna=False):
        first = rows.iloc[0]
        by_col = dict(zip(rows["col"], rows["value"], strict=True))
        ws.append([cell_value(first["name"]), cell_value(first["item"]), first["family"],
                   first["unit"], *(cell_value(by_col.get(c)) for c in columns)])  # fmt: skip
        fmt = NUMBER_FORMATS.get(first["unit"], "General")
        for cell in ws[ws.max_row][4:]:
            cell.number_format = fmt
    ws.freeze_panes = "E2"
    # A trend gets a chart of MRR over its periods.
    mrr_rows = [r for r in range(2, ws.max_row + 1) if ws.cell(r, 1).value == "MRR"]
    if len(columns) > 1 and mrr_rows and frame["segment"].isna().all():
        chart = LineChart()
        chart.title = "MRR"
        row = mrr_rows[0]
        chart.add_data(
            Reference(ws, min_col=5, max_col=4 + len(columns), min_row=row), from_rows=True
        )
        chart.set_categories(Reference(ws, min_col=5, max_col=4 + len(columns), min_row=1))
        ws.add_chart(chart, f"B{ws.max_row + 3}")


def report_xlsx(result: ReportResult, env: Env) -> bytes:
    """The report as a workbook."""
    return to_xlsx(result.frame)


def to_xlsx(frame: pd.DataFrame) -> bytes:
    """The workbook as bytes (written atomically by the caller)."""
    wb = Workbook()
    summary = wb.active
    assert summary is not None
    summary.title = "Summary"
    _summary(summary, frame)
    fit_columns(summary)
    extra = [c for c in ("previous", "change") if c in frame.columns]
    for family, rows in frame.groupby("family", sort=False):
        ws = wb.create_sheet(FAMILIES[str(family)].title[:31].replace("&", "and"))
        ws.append([*LONG_COLUMNS, *extra])
        for rec in rows[[*LONG_COLUMNS, *extra]].itertuples(index=False):
            ws.append([cell_value(v) for v in rec])
            ws.cell(ws.max_row, 6).number_format = NUMBER_FORMATS.get(rec.unit, "General")
        ws.freeze_panes = "A2"
        fit_columns(ws)
    buffer = io.BytesIO()
    wb.save(buffer)
    return buffer.getvalue()
