"""Read one table into a frame of strings: CSV/TSV/TXT (plain or gzipped), XLSX and Parquet.

Text files are split by the embedded engine (DuckDB); csm itself handles what DuckDB
cannot do exactly the way users rely on: bytes (gzip by signature, binary refusal,
encodings transcoded to UTF-8), the delimiter and decimal sniffing, the header, the true
line number of every record and the recovery from a quote that is never closed.

Every reader hands back the same shape (`RawTable`): all cells as strings with surrounding
whitespace removed, blank cells missing, the header names as written in the file (BOM and
surrounding whitespace stripped), and for each record the row number a user sees.

Decisions, so that nothing is guessed silently:

- Row numbers: the header is row 1. For text files a record's number is the editor line it
  starts on, so blank lines are skipped but still counted (it equals Excel's row unless a
  quoted value spans several lines). For workbooks it is the sheet row; the header is the
  first non-blank row. Parquet has no rows to point at: record i is row i + 2.
- A record whose every field is blank (an empty line, `,,,`) is skipped, not reported.
- Encoding: a UTF-8 or UTF-16 byte-order mark wins; otherwise strict UTF-8, then strict
  cp1252; bytes valid in neither are fatal `bad_encoding` (no latin-1 fallback, which would
  turn any unknown encoding into mojibake). `encoding=` overrides the detection.
- Files starting with the gzip signature are decompressed whatever their name. A zip or
  Parquet file under a text name, or NUL bytes anywhere, are fatal `unreadable_file`; with
  an explicit encoding the NUL check applies to the decoded text, so UTF-16 without a BOM
  reads with `encoding="utf-16-le"` (the NUL message's hint says so).
- Delimiter: sniffed among `,` `;` tab `|` from the first lines (`.tsv` is always tab).
- Records are split by DuckDB's CSV reader (`io/duck.py`), with the delimiter, `"` as quote
  and as escape, no header and every column as text set explicitly (nothing auto-detected),
  strict CSV rules, and rejected records kept (`store_rejects`). A quote opens a quoted
  value only at the start of a field; inside one, `""` is a literal quote. A quote inside
  an unquoted value (`12" screen`) is text. Text after a closing quote (`"Bo"x`) makes the
  line malformed. CRLF line ends (also inside quoted values) become LF; a CR inside a line
  is text.
- The header is the first line holding anything but blanks, quotes and delimiters; it is
  one line (csv module). Its cell count is the width every record must have.
- Line numbers are counted, not parsed: records cover the non-blank lines in order; a kept
  record covers one line plus one per line break followed by text in its values (counted
  by the engine), a rejected one is placed by the byte offset DuckDB reports.
- A line with the wrong number of fields is excluded and reported (`malformed_row`, with its
  line number). A quote that is never closed would swallow the lines after it: its line is
  reported instead and DuckDB reads again from the next line, so no line vanishes. A quote
  is taken as never closed when its record spans lines but does not fit the header, when
  it is left open to the end of the file, or when a value would span more than
  `MAX_QUOTED_LINES` lines or hold more than `MAX_QUOTED_CHARS` characters (no plausible
  cell does). Each such quote costs one more read of the rest of the file.
- Duplicate header names (compared as `normalise_header` keys): the first keeps its name,
  later ones become `name_2`, `name_3`... with a `duplicate_column` issue. A blank header
  cell becomes `column_<position>`, and is dropped when its column holds no value at all.
- `decimal` is "," when the first rows hold more unmistakable decimal-comma numbers
  (`1,5`, `1.200,50`) than decimal-point ones, else ".".
- `usecols` names are matched by `normalise_header` key (`customer_id` finds
  " Customer ID"); the frame keeps the file's own names. Unmatched names are not an error
  here: the contracts report missing columns.
- Workbook cells: dates become `2024-06-30` (or `2024-06-30T13:45:00` with a time),
  integral numbers `45474`, other numbers their shortest repr, booleans `true`/`false`.
  A cached Excel error (`#N/A`, `#DIV/0!`...) becomes its text and is listed in
  `RawTable.error_cells`, so the checks report it instead of seeing a blank.
  Parquet columns get the same forms; zoned timestamps become UTC (`...T13:45:00Z`).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import gzip
import re
import tempfile
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from csmetrics_cli.io.discover import (
    Source,
    check_workbook,
    excel_errors,
    sheet_names,
    split_name,
)
from csmetrics_cli.io.parse import normalise_header
from csmetrics_cli.problems import Issue, fatal, make_issue


@dataclass
class RawTable:
    """One table as read: string cells, spreadsheet row numbers and reading issues.

    `frame` holds pandas "str" columns (missing = NaN) named as in the file; `rows[i]` is the
    row number of `frame.iloc[i]`; `encoding` is None for workbooks and Parquet.
    """

    source: Source
    frame: pd.DataFrame
    rows: np.ndarray
    issues: list[Issue] = field(default_factory=list)
    encoding: str | None = None
    decimal: str = "."
    # Workbook cells holding an Excel error (`#N/A`): column -> positions in `frame`.
    error_cells: dict[str, list[int]] = field(default_factory=dict)


def read_table(
    source: Source, *, encoding: str | None = None, usecols: Collection[str] | None = None
) -> RawTable:
    """Read `source`; `usecols` keeps only those header names (matched as normalised keys)."""
    parts = split_name(source.path.name)
    ext = parts[1] if parts else ""
    wanted = None if usecols is None else {normalise_header(c) for c in usecols}
    if ext == ".xlsx" or source.sheet is not None:
        return _read_workbook(source, wanted)
    if ext == ".parquet":
        return _read_parquet(source, wanted)
    return _read_text(source, encoding, wanted, tab=ext == ".tsv")


# ---------------------------------------------------------------- shared column handling


@dataclass
class _Columns:
    """Header cells turned into unique names, and which of them to read."""

    names: list[str]
    keep: list[int]
    issues: list[Issue]
    nameless: set[int]


def _columns(header: Sequence[str | None], source: Source, wanted: set[str] | None) -> _Columns:
    """Name every header cell uniquely and pick the wanted ones."""
    names: list[str] = []
    seen: set[str] = set()
    issues: list[Issue] = []
    nameless: set[int] = set()
    for position, cell in enumerate(header, start=1):
        text = cell.lstrip("\ufeff").strip() if isinstance(cell, str) else ""
        if not text:
            nameless.add(position - 1)
        name = text or f"column_{position}"
        if _key(name) in seen:
            issues.append(_duplicate(source, name))
            name = _unused(name, seen)
        seen.add(_key(name))
        names.append(name)
    keep = [i for i, n in enumerate(names) if wanted is None or normalise_header(n) in wanted]
    return _Columns(names, keep, issues, nameless)


def _key(name: str) -> str:
    """Comparison key of a header name; symbols-only names compare as written."""
    return normalise_header(name) or name.casefold()


def _unused(name: str, seen: set[str]) -> str:
    """`name_2`, `name_3`... whichever is free first."""
    number = 2
    while _key(f"{name}_{number}") in seen:
        number += 1
    return f"{name}_{number}"


def _duplicate(source: Source, name: str) -> Issue:
    """The duplicate_column issue for `name`."""
    return make_issue(
        "duplicate_column",
        table=source.table,
        file=source.label,
        column=name,
        excluded=False,
    )


def _clean(
    values: pa.Array | pa.ChunkedArray, *, ascii_only: bool = False
) -> pa.Array | pa.ChunkedArray:
    """Trim surrounding whitespace; empty strings become missing."""
    # The ASCII kernel is several times faster and enough when the file is pure ASCII.
    trim = pc.ascii_trim_whitespace if ascii_only else pc.utf8_trim_whitespace
    trimmed = trim(values)
    lengths = pc.binary_length(trimmed)
    shortest = pc.min(lengths).as_py()
    if shortest is None or shortest > 0:
        return trimmed
    return pc.if_else(pc.equal(lengths, 0), pa.scalar(None, trimmed.type), trimmed)


def _finish(
    source: Source,
    cols: _Columns,
    arrays: list[pa.Array | pa.ChunkedArray],
    rows: np.ndarray,
    issues: list[Issue],
    encoding: str | None,
) -> RawTable:
    """Assemble the RawTable, dropping nameless columns that hold nothing."""
    names: list[str] = []
    kept: list[pa.Array | pa.ChunkedArray] = []
    for index, values in zip(cols.keep, arrays, strict=True):
        if index in cols.nameless and values.null_count == len(values):
            continue
        names.append(cols.names[index])
        kept.append(values)
    # One conversion of the whole table: a pandas Series per column costs too much when an
    # export has thousands of columns.
    if kept:
        frame = pa.table(kept, names=names).to_pandas(types_mapper=_as_str)
    else:
        frame = pd.DataFrame(index=pd.RangeIndex(len(rows)))
    return RawTable(
        source=source,
        frame=frame,
        rows=np.asarray(rows, dtype=np.int64),
        issues=cols.issues + issues,
        encoding=encoding,
        decimal=_detect_decimal(kept),
    )


_STR = pd.Series(dtype="str").dtype


def _as_str(kind: pa.DataType) -> Any:
    """types_mapper for to_pandas: arrow strings become the pandas "str" dtype."""
    return _STR if pa.types.is_string(kind) or pa.types.is_large_string(kind) else None


_EDGE = r"[^\d.,]{0,6}"
# The separators are written as characters: RE2 does not read \u escapes.
_GROUPED = r"\d{1,3}(?:[\s" + "\u00a0\u202f" + r"']\d{3})+"
_COMMA_DECIMAL = re.compile(
    rf"{_EDGE}(?:\d{{1,3}}(?:\.\d{{3}})+,\d+|(?:{_GROUPED}|\d+),(?:\d{{1,2}}|\d{{4,}})){_EDGE}"
)
_POINT_DECIMAL = re.compile(
    rf"{_EDGE}(?:\d{{1,3}}(?:,\d{{3}})+\.\d+|(?:{_GROUPED}|\d+)\.(?:\d{{1,2}}|\d{{4,}})){_EDGE}"
)


def _detect_decimal(arrays: Sequence[pa.Array | pa.ChunkedArray], sample: int = 2000) -> str:
    """ "," when the first rows hold more unmistakable decimal-comma numbers than decimal points."""
    heads = [values.slice(0, sample) for values in arrays]
    chunks = [c for h in heads for c in (h.chunks if isinstance(h, pa.ChunkedArray) else [h])]
    if not chunks:
        return "."
    joined = pa.chunked_array([pc.cast(c, pa.large_string()) for c in chunks]).drop_null()
    # Arrow's compiled regex engine (RE2), anchored: pandas ran these through Python's `re`.
    commas = pc.sum(pc.match_substring_regex(joined, f"^(?:{_COMMA_DECIMAL.pattern})$")).as_py()
    points = pc.sum(pc.match_substring_regex(joined, f"^(?:{_POINT_DECIMAL.pattern})$")).as_py()
    return "," if (commas or 0) > (points or 0) else "."


# ---------------------------------------------------------------- text files: bytes


def _file_bytes(source: Source) -> tuple[bytes, bool]:
    """The file's bytes, decompressed when it carries the gzip signature (then True)."""
    try:
        raw = source.path.read_bytes()
    except OSError as exc:
        raise fatal("unreadable_file", file=source.label, detail=exc.strerror or str(exc)) from exc
    if raw[:2] != b"\x1f\x8b":
        return raw, False
    try:
        return gzip.decompress(raw), True
    except (OSError, EOFError, zlib.error) as exc:
        detail = f"damaged gzip file ({exc})"
        raise fatal("unreadable_file", file=source.label, detail=detail) from exc


