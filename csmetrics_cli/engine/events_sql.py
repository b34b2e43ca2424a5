"""The events table aggregated inside an engine: compact per-day activity for pandas.

A product-events export is the long table (tens of millions of rows, billions in a
warehouse). It is never loaded into pandas: an engine scans it and groups it into one row
per (customer_id, user_id, day, feature, event) with `events` = the number of rows, for the
days of the report's window (the days its metrics read day by day, Dataset.need_days). Rows
of other days lose their day in the same scan: they group per (customer_id, user_id,
feature, event) with `first_day` and `last_day` the days they cover, which is all that
history is asked for (where the events begin and end, a user's first-day customer, a
customer's first activation event, the names in use). The
engine is DuckDB (in process) or, with `--engine spark`, a Spark session
(engine/events_spark.py). Both run the same SQL text: it is written here once, in
DuckDB's dialect, and transpiled to Spark SQL with sqlglot.

The engine sees a view `events_scan(row_no, ts, user_id, customer_id, event, feature)`
whose columns were found through the same header mapping as every table
(contracts/checks.map_headers: csm.toml [columns.events], then names, then aliases) and
whose blank cells are NULL. The aggregate reads no row number, so the scan streams on every
core with the memory of the groups only; row_no is read by the second scan, over the
excluded rows, only when there are some. Names are trimmed as the reader trims cells after
grouping, on their distinct values (trimming every cell of a 10M-row table costs more than
grouping it), and the groups a trim merges are added up. The day of each row in the
reporting time zone:

- the strict ISO forms (`2024-06-30`, `2024-06-30T13:45:00`, with `Z` or an offset: the
  regular expressions of io/parse.py) are converted by the engine, zoned ones in the
  session time zone (set to csm.toml `timezone`), typed timestamp/date columns likewise;
- every other distinct string (Excel serials, `6/30/2024` with `date_order`, `30 Jun
  2024`...) goes through csm's own parse_dates once and is joined back, so the engine
  accepts exactly what csm accepts. Days outside 1677-09-22..2262-04-11 take that path
  too (it clips or refuses them as csm does).

Rows with a blank user_id or a blank/unparseable timestamp are counted and reported with
the problem codes of contracts/checks.py (missing_value, unparseable_date, excel_error).
Files the engine cannot read as they are (workbooks, other encodings, broken lines) go
through csm's reader and checks and only the checked frame is aggregated: same issues, same
row numbers as before.
"""

from __future__ import annotations

import gzip
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np
import pandas as pd

from csmetrics_cli.config import Config
from csmetrics_cli.contracts.checks import (
    EXCEL_ERRORS,
    CheckedTable,
    canonical_headers,
    check_table,
    is_in,
)
from csmetrics_cli.contracts.schema import SCHEMAS
from csmetrics_cli.io.arrow import to_frame
from csmetrics_cli.io.discover import Source, split_name
from csmetrics_cli.io.duck import reraise_interrupt, workers
from csmetrics_cli.io.parse import ISO_NAIVE, ISO_ZONED, parse_dates
from csmetrics_cli.io.readers import read_table
from csmetrics_cli.problems import InputError, Issue, fatal, make_issue

if TYPE_CHECKING:
    import duckdb

# The activity frame pandas sees; `events` counts rows. Its NAMES are categoricals. A row
# with a day is one day's; one without covers first_day..last_day (outside the window).
KEYS = ("customer_id", "user_id", "day", "feature", "event")
COVERS = ("first_day", "last_day")
NAMES = ("customer_id", "user_id", "event", "feature")
SCAN_COLUMNS = {"timestamp": "ts", "user_id": "user_id", "customer_id": "customer_id",
                "event": "event", "feature": "feature"}  # fmt: skip
MIN_DAY, MAX_DAY = "1677-09-22", "2262-04-11"  # the days io/parse.py keeps as they are
Window = tuple[date, date]  # first and last day kept day by day
# The customers table's ids the events are checked against (None: no such table), asked for
# once the events are aggregated: a prefetched scan runs while the customers are read.
CustomerIds = Callable[[], "pd.Index | None"]
ALL_DAYS: Window = (date.fromisoformat(MIN_DAY), date.fromisoformat(MAX_DAY))
_BLANKS = (" ", "\t", "\r", "\n", "\u00a0")  # trimmed like the reader trims cells


