"""Hostile input, reading side: each defect has a fixture folder under fixtures/hostile/.

The tests drive the CLI (`csm validate -f json`) and parse its JSON. The fixtures describe
what any reader must do with the file, so a reader built on another engine passes them too.
"""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics_cli.cli.app import main
from csmetrics_cli.io import readers
from csmetrics_cli.io.discover import Source
from csmetrics_cli.io.readers import read_table

FIXTURES = Path(__file__).parent / "fixtures" / "hostile"
HEADER = "subscription_id,customer_id,mrr,start_date\n"


def validate(capsys: pytest.CaptureFixture[str], folder: Path, *args: str) -> tuple[int, Any]:
    """Run `csm validate -f json` on `folder`: the exit code and the parsed report."""
    code = main(["validate", "-d", str(folder), "-f", "json", *args])
    out = capsys.readouterr()
    assert "internal error" not in out.err and "Traceback" not in out.err
    return code, json.loads(out.out) if out.out.strip() else None


def table(body: Any, name: str) -> dict[str, Any]:
    """The row accounting of one table, checked for rows_read = used + excluded."""
    found = next(t for t in body["tables"] if t["table"] == name)
    assert found["rows_read"] == found["rows_used"] + found["rows_excluded"]
    return found


def issues(body: Any, code: str) -> list[tuple[Any, ...]]:
    """(table, row, column, excluded) of every issue with `code`."""
    return [
        (i["table"], i["row"], i["column"], i["excluded"])
        for i in body["issues"]
        if i["code"] == code
    ]


def lines(count: int, tweak: dict[int, str] | None = None) -> str:
    """A subscriptions file with `count` data lines; `tweak` replaces lines by number."""
    rows = [f"s{n},C{n},10,2024-01-01" for n in range(2, count + 2)]
    for n, text in (tweak or {}).items():
        rows[n - 2] = text
    return HEADER + "\n".join(rows) + "\n"


# ---------------------------------------------------------------- 1. stray quotes


def test_a_quote_left_open_to_the_end_of_the_file_loses_only_its_line(capsys):
    folder = FIXTURES / "unclosed_quote_to_eof"
    code, body = validate(capsys, folder)
    assert code == 0
    subs = table(body, "subscriptions")
    assert (subs["rows_read"], subs["rows_excluded"]) == (300, 1)
    assert issues(body, "malformed_row") == [("subscriptions", 12, None, True)]
    [issue] = [i for i in body["issues"] if i["code"] == "malformed_row"]
    assert "end of the file" in issue["message"]
    assert validate(capsys, folder, "--strict")[0] == 1


def test_a_quote_closed_too_many_lines_later_is_a_stray_quote(capsys):
    code, body = validate(capsys, FIXTURES / "quote_spans_too_many_lines")
    assert code == 0
    subs = table(body, "subscriptions")
    assert (subs["rows_read"], subs["rows_excluded"]) == (1300, 1)
    assert issues(body, "malformed_row") == [("subscriptions", 5, None, True)]
    [issue] = [i for i in body["issues"] if i["code"] == "malformed_row"]
    assert f"{readers.MAX_QUOTED_LINES:,}" in issue["message"]


def test_forty_thousand_rows_with_an_open_quote_on_line_12(capsys, tmp_path):
    (tmp_path / "subscriptions.csv").write_text(lines(40_000, {12: 's12,C12,10,"2024-01-01'}))
    code, body = validate(capsys, tmp_path, "--strict")
    assert code == 1
    subs = table(body, "subscriptions")
    assert (subs["rows_read"], subs["rows_excluded"]) == (40_000, 1)
    assert issues(body, "malformed_row") == [("subscriptions", 12, None, True)]


def test_an_open_quote_on_the_last_line_of_a_large_file_is_reported(capsys, tmp_path):
    # Over 1 MB, so the multi-threaded reader is tried first; it must not accept the line.
    (tmp_path / "subscriptions.csv").write_text(lines(50_000, {50_001: 's,C,10,"2024-01-01'}))
    code, body = validate(capsys, tmp_path)
    assert code == 0
    assert table(body, "subscriptions")["rows_read"] == 50_000
    assert issues(body, "malformed_row") == [("subscriptions", 50_001, None, True)]


