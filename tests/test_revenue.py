"""Revenue and retention metrics against a hand-worked June 2024 (SPEC section 3).

Period 2024-06: start snapshot 2024-05-31, end snapshot 2024-06-30. The customers are
chosen to hit the traps: a subscription starting on the 1st (new), one starting and ending
inside the month (acquired, neither new nor churned), a reactivation, a zero-MRR trial, an
annual plan, an upgrade and a downgrade mid-month, an end date on the 1st of next month.
"""

from __future__ import annotations

import pytest

from tests.conftest import notes, run_report, values, write_tables

CUSTOMERS = """
    customer_id,name,plan,region
    A,Alpha,starter,NA
    B,Beta,starter,EMEA
    C,Gamma,starter,NA
    D,Delta,starter,NA
    E,Epsilon,pro,EMEA
    F,Zeta,pro,NA
    G,Eta,pro,EMEA
    H,Theta,pro,NA
    I,Iota,enterprise,NA
    J,Kappa,enterprise,EMEA
    K,Lambda,enterprise,NA
    L,Mu,enterprise,EMEA
"""
# m0 = MRR on 2024-05-31, m1 = MRR on 2024-06-30, written beside each customer.
SUBSCRIPTIONS = """
    subscription_id,customer_id,mrr,start_date,end_date,term_end
    a1,A,100,2024-01-01,,
    b1,B,200,2024-02-01,2024-06-15,
    c1,C,50,2024-06-01,,
    d1,D,80,2024-06-05,2024-06-20,
    e1,E,70,2023-01-01,2024-03-01,
    e2,E,90,2024-06-10,,
    f0,F,0,2024-06-01,2024-06-15,
    f1,F,120,2024-06-15,,
    g1,G,100,2024-01-01,2024-06-10,
    g2,G,150,2024-06-10,,
    h1,H,300,2023-06-01,2024-06-20,
    h2,H,240,2024-06-20,,
    i1,I,100,2023-07-01,,2024-07-01
    j1,J,100,2023-06-15,2024-06-15,2024-06-15
    k1,K,50,2023-06-20,,2024-06-20
    l1,L,60,2024-01-01,2024-07-01,
"""
# A 100/100 retained; B 200/0 churned; C 0/50 new; D 0/0 acquired only; E 0/90 reactivated;
# F 0/120 new (first paying day 06-15 after a zero-MRR trial); G 100/150 expansion +50;
# H 300/240 contraction 60; I 100/100; J 100/0 churned at its term end; K 50/50 renewed;
# L 60/60 (end 2024-07-01 is exclusive, so still paying on 06-30).
COSTS = """
    date,period,category,amount
    2024-06-15,,acquisition,900
    2024-05-10,,acquisition,300
    ,2024-06,retention,600
    2024-06-02,,other,5000
"""
INVOICES = """
    invoice_id,customer_id,issued_at,amount,status
    i1,A,2024-05-01,100,paid
    i2,A,2024-06-01,100,paid
    i3,B,2024-05-01,200,paid
    i4,B,2024-06-01,200,failed
    i5,C,2024-06-01,50,paid
    i6,E,2023-05-01,70,paid
"""


@pytest.fixture
def june(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, costs=COSTS,
                 invoices=INVOICES)  # fmt: skip
    return run_report(tables_dir, "2024-06", family="revenue")


def test_customer_counts(june):
    v = values(june)
    # start: A B G H I J K L; end: A C E F G H I K L
    assert v["customers_start"] == 8
    assert v["customers_end"] == 9
    assert v["new_customers"] == 2  # C (starts on the 1st), F (after a zero-MRR trial)
    assert v["reactivated_customers"] == 1  # E
    assert v["churned_customers"] == 2  # B, J
    assert v["acquired_customers"] == 3  # C, D, F: first paying day in June


def test_mrr_movements(june):
    v = values(june)
    assert v["mrr"] == 100 + 50 + 90 + 120 + 150 + 240 + 100 + 50 + 60  # 960
    assert v["arr"] == 960 * 12
    assert v["new_mrr"] == 50 + 120
    assert v["reactivation_mrr"] == 90
    assert v["expansion_mrr"] == 50
    assert v["contraction_mrr"] == 60
    assert v["churned_mrr"] == 200 + 100
    assert v["arpu"] == pytest.approx(960 / 9)


