"""The sheets a reader checks the figures against: Definitions (the catalog's formula of every
metric in the report) and Data quality (row accounting, warnings and every issue)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openpyxl.worksheet.worksheet import Worksheet

from csmetrics_cli.metrics.catalog import CATALOG
from csmetrics_cli.metrics.spec import FAMILIES
from csmetrics_cli.render.xlsx.sheet import (
    BOLD,
    MUTED,
    WRAP,
    cell_value,
    fit_columns,
    header,
    table_sheet,
)

if TYPE_CHECKING:
    from csmetrics_cli.api import ReportResult

ISSUE_FIELDS = ("file", "row", "column", "code", "message", "hint", "table", "excluded")
MAX_ISSUES = 100_000  # `csm validate` lists them all; a sheet stays openable


def definitions_sheet(ws: Worksheet, result: ReportResult) -> None:
    """One row per metric of the report, in catalog order."""
    wanted = set(result.frame["metric"])
    header(ws, 1, ["Id", "Metric", "Family", "Unit", "Better when", "Formula"])
    for spec in CATALOG:
        if spec.id in wanted:
            better = {"up": "higher", "down": "lower"}.get(spec.better or "", "")
            ws.append([spec.id, spec.name, FAMILIES[spec.family].title, spec.unit, better,
                       cell_value(spec.formula)])  # fmt: skip
            ws.cell(ws.max_row, 6).alignment = WRAP
    table_sheet(ws, 1)
    ws.column_dimensions["F"].width = 90


def quality_sheet(ws: Worksheet, result: ReportResult) -> None:
    """Tables with their rows, unusable tables and warnings, then the issues under a filter."""
    quality: dict[str, Any] = result.data_quality
    ws.cell(1, 1, "Tables").font = BOLD
    # File last: its column is the issues' wide message column below
    header(ws, 2, ["Table", "Rows read", "Rows used", "Rows excluded", "File"], range(2, 5))
    for t in quality.get("tables", []):
        ws.append([cell_value(t[k]) for k in ("table", "rows_read", "rows_used",
                                               "rows_excluded", "file")])  # fmt: skip
        for c in range(2, 5):
            ws.cell(ws.max_row, c).number_format = "#,##0"
    if not quality.get("tables"):
        ws.append(["No table was read"])
    unusable = quality.get("unusable_tables", {})
    if unusable:
        _block(ws, "Unusable tables")
        header(ws, ws.max_row + 1, ["Table", "Reason"])
        for table, reason in unusable.items():
            ws.append([cell_value(table), cell_value(reason)])
    _block(ws, "Warnings")
    for warning in result.warnings or ["None"]:
        ws.append([cell_value(warning)])
    issues = quality.get("issues", [])
    _block(ws, f"Issues ({len(issues):,})")
    head = ws.max_row + 1
    header(ws, head, [f.capitalize() for f in ISSUE_FIELDS])
    for issue in issues[:MAX_ISSUES]:
        ws.append([cell_value(issue.get(f)) for f in ISSUE_FIELDS])
    if not issues:
        ws.append(["No issues found"])
        ws.cell(ws.max_row, 1).font = MUTED
    elif len(issues) > MAX_ISSUES:
        ws.append([f"{len(issues) - MAX_ISSUES:,} more: `csm validate -f csv` lists them all"])
    table_sheet(ws, head)
    ws.freeze_panes = None  # the filter is on the issues, which start below the tables
    fit_columns(ws)
    for letter, width in (("B", 12), ("C", 12), ("D", 14), ("E", 60), ("F", 50)):
        ws.column_dimensions[letter].width = width


def _block(ws: Worksheet, title: str) -> None:
    ws.append([])
    ws.append([title])
    ws.cell(ws.max_row, 1).font = BOLD
