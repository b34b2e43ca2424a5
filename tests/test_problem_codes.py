"""Every problem code in the catalog has a fixture folder that triggers it (csvkit-style).

tests/fixtures/problems/<code>/ holds the smallest export showing the problem. Row-level
problems are reported by `csm validate --format json` with their row and column and exit 0
(exit 1 with --strict; the warnings keep their rows); fatal ones exit 1 with a message
naming the file.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from csmetrics_cli.cli.app import main
from csmetrics_cli.problems import PROBLEMS

FIXTURES = Path(__file__).parent / "fixtures" / "problems"

# code -> (table, row, column) of the expected issue
ROW_LEVEL = {
    "duplicate_column": ("subscriptions", None, "plan"),
    "malformed_row": ("subscriptions", 3, None),
    "missing_value": ("subscriptions", 3, "start_date"),
    "unparseable_date": ("subscriptions", 3, "start_date"),
    "unparseable_number": ("subscriptions", 3, "mrr"),
    "non_finite_number": ("subscriptions", 3, "mrr"),
    "excel_error": ("subscriptions", 3, "mrr"),
    "unparseable_bool": ("subscriptions", 3, "renewed"),
    "negative_amount": ("subscriptions", 3, "mrr"),
    "duplicate_id": ("subscriptions", 3, "subscription_id"),
    "end_before_start": ("subscriptions", 3, "end_date"),
    "unknown_customer": ("subscriptions", None, "customer_id"),  # a warning; the row is kept
    "unknown_value": ("surveys", 3, "survey_type"),
    "score_out_of_range": ("surveys", 3, "score"),
    # csm.toml rules: one summary issue per rule; deliberate, so --strict passes
    "filtered": ("subscriptions", None, None),
    "duplicate_row": ("subscriptions", None, None),
    "unanswered": ("surveys", None, None),
}
# row-level codes that warn without excluding the row
WARNINGS = {"duplicate_column", "unknown_customer"}
# code -> a word the one-paragraph message must contain
FATAL = {
    "missing_path": "nope",
    "missing_table": "subscriptions",
    "no_tables": "holds no table",
    "duplicate_table": "more than one file",
    "empty_file": "subscriptions.csv",
    "unreadable_file": "subscriptions.csv",
    "bad_encoding": "subscriptions.csv",
    "workbook_too_large": "subscriptions.xlsx",
    "bad_config": "timezon",
    "missing_column": "did you mean 'Customer Ident'",
    "ambiguous_date_order": "date_order",
}


def test_every_code_has_a_fixture():
    assert set(PROBLEMS) == set(ROW_LEVEL) | set(FATAL)
    for code in PROBLEMS:
        assert (FIXTURES / code).is_dir(), code


@pytest.mark.parametrize("code", sorted(ROW_LEVEL))
def test_row_level_code(code, capsys):
    folder = FIXTURES / code
    assert main(["validate", "-d", str(folder), "-f", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    found = [(i["table"], i["row"], i["column"]) for i in body["issues"] if i["code"] == code]
    assert found == [ROW_LEVEL[code]]
    table = next(t for t in body["tables"] if t["table"] == ROW_LEVEL[code][0])
    assert table["rows_read"] == table["rows_used"] + table["rows_excluded"]
    assert table["rows_excluded"] == (0 if code in WARNINGS else 1)
    strict = 0 if PROBLEMS[code].deliberate else 1
    assert main(["validate", "-d", str(folder), "-f", "json", "--strict"]) == strict


@pytest.mark.parametrize("code", sorted(FATAL))
def test_fatal_code(code, capsys):
    folder = FIXTURES / code
    target = folder / "nope" if code == "missing_path" else folder
    assert main(["report", "-d", str(target), "-p", "2024-06"]) == 1
    err = capsys.readouterr().err
    assert FATAL[code] in err and "Traceback" not in err
