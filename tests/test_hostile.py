"""Hostile input and safe output: bad rows counted exactly, fatal inputs, escaping, atomicity."""

from __future__ import annotations

import csv
import io
import json
import os
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook

from csmetrics_cli.cli.app import main
from csmetrics_cli.io.writers import write_atomic
from csmetrics_cli.render.cells import safe_text
from tests.conftest import run_report, values, write_tables

CUSTOMERS = "customer_id,plan\n" + "\n".join(f"c{i},p{i % 2}" for i in range(6))


def run(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out = capsys.readouterr()
    assert "Traceback" not in out.err
    return code, out.out, out.err


# --- exact accounting -----------------------------------------------------------------

valid_row = st.tuples(
    st.sampled_from([f"c{i}" for i in range(6)]),
    st.sampled_from([0, 15, 40.5, 120]),
    st.integers(2023, 2024),
    st.integers(1, 12),
    st.one_of(st.none(), st.integers(1, 700)),
)
# An unknown customer_id is no longer among them: such rows are kept (SPEC section 1).
BAD_KINDS = ["bad_date", "negative", "blank_mrr", "duplicate", "end_before"]


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(valid_row, min_size=1, max_size=15),
    st.lists(st.tuples(st.sampled_from(BAD_KINDS), st.integers(0, 100)), max_size=10),
)
def test_bad_rows_are_counted_and_do_not_change_the_metrics(tmp_path_factory, good, bad):
    import datetime as dt

    lines = []
    for n, (customer, mrr, year, month, length) in enumerate(good):
        start = dt.date(year, month, 1)
        end = "" if length is None else (start + dt.timedelta(days=length)).isoformat()
        lines.append([f"s{n}", customer, str(mrr), start.isoformat(), end])
    clean = list(lines)
    mixed = list(lines)
    for k, (kind, pick) in enumerate(bad):
        row = list(lines[pick % len(lines)])
        row[0] = f"bad{k}"
        if kind == "bad_date":
            row[3] = "2024-02-30"
        elif kind == "negative":
            row[2] = "-5"
        elif kind == "blank_mrr":
            row[2] = ""
        elif kind == "duplicate":
            row[0] = lines[pick % len(lines)][0]  # appended after the original: first row wins
        else:
            row[4] = "2020-01-01"
        mixed.append(row)
    header = "subscription_id,customer_id,mrr,start_date,end_date\n"
    folders = []
    for name, rows in (("mixed", mixed), ("clean", clean)):
        folder = tmp_path_factory.mktemp(name)
        text = header + "\n".join(",".join(r) for r in rows)
        folders.append(write_tables(folder, customers=CUSTOMERS, subscriptions=text))
    from csmetrics_cli.config import Config
    from csmetrics_cli.contracts.dataset import Dataset

    ds = Dataset.open(folders[0], Config())
    ds.load()
    report = ds.reports["subscriptions"]
    assert report.rows_read == len(mixed)
    assert report.rows_excluded == len(bad)
    assert report.rows_used == len(clean)
    assert len({i.row for i in ds.issues if i.table == "subscriptions"}) == len(bad)
    got = run_report(folders[0], trend=("2024-05", "2024-06"), family="revenue")
    want = run_report(folders[1], trend=("2024-05", "2024-06"), family="revenue")
    assert values(got, "2024-06") == pytest.approx(values(want, "2024-06"), nan_ok=True)


# --- fatal input: exit 1, one message naming the file, never a traceback -------------------


def test_config_typo_names_the_key_and_the_fix(capsys, tmp_path):
    folder = write_tables(tmp_path, subscriptions="subscription_id,customer_id,mrr,start_date\n")
    (folder / "csm.toml").write_text('[settings]\ntimezon = "UTC"\n')
    code, _, err = run(capsys, "report", "-d", str(folder), "-p", "2024-06")
    assert code == 1
    assert "timezon" in err and "did you mean 'timezone'" in err and "csm.toml" in err


@pytest.mark.parametrize(
    ("content", "word"),
    [(b"", "empty"), (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "subscriptions.csv")],
)
def test_unreadable_required_table_exit_1(capsys, tmp_path, content, word):
    (tmp_path / "subscriptions.csv").write_bytes(content)
    code, _, err = run(capsys, "report", "-d", str(tmp_path), "-p", "2024-06")
    assert code == 1 and word in err


def test_workbook_without_the_expected_sheets(capsys, tmp_path):
    book = Workbook()
    book.active.title = "Sheet1"  # type: ignore[union-attr]
    path = tmp_path / "export.xlsx"
    book.save(path)
    code, _, err = run(capsys, "report", "-d", str(path), "-p", "2024-06")
    assert code == 1 and "subscriptions" in err and "export.xlsx" in err


