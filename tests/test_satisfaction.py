"""Satisfaction and support metrics against a hand-worked June 2024 (SPEC section 3)."""

from __future__ import annotations

import math
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics_cli.config import Config
from tests.conftest import notes, run_report, values, write_tables

CUSTOMERS = """
    customer_id,plan
    P1,starter
    P2,starter
    P3,pro
"""
SUBSCRIPTIONS = """
    subscription_id,customer_id,mrr,start_date
    s1,P1,10,2024-01-01
    s2,P2,10,2024-01-01
    s3,P3,10,2024-01-01
"""
# June nps: P1 10 and 9 (two answers, both count), P2 6, P3 9, anonymous 0
# -> 5 responses, promoters 3, detractors 2. n1 (May) and n7 (July) are outside June.
# csat on 1-5 satisfied from ceil(0.8 x 5) = 4; on 1-10 from ceil(0.8 x 10) = 8:
# c1 5 yes, c2 4 yes, c3 3 no, c4 8/10 yes, c5 7/10 no -> 3 of 5.
# ces on 1-7: 6 and 4; e3 5 on a 1-5 scale is 1 + (5 - 1) x 6 / 4 = 7 -> (6 + 4 + 7) / 3.
SURVEYS = """
    response_id,customer_id,survey_type,score,responded_at,scale_max
    n1,P3,nps,3,2024-05-31,
    n2,P1,nps,10,2024-06-01,
    n3,P1,nps,9,2024-06-15,
    n4,P2,nps,6,2024-06-10,
    n5,P3,nps,9,2024-06-20,
    n6,,nps,0,2024-06-30,
    n7,P2,nps,10,2024-07-01,
    c1,P1,csat,5,2024-06-03,
    c2,P2,csat,4,2024-06-04,
    c3,P3,csat,3,2024-06-05,
    c4,P1,csat,8,2024-06-06,10
    c5,P2,csat,7,2024-06-07,10
    e1,P1,ces,6,2024-06-03,
    e2,P2,ces,4,2024-06-04,
    e3,P3,ces,5,2024-06-05,5
"""
# t1 flag true; t2 flag false (wins over the derived rule); t3 derived yes (resolved, 1 reply,
# no reopen); t4 two replies; t5 reopened; t6 unresolved; t7 created in May.
TICKETS = """
    ticket_id,customer_id,created_at,resolved_at,status,agent_replies,reopens,first_contact_resolved
    t1,P1,2024-06-02,2024-06-02,closed,1,0,true
    t2,P1,2024-06-03,2024-06-03,closed,1,0,false
    t3,P2,2024-06-04,2024-06-05,closed,1,0,
    t4,P2,2024-06-05,2024-06-07,closed,2,0,
    t5,P3,2024-06-06,2024-06-06,closed,1,1,
    t6,P3,2024-06-07,,open,0,0,
    t7,P3,2024-05-20,2024-05-20,closed,1,0,true
"""


@pytest.fixture
def june(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, surveys=SURVEYS,
                 tickets=TICKETS)  # fmt: skip
    return run_report(tables_dir, "2024-06", family="satisfaction")


def test_nps(june):
    v = values(june)
    assert v["nps_responses"] == 5
    assert v["nps_promoters_pct"] == pytest.approx(3 / 5 * 100)
    assert v["nps_detractors_pct"] == pytest.approx(2 / 5 * 100)
    assert v["nps"] == pytest.approx(60 - 40)


def test_nps_margin_of_error(june):
    n_adj = 5 + 3
    p, d = (3 + 0.75) / n_adj, (2 + 0.75) / n_adj  # 0.46875, 0.34375
    expected = 1.96 * math.sqrt((p + d - (p - d) ** 2) / n_adj) * 100  # 1.96 x sqrt(0.0996) x 100
    assert values(june)["nps_margin_of_error"] == pytest.approx(expected)
    assert expected == pytest.approx(61.86, abs=0.01)


