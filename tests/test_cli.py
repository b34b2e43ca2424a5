"""The csm command line: parse its JSON/CSV output, check exit codes, never a traceback."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest
from openpyxl import load_workbook

from csmetrics_cli.cli.app import main
from tests.conftest import write_tables
from tests.test_revenue import CUSTOMERS, SUBSCRIPTIONS

COMMANDS = ["report", "explain", "metrics", "validate", "sample"]


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return write_tables(tmp_path / "data", customers=CUSTOMERS, subscriptions=SUBSCRIPTIONS)


def test_help_does_not_import_pandas():
    code = (
        "import sys; from csmetrics_cli.cli.app import main; rc = main(['--help']); "
        "assert 'pandas' not in sys.modules, 'pandas imported'; sys.exit(rc)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "report" in done.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_examples(capsys, command):
    code, out, _ = run(capsys, command, "--help")
    assert code == 0
    assert "Examples" in out


def test_report_json_shape_and_values(capsys, data):
    code, out, _ = run(capsys, "report", "-d", str(data), "--period", "2024-06", "-f", "json",
                       "--family", "revenue")  # fmt: skip
    assert code == 0
    body = json.loads(out)
    rows = {m["id"]: m for m in body["metrics"]}
    churn = rows["customer_churn_rate"]
    for key in ("id", "name", "family", "period", "segment_by", "segment", "item", "value",
                "unit", "note"):  # fmt: skip
        assert key in churn
    assert churn["period"] == "2024-06" and churn["segment"] is None and churn["item"] is None
    assert churn["value"] == pytest.approx(25.0) and churn["unit"] == "%"
    assert rows["mrr"]["value"] == 960
    assert body["periods"] == ["2024-06"]


def test_report_csv_is_long_with_the_spec_header(capsys, data):
    code, out, _ = run(capsys, "report", "-d", str(data), "--period", "2024-06", "-f", "csv",
                       "--by", "plan", "--metrics", "mrr,customers_end")  # fmt: skip
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["period", "segment_by", "segment", "metric", "item", "name",
                             "family", "value", "unit", "note", "ci_low", "ci_high"]  # fmt: skip
    mrr = {r["segment"]: float(r["value"]) for r in rows if r["metric"] == "mrr"}
    assert mrr == {"": 960, "enterprise": 210, "pro": 600, "starter": 150}
    assert {r["segment_by"] for r in rows} == {"plan"}


def test_trend_has_one_label_per_month(capsys, data):
    code, out, _ = run(capsys, "report", "-d", str(data), "--from", "2024-04", "--to", "2024-06",
                       "-f", "json", "--metrics", "mrr")  # fmt: skip
    assert code == 0
    assert [m["period"] for m in json.loads(out)["metrics"]] == ["2024-04", "2024-05", "2024-06"]


def test_compare_adds_previous_and_change(capsys, data):
    code, out, _ = run(capsys, "report", "-d", str(data), "--period", "2024-06", "--compare",
                       "-f", "json", "--metrics", "customers_end")  # fmt: skip
    assert code == 0
    row = json.loads(out)["metrics"][0]
    # May: A B G H I J K L paying at 05-31 = 8; June end = 9
    assert (row["previous"], row["value"], row["change"]) == (8, 9, 1)


def test_missing_required_column_exit_1_with_suggestion(capsys, tmp_path):
    folder = write_tables(tmp_path, subscriptions="""
        subscription_id,Customer Ident,mrr,start_date
        s1,A,10,2024-01-01
    """)  # fmt: skip
    code, _, err = run(capsys, "report", "-d", str(folder), "--period", "2024-06")
    assert code == 1
    assert "customer_id" in err and "subscriptions.csv" in err
    assert "did you mean 'Customer Ident'" in err


@pytest.mark.parametrize("period", ["2024-13", "June", "2024-06-31", "2021-W53"])
def test_unparseable_period_is_a_usage_error(capsys, data, period):
    code, _, err = run(capsys, "report", "-d", str(data), "--period", period)
    assert code == 2
    assert period in err


def test_unknown_metric_and_segment_are_usage_errors(capsys, data):
    code, _, err = run(capsys, "report", "-d", str(data), "-p", "2024-06", "--metrics", "mrrr")
    assert code == 2 and "did you mean 'mrr'" in err
    code, _, err = run(capsys, "report", "-d", str(data), "-p", "2024-06", "--by", "plann")
    assert code == 2 and "did you mean 'plan'" in err


def test_missing_data_path_exit_1(capsys, tmp_path):
    code, _, err = run(capsys, "report", "-d", str(tmp_path / "nope"), "--period", "2024-06")
    assert code == 1 and "nope" in err


def test_output_dir_is_written_atomically(capsys, data, tmp_path):
    out_dir = tmp_path / "reports"
    out_dir.mkdir()
    code, out, _ = run(capsys, "report", "-d", str(data), "-p", "2024-06", "-f", "csv",
                       "-o", str(out_dir))  # fmt: skip
    assert code == 0 and out == ""
    written = out_dir / "csm-report-2024-06.csv"
    assert written.read_text().startswith("period,segment_by")
    assert [p.name for p in out_dir.iterdir()] == [written.name]  # no temporary left behind


def test_output_over_an_input_is_refused(capsys, data):
    target = data / "subscriptions.csv"
    before = target.read_bytes()
    code, _, err = run(capsys, "report", "-d", str(data), "-p", "2024-06", "-f", "csv",
                       "-o", str(target))  # fmt: skip
    assert code == 1 and "input" in err
    assert target.read_bytes() == before


def test_strict_fails_on_excluded_rows(capsys, tmp_path):
    folder = write_tables(tmp_path, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        s1,A,10,2024-01-01
        s2,B,-5,2024-01-01
    """)  # fmt: skip
    code, out, err = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "json")
    assert code == 0 and "excluded 1 rows" in err
    assert {m["id"]: m["value"] for m in json.loads(out)["metrics"]}["mrr"] == 10
    code, out, err = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "--strict")
    assert code == 1 and out == ""


