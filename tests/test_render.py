"""Rendered output: golden table (colour off), Markdown and number formatting by unit."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from rich.console import Console

from csmetrics_cli.render.cells import human, human_change, plain_number
from csmetrics_cli.render.flat import to_markdown
from csmetrics_cli.render.table import tables
from tests.conftest import run_report, write_tables
from tests.test_revenue import CUSTOMERS, SUBSCRIPTIONS

GOLDEN = Path(__file__).parent / "golden"


@pytest.fixture
def frame(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)
    return run_report(tables_dir, "2024-06", family="revenue")


def test_table_matches_golden(frame):
    console = Console(file=io.StringIO(), width=100, no_color=True, record=True)
    console.print(tables(frame, currency="$"))
    text = console.export_text()
    golden = GOLDEN / "revenue_2024-06.txt"
    assert text == golden.read_text(encoding="utf-8")


def test_markdown_has_one_table_per_family(frame):
    md = to_markdown(frame).decode()
    assert md.startswith("## revenue")
    assert "| Customer churn rate | 2024-06 | all | 25.0% |" in md
    assert "| Customer acquisition cost | 2024-06 | all | - (needs the costs table) |" in md


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [(25.0, "%", "25.0%"), (1234.5, "currency", "1,234.50"), (9.0, "customers", "9"),
     (44.91, "months", "44.9 months"), (1.4222, "ratio", "1.42x"), (None, "%", "-"),
     (float("nan"), "currency", "-")],
)  # fmt: skip
def test_human_formats(value, unit, text):
    assert human(value, unit) == text


def test_changes_of_rates_are_in_points():
    assert human_change(1.25, "%") == "+1.2 pp"
    assert human_change(-3.0, "customers") == "-3"


def test_plain_numbers_are_unrounded():
    assert plain_number(9.0) == "9"
    assert plain_number(69.3069306930693) == "69.3069306930693"
