"""Definition switches and profiles (docs/definitions.md): each switch on a hand-worked
fixture where its values disagree, each profile on its vendor's documented example, the
invariants under every combination, and the CLI's --define / --against."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics_cli import api
from csmetrics_cli.cli.app import main
from csmetrics_cli.config import Config, load_config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.definitions import PROFILES, SWITCHES, DefinitionError, Definitions, check
from csmetrics_cli.engine.context import ALL, Context
from csmetrics_cli.engine.movements import measures
from csmetrics_cli.periods import parse_period
from csmetrics_cli.problems import CsmError
from tests.conftest import run_report, values, write_tables

SUBS_HEADER = "subscription_id,customer_id,mrr,start_date,end_date"
# May end: a, b, c, d paying (4). June: d churns, e and f are new (end 5).
FOUR_START_TWO_NEW_ONE_CHURNED = f"""
    {SUBS_HEADER}
    s1,a,10,2024-01-01,
    s2,b,10,2024-01-01,
    s3,c,10,2024-01-01,
    s4,d,10,2024-01-01,2024-06-15
    s5,e,10,2024-06-03,
    s6,f,10,2024-06-20,
"""


def with_defs(**switches: object) -> Config:
    return Config(definitions={k: check(k, v) for k, v in switches.items()})


def report_values(folder: Path, period: str, metrics: list[str], **switches: object) -> dict:
    return values(run_report(folder, period, metrics=metrics, config=with_defs(**switches)))


# --- the table and its checks -----------------------------------------------------------


def test_every_switch_documents_its_values_and_a_default_among_them():
    for switch in SWITCHES.values():
        assert switch.effect and switch.metrics and switch.values
        if isinstance(switch.default, bool):
            assert set(switch.values) == {"false", "true"}
        else:
            assert str(switch.default) in switch.values, switch.key
    for profile, chosen in PROFILES.items():
        for key, value in chosen.items():
            assert check(key, value) == value, (profile, key)


def test_unknown_switch_or_value_lists_the_valid_ones():
    with pytest.raises(DefinitionError, match="did you mean 'churn_denominator'"):
        check("churn_denominatr", "average")
    with pytest.raises(DefinitionError, match="start, average, start_plus_new"):
        check("churn_denominator", "mean")
    with pytest.raises(DefinitionError, match="chartmogul, profitwell"):
        check("profile", "recurly")
    assert check("reactivation_in_nrr", "true") is True
    assert check("delinquent_after_days", "30") == 30.0


def test_explicit_switches_override_the_profile():
    defs = Definitions.resolve({"profile": "baremetrics", "same_period_join_and_churn": "ignore"})
    assert defs["same_period_join_and_churn"] == "ignore"  # explicit wins
    assert defs["delinquent_after_days"] == 30.0  # from the profile
    assert defs.to_dict()["profile"] == "baremetrics"
    assert Definitions.resolve().caption() is None  # csm's defaults: nothing to say
    # the table caption names the profile and only the switches off csm's defaults
    assert Definitions.resolve({"profile": "stripe", "nps_per": "first"}).caption() == (
        "definitions: profile=stripe, churn_denominator=start_plus_new, nps_per=first"
    )


def test_config_definitions_section(tmp_path):
    path = tmp_path / "csm.toml"
    path.write_text('[definitions]\nprofile = "stripe"\nnps_per = "first"\n', encoding="utf-8")
    assert load_config(path).definitions == {"profile": "stripe", "nps_per": "first"}
    path.write_text('[definitions]\nnps_per = "earliest"\nchurn_atx = "cancel"\n')
    with pytest.raises(CsmError) as err:
        load_config(path)
    text = str(err.value) + str(err.value.hint or "")
    assert '"response", "first", "latest"' in text  # the valid values
    assert "churn_at" in text  # did you mean


# --- one fixture per switch -------------------------------------------------------------


def test_churn_denominator(tables_dir):
    # May end: a, b, c, d paying (4). June: d churns, e and f are new -> end 5.
    # start: 1 / 4 = 25%; average: 1 / ((4 + 5) / 2) = 22.22%; start_plus_new: 1 / (4 + 2)
    write_tables(tables_dir, subscriptions=FOUR_START_TWO_NEW_ONE_CHURNED)
    ids = ["customer_churn_rate", "customer_retention_rate"]
    assert report_values(tables_dir, "2024-06", ids)["customer_churn_rate"] == 25
    average = report_values(tables_dir, "2024-06", ids, churn_denominator="average")
    assert average["customer_churn_rate"] == pytest.approx(100 / 4.5)
    assert average["customer_retention_rate"] == pytest.approx(300 / 4.5)  # 3 retained
    stripe = report_values(tables_dir, "2024-06", ids, churn_denominator="start_plus_new")
    assert stripe["customer_churn_rate"] == pytest.approx(100 / 6)


PROFITWELL_DEC = f"""
    {SUBS_HEADER}
    s1,a,50,2024-01-01,
    s2,x,100,2024-12-05,2024-12-07