def test_xlsx_has_summary_and_family_sheets_without_formulas(capsys, tmp_path):
    folder = write_tables(tmp_path / "d", customers="""
        customer_id,name,plan
        A,=HYPERLINK("http://x"),-starter
    """, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        s1,A,10,2024-01-01
    """)  # fmt: skip
    target = tmp_path / "r.xlsx"
    code, _, _ = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "--by", "plan",
                     "-o", str(target))  # fmt: skip
    assert code == 0
    book = load_workbook(target)
    assert book.sheetnames[0] == "Summary" and len(book.sheetnames) >= 2
    cells = [c for ws in book for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    assert "'-starter" in {c.value for c in cells}


def test_metrics_catalog_json(capsys):
    code, out, _ = run(capsys, "metrics", "--format", "json")
    assert code == 0
    catalog = {m["id"]: m for m in json.loads(out)["metrics"]}
    assert catalog["net_revenue_retention"]["unit"] == "%"
    assert all(m["formula"] and m["unit"] and m["family"] for m in catalog.values())


def test_validate_json_accounts_for_every_row(capsys, tmp_path):
    folder = write_tables(tmp_path, subscriptions="""
        subscription_id,customer_id,mrr,start_date,end_date
        s1,A,10,2024-01-01,
        s1,B,10,2024-01-01,
        s3,C,10,2024-13-01,
        s4,D,10,2024-05-01,2024-04-01
    """)  # fmt: skip
    code, out, _ = run(capsys, "validate", "-d", str(folder), "-f", "json")
    assert code == 0
    body = json.loads(out)
    table = body["tables"][0]
    assert (table["rows_read"], table["rows_excluded"]) == (4, 3)
    codes = {(i["code"], i["row"], i["column"]) for i in body["issues"]}
    assert codes == {("duplicate_id", 3, "subscription_id"), ("unparseable_date", 4, "start_date"),
                     ("end_before_start", 5, "end_date")}  # fmt: skip


def test_explain_lists_the_churned_customers(capsys, data):
    code, out, _ = run(capsys, "explain", "churned_customers", "-d", str(data), "-p", "2024-06",
                       "--json")  # fmt: skip
    assert code == 0
    body = json.loads(out)
    assert {c["customer_id"]: c["amount"] for c in body["customers"]} == {"B": 200, "J": 100}


def test_explain_nps_lists_the_answers(capsys, tmp_path):
    folder = write_tables(tmp_path, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        s1,A,10,2024-01-01
    """, surveys="""
        response_id,customer_id,survey_type,score,responded_at
        r1,A,nps,10,2024-06-03
        r2,,nps,3,2024-06-04
        r3,A,nps,8,2024-05-30
    """)  # fmt: skip
    code, out, _ = run(capsys, "explain", "nps", "-d", str(folder), "-p", "2024-06", "--json")
    assert code == 0
    body = json.loads(out)
    assert body["values"][0]["value"] == 0  # one promoter, one detractor
    answers = {(a["responded_at"], a["score"], a["group"]) for a in body["customers"]}
    assert answers == {("2024-06-03", 10, "promoter"), ("2024-06-04", 3, "detractor")}


