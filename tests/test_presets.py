"""Presets: each vendor's export (tests/fixtures/presets/<vendor>/, the vendor's documented
header row and a few hand-written rows) read through csm into canonical values worked out by
hand; `preset = ...` errors; and `csm init` on those folders.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from pathlib import Path

import pandas as pd
import pytest

from csmetrics_cli import api, presets
from csmetrics_cli.cli.app import main
from csmetrics_cli.config import load_config
from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.periods import parse_period
from csmetrics_cli.presets import starter
from csmetrics_cli.problems import CsmError

FIXTURES = Path(__file__).parent / "fixtures" / "presets"
NaT = pd.NaT


def _open(tmp_path: Path, vendor: str, files: dict[str, str], extra: str = "") -> Dataset:
    """The fixture folder of `vendor`, with a csm.toml naming each table's file and preset."""
    text = "".join(
        f'[tables.{table}]\nfile = "{name}"\npreset = "{vendor}"\n\n'
        for table, name in files.items()
    )
    config = tmp_path / "csm.toml"
    config.write_text(text + extra, encoding="utf-8")
    return api.open_data(FIXTURES / vendor, config)


def _rows(ds: Dataset, table: str, key: str) -> dict[str, dict[str, object]]:
    frame = ds.table(table)
    assert frame is not None, ds.unusable
    return frame.set_index(key).to_dict("index")


def _day(text: str | None) -> pd.Timestamp:
    return NaT if text is None else pd.Timestamp(text)


def _check(rows: dict[str, dict[str, object]], expected: dict[str, dict[str, object]]) -> None:
    """Exactly the expected rows, each with the expected values (dates compared by day)."""
    assert set(rows) == set(expected)
    for key, want in expected.items():
        for column, value in want.items():
            got = rows[key][column]
            if isinstance(value, float):
                assert got == pytest.approx(value), (key, column)
            elif isinstance(value, pd.Timestamp) or value is NaT:
                assert (pd.isna(got) and value is NaT) or pd.Timestamp(got) == value, (key, column)
            else:
                assert got == value, (key, column)


def _accounting(ds: Dataset, table: str, read: int, used: int) -> None:
    """rows_read = rows_used + rows_excluded, with the preset's filter counted."""
    report = ds.reports[table]
    assert (report.rows_read, report.rows_used) == (read, used)
    assert report.rows_read == report.rows_used + report.rows_excluded


# --- billing ------------------------------------------------------------------------------


def test_stripe_subscriptions(tmp_path):
    ds = _open(tmp_path, "stripe", {"subscriptions": "stripe_subscriptions.csv"})
    rows = _rows(ds, "subscriptions", "subscription_id")
    # unix seconds: 1705276800 = 2024-01-15, 1706745600 = 2024-02-01, 1718409600 = 2024-06-15,
    # 1704067200 = 2024-01-01, 1712707200 = 2024-04-10, 1715731200 = 2024-05-15.
    _check(rows, {
        # 2900 cents x 3 seats, monthly = 87.00
        "sub_1": {"customer_id": "cus_A", "mrr": 87.0, "start_date": _day("2024-01-15"),
                  "end_date": NaT, "status": "active", "plan": "price_starter"},
        # 120000 cents a year = 1200.00 / 12 = 100.00 a month
        "sub_2": {"mrr": 100.0, "start_date": _day("2024-02-01"), "status": "active"},
        # trialing: paying only from trial_end (2024-06-15); 5000 cents monthly = 50.00
        "sub_3": {"mrr": 50.0, "start_date": _day("2024-06-15"), "status": "trial"},
        # 30000 cents every 3 months = 100.00 a month; ended 2024-04-10
        "sub_4": {"mrr": 100.0, "start_date": _day("2024-01-01"), "end_date": _day("2024-04-10"),
                  "status": "canceled"},
        # cancelled during its trial (ended 2024-05-10 < trial_end 2024-05-15): no paying day
        "sub_6": {"start_date": _day("2024-05-15"), "end_date": _day("2024-05-15"),
                  "status": "canceled"},
        "sub_7": {"mrr": 58.0, "status": "paused"},  # 2900 x 2
        "sub_8": {"mrr": 29.0, "status": "active"},  # past_due is still a paying subscription
    })  # fmt: skip
    _accounting(ds, "subscriptions", read=8, used=7)  # sub_5 incomplete_expired: filtered


