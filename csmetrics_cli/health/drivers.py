"""What pulls a health score down, in words a CSM can act on.

The one or two weakest components below DRIVER_BELOW are named, each with what its value
means in the data ("2 active days in the last 30", "1 failed invoice in 90 days").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csmetrics_cli.health.model import (
    COMPONENTS,
    PAYMENT_DAYS,
    SUPPORT_DAYS,
    USAGE_TARGET_DAYS,
    WINDOW_DAYS,
)

DRIVER_BELOW = 50.0  # a component under this pulls the score down
MAX_DRIVERS = 2


def _words(component: str, value: float) -> str:
    """One component's value as a fact about the customer."""
    if component == "usage":
        days = round(value * USAGE_TARGET_DAYS / 100)
        return f"no activity in {WINDOW_DAYS} days" if days == 0 else (
            f"{days} active days in the last {WINDOW_DAYS}")  # fmt: skip
    if component == "features":
        return f"uses {value:.0f}% of the features"
    if component == "sentiment":
        return f"latest survey answer {value:.0f}/100"
    if component == "support":
        return f"heavy support load in {SUPPORT_DAYS} days (support {value:.0f}/100)"
    if component == "payment":
        return (
            f"{'1 failed invoice' if value >= 50 else '2+ failed invoices'} in {PAYMENT_DAYS} days"
        )
    if component == "revenue_trend":
        return f"MRR {value - 50:+.0f}% over 3 months"
    return f"onboarding {value:.0f}% complete"


def drivers(components: pd.DataFrame) -> pd.Series:
    """Per customer: the weakest components below DRIVER_BELOW, in words, '; '-joined."""
    present = [c for c in COMPONENTS if c in components]
    values = components[present].to_numpy(dtype="float64")
    order = np.argsort(np.where(np.isnan(values), np.inf, values), axis=1)[:, :MAX_DRIVERS]
    out = []
    for row, picks in zip(values, order, strict=True):
        words = [_words(present[i], row[i]) for i in picks if row[i] < DRIVER_BELOW]
        out.append("; ".join(words))
    return pd.Series(out, index=components.index, dtype=object)
