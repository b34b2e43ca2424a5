"""MRR per customer on any set of days: the vectorised core every revenue metric reads.

A subscription is active on day d when start_date <= d < end_date (blank end = open); a
customer's MRR on d is the sum of mrr over its active subscriptions. One broadcast over
subscriptions x snapshot days serves every snapshot of a trend at once. The definition
switches `end_dates`, `churn_at` (in `subscriptions`) and `overlapping` (in `mrr_matrix`)
change what "active" and "sum" mean.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csmetrics_cli.engine.cache import per_context
from csmetrics_cli.engine.context import Context

FAR_FUTURE = np.datetime64("9999-12-31", "D")
ONE_DAY = pd.Timedelta(days=1)


def as_days(values: pd.Series) -> np.ndarray:
    """Dates as numpy day values (NaT kept)."""
    return np.asarray(values.to_numpy(dtype="datetime64[ns]"), dtype="datetime64[D]")


@per_context
def subscriptions(ctx: Context) -> pd.DataFrame:
    """The subscriptions table with end_date (and term_end) as the switches read them.

    end_dates = inclusive: an end date is the last day of service, so service stops the day
    after it. churn_at = cancel: a canceled_at before the end stops service from that day.
    """
    subs = ctx.data.table("subscriptions")
    assert subs is not None
    defs = ctx.defs
    inclusive = defs["end_dates"] == "inclusive"
    cancel = defs["churn_at"] == "cancel" and "canceled_at" in subs
    if not (inclusive or cancel):
        return subs
    subs = subs.copy()
    if "end_date" not in subs:
        subs["end_date"] = pd.Series(pd.NaT, index=subs.index, dtype="datetime64[ns]")
    if inclusive:
        subs["end_date"] = subs["end_date"] + ONE_DAY
        if "term_end" in subs:
            subs["term_end"] = subs["term_end"] + ONE_DAY
    if cancel:
        canceled = subs["canceled_at"]
        earlier = canceled.notna() & (subs["end_date"].isna() | (canceled < subs["end_date"]))
        subs["end_date"] = subs["end_date"].where(~earlier, canceled)
    return subs


def mrr_matrix(
    subs: pd.DataFrame, customers: pd.Index, days: np.ndarray, overlapping: str = "sum"
) -> np.ndarray:
    """customers x days array of MRR over the subscriptions active on each day.

    overlapping: "sum" adds them; "max" takes the largest; "latest" takes the most recently
    started one (the largest of those started that same day).
    """
    out = np.zeros((len(customers), len(days)), dtype="float64")
    if subs.empty or len(days) == 0:
        return out
    codes = customers.get_indexer(subs["customer_id"])
    if (codes < 0).any():  # subscriptions of customers outside `customers` do not count
        subs, codes = subs[codes >= 0], codes[codes >= 0]
    start = as_days(subs["start_date"])
    end = (
        as_days(subs["end_date"])
        if "end_date" in subs
        else np.full(len(subs), np.datetime64("NaT"))
    )
    end = np.where(np.isnat(end), FAR_FUTURE, end)
    days = np.asarray(days, dtype="datetime64[D]")
    active = (start[:, None] <= days[None, :]) & (end[:, None] > days[None, :])
    amount = active * subs["mrr"].to_numpy(dtype="float64")[:, None]
    if overlapping == "sum":
        np.add.at(out, codes, amount)
        return out
    if overlapping == "latest":
        # Only the subscriptions started on the customer's latest start among those active.
        started = np.where(active, start.astype("int64")[:, None], np.iinfo(np.int64).min)
        latest = np.full(out.shape, np.iinfo(np.int64).min, dtype="int64")
        np.maximum.at(latest, codes, started)
        amount = np.where(active & (started == latest[codes]), amount, 0.0)
    np.maximum.at(out, codes, amount)
    return out


def first_paying_day(subs: pd.DataFrame, customers: pd.Index) -> np.ndarray:
    """Each customer's first day with MRR > 0 (NaT when never paying)."""
    start = as_days(subs["start_date"])
    end = (
        as_days(subs["end_date"])
        if "end_date" in subs
        else np.full(len(subs), np.datetime64("NaT"))
    )
    paid = (subs["mrr"].to_numpy() > 0) & (np.isnat(end) | (end > start))
    first = (
        pd.Series(start[paid], index=subs["customer_id"].to_numpy()[paid])
        .groupby(level=0)
        .min()
        .reindex(customers)
    )
    return np.asarray(first.to_numpy(dtype="datetime64[ns]"), dtype="datetime64[D]")
