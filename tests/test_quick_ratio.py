"""The SaaS quick ratio and trailing-12-month NRR/GRR on a hand-worked fixture."""

from __future__ import annotations

import pytest

from csmetrics_cli import api
from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.metrics.catalog import BY_ID
from csmetrics_cli.periods import parse_period
from tests.conftest import notes, run_report, values, write_tables

# June 2024: start snapshot 2024-05-31, end snapshot 2024-06-30; a year before the end
# snapshot is 2023-06-30. End dates are exclusive.
SUBSCRIPTIONS = """
    subscription_id,customer_id,mrr,start_date,end_date
    a1,A,100,2023-01-01,
    b1,B,100,2023-01-01,2024-01-01
    b2,B,150,2024-01-01,
    c1,C,200,2023-03-01,2024-06-15
    d1,D,100,2023-05-01,2024-06-01
    d2,D,60,2024-06-01,
    e1,E,50,2024-06-10,
    f1,F,80,2023-08-01,2024-02-01
    f2,F,80,2024-06-05,
    g1,G,40,2024-01-01,2024-06-20
    g2,G,70,2024-06-20,
    h1,H,30,2022-01-01,2023-06-30
    i1,I,90,2023-06-30,
"""
# June movements (m0 on 05-31 -> m1 on 06-30):
#   A 100 -> 100, B 150 -> 150, I 90 -> 90: no change
#   C 200 -> 0: churned 200;  D 100 -> 60: contraction 40;  G 40 -> 70: expansion 30
#   E 0 -> 50, never paid before: new 50;  F 0 -> 80, paid until 2024-02: reactivation 80
# quick ratio = (50 + 80 + 30) / (40 + 200) = 160 / 240 = 0.6667
# Paying on 2023-06-30: A 100, B 100, C 200, D 100, I 90 (starts that day) = 590; H's
# subscription ends 2023-06-30 (exclusive), so H is not; E, F, G start later.
# Their MRR on 2024-06-30: A 100, B 150, C 0, D 60, I 90 = 400  -> TTM NRR = 400 / 590
# capped at MRR then: A 100, B 100, C 0, D 60, I 90 = 350      -> TTM GRR = 350 / 590


def test_quick_ratio_and_ttm_retention_by_hand(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS)
    frame = run_report(tables_dir, "2024-06", family="revenue")
    got = values(frame)
    assert got["quick_ratio"] == pytest.approx(160 / 240)
    assert got["net_revenue_retention_ttm"] == pytest.approx(400 / 590 * 100)
    assert got["gross_revenue_retention_ttm"] == pytest.approx(350 / 590 * 100)
    rows = frame.set_index("metric")
    assert rows.loc["quick_ratio", ["numerator", "denominator"]].tolist() == [160, 240]
    assert rows.loc["net_revenue_retention_ttm", ["numerator", "denominator"]].tolist() == [
        400, 590]  # fmt: skip
    assert notes(frame)["net_revenue_retention_ttm"] == "small sample (n = 5)"
    for metric in ("net_revenue_retention_ttm", "gross_revenue_retention_ttm"):
        assert (
            rows.loc[metric, "ci_low"] <= rows.loc[metric, "value"] <= rows.loc[metric, "ci_high"]
        )
    assert rows.loc["gross_revenue_retention_ttm", "ci_high"] <= 100


def test_quick_ratio_without_losses_is_null_with_a_note(tables_dir):
    write_tables(tables_dir, subscriptions="""
        subscription_id,customer_id,mrr,start_date,end_date
        a1,A,100,2023-01-01,
        e1,E,50,2024-06-10,
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", metrics=["quick_ratio"])
    assert values(frame)["quick_ratio"] is None
    assert notes(frame)["quick_ratio"] == "no contraction or churned MRR in the period"


def test_ttm_is_null_when_nobody_paid_a_year_before(tables_dir):
    write_tables(tables_dir, subscriptions="""
        subscription_id,customer_id,mrr,start_date,end_date
        a1,A,100,2024-01-01,
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", metrics=["net_revenue_retention_ttm"])
    assert values(frame)["net_revenue_retention_ttm"] is None
    assert notes(frame)["net_revenue_retention_ttm"] == (
        "no MRR on 2023-06-30, 12 months before the end snapshot"
    )


def test_ttm_per_segment_adds_up(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, customers="""
        customer_id,plan
        A,pro
        B,pro
        C,basic
        D,basic
        E,pro
        F,basic
        G,pro
        H,basic
        I,basic
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", by="plan", metrics=["net_revenue_retention_ttm"])
    # pro: A 100 -> 100, B 100 -> 150 = 250 / 200; basic: C 200 -> 0, D 100 -> 60,
    # I 90 -> 90 = 150 / 390
    assert values(frame, segment="pro")["net_revenue_retention_ttm"] == pytest.approx(125.0)
    assert values(frame, segment="basic")["net_revenue_retention_ttm"] == pytest.approx(
        150 / 390 * 100
    )


def _explain(folder, metric: str) -> api.ExplainResult:
    data = Dataset.open(folder, Config())
    return api.explain(data, BY_ID[metric], parse_period("2024-06"))


def test_explain_quick_ratio_bridges_its_numerator(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS)
    result = _explain(tables_dir, "quick_ratio")
    terms = {t.measure: (t.value, sorted(t.customers["customer_id"])) for t in result.bridge}
    assert terms == {"new_mrr": (50, ["E"]), "reactivation_mrr": (80, ["F"]),
                     "expansion_mrr": (30, ["G"])}  # fmt: skip


def test_explain_ttm_lists_the_year_old_customers(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS)
    result = _explain(tables_dir, "gross_revenue_retention_ttm")
    assert result.detail is not None
    moved = dict(zip(result.detail["customer_id"], result.detail["movement"], strict=True))
    assert moved == {"A": "unchanged", "B": "expanded", "C": "churned", "D": "contracted",
                     "I": "unchanged"}  # fmt: skip
    # largest change first: C -200, then B +50 and D -40
    assert list(result.detail["customer_id"][:3]) == ["C", "B", "D"]
