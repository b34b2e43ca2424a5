"""Vectorised parsing of string columns into dates, numbers and booleans.

Each parser returns values plus a boolean `bad` mask: True where a cell is non-blank but not
understood. Blank cells (missing, empty or whitespace) are missing, never bad. The regular
expressions run in pyarrow (RE2, compiled code), never as a Python loop over rows.

Dates (`parse_dates`), decided here:

- Year first: `2024-06-30`, `2024/06/30`, `2024.06.30`, optionally with a time, AM/PM and a
  zone (`Z`, `UTC`, `GMT`, `+02:00`, `-0500`); also compact `20240630`.
- Year last: `6/30/2024`, `30/06/2024`, `30.06.2024`, `30-06-24` (two-digit years: 00-68 are
  20xx, 69-99 19xx), optionally with a time. The day/month order comes from `date_order`
  ("MDY"/"DMY"); else from the column (a first field > 12 means DMY, a second field > 12
  MDY; with both, the more frequent wins and the values that contradict it are bad); else
  the values are read MDY and `ambiguous` is True, unless every value reads the same both
  ways (`01/01/2024`). "YMD" only concerns year-first values, so year-last ones are inferred.
- Month names: `30 Jun 2024`, `30-Jun-2024`, `June 30, 2024`, `Sun, 30 Jun 2024`.
- Excel serial numbers (1900 system, day 0 = 1899-12-30), 1..2958465, only when every
  non-blank value of the column is a plain number, so a stray number in a date column is bad.
- A zoned timestamp is converted to `tz`, then its day taken; a naive one is already in `tz`,
  so its day is its date part. Days after 2262-04-11 (the end of datetime64[ns]; typically
  a `9999-12-31` "no end" sentinel) are clipped to that day; days before 1677-09-22 are bad.

Numbers (`parse_numbers`): currency symbols and codes, `%` (12% is 12), spaces, non-breaking
spaces and apostrophes as thousands separators, a leading or trailing minus and accounting
parentheses are accepted. With `decimal="."`, `1,200` is 1200 and `1.200` is 1.2; a value
that can only be decimal-comma (`1,5`, `0,125`, `1.200,00`, `1.200.000`) is read so; with
`decimal=","` the roles swap. Numbers are finite: `inf`, `nan` and values beyond float64
(`1e309`) are bad, and `non_finite_numbers` picks them out for their own problem code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import NamedTuple

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_DATE_ORDERS = ("MDY", "DMY", "YMD")
_MIN_DAY = np.datetime64("1677-09-22", "D")
_MAX_DAY = np.datetime64("2262-04-11", "D")
_EXCEL_EPOCH = np.datetime64("1899-12-30", "D")
_MAX_SERIAL = 2958465


def normalise_header(name: str) -> str:
    """`" Customer ID"` -> `customer_id`: lower case, runs of non-alphanumerics become `_`."""
    return re.sub(r"[\W_]+", "_", name.lstrip("\ufeff").strip().lower()).strip("_")


# ---------------------------------------------------------------- shared helpers


def _text(values: pd.Series) -> pa.Array:
    """The values as trimmed arrow strings, blanks as null."""
    strings = pa.array(values.astype("str"), type=pa.large_string(), from_pandas=True)
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    trimmed = pc.utf8_trim_whitespace(strings)
    lengths = pc.binary_length(trimmed)
    shortest = pc.min(lengths).as_py()
    if shortest is None or shortest > 0:
        return trimmed
    return pc.if_else(pc.equal(lengths, 0), pa.scalar(None, trimmed.type), trimmed)


def _mask(values: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """A boolean arrow array as numpy, null as False."""
    return np.asarray(pc.fill_null(values, False).to_numpy(zero_copy_only=False), dtype=bool)


def _ints(field: pa.Array) -> np.ndarray:
    """A regex group of digits as int64; an empty (non-participating) group is 0."""
    filled = pc.fill_null(pc.if_else(pc.equal(field, ""), "0", field), "0")
    return np.asarray(pc.cast(filled, pa.int64()).to_numpy(), np.int64)


def _extract(values: pa.Array, pattern: str) -> tuple[np.ndarray, pa.StructArray]:
    """Match `pattern` against every value: (matched mask, struct of named groups)."""
    groups = pc.extract_regex(values, pattern)
    return _mask(groups.is_valid()), groups


# ---------------------------------------------------------------- dates


@dataclass
class DateParse:
    """Parsed dates (datetime64[ns] days), the bad mask and the day/month ambiguity flag."""

    values: pd.Series
    bad: pd.Series
    ambiguous: bool


_MONTHS = (
    "jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    "|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?"
)
_CLOCK = (
    r"(?P<H>[01]?\d|2[0-3]):(?P<M>[0-5]\d)(?::(?P<S>[0-5]\d)(?:[.,]\d+)?)?"
    r"(?:\s*(?P<ampm>[AaPp])\.?[Mm]\.?)?"
)
_YEAR_FIRST = (
    r"^(?P<y>\d{4})[-/.](?P<m>\d{1,2})[-/.](?P<d>\d{1,2})"
    rf"(?:(?:[T ]|, ?)\s*{_CLOCK}"
    r"\s*(?P<zone>Z|UTC|GMT|(?P<zs>[-+])(?P<zh>[01]\d|2[0-3]):?(?P<zm>[0-5]\d)?)?)?$"
)
_HMS = r"(?:[01]\d|2[0-3]):[0-5]\d(?::[0-5]\d(?:\.\d+)?)?"
ISO_NAIVE = rf"^\d{{4}}-\d\d-\d\d(?:[T ]{_HMS})?$"
ISO_ZONED = rf"^\d{{4}}-\d\d-\d\d[T ]{_HMS}(?:Z|[-+]\d\d(?::?\d\d)?)$"
_COMPACT = r"^(?P<y>(?:19|20)\d\d)(?P<m>[01]\d)(?P<d>[0-3]\d)$"
_NAIVE_CLOCK = rf"(?:(?:[T ]|, ?)\s*{_CLOCK})?$"
_YEAR_LAST = r"^(?P<a>\d{1,2})[/.-](?P<b>\d{1,2})[/.-](?P<y>\d{4}|\d\d)" + _NAIVE_CLOCK
_NAMED = (
    rf"(?i)^(?:[a-z]{{3,9}},?\s+)?(?:(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?[ -](?P<mon1>{_MONTHS})\.?"
    rf"[ -](?P<y1>\d{{4}})|(?P<mon2>{_MONTHS})\.? (?P<d2>\d{{1,2}})(?:st|nd|rd|th)?,? "
    r"(?P<y2>\d{4}))" + _NAIVE_CLOCK
)
_SERIAL = r"^\d+(?:\.\d+)?$"


class _Read(NamedTuple):
    """What one date reader understood: matched mask, days, and day/month ambiguity."""

    hit: np.ndarray
    days: np.ndarray
    ambiguous: bool = False


def parse_dates(values: pd.Series, *, date_order: str | None = None, tz: str = "UTC") -> DateParse:
    """Parse a column of date strings into days (see the module docstring for the forms)."""
    if date_order is not None and date_order not in _DATE_ORDERS:
        raise ValueError(f"date_order must be one of {', '.join(_DATE_ORDERS)}, not {date_order!r}")
    text = _text(values)
    # What a value reads as, and whether the column is ambiguous, depend only on the
    # distinct values: a date column repeats its days (891k invoices hold 1.5k).
    found = _distinct(text)
    if found is None:
        days, bad, ambiguous = _read_dates(text, date_order, tz)
    else:
        distinct, codes = found
        days, bad, ambiguous = _read_dates(distinct, date_order, tz)
        days = np.append(days, np.datetime64("NaT", "ns"))[codes]  # a blank: the last
        bad = np.append(bad, False)[codes]
    index = values.index
    return DateParse(pd.Series(days, index=index), pd.Series(bad, index=index), ambiguous)


def _distinct(text: pa.Array) -> tuple[pa.Array, np.ndarray] | None:
    """The distinct texts and each cell's code among them (-1 for a blank), for reading
    each distinct text once; None when fewer than half the cells repeat one (reading them
    all is then as cheap)."""
    encoded = pc.dictionary_encode(text)
    if 2 * len(encoded.dictionary) > len(text):
        return None
    codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False)
    return encoded.dictionary, np.asarray(codes)


def _read_dates(
    text: pa.Array, date_order: str | None, tz: str
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Days (NaT where none), the bad mask (a value no form reads) and the ambiguity flag of
    trimmed texts (null for blank)."""
    present = _mask(pc.is_valid(text))
    days = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    done = ~present
    worded: list[Callable[[pa.Array], _Read]] = [
        partial(_iso, tz=tz),
        partial(_year_first, tz=tz),
        _named,
        partial(_year_last, date_order=date_order),
    ]
    ambiguous = False
    for reader in worded:
        ambiguous |= _run(reader, text, days, done)
    textual = done & present
    _run(_compact, text, days, done)
    if (~done).any() and not textual.any():
        numeric = _mask(pc.match_substring_regex(_subset(text, ~done), _SERIAL))
        if numeric.all():
            _run(_serials, text, days, done)
    return days, present & np.isnat(days), ambiguous