class Engine(Protocol):
    """What the aggregation needs from an engine: run DuckDB-dialect SQL, register a frame."""

    def query(self, sql: str) -> pd.DataFrame: ...

    def register(self, name: str, frame: pd.DataFrame) -> None: ...

    def view(self, name: str, sql: str) -> None: ...


@dataclass(frozen=True)
class Scan:
    """A registered events_scan view: its source, how rows are numbered, the ts type."""

    source: Source
    ts_kind: str  # "text", "timestamp" (zoned or naive instants) or "date"
    row_numbers: bool  # row_no is the row a user sees (else only an order)
    present: frozenset[str]  # canonical columns the file has


# ---------------------------------------------------------------- the SQL, written once


def day_sql(kind: str, ts: str = "ts") -> str:
    """The day of `ts` as the engine computes it, NULL where csm's parser must decide."""
    if kind in ("date", "timestamp"):
        return f"CAST({ts} AS DATE)"  # a zoned instant: its day in the session time zone
    naive, zoned = (p.replace("'", "''") for p in (ISO_NAIVE, ISO_ZONED))
    # The commonest forms first, without a regular expression (a third of the scan): a
    # text the engine casts to a timestamp and writes back unchanged (T read as a space)
    # is YYYY-MM-DD[T ]HH:MM:SS[.f] with valid fields, which ISO_NAIVE accepts; a
    # 5-digit year also round-trips, but its day is outside MIN_DAY..MAX_DAY (csm decides).
    cast = f"TRY_CAST({ts} AS TIMESTAMP)"
    return (f"CASE WHEN CAST({cast} AS VARCHAR) = replace({ts}, 'T', ' ') THEN CAST({cast} AS DATE)"
            f" WHEN regexp_matches({ts}, '{naive}') THEN TRY_CAST(substr({ts}, 1, 10) AS DATE)"
            f" WHEN regexp_matches({ts}, '{zoned}')"
            f" THEN CAST(TRY_CAST({ts} AS TIMESTAMPTZ) AS DATE) END")  # fmt: skip


def _dated(kind: str) -> str:
    """events_scan with `day` (the engine's, NULL outside the days csm keeps as they are)
    and `slow_ts`: the trimmed timestamp text where csm's parser must read it (NULL when the
    engine read it or the cell is blank)."""
    text = "ts" if kind == "text" else "CAST(ts AS VARCHAR)"
    inside = f"d0 BETWEEN CAST('{MIN_DAY}' AS DATE) AND CAST('{MAX_DAY}' AS DATE)"
    return (f"SELECT row_no, user_id, customer_id, event, feature,"
            f" CASE WHEN {inside} THEN d0 END AS day,"
            f" CASE WHEN ts IS NOT NULL AND (d0 IS NULL OR NOT ({inside}))"
            f" THEN {trim_sql(text)} END AS slow_ts"
            f" FROM (SELECT s.*, {day_sql(kind)} AS d0 FROM events_scan AS s) AS raw")  # fmt: skip


def aggregate_sql(kind: str, window: Window = ALL_DAYS) -> str:
    """One scan: rows per (customer, user, day, feature, event, slow_ts), bad rows included;
    `events` counts them. A day outside `window` is dropped from the key and kept as the
    group's first_day/last_day. It reads no row number, so the scan streams in parallel."""
    keys = ", ".join([*KEYS, "slow_ts"])
    outside = f"day < CAST('{window[0]}' AS DATE) OR day > CAST('{window[1]}' AS DATE)"
    return (f"SELECT {keys}, COUNT(*) AS events, MIN(away) AS first_day, MAX(away) AS last_day"
            f" FROM (SELECT customer_id, user_id, feature, event, slow_ts,"
            f" CASE WHEN {outside} THEN NULL ELSE day END AS day,"
            f" CASE WHEN {outside} THEN day END AS away"
            f" FROM ({_dated(kind)}) AS dated) AS windowed GROUP BY {keys}")  # fmt: skip


def bad_rows_sql(kind: str) -> str:
    """The rows that may be excluded (blank user_id or timestamp, or a text csm must read)."""
    user = trim_sql("user_id")
    return (f"SELECT row_no, slow_ts AS ts, day IS NULL AND slow_ts IS NULL AS blank_ts,"
            f" {user} AS user_id FROM ({_dated(kind)}) AS dated"
            f" WHERE {user} IS NULL OR day IS NULL")  # fmt: skip


