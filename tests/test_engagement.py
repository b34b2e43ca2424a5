"""Onboarding, activation and usage metrics against a hand-worked June 2024 (SPEC section 3).

June cohort (created_at in June; F has no created_at, so its first paying day 06-07 counts):
A 06-01, B 06-10, C 06-20, E 06-25, F 06-07. D, G, H, J, K were created before June.
The last day in the data is 2024-10-15 (the last event); J's end_date 2025-03-01 is a
scheduled date and does not extend it.
"""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics_cli.config import Config
from tests.conftest import notes, run_report, values, write_tables

CUSTOMERS = """
    customer_id,created_at,trial_start,activated_at,plan
    A,2024-06-01,,2024-06-05,starter
    B,2024-06-10,2024-06-10,2024-06-20,pro
    C,2024-06-20,2024-06-20,,starter
    D,2024-05-15,,2024-05-16,pro
    E,2024-06-25,2024-05-28,2024-06-29,pro
    F,,,2024-06-08,starter
    G,2024-04-01,2024-06-05,,starter
    H,2022-12-01,2024-06-12,,pro
    J,2024-02-20,,,pro
    K,2023-12-01,,,starter
"""
# Paying on 06-30 (end snapshot): A B D E F J. K churned on 06-20; C starts in July;
# G only ever had a zero-MRR trial; H stopped paying in January.
SUBSCRIPTIONS = """
    subscription_id,customer_id,mrr,start_date,end_date
    a1,A,50,2024-06-01,
    b1,B,100,2024-06-10,
    c1,C,80,2024-07-15,
    d1,D,60,2024-05-15,
    e1,E,70,2024-06-25,2024-09-01
    f1,F,40,2024-06-07,2024-08-01
    g0,G,0,2024-06-05,2024-07-05
    h1,H,30,2023-01-01,2024-01-01
    j1,J,500,2024-03-01,2025-03-01
    k1,K,20,2024-01-01,2024-06-20
"""
# sso_setup is a pro-only step that nobody completed; rows are not in step order.
ONBOARDING = """
    customer_id,step,step_order,completed_at
    A,first_report,4,2024-06-08
    A,account_setup,1,2024-06-01
    A,invite_team,2,2024-06-04
    B,account_setup,1,2024-06-11
    B,invite_team,2,2024-06-15
    B,sso_setup,3,
    B,first_report,4,2024-06-25
    C,account_setup,1,2024-06-21
    C,invite_team,2,
    C,first_report,4,
    E,account_setup,1,2024-06-26
    E,invite_team,2,2024-06-27
    E,sso_setup,3,
    E,first_report,4,2024-06-28
    F,account_setup,1,2024-06-07
    F,invite_team,2,2024-06-09
    F,first_report,4,2024-06-20
    D,account_setup,1,2024-05-15
    D,invite_team,2,2024-05-16
    D,first_report,4,2024-05-20
"""
# June user-days: u1 06-01 06-02 06-30 (two events on 06-02 count once), u2 06-02,
# u3 06-10 06-11 06-12, u4 06-15, u5 06-20 (no customer), u6 06-05 -> 10 user-days, 6 users.
EVENTS = """
    timestamp,user_id,customer_id,event,feature
    2024-06-01T09:00:00Z,u1,A,login,reports
    2024-06-02T10:00:00Z,u1,A,report_created,dashboards
    2024-06-02T11:00:00Z,u1,A,login,
    2024-06-30T08:00:00Z,u1,A,login,
    2024-07-05T08:00:00Z,u1,A,login,api
    2024-06-02T12:00:00Z,u2,A,login,reports
    2024-06-10T09:00:00Z,u3,B,login,reports
    2024-06-11T09:00:00Z,u3,B,login,
    2024-06-12T09:00:00Z,u3,B,report_created,
    2024-06-15T09:00:00Z,u4,D,login,api
    2024-06-20T09:00:00Z,u5,,login,api
    2024-06-05T09:00:00Z,u6,K,login,exports
    2024-07-20T09:00:00Z,u7,E,login,reports
    2024-10-15T09:00:00Z,u4,D,login,
"""


def _write(folder: Path, **overrides: str) -> Path:
    tables = {"customers": CUSTOMERS, "subscriptions": SUBSCRIPTIONS,
              "onboarding": ONBOARDING, "events": EVENTS}  # fmt: skip
    tables.update(overrides)
    return write_tables(folder, **{k: v for k, v in tables.items() if v})


@pytest.fixture
def june(tables_dir):
    _write(tables_dir)
    return run_report(tables_dir, "2024-06", family="engagement")


