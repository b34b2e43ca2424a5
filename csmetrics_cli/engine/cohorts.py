"""Cohorts and how far outcomes can be followed: each customer's start and its period,
and the last day observed in the data."""

from __future__ import annotations

import numpy as np
import pandas as pd

from csmetrics_cli.contracts.checks import positions_in
from csmetrics_cli.engine.cache import per_context, per_dataset
from csmetrics_cli.engine.context import Context
from csmetrics_cli.engine.snapshots import (
    as_days,
    first_paying_day,
    subscription_positions,
    subscriptions,
)
from csmetrics_cli.engine.span import OBSERVED_DATES, data_span


@per_dataset
def last_day(ctx: Context) -> np.datetime64:
    """The latest observed day in any table present (NaT when there is none): outcomes
    after a cohort's period are counted up to this day (see engine/span.py)."""
    _, last = data_span(ctx.data, OBSERVED_DATES)
    return np.datetime64(last, "D") if last else np.datetime64("NaT", "D")


@per_context
def cohort(ctx: Context) -> pd.DataFrame:
    """Per customer: `start` (created_at, else first paying day) and the period it falls in."""
    customers = ctx.customers()
    paying = np.full(len(customers), np.datetime64("NaT"), dtype="datetime64[D]")
    if ctx.data.has("subscriptions"):
        paying = first_paying_day(subscriptions(ctx), customers, subscription_positions(ctx))
    start = paying
    table = ctx.data.table("customers")
    if table is not None and "created_at" in table.columns:
        at = positions_in(customers, table["customer_id"])
        created = np.full(len(customers), np.datetime64("NaT"), dtype="datetime64[D]")
        created[at[at >= 0]] = as_days(table["created_at"])[at >= 0]
        start = np.where(np.isnat(created), paying, created)
    start = pd.Series(start.astype("datetime64[s]"), index=customers)
    return pd.DataFrame({"start": start, "period": ctx.assign_period(start)})
