"""The synthetic data set behind `csm sample`: shape, determinism and the realism metrics need."""

from __future__ import annotations

import gzip
import io
from itertools import pairwise
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from csmetrics_cli.contracts.schema import SCHEMAS
from csmetrics_cli.sample import TABLES, generate, write_sample
from csmetrics_cli.sample import writing as sample

WINDOW_START, WINDOW_END = pd.Timestamp("2023-01-01"), pd.Timestamp("2024-12-31")
CANONICAL = {
    "customers": [
        "customer_id",
        "name",
        "created_at",
        "trial_start",
        "trial_end",
        "activated_at",
        "plan",
        "region",
        "csm_owner",
        "industry",
    ],
    "subscriptions": [
        "subscription_id",
        "customer_id",
        "plan",
        "mrr",
        "start_date",
        "end_date",
        "term_end",
        "interval",
        "status",
    ],
    "invoices": ["invoice_id", "customer_id", "issued_at", "amount", "status"],
    "surveys": ["response_id", "customer_id", "survey_type", "score", "responded_at"],
    "tickets": [
        "ticket_id",
        "customer_id",
        "created_at",
        "resolved_at",
        "status",
        "channel",
        "agent_replies",
        "reopens",
        "first_contact_resolved",
    ],
    "events": ["timestamp", "user_id", "customer_id", "event", "feature"],
    "onboarding": ["customer_id", "step", "step_order", "completed_at", "due_at"],
    "costs": ["date", "category", "amount"],
}


@pytest.fixture(scope="module")
def data() -> dict[str, pd.DataFrame]:
    """A small data set shared by the read-only tests."""
    return generate(customers=200, seed=11)


@pytest.fixture(scope="module")
def big() -> dict[str, pd.DataFrame]:
    """The default-size data set, for rates that need a population (about 0.2 s)."""
    return generate()


def mrr_on(subs: pd.DataFrame, day: pd.Timestamp) -> pd.Series:
    """MRR per customer on a day (start <= day < end), paying customers only."""
    on = (subs.start_date <= day) & (subs.end_date.isna() | (subs.end_date > day))
    mrr = subs[on].groupby("customer_id").mrr.sum()
    return mrr[mrr > 0]


def monthly_churn_rates(subs: pd.DataFrame) -> list[float]:
    """Churned / paying at the start snapshot x 100, for each month of the window."""
    months = pd.date_range(WINDOW_START, WINDOW_END + pd.Timedelta(days=1), freq="MS")
    rates = []
    for first, nxt in pairwise(months):
        m0 = mrr_on(subs, first - pd.Timedelta(days=1))
        m1 = mrr_on(subs, nxt - pd.Timedelta(days=1))
        rates.append((~m0.index.isin(m1.index)).sum() / len(m0) * 100)
    return rates


def test_same_seed_same_tables_other_seed_other_tables() -> None:
    first, again, other = generate(120, seed=5), generate(120, seed=5), generate(120, seed=6)
    for name in TABLES:
        pd.testing.assert_frame_equal(first[name], again[name])
    assert not first["subscriptions"].equals(other["subscriptions"])


def test_every_table_has_the_canonical_columns(data: dict[str, pd.DataFrame]) -> None:
    assert list(data) == list(TABLES)
    for name, columns in CANONICAL.items():
        assert list(data[name].columns) == columns, name
        required = [c.name for c in SCHEMAS[name].columns if c.required]
        assert set(required) <= set(data[name].columns), name
        assert len(data[name]) > 0, name


def test_ids_are_unique_and_well_formed(data: dict[str, pd.DataFrame]) -> None:
    for table, column in [
        ("customers", "customer_id"),
        ("subscriptions", "subscription_id"),
        ("invoices", "invoice_id"),
        ("surveys", "response_id"),
        ("tickets", "ticket_id"),
    ]:
        assert data[table][column].is_unique, table
        assert data[table][column].notna().all(), table
    assert data["customers"].customer_id.str.fullmatch(r"C\d{5}").all()
    assert data["events"].user_id.str.fullmatch(r"U\d{7}").all()
    assert not data["onboarding"].duplicated(["customer_id", "step"]).any()
    # a user belongs to exactly one customer
    assert (data["events"].groupby("user_id").customer_id.nunique() == 1).all()