_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


_NUL_HINT = (
    "check that it is a CSV, .csv.gz, .xlsx or .parquet export; UTF-16 text without a "
    "byte-order mark needs --encoding utf-16-le (or utf-16-be, or encoding in csm.toml)"
)


def _refuse_binary(raw: bytes, source: Source, *, nul_bytes: bool = True) -> None:
    """Fatal unreadable_file for content that is clearly not text (NUL bytes if asked)."""
    detail, hint = None, None
    if raw.startswith(b"PK\x03\x04"):
        detail = "it is a zip archive (an Excel workbook? name it .xlsx)"
    elif raw.startswith(b"PAR1"):
        detail = "it is a Parquet file (name it .parquet)"
    elif nul_bytes and not raw.startswith(_BOMS[1:]) and b"\0" in raw:
        detail, hint = f"binary content (NUL byte at offset {raw.index(0)})", _NUL_HINT
    if detail is not None:
        raise fatal("unreadable_file", file=source.label, detail=detail, hint=hint)


def _to_utf8(raw: bytes, encoding: str | None, source: Source) -> tuple[bytes, str]:
    """Re-encode the file as UTF-8 without BOM; return it with the encoding used."""
    if encoding is not None:
        return _decode_as(raw, encoding, source).lstrip("\ufeff").encode("utf-8"), encoding
    if raw.startswith(codecs.BOM_UTF8):
        _decode_as(raw, "utf-8", source)
        return raw[len(codecs.BOM_UTF8) :], "utf-8-sig"
    if raw.startswith(_BOMS[1:]):
        return _decode_as(raw, "utf-16", source).lstrip("\ufeff").encode("utf-8"), "utf-16"
    if raw.isascii():
        return raw, "utf-8"
    try:
        raw.decode("utf-8")
        return raw, "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252").encode("utf-8"), "cp1252"
    except UnicodeDecodeError as exc:
        detail = f"UTF-8 or cp1252 text (byte 0x{raw[exc.start]:02x} at offset {exc.start})"
        raise fatal("bad_encoding", file=source.label, detail=detail) from exc


