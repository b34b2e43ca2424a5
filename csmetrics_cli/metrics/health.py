"""Health metrics in the report (family `health`): the score's mean, band counts, MRR at risk.

Customers are scored at each period's end snapshot (see csmetrics_cli.health.model); only
customers paying at that snapshot are counted.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csmetrics_cli.engine.context import Context
from csmetrics_cli.health.model import HealthModel, score


def scored(ctx: Context) -> pd.DataFrame:
    """One row per (period, paying customer) with score, band and mrr at the end snapshot."""

    def build() -> pd.DataFrame:
        model = HealthModel.from_config(ctx.config)
        parts = []
        for p in ctx.periods:
            day = np.datetime64(p.end_snapshot, "D")
            frame = score(ctx.data, ctx.customers(), day, model)
            frame = frame[frame["mrr"] > 0]
            parts.append(frame.rename_axis("customer_id").reset_index().assign(period=p.label))
        return pd.concat(parts, ignore_index=True)

    return ctx.memo("health_scores", build)


def scored_detail(band: str | None, ctx: Context) -> pd.DataFrame:
    """The customers (of one band, or "unscored") behind a health metric, lowest score first."""
    rows = scored(ctx)
    if band == "unscored":
        rows = rows[rows["band"].isna()]
    elif band is not None:
        rows = rows[rows["band"] == band]
    return rows.sort_values("score")[["period", "customer_id", "score", "band", "mrr"]]


def counts(ctx: Context) -> pd.DataFrame:
    """Per (period, segment): score sum, scored customers, customers per band, at-risk MRR."""
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
        "at_risk_mrr": ("at_risk_mrr", "sum"),
        "unscored": ("unscored", "sum"),
    }
    return ctx.memo("health_counts", lambda: ctx.aggregate(rows, aggs))
