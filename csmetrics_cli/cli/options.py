"""Options shared by several commands (Annotated types), and their parsing helpers."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from csmetrics_cli import periods  # standard library only: fine on the --help path


class Format(StrEnum):
    table = "table"
    csv = "csv"
    json = "json"
    xlsx = "xlsx"
    md = "md"


class Family(StrEnum):
    revenue = "revenue"
    engagement = "engagement"
    health = "health"
    satisfaction = "satisfaction"


Data = Annotated[
    Path | None,
    typer.Option("--data", "-d", help="Folder of exports, or one .xlsx workbook. "
                 "Default: ./sample_data.", show_default=False),
]  # fmt: skip
ConfigFile = Annotated[
    Path | None,
    typer.Option("--config", help="csm.toml to use. Default: beside the data, else ./csm.toml."),
]
Encoding = Annotated[
    str | None, typer.Option("--encoding", help="Text encoding of CSV files (e.g. cp1252).")
]
Period = Annotated[
    str | None,
    typer.Option("--period", "-p", help="2024-06, 2024-Q2, 2024, 2024-W23, "
                 "2024-06-01..2024-06-15, last-month, this-month, last-quarter."),
]  # fmt: skip
From = Annotated[str | None, typer.Option("--from", help="First month of a monthly trend.")]
To = Annotated[str | None, typer.Option("--to", help="Last month of a monthly trend.")]
By = Annotated[
    str | None,
    typer.Option("--by", "-b", help="Segment column: plan, region, csm_owner, industry..."),
]
FormatOpt = Annotated[
    Format | None,
    typer.Option("--format", "-f", help="Output format. Default: table on a terminal, "
                 "csv when piped.", show_default=False),
]  # fmt: skip
Output = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="File or folder to write (atomically) instead of stdout."),
]
Strict = Annotated[
    bool, typer.Option("--strict", help="Fail (exit 1) when any row had to be excluded.")
]


def resolve_periods(
    period: str | None, first: str | None, last: str | None, timezone: str = "UTC"
) -> list[periods.Period]:
    """--period, or --from/--to for one period per month; bad text is a usage error (exit 2).

    Relative periods (last-month...) count from today in the reporting time zone.
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(timezone)).date()
    try:
        if first or last:
            if period:
                raise typer.BadParameter("give either --period or --from/--to, not both")
            if not (first and last):
                raise typer.BadParameter("--from and --to go together")
            return periods.month_range(first, last, today)
        if not period:
            raise typer.BadParameter("--period is required (or --from and --to)")
        return [periods.parse_period(period, today)]
    except periods.PeriodError as exc:
        raise typer.BadParameter(str(exc)) from exc


def pick_format(fmt: Format | None, output: Path | None) -> Format:
    """The explicit format, else from the output file's suffix, else table/csv by terminal."""
    import sys

    if fmt is not None:
        return fmt
    if output is not None and output.suffix.lstrip(".") in Format.__members__:
        return Format(output.suffix.lstrip("."))
    return Format.table if sys.stdout.isatty() and output is None else Format.csv
