"""How well the health score predicted churn: score customers at past snapshots, then look
`horizon` months later. A customer paying at the snapshot churned when its MRR is 0 then.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from csmetrics_cli.engine.context import Context
from csmetrics_cli.engine.snapshots import mrr_matrix, subscription_positions, subscriptions
from csmetrics_cli.health.model import BANDS, HealthModel, score


def outcomes(
    ctx: Context, days: Sequence[np.datetime64], horizon: int, model: HealthModel
) -> pd.DataFrame:
    """Per (snapshot, paying customer): score, band, and whether it churned within `horizon`."""
    customers = ctx.customers()
    subs = subscriptions(ctx)
    later = [np.datetime64(pd.Timestamp(d) + pd.DateOffset(months=horizon), "D") for d in days]
    after = mrr_matrix(subs, customers, np.array(later, dtype="datetime64[D]"),
                       ctx.defs["overlapping"], subscription_positions(ctx))  # fmt: skip
    parts = []
    for i, day in enumerate(days):
        frame = score(ctx, day, model)
        frame["churned"] = after[:, i] == 0
        frame = frame[(frame["mrr"] > 0) & frame["score"].notna()]
        parts.append(frame.assign(snapshot=str(day)))
    return pd.concat(parts).rename_axis("customer_id").reset_index()


def auc(scores: pd.Series, churned: pd.Series) -> float | None:
    """P(a churner scores lower than a customer who stayed), ties counting half."""
    n_churn = int(churned.sum())
    n_stay = len(churned) - n_churn
    if n_churn == 0 or n_stay == 0:
        return None
    ranks = scores.rank(method="average")
    stay_rank_sum = float(ranks[~churned.to_numpy()].sum())
    return (stay_rank_sum - n_stay * (n_stay + 1) / 2) / (n_stay * n_churn)


def summarise(rows: pd.DataFrame) -> dict[str, object]:
    """Churn per band and the AUC, as the JSON `csm health --backtest` prints."""
    grouped = rows.groupby("band")["churned"].agg(["size", "sum"]).reindex(BANDS, fill_value=0)
    bands = [
        {
            "band": band,
            "customers": int(n),
            "churned": int(c),
            "churn_rate": (c / n * 100) if n else None,
        }
        for band, (n, c) in grouped.iterrows()
    ]
    return {
        "bands": bands,
        "auc": auc(rows["score"], rows["churned"].astype(bool)),
        "observations": len(rows),
        "snapshots": sorted(rows["snapshot"].unique().tolist()),
    }
