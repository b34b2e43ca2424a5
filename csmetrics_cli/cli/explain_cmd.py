"""`csm explain`: a metric's formula with the period's numbers, and the customers behind it."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Annotated

import typer

from csmetrics_cli.cli import common, console, options

if TYPE_CHECKING:
    import pandas as pd


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

    spec = select_metrics(None, [metric])[0]
    ds = common.load_data(data, config, encoding)
    periods = options.resolve_periods(period, None, None, ds.config.timezone)
    ctx = Context(ds, periods, by)
    rows = compute(ctx, [spec])
    computed = spec.detail is not None and rows["value"].notna().any()
    detail = spec.detail(ctx) if computed and spec.detail is not None else None
    common.report_issues(ds, strict=False)
    if detail is not None:
        detail = detail[detail["period"].isin(rows["period"])]
        if "amount" in detail:
            detail = detail.sort_values("amount", ascending=False, key=abs)
        for column in detail.select_dtypes("datetime").columns:  # days, not epoch numbers
            detail[column] = detail[column].dt.strftime("%Y-%m-%d")
    if as_json:
        who = [] if detail is None else json.loads(detail.head(top).to_json(orient="records"))
        body = {"id": spec.id, "name": spec.name, "formula": spec.formula, "unit": spec.unit,
                "values": records(rows), "customers": who}  # fmt: skip
        print(json.dumps(body, indent=2))
        return
    from rich.markup import escape

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
        _print_detail(detail, spec.id, top)


def _print_detail(detail: pd.DataFrame, metric: str, top: int) -> None:
    """The rows behind a metric, biggest first, with totals of the numeric columns."""
    import pandas as pd
    from rich.table import Table
    from rich.text import Text

    columns = [c for c in detail.columns if c != "period"]
    numeric = [c for c in columns if pd.api.types.is_numeric_dtype(detail[c])]
    title = f"Behind {metric} (top {top} of {len(detail):,})"
    table = Table(title=title, title_justify="left")
    for column in columns:
        table.add_column(column, justify="right" if column in numeric else "left")

    def cell(column: str, value: object) -> Text:
        return Text(f"{value:,.2f}" if column in numeric else str(value))

    for row in detail.head(top)[columns].itertuples(index=False):
        table.add_row(*(cell(c, v) for c, v in zip(columns, row, strict=True)))
    if "amount" in numeric:  # money movements add up; scores do not
        table.add_section()
        totals = [cell(c, detail[c].sum()) if c in numeric else Text("") for c in columns]
        totals[0] = Text("total")
        table.add_row(*totals)
    console.out().print(table)
