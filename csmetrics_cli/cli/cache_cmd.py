"""`csm cache`: where the table cache is and how big, or empty it."""

from __future__ import annotations

from typing import Annotated

import typer

from csmetrics_cli.cli import common, options


def cache(
    action: Annotated[str, typer.Argument(help="info (default) or clear.")] = "info",
    fmt: options.FormatOpt = None,
    as_json: options.Json = False,
    output: options.Output = None,
    quiet: options.Quiet = False,
    verbose: options.Verbose = False,
) -> None:
    """Show the table cache (checked tables kept so the next report skips reading), or clear it.

    [bold]Examples[/]

      csm cache info
      csm cache clear
    """
    from csmetrics_cli import api

    common.start(quiet, verbose)
    if action not in ("info", "clear"):
        raise options.usage(f"unknown cache action {action!r}: use info or clear")
    fmt_ = options.pick_format(fmt, as_json, output, "cache")
    common.emit(api.cache_info(clear=action == "clear"), fmt_, output, "csm-cache")
