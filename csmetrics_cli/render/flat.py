"""Report renderers for files: CSV (long), Markdown, and the JSON of any result."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from csmetrics_cli.metrics.spec import FAMILIES
from csmetrics_cli.render import Env
from csmetrics_cli.render.cells import (
    csv_row,
    human,
    human_change,
    is_null,
    md_text,
)
from csmetrics_cli.render.values import COMPARE, INTERVAL, csv_text

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


def to_csv(frame: pd.DataFrame) -> bytes:
    """Long CSV, one row per period x segment x metric (x item); formula-like text escaped.

    SPEC's columns come first, in its order (previous and change before the note with
    --compare); the interval (ci_low, ci_high) follows them, so a script reading SPEC's
    columns by position still finds them."""
    header = CSV_HEADER + [c for c in COMPARE if c in frame.columns] + ["note"] + INTERVAL
    lines = [csv_row(header)]
    lines += [csv_row(csv_text(v) for v in row) for row in frame[header].itertuples(index=False)]
    return "".join(lines).encode("utf-8")


def report_csv(result: ReportResult, env: Env) -> bytes:
    """The report as long CSV."""
    return to_csv(result.frame)


def to_json(result: Any, env: Env) -> bytes:
    """Any result's `to_dict()` as strict JSON (never NaN or Infinity)."""
    body = json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False)
    return (body + "\n").encode("utf-8")


HEADLINE = ("mrr", "customers_end", "customer_churn_rate", "net_revenue_retention",
            "gross_revenue_retention", "nps", "csat", "customer_health_score")  # fmt: skip


def report_markdown(result: ReportResult, env: Env) -> bytes:
    """The report as Markdown to paste into a wiki: a title with the period and data
    source, the headline KPIs, then one wide table per family with notes as footnotes."""
    frame = result.frame
    through = result.data_through
    lines = [f"# {md_text(result.title)}", ""]
    source = f"Data: `{md_text(result.data)}`"
    if through["last"]:
        source += f", {through['first']} to {through['last']}"
    lines += [source + ".", "", md_text(result.definitions.header()) + ".", ""]
    overall = frame[frame["segment"].isna() & frame["item"].isna()]
    last = overall[overall["period"] == result.periods[-1]].set_index("metric")
    kpis = [m for m in HEADLINE if m in last.index and not is_null(last.loc[m, "value"])]
    if kpis:
        lines += ["| " + " | ".join(md_text(last.loc[m, "name"]) for m in kpis) + " |",
                  "|" + "---:|" * len(kpis),
                  "| " + " | ".join(human(last.loc[m, "value"], last.loc[m, "unit"], env.currency)
                                    for m in kpis) + " |", ""]  # fmt: skip
    body = to_markdown(frame, env.currency, result.previous_label).decode()
    return ("\n".join(lines) + "\n" + body).encode("utf-8")


def _md_column(period: str, segment: object, by_period: bool, by_segment: bool) -> str:
    seg = "all" if is_null(segment) else str(segment)
    if by_period and by_segment:
        return f"{period} {seg}"
    return period if by_period else seg if by_segment else period


def to_markdown(frame: pd.DataFrame, currency: str = "", previous: str | None = None) -> bytes:
    """One wide table per family: metrics as rows, periods (x segments) as right-aligned
    columns, `previous` and `change` beside a single value, notes as numbered footnotes."""
    lines: list[str] = []
    by_period = frame["period"].nunique() > 1
    by_segment = bool(frame["segment"].notna().any())
    compare = "previous" in frame.columns and not by_period and not by_segment
    for family, rows in frame.groupby("family", sort=False):
        title = FAMILIES[str(family)].title
        lines += [f"## {title}", ""]
        keys = zip(rows["period"], rows["segment"], strict=True)
        rows = rows.assign(col=[_md_column(p, s, by_period, by_segment) for p, s in keys])
        columns = list(dict.fromkeys(rows["col"]))
        head = ["Metric", *columns] + ([previous or "Previous", "Change"] if compare else [])
        lines += ["| " + " | ".join(md_text(h) for h in head) + " |",
                  "|---|" + "---:|" * (len(head) - 1)]  # fmt: skip
        notes: dict[str, int] = {}
        for (_metric, item), cells in rows.groupby(["metric", "item"], sort=False, dropna=False):
            first = cells.iloc[0]
            name = md_text(first["name"] if is_null(item) else f"{first['name']}: {item}")
            found = cells["note"].dropna()
            if len(found):
                mark = notes.setdefault(str(found.iloc[0]), len(notes) + 1)
                name += f" [^{title[:3].lower()}{mark}]"
            by_col = dict(zip(cells["col"], cells["value"], strict=True))
            values = [human(by_col.get(c), first["unit"], currency) for c in columns]
            if compare:
                values += [human(first["previous"], first["unit"], currency),
                           human_change(first["change"], first["unit"], currency)]  # fmt: skip
            lines.append("| " + " | ".join([name, *(md_text(v) for v in values)]) + " |")
        lines.append("")
        for note, mark in notes.items():
            lines.append(f"[^{title[:3].lower()}{mark}]: {md_text(note)}")
        if notes:
            lines.append("")
    return "\n".join(lines).encode("utf-8")
