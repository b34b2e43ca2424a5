"""What pulls a health score down, in words a CSM can act on.

The one or two weakest components below DRIVER_BELOW are named, each with what its value
means in the data ("2 active days in the last 30", "1 failed invoice in 90 days").
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csmetrics_cli.engine.context import WINDOW_DAYS
from csmetrics_cli.health.model import COMPONENTS, PAYMENT_DAYS, SUPPORT_DAYS, USAGE_TARGET_DAYS

DRIVER_BELOW = 50.0  # a component under this pulls the score down
MAX_DRIVERS = 2


def _words(component: str, values: pd.Series) -> pd.Series:
    """One component's values as facts about the customers, for a whole column at once."""
    whole = values.round().astype("int64").astype(str)
    if component == "usage":
        days = (values * USAGE_TARGET_DAYS / 100).round().astype("int64")
        some = days.astype(str) + f" active days in the last {WINDOW_DAYS}"
        return some.where(days > 0, f"no activity in {WINDOW_DAYS} days")
    if component == "features":
        return "uses " + whole + "% of the features"
    if component == "sentiment":
        return "latest survey answer " + whole + "/100"
    if component == "support":
        return f"heavy support load in {SUPPORT_DAYS} days (support " + whole + "/100)"
    if component == "payment":
        one = f"1 failed invoice in {PAYMENT_DAYS} days"
        return pd.Series(one, index=values.index).where(
            values >= 50, f"2+ failed invoices in {PAYMENT_DAYS} days"
        )
    if component == "revenue_trend":
        change = (values - 50).round().astype("int64")
        return "MRR " + change.map("{:+d}".format) + "% over 3 months"
    return "onboarding " + whole + "% complete"


def drivers(components: pd.DataFrame) -> pd.Series:
    """Per customer: the weakest components below DRIVER_BELOW, in words, '; '-joined."""
    present = [c for c in COMPONENTS if c in components]
    values = components[present].to_numpy(dtype="float64")
    order = np.argsort(np.where(np.isnan(values), np.inf, values), axis=1)[:, :MAX_DRIVERS]
    out = pd.Series("", index=components.index, dtype=object)
    rows = np.arange(len(values))
    for rank in range(order.shape[1]):  # the weakest, then the next: a column at a time
        picked = order[:, rank]
        value = values[rows, picked]
        words = pd.Series("", index=components.index, dtype=object)
        for position, component in enumerate(present):
            hit = (picked == position) & (value < DRIVER_BELOW)
            if hit.any():
                words[hit] = _words(component, pd.Series(value[hit], index=words.index[hit]))
        joined = out.where(out == "", out + "; ") + words
        out = joined.where(words != "", out)
    return out
