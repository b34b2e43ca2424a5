"""`csm metrics`: the metric catalog, straight from the registry."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from csmetrics_cli.cli import console


def metrics(
    family: Annotated[str | None, typer.Option("--family", help="Only this family.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalog as JSON.")] = False,
    fmt: Annotated[
        str | None, typer.Option("--format", "-f", help="table (default) or json.")
    ] = None,
) -> None:
    """List every metric: id, name, family, unit, formula and the inputs it needs.

    [bold]Examples[/]

      csm metrics
      csm metrics --family satisfaction
      csm metrics --format json | jq '.[].id'
    """
    from csmetrics_cli.metrics.compute import catalog

    specs = [s for s in catalog() if family is None or s.family == family]
    if as_json or fmt == "json":
        rows = [
            {
                "id": s.id,
                "name": s.name,
                "family": s.family,
                "unit": s.unit,
                "formula": s.formula,
                "inputs": list(s.inputs),
                "itemised": s.itemised,
            }
            for s in specs
        ]
        print(json.dumps(rows, indent=2))
        return
    from rich.table import Table

    table = Table(title="csm metrics", title_justify="left")
    for column in ("id", "family", "unit", "formula", "inputs"):
        table.add_column(column, overflow="fold")
    for s in specs:
        table.add_row(s.id, s.family, s.unit, s.formula, ", ".join(s.inputs))
    console.out().print(table)
