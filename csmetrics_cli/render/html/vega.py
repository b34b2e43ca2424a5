"""What every chart is made with: the report frame as chart points, shared encodings, and
vl-convert, which runs Vega-Lite in-process (no browser, no network: external data is
refused) so that the page carries finished SVG and no JavaScript."""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from csmetrics_cli.render.values import clean

ALL = "All customers"
MAX_SEGMENTS = 8  # small multiples beyond this are unreadable; the tables have every segment
FONT = "Liberation Sans, Arial, Helvetica, sans-serif"
GOOD, BAD, NEUTRAL, BLUE = "#1a7f37", "#cf222e", "#8c959f", "#3b6fd8"
MOVEMENTS = (  # MRR bridge: (metric, label, sign, colour)
    ("new_mrr", "New", 1, "#1a7f37"),
    ("expansion_mrr", "Expansion", 1, "#69b77b"),
    ("reactivation_mrr", "Reactivation", 1, "#8fc7e8"),
    ("contraction_mrr", "Contraction", -1, "#f0a35e"),
    ("churned_mrr", "Churn", -1, "#cf222e"),
)
BANDS = (
    ("healthy_customers", "Healthy", "#1a7f37"),
    ("needs_attention_customers", "Needs attention", "#e3a92b"),
    ("at_risk_customers", "At risk", "#cf222e"),
    ("unscored_customers", "Unscored", "#afb8c1"),
)
CONFIG: dict[str, Any] = {
    "font": FONT,
    "view": {"stroke": None},
    "background": "white",
    "axis": {
        "labelColor": "#57606a",
        "titleColor": "#57606a",
        "gridColor": "#eaeef2",
        "domainColor": "#d0d7de",
        "tickColor": "#d0d7de",
        "labelFontSize": 11,
    },
    "header": {"labelFontSize": 12, "labelColor": "#24292f", "labelFontWeight": "bold"},
    "legend": {"orient": "bottom", "labelFontSize": 11, "title": None},
    "bar": {"continuousBandSize": 18},
}
AXIS_FORMAT = {"currency": "~s", "%": ".3~r", "customers": ",~r", "count": ",~r"}


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    svg: str
    wide: bool = False


@dataclass(frozen=True)
class Skipped:
    title: str
    reason: str


@dataclass(frozen=True)
class View:
    """What every chart reads: the timeline frame, its x order, segments, units, currency."""

    points: pd.DataFrame  # x, segment, metric, item, value (previous periods included)
    xs: list[str]
    segments: list[str]  # [ALL] without --by; ALL then the largest segments with it
    hidden_segments: int
    units: dict[str, str]
    currency: str


def _previous_label(label: str) -> str:
    from csmetrics_cli.periods import PeriodError, parse_period

    try:
        return parse_period(label).previous().label
    except PeriodError:
        return f"before {label}"


def view(frame: pd.DataFrame, periods: Sequence[str], currency: str) -> View:
    """The report frame as chart points: one x per period, previous periods first (--compare)."""
    columns = ["period", "segment", "metric", "item", "value"]
    parts = [frame[columns]]
    xs = list(periods)
    if "previous" in frame.columns:
        before = {p: _previous_label(p) for p in periods}
        prev = frame.assign(period=frame["period"].map(before), value=frame["previous"])[columns]
        prev = prev[~prev["period"].isin(set(periods))]
        parts.insert(0, prev)
        xs = list(dict.fromkeys([*(before[p] for p in periods if before[p] not in periods), *xs]))
    points = pd.concat(parts, ignore_index=True).rename(columns={"period": "x"})
    present = set(points["segment"].dropna().astype(str))
    all_label = ALL if ALL not in present else f"{ALL} (total)"
    points["segment"] = points["segment"].astype(object).where(points["segment"].notna(), None)
    points["segment"] = [all_label if s is None else str(s) for s in points["segment"]]
    segments = [all_label]
    hidden = 0
    if present:
        last = points[(points["metric"] == "mrr") & (points["x"] == xs[-1])]
        size = dict(zip(last["segment"], last["value"].fillna(0), strict=True))
        ranked = sorted(present, key=lambda s: (-size.get(s, 0.0), s))
        segments += ranked[:MAX_SEGMENTS]
        hidden = max(len(ranked) - MAX_SEGMENTS, 0)
    units = dict(zip(frame["metric"], frame["unit"], strict=False))
    return View(points, xs, segments, hidden, units, currency)


