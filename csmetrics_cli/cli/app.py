"""The `csm` Typer app and the one error boundary that maps failures to exit codes.

pandas is imported only inside command bodies, so `csm --help`, `csm metrics` and shell
completion start fast.
"""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import Annotated

import typer

from csmetrics_cli import __version__
from csmetrics_cli.cli.cache_cmd import cache
from csmetrics_cli.cli.explain_cmd import explain
from csmetrics_cli.cli.health_cmd import health
from csmetrics_cli.cli.init_cmd import init
from csmetrics_cli.cli.metrics_cmd import metrics
from csmetrics_cli.cli.report_cmd import report
from csmetrics_cli.cli.sample_cmd import sample
from csmetrics_cli.cli.validate_cmd import validate


class ExitCode(IntEnum):
    """What `csm` exits with; cron and scripts rely on these."""

    OK = 0
    DATA = 1  # input, data or environment error: the message says which file and why
    USAGE = 2  # the command line asks for something impossible
    INTERNAL = 70  # a bug in csm (EX_SOFTWARE)
    INTERRUPTED = 130


app = typer.Typer(
    name="csm",
    help="Customer-success KPIs (retention, churn, MRR, NRR, CLV, NPS...) from your exports.\n\n"
    "Start with: [bold]csm report --period 2024-06[/] (reads ./sample_data without --data).",
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)


def _version(value: bool) -> None:
    if value:
        print(f"csm {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = False,
) -> None:
    """Customer-success KPIs from the exports you already have."""


app.command(rich_help_panel="Reports")(report)
app.command(rich_help_panel="Reports")(explain)
app.command(rich_help_panel="Reports")(health)
app.command(rich_help_panel="Catalog & data")(metrics)
app.command(rich_help_panel="Catalog & data")(validate)
app.command(rich_help_panel="Catalog & data")(sample)
app.command(rich_help_panel="Catalog & data")(init)
app.command(rich_help_panel="Catalog & data")(cache)


def _error(message: str, hint: str | None = None) -> None:
    from csmetrics_cli.cli.console import err
    from csmetrics_cli.render.cells import literal_text

    err().print("[bold red]error:[/] ", end="", highlight=False)
    err().print(literal_text(message), highlight=False)
    if hint:
        err().print("  [yellow]fix:[/] ", end="", highlight=False)
        err().print(literal_text(hint), highlight=False)


def main(argv: list[str] | None = None) -> int:
    """Run csm; never let a traceback reach the user. Returns the exit code when given argv."""
    from csmetrics_cli.problems import CsmError, UsageError

    code: int
    try:
        app(args=argv, prog_name="csm")  # standalone: click prints usage errors, exits 2
        code = ExitCode.OK
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except UsageError as exc:
        _error(exc.message, exc.hint)
        code = ExitCode.USAGE
    except CsmError as exc:
        _error(exc.message, exc.hint)
        code = ExitCode.DATA
    except KeyboardInterrupt:
        code = ExitCode.INTERRUPTED
    except BrokenPipeError:
        code = ExitCode.OK
    except MemoryError:
        _error("out of memory while reading or computing",
               "ask for fewer tables or metrics (--family, --metrics), a shorter period, or "
               "raise the memory limit")  # fmt: skip
        code = ExitCode.DATA
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        _error(f"{exc.strerror or exc}{where}", "check the path, its permissions and free space")
        code = ExitCode.DATA
    except Exception as exc:
        command = " ".join(["csm", *(argv if argv is not None else sys.argv[1:])])
        _error(f"internal error in csm {__version__}: {type(exc).__name__}: {exc}",
               f"this is a bug; please report it with the command you ran: {command}")  # fmt: skip
        code = ExitCode.INTERNAL
    scans = sys.modules.get("csmetrics_cli.engine.events_sql")  # loaded only if data was read
    if scans is not None and code != ExitCode.OK:
        scans.interrupt_scans()  # an events scan still running would hold up the exit
    if argv is None:
        sys.exit(code)
    return int(code)
