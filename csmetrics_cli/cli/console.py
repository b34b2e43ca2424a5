"""The two consoles: data on stdout, messages on stderr. Colour only on a terminal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from rich.console import Console

from csmetrics_cli.render.cells import literal_text


@cache
def out() -> Console:
    """stdout: reports and tables (data only); wide enough for tables when piped."""
    return Console(soft_wrap=False, width=None if sys.stdout.isatty() else 140)


@cache
def err() -> Console:
    """stderr: progress, warnings, errors."""
    return Console(stderr=True)


def say(message: str) -> None:
    """An informational message on stderr (file names in it are shown literally)."""
    err().print(literal_text(message, style="dim"), highlight=False)


@contextmanager
def progress(label: str) -> Iterator[None]:
    """A spinner on stderr while a table loads, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        yield
        return
    with err().status(literal_text(label)):
        yield