def test_a_quoted_value_longer_than_the_limit_is_a_stray_quote(capsys, tmp_path, monkeypatch):
    monkeypatch.setattr(readers, "MAX_QUOTED_CHARS", 40)
    long_value = "x" * 30 + "\n" + "y" * 30  # 61 characters over two lines
    text = lines(4, {3: f's3,"{long_value}",10,2024-01-01', 5: 's5,"short",10,2024-01-01'})
    (tmp_path / "subscriptions.csv").write_text(text)
    code, body = validate(capsys, tmp_path)
    assert code == 0
    subs = table(body, "subscriptions")
    # Line 3 is cut; line 4 ("yyy...",10,2024-01-01) is read again and has too few fields.
    assert issues(body, "malformed_row") == [
        ("subscriptions", 3, None, True),
        ("subscriptions", 4, None, True),
    ]
    assert (subs["rows_read"], subs["rows_used"]) == (5, 3)
    assert "40" in body["issues"][0]["message"]


DATA_LINES = 8
MARKER = re.compile(r"c(\d+)x")


def _fuzzed(positions: list[int]) -> str:
    """A small subscriptions file with quotes inserted at `positions` of its data lines."""
    rows = [f"s{n},c{n}x,{n}0,2024-01-{n:02d}" for n in range(2, DATA_LINES + 2)]
    body = "\n".join(rows)
    for at in sorted((p % (len(body) + 1) for p in positions), reverse=True):
        body = body[:at] + '"' + body[at:]
    return HEADER + body + "\n"


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.integers(0, 10_000), min_size=1, max_size=5))
def test_random_quotes_never_lose_a_line(capsys, tmp_path, positions):
    path = tmp_path / "subscriptions.csv"
    path.write_text(_fuzzed(positions))
    code, body = validate(capsys, tmp_path)
    assert code == 0
    subs = table(body, "subscriptions")
    raw = read_table(Source("subscriptions", path, None))
    malformed = {i.row for i in raw.issues if i.code == "malformed_row"}
    assert subs["rows_read"] == len(raw.frame) + len(malformed)
    # Every data line is a malformed line of its own, or inside exactly one record read.
    seen: list[int] = []
    for record in raw.frame.itertuples(index=False):
        text = "".join(str(v) for v in record if isinstance(v, str)).replace('"', "")
        seen += [int(m) for m in MARKER.findall(text)]
    assert sorted(seen + sorted(malformed)) == list(range(2, DATA_LINES + 2))


# ---------------------------------------------------------------- 2. non-finite numbers


def test_non_finite_numbers_are_row_problems(capsys):
    code, body = validate(capsys, FIXTURES / "non_finite_numbers")
    assert code == 0
    subs = table(body, "subscriptions")
    assert (subs["rows_read"], subs["rows_used"]) == (9, 2)
    assert issues(body, "non_finite_number") == [
        ("subscriptions", row, "mrr", True) for row in range(3, 8)
    ] + [("subscriptions", 9, "amount", True)]
    assert issues(body, "unparseable_number") == [("subscriptions", 10, "mrr", True)]
    messages = [i["message"] for i in body["issues"] if i["code"] == "non_finite_number"]
    assert "'1e309' in 'mrr' is not a finite number" in messages


# ---------------------------------------------------------------- 3. header-only tables


def report_values(capsys: pytest.CaptureFixture[str], folder: Path) -> dict[str, Any]:
    """`csm report -p 2024-06 -f json`: metric id -> value of the all-customers rows."""
    code = main(["report", "-d", str(folder), "-p", "2024-06", "-f", "json"])
    out = capsys.readouterr()
    assert code == 0, out.err
    assert "internal error" not in out.err
    rows = json.loads(out.out)["metrics"]
    return {r["id"]: r["value"] for r in rows if r["segment"] is None and r["item"] is None}


