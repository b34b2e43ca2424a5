"""The activity frame's window: the days a report reads keep their day, the others are
grouped over, and no value depends on which days were kept (engine/events_sql.py)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics_cli.api import report, select_metrics
from csmetrics_cli.cli.app import main
from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.periods import parse_period
from csmetrics_cli.sample import write_sample
from tests.conftest import values, write_tables

SUBS = """
    subscription_id,customer_id,mrr,start_date
    s1,A,10,2024-01-01
    s2,B,10,2024-01-01
"""
EVERY_DAY = (date(1900, 1, 1), date(2200, 12, 31))


def test_rows_outside_the_window_keep_only_the_days_they_cover(tmp_path):
    # Window June: u1's two January logins group into one row covering 01-05..01-20, its
    # February export into another; the June rows keep their day; u2's September login is
    # outside too. The row without a date is excluded as always: 7 read, 1 excluded.
    folder = write_tables(tmp_path, subscriptions=SUBS, events="""
        timestamp,user_id,customer_id,event,feature
        2024-01-20,u1,A,login,ui
        2024-01-05,u1,A,login,ui
        2024-02-03,u1,A,export,api
        2024-06-10,u1,A,login,ui
        2024-06-10,u2,B,login,ui
        2024-09-01,u2,B,login,ui
        someday,u3,A,login,ui
    """)  # fmt: skip
    data = Dataset.open(folder, Config())
    data.need_days(date(2024, 6, 1), date(2024, 6, 30))
    frame = data.table("activity")
    assert frame is not None

    def day(value: object) -> str | None:
        return None if pd.isna(value) else str(pd.Timestamp(value).date())  # type: ignore[arg-type]

    got = {(r.customer_id, r.user_id, day(r.day), r.feature, r.event, r.events,
            day(r.first_day), day(r.last_day)) for r in frame.itertuples()}  # fmt: skip
    assert got == {
        ("A", "u1", None, "ui", "login", 2, "2024-01-05", "2024-01-20"),
        ("A", "u1", None, "api", "export", 1, "2024-02-03", "2024-02-03"),
        ("A", "u1", "2024-06-10", "ui", "login", 1, None, None),
        ("B", "u2", "2024-06-10", "ui", "login", 1, None, None),
        ("B", "u2", None, "ui", "login", 1, "2024-09-01", "2024-09-01"),
    }
    report_ = data.reports["events"]
    assert (report_.rows_read, report_.rows_excluded) == (7, 1)


def test_history_outside_the_window_still_decides(tmp_path):
    # u1's first day (2024-01-05) names B, so u1 is B's user in June although its June rows
    # name A; the first 'report_created' (A, 2024-02-01) is outside June's window; the
    # events run from 01-05 to 09-30, so June counts all its 30 days.
    folder = write_tables(tmp_path, subscriptions=SUBS, customers="""
        customer_id,created_at,plan
        A,2024-01-01,pro
        B,2024-01-01,basic
    """, events="""
        timestamp,user_id,customer_id,event,feature
        2024-01-05,u1,B,login,ui
        2024-02-01,u2,A,report_created,reports
        2024-06-03,u1,A,login,ui
        2024-06-04,u2,A,login,ui
        2024-09-30,u2,A,login,ui
    """)  # fmt: skip
    config = Config(activation_event="report_created")
    data = Dataset.open(folder, config)
    june = report(data, [parse_period("2024-06")], select_metrics("engagement", None), "plan")
    overall, basic = values(june.frame), values(june.frame, segment="basic")
    assert overall["dau"] == pytest.approx(2 / 30)
    assert basic["mau"] == 1  # u1, B's user
    assert june.data_through["last"] == "2024-09-30"  # only u2's September event reaches it
    january = report(Dataset.open(folder, config), [parse_period("2024-01")],
                     select_metrics(None, ["activation_rate", "time_to_value_days"]))  # fmt: skip
    # Cohort January: A (created 01-01, first report_created 02-01: 31 days) and B (never).
    assert values(january.frame) == {"activation_rate": 50.0, "time_to_value_days": 31.0}


def test_a_wider_context_later_builds_the_frame_again(tmp_path):
    folder = write_tables(tmp_path, subscriptions=SUBS, events="""
        timestamp,user_id,customer_id
        2024-01-10,u1,A
        2024-06-10,u2,B
        ,u3,B
    """)  # fmt: skip
    data = Dataset.open(folder, Config())
    dau = select_metrics(None, ["dau"])
    june = report(data, [parse_period("2024-06")], dau)
    january = report(data, [parse_period("2024-01")], dau)  # outside June's window
    assert values(june.frame)["dau"] == pytest.approx(1 / 10)  # the events end on 06-10
    assert values(january.frame)["dau"] == pytest.approx(1 / 31)
    assert [i.code for i in data.issues] == ["missing_value"]  # said once


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, customers=60, seed=5)
    return folder


@pytest.mark.parametrize("period", ["2023-03", "2024-06", "2024-Q2", "2024-W10"])
def test_sample_values_are_those_of_every_day_kept(sample, period):
    specs = select_metrics(None, None)
    windowed = report(Dataset.open(sample, Config()), [parse_period(period)], specs, "plan",
                      compare=True)  # fmt: skip
    every = Dataset.open(sample, Config())
    every.need_days(*EVERY_DAY)
    full = report(every, [parse_period(period)], specs, "plan", compare=True)
    pd.testing.assert_frame_equal(windowed.frame, full.frame)


def test_cache_entries_are_per_window(sample, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))

    def run(period: str, *extra: str) -> dict:
        args = ["report", "-d", str(sample), "-p", period, "-f", "json", "--family",
                "engagement", *extra]  # fmt: skip
        assert main(args) == 0
        return json.loads(capsys.readouterr().out)["metrics"]

    run("2024-06")  # fills the cache for June's window
    assert run("2024-01") == run("2024-01", "--no-cache")


EVENT = st.tuples(st.integers(0, 364), st.sampled_from(["u1", "u2", "u3", "u4"]),
                  st.sampled_from(["A", "B", ""]), st.sampled_from(["open", "report_created"]),
                  st.sampled_from(["ui", "api", ""]))  # fmt: skip


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow,
          HealthCheck.function_scoped_fixture])  # fmt: skip
@given(st.lists(EVENT, min_size=1, max_size=30), st.integers(1, 12))
def test_no_value_depends_on_the_window(tmp_path_factory, events, month):
    rows = [f"{date.fromordinal(date(2024, 1, 1).toordinal() + d)},{u},{c},{e},{f}"
            for d, u, c, e, f in events]  # fmt: skip
    folder = write_tables(tmp_path_factory.mktemp("window"), subscriptions=SUBS,
                          events="timestamp,user_id,customer_id,event,feature\n"
                          + "\n".join(rows))  # fmt: skip
    config = Config(activation_event="report_created")
    period = [parse_period(f"2024-{month:02d}")]
    specs = [*select_metrics("engagement", None), *select_metrics("health", None)]
    windowed = report(Dataset.open(folder, config), period, specs)
    every = Dataset.open(folder, config)
    every.need_days(*EVERY_DAY)
    pd.testing.assert_frame_equal(windowed.frame, report(every, period, specs).frame)
