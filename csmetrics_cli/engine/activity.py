"""Product events as integer codes, built once per data set: the per-day activity that
engagement and health metrics read.

They are built from the activity frame (`Dataset.table("activity")`: one row per customer,
user, day, feature and event, aggregated by an engine from the events table, see
engine/events_sql.py, or read from a pre-aggregated activity table), never from raw events.
Its rows outside the report's window have no day but the first_day..last_day they cover:
they count for history (where events begin and end, a user's customer, a first activation
event), and only the rows with a day for what happened on a day.
`event_codes` maps every row with a day to (day, user, customer); `activity_pairs` keeps the
distinct (day, user) pairs of activity events and `feature_triples` the distinct (day,
customer, feature) triples, both sorted by day so that a period is a slice.

A user belongs to the customer its events name on its first day with events naming a
known customer (the smallest customer_id when several are named that day): it does not
depend on the order of the export's rows, so every engine agrees. Users without one count
overall only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from csmetrics_cli.contracts.checks import positions_in
from csmetrics_cli.engine.cache import per_dataset
from csmetrics_cli.engine.context import Context
from csmetrics_cli.engine.snapshots import as_days

EPOCH = np.datetime64("1970-01-01", "D")


def day_number(d: date) -> int:
    """Days since 1970-01-01."""
    return int((np.datetime64(d, "D") - EPOCH).astype(np.int64))


def sorted_unique(values: np.ndarray) -> np.ndarray:
    """The distinct values, sorted."""
    # numpy's default sort of integers (SIMD) is 5x its stable sort on 9M random keys and
    # 15x a hash (pd.unique); order among equal keys does not matter here.
    ordered = np.sort(values)
    keep = np.ones(len(ordered), dtype=bool)
    np.not_equal(ordered[1:], ordered[:-1], out=keep[1:])
    return ordered[keep]


def codes_of(names: pd.Series, sort: bool = False) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for blank) and the distinct names (sorted if `sort`): a
    categorical's own (the activity frame's names are categoricals), else factorized."""
    if isinstance(names.dtype, pd.CategoricalDtype):
        if sort and not names.cat.categories.is_monotonic_increasing:
            names = names.cat.reorder_categories(sorted(names.cat.categories))
        return names.cat.codes.to_numpy(), pd.Index(names.cat.categories)  # no Python strings
    codes, uniques = pd.factorize(names, sort=sort)
    return codes, pd.Index(uniques)


def segment_codes(ctx: Context) -> tuple[np.ndarray, int]:
    """Per customer of ctx.customers(): 0 for no segment, else 1 + its position in the grid."""
    seg = ctx.segments()
    if seg is None:  # no --by, or a --by of other tables' rows: the grid's rows stay empty
        return np.zeros(len(ctx.customers()), dtype=np.int64), len(ctx.segment_values())
    labels = ctx.segment_values()
    codes = pd.Categorical(seg.to_numpy(), categories=labels).codes.astype(np.int64) + 1
    return codes, len(labels)


def activity_frame(ctx: Context) -> pd.DataFrame:
    """The activity frame (customer_id, user_id, day, feature, event, events, first_day,
    last_day): the rows with a day and those covering the days outside the window."""
    frame = ctx.data.table("activity")
    assert frame is not None
    return frame


@dataclass(frozen=True)
class Events:
    """The activity frame as integer codes: one entry per row with a day, and the history."""

    day: np.ndarray  # days since 1970-01-01 in the reporting time zone
    user: np.ndarray  # code of user_id
    customer: np.ndarray  # position in ctx.customers(); -1 when blank or unknown
    user_customer: np.ndarray  # per user code: the first customer its events name, or -1
    first: int  # the first day with any event
    last: int  # the last day with any event
    since: np.ndarray  # per row of the activity frame: the first day it covers
    named: np.ndarray  # per row of the activity frame: position in ctx.customers(), or -1
    dated: np.ndarray  # per row of the activity frame: True when it is one day's


@per_dataset
def event_codes(ctx: Context) -> Events:
    events = activity_frame(ctx)
    day = as_days(events["day"])
    since, until = _covered(day, events["first_day"]), _covered(day, events["last_day"])
    user, users = codes_of(events["user_id"])
    named = np.full(len(events), -1, dtype=np.int32)
    if "customer_id" in events.columns:
        codes, ids = codes_of(events["customer_id"])
        position = np.append(positions_in(ctx.customers(), ids), -1).astype(np.int32)
        named = position[codes]
    first_day, last_day = (int(since.min()), int(until.max())) if len(since) else (0, -1)
    user_customer = _user_customers(ctx, since - first_day, user, named, len(users))
    dated = ~np.isnat(day)
    return Events(since[dated], user[dated].astype(np.int32), named[dated], user_customer,
                  first_day, last_day, since, named, dated)  # fmt: skip


