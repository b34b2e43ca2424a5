"""Onboarding, activation and usage metrics (family `engagement`), SPEC section 3.

Cohorts are the customers whose created_at (else first paying day) falls in the period.
Their outcomes - onboarding steps, activation, conversion, retention - are counted up to the
last day in the data (`last_day`: the latest date in a column that records something that
happened, across every table present). Usage metrics read the events table through integer
codes built once per context: distinct (day, user) pairs for activity and distinct
(day, customer, feature) triples for features, both sorted by day so that a period is a slice.

Usage conventions: a user belongs to the first customer its events name (users without one
count overall only); a period wholly outside the events' date range is null, and days after
the last event are not counted. MAU is the distinct users of each calendar month, averaged
over a longer period's months weighted by their counted days (so dau <= mau always holds);
a week or a day range counts the distinct users of the whole range.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csmetrics_cli.contracts.checks import is_in, positions_in
from csmetrics_cli.engine.activity import (
    EPOCH,
    Activity,
    activity_frame,
    activity_pairs,
    day_number,
    event_codes,
    feature_triples,
    segment_codes,
    sorted_unique,
)
from csmetrics_cli.engine.cache import per_context, per_dataset
from csmetrics_cli.engine.cohorts import cohort, last_day
from csmetrics_cli.engine.context import ALL, KEYS, Context
from csmetrics_cli.engine.movements import measures, movements
from csmetrics_cli.engine.snapshots import as_days, mrr_matrix, subscriptions
from csmetrics_cli.metrics.compute import value_of
from csmetrics_cli.metrics.results import measure, null_result, ratio, result
from csmetrics_cli.periods import Period

CALENDAR_KINDS = ("month", "quarter", "year")
ITEM_KEYS = [*KEYS, "item"]
NO_COHORT = "no customers created in the period"
NO_ONBOARDING = "no cohort customers with onboarding rows"
NO_END = "no paying customers at the end snapshot"


def _on_grid(ctx: Context, per_period: list[np.ndarray]) -> pd.Series:
    """One [overall, *segments] array per period, laid out on the (period, segment) grid."""
    return pd.Series(np.concatenate(per_period).astype("float64"), index=ctx.grid())


def _by_segment(ctx: Context, rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a period, once under ALL and once under their customer's segment."""
    rows = rows[rows["period"].notna()]
    parts = [rows.assign(segment=ALL)]
    if ctx.segment_by is not None:
        seg = ctx.segment_of(rows["customer_id"])
        parts.append(rows.assign(segment=seg)[seg.notna()])
    return pd.concat(parts, ignore_index=True)


def _note(text: str | pd.Series, where: pd.Series) -> pd.Series:
    """`text` where `where` holds, else None."""
    notes = pd.Series(text, index=where.index, dtype=object)
    return notes.where(where.astype(bool), None)


def _with_note(frame: pd.DataFrame, note: pd.Series) -> pd.DataFrame:
    """Keep the frame's own note where it has one, else `note`."""
    frame["note"] = frame["note"].where(frame["note"].notna(), note)
    return frame


def _cohort_rows(ctx: Context) -> pd.DataFrame:
    """Cohort customers of the report's periods: customer_id, start, period."""
    co = cohort(ctx)
    return co[co["period"].notna()].rename_axis("customer_id").reset_index()


# ---- onboarding -------------------------------------------------------------------------


@per_context
def _onboarding_steps(ctx: Context) -> pd.DataFrame:
    """One row per cohort customer and step: done, done_at, with start and period."""

    rows = ctx.data.table("onboarding")
    assert rows is not None
    cohort_rows = _cohort_rows(ctx)
    # The cohort's rows before grouping: a month's cohort is a few thousand of 350k rows.
    rows = rows[is_in(rows["customer_id"], cohort_rows["customer_id"]).to_numpy()]
    if "completed_at" in rows.columns:
        rows = rows.assign(done_at=rows["completed_at"])
    else:
        rows = rows.assign(done_at=pd.Series(pd.NaT, index=rows.index, dtype="datetime64[s]"))
    steps = rows.groupby(["customer_id", "step"], as_index=False, sort=False)["done_at"].max()
    steps["done"] = steps["done_at"].notna()
    return steps.merge(cohort_rows, on="customer_id")