# The slow days joined back to the partial aggregate; run by DuckDB on the compact frame.
MERGE_SQL = (
    f"SELECT {', '.join(k for k in KEYS if k != 'day')}, COALESCE(p.day, d.day) AS day,"
    " CAST(SUM(events) AS BIGINT) AS events, MIN(first_day) AS first_day,"
    " MAX(last_day) AS last_day"
    " FROM partial AS p LEFT JOIN slow_days AS d ON p.slow_ts = d.ts"
    f" GROUP BY {', '.join(k for k in KEYS if k != 'day')}, COALESCE(p.day, d.day)"
)


def scan_sql(
    columns: dict[str, str], row_no: str, defaults: dict[str, str], *, ts_text: bool
) -> str:
    """The events_scan view over `raw_events`: canonical names, blank cells NULL (names are
    trimmed after grouping, see _trim_names); a column the file lacks takes csm.toml's
    [defaults.events] value, else NULL."""
    parts = [f"{row_no} AS row_no"]
    for canon, alias in SCAN_COLUMNS.items():
        header = columns.get(canon)
        if header is None:
            value = "'" + defaults[canon].replace("'", "''") + "'" if canon in defaults else "NULL"
            parts.append(f"CAST({value} AS VARCHAR) AS {alias}")
        elif canon == "timestamp" and not ts_text:
            parts.append(f"{_quoted(header)} AS {alias}")
        else:
            parts.append(f"NULLIF(CAST({_quoted(header)} AS VARCHAR), '') AS {alias}")
    return f"SELECT {', '.join(parts)} FROM raw_events"


def trim_sql(cell: str) -> str:
    """The cell trimmed as the reader trims it, blank as NULL (only for the few cells that
    need it: trimming every cell of a large table costs more than the grouping)."""
    return f"NULLIF(trim({cell}, '{''.join(_BLANKS)}'), '')"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# ---------------------------------------------------------------- running it


def canonical_columns(
    source: Source, headers: list[str], config: Config, sample: pd.DataFrame | None = None
) -> dict[str, str]:
    """Canonical events column -> the file's header, for the columns the scan reads."""
    found = canonical_headers(source, headers, config, sample)
    return {canon: header for canon, header in found.items() if canon in SCAN_COLUMNS}


def aggregate(
    engine: Engine,
    scan: Scan,
    config: Config,
    customer_ids: CustomerIds,
    window: Window = ALL_DAYS,
) -> CheckedTable:
    """Aggregate the registered events_scan into the activity frame, with its accounting.

    The engine scans the events once; the distinct texts it leaves (`slow_ts`) are read by
    csm's parser and joined back on the compact frame by a local DuckDB (those rows keep
    their day, inside the window or not)."""
    partial = engine.query(aggregate_sql(scan.ts_kind, window))
    _as_names(partial)
    trimmed = _trim_names(partial)
    texts = partial["slow_ts"].dropna().drop_duplicates()
    slow_days = _parse_slow(texts, partial, scan, config)
    if len(texts) or trimmed:  # groups to merge: days csm read, names that were padded
        local = engine if isinstance(engine, DuckEngine) else DuckEngine(config.timezone)
        local.register("partial", partial)
        local.register("slow_days", slow_days)
        frame = _typed(local.query(MERGE_SQL))
    else:  # every timestamp was read by the engine: the groups are final
        frame = _typed(partial)
    dateless = frame["day"].isna() & frame["first_day"].isna()
    bad = (frame["user_id"].isna() | dateless).to_numpy()
    rows_read = int(frame["events"].sum())
    excluded = int(frame.loc[bad, "events"].sum())
    issues: list[Issue] = []
    if excluded:
        rows = engine.query(bad_rows_sql(scan.ts_kind)).sort_values("row_no", kind="stable")
        known = slow_days.dropna(subset=["day"])["ts"]
        rows["no_day"] = rows["ts"].notna() & ~is_in(rows["ts"], known)
        rows = rows[rows["user_id"].isna() | rows["blank_ts"] | rows["no_day"]]
        rows = rows.reset_index(drop=True)
        issues = _row_issues(rows, scan, _line_numbers(scan, rows, rows_read))
    kept = frame  # no copy of a clean export's frame
    if excluded:  # a name seen only in excluded rows is no category of the kept ones
        kept = frame.loc[~bad].reset_index(drop=True)
        for column in NAMES:
            kept[column] = kept[column].cat.remove_unused_categories()
    if (known := customer_ids()) is not None:
        warning = _unknown_customers(kept, known, scan.source)
        if warning is not None:
            issues.append(warning)
    return CheckedTable(kept, rows_read, excluded, issues)


