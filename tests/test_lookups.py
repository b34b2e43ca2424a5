"""Arrow's hash lookups (contracts/checks.py): the same answers as pandas on text ids."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st

from csmetrics_cli.contracts.checks import is_in, positions_in

IDS = st.sampled_from(["C1", "C2", "c1", "C10", " C1", "é", "", "C3"])


@given(
    st.lists(IDS, unique=True, max_size=6),
    st.lists(st.one_of(IDS, st.none()), max_size=30),
    st.booleans(),
)
def test_positions_in_is_get_indexer_with_minus_one_for_blank_or_absent(known, ids, categorical):
    index = pd.Index(known, dtype="str")
    values = pd.Series(ids, dtype="category" if categorical else "str")
    expected = np.array([known.index(v) if v in known else -1 for v in ids], dtype=np.int64)
    np.testing.assert_array_equal(positions_in(index, values), expected)
    assert positions_in(index, values).dtype == np.int64


def test_positions_in_on_hand_values():
    index = pd.Index(["A", "B", "C"], dtype="str")
    values = pd.Series(["C", None, "A", "Z", "A"], dtype="str")
    assert positions_in(index, values).tolist() == [2, -1, 0, -1, 0]
    assert positions_in(pd.Index([], dtype="str"), values).tolist() == [-1] * 5
    assert is_in(values, index).tolist() == [True, False, True, False, True]
