"""The two consoles: data on stdout, messages on stderr. Colour only on a terminal.

`-q` keeps stderr to warnings and errors; `-v` adds the time of each step.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from io import StringIO
from typing import TYPE_CHECKING, Any

from csmetrics_cli.render.cells import literal_text

if TYPE_CHECKING:  # rich loads when something is printed, not when csm starts
    from rich.console import Console

_LEVEL = {"quiet": False, "verbose": False}


def configure(quiet: bool = False, verbose: bool = False) -> None:
    _LEVEL["quiet"], _LEVEL["verbose"] = quiet, verbose and not quiet


def verbose() -> bool:
    return _LEVEL["verbose"]


@cache
def out() -> Console:
    """stdout on a terminal: reports and tables (data only)."""
    from rich.console import Console

    return Console(soft_wrap=False)


@cache
def err() -> Console:
    """stderr: progress, warnings, errors."""
    from rich.console import Console

    return Console(stderr=True)


PLAIN_WIDTH = 120  # the width tables are laid out for when piped or written to a file


def plain_text(renderable: Any, width: int = PLAIN_WIDTH) -> str:
    """A renderable as plain text (no colour, no control codes), for pipes and files."""
    from rich.console import Console

    buffer = StringIO()
    Console(file=buffer, width=width, no_color=True, color_system=None,
            soft_wrap=False).print(renderable)  # fmt: skip
    return buffer.getvalue()


def say(message: str) -> None:
    """An informational message on stderr (not with --quiet; file names shown literally)."""
    if not _LEVEL["quiet"]:
        err().print(literal_text(message, style="dim"), highlight=False)


def warn(message: str) -> None:
    """A warning on stderr, shown even with --quiet."""
    err().print("[yellow]warning:[/] ", end="", highlight=False)
    err().print(literal_text(message), highlight=False)


def timing(step: str, started: float) -> None:
    """With -v, how long a step took."""
    if _LEVEL["verbose"]:
        say(f"  {step}: {time.perf_counter() - started:.2f} s")


@contextmanager
def progress(label: str) -> Iterator[None]:
    """A spinner on stderr while a table loads (terminal only, not with -q); timed with -v."""
    started = time.perf_counter()
    if not sys.stderr.isatty() or _LEVEL["quiet"]:
        yield
    else:
        with err().status(literal_text(label)):
            yield
    timing(label, started)
