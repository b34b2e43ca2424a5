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
from csmetrics_cli.contracts.checks import positions_in
from csmetrics_cli.engine.activity import (
    customer_days,
    day_number,
    day_slice,
    feature_triples,
    sorted_unique,
)
from csmetrics_cli.engine.cache import per_dataset
from csmetrics_cli.engine.context import WINDOW_DAYS, Context
from csmetrics_cli.engine.snapshots import mrr_matrix, subscription_positions, subscriptions

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

    def band(self, score: np.ndarray) -> np.ndarray:
        """healthy >= healthy threshold, at_risk < at_risk threshold, else needs_attention;
        None without a score."""
        labels = np.array([None, "healthy", "at_risk", "needs_attention"], dtype=object)
        pick = np.select(
            [np.isnan(score), score >= self.healthy, score < self.at_risk], [0, 1, 2], 3
        )
        return labels[pick]


def _midnight(day: np.datetime64, days_before: int = 0) -> np.datetime64:
    """The start of `day` (or of the day `days_before` earlier), to compare with dates."""
    return (pd.Timestamp(day) - pd.Timedelta(days=days_before)).to_datetime64()


def _has_values(frame: pd.DataFrame, column: str) -> bool:
    """True when the column exists and holds at least one value."""
    return column in frame.columns and bool(frame[column].notna().any())


