"""The metric registry: one declarative entry per KPI, read by report, metrics, explain and docs.

A compute function takes a Context and returns a frame indexed by (period, segment) - plus
`item` for breakdown metrics - with columns value, numerator, denominator and note. Ratios
name their numerator and denominator so `explain` and re-aggregation stay exact.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from csmetrics_cli.engine.context import Context

FAMILIES = ("revenue", "engagement", "health", "satisfaction")
UNITS = (
    "%",
    "currency",
    "customers",
    "users",
    "count",
    "months",
    "days",
    "points",
    "score",
    "ratio",
)
RESULT_COLUMNS = ["value", "numerator", "denominator", "note"]

Compute = Callable[[Context], pd.DataFrame]


@dataclass(frozen=True)
class MetricSpec:
    """One KPI: stable id, display name, family, unit, formula text, inputs and compute."""

    id: str
    name: str
    family: str
    unit: str
    formula: str
    inputs: tuple[str, ...]  # "table" or "table.column" the metric cannot do without
    compute: Compute
    itemised: bool = False  # one row per item (feature, onboarding step)
    # The rows behind the figure for `csm explain`: (period, customer_id, ...) per contributor.
    detail: Callable[[Context], pd.DataFrame] | None = None


REGISTRY: dict[str, MetricSpec] = {}


def register(*specs: MetricSpec) -> None:
    """Add metrics to the catalog, in report order."""
    for spec in specs:
        if spec.id in REGISTRY:
            raise ValueError(f"metric {spec.id} registered twice")
        if spec.family not in FAMILIES or spec.unit not in UNITS:
            raise ValueError(f"metric {spec.id}: unknown family or unit")
        REGISTRY[spec.id] = spec


def result(
    value: pd.Series,
    numerator: pd.Series | None = None,
    denominator: pd.Series | None = None,
    note: pd.Series | str | None = None,
) -> pd.DataFrame:
    """A result frame from aligned series (value NaN means null)."""
    frame = pd.DataFrame({"value": value.astype("float64")})
    frame["numerator"] = np.nan if numerator is None else numerator.astype("float64")
    frame["denominator"] = np.nan if denominator is None else denominator.astype("float64")
    frame["note"] = None if note is None else note
    return frame


def ratio(
    numerator: pd.Series, denominator: pd.Series, scale: float = 100.0, zero_note: str = ""
) -> pd.DataFrame:
    """numerator / denominator x scale; null with `zero_note` where the denominator is 0."""
    den = denominator.astype("float64")
    num = numerator.astype("float64")
    value = (num / den.where(den != 0)) * scale
    note = pd.Series(zero_note or "denominator is 0", index=den.index, dtype=object)
    note = note.where((den == 0) & value.isna() & num.notna(), None)
    return result(value, num, den, note)


def measure(values: pd.Series) -> pd.DataFrame:
    """A plain count or sum: the value is the measure itself."""
    return result(values)


def null_result(ctx: Context, note: str) -> pd.DataFrame:
    """Every (period, segment) null with the same note."""
    index = ctx.grid()
    return result(pd.Series(np.nan, index=index), note=pd.Series(note, index=index))


def missing_inputs(ctx: Context, spec: MetricSpec) -> str | None:
    """Why the metric cannot be computed from this data, or None when it can."""
    for need in spec.inputs:
        table, _, column = need.partition(".")
        if not ctx.data.has(table):
            why = ctx.data.unusable.get(table)
            return f"needs the {table} table ({why})" if why else f"needs the {table} table"
        if column and not ctx.data.has(table, column):
            return f"needs column {table}.{column}, which is missing or empty"
    return None


def value_of(ctx: Context, metric_id: str) -> pd.DataFrame:
    """Another metric's result in the same context (computed once), for derived metrics."""
    return ctx.memo(f"metric:{metric_id}", lambda: REGISTRY[metric_id].compute(ctx))


def select(ids: list[str] | None = None, family: str | None = None) -> list[MetricSpec]:
    """The metrics a report asks for, in catalog order."""
    specs = list(REGISTRY.values())
    if family is not None:
        specs = [s for s in specs if s.family == family]
    if ids:
        wanted = set(ids)
        specs = [s for s in specs if s.id in wanted]
    return specs
