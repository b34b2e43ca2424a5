"""Run catalog metrics over a context and return the tidy long result every renderer reads."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from concurrent.futures import Future
from functools import partial
from itertools import groupby
from typing import Any

import numpy as np
import pandas as pd

from csmetrics_cli.engine.cache import per_context
from csmetrics_cli.engine.context import ALL, KEYS, Context
from csmetrics_cli.metrics import intervals
from csmetrics_cli.metrics.catalog import BY_ID
from csmetrics_cli.metrics.results import measure, null_result, ratio
from csmetrics_cli.metrics.spec import FAMILIES, Kind, MetricSpec, Ref

COLUMNS = [
    "period", "segment_by", "segment", "metric", "item", "name", "family",
    "value", "unit", "ci_low", "ci_high", "numerator", "denominator", "note",
]  # fmt: skip


def resolve(target: Ref) -> Callable[..., Any]:
    """The function a catalog Ref names: "family:function" in csmetrics_cli.metrics, or
    "package.module:function" elsewhere under csmetrics_cli (the engine's measures)."""
    module, _, name = target.path.partition(":")
    package = "csmetrics_cli" if "." in module else "csmetrics_cli.metrics"
    function = getattr(importlib.import_module(f"{package}.{module}"), name)
    return partial(function, *target.args) if target.args else function  # type: ignore[no-any-return]


def _with_source_note(out: pd.DataFrame, source: pd.DataFrame) -> pd.DataFrame:
    """A note the measures carry (rescaled answers, unscored customers) wins: it says more
    than the generic zero-denominator note."""
    if "note" in source:
        out["note"] = source["note"].where(source["note"].notna(), out["note"])
    return out


def _evaluate(ctx: Context, spec: MetricSpec) -> pd.DataFrame:
    if spec.compute is not None:
        return resolve(spec.compute)(ctx)  # type: ignore[no-any-return]
    assert spec.source is not None
    source: pd.DataFrame = resolve(spec.source)(ctx)
    if spec.kind is Kind.ratio:
        assert spec.numerator and spec.denominator
        out = ratio(source[spec.numerator], source[spec.denominator], spec.scale, spec.zero_note)
        return _with_source_note(out, source)
    assert spec.measure
    return measure(source[spec.measure])


def _lacks(ctx: Context, need: str) -> str | None:
    """Why one input ("table" or "table.column") is not there, or None when it is."""
    table, _, column = need.partition(".")
    if not ctx.data.has(table):
        why = ctx.data.unusable.get(table)
        return f"needs the {table} table ({why})" if why else f"needs the {table} table"
    if column and not ctx.data.has(table, column):
        return f"needs column {table}.{column}, which is missing or empty"
    return None


def missing_inputs(ctx: Context, spec: MetricSpec) -> str | None:
    """Why the metric cannot be computed from this data, or None when it can; an input
    "a or b" is met by either (a cohort comes from subscriptions or customers.created_at)."""
    reasons = []
    for need in spec.inputs:  # every input is looked at, so the tables present are read
        options = need.split(" or ")
        found = [_lacks(ctx, option) for option in options]
        if all(found):
            names = [f"the {o} table" if "." not in o else f"column {o}" for o in options]
            reasons.append(found[0] if len(options) == 1 else f"needs {' or '.join(names)}")
    return reasons[0] if reasons else None


@per_context
def value_of(ctx: Context, metric_id: str) -> pd.DataFrame:
    """A metric's result in this context (computed once), null with the reason when its
    inputs are missing; derived metrics read the metrics they depend on through this."""
    spec = BY_ID[metric_id]
    why = missing_inputs(ctx, spec)
    if why:
        return null_result(ctx, why)
    out = _evaluate(ctx, spec)
    tables = {option.partition(".")[0] for need in spec.inputs for option in need.split(" or ")}
    return out if ctx.splits(tables) else _unsplit(ctx, out)


def _unsplit(ctx: Context, out: pd.DataFrame) -> pd.DataFrame:
    """The overall rows as computed; each segment row null with a note: the metric's rows
    do not carry the --by column (it is a column of another table)."""
    segment = out.index.get_level_values("segment") != ALL
    out = out.copy()
    for column in ("value", "numerator", "denominator"):
        if column in out:
            out.loc[segment, column] = float("nan")
    where = " and ".join(ctx.row_tables())
    out.loc[segment, "note"] = f"cannot split by {ctx.segment_by}: a column of {where} only"
    return out


Draws = dict[tuple[str, str], tuple[int, np.ndarray]]


def _samples(
    ctx: Context, resample: Ref
) -> tuple[list[str], list[tuple[str, str]], list[np.ndarray]]:
    """The value columns of the `resample` rows, and per (period, segment) key the values
    of its customers."""
    rows = resolve(resample)(ctx)
    stacked = [rows.assign(segment=ALL)]
    if ctx.segment_by is not None:
        seg = ctx.segment_of(rows["customer_id"])
        stacked.append(rows.assign(segment=seg)[seg.notna()])
    groups = pd.concat(stacked, ignore_index=True).groupby(KEYS, sort=False)
    values = [c for c in rows.columns if c not in ("period", "customer_id")]
    keys, samples = [], []
    for (period, segment), group in groups:
        keys.append((str(period), str(segment)))
        samples.append(group[values].to_numpy())
    return values, keys, samples


@per_context
def _replicates(
    ctx: Context, resamples: tuple[Ref, ...]
) -> Future[dict[Ref, tuple[list[str], Draws]]]:
    """Per resample: its value columns, and per (period, segment) the customers resampled
    with the bootstrap's replicate sums of those columns (one draw serves every metric the
    rows feed, so NRR and GRR move together). The rows are taken here; the groups of every
    resample are drawn in one call on a thread of their own (numpy's draws and BLAS release
    the GIL), while the other metrics are computed. Each group has its own seed, so its draws
    do not depend on which others are drawn beside it."""
    from csmetrics_cli.io.duck import on_thread

    parts = {resample: _samples(ctx, resample) for resample in resamples}
    samples = [sample for _, _, group in parts.values() for sample in group]
    seeds = [intervals.group_seed(*key) for _, keys, _ in parts.values() for key in keys]

    def draw() -> dict[Ref, tuple[list[str], Draws]]:
        sums = iter(intervals.bootstrap_groups(samples, seeds))  # in the order of `samples`
        out = {}
        for resample, (values, keys, group) in parts.items():
            draws = {key: (len(s), next(sums)) for key, s in zip(keys, group, strict=True)}
            out[resample] = (values, draws)
        return out

    return on_thread("bootstrap", draw)


def _bootstrap(
    ctx: Context, spec: MetricSpec, index: pd.Index, resamples: tuple[Ref, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Percentile interval of numerator / denominator (fractions) per (period, segment) row,
    and the customers resampled (a loop over the grid's rows, not over customers)."""
    assert spec.resample is not None and spec.numerator and spec.denominator
    columns, draws = _replicates(ctx, resamples).result()[spec.resample]
    num, den = columns.index(spec.numerator), columns.index(spec.denominator)
    low, high, n = np.full(len(index), np.nan), np.full(len(index), np.nan), np.zeros(len(index))
    for i, key in enumerate(index):
        if key in draws:
            n[i], sums = draws[key]
            low[i], high[i] = intervals.percentile_interval(sums[:, num], sums[:, den])
    return low, high, n


def with_interval(
    ctx: Context, spec: MetricSpec, frame: pd.DataFrame, resamples: tuple[Ref, ...]
) -> pd.DataFrame:
    """The result with ci_low and ci_high (95%, in the metric's unit; NaN without an interval
    or a value), and "small sample (n = k)" appended to the note where 0 < n < MIN_SAMPLE
    (n: the denominator's count, the NPS answers, or the customers resampled). `resamples`:
    the bootstrap rows of every metric of the report (spec.resample among them), drawn
    together."""
    out = frame.assign(ci_low=np.nan, ci_high=np.nan)
    known = out["value"].notna().to_numpy()
    if spec.interval is None or not known.any():  # nothing to bound (or inputs missing)
        return out
    if spec.interval == "wilson":
        low, high = intervals.wilson(out["numerator"].to_numpy(), out["denominator"].to_numpy())
        n = out["denominator"].to_numpy()
    elif spec.interval == "nps":
        assert spec.source is not None
        counts = resolve(spec.source)(ctx).reindex(out.index)
        n = counts["n"].to_numpy()
        low, high = intervals.nps_interval(
            counts["promoters"].to_numpy(), counts["detractors"].to_numpy(), n
        )
    else:
        low, high, n = _bootstrap(ctx, spec, out.index, resamples)
    out["ci_low"] = np.where(known, low * spec.scale, np.nan)
    out["ci_high"] = np.where(known, high * spec.scale, np.nan)
    small = pd.Series(known & (n > 0) & (n < intervals.MIN_SAMPLE), index=out.index)
    text = pd.Series([f"small sample (n = {k:g})" for k in np.nan_to_num(n)], index=out.index)
    note = out["note"].astype(object)
    joined = note.where(note.isna(), note.astype(str) + "; " + text).fillna(text)
    out["note"] = joined.where(small, note)
    return out


def detail_of(ctx: Context, spec: MetricSpec) -> pd.DataFrame | None:
    """The rows behind a metric for `csm explain`, or None when it has none."""
    return None if spec.detail is None else resolve(spec.detail)(ctx)  # type: ignore[no-any-return]


def compute(ctx: Context, specs: list[MetricSpec], with_intervals: bool = True) -> pd.DataFrame:
    """One row per period x segment x metric (x item), in catalog then period order, with
    each metric's interval (`with_intervals`; a compared period needs only its values)."""
    # missing_inputs reads every input's table: their spans need not be asked of the engine
    needs = {o.split(".")[0] for s in specs for n in s.inputs for o in n.split(" or ")}
    ctx.data.expected |= needs
    if needs & {"events", "activity"}:
        ctx.data.prefetch_activity()  # the events scan runs while the other tables are read
    # The bootstrap rows of every metric whose inputs are there, drawn from now on
    resamples = tuple(dict.fromkeys(s.resample for s in specs if s.resample is not None
                                    and missing_inputs(ctx, s) is None))  # fmt: skip
    if with_intervals and resamples:
        _replicates(ctx, resamples)
    # The families reading the events last (the scan runs meanwhile), the intervals after
    # every value (the draws ran meanwhile); the result in the catalog's order.
    ordered = sorted(specs, key=lambda s: FAMILIES[s.family].reads_events)
    for family, group in groupby(ordered, key=lambda s: s.family):
        with ctx.data.progress(f"Computing {FAMILIES[family].title.lower()}"):
            for spec in group:
                value_of(ctx, spec.id)
    parts = []
    for spec in specs:
        frame = value_of(ctx, spec.id)  # computed above
        if with_intervals:
            frame = with_interval(ctx, spec, frame, resamples)
        else:
            frame = frame.assign(ci_low=np.nan, ci_high=np.nan)
        parts.append(frame.reset_index())
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    long = pd.concat(parts, ignore_index=True)
    if "item" not in long:
        long["item"] = None
    long["item"] = long["item"].astype(object).where(long["item"].notna(), None)
    # The spec's own columns once on the long frame (per-part inserts cost ~1 ms each).
    sizes = [len(part) for part in parts]
    for column in ("id", "name", "family", "unit"):
        values = np.repeat(np.array([getattr(s, column) for s in specs], dtype=object), sizes)
        long["metric" if column == "id" else column] = values
    long["segment"] = long["segment"].astype(object).where(long["segment"] != ALL, None)
    long["segment_by"] = ctx.segment_by
    long["note"] = long["note"].astype(object).where(long["note"].notna(), None)
    return long[COLUMNS]


def with_previous(
    current: pd.DataFrame, previous: pd.DataFrame, labels: dict[str, str]
) -> pd.DataFrame:
    """Add `previous` and `change` (value - previous) from the same metric one period earlier.

    `labels` maps each previous period's label to the current label it precedes.
    """
    keys = ["period", "segment", "metric", "item"]
    prev = previous.assign(period=previous["period"].map(labels))[[*keys, "value"]]
    prev = prev.rename(columns={"value": "previous"})
    merged = current.merge(prev, on=keys, how="left")
    merged["change"] = merged["value"] - merged["previous"]
    return merged