def test_csat_thresholds_on_5_and_10_point_scales(june):
    assert values(june)["csat"] == pytest.approx(3 / 5 * 100)


def test_csat_configured_threshold(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, surveys=SURVEYS)
    frame = run_report(tables_dir, "2024-06", family="satisfaction",
                       config=Config(csat_satisfied_min=3))  # fmt: skip
    assert values(frame)["csat"] == 100  # 5, 4, 3, 8, 7 are all >= 3
    assert "config" in notes(frame)["csat"]


def test_ces_rescales_other_scales(june):
    assert values(june)["ces"] == pytest.approx((6 + 4 + 7) / 3)
    assert "rescaled" in notes(june)["ces"]


def test_ces_direction_note(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, surveys=SURVEYS)
    frame = run_report(tables_dir, "2024-06", family="satisfaction",
                       config=Config(ces_higher_is_better=False))  # fmt: skip
    assert "lower = easier" in notes(frame)["ces"]


def test_anonymous_responses_count_overall_only(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, surveys=SURVEYS)
    frame = run_report(tables_dir, "2024-06", family="satisfaction", by="plan")
    starter, pro = values(frame, segment="starter"), values(frame, segment="pro")
    assert starter["nps_responses"] == 3  # P1 twice, P2
    assert starter["nps"] == pytest.approx((2 - 1) / 3 * 100)
    assert pro["nps_responses"] == 1 and pro["nps"] == 100  # P3's 9
    assert values(frame)["nps_responses"] == 3 + 1 + 1  # + the anonymous 0


def test_segment_counts_sum_to_overall_when_every_response_has_a_customer(tables_dir):
    surveys = "\n".join(line for line in SURVEYS.splitlines() if not line.strip().startswith("n6"))
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, surveys=surveys,
                 tickets=TICKETS)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="satisfaction", by="plan")
    overall, starter, pro = (values(frame, segment=s) for s in (None, "starter", "pro"))
    assert starter["nps_responses"] + pro["nps_responses"] == overall["nps_responses"] == 4
    promoters = [v["nps_promoters_pct"] * v["nps_responses"] / 100 for v in (starter, pro)]
    assert sum(promoters) == pytest.approx(overall["nps_promoters_pct"] * 4 / 100)


def test_period_without_responses_is_null_with_a_note(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, surveys=SURVEYS,
                 tickets=TICKETS)  # fmt: skip
    frame = run_report(tables_dir, "2024-08", family="satisfaction")
    v, n = values(frame), notes(frame)
    for metric in ("nps", "nps_promoters_pct", "nps_margin_of_error", "csat", "ces",
                   "first_contact_resolution_rate"):  # fmt: skip
        assert v[metric] is None and n[metric], metric
    assert n["nps"] == "no nps responses in the period"
    assert v["nps_responses"] == 0


def test_nps_on_another_scale_is_rescaled(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, surveys="""
        response_id,customer_id,survey_type,score,responded_at,scale_max
        r1,P1,nps,5,2024-06-01,5
        r2,P2,nps,4,2024-06-01,5
        r3,P3,nps,3,2024-06-01,5
        r4,P3,nps,10,2024-06-01,
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="satisfaction")
    # on 0-10: 10 promoter, 8 passive, 6 detractor, and r4's 10 promoter -> (2 - 1) / 4
    assert values(frame)["nps"] == pytest.approx(25)
    assert "3 response(s) on another scale" in notes(frame)["nps"]


def test_first_contact_resolution_mixed(june):
    # flagged: t1 yes, t2 no; derived: t3 yes, t4 t5 t6 no -> 2 of 6
    assert values(june)["first_contact_resolution_rate"] == pytest.approx(2 / 6 * 100)
    assert notes(june)["first_contact_resolution_rate"] == (
        "flag on 2 tickets, derived for 4; small sample (n = 6)"
    )


def test_first_contact_resolution_without_flag_column(tables_dir):
    lines = [",".join(line.split(",")[:-1]) for line in TICKETS.strip().splitlines()]
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, tickets="\n".join(lines))
    frame = run_report(tables_dir, "2024-06", family="satisfaction")
    # derived for all: t1, t2, t3 resolved with 1 reply and no reopen -> 3 of 6
    assert values(frame)["first_contact_resolution_rate"] == pytest.approx(50)
    assert notes(frame)["first_contact_resolution_rate"] == (
        "flag on 0 tickets, derived for 6; small sample (n = 6)"
    )


def test_first_contact_resolution_flag_only(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, tickets="""
        ticket_id,created_at,first_contact_resolved
        t1,2024-06-01,true
        t2,2024-06-02,no
        t3,2024-06-03,yes
        t4,2024-06-04,false
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="satisfaction")
    assert values(frame)["first_contact_resolution_rate"] == 50
    assert notes(frame)["first_contact_resolution_rate"] == (
        "flag on 4 tickets, derived for 0; small sample (n = 4)"
    )


