"""The events aggregation in DuckDB, the pre-aggregated activity table, the events/ Parquet
folder and the --engine option (the Spark engine itself: tests/test_spark.py)."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from csmetrics_cli.cli.app import main
from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.sample import write_sample
from tests.conftest import run_report, values, write_tables

SUBS = """
    subscription_id,customer_id,mrr,start_date
    s1,A,10,2024-01-01
    s2,B,10,2024-01-01
"""


def test_rows_aggregate_per_customer_user_day_feature_event(tmp_path):
    # Rows 2 and 3 are the same (A, u1, 06-01, api, click): one group of 2 events. Row 4 is
    # 23:30 at -02:00, i.e. 06-02 01:30 UTC: day 06-02. Row 5 is 6/30/2024 (MDY, csm's own
    # parser). Row 6 names no customer. Row 7 has no user (missing_value), row 8 a timestamp
    # that is no date (unparseable_date): 7 rows read, 2 excluded, 4 groups kept.
    folder = write_tables(tmp_path, subscriptions=SUBS, events="""
        timestamp,user_id,customer_id,event,feature
        2024-06-01T10:00:00,u1,A,click,api
        2024-06-01 18:00,u1,A,click,api
        2024-06-01T23:30:00-02:00,u2,B,view,ui
        6/30/2024,u2,B,view,ui
        2024-06-03,u3,,view,ui
        2024-06-04,,A,view,ui
        someday,u1,A,click,api
    """)  # fmt: skip
    data = Dataset.open(folder, Config(date_order="MDY"))
    frame = data.table("activity")
    assert frame is not None
    got = {(r.customer_id if isinstance(r.customer_id, str) else None, r.user_id,
            str(r.day.date()), r.events) for r in frame.itertuples()}  # fmt: skip
    assert got == {("A", "u1", "2024-06-01", 2), ("B", "u2", "2024-06-02", 1),
                   ("B", "u2", "2024-06-30", 1), (None, "u3", "2024-06-03", 1)}  # fmt: skip
    report = data.reports["events"]
    assert (report.rows_read, report.rows_excluded) == (7, 2)
    found = [(i.code, i.row, i.column) for i in data.issues]
    assert found == [("unparseable_date", 8, "timestamp"), ("missing_value", 7, "user_id")]
    assert data.table("events") is not None  # the raw checked table is still there
    assert len(data.table("events")) == 5


def test_day_is_taken_in_the_reporting_time_zone(tmp_path):
    # 2024-06-01T22:30:00Z is 06-02 00:30 in Berlin (UTC+2 in summer); a naive timestamp is
    # already local: its date stays 06-01.
    folder = write_tables(tmp_path, subscriptions=SUBS, events="""
        timestamp,user_id,customer_id
        2024-06-01T22:30:00Z,u1,A
        2024-06-01T22:30:00,u2,A
    """)  # fmt: skip
    frame = Dataset.open(folder, Config(timezone="Europe/Berlin")).table("activity")
    assert frame is not None
    days = dict(zip(frame["user_id"], frame["day"].dt.strftime("%Y-%m-%d"), strict=True))
    assert days == {"u1": "2024-06-02", "u2": "2024-06-01"}


def test_excel_serials_and_excel_errors(tmp_path):
    # A column of plain numbers is Excel serials: 45474 = 1899-12-30 + 45474 days = 2024-07-01.
    folder = write_tables(tmp_path, subscriptions=SUBS, events="""
        timestamp,user_id,customer_id
        45474,u1,A
        #N/A,u2,A
    """)  # fmt: skip
    data = Dataset.open(folder, Config())
    frame = data.table("activity")
    assert frame is not None
    assert [str(d.date()) for d in frame["day"]] == ["2024-07-01"]
    assert [(i.code, i.row, i.column) for i in data.issues] == [("excel_error", 3, "timestamp")]


def test_headers_mapped_through_config_and_aliases(tmp_path):
    folder = write_tables(tmp_path, subscriptions=SUBS, events="""
        When,User,account_id,Name
        2024-06-01,u1,A,click
    """)  # fmt: skip
    config = Config(columns={"events": {"timestamp": "When"}})
    frame = Dataset.open(folder, config).table("activity")
    assert frame is not None
    assert frame.loc[0, ["customer_id", "user_id", "event"]].tolist() == ["A", "u1", "click"]


def test_missing_timestamp_column_makes_events_unusable(tmp_path):
    folder = write_tables(tmp_path, subscriptions=SUBS, events="""
        Tmestamp,user_id
        2024-06-01,u1
    """)  # fmt: skip
    data = Dataset.open(folder, Config())
    assert data.table("activity") is None
    assert [i.code for i in data.issues] == ["missing_column"]
    assert "Tmestamp" in data.issues[0].hint


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, customers=60, seed=3)
    return folder


def _engagement_and_health(folder: Path, *extra: str) -> dict:
    """metric id -> value for the engagement and health families of `csm report`."""
    out = {}
    for family in ("engagement", "health"):
        frame = run_report(folder, "2024-06", family=family)
        out.update(values(frame))
    return out


def _events(folder: Path) -> pd.DataFrame:
    return pd.read_csv(folder / "events.csv.gz", dtype=str)


def _without_events(sample: Path, folder: Path) -> Path:
    """A copy of the sample's tables other than events in `folder`."""
    folder.mkdir()
    for f in sample.iterdir():
        if f.name != "events.csv.gz":
            (folder / f.name).write_bytes(f.read_bytes())
    return folder


