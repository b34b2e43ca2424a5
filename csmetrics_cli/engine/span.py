"""How far the data reaches: the first and last day recorded in the tables a command used.

A table the command has read, or will read for its metrics anyway (`Dataset.expected`),
gives its span from the checked frame. Any other (engagement's cohorts ask every table how
far the data reaches) is asked of the engine: a
min()/max() over the file's date columns in DuckDB, without loading it, when every value is
a strict ISO date or timestamp (the forms the engine reads exactly as csm does, days in the
reporting time zone). Anything else (other date forms, a workbook, another encoding,
csm.toml shaping the table) loads the table as before.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import numpy as np
import pandas as pd

from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.engine.cache import per_data

# Columns that record something that happened. end_date, term_end, trial_end and due_at are
# often scheduled in the future, so they do not say how far the data reaches.
OBSERVED_DATES = {
    "customers": ("created_at", "trial_start", "activated_at"),
    "subscriptions": ("start_date",),
    "invoices": ("issued_at",),
    "surveys": ("responded_at",),
    "tickets": ("created_at", "resolved_at"),
    "onboarding": ("completed_at",),
    # read from the activity frame, never from the raw events: rows of days outside the
    # report's window cover first_day..last_day
    "events": ("day", "first_day", "last_day"),
    "activity": ("day", "first_day", "last_day"),
}

Span = tuple[date | None, date | None]


def data_span(data: Dataset, tables: Iterable[str]) -> Span:
    """The earliest and latest observed day over `tables` (None, None when they have none)."""
    lows, highs = [], []
    for name in tables:
        low, high = table_span(data, name)
        if low is not None and high is not None:
            lows.append(low)
            highs.append(high)
    if not lows:
        return None, None
    return min(lows), max(highs)


@per_data
def table_span(data: Dataset, name: str) -> Span:
    """The observed days of one table: from its frame when read or to be read, else from the
    engine; found once per data set (the cohorts' last day and the report's span ask)."""
    frame_name = "activity" if name == "events" else name
    if not data.is_loaded(frame_name) and name not in data.expected:
        found = engine_span(data, name)
        if found is not None:
            return found
    frame = data.table(frame_name)
    lows, highs = [], []
    for column in OBSERVED_DATES.get(name, ()):
        if frame is None or column not in frame:
            continue
        days = frame[column].to_numpy()
        if days.dtype.kind == "M" and (bounds := _day_range(days)) is not None:
            lows.append(bounds[0])
            highs.append(bounds[1])
    if not lows:
        return None, None
    return pd.Timestamp(min(lows)).date(), pd.Timestamp(max(highs)).date()


def _day_range(days: np.ndarray) -> tuple[np.datetime64, np.datetime64] | None:
    """The earliest and latest of a datetime64 array, NaT skipped (None when all are NaT).

    On the int64 view, where NaT is the smallest value: a plain max skips it. 2.4x numpy's
    nanmin/nanmax (0.064 s -> 0.027 s for the 3 day columns of the 100k month's activity)."""
    numbers = days.view(np.int64)
    nat = np.iinfo(np.int64).min
    if not len(numbers) or (high := numbers.max()) == nat:
        return None
    low = np.where(numbers == nat, np.iinfo(np.int64).max, numbers).min()
    bounds = np.array([low, high], dtype=np.int64).view(days.dtype)
    return bounds[0], bounds[1]


def engine_span(data: Dataset, name: str) -> Span | None:
    """min()/max() of the table's observed days in DuckDB, or None when the table must be
    read (not a plain CSV/Parquet file, shaped by csm.toml, or a value the engine does not
    read exactly as csm does). Rows the checks would exclude count here: the file reaches
    their day all the same."""
    import duckdb

    from csmetrics_cli.contracts.checks import canonical_headers
    from csmetrics_cli.engine.events_sql import (
        MAX_DAY,
        MIN_DAY,
        DuckEngine,
        day_sql,
        file_relation,
        trim_sql,
    )
    from csmetrics_cli.io.duck import reraise_interrupt
    from csmetrics_cli.problems import InputError

    source = data.sources.get(name)
    if source is None or name in data.unusable or not data.plain(name):
        return None
    relation = file_relation(source, data.config)
    if relation is None:
        return None
    engine = DuckEngine(data.config.timezone)
    try:
        headers = list(engine.con.sql(f"SELECT * FROM {relation} LIMIT 0").columns)
        columns = canonical_headers(source, headers, data.config)
        wanted = ("timestamp",) if name == "events" else OBSERVED_DATES.get(name, ())
        found = [columns[c] for c in wanted if c in columns]
        if not found:
            return None, None
        days = " UNION ALL ".join(f"SELECT CAST({_quoted(h)} AS VARCHAR) AS ts FROM {relation}"
                                  for h in found)  # fmt: skip
        inside = f"day BETWEEN CAST('{MIN_DAY}' AS DATE) AND CAST('{MAX_DAY}' AS DATE)"
        query = (f"SELECT min(day), max(day), count(*) FILTER (WHERE ts IS NOT NULL"
                 f" AND (day IS NULL OR NOT ({inside}))) FROM (SELECT ts, {day_sql('text')}"
                 f" AS day FROM (SELECT {trim_sql('ts')} AS ts FROM ({days})))")  # fmt: skip
        low, high, odd = engine.con.execute(query).fetchone() or (None, None, 0)
    except (duckdb.Error, InputError) as exc:  # the reader says why when the table is read
        reraise_interrupt(exc)
        return None
    finally:
        engine.con.close()
    return None if odd else (low, high)


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