def _run(
    reader: Callable[[pa.Array], _Read], text: pa.Array, days: np.ndarray, done: np.ndarray
) -> bool:
    """Apply `reader` to the values not yet understood, in place; return its ambiguity."""
    todo = np.flatnonzero(~done)
    if not len(todo):
        return False
    read = reader(_subset(text, ~done))
    days[todo[read.hit]] = read.days[read.hit]
    done[todo[read.hit]] = True
    return read.ambiguous


def _to_ns(day: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Days as datetime64[ns], NaT where invalid or too early, clipped at the far end."""
    ok = valid & (day >= _MIN_DAY)
    clipped = np.minimum(np.where(ok, day, _MIN_DAY), _MAX_DAY)
    return np.where(ok, clipped.astype("datetime64[ns]"), np.datetime64("NaT", "ns"))


def _civil(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Calendar days for year/month/day arrays and whether each is a real date."""
    valid = (m >= 1) & (m <= 12) & (d >= 1) & (y >= 1) & (y <= 9999)
    months = np.where(valid, (y - 1970) * 12 + (m - 1), 0).astype("datetime64[M]")
    first = months.astype("datetime64[D]")
    length = ((months + 1).astype("datetime64[D]") - first).astype(np.int64)
    valid &= d <= length
    return first + np.where(valid, d - 1, 0).astype("timedelta64[D]"), valid


def _iso(text: pa.Array, tz: str) -> _Read:
    """The common strict ISO forms, without regex captures: the fast path for big columns."""
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ns]")
    naive = _mask(pc.match_substring_regex(text, ISO_NAIVE))
    if naive.any():
        dates = pc.utf8_slice_codeunits(_subset(text, naive), 0, 10)
        stamps = pc.strptime(dates, format="%Y-%m-%d", unit="s", error_is_null=True)
        # strptime rolls 2024-02-30 over to March; a changed day of month means no such date.
        real = _mask(pc.equal(pc.day(stamps), _ints(pc.utf8_slice_codeunits(dates, 8, 10))))
        day = stamps.to_numpy(zero_copy_only=False).astype("datetime64[D]")
        out[naive] = _to_ns(day, real)
    zoned = ~naive
    zoned[zoned] = _mask(pc.match_substring_regex(_subset(text, zoned), ISO_ZONED))
    if zoned.any():
        stamps = pd.to_datetime(
            pd.Series(_subset(text, zoned).to_pandas()), format="ISO8601", utc=True, errors="coerce"
        )
        day = stamps.dt.tz_convert(tz).dt.tz_localize(None).to_numpy().astype("datetime64[D]")
        out[zoned] = _to_ns(day, ~np.isnat(day))
    # Rows left NaT (impossible dates, far years) go on to the thorough reader.
    return _Read(~np.isnat(out), out)


