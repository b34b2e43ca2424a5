"""`csm health`: every paying customer's health score, band and components; or the backtest."""

from __future__ import annotations

import json
import math
import numbers
from typing import TYPE_CHECKING, Annotated, Any

import typer

from csmetrics_cli.cli import common, console, options

if TYPE_CHECKING:
    import pandas as pd

    from csmetrics_cli.health.model import HealthModel


def health(
    period: options.Period = None,
    from_: options.From = None,
    to: options.To = None,
    data: options.Data = None,
    band: Annotated[
        str | None, typer.Option("--band", help="Only healthy, needs_attention or at_risk.")
    ] = None,
    top: Annotated[int, typer.Option("--top", help="Show the N lowest scores (0 = all).")] = 0,
    backtest: Annotated[
        bool, typer.Option("--backtest", help="Score past month ends and follow churn after.")
    ] = False,
    horizon: Annotated[
        int | None,
        typer.Option("--horizon", help="Backtest months to follow. Default: backtest_months (3)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    config: options.ConfigFile = None,
    encoding: options.Encoding = None,
) -> None:
    """Score customers at the period's end snapshot, or backtest the score against churn.

    [bold]Examples[/]

      csm health --period 2024-06 --band at_risk --top 20
      csm health --period 2024-06 --json > health.json
      csm health --backtest --from 2023-06 --to 2024-09 --horizon 3
    """
    import numpy as np

    from csmetrics_cli.health.model import BANDS, HealthModel, score

    if band is not None and band not in BANDS:
        common.raise_usage(f"unknown band '{band}'", f"one of: {', '.join(BANDS)}")
    ds = common.load_data(data, config, encoding)
    periods = options.resolve_periods(period, from_, to, ds.config.timezone)
    model = HealthModel.from_config(ds.config)
    from csmetrics_cli.engine.context import Context

    customers = Context(ds, periods).customers()
    if backtest:
        from csmetrics_cli.health.backtest import outcomes, summarise

        days = [np.datetime64(m.end_snapshot, "D") for p in periods for m in p.months()]
        months = horizon or ds.config.backtest_months
        body = summarise(outcomes(ds, customers, days, months, model))
        body["horizon_months"] = months
        common.report_issues(ds, strict=False)
        if as_json:
            print(json.dumps(body, indent=2, allow_nan=False))
        else:
            _print_backtest(body)
        return
    day = np.datetime64(periods[-1].end_snapshot, "D")
    frame = score(ds, customers, day, model)
    frame = frame[frame["mrr"] > 0].sort_values("score")
    if band is not None:
        frame = frame[frame["band"] == band]
    if top:
        frame = frame.head(top)
    common.report_issues(ds, strict=False)
    if as_json:
        print(json.dumps(_records(frame, str(day), model), indent=2, allow_nan=False))
    else:
        _print_customers(frame, str(day))


def _records(frame: pd.DataFrame, day: str, model: HealthModel) -> dict[str, Any]:
    from csmetrics_cli.health.model import COMPONENTS

    def num(v: object) -> float | None:
        """A finite float, else None (strict JSON has no NaN or Infinity)."""
        f = float(v) if isinstance(v, numbers.Real) else math.nan
        return f if math.isfinite(f) else None

    def text(v: object) -> str | None:
        return v if isinstance(v, str) else None

    customers = []
    for r in frame.rename_axis("customer_id").reset_index().to_dict("records"):
        components = {c: num(r[c]) for c in COMPONENTS}
        customers.append(
            {
                "customer_id": r["customer_id"],
                "score": num(r["score"]),
                "band": text(r["band"]),
                "unscored_reason": text(r.get("unscored_reason")),
                "mrr": num(r["mrr"]),
                "components": components,
            }
        )
    return {"snapshot": day, "weights": model.weights,
            "bands": {"healthy": model.healthy, "at_risk": model.at_risk},
            "customers": customers}  # fmt: skip


def _print_customers(frame: pd.DataFrame, day: str) -> None:
    from rich.table import Table
    from rich.text import Text

    from csmetrics_cli.health.model import COMPONENTS

    colours = {"healthy": "green", "needs_attention": "yellow", "at_risk": "red"}
    table = Table(
        title=f"Customer health on {day} ({len(frame):,} customers)", title_justify="left"
    )
    for column in ("customer", "score", "band", "mrr", *COMPONENTS):
        table.add_column(column, justify="left" if column in ("customer", "band") else "right")
    for r in frame.rename_axis("customer_id").reset_index().to_dict("records"):
        parts = ["-" if r[c] != r[c] else f"{r[c]:.0f}" for c in COMPONENTS]
        band = Text(str(r["band"]), colours.get(r["band"], ""))
        table.add_row(Text(str(r["customer_id"])), f"{r['score']:.1f}", band,
                      f"{r['mrr']:,.2f}", *parts)  # fmt: skip
    console.out().print(table)


def _print_backtest(body: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title=f"Backtest: churn within {body['horizon_months']} months by band",
                  title_justify="left")  # fmt: skip
    for column in ("band", "customers", "churned", "churn rate"):
        table.add_column(column, justify="left" if column == "band" else "right")
    for b in body["bands"]:
        rate = "-" if b["churn_rate"] is None else f"{b['churn_rate']:.1f}%"
        table.add_row(b["band"], f"{b['customers']:,}", f"{b['churned']:,}", rate)
    console.out().print(table)
    auc = body["auc"]
    console.out().print(f"AUC {auc:.3f}" if auc is not None else "AUC: no churners or no stayers")