def test_activity_table_gives_the_same_values_as_events(sample, tmp_path):
    expected = _engagement_and_health(sample)
    rolled = _without_events(sample, tmp_path / "rolled")
    events = _events(sample)
    events["day"] = events["timestamp"].str[:10]  # the sample's timestamps are naive ISO
    daily = (events.groupby(["customer_id", "user_id", "day", "feature", "event"], dropna=False)
             .size().rename("events").reset_index())  # fmt: skip
    daily.to_csv(rolled / "activity.csv", index=False)
    assert _engagement_and_health(rolled) == expected


def test_events_parquet_folder_partitioned(sample, tmp_path):
    expected = _engagement_and_health(sample)
    folder = _without_events(sample, tmp_path / "parquet")
    events = _events(sample)
    events["month"] = events["timestamp"].str[:7]
    events.to_parquet(folder / "events", partition_cols=["month"])
    assert _engagement_and_health(folder) == expected


def test_events_win_over_activity_with_a_warning(sample, tmp_path, capsys):
    folder = tmp_path / "both"
    folder.mkdir()
    for f in sample.iterdir():
        (folder / f.name).write_bytes(f.read_bytes())
    (folder / "activity.csv").write_text("user_id,day,events\nzz,2024-06-01,1\n", encoding="utf-8")
    assert main(["report", "-d", str(folder), "-p", "2024-06", "-f", "json", "--no-cache",
                 "--family", "engagement"]) == 0  # fmt: skip
    body = json.loads(capsys.readouterr().out)
    assert any("activity.csv" in w and "events.csv.gz is used" in w for w in body["warnings"])


def test_cache_keeps_the_aggregate(sample, tmp_path, monkeypatch, capsys):
    from csmetrics_cli.contracts import cache

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    args = ["report", "-d", str(sample), "-p", "2024-06", "-f", "json", "--family", "engagement"]
    assert main(args) == 0
    first = json.loads(capsys.readouterr().out)
    frames = [pd.read_parquet(p) for p in cache.entries()]
    aggregated = [f for f in frames if "day" in f.columns and "events" in f.columns]
    assert len(aggregated) == 1 and "timestamp" not in aggregated[0].columns
    assert int(aggregated[0]["events"].sum()) == len(_events(sample))
    assert main(args) == 0
    assert json.loads(capsys.readouterr().out)["metrics"] == first["metrics"]


def test_spark_without_the_extra_is_a_usage_error(sample, monkeypatch, capsys):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "pyspark" else real(name, *a))  # fmt: skip
    code = main(["report", "-d", str(sample), "-p", "2024-06", "--engine", "spark"])
    assert code == 2
    assert "pip install 'csmetrics-cli[spark]'" in capsys.readouterr().err


def test_unknown_engine_is_a_usage_error(sample, capsys):
    assert main(["report", "-d", str(sample), "-p", "2024-06", "--engine", "polars"]) == 2
    assert "duckdb, spark" in capsys.readouterr().err