@per_context
def _onboarding_customers(ctx: Context) -> pd.DataFrame:
    """One row per cohort customer with onboarding rows: complete flag and last completion."""

    steps = _onboarding_steps(ctx)
    per = steps.groupby("customer_id", as_index=False).agg(
        period=("period", "first"),
        start=("start", "first"),
        steps=("step", "count"),
        done=("done", "sum"),
        finished=("done_at", "max"),
    )
    per["complete"] = per["done"] == per["steps"]
    per["days"] = (per["finished"] - per["start"]).dt.days.where(per["complete"])
    return per


def onboarding_completion(ctx: Context) -> pd.DataFrame:
    """Cohort customers with every step completed / cohort customers with onboarding rows."""
    per = _onboarding_customers(ctx)
    m = ctx.aggregate(per, {"n": ("customer_id", "count"), "complete": ("complete", "sum")})
    return ratio(m["complete"], m["n"], zero_note=NO_ONBOARDING)


def onboarding_days(ctx: Context) -> pd.DataFrame:
    """Median days from start to the last completed step, over completers."""
    per = _onboarding_customers(ctx)
    m = ctx.aggregate(
        per[per["complete"]],
        {"days": ("days", "median"), "n": ("customer_id", "count")},
        fill=None,
    )
    return result(m["days"], note=_note("no completers in the cohort", m["n"].fillna(0) == 0))


def _step_order(rows: pd.DataFrame) -> list[str]:
    """Every step in the onboarding table, by step_order (steps without one last), then name."""
    order = (
        rows.groupby("step")["step_order"].min()
        if "step_order" in rows.columns
        else pd.Series(np.nan, index=pd.Index(rows["step"].unique()))
    )
    frame = pd.DataFrame({"order": order.to_numpy(), "step": order.index.astype(str)})
    return list(frame.sort_values(["order", "step"], na_position="last")["step"])


def _item_index(ctx: Context, items: list[str]) -> pd.MultiIndex:
    """The (period, segment, item) index of a breakdown metric, items in the given order."""
    segments = [ALL, *ctx.segment_values()]
    return pd.MultiIndex.from_product([ctx.labels, segments, items], names=ITEM_KEYS)


def onboarding_step_completion(ctx: Context) -> pd.DataFrame:
    """Per step: cohort customers who completed it / cohort customers with that step x 100."""
    table = ctx.data.table("onboarding")
    assert table is not None
    items = _step_order(table)
    index = _item_index(ctx, items)
    if not items:
        return ratio(pd.Series(0.0, index=index), pd.Series(0.0, index=index))
    steps = _onboarding_steps(ctx)
    aggs = {"n": ("customer_id", "count"), "done": ("done", "sum")}
    parts = {step: ctx.aggregate(steps[steps["step"] == step], aggs) for step in items}
    stacked = pd.concat(parts, names=["item"]).reorder_levels(ITEM_KEYS).reindex(index)
    return ratio(stacked["done"], stacked["n"], zero_note="no cohort customers with this step")


@per_context
def _paying_after(ctx: Context) -> pd.DataFrame:
    """Cohort customers with onboarding rows whose retention day is inside the data.

    Columns: customer_id, period, complete, paying (MRR > 0 on start + retention_days).
    """

    per = _onboarding_customers(ctx)
    per = per.assign(target=per["start"] + pd.Timedelta(days=ctx.config.retention_days))
    rows = per[per["target"] <= last_day(ctx)]
    subs = subscriptions(ctx)
    paying = pd.Series(False, index=rows.index)
    for label in ctx.labels:
        mine = rows[rows["period"] == label]
        if mine.empty:
            continue
        ids = pd.Index(mine["customer_id"].unique())
        days = np.unique(as_days(mine["target"]))
        mrr = mrr_matrix(subs[is_in(subs["customer_id"], ids)], ids, days, ctx.defs["overlapping"])
        pos = np.searchsorted(days, as_days(mine["target"]))
        paying[mine.index] = mrr[ids.get_indexer(mine["customer_id"]), pos] > 0
    return rows.assign(paying=paying)