def test_dates_are_consistent(data: dict[str, pd.DataFrame]) -> None:
    subs, cust, tickets = data["subscriptions"], data["customers"], data["tickets"]
    ended = subs.end_date.notna()
    assert (subs.end_date[ended] > subs.start_date[ended]).all()
    assert subs.start_date.max() <= WINDOW_END
    assert (subs.mrr >= 0).all()
    annual = subs.interval == "year"
    assert annual.any()
    assert subs.term_end[annual].notna().all()
    assert subs.term_end[~annual].isna().all()
    assert (subs.term_end[annual & ended] >= subs.end_date[annual & ended]).all()
    trial = cust.trial_start.notna()
    assert ((cust.trial_end - cust.trial_start)[trial] == pd.Timedelta(days=14)).all()
    assert (cust.trial_start[trial] == cust.created_at[trial]).all()
    assert (cust.activated_at.dropna() >= cust.created_at[cust.activated_at.notna()]).all()
    resolved = tickets.resolved_at.notna()
    assert (tickets.resolved_at[resolved] >= tickets.created_at[resolved]).all()
    assert (tickets.status[~resolved].isin(["open", "pending"])).all()
    for table, column in [("invoices", "issued_at"), ("surveys", "responded_at")]:
        assert data[table][column].max() <= WINDOW_END, table


def test_has_mid_month_upgrades_and_downgrades(data: dict[str, pd.DataFrame]) -> None:
    subs = data["subscriptions"]
    pairs = subs.merge(subs, on="customer_id", suffixes=("", "_next"))
    pairs = pairs[
        (pairs.end_date == pairs.start_date_next)
        & (pairs.mrr > 0)
        & (pairs.mrr_next > 0)
        & (pairs.end_date.dt.day != 1)
    ]
    assert (pairs.mrr_next > pairs.mrr).any()
    assert (pairs.mrr_next < pairs.mrr).any()


def test_has_reactivations(data: dict[str, pd.DataFrame]) -> None:
    paid = data["subscriptions"].query("mrr > 0").sort_values(["customer_id", "start_date"])
    ends = paid.end_date.fillna(pd.Timestamp("2200-01-01"))
    covered_until = ends.groupby(paid.customer_id).cummax().groupby(paid.customer_id).shift()
    comeback = paid[paid.start_date > covered_until]
    assert len(comeback) >= 1
    assert (comeback.start_date - covered_until[comeback.index] >= pd.Timedelta(days=30)).all()


def test_has_zero_mrr_trials_and_trials_that_never_convert(data: dict[str, pd.DataFrame]) -> None:
    subs, cust = data["subscriptions"], data["customers"]
    trials = subs[subs.mrr == 0].merge(cust, on="customer_id")
    assert len(trials) > 0
    assert (trials.start_date == trials.trial_start).all()
    assert (trials.end_date == trials.trial_end).all()
    paying_ever = set(subs.customer_id[subs.mrr > 0])
    with_trial = set(cust.customer_id[cust.trial_start.notna()])
    assert with_trial - paying_ever - set(subs.customer_id)  # no subscription at all
    assert (with_trial - paying_ever) & set(subs.customer_id)  # only a zero-MRR trial


def test_some_customers_hold_concurrent_subscriptions(big: dict[str, pd.DataFrame]) -> None:
    subs = big["subscriptions"]
    assert (subs.plan == "addon").any()
    on = mrr_on(subs[subs.plan == "addon"], pd.Timestamp("2024-06-30")).index
    both = subs[subs.customer_id.isin(on) & (subs.plan != "addon")]
    assert len(mrr_on(both, pd.Timestamp("2024-06-30"))) > 0


