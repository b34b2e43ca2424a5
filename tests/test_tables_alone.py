"""Every table stands on its own: a folder of only tickets, surveys, invoices or events gives
every metric those tables allow through every command and format; the rest are null with a
note naming the missing table. --by also splits by the columns of a metric's own table."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from openpyxl import load_workbook

from csmetrics_cli.cli.app import main
from tests.conftest import write_tables

TICKETS = """
    ticket_id,customer_id,created_at,resolved_at,channel,Priority,agent_replies,reopens,first_contact_resolved
    t1,A,2024-06-01,2024-06-01,email,high,1,0,true
    t2,A,2024-06-02,2024-06-03,chat,low,3,0,false
    t3,B,2024-06-05,,chat,low,0,0,
    t4,B,2024-05-30,2024-06-01,email,high,1,0,true
"""
SURVEYS = """
    response_id,customer_id,survey_type,score,responded_at,touchpoint
    r1,A,nps,10,2024-06-01,onboarding
    r2,B,nps,9,2024-06-02,support
    r3,C,nps,3,2024-06-03,support
    r4,D,nps,7,2024-06-04,onboarding
    r5,A,csat,5,2024-06-05,support
    r6,B,csat,2,2024-06-06,support
"""
INVOICES = """
    invoice_id,customer_id,issued_at,amount,status
    i1,A,2024-06-01,100,paid
    i2,B,2024-06-03,50,failed
"""
EVENTS = """
    timestamp,user_id,customer_id,event,feature
    2024-06-01T10:00:00,u1,A,login,
    2024-06-01T11:00:00,u2,A,login,
    2024-06-02T10:00:00,u1,A,login,
