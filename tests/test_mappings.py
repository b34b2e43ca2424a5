"""csm.toml mappings real exports need, evaluated in DuckDB: expressions, joins, where,
dedupe, delimiter, skip_rows, one header feeding several columns, wide and long surveys;
mapping errors name the key, its line and the export's headers; never a traceback."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics_cli.cli.app import main


def _write(folder: Path, files: dict[str, str]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).write_text(textwrap.dedent(text).lstrip(), encoding="utf-8")
    return folder


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> dict:
    code = main(list(args))
    out = capsys.readouterr()
    assert code == 0, out.err
    return json.loads(out.out)  # type: ignore[no-any-return]


def _report(capsys, folder: Path, metrics: str, by: str | None = None) -> dict:
    extra = ["--by", by] if by else []
    body = _json(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "json", "-m",
                 metrics, *extra)  # fmt: skip
    return {(m["id"], m["segment"]): m["value"] for m in body["metrics"]}


def _validate(capsys, folder: Path) -> dict:
    return _json(capsys, "validate", "-d", str(folder), "-f", "json", "--no-cache")


def _error(capsys, folder: Path) -> str:
    code = main(["report", "-d", str(folder), "-p", "2024-06", "--no-cache"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "Traceback" not in err and "internal error" not in err
    return " ".join(err.split())


JOIN = (
    "\"select i.*, p.unit_amount, p.interval from 'subscription_items.csv' i"
    " join 'prices.csv' p using (price_id)\""
)
BILLING = {
    "subscription_items.csv": """
        id,customer,price_id,quantity,status,created
        si_1,cus_1,price_a,2,active,2024-01-05
        si_2,cus_2,price_b,1,active,2024-01-06
        si_3,cus_3,price_a,3,deleted,2024-01-07
    """,
    "prices.csv": """
        price_id,unit_amount,interval
        price_a,1500,month
        price_b,12000,year
    """,
    "csm.toml": """
        [tables.subscriptions]
        sql = """ + JOIN + """
        where = "status <> 'deleted'"
        [columns.subscriptions]
        subscription_id = "id"
        customer_id = "customer"
        amount = "unit_amount * quantity / 100.0"
        start_date = "created"
    """,
}  # fmt: skip


def test_cents_quantity_and_a_price_join_give_mrr(tmp_path, capsys):
    folder = _write(tmp_path / "billing", BILLING)
    got = _report(capsys, folder, "mrr,customers_end")
    # si_1: 1500 cents x 2 / 100 = 30 a month; si_2: 12000 x 1 / 100 = 120 a year = 10 a
    # month; si_3 is deleted (filtered). MRR = 30 + 10 = 40 over 2 customers.
    assert got[("mrr", None)] == pytest.approx(40.0)
    assert got[("customers_end", None)] == 2
    summary = _validate(capsys, folder)
    table = summary["tables"][0]
    assert (table["rows_read"], table["rows_used"], table["rows_excluded"]) == (3, 2, 1)
    (issue,) = summary["issues"]
    assert issue["code"] == "filtered" and "1 row" in issue["message"]


def test_filtered_rows_do_not_fail_strict(tmp_path, capsys):
    folder = _write(tmp_path / "billing", BILLING)
    assert main(["validate", "-d", str(folder), "--strict", "-f", "json"]) == 0
    capsys.readouterr()


CRM = {
    "subscriptions.csv": """
        customerID,tenure,Contract,MonthlyCharges,Churn
        c1,3,Month-to-month,10.5,Yes
        c2,12,One year,20,No
        c3,0,Two year,30,No
    """,
    "csm.toml": """
        [columns.subscriptions]
        customer_id = "customerID"
        subscription_id = "customerid"
        mrr = "MonthlyCharges"
        start_date = "DATE '2024-06-30' - to_months(tenure)"
        end_date = "CASE WHEN Churn = 'Yes' THEN DATE '2024-06-30' END"
    """,
}


def test_a_yes_no_churn_flag_tenure_in_months_and_one_header_for_two_columns(tmp_path, capsys):
    folder = _write(tmp_path / "crm", CRM)
    got = _report(capsys, folder, "customers_start,churned_customers,mrr", by="Contract")
    # starts: c1 2024-03-30 (3 months before 06-30), c2 2023-06-30, c3 2024-06-30 (tenure 0).
    # c1 churned: end_date 2024-06-30 (exclusive), so it pays at the start snapshot only.
    assert got[("customers_start", None)] == 2  # c1, c2
    assert got[("churned_customers", None)] == 1  # c1
    assert got[("mrr", None)] == pytest.approx(50.0)  # c2 20 + c3 30
    assert got[("churned_customers", "Month-to-month")] == 1
    assert got[("mrr", "Two year")] == pytest.approx(30.0)


def test_dedupe_first_and_latest(tmp_path, capsys):
    export = """
        subscription_id,customer_id,mrr,start_date,updated_at
        s1,A,10,2024-01-01,2024-03-01
        s1,A,30,2024-01-01,2024-05-01
        s1,A,20,2024-01-01,2024-04-01
        s2,B,5,2024-01-01,2024-01-01
    """
    latest = _write(tmp_path / "latest", {"subscriptions.csv": export, "csm.toml": """
        [tables.subscriptions]
        dedupe = { key = "subscription_id", keep = "latest", by = "updated_at" }
    """})  # fmt: skip
    first = _write(tmp_path / "first", {"subscriptions.csv": export, "csm.toml": """
        [tables.subscriptions]
        dedupe = { key = "subscription_id", keep = "first" }
    """})  # fmt: skip
    # latest s1 is the 2024-05-01 row (30); first is row 2 (10); s2 adds 5 either way
    assert _report(capsys, latest, "mrr")[("mrr", None)] == pytest.approx(35.0)
    assert _report(capsys, first, "mrr")[("mrr", None)] == pytest.approx(15.0)
    summary = _validate(capsys, latest)
    assert summary["tables"][0]["rows_excluded"] == 2
    (issue,) = summary["issues"]
    # the rows dropped: rows 2 and 4 (header = row 1)
    assert issue["code"] == "duplicate_row" and "rows 2, 4" in issue["message"]


def test_a_whitespace_file_with_two_lines_before_the_header(tmp_path, capsys):
    folder = _write(tmp_path / "ws", {
        "subscriptions.txt": (
            "Export of subscriptions\nGenerated 2024-07-01\n"
            "subscription_id   customer_id  mrr   start_date\n"
            "s1  A   10  2024-01-01\n\ns2\tB\t20   2024-02-01\ns3 C 5\n"
        ),
        "csm.toml": '[tables.subscriptions]\ndelimiter = "whitespace"\nskip_rows = 2\n',
    })  # fmt: skip
    assert _report(capsys, folder, "mrr")[("mrr", None)] == pytest.approx(30.0)  # 10 + 20
    summary = _validate(capsys, folder)
    # lines: 1-2 skipped, 3 header, 4 s1, 5 blank, 6 s2, 7 s3 (3 fields: malformed)
    assert summary["tables"][0]["rows_read"] == 3
    (issue,) = summary["issues"]
    assert (issue["code"], issue["row"]) == ("malformed_row", 7)


def test_a_semicolon_file_with_header_rows(tmp_path, capsys):
    folder = _write(tmp_path / "semi", {
        "subscriptions.csv": "Report;x\nDate;y\nsubscription_id;customer_id;mrr;start_date\n"
                             's1;A;"12";2024-01-01\ns2;B;8;2024-02-01\n',
        "csm.toml": '[tables.subscriptions]\ndelimiter = ";"\nskip_rows = 2\n',
    })  # fmt: skip
    assert _report(capsys, folder, "mrr")[("mrr", None)] == pytest.approx(20.0)


QUESTIONS = (
    "Respondent,Email,Submitted At,How likely are you to recommend us?,"
    "How satisfied are you?,Touchpoint"
)
WIDE = {
    "surveys.csv": """
        """ + QUESTIONS + """
        1,a@x.com,2024-06-01,10,5,web
        2,b@x.com,2024-06-02,3,,app
        3,c@x.com,2024-06-03,,,web
        4,d@x.com,2024-06-04,8,2,web
    """,
    "csm.toml": """
        [tables.surveys.wide]
        nps = "How likely are you to recommend us?"
        csat = "How satisfied are you?"
        [columns.surveys]
        response_id = "Respondent || '-' || survey_type"
        customer_id = "Email"
        responded_at = "Submitted At"
    """,
}  # fmt: skip


def test_a_wide_survey_export(tmp_path, capsys):
    folder = _write(tmp_path / "wide", WIDE)
    got = _report(capsys, folder, "nps,nps_responses,csat", by="touchpoint")
    # nps: 10 (promoter), 3 (detractor), 8 (passive): (1 - 1) / 3 = 0; web: 10, 8 -> 50
    assert got[("nps_responses", None)] == 3
    assert got[("nps", None)] == 0.0
    assert got[("nps", "web")] == 50.0 and got[("nps", "app")] == -100.0
    # csat: 5 (satisfied), 2 (not) -> 50
    assert got[("csat", None)] == 50.0
    summary = _validate(capsys, folder)
    # 5 responses + respondent 3, who rated nothing (filtered)
    table = summary["tables"][0]
    assert (table["rows_read"], table["rows_excluded"]) == (6, 1)
    assert [i["code"] for i in summary["issues"]] == ["filtered"]


def test_a_long_survey_export(tmp_path, capsys):
    folder = _write(tmp_path / "long", {
        "surveys.csv": """
            response,customer,question,answer,date
            1,A,How likely are you to recommend us?,9,2024-06-01
            1,A,Any comments?,great,2024-06-01
            2,B,How likely are you to recommend us?,6,2024-06-02
            2,B,How easy was it?,6,2024-06-02
        """,
        "csm.toml": """
            [tables.surveys]
            where = "question <> 'Any comments?'"
            [columns.surveys]
            response_id = "response || '-' || question"
            customer_id = "customer"
            survey_type = "question"
            score = "answer"
            responded_at = "date"
            [values.surveys.survey_type]
            nps = "How likely are you to recommend us?"
            ces = "How easy was it?"
        """,
    })  # fmt: skip
    got = _report(capsys, folder, "nps,ces")
    # nps: 9 promoter, 6 detractor -> 0; ces: one answer of 6
    assert got[("nps", None)] == 0.0 and got[("ces", None)] == 6.0


def test_problems_name_the_exports_header(tmp_path, capsys):
    folder = _write(tmp_path / "named", {
        "subscriptions.csv": """
            Sub,Client,Monthly,Began
            s1,A,10,2024-01-01
            s2,B,ten,2024-02-01
        """,
        "csm.toml": """
            [columns.subscriptions]
            subscription_id = "Sub"
            customer_id = "Client"
            mrr = "Monthly"
            start_date = "Began"
        """,
    })  # fmt: skip
    (issue,) = _validate(capsys, folder)["issues"]
    assert (issue["code"], issue["row"], issue["column"]) == ("unparseable_number", 3, "mrr")
    assert "(export: Monthly)" in issue["message"]


def test_blank_optional_values_are_no_problem(tmp_path, capsys):
    folder = _write(tmp_path / "blank", {"tickets.csv": """
        ticket_id,customer_id,created_at,resolved_at,status,channel,agent_replies,reopens,first_contact_resolved
        t1,,2024-06-01,,,,,,
        t2,A,2024-06-02,2024-06-03,closed,email,1,0,true
    """})  # fmt: skip
    assert main(["validate", "-d", str(folder), "--strict", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["issues"] == []


def test_a_hint_suggests_only_a_header_that_fits(tmp_path, capsys):
    # created_at is missing; closed_at already is resolved_at (an alias) and must not be
    # suggested for a ticket's creation; submitted_at holds dates and is free.
    folder = _write(tmp_path / "hint", {"tickets.csv": """
        ticket_id,submitted_at,closed_at,subject
        t1,2024-06-01,2024-06-02,Login fails
    """})  # fmt: skip
    err = _error(capsys, folder)
    assert "closed_at'?" not in err
    assert "submitted_at" in err


def test_an_unknown_header_names_the_key_line_and_headers(tmp_path, capsys):
    folder = _write(tmp_path / "bad", {
        "subscriptions.csv": "id,customer,quantity,start\ns1,A,2,2024-01-01\n",
        "csm.toml": """
            [settings]
            currency = "$"

            [columns.subscriptions]
            subscription_id = "id"
            customer_id = "customer"
            mrr = "unit_amount * quantity"
            start_date = "start"
        """,
    })  # fmt: skip
    err = _error(capsys, folder)
    assert "line 7" in err and "[columns.subscriptions] mrr" in err
    assert 'no column "unit_amount"' in err
    assert "headers of subscriptions.csv: id, customer, quantity, start" in err


def test_an_sql_syntax_error_names_the_key(tmp_path, capsys):
    folder = _write(tmp_path / "syntax", {
        "subscriptions.csv": "id,customer,mrr,start\ns1,A,2,2024-01-01\n",
        "csm.toml": '[tables.subscriptions]\nwhere = "mrr >>> 1 AND"\n',
    })  # fmt: skip
    err = _error(capsys, folder)
    assert "line 2" in err and "[tables.subscriptions] where" in err


def test_a_join_on_a_missing_file_names_the_folder(tmp_path, capsys):
    folder = _write(tmp_path / "nojoin", {
        "csm.toml": """
            [tables.subscriptions]
            sql = "select * from 'items.csv' join 'prices.csv' using (price_id)"
        """,
        "prices.csv": "price_id,unit_amount\np,1\n",
    })  # fmt: skip
    err = _error(capsys, folder)
    assert "[tables.subscriptions] sql" in err and "prices.csv" in err


def test_schema_refuses_bad_table_rules(tmp_path, capsys):
    folder = _write(tmp_path / "schema", {
        "subscriptions.csv": "subscription_id,customer_id,mrr,start_date\ns1,A,1,2024-01-01\n",
        "csm.toml": """
            [tables.subscriptions]
            dedupe = { key = "id", keep = "latest" }
            delimiter = "tab"
            skip_row = 2
            preset = "nosuchvendor"
        """,
    })  # fmt: skip
    err = _error(capsys, folder)
    assert "4 problems" in err
    assert "tables.subscriptions.dedupe" in err and "by" in err
    assert "did you mean 'skip_rows'" in err
    assert "tables.subscriptions.preset" in err


_HEADER = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=12
).filter(lambda h: h.strip() and "," not in h and '"' not in h)
_TOKENS = [*"abc xyz_*+-/()'\"<>=;.,0123456789|%", "CASE", "WHEN", "select", "DATE", "NULL",
           "::", "END", "subscription_id", "mrr", "start_date"]  # fmt: skip
_SQLISH = st.lists(st.sampled_from(_TOKENS), max_size=12).map("".join)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(header=_HEADER, expression=_SQLISH, key=st.sampled_from(["mrr", "start_date", "plan"]),
       rule=st.sampled_from(["where", "dedupe", None]))  # fmt: skip
def test_hostile_mappings_never_give_a_traceback(tmp_path_factory, capsys, header, expression,
                                                 key, rule):  # fmt: skip
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "subscriptions.csv").write_text(
        f"subscription_id,customer_id,{header},start_date\ns1,A,7,2024-01-01\n", encoding="utf-8"
    )
    lines = ["[columns.subscriptions]", f"{key} = {json.dumps(expression)}"]
    if rule == "where":
        lines = ["[tables.subscriptions]", f"where = {json.dumps(expression)}", *lines]
    elif rule == "dedupe":
        lines = ["[tables.subscriptions]", f"dedupe = {{ key = {json.dumps(expression)} }}",
                 *lines]  # fmt: skip
    (folder / "csm.toml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    code = main(["report", "-d", str(folder), "-p", "2024-06", "-f", "json", "-m", "mrr",
                 "--no-cache"])  # fmt: skip
    out = capsys.readouterr()
    assert code in (0, 1), out.err
    assert "Traceback" not in out.err and "internal error" not in out.err
    if code == 1:
        assert "csm.toml" in out.err
    else:
        json.loads(out.out)


def test_an_unrated_survey_row_is_no_problem(tmp_path, capsys):
    # r2 was sent but not answered: left out as unanswered, counted, not --strict's
    folder = _write(tmp_path / "unrated", {"surveys.csv": """
        response_id,survey_type,score,responded_at
        r1,nps,9,2024-06-01
        r2,nps,,2024-06-02
    """})  # fmt: skip
    assert main(["validate", "-d", str(folder), "--strict", "-f", "json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["tables"][0]["rows_excluded"] == 1
    assert [i["code"] for i in summary["issues"]] == ["unanswered"]
    assert _report(capsys, folder, "nps_responses")[("nps_responses", None)] == 1