def _decode_as(raw: bytes, encoding: str, source: Source) -> str:
    """Decode strictly; fatal bad_encoding when the bytes do not fit."""
    try:
        return raw.decode(encoding)
    except LookupError as exc:
        detail = f"{encoding} text (no such encoding)"
        raise fatal("bad_encoding", file=source.label, detail=detail) from exc
    except UnicodeDecodeError as exc:
        detail = f"{encoding} text ({exc.reason} at byte offset {exc.start})"
        raise fatal("bad_encoding", file=source.label, detail=detail) from exc


def _blank(data: bytes) -> bool:
    """True when `data` holds nothing but whitespace (stops at the first other byte)."""
    return re.match(rb"\s*\Z", data) is not None


_DELIMITERS = (",", ";", "\t", "|")


def sniff_delimiter(sample: str, lines: int = 50) -> str:
    """The candidate delimiter that splits the first lines most consistently."""
    unquoted = re.sub(r'"[^"]*"', '""', sample)
    kept = pd.Series([s for s in unquoted.splitlines() if s.strip()][:lines], dtype="str")
    if kept.empty:
        return ","
    best, best_score = ",", (0.0, 0)
    for candidate in _DELIMITERS:
        counts = kept.str.count(re.escape(candidate))
        header = int(counts.iloc[0])
        score = (float((counts == header).mean()), header)
        if header and score > best_score:
            best, best_score = candidate, score
    return best


# ---------------------------------------------------------------- text files: parsing

_NEWLINE = 10

# The largest quoted value csm believes is a cell, not a stray quote swallowing the lines
# after it (see docs/decisions.md). Excel holds at most 32,767 characters in a cell.
MAX_QUOTED_LINES = 1_000
MAX_QUOTED_CHARS = 100_000
# DuckDB refuses a record longer than this (a reject, then handled as a runaway quote).
_MAX_RECORD_BYTES = 1 << 25


def _line_ends(data: bytes) -> bytes:
    """LF line ends: CRLF becomes LF, and old-Mac CR ends become LF when no LF exists.

    A CR left inside a line is text, which DuckDB's strict mode refuses: it travels as NUL
    (never in a text file: those are refused) and is put back in the values read.
    """
    if b"\r" not in data:
        return data
    if b"\n" not in data:
        return data.replace(b"\r", b"\n")
    return data.replace(b"\r\n", b"\n").replace(b"\r", _CR_STANDIN)


