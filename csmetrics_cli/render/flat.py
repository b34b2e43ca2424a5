"""Report renderers for files: CSV (long), Markdown, and the JSON of any result."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from csmetrics_cli.render import Env
from csmetrics_cli.render.cells import (
    csv_row,
    human,
    human_change,
    is_null,
    md_text,
    plain_number,
    sheet_text,
)
from csmetrics_cli.render.values import COMPARE, rounded

if TYPE_CHECKING:
    import pandas as pd

    from csmetrics_cli.api import ReportResult

CSV_HEADER = [
    "period",
    "segment_by",
    "segment",
    "metric",
    "item",
    "name",
    "family",
    "value",
    "unit",
]


def _csv_cell(value: object) -> str:
    if is_null(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return plain_number(float(rounded(float(value))))
    return sheet_text(str(value))


def to_csv(frame: pd.DataFrame) -> bytes:
    """Long CSV, one row per period x segment x metric (x item); formula-like text escaped."""
    header = CSV_HEADER + [c for c in COMPARE if c in frame.columns] + ["note"]
    lines = [csv_row(header)]
    lines += [csv_row(_csv_cell(v) for v in row) for row in frame[header].itertuples(index=False)]
    return "".join(lines).encode("utf-8")


def report_csv(result: ReportResult, env: Env) -> bytes:
    """The report as long CSV."""
    return to_csv(result.frame)


def to_json(result: Any, env: Env) -> bytes:
    """Any result's `to_dict()` as strict JSON (never NaN or Infinity)."""
    body = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    return (body + "\n").encode("utf-8")


def report_markdown(result: ReportResult, env: Env) -> bytes:
    """The report as Markdown to paste into a wiki."""
    return to_markdown(result.frame, env.currency)


def to_markdown(frame: pd.DataFrame, currency: str = "") -> bytes:
    """One Markdown table per family."""
    lines: list[str] = []
    compare = "previous" in frame.columns
    for family, rows in frame.groupby("family", sort=False):
        lines += [f"## {family}", ""]
        head = ["Metric", "Period", "Segment", "Value"] + (
            ["Previous", "Change"] if compare else []
        )
        lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        for r in rows.itertuples(index=False):
            name = r.name + (f" · {r.item}" if not is_null(r.item) else "")
            cells = [name, r.period, r.segment or "all", human(r.value, r.unit, currency)]
            if compare:
                cells += [
                    human(r.previous, r.unit, currency),
                    human_change(r.change, r.unit, currency),
                ]
            if is_null(r.value) and r.note:
                cells[3] = f"- ({r.note})"
            lines.append("| " + " | ".join(md_text(str(c)) for c in cells) + " |")
        lines.append("")
    return "\n".join(lines).encode("utf-8")
