"""Invariants of the revenue family over random subscription tables (hypothesis)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_report, values, write_tables

BASE = dt.date(2023, 6, 1)

subscription = st.tuples(
    st.sampled_from([f"c{i}" for i in range(8)]),
    st.integers(0, 540),  # start offset in days
    st.one_of(st.none(), st.integers(0, 400)),  # duration; None = still running
    st.sampled_from([0, 10, 25, 99.5, 300]),
)


def _csv(subs: list[tuple[str, int, int | None, float]]) -> str:
    lines = ["subscription_id,customer_id,mrr,start_date,end_date"]
    for n, (customer, offset, length, mrr) in enumerate(subs):
        start = BASE + dt.timedelta(days=offset)
        end = "" if length is None else (start + dt.timedelta(days=length)).isoformat()
        lines.append(f"s{n},{customer},{mrr},{start.isoformat()},{end}")
    return "\n".join(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(subscription, min_size=1, max_size=25), st.integers(1, 18))
def test_movement_invariants(subs, month_offset):
    month = (dt.date(2023, 6, 1) + dt.timedelta(days=31 * month_offset)).strftime("%Y-%m")
    prev = (dt.date.fromisoformat(month + "-01") - dt.timedelta(days=1)).strftime("%Y-%m")
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_tables(Path(tmp), subscriptions=_csv(subs))
        frame = run_report(folder, trend=(prev, month), family="revenue")
    before, v = values(frame, period=prev), values(frame, period=month)
    start_mrr = before["mrr"]
    assert v["customers_start"] == before["customers_end"]
    assert v["customers_end"] == (
        v["customers_start"] + v["new_customers"] + v["reactivated_customers"]
        - v["churned_customers"]
    )  # fmt: skip
    assert v["mrr"] == pytest.approx(
        start_mrr + v["new_mrr"] + v["reactivation_mrr"] + v["expansion_mrr"]
        - v["contraction_mrr"] - v["churned_mrr"]
    )  # fmt: skip
    if v["customers_start"]:
        assert v["customer_retention_rate"] + v["customer_churn_rate"] == pytest.approx(100)
        assert 0 <= v["customer_churn_rate"] <= 100
    else:
        assert v["customer_retention_rate"] is None and v["customer_churn_rate"] is None
    if start_mrr:
        assert v["net_revenue_retention"] == pytest.approx(
            v["gross_revenue_retention"] + v["expansion_mrr"] / start_mrr * 100
        )
        assert v["net_revenue_retention"] == pytest.approx(100 + v["expansion_revenue_rate"])
        assert v["gross_revenue_retention"] <= 100 + 1e-9
        assert v["revenue_churn_rate"] == pytest.approx(100 - v["gross_revenue_retention"])
    assert v["acquired_customers"] >= v["new_customers"]
