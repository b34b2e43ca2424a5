"""`csm health`: every paying customer's health score, band and components; or the backtest."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from csmetrics_cli.cli import common, options


class Band(StrEnum):
    healthy = "healthy"
    needs_attention = "needs_attention"
    at_risk = "at_risk"
    unscored = "unscored"


def health(
    period: options.Period = None,
    from_: options.From = None,
    to: options.To = None,
    band: Annotated[
        Band | None, typer.Option("--band", help="Only this band.", show_default=False)
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(
            "--top",
            min=0,
            help="Show the N lowest scores (0 = all). Default: 20 in a table, all in files.",
            show_default=False,
        ),
    ] = None,
    by: Annotated[
        str | None, typer.Option("--by", "-b", help="Group the list: csm_owner, plan, region...")
    ] = None,
    where: Annotated[
        list[str] | None,
        typer.Option(
            "--where", "-w", help="Only rows where COLUMN=VALUE (repeatable).", show_default=False
        ),
    ] = None,
    backtest: Annotated[
        bool, typer.Option("--backtest", help="Score past month ends and follow churn after.")
    ] = False,
    horizon: Annotated[
        int | None,
        typer.Option(
            "--horizon",
            min=1,
            max=60,
            help="Backtest months to follow. Default: backtest_months (3).",
        ),
    ] = None,
    strict: options.Strict = False,
    data: options.Data = None,
    config: options.ConfigFile = None,
    encoding: options.Encoding = None,
    no_cache: options.NoCache = False,
    define: options.Define = None,
    engine: options.EngineOpt = "duckdb",
    fmt: options.FormatOpt = None,
    as_json: options.Json = False,
    output: options.Output = None,
    quiet: options.Quiet = False,
    verbose: options.Verbose = False,
) -> None:
    """Score customers at the period's end snapshot, or backtest the score against churn.

    [bold]Examples[/]

      csm health --period 2024-06
      csm health --period 2024-06 --band at_risk --where csm_owner="Priya Shah"
      csm health --period 2024-06 --band at_risk --by csm_owner -o monday.csv
      csm health --backtest --from 2023-06 --to 2024-09 --horizon 3
    """
    from csmetrics_cli import api

    common.start(quiet, verbose)
    fmt_ = options.pick_format(fmt, as_json, output, "backtest" if backtest else "health")
    options.resolve_periods(period, from_, to)
    filters = options.parse_where(where)
    defines = options.parse_defines(define)
    if top is None:  # a person sees the summary and the 20 lowest; a file gets everyone
        top = 20 if fmt_ in ("table", "md") and not (band or filters or by) else 0
    ds = common.open_data(data, config, encoding, no_cache, defines, options.check_engine(engine))
    periods = options.resolve_periods(period, from_, to, ds.config.timezone)
    labels = [p.label for p in periods]
    if backtest:
        result: api.BacktestResult | api.HealthResult = api.backtest(
            ds, periods, horizon or ds.config.backtest_months
        )
        name = common.file_name("backtest", labels)
    else:
        result = api.health(ds, periods[-1], band.value if band else None, top, filters, by)
        name = common.file_name("health", labels[-1:])
    common.finish(ds, strict, validate_hint=common.rerun("validate", data, config))
    common.emit(result, fmt_, output, name, ds)
