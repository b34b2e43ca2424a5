"""Numpy helpers for the sample model: day numbers, months, and runs of grouped arrays."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

Arr = npt.NDArray[Any]

OPEN = 10**7  # "no end" as a day number, far beyond any real date


def _day(text: str) -> int:
    """An ISO date as days since 1970-01-01."""
    return int(np.datetime64(text, "D").astype(np.int64))


def _add_months(days: Arr, months: Arr | int) -> Arr:
    """Same day-of-month `months` later, clamped to the month's last day (Jan 31 + 1 = Feb 28)."""
    d = np.asarray(days, dtype=np.int64).astype("datetime64[D]")
    month = d.astype("datetime64[M]")
    dom = (d - month.astype("datetime64[D]")).astype(np.int64)
    target = month + np.asarray(months, dtype=np.int64)
    first = target.astype("datetime64[D]")
    length = ((target + 1).astype("datetime64[D]") - first).astype(np.int64)
    return (first + np.minimum(dom, length - 1)).astype(np.int64)


def _day_of_month(days: Arr) -> Arr:
    """1-based day of the month of day numbers."""
    d = days.astype("datetime64[D]")
    return (d - d.astype("datetime64[M]").astype("datetime64[D]")).astype(np.int64) + 1


def _expand(counts: Arr) -> tuple[Arr, Arr]:
    """For per-owner counts: the owner of each expanded item and its rank within the owner."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    rank = np.arange(len(owner)) - np.repeat(np.cumsum(counts) - counts, counts)
    return owner, rank


def _rank_in_group(groups: Arr) -> Arr:
    """Position of each item within its run of equal (sorted) group ids."""
    idx = np.arange(len(groups))
    starts = np.r_[True, groups[1:] != groups[:-1]] if len(groups) else np.zeros(0, bool)
    return idx - np.maximum.accumulate(np.where(starts, idx, 0)) if len(groups) else idx


def _cumsum_in_group(groups: Arr, flags: Arr) -> Arr:
    """Running count of `flags` within each run of equal (sorted) group ids."""
    total = np.cumsum(flags)
    before = total - flags
    if not len(groups):
        return total
    starts = np.r_[True, groups[1:] != groups[:-1]]
    first = np.maximum.accumulate(np.where(starts, np.arange(len(groups)), 0))
    return total - before[first]


def _sorted_unique(values: Arr) -> Arr:
    """np.unique for plain integers, faster on tens of millions of values."""
    values = np.sort(values)
    return values[np.r_[True, values[1:] != values[:-1]]] if len(values) else values


def _sigmoid(x: Arr) -> Arr:
    """The logistic function."""
    return 1.0 / (1.0 + np.exp(-x))