def test_missing_tables_give_null_with_a_note(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS)
    frame = run_report(tables_dir, "2024-06", family="satisfaction")
    v, n = values(frame), notes(frame)
    assert v["nps"] is None and "surveys" in n["nps"]
    assert (
        v["first_contact_resolution_rate"] is None
        and "tickets" in n["first_contact_resolution_rate"]
    )


# ---- invariants -----------------------------------------------------------------------------

response = st.tuples(
    st.sampled_from(["P1", "P2", "P3", ""]),
    st.sampled_from(["nps", "csat", "ces"]),
    st.integers(0, 10),
    st.integers(1, 30),  # day of June
)
ticket = st.tuples(st.sampled_from(["true", "false", ""]), st.booleans(), st.integers(0, 3),
                   st.integers(0, 2))  # fmt: skip


def _surveys(rows: list[tuple[str, str, int, int]]) -> str:
    lines = ["response_id,customer_id,survey_type,score,responded_at,scale_max"]
    for i, (customer, kind, score, day) in enumerate(rows):
        scale = {"nps": 10, "csat": 5, "ces": 7}[kind]
        lines.append(f"r{i},{customer},{kind},{min(score, scale)},2024-06-{day:02d},")
    return "\n".join(lines)


def _tickets(rows: list[tuple[str, bool, int, int]]) -> str:
    lines = ["ticket_id,customer_id,created_at,resolved_at,agent_replies,reopens,"
             "first_contact_resolved"]  # fmt: skip
    for i, (flag, resolved, replies, reopens) in enumerate(rows):
        done = "2024-06-12" if resolved else ""
        lines.append(f"t{i},P{i % 3 + 1},2024-06-10,{done},{replies},{reopens},{flag}")
    return "\n".join(lines)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(response, max_size=30), st.lists(ticket, max_size=10))
def test_nps_bounds_and_rates(responses, tickets):
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_tables(Path(tmp), customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS,
                              surveys=_surveys(responses), tickets=_tickets(tickets))  # fmt: skip
        frame = run_report(folder, "2024-06", family="satisfaction", by="plan")
    for segment in (None, "starter", "pro"):
        v = values(frame, segment=segment)
        if v["nps_responses"] == 0:
            assert v["nps"] is None
            continue
        assert -100 <= v["nps"] <= 100
        assert v["nps_promoters_pct"] - v["nps_detractors_pct"] == pytest.approx(v["nps"])
        assert v["nps_margin_of_error"] > 0
    rates = frame[(frame["unit"] == "%") & frame["value"].notna()]
    assert ((rates["value"] >= 0) & (rates["value"] <= 100)).all()


# ---- inputs that exist but carry no information -------------------------------------------