def _covered(day: np.ndarray, cover: pd.Series) -> np.ndarray:
    """Per activity row: its day, else the day it covers (first_day, last_day), as day
    numbers."""
    # As integers: datetime64 arithmetic checks every value for NaT, twice the time on 2.8M rows.
    # A datetime64[D] counts days since 1970-01-01 (EPOCH); NaT is the smallest int64.
    numbers = day.view(np.int64)
    blank = numbers == np.iinfo(np.int64).min
    return np.where(blank, as_days(cover).view(np.int64), numbers).astype(np.int32)


def _user_customers(
    ctx: Context, day: np.ndarray, user: np.ndarray, customer: np.ndarray, n_users: int
) -> np.ndarray:
    """Per user code: the customer named on its first day naming one (smallest customer_id
    on a tie), or -1. `day` counts from 0."""
    out = np.full(n_users, -1, dtype=np.int32)
    named = customer >= 0
    if not named.any():
        return out
    if not named.all():  # else every row names a known customer: no copies
        day, user, customer = day[named], user[named], customer[named]
    order = ctx.customers().argsort()  # by id (distinct: no ties)
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    key = day.astype(np.int64) * len(order) + rank[customer]
    best = np.full(n_users, np.iinfo(np.int64).max)
    np.minimum.at(best, user, key)  # per user, unbuffered: 30x a groupby's speed
    seen = best < np.iinfo(np.int64).max
    out[seen] = order[best[seen] % len(order)]
    return out


@dataclass(frozen=True)
class Activity:
    """Distinct (day, user) pairs of activity events, sorted by day."""

    day: np.ndarray
    user: np.ndarray
    user_segment: np.ndarray  # per user code: 0 = no segment, else 1 + segment position
    n_segments: int


@per_dataset
def activity_pairs(ctx: Context) -> Activity:
    base = event_codes(ctx)
    keep = np.ones(len(base.day), dtype=bool)
    if ctx.config.activity_events:
        events = activity_frame(ctx)["event"]
        keep = events.isin(ctx.config.activity_events).to_numpy(dtype=bool)[base.dated]
    n_users, low = max(len(base.user_customer), 1), base.first
    key = (base.day[keep].astype(np.int64) - low) * n_users + base.user[keep]
    key = sorted_unique(key)
    codes, n_segments = segment_codes(ctx)
    user_segment = np.append(codes, 0)[base.user_customer]
    return Activity(
        (key // n_users + low).astype(np.int32),
        (key % n_users).astype(np.int32),
        user_segment,
        n_segments,
    )


@dataclass(frozen=True)
class Features:
    """Distinct (day, customer, feature) triples of events naming both, sorted by day."""

    day: np.ndarray
    customer: np.ndarray  # position in ctx.customers()
    feature: np.ndarray  # position in names
    names: list[str]
    n_features: int


@per_dataset
def feature_triples(ctx: Context) -> Features:
    base = event_codes(ctx)
    feature, names = codes_of(activity_frame(ctx)["feature"], sort=True)
    feature = feature[base.dated]
    keep = (feature >= 0) & (base.customer >= 0)
    n_features, n_customers = max(len(names), 1), max(len(ctx.customers()), 1)
    key = (base.day[keep].astype(np.int64) - base.first) * n_customers + base.customer[keep]
    key = sorted_unique(key * n_features + feature[keep])
    rest = key // n_features
    return Features(
        (rest // n_customers + base.first).astype(np.int32),
        (rest % n_customers).astype(np.int64),
        (key % n_features).astype(np.int64),
        [str(n) for n in names],
        n_features,
    )


@dataclass(frozen=True)
class CustomerDays:
    """Distinct (day, customer) pairs of any event naming a known customer, sorted by day."""

    day: np.ndarray
    customer: np.ndarray  # position in ctx.customers()


@per_dataset
def customer_days(ctx: Context) -> CustomerDays:
    """The days each customer had any event, as (day, customer) pairs sorted by day."""
    base = event_codes(ctx)
    named = base.customer >= 0
    n_customers = max(len(ctx.customers()), 1)
    key = (base.day[named].astype(np.int64) - base.first) * n_customers + base.customer[named]
    key = sorted_unique(key)
    return CustomerDays((key // n_customers + base.first).astype(np.int32), key % n_customers)


def day_slice(days: np.ndarray, first: int, last: int) -> slice:
    """The positions of a day-sorted array with first <= day <= last."""
    # the bounds in the array's own dtype: other integers would cast the whole array
    lo, hi = np.searchsorted(days, np.array([first, last + 1], dtype=days.dtype))
    return slice(int(lo), int(hi))
