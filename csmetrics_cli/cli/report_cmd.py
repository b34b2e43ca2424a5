"""`csm report`: the KPIs for a period, a trend or a segmentation."""

from __future__ import annotations

from typing import Annotated

import typer

from csmetrics_cli.cli import common, options


def report(
    period: options.Period = None,
    from_: options.From = None,
    to: options.To = None,
    by: options.By = None,
    family: options.FamilyOpt = None,
    metrics: options.Metrics = None,
    compare: Annotated[
        bool, typer.Option("--compare", help="Show the previous period and the change.")
    ] = False,
    ci: options.Ci = False,
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
    """Compute customer-success KPIs for a period and print or write them.

    [bold]Examples[/]

      csm report --period 2024-06
      csm report --period 2024-Q2 --by plan --family revenue
      csm report --period 2024-06 --ci
      csm report --from 2024-01 --to 2024-06 --metrics mrr,churn,nrr
      csm report --period last-month --format csv --output reports/ --quiet
    """
    from csmetrics_cli import api

    common.start(quiet, verbose)
    fmt_ = options.pick_format(fmt, as_json, output, "report")
    specs = api.select_metrics(family, options.parse_metric_ids(metrics))
    defines = options.parse_defines(define)
    options.resolve_periods(period, from_, to)
    ds = common.open_data(data, config, encoding, no_cache, defines, options.check_engine(engine))
    periods = options.resolve_periods(period, from_, to, ds.config.timezone)
    result = api.report(ds, periods, specs, segment_by=by, compare=compare, show_ci=ci)
    common.finish(ds, strict, result.warnings, common.rerun("validate", data, config))
    common.emit(result, fmt_, output, common.file_name("report", result.periods), ds)