def rows_of(v: View, metrics: Sequence[str], segmented: bool) -> pd.DataFrame:
    rows = v.points[v.points["metric"].isin(metrics) & v.points["item"].isna()]
    wanted = v.segments if segmented else v.segments[:1]
    return rows[rows["segment"].isin(wanted)]


def empty(rows: pd.DataFrame) -> bool:
    return rows.empty or rows["value"].isna().all()


def records(rows: pd.DataFrame, **extra: Any) -> list[dict[str, Any]]:
    """Records vl-convert accepts: strict JSON (NaN -> null)."""
    out = []
    for r in rows.itertuples(index=False):
        out.append(
            {
                "x": r.x,
                "segment": r.segment,
                "metric": r.metric,
                "value": clean(r.value),
                **{k: f(r) for k, f in extra.items()},
            }
        )
    return out


def x_axis(v: View) -> dict[str, Any]:
    many = len(v.xs) > 8
    return {
        "field": "x",
        "type": "ordinal",
        "sort": v.xs,
        "title": None,
        "axis": {"labelAngle": -45 if many else 0, "labelOverlap": "greedy"},
    }


def y_axis(unit: str, zero: bool = True, **more: Any) -> dict[str, Any]:
    axis: dict[str, Any] = {"format": AXIS_FORMAT.get(unit, ",.3~r")}
    if unit == "%":
        axis["labelExpr"] = "datum.label + '%'"
    return {
        "field": "value",
        "type": "quantitative",
        "title": None,
        "axis": axis,
        "scale": {"zero": zero},
        **more,
    }


def facet(spec: dict[str, Any], v: View, segmented: bool, columns: int = 3) -> dict[str, Any]:
    """A spec as small multiples per segment (ALL first), or as it is without --by."""
    if not segmented:
        return spec
    inner = {k: value for k, value in spec.items() if k != "data"}  # a facet's data is outside
    return {
        "data": spec["data"],
        "facet": {"field": "segment", "type": "nominal", "sort": v.segments, "title": None},
        "columns": min(columns, len(v.segments)),
        "spec": inner,
        "resolve": {"scale": {"y": "independent"}},
    }


def trend_marks(v: View, colour: Any, text_format: str) -> list[dict[str, Any]]:
    """Lines with points over two periods or more; labelled bars for one."""
    if len(v.xs) >= 2:
        return [{"mark": {"type": "line", "point": True, "strokeWidth": 2}, "encoding": colour}]
    bar = {"mark": {"type": "bar", "width": {"band": 0.6}}, "encoding": colour}
    text = {
        "mark": {"type": "text", "dy": -6, "color": "#24292f"},
        "encoding": {"text": {"field": "value", "format": text_format}},
    }
    return [bar, text]


def draw(spec: dict[str, Any]) -> str:
    import vl_convert as vlc

    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "config": CONFIG,
        "padding": 6,
        **spec,
    }
    return str(vlc.vegalite_to_svg(spec, allowed_base_urls=[]))


def chart(chart_id: str, title: str, spec: dict[str, Any], wide: bool = False) -> Chart:
    svg = draw(spec).replace(
        "<svg ",
        f'<svg id="svg-{chart_id}" data-chart="{chart_id}" role="img" '
        f'aria-label="{html.escape(title)}" ',
        1,
    )
    return Chart(chart_id, title, svg, wide)


def size(v: View, segmented: bool, wide: bool = False) -> dict[str, int]:
    if segmented:
        return {"width": 300, "height": 150}
    return {"width": 1040 if wide else 440, "height": 220}


def skipped(title: str, rows: pd.DataFrame, frame: pd.DataFrame, metrics: Sequence[str]) -> Skipped:
    notes = frame.loc[frame["metric"].isin(metrics), "note"].dropna()
    reason = str(notes.iloc[0]) if len(notes) else "no values for these periods"
    return Skipped(title, reason)
