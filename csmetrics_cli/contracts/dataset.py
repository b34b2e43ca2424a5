"""The data set a command works on: tables found under --data, read and checked on first use.

Tables are loaded lazily so that a revenue report never reads a 10-million-row events file.
The data-quality report (rows read, rows excluded, issues) accumulates as tables load.

Metrics read product events as the `activity` frame: the events table aggregated by an
engine (`engine`: "duckdb" or "spark", engine/events_sql.py), or the pre-aggregated
`activity` table when the data has no events table (events win when both exist). The
frame keeps day by day only the days some context said it reads (`need_days`: every
Context does, for its periods); other days are grouped over, so a month's report does not
carry two years of daily rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from csmetrics_cli.config import Config
from csmetrics_cli.contracts.checks import CheckedTable, check_table
from csmetrics_cli.contracts.mapping import needs_own_reader, read_with_rules
from csmetrics_cli.contracts.schema import SCHEMAS
from csmetrics_cli.io.discover import Source, find_sources, split_name
from csmetrics_cli.io.readers import RawTable, read_table
from csmetrics_cli.problems import InputError, Issue, closest, fatal

if TYPE_CHECKING:
    from concurrent.futures import Future

ACTIVITY_MARK = "<activity {} {}>"  # the cache entry of the aggregate for a window


@dataclass(frozen=True)
class TableReport:
    """Row accounting for one table: rows_read = rows_used + rows_excluded."""

    table: str
    file: str
    rows_read: int
    rows_excluded: int

    @property
    def rows_used(self) -> int:
        return self.rows_read - self.rows_excluded


def _named_source(root: Path, table: str, name: str) -> Source:
    """The file (in a folder) or sheet (in a workbook) that csm.toml's [tables] names."""
    if root.is_dir():
        path = root / name
        if not path.is_file():
            hint = f"[tables] in csm.toml names {name}, which is not in {root}"
            raise fatal("missing_table", table=table, file=str(path), hint=hint)
        return Source(table, path, None)
    return Source(table, root, name)


def _sql_source(root: Path, table: str) -> Source:
    """The Source of a table csm.toml builds with `sql`: no file of its own."""
    folder = root if root.is_dir() else root.parent
    return Source(table, folder / f"[tables.{table}] sql", None)


def _no_tables(root: Path) -> InputError:
    """no_tables for a --data path holding no table csm knows, with the likely fix."""
    files = sorted(p for p in root.iterdir() if p.is_file()) if root.is_dir() else []
    stems = {parts[0]: p.name for p in files if (parts := split_name(p.name))}
    hint = (f"name each file after its table ({', '.join(SCHEMAS)}: customers.csv, "
            "tickets.xlsx...) or map it under [tables] in csm.toml")  # fmt: skip
    guess = next(((t, stems[c]) for t in SCHEMAS if (c := closest(t, stems, cutoff=0.6))), None)
    if guess:
        hint = (
            f'did you mean {guess[1]} for {guess[0]}? [tables] {guess[0]} = "{guess[1]}"; ' + hint
        )
    shown = ", ".join(p.name for p in files[:8]) or "no files"
    return fatal("no_tables", file=str(root), hint=f"{hint}; found: {shown}")


def _has_sql(config: Config, table: str) -> bool:
    """True when csm.toml shapes the table with SQL (rules, or a [columns] value that cannot
    be a plain header name): the SQL may read any of its columns."""
    rules = config.table_rules.get(table)
    names = config.columns.get(table, {}).values()
    return bool(rules and rules.shaped) or not all(re.fullmatch(r"[\w .-]+", v) for v in names)


Progress = Callable[[str], AbstractContextManager[object]]


@dataclass(frozen=True)
class _ActivityJob:
    """The activity frame of one window: its source, and how to read it (cache or build)."""

    source: Source
    window: tuple[date, date]
    run: Callable[[Progress], CheckedTable]


