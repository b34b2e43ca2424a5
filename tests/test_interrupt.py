"""Ctrl-C stops csm (exit 130) wherever it lands, including inside a DuckDB query, and the
events scan that runs on a thread of its own beside the other tables gives the same frame."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from csmetrics_cli import api
from csmetrics_cli.cli.app import ExitCode, main
from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.engine.context import Context
from csmetrics_cli.io import duck
from csmetrics_cli.periods import parse_period
from tests.conftest import write_tables
from tests.test_revenue import CUSTOMERS, SUBSCRIPTIONS

EVENTS = """
    timestamp,user_id,customer_id,event,feature
    2024-06-03T10:00:00,u1,A,report_viewed,reports
    2024-06-04T11:00:00,u1,A,report_viewed,reports
    2024-06-04T12:00:00,u2,B,export_downloaded,exports
    2023-01-05T09:00:00,u3,C,report_viewed,reports
    2024-06-05T09:00:00,u4,NOT-A-CUSTOMER,report_viewed,reports
"""


def test_a_duckdb_interrupt_is_a_keyboard_interrupt():
    with pytest.raises(KeyboardInterrupt):
        duck.reraise_interrupt(duckdb.InterruptException("Query interrupted"))
    duck.reraise_interrupt(duckdb.ParserException("not an interrupt"))  # left to its handler


def test_ctrl_c_inside_a_table_read_exits_130_not_a_report_without_the_table(
    tables_dir, monkeypatch, capsys
):
    """DuckDB turns SIGINT during a query into InterruptException; a reader once took it
    for an unreadable file, skipped the table and exited 0."""
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)

    class Interrupted:
        def sql(self, _query: str) -> None:
            raise duckdb.InterruptException("Query interrupted")

        def close(self) -> None:
            pass

    monkeypatch.setattr(duck, "connect", lambda: Interrupted())
    code = main(["report", "-d", str(tables_dir), "-p", "2024-06", "-f", "json", "--no-cache"])
    assert code == ExitCode.INTERRUPTED
    assert capsys.readouterr().out == ""  # no partial report on stdout


def _activity(folder, prefetch: bool) -> tuple[pd.DataFrame, list[str]]:
    data = Dataset.open(folder, Config())
    Context(data, [parse_period("2024-06")], None)  # the window of a June report
    if prefetch:
        data.prefetch_activity()
        assert data._pending is not None  # the scan did start on its thread
    frame = data.table("activity")
    assert frame is not None
    keys = ["customer_id", "user_id", "feature", "event"]
    out = frame.astype({k: object for k in keys})
    # the customers are read while the scan runs; the events are checked against them after
    warnings = [i.message for i in data.issues if i.table == "events"]
    return out.sort_values([*keys, "day"], na_position="first").reset_index(drop=True), warnings


def test_the_events_scan_on_its_own_thread_gives_the_same_activity(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, events=EVENTS)
    (threaded, said), (inline, said_inline) = (_activity(tables_dir, p) for p in (True, False))
    pd.testing.assert_frame_equal(threaded, inline)
    assert threaded["events"].sum() == 5  # u1's two days, u2's, C's 2023 row grouped, u4's
    assert said == said_inline and len(said) == 1 and "not in the customers table" in said[0]
    report = api.report(api.open_data(tables_dir), [parse_period("2024-06")],
                        api.select_metrics("engagement", None))  # fmt: skip
    events = [t for t in report.data_quality["tables"] if t["table"] == "events"]
    assert [t["rows_read"] for t in events] == [5]
