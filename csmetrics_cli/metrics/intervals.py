"""95% intervals for the catalog's rates: Wilson score, NPS's adjusted Wald, and a seeded
customer bootstrap for revenue ratios. Pure numpy maths; compute.py applies them to every
metric whose spec names an `interval`.

- Wilson (a share of customers, tickets or answers, k of n): with p = k / n and z = 1.96,
  centre = (p + z^2 / 2n) / (1 + z^2 / n), half = z / (1 + z^2 / n) x sqrt(p(1 - p) / n +
  z^2 / 4n^2); the interval is centre +- half, inside [0, 1] (Wilson 1927; Newcombe 1998,
  method 3).
- Adjusted Wald for NPS: n' = n + 3, p' = (promoters + 0.75) / n', d' = (detractors + 0.75)
  / n', margin = z x sqrt((p' + d' - (p' - d')^2) / n'); the interval is (p' - d') +- margin,
  inside [-1, 1] (Rocks 2016, as MeasuringU publishes it).
- Bootstrap of a ratio of sums over customers (NRR, GRR): resample the n customers of a
  group with replacement B = 1000 times (a multinomial weight matrix, drawn in chunks of
  replicates, over pooled identical customers when prices repeat), sum numerator and
  denominator in each replicate, and take the 2.5th and 97.5th percentiles of their ratio.
  The generator is seeded with SEED and the group's period and segment, so a group's
  interval never depends on what else a report computes.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

Z_95 = 1.96
LEVEL = 95  # percent
MIN_SAMPLE = 30  # fewer in the denominator: the value carries a "small sample" note
SEED = 12  # the bootstrap's fixed seed (issue 12); with the group's labels, see group_seed
REPLICATES = 1000
CHUNK = 100  # replicates drawn at once: CHUNK x n weights in memory


def wilson(
    successes: np.ndarray, trials: np.ndarray, z: float = Z_95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of k / n as fractions (NaN where n is 0 or either is NaN)."""
    k = np.asarray(successes, dtype="float64")
    n = np.asarray(trials, dtype="float64")
    with np.errstate(divide="ignore", invalid="ignore"):
        valid = (n > 0) & (k >= 0) & (k <= n)
        n_ = np.where(valid, n, 1.0)
        p = np.where(valid, k, 0.0) / n_
        z2 = z * z
        scale = 1 + z2 / n_
        centre = (p + z2 / (2 * n_)) / scale
        half = z / scale * np.sqrt(p * (1 - p) / n_ + z2 / (4 * n_ * n_))
    # 0 of n has lower bound 0 and n of n upper bound 1 exactly (no rounding below 0).
    low = np.where(k == 0, 0.0, np.clip(centre - half, 0.0, 1.0))
    high = np.where(k == n, 1.0, np.clip(centre + half, 0.0, 1.0))
    return np.where(valid, low, np.nan), np.where(valid, high, np.nan)


def adjusted_wald_nps(
    promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray, z: float = Z_95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """NPS adjusted-Wald centre (p' - d') and margin as fractions, and whether n > 0."""
    n_adj = np.asarray(n, dtype="float64") + 3
    p = (np.asarray(promoters, dtype="float64") + 0.75) / n_adj
    d = (np.asarray(detractors, dtype="float64") + 0.75) / n_adj
    margin = z * np.sqrt((p + d - (p - d) ** 2) / n_adj)
    return p - d, margin, np.asarray(n, dtype="float64") > 0


def nps_interval(
    promoters: np.ndarray, detractors: np.ndarray, n: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The adjusted-Wald interval (p' - d') +- margin as fractions in [-1, 1] (NaN if n = 0)."""
    centre, margin, has = adjusted_wald_nps(promoters, detractors, n)
    low = np.clip(centre - margin, -1.0, 1.0)
    high = np.clip(centre + margin, -1.0, 1.0)
    return np.where(has, low, np.nan), np.where(has, high, np.nan)


def group_seed(*labels: object) -> list[int]:
    """The bootstrap's seed for one group: SEED and a CRC-32 of each label (stable across
    runs and Python versions, unlike hash())."""
    return [SEED, *(zlib.crc32(str(label).encode("utf-8")) for label in labels)]


def bootstrap_sums(
    values: np.ndarray, seed: Sequence[int], replicates: int = REPLICATES
) -> np.ndarray:
    """replicates x columns sums of `values` (n x columns) over the n customers resampled
    with replacement, through each replicate's multinomial weights (how often each customer
    was drawn). Customers with identical values are pooled first: their joint count is
    multinomial with probability (their number / n), the same distribution drawn over far
    fewer cells when prices repeat; otherwise each chunk draws n indices per replicate and
    counts them."""
    values = np.asarray(values, dtype="float64")
    n = len(values)
    out = np.zeros((replicates, values.shape[1]))
    if n == 0:
        return out
    rng = np.random.default_rng(list(seed))
    distinct, counts = distinct_rows(values)
    pooled = len(distinct) * 4 <= n
    for start in range(0, replicates, CHUNK):
        size = min(CHUNK, replicates - start)
        if pooled:
            weights = rng.multinomial(n, counts / n, size=size)
            out[start : start + size] = weights.astype("float64") @ distinct
            continue
        draws = rng.integers(0, n, size=(size, n), dtype=np.int64)
        draws += (np.arange(size, dtype=np.int64) * n)[:, None]
        weights = np.bincount(draws.ravel(), minlength=size * n).reshape(size, n)
        out[start : start + size] = weights.astype("float64") @ values  # BLAS, not int
    return out


def bootstrap_groups(samples: list[np.ndarray], seeds: list[list[int]]) -> list[np.ndarray]:
    """bootstrap_sums of each group with its seed, the groups spread over io/duck.workers()
    threads: numpy's draws release the GIL, and each group has its own seeded generator,
    so the sums do not depend on how the threads interleave."""
    from concurrent.futures import ThreadPoolExecutor

    from csmetrics_cli.io.duck import workers

    with ThreadPoolExecutor(max_workers=workers()) as pool:
        return list(pool.map(bootstrap_sums, samples, seeds))


def distinct_rows(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct rows of `values` in lexicographic order and how often each occurs: what
    np.unique(axis=0) returns, from a lexsort of the columns (np.unique sorts the rows as
    records, 10x slower on 60k rows)."""
    ordered = values[np.lexsort(values.T[::-1])]
    new = np.ones(len(ordered), dtype=bool)
    new[1:] = (ordered[1:] != ordered[:-1]).any(axis=1)
    starts = np.flatnonzero(new)
    return ordered[starts], np.diff(np.append(starts, len(ordered)))


def percentile_interval(
    numerator: np.ndarray, denominator: np.ndarray, scale: float = 1.0
) -> tuple[float, float]:
    """The 2.5th and 97.5th percentiles of numerator / denominator x scale over replicates
    (replicates with a zero denominator left out; NaN when none is left)."""
    ok = denominator != 0
    if not ok.any():
        return float("nan"), float("nan")
    ratios = numerator[ok] / denominator[ok] * scale
    tail = (100 - LEVEL) / 2
    low, high = np.percentile(ratios, [tail, 100 - tail])
    return float(low), float(high)
