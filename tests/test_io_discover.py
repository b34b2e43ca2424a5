"""Finding tables in a folder, a workbook or a single file."""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pytest

from csmetrics_cli.io.discover import TABLES, Source, find_sources
from csmetrics_cli.problems import InputError


def touch(folder: Path, *names: str) -> None:
    """Create empty files (discovery never reads them)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name in names:
        (folder / name).write_text("x\n")


def book(path: Path, *sheets: str) -> Path:
    """Save a workbook with the given sheet names."""
    workbook = openpyxl.Workbook()
    first = workbook.active
    assert first is not None
    first.title = sheets[0]
    for name in sheets[1:]:
        workbook.create_sheet(name)
    workbook.save(path)
    return path


def fatal_code(data: Path) -> tuple[str, str]:
    """Code and message of the fatal error `find_sources(data)` raises."""
    with pytest.raises(InputError) as caught:
        find_sources(data)
    return caught.value.issue.code, caught.value.issue.message


def test_folder_maps_stems_case_insensitively_and_ignores_the_rest(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "Customers.CSV",
        "subscriptions.csv.gz",
        "invoices.tsv",
        "surveys.txt",
        "events.parquet",
        "notes.csv",
        "customers_old.csv.bak",
        "README.md",
    )
    (tmp_path / "tickets").mkdir()
    touch(tmp_path / "tickets", "tickets.csv")
    found = find_sources(tmp_path)
    assert {t: s.path.name for t, s in found.items()} == {
        "customers": "Customers.CSV",
        "subscriptions": "subscriptions.csv.gz",
        "invoices": "invoices.tsv",
        "surveys": "surveys.txt",
        "events": "events.parquet",
    }
    assert all(s.sheet is None for s in found.values())
    assert found["customers"].label == "Customers.CSV"


def test_two_files_for_one_table_are_fatal(tmp_path: Path) -> None:
    touch(tmp_path, "customers.csv", "customers.xlsx")
    with pytest.raises(InputError) as caught:
        find_sources(tmp_path)
    issue = caught.value.issue
    assert (issue.code, issue.table) == ("duplicate_table", "customers")
    assert "customers.csv and customers.xlsx" in issue.message
    assert issue.fatal


def test_workbook_sheets_match_ignoring_case_and_spaces(tmp_path: Path) -> None:
    path = book(tmp_path / "book.xlsx", " Customers ", "SUBSCRIPTIONS", "Summary")
    found = find_sources(path)
    assert found == {
        "customers": Source("customers", path, " Customers "),
        "subscriptions": Source("subscriptions", path, "SUBSCRIPTIONS"),
    }
    assert found["customers"].label == "book.xlsx[ Customers ]"


def test_two_sheets_for_one_table_are_fatal(tmp_path: Path) -> None:
    path = book(tmp_path / "book.xlsx", "customers", " Customers")
    code, message = fatal_code(path)
    assert code == "duplicate_table"
    assert "book.xlsx[customers] and book.xlsx[ Customers]" in message


def test_xlsx_that_is_not_a_workbook_is_unreadable(tmp_path: Path) -> None:
    path = tmp_path / "book.xlsx"
    path.write_text("customer_id\nc1\n")
    code, message = fatal_code(path)
    assert code == "unreadable_file"
    assert "not an .xlsx workbook" in message


def test_missing_path_is_fatal(tmp_path: Path) -> None:
    assert fatal_code(tmp_path / "nowhere")[0] == "missing_path"


def test_a_single_table_file_provides_that_table(tmp_path: Path) -> None:
    touch(tmp_path, "subscriptions.csv")
    found = find_sources(tmp_path / "subscriptions.csv")
    assert found == {"subscriptions": Source("subscriptions", tmp_path / "subscriptions.csv", None)}


def test_a_single_file_not_named_after_a_table_is_refused(tmp_path: Path) -> None:
    touch(tmp_path, "export.csv")
    assert fatal_code(tmp_path / "export.csv")[0] == "unreadable_file"


def test_empty_folder_has_no_tables(tmp_path: Path) -> None:
    assert find_sources(tmp_path) == {}


def test_table_names_are_the_spec_tables() -> None:
    assert TABLES == (
        "customers",
        "subscriptions",
        "invoices",
        "surveys",
        "tickets",
        "events",
        "onboarding",
        "costs",
        "churn_events",
    )
