"""The dashboard's charts, as Vega-Lite specs built from the report frame.

Each builder returns a Chart, or a Skipped line when every metric it needs is null: a chart
is never drawn empty. With --by the main charts become small multiples per segment.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from csmetrics_cli.render.cells import is_null
from csmetrics_cli.render.html.vega import (
    BAD,
    BANDS,
    BLUE,
    GOOD,
    MOVEMENTS,
    NEUTRAL,
    Chart,
    Skipped,
    View,
    chart,
    empty,
    facet,
    records,
    rows_of,
    size,
    skipped,
    trend_marks,
    view,
    x_axis,
    y_axis,
)
from csmetrics_cli.render.values import clean


def mrr_trend(v: View, frame: pd.DataFrame, segmented: bool) -> Chart | Skipped:
    title = "MRR" + (f" ({v.currency})" if v.currency else "")
    rows = rows_of(v, ["mrr"], segmented)
    if empty(rows):
        return skipped("MRR trend", rows, frame, ["mrr"])
    colour = {"x": x_axis(v), "y": y_axis("currency", zero=len(v.xs) < 2), "color": {"value": BLUE}}
    spec = {
        "data": {"values": records(rows)},
        **size(v, segmented),
        "layer": trend_marks(v, colour, ",.0f"),
    }
    return chart("mrr-trend", f"{title} trend", facet(spec, v, segmented), wide=segmented)


def mrr_bridge(v: View, frame: pd.DataFrame, segmented: bool) -> Chart | Skipped:
    ids = [m[0] for m in MOVEMENTS]
    rows = rows_of(v, ids, segmented)
    if empty(rows):
        return skipped("MRR movements", rows, frame, ids)
    label = {m: lab for m, lab, _, _ in MOVEMENTS}
    sign = {m: s for m, _, s, _ in MOVEMENTS}
    rows = rows.assign(value=rows["value"] * rows["metric"].map(sign))
    order = {m: i for i, m in enumerate(ids)}
    data = records(rows, movement=lambda r: label[r.metric], order=lambda r: order[r.metric])
    bars = {
        "mark": {"type": "bar", "width": {"band": 0.7}},
        "encoding": {
            "x": x_axis(v),
            "y": y_axis("currency", stack="zero"),
            "color": {
                "field": "movement",
                "type": "nominal",
                "scale": {"domain": [m[1] for m in MOVEMENTS], "range": [m[3] for m in MOVEMENTS]},
            },
            "order": {"field": "order", "type": "quantitative"},
        },
    }
    net = {
        "transform": [
            {
                "aggregate": [{"op": "sum", "field": "value", "as": "net"}],
                "groupby": ["x", "segment"],
            }
        ],
        "mark": {"type": "tick", "color": "#24292f", "thickness": 2, "size": 18},
        "encoding": {"x": x_axis(v), "y": {"field": "net", "type": "quantitative"}},
    }
    zero = {"mark": {"type": "rule", "color": "#57606a"}, "encoding": {"y": {"datum": 0}}}
    spec = {"data": {"values": data}, **size(v, segmented), "layer": [bars, zero, net]}
    title = "MRR movements (black tick: net change)"
    return chart("mrr-bridge", title, facet(spec, v, segmented), wide=segmented)


def panels(
    v: View,
    frame: pd.DataFrame,
    chart_id: str,
    title: str,
    metrics: Sequence[tuple[str, str]],
    segmented: bool = False,
) -> Chart | Skipped:
    """One small panel per metric (own y scale), a row per segment with --by."""
    ids = [m for m, _ in metrics]
    rows = rows_of(v, ids, segmented)
    if empty(rows):
        return skipped(title, rows, frame, ids)
    present = [(m, lab) for m, lab in metrics if not rows.loc[rows["metric"] == m].empty]
    label = dict(present)
    rows = rows[rows["metric"].isin(label)]
    data = records(rows)
    # Panels share their figure: half the page for two, the whole width for three.
    width = 300 if segmented else (440 if len(present) == 1 else 200 if len(present) == 2 else 300)
    concat = []
    for metric, lab in present:
        unit = v.units.get(metric, "")
        colour = {
            "x": x_axis(v),
            "y": y_axis(unit, zero=len(v.xs) < 2 or unit != "%"),
            "color": {"value": BLUE},
        }
        fmt = ",.1f" if unit in ("%", "score", "points") else ",.0f"
        concat.append(
            {
                "transform": [{"filter": {"field": "metric", "equal": metric}}],
                "layer": trend_marks(v, colour, fmt),
                "width": width,
                "height": 150 if segmented else 200,
                "title": {"text": lab, "anchor": "start", "fontSize": 12},
            }
        )
    body: dict[str, Any] = {"hconcat": concat, "resolve": {"scale": {"y": "independent"}}}
    if segmented:
        body = _facet_rows(concat, v)
    spec = {"data": {"values": data}, **body}
    return chart(chart_id, title, spec, wide=segmented or len(present) > 2)


def _facet_rows(concat: list[dict[str, Any]], v: View) -> dict[str, Any]:
    """Panels side by side, one row per segment: a vconcat of filtered hconcats."""
    rows = []
    for segment in v.segments:
        keep = {"filter": {"field": "segment", "equal": segment}}
        row = [
            {
                **panel,
                "transform": [keep, *panel["transform"]],
                "title": {
                    "text": f"{segment}: {panel['title']['text']}",
                    "anchor": "start",
                    "fontSize": 12,
                },
            }
            for panel in concat
        ]
        rows.append({"hconcat": row, "resolve": {"scale": {"y": "independent"}}})
    return {"vconcat": rows}


def retention(v: View, frame: pd.DataFrame, segmented: bool) -> Chart | Skipped:
    metrics = [("net_revenue_retention", "NRR"), ("gross_revenue_retention", "GRR")]
    ids = [m for m, _ in metrics]
    rows = rows_of(v, ids, segmented)
    if empty(rows):
        return skipped("NRR and GRR", rows, frame, ids)
    label = dict(metrics)
    data = records(rows, series=lambda r: label[r.metric])
    colour = {
        "field": "series",
        "type": "nominal",
        "scale": {"domain": ["NRR", "GRR"], "range": [BLUE, "#8250df"]},
    }
    enc: dict[str, Any] = {"x": x_axis(v), "y": y_axis("%", zero=len(v.xs) < 2), "color": colour}
    marks: list[dict[str, Any]]
    if len(v.xs) >= 2:
        marks = [{"mark": {"type": "line", "point": True, "strokeWidth": 2}, "encoding": enc}]
    else:
        enc = {**enc, "xOffset": {"field": "series", "sort": ["NRR", "GRR"]}}
        marks = [
            {"mark": "bar", "encoding": enc},
            {
                "mark": {"type": "text", "dy": -6},
                "encoding": {
                    **enc,
                    "color": {"value": "#24292f"},
                    "text": {"field": "value", "format": ".1f"},
                },
            },
        ]
    hundred = {
        "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#8c959f"},
        "encoding": {"y": {"datum": 100}},
    }
    spec = {"data": {"values": data}, **size(v, segmented), "layer": [*marks, hundred]}
    title = "Net and gross revenue retention (dashed: 100%)"
    return chart("retention", title, facet(spec, v, segmented), wide=segmented)


def nps(v: View, frame: pd.DataFrame) -> Chart | Skipped:
    ids = ["nps", "nps_promoters_pct", "nps_detractors_pct", "nps_margin_of_error"]
    rows = rows_of(v, ids, False)
    if empty(rows):
        return skipped("NPS", rows, frame, ids)
    wide = rows.pivot_table(index="x", columns="metric", values="value", aggfunc="first")
    wide = wide.reindex(index=[x for x in v.xs if x in wide.index], columns=ids)
    shares: list[dict[str, Any]] = []
    scores: list[dict[str, Any]] = []
    for x, r in wide.iterrows():  # one row per period: a handful at most
        score, p, d, margin = (r[i] for i in ids)
        if not (is_null(p) or is_null(d)):
            for name, share in (("Promoters", p), ("Passives", 100 - p - d), ("Detractors", d)):
                shares.append({"x": x, "group": name, "value": clean(share)})
        if not is_null(score):
            lo = hi = None
            if not is_null(margin):
                lo, hi = clean(score - margin), clean(score + margin)
            scores.append({"x": x, "value": clean(score), "lo": lo, "hi": hi})
    y = {"field": "x", "type": "ordinal", "sort": v.xs, "title": None}
    height = max(60, 26 * len(wide))
    parts: list[dict[str, Any]] = []
    if shares:
        parts.append(
            {
                "data": {"values": shares},
                "width": 440,
                "height": height,
                "title": {"text": "Responses (%)", "anchor": "start", "fontSize": 12},
                "mark": "bar",
                "encoding": {
                    "y": y,
                    "x": {
                        "field": "value",
                        "type": "quantitative",
                        "stack": "normalize",
                        "title": None,
                        "axis": {"format": ".0%"},
                    },
                    "color": {
                        "field": "group",
                        "type": "nominal",
                        "scale": {
                            "domain": ["Promoters", "Passives", "Detractors"],
                            "range": [GOOD, "#afb8c1", BAD],
                        },
                    },
                    "order": {"field": "group", "sort": "descending"},
                },
            }
        )
    if scores:
        x = {"type": "quantitative", "title": None, "scale": {"domain": [-100, 100]}}
        parts.append(
            {
                "data": {"values": scores},
                "width": 440,
                "height": height,
                "title": {
                    "text": "NPS with its 95% margin of error",
                    "anchor": "start",
                    "fontSize": 12,
                },
                "layer": [
                    {
                        "mark": {"type": "rule", "color": NEUTRAL, "strokeWidth": 2},
                        "encoding": {"y": y, "x": {"field": "lo", **x}, "x2": {"field": "hi"}},
                    },
                    {
                        "mark": {"type": "point", "filled": True, "size": 60, "color": BLUE},
                        "encoding": {"y": y, "x": {"field": "value", **x}},
                    },
                    {
                        "mark": {"type": "text", "dy": -9, "color": "#24292f"},
                        "encoding": {
                            "y": y,
                            "x": {"field": "value", **x},
                            "text": {"field": "value", "format": ".1f"},
                        },
                    },
                    {
                        "mark": {"type": "rule", "strokeDash": [4, 3], "color": "#d0d7de"},
                        "encoding": {"x": {"datum": 0}},
                    },
                ],
            }
        )
    return chart("nps", "Net Promoter Score", {"hconcat": parts}, wide=True)


def health_bands(v: View, frame: pd.DataFrame) -> Chart | Skipped:
    ids = [m for m, _, _ in BANDS]
    rows = rows_of(v, [*ids, "at_risk_mrr"], False)
    if empty(rows):
        return skipped("Health bands", rows, frame, [*ids, "at_risk_mrr"])
    label = {m: lab for m, lab, _ in BANDS}
    bands = rows[rows["metric"].isin(ids)]
    order = {m: i for i, m in enumerate(ids)}
    parts: list[dict[str, Any]] = []
    if not bands["value"].isna().all():
        data = records(bands, band=lambda r: label[r.metric], order=lambda r: order[r.metric])
        parts.append(
            {
                "data": {"values": data},
                "width": 440,
                "height": 200,
                "title": {"text": "Customers by health band", "anchor": "start", "fontSize": 12},
                "mark": {"type": "bar", "width": {"band": 0.7}},
                "encoding": {
                    "x": x_axis(v),
                    "y": y_axis("customers", stack="zero"),
                    "color": {
                        "field": "band",
                        "type": "nominal",
                        "scale": {"domain": [b[1] for b in BANDS], "range": [b[2] for b in BANDS]},
                    },
                    "order": {"field": "order", "type": "quantitative"},
                },
            }
        )
    risk = rows[rows["metric"] == "at_risk_mrr"]
    if not risk["value"].isna().all():
        colour = {"x": x_axis(v), "y": y_axis("currency"), "color": {"value": BAD}}
        parts.append(
            {
                "data": {"values": records(risk)},
                "width": 440,
                "height": 200,
                "title": {
                    "text": "At-risk MRR" + (f" ({v.currency})" if v.currency else ""),
                    "anchor": "start",
                    "fontSize": 12,
                },
                "layer": trend_marks(v, colour, ",.0f"),
            }
        )
    return chart("health", "Customer health", {"hconcat": parts}, wide=True)


def report_charts(
    frame: pd.DataFrame, periods: Sequence[str], segmented: bool, currency: str
) -> tuple[list[Chart | Skipped], View]:
    """Every chart of the report, in page order."""
    v = view(frame, periods, currency)
    segmented = segmented and len(v.segments) > 1
    charts = [
        mrr_trend(v, frame, segmented),
        mrr_bridge(v, frame, segmented),
        panels(
            v,
            frame,
            "customers",
            "Customers and churn",
            [
                ("customers_end", "Customers at end"),
                ("customer_churn_rate", "Churn rate"),
                ("customer_retention_rate", "Retention rate"),
            ],
            segmented,
        ),
        retention(v, frame, segmented),
        nps(v, frame),
        panels(
            v,
            frame,
            "satisfaction",
            "CSAT and customer effort",
            [("csat", "CSAT"), ("ces", "Customer effort score")],
        ),
        health_bands(v, frame),
    ]
    return charts, v


def band_chart(counts: pd.DataFrame) -> Chart:
    """csm health: customers and MRR per band (rows: band, label, colour, customers, mrr)."""
    data = [
        {"band": r.label, "customers": int(r.customers), "mrr": clean(r.mrr)}
        for r in counts.itertuples(index=False)
    ]
    colour = {
        "field": "band",
        "type": "nominal",
        "legend": None,
        "scale": {"domain": list(counts["label"]), "range": list(counts["colour"])},
    }
    y = {"field": "band", "type": "nominal", "sort": list(counts["label"]), "title": None}
    parts = []
    for field, title, fmt in (("customers", "Customers", ",.0f"), ("mrr", "MRR", ",.0f")):
        x = {"field": field, "type": "quantitative", "title": None}
        parts.append(
            {
                "width": 440,
                "height": 30 * len(data),
                "title": {"text": title, "anchor": "start", "fontSize": 12},
                "layer": [
                    {"mark": "bar", "encoding": {"y": y, "x": x, "color": colour}},
                    {
                        "mark": {"type": "text", "align": "left", "dx": 4},
                        "encoding": {"y": y, "x": x, "text": {"field": field, "format": fmt}},
                    },
                ],
            }
        )
    spec = {"data": {"values": data}, "hconcat": parts}
    return chart("health-bands", "Customers and MRR by health band", spec, wide=True)
