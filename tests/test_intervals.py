"""95% intervals (Wilson, NPS adjusted Wald, the customer bootstrap), the small-sample note,
and how CSV, JSON and the table carry them."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rich.console import Console

from csmetrics_cli.cli.app import main
from csmetrics_cli.metrics import intervals
from csmetrics_cli.metrics.catalog import BY_ID, CATALOG
from csmetrics_cli.render.cells import human, human_interval
from csmetrics_cli.render.table import tables
from tests.conftest import notes, run_report, write_tables
from tests.test_revenue import CUSTOMERS, SUBSCRIPTIONS

WILSON_IDS = [s.id for s in CATALOG if s.interval == "wilson"]


# Newcombe RG (1998), "Two-sided confidence intervals for the single proportion: comparison
# of seven methods", Statistics in Medicine 17:857-872, Table II, method 3 (Wilson score
# without continuity correction), z = 1.96, to 4 decimals.
@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [(81, 263, 0.2553, 0.3662), (15, 148, 0.0624, 0.1605), (0, 20, 0.0, 0.1611),
     (1, 29, 0.0061, 0.1718)],
)  # fmt: skip
def test_wilson_matches_newcombe_1998(k, n, low, high):
    lo, hi = intervals.wilson(np.array([k]), np.array([n]))
    assert (round(lo[0], 4), round(hi[0], 4)) == (low, high)


def test_wilson_worked_by_hand():
    # 5 of 10: p = 0.5, z^2 = 3.8416, 1 + z^2/n = 1.38416,
    # centre = (0.5 + 3.8416/20) / 1.38416 = 0.69208 / 1.38416 = 0.5,
    # half = 1.96 / 1.38416 x sqrt(0.25/10 + 3.8416/400) = 1.416021 x sqrt(0.034604)
    #      = 1.416021 x 0.186022 = 0.263412  -> [0.236588, 0.763412]
    # 1 of 1: centre = (1 + 1.9208) / 4.8416 = 0.603272, half = 1.96 / 4.8416 x sqrt(3.8416/4)
    #      = 0.404825 x 0.98 = 0.396728 -> [0.206544, 1]
    lo, hi = intervals.wilson(np.array([5, 1]), np.array([10, 1]))
    assert lo == pytest.approx([0.236588, 0.206544], abs=1e-5)  # 6-digit hand arithmetic
    assert hi == pytest.approx([0.763412, 1.0], abs=1e-5)


def test_wilson_edges_none_all_and_empty():
    lo, hi = intervals.wilson(np.array([0, 7, 0, np.nan]), np.array([7, 7, 0, 5]))
    assert lo[0] == 0.0 and hi[0] < 1  # 0 of n: the lower bound is exactly 0
    assert hi[1] == 1.0 and lo[1] > 0  # n of n: the upper bound is exactly 1
    assert math.isnan(lo[2]) and math.isnan(hi[2])  # n = 0: no interval
    assert math.isnan(lo[3]) and math.isnan(hi[3])  # no numerator: no interval


@given(st.integers(min_value=1, max_value=10_000), st.data())
def test_wilson_brackets_the_share_inside_0_1(n, data):
    k = data.draw(st.integers(min_value=0, max_value=n))
    lo, hi = intervals.wilson(np.array([k]), np.array([n]))
    assert 0 <= lo[0] <= k / n <= hi[0] <= 1


def test_nps_adjusted_wald_worked_by_hand():
    # 5 promoters, 2 detractors of 10: n' = 13, p' = 5.75/13 = 0.442308, d' = 2.75/13 =
    # 0.211538, centre = 0.230769; variance = (0.653846 - 0.230769^2) / 13 = 0.600592 / 13
    # = 0.0461994, margin = 1.96 x 0.214940 = 0.421283 -> [-0.190514, 0.652052]
    lo, hi = intervals.nps_interval(np.array([5]), np.array([2]), np.array([10]))
    assert (lo[0], hi[0]) == (pytest.approx(-0.190514, abs=1e-5), pytest.approx(0.652052, abs=1e-5))
    lo, hi = intervals.nps_interval(np.array([0]), np.array([0]), np.array([0]))
    assert math.isnan(lo[0]) and math.isnan(hi[0])


def test_nps_interval_is_its_margin_around_the_adjusted_score(tables_dir):
    write_tables(tables_dir, subscriptions=SUBSCRIPTIONS, surveys="""
        response_id,customer_id,survey_type,score,responded_at
        r1,A,nps,10,2024-06-01
        r2,B,nps,9,2024-06-02
        r3,C,nps,3,2024-06-03
        r4,D,nps,8,2024-06-04
    """)  # fmt: skip
    rows = run_report(tables_dir, "2024-06", family="satisfaction").set_index("metric")
    # 2 promoters, 1 detractor of 4: n' = 7, p' = 2.75/7, d' = 1.75/7, centre = 1/7 = 14.2857
    margin = rows.loc["nps_margin_of_error", "value"]
    assert rows.loc["nps", "ci_low"] == pytest.approx(100 / 7 - margin)
    assert rows.loc["nps", "ci_high"] == pytest.approx(100 / 7 + margin)
    assert rows.loc["nps", "note"] == "small sample (n = 4)"


def test_bootstrap_is_reproducible_and_seeded_per_group():
    values = np.column_stack([np.arange(1, 51, dtype=float), np.arange(51, 101, dtype=float)])
    first = intervals.bootstrap_sums(values, intervals.group_seed("2024-06", "all"))
    again = intervals.bootstrap_sums(values, intervals.group_seed("2024-06", "all"))
    other = intervals.bootstrap_sums(values, intervals.group_seed("2024-05", "all"))
    assert first.shape == (intervals.REPLICATES, 2)
    assert np.array_equal(first, again) and not np.array_equal(first, other)
    # every replicate resamples 50 customers: the weights add up to n, so a constant
    # column sums to 50 x the constant
    ones = intervals.bootstrap_sums(np.ones((50, 1)), [1])
    assert np.all(ones == 50)


def test_bootstrap_of_a_constant_ratio_is_that_ratio():
    # every customer keeps 110% of its MRR: every replicate's NRR is 110 exactly
    m0 = np.array([10.0, 20.0, 30.0, 40.0])
    sums = intervals.bootstrap_sums(np.column_stack([m0, m0 * 1.1]), [3])
    low, high = intervals.percentile_interval(sums[:, 1], sums[:, 0], 100)
    assert (low, high) == (pytest.approx(110.0), pytest.approx(110.0))


def _many_customers(n: int) -> str:
    """n customers paying from January; every third churns on 2024-06-15, every fifth of the
    rest expands on 2024-06-10 (from 100 to 150)."""
    lines = ["subscription_id,customer_id,mrr,start_date,end_date"]
    for i in range(n):
        if i % 3 == 0:
            lines.append(f"s{i},C{i},100,2024-01-01,2024-06-15")
        elif i % 5 == 0:
            lines += [f"s{i},C{i},100,2024-01-01,2024-06-10", f"t{i},C{i},150,2024-06-10,"]
        else:
            lines.append(f"s{i},C{i},100,2024-01-01,")
    return "\n".join(lines)


def test_revenue_ratios_get_a_deterministic_bootstrap_containing_the_value(tables_dir):
    write_tables(tables_dir, subscriptions=_many_customers(60))
    ids = ["net_revenue_retention", "gross_revenue_retention", "revenue_churn_rate",
           "expansion_revenue_rate", "customer_churn_rate"]  # fmt: skip
    first = run_report(tables_dir, "2024-06", metrics=ids).set_index("metric")
    again = run_report(tables_dir, "2024-06", metrics=ids[:1]).set_index("metric")
    # 60 customers x 100 = 6,000 start MRR; 20 churn (i % 3 == 0); of the other 40, those
    # with i % 5 == 0 expand by 50: i in 5, 10, 20, 25, 35, 40, 50, 55 = 8 -> +400.
    # NRR = (6,000 - 2,000 + 400) / 6,000 = 73.333%; GRR = 4,000 / 6,000 = 66.667%
    assert first.loc["net_revenue_retention", "value"] == pytest.approx(4400 / 60)
    assert first.loc["gross_revenue_retention", "value"] == pytest.approx(4000 / 60)
    for metric in ids:
        row = first.loc[metric]
        assert row["ci_low"] <= row["value"] <= row["ci_high"], metric
        assert row["ci_low"] < row["ci_high"], metric
    assert first.loc["gross_revenue_retention", "ci_high"] <= 100
    # the same interval whatever else the report computes
    assert again.loc["net_revenue_retention", "ci_low"] == first.loc["net_revenue_retention",
                                                                     "ci_low"]  # fmt: skip
    assert first.loc["net_revenue_retention", "note"] is None  # 60 customers: not small


def test_resamples_drawn_together_give_the_intervals_each_gives_alone(tables_dir):
    # The month's and the trailing twelve months' customers are drawn in one go (spread over
    # the threads); each keeps the interval it has when its metrics are asked alone.
    write_tables(tables_dir, subscriptions=_many_customers(60).replace("2024-01-01", "2023-01-01"))
    ids = ["net_revenue_retention", "net_revenue_retention_ttm"]
    both = run_report(tables_dir, "2024-06", metrics=ids).set_index("metric")
    for metric in ids:
        alone = run_report(tables_dir, "2024-06", metrics=[metric]).set_index("metric")
        assert both.loc[metric, "ci_low"] < both.loc[metric, "ci_high"], metric
        for column in ("ci_low", "ci_high"):
            assert alone.loc[metric, column] == both.loc[metric, column], (metric, column)


def test_small_sample_note_under_30_and_appended(tables_dir):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)
    frame = run_report(tables_dir, "2024-06", family="revenue")
    got = notes(frame)
    # 8 customers paying at the start snapshot; 2 contract terms end in June
    assert got["customer_churn_rate"] == "small sample (n = 8)"
    assert got["net_revenue_retention"] == "small sample (n = 8)"
    assert got["renewal_rate"] == "small sample (n = 2)"
    assert got["mrr"] is None and got["quick_ratio"] is None  # no interval, no note
    write_tables(tables_dir, subscriptions=_many_customers(30))
    assert notes(run_report(tables_dir, "2024-06", family="revenue"))["customer_churn_rate"] is None


def test_every_percentage_ratio_states_its_interval(monkeypatch):
    import dataclasses

    from csmetrics_cli.metrics import catalog

    churn = BY_ID["customer_churn_rate"]
    broken = dataclasses.replace(churn, interval=None)
    odd = dataclasses.replace(BY_ID["mrr"], interval="wilson")
    monkeypatch.setattr(catalog, "CATALOG", (broken, odd))
    problems = " ".join(catalog.check_catalog())
    assert "customer_churn_rate: a percentage ratio needs an interval" in problems
    assert "mrr: only a ratio has an interval" in problems


def _cli(capsys, *args: str) -> str:
    code = main(list(args))
    out = capsys.readouterr()
    assert code == 0, out.err
    return out.out


def test_csv_and_json_carry_the_interval(capsys, tables_dir):
    data = str(write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS))
    text = _cli(capsys, "report", "-d", data, "-p", "2024-06", "-f", "csv", "--compare")
    reader = csv.DictReader(io.StringIO(text))
    assert reader.fieldnames == ["period", "segment_by", "segment", "metric", "item", "name",
                                 "family", "value", "unit", "previous", "change", "note",
                                 "ci_low", "ci_high"]  # fmt: skip
    rows = {r["metric"]: r for r in reader}
    assert rows["mrr"]["ci_low"] == rows["mrr"]["ci_high"] == ""
    for metric in ("customer_churn_rate", "customer_retention_rate", "renewal_rate"):
        low, value, high = (float(rows[metric][f]) for f in ("ci_low", "value", "ci_high"))
        assert 0 <= low <= value <= high <= 100, metric
    body = json.loads(_cli(capsys, "report", "-d", data, "-p", "2024-06", "--json", "--by",
                           "plan"))  # fmt: skip
    for m in body["metrics"]:
        assert "ci_low" in m and "ci_high" in m
        if m["id"] in WILSON_IDS and m["value"] is not None:
            assert 0 <= m["ci_low"] <= m["value"] <= m["ci_high"] <= 100, m
        if BY_ID[m["id"]].interval is None:
            assert m["ci_low"] is None and m["ci_high"] is None, m
    assert body["intervals"]["bootstrap"] == {"replicates": 1000, "seed": intervals.SEED,
                                              "resampled": "customers",
                                              "interval": "percentile"}  # fmt: skip
    assert body["intervals"]["methods"]["net_revenue_retention"] == "bootstrap"


def _render(frame, width: int, previous: str | None = None) -> str:
    console = Console(file=io.StringIO(), width=width, no_color=True, record=True)
    console.print(tables(frame, currency="$", width=width, previous=previous, ci=True))
    return console.export_text()


@pytest.mark.parametrize("width", [80, 120])
@pytest.mark.parametrize("shape", ["one", "trend", "segments"])
def test_table_with_ci_never_cuts_a_number(tables_dir, width, shape):
    write_tables(tables_dir, customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)
    if shape == "one":
        frame = run_report(tables_dir, "2024-06", family="revenue")
    elif shape == "trend":
        frame = run_report(tables_dir, trend=("2024-03", "2024-06"), family="revenue")
    else:
        frame = run_report(tables_dir, "2024-06", by="plan", family="revenue")
    text = _render(frame, width)
    assert max(len(line) for line in text.splitlines()) <= width
    assert "…" not in text
    cells = set(text.replace("│", " ").replace("┃", " ").split())
    for r in frame.itertuples(index=False):
        shown = human(r.value, r.unit, "$").split() + human_interval(r.ci_low, r.ci_high,
                                                                     r.unit).split()  # fmt: skip
        assert set(shown) <= cells, (r.metric, r.period, r.segment, shown)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([0.0, -0.0, 1.5, 2.0, 100.0]),
                          st.sampled_from([0.0, 3.0, 7.25])), min_size=1, max_size=60))  # fmt: skip
def test_distinct_rows_are_numpy_unique(rows):
    """The bootstrap pools customers by distinct rows: the same rows, order and counts as
    np.unique(axis=0), so the seeded draws do not change."""
    values = np.array(rows, dtype="float64")
    distinct, counts = intervals.distinct_rows(values)
    expected, expected_counts = np.unique(values, axis=0, return_counts=True)
    assert np.array_equal(distinct, expected) and np.array_equal(counts, expected_counts)


def test_csm_threads_caps_csms_own_threads(monkeypatch):
    """CSM_THREADS (a shared machine, a CI runner) caps DuckDB and csm's own thread pools."""
    from csmetrics_cli.io import duck

    monkeypatch.setenv("CSM_THREADS", "1")
    assert duck.workers() == 1 and duck.threads() == 1
    monkeypatch.setenv("CSM_THREADS", "zero")
    assert duck.threads() is None and duck.workers() >= 1
