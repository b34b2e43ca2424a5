"""Reading tables: one tiny fixture per quirk or failure mode, with exact values and rows."""

from __future__ import annotations

import csv
import datetime as dt
import gzip
import io
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics_cli.io.discover import Source
from csmetrics_cli.io.readers import RawTable, read_table
from csmetrics_cli.problems import InputError

FIXTURES = Path(__file__).parent / "fixtures" / "io"


def read(name: str, **kwargs: Any) -> RawTable:
    """Read a fixture file as the customers table."""
    return read_table(Source("customers", FIXTURES / name, None), **kwargs)


def cells(raw: RawTable) -> list[list[str | None]]:
    """The frame's cells row by row, missing as None."""
    return [[None if pd.isna(v) else v for v in row] for row in raw.frame.itertuples(index=False)]


def fatal_code(path: Path, **kwargs: Any) -> str:
    """The catalogue code of the fatal error reading `path` raises."""
    with pytest.raises(InputError) as caught:
        read_table(Source("customers", path, None), **kwargs)
    return caught.value.issue.code


# ---------------------------------------------------------------- encodings


def test_utf8_bom_is_stripped_from_the_first_header() -> None:
    raw = read("utf8_bom.csv")
    assert list(raw.frame.columns) == ["customer_id", "name", "mrr"]
    assert cells(raw) == [["c1", "Zoë", "100"], ["c2", "Ana", "200"]]
    assert raw.encoding == "utf-8-sig"
    assert raw.rows.tolist() == [2, 3]


def test_cp1252_is_detected_without_mojibake() -> None:
    raw = read("cp1252.csv")
    assert raw.encoding == "cp1252"
    assert cells(raw) == [["c1", "René", "Orléans"], ["c2", "€ fund", "Zürich"]]


def test_explicit_encoding_that_does_not_fit_is_bad_encoding() -> None:
    assert fatal_code(FIXTURES / "cp1252.csv", encoding="utf-8") == "bad_encoding"


def test_explicit_encoding_overrides_detection() -> None:
    raw = read("cp1252.csv", encoding="latin-1")
    assert raw.encoding == "latin-1"
    assert cells(raw)[0] == ["c1", "René", "Orléans"]


