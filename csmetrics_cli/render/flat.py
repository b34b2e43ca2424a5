"""Machine-readable renderers: CSV (long), JSON, Markdown. They format a result, never compute."""

from __future__ import annotations

import json
import math
from typing import Any

import pandas as pd

from csmetrics_cli.render.cells import (
    csv_row,
    human,
    human_change,
    is_null,
    md_text,
    plain_number,
    sheet_text,
)

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
COMPARE = ["previous", "change"]


def _csv_cell(value: object) -> str:
    if is_null(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return plain_number(float(value))
    return sheet_text(str(value))


def to_csv(frame: pd.DataFrame) -> bytes:
    """Long CSV, one row per period x segment x metric (x item); formula-like text escaped."""
    header = CSV_HEADER + [c for c in COMPARE if c in frame.columns]
    lines = [csv_row(header)]
    lines += [csv_row(_csv_cell(v) for v in row) for row in frame[header].itertuples(index=False)]
    return "".join(lines).encode("utf-8")


def _json_value(value: object) -> Any:
    if is_null(value):
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if hasattr(value, "item"):
        return value.item()  # numpy scalar -> Python
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as JSON-ready dicts with the SPEC's field names (`id` for the metric)."""
    fields = ["metric", "name", "family", "period", "segment_by", "segment", "item", "value",
              "unit", "note", "numerator", "denominator"]  # fmt: skip
    fields += [c for c in COMPARE if c in frame.columns]
    out = []
    for row in frame[fields].itertuples(index=False):
        rec = {f: _json_value(v) for f, v in zip(fields, row, strict=True)}
        rec["id"] = rec.pop("metric")
        out.append({"id": rec["id"], **{k: v for k, v in rec.items() if k != "id"}})
    return out


def to_json(frame: pd.DataFrame, meta: dict[str, Any]) -> bytes:
    """{"metrics": [...], plus the report's context (periods, segment_by, data quality)}."""
    body = {"metrics": records(frame), **meta}
    return (json.dumps(body, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


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
