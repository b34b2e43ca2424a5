"""The report as a library call: open the data, pick metrics, compute, compare.

The CLI commands are thin shells over these functions; tests call them directly too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path

import pandas as pd

from csmetrics_cli.config import find_config, load_config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.contracts.schema import SCHEMAS
from csmetrics_cli.engine.context import Context
from csmetrics_cli.metrics import registry
from csmetrics_cli.metrics.compute import compute, with_previous
from csmetrics_cli.periods import Period
from csmetrics_cli.problems import CsmError, UsageError, closest

SAMPLE_DIR = Path("sample_data")


def default_data(data: Path | None, notify: Callable[[str], None]) -> Path:
    """--data, else ./sample_data (saying so), else an error that says what to pass."""
    if data is not None:
        return data
    if SAMPLE_DIR.is_dir():
        notify(f"No --data given: reading ./{SAMPLE_DIR}")
        return SAMPLE_DIR
    raise CsmError(
        "no --data given and there is no ./sample_data here",
        hint="pass --data with a folder of exports or an .xlsx workbook (or run `csm sample`)",
    )


def open_dataset(
    data: Path,
    config: Path | None = None,
    encoding: str | None = None,
    progress: Callable[[str], AbstractContextManager[object]] | None = None,
) -> Dataset:
    """Find the tables and the config for a --data path."""
    cfg = load_config(find_config(config, data))
    if encoding:
        cfg = dataclasses.replace(cfg, encoding=encoding)
    return Dataset.open(data, cfg, progress)


def select_metrics(family: str | None, ids: list[str] | None) -> list[registry.MetricSpec]:
    """The metrics for --family/--metrics; unknown names are a usage error with a suggestion."""
    if family is not None and family not in registry.FAMILIES:
        raise UsageError(
            f"unknown family '{family}'", hint=f"one of: {', '.join(registry.FAMILIES)}"
        )
    for metric_id in ids or []:
        if metric_id not in registry.REGISTRY:
            close = closest(metric_id, registry.REGISTRY)
            hint = f"did you mean '{close}'?" if close else "`csm metrics` lists the ids"
            raise UsageError(f"unknown metric '{metric_id}'", hint=hint)
    specs = registry.select(ids, family)
    if not specs:
        raise UsageError("no metric matches --family and --metrics together")
    return specs


def segment_columns(data: Dataset) -> list[str]:
    """Columns --by accepts: extra customer columns, and plan/status from subscriptions."""
    columns: list[str] = []
    customers = data.table("customers")
    if customers is not None:
        canonical = set(SCHEMAS["customers"].column_names)
        columns += [c for c in customers.columns if c not in canonical]
    subs = data.table("subscriptions")
    assert subs is not None
    columns += [c for c in ("plan", "status") if c in subs.columns and c not in columns]
    return columns


def build_report(
    data: Dataset,
    periods: list[Period],
    specs: list[registry.MetricSpec],
    segment_by: str | None = None,
    compare: bool = False,
) -> pd.DataFrame:
    """The long result for the periods, overall and per segment, with previous values if asked."""
    if segment_by is not None:
        allowed = segment_columns(data)
        if segment_by not in allowed:
            close = closest(segment_by, allowed)
            hint = (f"did you mean '{close}'? " if close else "") + (
                f"segment columns here: {', '.join(allowed) or 'none'}")  # fmt: skip
            raise UsageError(f"cannot segment by '{segment_by}'", hint=hint)
    frame = compute(Context(data, periods, segment_by), specs)
    if compare:
        before = [p.previous() for p in periods]
        previous = compute(Context(data, before, segment_by), specs)
        frame = with_previous(
            frame, previous, {b.label: p.label for b, p in zip(before, periods, strict=True)}
        )
    return frame


def quality_summary(data: Dataset) -> dict[str, object]:
    """The data-quality report as plain data: tables with row accounting, and issues."""
    return {
        "tables": [
            {
                "table": r.table,
                "file": r.file,
                "rows_read": r.rows_read,
                "rows_used": r.rows_used,
                "rows_excluded": r.rows_excluded,
            }
            for r in data.reports.values()
        ],
        "unusable_tables": dict(data.unusable),
        "issues": [i.to_dict() for i in data.issues],
    }
