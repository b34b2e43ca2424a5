"""`csm explain`: a metric's formula with the period's numbers, and the customers behind it."""

from __future__ import annotations

import json
from typing import Annotated

import typer

from csmetrics_cli.cli import common, console, options


def explain(
    metric: Annotated[str, typer.Argument(help="Metric id, e.g. net_revenue_retention.")],
    period: options.Period = None,
    data: options.Data = None,
    by: options.By = None,
    top: Annotated[int, typer.Option("--top", help="Customers to list per term.")] = 15,
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
    config: options.ConfigFile = None,
    encoding: options.Encoding = None,
) -> None:
    """Show how a metric was computed for a period: formula, numbers, and who is behind them.

    [bold]Examples[/]

      csm explain customer_churn_rate --period 2024-06
      csm explain net_revenue_retention --period 2024-Q2 --by plan
    """
    from csmetrics_cli.engine.context import Context
    from csmetrics_cli.metrics.compute import compute
    from csmetrics_cli.render.cells import human, is_null
    from csmetrics_cli.render.flat import records
    from csmetrics_cli.report import select_metrics

    periods = options.resolve_periods(period, None, None)
    spec = select_metrics(None, [metric])[0]
    ds = common.load_data(data, config, encoding)
    ctx = Context(ds, periods, by)
    rows = compute(ctx, [spec])
    detail = (
        spec.detail(ctx) if spec.detail is not None and not rows["note"].notna().all() else None
    )
    common.report_issues(ds, strict=False)
    if detail is not None:
        detail = detail.sort_values("amount", ascending=False, key=abs)
    if as_json:
        who = [] if detail is None else json.loads(detail.head(top).to_json(orient="records"))
        body = {"id": spec.id, "name": spec.name, "formula": spec.formula, "unit": spec.unit,
                "values": records(rows), "customers": who}  # fmt: skip
        print(json.dumps(body, indent=2))
        return
    from rich.markup import escape
    from rich.text import Text

    out = console.out()
    out.print(f"[bold]{spec.name}[/] ([cyan]{spec.id}[/], {spec.family}, {spec.unit})")
    out.print(f"  formula: {escape(spec.formula)}", highlight=False)
    out.print(f"  inputs:  {', '.join(spec.inputs)}", highlight=False)
    for r in rows.itertuples(index=False):
        where = r.period + ("" if is_null(r.segment) else f" {by}={r.segment}")
        item = "" if is_null(r.item) else f" [{r.item}]"
        line = f"  {escape(where + item)}: [bold]{human(r.value, r.unit)}[/]"
        if not is_null(r.numerator) and not is_null(r.denominator):
            line += f"  = {r.numerator:,.2f} / {r.denominator:,.2f}"
        if r.note:
            line += f"  ({escape(r.note)})"
        out.print(line, highlight=False)
    if detail is not None and len(detail):
        from rich.table import Table

        table = Table(
            title=f"Customers behind {spec.id} (top {top} of {len(detail):,})", title_justify="left"
        )
        for column in ("customer_id", "m0", "m1", "amount"):
            table.add_column(column, justify="left" if column == "customer_id" else "right")
        for d in detail.head(top).itertuples(index=False):
            table.add_row(
                Text(str(d.customer_id)), f"{d.m0:,.2f}", f"{d.m1:,.2f}", f"{d.amount:,.2f}"
            )
        table.add_section()
        table.add_row("total", f"{detail['m0'].sum():,.2f}", f"{detail['m1'].sum():,.2f}",
                      f"{detail['amount'].sum():,.2f}")  # fmt: skip
        out.print(table)
