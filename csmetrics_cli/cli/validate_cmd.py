"""`csm validate`: the data-quality report - every table's row accounting and every issue."""

from __future__ import annotations

from typing import Annotated

import typer

from csmetrics_cli.cli import common, options


def validate(
    limit: Annotated[
        int, typer.Option("--limit", min=0, help="Issues to list in the table (0 = all).")
    ] = 50,
    strict: options.Strict = False,
    data: options.Data = None,
    config: options.ConfigFile = None,
    encoding: options.Encoding = None,
    no_cache: options.NoCache = False,
    fmt: options.FormatOpt = None,
    as_json: options.Json = False,
    output: options.Output = None,
    quiet: options.Quiet = False,
    verbose: options.Verbose = False,
) -> None:
    """Read every table, check every row, and report what would be excluded and why.

    Exit 1 when a required table or column is missing, or with --strict when any row is
    excluded (rows a csm.toml where/dedupe rule leaves out do not count) or any table
    skipped. CSV lists every issue.

    [bold]Examples[/]

      csm validate --data exports/
      csm validate --data billing.xlsx --format json > quality.json
    """
    from csmetrics_cli import api
    from csmetrics_cli.problems import CsmError

    common.start(quiet, verbose)
    fmt_ = options.pick_format(fmt, as_json, output, "validate")
    ds = common.open_data(data, config, encoding, no_cache)
    result = api.validate(ds, limit)
    common.emit(result, fmt_, output, "csm-validate", ds)
    if strict and (any(not i.deliberate for i in ds.issues) or ds.unusable):
        raise CsmError("--strict: the input has problems (listed above)")
