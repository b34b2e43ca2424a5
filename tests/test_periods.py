"""Period grammar: hand-worked ranges for every form, previous(), months(), month_range, errors."""

from __future__ import annotations

from datetime import date, timedelta
from itertools import pairwise

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from csmetrics_cli.periods import (
    MAX_TREND_MONTHS,
    Period,
    PeriodError,
    month_range,
    parse_period,
)

D = date.fromisoformat
JUNE_15 = D("2024-06-15")


def labels(periods: list[Period]) -> list[str]:
    """The labels of a list of periods."""
    return [p.label for p in periods]


@pytest.mark.parametrize(
    ("text", "start", "end", "label", "kind"),
    [
        ("2024-06", "2024-06-01", "2024-07-01", "2024-06", "month"),
        ("2024-6", "2024-06-01", "2024-07-01", "2024-06", "month"),
        ("2024-12", "2024-12-01", "2025-01-01", "2024-12", "month"),
        ("2024-02", "2024-02-01", "2024-03-01", "2024-02", "month"),
        ("2023-02", "2023-02-01", "2023-03-01", "2023-02", "month"),
        ("1900-02", "1900-02-01", "1900-03-01", "1900-02", "month"),
        ("2000-02", "2000-02-01", "2000-03-01", "2000-02", "month"),
        ("2024-Q2", "2024-04-01", "2024-07-01", "2024-Q2", "quarter"),
        ("2024Q2", "2024-04-01", "2024-07-01", "2024-Q2", "quarter"),
        ("2024-q2", "2024-04-01", "2024-07-01", "2024-Q2", "quarter"),
        ("2024-Q1", "2024-01-01", "2024-04-01", "2024-Q1", "quarter"),
        ("2024-Q4", "2024-10-01", "2025-01-01", "2024-Q4", "quarter"),
        ("2024", "2024-01-01", "2025-01-01", "2024", "year"),
        ("2024-W01", "2024-01-01", "2024-01-08", "2024-W01", "week"),
        ("2024-W23", "2024-06-03", "2024-06-10", "2024-W23", "week"),
        ("2024w23", "2024-06-03", "2024-06-10", "2024-W23", "week"),
        ("2024-W1", "2024-01-01", "2024-01-08", "2024-W01", "week"),
        ("2020-W53", "2020-12-28", "2021-01-04", "2020-W53", "week"),
        ("2026-W01", "2025-12-29", "2026-01-05", "2026-W01", "week"),
        ("2021-W01", "2021-01-04", "2021-01-11", "2021-W01", "week"),
        (
            "2024-06-01..2024-06-15",
            "2024-06-01",
            "2024-06-16",
            "2024-06-01..2024-06-15",
            "days",
        ),
        (
            " 2024-06-01 .. 2024-6-15 ",
            "2024-06-01",
            "2024-06-16",
            "2024-06-01..2024-06-15",
            "days",
        ),
        ("2024-06-15..2024-06-15", "2024-06-15", "2024-06-16", "2024-06-15", "days"),
        ("2024-06-15", "2024-06-15", "2024-06-16", "2024-06-15", "days"),
        ("2024-02-29", "2024-02-29", "2024-03-01", "2024-02-29", "days"),
    ],
)
def test_forms(text: str, start: str, end: str, label: str, kind: str) -> None:
    assert parse_period(text) == Period(D(start), D(end), label, kind)


def test_quarter_snapshots_and_days() -> None:
    q2 = parse_period("2024-Q2")
    assert (q2.start_snapshot, q2.end_snapshot, q2.days) == (D("2024-03-31"), D("2024-06-30"), 91)


def test_month_snapshots_meet_at_month_end() -> None:
    june, may = parse_period("2024-06"), parse_period("2024-05")
    assert june.start_snapshot == may.end_snapshot == D("2024-05-31")
    assert june.end_snapshot == D("2024-06-30")


@pytest.mark.parametrize(
    ("text", "days"),
    [("2024-02", 29), ("2023-02", 28), ("1900-02", 28), ("2000-02", 29), ("2024", 366)],
)
def test_leap_years(text: str, days: int) -> None:
    assert parse_period(text).days == days


def test_single_day_snapshots() -> None:
    day = parse_period("2024-06-15")
    assert (day.start_snapshot, day.end_snapshot, day.days) == (JUNE_15 - timedelta(1), JUNE_15, 1)


@pytest.mark.parametrize(
    ("text", "previous"),
    [
        ("2024-06", "2024-05"),
        ("2024-01", "2023-12"),
        ("2024-03", "2024-02"),
        ("2024-Q2", "2024-Q1"),
        ("2024-Q1", "2023-Q4"),
        ("2024", "2023"),
        ("2024-W23", "2024-W22"),
        ("2024-W01", "2023-W52"),
        ("2021-W01", "2020-W53"),
        ("2024-06-01..2024-06-15", "2024-05-17..2024-05-31"),
        ("2024-03-01..2024-03-31", "2024-01-30..2024-02-29"),
        ("2024-06-15", "2024-06-14"),
        ("2024-01-01", "2023-12-31"),
    ],
)
def test_previous(text: str, previous: str) -> None:
    assert parse_period(text).previous() == parse_period(previous)