def _as_names(partial: pd.DataFrame) -> None:
    """The name columns as categoricals, in place (DuckDB's already are; Spark's come back
    as text)."""
    for column in NAMES:
        if not isinstance(partial[column].dtype, pd.CategoricalDtype):
            partial[column] = partial[column].astype("category")


def _trim_names(partial: pd.DataFrame) -> bool:
    """Trim the name columns in place as the reader trims cells (blank -> NaN); True when any
    cell changed. Judged on the categories (the distinct names), so a clean export costs
    nothing."""
    chars, changed = "".join(_BLANKS), False
    for column in NAMES:
        names = pd.Series(partial[column].cat.categories, dtype=object)
        if len(names) and bool((names.str.strip(chars) != names).any()):
            stripped = partial[column].astype(object).str.strip(chars)
            partial[column] = stripped.where(stripped != "").astype("category")
            changed = True
    return changed


def _typed(frame: pd.DataFrame) -> pd.DataFrame:
    """The activity frame's dtypes: ids and names as categoricals, days as datetime64[s],
    events as int."""
    out = frame[list(NAMES)].copy()
    _as_names(out)
    for column in ("day", *COVERS):
        out[column] = pd.to_datetime(frame[column]).astype("datetime64[s]")
    out["events"] = frame["events"].astype(np.int64)
    return out[[*KEYS, "events", *COVERS]]


def _parse_slow(
    texts: pd.Series, partial: pd.DataFrame, scan: Scan, config: Config
) -> pd.DataFrame:
    """Days of the texts left to csm's parser (vectorised, once per distinct text).

    When the engine read some timestamps itself, a date goes first so that
    parse_dates sees that the column is not all plain numbers (it reads Excel serials only
    then), as it would on the whole column.
    """
    texts = texts.astype("str").reset_index(drop=True)
    read = bool(partial["day"].notna().any())
    # Excel errors are blanked before parsing, as check_table does (they are no dates).
    shown = pd.concat([pd.Series(["2000-01-01"] * read, dtype="str"),
                       texts.mask(is_in(texts, EXCEL_ERRORS))], ignore_index=True)  # fmt: skip
    parsed = parse_dates(shown, date_order=config.date_order, tz=config.timezone)
    if parsed.ambiguous:
        raise fatal(
            "ambiguous_date_order", table="events", file=scan.source.label, column="timestamp"
        )
    days = parsed.values.iloc[int(read) :].to_numpy().astype("datetime64[D]")
    return pd.DataFrame({"ts": texts.astype("object").to_numpy(), "day": days})


def _line_numbers(scan: Scan, rows: pd.DataFrame, rows_read: int) -> np.ndarray | None:
    """The rows a user sees for the bad rows: row_no when every record is one line."""
    if not scan.row_numbers:
        return None
    if _one_line_records(scan.source.path, rows_read):
        return rows["row_no"].to_numpy(dtype=np.int64)
    return None


def _one_line_records(path: Path, records: int) -> bool:
    """True when the file has exactly the header plus one line per record (no blank lines,
    no multi-line values), so a record's ordinal + 1 is its editor line."""
    opener: Callable[..., object] = gzip.open if _is_gzip(path) else open
    lines, last = 0, b"\n"
    with opener(path, "rb") as stream:  # type: ignore[attr-defined]
        while block := stream.read(1 << 24):
            lines += block.count(b"\n")
            last = block[-1:]
    lines += last != b"\n"
    return lines == records + 1


def _is_gzip(path: Path) -> bool:
    with path.open("rb") as stream:
        return stream.read(2) == b"\x1f\x8b"