ALL_TABLES = ["costs", "customers", "events", "invoices", "onboarding", "subscriptions"]
ALL_TABLES += ["surveys", "tickets"]


@pytest.mark.parametrize(
    ("case", "rows"),
    [
        # every table with every canonical column, and no rows
        ("header_only_tables", dict.fromkeys(ALL_TABLES, 0)),
        # surveys without scale_max beside one subscription
        ("header_only_surveys", {"subscriptions": 1, "surveys": 0}),
        # subscriptions priced by amount and interval
        ("header_only_billing", {"subscriptions": 0}),
    ],
)
def test_header_only_tables_are_valid_and_empty(capsys, case, rows):
    folder = FIXTURES / case
    code, body = validate(capsys, folder, "--strict")
    assert code == 0
    assert body["issues"] == [] and body["unusable_tables"] == {}
    assert {t["table"]: table(body, t["table"])["rows_read"] for t in body["tables"]} == rows
    values = report_values(capsys, folder)
    assert values["nps"] is None
    assert values["mrr"] == 10 * rows["subscriptions"]


# ---------------------------------------------------------------- 4. csm.toml mappings win


def test_a_configured_column_beats_one_already_called_so(capsys):
    folder = FIXTURES / "mapping_beats_canonical"
    code, body = validate(capsys, folder, "--strict")
    assert code == 0 and body["issues"] == []
    args = ["report", "-d", str(folder), "-p", "2024-06", "-f", "json", "--by", "plan"]
    assert main([*args, "--metrics", "mrr"]) == 0
    rows = json.loads(capsys.readouterr().out)["metrics"]
    assert {r["segment"]: r["value"] for r in rows} == {None: 60, "pro": 10, "basic": 50}


def test_the_shadowed_column_is_kept_as_an_extra(tmp_path):
    from csmetrics_cli.config import load_config
    from csmetrics_cli.contracts.dataset import Dataset

    folder = FIXTURES / "mapping_beats_canonical"
    subs = Dataset.open(folder, load_config(folder / "csm.toml")).table("subscriptions")
    assert subs is not None
    assert subs["customer_id"].tolist() == ["C1", "C2", "C3"]
    assert subs["customer_id (original)"].tolist() == ["1001", "1002", "1002"]


# ---------------------------------------------------------------- 5. wide files


def test_a_file_with_three_thousand_columns_is_read_quickly(capsys, tmp_path):
    import time

    extras = [f"extra_{j}" for j in range(3000)]
    rows = [",".join([f"s{i}", f"C{i}", "10", "2024-01-01", *(f"v{i}_{j}" for j in range(3000))])
            for i in range(3)]  # fmt: skip
    (tmp_path / "subscriptions.csv").write_text(
        HEADER.strip() + "," + ",".join(extras) + "\n" + "\n".join(rows) + "\n"
    )
    start = time.process_time()
    code, body = validate(capsys, tmp_path)
    assert time.process_time() - start < 10  # quadratic column handling took far longer
    assert code == 0 and body["issues"] == []
    assert table(body, "subscriptions")["rows_used"] == 3
    from csmetrics_cli.config import Config
    from csmetrics_cli.contracts.dataset import Dataset

    subs = Dataset.open(tmp_path, Config()).table("subscriptions")
    assert subs is not None and subs.shape == (3, 3004)
    assert subs["extra_2999"].tolist() == ["v0_2999", "v1_2999", "v2_2999"]


# ---------------------------------------------------------------- 6. UTF-16 without a BOM


def test_utf16_without_a_bom_reads_with_an_explicit_encoding(capsys):
    folder = FIXTURES / "utf16_no_bom"
    code, body = validate(capsys, folder, "--encoding", "utf-16-le", "--strict")
    assert code == 0 and body["issues"] == []
    assert table(body, "subscriptions")["rows_used"] == 2
    from csmetrics_cli.config import Config
    from csmetrics_cli.contracts.dataset import Dataset

    subs = Dataset.open(folder, Config(encoding="utf-16-le")).table("subscriptions")
    assert subs is not None and subs["customer_id"].tolist() == ["Zoë", "Ana"]


