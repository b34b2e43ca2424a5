"""Find the input tables: which file (or workbook sheet) holds each canonical table.

`--data` is a folder or one workbook:

- In a folder, a table is a file directly inside it whose stem is the table name,
  case-insensitively: `customers.csv`, `Customers.CSV`, `customers.csv.gz`, `customers.tsv`,
  `customers.txt`, `customers.xlsx`, `customers.parquet`. A subfolder `events/` holding
  Parquet files (at any depth: a hive-partitioned dataset) is the events table. Other files
  and subfolders are ignored. A folder `.xlsx` gets `sheet=None`: the reader uses the sheet
  named after the table if there is one, else the first sheet.
- A `.xlsx` workbook: a table is the sheet whose name, case-insensitively and ignoring
  surrounding spaces, is the table name (`" Customers "` is `customers`).
- A single table file (`customers.csv`) is accepted too and provides just that table.

Two files or sheets claiming the same table raise the fatal `duplicate_table` (a code added
for this): picking one silently would let an old export shadow the new one.

Before a workbook is opened (calamine expands the shared strings and a whole sheet in
memory), its zip directory is checked: a sheet or shared-strings part over
`MAX_XLSX_PART_BYTES` uncompressed, or a run of text between two XML tags (one cell's text,
or a piece of it) over `MAX_XLSX_TEXT_BYTES`, is the fatal `workbook_too_large`. Parts are
streamed in chunks for the text check, so a 300 MB string is refused in bounded memory.
"""

from __future__ import annotations

import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np
from python_calamine import CalamineWorkbook

from csmetrics_cli.contracts.schema import SCHEMAS, SPEC_TABLES
from csmetrics_cli.problems import fatal

TABLES = SPEC_TABLES  # the canonical tables, in SPEC order
INPUTS = tuple(SCHEMAS)  # what a file may provide: those and the pre-aggregated activity

# Workbook limits. Excel holds at most 32,767 characters in a cell (under 200 KB of XML even
# with every character escaped); a sheet of a million rows of ten cells is about 500 MB.
MAX_XLSX_PART_BYTES = 1 << 30
MAX_XLSX_TEXT_BYTES = 1 << 20
_XLSX_PARTS = re.compile(r"xl/(?:sharedStrings|worksheets/[^/]+)\.xml", re.IGNORECASE)

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
        if path.is_dir() and path.name.lower() == "events" and any(path.rglob("*.parquet")):
            _claim(found, Source("events", path, None))  # a Parquet dataset, maybe partitioned
            continue
        parts = split_name(path.name) if path.is_file() else None
        if parts is None or parts[0] not in INPUTS:
            continue
        source = Source(parts[0], path, None)
        _claim(found, source)
    return found


def _workbook_sources(book: Path) -> dict[str, Source]:
    """Tables from the sheets of one workbook."""
    found: dict[str, Source] = {}
    for sheet in sheet_names(book, label=book.name):
        table = sheet.strip().lower()
        if table in INPUTS:
            _claim(found, Source(table, book, sheet))
    return found


def _single_file_source(path: Path) -> dict[str, Source]:
    """The one table a lone file provides."""
    parts = split_name(path.name)
    if parts is None or parts[0] not in INPUTS:
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
    check_workbook(book, label=label)
    try:
        return list(CalamineWorkbook.from_path(str(book)).sheet_names)
    except Exception as exc:  # calamine raises several unrelated types for corrupt books
        raise fatal("unreadable_file", file=label, detail=str(exc) or type(exc).__name__) from exc


def check_workbook(book: Path, *, label: str) -> None:
    """Fatal `workbook_too_large` when a part or a cell's text is past the limits."""
    stat = book.stat()
    found = _oversized(str(book), stat.st_mtime_ns, stat.st_size,
                       MAX_XLSX_PART_BYTES, MAX_XLSX_TEXT_BYTES)  # fmt: skip
    if found is not None:
        raise fatal("workbook_too_large", file=label, detail=found)