# --- one interface: the same options, formats and exit codes on every command ----------

DATA_COMMANDS = {
    "report": ["report", "-p", "2024-06", "--metrics", "mrr,customers_end"],
    "explain": ["explain", "churned_customers", "-p", "2024-06"],
    "health": ["health", "-p", "2024-06"],
    "backtest": ["health", "--backtest", "--from", "2024-01", "--to", "2024-03"],
    "validate": ["validate"],
}


def _with_data(name: str, data: Path) -> list[str]:
    return [*DATA_COMMANDS[name], "-d", str(data)]


@pytest.mark.parametrize("name", [*DATA_COMMANDS, "metrics"])
def test_every_command_writes_json_equal_to_the_library_result(capsys, data, name):
    from csmetrics_cli import api
    from csmetrics_cli.periods import month_range, parse_period

    args = ["metrics"] if name == "metrics" else _with_data(name, data)
    code, out, _ = run(capsys, *args, "--format", "json")
    assert code == 0
    printed = json.loads(out)
    ds = api.open_data(data)
    june = parse_period("2024-06")
    expected = {
        "report": lambda: api.report(
            ds, [june], api.select_metrics(None, ["mrr", "customers_end"])
        ),
        "explain": lambda: api.explain(
            ds, api.select_metrics(None, ["churned_customers"])[0], june
        ),
        "health": lambda: api.health(ds, june),
        "backtest": lambda: api.backtest(ds, month_range("2024-01", "2024-03"), 3),
        "validate": lambda: api.validate(ds),
        "metrics": lambda: api.metrics(),
    }[name]()
    assert printed == json.loads(json.dumps(expected.to_dict()))
    # --json is the same as --format json, on every command
    code, again, _ = run(capsys, *args, "--json")
    assert code == 0 and json.loads(again) == printed


@pytest.mark.parametrize("name", [*DATA_COMMANDS, "metrics"])
def test_every_command_writes_csv_and_markdown(capsys, data, name):
    args = ["metrics"] if name == "metrics" else _with_data(name, data)
    code, out, _ = run(capsys, *args, "-f", "csv")
    assert code == 0
    rows = list(csv.reader(io.StringIO(out)))
    assert len(rows) >= (1 if name == "validate" else 2)  # no issues: the header alone
    assert all(len(r) == len(rows[0]) for r in rows)
    code, out, _ = run(capsys, *args, "-f", "md")
    assert code == 0
    assert out.startswith("#") and "|---|" in out


@pytest.mark.parametrize("name", [*DATA_COMMANDS, "metrics"])
def test_piped_output_is_csv_and_never_box_drawn(capsys, data, name):
    args = ["metrics"] if name == "metrics" else _with_data(name, data)
    code, out, _ = run(capsys, *args)  # capsys: stdout is not a terminal
    assert code == 0
    assert next(iter(csv.reader(io.StringIO(out))))  # parses as CSV
    code, out, _ = run(capsys, *args, "-f", "table")
    assert code == 0
    assert not set(out) & set("│┃━─┏┓┗┛╭╮╰╯")