def _row_issues(rows: pd.DataFrame, scan: Scan, lines: np.ndarray | None) -> list[Issue]:
    """missing_value / unparseable_date / excel_error per bad row, in check_table's order."""
    ts, user = rows["ts"], rows["user_id"]
    blank_ts = rows["blank_ts"].to_numpy(dtype=bool)
    excel = is_in(ts, EXCEL_ERRORS).to_numpy() & ~blank_ts
    unparsed = rows["no_day"].to_numpy(dtype=bool) & ~excel
    flags = [("excel_error", "timestamp", excel, True), ("missing_value", "timestamp", blank_ts,
             False), ("unparseable_date", "timestamp", unparsed, True),
             ("missing_value", "user_id", user.isna().to_numpy(), False)]  # fmt: skip
    label = scan.source.label
    issues = []
    for code, column, mask, show in flags:
        for i in np.flatnonzero(mask):
            issues.append(make_issue(
                code, table="events", file=label, column=column,
                row=int(lines[i]) if lines is not None else None,
                value=ts.iloc[i] if show else None,
            ))  # fmt: skip
    return issues


def _unknown_customers(kept: pd.DataFrame, known: pd.Index, source: Source) -> Issue | None:
    """One warning for the rows whose customer_id is not in the customers table (kept)."""
    ids = kept["customer_id"]
    unknown = (ids.notna() & ~is_in(ids, known)).to_numpy()
    count = int(kept.loc[unknown, "events"].sum())
    if not count:
        return None
    distinct = ids[unknown].drop_duplicates().sort_values()
    sample = ", ".join(str(i) for i in distinct.head(5)) + (", ..." if len(distinct) > 5 else "")
    refer = (
        f"{count:,} rows refer to customer_ids" if count > 1 else "1 row refers to a customer_id"
    )
    return make_issue("unknown_customer", table="events", file=source.label,
                      column="customer_id", value=refer, detail=sample, excluded=False)  # fmt: skip


# ---------------------------------------------------------------- DuckDB


class DuckEngine:
    """DuckDB in process, its session time zone set to the report's."""

    def __init__(self, timezone: str) -> None:

        from csmetrics_cli.io.duck import private

        self.con: duckdb.DuckDBPyConnection = private()
        self.con.execute("SET enable_progress_bar = false")
        self.con.execute(f"SET TimeZone = '{timezone}'")

    def query(self, sql: str) -> pd.DataFrame:
        """The result with its text columns as categoricals: dictionary-encoded in Arrow,
        so pandas holds each distinct name once and an integer per row. The columns are
        encoded on io/duck.workers() threads (Arrow's kernels release the GIL): 0.96 s ->
        0.37 s for the 4 name columns of 5M groups on 2 cores."""
        from concurrent.futures import ThreadPoolExecutor

        import pyarrow as pa
        import pyarrow.compute as pc

        table = self.con.sql(sql).to_arrow_table()
        text = (pa.string(), pa.large_string(), pa.string_view())
        names = [i for i, column in enumerate(table.columns) if column.type in text]
        with ThreadPoolExecutor(max_workers=workers()) as pool:
            encoded = list(pool.map(lambda i: pc.dictionary_encode(table.column(i)), names))
        for i, column in zip(names, encoded, strict=True):
            table = table.set_column(i, table.field(i).name, column)
        return to_frame(table, date_as_object=False)

    def register(self, name: str, frame: pd.DataFrame) -> None:
        self.con.register(name, frame)

    def view(self, name: str, sql: str) -> None:
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS {sql}")


def _delimiter(path: Path) -> str:
    """The delimiter csm's reader would pick, from the first 64 KB of the file."""
    from csmetrics_cli.io.readers import sniff_delimiter

    opener: Callable[..., object] = gzip.open if _is_gzip(path) else open
    with opener(path, "rb") as stream:  # type: ignore[attr-defined]
        head = stream.read(1 << 16)
    return sniff_delimiter(head.decode("utf-8", errors="replace"))


def file_relation(source: Source, config: Config, row_numbers: bool = False) -> str | None:
    """DuckDB's reading of one CSV/TSV/text or Parquet file by csm's rules (cells as text),
    or None when csm's reader must read it (a workbook, csm.toml `encoding`)."""
    ext = split_name(source.path.name)
    kind = ext[1] if ext else ""
    path = str(source.path).replace("'", "''")
    if kind == ".parquet" and not source.path.is_dir():
        return f"read_parquet('{path}'{', file_row_number = true' if row_numbers else ''})"
    if kind not in (".csv", ".csv.gz", ".tsv", ".txt") or source.sheet is not None:
        return None
    if config.encoding is not None:
        return None
    delim = "\t" if kind == ".tsv" else _delimiter(source.path)
    # csm's CSV rules, not DuckDB's sniffer: no comment lines (`#N/A` is a value).
    rules = "quote = '\"', escape = '\"', comment = '', null_padding = false"
    return f"read_csv('{path}', all_varchar = true, header = true, delim = '{delim}', {rules})"


