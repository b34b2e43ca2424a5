"""`csm validate`: the data-quality report - every table's row accounting and every issue."""

from __future__ import annotations

import json
from typing import Annotated, Any

import typer

from csmetrics_cli.cli import common, console, options


def validate(
    data: options.Data = None,
    fmt: Annotated[str, typer.Option("--format", "-f", help="table or json.")] = "table",
    limit: Annotated[
        int, typer.Option("--limit", help="Issues to list in the table (0 = all).")
    ] = 50,
    strict: options.Strict = False,
    config: options.ConfigFile = None,
    encoding: options.Encoding = None,
) -> None:
    """Read every table, check every row, and report what would be excluded and why.

    Exit 1 when something blocks a report (a required table or column is missing), or
    with --strict when any row is excluded.

    [bold]Examples[/]

      csm validate --data exports/
      csm validate --data billing.xlsx --format json > quality.json
    """
    from csmetrics_cli.report import quality_summary

    ds = common.load_data(data, config, encoding)
    ds.load()
    summary = quality_summary(ds)
    if fmt == "json":
        print(json.dumps(summary, indent=2, default=str))
    else:
        _print(summary, limit)
    if strict and (ds.issues or ds.unusable):
        raise typer.Exit(1)


def _print(summary: dict[str, Any], limit: int) -> None:
    from collections import Counter

    from rich.table import Table
    from rich.text import Text

    tables = Table(title="Tables", title_justify="left")
    for column in ("table", "file", "rows read", "used", "excluded"):
        tables.add_column(column, justify="right" if column[0] in "rue" else "left")
    for t in summary["tables"]:
        tables.add_row(t["table"], Text(t["file"]), f"{t['rows_read']:,}", f"{t['rows_used']:,}",
                       f"{t['rows_excluded']:,}")  # fmt: skip
    for name in summary["unusable_tables"]:
        tables.add_row(name, Text("skipped: see below"), "-", "-", "-")
    console.out().print(tables)
    issues = summary["issues"]
    if not issues:
        console.out().print("[green]No problems found.[/]")
        return
    counts = Counter((i["table"], i["code"], i["column"]) for i in issues)
    by_code = Table(title="Problems", title_justify="left")
    for column in ("table", "code", "column", "rows"):
        by_code.add_column(column)
    for (table, code, column), n in counts.most_common():
        by_code.add_row(table or "", code, column or "", f"{n:,}")
    console.out().print(by_code)
    detail = Table(title="Issues", title_justify="left")
    for column in ("file", "row", "column", "problem", "fix"):
        detail.add_column(column, overflow="fold")
    shown = issues if limit == 0 else issues[:limit]
    for i in shown:
        cells = (i["file"] or "", str(i["row"] or ""), i["column"] or "", i["message"], i["hint"])
        detail.add_row(*(Text(c) for c in cells))
    console.out().print(detail)
    if len(shown) < len(issues):
        console.say(
            f"{len(issues) - len(shown):,} more issues: --limit 0 lists all, --format json too"
        )
