"""MRR per customer on any set of days: the vectorised core every revenue metric reads.

A subscription is active on day d when start_date <= d < end_date (blank end = open); a
customer's MRR on d is the sum of mrr over its active subscriptions. One broadcast over
subscriptions x snapshot days serves every snapshot of a trend at once.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

FAR_FUTURE = np.datetime64("9999-12-31", "D")


def as_days(values: pd.Series) -> np.ndarray:
    """Dates as numpy day values (NaT kept)."""
    return np.asarray(values.to_numpy(dtype="datetime64[ns]"), dtype="datetime64[D]")


def mrr_matrix(subs: pd.DataFrame, customers: pd.Index, days: np.ndarray) -> np.ndarray:
    """customers x days array of MRR: sum of mrr over subscriptions active on each day."""
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
    np.add.at(out, codes, active * subs["mrr"].to_numpy(dtype="float64")[:, None])
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