def _subset(values: pa.Array, mask: np.ndarray) -> pa.Array:
    """The values where `mask` is true (no copy when it selects everything)."""
    return values if mask.all() else values.filter(pa.array(mask))


def _year_first(text: pa.Array, tz: str) -> _Read:
    """`2024-06-30[ 13:45[:00]][ zone]` and slash/dot variants."""
    hit, g = _extract(text, _YEAR_FIRST)
    day, valid = _civil(_ints(g.field("y")), _ints(g.field("m")), _ints(g.field("d")))
    out = _to_ns(day, hit & valid)
    zoned = ~np.isnat(out) & _mask(pc.not_equal(g.field("zone"), ""))
    if zoned.any():
        out[zoned] = _zoned_days(day[zoned], g.filter(pa.array(zoned)), tz)
    return _Read(hit, out)


def _zoned_days(day: np.ndarray, g: pa.StructArray, tz: str) -> np.ndarray:
    """Days in `tz` of zoned timestamps: the instant is moved to `tz`, then its date taken."""
    ampm = pc.utf8_lower(g.field("ampm"))
    pm, am = _mask(pc.equal(ampm, "p")), _mask(pc.equal(ampm, "a"))
    hours = _ints(g.field("H"))
    hours = np.where(pm | am, hours % 12 + 12 * pm, hours)
    sign = np.where(_mask(pc.equal(g.field("zs"), "-")), -1, 1)
    offset = sign * (_ints(g.field("zh")) * 3600 + _ints(g.field("zm")) * 60)
    clock = hours * 3600 + _ints(g.field("M")) * 60 + _ints(g.field("S")) - offset
    # Two days of margin keep the shifted instant inside datetime64[ns].
    near = np.minimum(day, _MAX_DAY - 2)
    instant = near.astype("datetime64[s]") + clock.astype("timedelta64[s]")
    local = (
        pd.Series(instant.astype("datetime64[ns]"))
        .dt.tz_localize("UTC")
        .dt.tz_convert(tz)
        .dt.tz_localize(None)
        .dt.normalize()
        .to_numpy(dtype="datetime64[ns]")
    )
    return np.where(day > near, _MAX_DAY.astype("datetime64[ns]"), local)