def _usage(ctx: Context, day: np.datetime64) -> dict[str, np.ndarray]:
    """usage and features from the engine's per-day event encoding (engine/activity.py)."""
    events = ctx.data.table("activity")
    # Without customer ids no event can be tied to a customer: usage is unknown, not 0.
    if events is None or not _has_values(events, "customer_id"):
        return {}
    customers = ctx.customers()
    last = day_number(pd.Timestamp(day).date())
    first = last - WINDOW_DAYS + 1
    active = customer_days(ctx)
    window = day_slice(active.day, first, last)
    days = np.bincount(active.customer[window], minlength=len(customers))
    out = {"usage": np.minimum(days / USAGE_TARGET_DAYS * 100, 100.0)}
    if "feature" in events and events["feature"].notna().any():
        feats = feature_triples(ctx)
        window = day_slice(feats.day, first, last)
        pairs = sorted_unique(feats.customer[window] * feats.n_features + feats.feature[window])
        used = np.bincount(pairs // feats.n_features, minlength=len(customers))
        out["features"] = used / len(feats.names) * 100
    return out


# Each component's rows are prepared once per data set (customer positions and the columns
# it reads, as arrays); a snapshot day then costs a window and a bincount, so a 24-month
# trend's 24 scores do not filter and group the whole tables 24 times.


def _positions(ctx: Context, ids: pd.Series) -> np.ndarray:
    """Position in ctx.customers() of each id: -1 for a blank or unknown one (such rows
    never count for a customer)."""
    return positions_in(ctx.customers(), ids)


def _window(dates: np.ndarray, day: np.datetime64, n: int) -> np.ndarray:
    """dates in the n days ending on `day` (its midnight: a time later that day is out)."""
    return (dates >= _midnight(day, n - 1)) & (dates <= _midnight(day))


@dataclass(frozen=True)
class Responses:
    """NPS and CSAT answers of known customers with a score, in answer order (ties in file
    order), each scaled to 0-100."""

    customer: np.ndarray
    responded: np.ndarray
    scaled: np.ndarray


@per_dataset
def _responses(ctx: Context) -> Responses | None:
    surveys = ctx.data.table("surveys")
    # Anonymous surveys (no customer_id column, or every id blank) say nothing per customer.
    if surveys is None or not _has_values(surveys, "customer_id"):
        return None
    rows = surveys[surveys["survey_type"].isin(["nps", "csat"]) & surveys["responded_at"].notna()]
    low = np.where(rows["survey_type"] == "nps", 0.0, 1.0)
    scaled = ((rows["score"] - low) / (rows["scale_max"] - low) * 100).clip(0, 100).to_numpy()
    customer = _positions(ctx, rows["customer_id"])
    keep = (customer >= 0) & ~np.isnan(scaled)
    responded = rows["responded_at"].to_numpy()[keep]
    order = np.argsort(responded, kind="stable")
    return Responses(customer[keep][order], responded[order], scaled[keep][order])


def _sentiment(ctx: Context, day: np.datetime64) -> np.ndarray | None:
    """The customer's latest answer in the SENTIMENT_DAYS up to `day`, scaled to 0-100."""
    answers = _responses(ctx)
    if answers is None:
        return None
    customers = ctx.customers()
    bounds = np.array([_midnight(day, SENTIMENT_DAYS - 1), _midnight(day)])
    bounds = bounds.astype(answers.responded.dtype)  # a cast of two values, not of every answer
    first = int(np.searchsorted(answers.responded, bounds[0]))
    stop = int(np.searchsorted(answers.responded, bounds[1], side="right"))
    latest = np.full(len(customers), -1, dtype=np.int64)
    np.maximum.at(latest, answers.customer[first:stop], np.arange(first, stop))
    return np.where(latest >= 0, answers.scaled[np.maximum(latest, 0)], np.nan)


@dataclass(frozen=True)
class Tickets:
    """Tickets of known customers: created, resolved (None without resolution dates),
    still open by status (None unless it decides), reopens."""

    customer: np.ndarray
    created: np.ndarray
    resolved: np.ndarray | None
    open_status: np.ndarray | None
    reopens: np.ndarray


@per_dataset
def _tickets(ctx: Context) -> Tickets | None:
    tickets = ctx.data.table("tickets")
    # Tickets no customer can be named for would give every customer a clean 100.
    if tickets is None or not _has_values(tickets, "customer_id"):
        return None
    customer = _positions(ctx, tickets["customer_id"])
    rows = tickets[customer >= 0]
    resolved = rows["resolved_at"].to_numpy() if _has_values(tickets, "resolved_at") else None
    open_status = None
    if resolved is None and _has_values(tickets, "status"):
        # Without resolution dates the status says whether a ticket is still open.
        status = rows["status"].str.lower()
        open_status = (status.notna() & ~status.isin(RESOLVED_STATUSES).fillna(False)
                       .astype(bool)).to_numpy()  # fmt: skip
    reopens = rows["reopens"].fillna(0) if "reopens" in rows else pd.Series(0, index=rows.index)
    return Tickets(customer[customer >= 0], rows["created_at"].to_numpy(), resolved,
                   open_status, reopens.astype(float).to_numpy())  # fmt: skip


def _support(ctx: Context, day: np.datetime64) -> np.ndarray | None:
    """100 - 15 per ticket opened in SUPPORT_DAYS, + 20 if still unresolved on `day`, + 15
    per reopen; at least 0."""
    tickets = _tickets(ctx)
    if tickets is None:
        return None
    unresolved: np.ndarray | float = 0.0
    if tickets.resolved is not None:
        unresolved = np.isnat(tickets.resolved) | (tickets.resolved > _midnight(day))
    elif tickets.open_status is not None:
        unresolved = tickets.open_status
    penalty = 15 + 20 * np.asarray(unresolved, dtype=float) + 15 * tickets.reopens
    inside = _window(tickets.created, day, SUPPORT_DAYS)
    weights = np.broadcast_to(penalty, inside.shape)[inside]
    total = np.bincount(tickets.customer[inside], weights=weights, minlength=len(ctx.customers()))
    return np.maximum(100 - total, 0.0)


@per_dataset
def _failed_invoices(ctx: Context) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Failed invoices' customer positions and issue dates, and per customer whether any
    invoice names it."""
    invoices = ctx.data.table("invoices")
    if invoices is None:
        return None
    customer = _positions(ctx, invoices["customer_id"])
    invoiced = np.bincount(customer[customer >= 0], minlength=len(ctx.customers())) > 0
    failed = (invoices["status"] == "failed").to_numpy(dtype=bool, na_value=False) & (customer >= 0)
    return customer[failed], invoices["issued_at"].to_numpy()[failed], invoiced


def _payment(ctx: Context, day: np.datetime64) -> np.ndarray | None:
    """100 with no failed invoice in PAYMENT_DAYS, 50 with one, 0 with more."""
    prepared = _failed_invoices(ctx)
    if prepared is None:
        return None
    customer, issued, invoiced = prepared
    count = np.bincount(customer[_window(issued, day, PAYMENT_DAYS)],
                        minlength=len(ctx.customers()))  # fmt: skip
    scaled = np.select([count == 0, count == 1], [100.0, 50.0], 0.0)
    # A customer the billing export never invoices has no known payment record, not a clean one.
    return np.where(invoiced, scaled, np.nan)


@per_dataset
def _steps(ctx: Context) -> tuple[np.ndarray, np.ndarray] | None:
    """Onboarding steps of known customers: customer positions and completion dates."""
    steps = ctx.data.table("onboarding")
    # A completed_at column with no value at all is read as not exported, not as nothing done.
    if steps is None or not _has_values(steps, "completed_at"):
        return None
    customer = _positions(ctx, steps["customer_id"])
    return customer[customer >= 0], steps["completed_at"].to_numpy()[customer >= 0]


def _onboarding(ctx: Context, day: np.datetime64) -> np.ndarray | None:
    """Steps completed by `day` / the customer's steps x 100."""
    prepared = _steps(ctx)
    if prepared is None:
        return None
    customer, completed = prepared
    n = len(ctx.customers())
    steps = np.bincount(customer, minlength=n)
    done = np.bincount(customer, weights=completed <= _midnight(day), minlength=n)
    return np.where(steps > 0, done / np.maximum(steps, 1), np.nan) * 100


def score(ctx: Context, day: np.datetime64, model: HealthModel) -> pd.DataFrame:
    """Per customer on `day`: mrr, each component (0-100 or NaN), score and band.

    A customer with no known weighted component has score NaN, band None and an
    `unscored_reason`; everyone else has `unscored_reason` None.
    """
    customers = ctx.customers()
    subs = subscriptions(ctx)  # as the definition switches read them
    before = np.datetime64(pd.Timestamp(day) - pd.DateOffset(months=3), "D")
    days = np.array([before, day], dtype="datetime64[D]")
    mrr = mrr_matrix(subs, customers, days, ctx.defs["overlapping"], subscription_positions(ctx))
    then = np.where(mrr[:, 0] > 0, mrr[:, 0], np.nan)
    columns = {
        "mrr": mrr[:, 1],
        "revenue_trend": np.clip(50 + (mrr[:, 1] - then) / then * 100, 0, 100),
    }
    columns |= _usage(ctx, day)
    for name, component in (("sentiment", _sentiment), ("support", _support),
                            ("payment", _payment), ("onboarding", _onboarding)):  # fmt: skip
        values = component(ctx, day)
        if values is not None:
            columns[name] = values
    weighted = [c for c in COMPONENTS if model.weights.get(c, 0) > 0]
    total, weight_sum = np.zeros(len(customers)), np.zeros(len(customers))
    for c in (c for c in weighted if c in columns):
        known = ~np.isnan(columns[c])
        total += np.where(known, columns[c], 0.0) * model.weights[c]
        weight_sum += known * model.weights[c]
    # renormalising can round all-100 components past 100
    mean = np.clip(total / np.where(weight_sum > 0, weight_sum, np.nan), 0, 100)
    frame = pd.DataFrame(columns, index=customers)
    frame["score"] = mean
    # object dtype: a str column would turn the None of an unscored customer into NaN
    frame["band"] = pd.Series(model.band(mean), index=customers, dtype=object)
    reason = np.array([None, unscored_reason(weighted)], dtype=object)[np.isnan(mean).astype(int)]
    frame["unscored_reason"] = pd.Series(reason, index=customers, dtype=object)
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