def test_onboarding_completion(june):
    v = values(june)
    # cohort with onboarding rows: A B C E F; every step done: A, F
    assert v["onboarding_completion_rate"] == pytest.approx(2 / 5 * 100)
    # A: 06-01 -> 06-08 = 7 days; F: 06-07 (first paying day) -> 06-20 = 13 days
    assert v["onboarding_days_to_complete"] == pytest.approx((7 + 13) / 2)


def test_onboarding_step_funnel(june):
    v = values(june)
    steps = [item for metric, item in june[["metric", "item"]].itertuples(index=False)
             if metric == "onboarding_step_completion"][:4]  # fmt: skip
    assert steps == ["account_setup", "invite_team", "sso_setup", "first_report"]
    assert v[("onboarding_step_completion", "account_setup")] == 100  # 5 of 5
    assert v[("onboarding_step_completion", "invite_team")] == pytest.approx(4 / 5 * 100)  # not C
    assert v[("onboarding_step_completion", "sso_setup")] == 0  # B and E have it, neither done
    assert v[("onboarding_step_completion", "first_report")] == pytest.approx(4 / 5 * 100)


def test_onboarding_retention(june):
    v = values(june)
    # day 90: A 08-30 paying; F 09-05 (ended 08-01) not -> completers 1 of 2
    assert v["onboarding_completer_retention"] == pytest.approx(50)
    # B 09-08 paying; C 09-18 paying (started 07-15); E 09-23 (ended 09-01) not -> 2 of 3
    assert v["onboarding_noncompleter_retention"] == pytest.approx(2 / 3 * 100)


def test_onboarding_retention_window_must_be_inside_the_data(tables_dir):
    _write(tables_dir)
    frame = run_report(tables_dir, "2024-06", family="engagement",
                       config=Config(retention_days=120))  # fmt: skip
    v = values(frame)
    # day 120 on or before 10-15: A 09-29, F 10-05, B 10-08; not C 10-18 or E 10-23
    assert v["onboarding_completer_retention"] == pytest.approx(50)  # A yes, F no
    assert v["onboarding_noncompleter_retention"] == 100  # B only
    late = run_report(tables_dir, "2024-06", family="engagement", config=Config(retention_days=150))
    assert values(late)["onboarding_completer_retention"] is None
    assert "2024-10-15" in notes(late)["onboarding_completer_retention"]


def test_feature_activation(june):
    # first 30 days: A reports + dashboards (api on 07-05 is after its window) = 2, B reports = 1,
    # E reports on 07-20 (window 06-25..07-24) = 1, C and F none
    assert values(june)["onboarding_feature_activation"] == pytest.approx((2 + 1 + 0 + 1 + 0) / 5)


def test_trial_conversion_counts_conversions_after_the_period(june):
    # June trials: B (paying from 06-10), C (paying from 07-15, after June: counts),
    # G (zero-MRR subscription only), H (paid only before its trial) -> 2 of 4
    assert values(june)["trial_conversion_rate"] == pytest.approx(50)


def test_activation_and_time_to_value(june):
    v, n = values(june), notes(june)
    # activated: A (4 days), B (10), E (4), F (06-07 -> 06-08: 1); not C -> 4 of 5
    assert v["activation_rate"] == pytest.approx(80)
    assert v["time_to_value_days"] == pytest.approx(4)  # median of 1 4 4 10
    # p90 of 1 4 4 10: 4 + 0.7 x (10 - 4) = 8.2; mean 19 / 4 = 4.75
    assert "p90 8.2" in n["time_to_value_days"]


def test_activation_event_from_config(tables_dir):
    _write(tables_dir)
    config = Config(activation_event="report_created")
    v = values(run_report(tables_dir, "2024-06", family="engagement", config=config))
    # first report_created: A 06-02 (1 day after 06-01), B 06-12 (2 days) -> 2 of 5
    assert v["activation_rate"] == pytest.approx(40)
    assert v["time_to_value_days"] == pytest.approx(1.5)


def test_dau_mau_stickiness(june):
    v = values(june)
    assert v["dau"] == pytest.approx(10 / 30)  # days without events count as 0
    assert v["mau"] == 6
    assert v["stickiness"] == pytest.approx(10 / 30 / 6 * 100)


def test_dau_counts_only_days_up_to_the_last_event(tables_dir):
    _write(tables_dir)
    october = values(run_report(tables_dir, "2024-10", family="engagement"))
    assert october["dau"] == pytest.approx(1 / 15)  # u4 on 10-15; 10-16..10-31 not in the data
    for outside in ("2024-11", "2024-04"):  # after the last event; before the first
        frame = run_report(tables_dir, outside, family="engagement")
        assert values(frame)["dau"] is None and values(frame)["mau"] is None
        assert "2024-06-01 to 2024-10-15" in notes(frame)["dau"]


