"""The events aggregation on Spark (`--engine spark`): the SQL of engine/events_sql.py,
transpiled from DuckDB's dialect to Spark SQL by sqlglot, on
`SparkSession.builder.getOrCreate()` (so SPARK_REMOTE, spark-submit or a Databricks cluster
decide where it runs). Spark reads the events file, or a Parquet dataset folder (hive
partitions included), and only the aggregated activity comes back.

Spark has no row numbers: `row_no` is monotonically_increasing_id(), which follows file
order within each file (it orders the groups, so a user's customer is the first its events
name), and the rows it excludes are counted and reported without a row number.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pandas as pd

from csmetrics_cli.config import Config
from csmetrics_cli.contracts.checks import CheckedTable
from csmetrics_cli.engine.events_sql import Scan, aggregate, canonical_columns, scan_sql
from csmetrics_cli.io.discover import Source, split_name
from csmetrics_cli.problems import UsageError

INSTALL = "pip install 'csmetrics-cli[spark]'"


def require_spark() -> None:
    """A usage error naming the extra when pyspark or sqlglot is not installed."""
    from importlib.util import find_spec

    missing = [m for m in ("pyspark", "sqlglot") if find_spec(m) is None]
    if missing:
        raise UsageError(
            f"--engine spark needs {' and '.join(missing)}, which is not installed",
            hint=f"install the extra: {INSTALL}",
        )


@cache
def to_spark(sql: str) -> str:
    """The DuckDB-dialect text as Spark SQL."""
    import sqlglot

    return str(sqlglot.transpile(sql, read="duckdb", write="spark")[0])


class SparkEngine:
    """A Spark session running the transpiled SQL; frames come back through Arrow."""

    def __init__(self, session: Any) -> None:
        self.spark = session

    def query(self, sql: str) -> pd.DataFrame:
        with _quiet():
            return self.spark.sql(to_spark(sql)).toPandas()  # type: ignore[no-any-return]

    def register(self, name: str, frame: pd.DataFrame) -> None:
        with _quiet():
            self.spark.createDataFrame(frame).createOrReplaceTempView(name)

    def view(self, name: str, sql: str) -> None:
        self.spark.sql(to_spark(sql)).createOrReplaceTempView(name)


@contextmanager
def _quiet() -> Iterator[None]:
    """PySpark warns on every conversion that it does not fully support pandas 3; the frames
    csm exchanges (strings, dates, integers) convert exactly."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", module="pyspark")
        warnings.filterwarnings("ignore", category=FutureWarning)
        yield


def session(timezone: str) -> Any:
    """The active (or a new) Spark session, its time zone the report's; a session csm
    starts shows no console progress bars (stderr is csm's)."""
    from pyspark.sql import SparkSession

    with _quiet():
        spark = SparkSession.builder.config("spark.ui.showConsoleProgress", "false").getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", timezone)
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    return spark


def spark_activity(source: Source, config: Config, customer_ids: pd.Index | None) -> CheckedTable:
    """The events source aggregated on Spark."""
    require_spark()
    spark = session(config.timezone)
    engine = SparkEngine(spark)
    path = str(source.path)
    parts = split_name(source.path.name)
    if source.path.is_dir() or (parts and parts[1] == ".parquet"):
        raw = spark.read.parquet(path)
    else:
        sep = "\t" if parts and parts[1] == ".tsv" else ","
        raw = spark.read.csv(path, header=True, sep=sep, inferSchema=False)
    raw.createOrReplaceTempView("raw_events")
    headers = list(raw.columns)
    columns = canonical_columns(source, headers, config)
    kinds = dict(raw.dtypes)
    ts_type = kinds.get(columns.get("timestamp", ""), "string")
    ts_kind = "date" if ts_type == "date" else "timestamp" if "timestamp" in ts_type else "text"
    defaults = {k: str(v) for k, v in config.defaults.get("events", {}).items()}
    view = scan_sql(columns, "monotonically_increasing_id()", defaults, ts_text=ts_kind == "text")
    engine.view("events_scan", view)
    scan = Scan(source, ts_kind, False, frozenset(columns))
    return aggregate(engine, scan, config, customer_ids)
