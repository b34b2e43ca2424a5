"""Health metrics in the report (family `health`): the score's mean, band counts, MRR at risk.

Customers are scored at each period's end snapshot (see csmetrics_cli.health.model); only
customers paying at that snapshot are counted.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from csmetrics_cli.engine.context import Context
from csmetrics_cli.health.model import HealthModel, score
from csmetrics_cli.metrics.registry import MetricSpec, measure, ratio, register

SUBS = ("subscriptions",)
NO_PAYING = "no paying customers at the end snapshot"


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


def _detail(band: str | None) -> Callable[[Context], pd.DataFrame]:
    """The scored customers (of one band) behind a health metric, lowest score first."""

    def detail(ctx: Context) -> pd.DataFrame:
        rows = scored(ctx)
        rows = rows if band is None else rows[rows["band"] == band]
        columns = ["period", "customer_id", "score", "band", "mrr", "unscored_reason"]
        return rows.sort_values("score")[columns]

    return detail


def _counts(ctx: Context) -> pd.DataFrame:
    """Per (period, segment): score sum, scored, band counts, unscored, paying, at-risk MRR.

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
    return ctx.memo("health_counts", lambda: ctx.aggregate(rows, aggs))


def _mean_score(ctx: Context) -> pd.DataFrame:
    """Sum of scores / scored paying customers; unscored customers are left out, and said so."""
    m = _counts(ctx)
    out = ratio(m["score_sum"], m["scored"], scale=1.0, zero_note=NO_PAYING)
    unscored = m["unscored"].astype(int)
    reasons = scored(ctx)["unscored_reason"].dropna()
    why = f" ({reasons.iloc[0]})" if len(reasons) else ""  # the same reason for every one
    left_out = unscored.astype(str) + f" paying customer(s) could not be scored{why}"
    out["note"] = out["note"].where(unscored == 0, left_out)
    return out


register(
    MetricSpec("customer_health_score", "Customer health score", "health", "score",
               "mean health score (0-100) over customers paying at the end snapshot", SUBS,
               _mean_score, detail=_detail(None)),
    MetricSpec("healthy_customers", "Healthy customers", "health", "customers",
               "paying customers with score >= 70 (config health_bands.healthy)", SUBS,
               lambda ctx: measure(_counts(ctx)["healthy"]), detail=_detail("healthy")),
    MetricSpec("needs_attention_customers", "Needs-attention customers", "health", "customers",
               "paying customers with 40 <= score < 70", SUBS,
               lambda ctx: measure(_counts(ctx)["needs_attention"]),
               detail=_detail("needs_attention")),
    MetricSpec("at_risk_customers", "At-risk customers", "health", "customers",
               "paying customers with score < 40 (config health_bands.at_risk)", SUBS,
               lambda ctx: measure(_counts(ctx)["at_risk"]), detail=_detail("at_risk")),
    MetricSpec("at_risk_mrr", "At-risk MRR", "health", "currency",
               "sum of MRR at the end snapshot over at-risk customers", SUBS,
               lambda ctx: measure(_counts(ctx)["at_risk_mrr"]), detail=_detail("at_risk")),
)  # fmt: skip