_CR_STANDIN = b"\0"


@dataclass(frozen=True)
class _Lines:
    """Where each physical line of the text starts; line n (1-based) is `starts[n - 1]`."""

    starts: np.ndarray
    filled: np.ndarray  # 1-based numbers of the lines holding at least one byte
    size: int

    @classmethod
    def of(cls, data: bytes) -> _Lines:
        """Index the lines of `data` (vectorised over its bytes)."""
        buf = np.frombuffer(data, dtype=np.uint8)
        breaks = np.flatnonzero(buf == _NEWLINE)
        starts = np.concatenate([[0], breaks + 1]).astype(np.int64)
        ends = np.append(breaks, len(buf))
        return cls(starts, np.flatnonzero(ends > starts) + 1, len(buf))

    def line_at(self, offsets: np.ndarray) -> np.ndarray:
        """The first line holding a byte at or after each offset (blank lines skipped)."""
        line = np.searchsorted(self.starts, offsets, side="right")
        found = np.searchsorted(self.filled, line)
        return self.filled[np.minimum(found, len(self.filled) - 1)]


def _header_line(data: bytes, lines: _Lines, delimiter: str) -> int | None:
    """The first line holding anything but blanks, quotes and delimiters (None: no such line)."""
    buf = np.frombuffer(data, dtype=np.uint8)
    solid = np.ones(256, dtype=bool)
    solid[[_NEWLINE, 0, ord('"'), ord(" "), ord("\t"), ord(delimiter)]] = False
    found = np.flatnonzero(solid[buf[: 1 << 20]]) if len(buf) else np.zeros(0, np.int64)
    if not len(found):
        found = np.flatnonzero(solid[buf])
    if not len(found):
        return None
    return int(np.searchsorted(lines.starts, found[0], side="right"))


def _header_cells(data: bytes, lines: _Lines, line: int, delimiter: str) -> list[str]:
    """The header line's fields (the header is one line), quotes removed as CSV does."""
    start = int(lines.starts[line - 1])
    stop = int(lines.starts[line]) - 1 if line < len(lines.starts) else lines.size
    text = data[start:stop].decode("utf-8").replace("\0", "\r")
    try:
        return next(csv.reader([text], delimiter=delimiter, strict=False))
    except csv.Error:
        return text.split(delimiter)


def _read_text(
    source: Source, encoding: str | None, wanted: set[str] | None, *, tab: bool
) -> RawTable:
    """Read a delimited text file: bytes checked and transcoded here, records split by DuckDB."""
    raw, compressed = _file_bytes(source)
    if _blank(raw):
        raise fatal("empty_file", table=source.table, file=source.label)
    # With --encoding the NUL check waits for the decoded text: UTF-16 has NUL bytes.
    _refuse_binary(raw, source, nul_bytes=encoding is None)
    data, used = _to_utf8(raw, encoding, source)
    if encoding is not None and b"\0" in data:
        detail = f"NUL characters when decoded as {encoding} (offset {data.index(0)})"
        hint = f"check --encoding: the file does not look like {encoding} text"
        raise fatal("unreadable_file", file=source.label, detail=detail, hint=hint)
    if _blank(data):
        raise fatal("empty_file", table=source.table, file=source.label)
    data = _line_ends(data)
    delimiter = "\t" if tab else sniff_delimiter(data[:65536].decode("utf-8", "replace"))
    lines = _Lines.of(data)
    header = _header_line(data, lines, delimiter)
    if header is None:
        raise fatal("empty_file", table=source.table, file=source.label)
    columns = _columns(_header_cells(data, lines, header, delimiter), source, wanted)
    # DuckDB reads the file itself when csm did not have to change a byte of it. A gzip
    # file is decompressed here anyway (to check its text): DuckDB then reads the plain
    # text from a temporary file, in parallel, which beats decompressing it a second time.
    direct = source.path if data is raw and not compressed else None
    split = _Splitter(data, lines, delimiter, columns, source, direct)
    arrays, rows, issues = split.run(header)
    return _finish(source, columns, arrays, rows, issues, used)


@dataclass
class _Segment:
    """What DuckDB made of the text from one line on: records in order, and its rejects."""

    table: pa.Table  # kept columns, then __span, __lines, __chars, __blank
    reject_start: np.ndarray  # first line of each rejected record
    reject_type: list[str]
    reject_text: list[str]
    reject_found: np.ndarray
    # DuckDB's `line`: the record's place counting records and blank lines between them.
    reject_slot: np.ndarray