@lru_cache(maxsize=16)
def _oversized(path: str, _mtime: int, _size: int, part_limit: int, text_limit: int) -> str | None:
    """What is too large in the workbook at `path`, or None (cached per file version)."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = [i for i in archive.infolist() if _XLSX_PARTS.fullmatch(i.filename)]
            for info in parts:
                if info.file_size > part_limit:
                    return (f"{info.filename} expands to {info.file_size:,} bytes "
                            f"(at most {part_limit:,})")  # fmt: skip
            for info in parts:
                if info.file_size > text_limit and _longest_text(archive, info, text_limit):
                    return (f"{info.filename} holds a text of more than {text_limit:,} "
                            "bytes in one cell")  # fmt: skip
    except (zipfile.BadZipFile, OSError, RuntimeError, ValueError):
        return None  # not ours to judge: the workbook reader reports a damaged file
    return None


def _longest_text(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, chunk: int = 1 << 20
) -> bool:
    """True when a run of bytes between two XML tags in one zip member exceeds `limit`.

    Text in XML cannot hold a raw `<`, so a cell's text is such a run (or several, for
    rich text). The member is read in chunks and never held in memory whole.
    """
    last, offset = -1, 0
    with archive.open(info) as stream:
        while block := stream.read(chunk):
            marks = np.flatnonzero(np.frombuffer(block, dtype=np.uint8) == ord("<")) + offset
            if len(marks) and int(np.diff(marks, prepend=last).max()) > limit:
                return True
            last = int(marks[-1]) if len(marks) else last
            offset += len(block)
            if offset - last > limit:
                return True
    return False


_SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_REL_NS = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_PKG_REL_NS = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def excel_errors(book: Path, sheet: str | int) -> list[tuple[int, int, str]]:
    """Cells of one sheet holding a cached Excel error: (row, column, `#N/A`), 0-based.

    calamine turns them into blanks, so the sheet's XML is read for them; only a sheet
    that mentions an error cell at all (`t="e"`) is parsed, streamed.
    """
    try:
        with zipfile.ZipFile(book) as archive:
            part = _sheet_part(archive, sheet)
            if part is None or not _mentions(archive, part, b't="e"'):
                return []
            with archive.open(part) as stream:
                return _error_cells(stream)
    except (zipfile.BadZipFile, KeyError, ET.ParseError, OSError, ValueError):
        return []  # not ours to judge: the workbook reader reports a damaged file


def _sheet_part(archive: zipfile.ZipFile, sheet: str | int) -> str | None:
    """The zip member holding a sheet given by name or position."""
    sheets = ET.fromstring(archive.read("xl/workbook.xml")).iter(f"{_SHEET_NS}sheet")
    ids = [(s.get("name"), s.get(f"{_REL_NS}id")) for s in sheets]
    chosen = [i for n, i in ids if n == sheet] if isinstance(sheet, str) else [ids[sheet][1]]
    rels = ET.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    for rel in rels.iter(f"{_PKG_REL_NS}Relationship"):
        if chosen and rel.get("Id") == chosen[0]:
            target = rel.get("Target", "")
            return target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
    return None


def _mentions(archive: zipfile.ZipFile, part: str, needle: bytes, chunk: int = 1 << 20) -> bool:
    """True when the member contains `needle` (streamed, overlapping the chunk edges)."""
    tail = b""
    with archive.open(part) as stream:
        while block := stream.read(chunk):
            if needle in tail + block:
                return True
            tail = block[-len(needle) :]
    return False


def _error_cells(stream: Any) -> list[tuple[int, int, str]]:
    """(row, column, error text) of every `t="e"` cell in a worksheet's XML."""
    found: list[tuple[int, int, str]] = []
    row, col = -1, -1
    for event, element in ET.iterparse(stream, events=("start", "end")):
        tag = element.tag.rsplit("}", 1)[-1]
        if event == "start" and tag == "row":
            number = element.get("r")
            row, col = (int(number) - 1 if number else row + 1), -1
        elif event == "end" and tag == "c":
            ref = element.get("r")
            col = _column_index(ref) if ref else col + 1
            if element.get("t") == "e":
                value = element.find(f"{_SHEET_NS}v")
                text = (value.text or "").strip() if value is not None else ""
                found.append((row, col, text or "#VALUE!"))
            element.clear()
        elif event == "end" and tag == "row":
            element.clear()
    return found


def _column_index(ref: str) -> int:
    """0-based column of a cell reference such as `B2` or `AA10`."""
    index = 0
    for letter in ref:
        if not letter.isalpha():
            break
        index = index * 26 + ord(letter.upper()) - 64
    return index - 1
