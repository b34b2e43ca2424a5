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

from csmetrics_cli.contracts.checks import positions_in
from csmetrics_cli.engine.cache import per_context, per_dataset
from csmetrics_cli.engine.context import Context

FAR_FUTURE = np.datetime64("9999-12-31", "D")
ONE_DAY = pd.Timedelta(days=1)


def as_days(values: pd.Series) -> np.ndarray:
    """Dates as numpy day values (NaT kept)."""
    if values.dtype.kind == "M":  # naive datetimes of any unit: no detour through ns
        return values.to_numpy().astype("datetime64[D]")
    return np.asarray(values.to_numpy(dtype="datetime64[ns]"), dtype="datetime64[D]")


@per_context
def subscriptions(ctx: Context) -> pd.DataFrame:
    """The subscriptions table with end_date (and term_end) as the switches read them.

    end_dates = inclusive: an end date is the last day of service, so service stops the day
    after it. churn_at = cancel: a canceled_at before the end stops service from that day.
    A stop day (churn_source, delinquent_after_days; see `_stops`) ends it too.
    """
    subs = ctx.data.table("subscriptions")
    assert subs is not None
    defs = ctx.defs
    inclusive = defs["end_dates"] == "inclusive"
    cancel = defs["churn_at"] == "cancel" and "canceled_at" in subs
    stops = _stops(ctx)
    if not (inclusive or cancel or len(stops)):
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
    if len(stops):
        # Each subscription ends at the first stop day of its customer after it starts.
        pairs = subs[["customer_id", "start_date"]].assign(row=np.arange(len(subs)))
        pairs = pairs.merge(stops, on="customer_id")
        pairs = pairs[pairs["stop"] > pairs["start_date"]]
        first = pairs.groupby("row")["stop"].min().reindex(np.arange(len(subs)))
        cap = pd.Series(first.to_numpy(dtype="datetime64[ns]"), index=subs.index)
        earlier = cap.notna() & (subs["end_date"].isna() | (cap < subs["end_date"]))
        subs["end_date"] = subs["end_date"].where(~earlier, cap)
    return subs


@per_dataset
def subscription_positions(ctx: Context) -> np.ndarray:
    """Each subscription's position in ctx.customers() (-1 outside), once per data set:
    `subscriptions(ctx)` keeps the table's rows in their order whatever the definitions."""
    subs = ctx.data.table("subscriptions")
    assert subs is not None
    return positions_in(ctx.customers(), subs["customer_id"])


def _stops(ctx: Context) -> pd.DataFrame:
    """customer_id, stop: days from which a customer stops paying whatever its subscriptions
    say: churn_source (a churn_events table, or customers.churned + churned_at) and
    delinquent_after_days (N days after a failed invoice with no later paid invoice)."""
    defs, data = ctx.defs, ctx.data
    parts = []
    if defs["churn_source"] == "churn_events" and data.has("churn_events"):
        events = data.table("churn_events")
        assert events is not None
        parts.append(events[["customer_id", "churned_at"]])
    if defs["churn_source"] == "flag" and data.has("customers", "churned_at"):
        customers = data.table("customers")
        assert customers is not None
        flagged = customers["churned_at"].notna()
        if "churned" in customers:  # a date without the flag set does not churn
            flagged &= customers["churned"].astype("boolean").fillna(True).astype(bool)
        parts.append(customers.loc[flagged, ["customer_id", "churned_at"]])
    days = defs["delinquent_after_days"]
    if days != "off" and data.has("invoices"):
        invoices = data.table("invoices")
        assert invoices is not None
        paid = invoices[invoices["status"] == "paid"].groupby("customer_id")["issued_at"].max()
        failed = invoices[invoices["status"] == "failed"]
        later_paid = failed["customer_id"].map(paid)
        unpaid = failed[later_paid.isna() | (later_paid <= failed["issued_at"])]
        first = unpaid.groupby("customer_id", as_index=False)["issued_at"].min()
        first["churned_at"] = first["issued_at"] + pd.Timedelta(days=float(days))
        parts.append(first[["customer_id", "churned_at"]])
    if not parts:
        return pd.DataFrame({"customer_id": [], "stop": pd.Series([], dtype="datetime64[ns]")})
    stops = pd.concat(parts, ignore_index=True).rename(columns={"churned_at": "stop"})
    stops["stop"] = stops["stop"].astype("datetime64[ns]")
    return stops[stops["stop"].notna()]


def mrr_matrix(
    subs: pd.DataFrame,
    customers: pd.Index,
    days: np.ndarray,
    overlapping: str = "sum",
    codes: np.ndarray | None = None,
) -> np.ndarray:
    """customers x days array of MRR over the subscriptions active on each day.

    overlapping: "sum" adds them; "max" takes the largest; "latest" takes the most recently
    started one (the largest of those started that same day). `codes`: each subscription's
    position in `customers` (-1 outside), when the caller keeps them across calls.
    """
    out = np.zeros((len(customers), len(days)), dtype="float64")
    if subs.empty or len(days) == 0:
        return out
    if codes is None:
        codes = positions_in(customers, subs["customer_id"])
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


def first_paying_day(
    subs: pd.DataFrame, customers: pd.Index, codes: np.ndarray | None = None
) -> np.ndarray:
    """Each customer's first day with MRR > 0 (NaT when never paying); `codes` as for
    mrr_matrix."""
    start = as_days(subs["start_date"])
    end = (
        as_days(subs["end_date"])
        if "end_date" in subs
        else np.full(len(subs), np.datetime64("NaT"))
    )
    paid = (subs["mrr"].to_numpy() > 0) & (np.isnat(end) | (end > start))
    if codes is None:
        codes = positions_in(customers, subs["customer_id"])
    keep = paid & (codes >= 0) & ~np.isnat(start)
    never = np.iinfo(np.int64).max
    first = np.full(len(customers), never, dtype=np.int64)
    np.minimum.at(first, codes[keep], start[keep].astype(np.int64))  # per customer
    return np.where(first == never, np.datetime64("NaT", "D"), first.astype("datetime64[D]"))
