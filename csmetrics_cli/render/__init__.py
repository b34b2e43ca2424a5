"""Renderers, looked up by (result kind, format). They format a result; they never compute.

A renderer takes the result and the output environment and returns bytes (csv, json, md,
xlsx) or a rich renderable (table). Modules are imported only when their format is asked
for, so `csm metrics -f json` never loads openpyxl.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

KINDS = ("report", "explain", "health", "backtest", "validate", "metrics", "cache")
FORMATS = ("table", "csv", "json", "md", "xlsx", "html")
# (kind, format) -> "module:function" under csmetrics_cli.render
RENDERERS: dict[tuple[str, str], str] = {
    ("report", "table"): "table:report_table",
    ("report", "csv"): "flat:report_csv",
    ("report", "md"): "flat:report_markdown",
    ("report", "xlsx"): "xlsx:report_xlsx",
    ("report", "html"): "html:report_html",
    **{(kind, "json"): "flat:to_json" for kind in KINDS},
    **{(kind, "table"): "sections:as_table" for kind in KINDS if kind != "report"},
    **{(kind, "csv"): "sections:as_csv" for kind in KINDS if kind != "report"},
    **{(kind, "md"): "sections:as_markdown" for kind in KINDS if kind != "report"},
    ("health", "xlsx"): "sections:as_xlsx",
    ("health", "html"): "html:health_html",
}


@dataclass(frozen=True)
class Env:
    """Where the output goes: the currency to show, and whether tables may be box-drawn."""

    currency: str = ""
    boxed: bool = True  # False when piped or written to a file: plain aligned columns
    width: int | None = None  # columns a table must fit in (None: no limit)


def formats(kind: str) -> list[str]:
    """The formats a result kind can be written in, in FORMATS order."""
    return [f for f in FORMATS if (kind, f) in RENDERERS]


def renderer(kind: str, fmt: str) -> Callable[[Any, Env], Any]:
    """The function that writes a `kind` result as `fmt`."""
    module, _, name = RENDERERS[(kind, fmt)].partition(":")
    return getattr(importlib.import_module(f"csmetrics_cli.render.{module}"), name)  # type: ignore[no-any-return]