def test_stripe_customers_and_invoices(tmp_path):
    files = {"customers": "stripe_customers.csv", "invoices": "stripe_invoices.csv"}
    ds = _open(tmp_path, "stripe", files)
    customers = _rows(ds, "customers", "customer_id")
    _check(customers, {
        "cus_A": {"name": "Acme Ltd", "created_at": _day("2023-11-20")},  # 1700438400
        "cus_B": {"name": "it@globex.test", "created_at": _day("2024-01-01")},  # no name: email
        **{c: {} for c in ("cus_C", "cus_D", "cus_E", "cus_F", "cus_G")},
    })  # fmt: skip
    invoices = _rows(ds, "invoices", "invoice_id")
    _check(invoices, {
        "in_1": {"customer_id": "cus_A", "amount": 87.0, "status": "paid",
                 "issued_at": _day("2024-01-15")},  # 8700 cents
        "in_2": {"amount": 1200.0, "status": "paid"},  # 120000 cents
        "in_3": {"amount": 87.0, "status": "open", "issued_at": _day("2024-06-01")},
        "in_4": {"amount": 58.0, "status": "failed"},  # uncollectible
    })  # fmt: skip
    _accounting(ds, "invoices", read=6, used=4)  # in_5 draft, in_6 void: filtered


def test_chargebee_subscriptions(tmp_path):
    ds = _open(tmp_path, "chargebee", {"subscriptions": "chargebee_subscriptions.csv"})
    _check(_rows(ds, "subscriptions", "subscription_id"), {
        # 1500 cents x 2, monthly = 30.00
        "cb_1": {"customer_id": "cust_1", "mrr": 30.0, "start_date": _day("2024-01-01"),
                 "end_date": NaT, "status": "active", "plan": "basic-monthly"},
        # 240000 cents yearly = 2400.00 / 12 = 200.00; non_renewing: ends 2025-02-01
        "cb_2": {"mrr": 200.0, "start_date": _day("2024-02-01"), "end_date": _day("2025-02-01"),
                 "status": "active"},
        # in_trial: paying from trial_end 2024-06-15; 1500 cents = 15.00
        "cb_3": {"mrr": 15.0, "start_date": _day("2024-06-15"), "status": "trial"},
        # 9000 cents every 6 months = 90.00 / 6 = 15.00; cancelled 2024-04-10
        "cb_4": {"mrr": 15.0, "end_date": _day("2024-04-10"), "status": "canceled"},
        # future: starts on its start_date 2024-07-01
        "cb_5": {"mrr": 15.0, "start_date": _day("2024-07-01"), "status": "active"},
        "cb_6": {"mrr": 15.0, "start_date": _day("2024-01-15"), "status": "paused"},
    })  # fmt: skip


def test_recurly_subscriptions(tmp_path):
    ds = _open(tmp_path, "recurly", {"subscriptions": "subscriptions_export.csv"})
    rows = _rows(ds, "subscriptions", "subscription_id")
    first = "5f0a1b2c3d4e5f60718293a4b5c6d7e"
    _check(rows, {
        # 25.00 x 2, monthly (assumed) = 50.00
        f"{first}8": {"customer_id": "acct-1", "mrr": 50.0, "start_date": _day("2024-01-15"),
                      "end_date": NaT, "status": "active", "plan": "gold"},
        # canceled: still live until expires_at 2024-06-01
        f"{first}9": {"mrr": 25.0, "end_date": _day("2024-06-01"), "status": "canceled"},
        # in_trial: paying from trial_ends_at 2024-06-15
        f"{first}a": {"mrr": 10.0, "start_date": _day("2024-06-15"), "status": "trial"},
        # expired: 10.00 x 3 = 30.00, ended 2024-04-01
        f"{first}b": {"mrr": 30.0, "end_date": _day("2024-04-01"), "status": "canceled"},
    })  # fmt: skip
    _accounting(ds, "subscriptions", read=5, used=4)  # the failed one: filtered


# --- CRM ----------------------------------------------------------------------------------