def test_utf16_without_a_bom_and_without_encoding_says_how_to_read_it(capsys):
    from csmetrics_cli.problems import InputError

    folder = FIXTURES / "utf16_no_bom"
    assert validate(capsys, folder)[0] == 1
    with pytest.raises(InputError) as caught:
        read_table(Source("subscriptions", folder / "subscriptions.csv", None))
    issue = caught.value.issue
    assert issue.code == "unreadable_file" and "NUL byte" in issue.message
    assert "--encoding utf-16-le" in issue.hint


# ---------------------------------------------------------------- 7. oversized workbooks


_OOXML = "http://schemas.openxmlformats.org"
_MAIN = f"{_OOXML}/spreadsheetml/2006/main"
_REL = f"{_OOXML}/officeDocument/2006/relationships"
_PKG = f"{_OOXML}/package/2006"
_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_XML = '<?xml version="1.0" encoding="UTF-8"?>'


class ExcelError(str):
    """A cell holding a cached Excel error such as `#N/A`."""


def write_xlsx(path: Path, sheet: str, rows: list[list[object]]) -> None:
    """A minimal one-sheet workbook whose strings are shared strings, as Excel writes them."""
    strings: list[str] = []
    cells = []
    for r, row in enumerate(rows, start=1):
        out = []
        for c, value in enumerate(row):
            ref = f"{chr(65 + c)}{r}"
            if isinstance(value, ExcelError):
                out.append(f'<c r="{ref}" t="e"><v>{escape(value)}</v></c>')
            elif value is None:
                continue
            elif isinstance(value, str):
                strings.append(value)
                out.append(f'<c r="{ref}" t="s"><v>{len(strings) - 1}</v></c>')
            else:
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
        cells.append(f'<row r="{r}">{"".join(out)}</row>')
    overrides = [("/xl/workbook.xml", "sheet.main"), ("/xl/worksheets/sheet1.xml", "worksheet"),
                 ("/xl/sharedStrings.xml", "sharedStrings")]  # fmt: skip
    links = [("officeDocument", "xl/workbook.xml")]
    book_links = [("worksheet", "worksheets/sheet1.xml"), ("sharedStrings", "sharedStrings.xml")]

    def relationships(pairs: list[tuple[str, str]]) -> str:
        body = "".join(
            f'<Relationship Id="rId{i}" Type="{_REL}/{kind}" Target="{target}"/>'
            for i, (kind, target) in enumerate(pairs, start=1)
        )
        return f'{_XML}<Relationships xmlns="{_PKG}/relationships">{body}</Relationships>'

    parts = {
        "[Content_Types].xml": (
            f'{_XML}<Types xmlns="{_PKG}/content-types">'
            '<Default Extension="rels" '
            'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            + "".join(
                f'<Override PartName="{name}" ContentType="{_TYPE}.{kind}+xml"/>'
                for name, kind in overrides
            )
            + "</Types>"
        ),
        "_rels/.rels": relationships(links),
        "xl/workbook.xml": (
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}">'
            f'<sheets><sheet name="{sheet}" sheetId="1" r:id="rId1"/></sheets></workbook>'
        ),
        "xl/_rels/workbook.xml.rels": relationships(book_links),
        "xl/worksheets/sheet1.xml": (
            f'{_XML}<worksheet xmlns="{_MAIN}"><sheetData>{"".join(cells)}</sheetData></worksheet>'
        ),
        "xl/sharedStrings.xml": (
            f'{_XML}<sst xmlns="{_MAIN}" count="{len(strings)}" uniqueCount="{len(strings)}">'
            + "".join(f"<si><t>{escape(s)}</t></si>" for s in strings)
            + "</sst>"
        ),
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in parts.items():
            archive.writestr(name, text)


SUBSCRIPTION_ROWS: list[list[object]] = [
    ["subscription_id", "customer_id", "mrr", "start_date", "notes"],
    ["s1", "A", 10, "2024-01-01", "x" * 2000],
    ["s2", "B", 20, "2024-02-01", "short"],
]