def test_mau_over_a_quarter_and_a_week(tables_dir):
    _write(tables_dir)
    q3 = values(run_report(tables_dir, "2024-Q3", family="engagement"))
    # July: u1, u7; August and September: nobody -> (31 x 2 + 31 x 0 + 30 x 0) / 92
    assert q3["mau"] == pytest.approx(62 / 92)
    assert q3["dau"] == pytest.approx(2 / 92)
    week = values(run_report(tables_dir, "2024-W23", family="engagement"))  # 06-03..06-09
    assert week["mau"] == 1 and week["dau"] == pytest.approx(1 / 7)  # u6 on 06-05


def test_activity_events_restrict_usage(tables_dir):
    _write(tables_dir)
    config = Config(activity_events=("report_created",))
    v = values(run_report(tables_dir, "2024-06", family="engagement", config=config))
    assert v["dau"] == pytest.approx(2 / 30)  # u1 06-02, u3 06-12
    assert v["mau"] == 2


def test_feature_adoption(june):
    v = values(june)
    # paying at 06-30: A B D E F J = 6. K used exports but churned on 06-20: not counted;
    # u5's api event has no customer.
    assert v[("feature_adoption_rate", "reports")] == pytest.approx(2 / 6 * 100)  # A, B
    assert v[("feature_adoption_rate", "dashboards")] == pytest.approx(1 / 6 * 100)  # A
    assert v[("feature_adoption_rate", "api")] == pytest.approx(1 / 6 * 100)  # D
    assert v[("feature_adoption_rate", "exports")] == 0


def test_feature_adoption_is_null_outside_the_events_data(tables_dir):
    _write(tables_dir)
    frame = run_report(tables_dir, "2024-05", family="engagement")  # events start on 06-01
    assert values(frame)[("feature_adoption_rate", "reports")] is None


def test_total_customers(june):
    v, n = values(june), notes(june)
    assert v["total_customers"] == 6
    # start (05-31): D, J, K; new: A B E F; churned: K
    assert n["total_customers"] == "start 3 + new 4 + reactivated 0 - churned 1"


def test_segments_by_plan(tables_dir):
    _write(tables_dir)
    frame = run_report(tables_dir, "2024-06", family="engagement", by="plan")
    starter, pro = values(frame, segment="starter"), values(frame, segment="pro")
    assert starter["onboarding_completion_rate"] == pytest.approx(2 / 3 * 100)  # A, F of A C F
    assert pro["onboarding_completion_rate"] == 0  # B, E
    assert starter["dau"] == pytest.approx((3 + 1 + 1) / 30)  # u1, u2 (A), u6 (K)
    assert pro["dau"] == pytest.approx((3 + 1) / 30)  # u3 (B), u4 (D)
    assert starter["mau"] == 3 and pro["mau"] == 2  # u5 has no customer: overall only
    assert values(frame)["mau"] == 6
    assert starter["total_customers"] + pro["total_customers"] == values(frame)["total_customers"]


def test_segment_sums_match_overall_when_every_event_has_a_customer(tables_dir):
    events = "\n".join(line for line in EVENTS.splitlines() if ",u5," not in line)
    _write(tables_dir, events=events)
    frame = run_report(tables_dir, "2024-06", family="engagement", by="plan")
    overall, starter, pro = (values(frame, segment=s) for s in (None, "starter", "pro"))
    for metric in ("dau", "mau", "total_customers"):
        assert starter[metric] + pro[metric] == pytest.approx(overall[metric])


def test_missing_tables_give_null_with_a_note(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS)
    frame = run_report(tables_dir, "2024-06", family="engagement")
    v, n = values(frame), notes(frame)
    for metric in ("onboarding_completion_rate", "dau", "mau", "trial_conversion_rate",
                   "activation_rate", "onboarding_feature_activation"):  # fmt: skip
        assert v[metric] is None and n[metric], metric
    assert "onboarding" in n["onboarding_completion_rate"]
    assert "activated_at" in n["activation_rate"]
    assert v["total_customers"] == 6


def test_empty_cohort_is_null_not_zero(tables_dir):
    _write(tables_dir)
    frame = run_report(tables_dir, "2023-03", family="engagement")
    v, n = values(frame), notes(frame)
    assert v["onboarding_completion_rate"] is None
    assert "onboarding" in n["onboarding_completion_rate"]
    assert v["activation_rate"] is None
    assert v["trial_conversion_rate"] is None and "no trials" in n["trial_conversion_rate"]