def test_blanks_that_metrics_must_handle(data: dict[str, pd.DataFrame]) -> None:
    surveys, tickets, cust = data["surveys"], data["tickets"], data["customers"]
    assert 0.01 < surveys.customer_id.isna().mean() < 0.12
    assert tickets.customer_id.isna().any()
    fcr = tickets.first_contact_resolved
    assert fcr.isna().any() and (fcr == True).any() and (fcr == False).any()  # noqa: E712
    assert 0.1 < fcr.isna().mean() < 0.3
    assert cust.activated_at.isna().any() and cust.trial_start.isna().any()
    assert set(surveys.survey_type) == {"nps", "csat", "ces"}
    ranges = surveys.groupby("survey_type").score.agg(["min", "max"])
    assert ranges.loc["nps", "min"] >= 0 and ranges.loc["nps", "max"] <= 10
    assert ranges.loc["csat", "min"] >= 1 and ranges.loc["csat", "max"] <= 5
    assert ranges.loc["ces", "min"] >= 1 and ranges.loc["ces", "max"] <= 7


def test_monthly_churn_rate_is_realistic(data: dict[str, pd.DataFrame]) -> None:
    rates = monthly_churn_rates(data["subscriptions"])
    assert 0.5 <= np.mean(rates) <= 5
    assert max(rates) <= 15


def test_population_grows_and_starts_non_empty(big: dict[str, pd.DataFrame]) -> None:
    subs = big["subscriptions"]
    at_start = len(mrr_on(subs, WINDOW_START - pd.Timedelta(days=1)))
    at_end = len(mrr_on(subs, WINDOW_END))
    assert 0.1 * 1500 < at_start < at_end
    assert 1 <= np.mean(monthly_churn_rates(subs)) <= 3


def test_health_signals_predict_churn(big: dict[str, pd.DataFrame]) -> None:
    subs, events, surveys, inv = (
        big["subscriptions"],
        big["events"],
        big["surveys"],
        big["invoices"],
    )
    snap = pd.Timestamp("2024-03-31")
    paying = mrr_on(subs, snap).index
    churner = ~paying.isin(mrr_on(subs, pd.Timestamp("2024-06-30")).index)
    recent = events[(events.timestamp > snap - pd.Timedelta(days=30)) & (events.timestamp <= snap)]
    active_days = (
        recent.assign(day=recent.timestamp.dt.floor("D"))
        .groupby("customer_id")
        .day.nunique()
        .reindex(paying, fill_value=0)
    )
    assert active_days[churner].mean() < 0.75 * active_days[~churner].mean()
    nps = surveys[(surveys.survey_type == "nps") & (surveys.responded_at <= snap)]
    latest = nps.groupby("customer_id").score.last().reindex(paying)
    assert latest[churner].mean() < latest[~churner].mean()
    window = (inv.issued_at > snap - pd.Timedelta(days=180)) & (inv.issued_at <= snap)
    failed = inv.customer_id[window & (inv.status == "failed")]
    assert paying[churner].isin(failed).mean() > paying[~churner].isin(failed).mean()


def test_nps_is_higher_for_enterprise(big: dict[str, pd.DataFrame]) -> None:
    nps = big["surveys"].query("survey_type == 'nps'").merge(big["customers"], on="customer_id")
    mean = nps.groupby("plan").score.mean()
    assert mean["enterprise"] > mean["starter"]


def test_events_only_for_known_customers_while_active(data: dict[str, pd.DataFrame]) -> None:
    events, subs, cust = data["events"], data["subscriptions"], data["customers"]
    assert events.customer_id.isin(cust.customer_id).all()
    assert events.timestamp.min() >= WINDOW_START
    assert events.timestamp.max() < WINDOW_END + pd.Timedelta(days=1)
    assert events.customer_id.is_monotonic_increasing
    assert events.groupby("customer_id").timestamp.is_monotonic_increasing.all()
    day = events.assign(day=events.timestamp.dt.floor("D"), row=np.arange(len(events)))
    periods = pd.concat(
        [
            subs[["customer_id", "start_date", "end_date"]],
            cust[["customer_id", "trial_start", "trial_end"]]
            .dropna()
            .set_axis(["customer_id", "start_date", "end_date"], axis=1),
        ]
    )
    joined = day.merge(periods, on="customer_id")
    inside = (joined.start_date <= joined.day) & (
        joined.end_date.isna() | (joined.day < joined.end_date)
    )
    assert set(joined.row[inside]) == set(day.row)
    assert set(events.feature) <= {
        "dashboards",
        "reports",
        "alerts",
        "exports",
        "integrations",
        "api",
    }
    assert events.feature.nunique() >= 4
    assert events.groupby("customer_id").user_id.nunique().max() > 1