def test_hubspot_companies_and_deals(tmp_path):
    files = {
        "customers": "hubspot-crm-exports-all-companies.csv",
        "subscriptions": "hubspot-crm-exports-all-deals.csv",
    }
    ds = _open(tmp_path, "hubspot", files)
    customers = _rows(ds, "customers", "customer_id")
    _check(customers, {
        "1001": {"name": "Acme Inc", "created_at": _day("2023-11-20"), "industry": "Software"},
        "1002": {"name": "Globex", "created_at": _day("2024-01-05")},
        "1003": {"name": "Initech"},
    })  # fmt: skip
    _check(_rows(ds, "subscriptions", "subscription_id"), {
        # "Closed Won": 12000 a year = 1000.00 a month, from the close date
        "9001": {"customer_id": "1001", "mrr": 1000.0, "start_date": _day("2024-01-15")},
        # internal value "closedwon"; first of two associated companies
        "9002": {"customer_id": "1002", "mrr": 500.0, "start_date": _day("2024-02-01")},
    })  # fmt: skip
    _accounting(ds, "subscriptions", read=4, used=2)  # not won: filtered


def test_salesforce_accounts_and_opportunities(tmp_path):
    files = {"customers": "Account.csv", "subscriptions": "Opportunity.csv"}
    ds = _open(tmp_path, "salesforce", files)
    _check(_rows(ds, "customers", "customer_id"), {
        "001A000001AAAAA": {"name": "Acme Ltd", "created_at": _day("2023-11-20")},
        "001A000002AAAAA": {"name": "Globex", "created_at": _day("2024-01-05")},
    })  # fmt: skip
    _check(_rows(ds, "subscriptions", "subscription_id"), {
        # IsWon: 24000 a year = 2000.00 a month; 6000 a year = 500.00
        "006A000001AAAAA": {"customer_id": "001A000001AAAAA", "mrr": 2000.0,
                            "start_date": _day("2024-01-31")},
        "006A000004AAAAA": {"customer_id": "001A000002AAAAA", "mrr": 500.0,
                            "start_date": _day("2024-03-01")},
    })  # fmt: skip


# --- help desks ---------------------------------------------------------------------------


def _fcr(ds: Dataset) -> float | None:
    frame = api.report(ds, [parse_period("2024-03")], api.select_metrics(None, ["fcr"])).frame
    return frame.set_index("metric")["value"]["first_contact_resolution_rate"]


def test_zendesk_tickets(tmp_path):
    ds = _open(tmp_path, "zendesk", {"tickets": "export-2024-03-31-tickets.csv"})
    _check(_rows(ds, "tickets", "ticket_id"), {
        "1": {"customer_id": "Acme", "channel": "email", "created_at": _day("2024-03-01"),
              "resolved_at": _day("2024-03-01"), "agent_replies": 1.0, "reopens": 0.0},
        "2": {"customer_id": "Globex", "channel": "web", "resolved_at": _day("2024-03-04"),
              "agent_replies": 2.0, "reopens": 1.0},
        "3": {"channel": "chat", "resolved_at": NaT},
        "4": {"resolved_at": _day("2024-03-06"), "agent_replies": 1.0},
    })  # fmt: skip
    # first contact: solved with <= 1 reply and no reopen: tickets 1 and 4 of 4 = 50%
    assert _fcr(ds) == pytest.approx(50.0)


def test_freshdesk_tickets(tmp_path):
    ds = _open(tmp_path, "freshdesk", {"tickets": "tickets-export.csv"})
    _check(_rows(ds, "tickets", "ticket_id"), {
        "101": {"channel": "Email", "created_at": _day("2024-03-01"),
                "resolved_at": _day("2024-03-01"), "agent_replies": 1.0},
        "102": {"channel": "Phone", "resolved_at": _day("2024-03-04"), "agent_replies": 3.0},
        "103": {"resolved_at": NaT, "agent_replies": 0.0},
        # no Resolved time: resolved when closed (2024-03-06)
        "104": {"channel": "Chat", "resolved_at": _day("2024-03-06"), "agent_replies": 1.0},
    })  # fmt: skip
    assert _fcr(ds) == pytest.approx(50.0)  # 101 and 104 of 4


