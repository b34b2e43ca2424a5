"""What every metric computes against: the data, the periods, the segmentation, and a cache.

Results are tidy frames with one row per (period, segment[, item]); `segment` is ALL for the
all-customers row (None once rendered). Measures several metrics share are computed once
per context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, TypeVar

import numpy as np
import pandas as pd

from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.contracts.schema import SCHEMAS
from csmetrics_cli.definitions import Definitions
from csmetrics_cli.engine.cache import per_context, per_data, per_dataset
from csmetrics_cli.periods import Period

T = TypeVar("T")
# Tables whose metrics split by the tables' own columns (--by channel for FCR, touchpoint for
# NPS): their functions aggregate with `table=`. Other metrics split by customer columns only.
ROW_SEGMENT_TABLES = ("tickets", "surveys")
BLANK_SEGMENT = "(blank)"
UNKNOWN_SEGMENT = "(unknown customer)"  # rows whose customer_id the customers table lacks
ALL = "\x00all"  # internal segment key of the all-customers row; None in every output
KEYS = ["period", "segment"]
WINDOW_DAYS = 30  # health's usage: active days in the 30 days up to the day scored


@dataclass
class Context:
    """The periods (sorted, non-overlapping) and segmentation a report is computed for."""

    data: Dataset
    periods: list[Period]
    segment_by: str | None = None
    cache: dict[Any, Any] = field(default_factory=dict)  # see engine/cache.py
    # The definition switches; None = the config's [definitions] (and --define)
    definitions: Definitions | None = None

    def __post_init__(self) -> None:
        if self.definitions is None:
            explicit = dict(self.config.definitions)
            if self.config.csat_satisfied_min is not None:  # the older place of the switch
                explicit.setdefault("csat_satisfied_min", self.config.csat_satisfied_min)
            self.definitions = Definitions.resolve(explicit)
        if self.definitions["window"] == "rolling_30":
            self.periods = [rolling(p, ROLLING_DAYS) for p in self.periods]
        if self.periods:
            # The days read one by one: the periods, health's usage up to the day before
            # them (a score's change), and the feature window after the last cohort start.
            after = timedelta(days=self.config.feature_window_days)
            self.data.need_days(min(p.start for p in self.periods) - timedelta(WINDOW_DAYS + 1),
                                max(p.end for p in self.periods) + after)  # fmt: skip

    @property
    def config(self) -> Config:
        return self.data.config

    @property
    def defs(self) -> Definitions:
        """The active definition switches."""
        assert self.definitions is not None
        return self.definitions

    @property
    def labels(self) -> list[str]:
        return [p.label for p in self.periods]

    def assign_period(self, days: pd.Series) -> pd.Series:
        """The label of the period each date falls in, or NA."""
        starts = np.array([np.datetime64(p.start, "D") for p in self.periods])
        ends = np.array([np.datetime64(p.end, "D") for p in self.periods])
        values = np.asarray(days.to_numpy(dtype="datetime64[ns]"), dtype="datetime64[D]")
        pos = np.searchsorted(starts, values, side="right") - 1
        ok = (pos >= 0) & ~np.isnat(values)
        ok[ok] = values[ok] < ends[pos[ok]]
        labels = pd.Series(
            np.array(self.labels, dtype=object)[np.clip(pos, 0, None)], index=days.index
        )
        return labels.where(ok, None)

    def customers(self) -> pd.Index:
        """Every customer id known: the customers table plus those in subscriptions; with
        neither, the distinct customer_ids of the tables present (SPEC section 1)."""
        return _known_customers(self)

    def segments(self) -> pd.Series | None:
        """customer_id -> segment label for --by (None without --by, or when --by is a
        column of other tables' rows: then rows name their own segment, see row_tables)."""
        if self.segment_by is None or self.row_tables():
            return None
        return _segment_labels(self)

    def row_tables(self) -> tuple[str, ...]:
        """The tables whose rows carry the --by column, when it is not a customer column."""
        if self.segment_by is None:
            return ()
        return segment_sources(self.data).get(self.segment_by, ())

    def splits(self, tables: set[str]) -> bool:
        """True when a metric reading `tables` can split by --by."""
        rows = self.row_tables()
        return not rows or bool(tables & set(rows))

    def _build_segments(self) -> pd.Series:
        by = self.segment_by
        customers = self.data.table("customers")
        if customers is not None and by in customers.columns:
            seg = customers.set_index("customer_id")[by].astype("object")
            seg = seg.where(seg.notna(), BLANK_SEGMENT).reindex(self.customers())
            return seg.where(seg.notna(), UNKNOWN_SEGMENT).astype(str)
        # Fall back to the subscription column (e.g. plan): the latest subscription's value.
        subs = self.data.table("subscriptions")
        assert subs is not None
        seg = subs.sort_values("start_date").groupby("customer_id")[by].last()
        seg = seg.reindex(self.customers()).astype("object")
        return seg.where(seg.notna(), BLANK_SEGMENT).astype(str)

    def segment_values(self) -> list[str]:
        if self.row_tables():
            return _row_segment_values(self)
        seg = self.segments()
        return [] if seg is None else sorted(seg.unique())

    def _row_labels(self, rows: pd.DataFrame) -> pd.Series:
        """Each row's own --by value (blank = BLANK_SEGMENT)."""
        by = self.segment_by
        assert by is not None
        values = rows[by].astype("object")
        return values.where(values.notna(), BLANK_SEGMENT).astype(str)

    def segment_of(self, customer_ids: pd.Series) -> pd.Series:
        """Segment label per row: UNKNOWN_SEGMENT for a customer the customers table lacks,
        NA for rows with no customer (they count in the overall figures only)."""
        seg = self.segments()
        if seg is None:  # no --by, or a --by of rows: customers carry no segment
            return pd.Series(None, index=customer_ids.index, dtype="object")
        labels = customer_ids.map(seg)
        return labels.where(labels.notna() | customer_ids.isna(), UNKNOWN_SEGMENT)

    def grid(self) -> pd.MultiIndex:
        """Every (period, segment) pair a result has a row for; ALL = all customers."""
        return _grid(self)

    def aggregate(
        self,
        rows: pd.DataFrame,
        aggs: dict[str, tuple[str, str]],
        fill: float | None = 0.0,
        table: str | None = None,
    ) -> pd.DataFrame:
        """Group rows (with 'period', and 'customer_id' or 'segment') overall and per segment.

        `aggs` is name -> (column, pandas reduction); the result is on the full grid. Rows
        without a customer (or segment) count in the overall figures only. Rows of `table`
        split by their own --by column when it is one of that table's.
        """
        rows = rows[rows["period"].notna()]
        if self.segment_by is None and len(self.periods) == 1:
            out = _one_group(rows, aggs, self.grid())
        else:
            out = self._grouped(rows, aggs, table)
        return out.fillna(fill) if fill is not None else out

    def _grouped(
        self, rows: pd.DataFrame, aggs: dict[str, tuple[str, str]], table: str | None
    ) -> pd.DataFrame:
        """aggregate's group-by: overall per period, then per segment, on the grid."""
        if table is not None and table in self.row_tables() and self.segment_by in rows:
            rows = rows.assign(segment=self._row_labels(rows))
        overall = rows.groupby("period").agg(**aggs)  # type: ignore[call-overload]
        overall.index = pd.MultiIndex.from_arrays([overall.index, [ALL] * len(overall)], names=KEYS)
        parts = [overall]
        if self.segment_by is not None and {"customer_id", "segment"} & set(rows.columns):
            seg = rows["segment"] if "segment" in rows else self.segment_of(rows["customer_id"])
            by_seg = rows.assign(segment=seg)[seg.notna()].groupby(KEYS).agg(**aggs)  # type: ignore[call-overload]
            parts.append(by_seg)
        return pd.concat(parts).reindex(self.grid())


ROLLING_DAYS = 30


def rolling(period: Period, days: int) -> Period:
    """The `days` days ending on the period's last day, under the period's own label (so
    applying it twice changes nothing); the start snapshot is the day before them."""
    return Period(period.end - timedelta(days=days), period.end, period.label, f"rolling_{days}")


def _one_group(
    rows: pd.DataFrame, aggs: dict[str, tuple[str, str]], grid: pd.MultiIndex
) -> pd.DataFrame:
    """Context.aggregate for one period and no segments: each reduction over its whole
    column, as the group-by's one group would give it (NaN for every name when no row is
    left), without the group-by's cost per call (about 4 ms; a month's report makes 26)."""
    values = {name: [getattr(rows[column], how)() if len(rows) else np.nan]
              for name, (column, how) in aggs.items()}  # fmt: skip
    return pd.DataFrame(values, index=grid)


@per_context
def _grid(ctx: Context) -> pd.MultiIndex:
    """Built once per context: every metric's result is reindexed to it."""
    segments = [ALL, *ctx.segment_values()]
    return pd.MultiIndex.from_product([ctx.labels, segments], names=KEYS)


@per_dataset
def _known_customers(ctx: Context) -> pd.Index:
    tables = [ctx.data.table(name) for name in ("customers", "subscriptions")]
    if all(t is None for t in tables):
        tables = [ctx.data.table(name) for name in ctx.data.sources
                  if SCHEMAS[name].refers_to_customers]  # fmt: skip
    ids = [t["customer_id"].dropna() for t in tables if t is not None and "customer_id" in t]
    if not ids:
        return pd.Index([], dtype="str", name="customer_id")
    return pd.Index(pd.concat(ids).unique(), name="customer_id")


@per_dataset
def _segment_labels(ctx: Context) -> pd.Series:
    return ctx._build_segments()


@per_dataset
def _row_segment_values(ctx: Context) -> list[str]:
    labels: set[str] = set()
    for table in ctx.row_tables():
        frame = ctx.data.table(table)
        if frame is not None:
            labels |= set(ctx._row_labels(frame).unique())
    return sorted(labels)


@per_data
def segment_sources(data: Dataset) -> dict[str, tuple[str, ...]]:
    """Every column --by accepts -> () for a customer column (an extra column of customers,
    or plan, status or an extra column of the latest subscription), else the tables whose
    rows carry it (text columns of tickets and surveys: channel, priority, touchpoint...).
    A customer column wins over a row column of the same name."""
    out: dict[str, tuple[str, ...]] = {}
    customers = data.table("customers") if "customers" in data.sources else None
    if customers is not None:
        canonical = set(SCHEMAS["customers"].column_names)
        out |= {c: () for c in customers.columns if c not in canonical}
    subs = data.table("subscriptions") if "subscriptions" in data.sources else None
    if subs is not None:
        canonical = set(SCHEMAS["subscriptions"].column_names) - {"plan", "status"}
        out |= {c: () for c in subs.columns if c not in canonical and c not in out}
    for table in ROW_SEGMENT_TABLES:
        frame = data.table(table) if table in data.sources else None
        if frame is None:
            continue
        schema = SCHEMAS[table]
        typed = {c.name for c in schema.columns if c.kind != "text" or c.choices}
        for column in frame.columns:
            if column not in typed and out.get(column) != ():
                out[column] = (*out.get(column, ()), table)
    return out
