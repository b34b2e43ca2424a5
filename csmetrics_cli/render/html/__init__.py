"""`--format html`: one self-contained page (tiles, SVG charts, tables) that opens offline.

The charts are Vega-Lite specs drawn to SVG in Python by vl-convert (charts.py), so the page
has no script and loads nothing. vl-convert is imported only here, when html is asked for.
"""

from __future__ import annotations

from html import escape
from typing import TYPE_CHECKING

import pandas as pd

from csmetrics_cli.problems import CsmError
from csmetrics_cli.render import Env
from csmetrics_cli.render.cells import human
from csmetrics_cli.render.html import charts as ch
from csmetrics_cli.render.html.page import (
    charts_section,
    document,
    family_tables,
    quality,
    table,
)
from csmetrics_cli.render.html.tiles import tiles
from csmetrics_cli.render.values import clean

if TYPE_CHECKING:
    from csmetrics_cli.api import HealthResult, ReportResult

MAX_CUSTOMERS = 1000  # rows in the health page's table; csv or xlsx carry every customer


def _need_engine() -> None:
    try:
        import vl_convert  # noqa: F401
    except ImportError as exc:
        raise CsmError(
            "--format html needs the vl-convert-python package",
            hint="pip install 'csmetrics-cli[html]'",
        ) from exc


def report_html(result: ReportResult, env: Env) -> bytes:
    """The report as a dashboard page."""
    _need_engine()
    frame, periods = result.frame, result.periods
    currency = env.currency or result.currency
    segmented = result.segment_by is not None
    charts, view = ch.report_charts(frame, periods, segmented, currency)
    through = result.data_through
    meta = [f"Data: {escape(result.data)}"]
    if through.get("last"):
        meta.append(
            f"data through {escape(str(through['first']))} to {escape(str(through['last']))}"
        )
    meta.append(
        f"{len(periods)} period{'s' if len(periods) > 1 else ''}: "
        + escape(", ".join(periods) if len(periods) <= 3 else f"{periods[0]} to {periods[-1]}")
    )
    if "change" in frame.columns:
        meta.append("compared with the previous period")
    meta.append(escape(result.definitions.header()))
    note = ""
    if segmented and len(view.segments) > 1:
        shown = len(view.segments) - 1
        total = shown + view.hidden_segments
        note = f"Small multiples by {result.segment_by}: all customers and " + (
            f"the {shown} largest of {total} segments by MRR; the tables list every segment."
            if view.hidden_segments
            else f"{total} segments."
        )
    body = [
        f"<header><h1>{escape(result.title)}</h1>",
        f'<p class="meta">{" · ".join(meta)}</p>',
        *(f'<p class="warn">Warning: {escape(w)}</p>' for w in result.warnings),
        "</header>",
        tiles(frame, view, periods, currency),
        charts_section(charts, note),
        family_tables(frame, periods, currency),
        quality(result.data_quality, result.warnings),
    ]
    return document(result.title, "".join(body))


def _bands(customers: pd.DataFrame) -> pd.DataFrame:
    band = customers["band"].astype(object).where(customers["band"].notna(), "unscored")
    grouped = customers.assign(band=band).groupby("band")["mrr"].agg(["size", "sum"])
    rows = []
    for (metric, label, colour), key in zip(
        ch.BANDS, ("healthy", "needs_attention", "at_risk", "unscored"), strict=True
    ):
        size, mrr = (
            (grouped.loc[key, "size"], grouped.loc[key, "sum"])
            if key in grouped.index
            else (0, 0.0)
        )
        rows.append(
            {
                "band": key,
                "metric": metric,
                "label": label,
                "colour": colour,
                "customers": int(size),
                "mrr": float(mrr),
            }
        )
    return pd.DataFrame(rows)


def health_html(result: HealthResult, env: Env) -> bytes:
    """csm health as a page: band summary, a band chart and the customer table."""
    from csmetrics_cli.health.model import COMPONENTS

    _need_engine()
    customers = result.customers
    title = f"csm health on {result.snapshot}"
    counts = _bands(customers)
    n = max(result.total, 1)
    labels = dict(zip(counts["band"], counts["label"], strict=True))
    cards = "".join(  # every paying customer per band, whatever the list shows
        f'<div class="tile" id="tile-{band}"><div class="label">'
        f"{escape(labels.get(band, band.replace('_', ' ')).upper())}</div>"
        f'<div class="value">{count:,}</div><div class="note">'
        f"{count / n:.0%} of paying customers</div></div>"
        for band, count in result.band_counts.items()
    )
    chart = ch.band_chart(counts[counts["customers"] > 0]) if len(customers) else None
    listed = ("name", "owner", "plan", "renewal_date", "mrr", "score", "score_change", "band",
              "drivers", "unscored_reason", *COMPONENTS)  # fmt: skip
    columns = [c for c in listed if c in customers and customers[c].notna().any()]
    shown = customers.head(MAX_CUSTOMERS)
    units = {"score": "score", "score_change": "score", "mrr": "currency",
             **{c: "score" for c in COMPONENTS}}  # fmt: skip
    rows = []
    for cid, r in zip(shown.index, shown[columns].itertuples(index=False), strict=True):
        cells = [escape(str(cid))]
        for c, value in zip(columns, r, strict=True):
            if c in units:
                cells.append(escape(human(value, units[c], env.currency)))
            else:
                text = clean(value)
                cells.append(
                    "" if text is None else f'<span class="txt">{escape(str(text))}</span>'
                )
        rows.append(cells)
    lines = [f"{len(customers):,} of {result.total:,} paying customers shown, lowest score first."]
    if len(customers) > MAX_CUSTOMERS:
        lines.append(
            f"The table lists the first {MAX_CUSTOMERS:,}; --format csv or xlsx (or"
            " --band/--top) for the rest."
        )
    bands = ", ".join(
        f"{k} >= {v:g}" if k == "healthy" else f"{k} < {v:g}" for k, v in result.bands.items()
    )
    weights = ", ".join(f"{k} {v:g}" for k, v in result.weights.items())
    body = [
        f"<header><h1>{escape(title)}</h1>",
        *(f'<p class="meta">{escape(line)}</p>' for line in lines),
        f'<p class="meta">Bands: {escape(bands)}. Weights: {escape(weights)}.</p></header>',
        f'<section class="tiles">{cards}</section>',
        charts_section([chart] if chart else []),
        '<section id="customers"><h2>Customers</h2>',
        table(["Customer", *(escape(c) for c in columns)], rows, "table-customers"),
        "</section>",
    ]
    return document(title, "".join(body))