def test_intercom_conversations(tmp_path):
    ds = _open(tmp_path, "intercom", {"tickets": "intercom_conversations.csv"})
    # 1709283600 = 2024-03-01 09:00, 1709570700 = 2024-03-04 16:45 (UTC)
    _check(_rows(ds, "tickets", "ticket_id"), {
        "215001": {"created_at": _day("2024-03-01"), "resolved_at": _day("2024-03-01"),
                   "status": "closed", "channel": "conversation", "reopens": 0.0},
        "215002": {"created_at": _day("2024-03-02"), "resolved_at": _day("2024-03-04"),
                   "channel": "email", "reopens": 1.0},
        "215003": {"resolved_at": NaT, "status": "open"},
        "215004": {"resolved_at": NaT, "status": "snoozed"},  # closed once, then snoozed
    })  # fmt: skip


# --- surveys ------------------------------------------------------------------------------


def _nps(ds: Dataset) -> dict[str, float]:
    metrics = api.select_metrics(None, ["nps", "nps_responses"])
    frame = api.report(ds, [parse_period("2024-03")], metrics).frame
    return frame.set_index("metric")["value"].to_dict()


def test_delighted_responses(tmp_path):
    ds = _open(tmp_path, "delighted", {"surveys": "delighted-survey-responses.csv"})
    _check(_rows(ds, "surveys", "response_id"), {
        "1": {"survey_type": "nps", "score": 9.0, "responded_at": _day("2024-03-01")},
        "2": {"survey_type": "nps", "score": 3.0, "responded_at": _day("2024-03-02")},
        "3": {"survey_type": "csat", "score": 5.0, "responded_at": _day("2024-03-05")},
        "5": {"survey_type": "nps", "score": 10.0, "responded_at": _day("2024-03-06")},
    })  # fmt: skip
    _accounting(ds, "surveys", read=5, used=4)  # the smileys answer: filtered
    # nps answers 9, 3, 10: 2 promoters, 1 detractor of 3 -> (2 - 1) / 3 x 100
    assert _nps(ds) == pytest.approx({"nps": 100 / 3, "nps_responses": 3})


def test_qualtrics_responses_with_the_score_mapped(tmp_path):
    # the rating question's column is the survey's own: the user maps it, the preset the rest
    extra = '[columns.surveys]\nscore = "Q1"\n'
    ds = _open(tmp_path, "qualtrics", {"surveys": "qualtrics-responses.csv"}, extra)
    _check(_rows(ds, "surveys", "response_id"), {
        "R_1aBcDeFgHiJkLmN": {"customer_id": "ACC-1", "score": 10.0, "survey_type": "nps",
                              "responded_at": _day("2024-03-01")},
        "R_2aBcDeFgHiJkLmN": {"customer_id": "ACC-2", "score": 6.0},
        "R_3aBcDeFgHiJkLmN": {"customer_id": "ACC-3", "score": 8.0},
    })  # fmt: skip
    _accounting(ds, "surveys", read=5, used=3)  # the question-text and ImportId rows
    # 10, 6, 8: one promoter, one detractor -> 0
    assert _nps(ds) == pytest.approx({"nps": 0.0, "nps_responses": 3})


def test_surveymonkey_responses(tmp_path):
    question = "How likely is it that you would recommend us to a friend or colleague?"
    extra = f'[columns.surveys]\nscore = "{question}"\ncustomer_id = "Custom Data 1"\n'
    # 03/01/2024 ... 03/03/2024: every day <= 12, so the user says which order it is
    extra += '[settings]\ndate_order = "MDY"\n'
    ds = _open(tmp_path, "surveymonkey", {"surveys": "surveymonkey-export.csv"}, extra)
    _check(_rows(ds, "surveys", "response_id"), {
        "114000000001": {"customer_id": "ACC-1", "score": 9.0, "responded_at": _day("2024-03-01")},
        "114000000002": {"score": 7.0, "responded_at": _day("2024-03-02")},
        "114000000003": {"score": 2.0, "responded_at": _day("2024-03-03")},
    })  # fmt: skip
    _accounting(ds, "surveys", read=4, used=3)  # the answer-label row
    assert _nps(ds) == pytest.approx({"nps": 0.0, "nps_responses": 3})  # 9 vs 2; 7 passive


