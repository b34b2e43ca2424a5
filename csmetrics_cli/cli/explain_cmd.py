"""`csm explain`: a metric's formula with the period's numbers, and the customers behind it."""

from __future__ import annotations

from typing import Annotated

import typer

from csmetrics_cli.cli import common, options
from csmetrics_cli.metrics.catalog import ALIASES, CATALOG


def _complete(incomplete: str) -> list[str]:
    return [m for m in [s.id for s in CATALOG] + list(ALIASES) if m.startswith(incomplete)]


def explain(
    metric: Annotated[
        str,
        typer.Argument(help="Metric id (or nrr, grr, ltv, churn...).", autocompletion=_complete),
    ],
    period: options.Period = None,
    by: options.By = None,
    top: Annotated[int, typer.Option("--top", min=1, help="Rows to list behind the figure.")] = 15,
    against: Annotated[
        options.Profile | None,
        typer.Option(
            "--against",
            help="Also compute the metric under this profile's "
            "definitions, and list the customers the two count differently.",
            show_default=False,
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
    """Show how a metric was computed for a period: formula, numbers, and who is behind them.

    [bold]Examples[/]

      csm explain customer_churn_rate --period 2024-06
      csm explain nrr --period 2024-Q2 --by plan
      csm explain nps --period 2024-06 --format csv > answers.csv
      csm explain churn --period 2024-06 --against profitwell
    """
    from csmetrics_cli import api

    common.start(quiet, verbose)
    fmt_ = options.pick_format(fmt, as_json, output, "explain")
    spec = api.select_metrics(None, [metric])[0]
    defines = options.parse_defines(define)
    options.resolve_periods(period, None, None)
    ds = common.open_data(data, config, encoding, no_cache, defines, options.check_engine(engine))
    period_ = options.resolve_periods(period, None, None, ds.config.timezone)[0]
    result = api.explain(ds, spec, period_, by, top, against.value if against else None)
    common.finish(ds, strict, validate_hint=common.rerun("validate", data, config))
    common.emit(result, fmt_, output, f"csm-explain-{spec.id}-{period_.label}", ds)
