"""How far the data reaches (engine/span.py): a table no metric read is asked of the engine
with a min()/max(), not loaded; anything the engine does not read as csm does is loaded."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.engine.span import OBSERVED_DATES, data_span, table_span
from csmetrics_cli.sample import write_sample
from tests.conftest import write_tables

TICKETS = """
    ticket_id,customer_id,created_at,resolved_at
    t1,A,2024-05-02,2024-05-03T09:00:00
    t2,A,2024-06-30T23:30:00-02:00,
    t3,B,2024-04-01 08:15,2024-06-10
"""


def test_an_unread_table_answers_from_the_engine(tmp_path: Path) -> None:
    # Days: created 05-02, 07-01 (23:30 at -02:00 is 01:30 UTC the next day), 04-01;
    # resolved 05-03 and 06-10. First 04-01, last 07-01; tickets stay unread.
    data = Dataset.open(write_tables(tmp_path, tickets=TICKETS), Config())
    assert table_span(data, "tickets") == (date(2024, 4, 1), date(2024, 7, 1))
    assert not data.is_loaded("tickets")
    assert data.reports == {}


def test_the_engine_takes_the_day_in_the_reporting_time_zone(tmp_path: Path) -> None:
    # In Tokyo (UTC+9) 2024-06-30T23:30:00-02:00 is 07-01 10:30: still 07-01; a naive
    # timestamp is already local.
    data = Dataset.open(write_tables(tmp_path, tickets=TICKETS), Config(timezone="Asia/Tokyo"))
    assert table_span(data, "tickets") == (date(2024, 4, 1), date(2024, 7, 1))
    folder = write_tables(tmp_path / "la", tickets="""
        ticket_id,customer_id,created_at
        t1,A,2024-07-01T05:00:00Z
    """)  # fmt: skip
    # 05:00 UTC is 22:00 the day before in Los Angeles (UTC-7 in summer).
    data = Dataset.open(folder, Config(timezone="America/Los_Angeles"))
    assert table_span(data, "tickets") == (date(2024, 6, 30), date(2024, 6, 30))


def test_other_date_forms_load_the_table(tmp_path: Path) -> None:
    # 7/2/2024 is July 2 (MDY): only csm's parser reads it, so the table is read and checked.
    folder = write_tables(tmp_path, tickets="""
        ticket_id,customer_id,created_at
        t1,A,2024-05-02
        t2,A,7/2/2024
    """)  # fmt: skip
    data = Dataset.open(folder, Config(date_order="MDY"))
    assert table_span(data, "tickets") == (date(2024, 5, 2), date(2024, 7, 2))
    assert data.is_loaded("tickets")


def test_a_table_already_read_answers_from_its_frame(tmp_path: Path) -> None:
    # The second row repeats ticket t1: the checks exclude it, so the frame's span ends on
    # 05-02 (the file itself reaches 06-30).
    folder = write_tables(tmp_path, tickets="""
        ticket_id,customer_id,created_at
        t1,A,2024-05-02
        t1,A,2024-06-30
    """)  # fmt: skip
    data = Dataset.open(folder, Config())
    data.table("tickets")
    assert table_span(data, "tickets") == (date(2024, 5, 2), date(2024, 5, 2))


def test_a_table_the_command_will_read_is_read_for_its_span(tmp_path: Path) -> None:
    # The same repeated t1: once a report's metrics will read tickets anyway (FCR), the
    # span mid-report is the checked frame's, ending 05-02, not the file's 06-30.
    from csmetrics_cli.api import report, select_metrics
    from csmetrics_cli.periods import parse_period

    folder = write_tables(tmp_path, tickets="""
        ticket_id,customer_id,created_at
        t1,A,2024-05-02
        t1,A,2024-06-30
    """)  # fmt: skip
    data = Dataset.open(folder, Config())
    data.expected.add("tickets")
    assert table_span(data, "tickets") == (date(2024, 5, 2), date(2024, 5, 2))
    assert data.is_loaded("tickets")
    fresh = Dataset.open(folder, Config())
    report(
        fresh, [parse_period("2024-05")], select_metrics(None, ["first_contact_resolution_rate"])
    )
    assert "tickets" in fresh.expected


@pytest.mark.parametrize("timezone", ["UTC", "Pacific/Auckland"])
def test_engine_span_equals_the_loaded_tables_span_on_sample_data(
    tmp_path: Path, timezone: str
) -> None:
    folder = tmp_path / "sample"
    write_sample(folder, customers=40, seed=5)
    asked = Dataset.open(folder, Config(timezone=timezone))
    spans = {name: table_span(asked, name) for name in OBSERVED_DATES if name != "activity"}
    assert not any(asked.is_loaded(n) for n in ("customers", "invoices", "tickets", "activity"))
    loaded = Dataset.open(folder, Config(timezone=timezone))
    loaded.load()
    assert spans == {name: table_span(loaded, name) for name in spans}
    assert data_span(asked, OBSERVED_DATES) == data_span(loaded, OBSERVED_DATES)
