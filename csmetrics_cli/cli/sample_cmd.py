"""`csm sample`: write a realistic synthetic data set in the canonical format."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from csmetrics_cli.cli import common, console, options


def sample(
    output: Annotated[Path, typer.Option("--output", "-o", help="Folder to write into.")],
    customers: Annotated[
        int, typer.Option("--customers", "-n", min=1, help="How many customers.")
    ] = 1500,
    seed: Annotated[int, typer.Option("--seed", help="Random seed (same seed, same files).")] = 7,
    workbook: Annotated[
        bool, typer.Option("--workbook/--no-workbook", help="Also write excel/csm_sample.xlsx.")
    ] = False,
    quiet: options.Quiet = False,
    verbose: options.Verbose = False,
) -> None:
    """Generate customers, subscriptions, invoices, surveys, tickets, events, onboarding, costs.

    [bold]Examples[/]

      csm sample --output demo/
      csm sample --output big/ --customers 100000 --seed 1
    """
    from csmetrics_cli.problems import CsmError
    from csmetrics_cli.sample import write_sample

    common.start(quiet, verbose)
    try:
        with console.progress("Generating sample data"):
            paths = write_sample(output, customers=customers, seed=seed, workbook=workbook,
                                 on_table=lambda name: console.say(f"  wrote {name}"))  # fmt: skip
    except ValueError as exc:  # a table too large for one Excel sheet
        raise CsmError(str(exc), hint="drop --workbook, or ask for fewer --customers") from exc
    console.say(f"Wrote {len(paths)} files to {output}")