def parquet_files(path: Path) -> list[Path]:
    """The Parquet files of a dataset folder (any depth, hive partitions included), sorted."""
    return sorted(p for p in path.rglob("*.parquet") if p.is_file())


_SCANNING: set[duckdb.DuckDBPyConnection] = set()  # connections of the scans running now


def interrupt_scans() -> None:
    """Stop the events scans still running (on a prefetch thread, contracts/dataset.py)
    when csm stops early, on an error or Ctrl-C: the process then exits at once instead of
    waiting for the scan to end."""
    for con in list(_SCANNING):
        con.interrupt()


def duck_activity(
    source: Source, config: Config, customer_ids: CustomerIds, window: Window = ALL_DAYS
) -> CheckedTable:
    """The events source aggregated on DuckDB (csm's reader for what DuckDB cannot read)."""
    import duckdb

    engine = DuckEngine(config.timezone)
    _SCANNING.add(engine.con)
    try:
        scan = _duck_scan(engine, source, config)
        if scan is not None:
            try:
                out = aggregate(engine, scan, config, customer_ids, window)
            except duckdb.Error as exc:
                reraise_interrupt(exc)  # Ctrl-C, or interrupt_scans
                if not scan.row_numbers or source.path.name.lower().endswith(".parquet"):
                    raise
            else:
                unnumbered = any(i.excluded and i.row is None for i in out.issues)
                if not (unnumbered and scan.row_numbers):
                    return out
    finally:
        _SCANNING.discard(engine.con)
        engine.con.close()  # its views and the engine's buffers for this file
    # A text file DuckDB cannot read as it is, or whose excluded rows need the editor
    # lines (multi-line values, blank lines): csm's reader says why, row by row.
    return checked_activity(DuckEngine(config.timezone), source, config, customer_ids, window)


def _duck_scan(engine: DuckEngine, source: Source, config: Config) -> Scan | None:
    """Register events_scan over the file, or None when csm's reader must read it."""
    import duckdb

    ext = split_name(source.path.name)
    kind = ext[1] if ext else ""
    relation: str | None
    if source.path.is_dir():
        files = parquet_files(source.path)
        if not files:
            detail = "the folder holds no .parquet files"
            raise fatal("unreadable_file", file=source.label, detail=detail)
        listing = ", ".join("'" + str(f).replace("'", "''") + "'" for f in files)
        engine.register("event_files", pd.DataFrame({"file": [str(f) for f in files],
                                                      "k": np.arange(len(files))}))  # fmt: skip
        relation = (f"(SELECT r.*, f.k FROM read_parquet([{listing}], hive_partitioning = true,"
                    " filename = true, file_row_number = true) AS r"
                    " JOIN event_files AS f ON r.filename = f.file)")  # fmt: skip
        row_no, numbered = "k * 1099511627776 + file_row_number", False
    elif (relation := file_relation(source, config, row_numbers=True)) is not None:
        # The window runs only in the second scan, for excluded rows: the aggregate does not
        # read row_no, so DuckDB prunes it and the first scan stays parallel.
        row_no = "file_row_number + 2" if kind == ".parquet" else "row_number() OVER () + 1"
        numbered = True
    else:
        return None
    try:
        engine.view("raw_events", f"SELECT * FROM {relation}")
        described = engine.con.sql("SELECT * FROM raw_events LIMIT 0")
        headers, types = list(described.columns), [str(t) for t in described.types]
    except duckdb.Error as exc:
        reraise_interrupt(exc)
        if kind == ".parquet" or source.path.is_dir():
            detail = "not a readable Parquet file"
            raise fatal("unreadable_file", file=source.label, detail=detail) from None
        return None
    if len({h.strip().lower() for h in headers}) < len(headers):
        return None  # duplicate headers: the reader renames and reports them
    try:
        columns = canonical_columns(source, headers, config)
    except InputError:  # said again with a hint judged on the first rows' values
        sample = engine.con.sql("SELECT * FROM raw_events LIMIT 2000").df()
        columns = canonical_columns(source, headers, config, sample)
    ts_type = types[headers.index(columns["timestamp"])] if "timestamp" in columns else "VARCHAR"
    ts_kind = ("date" if ts_type == "DATE" else
               "timestamp" if ts_type.startswith("TIMESTAMP") else "text")  # fmt: skip
    defaults = {k: str(v) for k, v in config.defaults.get("events", {}).items()}
    engine.view("events_scan", scan_sql(columns, row_no, defaults, ts_text=ts_kind == "text"))
    return Scan(source, ts_kind, numbered, frozenset(columns))