def test_a_workbook_within_the_limits_is_read(capsys, tmp_path):
    write_xlsx(tmp_path / "subscriptions.xlsx", "subscriptions", SUBSCRIPTION_ROWS)
    code, body = validate(capsys, tmp_path, "--strict")
    assert code == 0 and table(body, "subscriptions")["rows_used"] == 2


@pytest.mark.parametrize(
    ("limit", "value", "part"),
    [("MAX_XLSX_TEXT_BYTES", 1000, "xl/sharedStrings.xml"),
     ("MAX_XLSX_PART_BYTES", 500, "xl/worksheets/sheet1.xml")],
)  # fmt: skip
def test_a_cell_or_sheet_past_the_limits_is_refused_before_reading(
    capsys, tmp_path, monkeypatch, limit, value, part
):
    from csmetrics_cli.io import discover
    from csmetrics_cli.problems import InputError

    monkeypatch.setattr(discover, limit, value)
    book = tmp_path / "subscriptions.xlsx"
    write_xlsx(book, "subscriptions", SUBSCRIPTION_ROWS)
    with zipfile.ZipFile(book) as archive:  # the sheet is over 500 bytes, no text over 1000
        assert archive.getinfo("xl/worksheets/sheet1.xml").file_size > 500
    assert validate(capsys, tmp_path)[0] == 1
    with pytest.raises(InputError) as caught:
        read_table(Source("subscriptions", book, None))
    assert caught.value.issue.code == "workbook_too_large"
    assert part in caught.value.issue.message
    # A workbook given as --data is refused while its sheets are listed.
    assert validate(capsys, book)[0] == 1


# ---------------------------------------------------------------- 8. Excel error cells


@pytest.mark.parametrize(
    ("case", "expected"),
    [
        # workbook error cells, in typed and in text columns; a blank end_date is no problem
        ("excel_errors_xlsx", [(3, "mrr", "#N/A"), (4, "start_date", "#VALUE!"),
                               (5, "customer_id", "#REF!"), (6, "plan", "#DIV/0!")]),
        # error texts in a CSV's date/number/bool columns; "#N/A" as a customer_id is text
        ("excel_errors_csv", [(3, "mrr", "#DIV/0!"), (4, "start_date", "#N/A"),
                              (5, "end_date", "#NAME?"), (6, "renewed", "#NUM!")]),
    ],
)  # fmt: skip
def test_excel_errors_are_row_problems_naming_the_error(capsys, case, expected):
    code, body = validate(capsys, FIXTURES / case)
    assert code == 0
    subs = table(body, "subscriptions")
    assert (subs["rows_read"], subs["rows_used"]) == (6, 2)
    found = sorted(
        (i["row"], i["column"], i["message"]) for i in body["issues"] if i["code"] == "excel_error"
    )
    assert found == [
        (row, col, f"'{col}' holds the Excel error {err}") for row, col, err in expected
    ]
    assert len(body["issues"]) == len(expected)  # no second issue for the same cell


# ---------------------------------------------------------------- 9. unknown customers


def test_unknown_customers_are_kept_and_reported_once(capsys):
    folder = FIXTURES / "unknown_customers"
    code, body = validate(capsys, folder)
    assert code == 0
    subs = table(body, "subscriptions")
    # Only the impossible date (s10) is excluded; the seven unknown-customer rows are kept.
    assert (subs["rows_read"], subs["rows_used"], subs["rows_excluded"]) == (10, 9, 1)
    [warning] = [i for i in body["issues"] if i["code"] == "unknown_customer"]
    assert (warning["table"], warning["row"], warning["column"], warning["excluded"]) == (
        "subscriptions", None, "customer_id", False)  # fmt: skip
    assert warning["message"] == (
        "7 rows refer to customer_ids not in the customers table "
        "(C9001, C9002, C9003, C9004, C9005, ...)"
    )
    assert "customers" in warning["hint"]
    assert validate(capsys, folder, "--strict")[0] == 1
    args = ["report", "-d", str(folder), "-p", "2024-06", "-f", "json", "--by", "plan"]
    assert main(args) == 0
    assert "internal error" not in capsys.readouterr().err