@dataclass
class Dataset:
    """Canonical tables under one --data path, loaded and validated on demand."""

    root: Path
    config: Config
    sources: dict[str, Source]
    progress: Progress = lambda _label: nullcontext()
    reports: dict[str, TableReport] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    unusable: dict[str, str] = field(default_factory=dict)  # table -> why it was skipped
    errors: dict[str, InputError] = field(default_factory=dict)  # table -> what skipped it
    cache: dict[object, object] = field(default_factory=dict)  # period-independent derived data
    use_cache: bool = False  # keep checked tables on disk (contracts/cache.py)
    engine: str = "duckdb"  # where the events aggregation runs: "duckdb" or "spark"
    warnings: list[str] = field(default_factory=list)  # about the data as found, for the report
    window: tuple[date, date] | None = None  # days the activity frame keeps; None = every day
    expected: set[str] = field(default_factory=set)  # tables the command will read anyway
    _frames: dict[str, pd.DataFrame] = field(default_factory=dict)
    _activity_window: tuple[date, date] | None = None  # what the loaded frame was built for
    _pending: tuple[tuple[date, date], Future[CheckedTable]] | None = None  # prefetch_activity

    @classmethod
    def open(
        cls,
        root: Path,
        config: Config,
        progress: Progress | None = None,
    ) -> Dataset:
        """Find the tables under `root` (no table is required: each metric says which it
        needs); fail when there is none at all."""
        sources = find_sources(root)
        for table, name in config.tables.items():
            sources[table] = _named_source(root, table, name)
        for table, rules in config.table_rules.items():
            if rules.sql and not rules.file:
                sources[table] = _sql_source(root, table)
        if not sources:
            raise _no_tables(root)
        data = cls(root=root, config=config, sources=sources)
        if "events" in sources and "activity" in sources:
            ignored = sources.pop("activity")
            used = sources["events"].label
            data.warnings.append(
                f"both {used} and {ignored.label} are in the data: {used} is used, not the"
                f" pre-aggregated {ignored.label}"
            )
        if progress is not None:
            data.progress = progress
        return data

    def table(self, name: str) -> pd.DataFrame | None:
        """The checked table, or None when the data has no such table."""
        if name in self._frames:
            return self._frames[name]
        if name == "activity":
            return self._activity()
        source = self.sources.get(name)
        if source is None or name in self.unusable:
            return None
        customer_ids = self._customer_ids() if SCHEMAS[name].refers_to_customers else None
        try:
            with self.progress(f"Reading {source.label}"):
                schema = SCHEMAS[name]
                usecols = None
                if schema.known_columns_only and not _has_sql(self.config, name):
                    usecols = schema.header_names(self.config.columns.get(name, {}))
                against = self.sources.get("customers") if customer_ids is not None else None
                checked = self._checked(source, usecols, against, lambda: check_table(
                    self._raw(source, usecols), self.config, customer_ids))  # fmt: skip
        except InputError as exc:
            # A table that cannot be read makes its metrics unavailable, not the report; a
            # csm.toml mapping that cannot run is the user's to fix first.
            if exc.issue.code == "bad_config":
                raise
            self.unusable[name] = exc.message
            self.errors[name] = exc
            self.issues.append(exc.issue)
            return None
        self._frames[name] = checked.frame
        self.reports[name] = TableReport(
            name, source.label, checked.rows_read, checked.rows_excluded
        )
        self.issues.extend(checked.issues)
        return checked.frame

    def _customer_ids(self) -> pd.Index | None:
        """The ids of the customers table, which other tables' rows are checked against
        (None without a usable one)."""
        customers = self.table("customers") if "customers" in self.sources else None
        return pd.Index(customers["customer_id"]) if customers is not None else None

    def _activity_job(self, customer_ids: Callable[[], pd.Index | None]) -> _ActivityJob | None:
        """How to get the activity frame for the current window, or None without events.
        The customer ids are asked for when the events are checked against them, after
        the scan: the prefetch reads the customers table meanwhile."""
        source = self.sources.get("events") or self.sources.get("activity")
        if source is None or source.table in self.unusable:
            return None

        from csmetrics_cli.engine.events_sql import ALL_DAYS

        window = self.window or ALL_DAYS

        def build(progress: Progress) -> CheckedTable:
            if source.table == "events" and _has_sql(self.config, "events"):
                # csm.toml shapes the events: read and shaped as any table, then aggregated.
                from csmetrics_cli.engine.events_sql import aggregate_checked

                with progress(f"Reading {source.label}"):
                    raw = self._raw(source, None)
                    checked = check_table(raw, self.config, customer_ids())
                    return aggregate_checked(checked, source, self.config, window=window)
            if self.engine == "spark" and source.table == "events":
                from csmetrics_cli.engine.events_spark import session

                with progress("Starting Spark"):  # timed with -v: Spark's start-up share
                    session(self.config.timezone)
            from csmetrics_cli.engine.events_sql import activity_of

            with progress(f"Reading {source.label}"):
                return activity_of(source, self.config, customer_ids, self.engine, window)

        mark = {ACTIVITY_MARK.format(*window)}

        against = self.sources.get("customers")

        def run(progress: Progress) -> CheckedTable:
            return self._checked(source, mark, against, lambda: build(progress))

        return _ActivityJob(source, window, run)

    def prefetch_activity(self) -> None:
        """Start aggregating a plain events file on a thread of its own, for the window
        known now: DuckDB scans one compressed file on one core, so the other core reads
        and checks the other tables meanwhile. `table("activity")` waits for it."""
        if "activity" in self._frames or self._pending is not None or self.engine != "duckdb":
            return
        from concurrent.futures import Future

        from csmetrics_cli.io.duck import on_thread

        ids: Future[pd.Index | None] = Future()
        job = self._activity_job(ids.result)
        if job is None or not self.plain(job.source.table):
            return
        run = job.run
        self._pending = (job.window, on_thread("events", lambda: run(lambda _l: nullcontext())))
        try:  # the customers are read while the scan runs
            ids.set_result(self._customer_ids())
        except BaseException as exc:  # the scan must not wait for them forever
            ids.set_exception(exc)
            raise

    def _activity(self) -> pd.DataFrame | None:
        """The activity frame: events aggregated on the engine, or the activity table."""
        job = self._activity_job(self._customer_ids)
        pending, self._pending = self._pending, None
        if job is None:
            return None
        try:
            if pending is not None and pending[0] == job.window:
                with self.progress(f"Reading {job.source.label}"):  # what is left of it
                    checked = pending[1].result()
            else:  # none started, or for fewer days than now needed
                checked = job.run(self.progress)
        except InputError as exc:
            self.unusable[job.source.table] = exc.message
            self.issues.append(exc.issue)
            return None
        self._frames["activity"] = checked.frame
        self._activity_window = job.window
        self.reports[job.source.table] = TableReport(
            job.source.table, job.source.label, checked.rows_read, checked.rows_excluded
        )
        self.issues.extend(checked.issues)
        return checked.frame

    def _checked(
        self,
        source: Source,
        usecols: set[str] | None,
        against: Source | None,
        build: Callable[[], CheckedTable],
    ) -> CheckedTable:
        """One table read and checked by `build`, through the on-disk cache when on; its
        key knows the columns read and `against`, the customers file its checks read."""
        from csmetrics_cli.contracts import cache

        entry = None
        rules = self.config.table_rules.get(source.table)
        if self.use_cache and not (rules and rules.sql):  # sql reads files the key does not know
            entry = cache.key(source, self.config, usecols, against)
            hit = cache.load(entry)
            if hit is not None:
                return hit
        checked = build()
        if entry is not None:
            cache.store(entry, checked)
        return checked

    def need_days(self, first: date, last: date) -> None:
        """Keep first..last day by day in the activity frame. A frame already built for
        fewer days is dropped, with what was derived from it and its issues, to be built
        again for the wider window."""
        if self.window is not None:
            first, last = min(first, self.window[0]), max(last, self.window[1])
        self.window = (first, last)
        built = self._activity_window
        if (
            "activity" in self._frames
            and built is not None
            and not (built[0] <= first and last <= built[1])
        ):
            del self._frames["activity"]
            self.cache.clear()
            self.issues = [i for i in self.issues if i.table not in ("events", "activity")]

    def is_loaded(self, name: str) -> bool:
        """True when the table (or the activity frame) has been read."""
        return name in self._frames

    def plain(self, name: str) -> bool:
        """True when the table is its file as written: csm.toml does not shape it (sql,
        where, dedupe, expressions, delimiter, skip_rows)."""
        return not _has_sql(self.config, name) and not needs_own_reader(
            self.config.table_rules.get(name)
        )

    def check_usable(self) -> None:
        """Raise the first table's error when every table read so far was unusable: then the
        command has nothing to show, and the fix is in that table (exit 1)."""
        if self.errors and not self.reports:
            raise next(iter(self.errors.values()))

    def _raw(self, source: Source, usecols: set[str] | None) -> RawTable:
        """The table as read: by csm.toml's own rules (sql, delimiter, skip_rows) or the reader."""
        rules = self.config.table_rules.get(source.table)
        if rules is not None and needs_own_reader(rules):
            return read_with_rules(source, rules, self.root, self.config)
        return read_table(source, encoding=self.config.encoding, usecols=usecols)

    def has(self, name: str, column: str | None = None) -> bool:
        """True when the table exists (and has the column with at least one value).

        Events are answered from the activity frame (its `day` is their `timestamp`) unless
        the raw events were read, so asking never loads them."""
        if name == "events" and name not in self._frames:
            name, column = "activity", "day" if column == "timestamp" else column
        frame = self.table(name)
        if frame is None:
            return False
        return column is None or (column in frame.columns and bool(frame[column].notna().any()))

    def load(self, names: Iterable[str] | None = None) -> None:
        """Load the named tables (all found ones by default), customers first; events and
        activity as the activity frame."""
        wanted = list(self.sources) if names is None else list(names)
        wanted = ["activity" if n == "events" else n for n in wanted]
        for name in sorted(wanted, key=lambda n: n != "customers"):
            self.table(name)