@pytest.mark.parametrize(
    "args",
    [
        ["metrics", "--format", "xml"],
        ["metrics", "--family", "bogus"],
        ["validate", "-f", "xlsx"],
        ["report", "-p", "2024-06", "-f", "xlsx"],  # a workbook needs --output
        ["report", "-p", "2024-13"],
        ["report", "-p", "2024-06", "--metrics", "nope"],
        ["report", "-p", "2024-06", "--family", "sales"],
        ["explain", "nope", "-p", "2024-06"],
        ["health", "-p", "2024-06", "--top", "-5"],
        ["health", "--backtest", "-p", "2024-06", "--horizon", "0"],
        ["health", "--backtest", "-p", "2024-06", "--horizon", "100000"],
        ["health", "-p", "2024-06", "--band", "sick"],
        ["report", "-p", "2024-06", "--json", "-f", "csv"],
    ],
)
def test_usage_errors_exit_2_before_any_data_is_read(capsys, tmp_path, args):
    code, out, err = run(capsys, *args, "-d", str(tmp_path / "does-not-exist"))
    assert code == 2, err
    assert out == ""


def test_version(capsys):
    code, out, _ = run(capsys, "--version")
    assert code == 0
    from csmetrics_cli import __version__

    assert out.split() == ["csm", __version__]


def test_quiet_keeps_stderr_for_warnings(capsys, data, monkeypatch, tmp_path):
    monkeypatch.chdir(data.parent)
    (data.parent / "sample_data").symlink_to(data)
    code, _, err = run(capsys, "report", "-p", "2024-05", "-o", str(tmp_path / "r.csv"))
    assert code == 0 and "No --data given" in err and "Wrote" in err
    code, _, err = run(capsys, "report", "-p", "2024-05", "-o", str(tmp_path / "r.csv"), "-q")
    assert code == 0 and err == ""


def test_verbose_reports_rows_read_per_table(capsys, data):
    code, _, err = run(capsys, "report", "-d", str(data), "-p", "2024-06", "-f", "json", "-v")
    assert code == 0
    assert "subscriptions: 16 rows read" in err


def test_output_folder_with_a_slash_is_created(capsys, data, tmp_path):
    target = tmp_path / "reports"
    code, _, _ = run(capsys, "report", "-d", str(data), "-p", "2024-06", "-o", f"{target}/")
    assert code == 0
    written = target / "csm-report-2024-06.csv"
    assert written.is_file()
    assert next(iter(csv.reader(io.StringIO(written.read_text()))))[0] == "period"


def test_stale_period_warns_and_strict_fails(capsys, data):
    code, out, err = run(capsys, "report", "-d", str(data), "-p", "2030-01", "-f", "json")
    assert code == 0
    body = json.loads(out)
    assert body["data_through"]["last"] == "2024-06-20"
    assert any("2030-01" in w and "2024-06-20" in w for w in body["warnings"])
    assert "2030-01-31" in err and "2024-06-20" in err
    code, out, _ = run(capsys, "report", "-d", str(data), "-p", "2030-01", "--strict")
    assert code == 1 and out == ""


