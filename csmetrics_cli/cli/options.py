"""The options every command shares (Annotated types), their enums, and their parsing.

Standard library, Typer and the catalog only: nothing here loads pandas, so `--help` and
shell completion stay fast.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from csmetrics_cli import periods
from csmetrics_cli.definitions import PROFILES
from csmetrics_cli.metrics.catalog import ALIASES, CATALOG
from csmetrics_cli.metrics.spec import FAMILIES
from csmetrics_cli.render import FORMATS

Format = StrEnum("Format", {f: f for f in FORMATS})  # type: ignore[misc]
Family = StrEnum("Family", {f: f for f in FAMILIES})  # type: ignore[misc]
Profile = StrEnum("Profile", {p: p for p in PROFILES})  # type: ignore[misc]
# The formats whose output is for people: chosen on a terminal; the rest are for files.
FILE_SUFFIXES = {f: f for f in ("csv", "json", "md", "xlsx", "html")} | {"txt": "table"}


def _complete_metrics(incomplete: str) -> list[str]:
    """Shell completion for --metrics: ids (and aliases) after the last comma."""
    done, _, last = incomplete.rpartition(",")
    prefix = f"{done}," if done else ""
    return [prefix + m for m in [s.id for s in CATALOG] + list(ALIASES) if m.startswith(last)]


def _header_row(folder: Path, table: str) -> list[str]:
    """The header cells of `table`'s text file under `folder` (csv module, first row only)."""
    import csv
    import gzip

    for path in sorted(folder.glob(f"{table}.*")) if folder.is_dir() else []:
        if path.suffix.lower() in (".csv", ".tsv", ".txt", ".gz"):
            opener = gzip.open if path.suffix.lower() == ".gz" else open
            with opener(path, "rt", encoding="utf-8-sig", errors="replace") as handle:
                return [h.strip() for h in next(csv.reader(handle), []) if h.strip()]
    return []


def _complete_segments(ctx: typer.Context, incomplete: str) -> list[str]:
    """Shell completion for --by: plan and status, the extra headers of the customers and
    subscriptions files under --data, and the text headers of tickets and surveys (header
    rows only, no pandas)."""
    from csmetrics_cli.contracts.schema import SCHEMAS  # standard library only

    folder = Path(ctx.params.get("data") or "sample_data")
    names = ["plan", "status"]
    for table in ("customers", "subscriptions", "tickets", "surveys"):
        schema = SCHEMAS[table]
        typed = {c.name for c in schema.columns if c.kind != "text" or c.choices}
        skip = set(schema.column_names) if table in ("customers", "subscriptions") else typed
        names += [h for h in _header_row(folder, table) if h.lower() not in skip]
    return [n for n in dict.fromkeys(names) if n.startswith(incomplete)]


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
    typer.Option(
        "--by",
        "-b",
        help="Segment column: plan, region, csm_owner, industry...",
        autocompletion=_complete_segments,
    ),
]
FamilyOpt = Annotated[
    Family | None, typer.Option("--family", help="Only this metric family.", show_default=False)
]
Metrics = Annotated[
    str | None,
    typer.Option("--metrics", "-m", help="Comma-separated metric ids (or nrr, grr, ltv...).",
                 autocompletion=_complete_metrics),
]  # fmt: skip
FormatOpt = Annotated[
    Format | None,
    typer.Option("--format", "-f", help="table, csv, json, md (xlsx and html for report and "
                 "health). "
                 "Default: from the --output suffix, else table on a terminal and csv when "
                 "piped.", show_default=False),
]  # fmt: skip
Json = Annotated[bool, typer.Option("--json", help="Same as --format json.")]
Output = Annotated[
    str | None,
    typer.Option("--output", "-o", help="File, or folder (DIR/) to write csm-<command>-<period>"
                 ".<ext> into, atomically, instead of stdout.", show_default=False),
]  # fmt: skip
Strict = Annotated[
    bool,
    typer.Option("--strict", help="Fail (exit 1) on any excluded row, unknown customer or "
                 "stale period."),
]  # fmt: skip
NoCache = Annotated[
    bool,
    typer.Option("--no-cache", help="Read and check every table again instead of using the "
                 "table cache (csm cache info).", show_default=False),
]  # fmt: skip
Ci = Annotated[
    bool,
    typer.Option("--ci", help="Show each rate's 95% interval in the table (CSV, JSON, HTML and "
                 "XLSX always carry ci_low/ci_high)."),
]  # fmt: skip
Define = Annotated[
    list[str] | None,
    typer.Option("--define", "-D", help="A definition switch for this run, KEY=VALUE "
                 "(repeatable), over csm.toml's [definitions]: churn_denominator=average, "
                 "profile=chartmogul... docs/definitions.md lists them.", show_default=False,
                 metavar="KEY=VALUE"),
]  # fmt: skip
EngineOpt = Annotated[
    str,
    typer.Option("--engine", help="Where the events aggregation runs: duckdb (in process) or "
                 "spark (SparkSession.builder.getOrCreate(); needs pip install "
                 "'csmetrics-cli[spark]').", case_sensitive=False),
]  # fmt: skip
Quiet = Annotated[bool, typer.Option("--quiet", "-q", help="Only warnings and errors on stderr.")]
Verbose = Annotated[
    bool, typer.Option("--verbose", "-v", help="Timings of each step and rows read per table.")
]


