"""Helpers the commands share: opening the data, summarising excluded rows, emitting output."""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csmetrics_cli.cli import console
from csmetrics_cli.cli.options import Format

if TYPE_CHECKING:
    import pandas as pd

    from csmetrics_cli.contracts.dataset import Dataset


def load_data(data: Path | None, config: Path | None, encoding: str | None) -> Dataset:
    """Open --data (or ./sample_data) with its config; tables load lazily later."""
    from csmetrics_cli.report import default_data, open_dataset

    return open_dataset(default_data(data, console.say), config, encoding, console.progress)


def report_issues(data: Dataset, strict: bool) -> None:
    """One stderr line per table with excluded rows; --strict makes any of them fatal."""
    from rich.markup import escape

    from csmetrics_cli.problems import CsmError

    for name, why in data.unusable.items():
        console.err().print(f"[yellow]warning:[/] {name} skipped: {escape(why)}", highlight=False)
    excluded = {r.file: r.rows_excluded for r in data.reports.values() if r.rows_excluded}
    if excluded:
        parts = ", ".join(f"{n} in {f}" for f, n in excluded.items())
        console.err().print(
            f"[yellow]warning:[/] excluded {sum(excluded.values())} rows ({parts}); "
            "`csm validate` lists them",
            highlight=False,
        )
    if strict and (data.issues or data.unusable):
        raise CsmError("--strict: the input has problems", hint="run `csm validate` to see them")


def emit(
    frame: pd.DataFrame,
    fmt: Format,
    output: Path | None,
    name: str,
    meta: dict[str, Any],
    data: Dataset | None = None,
    currency: str = "",
) -> None:
    """Render the long result in `fmt` to stdout or atomically to --output."""
    from csmetrics_cli.io.writers import resolve_output, write_atomic
    from csmetrics_cli.render import flat

    if fmt is Format.table and output is None:
        from csmetrics_cli.render.table import tables

        console.out().print(tables(frame, currency, meta.get("title", "")))
        return
    payload: bytes
    if fmt is Format.csv:
        payload = flat.to_csv(frame)
    elif fmt is Format.json:
        payload = flat.to_json(frame, meta)
    elif fmt is Format.md:
        payload = flat.to_markdown(frame, currency)
    elif fmt is Format.xlsx:
        from csmetrics_cli.render.xlsx import to_xlsx

        payload = to_xlsx(frame)
    else:
        from rich.console import Console

        from csmetrics_cli.render.table import tables

        buffer = io.StringIO()
        Console(file=buffer, width=160, no_color=True).print(
            tables(frame, currency, meta.get("title", ""))
        )
        payload = buffer.getvalue().encode("utf-8")
    if output is None:
        import sys

        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return
    inputs = [s.path for s in data.sources.values()] if data is not None else []
    target = resolve_output(output, f"{name}.{fmt.value if fmt is not Format.table else 'txt'}")
    write_atomic(target, payload, inputs)
    console.say(f"Wrote {target}")


def raise_usage(message: str, hint: str | None = None) -> None:
    from csmetrics_cli.problems import UsageError

    raise UsageError(message, hint)