def test_previous_week_starts_a_week_earlier() -> None:
    assert parse_period("2024-W01").previous().start == D("2023-12-25")


@pytest.mark.parametrize(
    ("text", "today", "label"),
    [
        ("last-month", JUNE_15, "2024-05"),
        ("this-month", JUNE_15, "2024-06"),
        ("last-quarter", JUNE_15, "2024-Q1"),
        ("this-quarter", JUNE_15, "2024-Q2"),
        ("last-year", JUNE_15, "2023"),
        ("this-year", JUNE_15, "2024"),
        ("last-week", JUNE_15, "2024-W23"),
        ("this-week", JUNE_15, "2024-W24"),
        ("last-month", D("2024-01-10"), "2023-12"),
        ("last-month", D("2024-03-31"), "2024-02"),
        ("last-quarter", D("2024-01-01"), "2023-Q4"),
        ("last-quarter", D("2024-03-31"), "2023-Q4"),
        ("this-quarter", D("2024-03-31"), "2024-Q1"),
        ("last-week", D("2021-01-05"), "2020-W53"),
        ("this-week", D("2025-12-31"), "2026-W01"),
        ("LAST-MONTH", JUNE_15, "2024-05"),
        ("last_month", JUNE_15, "2024-05"),
        (" Last Quarter ", JUNE_15, "2024-Q1"),
    ],
)
def test_relative(text: str, today: date, label: str) -> None:
    assert parse_period(text, today=today) == parse_period(label)


def test_relative_defaults_to_today() -> None:
    before = date.today()
    period = parse_period("this-month")
    assert any(period.start <= d < period.end for d in (before, date.today()))


def test_months_of_whole_months() -> None:
    assert labels(parse_period("2024-Q2").months()) == ["2024-04", "2024-05", "2024-06"]
    assert [p.kind for p in parse_period("2024").months()] == ["month"] * 12


def test_months_clips_partial_months_to_days() -> None:
    pieces = parse_period("2024-06-20..2024-08-10").months()
    assert labels(pieces) == ["2024-06-20..2024-06-30", "2024-07", "2024-08-01..2024-08-10"]
    assert [p.kind for p in pieces] == ["days", "month", "days"]


def test_months_of_week_across_a_month_end() -> None:
    assert labels(parse_period("2024-W22").months()) == [
        "2024-05-27..2024-05-31",
        "2024-06-01..2024-06-02",
    ]


def test_months_of_day_range_that_is_a_whole_month() -> None:
    assert parse_period("2024-02-01..2024-02-29").months() == [parse_period("2024-02")]


def test_month_range() -> None:
    assert labels(month_range("2024-01", "2024-06")) == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
    ]


def test_month_range_across_years_from_other_forms() -> None:
    assert labels(month_range("2023-Q4", "2024-Q1")) == [
        "2023-10",
        "2023-11",
        "2023-12",
        "2024-01",
        "2024-02",
        "2024-03",
    ]
    # 2024-W27 is 1-7 July, so its last day is in July.
    assert labels(month_range("2024-06-20", "2024-W27")) == ["2024-06", "2024-07"]


def test_month_range_single_month_and_relative() -> None:
    assert labels(month_range("2024-06", "2024-06")) == ["2024-06"]
    assert labels(month_range("last-quarter", "this-month", today=JUNE_15)) == [
        "2024-01",
        "2024-02",
        "2024-03",
        "2024-04",
        "2024-05",
        "2024-06",
    ]


def test_month_range_limit() -> None:
    assert len(month_range("2005-01", "2024-12")) == MAX_TREND_MONTHS
    with pytest.raises(
        PeriodError, match=r"'2004-12' to '2024-12'.*241 months.*2005-01 to 2024-12"
    ):
        month_range("2004-12", "2024-12")


def test_month_range_reversed() -> None:
    with pytest.raises(PeriodError, match=r"'2024-06' to '2024-01'.*2024-01 comes before 2024-06"):
        month_range("2024-06", "2024-01")


def test_month_range_names_a_bad_end() -> None:
    with pytest.raises(PeriodError, match="'2024-13'"):
        month_range("2024-01", "2024-13")


