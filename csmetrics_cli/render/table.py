"""Rich terminal tables: one per family, metrics as rows, periods/segments as columns.

Nothing is ever cut: the value columns of a family that do not fit the width are laid out
in blocks of columns that do (each block repeats the metric names), notes that have no
room become numbered footnotes, and columns that would be empty are left out. A trend gets
a sparkline per metric; `--compare` names the previous period and colours each change by
whether it is good for that metric (the catalog's `better`). With `--ci` a single value
column gets a "95% CI" column beside it; several value columns carry [low, high] in each
cell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import pandas as pd
from rich import box
from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from csmetrics_cli.metrics.catalog import BY_ID
from csmetrics_cli.metrics.spec import FAMILIES
from csmetrics_cli.render import Env
from csmetrics_cli.render.cells import human, human_change, human_interval, is_null, literal_text

if TYPE_CHECKING:
    from csmetrics_cli.api import ReportResult

SPARKS = "▁▂▃▄▅▆▇█"
NOTE_MIN = 24  # narrower than this, notes become footnotes under the table
GOOD, BAD = "green", "red"
CI_HEADER = "95% CI"


def new_table(title: str, boxed: bool, caption: str | None = None) -> Table:
    """A rich table, box-drawn on a terminal and plain aligned columns elsewhere."""
    return Table(title=literal_text(title), title_justify="left", caption=caption,
                 caption_justify="left",
                 box=box.HEAVY_HEAD if boxed else None)  # fmt: skip


def report_table(result: ReportResult, env: Env) -> RenderableType:
    """The report as tables grouped by family, captioned with how far the data reaches."""
    through = result.data_through
    lines = []
    if through["last"]:
        lines.append(f"data {result.data}: {through['first']} to {through['last']}")
    definitions = result.definitions.caption()  # only the switches off csm's defaults
    if definitions:
        lines.append(definitions)
    caption = "; ".join(lines) or None
    previous = None
    if "previous" in result.frame.columns and len(result.periods) == 1:
        previous = result.previous_label
    return tables(result.frame, env.currency, result.title, env.boxed, caption, env.width,
                  previous, result.show_ci)  # fmt: skip


def sparkline(values: list[float | None]) -> str:
    """One block character per value, scaled between the smallest and largest ('·' = null)."""
    known = [v for v in values if v is not None]
    if not known:
        return ""
    low, high = min(known), max(known)
    span = high - low
    return "".join(
        "·" if v is None else SPARKS[0 if span == 0 else round((v - low) / span * 7)]
        for v in values
    )


def _column_key(period: str, segment: object, multi_period: bool, segmented: bool) -> str:
    seg = "all" if is_null(segment) else str(segment)
    if multi_period and segmented:
        return f"{period} {seg}"
    return period if multi_period else (seg if segmented else "Value")


def _change(change: object, unit: str, metric: str, currency: str) -> Text:
    """The change with an arrow, green when it is good for the metric, red when bad."""
    text = human_change(change, unit, currency)
    if not text or is_null(change):
        return Text(text or "n/a")
    value = float(change)  # type: ignore[arg-type]
    arrow = "▲ " if value > 0 else "▼ " if value < 0 else "= "
    better = BY_ID[metric].better if metric in BY_ID else None
    style = ""
    if better and value != 0:
        style = GOOD if (value > 0) == (better == "up") else BAD
    return Text(arrow + text, style=style)


@dataclass
class _Row:
    label: str
    cells: list[Text]  # one per value column, then previous and change when comparing
    note: str
    spark: str = ""
    heading: bool = False  # the name line above a breakdown's items


def _family_rows(
    rows: pd.DataFrame,
    columns: list[str],
    currency: str,
    compare: bool,
    inline: bool,
    ci: str | None = None,
) -> list[_Row]:
    """One row per metric (and item); `ci` is "column" (an interval column after the single
    value column), "inline" (the interval in each value cell) or None."""
    out: list[_Row] = []
    headed: set[str] = set()
    for (metric, item), cells in rows.groupby(["metric", "item"], sort=False, dropna=False):
        first = cells.iloc[0]
        if not is_null(item) and metric not in headed:
            headed.add(metric)  # a breakdown: the metric's name once, its items below
            out.append(_Row(first["name"], [], "", heading=True))
        label = first["name"] if is_null(item) else f"  · {item}"
        unit = first["unit"]
        by_col = dict(zip(cells["col"], cells["value"], strict=True))
        texts = [Text(human(by_col.get(c), unit, currency)) for c in columns]
        if ci is not None:
            spans = [human_interval(lo, hi, unit) for lo, hi in
                     zip(cells["ci_low"], cells["ci_high"], strict=True)]  # fmt: skip
            by_span = dict(zip(cells["col"], spans, strict=True))
            if ci == "inline":
                texts = [t + Text(f" {by_span[c]}" if by_span.get(c) else "")
                         for t, c in zip(texts, columns, strict=True)]  # fmt: skip
            else:
                texts.append(Text(by_span.get(columns[0], "")))
        if inline:
            change = dict(zip(cells["col"], cells["change"], strict=True))
            texts = [
                t + Text(" ") + _change(change.get(c), unit, str(metric), currency)
                for t, c in zip(texts, columns, strict=True)
            ]
        if compare:
            texts += [Text(human(first["previous"], unit, currency)),
                      _change(first["change"], unit, str(metric), currency)]  # fmt: skip
        notes = cells["note"].dropna()
        spark = sparkline([None if is_null(v) else float(v) for v in cells["value"]])
        out.append(_Row(label, texts, str(notes.iloc[0]) if len(notes) else "", spark))
    return out


def _blocks(widths: list[int], room: int, groups: list[list[int]] | None = None) -> list[list[int]]:
    """Column positions packed greedily into blocks whose widths add up to at most `room`;
    the columns of a group (a value and its interval, a previous value and its change) are
    never split."""
    blocks: list[list[int]] = [[]]
    used = 0
    for group in groups or [[i] for i in range(len(widths))]:
        w = sum(widths[i] for i in group)
        if blocks[-1] and used + w > room:
            blocks.append([])
            used = 0
        blocks[-1].extend(group)
        used += w
    return blocks


def tables(
    frame: pd.DataFrame,
    currency: str = "",
    title: str = "",
    boxed: bool = True,
    caption: str | None = None,
    width: int | None = None,
    previous: str | None = None,
    ci: bool = False,
) -> RenderableType:
    """The whole report as rich tables grouped by family, laid out to fit `width` (with
    each rate's 95% interval when `ci`)."""
    multi_period = frame["period"].nunique() > 1
    segmented = frame["segment"].notna().any()
    has_previous = "previous" in frame.columns
    # One value column: Previous and Change get their own; several: the change goes beside.
    compare = has_previous and not multi_period and not segmented
    inline = has_previous and not compare
    spark = multi_period and not segmented
    pad = 3 if boxed else 2  # a column's separator and padding
    out: list[RenderableType] = []
    if title:
        out.append(literal_text(title, style="bold"))
    for family, rows in frame.groupby("family", sort=False):
        keys = zip(rows["period"], rows["segment"], strict=True)
        rows = rows.assign(col=[_column_key(p, s, multi_period, segmented) for p, s in keys])
        columns = list(dict.fromkeys(rows["col"]))
        headers = list(columns)
        has_ci = ci and bool(rows["ci_low"].notna().any())  # no empty interval column
        ci_mode = None if not has_ci else "column" if len(columns) == 1 else "inline"
        if ci_mode == "column":
            headers.append(CI_HEADER)
        if compare:  # the two periods by name: 2024-06 | 2024-05 | Change
            headers = [str(rows["period"].iloc[0]), *headers[1:], previous or "Previous",
                       "Change"]  # fmt: skip
        body = _family_rows(rows, columns, currency, compare, inline, ci_mode)
        notes = [r.note for r in body if r.note]
        label_w = max(len(r.label) for r in body) + pad + (1 if boxed else 0) + (5 if notes else 0)
        widths = [max([len(h), *(len(r.cells[i]) for r in body if not r.heading)]) + pad
                  for i, h in enumerate(headers)]  # fmt: skip
        spark_w = (len(columns) + pad) if spark else 0
        room = (width or 10_000) - label_w - spark_w
        # A compared value stays beside its interval, the previous value beside the change;
        # all of them share a block when the width allows.
        groups = None
        if compare:
            lead = 2 if ci_mode == "column" else 1
            groups = [list(range(lead)), list(range(lead, len(widths)))]
            if sum(widths) <= room:
                groups = [list(range(len(widths)))]
        elif ci_mode == "column":
            groups = [list(range(len(widths)))]
        blocks = _blocks(widths, room, groups)
        note_room = room - sum(widths[i] for i in blocks[-1]) - pad
        footnotes = bool(notes) and (len(blocks) > 1 or note_room < NOTE_MIN)
        marks: dict[str, int] = {}
        for part, block in enumerate(blocks):
            name = FAMILIES[str(family)].title
            if len(blocks) > 1:
                name += f" ({part + 1}/{len(blocks)})"
            table = new_table(name, boxed)
            table.add_column("Metric", style="bold", no_wrap=True)
            if spark:
                table.add_column("Trend", no_wrap=True)
            for i in block:
                table.add_column(literal_text(headers[i]), justify="right", no_wrap=True)
            with_notes = bool(notes) and not footnotes
            if with_notes:
                table.add_column("Note", style="dim", overflow="fold", min_width=NOTE_MIN)
            for row in body:
                label = row.label
                if footnotes and row.note and not row.heading:
                    marks.setdefault(row.note, len(marks) + 1)
                    label += f" [{marks[row.note]}]"
                cells = [Text("")] * len(block) if row.heading else [row.cells[i] for i in block]
                extra = [Text(row.spark)] if spark else []
                tail = [literal_text(row.note)] if with_notes else []
                table.add_row(literal_text(label), *extra, *cells, *tail)
            out.append(table)
        for note, n in marks.items():
            out.append(literal_text(f"  [{n}] {note}", style="dim"))
    if caption:
        out.append(literal_text(caption, style="dim"))
    return Group(*out)
