"""The `csm` Typer app and the one error boundary that maps failures to exit codes.

Exit codes: 0 success; 1 input or data error; 2 usage error. pandas is imported only inside
command bodies, so `csm --help` and shell completion start fast.
"""

from __future__ import annotations

import sys

import typer

from csmetrics_cli.cli.explain_cmd import explain
from csmetrics_cli.cli.health_cmd import health
from csmetrics_cli.cli.metrics_cmd import metrics
from csmetrics_cli.cli.report_cmd import report
from csmetrics_cli.cli.sample_cmd import sample
from csmetrics_cli.cli.validate_cmd import validate

app = typer.Typer(
    name="csm",
    help="Customer-success KPIs (retention, churn, MRR, NRR, CLV, NPS...) from your exports.\n\n"
    "Start with: [bold]csm report --period 2024-06[/] (reads ./sample_data without --data).",
    rich_markup_mode="rich",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.command(rich_help_panel="Reports")(report)
app.command(rich_help_panel="Reports")(explain)
app.command(rich_help_panel="Reports")(health)
app.command(rich_help_panel="Catalog & data")(metrics)
app.command(rich_help_panel="Catalog & data")(validate)
app.command(rich_help_panel="Catalog & data")(sample)


def main(argv: list[str] | None = None) -> int:
    """Run csm; never let a traceback reach the user. Returns the exit code when given argv."""
    from csmetrics_cli.problems import CsmError

    try:
        app(args=argv, prog_name="csm")  # standalone: usage errors print and exit 2
        code = 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except CsmError as exc:
        from rich.markup import escape

        from csmetrics_cli.cli.console import err

        err().print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
        if exc.hint:
            err().print(f"  [yellow]fix:[/] {escape(exc.hint)}", highlight=False)
        code = exc.exit_code
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:
        code = 0
    except Exception as exc:
        from rich.markup import escape

        from csmetrics_cli.cli.console import err

        err().print(f"[bold red]internal error:[/] {type(exc).__name__}: {escape(str(exc))}")
        err().print("  this is a bug in csm; please report it with the command you ran")
        code = 1
    if argv is None:
        sys.exit(code)
    return code
