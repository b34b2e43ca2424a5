"""The table cache: a repeat run skips reading and checking, and nothing stale is ever served."""

from __future__ import annotations

import json
import os
import threading

import pandas as pd
import pytest

from csmetrics_cli.cli.app import main
from csmetrics_cli.contracts import cache, dataset
from csmetrics_cli.contracts.checks import CheckedTable
from tests.conftest import write_tables

SUBS = """
    subscription_id,customer_id,mrr,start_date
    s1,A,100,2024-01-01
    s2,B,50,2024-01-01
"""
ARGS = ["-p", "2024-06", "-f", "json", "--metrics", "mrr", "-q"]


def _mrr(capsys, folder, *extra: str) -> float:
    assert main(["report", "-d", str(folder), *ARGS, *extra]) == 0
    body = json.loads(capsys.readouterr().out)
    return next(m["value"] for m in body["metrics"] if m["id"] == "mrr")


def _no_reading(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("read the export although it was cached")

    monkeypatch.setattr(dataset, "read_table", refuse)


@pytest.fixture
def folder(tmp_path):
    return write_tables(tmp_path / "data", subscriptions=SUBS)


def test_a_repeat_run_is_served_from_the_cache(capsys, folder, monkeypatch):
    assert _mrr(capsys, folder) == 150
    assert len(cache.entries()) == 1
    _no_reading(monkeypatch)
    assert _mrr(capsys, folder) == 150


def test_a_changed_export_is_read_again(capsys, folder):
    assert _mrr(capsys, folder) == 150
    path = folder / "subscriptions.csv"
    path.write_text(path.read_text().replace("s2,B,50", "s2,B,70"))
    stat = path.stat()
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    assert _mrr(capsys, folder) == 170


def test_a_changed_config_or_version_is_not_served_stale(capsys, folder, monkeypatch):
    assert _mrr(capsys, folder) == 150
    (folder / "csm.toml").write_text('[columns.subscriptions]\nmrr = "mrr"\n[settings]\n'
                                     'currency = "€"\n')  # fmt: skip
    assert _mrr(capsys, folder) == 150
    assert len(cache.entries()) == 2  # the config shaped a second entry
    monkeypatch.setattr(cache, "__version__", "9.9.9")
    assert _mrr(capsys, folder) == 150
    assert len(cache.entries()) == 3


def test_no_cache_reads_and_cache_clear_empties(capsys, folder, monkeypatch):
    assert _mrr(capsys, folder, "--no-cache") == 150
    assert cache.entries() == []
    _mrr(capsys, folder)
    assert main(["cache", "info", "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"] == 1
    assert main(["cache", "clear", "-f", "json"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["removed"], body["tables"]) == (1, 0)


def test_a_corrupt_entry_is_a_miss(capsys, folder):
    _mrr(capsys, folder)
    entry = cache.entries()[0]
    entry.write_bytes(b"not parquet")
    assert _mrr(capsys, folder) == 150


def test_row_accounting_and_issues_come_back_from_the_cache(capsys, tmp_path, monkeypatch):
    folder = write_tables(tmp_path / "bad", subscriptions=SUBS + "    s3,C,-5,2024-01-01\n")
    assert main(["validate", "-d", str(folder), "-f", "json"]) == 0
    first = json.loads(capsys.readouterr().out)
    _no_reading(monkeypatch)
    assert main(["validate", "-d", str(folder), "-f", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == first
    assert first["tables"][0]["rows_excluded"] == 1


def test_a_table_stored_in_the_background_is_loaded_at_once(monkeypatch):
    # The write runs on the cache's thread: store returns before it has run, and a load of
    # the entry waits for it (no timing: the write is held until the test releases it).
    release, written = threading.Event(), threading.Event()
    write = cache._write

    def held(*args: object) -> None:
        release.wait(10)
        write(*args)
        written.set()

    monkeypatch.setattr(cache, "_write", held)
    frame = pd.DataFrame({"customer_id": ["A", "B"], "mrr": [100.0, 50.0]})
    cache.store("entry", CheckedTable(frame, 3, 1, []))
    assert not written.is_set()  # store did not wait for the write
    release.set()
    hit = cache.load("entry")
    assert written.is_set()
    assert hit is not None and (hit.rows_read, hit.rows_excluded) == (3, 1)
    pd.testing.assert_frame_equal(hit.frame, frame)