def test_month_error_message_in_full() -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period("2024-13")
    assert str(caught.value) == (
        "'2024-13' is not a period: months run 01-12; "
        "try 2024-12, 2024-Q4, 2024, 2024-W52 or 2024-06-01..2024-06-15"
    )


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("2024-00", "try 2024-01, 2024-Q1, 2024, 2024-W01"),
        ("2024-Q0", "quarters run Q1-Q4"),
        ("2024-Q5", "quarters run Q1-Q4; try 2024-12, 2024-Q4"),
        ("2021-W53", "ISO weeks of 2021 run W01-W52; try 2021-12, 2021-Q4, 2021, 2021-W52"),
        ("2024-W00", "ISO weeks of 2024 run W01-W52"),
        ("2024-02-30", "days of 2024-02 run 01-29; try 2024-02-29, 2024-02"),
        ("2023-02-29", "days of 2023-02 run 01-28"),
        ("2024-13-01", "months run 01-12"),
        ("2024-06-00", "days of 2024-06 run 01-30; try 2024-06-01"),
        ("2024-06-15..2024-06-01", "ends before it starts; try 2024-06-01..2024-06-15"),
        ("2024-06-01..2024-02-30", "days of 2024-02 run 01-29"),
        (
            "2024-06..2024-08",
            "both ends of a range are days written YYYY-MM-DD; try 2024-06-01..2024-08-31",
        ),
        ("2024-08..2024-06", "YYYY-MM-DD; try 2024-06-01..2024-08-31"),
        ("2024-06-01..", "both ends of a range are days"),
        ("1899", "years run 1900-2999"),
        ("3000-01", "years run 1900-2999"),
        ("June", "is not a period; try a month"),
        ("", "last-month, this-month, last-quarter"),
        ("next-month", "is not a period"),
        ("2024-06-15T00:00", "is not a period"),
        ("24-06", "is not a period"),
    ],
)
def test_errors_name_the_text(text: str, fragment: str) -> None:
    with pytest.raises(PeriodError) as caught:
        parse_period(text, today=JUNE_15)
    message = str(caught.value)
    assert message.startswith(repr(text))
    assert fragment in message


def test_period_error_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="'2021-W53'"):
        parse_period("2021-W53")


def test_empty_period_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        Period(JUNE_15, JUNE_15, "2024-06-15", "days")


def test_periods_order_by_start() -> None:
    texts = ["2024-07", "2024-Q1", "2023", "2024-06-15"]
    assert labels(sorted(parse_period(t) for t in texts)) == [
        "2023",
        "2024-Q1",
        "2024-06-15",
        "2024-07",
    ]


years = st.integers(min_value=1900, max_value=2999)
month_labels = st.builds(lambda y, m: f"{y:04d}-{m:02d}", years, st.integers(1, 12))
quarter_labels = st.builds(lambda y, q: f"{y:04d}-Q{q}", years, st.integers(1, 4))
year_labels = st.builds(lambda y: f"{y:04d}", years)
week_labels = st.builds(
    lambda y, w: f"{y:04d}-W{min(w, date(y, 12, 28).isocalendar().week):02d}",
    years,
    st.integers(1, 53),
)
day_labels = st.builds(
    lambda first, length: (
        first.isoformat() if length == 0 else f"{first}..{first + timedelta(days=length)}"
    ),
    st.dates(min_value=D("1900-01-01"), max_value=D("2997-12-31")),
    st.integers(0, 800),
)
any_label = st.one_of(month_labels, quarter_labels, year_labels, week_labels, day_labels)


@given(month_labels)
def test_month_label_round_trips(label: str) -> None:
    assert parse_period(label).label == label


@given(any_label)
def test_every_label_round_trips(label: str) -> None:
    period = parse_period(label)
    assert period.label == label
    assert parse_period(period.label) == period


@given(any_label)
def test_previous_ends_where_period_starts(label: str) -> None:
    period = parse_period(label)
    previous = period.previous()
    assert previous.end == period.start
    assert previous.kind == period.kind
    if period.kind in ("week", "days"):
        assert previous.days == period.days


@given(any_label)
def test_months_tile_the_period(label: str) -> None:
    period = parse_period(label)
    pieces = period.months()
    assert sum(p.days for p in pieces) == period.days
    assert pieces[0].start == period.start
    assert pieces[-1].end == period.end
    assert all(a.end == b.start for a, b in pairwise(pieces))
    assert all(p.start.month == p.end_snapshot.month for p in pieces)


@given(years, st.integers(1, 12), st.integers(1, MAX_TREND_MONTHS))
def test_month_range_counts_consecutive_months(year: int, month: int, count: int) -> None:
    first = f"{year:04d}-{month:02d}"
    index = year * 12 + month - 1 + count - 1
    assume(index // 12 <= 2999)
    last = f"{index // 12:04d}-{index % 12 + 1:02d}"
    trend = month_range(first, last)
    assert len(trend) == count
    assert (trend[0].label, trend[-1].label) == (first, last)
    assert all(p.kind == "month" for p in trend)
    assert all(a.end == b.start for a, b in pairwise(trend))