def _compact(text: pa.Array) -> _Read:
    """`20240630`."""
    hit, g = _extract(text, _COMPACT)
    day, valid = _civil(_ints(g.field("y")), _ints(g.field("m")), _ints(g.field("d")))
    return _Read(hit, _to_ns(day, hit & valid))


def _named(text: pa.Array) -> _Read:
    """`30 Jun 2024`, `June 30, 2024` and friends."""
    hit, g = _extract(text, _NAMED)
    first = _mask(pc.not_equal(g.field("d1"), ""))
    month = _month_numbers(pc.if_else(pa.array(first), g.field("mon1"), g.field("mon2")))
    d = np.where(first, _ints(g.field("d1")), _ints(g.field("d2")))
    y = np.where(first, _ints(g.field("y1")), _ints(g.field("y2")))
    day, valid = _civil(y, month, d)
    return _Read(hit, _to_ns(day, hit & valid))


def _month_numbers(names: pa.Array) -> np.ndarray:
    """Month numbers from (possibly abbreviated) English month names; 0 when unknown."""
    prefix = pc.utf8_lower(pc.utf8_slice_codeunits(names, 0, 3))
    found = pc.index_in(prefix, value_set=pa.array(_MONTH_KEYS))
    return np.asarray(pc.fill_null(found, -1).to_numpy(zero_copy_only=False), np.int64) + 1


_MONTH_KEYS = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]