def test_rates(june):
    v = values(june)
    start_mrr = 100 + 200 + 100 + 300 + 100 + 100 + 50 + 60  # 1010
    assert v["customer_retention_rate"] == pytest.approx(6 / 8 * 100)
    assert v["customer_churn_rate"] == pytest.approx(2 / 8 * 100)
    assert v["net_revenue_retention"] == pytest.approx((1010 + 50 - 60 - 300) / start_mrr * 100)
    assert v["gross_revenue_retention"] == pytest.approx((1010 - 60 - 300) / start_mrr * 100)
    assert v["expansion_revenue_rate"] == pytest.approx((50 - 60 - 300) / start_mrr * 100)
    assert v["revenue_churn_rate"] == pytest.approx((300 + 60) / start_mrr * 100)
    assert v["renewal_rate"] == pytest.approx(1 / 2 * 100)  # J and K due in June; K renewed


def test_lifetime_clv_and_costs(june):
    v = values(june)
    assert v["customer_lifetime_months"] == pytest.approx(1 / 0.25)
    assert v["clv"] == pytest.approx(960 / 9 * 4)
    assert v["cac"] == pytest.approx(900 / 3)  # June acquisition costs / C, D, F
    assert v["customer_retention_cost"] == pytest.approx(600 / 6)  # period "2024-06" row
    assert v["retention_cost_per_customer"] == pytest.approx(600 / 9)
    assert v["ltv_to_cac"] == pytest.approx((960 / 9 * 4) / 300)
    # paid in [2023-07-01, 2024-07-01): 100 + 100 + 200 + 50 from A, B, C; x 4/12 years
    assert v["clv_purchase"] == pytest.approx(450 / 3 * 4 / 12)


def test_clv_purchase_window_edges_per_period_and_segment(tables_dir):
    """The trailing 12 months run from the first instant of the window to just before the
    period's end, per period of a trend and per segment."""
    edges = """
    i8,G,2023-07-01T00:00:00,40,paid
    i9,H,2024-07-01T00:00:00,500,paid
    """
    invoices = INVOICES.rstrip() + edges
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS,
                 invoices=invoices)  # fmt: skip
    frame = run_report(tables_dir, trend=("2024-05", "2024-06"), by="plan",
                       metrics=["clv_purchase"])  # fmt: skip
    terms = {(r.period, r.segment): (r.numerator, r.denominator)
             for r in frame.itertuples(index=False)}  # fmt: skip
    # June: [2023-07-01, 2024-07-01): A 100 + 100, B 200, C 50, G 40.
    assert terms[("2024-06", None)] == (490, 4)
    assert terms[("2024-06", "starter")] == (450, 3)
    assert terms[("2024-06", "pro")] == (40, 1)  # H's invoice is on July 1st: outside
    # May: [2023-06-01, 2024-06-01): A 100, B 200, G 40 (June 1st is outside).
    assert terms[("2024-05", None)] == (340, 3)
    assert terms[("2024-05", "enterprise")] == (0, 0)


def test_segments_by_plan(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)
    frame = run_report(tables_dir, "2024-06", by="plan", family="revenue")
    starter, pro, ent = (values(frame, segment=s) for s in ("starter", "pro", "enterprise"))
    assert starter["customer_churn_rate"] == pytest.approx(50)  # A stays, B churns
    assert pro["customer_churn_rate"] == 0
    assert pro["new_customers"] == 1 and pro["reactivated_customers"] == 1  # F, E
    assert ent["customers_end"] == 3  # I, K, L
    overall = values(frame)
    for metric in ("customers_end", "mrr", "churned_mrr", "new_customers"):
        assert overall[metric] == starter[metric] + pro[metric] + ent[metric]


def test_quarter_lifetime_is_mean_of_monthly_churn(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)
    v = values(run_report(tables_dir, "2024-Q2", family="revenue"))
    # April 0/8 churn, May 0/8, June 2/8 -> mean 1/12 per month -> 12 months
    assert v["customer_lifetime_months"] == pytest.approx(12)
    # over the quarter: start = 2024-03-31 (E had left on 03-01), end = 2024-06-30
    assert v["customers_start"] == 8
    assert v["reactivated_customers"] == 1


