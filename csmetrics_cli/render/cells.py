"""Cell-level formatting shared by renderers: numbers by unit, and spreadsheet-safe text."""

from __future__ import annotations

import math
import re

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_text(value: str) -> str:
    """Prefix a quote to text a spreadsheet would run as a formula (OWASP CSV injection)."""
    if value.startswith(FORMULA_START) and not _NUMBER.match(value.strip()):
        return "'" + value
    return value


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
