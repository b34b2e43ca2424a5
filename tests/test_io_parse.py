"""Parsing string columns: dates, numbers, booleans and header names, with hand-written answers."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from csmetrics_cli.io.parse import (
    _raw_numbers,
    _read_dates,
    _read_numbers,
    _text,
    normalise_header,
    parse_bools,
    parse_dates,
    parse_numbers,
)


def days(*values: str | None) -> list[pd.Timestamp | None]:
    """Expected parse results: ISO strings as timestamps, None as missing."""
    return [None if v is None else pd.Timestamp(v) for v in values]


def as_list(series: pd.Series) -> list[pd.Timestamp | None]:
    """Datetime series as a list with NaT turned into None."""
    return [None if pd.isna(v) else v for v in series]


# ---------------------------------------------------------------- headers


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (" Customer ID", "customer_id"),
        ("customer_id", "customer_id"),
        ("\ufeffMRR (€)", "mrr"),
        ("Start-Date", "start_date"),
        ("  trial__END ", "trial_end"),
        ("Numéro client", "numéro_client"),
    ],
)
def test_normalise_header(raw: str, expected: str) -> None:
    assert normalise_header(raw) == expected


# ---------------------------------------------------------------- dates


def test_iso_dates_with_and_without_time_and_zone() -> None:
    values = pd.Series(
        [
            "2024-06-30",
            "2024-06-30 13:45",
            "2024-06-30T13:45:10.250",
            "2024-06-30T23:30:00-05:00",
            "2024-06-30T23:30:00Z",
            "2024-06-30 23:30:00 UTC",
            "2024/06/30",
            "20240630",
        ]
    )
    parsed = parse_dates(values)
    assert as_list(parsed.values) == days(
        "2024-06-30",
        "2024-06-30",
        "2024-06-30",
        "2024-07-01",  # 23:30 at UTC-5 is 04:30 UTC the next day
        "2024-06-30",
        "2024-06-30",
        "2024-06-30",
        "2024-06-30",
    )
    assert not parsed.bad.any()
    assert parsed.values.dtype == "datetime64[ns]"
    assert parsed.ambiguous is False


def test_zoned_timestamps_take_the_day_in_the_reporting_zone() -> None:
    values = pd.Series(["2024-06-30T23:30:00+00:00", "2024-07-01T01:30:00+02:00", "2024-06-30"])
    parsed = parse_dates(values, tz="America/New_York")
    # UTC 23:30 is 19:30 in New York; 01:30+02:00 is 23:30 UTC, also June 30 there.
    # The naive value is taken as already in New York time.
    assert as_list(parsed.values) == days("2024-06-30", "2024-06-30", "2024-06-30")


def test_blank_is_missing_not_bad_and_garbage_is_bad() -> None:
    values = pd.Series(["2024-06-30", "", "   ", None, "soon", "2024-02-30", "2024-13-01"])
    parsed = parse_dates(values)
    assert as_list(parsed.values) == days("2024-06-30", None, None, None, None, None, None)
    assert parsed.bad.tolist() == [False, False, False, False, True, True, True]


def test_excel_serials_when_the_whole_column_is_numeric() -> None:
    parsed = parse_dates(pd.Series(["45473", "45473.75", "61", None, "0", "3000000"]))
    assert as_list(parsed.values) == days(
        "2024-06-30", "2024-06-30", "1900-03-01", None, None, None
    )
    assert parsed.bad.tolist() == [False, False, False, False, True, True]


def test_a_stray_number_in_an_iso_column_is_bad_not_a_serial() -> None:
    parsed = parse_dates(pd.Series(["2024-06-30", "45473"]))
    assert as_list(parsed.values) == days("2024-06-30", None)
    assert parsed.bad.tolist() == [False, True]


def test_day_first_inferred_from_a_first_field_above_12() -> None:
    parsed = parse_dates(pd.Series(["30/06/2024", "01/07/2024", "02.07.2024"]))
    assert as_list(parsed.values) == days("2024-06-30", "2024-07-01", "2024-07-02")
    assert parsed.ambiguous is False


def test_month_first_inferred_from_a_second_field_above_12() -> None:
    parsed = parse_dates(pd.Series(["6/30/2024", "7/1/2024 1:45 PM"]))
    assert as_list(parsed.values) == days("2024-06-30", "2024-07-01")
    assert parsed.ambiguous is False


def test_undecidable_order_is_ambiguous_and_read_month_first() -> None:
    parsed = parse_dates(pd.Series(["01/02/2024", "03/04/2024"]))
    assert parsed.ambiguous is True
    assert as_list(parsed.values) == days("2024-01-02", "2024-03-04")


def test_configured_order_decides_and_clears_ambiguity() -> None:
    parsed = parse_dates(pd.Series(["01/02/2024", "03/04/2024"]), date_order="DMY")
    assert parsed.ambiguous is False
    assert as_list(parsed.values) == days("2024-02-01", "2024-04-03")


def test_configured_order_makes_contradicting_values_bad() -> None:
    parsed = parse_dates(pd.Series(["6/30/2024", "30/06/2024"]), date_order="MDY")
    assert as_list(parsed.values) == days("2024-06-30", None)
    assert parsed.bad.tolist() == [False, True]


def test_same_day_and_month_is_not_ambiguous() -> None:
    assert parse_dates(pd.Series(["01/01/2024", "05/05/2024"])).ambiguous is False


def test_two_digit_years_pivot_at_69() -> None:
    parsed = parse_dates(pd.Series(["30.06.24", "30.06.70"]))
    assert as_list(parsed.values) == days("2024-06-30", "1970-06-30")


def test_month_names() -> None:
    values = pd.Series(
        ["30 Jun 2024", "30-Jun-2024", "June 30, 2024", "Sun, 30 Jun 2024", "Sept 1 2024"]
    )
    parsed = parse_dates(values)
    assert as_list(parsed.values) == days(
        "2024-06-30", "2024-06-30", "2024-06-30", "2024-06-30", "2024-09-01"
    )


def test_far_future_sentinel_is_clipped_not_bad() -> None:
    parsed = parse_dates(pd.Series(["9999-12-31", "1200-01-01"]))
    assert as_list(parsed.values) == days("2262-04-11", None)
    assert parsed.bad.tolist() == [False, True]


def test_index_is_kept() -> None:
    values = pd.Series(["2024-06-30", "x"], index=[10, 20])
    parsed = parse_dates(values)
    assert parsed.values.index.tolist() == [10, 20]
    assert parsed.bad.loc[20]


def test_unknown_date_order_is_refused() -> None:
    with pytest.raises(ValueError, match="date_order"):
        parse_dates(pd.Series(["2024-06-30"]), date_order="DDMM")


@given(st.dates(min_value=dt.date(1900, 3, 1), max_value=dt.date(2200, 12, 31)))
def test_any_day_round_trips_through_iso_mdy_and_serial(day: dt.date) -> None:
    serial = (day - dt.date(1899, 12, 30)).days
    forms = pd.Series([day.isoformat(), f"{day.month}/{day.day}/{day.year}", str(serial)])
    for form in forms:
        parsed = parse_dates(pd.Series([form]), date_order="MDY")
        assert parsed.values.iloc[0] == pd.Timestamp(day), form
        assert not parsed.bad.iloc[0]


DATE_TEXTS = st.sampled_from([
    "2024-06-30", " 2024-06-30 ", "2024-02-30", "2024-06-30T23:30:00-02:00", "30/06/2024",
    "06/07/2024", "1 June 2024", "20240630", "45000", "soon", "", "#N/A", "2024-13-01",
])  # fmt: skip


@given(
    st.lists(st.one_of(DATE_TEXTS, st.none()), max_size=20),
    st.sampled_from([None, "DMY", "MDY"]),
)
def test_reading_each_distinct_value_once_reads_the_column_as_a_whole(texts, order) -> None:
    """A column with repeated values is read once per distinct value: days, bad flags and
    the ambiguity are those of reading every row (serials and the day/month order are
    judged on the whole column, so they are judged on its distinct values alike)."""
    column = parse_dates(pd.Series(texts, dtype=object), date_order=order, tz="Europe/Paris")
    days, bad, ambiguous = _read_dates(_text(pd.Series(texts, dtype=object)), order, "Europe/Paris")
    np.testing.assert_array_equal(column.values.to_numpy(), days)
    np.testing.assert_array_equal(column.bad.to_numpy(), bad)
    assert column.ambiguous == ambiguous


# ---------------------------------------------------------------- numbers


def test_numbers_with_currency_separators_and_signs() -> None:
    values = pd.Series(
        [
            "1200",
            "1,200.50",
            "$1,200.00",
            "1.200,00 EUR",
            "€ 1 200,50",
            "€\u00a01\u00a0200,50",
            "-5",
            "(5.00)",
            "12%",
            "5-",
            "CHF 1'200.50",
            "1e-07",
            "-$5",
        ]
    )
    numbers, bad = parse_numbers(values)
    assert numbers.tolist() == [
        1200.0,
        1200.5,
        1200.0,
        1200.0,
        1200.5,
        1200.5,
        -5.0,
        -5.0,
        12.0,
        -5.0,
        1200.5,
        1e-07,
        -5.0,
    ]
    assert not bad.any()
    assert numbers.dtype == "float64"


def test_decimal_point_reading_of_ambiguous_and_unmistakable_values() -> None:
    numbers, bad = parse_numbers(pd.Series(["1,200", "1.200", "1,5", "0,125", "1.200.000"]))
    assert numbers.tolist() == [1200.0, 1.2, 1.5, 0.125, 1200000.0]
    assert not bad.any()


def test_decimal_comma_swaps_the_roles() -> None:
    values = pd.Series(["1.200,50", "1,200", "1.200", "1.5", "-3,25 €", "1 200,5"])
    numbers, bad = parse_numbers(values, decimal=",")
    assert numbers.tolist() == [1200.5, 1.2, 1200.0, 1.5, -3.25, 1200.5]
    assert not bad.any()


def test_blank_is_missing_and_nonsense_is_bad() -> None:
    values = pd.Series(["", None, "  ", "abc", "1,2,3", "(5", "--5", "12 users", "inf", "nan"])
    numbers, bad = parse_numbers(values)
    assert numbers.isna().all()
    assert bad.tolist() == [False, False, False, True, True, True, True, True, True, True]


def test_unknown_decimal_is_refused() -> None:
    with pytest.raises(ValueError, match="decimal"):
        parse_numbers(pd.Series(["1"]), decimal=";")


@given(
    st.decimals(min_value=-(10**9), max_value=10**9, places=2, allow_nan=False),
    st.sampled_from(["$", "€", "USD ", ""]),
)
def test_any_amount_round_trips_with_thousands_and_currency(amount: Decimal, symbol: str) -> None:
    text = f"{symbol}{abs(amount):,.2f}"
    formatted = f"-{text}" if amount < 0 else text
    numbers, bad = parse_numbers(pd.Series([formatted]))
    assert not bad.iloc[0]
    assert numbers.iloc[0] == pytest.approx(float(amount), abs=1e-9)
    european = formatted.replace(",", "_").replace(".", ",").replace("_", ".")
    numbers, bad = parse_numbers(pd.Series([european]), decimal=",")
    assert numbers.iloc[0] == pytest.approx(float(amount), abs=1e-9)


# ---------------------------------------------------------------- booleans


NUMBER_TEXTS = st.sampled_from([
    "1,200.50", "$1,200.00", "1.200,00 EUR", "(5.00)", "12", " 12 ", "1e309", "inf", "nan",
    "-0", "abc", "", "1 234,5", "+3.25",
])  # fmt: skip


@given(st.lists(st.one_of(NUMBER_TEXTS, st.none()), max_size=20), st.sampled_from([".", ","]))
def test_reading_each_distinct_number_once_reads_every_row_alike(texts, decimal) -> None:
    """Numbers are read once per distinct text when values repeat: the same floats (NaN,
    +-inf included) as reading every row."""
    text = _text(pd.Series(texts, dtype=object))
    np.testing.assert_array_equal(_raw_numbers(text, decimal), _read_numbers(text, decimal))


def test_bools() -> None:
    values = pd.Series(["TRUE", "no", "Y", "0", "t", "F", "Yes", "maybe", None, ""])
    flags, bad = parse_bools(values)
    assert flags.dtype == "boolean"
    assert flags.tolist()[:7] == [True, False, True, False, True, False, True]
    assert flags.iloc[7:].isna().all()
    assert bad.tolist() == [False] * 7 + [True, False, False]


def test_empty_columns_parse_to_empty_results() -> None:
    empty = pd.Series([], dtype="str")
    assert parse_dates(empty).values.empty
    assert parse_numbers(empty)[0].empty
    assert parse_bools(empty)[0].empty
    assert np.asarray(parse_dates(pd.Series([None, None])).bad).sum() == 0
