"""Regenerate the terminal pictures in docs/img/ from sample_data (`make screenshots`)."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console

from csmetrics_cli import api
from csmetrics_cli.periods import month_range, parse_period
from csmetrics_cli.render import Env, renderer

IMG = Path(__file__).resolve().parent / "img"
WIDTH = 100


def _svg(result: object, kind: str, title: str, name: str, currency: str) -> None:
    console = Console(record=True, width=WIDTH, force_terminal=True, color_system="truecolor",
                      file=io.StringIO())  # fmt: skip
    console.print(renderer(kind, "table")(result, Env(currency, True, WIDTH)))
    (IMG / name).write_text(console.export_svg(title=title), encoding="utf-8")


def main() -> None:
    ds = api.open_data(Path("sample_data"))
    ids = ["mrr", "customers_end", "churn", "nrr", "grr", "arpu", "new_mrr", "churned_mrr"]
    trend = api.report(ds, month_range("2024-01", "2024-06"), api.select_metrics(None, ids))
    _svg(trend, "report", "csm report --from 2024-01 --to 2024-06", "terminal-trend.svg",
         ds.config.currency)  # fmt: skip
    at_risk = api.health(ds, parse_period("2024-06"), band="at_risk", top=6)
    _svg(at_risk, "health", "csm health --period 2024-06 --band at_risk --top 6",
         "terminal-health.svg", ds.config.currency)  # fmt: skip


if __name__ == "__main__":
    main()
