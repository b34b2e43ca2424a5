"""Progress on stderr: shown for a step that runs over SHOW_AFTER seconds on a terminal,
never for a quick step, when stderr is piped, or with --quiet."""

from __future__ import annotations

import io
import sys
import time

import pytest
from rich.console import Console

from csmetrics_cli.cli import console


@pytest.fixture
def terminal(monkeypatch):
    fake = Console(file=io.StringIO(), force_terminal=True, color_system=None, width=80)
    monkeypatch.setattr(console, "err", lambda: fake)
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(console, "SHOW_AFTER", 0.05)
    console.configure()
    return fake.file


def test_a_long_step_shows_its_label_and_nested_steps_show_together(terminal):
    with console.progress("Computing revenue"), console.progress("Reading invoices.csv"):
        time.sleep(0.4)
    shown = terminal.getvalue()
    assert "Computing revenue" in shown and "Reading invoices.csv" in shown


def test_a_quick_step_shows_nothing(terminal, monkeypatch):
    monkeypatch.setattr(console, "SHOW_AFTER", 5.0)
    with console.progress("Reading customers.csv"):
        pass
    assert "Reading" not in terminal.getvalue()


def test_quiet_or_piped_shows_nothing(terminal, monkeypatch):
    console.configure(quiet=True)
    with console.progress("Reading events.csv"):
        time.sleep(0.2)
    console.configure()
    monkeypatch.setattr(sys.stderr, "isatty", lambda: False)
    with console.progress("Reading events.csv"):
        time.sleep(0.2)
    assert terminal.getvalue() == ""