def test_onboarding_is_a_funnel(data: dict[str, pd.DataFrame]) -> None:
    ob, cust = data["onboarding"], data["customers"]
    cohort = cust.customer_id[cust.created_at >= WINDOW_START]
    assert set(ob.customer_id) == set(cohort)
    assert (ob.groupby("customer_id").size() == 5).all()
    done = ob.assign(done=ob.completed_at.notna()).groupby("step_order").done.mean()
    assert done.is_monotonic_decreasing and done.iloc[0] > done.iloc[-1]
    wide = ob.pivot(index="customer_id", columns="step_order", values="completed_at")
    for k in range(1, 5):  # a later step is never done before, or without, an earlier one
        later = wide[k + 1].notna()
        assert wide[k][later].notna().all()
        assert (wide[k + 1][later] >= wide[k][later]).all()


def test_costs_follow_acquisition(big: dict[str, pd.DataFrame]) -> None:
    costs, cust = big["costs"], big["customers"]
    assert len(costs) == 24 * 3
    assert (costs.date.dt.day == 1).all()
    assert set(costs.category) == {"acquisition", "retention", "other"}
    acquisition = costs[costs.category == "acquisition"].set_index("date").amount
    signups = cust.created_at.dt.to_period("M").dt.to_timestamp().value_counts()
    assert acquisition.corr(signups.reindex(acquisition.index)) > 0.5


def test_names_include_a_few_formula_like_values(big: dict[str, pd.DataFrame]) -> None:
    share = big["customers"].name.str.match(r"[=+\-@]").mean()
    assert 0.001 < share < 0.015


def test_invoices_follow_billing(data: dict[str, pd.DataFrame]) -> None:
    inv, subs = data["invoices"], data["subscriptions"]
    assert set(inv.status) >= {"paid", "failed", "open"}
    assert 0.01 < (inv.status == "failed").mean() < 0.08
    assert (inv.status[inv.issued_at < WINDOW_END - pd.Timedelta(days=10)] != "open").all()
    assert (inv.amount > 0).all()
    assert set(inv.customer_id) <= set(subs.customer_id[subs.mrr > 0])
    annual = subs[(subs.interval == "year") & (subs.status == "renewed")].iloc[0]
    bill = inv[(inv.customer_id == annual.customer_id) & (inv.issued_at == annual.end_date)]
    assert len(bill) >= 1 and bill.amount.max() >= 12 * annual.mrr * 0.5


def test_write_sample_writes_canonical_files(tmp_path: Path) -> None:
    seen: list[str] = []
    paths = write_sample(tmp_path / "out", customers=60, seed=2, on_table=seen.append)
    assert seen == list(TABLES)
    assert [p.name for p in paths] == [
        "events.csv.gz" if t == "events" else f"{t}.csv" for t in TABLES
    ]
    assert all(p.parent == tmp_path / "out" and p.stat().st_size > 0 for p in paths)
    expected = generate(customers=60, seed=2)
    for table, path in zip(TABLES, paths, strict=True):
        back = pd.read_csv(path, dtype=str, keep_default_na=False)
        assert list(back.columns) == CANONICAL[table]
        assert len(back) == len(expected[table])
        if table in ("customers", "events"):  # quoted names and the Arrow-joined fast path
            for column in ("customer_id", "name", "user_id", "feature"):
                if column in back:
                    assert back[column].tolist() == expected[table][column].tolist()
    subs = (tmp_path / "out" / "subscriptions.csv").read_text(encoding="utf-8")
    assert subs.splitlines()[1].split(",")[4].count("-") == 2  # ISO start_date
    tickets = pd.read_csv(tmp_path / "out" / "tickets.csv", dtype=str, keep_default_na=False)
    assert set(tickets.first_contact_resolved) <= {"true", "false", ""}
    assert tickets.created_at.str.fullmatch(r"\d{4}-\d{2}-\d{2}").all()
    with gzip.open(tmp_path / "out" / "events.csv.gz", "rt", encoding="utf-8") as f:
        header, first = f.readline(), f.readline()
    assert header.strip() == ",".join(CANONICAL["events"])
    assert pd.Timestamp(first.split(",")[0]).isoformat() == first.split(",")[0]


