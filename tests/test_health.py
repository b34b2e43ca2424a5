"""Health score: components and weights worked by hand on two customers on 2024-06-30."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from csmetrics_cli.cli.app import main
from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.engine.context import Context
from csmetrics_cli.health.backtest import auc
from csmetrics_cli.health.model import HealthModel, score
from csmetrics_cli.periods import parse_period
from tests.conftest import notes, run_report, values, write_tables

X_EVENTS = "\n".join(
    f"2024-06-{d:02d}T10:00:00,u1,X,click,{'a' if d % 2 else 'b'}" for d in range(1, 11)
)
TABLES = {
    "customers": """
        customer_id,plan
        X,pro
        Y,starter
        Z,starter
    """,
    "subscriptions": """
        subscription_id,customer_id,mrr,start_date,end_date
        x1,X,100,2024-01-01,
        y1,Y,200,2024-05-01,
        z1,Z,50,2023-01-01,2024-01-01
    """,
    "events": "timestamp,user_id,customer_id,event,feature\n"
    + X_EVENTS
    + """
        2024-05-15T10:00:00,u2,Y,click,c
        2024-01-15T10:00:00,u3,Z,click,d
    """,
    "surveys": """
        response_id,customer_id,survey_type,score,responded_at
        r1,X,nps,9,2024-06-10
        r2,Y,csat,4,2024-06-12
        r3,Y,nps,2,2023-01-01
    """,
    "tickets": """
        ticket_id,customer_id,created_at,resolved_at,reopens
        t1,X,2024-06-03,2024-06-04,0
        t2,Y,2024-06-20,,1
        t3,Y,2024-01-20,2024-01-21,0
    """,
    "invoices": """
        invoice_id,customer_id,issued_at,amount,status
        i1,X,2024-06-01,100,paid
        i2,Y,2024-06-01,200,failed
    """,
    "onboarding": """
        customer_id,step,step_order,completed_at
        X,setup,1,2024-01-05
        X,invite,2,2024-01-09
        Y,setup,1,2024-05-03
        Y,invite,2,
    """,
}


def _context(ds: Dataset) -> Context:
    """A context whose customers are every customer of the data set (June 2024)."""
    return Context(ds, [parse_period("2024-06")])


@pytest.fixture
def data(tables_dir):
    # events text mixes an undented header with indented rows; strip each line
    tables = {
        k: "\n".join(line.strip() for line in v.strip().splitlines()) for k, v in TABLES.items()
    }
    return write_tables(tables_dir, **tables)


def test_components_and_score(data):
    ds = Dataset.open(data, Config())
    frame = score(_context(ds), np.datetime64("2024-06-30"), HealthModel.from_config(Config()))
    x, y = frame.loc["X"], frame.loc["Y"]
    assert x["usage"] == pytest.approx(10 / 20 * 100)  # 10 active days of the last 30
    assert x["features"] == pytest.approx(2 / 4 * 100)  # a, b of a, b, c, d
    assert x["sentiment"] == pytest.approx(90)  # NPS 9 on 0-10
    assert x["support"] == pytest.approx(100 - 15)  # one resolved ticket
    assert x["payment"] == 100 and x["onboarding"] == 100
    assert x["revenue_trend"] == pytest.approx(50)  # flat since 2024-03-30
    assert x["score"] == pytest.approx(12.5 + 5 + 18 + 12.75 + 15 + 5 + 5)
    assert x["band"] == "healthy"
    assert y["usage"] == 0 and y["features"] == 0  # its one event is 46 days old
    assert y["sentiment"] == pytest.approx((4 - 1) / (5 - 1) * 100)  # latest: CSAT 4 of 1-5
    assert y["support"] == pytest.approx(100 - 15 - 20 - 15)  # unresolved, reopened once
    assert y["payment"] == 50 and y["onboarding"] == 50
    assert np.isnan(y["revenue_trend"])  # no MRR 3 months ago: left out, weights renormalised
    assert y["score"] == pytest.approx((0 + 0 + 15 + 7.5 + 7.5 + 2.5) / 0.9)
    assert y["band"] == "at_risk"


def test_report_health_family(data):
    v = values(run_report(data, "2024-06", family="health"))
    assert v["customer_health_score"] == pytest.approx((73.25 + 32.5 / 0.9) / 2)
    assert v["healthy_customers"] == 1 and v["at_risk_customers"] == 1
    assert v["needs_attention_customers"] == 0
    assert v["at_risk_mrr"] == 200  # Y's MRR; Z is not paying and not counted


def test_auc_by_hand():
    # churners 10 and 30, stayers 20 and 40: churner below stayer in 3 of 4 pairs
    assert auc(pd.Series([10.0, 20, 30, 40]), pd.Series([True, False, True, False])) == 0.75
    assert auc(pd.Series([1.0, 2]), pd.Series([False, False])) is None


def test_health_command_json(data, capsys):
    assert main(["health", "-d", str(data), "-p", "2024-06", "--json", "--band", "at_risk"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert [c["customer_id"] for c in body["customers"]] == ["Y"]
    customer = body["customers"][0]
    assert customer["band"] == "at_risk" and customer["mrr"] == 200
    assert customer["components"]["revenue_trend"] is None
    assert set(customer["components"]) >= {"usage", "sentiment", "support", "payment"}


def test_backtest_json(data, capsys):
    assert main(["health", "-d", str(data), "-p", "2023-10", "--backtest", "--json"]) == 0
    body = json.loads(capsys.readouterr().out)
    # on 2023-10-31 only Z pays; it has stopped paying by 2024-01-31
    assert {b["band"]: b["churned"] for b in body["bands"] if b["customers"]} in (
        {"healthy": 1}, {"needs_attention": 1}, {"at_risk": 1})  # fmt: skip
    assert body["observations"] == 1 and body["auc"] is None


# ---- optional inputs and customers who cannot be scored -------------------------------------


def _score(folder, customers: list[str]) -> pd.DataFrame:
    ds = Dataset.open(folder, Config())
    model = HealthModel.from_config(Config())
    return score(_context(ds), np.datetime64("2024-06-30"), model).loc[customers]


def test_component_windows_end_on_the_day_and_same_day_answers_take_the_later_row(tables_dir):
    # On 2024-06-30: the 365 survey days start 2023-07-02, the 90 ticket and invoice days
    # 2024-04-02. X answered CSAT 2 then 4 on 06-27: the later row, (4 - 1) / 4 = 75. Y's
    # NPS of 2023-07-01 is a day too old; Z's NPS 0 of 2023-07-02 counts. X's ticket of
    # 04-02 is open on 06-30 (resolved 07-01): 100 - 15 - 20; Y's of 04-01 is out. X has
    # two failed invoices in the window (0), Y's only one is out (100).
    write_tables(tables_dir, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        x1,X,100,2023-01-01
        y1,Y,100,2023-01-01
        z1,Z,100,2023-01-01
    """, surveys="""
        response_id,customer_id,survey_type,score,responded_at
        r1,X,csat,2,2024-06-27
        r2,X,csat,4,2024-06-27
        r3,Y,nps,10,2023-07-01
        r4,Z,nps,0,2023-07-02
    """, tickets="""
        ticket_id,customer_id,created_at,resolved_at
        t1,X,2024-04-02,2024-07-01
        t2,Y,2024-04-01,2024-04-01
    """, invoices="""
        invoice_id,customer_id,issued_at,amount,status
        i1,X,2024-04-02,100,failed
        i2,X,2024-06-30,100,failed
        i3,Y,2024-04-01,100,failed
    """)  # fmt: skip
    frame = _score(tables_dir, ["X", "Y", "Z"])
    assert frame.loc["X", "sentiment"] == pytest.approx(75)
    assert np.isnan(frame.loc["Y", "sentiment"]) and frame.loc["Z", "sentiment"] == 0
    assert frame.loc["X", "support"] == 100 - 15 - 20 and frame.loc["Y", "support"] == 100
    assert frame.loc["X", "payment"] == 0 and frame.loc["Y", "payment"] == 100


