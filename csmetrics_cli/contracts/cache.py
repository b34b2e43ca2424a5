"""Checked tables kept on disk, so the analyst's next question skips reading and checking.

An entry is the checked frame (Parquet) and its row accounting and issues (JSON), under the
user's cache folder (platformdirs: honours XDG_CACHE_HOME). Its key is a hash of everything
that shaped it: the file's resolved path, sheet, size and modification time, the csm
version, the whole config, the columns read, and (for tables checked against customers)
the same for the customers file. A changed input, config or version therefore never hits.
Anything unreadable in the cache is treated as a miss.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
from pathlib import Path

import pandas as pd

from csmetrics_cli import __version__
from csmetrics_cli.config import Config
from csmetrics_cli.contracts.checks import CheckedTable
from csmetrics_cli.io.discover import Source
from csmetrics_cli.problems import Issue

SUFFIX = ".parquet"


def cache_dir() -> Path:
    """Where entries live: the user's cache folder for csm."""
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("csm")) / "tables"


def _stat(source: Source) -> dict[str, object]:
    """Path, sheet, size and mtime; for a Parquet dataset folder, those of every file in it."""
    if source.path.is_dir():
        files = sorted(p for p in source.path.rglob("*") if p.is_file())
        return {"path": str(source.path.resolve()),
                "files": [(str(p.relative_to(source.path)), p.stat().st_size,
                           p.stat().st_mtime_ns) for p in files]}  # fmt: skip
    stat = source.path.stat()
    return {"path": str(source.path.resolve()), "sheet": source.sheet, "size": stat.st_size,
            "mtime_ns": stat.st_mtime_ns}  # fmt: skip


def key(source: Source, config: Config, usecols: set[str] | None, customers: Source | None) -> str:
    """The hash of everything that shapes the checked table read from `source`."""
    # The definition switches change what is computed, never how a table is read.
    settings = {k: v for k, v in dataclasses.asdict(config).items()
                if k not in ("source", "definitions")}  # fmt: skip
    parts = {
        "version": __version__,
        "table": source.table,
        "file": _stat(source),
        "config": settings,
        "usecols": sorted(usecols) if usecols is not None else None,
        "customers": _stat(customers) if customers is not None else None,
    }
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def load(entry: str) -> CheckedTable | None:
    """The cached checked table, or None on a miss (or anything unreadable)."""
    frame_path = cache_dir() / f"{entry}{SUFFIX}"
    meta_path = frame_path.with_suffix(".json")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        frame = pd.read_parquet(frame_path)
        issues = [Issue(**i) for i in meta["issues"]]
        return CheckedTable(frame, int(meta["rows_read"]), int(meta["rows_excluded"]), issues)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def store(entry: str, checked: CheckedTable) -> None:
    """Keep a checked table; a cache that cannot be written is skipped, never an error."""
    from csmetrics_cli.io.writers import write_atomic
    from csmetrics_cli.problems import CsmError

    buffer = io.BytesIO()
    meta = {"rows_read": checked.rows_read, "rows_excluded": checked.rows_excluded,
            "issues": [i.to_dict() for i in checked.issues]}  # fmt: skip
    try:
        # One row group: reading several back unifies the names' dictionaries across them,
        # 0.62 s against 0.35 s for the 100k sample's activity frame.
        checked.frame.to_parquet(buffer, row_group_size=max(len(checked.frame), 1))
        folder = cache_dir()
        write_atomic(folder / f"{entry}{SUFFIX}", buffer.getvalue())
        write_atomic(folder / f"{entry}.json", json.dumps(meta).encode("utf-8"))
    except (OSError, ValueError, TypeError, CsmError):
        return


def entries() -> list[Path]:
    """The cached tables."""
    folder = cache_dir()
    return sorted(folder.glob(f"*{SUFFIX}")) if folder.is_dir() else []


def clear() -> int:
    """Remove every entry; returns how many tables were removed."""
    removed = 0
    for frame_path in entries():
        frame_path.unlink(missing_ok=True)
        frame_path.with_suffix(".json").unlink(missing_ok=True)
        removed += 1
    return removed
