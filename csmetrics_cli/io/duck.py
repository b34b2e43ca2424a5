"""The embedded engine (DuckDB): one in-memory database per process, imported lazily.

`csm --help` must not import duckdb, so nothing here runs at import time. Every caller gets
its own cursor on the shared database (opening a database costs tens of milliseconds, a
cursor about one): temporary tables, such as a CSV read's rejects tables, belong to the
cursor, so a reader sees only its own file's errors. DuckDB uses every core by default;
`CSM_THREADS` caps it (a shared machine, a CI runner), and csm's own threads with it.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from concurrent.futures import Future

T = TypeVar("T")


def threads() -> int | None:
    """CSM_THREADS when set to a positive number, else None (every core)."""
    value = os.environ.get("CSM_THREADS", "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else None


def workers() -> int:
    """How many threads csm's own parallel steps use: CSM_THREADS, else every core."""
    return threads() or os.cpu_count() or 1


def on_thread(name: str, job: Callable[[], T]) -> Future[T]:
    """Run `job` on a thread of its own (`csm-<name>`), which ends with it."""
    from concurrent.futures import ThreadPoolExecutor

    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"csm-{name}")
    future = pool.submit(job)
    pool.shutdown(wait=False)
    return future


def _config() -> dict[str, Any]:
    """Order-preserving (readers number rows), threads from CSM_THREADS if set, and
    jemalloc's background threads on: they hand the pages a finished query freed (the events
    scan's hash table, ~600 MB on the 100k sample) back to the system while pandas converts
    its result, instead of holding them to the process's end (peak 1.19 -> 0.97 GiB for the
    scan alone, the same time)."""
    config: dict[str, Any] = {
        "preserve_insertion_order": True,
        "allocator_background_threads": True,
    }
    if (n := threads()) is not None:
        config["threads"] = n
    return config


@cache
def _database() -> Any:
    """The process's in-memory database."""
    import duckdb

    return duckdb.connect(":memory:", config=_config())


def connect() -> Any:
    """A new cursor on the process's database (close it when done)."""
    return _database().cursor()


def private() -> Any:
    """An in-memory database of its own (close it when done): a large aggregation's memory
    goes back when it is closed, where the shared database keeps its buffers (the events
    scan: ~500 MB on the 100k sample)."""
    import duckdb

    return duckdb.connect(":memory:", config=_config())


def reraise_interrupt(exc: BaseException) -> None:
    """Ctrl-C during a query reaches csm as DuckDB's InterruptException: raise it as the
    KeyboardInterrupt it is, so that no handler takes it for a file DuckDB cannot read."""
    import duckdb

    if isinstance(exc, duckdb.InterruptException):
        raise KeyboardInterrupt from exc


def quote_literal(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"