def test_inputs_without_customer_ids_leave_their_components_out(tables_dir):
    # Tickets, surveys and events that name no customer cannot score one: the components
    # are unknown (NaN), not a clean 100 or an idle 0, and nothing raises.
    write_tables(tables_dir, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        x1,X,100,2024-01-01
    """, tickets="""
        ticket_id,created_at,resolved_at
        t1,2024-06-03,
    """, surveys="""
        response_id,survey_type,score,responded_at
        r1,nps,3,2024-06-10
    """, events="""
        timestamp,user_id,customer_id,feature
        2024-06-10T10:00:00,u1,,a
    """)  # fmt: skip
    x = _score(tables_dir, ["X"]).loc["X"]
    for component in ("support", "sentiment", "usage", "features", "payment", "onboarding"):
        assert np.isnan(x[component]), component
    assert x["revenue_trend"] == 50  # flat MRR since 2024-03-30: the only component left
    assert x["score"] == 50 and x["band"] == "needs_attention"
    assert x["unscored_reason"] is None


def test_support_reads_status_without_resolution_dates(tables_dir):
    write_tables(tables_dir, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        x1,X,100,2024-01-01
    """, tickets="""
        ticket_id,customer_id,created_at,status
        t1,X,2024-06-03,open
        t2,X,2024-06-04,solved
    """)  # fmt: skip
    # two tickets (15 each), one still open (20)
    assert _score(tables_dir, ["X"]).loc["X", "support"] == 100 - 15 - 15 - 20


