"""Rich terminal tables: one per family, metrics as rows, periods/segments as columns."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table

from csmetrics_cli.metrics.spec import FAMILIES
from csmetrics_cli.render import Env
from csmetrics_cli.render.cells import human, human_change, is_null, literal_text

if TYPE_CHECKING:
    from csmetrics_cli.api import ReportResult


def new_table(title: str, boxed: bool, caption: str | None = None) -> Table:
    """A rich table, box-drawn on a terminal and plain aligned columns elsewhere."""
    return Table(title=literal_text(title), title_justify="left", caption=caption,
                 caption_justify="left",
                 box=box.HEAVY_HEAD if boxed else None)  # fmt: skip


def report_table(result: ReportResult, env: Env) -> RenderableType:
    """The report as tables grouped by family, captioned with how far the data reaches."""
    through = result.data_through
    caption = None
    if through["last"]:
        caption = f"data {result.data}: {through['first']} to {through['last']}"
    return tables(result.frame, env.currency, result.title, env.boxed, caption)


def _column_key(period: str, segment: object, multi_period: bool, segmented: bool) -> str:
    seg = "all" if is_null(segment) else str(segment)
    if multi_period and segmented:
        return f"{period} {seg}"
    return period if multi_period else (seg if segmented else "Value")


def tables(
    frame: pd.DataFrame,
    currency: str = "",
    title: str = "",
    boxed: bool = True,
    caption: str | None = None,
) -> RenderableType:
    """The whole report as rich tables grouped by family."""
    multi_period = frame["period"].nunique() > 1
    segmented = frame["segment"].notna().any()
    has_previous = "previous" in frame.columns
    # One value column: Previous and Change get their own; several: the change goes in brackets.
    compare = has_previous and not multi_period and not segmented
    inline_change = has_previous and not compare
    out: list[RenderableType] = []
    if title:
        out.append(literal_text(title, style="bold"))
    for family, rows in frame.groupby("family", sort=False):
        rows = rows.assign(
            col=[
                _column_key(p, s, multi_period, segmented)
                for p, s in zip(rows["period"], rows["segment"], strict=True)
            ]
        )
        columns = list(dict.fromkeys(rows["col"]))
        table = new_table(FAMILIES[str(family)].title, boxed)
        table.add_column("Metric", style="bold")
        for col in columns:
            table.add_column(literal_text(col), justify="right")
        if compare:
            table.add_column("Previous", justify="right")
            table.add_column("Change", justify="right")
        table.add_column("Note", style="dim")
        headed: set[str] = set()
        for (metric, item), cells in rows.groupby(["metric", "item"], sort=False, dropna=False):
            first = cells.iloc[0]
            if not is_null(item) and metric not in headed:
                headed.add(metric)  # a breakdown: the metric's name once, its items below
                table.add_row(literal_text(first["name"]), *[""] * (len(table.columns) - 1))
            label = first["name"] if is_null(item) else f"  · {item}"
            unit = first["unit"]
            by_col = dict(zip(cells["col"], cells["value"], strict=True))
            values = [human(by_col.get(c), unit, currency) for c in columns]
            if inline_change:
                change = dict(zip(cells["col"], cells["change"], strict=True))
                values = [
                    f"{v} ({human_change(change.get(c), unit, currency) or 'n/a'})"
                    for v, c in zip(values, columns, strict=True)
                ]
            extra = []
            if compare:
                extra = [
                    human(first["previous"], unit, currency),
                    human_change(first["change"], unit, currency),
                ]
            notes = cells["note"].dropna()
            note = literal_text(notes.iloc[0] if len(notes) else "")
            table.add_row(*map(literal_text, [label, *values, *extra]), note)
        out.append(table)
    if caption:
        out.append(literal_text(caption, style="dim"))
    return Group(*out)
