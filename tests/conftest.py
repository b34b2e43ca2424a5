"""Shared test helpers: write tiny exports to a folder and compute metrics from them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import settings

from csmetrics_cli.api import report, select_metrics
from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.periods import month_range, parse_period

# No per-example deadline: on a loaded 2-core CI machine timing says nothing about the code.
settings.register_profile("csm", deadline=None)
settings.load_profile("csm")


def write_tables(folder: Path, **tables: str) -> Path:
    """Write each keyword as <name>.csv (dedented CSV text) into folder."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in tables.items():
        (folder / f"{name}.csv").write_text(textwrap.dedent(text).strip() + "\n", encoding="utf-8")
    return folder


def run_report(
    folder: Path,
    period: str | None = None,
    *,
    trend: tuple[str, str] | None = None,
    by: str | None = None,
    family: str | None = None,
    metrics: list[str] | None = None,
    config: Config | None = None,
) -> pd.DataFrame:
    """The long report frame for a folder of CSVs."""
    data = Dataset.open(folder, config or Config())
    periods = month_range(*trend) if trend else [parse_period(period or "2024-06")]
    return report(data, periods, select_metrics(family, metrics), segment_by=by).frame


def values(frame: pd.DataFrame, period: str | None = None, segment: str | None = None) -> dict:
    """metric id -> value (or (metric, item) -> value for breakdowns) for one period/segment."""
    rows = frame
    if period is not None:
        rows = rows[rows["period"] == period]
    rows = rows[rows["segment"].isna()] if segment is None else rows[rows["segment"] == segment]
    out = {}
    for r in rows.itertuples(index=False):
        key = r.metric if r.item is None else (r.metric, r.item)
        out[key] = None if pd.isna(r.value) else r.value
    return out


def notes(frame: pd.DataFrame) -> dict:
    """metric id -> note for the all-customers rows."""
    rows = frame[frame["segment"].isna()]
    return {r.metric: r.note for r in rows.itertuples(index=False)}


@pytest.fixture(autouse=True)
def private_cache(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test gets its own table cache folder (never the user's)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))


@pytest.fixture
def tables_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
