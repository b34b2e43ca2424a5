"""Values as machine-readable output carries them: finite, rounded, plain Python.

JSON and CSV never show float noise (3917.5399999999995 -> 3917.54): numbers are rounded to
10 significant digits. NaN and infinities become null; JSON is strict everywhere.
"""

from __future__ import annotations

import math
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

SIGNIFICANT = 10
REPORT_FIELDS = ["metric", "name", "family", "period", "segment_by", "segment", "item",
                 "value", "unit", "ci_low", "ci_high", "note", "numerator",
                 "denominator"]  # fmt: skip
INTERVAL = ["ci_low", "ci_high"]  # 95%, in the metric's unit; null without an interval
COMPARE = ["previous", "change"]


def rounded(value: float) -> float | int:
    """`value` to SIGNIFICANT digits; whole numbers as int (non-finite values unchanged)."""
    if value == 0 or not math.isfinite(value):
        return 0 if value == 0 else value
    digits = SIGNIFICANT - 1 - math.floor(math.log10(abs(value)))
    out = round(value, max(digits, 0)) if digits > 0 else float(round(value, digits))
    return int(out) if out == int(out) and abs(out) < 2**53 else out


def clean(value: object) -> Any:
    """A JSON-safe Python value: None for null/NaN/inf, numbers rounded, dates as ISO days."""
    if value is None or type(value).__name__ in ("NaTType", "NAType"):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar -> Python
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return rounded(value) if math.isfinite(value) else None
    if isinstance(value, datetime):  # a day when it is midnight, else the full timestamp
        return value.isoformat() if value.time() != datetime.min.time() else str(value.date())
    if isinstance(value, date):
        return value.isoformat()
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Report rows as JSON-ready dicts with the SPEC's field names (`id` for the metric)."""
    fields = REPORT_FIELDS + [c for c in COMPARE if c in frame.columns]
    out = []
    for row in frame[fields].itertuples(index=False):
        rec = {f: clean(v) for f, v in zip(fields, row, strict=True)}
        rec["id"] = rec.pop("metric")
        out.append({"id": rec["id"], **{k: v for k, v in rec.items() if k != "id"}})
    return out


def table_records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Any frame's rows as JSON-ready dicts."""
    columns = [str(c) for c in frame.columns]
    return [
        {c: clean(v) for c, v in zip(columns, row, strict=True)}
        for row in frame.itertuples(index=False)
    ]


def csv_text(value: object) -> str:
    """A CSV cell: blank for null, true/false, rounded numbers, defused text."""
    from csmetrics_cli.render.cells import is_null, plain_number, sheet_text

    if is_null(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return plain_number(float(rounded(float(value))))
    return sheet_text(str(value))