def test_typeform_responses(tmp_path):
    extra = '[columns.surveys]\nscore = "How likely are you to recommend us to a friend?"\n'
    ds = _open(tmp_path, "typeform", {"surveys": "responses.csv"}, extra)
    _check(_rows(ds, "surveys", "response_id"), {
        "p1q2r3s4t5u6v7w8": {"score": 10.0, "responded_at": _day("2024-03-01")},
        "x1y2z3a4b5c6d7e8": {"score": 4.0, "responded_at": _day("2024-03-02")},
        "n1o2p3q4r5s6t7u8": {"score": 9.0, "responded_at": _day("2024-03-04")},
    })  # fmt: skip
    _accounting(ds, "surveys", read=4, used=3)  # the partial response: no submit date
    assert _nps(ds) == pytest.approx({"nps": 100 / 3, "nps_responses": 3})  # 10, 9 vs 4


# --- product analytics --------------------------------------------------------------------

EVENTS = {
    "mixpanel": ("mixpanel-export.csv", [
        ("u1", "Login", "2024-03-01 09:00"), ("u1", "View Report", "2024-03-01 15:00"),
        ("u2", "Login", "2024-03-02 10:00"), ("u3", "Export", "2024-03-05 14:30"),
    ]),
    "amplitude": ("amplitude-export.csv", [
        ("1001", "Login", "2024-03-01 09:00"), ("1001", "View Report", "2024-03-01 15:00"),
        ("1002", "Login", "2024-03-02 10:00"),  # anonymous: amplitude_id still names the user
    ]),
    "posthog": ("posthog-events.csv", [
        ("u1", "$pageview", "2024-03-01 09:00"), ("u1", "report_viewed", "2024-03-01 15:00"),
        ("u2", "$pageview", "2024-03-02 10:00"),
    ]),
    "segment": ("tracks.csv", [
        ("anon-1", "signed_up", "2024-03-01 09:00"),  # before identify(): the anonymous id
        ("user-1", "report_viewed", "2024-03-01 15:00"),
        ("user-2", "report_viewed", "2024-03-02 10:00"),
    ]),
}  # fmt: skip


@pytest.mark.parametrize("vendor", sorted(EVENTS))
def test_event_exports(tmp_path, vendor):
    name, expected = EVENTS[vendor]
    frame = _open(tmp_path, vendor, {"events": name}).table("events")
    assert frame is not None
    got = sorted(zip(frame["user_id"], frame["event"], frame["timestamp"], strict=True))
    want = sorted((u, e, pd.Timestamp(t)) for u, e, t in expected)
    assert [(u, e) for u, e, _ in got] == [(u, e) for u, e, _ in want]
    # unix seconds and ISO text alike land on their UTC day (the reporting zone)
    for (_, _, stamp), (_, _, expect) in zip(got, want, strict=True):
        assert pd.Timestamp(stamp) == expect.normalize()


# --- using presets ------------------------------------------------------------------------


def test_every_preset_is_valid_csm_toml(tmp_path):
    """Each preset's keys pass the csm.toml schema, merged under [tables.<table>]."""
    for p in presets.all_presets():
        config = tmp_path / "csm.toml"
        config.write_text(f'[tables.{p.table}]\npreset = "{p.vendor}"\n', encoding="utf-8")
        cfg = load_config(config)
        assert cfg.columns.get(p.table) == p.mapping.get("columns", {}), p.vendor


def test_every_preset_cites_its_source_and_has_a_fixture():
    for p in presets.all_presets():
        assert p.source.startswith("https://"), p.vendor
        assert p.export and p.converts and p.detect
        found = [starter.recognise(e) for e in starter.exports(FIXTURES / p.vendor)]
        assert any(f.preset == p for f in found), f"no fixture of {p.vendor} {p.table}"


def test_user_keys_override_the_preset(tmp_path):
    # a user's own mapping beats the preset's; the preset's other keys still apply
    extra = '[columns.invoices]\namount = "amount_paid / 100.0"\n'
    ds = _open(tmp_path, "stripe", {"invoices": "stripe_invoices.csv"}, extra)
    rows = _rows(ds, "invoices", "invoice_id")
    assert rows["in_3"]["amount"] == 0.0  # open: nothing paid yet (total was 87.00)
    assert rows["in_4"]["status"] == "failed"  # the preset's value mapping still applies


@pytest.mark.parametrize(
    ("preset", "table", "names"),
    [
        ("strip", "subscriptions", ["chargebee", "hubspot", "recurly", "salesforce", "stripe"]),
        ("stripe", "tickets", ["freshdesk", "intercom", "zendesk"]),
    ],
)
def test_a_bad_preset_is_a_config_error_naming_the_valid_ones(tmp_path, preset, table, names):
    config = tmp_path / "csm.toml"
    config.write_text(f'[tables.{table}]\npreset = "{preset}"\n', encoding="utf-8")
    with pytest.raises(CsmError) as err:
        load_config(config)
    message = err.value.message
    assert "preset" in message and all(n in message for n in names)