class _Splitter:
    """Split a UTF-8 text into records with DuckDB's CSV reader and number them by line.

    DuckDB reads with an explicit delimiter, `"` as quote and escape, strict CSV rules,
    and every rejected record kept (`store_rejects`). A record's line is found by counting:
    records cover the non-blank lines in order, a kept record as many as its values hold
    line breaks before non-blank text (computed by the engine), a rejected one sits on the
    line its byte position points to. The runaway-quote rule is applied to what DuckDB
    returns: the first runaway record is cut to its first line, reported, and DuckDB reads
    again from the next line.
    """

    def __init__(
        self,
        data: bytes,
        lines: _Lines,
        delimiter: str,
        columns: _Columns,
        source: Source,
        direct: Path | None,
    ) -> None:
        self.data, self.lines, self.delimiter = data, lines, delimiter
        self.columns, self.source, self.direct = columns, source, direct
        self.width = len(columns.names)
        self.quoted = b'"' in data
        self.carriage = _CR_STANDIN in data
        self.ascii_only = data.isascii()

    def run(self, header: int) -> tuple[list[pa.Array | pa.ChunkedArray], np.ndarray, list[Issue]]:
        """Every kept record's cells (by kept column), line numbers, and malformed lines."""
        pieces: list[pa.Table] = []
        rows: list[np.ndarray] = []
        issues: list[tuple[int, str]] = []
        start = 1
        with tempfile.TemporaryDirectory(prefix="csm-read-") as folder:
            while start <= len(self.lines.starts):
                segment = self._read(start, Path(folder))
                table, lines, bad, cut = self._number(segment, start)
                # Records come in file order: those up to the header are a prefix.
                skip = _first(lines > header)
                pieces.append(table.slice(skip))
                rows.append(lines[skip:])
                issues += [(line, text) for line, text in bad if line > header]
                if cut is None:
                    break
                if cut[0] > header:
                    issues.append(cut)
                start = cut[0] + 1
        combined = pa.concat_tables(pieces)
        arrays = [self._cells(combined.column(f"c{i}")) for i in self.columns.keep]
        lines = np.concatenate(rows)
        # A record is blank when every cell is: its unread cells are judged by DuckDB.
        blank = combined.column("__blank").to_numpy(zero_copy_only=False).astype(bool)
        if blank.any() and all(a.null_count for a in arrays):
            for values in arrays:
                blank &= pc.is_null(values).to_numpy(zero_copy_only=False)
            if blank.any():
                keep = pa.array(~blank)
                arrays, lines = [a.filter(keep) for a in arrays], lines[~blank]
        found = [
            make_issue(
                "malformed_row",
                table=self.source.table,
                file=self.source.label,
                row=line,
                detail=detail,
            )
            for line, detail in sorted(issues)
        ]
        return arrays, lines, found

    def _cells(self, values: pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
        """One column's cells: CRs put back, trimmed, blanks missing."""
        if self.carriage:
            values = pc.replace_substring(values, "\0", "\r")
        return _clean(values, ascii_only=self.ascii_only)

    def _source_file(self, start: int, folder: Path) -> Path:
        """A file DuckDB can read holding the text from line `start` on."""
        if start == 1 and self.direct is not None:
            return self.direct
        path = folder / f"from-{start}.csv"
        path.write_bytes(memoryview(self.data)[int(self.lines.starts[start - 1]) :])
        return path

    def _read(self, start: int, folder: Path) -> _Segment:
        """Run DuckDB's CSV reader over the text from line `start` on."""
        from csmetrics_cli.io.duck import connect, quote_literal, reraise_interrupt

        path = self._source_file(start, folder)
        offset = int(self.lines.starts[start - 1])
        names = [f"c{i}" for i in range(self.width)]
        types = ", ".join(f"'{n}': 'VARCHAR'" for n in names)
        delim = quote_literal(self.delimiter)
        reader = (
            f"read_csv({quote_literal(str(path))}, delim={delim}, quote='\"', escape='\"', "
            f"header=false, auto_detect=false, strict_mode=true, new_line='\\n', "
            f"ignore_errors=true, store_rejects=true, rejects_limit=0, "
            f"max_line_size={_MAX_RECORD_BYTES}, columns={{{types}}})"
        )
        unread = [n for i, n in enumerate(names) if i not in set(self.columns.keep)]
        every = ", ".join(f"coalesce({n}, '')" for n in unread)
        blank = f"regexp_full_match(concat({every}), '[\\s\\x00]*')" if unread else "true"
        if self.quoted:
            # Line breaks followed by text: how many non-blank lines a record covers.
            # Only a cell holding a line break is measured (contains() is a memchr).
            multi = [f"coalesce(contains({n}, chr(10)), false)" for n in names]
            spans = [f"CASE WHEN {m} THEN len(regexp_extract_all({n}, '\\n([^\\n]|$)')) ELSE 0 END"
                     for m, n in zip(multi, names, strict=True)]  # fmt: skip
            breaks = [f"CASE WHEN {m} THEN len({n}) - len(replace({n}, chr(10), '')) ELSE 0 END"
                      for m, n in zip(multi, names, strict=True)]  # fmt: skip
            sizes = [f"coalesce(len({n}), 0)" for n in names]
            measures = (
                f"1 + {' + '.join(spans)} AS __span, 1 + greatest({', '.join(breaks)}) AS __lines, "
                f"{' + '.join(breaks)} AS __breaks, greatest({', '.join(sizes)}) AS __chars"
            )
        else:
            measures = "1 AS __span, 1 AS __lines, 0 AS __breaks, 0 AS __chars"
        kept = "".join(f"c{i}, " for i in self.columns.keep)
        query = f"SELECT {kept}{measures}, {blank} AS __blank FROM {reader}"
        con = connect()
        try:
            table = con.sql(query).to_arrow_table()
            rejects = con.sql(
                "SELECT min(line_byte_position), any_value(error_type) AS kind, "
                "any_value(csv_line) AS text, "
                "min(CASE WHEN error_type = 'MISSING COLUMNS' THEN column_idx END) AS missing, "
                "count(*) FILTER (WHERE error_type = 'TOO MANY COLUMNS') AS extra, line "
                "FROM reject_errors GROUP BY line ORDER BY line"
            ).fetchall()
        except Exception as exc:  # duckdb raises its own error types for files it cannot parse
            reraise_interrupt(exc)
            raise fatal("unreadable_file", file=self.source.label, detail=str(exc)) from exc
        finally:
            con.close()
        text = [str(r[2] or "") for r in rejects]
        # A rejected record's text may begin with the blank lines before it.
        lead = np.array([len(t) - len(t.lstrip("\n")) for t in text], dtype=np.int64)
        position = np.array([r[0] for r in rejects], dtype=np.int64) - 1 + lead + offset
        # DuckDB lists a short record once per missing field, a long one per extra field.
        found = np.array(
            [r[3] if r[3] is not None else self.width + int(r[4]) for r in rejects], np.int64
        )
        return _Segment(
            table=table,
            reject_start=self.lines.line_at(position) if len(rejects) else position,
            reject_type=[str(r[1]) for r in rejects],
            reject_text=[t.lstrip("\n") for t in text],
            reject_found=found,
            reject_slot=np.array([r[5] for r in rejects], dtype=np.int64),
        )

    def _number(
        self, segment: _Segment, start: int
    ) -> tuple[pa.Table, np.ndarray, list[tuple[int, str]], tuple[int, str] | None]:
        """Line numbers of the segment's records, its malformed lines, and the first runaway.

        Records after the first runaway are dropped: the next segment reads them again.
        """
        span = segment.table.column("__span").to_numpy(zero_copy_only=False).astype(np.int64)
        breaks = segment.table.column("__breaks").to_numpy(zero_copy_only=False)
        # Blank lines inside each record's quoted values (they are not slots of their own).
        inner = np.concatenate([[0], np.cumsum(1 + breaks.astype(np.int64) - span)])
        lines = self._place(span, segment.reject_start, start)
        wrong = self._misplaced(segment, lines, inner, start)
        forced = None
        if wrong is not None:
            # DuckDB's byte offset was off: place the record by its slot, cut there.
            good = segment.reject_start[:wrong]
            lines = self._place(span, good, start)
            line = self._by_slot(segment.reject_slot[wrong], wrong, lines, span, breaks, inner,
                                 good, start)  # fmt: skip
            kind = segment.reject_type[wrong]
            detail = _reject_detail(segment, wrong, self.width)
            forced = (line, "unclosed quote" if kind == "UNQUOTED VALUE" else detail)
            segment = _Segment(
                segment.table, good, segment.reject_type[:wrong], segment.reject_text[:wrong],
                segment.reject_found[:wrong], segment.reject_slot[:wrong],
            )  # fmt: skip
        rejected = segment.reject_start
        cut = self._runaway(segment, lines)
        if forced is not None and (cut is None or forced < cut):
            cut = forced
        filled = int(np.count_nonzero(self.lines.filled >= start))
        if cut is None and int(np.sum(span)) + len(rejected) != filled:
            # The records do not cover the lines exactly: a reject swallowed lines that
            # DuckDB did not say. Cut at the first reject; the lines after it are read again.
            if not len(rejected):
                raise fatal(
                    "unreadable_file", file=self.source.label,
                    detail="csm could not number its lines (please report this file's layout)",
                )  # fmt: skip
            kind = segment.reject_type[0]
            detail = _reject_detail(segment, 0, self.width)
            cut = (int(rejected[0]), "unclosed quote" if kind == "UNQUOTED VALUE" else detail)
        # Records come in file order, so the ones before the cut are a prefix.
        kept = len(lines) if cut is None else _first(lines >= cut[0])
        bad = [
            (int(line), _reject_detail(segment, k, self.width))
            for k, line in enumerate(rejected)
            if (cut is None or line < cut[0]) and not self._blank_text(segment.reject_text[k])
        ]
        return segment.table.slice(0, kept), lines[:kept], bad, cut

    def _place(self, span: np.ndarray, rejected: np.ndarray, start: int) -> np.ndarray:
        """Kept records' first lines: they fill the non-blank lines rejects leave, in order."""
        filled = self.lines.filled[self.lines.filled >= start]
        free = filled[~np.isin(filled, rejected)]
        first = np.cumsum(span) - span
        # Past a runaway record the count is meaningless; those records are read again.
        return free[np.minimum(first, len(free) - 1)] if len(free) else 0 * first

    def _blank_before(self, start: int, line: np.ndarray) -> np.ndarray:
        """How many blank lines lie in [start, line)."""
        filled = self.lines.filled
        return (line - start) - (np.searchsorted(filled, line) - np.searchsorted(filled, start))

    def _misplaced(
        self, segment: _Segment, lines: np.ndarray, inner: np.ndarray, start: int
    ) -> int | None:
        """The first reject whose line disagrees with DuckDB's slot for it (None: all agree).

        A record's slot is 1 + the records and the blank lines outside values before it.
        """
        if not len(segment.reject_start):
            return None
        at = segment.reject_start
        before = np.searchsorted(lines, at) if len(lines) else np.zeros(len(at), np.int64)
        slot = np.arange(len(at)) + before + self._blank_before(start, at) - inner[before] + 1
        wrong = np.flatnonzero(slot != segment.reject_slot)
        return int(wrong[0]) if len(wrong) else None

    def _by_slot(
        self, slot: int, index: int, lines: np.ndarray, span: np.ndarray, breaks: np.ndarray,
        inner: np.ndarray, good: np.ndarray, start: int,
    ) -> int:  # fmt: skip
        """The first line of the `index`-th reject, found from its slot alone.

        With g kept records before it, it starts on the first non-blank line after them
        (and after the rejects before it); its slot is then g + index + the blank lines
        outside values before it + 1, which grows with g: a binary search finds g.
        """
        count = np.arange(len(lines) + 1)
        ends = np.concatenate([[start], lines + 1 + breaks.astype(np.int64)])
        after = np.maximum(ends, int(good[-1]) + 1 if len(good) else start)
        filled = self.lines.filled
        line = filled[np.minimum(np.searchsorted(filled, after), len(filled) - 1)]
        slots = count + index + self._blank_before(start, line) - inner[count] + 1
        g = int(np.searchsorted(slots, slot))
        if g >= len(slots) or slots[g] != slot:
            raise fatal(
                "unreadable_file", file=self.source.label,
                detail="csm could not number its lines (please report this file's layout)",
            )  # fmt: skip
        return int(line[g])

    def _runaway(self, segment: _Segment, lines: np.ndarray) -> tuple[int, str] | None:
        """The first record broken by a quote that is never closed: (line, why).

        DuckDB ends a quoted value only at a closing quote, so an unclosed one shows as a
        rejected record spanning lines (or one left open on the last line), or as a kept
        record with an implausibly long value (MAX_QUOTED_LINES, MAX_QUOTED_CHARS).
        """
        found: list[tuple[int, str]] = []
        last = int(self.lines.filled[-1])
        for k, line in enumerate(segment.reject_start):
            text, kind = segment.reject_text[k].rstrip("\n"), segment.reject_type[k]
            spanned = text.count("\n") + 1
            if kind == "LINE SIZE OVER MAXIMUM":
                found.append((int(line), _runaway_detail(True, spanned, _MAX_RECORD_BYTES)))
            elif spanned > 1 or (kind == "UNQUOTED VALUE" and int(line) == last):
                to_end = kind == "UNQUOTED VALUE" and int(line) + spanned - 1 >= last
                found.append((int(line), _runaway_detail(not to_end, spanned, len(text))))
            if found:
                break
        if self.quoted and len(lines):
            longest = segment.table.column("__lines").to_numpy(zero_copy_only=False)
            chars = segment.table.column("__chars").to_numpy(zero_copy_only=False)
            over = np.flatnonzero((longest > MAX_QUOTED_LINES) | (chars > MAX_QUOTED_CHARS))
            if len(over):
                k = int(over[0])
                found.append((int(lines[k]), _runaway_detail(True, int(longest[k]), int(chars[k]))))
        return min(found) if found else None

    def _blank_text(self, text: str) -> bool:
        """True when a rejected record holds nothing but blanks, quotes and delimiters."""
        return not text.replace(self.delimiter, "").replace('"', "").replace("\0", "").strip()


def _first(flags: np.ndarray) -> int:
    """Index of the first true flag, or len(flags) when none is."""
    return int(np.argmax(flags)) if flags.any() else len(flags)


def _runaway_detail(closed: bool, lines: int, chars: int) -> str:
    """Why a quoted value was judged unclosed, for the malformed_row message."""
    if not closed:
        return "unclosed quote (the quoted value runs to the end of the file)"
    if lines > MAX_QUOTED_LINES:
        return (
            f"unclosed quote (the quoted value would span {lines:,} lines; "
            f"a cell may span at most {MAX_QUOTED_LINES:,})"
        )
    if chars > MAX_QUOTED_CHARS:
        return (
            f"unclosed quote (the quoted value would be {chars:,} characters long; "
            f"a cell may hold at most {MAX_QUOTED_CHARS:,})"
        )
    return "unclosed quote"


def _reject_detail(segment: _Segment, k: int, width: int) -> str:
    """Why DuckDB rejected a one-line record: its field count, or a quote inside a value."""
    if segment.reject_type[k] in ("MISSING COLUMNS", "TOO MANY COLUMNS"):
        return _count_detail(width, int(segment.reject_found[k]))
    return "stray quote (text after a closing quote)"


def _count_detail(expected: int, found: int) -> str:
    """Message detail for a line with the wrong number of fields."""
    return f"expected {expected} fields, found {int(found)}"


# ---------------------------------------------------------------- workbooks


def _read_workbook(source: Source, wanted: set[str] | None) -> RawTable:
    """Read one sheet with calamine; cells become the package's string forms."""
    sheet = source.sheet if source.sheet is not None else _default_sheet(source)
    check_workbook(source.path, label=source.label)
    try:
        grid = pd.read_excel(
            source.path, sheet_name=sheet, header=None, dtype=object, engine="calamine"
        )
    except Exception as exc:  # calamine raises several unrelated types for corrupt books
        raise fatal(
            "unreadable_file", file=source.label, detail=str(exc) or type(exc).__name__
        ) from exc
    cells = pd.DataFrame({c: _cells_to_str(grid[c]) for c in grid.columns})
    # calamine hands error cells over as blanks: put their error text back, and remember them.
    errors = [e for e in excel_errors(source.path, sheet) if e[0] < len(cells)]
    for row, col, text in errors:
        if col >= len(cells.columns):
            cells[len(cells.columns)] = pd.Series(None, index=cells.index, dtype=object)
        cells.iat[row, col] = text
    filled = np.flatnonzero(cells.notna().any(axis=1).to_numpy())
    if not len(filled):
        raise fatal("empty_file", table=source.table, file=source.label)
    header = int(filled[0])
    columns = _columns(list(cells.iloc[header]), source, wanted)
    body = filled[filled > header]
    arrays = [
        pa.array(cells.iloc[body, i], type=pa.string(), from_pandas=True) for i in columns.keep
    ]
    table = _finish(source, columns, arrays, body + 1, [], None)
    for row, col, _text in errors:
        name = columns.names[col] if col < len(columns.names) else None
        if row > header and name is not None and name in table.frame.columns:
            table.error_cells.setdefault(name, []).append(int(np.searchsorted(body, row)))
    return table


def _default_sheet(source: Source) -> str | int:
    """The sheet named after the table if there is one, else the first."""
    for name in sheet_names(source.path, label=source.label):
        if name.strip().lower() == source.table:
            return name
    return 0


def _cells_to_str(column: pd.Series) -> pd.Series:
    """Workbook cells of mixed Python types as trimmed strings (None for blank)."""
    kinds = column.map(type)
    out = pd.Series(None, index=column.index, dtype=object)
    text = kinds.isin([str])
    out[text] = column[text]
    for kind, convert in _CELL_CONVERTERS.items():
        mask = kinds.isin(kind)
        if mask.any():
            out[mask] = convert(column[mask])
    other = out.isna() & column.notna() & ~kinds.isin([float])
    out[other] = column[other].astype(str)
    strings = out.astype("str").str.strip()
    return strings.where(strings != "", None)


def _floats_to_str(values: pd.Series) -> pd.Series:
    """Integral floats as integers (`45474`), others as their shortest repr; NaN stays blank."""
    numbers = values.astype("float64")
    integral = np.isfinite(numbers) & (numbers == np.round(numbers)) & (numbers.abs() < 2**53)
    out = numbers.astype(str).astype(object)
    out[integral] = numbers[integral].astype(np.int64).astype(str)
    out[numbers.isna()] = None
    return out


def _datetimes_to_str(values: pd.Series) -> pd.Series:
    """ISO dates, with `THH:MM:SS` only when the time of day is not midnight."""
    stamps = pd.to_datetime(values).dt.round("s")
    midnight = stamps == stamps.dt.normalize()
    return stamps.dt.strftime("%Y-%m-%dT%H:%M:%S").where(~midnight, stamps.dt.strftime("%Y-%m-%d"))


def _bools_to_str(values: pd.Series) -> pd.Series:
    """Booleans as `true` / `false`."""
    return pd.Series(np.where(values.astype(bool), "true", "false"), index=values.index)


_CELL_CONVERTERS: dict[tuple[type, ...], Callable[[pd.Series], pd.Series]] = {
    (float,): _floats_to_str,
    (int,): lambda v: v.astype(str),
    (bool,): _bools_to_str,
    (pd.Timestamp, dt.datetime, dt.date): _datetimes_to_str,
}


# ---------------------------------------------------------------- parquet


def _read_parquet(source: Source, wanted: set[str] | None) -> RawTable:
    """Read a Parquet file; every column is converted to the package's string forms."""
    try:
        parquet = pq.ParquetFile(source.path)
        columns = _columns(parquet.schema_arrow.names, source, wanted)
        table = parquet.read(columns=[parquet.schema_arrow.names[i] for i in columns.keep])
    except (pa.ArrowException, OSError) as exc:
        raise fatal("unreadable_file", file=source.label, detail=str(exc)) from exc
    arrays = [
        _clean(_arrow_to_str(table.column(i).combine_chunks())) for i in range(table.num_columns)
    ]
    rows = np.arange(2, parquet.metadata.num_rows + 2, dtype=np.int64)
    return _finish(source, columns, arrays, rows, [], None)


def _arrow_to_str(values: pa.Array) -> pa.Array:
    """One Parquet column as strings in the same forms a workbook gives."""
    kind = values.type
    if pa.types.is_dictionary(kind):
        return _arrow_to_str(values.dictionary_decode())
    if pa.types.is_floating(kind):
        return pa.array(_floats_to_str(values.to_pandas()).to_numpy(dtype=object), pa.string())
    if pa.types.is_boolean(kind):
        return pc.if_else(values, "true", "false")
    if pa.types.is_timestamp(kind):
        return _timestamps_to_str(values)
    try:
        return pc.cast(values, pa.string())
    except pa.ArrowNotImplementedError:
        return pa.array(values.to_pandas().astype(str).to_numpy(dtype=object), pa.string())


def _timestamps_to_str(values: pa.Array) -> pa.Array:
    """Timestamps as ISO; zoned ones in UTC with `Z`, naive midnights as plain dates."""
    zoned = values.type.tz is not None
    seconds = pc.cast(values, pa.timestamp("s"), safe=False)
    full = pc.strftime(seconds, "%Y-%m-%dT%H:%M:%SZ" if zoned else "%Y-%m-%dT%H:%M:%S")
    if zoned:
        return full
    day = pc.strftime(seconds, "%Y-%m-%d")
    midnight = pc.equal(pc.floor_temporal(seconds, unit="day"), seconds)
    return pc.if_else(midnight, day, full)