"""
# Hand-worked June 2024 values of each folder's computable metrics:
EXPECTED = {
    # t1 flagged true, t2 flagged false, t3 blank flag and unresolved -> derived false;
    # t4 was created in May. FCR = 1 / 3.
    "tickets": {"first_contact_resolution_rate": 100 / 3},
    # NPS: promoters r1, r2 (2), detractor r3 (1), passive r4: (2 - 1) / 4 x 100 = 25.
    # CSAT: satisfied >= ceil(0.8 x 5) = 4: r5 yes, r6 no -> 50.
    "surveys": {"nps": 25.0, "nps_responses": 4, "nps_promoters_pct": 50.0,
                "nps_detractors_pct": 25.0, "csat": 50.0},
    # No invoice metric stands without subscriptions (lifetime comes from churn).
    "invoices": {},
    # June 1: u1, u2; June 2: u1 (no day after the last event counts): DAU (2 + 1) / 2 = 1.5,
    # MAU 2, stickiness 1.5 / 2 = 75%.
    "events": {"dau": 1.5, "mau": 2, "stickiness": 75.0},
}  # fmt: skip
TEXTS = {"tickets": TICKETS, "surveys": SURVEYS, "invoices": INVOICES, "events": EVENTS}
# data_through: the first and last observed day of the table used.
SPAN = {
    "tickets": ("2024-05-30", "2024-06-05"),
    "surveys": ("2024-06-01", "2024-06-06"),
    "invoices": ("2024-06-01", "2024-06-03"),
    "events": ("2024-06-01", "2024-06-02"),
}


def _folder(tmp_path: Path, table: str) -> Path:
    return write_tables(tmp_path / table, **{table: TEXTS[table]})


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    return code, out.out, out.err


@pytest.mark.parametrize("table", sorted(TEXTS))
def test_report_json_gives_what_the_table_allows(tmp_path, capsys, table):
    folder = _folder(tmp_path, table)
    code, out, err = _run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "json")
    assert code == 0, err
    body = json.loads(out)
    got = {m["id"]: m for m in body["metrics"] if m["segment"] is None and m["item"] is None}
    for metric, value in EXPECTED[table].items():
        assert got[metric]["value"] == pytest.approx(value), metric
    for metric, row in got.items():
        if metric not in EXPECTED[table] and row["value"] is None:
            assert row["note"], metric  # every unavailable metric says why
    # a metric of another table names the missing one
    assert got["mrr"]["value"] is None and "subscriptions" in got["mrr"]["note"]
    if table != "surveys":
        assert "needs the surveys table" in got["nps"]["note"]
    assert (body["data_through"]["first"], body["data_through"]["last"]) == SPAN[table]
    assert [t["table"] for t in body["data_quality"]["tables"]] == [table]
    assert "Traceback" not in err


@pytest.mark.parametrize("table", sorted(TEXTS))
def test_every_format_and_command(tmp_path, capsys, table):
    folder = _folder(tmp_path, table)
    code, out, _ = _run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    by_metric = {r["metric"]: r for r in rows if not r["segment"] and not r["item"]}
    for metric, value in EXPECTED[table].items():
        assert float(by_metric[metric]["value"]) == pytest.approx(value)
    for fmt in ("md", "table"):
        code, out, _ = _run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", fmt)
        assert code == 0 and "MRR" in out
    book = tmp_path / f"{table}.xlsx"
    code, _, err = _run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-o", str(book))
    assert code == 0, err
    assert load_workbook(book).sheetnames
    page = tmp_path / f"{table}.html"
    code, _, err = _run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-o", str(page))
    assert code == 0, err
    assert page.read_text(encoding="utf-8").lstrip().lower().startswith("<!doctype html")
    code, out, _ = _run(capsys, "validate", "-d", str(folder), "-f", "json")
    assert code == 0
    summary = json.loads(out)
    assert summary["tables"][0]["rows_read"] == TEXTS[table].strip().count("\n")
    assert summary["issues"] == []
    code, out, _ = _run(capsys, "explain", "mrr", "-d", str(folder), "-p", "2024-06", "-f",
                        "json")  # fmt: skip
    assert code == 0
    assert json.loads(out)["values"][0]["value"] is None
    if EXPECTED[table]:
        metric = next(iter(EXPECTED[table]))
        code, out, _ = _run(capsys, "explain", metric, "-d", str(folder), "-p", "2024-06", "-f",
                            "json")  # fmt: skip
        assert code == 0
        value = json.loads(out)["values"][0]["value"]
        assert value == pytest.approx(EXPECTED[table][metric])


@pytest.mark.parametrize("table", sorted(TEXTS))
def test_health_needs_subscriptions(tmp_path, capsys, table):
    folder = _folder(tmp_path, table)
    code, out, err = _run(capsys, "health", "-d", str(folder), "-p", "2024-06", "-f", "json")
    assert code == 1 and out == ""
    assert "needs the subscriptions table" in " ".join(err.split()) and "Traceback" not in err


def test_customers_without_a_customers_table_are_the_ids_present(tmp_path, capsys):
    # Subscriptions alone: customers A and B, no segments; --by plan still works.
    folder = write_tables(tmp_path / "subs", subscriptions="""
        subscription_id,customer_id,mrr,start_date,plan
        s1,A,10,2024-01-01,pro
        s2,B,20,2024-01-01,basic
    """)  # fmt: skip
    code, out, _ = _run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "json",
                        "-m", "customers_end,mrr", "--by", "plan")  # fmt: skip
    assert code == 0
    rows = {(m["id"], m["segment"]): m["value"] for m in json.loads(out)["metrics"]}
    assert rows[("customers_end", None)] == 2 and rows[("mrr", "pro")] == 10


@pytest.mark.parametrize("files", [{}, {"notes.md": "not a table"}])
def test_a_folder_with_no_table_is_an_error(tmp_path, capsys, files):
    folder = tmp_path / "empty"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    code, _, err = _run(capsys, "report", "-d", str(folder), "-p", "2024-06")
    assert code == 1
    err = " ".join(err.split())
    assert "holds no table" in err and "customers.csv" in err and "Traceback" not in err


def test_by_a_ticket_column(tmp_path, capsys):
    folder = _folder(tmp_path, "tickets")
    # `--by priority` finds the export's `Priority` (extras keep normalised names).
    code, out, err = _run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "json",
                          "--by", "PRIORITY", "-m", "fcr,mrr")  # fmt: skip
    assert code == 0, err
    body = json.loads(out)
    assert body["segment_by"] == "priority"
    rows = {(m["id"], m["segment"]): m for m in body["metrics"]}
    # June tickets: high t1 (fcr) -> 100; low t2 (no), t3 (no) -> 0.
    assert rows[("first_contact_resolution_rate", "high")]["value"] == 100.0
    assert rows[("first_contact_resolution_rate", "low")]["value"] == 0.0
    # MRR cannot split by a ticket column: null with a note in each segment row
    for segment in ("high", "low"):
        assert rows[("mrr", segment)]["value"] is None
    folder_both = write_tables(tmp_path / "both", tickets=TICKETS, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        s1,A,10,2024-01-01
    """)  # fmt: skip
    code, out, _ = _run(capsys, "report", "-d", str(folder_both), "-p", "2024-06", "-f", "json",
                        "--by", "channel", "-m", "mrr,fcr")  # fmt: skip
    rows = {(m["id"], m["segment"]): m for m in json.loads(out)["metrics"]}
    assert rows[("mrr", None)]["value"] == 10
    assert rows[("mrr", "chat")]["value"] is None
    assert rows[("mrr", "chat")]["note"] == "cannot split by channel: a column of tickets only"
    # chat: t2 (no), t3 (no) -> 0; email: t1 -> 100 (t4 is May's)
    assert rows[("first_contact_resolution_rate", "email")]["value"] == 100.0
    assert rows[("first_contact_resolution_rate", "chat")]["value"] == 0.0


