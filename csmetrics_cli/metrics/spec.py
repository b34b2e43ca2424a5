"""What a metric is, as data: `MetricSpec`, and the family and unit tables everything reads.

Standard library only, so `csm metrics`, `--help` and shell completion never import pandas.
The compute side resolves a spec's function names lazily (metrics/compute.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

INTERVALS = ("wilson", "nps", "bootstrap")


class Kind(StrEnum):
    """How a metric's value is formed."""

    measure = "measure"  # a count, sum, mean or median computed from rows
    ratio = "ratio"  # numerator measure / denominator measure (x scale)
    derived = "derived"  # combines other metrics, named in `depends`


@dataclass(frozen=True)
class Family:
    """A metric family: its id (the value of --family), the title renderers show, and
    whether its metrics read product events (the activity frame, or the last day of data,
    which the events reach too): those are computed after the others, while the events
    scan runs."""

    id: str
    title: str
    reads_events: bool = False


@dataclass(frozen=True)
class Unit:
    """A unit: id, how people read it (Python format), and the Excel number format."""

    id: str
    label: str
    excel: str


FAMILIES: dict[str, Family] = {
    f.id: f
    for f in (
        Family("revenue", "Revenue & retention"),
        Family("engagement", "Onboarding, adoption & usage", reads_events=True),
        Family("health", "Customer health", reads_events=True),
        Family("satisfaction", "Satisfaction & support"),
    )
}

UNITS: dict[str, Unit] = {
    u.id: u
    for u in (
        Unit("%", "percent (0-100)", '0.0"%"'),
        Unit("currency", "the data's currency", "#,##0.00"),
        Unit("customers", "customers", "#,##0"),
        Unit("users", "users", "#,##0.0"),
        Unit("count", "count", "#,##0"),
        Unit("features", "distinct features per customer (a mean)", "0.00"),
        Unit("months", "months", "0.0"),
        Unit("days", "days", "0.0"),
        Unit("points", "NPS points (-100..100)", "0.0"),
        Unit("score", "score", "0.0"),
        Unit("ratio", "ratio", "0.00"),
    )
}


@dataclass(frozen=True)
class Ref:
    """A function named "family:function" (a module of csmetrics_cli.metrics) or
    "package.module:function" (under csmetrics_cli), with fixed leading arguments; the
    context comes last."""

    path: str
    args: tuple[object, ...] = ()


def ref(path: str, *args: object) -> Ref:
    return Ref(path, args)


@dataclass(frozen=True, kw_only=True)
class MetricSpec:
    """One KPI: what it is (id, name, family, unit, formula, inputs) and how it is formed.

    A measure is a column (`measure`) of its family's `source` frame, or what `compute`
    returns. A ratio names its `numerator` and `denominator` measures: columns of `source`
    (divided generically), or of the frame its own `compute` returns. A derived metric names
    the metric ids it combines in `depends`.
    """

    id: str
    name: str
    family: str
    unit: str
    formula: str
    inputs: tuple[str, ...]  # "table" or "table.column" the metric cannot do without
    kind: Kind
    compute: Ref | None = None  # the function computing the result frame
    source: Ref | None = None  # the function giving the family's measures per (period, segment)
    measure: str | None = None
    numerator: str | None = None
    denominator: str | None = None
    scale: float = 100.0
    zero_note: str = "denominator is 0"
    depends: tuple[str, ...] = ()
    itemised: bool = False  # one row per item (feature, onboarding step)
    detail: Ref | None = None  # the rows behind the figure, for `csm explain`
    # The numerator as a sum of signed engine measures ("start_mrr", "+expansion_mrr",
    # "-churned_mrr"), shown term by term with the customers behind each by `csm explain`.
    bridge: tuple[str, ...] = ()
    better: str | None = None  # "up" or "down": which direction of change is good
    # The 95% interval compute.py attaches (metrics/intervals.py): "wilson" (numerator of
    # denominator, a share), "nps" (adjusted Wald from the source's promoters, detractors and
    # n) or "bootstrap" (customers resampled from the `resample` rows: one per period and
    # customer, with the numerator and denominator columns summed per replicate).
    interval: str | None = None
    resample: Ref | None = None
