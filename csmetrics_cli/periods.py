"""Period grammar: the half-open day ranges that `--period` and `--from/--to` name.

A period is `[start, end)` in days. Accepted texts (codes are case-insensitive):

- month `2024-06` (also `2024-6`), quarter `2024-Q2` / `2024Q2`, year `2024`;
- ISO week `2024-W23` / `2024W23` (Monday to Sunday, numbered by ISO year, so `2026-W01`
  starts 2025-12-29);
- days `2024-06-01..2024-06-15` (both ends inclusive) or one day `2024-06-15`;
- relative `last-` / `this-` + `month`, `quarter`, `year`, `week`, counted from `today`.

Labels are always concrete (`last-month` on 2024-06-15 is labelled `2024-05`) so that JSON and
CSV output can be compared across runs. A days period is labelled `first..last`, or by its one
day when it is a single day. Years run 1900-2999.

`Period.months()` splits a period at calendar-month boundaries: a month lying wholly inside
the period comes back as a `month` period, a part of a month as a `days` period clipped to
the period, so the pieces always tile the period exactly.

Standard library only: the CLI imports this module while parsing arguments.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

MIN_YEAR = 1900
MAX_YEAR = 2999
MAX_TREND_MONTHS = 240

_ONE_DAY = timedelta(days=1)
_YEAR = re.compile(r"(\d{4})")
_MONTH = re.compile(r"(\d{4})-(\d{1,2})")
# Two digits after Q so that Q0 and Q12 get the "quarters run Q1-Q4" message, not "unknown".
_QUARTER = re.compile(r"(\d{4})-?Q(\d{1,2})")
_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})")
_DAY = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_RELATIVE = re.compile(r"(last|this)-(month|quarter|year|week)")
_RANGE_SEPARATOR = ".."


class PeriodError(ValueError):
    """A period text that cannot be understood; the message says which forms are accepted."""


@dataclass(frozen=True, order=True)
class Period:
    """A half-open range of days [start, end) with its label and kind."""

    start: date
    end: date
    label: str
    kind: str

    def __post_init__(self) -> None:
        """Refuse an empty or reversed range."""
        if self.end <= self.start:
            raise ValueError(
                f"period {self.label!r} is empty: {self.end} is not after {self.start}"
            )

    @property
    def start_snapshot(self) -> date:
        """The day before the period starts: the previous period's end snapshot."""
        return self.start - _ONE_DAY

    @property
    def end_snapshot(self) -> date:
        """The period's last day."""
        return self.end - _ONE_DAY

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of the same kind immediately before; a days range keeps its length."""
        containing = _CONTAINING.get(self.kind)
        if containing is not None:
            return containing(self.start_snapshot)
        return _days(self.start - timedelta(days=self.days), self.start_snapshot)

    def months(self) -> list[Period]:
        """The calendar months overlapping the period: whole ones as months, parts as days."""
        pieces: list[Period] = []
        month = _month_of(self.start)
        while month.start < self.end:
            if self.start <= month.start and month.end <= self.end:
                pieces.append(month)
            else:
                pieces.append(
                    _days(max(self.start, month.start), min(self.end, month.end) - _ONE_DAY)
                )
            month = _month_of(month.end)
        return pieces


def _month(year: int, month: int) -> Period:
    """The calendar month `year-month`."""
    end = date(year + month // 12, month % 12 + 1, 1)
    return Period(date(year, month, 1), end, f"{year:04d}-{month:02d}", "month")


def _month_of(d: date) -> Period:
    """The calendar month containing d."""
    return _month(d.year, d.month)


def _month_at(index: int) -> Period:
    """The month numbered year * 12 + month - 1."""
    year, month0 = divmod(index, 12)
    return _month(year, month0 + 1)


def _month_index(period: Period) -> int:
    """The month number (year * 12 + month - 1) of the period's first day."""
    return period.start.year * 12 + period.start.month - 1


