"""The two consoles: data on stdout, messages on stderr. Colour only on a terminal.

`-q` keeps stderr to warnings and errors; `-v` adds the time of each step.
"""

from __future__ import annotations

import sys
import threading
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


SHOW_AFTER = 1.0  # seconds a step runs before the progress display appears


class _Steps:
    """The running steps, shown as one transient rich Progress line each on stderr.

    The display starts only once a step has run SHOW_AFTER seconds, so quick commands
    print nothing; it vanishes when the last step ends.
    """

    def __init__(self) -> None:
        from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

        self.display = Progress(
            SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
            console=err(), transient=True,
        )  # fmt: skip
        self.running = 0
        self.timer: threading.Timer | None = None

    def begin(self, label: str) -> Any:
        self.running += 1
        if self.running == 1:
            self.timer = threading.Timer(SHOW_AFTER, self.display.start)
            self.timer.daemon = True
            self.timer.start()
        return self.display.add_task(literal_text(label).plain, total=None)

    def end(self, task: Any) -> bool:
        """End a step; True when it was the last one running."""
        self.display.remove_task(task)
        self.running -= 1
        if self.running:
            return False
        if self.timer is not None:
            self.timer.cancel()
            self.timer.join()
        self.display.stop()
        return True


_RUNNING: list[_Steps] = []  # the display while any step runs, made anew for the next


@contextmanager
def progress(label: str) -> Iterator[None]:
    """A progress line on stderr for a step that takes over SHOW_AFTER seconds (terminal
    only, not with -q); timed with -v."""
    started = time.perf_counter()
    if not sys.stderr.isatty() or _LEVEL["quiet"]:
        yield
    else:
        if not _RUNNING:
            _RUNNING.append(_Steps())
        steps = _RUNNING[0]
        task = steps.begin(label)
        try:
            yield
        finally:
            if steps.end(task):
                _RUNNING.clear()
    timing(label, started)
