"""Arrow tables into pandas (io/arrow.py): dictionary columns become categoricals holding the
same names, in the same rows, as pyarrow's own conversion gives."""

from __future__ import annotations

import pandas as pd
import pyarrow as pa
from hypothesis import given
from hypothesis import strategies as st

from csmetrics_cli.io.arrow import to_frame

NAMES = st.sampled_from(["a", "b", "é", "", " a", "C10"])
CHUNK = st.lists(st.one_of(NAMES, st.none()), max_size=8)


INDEX_TYPES = st.sampled_from([pa.int8(), pa.uint8(), pa.int32()])


@given(st.lists(CHUNK, min_size=1, max_size=4), INDEX_TYPES)
def test_dictionary_chunks_become_one_categorical_of_the_same_names(chunks, index_type):
    # each chunk its own dictionary (names in another order, or absent)
    kind = pa.dictionary(index_type, pa.string())
    arrays = [pa.array(c, pa.string()).dictionary_encode().cast(kind) for c in chunks]
    numbers = [pa.array(range(len(c)), pa.int64()) for c in chunks]
    table = pa.Table.from_batches(
        [pa.record_batch([n, a], names=["n", "name"]) for n, a in zip(numbers, arrays, strict=True)]
    )
    frame = to_frame(table)
    assert list(frame.columns) == ["n", "name"]
    assert isinstance(frame["name"].dtype, pd.CategoricalDtype)
    expected = [v for c in chunks for v in c]
    got = [None if pd.isna(v) else v for v in frame["name"].astype(object)]
    assert got == expected
    assert frame["n"].tolist() == [i for c in chunks for i in range(len(c))]


def test_columns_keep_their_order_and_plain_columns_pyarrows_conversion():
    table = pa.table({
        "day": pa.array([19000, None], pa.date32()),
        "user": pa.array(["U2", "U1"]).dictionary_encode(),
        "events": pa.array([3, 4], pa.int64()),
        "text": pa.array(["x", None]),
    })  # fmt: skip
    frame = to_frame(table, date_as_object=False)
    assert list(frame.columns) == ["day", "user", "events", "text"]
    assert frame["day"].dtype.kind == "M" and frame["day"].isna().tolist() == [False, True]
    assert frame["user"].tolist() == ["U2", "U1"]
    assert frame["text"].dtype == table.select(["text"]).to_pandas()["text"].dtype