def test_missing_inputs_are_null_with_a_note(tables_dir):
    write_tables(
        tables_dir,
        subscriptions="""
        subscription_id,customer_id,mrr,start_date,end_date
        s1,X,10,2024-01-01,
        """,
    )
    frame = run_report(tables_dir, "2024-06", family="revenue")
    v, n = values(frame), notes(frame)
    assert v["mrr"] == 10
    for metric in ("renewal_rate", "cac", "clv_purchase", "ltv_to_cac"):
        assert v[metric] is None
        assert n[metric]
    assert "term_end" in n["renewal_rate"]
    assert "costs" in n["cac"]
    assert v["customer_lifetime_months"] is None  # no churn: unbounded, not 0
    assert "no churn" in n["customer_lifetime_months"]


def test_empty_period_before_any_data(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS)
    frame = run_report(tables_dir, "2020-01", family="revenue")
    v, n = values(frame), notes(frame)
    assert v["customers_start"] == 0 and v["mrr"] == 0
    assert v["customer_churn_rate"] is None and "start snapshot" in n["customer_churn_rate"]
    assert v["net_revenue_retention"] is None


def test_mrr_derived_from_amount_and_interval(tables_dir):
    write_tables(
        tables_dir,
        subscriptions="""
        subscription_id,customer_id,amount,interval,interval_count,start_date
        s1,X,1200,year,,2024-01-01
        s2,Y,300,quarter,,2024-01-01
        s3,Z,100,month,2,2024-01-01
        """,
    )
    v = values(run_report(tables_dir, "2024-06", metrics=["mrr", "customers_end"]))
    assert v["mrr"] == pytest.approx(100 + 100 + 50)
    assert v["customers_end"] == 3


def test_trend_matches_single_months(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)
    trend = run_report(tables_dir, trend=("2024-04", "2024-07"), family="revenue")
    assert list(dict.fromkeys(trend["period"])) == ["2024-04", "2024-05", "2024-06", "2024-07"]
    for month in ("2024-05", "2024-06"):
        single = values(run_report(tables_dir, month, family="revenue"))
        assert values(trend, period=month) == pytest.approx(single, nan_ok=True)


def test_mrr_matrix_ignores_customers_outside_the_index():
    import numpy as np
    import pandas as pd

    from csmetrics_cli.engine.snapshots import mrr_matrix

    subs = pd.DataFrame({
        "customer_id": ["A", "B"], "mrr": [10.0, 99.0],
        "start_date": pd.to_datetime(["2024-01-01", "2024-01-01"]),
        "end_date": pd.to_datetime([None, None]),
    })  # fmt: skip
    days = np.array(["2024-02-01"], dtype="datetime64[D]")
    assert mrr_matrix(subs, pd.Index(["A"]), days).tolist() == [[10.0]]


def test_renewal_without_end_date_column(tables_dir):
    # No end_date: every subscription runs on. A's term ends 06-15 and it is paying that day
    # (renewed); B's ends 06-20 on a zero-MRR plan (not paying: not renewed); C's is in July;
    # D's ends 06-10 but its explicit renewed = false wins. -> 1 of 3.
    write_tables(
        tables_dir,
        subscriptions="""
        subscription_id,customer_id,mrr,start_date,term_end,renewed
        a1,A,100,2023-06-15,2024-06-15,
        b1,B,0,2023-06-20,2024-06-20,
        c1,C,50,2023-07-01,2024-07-01,
        d1,D,70,2023-06-10,2024-06-10,false
        """,
    )
    frame = run_report(tables_dir, "2024-06", family="revenue")
    v = values(frame)
    assert v["renewal_rate"] == pytest.approx(1 / 3 * 100)
    assert v["customers_end"] == 3 and v["churned_customers"] == 0


def test_renewal_with_blank_term_end_is_null(tables_dir):
    write_tables(
        tables_dir,
        subscriptions="""
        subscription_id,customer_id,mrr,start_date,term_end
        a1,A,100,2023-06-15,
        """,
    )
    frame = run_report(tables_dir, "2024-06", family="revenue")
    assert values(frame)["renewal_rate"] is None
    assert "term_end" in notes(frame)["renewal_rate"]
