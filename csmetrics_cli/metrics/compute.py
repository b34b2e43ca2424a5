"""Run registry metrics over a context and return the tidy long result every renderer reads."""

from __future__ import annotations

import pandas as pd

from csmetrics_cli.engine.context import ALL, Context
from csmetrics_cli.metrics.registry import (
    REGISTRY,
    MetricSpec,
    missing_inputs,
    null_result,
    value_of,
)

COLUMNS = [
    "period", "segment_by", "segment", "metric", "item", "name", "family",
    "value", "unit", "numerator", "denominator", "note",
]  # fmt: skip


def compute(ctx: Context, specs: list[MetricSpec]) -> pd.DataFrame:
    """One row per period x segment x metric (x item), in catalog then period order."""
    parts = []
    for spec in specs:
        why = missing_inputs(ctx, spec)
        res = null_result(ctx, why) if why else value_of(ctx, spec.id)
        frame = res.reset_index()
        if "item" not in frame:
            frame["item"] = None
        frame["metric"] = spec.id
        frame["name"] = spec.name
        frame["family"] = spec.family
        frame["unit"] = spec.unit
        parts.append(frame)
    if not parts:
        return pd.DataFrame(columns=COLUMNS)
    long = pd.concat(parts, ignore_index=True)
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


def catalog() -> list[MetricSpec]:
    """Every registered metric in catalog order."""
    return list(REGISTRY.values())