"""  # x pays 100 on 12/5 and churns on 12/6 (its last day of service)


def test_same_period_join_and_churn_profitwell_example(tables_dir):
    # Paddle/ProfitWell, "Are cancellations in the first month counted as churn?"
    # (paddle.com/help/profitwell-metrics/measure/subscription-retention/...): a user paying
    # $100 on 12/5 and churning on 12/6 never affects the churned customer count.
    write_tables(tables_dir, subscriptions=PROFITWELL_DEC)
    ids = ["new_customers", "churned_customers", "customer_churn_rate", "churned_mrr", "mrr"]
    pw = report_values(tables_dir, "2024-12", ids, profile="profitwell")
    assert (pw["new_customers"], pw["churned_customers"], pw["customer_churn_rate"]) == (0, 0, 0)
    # Baremetrics ("Churn Update", changelog.baremetrics.com): sign-up and cancel in the same
    # window count as churn: one new, one churned, 1 / 1 customer at start = 100%.
    bm = report_values(tables_dir, "2024-12", ids, same_period_join_and_churn="count")
    assert (bm["new_customers"], bm["churned_customers"], bm["customer_churn_rate"]) == (1, 1, 100)
    assert bm["churned_mrr"] == 0 and bm["mrr"] == 50  # the MRR bridge is unchanged


REACTIVATION = f"""
    {SUBS_HEADER}
    s1,a,100,2024-01-01,
    s2,b,50,2024-01-01,2024-06-10
    s3,c,40,2024-01-01,2024-03-01
    s4,c,30,2024-06-05,
"""


def test_reactivation_in_nrr(tables_dir):
    # Start MRR 150 (a 100, b 50); b churns (50); c comes back with 30 (paid before March).
    # false: (150 - 50) / 150 = 66.67%; true (ChartMogul's cohort net MRR retention counts
    # reactivation): (150 - 50 + 30) / 150 = 86.67%.
    write_tables(tables_dir, subscriptions=REACTIVATION)
    ids = ["net_revenue_retention", "gross_revenue_retention"]
    off = report_values(tables_dir, "2024-06", ids)
    on = report_values(tables_dir, "2024-06", ids, profile="chartmogul")
    assert off["net_revenue_retention"] == pytest.approx(100 * 100 / 150)
    assert on["net_revenue_retention"] == pytest.approx(100 * 130 / 150)
    assert on["gross_revenue_retention"] == off["gross_revenue_retention"]
    # csm explain's bridge gains the term: 150 + 0 - 0 - 50 + 30 = 130, the numerator
    data = Dataset.open(tables_dir, with_defs(profile="chartmogul"))
    spec = api.select_metrics(None, ["nrr"])[0]
    result = api.explain(data, spec, parse_period("2024-06"))
    terms = {t.measure: (t.sign, t.value) for t in result.bridge}
    assert terms["reactivation_mrr"] == ("+", 30)
    total = sum((-1 if sign == "-" else 1) * value for sign, value in terms.values())
    assert total == result.values["numerator"].iloc[0] == 130


def test_end_dates(tables_dir):
    # end_date 2024-06-30. exclusive: no service on 6/30, the end snapshot -> churned in
    # June. inclusive: 6/30 is its last day of service -> paying at June's end, churned in July.
    write_tables(tables_dir, subscriptions=f"""
        {SUBS_HEADER}
        s1,a,10,2024-01-01,2024-06-30
        s2,b,10,2024-01-01,
    """)  # fmt: skip
    ids = ["churned_customers"]
    assert report_values(tables_dir, "2024-06", ids)["churned_customers"] == 1
    assert report_values(tables_dir, "2024-06", ids, end_dates="inclusive")[ids[0]] == 0
    assert report_values(tables_dir, "2024-07", ids, end_dates="inclusive")[ids[0]] == 1


def test_overlapping(tables_dir):
    # a holds 100 (since January) and 40 (since May) at June's end: sum 140, max 100, latest
    # 40 (the most recently started); b 20. MRR: 160, 120, 60; ARPU = MRR / 2.
    write_tables(tables_dir, subscriptions=f"""
        {SUBS_HEADER}
        s1,a,100,2024-01-01,
        s2,a,40,2024-05-01,
        s3,b,20,2024-01-01,
    """)  # fmt: skip
    for how, mrr in (("sum", 160), ("max", 120), ("latest", 60)):
        got = report_values(tables_dir, "2024-06", ["mrr", "arpu"], overlapping=how)
        assert (got["mrr"], got["arpu"]) == (mrr, mrr / 2), how


SARAH = """
    subscription_id,customer_id,mrr,start_date,end_date,canceled_at
    s1,sarah,10,2024-04-15,2024-06-15,2024-06-08
    s2,other,10,2024-01-01,,
