"""Health score: components and weights worked by hand on two customers on 2024-06-30."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from csmetrics_cli.cli.app import main
from csmetrics_cli.config import Config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.health.backtest import auc
from csmetrics_cli.health.model import HealthModel, score
from tests.conftest import run_report, values, write_tables

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


@pytest.fixture
def data(tables_dir):
    # events text mixes an undented header with indented rows; strip each line
    tables = {
        k: "\n".join(line.strip() for line in v.strip().splitlines()) for k, v in TABLES.items()
    }
    return write_tables(tables_dir, **tables)


def test_components_and_score(data):
    ds = Dataset.open(data, Config())
    frame = score(
        ds,
        pd.Index(["X", "Y", "Z"]),
        np.datetime64("2024-06-30"),
        HealthModel.from_config(Config()),
    )
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
