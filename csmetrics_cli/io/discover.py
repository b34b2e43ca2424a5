"""Find the input tables: which file (or workbook sheet) holds each canonical table.

`--data` is a folder or one workbook:

- In a folder, a table is a file directly inside it whose stem is the table name,
  case-insensitively: `customers.csv`, `Customers.CSV`, `customers.csv.gz`, `customers.tsv`,
  `customers.txt`, `customers.xlsx`, `customers.parquet`. Other files and subfolders are
  ignored. A folder `.xlsx` gets `sheet=None`: the reader uses the sheet named after the
  table if there is one, else the first sheet.
- A `.xlsx` workbook: a table is the sheet whose name, case-insensitively and ignoring
  surrounding spaces, is the table name (`" Customers "` is `customers`).
- A single table file (`customers.csv`) is accepted too and provides just that table.

Two files or sheets claiming the same table raise the fatal `duplicate_table` (a code added
for this): picking one silently would let an old export shadow the new one.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from python_calamine import CalamineWorkbook

from csmetrics_cli.contracts.schema import SCHEMAS
from csmetrics_cli.problems import fatal

TABLES = tuple(SCHEMAS)  # the canonical tables, in SPEC order

# Longest first, so "x.csv.gz" is not read as stem "x.csv".
EXTENSIONS = (".csv.gz", ".csv", ".tsv", ".txt", ".xlsx", ".parquet")


@dataclass(frozen=True)
class Source:
    """Where one table comes from: a file, or a sheet of a workbook."""

    table: str
    path: Path
    sheet: str | None

    @property
    def label(self) -> str:
        """Name used in messages: `customers.csv` or `book.xlsx[Customers]`."""
        return f"{self.path.name}[{self.sheet}]" if self.sheet is not None else self.path.name


def find_sources(data: Path) -> dict[str, Source]:
    """Map each table found under `data` (folder, workbook or single file) to its source."""
    data = Path(data)
    if not data.exists():
        raise fatal("missing_path", file=str(data))
    if data.is_dir():
        return _folder_sources(data)
    if data.name.lower().endswith(".xlsx"):
        return _workbook_sources(data)
    return _single_file_source(data)


def split_name(name: str) -> tuple[str, str] | None:
    """Split a file name into (lower-case stem, extension) for a supported extension."""
    lower = name.lower()
    for ext in EXTENSIONS:
        if lower.endswith(ext) and len(lower) > len(ext):
            return lower[: -len(ext)], ext
    return None


def _folder_sources(folder: Path) -> dict[str, Source]:
    """Tables from the files directly inside `folder`."""
    found: dict[str, Source] = {}
    for path in sorted(folder.iterdir()):
        parts = split_name(path.name) if path.is_file() else None
        if parts is None or parts[0] not in TABLES:
            continue
        source = Source(parts[0], path, None)
        _claim(found, source)
    return found


def _workbook_sources(book: Path) -> dict[str, Source]:
    """Tables from the sheets of one workbook."""
    found: dict[str, Source] = {}
    for sheet in sheet_names(book, label=book.name):
        table = sheet.strip().lower()
        if table in TABLES:
            _claim(found, Source(table, book, sheet))
    return found


def _single_file_source(path: Path) -> dict[str, Source]:
    """The one table a lone file provides."""
    parts = split_name(path.name)
    if parts is None or parts[0] not in TABLES:
        detail = "expected a folder of exports, an .xlsx workbook, or a file named after a table"
        raise fatal("unreadable_file", file=path.name, detail=detail)
    return {parts[0]: Source(parts[0], path, None)}


def _claim(found: dict[str, Source], source: Source) -> None:
    """Register `source` for its table, refusing a second claimant."""
    other = found.get(source.table)
    if other is not None:
        detail = f"{other.label} and {source.label}"
        hint = "rename one of the sheets" if source.sheet is not None else None
        raise fatal("duplicate_table", table=source.table, detail=detail, hint=hint)
    found[source.table] = source


def sheet_names(book: Path, *, label: str) -> list[str]:
    """Sheet names of a workbook; fatal `unreadable_file` when it is not one."""
    if not zipfile.is_zipfile(book):
        raise fatal("unreadable_file", file=label, detail="not an .xlsx workbook (not a zip file)")
    try:
        return list(CalamineWorkbook.from_path(str(book)).sheet_names)
    except Exception as exc:  # calamine raises several unrelated types for corrupt books
        raise fatal("unreadable_file", file=label, detail=str(exc) or type(exc).__name__) from exc
