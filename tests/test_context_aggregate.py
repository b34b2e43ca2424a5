"""Context.aggregate: one period without segments takes a short path; it must give what the
group-by gives (pandas' own reductions, the grid, the fill), blank periods and no rows included."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.engine.context import ALL, KEYS, Context
from csmetrics_cli.periods import parse_period
from tests.conftest import write_tables

AGGS = {
    "total": ("amount", "sum"),
    "flags": ("flag", "sum"),
    "customers": ("customer_id", "count"),
    "amounts": ("amount", "count"),
    "middle": ("amount", "median"),
}


@pytest.fixture(scope="module")
def june(tmp_path_factory) -> Context:
    folder = tmp_path_factory.mktemp("one")
    write_tables(folder, customers="customer_id,signup_date\nA,2024-01-01\n")
    return Context(Dataset.open(folder, Config()), [parse_period("2024-06")])


def _grouped(rows: pd.DataFrame, fill: float | None) -> pd.DataFrame:
    """The reference: the group-by over the rows with a period, on the grid (June, ALL)."""
    kept = rows[rows["period"].notna()]
    out = kept.groupby("period").agg(**AGGS)
    grid = pd.MultiIndex.from_arrays([["2024-06"], [ALL]], names=KEYS)
    out.index = pd.MultiIndex.from_arrays([out.index, [ALL] * len(out)], names=KEYS)
    out = out.reindex(grid)
    return out.fillna(fill) if fill is not None else out


ROW = st.tuples(
    st.sampled_from(["2024-06", None]),
    st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)),
    st.booleans(),
    st.sampled_from(["A", "B", None]),
)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(ROW, max_size=12), fill=st.sampled_from([0.0, None]))
def test_one_period_gives_what_the_group_by_gives(june, rows, fill):
    periods, amounts, flags, ids = zip(*rows, strict=True) if rows else ((), (), (), ())
    frame = pd.DataFrame({
        "period": pd.Series(periods, dtype="object"),
        "amount": pd.Series(amounts, dtype="float64"),
        "flag": pd.Series(flags, dtype="bool"),
        "customer_id": pd.Series(ids, dtype="str"),
    })  # fmt: skip
    got = june.aggregate(frame, AGGS, fill=fill)
    pd.testing.assert_frame_equal(got, _grouped(frame, fill))


def test_hand_worked_month(june):
    frame = pd.DataFrame({
        "period": ["2024-06", "2024-06", None, "2024-06"],
        "amount": [10.0, np.nan, 99.0, 30.0],
        "flag": [True, False, True, True],
        "customer_id": ["A", None, "B", "C"],
    })  # fmt: skip
    row = june.aggregate(frame, AGGS).loc[("2024-06", ALL)]
    # the row without a period is left out; NaN amounts are skipped by sum, count and median
    assert row.to_dict() == {"total": 40.0, "flags": 2, "customers": 2, "amounts": 2,
                             "middle": 20.0}  # fmt: skip
