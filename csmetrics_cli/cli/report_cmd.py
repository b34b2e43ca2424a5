"""`csm report`: the KPIs for a period, a trend or a segmentation."""

from __future__ import annotations

from typing import Annotated

import typer

from csmetrics_cli.cli import common, options


def report(
    period: options.Period = None,
    from_: options.From = None,
    to: options.To = None,
    data: options.Data = None,
    by: options.By = None,
    family: Annotated[
        options.Family | None, typer.Option("--family", help="Only this metric family.")
    ] = None,
    metrics: Annotated[
        str | None, typer.Option("--metrics", "-m", help="Comma-separated metric ids.")
    ] = None,
    fmt: options.FormatOpt = None,
    output: options.Output = None,
    strict: options.Strict = False,
    compare: Annotated[
        bool, typer.Option("--compare", help="Show the previous period and the change.")
    ] = False,
    config: options.ConfigFile = None,
    encoding: options.Encoding = None,
) -> None:
    """Compute customer-success KPIs for a period and print or write them.

    [bold]Examples[/]

      csm report --period 2024-06
      csm report --period 2024-Q2 --by plan --family revenue
      csm report --from 2024-01 --to 2024-06 --metrics mrr,customer_churn_rate
      csm report --period last-month --format csv --output reports/
    """
    from csmetrics_cli.report import build_report, quality_summary, select_metrics

    fmt_ = options.pick_format(fmt, output)
    if fmt_ is options.Format.xlsx and output is None:
        common.raise_usage("xlsx needs --output FILE (a workbook is not printable)")
    ids = [m.strip() for m in metrics.split(",") if m.strip()] if metrics else None
    specs = select_metrics(family.value if family else None, ids)
    ds = common.load_data(data, config, encoding)
    periods = options.resolve_periods(period, from_, to, ds.config.timezone)
    frame = build_report(ds, periods, specs, segment_by=by, compare=compare)
    common.report_issues(ds, strict)
    labels = [p.label for p in periods]
    span = labels[0] if len(labels) == 1 else f"{labels[0]}_{labels[-1]}"
    meta = {
        "periods": labels,
        "segment_by": by,
        "data": str(ds.root),
        "data_quality": quality_summary(ds) | {"issues": len(ds.issues)},
        "title": f"csm report {span}" + (f" by {by}" if by else ""),
    }
    common.emit(frame, fmt_, output, f"csm-report-{span}", meta, ds, ds.config.currency)
