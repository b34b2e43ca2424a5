"""Health metrics in the report (family `health`): the score's mean, band counts, MRR at risk.

Customers are scored at each period's end snapshot (see csmetrics_cli.health.model); only
customers paying at that snapshot are counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csmetrics_cli.engine.cache import per_context
from csmetrics_cli.engine.context import Context
from csmetrics_cli.health.model import HealthModel, score


@per_context
def scored(ctx: Context) -> pd.DataFrame:
    """One row per (period, paying customer) with score, band and mrr at the end snapshot."""

    model = HealthModel.from_config(ctx.config)
    parts = []
    for p in ctx.periods:
        day = np.datetime64(p.end_snapshot, "D")
        frame = score(ctx, day, model)
        frame = frame[frame["mrr"] > 0]
        parts.append(frame.rename_axis("customer_id").reset_index().assign(period=p.label))
    return pd.concat(parts, ignore_index=True)


def scored_detail(band: str | None, ctx: Context) -> pd.DataFrame:
    """The customers (of one band, or "unscored") behind a health metric, lowest score first."""
    rows = scored(ctx)
    if band == "unscored":
        rows = rows[rows["band"].isna()]
    elif band is not None:
        rows = rows[rows["band"] == band]
    columns = ["period", "customer_id", "score", "band", "mrr", "unscored_reason"]
    return rows.sort_values("score")[columns]


@per_context
def counts(ctx: Context) -> pd.DataFrame:
    """Per (period, segment): score sum, scored, band counts, unscored, paying, at-risk MRR,
    and a note when some paying customers could not be scored.

    healthy + needs_attention + at_risk + unscored = paying (customers_end).
    """
    rows = scored(ctx)
    rows = rows.assign(
        healthy=rows["band"] == "healthy",
        needs_attention=rows["band"] == "needs_attention",
        at_risk=rows["band"] == "at_risk",
        at_risk_mrr=rows["mrr"].where(rows["band"] == "at_risk", 0.0),
        scored=rows["score"].notna(),
        unscored=rows["score"].isna(),
    )
    aggs = {
        "score_sum": ("score", "sum"),
        "scored": ("scored", "sum"),
        "healthy": ("healthy", "sum"),
        "needs_attention": ("needs_attention", "sum"),
        "at_risk": ("at_risk", "sum"),
        "unscored": ("unscored", "sum"),
        "paying": ("customer_id", "count"),
        "at_risk_mrr": ("at_risk_mrr", "sum"),
    }
    m = ctx.aggregate(rows, aggs)
    reasons = rows["unscored_reason"].dropna()
    why = f" ({reasons.iloc[0]})" if len(reasons) else ""  # the same reason for every one
    left_out = m["unscored"].astype(int).astype(str) + " paying customer(s) could not be scored"
    left_out += why
    m["note"] = left_out.where(m["unscored"] > 0, None)
    return m
