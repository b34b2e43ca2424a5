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

import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import pandas as pd

from csmetrics_cli.config import Config
from csmetrics_cli.contracts.checks import CheckedTable
from csmetrics_cli.engine.events_sql import (
    ALL_DAYS,
    CustomerIds,
    Scan,
    Window,
    aggregate,
    canonical_columns,
    scan_sql,
)
from csmetrics_cli.io.discover import Source, split_name
from csmetrics_cli.problems import CsmError, UsageError

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
    starts shows no console progress bars (stderr is csm's) and, unless SPARK_DRIVER_MEMORY
    or PYSPARK_SUBMIT_ARGS say otherwise, has a driver of half this machine's memory (at
    most 8 GB) allowed to collect results of any size: the activity comes back through it."""
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.config("spark.ui.showConsoleProgress", "false")
    if not any(os.environ.get(v) for v in ("SPARK_DRIVER_MEMORY", "PYSPARK_SUBMIT_ARGS")):
        builder = builder.config("spark.driver.memory", f"{_driver_gb()}g").config(
            "spark.driver.maxResultSize", "0"
        )
    with _quiet(), spark_errors():
        spark = builder.getOrCreate()
    spark.conf.set("spark.sql.session.timeZone", timezone)
    spark.conf.set("spark.sql.execution.arrow.pyspark.enabled", "true")
    return spark


def _driver_gb() -> int:
    """Half this machine's memory in whole GB, between 1 and 8."""
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return max(1, min(8, total // 2**31))


@contextmanager
def spark_errors() -> Iterator[None]:
    """A failure of Spark itself (out of memory, Java missing, a lost connection) as one
    error naming what Spark said, not a traceback."""
    from py4j.protocol import Py4JError
    from pyspark.errors import PySparkException

    try:
        yield
    except (Py4JError, PySparkException, ConnectionError) as exc:
        raise spark_failed(exc) from None


def spark_failed(exc: BaseException) -> CsmError:
    """What Spark said, in one line, with the likely fix."""
    text = str(exc)
    if "OutOfMemoryError" in text:
        return CsmError(
            "Spark ran out of memory aggregating the events (java.lang.OutOfMemoryError)",
            hint="give the driver more memory: SPARK_DRIVER_MEMORY=16g (local mode), or"
            " spark.driver.memory and spark.driver.maxResultSize on your cluster",
        )
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    said = lines[0][:300] if lines else type(exc).__name__
    return CsmError(f"Spark failed aggregating the events: {said}",
                    hint="see Spark's log above; `csm report` without --engine spark runs"
                    " the same aggregation on DuckDB")  # fmt: skip


def spark_activity(
    source: Source, config: Config, customer_ids: CustomerIds, window: Window = ALL_DAYS
) -> CheckedTable:
    """The events source aggregated on Spark, the days of `window` kept day by day."""
    require_spark()
    with spark_errors():
        return _aggregated(source, config, customer_ids, window)


def _aggregated(
    source: Source, config: Config, customer_ids: CustomerIds, window: Window
) -> CheckedTable:
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
    return aggregate(engine, scan, config, customer_ids, window)