def test_by_a_survey_column(tmp_path, capsys):
    folder = _folder(tmp_path, "surveys")
    code, out, _ = _run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "json",
                        "--by", "touchpoint", "-m", "nps,csat")  # fmt: skip
    assert code == 0
    rows = {(m["id"], m["segment"]): m["value"] for m in json.loads(out)["metrics"]}
    # onboarding: r1 promoter, r4 passive -> 50; support: r2 promoter, r3 detractor -> 0
    assert rows[("nps", "onboarding")] == 50.0
    assert rows[("nps", "support")] == 0.0
    # csat: both answers at support: r5 satisfied, r6 not -> 50; none at onboarding
    assert rows[("csat", "support")] == 50.0
    assert rows[("csat", "onboarding")] is None


def test_unknown_by_lists_row_columns(tmp_path, capsys):
    folder = _folder(tmp_path, "tickets")
    code, _, err = _run(capsys, "report", "-d", str(folder), "-p", "2024-06", "--by", "chanel")
    assert code == 2
    assert "did you mean 'channel'" in err


def test_shell_completion_offers_ticket_and_survey_columns(tmp_path):
    from types import SimpleNamespace

    from csmetrics_cli.cli.options import _complete_segments

    folder = write_tables(tmp_path / "both", tickets=TICKETS, surveys=SURVEYS)
    ctx = SimpleNamespace(params={"data": str(folder)})
    # typed columns (ids, dates, numbers, flags, survey_type) are no segments
    assert _complete_segments(ctx, "") == ["plan", "status", "channel", "Priority", "touchpoint"]


def test_a_full_report_by_a_ticket_column(capsys):
    # every metric of the sample data by ticket channel: FCR splits, every other metric is
    # null in each segment row with the note, and no renderer's grid breaks (events metrics
    # code customers into segments; a ticket column gives them none)
    sample = Path(__file__).resolve().parent.parent / "sample_data"
    code, out, err = _run(capsys, "report", "-d", str(sample), "-p", "2024-06", "-f", "json",
                          "--by", "channel")  # fmt: skip
    assert code == 0, err
    rows = [m for m in json.loads(out)["metrics"] if m["segment"] is not None]
    assert {m["segment"] for m in rows} == {"chat", "email", "phone"}
    split = {m["id"] for m in rows if m["value"] is not None}
    assert split == {"first_contact_resolution_rate"}
    assert all(m["note"] == "cannot split by channel: a column of tickets only"
               for m in rows if m["id"] != "first_contact_resolution_rate")  # fmt: skip


def test_data_quality_lists_the_tables_in_the_specs_order(tmp_path):
    # read in another order: listed in SPEC section 1's, each table's issues in its place
    from csmetrics_cli import api

    bad_ticket = TICKETS.rstrip() + "\n    t5,B,not a date,,chat,low,0,0,\n"
    bad_invoice = INVOICES.rstrip() + "\n    i3,B,2024-06-04,lots,paid\n"
    folder = write_tables(tmp_path / "all", tickets=bad_ticket, surveys=SURVEYS,
                          invoices=bad_invoice)  # fmt: skip
    data = api.open_data(folder)
    for table in ("tickets", "surveys", "invoices"):
        data.table(table)
    quality = api.quality_summary(data)
    assert [t["table"] for t in quality["tables"]] == ["invoices", "surveys", "tickets"]
    assert [Path(i["file"]).stem for i in quality["issues"]] == ["invoices", "tickets"]
