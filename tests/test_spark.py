"""--engine spark in local mode: every engagement and health value of `csm report` equals
the DuckDB engine's on a small sample. Skipped when pyspark is not installed, unless
CSM_REQUIRE_SPARK=1 (CI), which makes a missing pyspark a failure."""

from __future__ import annotations

import importlib.util
import json
import os
from pathlib import Path

import pytest

from csmetrics_cli.cli.app import main
from csmetrics_cli.sample import write_sample

if importlib.util.find_spec("pyspark") is None:
    if os.environ.get("CSM_REQUIRE_SPARK") == "1":
        pytest.fail("CSM_REQUIRE_SPARK=1 but pyspark is not installed (pip install '.[spark]')")
    pytest.skip("pyspark is not installed (pip install '.[spark]')", allow_module_level=True)


@pytest.fixture(scope="module")
def spark():
    """One small local session for the module: csm's getOrCreate() finds it."""
    from pyspark.sql import SparkSession

    session = (SparkSession.builder.master("local[2]").appName("csm-test")
               .config("spark.sql.shuffle.partitions", "2").config("spark.ui.enabled", "false")
               .config("spark.ui.showConsoleProgress", "false").getOrCreate())  # fmt: skip
    session.sparkContext.setLogLevel("ERROR")
    yield session
    session.stop()


@pytest.fixture(scope="module")
def sample(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("spark-sample")
    write_sample(folder, customers=200, seed=3)
    return folder


def _values(folder: Path, engine: str, capsys) -> dict:
    """(metric, segment, item) -> (value, numerator, denominator, note) of `csm report` for
    the engagement and health rows, plus how far the data reaches."""
    args = ["report", "-d", str(folder), "-p", "2024-06", "-f", "json", "--no-cache",
            "--engine", engine]  # fmt: skip
    assert main(args) == 0
    body = json.loads(capsys.readouterr().out)
    rows = [m for m in body["metrics"] if m["family"] in ("engagement", "health")]
    fields = ("value", "numerator", "denominator", "note")
    out: dict = {(m["id"], m["segment"], m["item"]): [m[f] for f in fields] for m in rows}
    out["data_through"] = body["data_through"]
    return out


def test_spark_equals_duckdb(spark, sample, capsys):
    duck = _values(sample, "duckdb", capsys)
    assert len(duck) >= 8  # dau, mau, stickiness, feature adoption..., health
    assert _values(sample, "spark", capsys) == duck


def test_spark_reads_a_partitioned_parquet_folder(spark, sample, tmp_path, capsys):
    import pandas as pd

    folder = tmp_path / "parquet"
    folder.mkdir()
    for f in sample.iterdir():
        if f.name != "events.csv.gz":
            (folder / f.name).write_bytes(f.read_bytes())
    events = pd.read_csv(sample / "events.csv.gz", dtype=str)
    events["month"] = events["timestamp"].str[:7]
    events.to_parquet(folder / "events", partition_cols=["month"])
    assert _values(folder, "spark", capsys) == _values(sample, "duckdb", capsys)
