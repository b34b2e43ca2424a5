"""How far the data reaches: the first and last day recorded in the tables a command used."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import pandas as pd

from csmetrics_cli.contracts.dataset import Dataset

# Columns that record something that happened. end_date, term_end, trial_end and due_at are
# often scheduled in the future, so they do not say how far the data reaches.
OBSERVED_DATES = {
    "customers": ("created_at", "trial_start", "activated_at"),
    "subscriptions": ("start_date",),
    "invoices": ("issued_at",),
    "surveys": ("responded_at",),
    "tickets": ("created_at", "resolved_at"),
    "onboarding": ("completed_at",),
    "events": ("day",),  # read from the activity frame, never from the raw events
    "activity": ("day",),
}


def data_span(data: Dataset, tables: Iterable[str]) -> tuple[date | None, date | None]:
    """The earliest and latest observed day over `tables` (None, None when they have none)."""
    lows, highs = [], []
    for name in tables:
        frame = data.table("activity" if name == "events" else name)
        for column in OBSERVED_DATES.get(name, ()):
            if frame is None or column not in frame:
                continue
            values = frame[column].dropna()
            if len(values):
                lows.append(values.min())
                highs.append(values.max())
    if not lows:
        return None, None
    return pd.Timestamp(min(lows)).date(), pd.Timestamp(max(highs)).date()
