"""Customer health score on a snapshot day: a weighted mean of 0-100 components.

Each component is computed for every customer at once from whatever inputs exist; a
component whose input is missing (table absent, or no data for that customer) is left out
and the remaining weights are renormalised. Bands: healthy >= 70, at_risk < 40 (config).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from csmetrics_cli.config import Config
from csmetrics_cli.contracts.checks import is_in
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.engine.activity import (
    customer_days,
    day_number,
    day_slice,
    feature_triples,
    sorted_unique,
)
from csmetrics_cli.engine.context import WINDOW_DAYS, Context
from csmetrics_cli.engine.snapshots import mrr_matrix, subscriptions

DEFAULT_WEIGHTS = {
    "usage": 0.25, "features": 0.10, "sentiment": 0.20, "support": 0.15,
    "payment": 0.15, "revenue_trend": 0.10, "onboarding": 0.05,
}  # fmt: skip
COMPONENTS = tuple(DEFAULT_WEIGHTS)
DEFAULT_BANDS = {"healthy": 70.0, "at_risk": 40.0}
BANDS = ("healthy", "needs_attention", "at_risk")
USAGE_TARGET_DAYS = 20  # active days out of the last 30 that score 100
SUPPORT_DAYS = PAYMENT_DAYS = 90
SENTIMENT_DAYS = 365
RESOLVED_STATUSES = ("resolved", "closed", "solved")  # the same as first contact resolution's

# What each component is computed from, for the reason a customer cannot be scored.
COMPONENT_INPUTS = {
    "usage": "usage", "features": "usage", "sentiment": "survey", "support": "ticket",
    "payment": "invoice", "revenue_trend": "MRR history", "onboarding": "onboarding",
}  # fmt: skip


@dataclass(frozen=True)
class HealthModel:
    """Weights and band thresholds, from config or the defaults."""

    weights: dict[str, float]
    healthy: float
    at_risk: float

    @classmethod
    def from_config(cls, config: Config) -> HealthModel:
        weights = {**DEFAULT_WEIGHTS, **config.health_weights}
        bands = {**DEFAULT_BANDS, **config.health_bands}
        return cls(weights, float(bands["healthy"]), float(bands["at_risk"]))

    def band(self, score: pd.Series) -> pd.Series:
        """healthy >= healthy threshold, at_risk < at_risk threshold, else needs_attention."""
        bands = np.where(score >= self.healthy, "healthy",
                         np.where(score < self.at_risk, "at_risk", "needs_attention"))  # fmt: skip
        # object dtype: a str column would turn the None of an unscored customer into NaN
        return pd.Series(bands, index=score.index, dtype=object).where(score.notna(), None)


def _days_ago(day: np.datetime64, n: int) -> pd.Timestamp:
    return pd.Timestamp(day - np.timedelta64(n - 1, "D"))


def _in_window(dates: pd.Series, day: np.datetime64, n: int) -> pd.Series:
    return (dates >= _days_ago(day, n)) & (dates <= pd.Timestamp(day))


def _has_values(frame: pd.DataFrame, column: str) -> bool:
    """True when the column exists and holds at least one value."""
    return column in frame.columns and bool(frame[column].notna().any())


def _usage(ctx: Context, day: np.datetime64) -> pd.DataFrame | None:
    """usage and features from the engine's per-day event encoding (engine/activity.py)."""
    events = ctx.data.table("activity")
    # Without customer ids no event can be tied to a customer: usage is unknown, not 0.
    if events is None or not _has_values(events, "customer_id"):
        return None
    customers = ctx.customers()
    last = day_number(pd.Timestamp(day).date())
    first = last - WINDOW_DAYS + 1
    active = customer_days(ctx)
    window = day_slice(active.day, first, last)
    days = np.bincount(active.customer[window], minlength=len(customers))
    usage = np.minimum(days / USAGE_TARGET_DAYS * 100, 100.0)
    out = pd.DataFrame({"usage": usage}, index=customers)
    if "feature" in events and events["feature"].notna().any():
        feats = feature_triples(ctx)
        window = day_slice(feats.day, first, last)
        pairs = sorted_unique(feats.customer[window] * feats.n_features + feats.feature[window])
        used = np.bincount(pairs // feats.n_features, minlength=len(customers))
        out["features"] = used / len(feats.names) * 100
    return out


def _sentiment(data: Dataset, customers: pd.Index, day: np.datetime64) -> pd.Series | None:
    surveys = data.table("surveys")
    # Anonymous surveys (no customer_id column, or every id blank) say nothing per customer.
    if surveys is None or not _has_values(surveys, "customer_id"):
        return None
    rows = surveys[surveys["survey_type"].isin(["nps", "csat"]) & surveys["customer_id"].notna()
                   & _in_window(surveys["responded_at"], day, SENTIMENT_DAYS)]  # fmt: skip
    low = np.where(rows["survey_type"] == "nps", 0.0, 1.0)
    scaled = ((rows["score"] - low) / (rows["scale_max"] - low) * 100).clip(0, 100)
    latest = (
        rows.assign(scaled=scaled)
        .sort_values("responded_at")
        .groupby("customer_id")["scaled"]
        .last()
    )
    return latest.reindex(customers)


def _support(data: Dataset, customers: pd.Index, day: np.datetime64) -> pd.Series | None:
    tickets = data.table("tickets")
    # Tickets no customer can be named for would give every customer a clean 100.
    if tickets is None or not _has_values(tickets, "customer_id"):
        return None
    rows = tickets[
        tickets["customer_id"].notna() & _in_window(tickets["created_at"], day, SUPPORT_DAYS)
    ]
    unresolved: pd.Series | bool = False
    if _has_values(tickets, "resolved_at"):
        unresolved = rows["resolved_at"].isna() | (rows["resolved_at"] > pd.Timestamp(day))
    elif _has_values(tickets, "status"):
        # Without resolution dates the status says whether a ticket is still open.
        status = rows["status"].str.lower()
        unresolved = status.notna() & ~status.isin(RESOLVED_STATUSES).fillna(False).astype(bool)
    reopens = rows["reopens"].fillna(0) if "reopens" in rows else 0
    penalty = (15 + 20 * pd.Series(unresolved, index=rows.index).astype(float)
               + 15 * pd.Series(reopens, index=rows.index).astype(float))  # fmt: skip
    total = penalty.groupby(rows["customer_id"]).sum().reindex(customers, fill_value=0)
    return (100 - total).clip(lower=0)


def _payment(data: Dataset, customers: pd.Index, day: np.datetime64) -> pd.Series | None:
    invoices = data.table("invoices")
    if invoices is None:
        return None
    failed = invoices[(invoices["status"] == "failed")
                      & _in_window(invoices["issued_at"], day, PAYMENT_DAYS)]  # fmt: skip
    count = failed.groupby("customer_id").size().reindex(customers, fill_value=0)
    scaled = pd.Series(np.select([count == 0, count == 1], [100.0, 50.0], 0.0), index=customers)
    # A customer the billing export never invoices has no known payment record, not a clean one.
    return scaled.where(is_in(customers.to_series(), invoices["customer_id"]).to_numpy())


def _onboarding(data: Dataset, customers: pd.Index, day: np.datetime64) -> pd.Series | None:
    steps = data.table("onboarding")
    # A completed_at column with no value at all is read as not exported, not as nothing done.
    if steps is None or not _has_values(steps, "completed_at"):
        return None
    done = steps["completed_at"] <= pd.Timestamp(day)
    share = done.groupby(steps["customer_id"]).mean() * 100
    return share.reindex(customers)


def score(ctx: Context, day: np.datetime64, model: HealthModel) -> pd.DataFrame:
    """Per customer on `day`: mrr, each component (0-100 or NaN), score and band.

    A customer with no known weighted component has score NaN, band None and an
    `unscored_reason`; everyone else has `unscored_reason` None.
    """
    data, customers = ctx.data, ctx.customers()
    subs = subscriptions(ctx)  # as the definition switches read them
    before = np.datetime64(pd.Timestamp(day) - pd.DateOffset(months=3), "D")
    days = np.array([before, day], dtype="datetime64[D]")
    mrr = mrr_matrix(subs, customers, days, ctx.defs["overlapping"])
    frame = pd.DataFrame({"mrr": mrr[:, 1]}, index=customers)
    then = pd.Series(mrr[:, 0], index=customers)
    change = (frame["mrr"] - then) / then.where(then > 0)
    frame["revenue_trend"] = (50 + change * 100).clip(0, 100)
    usage = _usage(ctx, day)
    if usage is not None:
        frame = frame.join(usage)
    for name, series in (("sentiment", _sentiment(data, customers, day)),
                         ("support", _support(data, customers, day)),
                         ("payment", _payment(data, customers, day)),
                         ("onboarding", _onboarding(data, customers, day))):  # fmt: skip
        if series is not None:
            frame[name] = series
    present = [c for c in COMPONENTS if c in frame and model.weights.get(c, 0) > 0]
    values = frame[present]
    weights = pd.Series({c: model.weights[c] for c in present}, dtype="float64")
    weight_sum = values.notna().mul(weights, axis=1).sum(axis=1)
    mean = values.mul(weights, axis=1).sum(axis=1) / weight_sum.where(weight_sum > 0)
    frame["score"] = mean.clip(0, 100)  # renormalising can round all-100 components past 100
    frame["band"] = model.band(frame["score"])
    reason = unscored_reason([c for c in COMPONENTS if model.weights.get(c, 0) > 0])
    frame["unscored_reason"] = pd.Series(reason, index=frame.index, dtype=object).where(
        frame["score"].isna(), None
    )
    for c in COMPONENTS:
        if c not in frame:
            frame[c] = np.nan
    return frame


def unscored_reason(weighted: list[str]) -> str:
    """Why a customer has no score: none of the weighted components is known for it."""
    if not weighted:
        return "every health component has weight 0 in the config"
    names = list(dict.fromkeys(COMPONENT_INPUTS[c] for c in weighted))
    listed = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
    return f"no {listed} data"