def test_row_numbers_when_a_value_spans_lines(tmp_path):
    # Header on line 1, record 1 on lines 2-3 (a quoted value spans them), line 4 blank,
    # record 2 (blank user) on editor line 5, not record number 2 + 1 = 3.
    folder = write_tables(tmp_path, subscriptions=SUBS, events="""
        timestamp,user_id,customer_id,feature
        2024-06-01,u1,A,"two
        lines"

        2024-06-02,,A,api
    """)  # fmt: skip
    data = Dataset.open(folder, Config())
    assert data.table("activity") is not None
    assert [(i.code, i.row) for i in data.issues] == [("missing_value", 5)]
    assert (data.reports["events"].rows_read, data.reports["events"].rows_excluded) == (2, 1)


def test_padded_cells_are_trimmed_and_blank_ones_excluded(tmp_path):
    # The engine groups the cells as written and trims the distinct names afterwards: row 3
    # (spaces around every cell) is the same group as row 2, row 4's user is only spaces
    # (missing_value) and row 5's timestamp is a tab (missing_value): 4 read, 2 excluded.
    folder = write_tables(tmp_path, subscriptions=SUBS)
    (folder / "events.csv").write_text(
        "timestamp,user_id,customer_id,event,feature\n"
        "2024-06-01T10:00:00,u1,A,click,api\n"
        " 2024-06-01T11:00:00 , u1 ,A , click,\u00a0api\n"
        "2024-06-02,   ,A,view,ui\n"
        "\t,u1,A,view,ui\n",
        encoding="utf-8",
    )
    data = Dataset.open(folder, Config())
    frame = data.table("activity")
    assert frame is not None
    got = [(r.customer_id, r.user_id, str(r.day.date()), r.feature, r.event, r.events)
           for r in frame.itertuples()]  # fmt: skip
    assert got == [("A", "u1", "2024-06-01", "api", "click", 2)]
    report = data.reports["events"]
    assert (report.rows_read, report.rows_excluded) == (4, 2)
    found = [(i.code, i.row, i.column) for i in data.issues]
    assert found == [("missing_value", 5, "timestamp"), ("missing_value", 4, "user_id")]


def test_a_users_customer_is_named_on_its_first_day_whatever_the_row_order(tmp_path):
    # u1's first day (06-02) names B, though its first row names A on 06-03; u2 names B and
    # C on its first day: the smallest id, B. Reversing the rows changes nothing.
    from csmetrics_cli.engine.activity import event_codes
    from csmetrics_cli.engine.context import Context
    from csmetrics_cli.periods import parse_period

    rows = ["2024-06-03,u1,A", "2024-06-02,u1,B", "2024-06-02,u2,C", "2024-06-02,u2,B",
            "2024-06-01,u3,"]  # fmt: skip
    customers = "customer_id\nA\nB\nC\n"
    for name, order in (("as_written", rows), ("reversed", rows[::-1])):
        folder = tmp_path / name
        folder.mkdir()
        (folder / "customers.csv").write_text(customers, encoding="utf-8")
        (folder / "events.csv").write_text(
            "timestamp,user_id,customer_id\n" + "\n".join(order) + "\n", encoding="utf-8"
        )
        ctx = Context(Dataset.open(folder, Config()), [parse_period("2024-06")])
        frame = ctx.data.table("activity")
        codes = event_codes(ctx)
        users = pd.factorize(frame["user_id"])[1]
        ids = ctx.customers()
        owner = {str(u): (ids[c] if c >= 0 else None)
                 for u, c in zip(users, codes.user_customer, strict=True)}  # fmt: skip
        assert owner == {"u1": "B", "u2": "B", "u3": None}, name


def test_a_spark_failure_is_one_message_with_its_fix():
    from csmetrics_cli.engine.events_spark import spark_failed

    said = "An error occurred while calling o97.collectToPython.\n: java.lang.OutOfMemoryError"
    oom = spark_failed(RuntimeError(said + ": Java heap space\n\tat x"))
    assert "out of memory" in oom.message and "SPARK_DRIVER_MEMORY" in (oom.hint or "")
    lost = spark_failed(ConnectionRefusedError(111, "Connection refused"))
    assert lost.message == "Spark failed aggregating the events: [Errno 111] Connection refused"
    assert lost.exit_code == 1