"""


def test_churn_at_profitwell_sarah_example(tables_dir):
    # Paddle/ProfitWell "Churn": Sarah signs up for $10 on April 15, cancels on June 8 and
    # officially churns on June 15, when her paid term ends. Over 2024-06-01..2024-06-10
    # (end snapshot 6/10): period_end keeps her paying; cancel churns her from 6/8.
    write_tables(tables_dir, subscriptions=SARAH)
    ids = ["churned_customers", "mrr"]
    pw = report_values(tables_dir, "2024-06-01..2024-06-10", ids, profile="profitwell")
    assert (pw["churned_customers"], pw["mrr"]) == (0, 20)
    cancel = report_values(tables_dir, "2024-06-01..2024-06-10", ids, churn_at="cancel")
    assert (cancel["churned_customers"], cancel["mrr"]) == (1, 10)
    june = report_values(tables_dir, "2024-06", ids, profile="profitwell")
    assert june["churned_customers"] == 1  # by June's end both agree


OPEN_SUBS = f"""
    {SUBS_HEADER}
    s1,a,10,2024-01-01,
    s2,b,10,2024-01-01,
"""


def test_churn_source_churn_events(tables_dir):
    # The subscriptions never end, but the churn log says b churned on 6/10 (b stops paying).
    write_tables(tables_dir, subscriptions=OPEN_SUBS, churn_events="""
        customer_id,churned_at,reason
        b,2024-06-10,price
    """)  # fmt: skip
    ids = ["churned_customers", "mrr"]
    assert report_values(tables_dir, "2024-06", ids) == {"churned_customers": 0, "mrr": 20}
    got = report_values(tables_dir, "2024-06", ids, churn_source="churn_events")
    assert got == {"churned_customers": 1, "mrr": 10}


def test_churn_source_flag(tables_dir):
    # customers.churned = true with churned_at 6/10 churns b; a's date without the flag
    # (churned = false) does not.
    write_tables(tables_dir, subscriptions=OPEN_SUBS, customers="""
        customer_id,churned,churned_at
        a,false,2024-06-12
        b,true,2024-06-10
    """)  # fmt: skip
    got = report_values(tables_dir, "2024-06", ["churned_customers"], churn_source="flag")
    assert got["churned_customers"] == 1


def test_delinquent_after_days_baremetrics(tables_dir):
    # Baremetrics "User and Revenue Churn" (help.baremetrics.com/en/articles/5380347):
    # "Customers who are delinquent for more than 30 days are considered to have canceled."
    # b's invoice of 5/20 failed and nothing was paid after it: 30 days later (6/19) b stops
    # paying, so it churns in June. a's failure of 5/25 was paid on 5/28: a stays.
    write_tables(tables_dir, subscriptions=OPEN_SUBS, invoices="""
        invoice_id,customer_id,issued_at,amount,status
        i1,a,2024-05-25,10,failed
        i2,a,2024-05-28,10,paid
        i3,b,2024-05-20,10,failed
    """)  # fmt: skip
    ids = ["churned_customers", "mrr"]
    assert report_values(tables_dir, "2024-06", ids)["churned_customers"] == 0
    bm = report_values(tables_dir, "2024-06", ids, profile="baremetrics")
    assert bm == {"churned_customers": 1, "mrr": 10}
    # With 60 days the stop day is 7/19: still paying at June's end.
    assert report_values(tables_dir, "2024-06", ids, delinquent_after_days=60)["mrr"] == 20


def test_window_rolling_30(tables_dir):
    # a ends 7/1 (last day 6/30), b starts 7/1, c runs throughout.
    # calendar July: start snapshot 6/30 {a, c}, end 7/31 {b, c}: b new, a churned, 1/2 = 50%.
    # rolling_30 July: the 30 days 7/2..7/31, start snapshot 7/1 {b, c}: nothing moves, 0%.
    write_tables(tables_dir, subscriptions=f"""
        {SUBS_HEADER}
        a1,a,10,2024-01-01,2024-07-01
        b1,b,10,2024-07-01,
        c1,c,10,2024-01-01,
    """)  # fmt: skip
    ids = ["new_customers", "churned_customers", "customer_churn_rate"]
    assert report_values(tables_dir, "2024-07", ids) == {
        "new_customers": 1,
        "churned_customers": 1,
        "customer_churn_rate": 50,
    }
    assert report_values(tables_dir, "2024-07", ids, window="rolling_30") == {
        "new_customers": 0,
        "churned_customers": 0,
        "customer_churn_rate": 0,
    }
    # the period keeps its label
    frame = run_report(tables_dir, "2024-07", metrics=ids, config=with_defs(window="rolling_30"))
    assert set(frame["period"]) == {"2024-07"}


SURVEYS = """
    response_id,customer_id,survey_type,score,responded_at
    r1,a,nps,10,2024-06-02
    r2,a,nps,0,2024-06-20
    r3,b,nps,9,2024-06-10
    r4,,nps,5,2024-06-11
    r5,a,csat,5,2024-06-02
    r6,a,csat,2,2024-06-21
    r7,b,csat,4,2024-06-03
    r8,a,ces,2,2024-06-02
    r9,a,ces,6,2024-06-22
    r10,b,ces,4,2024-06-04
