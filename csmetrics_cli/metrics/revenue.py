"""Revenue and retention metrics (family `revenue`), SPEC section 3.

Per customer c and period, m0 = MRR at the start snapshot (the day before the period) and
m1 = MRR at the end snapshot (its last day). Every metric here is a sum or ratio of
per-customer movement columns, aggregated overall and per segment in one groupby.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import numpy as np
import pandas as pd

from csmetrics_cli.engine.context import ALL, BLANK_SEGMENT, Context
from csmetrics_cli.engine.snapshots import first_paying_day, mrr_matrix
from csmetrics_cli.metrics.registry import (
    Compute,
    MetricSpec,
    measure,
    ratio,
    register,
    result,
    value_of,
)

DAYS_PER_MONTH = 365.25 / 12
SUBS = ("subscriptions",)
NO_START = "no paying customers at the start snapshot"
NO_START_MRR = "no MRR at the start snapshot"
NO_END = "no paying customers at the end snapshot"


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


def _measure(name: str) -> Compute:
    return lambda ctx: measure(measures(ctx)[name])


def _movement_detail(flag: str, amount: str) -> Callable[[Context], pd.DataFrame]:
    """Rows behind a movement: the customers where `flag` is set, with m0, m1 and `amount`."""

    def detail(ctx: Context) -> pd.DataFrame:
        mov = movements(ctx)
        rows = mov[mov[flag].astype(bool)]
        return rows[["period", "customer_id", "m0", "m1"]].assign(amount=rows[amount])

    return detail


def _rate(numerator: str, denominator: str, zero_note: str, scale: float = 100.0) -> Compute:
    """measures[numerator] / measures[denominator] x scale (a percentage by default)."""

    def compute(ctx: Context) -> pd.DataFrame:
        m = measures(ctx)
        return ratio(m[numerator], m[denominator], scale=scale, zero_note=zero_note)

    return compute


def _arr(ctx: Context) -> pd.DataFrame:
    m = measures(ctx)
    return result(m["mrr"] * 12, m["mrr"], None)


def _renewal(ctx: Context) -> pd.DataFrame:
    """Customers with a term_end in the period that renewed / customers with a term_end there."""
    subs = ctx.data.table("subscriptions")
    assert subs is not None
    due = subs[subs["term_end"].notna()].copy()
    due["period"] = ctx.assign_period(due["term_end"])
    due = due[due["period"].notna()]
    # Paying on the term_end day means the contract carried on (renewed or replaced).
    end = subs["end_date"] if "end_date" in subs else pd.Series(pd.NaT, index=subs.index)
    pairs = due[["subscription_id", "customer_id", "term_end"]].merge(
        subs[["customer_id", "start_date", "mrr"]].assign(end_date=end), on="customer_id"
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


def _lifetime(ctx: Context) -> pd.DataFrame:
    rate = _monthly_churn(ctx)
    value = 1 / rate.where(rate > 0)
    note = pd.Series(NO_START, index=rate.index, dtype=object).where(rate.isna(), None)
    note[rate == 0] = "no churn in the period: lifetime is unbounded"
    return result(value, pd.Series(1.0, index=rate.index), rate, note.where(value.isna(), None))


def _clv(ctx: Context) -> pd.DataFrame:
    arpu = value_of(ctx, "arpu")
    life = value_of(ctx, "customer_lifetime_months")
    value = arpu["value"] * life["value"] * ctx.config.gross_margin
    note = life["note"].where(life["note"].notna(), arpu["note"])
    return result(value, arpu["value"], life["value"], note.where(value.isna(), None))


def _clv_purchase(ctx: Context) -> pd.DataFrame:
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


def _cost_ratio(ctx: Context, category: str, denominator: str, zero_note: str) -> pd.DataFrame:
    amount, note = _costs(ctx, category)
    out = ratio(amount, measures(ctx)[denominator], scale=1.0, zero_note=zero_note)
    out["note"] = note.where(note.notna(), out["note"])
    return out


def _ltv_to_cac(ctx: Context) -> pd.DataFrame:
    clv, cac = value_of(ctx, "clv"), value_of(ctx, "cac")
    out = ratio(clv["value"], cac["value"], scale=1.0, zero_note="cac is 0")
    out["note"] = cac["note"].where(cac["note"].notna(), clv["note"]).where(out["value"].isna())
    return out


register(
    MetricSpec("customers_start", "Customers at start", "revenue", "customers",
               "paying customers at the start snapshot (m0 > 0)", SUBS,
               _measure("customers_start"), detail=_movement_detail("paying_start", "m0")),
    MetricSpec("customers_end", "Customers at end", "revenue", "customers",
               "paying customers at the end snapshot (m1 > 0)", SUBS,
               _measure("customers_end"), detail=_movement_detail("paying_end", "m1")),
    MetricSpec("new_customers", "New customers", "revenue", "customers",
               "m0 = 0, m1 > 0, never paying before the period", SUBS,
               _measure("new_customers"), detail=_movement_detail("new", "m1")),
    MetricSpec("reactivated_customers", "Reactivated customers", "revenue", "customers",
               "m0 = 0, m1 > 0, paying on some day before the period", SUBS,
               _measure("reactivated_customers"), detail=_movement_detail("reactivated", "m1")),
    MetricSpec("churned_customers", "Churned customers", "revenue", "customers",
               "m0 > 0, m1 = 0", SUBS,
               _measure("churned_customers"), detail=_movement_detail("churned", "m0")),
    MetricSpec("acquired_customers", "Acquired customers", "revenue", "customers",
               "customers whose first paying day falls in the period", SUBS,
               _measure("acquired_customers"), detail=_movement_detail("acquired", "m1")),
    MetricSpec("customer_retention_rate", "Customer retention rate", "revenue", "%",
               "customers paying at both snapshots / customers_start x 100", SUBS,
               _rate("retained_customers", "customers_start", NO_START),
               detail=_movement_detail("paying_start", "m1")),
    MetricSpec("customer_churn_rate", "Customer churn rate", "revenue", "%",
               "churned_customers / customers_start x 100", SUBS,
               _rate("churned_customers", "customers_start", NO_START),
               detail=_movement_detail("churned", "m0")),
    MetricSpec("renewal_rate", "Renewal rate", "revenue", "%",
               "customers with a term_end in the period paying on that day (or renewed = true)"
               " / customers with a term_end in the period x 100",
               ("subscriptions.term_end",), _renewal),
    MetricSpec("mrr", "MRR", "revenue", "currency",
               "sum of m1 (MRR at the end snapshot)", SUBS,
               _measure("mrr"), detail=_movement_detail("paying_end", "m1")),
    MetricSpec("arr", "ARR", "revenue", "currency", "mrr x 12", SUBS, _arr),
    MetricSpec("arpu", "ARPU", "revenue", "currency", "mrr / customers_end", SUBS,
               _rate("mrr", "customers_end", NO_END, scale=1.0)),
    MetricSpec("new_mrr", "New MRR", "revenue", "currency",
               "sum of m1 over new customers", SUBS,
               _measure("new_mrr"), detail=_movement_detail("new", "m1")),
    MetricSpec("reactivation_mrr", "Reactivation MRR", "revenue", "currency",
               "sum of m1 over reactivated customers", SUBS,
               _measure("reactivation_mrr"), detail=_movement_detail("reactivated", "m1")),
    MetricSpec("expansion_mrr", "Expansion MRR", "revenue", "currency",
               "sum of m1 - m0 where m1 > m0 > 0", SUBS,
               _measure("expansion_mrr"), detail=_movement_detail("expansion", "expansion")),
    MetricSpec("contraction_mrr", "Contraction MRR", "revenue", "currency",
               "sum of m0 - m1 where m0 > m1 > 0", SUBS,
               _measure("contraction_mrr"), detail=_movement_detail("contraction", "contraction")),
    MetricSpec("churned_mrr", "Churned MRR", "revenue", "currency",
               "sum of m0 over churned customers", SUBS,
               _measure("churned_mrr"), detail=_movement_detail("churned", "m0")),
    MetricSpec("expansion_revenue_rate", "Expansion revenue rate", "revenue", "%",
               "(expansion_mrr - contraction_mrr - churned_mrr) / start MRR x 100", SUBS,
               _rate("net_change_mrr", "start_mrr", NO_START_MRR)),
    MetricSpec("net_revenue_retention", "Net revenue retention", "revenue", "%",
               "(start MRR + expansion - contraction - churned) / start MRR x 100", SUBS,
               _rate("net_retained_mrr", "start_mrr", NO_START_MRR),
               detail=_movement_detail("paying_start", "m1")),
    MetricSpec("gross_revenue_retention", "Gross revenue retention", "revenue", "%",
               "(start MRR - contraction - churned) / start MRR x 100", SUBS,
               _rate("gross_retained_mrr", "start_mrr", NO_START_MRR)),
    MetricSpec("revenue_churn_rate", "Revenue churn rate", "revenue", "%",
               "(churned_mrr + contraction_mrr) / start MRR x 100", SUBS,
               _rate("lost_mrr", "start_mrr", NO_START_MRR)),
    MetricSpec("customer_lifetime_months", "Customer lifetime", "revenue", "months",
               "1 / monthly customer churn rate (mean of the monthly rates for longer periods)",
               SUBS, _lifetime),
    MetricSpec("clv", "Customer lifetime value", "revenue", "currency",
               "arpu x customer_lifetime_months x gross_margin", SUBS, _clv),
    MetricSpec("clv_purchase", "Purchase-based CLV", "revenue", "currency",
               "paid amount / paid invoices x paid invoices / paying customers (trailing 12"
               " months) x lifetime in years", ("subscriptions", "invoices"), _clv_purchase),
    MetricSpec("cac", "Customer acquisition cost", "revenue", "currency",
               "acquisition costs dated in the period / acquired_customers", ("costs",),
               lambda ctx: _cost_ratio(ctx, "acquisition", "acquired_customers",
                                       "no customers acquired in the period")),
    MetricSpec("customer_retention_cost", "Customer retention cost", "revenue", "currency",
               "retention costs dated in the period / customers paying at both snapshots",
               ("costs",),
               lambda ctx: _cost_ratio(ctx, "retention", "retained_customers",
                                       "no customers retained in the period")),
    MetricSpec("retention_cost_per_customer", "Retention cost per customer", "revenue",
               "currency", "retention costs dated in the period / customers_end", ("costs",),
               lambda ctx: _cost_ratio(ctx, "retention", "customers_end",
                                       NO_END)),
    MetricSpec("ltv_to_cac", "LTV to CAC", "revenue", "ratio", "clv / cac", ("costs",),
               _ltv_to_cac),
)  # fmt: skip