def test_trend_matches_single_months(tables_dir):
    _write(tables_dir)
    trend = run_report(tables_dir, trend=("2024-05", "2024-07"), family="engagement")
    for month in ("2024-05", "2024-06", "2024-07"):
        single = values(run_report(tables_dir, month, family="engagement"))
        assert values(trend, period=month) == pytest.approx(single, nan_ok=True)


# ---- invariants -----------------------------------------------------------------------------

BASE = dt.date(2024, 1, 1)
day_offset = st.integers(0, 150)
spell = st.tuples(day_offset, st.one_of(st.none(), st.integers(1, 120)), st.sampled_from([0, 10]))
step = st.tuples(st.sampled_from(["s1", "s2", "s3"]), st.one_of(st.none(), day_offset))
customer_rows = st.lists(
    st.tuples(
        st.one_of(st.none(), day_offset),  # created_at
        st.one_of(st.none(), day_offset),  # activated_at
        st.one_of(st.none(), day_offset),  # trial_start
        st.lists(spell, max_size=2),  # subscriptions
        st.lists(step, max_size=3),  # onboarding steps and completion days
    ),
    min_size=1,
    max_size=8,
)
event_rows = st.lists(
    st.tuples(day_offset, st.integers(0, 6), st.sampled_from(["f1", "f2", "f3", ""])),
    max_size=40,
)


def _day(offset: int | None) -> str:
    return "" if offset is None else (BASE + dt.timedelta(days=offset)).isoformat()


def _random_tables(customers: list, events: list) -> dict[str, str]:
    cust = ["customer_id,created_at,activated_at,trial_start,plan"]
    subs = ["subscription_id,customer_id,mrr,start_date,end_date"]
    onboarding = ["customer_id,step,completed_at"]
    for i, (created, activated, trial, spells, steps) in enumerate(customers):
        cust.append(f"c{i},{_day(created)},{_day(activated)},{_day(trial)},p{i % 2}")
        for j, (start, length, mrr) in enumerate(spells):
            end = "" if length is None else _day(start + length)
            subs.append(f"s{i}_{j},c{i},{mrr},{_day(start)},{end}")
        for step, done in dict(steps).items():
            onboarding.append(f"c{i},{step},{_day(done)}")
    subs.append("s_base,c0,5,2023-06-01,")  # subscriptions must not be empty
    users = ["timestamp,user_id,customer_id,event,feature"]
    for offset, user, feature in events:
        users.append(f"{_day(offset)},u{user},c{user % len(customers)},login,{feature}")
    tables = {"customers": "\n".join(cust), "subscriptions": "\n".join(subs)}
    if len(onboarding) > 1:
        tables["onboarding"] = "\n".join(onboarding)
    if len(users) > 1:
        tables["events"] = "\n".join(users)
    return tables


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(customer_rows, event_rows, st.sampled_from(["2024-02", "2024-03", "2024-Q2", "2024-W10"]))
def test_rates_bounded_and_dau_below_mau(customers, events, period):
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_tables(Path(tmp), **_random_tables(customers, events))
        frame = run_report(folder, period, family="engagement", by="plan")
    rates = frame[(frame["unit"] == "%") & frame["value"].notna()]
    assert ((rates["value"] >= 0) & (rates["value"] <= 100 + 1e-9)).all()
    for segment in [None, *frame["segment"].dropna().unique()]:
        v = values(frame, segment=segment)
        if v["dau"] is not None:
            assert v["dau"] <= v["mau"] + 1e-9


# ---- inputs that exist but carry no information -------------------------------------------

ONBOARDING_OUTCOMES = (
    "onboarding_completion_rate",
    "onboarding_days_to_complete",
    "onboarding_step_completion",
    "onboarding_completer_retention",
    "onboarding_noncompleter_retention",
)


@pytest.mark.parametrize("blank", [True, False], ids=["blank", "absent"])
def test_onboarding_without_completion_dates_is_null_not_zero(tables_dir, blank):
    # Every row blank (or no completed_at column): nobody can be said to have completed or
    # not, so completion and the retention split are unknown rather than 0% / all "non".
    steps = [line.split(",")[:3] for line in ONBOARDING.strip().splitlines()]
    rows = [",".join([*s, ""]) if blank else ",".join(s) for s in steps]
    if blank:
        rows[0] = "customer_id,step,step_order,completed_at"
    _write(tables_dir, onboarding="\n".join(rows))
    frame = run_report(tables_dir, "2024-06", family="engagement")
    for metric in ONBOARDING_OUTCOMES:
        rows_of = frame[(frame["metric"] == metric) & frame["segment"].isna()]
        assert rows_of["value"].isna().all(), metric
        assert (
            rows_of["note"] == "needs column onboarding.completed_at, which is missing or empty"
        ).all()
