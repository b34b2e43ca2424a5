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


def _render(frame, width: int) -> str:
    console = Console(file=io.StringIO(), width=width, no_color=True, record=True)
    console.print(tables(frame, currency="$", width=width))
    return console.export_text()


@pytest.mark.parametrize("width", [80, 120])
def test_table_matches_golden(frame, width):
    golden = GOLDEN / f"revenue_2024-06_{width}.txt"
    assert _render(frame, width) == golden.read_text(encoding="utf-8")


@pytest.mark.parametrize("width", [80, 100, 120])
def test_a_trend_by_segment_never_cuts_a_number(tables_dir, width):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)
    trend = run_report(tables_dir, trend=("2024-01", "2024-06"), by="plan", family="revenue")
    text = _render(trend, width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    cells = set(text.replace("│", " ").replace("┃", " ").split())
    for r in trend.itertuples(index=False):
        shown = human(r.value, r.unit, "$")
        assert set(shown.split()) <= cells, (r.metric, r.period, r.segment, shown)


def _md_table(md: str, heading: str) -> list[list[str]]:
    """The rows of the Markdown table under `heading`, as cells."""
    block = md.split(f"## {heading}\n\n", 1)[1].split("\n\n")[0]
    return [[c.strip() for c in line.strip("|").split("|")] for line in block.splitlines()]


def test_markdown_has_one_wide_table_per_family_with_footnotes(frame):
    md = to_markdown(frame).decode()
    rows = _md_table(md, "Revenue & retention")
    assert rows[0] == ["Metric", "2024-06"] and rows[1] == ["---", "---:"]
    table = {r[0]: r[1] for r in rows[2:]}
    # 8 customers at the start snapshot (under 30): the rates carry the small-sample note,
    # first footnote; renewals (2 due) and TTM NRR (4 paying a year before) come next.
    assert table["Customer churn rate [^rev1]"] == "25.0%"
    assert "[^rev1]: small sample (n = 8)" in md.splitlines()
    assert table["Customer acquisition cost [^rev5]"] == "-"
    assert "[^rev5]: needs the costs table" in md.splitlines()


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


@pytest.mark.parametrize("width", [80, 120])
def test_every_result_fits_the_terminal_without_cutting(tables_dir, width):
    """Each command's table at 80 and 120 columns: no line too long, no '…' anywhere."""
    from csmetrics_cli import api
    from csmetrics_cli.periods import parse_period
    from csmetrics_cli.render import Env, renderer

    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS + """
        x1,ZZ,-5,2024-01-01,,
        x2,ZZ,1e309,2024-13-01,,
    """)  # fmt: skip
    ds = api.open_data(tables_dir)
    june = parse_period("2024-06")
    results = [
        api.metrics(),
        api.validate(ds),
        api.explain(ds, api.select_metrics(None, ["nrr"])[0], june),
        api.health(ds, june),
    ]
    for result in results:
        console = Console(file=io.StringIO(), width=width, no_color=True, record=True)
        console.print(renderer(result.kind, "table")(result, Env("$", True, width)))
        text = console.export_text()
        assert "…" not in text, result.kind
        assert max(len(line.rstrip()) for line in text.splitlines()) <= width, result.kind
