"""Cell-level formatting shared by renderers: numbers by unit, and text made safe to show.

Text from the data (segments, features, onboarding steps, notes) is hostile until escaped:
- for a spreadsheet (CSV, XLSX): `sheet_text` shows control characters (which an XLSX cell
  cannot hold, and a terminal would run when the CSV is printed) and defuses formulas
  (`safe_text`); `csv_row` quotes line breaks;
- for a terminal: `literal` makes control characters visible (ESC shows as \\x1b), and
  `literal_text` wraps it in a rich Text so that `[markup]` is shown, never interpreted;
- for Markdown: `md_text` also escapes HTML, table pipes, backticks and links.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich loads when a table is drawn, not when csm starts
    from rich.text import Text

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")
_LINE_BREAK = re.compile(r"(\r\n|\r|\n)")
# C0 and C1 controls, DEL, and the invisible characters that reorder or break lines
CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
# The same but tab, LF and CR, which a spreadsheet cell holds (and csv_row quotes); it covers
# every character openpyxl refuses (ILLEGAL_CHARACTERS_RE).
CELL_CONTROL = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_MARKDOWN = {"\\": "\\\\", "|": "\\|", "`": "\\`", "[": "\\[", "]": "\\]",
             "<": "&lt;", ">": "&gt;", "&": "&amp;"}  # fmt: skip
_CSV_SPECIAL = re.compile('[",\r\n]')


def _defuse(line: str) -> str:
    if line.startswith(FORMULA_START) and not _NUMBER.match(line.strip()):
        return "'" + line
    return line


def safe_text(value: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula (OWASP CSV injection).

    The text, and every line of it, that starts with = + - @ tab or CR is prefixed (plain
    numbers such as -5 are not): an importer that splits a cell at a line break (`basic\\r=1`)
    must not find a formula on the next line either.
    """
    parts = _LINE_BREAK.split(_defuse(value))
    parts[2::2] = [_defuse(line) for line in parts[2::2]]
    return "".join(parts)


def csv_row(cells: Iterable[str]) -> str:
    """One CSV line ending in \\n; a cell with a comma, quote, CR or LF is quoted.

    (Python's csv module with lineterminator "\\n" leaves a lone CR unquoted, and spreadsheet
    importers then split the row there.)
    """
    quoted = ('"' + c.replace('"', '""') + '"' if _CSV_SPECIAL.search(c) else c for c in cells)
    return ",".join(quoted) + "\n"


def _visible(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def literal(text: object, pattern: re.Pattern[str] = CONTROL) -> str:
    """The text with every character `pattern` matches (by default control characters)
    written as an escape, so that no escape sequence from the data reaches a terminal."""
    return pattern.sub(_visible, str(text))


def literal_text(text: object, style: str = "") -> Text:
    """Data for rich: control characters visible, and `[markup]` shown as typed."""
    from rich.text import Text

    return Text(literal(text), style=style)


def sheet_text(value: str) -> str:
    """A CSV or XLSX text cell: control characters shown as escapes, formulas defused."""
    return safe_text(literal(value, CELL_CONTROL))


def md_text(text: str) -> str:
    """A Markdown table cell: line breaks become spaces, controls are made visible, and HTML,
    pipes, backticks and link brackets are escaped."""
    flat = literal(_LINE_BREAK.sub(" ", text))
    return "".join(_MARKDOWN.get(c, c) for c in flat)


def is_null(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def plain_number(value: float) -> str:
    """Unrounded number text: integers without '.0', other floats in shortest round-trip form."""
    if value == int(value) and abs(value) < 1e15:
        return str(int(value))
    return repr(float(value))


def human(value: object, unit: str, currency: str = "") -> str:
    """A value formatted for people: 12.3%, 1,234.50, 45.2 months; '-' for null."""
    if is_null(value):
        return "-"
    v = float(value)  # type: ignore[arg-type]
    if unit == "%":
        return f"{v:,.1f}%"
    if unit == "currency":
        return f"{currency}{v:,.2f}"
    if unit in ("customers", "users", "count"):
        return f"{v:,.0f}" if v == int(v) else f"{v:,.1f}"
    if unit in ("months", "days"):
        return f"{v:,.1f} {unit}"
    if unit == "ratio":
        return f"{v:,.2f}x"
    if unit == "points":
        return f"{v:,.1f} pts"
    return f"{v:,.1f}"


def human_change(change: object, unit: str, currency: str = "") -> str:
    """A signed change; percentages change in points (pp)."""
    if is_null(change):
        return ""
    v = float(change)  # type: ignore[arg-type]
    sign = "+" if v > 0 else ""
    if unit == "%":
        return f"{sign}{v:,.1f} pp"
    return sign + human(v, unit, currency)


def human_interval(low: object, high: object, unit: str) -> str:
    """A 95% interval as people read it beside the value: [96.4, 98.6] in the value's unit
    (one decimal, two for a ratio); '' when there is none."""
    if is_null(low) or is_null(high):
        return ""
    digits = 2 if unit == "ratio" else 1
    return f"[{float(low):,.{digits}f}, {float(high):,.{digits}f}]"  # type: ignore[arg-type]