def test_first_contact_resolution_without_flags_or_reply_counts_is_null(tables_dir):
    # Both columns are there but blank: whether one contact was enough is unknown, not 0%.
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, tickets="""
        ticket_id,customer_id,created_at,resolved_at,status,agent_replies,first_contact_resolved
        t1,P1,2024-06-02,2024-06-02,closed,,
        t2,P2,2024-06-03,,open,,
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="satisfaction")
    assert values(frame)["first_contact_resolution_rate"] is None
    assert "first_contact_resolved" in notes(frame)["first_contact_resolution_rate"]


def test_first_contact_resolution_without_the_columns_is_null(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, tickets="""
        ticket_id,created_at,resolved_at
        t1,2024-06-02,2024-06-02
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="satisfaction")
    assert values(frame)["first_contact_resolution_rate"] is None


def test_reply_counts_without_any_resolution_record_are_null(tables_dir):
    # agent_replies alone cannot say a ticket was resolved.
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, tickets="""
        ticket_id,created_at,agent_replies
        t1,2024-06-02,1
        t2,2024-06-03,3
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="satisfaction")
    assert values(frame)["first_contact_resolution_rate"] is None


def test_first_contact_resolution_counts_undecided_tickets_and_says_so(tables_dir):
    # t1 flag true; t2 derived yes (resolved, 1 reply); t3 has neither a flag nor a reply
    # count: counted as not first contact -> 2 of 3, and the note says so.
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, tickets="""
        ticket_id,created_at,resolved_at,agent_replies,first_contact_resolved
        t1,2024-06-02,2024-06-02,,true
        t2,2024-06-03,2024-06-03,1,
        t3,2024-06-04,2024-06-05,,
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="satisfaction")
    assert values(frame)["first_contact_resolution_rate"] == pytest.approx(2 / 3 * 100)
    assert notes(frame)["first_contact_resolution_rate"] == (
        "flag on 1 tickets, derived for 2 (1 without a flag or a decidable rule:"
        " counted as not resolved at first contact); small sample (n = 3)"
    )


def test_survey_types_without_rows_are_null_not_zero(tables_dir):
    # only nps rows: csat and ces have no responses at all; the nps figures stand
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, surveys="""
        response_id,customer_id,survey_type,score,responded_at
        n1,P1,nps,10,2024-06-01
        n2,P2,nps,3,2024-06-02
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="satisfaction")
    v, n = values(frame), notes(frame)
    assert v["csat"] is None and n["csat"] == "no csat responses in the period"
    assert v["ces"] is None and n["ces"] == "no ces responses in the period"
    assert v["nps"] == pytest.approx(50 - 50) and v["nps_responses"] == 2


def test_csat_without_rows_stays_null_with_configured_threshold(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, surveys="""
        response_id,customer_id,survey_type,score,responded_at
        e1,P1,ces,5,2024-06-01
    """)  # fmt: skip
    config = Config(csat_satisfied_min=3, ces_higher_is_better=False)
    frame = run_report(tables_dir, "2024-06", family="satisfaction", config=config)
    v, n = values(frame), notes(frame)
    assert v["csat"] is None and n["csat"] == "no csat responses in the period"
    assert v["nps"] is None and v["nps_responses"] == 0 and v["nps_margin_of_error"] is None
    assert v["ces"] == 5


def test_anonymous_survey_export_without_customer_column(tables_dir, capsys):
    import json

    from csmetrics_cli.cli.app import main

    # No customer_id column at all: every response counts overall, none per segment.
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS, surveys="""
        response_id,survey_type,score,responded_at
        n1,nps,10,2024-06-01
        n2,nps,9,2024-06-02
        n3,nps,2,2024-06-03
    """)  # fmt: skip
    frame = run_report(tables_dir, "2024-06", family="satisfaction", by="plan")
    assert values(frame)["nps"] == pytest.approx((2 - 1) / 3 * 100)
    assert values(frame, segment="starter")["nps_responses"] == 0
    assert values(frame, segment="starter")["nps"] is None
    args = ["explain", "nps", "-d", str(tables_dir), "-p", "2024-06", "--json"]
    assert main(args) == 0
    body = json.loads(capsys.readouterr().out)
    assert [c["customer_id"] for c in body["customers"]] == [None, None, None]
    assert sorted(c["group"] for c in body["customers"]) == ["detractor", "promoter", "promoter"]
