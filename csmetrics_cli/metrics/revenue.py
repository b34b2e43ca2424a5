"""Revenue and retention metrics (family `revenue`), SPEC section 3.

Per customer c and period, m0 = MRR at the start snapshot (the day before the period) and
m1 = MRR at the end snapshot (its last day). Every metric here is a sum or ratio of
per-customer movement columns, aggregated overall and per segment in one groupby.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from csmetrics_cli.engine.context import ALL, BLANK_SEGMENT, Context
from csmetrics_cli.engine.snapshots import first_paying_day, mrr_matrix
from csmetrics_cli.metrics.compute import value_of
from csmetrics_cli.metrics.results import ratio, result

DAYS_PER_MONTH = 365.25 / 12
NO_START = "no paying customers at the start snapshot"


def _days(dates: list[date]) -> np.ndarray:
    return np.array([np.datetime64(d, "D") for d in dates])


def movements(ctx: Context) -> pd.DataFrame:
    """One row per (period, customer) with m0, m1 and the movement flags.

    Customers neither paying at a snapshot nor acquired in the period are left out.
    """

    def build() -> pd.DataFrame:
        subs = ctx.data.table("subscriptions")
        assert subs is not None
        customers = ctx.customers()
        starts = _days([p.start_snapshot for p in ctx.periods])
        ends = _days([p.end_snapshot for p in ctx.periods])
        days = np.unique(np.concatenate([starts, ends]))
        mrr = mrr_matrix(subs, customers, days)
        m0 = mrr[:, np.searchsorted(days, starts)]
        m1 = mrr[:, np.searchsorted(days, ends)]
        first = first_paying_day(subs, customers)[:, None]
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
        frame["new"] = ~start & end & ~frame["paid_before"]
        frame["reactivated"] = ~start & end & frame["paid_before"]
        frame["churned"] = start & ~end
        frame["retained"] = start & end
        diff = frame["m1"] - frame["m0"]
        frame["expansion"] = diff.where(frame["retained"] & (diff > 0), 0.0)
        frame["contraction"] = (-diff).where(frame["retained"] & (diff < 0), 0.0)
        return frame

    return ctx.memo("movements", build)


def measures(ctx: Context) -> pd.DataFrame:
    """Counts and MRR sums per (period, segment), the base of every revenue metric."""

    def build() -> pd.DataFrame:
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
        m["gross_retained_mrr"] = m["start_mrr"] - m["contraction_mrr"] - m["churned_mrr"]
        m["lost_mrr"] = m["churned_mrr"] + m["contraction_mrr"]
        return m

    return ctx.memo("revenue_measures", build)


def movers(flag: str, amount: str, ctx: Context) -> pd.DataFrame:
    """Rows behind a movement: the customers where `flag` is set, with m0, m1 and `amount`."""
    mov = movements(ctx)
    rows = mov[mov[flag].astype(bool)]
    return rows[["period", "customer_id", "m0", "m1"]].assign(amount=rows[amount])


def arr(ctx: Context) -> pd.DataFrame:
    """mrr x 12."""
    mrr = value_of(ctx, "mrr")
    return result(mrr["value"] * 12, mrr["value"], None, mrr["note"])


def renewal(ctx: Context) -> pd.DataFrame:
    """Customers with a term_end in the period that renewed / customers with a term_end there."""
    subs = ctx.data.table("subscriptions")
    assert subs is not None
    due = subs[subs["term_end"].notna()].copy()
    due["period"] = ctx.assign_period(due["term_end"])
    due = due[due["period"].notna()]
    # Paying on the term_end day means the contract carried on (renewed or replaced).
    pairs = due[["subscription_id", "customer_id", "term_end"]].merge(
        subs[["customer_id", "start_date", "end_date", "mrr"]], on="customer_id"
    )
    active = (
        (pairs["start_date"] <= pairs["term_end"])
        & (pairs["end_date"].isna() | (pairs["end_date"] > pairs["term_end"]))
        & (pairs["mrr"] > 0)
    )
    paying = active.groupby(pairs["subscription_id"]).any()
    outcome = due["subscription_id"].map(paying).fillna(False).astype(bool)
    if "renewed" in due:
        outcome = due["renewed"].astype("boolean").fillna(outcome).astype(bool)
    per_customer = (
        due.assign(renewed=outcome)
        .groupby(["period", "customer_id"], as_index=False)["renewed"]
        .any()
    )
    m = ctx.aggregate(
        per_customer, {"due": ("customer_id", "count"), "renewed": ("renewed", "sum")}
    )
    return ratio(m["renewed"], m["due"], zero_note="no contract term ends in the period")


def _monthly_churn(ctx: Context) -> pd.Series:
    """Mean monthly customer churn rate (fraction) per (period, segment)."""

    def build() -> pd.Series:
        calendar = ctx.periods[0].kind in ("month", "quarter", "year")
        if not calendar:
            # Shorter than a month: scale the period's own churn to a month.
            m = measures(ctx)
            length = {p.label: p.days for p in ctx.periods}
            days = pd.Series(m.index.get_level_values("period").map(length), index=m.index)
            rate = m["churned_customers"] / m["customers_start"].where(m["customers_start"] > 0)
            return rate * DAYS_PER_MONTH / days
        months = sorted({mp for p in ctx.periods for mp in p.months()})
        sub = Context(ctx.data, months, ctx.segment_by)
        mm = measures(sub)
        rate = mm["churned_customers"] / mm["customers_start"].where(mm["customers_start"] > 0)
        parent = {mp.label: p.label for p in ctx.periods for mp in p.months()}
        frame = rate.rename("rate").reset_index()
        frame["period"] = frame["period"].map(parent)
        return frame.groupby(["period", "segment"], sort=False)["rate"].mean().reindex(ctx.grid())

    return ctx.memo("monthly_churn", build)


def lifetime(ctx: Context) -> pd.DataFrame:
    rate = _monthly_churn(ctx)
    value = 1 / rate.where(rate > 0)
    note = pd.Series(NO_START, index=rate.index, dtype=object).where(rate.isna(), None)
    note[rate == 0] = "no churn in the period: lifetime is unbounded"
    return result(value, pd.Series(1.0, index=rate.index), rate, note.where(value.isna(), None))


def clv(ctx: Context) -> pd.DataFrame:
    arpu = value_of(ctx, "arpu")
    life = value_of(ctx, "customer_lifetime_months")
    value = arpu["value"] * life["value"] * ctx.config.gross_margin
    note = life["note"].where(life["note"].notna(), arpu["note"])
    return result(value, arpu["value"], life["value"], note.where(value.isna(), None))


def clv_purchase(ctx: Context) -> pd.DataFrame:
    """Paid amount / paid customers over the trailing window x lifetime in years."""
    invoices = ctx.data.table("invoices")
    assert invoices is not None
    paid = invoices[invoices["status"] == "paid"]
    window = ctx.config.clv_window_months
    parts = []
    for p in ctx.periods:
        since = pd.Timestamp(p.end) - pd.DateOffset(months=window)
        rows = paid[(paid["issued_at"] >= since) & (paid["issued_at"] < pd.Timestamp(p.end))]
        parts.append(rows[["customer_id", "amount"]].assign(period=p.label))
    rows = pd.concat(parts, ignore_index=True)
    m = ctx.aggregate(rows, {"amount": ("amount", "sum"), "customers": ("customer_id", "nunique")})
    per_customer = ratio(
        m["amount"], m["customers"], scale=1.0, zero_note="no paid invoices in the window"
    )
    life = value_of(ctx, "customer_lifetime_months")
    value = per_customer["value"] * life["value"] / 12
    note = per_customer["note"].where(per_customer["note"].notna(), life["note"])
    return result(value, m["amount"], m["customers"], note.where(value.isna(), None))


def _costs(ctx: Context, category: str) -> tuple[pd.Series, pd.Series]:
    """Costs of `category` dated in each period, overall and per segment when costs have it."""
    costs = ctx.data.table("costs")
    assert costs is not None
    grid = ctx.grid()
    rows = costs[costs["category"] == category]
    if rows.empty:
        why = f"no '{category}' costs in the costs table"
        return pd.Series(np.nan, index=grid), pd.Series(why, index=grid)
    rows = rows.assign(period=ctx.assign_period(rows["date"]))
    by = ctx.segment_by
    if by is not None and by in rows.columns:
        rows = rows.assign(segment=rows[by].fillna(BLANK_SEGMENT))
    total = ctx.aggregate(rows, {"amount": ("amount", "sum")})["amount"]
    note = pd.Series(None, index=grid, dtype="object")
    if by is not None and by not in rows.columns:
        per_segment = grid.get_level_values("segment") != ALL
        total[per_segment] = np.nan
        note[per_segment] = f"costs have no '{by}' column to split them by"
    return total, note


def cost_ratio(category: str, denominator: str, zero_note: str, ctx: Context) -> pd.DataFrame:
    """Costs of `category` dated in the period / the revenue measure `denominator`."""
    amount, note = _costs(ctx, category)
    out = ratio(amount, measures(ctx)[denominator], scale=1.0, zero_note=zero_note)
    out["note"] = note.where(note.notna(), out["note"])
    return out


def ltv_to_cac(ctx: Context) -> pd.DataFrame:
    clv, cac = value_of(ctx, "clv"), value_of(ctx, "cac")
    out = ratio(clv["value"], cac["value"], scale=1.0, zero_note="cac is 0")
    out["note"] = cac["note"].where(cac["note"].notna(), clv["note"]).where(out["value"].isna())
    return out
