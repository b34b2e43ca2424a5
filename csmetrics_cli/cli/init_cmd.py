"""`csm init`: recognise the exports in a folder and write a commented csm.toml for them."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from csmetrics_cli.cli import common, console, options

if TYPE_CHECKING:
    from csmetrics_cli.presets.starter import Starter


def init(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            "-d",
            help="Folder of exports. Default: the current folder.",
            show_default=False,
        ),
    ] = None,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            help="The csm.toml to write. Default: DIR/csm.toml, where csm finds it for --data DIR.",
            show_default=False,
        ),
    ] = None,
    force: Annotated[bool, typer.Option("--force", help="Replace an existing file.")] = False,
    quiet: options.Quiet = False,
    verbose: options.Verbose = False,
) -> None:
    """Recognise each export in a folder (from its header row) and write a commented csm.toml.

    Each file's header row is matched against the presets (Stripe, HubSpot, Zendesk, Qualtrics,
    Segment...; docs/presets.md); the csm.toml names each table's file and preset, and what is
    still to map. Only header rows are read. Without --data: the current folder.

    [bold]Examples[/]

      csm init --data exports/
      csm init --data exports/ --output exports/csm.toml --force
    """
    import time

    from csmetrics_cli.io.writers import write_atomic
    from csmetrics_cli.presets import starter
    from csmetrics_cli.problems import CsmError

    common.start(quiet, verbose)
    started = time.perf_counter()
    folder = Path(".") if data is None else data
    if not folder.is_dir():
        raise CsmError(f"{folder} is not a folder", hint="pass --data with the folder of exports")
    target = output if output is not None else folder / starter.CONFIG_NAME
    if target.exists() and not force:
        raise CsmError(f"{target} already exists", hint="pass --force to replace it, or "
                       "--output another file")  # fmt: skip
    found = starter.scan(folder)
    if not found.findings:
        hint = "csm reads .csv, .csv.gz, .tsv, .txt, .xlsx and .parquet files"
        raise CsmError(f"no exports in {folder}", hint=hint)
    write_atomic(target, found.text().encode("utf-8"), [f.export.path for f in found.findings])
    _summary(found, target)
    console.timing("init", started)


def _summary(found: Starter, target: Path) -> None:
    """One line per export on stderr: its table, preset and how sure, then the next step."""
    for f in found.findings:
        if f.table is None:
            console.say(f"  {f.export.file}: not recognised (listed at the end of the file)")
            continue
        how = f"preset {f.preset.vendor}" if f.preset else f.how
        held = f", but {f.claimed_by} holds {f.table}" if f.claimed_by else ""
        todo = f"; still to map: {', '.join(f.todo)}" if f.todo and not f.claimed_by else ""
        console.say(f"  {f.export.file}: {f.table} ({how}, {f.sure}{held}){todo}")
    beside = target.resolve().parent == found.data.resolve()
    next_step = common.rerun("validate", found.data, None if beside else target)
    console.say(f"Wrote {target}; next: {next_step}")