def test_write_sample_is_byte_for_byte_repeatable(tmp_path: Path) -> None:
    one = write_sample(tmp_path / "a", customers=25, seed=4, workbook=True)
    two = write_sample(tmp_path / "b", customers=25, seed=4, workbook=True)
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name


def test_workbook_has_a_sheet_per_table_with_real_dates(tmp_path: Path) -> None:
    seen: list[str] = []
    paths = write_sample(tmp_path, customers=30, seed=1, workbook=True, on_table=seen.append)
    book_path = tmp_path / "excel" / "csm_sample.xlsx"
    assert paths[-1] == book_path
    assert seen[len(TABLES) :] == [f"excel/{t}" for t in TABLES]
    expected = generate(customers=30, seed=1)
    book = openpyxl.load_workbook(book_path, read_only=True)
    assert book.sheetnames == list(TABLES)
    for table in TABLES:
        width = len(CANONICAL[table])
        rows = list(book[table].iter_rows(max_col=width, values_only=True))
        assert list(rows[0]) == CANONICAL[table]
        assert len(rows) - 1 == len(expected[table]), table
    customers = next(book["customers"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert customers[2] == expected["customers"].created_at[0].to_pydatetime()
    event = next(book["events"].iter_rows(min_row=2, max_row=2, values_only=True))
    assert event[0] == expected["events"].timestamp[0].to_pydatetime()
    fcr = {row[8] for row in book["tickets"].iter_rows(min_row=2, max_col=9, values_only=True)}
    assert fcr <= {True, False, None}


def test_workbook_keeps_formula_like_names_as_text() -> None:
    tables = generate(customers=5, seed=1)
    names = tables["customers"].name.copy()
    names[0], names[1] = '=HYPERLINK("http://example.com","x")', "@evil"
    tables["customers"] = tables["customers"].assign(name=names)
    book = openpyxl.load_workbook(io.BytesIO(sample._xlsx_bytes(tables)))
    assert book["customers"]["B2"].data_type == "s"
    assert book["customers"]["B2"].value == names[0]
    assert book["customers"]["B3"].value == "@evil"


def test_workbook_refuses_tables_longer_than_a_sheet(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sample, "EXCEL_MAX_ROWS", 100)
    with pytest.raises(ValueError, match="events"):
        write_sample(tmp_path / "out", customers=20, workbook=True)
    assert not (tmp_path / "out").exists()


@settings(max_examples=25, deadline=None)
@given(customers=st.integers(1, 15), seed=st.integers(0, 2**16))
def test_any_small_population_gives_valid_tables(customers: int, seed: int) -> None:
    tables = generate(customers=customers, seed=seed)
    assert len(tables["customers"]) == customers
    subs = tables["subscriptions"]
    assert subs.subscription_id.is_unique
    assert subs.customer_id.isin(tables["customers"].customer_id).all()
    ended = subs.end_date.notna()
    assert (subs.end_date[ended] > subs.start_date[ended]).all()
    assert tables["events"].customer_id.isin(tables["customers"].customer_id).all()
    assert len(tables["costs"]) == 72


def test_chunked_csv_equals_one_piece(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    whole = write_sample(tmp_path / "whole", customers=20, seed=3)
    monkeypatch.setattr(sample, "CSV_CHUNK_ROWS", 7)
    chunked = write_sample(tmp_path / "chunked", customers=20, seed=3)
    for a, b in zip(whole, chunked, strict=True):
        if a.suffix == ".gz":
            assert gzip.decompress(a.read_bytes()) == gzip.decompress(b.read_bytes())
        else:
            assert a.read_bytes() == b.read_bytes(), a.name
    assert (tmp_path / "whole" / "customers.csv").read_text().count("customer_id,") == 1
