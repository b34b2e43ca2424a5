"""Headline KPI tiles: the last period's value, its change coloured by the catalog's `better`,
and a sparkline (hand-drawn SVG: a polyline needs no chart engine) for a trend."""

from __future__ import annotations

from html import escape

import pandas as pd

from csmetrics_cli.metrics.catalog import BY_ID
from csmetrics_cli.render.cells import human, human_change, human_interval, is_null
from csmetrics_cli.render.html.vega import View

TILES = (
    ("mrr", "MRR"),
    ("arr", "ARR"),
    ("customers_end", "Customers"),
    ("customer_churn_rate", "Churn rate"),
    ("net_revenue_retention", "NRR"),
    ("gross_revenue_retention", "GRR"),
    ("nps", "NPS"),
    ("csat", "CSAT"),
    ("customer_health_score", "Health score"),
)


def tone(metric: str, change: object) -> str:
    """good, bad or flat: the sign of the change read through the metric's `better`."""
    better = BY_ID[metric].better if metric in BY_ID else None
    if is_null(change) or change == 0 or better is None:
        return "flat"
    rising = float(change) > 0  # type: ignore[arg-type]
    return "good" if rising == (better == "up") else "bad"


def sparkline(values: list[float | None], width: int = 120, height: int = 30) -> str:
    """An inline SVG line through the non-null values, with a dot on the last one."""
    points = [(i, v) for i, v in enumerate(values) if not is_null(v)]
    if len(points) < 2:
        return ""
    low = min(v for _, v in points)  # type: ignore[type-var]
    high = max(v for _, v in points)  # type: ignore[type-var]
    span = (high - low) or 1.0  # type: ignore[operator]
    step = (width - 6) / max(len(values) - 1, 1)
    xy = [(3 + i * step, height - 3 - (v - low) / span * (height - 6)) for i, v in points]  # type: ignore[operator]
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    x, y = xy[-1]
    return (
        f'<svg class="spark" width="{width}" height="{height}" viewBox="0 0 {width} {height}"'
        f' aria-hidden="true"><polyline points="{line}" fill="none" stroke="currentColor"'
        f' stroke-width="1.5"/><circle cx="{x:.1f}" cy="{y:.1f}" r="2.5"'
        ' fill="currentColor"/></svg>'
    )


def tiles(frame: pd.DataFrame, v: View, periods: list[str], currency: str) -> str:
    """The KPI tiles for the all-customers rows of the last period."""
    overall = frame[frame["segment"].isna() & frame["item"].isna()]
    last = overall[overall["period"] == periods[-1]].set_index("metric")
    points = v.points[(v.points["segment"] == v.segments[0]) & v.points["item"].isna()]
    out = []
    for metric, label in TILES:
        if metric not in last.index:
            continue
        row = last.loc[metric]
        unit = str(row["unit"])
        value = human(row["value"], unit, currency)
        change, since = None, ""
        if "change" in last.columns:
            change, since = row["change"], f"vs {v.xs[0]}" if len(periods) == 1 else "vs previous"
        elif len(periods) > 1:
            before = overall[(overall["metric"] == metric) & (overall["period"] == periods[-2])]
            if len(before) and not is_null(row["value"]):
                change, since = row["value"] - before["value"].iloc[0], f"vs {periods[-2]}"
        parts = [
            f'<div class="label">{escape(label)}</div>',
            f'<div class="value">{escape(value)}</div>',
        ]
        if not is_null(change):
            arrow = "▲" if float(change) > 0 else "▼" if float(change) < 0 else "="  # type: ignore[arg-type]
            text = human_change(change, unit, currency) or "0"
            parts.append(
                f'<div class="change {tone(metric, change)}">{arrow} {escape(text)}'
                f" <span>{escape(since)}</span></div>"
            )
        elif is_null(row["value"]) and not is_null(row["note"]):
            parts.append(f'<div class="note">{escape(str(row["note"]))}</div>')
        span = human_interval(row["ci_low"], row["ci_high"], unit)
        if metric == "nps":  # its margin of error says the same, as NPS readers know it
            margin = last["value"].get("nps_margin_of_error")
            if not is_null(margin):
                parts.append(f'<div class="note">± {escape(human(margin, "points"))} (95%)</div>')
        elif span:
            parts.append(f'<div class="note">95% CI {escape(span)}</div>')
        if len(periods) > 1:
            series = points[points["metric"] == metric].set_index("x")["value"]
            parts.append(sparkline([series.get(x) for x in v.xs]))
        out.append(
            f'<div class="tile" id="tile-{metric}" data-metric="{metric}">'
            + "".join(parts)
            + "</div>"
        )
    return '<section class="tiles">' + "".join(out) + "</section>" if out else ""