def test_customer_never_invoiced_has_no_payment_component(tables_dir):
    write_tables(tables_dir, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        x1,X,100,2024-01-01
        y1,Y,100,2024-01-01
    """, invoices="""
        invoice_id,customer_id,issued_at,amount,status
        i1,X,2024-06-01,100,failed
    """)  # fmt: skip
    frame = _score(tables_dir, ["X", "Y"])
    assert frame.loc["X", "payment"] == 50  # one failed invoice in 90 days
    assert np.isnan(frame.loc["Y", "payment"])  # not in the billing export at all


def test_blank_onboarding_completion_column_is_unknown(tables_dir):
    write_tables(tables_dir, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        x1,X,100,2024-01-01
    """, onboarding="""
        customer_id,step,completed_at
        X,setup,
        X,invite,
    """)  # fmt: skip
    assert np.isnan(_score(tables_dir, ["X"]).loc["X", "onboarding"])


# N started in June (no MRR three months earlier) and has no other data: it cannot be scored.
# O pays since January, flat: revenue_trend 50 and nothing else. P since January with an NPS 10
# (sentiment 100): (0.20 x 100 + 0.10 x 50) / 0.30 = 83.3. Q since January with an NPS 0:
# 5 / 0.30 = 16.7. Z churned in May and is not counted.
UNSCORED = {
    "customers": """
        customer_id,plan
        N,starter
        O,starter
        P,pro
        Q,pro
        Z,pro
    """,
    "subscriptions": """
        subscription_id,customer_id,mrr,start_date,end_date
        n1,N,10,2024-06-01,
        o1,O,20,2024-01-01,
        p1,P,30,2024-01-01,
        q1,Q,40,2024-01-01,
        z1,Z,50,2024-01-01,2024-05-15
    """,
    "surveys": """
        response_id,customer_id,survey_type,score,responded_at
        r1,P,nps,10,2024-06-10
        r2,Q,nps,0,2024-06-11
    """,
}


def test_unscored_customer_has_no_band_and_a_reason(tables_dir):
    write_tables(tables_dir, **UNSCORED)
    frame = _score(tables_dir, ["N", "O", "P", "Q", "Z"])
    n = frame.loc["N"]
    assert np.isnan(n["score"]) and n["band"] is None
    assert n["unscored_reason"] == (
        "no usage, survey, ticket, invoice, MRR history or onboarding data"
    )
    assert frame.loc["O", "score"] == 50 and frame.loc["O", "band"] == "needs_attention"
    assert frame.loc["P", "score"] == pytest.approx(25 / 0.3)
    assert frame.loc["Q", "score"] == pytest.approx(5 / 0.3)
    assert frame.loc[["O", "P", "Q"], "unscored_reason"].isna().all()