def _year_last_parts(text: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(matched, first field, second field, four-digit year) of `a/b/yyyy` values."""
    hit, g = _extract(text, _YEAR_LAST)
    y = _ints(g.field("y"))
    short = _mask(pc.less(pc.binary_length(g.field("y")), 3))
    y = np.where(short, np.where(y < 69, 2000 + y, 1900 + y), y)
    return hit, _ints(g.field("a")), _ints(g.field("b")), y


def _year_last(text: pa.Array, date_order: str | None) -> _Read:
    """`6/30/2024`, `30.06.2024`... in the configured order, else the one the values show."""
    hit, a, b, y = _year_last_parts(text)
    day_first, day_second = (a[hit] > 12).any(), (b[hit] > 12).any()
    if date_order in ("MDY", "DMY"):
        order, ambiguous = date_order, False
    else:
        # Values above 12 in a position prove it is the day; with both, the majority wins.
        order = "DMY" if (a[hit] > 12).sum() > (b[hit] > 12).sum() else "MDY"
        ambiguous = not day_first and not day_second and bool((a[hit] != b[hit]).any())
    month, d = (a, b) if order == "MDY" else (b, a)
    day, valid = _civil(y, month, d)
    return _Read(hit, _to_ns(day, hit & valid), ambiguous)


def _serials(text: pa.Array) -> _Read:
    """Excel serial day numbers (1900 system)."""
    hit = _mask(pc.match_substring_regex(text, _SERIAL))
    numbers = np.asarray(pc.cast(pc.if_else(pa.array(hit), text, "0"), pa.float64()), np.float64)
    hit &= (numbers >= 1) & (numbers < _MAX_SERIAL + 1)
    whole = np.where(hit, np.floor(numbers), 0).astype(np.int64)
    day = _EXCEL_EPOCH + whole.astype("timedelta64[D]")
    return _Read(hit, _to_ns(day, hit))


# ---------------------------------------------------------------- numbers

_CURRENCY = (
    r"(?i)(?:US\$|C\$|A\$|R\$|[$€£¥₹₽₩₺₪฿¢]|\b(?:usd|eur|gbp|jpy|chf|cad|aud|nzd|sek|nok|dkk"
    r"|pln|czk|huf|inr|cny|rmb|brl|mxn|zar|sgd|hkd|krw|try|ils|aed|sar|rub|kr)\b)"
)
_NUMBER = (
    r"^(?P<open>\()?\s*(?P<sign>[-+−])?\s*(?P<num>\d(?:[\d.,'’ \x{a0}\x{202f}]*\d)?\.?|[.,]\d+)"
    r"(?P<exp>[eE][-+]?\d+)?\s*(?P<trail>-)?\s*(?P<close>\))?$"
)
_SPACED = r"^\d{1,3}(?:[ '’\x{a0}\x{202f}]\d{3})+(?:[.,]\d+)?$"
_PLAIN = r"^(?:\d+\.?\d*|\.\d+)$"
_THOUSANDS_COMMA = r"^(?:[1-9]\d{0,2}(?:,\d{3})+|[1-9]\d?(?:,\d\d)*,\d{3})(?:\.\d+)?$"
_THOUSANDS_POINT = r"^[1-9]\d{0,2}(?:\.\d{3})+,\d+$|^[1-9]\d{0,2}(?:\.\d{3}){2,}$"
_DECIMAL_COMMA = r"^\d*,\d+$"
_FAST_NUMBER = r"^[-+]?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?$"


_NON_FINITE = r"(?i)^[-+−]?\s*(?:inf(?:inity)?|nan)$"


def parse_numbers(values: pd.Series, *, decimal: str = ".") -> tuple[pd.Series, pd.Series]:
    """Parse amounts like `1,200.50`, `$1,200.00`, `1.200,00 EUR`, `(5.00)`; returns values, bad.

    Values are always finite: `1e309` (beyond float64), `inf` and `nan` are bad, and
    `non_finite_numbers` tells them apart from text that is no number at all.
    """
    text = _text(values)
    present = _mask(pc.is_valid(text))
    out = _raw_numbers(text, decimal)
    out[np.isinf(out)] = np.nan
    index = values.index
    return pd.Series(out, index=index, dtype="float64"), pd.Series(
        present & np.isnan(out), index=index
    )


def non_finite_numbers(values: pd.Series, *, decimal: str = ".") -> pd.Series:
    """True where a cell is a number that is not finite: `inf`, `-Infinity`, `NaN`, `1e309`."""
    text = _text(values)
    named = _mask(pc.match_substring_regex(text, _NON_FINITE))
    return pd.Series(named | np.isinf(_raw_numbers(text, decimal)), index=values.index)


def _raw_numbers(text: pa.Array, decimal: str) -> np.ndarray:
    """The numbers of trimmed cells as float64, overflowing ones as +-inf; NaN when not one.
    Each distinct text is read once when values repeat (prices and plan amounts do)."""
    if decimal not in (".", ","):
        raise ValueError(f"decimal must be '.' or ',', not {decimal!r}")
    found = _distinct(text)
    if found is None:
        return _read_numbers(text, decimal)
    distinct, codes = found
    return np.append(_read_numbers(distinct, decimal), np.nan)[codes]  # a blank: the last


def _read_numbers(text: pa.Array, decimal: str) -> np.ndarray:
    """_raw_numbers of every cell."""
    present = _mask(pc.is_valid(text))
    out = np.full(len(text), np.nan)
    fast = _mask(pc.match_substring_regex(text, _FAST_NUMBER if decimal == "." else r"^[-+]?\d+$"))
    if fast.any():
        out[fast] = np.asarray(pc.cast(text.filter(pa.array(fast)), pa.float64()), np.float64)
    slow = np.flatnonzero(present & ~fast)
    if len(slow):
        out[slow] = _parse_amounts(text.take(pa.array(slow)), decimal)
    return out


def _parse_amounts(text: pa.Array, decimal: str) -> np.ndarray:
    """The general number grammar; NaN where a value does not fit it."""
    bare = pc.replace_substring_regex(text, _CURRENCY, "")
    bare = pc.utf8_trim_whitespace(pc.replace_substring_regex(bare, r"%\s*$", ""))
    hit, g = _extract(bare, _NUMBER)
    num = g.field("num")
    spaced = _mask(pc.match_substring_regex(num, r"[ '’\x{a0}\x{202f}]"))
    hit &= ~spaced | _mask(pc.match_substring_regex(num, _SPACED))
    num = pc.replace_substring_regex(num, r"[ '’\x{a0}\x{202f}]", "")
    if decimal == ",":
        num = _swap_separators(num)
    magnitude = _magnitude(num, g.field("exp"))
    signs = (
        _mask(pc.match_substring_regex(g.field("sign"), "^[-−]$")).astype(int)
        + _mask(pc.equal(g.field("trail"), "-"))
        + _mask(pc.equal(g.field("open"), "("))
    )
    parens_ok = _mask(pc.equal(g.field("open"), "(")) == _mask(pc.equal(g.field("close"), ")"))
    hit &= parens_ok & (signs <= 1)
    return np.where(hit, np.where(signs == 1, -magnitude, magnitude), np.nan)


def _swap_separators(num: pa.Array) -> pa.Array:
    """Exchange `.` and `,` so a decimal-comma value can use the decimal-point rules."""
    swapped = pc.replace_substring(num, ",", "\x00")
    swapped = pc.replace_substring(swapped, ".", ",")
    return pc.replace_substring(swapped, "\x00", ".")


def _magnitude(num: pa.Array, exp: pa.Array) -> np.ndarray:
    """Absolute value of a separator-normalised number string; NaN when it fits no rule."""
    plain = _mask(pc.match_substring_regex(num, _PLAIN))
    grouped = _mask(pc.match_substring_regex(num, _THOUSANDS_COMMA))
    european = _mask(pc.match_substring_regex(num, _THOUSANDS_POINT)) & ~grouped
    comma = _mask(pc.match_substring_regex(num, _DECIMAL_COMMA)) & ~grouped
    no_commas = pc.replace_substring(num, ",", "")
    eu = pc.replace_substring(pc.replace_substring(num, ".", ""), ",", ".")
    candidates = [
        (plain, num),
        (grouped, no_commas),
        (european, eu),
        (comma, pc.replace_substring(num, ",", ".")),
    ]
    out = np.full(len(num), np.nan)
    for chosen, strings in candidates:
        if chosen.any():
            picked = pa.array(chosen)
            joined = pc.binary_join_element_wise(
                strings.filter(picked), exp.filter(picked), pa.scalar("", strings.type)
            )
            out[chosen] = np.asarray(pc.cast(joined, pa.float64()), np.float64)
    return out


# ---------------------------------------------------------------- booleans

_TRUE = ("true", "yes", "y", "1", "t")
_FALSE = ("false", "no", "n", "0", "f")


def parse_bools(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse true/false, yes/no, y/n, 1/0, t/f (any case) into the pandas "boolean" dtype."""
    text = pc.utf8_lower(_text(values))
    yes = _mask(pc.is_in(text, value_set=pa.array(_TRUE)))
    no = _mask(pc.is_in(text, value_set=pa.array(_FALSE)))
    present = _mask(pc.is_valid(text))
    known = yes | no
    result = pd.array(yes, dtype="boolean")
    result[~known] = pd.NA
    index = values.index
    return pd.Series(result, index=index), pd.Series(present & ~known, index=index)