def _quarter(year: int, quarter: int) -> Period:
    """The calendar quarter `year-Qquarter`."""
    end = date(year + quarter // 4, (3 * quarter) % 12 + 1, 1)
    return Period(date(year, 3 * quarter - 2, 1), end, f"{year:04d}-Q{quarter}", "quarter")


def _quarter_of(d: date) -> Period:
    """The calendar quarter containing d."""
    return _quarter(d.year, (d.month - 1) // 3 + 1)


def _year_of(d: date) -> Period:
    """The calendar year containing d."""
    return Period(date(d.year, 1, 1), date(d.year + 1, 1, 1), f"{d.year:04d}", "year")


def _week(year: int, week: int) -> Period:
    """ISO week `year-Wweek`, Monday to Sunday."""
    start = date.fromisocalendar(year, week, 1)
    return Period(start, start + timedelta(days=7), f"{year:04d}-W{week:02d}", "week")


def _week_of(d: date) -> Period:
    """The ISO week containing d."""
    iso = d.isocalendar()
    return _week(iso.year, iso.week)


def _iso_weeks(year: int) -> int:
    """How many ISO weeks the ISO year has (52 or 53)."""
    # 28 December always falls in the ISO year's last week.
    return date(year, 12, 28).isocalendar().week


def _days(first: date, last: date) -> Period:
    """The days from first to last, both inclusive."""
    label = first.isoformat() if first == last else f"{first}{_RANGE_SEPARATOR}{last}"
    return Period(first, last + _ONE_DAY, label, "days")


_CONTAINING: dict[str, Callable[[date], Period]] = {
    "month": _month_of,
    "quarter": _quarter_of,
    "year": _year_of,
    "week": _week_of,
}


def _error(text: str, reason: str, examples: str) -> PeriodError:
    """A PeriodError naming the text, what is wrong with it and texts that would work."""
    return PeriodError(f"{text!r} is not a period: {reason}; try {examples}")


def _edge_examples(year: int, high: bool) -> str:
    """Valid texts at the end of the year the user overshot (or its start, if undershot)."""
    if high:
        return (
            f"{year}-12, {year}-Q4, {year}, {year}-W{_iso_weeks(year):02d} "
            f"or {year}-06-01..{year}-06-15"
        )
    return f"{year}-01, {year}-Q1, {year}, {year}-W01 or {year}-06-01..{year}-06-15"


def _all_forms(year: int) -> str:
    """Every accepted form, with examples in the given year."""
    return (
        f"a month {year}-06, a quarter {year}-Q2, a year {year}, an ISO week {year}-W23, "
        f"days {year}-06-01..{year}-06-15 or {year}-06-15, or one of "
        "last-month, this-month, last-quarter, this-quarter, last-year, this-year, "
        "last-week, this-week"
    )


def _check_year(text: str, digits: str, today: date | None) -> int:
    """The year the digits give, if within MIN_YEAR..MAX_YEAR."""
    year = int(digits)
    if not MIN_YEAR <= year <= MAX_YEAR:
        raise _error(
            text, f"years run {MIN_YEAR}-{MAX_YEAR}", _all_forms((today or date.today()).year)
        )
    return year


def _parse_day(text: str, part: str, today: date | None) -> date | None:
    """The day `part` names, or None when it is not written as YYYY-MM-DD."""
    match = _DAY.fullmatch(part)
    if match is None:
        return None
    year = _check_year(text, match[1], today)
    month, day = int(match[2]), int(match[3])
    if not 1 <= month <= 12:
        raise _error(text, "months run 01-12", _edge_examples(year, high=month > 12))
    length = _month(year, month).days
    if not 1 <= day <= length:
        ym = f"{year}-{month:02d}"
        clamped = min(max(day, 1), length)
        raise _error(
            text,
            f"days of {ym} run 01-{length}",
            f"{ym}-{clamped:02d}, {ym} or {ym}-01..{ym}-{length}",
        )
    return date(year, month, day)


def _parse_range(text: str, left: str, right: str, today: date | None) -> Period:
    """The inclusive day range `left..right`."""
    first, last = _parse_day(text, left, today), _parse_day(text, right, today)
    if first is None or last is None:
        try:
            ends = parse_period(left, today), parse_period(right, today)
            suggestion = f"{min(p.start for p in ends)}..{max(p.end_snapshot for p in ends)}"
        except PeriodError:
            year = (today or date.today()).year
            suggestion = f"{year}-06-01..{year}-06-15"
        raise _error(text, "both ends of a range are days written YYYY-MM-DD", suggestion)
    if last < first:
        raise _error(text, "the range ends before it starts", f"{last}..{first}")
    return _days(first, last)


def parse_period(text: str, today: date | None = None) -> Period:
    """The period a `--period` text names; relative forms count from today (default: now)."""
    cleaned = text.strip()
    relative = _RELATIVE.fullmatch(re.sub(r"[\s_]+", "-", cleaned.lower()))
    if relative is not None:
        this = _CONTAINING[relative[2]](today or date.today())
        return this if relative[1] == "this" else this.previous()
    if _RANGE_SEPARATOR in cleaned:
        left, _, right = cleaned.partition(_RANGE_SEPARATOR)
        return _parse_range(text, left.strip(), right.strip(), today)
    code = cleaned.upper()
    if match := _YEAR.fullmatch(code):
        return _year_of(date(_check_year(text, match[1], today), 1, 1))
    if match := _MONTH.fullmatch(code):
        year, month = _check_year(text, match[1], today), int(match[2])
        if not 1 <= month <= 12:
            raise _error(text, "months run 01-12", _edge_examples(year, high=month > 12))
        return _month(year, month)
    if match := _QUARTER.fullmatch(code):
        year, quarter = _check_year(text, match[1], today), int(match[2])
        if not 1 <= quarter <= 4:
            raise _error(text, "quarters run Q1-Q4", _edge_examples(year, high=quarter > 4))
        return _quarter(year, quarter)
    if match := _WEEK.fullmatch(code):
        year, week = _check_year(text, match[1], today), int(match[2])
        weeks = _iso_weeks(year)
        if not 1 <= week <= weeks:
            raise _error(
                text,
                f"ISO weeks of {year} run W01-W{weeks}",
                _edge_examples(year, high=week > weeks),
            )
        return _week(year, week)
    day = _parse_day(text, code, today)
    if day is not None:
        return _days(day, day)
    raise PeriodError(f"{text!r} is not a period; try {_all_forms((today or date.today()).year)}")


def month_range(first: str, last: str, today: date | None = None) -> list[Period]:
    """One month per calendar month from the month first starts in to the month last ends in."""
    begin = _month_index(parse_period(first, today))
    final = _month_index(_month_of(parse_period(last, today).end_snapshot))
    if final < begin:
        raise PeriodError(
            f"{first!r} to {last!r} is not a month range: {_month_at(final).label} comes before "
            f"{_month_at(begin).label}; swap them"
        )
    count = final - begin + 1
    if count > MAX_TREND_MONTHS:
        earliest = _month_at(final - MAX_TREND_MONTHS + 1).label
        raise PeriodError(
            f"{first!r} to {last!r} is not a month range: it spans {count} months and a trend "
            f"covers at most {MAX_TREND_MONTHS}; try {earliest} to {_month_at(final).label}"
        )
    return [_month_at(index) for index in range(begin, final + 1)]