def test_unscored_reason_names_only_weighted_components(tables_dir):
    write_tables(tables_dir, **UNSCORED)
    model = HealthModel({"sentiment": 1.0, "usage": 0.0}, 70.0, 40.0)
    ds = Dataset.open(tables_dir, Config())
    frame = score(_context(ds), np.datetime64("2024-06-30"), model).loc[["N", "O"]]
    # only sentiment carries weight: O (no survey) cannot be scored either
    assert frame["unscored_reason"].tolist() == ["no survey data", "no survey data"]
    assert frame["band"].tolist() == [None, None]


def test_health_counts_add_up_to_paying_customers(tables_dir):
    from csmetrics_cli.engine.context import ALL, Context
    from csmetrics_cli.engine.movements import measures
    from csmetrics_cli.metrics.health import counts as _counts
    from csmetrics_cli.periods import parse_period

    write_tables(tables_dir, **UNSCORED)
    ctx = Context(Dataset.open(tables_dir, Config()), [parse_period("2024-06")], "plan")
    counts, ends = _counts(ctx), measures(ctx)["customers_end"]
    # overall: P healthy, O needs attention, Q at risk, N unscored; Z not paying
    overall = counts.loc[("2024-06", ALL)]
    assert overall[["healthy", "needs_attention", "at_risk", "unscored"]].tolist() == [1, 1, 1, 1]
    assert overall["paying"] == 4 and overall["scored"] == 3
    assert counts.loc[("2024-06", "starter"), "unscored"] == 1  # N
    assert counts.loc[("2024-06", "pro"), "unscored"] == 0
    bands = counts["healthy"] + counts["needs_attention"] + counts["at_risk"]
    assert (bands + counts["unscored"]).tolist() == counts["paying"].tolist()
    assert counts["paying"].tolist() == ends.tolist()  # starter 2 (N, O), pro 2 (P, Q)


def test_mean_score_leaves_unscored_customers_out_and_says_so(tables_dir):
    write_tables(tables_dir, **UNSCORED)
    frame = run_report(tables_dir, "2024-06", family="health")
    v, n = values(frame), notes(frame)
    assert v["customer_health_score"] == pytest.approx((50 + 25 / 0.3 + 5 / 0.3) / 3)
    assert n["customer_health_score"] == (
        "1 paying customer(s) could not be scored"
        " (no usage, survey, ticket, invoice, MRR history or onboarding data)"
    )
    assert v["healthy_customers"] + v["needs_attention_customers"] + v["at_risk_customers"] == 3


def test_nobody_scored_is_null_not_zero(tables_dir):
    write_tables(tables_dir, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        n1,N,10,2024-06-01
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="health")
    v, n = values(frame), notes(frame)
    assert v["customer_health_score"] is None
    assert n["customer_health_score"].startswith("1 paying customer(s) could not be scored")


def _strict(text: str) -> dict:
    def refuse(constant: str) -> object:
        raise ValueError(constant)

    return json.loads(text, parse_constant=refuse)


def test_health_json_is_strict_with_unscored_customers(tables_dir, capsys):
    write_tables(tables_dir, **UNSCORED)
    assert main(["health", "-d", str(tables_dir), "-p", "2024-06", "--json"]) == 0
    body = _strict(capsys.readouterr().out)
    by_id = {c["customer_id"]: c for c in body["customers"]}
    assert set(by_id) == {"N", "O", "P", "Q"}
    assert by_id["N"]["score"] is None and by_id["N"]["band"] is None
    assert by_id["N"]["unscored_reason"].startswith("no usage")
    assert by_id["N"]["components"]["revenue_trend"] is None
    assert by_id["P"]["band"] == "healthy" and by_id["P"]["unscored_reason"] is None


def test_explain_health_lists_unscored_customers(tables_dir, capsys):
    write_tables(tables_dir, **UNSCORED)
    args = ["explain", "customer_health_score", "-d", str(tables_dir), "-p", "2024-06", "--json"]
    assert main(args) == 0
    body = _strict(capsys.readouterr().out)
    reasons = {c["customer_id"]: c["unscored_reason"] for c in body["customers"]}
    assert reasons["N"].startswith("no usage") and reasons["P"] is None