def test_values_carry_no_float_noise(capsys, tmp_path):
    folder = write_tables(tmp_path, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        s1,A,0.1,2024-01-01
        s2,B,0.2,2024-01-01
    """)  # fmt: skip
    code, out, _ = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "csv",
                       "--metrics", "mrr")  # fmt: skip
    assert code == 0
    assert next(csv.DictReader(io.StringIO(out)))["value"] == "0.3"


def test_an_internal_error_is_one_line_with_exit_70(capsys, data, monkeypatch):
    from csmetrics_cli import api

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr(api, "report", broken)
    code, out, err = run(capsys, "report", "-d", str(data), "-p", "2024-06")
    assert code == 70 and out == ""
    assert "internal error in csm" in err and "KeyError" in err


def test_explain_nrr_shows_the_bridge_with_the_customers_behind_each_term(capsys, data):
    code, out, _ = run(capsys, "explain", "nrr", "-d", str(data), "-p", "2024-06", "--json")
    assert code == 0
    body = json.loads(out)
    assert body["id"] == "net_revenue_retention"
    terms = {t["term"]: t for t in body["bridge"]}
    # start MRR on 05-31: A100 B200 G100 H300 I100 J100 K50 L60 = 1010; expansion G +50;
    # contraction H 300 -> 240 = 60; churned B 200 + J 100 = 300 (tests/test_revenue.py)
    assert [(t["sign"], t["value"]) for t in body["bridge"]] == [
        ("", 1010), ("+", 50), ("-", 60), ("-", 300)]  # fmt: skip
    assert {c["customer_id"]: c["amount"] for c in terms["churned_mrr"]["customers"]} == {
        "B": 200, "J": 100}  # fmt: skip
    assert terms["churned_mrr"]["customers"][0]["name"] == "Beta"  # largest first, named
    assert body["values"][0]["value"] == pytest.approx((1010 + 50 - 60 - 300) / 1010 * 100)
    assert body["values"][0]["numerator"] == 700 and isinstance(body["values"][0]["numerator"], int)


def test_health_csv_is_an_at_risk_list_a_csm_can_work_from(capsys, tmp_path):
    folder = write_tables(tmp_path, customers="""
        customer_id,name,csm_owner,plan
        A,Alpha,Ann,pro
        B,Beta,Bob,starter
    """, subscriptions="""
        subscription_id,customer_id,mrr,start_date,term_end
        a1,A,100,2024-01-01,2024-09-01
        b1,B,50,2024-01-01,
    """, invoices="""
        invoice_id,customer_id,issued_at,amount,status
        i1,A,2024-06-05,100,failed
        i2,A,2024-06-10,100,failed
        i3,B,2024-06-05,50,paid
    """)  # fmt: skip
    code, out, _ = run(capsys, "health", "-d", str(folder), "-p", "2024-06", "-f", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0])[:10] == ["customer_id", "name", "owner", "plan", "renewal_date", "mrr",
                                  "score", "score_change", "band", "drivers"]  # fmt: skip
    a = next(r for r in rows if r["customer_id"] == "A")
    # payment: two failed invoices in 90 days = 0; revenue trend flat = 50
    assert (a["name"], a["owner"], a["plan"], a["renewal_date"]) == ("Alpha", "Ann", "pro",
                                                                     "2024-09-01")  # fmt: skip
    assert "2+ failed invoices in 90 days" in a["drivers"]
    assert rows[0]["customer_id"] == "A"  # lowest score first
    code, out, _ = run(capsys, "health", "-d", str(folder), "-p", "2024-06", "-f", "csv",
                       "--where", "csm_owner=Bob")  # fmt: skip
    assert code == 0
    assert [r["customer_id"] for r in csv.DictReader(io.StringIO(out))] == ["B"]
    code, _, err = run(capsys, "health", "-d", str(folder), "-p", "2024-06", "--by", "ownr")
    assert code == 2 and "did you mean 'owner'" in err


def test_rows_of_unknown_customers_count_overall_and_in_their_own_segment(capsys, tmp_path):
    folder = write_tables(tmp_path, customers="""
        customer_id,plan
        A,pro
    """, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        s1,A,100,2024-01-01
        s2,LATE,40,2024-06-10
    """)  # fmt: skip
    code, out, err = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "json",
                         "--by", "plan", "--metrics", "mrr,customers_end")  # fmt: skip
    assert code == 0
    mrr = {m["segment"]: m["value"] for m in json.loads(out)["metrics"] if m["id"] == "mrr"}
    assert mrr == {None: 140, "pro": 100, "(unknown customer)": 40}
    assert "LATE" in err and err.count("not in the customers table") == 1
    code, _, _ = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "--strict")
    assert code == 1


def test_shell_completion_knows_metric_ids_and_segment_columns(data):
    from types import SimpleNamespace

    from csmetrics_cli.cli.options import _complete_metrics, _complete_segments

    assert "net_revenue_retention" in _complete_metrics("net_")
    assert _complete_metrics("mrr,chur") == ["mrr,churned_customers", "mrr,churned_mrr",
                                             "mrr,churn"]  # fmt: skip
    ctx = SimpleNamespace(params={"data": str(data)})
    assert _complete_segments(ctx, "") == ["plan", "status", "region"]  # not name: canonical
    assert _complete_segments(ctx, "re") == ["region"]