def checked_activity(
    engine: Engine,
    source: Source,
    config: Config,
    customer_ids: CustomerIds,
    window: Window = ALL_DAYS,
) -> CheckedTable:
    """csm's reader and checks (workbooks, other encodings, broken lines), then the same
    aggregation over the checked frame: its issues and row numbers are the checks' own."""
    usecols = SCHEMAS["events"].header_names(config.columns.get("events", {}))
    checked = check_table(read_table(source, encoding=config.encoding, usecols=usecols), config,
                          customer_ids())  # fmt: skip
    return aggregate_checked(checked, source, config, engine, window)


def aggregate_checked(
    checked: CheckedTable,
    source: Source,
    config: Config,
    engine: Engine | None = None,
    window: Window = ALL_DAYS,
) -> CheckedTable:
    """The same aggregation over an events table csm has read and checked: its issues and
    row numbers are the checks' own."""
    engine = engine if engine is not None else DuckEngine(config.timezone)
    frame = checked.frame
    present = {c: c for c in SCAN_COLUMNS if c in frame.columns}
    table = pd.DataFrame({c: frame[c] for c in present})
    table["timestamp"] = frame["timestamp"].astype("datetime64[s]")
    table["__order"] = np.arange(len(frame), dtype=np.int64)
    engine.register("raw_events", table)
    engine.view("events_scan", scan_sql(present, '"__order"', {}, ts_text=False))
    scan = Scan(source, "timestamp", False, frozenset(present))
    out = aggregate(engine, scan, config, lambda: None, window)
    return CheckedTable(out.frame, checked.rows_read, checked.rows_excluded, checked.issues)


def activity_of(
    source: Source,
    config: Config,
    customer_ids: CustomerIds,
    engine: str = "duckdb",
    window: Window = ALL_DAYS,
) -> CheckedTable:
    """The activity frame of a data set: its events aggregated on `engine` ("duckdb" or
    "spark"; a workbook sheet is always read by csm and aggregated on DuckDB) with the days
    of `window` kept day by day, or its pre-aggregated activity table (every day kept)."""
    if source.table == "activity":
        return activity_table(source, config, customer_ids)
    workbook = source.sheet is not None or source.path.name.lower().endswith(".xlsx")
    if engine == "spark" and not workbook:
        from csmetrics_cli.engine.events_spark import spark_activity

        return spark_activity(source, config, customer_ids, window)
    return duck_activity(source, config, customer_ids, window)


def activity_table(source: Source, config: Config, customer_ids: CustomerIds) -> CheckedTable:
    """A pre-aggregated activity table, read and checked like any table, then grouped by the
    same keys (rows repeating a key add up; a blank `events` counts 1)."""
    usecols = SCHEMAS["activity"].header_names(config.columns.get("activity", {}))
    checked = check_table(read_table(source, encoding=config.encoding, usecols=usecols), config,
                          customer_ids())  # fmt: skip
    frame = checked.frame
    blank = pd.Series(None, index=frame.index, dtype="str")
    names = [c for c in KEYS if c != "day"]
    table = pd.DataFrame({c: frame[c] if c in frame.columns else blank for c in names})
    table["day"] = frame["day"].astype("datetime64[s]")
    counts = frame["events"] if "events" in frame.columns else pd.Series(1.0, index=frame.index)
    table["events"] = counts.fillna(1.0).astype("float64")
    engine = DuckEngine(config.timezone)
    engine.register("activity_rows", table)
    keys = ", ".join(KEYS)
    grouped = engine.query(
        f"SELECT {keys}, CAST(SUM(events) AS BIGINT) AS events, CAST(NULL AS DATE) AS first_day,"
        f" CAST(NULL AS DATE) AS last_day FROM activity_rows GROUP BY {keys}"
    )
    return CheckedTable(_typed(grouped), checked.rows_read, checked.rows_excluded, checked.issues)
