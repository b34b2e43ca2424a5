"""What every command does around its library call: open the data, report problems, write.

A command body is: check usage, `open_data`, call csmetrics_cli.api, `finish`, `emit`.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from csmetrics_cli.cli import console

if TYPE_CHECKING:
    from csmetrics_cli.contracts.dataset import Dataset


def start(quiet: bool, verbose: bool) -> None:
    """Set how much goes to stderr for this run."""
    console.configure(quiet=quiet, verbose=verbose)


def rerun(command: str, data: Path | None, config: Path | None) -> str:
    """`csm <command>` with the --data/--config the user gave, to suggest as a next step."""
    import shlex

    parts = ["csm", command]
    if data is not None:
        parts += ["--data", shlex.quote(str(data))]
    if config is not None:
        parts += ["--config", shlex.quote(str(config))]
    return " ".join(parts)


def open_data(
    data: Path | None,
    config: Path | None,
    encoding: str | None,
    no_cache: bool = False,
    defines: dict[str, object] | None = None,
    engine: str = "duckdb",
) -> Dataset:
    """Open --data (or ./sample_data) with its config (and the --define switches over its
    [definitions]); tables load, timed, when first used, from the table cache unless
    --no-cache; events aggregate on `engine`."""
    from csmetrics_cli.cli.process import tune

    tune()  # before numpy is imported: `--help` and `csm metrics` need none of it
    from csmetrics_cli.api import default_data, open_data

    root = default_data(data, console.say)
    return open_data(root, config, encoding, console.progress, cache=not no_cache,
                     definitions=defines, engine=engine)  # fmt: skip


def finish(
    ds: Dataset,
    strict: bool,
    warnings: list[str] = (),  # type: ignore[assignment]
    validate_hint: str = "csm validate",
) -> None:
    """Warnings on stderr (excluded rows, skipped tables, stale periods, unknown customers);
    with --strict any of them is a failure (exit 1)."""
    from csmetrics_cli.problems import CsmError

    for name, why in ds.unusable.items():
        console.warn(f"{name} skipped: {why}")
    for issue in ds.issues:
        if not issue.excluded and issue.row is None:
            console.warn(f"{issue.file}: {issue.message}")
    excluded = {r.file: r.rows_excluded for r in ds.reports.values() if r.rows_excluded}
    if excluded:
        parts = ", ".join(f"{n:,} in {f}" for f, n in excluded.items())
        console.warn(f"excluded {sum(excluded.values()):,} rows ({parts}); "
                     f"`{validate_hint}` lists them")  # fmt: skip
    for warning in warnings:
        console.warn(warning)
    if console.verbose():
        for r in ds.reports.values():
            console.say(f"  {r.table}: {r.rows_read:,} rows read from {r.file},"
                        f" {r.rows_excluded:,} excluded")  # fmt: skip
    problems = [i for i in ds.issues if not i.deliberate]  # a csm.toml rule's are no problem
    if strict and (problems or ds.unusable or warnings):
        found = [f"{n:,} {what}" for n, what in (
            (len([i for i in problems if i.excluded]), "excluded rows"),
            (len([i for i in problems if not i.excluded]), "data warnings"),
            (len(ds.unusable), "skipped tables"),
            (len(warnings), "period warnings"),
        ) if n]  # fmt: skip
        raise CsmError(f"--strict: {', '.join(found)} (listed above)",
                       hint=f"run `{validate_hint}`")  # fmt: skip


def emit(result: Any, fmt: str, output: str | None, name: str, ds: Dataset | None = None) -> None:
    """Render `result` as `fmt` to stdout, or atomically to --output (a file or DIR/)."""
    import sys

    from csmetrics_cli.io.writers import resolve_output, write_atomic
    from csmetrics_cli.render import Env, renderer

    currency = ds.config.currency if ds is not None else ""
    write = renderer(result.kind, fmt)
    started = time.perf_counter()
    if fmt == "table" and output is None and sys.stdout.isatty():
        console.out().print(write(result, Env(currency, boxed=True, width=console.out().width)))
        return
    body = write(result, Env(currency, boxed=False, width=console.PLAIN_WIDTH))
    payload = body if isinstance(body, bytes) else console.plain_text(body).encode("utf-8")
    if output is None:
        sys.stdout.buffer.write(payload)
        sys.stdout.flush()
        return
    inputs: list[Path] = []
    if ds is not None:
        inputs = [s.path for s in ds.sources.values()]
        if ds.config.source is not None:
            inputs.append(ds.config.source)
    target = resolve_output(output, f"{name}.{'txt' if fmt == 'table' else fmt}")
    write_atomic(target, payload, inputs)
    console.say(f"Wrote {target}")
    console.timing("write", started)


def file_name(command: str, labels: list[str]) -> str:
    """csm-<command>-<period> (first_last for a trend)."""
    span = labels[0] if len(labels) == 1 else f"{labels[0]}_{labels[-1]}"
    return f"csm-{command}-{span}"