ENGINES = ("duckdb", "spark")


def check_engine(engine: str) -> str:
    """The --engine name, lower-cased; a usage error when unknown or not installed."""
    from csmetrics_cli.problems import UsageError

    name = engine.lower()
    if name not in ENGINES:
        raise UsageError(f"unknown engine '{engine}'", hint=f"one of: {', '.join(ENGINES)}")
    if name == "spark":
        from csmetrics_cli.engine.events_spark import require_spark

        require_spark()
    return name


def usage(message: str) -> typer.BadParameter:
    """A usage error (exit 2) that click prints with the command's usage line."""
    return typer.BadParameter(message)


def parse_where(filters: list[str] | None) -> dict[str, str]:
    """COLUMN=VALUE texts as a dict; anything else is a usage error."""
    out: dict[str, str] = {}
    for text in filters or []:
        column, sep, value = text.partition("=")
        if not sep or not column.strip():
            raise usage(f"--where {text!r}: write COLUMN=VALUE, e.g. --where plan=pro")
        out[column.strip()] = value.strip()
    return out


def parse_defines(texts: list[str] | None) -> dict[str, object]:
    """--define KEY=VALUE texts as checked switch values; an unknown key or value is a usage
    error (exit 2) that lists the valid ones."""
    from csmetrics_cli.definitions import DefinitionError, parse_define

    out: dict[str, object] = {}
    for text in texts or []:
        try:
            key, value = parse_define(text)
        except DefinitionError as exc:
            raise usage(str(exc)) from exc
        out[key] = value
    return out


def parse_metric_ids(text: str | None) -> list[str] | None:
    return [m.strip() for m in text.split(",") if m.strip()] if text else None


def resolve_periods(
    period: str | None, first: str | None, last: str | None, timezone: str = "UTC"
) -> list[periods.Period]:
    """--period, or --from/--to for one period per month; bad text is a usage error (exit 2).

    Relative periods (last-month...) count from today in the reporting time zone. Commands
    call this once before reading any data (in UTC: the syntax does not depend on the zone)
    and again with the configured zone.
    """
    from datetime import datetime
    from zoneinfo import ZoneInfo

    today = datetime.now(ZoneInfo(timezone)).date()
    try:
        if first or last:
            if period:
                raise usage("give either --period or --from/--to, not both")
            if not (first and last):
                raise usage("--from and --to go together")
            return periods.month_range(first, last, today)
        if not period:
            raise usage("--period is required (or --from and --to)")
        return [periods.parse_period(period, today)]
    except periods.PeriodError as exc:
        raise usage(str(exc)) from exc


def pick_format(fmt: Format | None, as_json: bool, output: str | None, kind: str) -> str:
    """The explicit format, else the output file's suffix, else table on a terminal / csv.

    A format the command cannot write is a usage error, checked before any data is read.
    """
    import sys

    from csmetrics_cli.render import formats

    if as_json:
        if fmt is not None and fmt.value != "json":
            raise usage(f"--json and --format {fmt.value} disagree")
        chosen = "json"
    elif fmt is not None:
        chosen = fmt.value
    elif output is not None and not output.endswith(("/", "\\")) and "." in Path(output).name:
        suffix = Path(output).suffix.lstrip(".").lower()
        chosen = FILE_SUFFIXES.get(suffix, "csv")
    else:
        chosen = "table" if output is None and sys.stdout.isatty() else "csv"
    allowed = formats(kind)
    if chosen not in allowed:
        raise usage(f"csm {kind} cannot write {chosen}; formats: {', '.join(allowed)}")
    if chosen == "xlsx" and output is None:
        raise usage("xlsx needs --output FILE (a workbook is not printable)")
    if chosen == "html":
        from importlib.util import find_spec

        if find_spec("vl_convert") is None:
            raise usage("--format html needs the html extra: pip install 'csmetrics-cli[html]'")
    return chosen