def test_broken_optional_table_only_nulls_its_metrics(capsys, tmp_path):
    folder = write_tables(tmp_path, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        s1,A,10,2024-01-01
    """)  # fmt: skip
    (folder / "surveys.csv").write_bytes(b"\x00\x01\x02binary\x00")
    code, out, err = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "-f", "json")
    assert code == 0 and "surveys" in err
    rows = {m["id"]: m for m in json.loads(out)["metrics"]}
    assert rows["mrr"]["value"] == 10
    assert rows["nps"]["value"] is None and "surveys" in rows["nps"]["note"]
    code, _, _ = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "--strict")
    assert code == 1


# --- safe output ---------------------------------------------------------------------------

DANGEROUS = ["=1+2", "+SUM(A1)", "-cmd", "@x", "\tx", "\rx", '=HYPERLINK("http://e.vil")']


@pytest.mark.parametrize("text", DANGEROUS)
def test_safe_text_prefixes_a_quote(text):
    assert safe_text(text) == "'" + text


@pytest.mark.parametrize("text", ["-5", "+3.2", "1e5", "plain", "", "a=b"])
def test_safe_text_leaves_numbers_and_plain_text(text):
    assert safe_text(text) == text


def _dangerous_data(tmp_path: Path) -> Path:
    rows = "\n".join(f'c{i},"{t}"' for i, t in enumerate(DANGEROUS[:4]))
    subs = "\n".join(f"s{i},c{i},10,2024-01-01" for i in range(4))
    header = "subscription_id,customer_id,mrr,start_date\n"
    customers = "customer_id,segment\n" + rows
    return write_tables(tmp_path / "d", customers=customers, subscriptions=header + subs)


def test_csv_round_trip_has_escaped_segments(capsys, tmp_path):
    folder = _dangerous_data(tmp_path)
    code, out, _ = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "--by", "segment",
                       "--metrics", "mrr", "-f", "csv")  # fmt: skip
    assert code == 0
    segments = {r["segment"] for r in csv.DictReader(io.StringIO(out)) if r["segment"]}
    assert segments == {"'" + t for t in DANGEROUS[:4]}


def test_xlsx_round_trip_has_no_formulas(capsys, tmp_path):
    folder = _dangerous_data(tmp_path)
    target = tmp_path / "out.xlsx"
    code, _, _ = run(capsys, "report", "-d", str(folder), "-p", "2024-06", "--by", "segment",
                     "-o", str(target))  # fmt: skip
    assert code == 0
    cells = [c for ws in load_workbook(target) for row in ws.iter_rows() for c in row]
    assert not any(c.data_type == "f" for c in cells)
    texts = {c.value for c in cells if isinstance(c.value, str)}
    for t in DANGEROUS[:4]:
        assert any(v.startswith("'" + t) for v in texts), t


# --- atomic writes -------------------------------------------------------------------------


def test_failed_write_leaves_the_old_file_untouched(tmp_path, monkeypatch):
    target = tmp_path / "report.csv"
    target.write_text("old report\n")

    def fail(_fd: int) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "fsync", fail)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, b"new report, half written")
    assert target.read_text() == "old report\n"
    assert [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_successful_write_replaces_the_file(tmp_path):
    target = tmp_path / "sub" / "report.csv"
    write_atomic(target, b"one")
    write_atomic(target, b"two")
    assert target.read_bytes() == b"two"
    assert [p.name for p in target.parent.iterdir()] == ["report.csv"]


def test_events_read_only_known_columns(tmp_path):
    from csmetrics_cli.config import Config
    from csmetrics_cli.contracts.dataset import Dataset

    folder = write_tables(tmp_path, subscriptions="""
        subscription_id,customer_id,mrr,start_date
        s1,A,10,2024-01-01
    """, events="""
        Timestamp,User,customer_id,properties,event,feature,ip
        2024-06-01T10:00:00,u1,A,"{""x"": 1}",click,api,1.2.3.4
    """)  # fmt: skip
    events = Dataset.open(folder, Config()).table("events")
    assert events is not None
    assert sorted(events.columns) == ["customer_id", "event", "feature", "timestamp", "user_id"]


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.tuples(st.sampled_from(["s1", "s2", "s3", ""]), st.booleans()), min_size=1,
                max_size=12))  # fmt: skip
def test_a_repeated_id_names_the_first_kept_row_with_it(capsys, tmp_path_factory, rows):
    """Each id's first row still kept wins; a row excluded for another reason (a bad date)
    claims no id, and a blank id is a missing value, never a duplicate."""
    lines = ["subscription_id,customer_id,mrr,start_date"]
    lines += [f"{i},A,10,{'2024-01-01' if good else 'soon'}" for i, good in rows]
    folder = tmp_path_factory.mktemp("dup")
    (folder / "subscriptions.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["validate", "-d", str(folder), "-f", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    found = {(i["row"], int(re.search(r"already appeared on row (\d+)", i["message"])[1]))
             for i in body["issues"] if i["code"] == "duplicate_id"}  # fmt: skip
    expected, first = set(), {}
    for row, (i, good) in enumerate(rows, start=2):
        if not i or not good:
            continue
        if i in first:
            expected.add((row, first[i]))
        else:
            first[i] = row
    assert found == expected