def test_bytes_valid_in_neither_utf8_nor_cp1252_are_bad_encoding(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(b"customer_id,name\nc1,A\x81B\n")
    assert fatal_code(path) == "bad_encoding"


def test_utf16_with_bom_is_read(tmp_path: Path) -> None:
    path = tmp_path / "customers.txt"
    path.write_bytes("customer_id\tname\nc1\tZoë\n".encode("utf-16"))
    raw = read_table(Source("customers", path, None))
    assert raw.encoding == "utf-16"
    assert cells(raw) == [["c1", "Zoë"]]


# ---------------------------------------------------------------- delimiters and decimals


def test_semicolon_with_decimal_comma() -> None:
    raw = read("semicolon_decimal_comma.csv")
    assert list(raw.frame.columns) == ["invoice_id", "amount", "issued_at"]
    assert cells(raw) == [["i1", "1.200,50", "30.06.2024"], ["i2", "3,25", "01.07.2024"]]
    assert raw.decimal == ","


def test_tsv_is_tab_delimited() -> None:
    raw = read("tab.tsv")
    assert cells(raw) == [["c1", "Ana", "pro"], ["c2", "Bo", "basic"]]
    assert raw.decimal == "."


def test_tab_is_sniffed_in_a_txt_file() -> None:
    assert cells(read("tab_sniffed.txt")) == [["c1", "Ana", "pro"], ["c2", "Bo", "basic"]]


def test_pipe_is_sniffed_and_commas_stay_in_values() -> None:
    assert cells(read("pipe.txt")) == [["c1", "Ana", "pro"], ["c2", "Bo, Jr", "basic"]]


# ---------------------------------------------------------------- layout quirks


def test_blank_lines_are_skipped_but_counted() -> None:
    raw = read("blank_lines.csv")
    assert list(raw.frame.columns) == ["customer_id", "name"]
    assert cells(raw) == [["c1", "Ana"], ["c2", "Bo"], ["c3", "Cy"]]
    # Line 1 is blank, the header is on line 2; line 8 holds only spaces.
    assert raw.rows.tolist() == [4, 7, 9]
    assert raw.issues == []


def test_padded_and_cased_headers_are_trimmed_but_kept_as_written() -> None:
    raw = read("padded_headers.csv")
    assert list(raw.frame.columns) == ["Customer ID", "NAME", "Plan"]


def test_duplicate_headers_keep_the_first_and_are_reported() -> None:
    raw = read("duplicate_header.csv")
    assert list(raw.frame.columns) == ["customer_id", "name", "plan", "Name_2", "plan_2"]
    assert cells(raw) == [["c1", "Ana", "pro", "ANA", "x"]]
    assert [(i.code, i.column, i.row, i.excluded) for i in raw.issues] == [
        ("duplicate_column", "Name", None, False),
        ("duplicate_column", "plan", None, False),
    ]
    assert raw.issues[0].file == "duplicate_header.csv"


def test_crlf_line_ends_and_quoted_values() -> None:
    raw = read("crlf.csv")
    assert cells(raw) == [["c1", "Ana"], ["c2", "Bo"]]
    assert raw.rows.tolist() == [2, 4]


def test_multiline_and_escaped_quotes() -> None:
    raw = read("multiline_quoted.csv")
    assert cells(raw) == [
        ["t1", "Login", "first line\nsecond line"],
        ["t2", 'Say "hi"', "a, b"],
        ["t3", "Ok", "done"],
    ]
    # Each record is numbered by the line it starts on.
    assert raw.rows.tolist() == [2, 4, 5]


def test_rows_of_only_delimiters_are_blank_lines() -> None:
    raw = read("delimiter_only_rows.csv")
    assert cells(raw) == [["c1", "Ana", "pro"], ["c2", "Bo", "basic"]]
    assert raw.rows.tolist() == [2, 5]


def test_a_nameless_empty_column_from_a_trailing_delimiter_is_dropped() -> None:
    raw = read("trailing_delimiter.csv")
    assert list(raw.frame.columns) == ["customer_id", "name"]
    assert cells(raw) == [["c1", "Ana"], ["c2", "Bo"]]


def test_a_quote_inside_an_unquoted_value_is_text() -> None:
    raw = read("inch_mark.csv")
    assert cells(raw) == [["c1", "Ana", '12" screen'], ["c2", "Bo", "big"]]
    assert raw.issues == []


def test_header_only_file_has_no_rows() -> None:
    raw = read("header_only.csv")
    assert list(raw.frame.columns) == ["customer_id", "name"]
    assert len(raw.frame) == 0
    assert raw.rows.tolist() == []


# ---------------------------------------------------------------- malformed lines


def test_stray_quote_is_reported_on_its_line_and_later_lines_survive() -> None:
    raw = read("stray_quote.csv")
    assert cells(raw) == [["c1", "Ana", "100"], ["c3", "Cy", "300"], ["c4", "Di", "400"]]
    assert raw.rows.tolist() == [2, 4, 5]
    [issue] = raw.issues
    assert (issue.code, issue.row, issue.table, issue.file) == (
        "malformed_row",
        3,
        "customers",
        "stray_quote.csv",
    )
    assert issue.excluded
    assert "unclosed quote" in issue.message


def test_wrong_field_counts_are_reported_with_line_numbers() -> None:
    raw = read("wrong_field_count.csv")
    assert cells(raw) == [["c1", "Ana", "100"], ["c4", "Di", "400"]]
    assert raw.rows.tolist() == [2, 5]
    assert [(i.code, i.row) for i in raw.issues] == [("malformed_row", 3), ("malformed_row", 4)]
    assert "expected 3 fields, found 2" in raw.issues[0].message
    assert "expected 3 fields, found 4" in raw.issues[1].message


# ---------------------------------------------------------------- unreadable files


@pytest.mark.parametrize("name", ["empty.csv", "whitespace_only.csv"])
def test_empty_files_are_fatal(name: str) -> None:
    assert fatal_code(FIXTURES / name) == "empty_file"


def test_bom_only_file_is_empty(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(b"\xef\xbb\xbf\n")
    assert fatal_code(path) == "empty_file"


@pytest.mark.parametrize(
    ("content", "detail"),
    [
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01", "NUL byte"),
        (b"customer_id,name\nc1,A\x00B\n", "NUL byte"),
        (b"PK\x03\x04\x14\x00\x00\x00", "zip archive"),
        (b"PAR1\x15\x04", "Parquet"),
    ],
)
def test_binary_content_is_unreadable(tmp_path: Path, content: bytes, detail: str) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(content)
    with pytest.raises(InputError) as caught:
        read_table(Source("customers", path, None))
    assert caught.value.issue.code == "unreadable_file"
    assert detail in caught.value.issue.message


def test_gzipped_csv_is_decompressed(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv.gz"
    path.write_bytes(gzip.compress(b"customer_id,name\nc1,Ana\n\nc2,Bo\n"))
    raw = read_table(Source("customers", path, None))
    assert cells(raw) == [["c1", "Ana"], ["c2", "Bo"]]
    assert raw.rows.tolist() == [2, 4]


def test_damaged_gzip_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv.gz"
    path.write_bytes(gzip.compress(b"customer_id\nc1\n")[:12])
    assert fatal_code(path) == "unreadable_file"


# ---------------------------------------------------------------- usecols


def test_usecols_matches_normalised_names_and_keeps_file_names() -> None:
    raw = read("padded_headers.csv", usecols=["customer_id", "plan", "absent"])
    assert list(raw.frame.columns) == ["Customer ID", "Plan"]
    assert cells(raw) == [["c1", "pro"]]


def test_usecols_with_no_match_keeps_the_rows() -> None:
    raw = read("wrong_field_count.csv", usecols=["nothing"])
    assert raw.frame.shape == (2, 0)
    assert raw.rows.tolist() == [2, 5]


# ---------------------------------------------------------------- large files (pyarrow path)


def big_csv(rows: int) -> str:
    """A clean CSV over 1 MB so the multi-threaded reader is used."""
    lines = [f"e{i},u{i % 97}, view ,{'' if i % 5 == 0 else 'dash'}" for i in range(rows)]
    return "event_id,user_id,event,feature\n" + "\n".join(lines) + "\n"


def test_large_clean_file_reads_every_row_with_line_numbers(tmp_path: Path) -> None:
    path = tmp_path / "events.csv"
    path.write_text(big_csv(60_000))
    raw = read_table(Source("events", path, None))
    assert raw.frame.shape == (60_000, 4)
    assert raw.rows.tolist() == list(range(2, 60_002))
    assert cells(raw)[:2] == [["e0", "u0", "view", None], ["e1", "u1", "view", "dash"]]


def test_large_file_with_blank_lines_keeps_line_numbers(tmp_path: Path) -> None:
    lines = big_csv(60_000).splitlines()
    lines[5:5] = ["", ",,,", "\r"]
    path = tmp_path / "events.csv"
    path.write_text("\n".join(lines) + "\n\n")
    raw = read_table(Source("events", path, None))
    assert raw.frame.shape == (60_000, 4)
    assert raw.rows[3:5].tolist() == [5, 9]
    assert raw.rows[-1] == 60_004
    assert raw.issues == []


def test_large_file_with_a_blank_and_a_bad_line_matches_the_clean_read(tmp_path: Path) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_text(big_csv(60_000))
    lines = big_csv(60_000).splitlines()
    lines.insert(1001, "")
    lines.insert(2001, "broken,line")
    messy = tmp_path / "events.csv"
    messy.write_text("\n".join(lines) + "\n")
    wanted = ["event_id", "feature"]
    fast = read_table(Source("events", clean, None), usecols=wanted)
    careful = read_table(Source("events", messy, None), usecols=wanted)
    pd.testing.assert_frame_equal(careful.frame, fast.frame)
    assert careful.rows[999:1001].tolist() == [1001, 1003]
    assert careful.rows[-1] == 60_003
    assert [(i.code, i.row) for i in careful.issues] == [("malformed_row", 2002)]


def test_large_file_with_quoting_trouble_matches_the_clean_read(tmp_path: Path) -> None:
    clean = tmp_path / "clean.csv"
    clean.write_text(big_csv(60_000))
    lines = big_csv(60_000).splitlines()
    lines[100] = 'e99,u2,"multi\nline view",dash'
    lines.insert(3001, 'x,"never closed,y,z')
    messy = tmp_path / "events.csv"
    messy.write_text("\n".join(lines) + "\n")
    fast = read_table(Source("events", clean, None))
    careful = read_table(Source("events", messy, None))
    assert careful.frame.loc[99, "event"] == "multi\nline view"
    careful.frame.loc[99, "event"] = "view"
    pd.testing.assert_frame_equal(careful.frame, fast.frame)
    assert careful.rows[98:101].tolist() == [100, 101, 103]
    assert [(i.code, i.row) for i in careful.issues] == [("malformed_row", 3003)]


# ---------------------------------------------------------------- CSV round trip property


cell_text = st.text(alphabet='ab é,;"\n', max_size=6)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(table=st.lists(st.lists(cell_text, min_size=3, max_size=3), max_size=8))
def test_any_table_written_by_the_csv_module_reads_back(
    tmp_path: Path, table: list[list[str]]
) -> None:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["a", "b", "c"])
    writer.writerows(table)
    path = tmp_path / "customers.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    raw = read_table(Source("customers", path, None))
    expected = [[v.strip() or None for v in row] for row in table]
    kept = [i for i, row in enumerate(expected) if any(v is not None for v in row)]
    assert cells(raw) == [expected[i] for i in kept]
    assert raw.issues == []
    starts = np.cumsum([1] + [1 + sum(v.count("\n") for v in row) for row in table])
    assert raw.rows.tolist() == [int(starts[i]) + 1 for i in kept]


# ---------------------------------------------------------------- workbooks


def write_book(path: Path) -> None:
    """A workbook whose data starts at B2, with real date cells, a blank row and a total."""
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = " Customers "
    sheet.append([])
    sheet.append([None, " Customer ID ", "created_at", "mrr", "active", "seen_at"])
    sheet.append(
        [None, "c1", dt.datetime(2024, 6, 30), 45474.0, True, dt.datetime(2024, 6, 30, 13, 45)]
    )
    sheet.append([])
    sheet.append([None, "c2", dt.date(2024, 1, 2), 12.5, False, None])
    sheet.append([None, "Total", None, 45486.5, None, None])
    book.create_sheet("Notes").append(["ignore me"])
    book.save(path)


def test_workbook_cells_become_the_same_strings_as_csv(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    write_book(path)
    raw = read_table(Source("customers", path, " Customers "))
    assert list(raw.frame.columns) == ["Customer ID", "created_at", "mrr", "active", "seen_at"]
    assert cells(raw) == [
        ["c1", "2024-06-30", "45474", "true", "2024-06-30T13:45:00"],
        ["c2", "2024-01-02", "12.5", "false", None],
        ["Total", None, "45486.5", None, None],
    ]
    assert raw.rows.tolist() == [3, 5, 6]
    assert raw.encoding is None
    assert raw.decimal == "."


def test_folder_workbook_uses_the_sheet_named_after_the_table(tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    write_book(path)
    raw = read_table(Source("customers", path, None), usecols=["customer_id"])
    assert cells(raw) == [["c1"], ["c2"], ["Total"]]


def test_workbook_that_is_not_a_zip_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    path.write_text("customer_id\nc1\n")
    assert fatal_code(path) == "unreadable_file"


def test_empty_sheet_is_an_empty_file(tmp_path: Path) -> None:
    path = tmp_path / "customers.xlsx"
    openpyxl.Workbook().save(path)
    assert fatal_code(path) == "empty_file"


# ---------------------------------------------------------------- parquet


def test_parquet_columns_become_strings(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    table = pa.table(
        {
            "customer_id": ["c1", None],
            "mrr": [45474.0, 12.5],
            "seats": pa.array([3, None], pa.int64()),
            "active": [True, False],
            "created_at": pa.array([dt.date(2024, 6, 30), dt.date(2024, 1, 2)]),
            "seen_at": pa.array(
                [dt.datetime(2024, 6, 30, 13, 45), dt.datetime(2024, 6, 30)], pa.timestamp("us")
            ),
            "paid_at": pa.array([dt.datetime(2024, 6, 30, 23, 30), None], pa.timestamp("s", "UTC")),
        }
    )
    pq.write_table(table, path)
    raw = read_table(Source("customers", path, None))
    assert cells(raw) == [
        ["c1", "45474", "3", "true", "2024-06-30", "2024-06-30T13:45:00", "2024-06-30T23:30:00Z"],
        [None, "12.5", None, "false", "2024-01-02", "2024-06-30", None],
    ]
    assert raw.rows.tolist() == [2, 3]


def test_parquet_usecols(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    pq.write_table(pa.table({"Customer ID": ["c1"], "name": ["Ana"]}), path)
    raw = read_table(Source("customers", path, None), usecols=["customer_id"])
    assert list(raw.frame.columns) == ["Customer ID"]


def test_corrupt_parquet_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "customers.parquet"
    path.write_bytes(b"PAR1 not really")
    assert fatal_code(path) == "unreadable_file"


# ---------------------------------------------------------------- line numbering (DuckDB path)


@settings(max_examples=100, deadline=None)
@given(
    table=st.lists(st.lists(st.text(alphabet='ab,"\n ', max_size=5), min_size=2, max_size=2),
                   min_size=1, max_size=8),
    gaps=st.lists(st.integers(0, 2), min_size=9, max_size=9),
)  # fmt: skip
def test_blank_lines_between_multiline_records_keep_true_line_numbers(
    table: list[list[str]], gaps: list[int]
) -> None:
    import tempfile

    # Each record starts on 1 + (header line) + every earlier record's lines + blank lines.
    records = []
    for row in table:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerow(row)
        records.append(out.getvalue())
    text, line, starts = "a,b\n", 2, []
    for record, gap in zip(records, gaps, strict=False):
        text += "\n" * gap
        line += gap
        starts.append(line)
        text += record
        line += record.count("\n")
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "customers.csv"
        path.write_text(text, encoding="utf-8")
        raw = read_table(Source("customers", path, None))
    expected = [[v.strip() or None for v in row] for row in table]
    kept = [i for i, row in enumerate(expected) if any(v is not None for v in row)]
    assert cells(raw) == [expected[i] for i in kept]
    assert raw.rows.tolist() == [starts[i] for i in kept]
    assert raw.issues == []


def test_a_lone_cr_inside_a_line_is_text_and_crlf_ends_lines(tmp_path: Path) -> None:
    path = tmp_path / "customers.csv"
    path.write_bytes(b'customer_id,name\r\nc1,A\rB\r\nc2,"x\r\ny"\r\n')
    raw = read_table(Source("customers", path, None))
    # CRLF inside a quoted value becomes LF, as it does at the end of a line.
    assert cells(raw) == [["c1", "A\rB"], ["c2", "x\ny"]]
    assert raw.rows.tolist() == [2, 3]


def test_text_after_a_closing_quote_is_a_malformed_line_and_the_next_line_survives(
    tmp_path: Path,
) -> None:
    path = tmp_path / "customers.csv"
    path.write_text('customer_id,name\nc1,"Ana"x\nc2,Bo\n')
    raw = read_table(Source("customers", path, None))
    assert cells(raw) == [["c2", "Bo"]]
    assert [(i.code, i.row) for i in raw.issues] == [("malformed_row", 2)]
    assert "quote" in raw.issues[0].message


def test_quotes_that_confuse_the_engine_cost_only_their_own_lines(tmp_path: Path) -> None:
    # Line 2 opens a quote whose only later quote (line 6) is followed by text, so line 2
    # never closes: it is cut. Line 6 opens a quote ("" is an escaped quote) that runs to the
    # end of the file: it is cut too. Every other line is a record on its own line.
    body = [f"s{n},c{n},{n}0" for n in range(2, 10)]
    body[0] = '"' + body[0]
    body[4] = '"s6,c6,""60'
    path = tmp_path / "customers.csv"
    path.write_text("id,customer_id,mrr\n" + "\n".join(body) + "\n")
    raw = read_table(Source("customers", path, None))
    assert raw.rows.tolist() == [3, 4, 5, 7, 8, 9]
    assert [r[0] for r in cells(raw)] == ["s3", "s4", "s5", "s7", "s8", "s9"]
    assert [(i.code, i.row) for i in raw.issues] == [("malformed_row", 2), ("malformed_row", 6)]
    assert "end of the file" in raw.issues[1].message
