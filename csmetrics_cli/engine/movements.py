"""Per-customer MRR movements between a period's snapshots, and the measures they add up to.

Per customer c and period, m0 = MRR at the start snapshot (the day before the period) and
m1 = MRR at the end snapshot (its last day). Every revenue measure is a sum over
per-customer movement columns, aggregated overall and per segment in one groupby. The
definition switches same_period_join_and_churn, churn_denominator and reactivation_in_nrr
act here (docs/definitions.md).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from csmetrics_cli.engine.cache import per_context
from csmetrics_cli.engine.context import Context
from csmetrics_cli.engine.snapshots import (
    first_paying_day,
    mrr_matrix,
    subscription_positions,
    subscriptions,
)


def _days(dates: list[date]) -> np.ndarray:
    return np.array([np.datetime64(d, "D") for d in dates])


@per_context
def movements(ctx: Context) -> pd.DataFrame:
    """One row per (period, customer) with m0, m1 and the movement flags.

    Customers neither paying at a snapshot nor acquired in the period are left out.
    """

    subs = subscriptions(ctx)
    customers = ctx.customers()
    starts = _days([p.start_snapshot for p in ctx.periods])
    ends = _days([p.end_snapshot for p in ctx.periods])
    days = np.unique(np.concatenate([starts, ends]))
    codes = subscription_positions(ctx)
    mrr = mrr_matrix(subs, customers, days, ctx.defs["overlapping"], codes)
    m0 = mrr[:, np.searchsorted(days, starts)]
    m1 = mrr[:, np.searchsorted(days, ends)]
    first = first_paying_day(subs, customers, codes)[:, None]
    period_start = _days([p.start for p in ctx.periods])[None, :]
    period_end = _days([p.end for p in ctx.periods])[None, :]
    paid_before = first < period_start
    acquired = (first >= period_start) & (first < period_end)
    keep = ((m0 > 0) | (m1 > 0) | acquired).ravel()
    n_periods = len(ctx.periods)
    frame = pd.DataFrame(
        {
            "period": np.tile(np.array(ctx.labels, dtype=object), len(customers))[keep],
            "customer_id": np.repeat(customers.to_numpy(), n_periods)[keep],
            "m0": m0.ravel()[keep],
            "m1": m1.ravel()[keep],
            "paid_before": paid_before.ravel()[keep],
            "acquired": acquired.ravel()[keep],
        }
    )
    start, end = frame["m0"] > 0, frame["m1"] > 0
    frame["paying_start"] = start
    frame["paying_end"] = end
    # First paying in the period and gone by its end: in neither snapshot.
    frame["joined_and_left"] = frame["acquired"] & ~start & ~end
    both = frame["joined_and_left"] & (ctx.defs["same_period_join_and_churn"] == "count")
    frame["new"] = (~start & end & ~frame["paid_before"]) | both
    frame["reactivated"] = ~start & end & frame["paid_before"]
    frame["churned"] = (start & ~end) | both
    frame["retained"] = start & end
    diff = frame["m1"] - frame["m0"]
    frame["expansion"] = diff.where(frame["retained"] & (diff > 0), 0.0)
    frame["contraction"] = (-diff).where(frame["retained"] & (diff < 0), 0.0)
    return frame


@per_context
def measures(ctx: Context) -> pd.DataFrame:
    """Counts and MRR sums per (period, segment), the base of every revenue metric."""
    mov = movements(ctx)
    mov = mov.assign(
        new_m1=mov["m1"].where(mov["new"], 0.0),
        react_m1=mov["m1"].where(mov["reactivated"], 0.0),
        churn_m0=mov["m0"].where(mov["churned"], 0.0),
    )
    aggs = {
        "customers_start": ("paying_start", "sum"),
        "customers_end": ("paying_end", "sum"),
        "new_customers": ("new", "sum"),
        "reactivated_customers": ("reactivated", "sum"),
        "churned_customers": ("churned", "sum"),
        "retained_customers": ("retained", "sum"),
        "acquired_customers": ("acquired", "sum"),
        "start_mrr": ("m0", "sum"),
        "mrr": ("m1", "sum"),
        "new_mrr": ("new_m1", "sum"),
        "reactivation_mrr": ("react_m1", "sum"),
        "expansion_mrr": ("expansion", "sum"),
        "contraction_mrr": ("contraction", "sum"),
        "churned_mrr": ("churn_m0", "sum"),
    }
    m = ctx.aggregate(mov, aggs)
    # The MRR bridge terms the retention ratios name as their numerators.
    m["net_change_mrr"] = m["expansion_mrr"] - m["contraction_mrr"] - m["churned_mrr"]
    m["net_retained_mrr"] = m["start_mrr"] + m["net_change_mrr"]
    if ctx.defs["reactivation_in_nrr"]:
        m["net_retained_mrr"] += m["reactivation_mrr"]
    m["gross_retained_mrr"] = m["start_mrr"] - m["contraction_mrr"] - m["churned_mrr"]
    m["lost_mrr"] = m["churned_mrr"] + m["contraction_mrr"]
    m["gained_mrr"] = m["new_mrr"] + m["reactivation_mrr"] + m["expansion_mrr"]
    m["churn_base"] = churn_base(m, ctx.defs["churn_denominator"])
    return m


def churn_base(m: pd.DataFrame, rule: str) -> pd.Series:
    """What customer churn and retention rates divide by: customers_start; the mean of the
    start and end counts (average); or customers_start + new_customers (start_plus_new)."""
    if rule == "average":
        return (m["customers_start"] + m["customers_end"]) / 2
    if rule == "start_plus_new":
        return m["customers_start"] + m["new_customers"]
    return m["customers_start"]


# measure -> (its label, the movement flag of the customers behind it, the amount they add)
TERMS: dict[str, tuple[str, str, str]] = {
    "customers_start": ("customers at start", "paying_start", "m0"),
    "customers_end": ("customers at end", "paying_end", "m1"),
    "new_customers": ("new customers", "new", "m1"),
    "reactivated_customers": ("reactivated customers", "reactivated", "m1"),
    "churned_customers": ("churned customers", "churned", "m0"),
    "retained_customers": ("retained customers", "retained", "m1"),
    "start_mrr": ("start MRR", "paying_start", "m0"),
    "mrr": ("MRR at end", "paying_end", "m1"),
    "new_mrr": ("new MRR", "new", "m1"),
    "reactivation_mrr": ("reactivation MRR", "reactivated", "m1"),
    "expansion_mrr": ("expansion", "expansion", "expansion"),
    "contraction_mrr": ("contraction", "contraction", "contraction"),
    "churned_mrr": ("churned MRR", "churned", "m0"),
}


def movers(flag: str, amount: str, ctx: Context) -> pd.DataFrame:
    """Rows behind a movement: the customers where `flag` is set, with m0, m1 and `amount`."""
    mov = movements(ctx)
    rows = mov[mov[flag].astype(bool)]
    return rows[["period", "customer_id", "m0", "m1"]].assign(amount=rows[amount])


def classified(ctx: Context) -> pd.DataFrame:
    """Per (period, customer) in the movements: m0, m1 and the movement it counts as, in
    words, so that two definitions can be compared customer by customer."""
    mov = movements(ctx)
    left = mov["joined_and_left"]
    movement = np.select(
        [left & mov["new"], left, mov["new"], mov["reactivated"], mov["churned"], mov["retained"]],
        ["joined and left: new and churned", "joined and left: neither new nor churned", "new",
         "reactivated", "churned", "retained"],
        "not paying at either snapshot",
    )  # fmt: skip
    return mov[["period", "customer_id", "m0", "m1", "joined_and_left"]].assign(movement=movement)
