"""`csm metrics`: the metric catalog, straight from csmetrics_cli/metrics/catalog.py."""

from __future__ import annotations

from csmetrics_cli.cli import common, options


def metrics(
    family: options.FamilyOpt = None,
    fmt: options.FormatOpt = None,
    as_json: options.Json = False,
    output: options.Output = None,
    quiet: options.Quiet = False,
    verbose: options.Verbose = False,
) -> None:
    """List every metric: id, name, family, unit, kind, formula and the inputs it needs.

    [bold]Examples[/]

      csm metrics
      csm metrics --family satisfaction
      csm metrics --format json | jq '.metrics[].id'
    """
    from csmetrics_cli import api

    common.start(quiet, verbose)
    fmt_ = options.pick_format(fmt, as_json, output, "metrics")
    common.emit(api.metrics(family.value if family else None), fmt_, output, "csm-metrics")
