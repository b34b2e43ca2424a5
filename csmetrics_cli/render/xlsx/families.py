"""One wide sheet per metric family: a row per metric (items indented under their metric),
a column per period (x segment), with its 95% interval (CI low, CI high: numbers in the
metric's unit) where the family has rates, and the previous period and the change under
--compare."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from openpyxl.styles import Alignment
from openpyxl.workbook import Workbook
from openpyxl.worksheet.worksheet import Worksheet

from csmetrics_cli.metrics.catalog import BY_ID
from csmetrics_cli.metrics.spec import FAMILIES, MetricSpec
from csmetrics_cli.render.cells import is_null
from csmetrics_cli.render.xlsx.sheet import (
    BOLD,
    WRAP,
    cell_value,
    change_font,
    change_format,
    header,
    number_format,
    table_sheet,
)

if TYPE_CHECKING:
    import pandas as pd

    from csmetrics_cli.api import ReportResult

ALL = "All customers"
ITEM = Alignment(horizontal="left", indent=2)
CENTER_ACROSS = Alignment(horizontal="centerContinuous", vertical="bottom")
Key = tuple[object, str]  # (segment or None, period)


@dataclass(frozen=True)
class Column:
    """A value column of a wide sheet: which cell of the frame, and which of its fields."""

    segment: object
    period: str
    field: str  # "value", "ci_low", "ci_high", "previous" or "change"
    label: str


def sheet_name(family: str) -> str:
    """The family's title as a sheet name (31 characters, no '&')."""
    return FAMILIES[family].title.replace("&", "and")[:31]


def columns(result: ReportResult, intervals: bool = False) -> list[Column]:
    """Segment-major value columns: each period, its interval (`intervals`), then its
    previous value and change with --compare."""
    frame = result.frame
    segments = list(dict.fromkeys(frame["segment"].where(frame["segment"].notna(), None)))
    compare = "previous" in frame.columns
    previous = dict(zip(result.periods, result.previous_periods, strict=False))
    several = len(result.periods) > 1
    out = []
    for segment in segments:
        for period in result.periods:
            out.append(Column(segment, period, "value", period))
            if intervals:
                for end in ("low", "high"):
                    label = f"{period} 95% CI {end}" if several else f"95% CI {end}"
                    out.append(Column(segment, period, f"ci_{end}", label))
            if compare:
                before = previous.get(period, "previous")
                out.append(Column(segment, period, "previous",
                                  f"{before} (previous)" if several else before))  # fmt: skip
                out.append(Column(segment, period, "change",
                                  f"{period} change" if several else "Change"))  # fmt: skip
    return out


def cells(frame: pd.DataFrame) -> dict[tuple[str, object, object, str], dict[str, object]]:
    """(metric, item, segment, period) -> value, interval, previous, change and note."""
    fields = [f for f in ("value", "ci_low", "ci_high", "previous", "change", "note")
              if f in frame.columns]  # fmt: skip
    keys = zip(frame["metric"], frame["item"], frame["segment"], frame["period"], strict=True)
    body = zip(*(frame[f] for f in fields), strict=True)
    return {
        (m, None if is_null(i) else i, None if is_null(s) else s, p): dict(
            zip(fields, v, strict=True)
        )
        for (m, i, s, p), v in zip(keys, body, strict=True)
    }


def _notes(found: list[tuple[Column, str]], cols: list[Column]) -> str | None:
    """The row's notes, each once, saying where it applies: nowhere when it is every value
    column, else the period when it is all of that period's columns, else the columns."""
    values = [c for c in cols if c.field == "value"]
    by_note: dict[str, list[Column]] = {}
    for col, note in found:
        by_note.setdefault(note, []).append(col)
    parts = []
    for note, where in by_note.items():
        if len(where) == len(values):
            parts.append(note)
            continue
        periods = list(dict.fromkeys(c.period for c in where))
        whole = all(sum(c.period == p for c in where) == sum(c.period == p for c in values)
                    for p in periods)  # fmt: skip
        segmented = any(c.segment is not None for c in values)
        labels = periods if whole else [_where(c, segmented) for c in where]
        parts.append(f"{', '.join(labels)}: {note}")
    return "; ".join(parts) or None


def _where(col: Column, segmented: bool) -> str:
    if not segmented:
        return col.period
    return f"{ALL if col.segment is None else col.segment} {col.period}"


def family_sheets(book: Workbook, result: ReportResult, currency: str) -> None:
    """Append one wide sheet per family in the frame, in report order."""
    frame = result.frame
    lookup = cells(frame)
    segmented = result.segment_by is not None
    head = 2 if segmented else 1
    for family, rows in frame.groupby("family", sort=False):
        cols = columns(result, bool(rows["ci_low"].notna().any()))
        ws = book.create_sheet(sheet_name(str(family)))
        if segmented:
            _segment_row(ws, cols)
        header(
            ws, head, ["Metric", "Unit", *(c.label for c in cols), "Note"], range(3, len(cols) + 3)
        )
        last_metric = None
        keys = zip(rows["metric"], rows["item"], strict=True)
        for metric, item in dict.fromkeys((m, None if is_null(i) else i) for m, i in keys):
            spec = BY_ID[str(metric)]
            if item is not None and metric != last_metric:
                ws.append([spec.name, spec.unit])  # the metric heads its items
                ws.cell(ws.max_row, 1).font = BOLD
            last_metric = metric
            _metric_row(ws, (metric, item), spec, cols, lookup, currency)
            if item is not None:
                ws.cell(ws.max_row, 1).alignment = ITEM
        table_sheet(ws, head, freeze=f"C{head + 1}")
        ws.column_dimensions["A"].width = max(ws.column_dimensions["A"].width or 0, 24)
        ws.column_dimensions[ws.cell(head, len(cols) + 3).column_letter].width = 50


def _segment_row(ws: Worksheet, cols: list[Column]) -> None:
    """Row 1 names the segment over its columns (centred across them, not merged)."""
    seen: set[object] = set()
    for i, col in enumerate(cols, start=3):
        cell = ws.cell(1, i)
        if col.segment not in seen:
            seen.add(col.segment)
            cell.value = ALL if col.segment is None else cell_value(str(col.segment))
            cell.font = BOLD
        cell.alignment = CENTER_ACROSS


def _metric_row(
    ws: Worksheet,
    key: tuple[object, object],
    spec: MetricSpec,
    cols: list[Column],
    lookup: dict[tuple[str, object, object, str], dict[str, object]],
    currency: str,
) -> None:
    """A metric (or item) row: values by unit, signed changes coloured by `better`, notes."""
    metric, item = key
    values: list[object] = []
    found: list[tuple[Column, str]] = []
    for col in cols:
        row = lookup.get((str(metric), item, col.segment, col.period), {})
        values.append(cell_value(row.get(col.field)))
        note = row.get("note")
        if col.field == "value" and not is_null(note):
            found.append((col, str(note)))
    ws.append(
        [
            cell_value(spec.name if item is None else item),
            spec.unit,
            *values,
            cell_value(_notes(found, cols)),
        ]
    )
    r = ws.max_row
    value_format = number_format(spec.unit, currency)
    signed = change_format(spec.unit, currency)
    for i, (col, value) in enumerate(zip(cols, values, strict=True), start=3):
        cell = ws.cell(r, i)
        cell.number_format = signed if col.field == "change" else value_format
        font = change_font(value, spec.better) if col.field == "change" else None
        if font is not None:
            cell.font = font
    ws.cell(r, len(cols) + 3).alignment = WRAP