"""


def test_answers_per_customer(tables_dir):
    # NPS: a answers 10 then 0, b 9, one anonymous 5 (always counted).
    #   response: promoters 2 (10, 9), detractors 2 (0, 5) of 4 -> 0
    #   first: a 10, b 9, anon 5 -> (2 - 1) / 3 = 33.33; latest: a 0, b 9, anon 5 -> -33.33
    # CSAT (satisfied >= 4): response 2 of 3 = 66.67; first a 5, b 4 = 100; latest a 2, b 4 = 50
    # CES mean: response (2 + 6 + 4) / 3 = 4; first (2 + 4) / 2 = 3; latest (6 + 4) / 2 = 5
    write_tables(tables_dir, subscriptions=OPEN_SUBS, surveys=SURVEYS)
    ids = ["nps", "csat", "ces"]
    expected = {"response": (0, 200 / 3, 4), "first": (100 / 3, 100, 3),
                "latest": (-100 / 3, 50, 5)}  # fmt: skip
    for per, (nps, csat, ces) in expected.items():
        got = report_values(tables_dir, "2024-06", ids, nps_per=per, csat_per=per, ces_per=per)
        assert (got["nps"], got["csat"], got["ces"]) == pytest.approx((nps, csat, ces)), per


def test_csat_satisfied_min_and_its_settings_alias(tables_dir):
    # Scores 5, 2, 4 on 1-5: auto (>= 4) 2 of 3; >= 2: 3 of 3; >= 5: 1 of 3.
    write_tables(tables_dir, subscriptions=OPEN_SUBS, surveys=SURVEYS)
    assert report_values(tables_dir, "2024-06", ["csat"])["csat"] == pytest.approx(200 / 3)
    assert report_values(tables_dir, "2024-06", ["csat"], csat_satisfied_min=2)["csat"] == 100
    alias = values(run_report(tables_dir, metrics=["csat"], config=Config(csat_satisfied_min=5)))
    assert alias["csat"] == pytest.approx(100 / 3)
    both = Config(csat_satisfied_min=5, definitions={"csat_satisfied_min": 2.0})
    assert values(run_report(tables_dir, metrics=["csat"], config=both))["csat"] == 100


def test_fcr_rule(tables_dir):
    # t1 flagged resolved at first contact but took 3 replies; t2 unflagged, 1 reply, resolved.
    # flag: t1 by its flag + t2 by the rule = 2 of 2; one_touch: only t2 = 1 of 2.
    write_tables(tables_dir, subscriptions=OPEN_SUBS, tickets="""
        ticket_id,created_at,resolved_at,agent_replies,reopens,first_contact_resolved
        t1,2024-06-03,2024-06-04,3,0,true
        t2,2024-06-05,2024-06-05,1,0,
    """)  # fmt: skip
    ids = ["first_contact_resolution_rate"]
    assert report_values(tables_dir, "2024-06", ids)[ids[0]] == 100
    assert report_values(tables_dir, "2024-06", ids, fcr_rule="one_touch")[ids[0]] == 50


# --- profiles on their vendors' documented examples -------------------------------------


def test_chartmogul_syncalytics_example(tables_dir):
    # ChartMogul "MRR movements" (help.chartmogul.com/hc/en-us/articles/201244842):
    # Syncalytics buys Gold yearly for $2,000 (MRR 166.67, new business); adding Silver
    # monthly for $60 is expansion, not new; cancelling Silver while Gold runs is
    # contraction, not churn. Under overlapping = max the Silver plan never shows.
    write_tables(tables_dir, subscriptions="""
        subscription_id,customer_id,amount,interval,start_date,end_date
        gold,syncalytics,2000,year,2024-01-05,
        silver,syncalytics,60,month,2024-02-10,2024-03-20
    """)  # fmt: skip
    ids = ["new_mrr", "expansion_mrr", "contraction_mrr", "churned_customers"]
    jan = report_values(tables_dir, "2024-01", ids, profile="chartmogul")
    assert jan["new_mrr"] == pytest.approx(2000 / 12)
    feb = report_values(tables_dir, "2024-02", ids, profile="chartmogul")
    assert feb["expansion_mrr"] == pytest.approx(60)
    mar = report_values(tables_dir, "2024-03", ids, profile="chartmogul")
    assert (mar["contraction_mrr"], mar["churned_customers"]) == (pytest.approx(60), 0)
    assert report_values(tables_dir, "2024-02", ids, overlapping="max")["expansion_mrr"] == 0


def test_stripe_subscriber_churn_rate(tables_dir):
    # Stripe Billing analytics: subscriber churn rate = churned subscribers / (active
    # subscribers at the start + new subscribers in the period). 4 at start, 2 new, 1
    # churned: 1 / 6 = 16.67% (csm: 1 / 4 = 25%).
    write_tables(tables_dir, subscriptions=FOUR_START_TWO_NEW_ONE_CHURNED)
    got = report_values(tables_dir, "2024-06", ["customer_churn_rate"], profile="stripe")
    assert got["customer_churn_rate"] == pytest.approx(100 / 6)


# --- invariants under every combination -------------------------------------------------

BASE = dt.date(2023, 6, 1)
subscription = st.tuples(
    st.sampled_from([f"c{i}" for i in range(6)]),
    st.integers(0, 400),
    st.one_of(st.none(), st.integers(0, 300)),
    st.sampled_from([0, 10, 25, 300]),
)
REVENUE_SWITCHES = st.fixed_dictionaries({
    "end_dates": st.sampled_from(["exclusive", "inclusive"]),
    "overlapping": st.sampled_from(["sum", "max", "latest"]),
    "same_period_join_and_churn": st.sampled_from(["ignore", "count"]),
    "reactivation_in_nrr": st.booleans(),
    "churn_denominator": st.sampled_from(["start", "average", "start_plus_new"]),
    "churn_at": st.sampled_from(["period_end", "cancel"]),
    "window": st.sampled_from(["calendar", "rolling_30"]),
})  # fmt: skip


def _csv(subs: list[tuple[str, int, int | None, float]]) -> str:
    lines = [SUBS_HEADER + ",canceled_at"]
    for n, (customer, offset, length, mrr) in enumerate(subs):
        start = BASE + dt.timedelta(days=offset)
        end = "" if length is None else (start + dt.timedelta(days=length)).isoformat()
        cancel = "" if length is None else (start + dt.timedelta(days=length // 2)).isoformat()
        lines.append(f"s{n},{customer},{mrr},{start.isoformat()},{end},{cancel}")
    return "\n".join(lines)


INVARIANT_METRICS = [
    "customers_start", "customers_end", "new_customers", "reactivated_customers",
    "churned_customers", "mrr", "new_mrr", "reactivation_mrr", "expansion_mrr",
    "contraction_mrr", "churned_mrr", "gross_revenue_retention", "net_revenue_retention",
    "customer_churn_rate", "customer_retention_rate",
]  # fmt: skip


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(subscription, min_size=1, max_size=15), st.integers(1, 12), REVENUE_SWITCHES)
def test_invariants_under_every_switch(subs, month_offset, switches):
    month = (BASE + dt.timedelta(days=31 * month_offset)).strftime("%Y-%m")
    with tempfile.TemporaryDirectory() as tmp:
        folder = write_tables(Path(tmp), subscriptions=_csv(subs))
        data = Dataset.open(folder, with_defs(**switches))
        period = parse_period(month)
        frame = api.report(data, [period], api.select_metrics(None, INVARIANT_METRICS)).frame
        m = measures(Context(data, [period])).loc[(month, ALL)]
    v = values(frame)
    # end = start + new + reactivated - churned, under every switch
    assert v["customers_end"] == (
        v["customers_start"]
        + v["new_customers"]
        + v["reactivated_customers"]
        - v["churned_customers"]
    )
    # the MRR bridge: end MRR = start + new + reactivation + expansion - contraction - churned
    assert v["mrr"] == pytest.approx(m["start_mrr"] + v["new_mrr"] + v["reactivation_mrr"]
                                     + v["expansion_mrr"] - v["contraction_mrr"]
                                     - v["churned_mrr"])  # fmt: skip
    start_mrr = m["start_mrr"]
    if start_mrr > 0:
        gross = (start_mrr - v["contraction_mrr"] - v["churned_mrr"]) / start_mrr * 100
        assert v["gross_revenue_retention"] == pytest.approx(gross, abs=1e-6)
        react = v["reactivation_mrr"] if switches["reactivation_in_nrr"] else 0
        net = start_mrr + v["expansion_mrr"] - v["contraction_mrr"] - v["churned_mrr"] + react
        assert v["net_revenue_retention"] == pytest.approx(net / start_mrr * 100, abs=1e-6)
    # retention + churn = 100 when both divide by customers at start and churn counts only
    # the snapshots; with join-and-leave counted, churned - joined_and_left + retained = start.
    if m["customers_start"] > 0 and switches["churn_denominator"] == "start":
        total = v["customer_retention_rate"] + v["customer_churn_rate"]
        extra = 0.0
        if switches["same_period_join_and_churn"] == "count":
            extra = m["new_customers"] - (m["customers_end"] - m["retained_customers"]
                                          - m["reactivated_customers"])  # fmt: skip
        assert total == pytest.approx(100 + extra / m["customers_start"] * 100)
    # under every denominator, retention and churn share it: their rates scale together
    if m["churn_base"] > 0:
        assert v["customer_churn_rate"] == pytest.approx(
            m["churned_customers"] / m["churn_base"] * 100
        )
        assert v["customer_retention_rate"] == pytest.approx(
            m["retained_customers"] / m["churn_base"] * 100
        )


# --- the CLI: --define, metadata, --against ---------------------------------------------


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


@pytest.mark.parametrize("define", ["churn_denominatr=average", "churn_denominator=mean",
                                    "profile=recurly", "novalue"])  # fmt: skip
def test_bad_define_is_a_usage_error_before_reading(capsys, tmp_path, define):
    missing = tmp_path / "no-such-folder"  # never read: the usage error comes first
    for command in ("report", "health"):
        code, _, err = run(capsys, command, "-p", "2024-06", "-d", str(missing), "-D", define)
        assert code == 2, (command, err)
    code, _, _ = run(capsys, "explain", "churn", "-p", "2024-06", "-d", str(missing), "-D", define)
    assert code == 2


def test_json_carries_the_definitions(capsys, tables_dir):
    write_tables(tables_dir, subscriptions=PROFITWELL_DEC)
    code, out, _ = run(capsys, "report", "-p", "2024-12", "-d", str(tables_dir), "-f", "json",
                       "-D", "profile=baremetrics", "-D", "nps_per=latest")  # fmt: skip
    assert code == 0
    defs = json.loads(out)["definitions"]
    assert set(defs) == {*SWITCHES, "profile"}
    assert defs["profile"] == "baremetrics" and defs["nps_per"] == "latest"
    assert defs["same_period_join_and_churn"] == "count"
    churned = next(m for m in json.loads(out)["metrics"]
                   if m["id"] == "churned_customers" and m["segment"] is None)  # fmt: skip
    assert churned["value"] == 1


def test_health_follows_and_reports_the_definitions(capsys, tables_dir):
    # a's only subscription ends 6/30 (exclusive: not paying on 6/30); inclusive keeps it.
    write_tables(tables_dir, subscriptions=f"""
        {SUBS_HEADER}
        s1,a,10,2024-01-01,2024-06-30
        s2,b,10,2024-01-01,
    """)  # fmt: skip
    paying = {}
    for rule in ("exclusive", "inclusive"):
        code, out, _ = run(capsys, "health", "-p", "2024-06", "-d", str(tables_dir), "-f", "json",
                           "-D", f"end_dates={rule}")  # fmt: skip
        assert code == 0
        body = json.loads(out)
        assert body["definitions"]["end_dates"] == rule
        paying[rule] = body["paying_customers"]
    assert paying == {"exclusive": 1, "inclusive": 2}


def test_markdown_header_names_the_definitions(capsys, tables_dir):
    write_tables(tables_dir, subscriptions=PROFITWELL_DEC)
    code, out, _ = run(capsys, "report", "-p", "2024-12", "-d", str(tables_dir), "-f", "md",
                       "-D", "churn_denominator=average")  # fmt: skip
    assert code == 0
    header = next(line for line in out.splitlines() if line.startswith("Definitions"))
    assert "churn_denominator=average" in header


def test_explain_against_names_the_customers_that_differ(capsys, tables_dir):
    write_tables(tables_dir, subscriptions=PROFITWELL_DEC)
    code, out, _ = run(capsys, "explain", "churned_customers", "-p", "2024-12", "-d",
                       str(tables_dir), "-D", "profile=baremetrics", "--against", "profitwell",
                       "-f", "json")  # fmt: skip
    assert code == 0
    against = json.loads(out)["against"]
    assert against["profile"] == "profitwell"
    assert against["values"][0]["here"] == 1 and against["values"][0]["there"] == 0
    assert against["switches"]["same_period_join_and_churn"] == {"here": "count", "there": "ignore"}
    (who,) = against["customers"]
    assert who["customer_id"] == "x"
    assert who["why"].startswith("joined and left in 2024-12")
    assert "new and churned" in who["here"] and "neither" in who["there"]


def test_explain_against_survey_answers(tables_dir):
    write_tables(tables_dir, subscriptions=OPEN_SUBS, surveys=SURVEYS)
    data = Dataset.open(tables_dir, with_defs(nps_per="first"))
    spec = api.select_metrics(None, ["nps"])[0]
    result = api.explain(data, spec, parse_period("2024-06"), against="csm")
    rows = result.against.customers  # type: ignore[union-attr]
    # a answered twice: 1 answer counted with nps_per = first, 2 under csm's defaults
    assert rows[["customer_id", "here", "there"]].values.tolist() == [
        ["a", "1 answer(s)", "2 answer(s)"]
    ]
    assert result.to_dict()["definitions"]["nps_per"] == "first"


def test_explain_against_unknown_profile_is_a_usage_error(capsys, tables_dir):
    write_tables(tables_dir, subscriptions=PROFITWELL_DEC)
    code, _, _ = run(capsys, "explain", "churn", "-p", "2024-12", "-d", str(tables_dir),
                     "--against", "recurly")  # fmt: skip
    assert code == 2