# --- csm init -----------------------------------------------------------------------------


def _cli(*args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("vendor", sorted(p.name for p in FIXTURES.iterdir()))
def test_init_recognises_each_vendor(tmp_path, vendor, capsys):
    data = tmp_path / vendor
    shutil.copytree(FIXTURES / vendor, data)
    code, _, _ = _cli("init", "--data", str(data), "-q", capsys=capsys)
    assert code == 0
    written = tomllib.loads((data / "csm.toml").read_text(encoding="utf-8"))
    tables = written["tables"]
    wanted = {p.table for p in presets.all_presets() if p.vendor == vendor}
    assert set(tables) == wanted
    for form in tables.values():
        assert form["preset"] == vendor
        assert (data / form["file"]).is_file()


def test_init_config_makes_report_run(tmp_path, capsys):
    data = tmp_path / "exports"
    data.mkdir()
    for vendor in ("stripe", "zendesk", "delighted", "segment"):
        for f in (FIXTURES / vendor).iterdir():
            shutil.copy(f, data / f.name)
    (data / "notes.csv").write_text("topic,owner\nrenewals,ann\n", encoding="utf-8")
    code, _, err = _cli("init", "--data", str(data), capsys=capsys)
    assert code == 0 and "stripe" in err
    text = (data / "csm.toml").read_text(encoding="utf-8")
    assert "notes.csv" in text  # named as not recognised, with its headers
    code, out, err = _cli(
        "report", "--data", str(data), "--period", "2024-03", "-f", "json", capsys=capsys
    )
    assert code == 0, err
    values = {m["id"]: m["value"] for m in json.loads(out)["metrics"] if m["segment"] is None}
    # March 2024 end: sub_1 87 + sub_2 100 + sub_4 100 + sub_7 58 + sub_8 29 = 374
    assert values["mrr"] == pytest.approx(374.0)
    assert values["first_contact_resolution_rate"] == pytest.approx(50.0)
    assert values["nps"] == pytest.approx(100 / 3)


def test_init_refuses_to_overwrite(tmp_path, capsys):
    data = tmp_path / "exports"
    shutil.copytree(FIXTURES / "zendesk", data)
    (data / "csm.toml").write_text("# mine\n", encoding="utf-8")
    code, _, err = _cli("init", "--data", str(data), capsys=capsys)
    assert code == 1 and "already exists" in err and "--force" in err
    assert (data / "csm.toml").read_text(encoding="utf-8") == "# mine\n"
    code, _, _ = _cli("init", "--data", str(data), "--force", "-q", capsys=capsys)
    assert code == 0
    assert "preset" in (data / "csm.toml").read_text(encoding="utf-8")


def test_init_lists_what_is_left_to_map(tmp_path, capsys):
    data = tmp_path / "exports"
    shutil.copytree(FIXTURES / "qualtrics", data)
    out = tmp_path / "elsewhere.toml"
    code, _, err = _cli("init", "--data", str(data), "--output", str(out), capsys=capsys)
    assert code == 0 and "score" in err and "--config" in err
    text = out.read_text(encoding="utf-8")
    assert "REQUIRED, still to map: score" in text and '"Q1"' in text


def test_init_reads_only_header_rows(tmp_path):
    """A file whose body is not a table at all is still recognised from its first line."""
    data = tmp_path / "exports"
    data.mkdir()
    header = (FIXTURES / "segment" / "tracks.csv").read_text(encoding="utf-8").splitlines()[0]
    (data / "tracks.csv").write_bytes(header.encode() + b"\n" + b"\x00\xff" * (1 << 17))
    (data / "empty.csv").write_bytes(b"")
    found = {f.export.file: f for f in starter.scan(data).findings}
    assert found["tracks.csv"].preset == presets.find("segment", "events")
    assert found["empty.csv"].table is None


def test_docs_list_every_preset():
    docs = Path(__file__).parent.parent / "docs" / "presets.md"
    assert docs.read_text(encoding="utf-8") == presets.markdown(), "run `make docs`"