def onboarding_retention(completed: bool, ctx: Context) -> pd.DataFrame:
    """Completers (True) or non-completers (False) paying retention_days after created_at /
    those whose retention day is inside the data x 100."""
    who = "completers" if completed else "non-completers"
    rows = _paying_after(ctx)
    rows = rows[rows["complete"] == completed]
    m = ctx.aggregate(rows, {"n": ("customer_id", "count"), "paying": ("paying", "sum")})
    days = ctx.config.retention_days
    until = last_day(ctx)
    return ratio(
        m["paying"],
        m["n"],
        zero_note=f"no onboarding {who} in the cohort whose {days} days end by the last day"
        f" in the data ({until})",
    )


def feature_activation(ctx: Context) -> pd.DataFrame:
    """Mean distinct features a cohort customer used in its first feature_window_days days."""
    rows = _cohort_rows(ctx)
    window = ctx.config.feature_window_days
    features = feature_triples(ctx)
    start = as_days(cohort(ctx)["start"])
    # Customers without a start day get a window no event can fall in.
    never = np.iinfo(np.int64).max - window
    first = np.where(np.isnat(start), never, (start - EPOCH).astype(np.int64))[features.customer]
    inside = (features.day >= first) & (features.day < first + window)
    pairs = sorted_unique(
        features.customer[inside] * features.n_features + features.feature[inside]
    )
    used = np.bincount(pairs // features.n_features, minlength=len(ctx.customers()))
    codes = positions_in(ctx.customers(), rows["customer_id"])
    until = last_day(ctx)
    short = (rows["start"] + pd.Timedelta(days=window)) > until + np.timedelta64(1, "D")
    rows = rows.assign(features=used[codes], short=short)
    m = ctx.aggregate(
        rows,
        {"features": ("features", "sum"), "n": ("customer_id", "count"), "short": ("short", "sum")},
    )
    out = ratio(m["features"], m["n"], scale=1.0, zero_note=NO_COHORT)
    note = (
        m["short"].astype(int).astype(str) + f" cohort customers have fewer than {window} days"
        " of data so far"
    )
    return _with_note(out, _note(note, m["short"] > 0))


# ---- trials and activation --------------------------------------------------------------


def trial_conversion(ctx: Context) -> pd.DataFrame:
    """Customers with trial_start in the period paying on some day >= trial_start / them."""
    customers = ctx.data.table("customers")
    subs = subscriptions(ctx)
    assert customers is not None
    trials = customers.loc[customers["trial_start"].notna(), ["customer_id", "trial_start"]]
    trials = trials.assign(period=ctx.assign_period(trials["trial_start"]))
    trials = trials[trials["period"].notna()]
    end = subs["end_date"] if "end_date" in subs.columns else pd.Series(pd.NaT, index=subs.index)
    paid = subs.assign(end=end)[(subs["mrr"] > 0) & ~(end <= subs["start_date"])]
    pairs = trials[["customer_id", "trial_start"]].merge(
        paid[["customer_id", "end"]], on="customer_id"
    )
    # A paid subscription covers a day >= trial_start exactly when it ends after trial_start.
    hit = pairs["end"].isna() | (pairs["end"] > pairs["trial_start"])
    converted = pairs.loc[hit, "customer_id"].unique()
    trials = trials.assign(converted=is_in(trials["customer_id"], converted))
    m = ctx.aggregate(trials, {"n": ("customer_id", "count"), "converted": ("converted", "sum")})
    return ratio(m["converted"], m["n"], zero_note="no trials started in the period")


def _activation_days(ctx: Context) -> tuple[pd.Series | None, str]:
    """Each customer's activation day (activated_at, or its first activation_event) or why not."""
    name = ctx.config.activation_event
    if name is None:
        if not ctx.data.has("customers", "activated_at"):
            return None, "needs column customers.activated_at, which is missing or empty"
        customers = ctx.data.table("customers")
        assert customers is not None
        return customers.set_index("customer_id")["activated_at"], "activated_at"
    if not ctx.data.has("events", "event"):
        return None, f"activation_event '{name}' is set but events have no event column"

    return _activation_event_days(ctx, name), f"first '{name}' event"


@per_dataset
def _activation_event_days(ctx: Context, name: str) -> pd.Series:
    """Each customer's first day with an event called `name` (over all history)."""
    events = activity_frame(ctx)
    base = event_codes(ctx)
    hit = (events["event"] == name).to_numpy(dtype=bool, na_value=False) & (base.named >= 0)
    first = pd.Series(base.since[hit]).groupby(base.named[hit]).min()
    days = EPOCH + first.to_numpy().astype("timedelta64[D]")
    return pd.Series(days, index=ctx.customers()[first.index]).astype("datetime64[s]")


def _activated_cohort(ctx: Context) -> tuple[pd.DataFrame | None, str]:
    """Cohort rows with `activated` (day or NaT) and `days` from start, or why not."""
    activated, source = _activation_days(ctx)
    if activated is None:
        return None, source
    rows = _cohort_rows(ctx)
    # reindex, not map: pandas' map of an empty datetime Series fails (nobody activated)
    rows["activated"] = activated.reindex(rows["customer_id"]).to_numpy().astype("datetime64[s]")
    rows["days"] = (rows["activated"] - rows["start"]).dt.days
    return rows, source


def activation_rate(ctx: Context) -> pd.DataFrame:
    """Cohort customers with an activation day / cohort customers x 100."""
    rows, source = _activated_cohort(ctx)
    if rows is None:
        return null_result(ctx, source)
    rows["is_active"] = rows["activated"].notna()
    m = ctx.aggregate(rows, {"n": ("customer_id", "count"), "active": ("is_active", "sum")})
    out = ratio(m["active"], m["n"], zero_note=NO_COHORT)
    if ctx.config.activation_event is None:
        return out
    return _with_note(out, pd.Series(f"activation = {source}", index=out.index))


def time_to_value(ctx: Context) -> pd.DataFrame:
    """Median days from start to activation over activated cohort customers."""
    rows, source = _activated_cohort(ctx)
    if rows is None:
        return null_result(ctx, source)
    rows = _by_segment(ctx, rows[rows["activated"].notna()])
    days = rows.groupby(KEYS)["days"]
    stats = pd.DataFrame(
        {"median": days.median(), "mean": days.mean(), "p90": days.quantile(0.9)}
    ).reindex(ctx.grid())
    note = (
        "mean " + stats["mean"].round(1).astype(str) + ", p90 " + stats["p90"].round(1).astype(str)
    )
    if ctx.config.activation_event is not None:
        note += f" (activation = {source})"
    note = note.where(stats["median"].notna(), "no activated customers in the cohort")
    return result(stats["median"], note=note)


# ---- usage --------------------------------------------------------------------------------


def _usage_unavailable(ctx: Context) -> str | None:
    if ctx.config.activity_events and not ctx.data.has("events", "event"):
        return "activity_events is set but events have no event column"
    return None


def _counted_days(ctx: Context, period: Period) -> tuple[int, int]:
    """[start, stop) day numbers of the period, cut at the last day with events.

    A period wholly before the first event has no days: the data does not reach it.
    """
    events = event_codes(ctx)
    start, end = day_number(period.start), day_number(period.end)
    return start, (min(end, events.last + 1) if end > events.first else start)


def _slice(days: np.ndarray, start: int, stop: int) -> tuple[int, int]:
    """Positions of the entries of sorted `days` in [start, stop)."""
    # Same dtype as `days`, so numpy does not copy the whole array to compare.
    lo, hi = np.searchsorted(days, np.array([start, stop], dtype=days.dtype))
    return int(lo), int(hi)


def _distinct_users(act: Activity, start: int, stop: int) -> np.ndarray:
    """[overall, *per segment] distinct users active in [start, stop)."""
    lo, hi = _slice(act.day, start, stop)
    seen = np.flatnonzero(np.bincount(act.user[lo:hi], minlength=len(act.user_segment)))
    per_segment = np.bincount(act.user_segment[seen], minlength=act.n_segments + 1)
    return np.concatenate([[len(seen)], per_segment[1:]])


def _outside_events(ctx: Context) -> str:
    """Why a period has no days to count."""
    events = event_codes(ctx)
    if not len(events.since):
        return "the events table has no rows"
    return (
        f"no events data in the period (events run from {EPOCH + events.first}"
        f" to {EPOCH + events.last})"
    )


def dau(ctx: Context) -> pd.DataFrame:
    """Sum over the period's days (to the last event day) of active users / those days."""
    why = _usage_unavailable(ctx)
    if why:
        return null_result(ctx, why)
    act = activity_pairs(ctx)
    user_days, days = [], []
    for period in ctx.periods:
        start, stop = _counted_days(ctx, period)
        lo, hi = _slice(act.day, start, stop)
        per_segment = np.bincount(act.user_segment[act.user[lo:hi]], minlength=act.n_segments + 1)
        user_days.append(np.concatenate([[hi - lo], per_segment[1:]]))
        days.append(np.full(act.n_segments + 1, max(stop - start, 0)))
    return ratio(_on_grid(ctx, user_days), _on_grid(ctx, days), 1.0, _outside_events(ctx))


def mau(ctx: Context) -> pd.DataFrame:
    """Distinct monthly active users, averaged over the period's months weighted by days."""
    why = _usage_unavailable(ctx)
    if why:
        return null_result(ctx, why)
    act = activity_pairs(ctx)
    totals, weights = [], []
    for period in ctx.periods:
        buckets = period.months() if period.kind in CALENDAR_KINDS else [period]
        total = np.zeros(act.n_segments + 1)
        weight = 0
        for bucket in buckets:
            start, stop = _counted_days(ctx, bucket)
            if stop > start:
                total += (stop - start) * _distinct_users(act, start, stop)
                weight += stop - start
        totals.append(total)
        weights.append(np.full(act.n_segments + 1, weight))
    weighted, days = _on_grid(ctx, totals), _on_grid(ctx, weights)
    multi = [p.kind in CALENDAR_KINDS and len(p.months()) > 1 for p in ctx.periods]
    monthly = pd.Series(np.repeat(multi, act.n_segments + 1), index=days.index)
    note = _note(_outside_events(ctx), days == 0)
    note = note.where(days == 0, _note("day-weighted mean over the period's months", monthly))
    return result(weighted / days.where(days > 0), note=note)


def stickiness(ctx: Context) -> pd.DataFrame:
    """dau / mau x 100."""
    dau, mau = value_of(ctx, "dau"), value_of(ctx, "mau")
    out = ratio(dau["value"], mau["value"], zero_note="no monthly active users")
    out["note"] = out["note"].where(out["note"].notna(), dau["note"].where(dau["value"].isna()))
    return out


def feature_adoption(ctx: Context) -> pd.DataFrame:
    """Per feature: customers paying at the end who used it in the period / customers_end x 100."""
    feats = feature_triples(ctx)
    codes, n_segments = segment_codes(ctx)
    mov = movements(ctx)
    paying = mov[mov["paying_end"]]
    paying_period = paying["period"].to_numpy()
    paying_code = positions_in(ctx.customers(), paying["customer_id"])
    width = n_segments + 1
    counts, outside = [], []
    for period in ctx.periods:
        start, stop = _counted_days(ctx, period)
        outside.append(stop <= start)
        lo, hi = _slice(feats.day, start, stop)
        pays = np.zeros(len(ctx.customers()), dtype=bool)
        pays[paying_code[paying_period == period.label]] = True
        pairs = sorted_unique(feats.customer[lo:hi] * feats.n_features + feats.feature[lo:hi])
        pairs = pairs[pays[pairs // feats.n_features]]
        cust, feat = pairs // feats.n_features, pairs % feats.n_features
        grid = np.bincount(feat * width + codes[cust], minlength=feats.n_features * width)
        grid = grid.reshape(feats.n_features, width)
        grid[:, 0] = np.bincount(feat, minlength=feats.n_features)
        counts.append(grid.T[:, : len(feats.names)].ravel())
    index = _item_index(ctx, feats.names)
    numerator = pd.Series(np.concatenate(counts).astype("float64"), index=index)
    ends_count = measures(ctx)["customers_end"].to_numpy()
    denominator = pd.Series(np.repeat(ends_count, len(feats.names)), index=index)
    out = ratio(numerator, denominator, zero_note=NO_END)
    no_events = pd.Series(np.repeat(outside, width * len(feats.names)), index=index)
    out.loc[no_events, ["value", "numerator"]] = np.nan
    out.loc[no_events, "note"] = _outside_events(ctx)
    return out


# ---- customers ----------------------------------------------------------------------------


def total_customers(ctx: Context) -> pd.DataFrame:
    """customers_end = start + new + reactivated - churned, the terms in the note."""
    m = measures(ctx)

    def text(column: str) -> pd.Series:
        return m[column].astype(int).astype(str)

    note = (
        "start " + text("customers_start") + " + new " + text("new_customers")
        + " + reactivated " + text("reactivated_customers")
        + " - churned " + text("churned_customers")
    )  # fmt: skip
    out = measure(m["customers_end"])
    out["note"] = note
    return out
