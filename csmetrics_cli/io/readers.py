"""Read one table into a frame of strings: CSV/TSV/TXT (plain or gzipped), XLSX and Parquet.

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
- Quotes follow the usual CSV rule: a quote opens a quoted value only at the start of a
  field; inside one, `""` is a literal quote and a lone quote closes it. A quote inside an
  unquoted value (`12" screen`) is kept as text.
- Files over 1 MB whose records are all one line are split by pyarrow's multi-threaded
  reader; anything else (multi-line values, unclosed quotes) by a vectorised scan with the
  same rules. They agree except on a line whose quoting is broken by a quote opening a
  field inside an already quoted value: pyarrow closes the value there and keeps the line,
  the scan reports it.
- A line with the wrong number of fields is excluded and reported (`malformed_row`, with its
  line number). A quote that is never closed would swallow the lines after it: its line is
  reported instead and reading resumes on the next line, so no line vanishes. A quote is
  taken as never closed when its record spans lines but does not fit the header, when its
  value runs to the end of the file, or when its value would span more than
  `MAX_QUOTED_LINES` lines or `MAX_QUOTED_CHARS` characters (no plausible cell does).
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
import datetime as dt
import gzip
import re
import zlib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
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
_GROUPED = r"\d{1,3}(?:[\s\u00a0\u202f']\d{3})+"
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
    values = pd.Series(joined.to_numpy(zero_copy_only=False), dtype="str")
    commas = int(values.str.fullmatch(_COMMA_DECIMAL).sum())
    points = int(values.str.fullmatch(_POINT_DECIMAL).sum())
    return "," if commas > points else "."


# ---------------------------------------------------------------- text files: bytes


def _read_text(
    source: Source, encoding: str | None, wanted: set[str] | None, *, tab: bool
) -> RawTable:
    """Read a delimited text file."""
    raw = _file_bytes(source)
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
    text = _Text.of(data)
    delimiter = "\t" if tab else _sniff_delimiter(data[:65536].decode("utf-8", "replace"))
    parsed = _parse_delimited(text, delimiter, source, wanted)
    return _finish(source, parsed.columns, parsed.arrays, parsed.rows, parsed.issues, used)


def _file_bytes(source: Source) -> bytes:
    """The file's bytes, decompressed when it carries the gzip signature."""
    try:
        raw = source.path.read_bytes()
    except OSError as exc:
        raise fatal("unreadable_file", file=source.label, detail=exc.strerror or str(exc)) from exc
    if raw[:2] != b"\x1f\x8b":
        return raw
    try:
        return gzip.decompress(raw)
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


@dataclass(frozen=True)
class _Text:
    """UTF-8 text of a file; `end` excludes trailing line ends, which hold no record."""

    data: bytes
    end: int
    ascii_only: bool

    @classmethod
    def of(cls, data: bytes) -> _Text:
        """Wrap `data`, turning old-Mac CR line ends into LF."""
        if b"\n" not in data and b"\r" in data:
            data = data.replace(b"\r", b"\n")
        end = len(data)
        while end and data[end - 1] in b"\r\n":
            end -= 1
        return cls(data, end, data.isascii())

    @property
    def buf(self) -> np.ndarray:
        """The bytes as a numpy array (no copy)."""
        return np.frombuffer(self.data, dtype=np.uint8, count=self.end)


_DELIMITERS = (",", ";", "\t", "|")


def _sniff_delimiter(sample: str, lines: int = 50) -> str:
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


@dataclass
class _Parsed:
    """Result of splitting a delimited text into columns."""

    columns: _Columns
    arrays: list[pa.Array | pa.ChunkedArray]
    rows: np.ndarray
    issues: list[Issue]


def _parse_delimited(
    text: _Text, delimiter: str, source: Source, wanted: set[str] | None
) -> _Parsed:
    """Split the text into columns: pyarrow when the file is clean, else the careful scan."""
    buf = text.buf
    prefix = _prefix(text)
    head = _scan(buf[:prefix], ord(delimiter)) if prefix < text.end else None
    if head is not None and head.header is not None and head.header < len(head.start) - 1:
        columns = _columns(head.field_strings(buf, head.header), source, wanted)
        fast = _fast_parse(text, delimiter, head, columns, source)
        if fast is not None:
            return fast
    scan = _scan(buf, ord(delimiter))
    if scan.header is None:
        raise fatal("empty_file", table=source.table, file=source.label)
    columns = _columns(scan.field_strings(buf, scan.header), source, wanted)
    return _careful_parse(text, scan, columns, source)


def _prefix(text: _Text, size: int = 1 << 20) -> int:
    """Length of a leading chunk of whole lines, enough to find the header quickly."""
    if text.end <= size:
        return text.end
    cut = text.data.rfind(b"\n", 0, size)
    return cut if cut > 0 else text.end


def _fast_parse(
    text: _Text, delimiter: str, head: _Scan, columns: _Columns, source: Source
) -> _Parsed | None:
    """pyarrow's multi-threaded reader; None when the file needs the careful scan."""
    assert head.header is not None
    offset = int(head.end[head.header]) + 1
    # pyarrow also ends lines at a lone CR, which the scan (and editors) keep as text.
    # It also accepts a quote left open on the last line, which the scan reports.
    if _lone_cr(text, offset) or _open_at_end(text, delimiter):
        return None
    read = _arrow_read(text, offset, delimiter, columns, threads=True)
    if read is not None and read[1]:
        # Only the single-threaded reader numbers the rows it rejects.
        read = _arrow_read(text, offset, delimiter, columns, threads=False)
    if read is None:
        return None
    table, invalid = read
    first = int(head.last_line[head.header]) + 1
    lines = _line_rows(text, offset, first, table.num_rows + len(invalid))
    if lines is None:
        return None
    rejected = np.array([row.number - 1 for row in invalid], dtype=np.int64)
    issues = [
        make_issue(
            "malformed_row",
            table=source.table,
            file=source.label,
            row=int(lines[k]),
            detail=_count_detail(row.expected_columns, row.actual_columns),
        )
        for k, row in zip(rejected, invalid, strict=True)
        if not _blank_line(row.text, delimiter)
    ]
    rows = np.delete(lines, rejected)
    arrays = [_clean(table.column(i), ascii_only=text.ascii_only) for i in range(len(columns.keep))]
    if any(_longest(values) > MAX_QUOTED_CHARS for values in arrays):
        return None  # the scan decides whether an over-long value is a stray quote
    blank = _blank_rows(arrays)
    if blank.any():
        # With columns left unread, a row blank here may hold values elsewhere.
        if len(columns.keep) < len(columns.names):
            return None
        keep = pa.array(~blank)
        arrays, rows = [a.filter(keep) for a in arrays], rows[~blank]
    return _Parsed(columns, arrays, rows, issues)


def _arrow_read(
    text: _Text, offset: int, delimiter: str, columns: _Columns, *, threads: bool
) -> tuple[pa.Table, list[Any]] | None:
    """Parse the body with pyarrow: the table and the rows it rejected, or None on failure."""
    placeholder = [f"f{i}" for i in range(len(columns.names))]
    invalid: list[Any] = []
    options = (
        pacsv.ReadOptions(column_names=placeholder, use_threads=threads),
        pacsv.ParseOptions(
            delimiter=delimiter,
            newlines_in_values=text.data.find(b'"', offset, text.end) >= 0,
            invalid_row_handler=partial(_skip_invalid, invalid),
        ),
        pacsv.ConvertOptions(
            include_columns=[placeholder[i] for i in columns.keep or [0]],
            column_types=dict.fromkeys(placeholder, pa.string()),
            null_values=[""],
            strings_can_be_null=True,
            quoted_strings_can_be_null=True,
        ),
    )
    body = pa.BufferReader(pa.py_buffer(text.data)[offset : text.end])
    try:
        return pacsv.read_csv(body, *options), invalid
    except pa.ArrowException:
        return None


def _open_at_end(text: _Text, delimiter: str) -> bool:
    """True when the last line leaves a quoted value open."""
    start = text.data.rfind(b"\n", 0, text.end) + 1
    if text.data.find(b'"', start, text.end) < 0:
        return False
    state = _quote_events(text.buf[start:], ord(delimiter)).with_resets([])
    return bool(len(state.after) and state.after[-1])


def _longest(values: pa.Array | pa.ChunkedArray) -> int:
    """Length in characters of the longest value (0 when all are missing)."""
    longest = pc.max(pc.utf8_length(values)).as_py()
    return int(longest or 0)


def _lone_cr(text: _Text, offset: int) -> bool:
    """True when a CR after `offset` is not followed by LF."""
    data, end = text.data, text.end
    if data.find(b"\r", offset, end) < 0:
        return False
    return data.count(b"\r", offset, end) != data.count(b"\r\n", offset, end)


def _line_rows(text: _Text, offset: int, first: int, count: int) -> np.ndarray | None:
    """Line numbers of `count` records after `offset` if each is one non-empty line, else None.

    pyarrow skips empty lines; when its record count equals the non-empty line count, no
    record spans lines (a multi-line one covers two non-empty lines at least).
    """
    lines = text.data.count(b"\n", offset, text.end) + 1
    if count == lines:
        return np.arange(first, first + count, dtype=np.int64)
    body = text.buf[offset:]
    breaks = np.flatnonzero(body == _NEWLINE)
    starts = np.concatenate([[0], breaks + 1])
    size = np.concatenate([breaks, [len(body)]]) - starts
    lone_cr = body[np.minimum(starts, len(body) - 1)] == _CR
    filled = np.flatnonzero((size > 1) | ((size == 1) & ~lone_cr))
    return first + filled if len(filled) == count else None


def _blank_line(line: str, delimiter: str) -> bool:
    """True when a line rejected by pyarrow holds no value, by the careful scan's rules."""
    return _scan(np.frombuffer(line.encode("utf-8"), dtype=np.uint8), ord(delimiter)).header is None


def _skip_invalid(seen: list[Any], row: Any) -> str:
    """pyarrow invalid-row handler: note the row and skip it."""
    seen.append(row)
    return "skip"


def _blank_rows(arrays: list[pa.Array | pa.ChunkedArray]) -> np.ndarray:
    """Rows missing in every array (all False when there is no array)."""
    if not arrays:
        return np.zeros(0, dtype=bool)
    blank = pc.is_null(arrays[0])
    for values in arrays[1:]:
        blank = pc.and_(blank, pc.is_null(values))
    return np.asarray(blank.to_numpy(zero_copy_only=False), dtype=bool)


def _careful_parse(text: _Text, scan: _Scan, columns: _Columns, source: Source) -> _Parsed:
    """Columns from the careful scan, with every malformed line reported."""
    assert scan.header is not None
    width = int(scan.fields[scan.header])
    after = np.arange(len(scan.start)) > scan.header
    data_records = after & scan.content
    bad = data_records & ((scan.fields != width) | scan.stray)
    good = np.flatnonzero(data_records & ~bad)
    issues = [
        make_issue(
            "malformed_row",
            table=source.table,
            file=source.label,
            row=int(scan.line[i]),
            detail=(
                scan.reasons[int(scan.end[i])]
                if scan.stray[i]
                else _count_detail(width, scan.fields[i])
            ),
        )
        for i in np.flatnonzero(bad)
    ]
    separators = scan.separators(good, width)
    data = pa.py_buffer(text.data)
    arrays: list[pa.Array | pa.ChunkedArray] = []
    # Columns are cut in groups of about a million cells: one pass per column would make
    # a wide export slow, one pass for the whole table would take too much memory.
    group = max(1, _GROUP_CELLS // max(len(good), 1))
    for first in range(0, len(columns.keep), group):
        chosen = columns.keep[first : first + group]
        bounds = [scan.column(good, separators, j) for j in chosen]
        starts = np.concatenate([b[0] for b in bounds])
        ends = np.concatenate([b[1] for b in bounds])
        cells = _clean(_unquote(_slices(data, starts, ends)), ascii_only=text.ascii_only)
        arrays += [cells.slice(k * len(good), len(good)) for k in range(len(chosen))]
    return _Parsed(columns, arrays, scan.line[good].astype(np.int64), issues)


_GROUP_CELLS = 1 << 20


def _count_detail(expected: int, found: int) -> str:
    """Message detail for a line with the wrong number of fields."""
    return f"expected {expected} fields, found {int(found)}"


def _slices(data: pa.Buffer, starts: np.ndarray, ends: np.ndarray) -> pa.Array:
    """The strings data[starts[i]:ends[i]], built from offsets without a Python loop."""
    count = len(starts)
    if count == 0:
        return pa.array([], type=pa.large_string())
    # Interleaved offsets describe value, gap, value, gap...; the even values are the fields.
    offsets = np.empty(2 * count + 1, dtype=np.int64)
    offsets[0:-1:2] = starts
    offsets[1::2] = ends
    offsets[-1] = ends[-1]
    pieces = pa.Array.from_buffers(
        pa.large_string(), 2 * count, [None, pa.py_buffer(offsets), data]
    )
    return pieces.take(pa.array(np.arange(0, 2 * count, 2)))


_QUOTED = r'^"(?P<inner>(?:[^"]|"")*)"?(?P<rest>(?s:.*))$'


def _unquote(values: pa.Array) -> pa.Array:
    """Remove CSV quoting from the values whose first byte is a quote (as pyarrow does)."""
    quoted = pc.fill_null(pc.starts_with(values, '"'), False)
    if not pc.any(quoted).as_py():
        return values
    parts = pc.extract_regex(pc.filter(values, quoted), _QUOTED)
    inner = pc.replace_substring(parts.field("inner"), '""', '"')
    joined = pc.binary_join_element_wise(inner, parts.field("rest"), pa.scalar("", inner.type))
    return pc.replace_with_mask(values, quoted, joined)


# ---------------------------------------------------------------- the careful scan

_NEWLINE, _QUOTE, _CR = 10, 34, 13

# The largest quoted value csm believes is a cell, not a stray quote swallowing the lines
# after it (see docs/decisions.md). Excel holds at most 32,767 characters in a cell.
MAX_QUOTED_LINES = 1_000
MAX_QUOTED_CHARS = 100_000


@dataclass
class _Scan:
    """Records of a delimited text found with vectorised quote tracking.

    `start`/`end` are byte offsets of each record (end = its newline or the end of data),
    `line` the 1-based line it starts on, `fields` its field count, `content` whether any
    field is non-blank, `stray` whether it is the first line of a never-closed quote.
    """

    start: np.ndarray
    end: np.ndarray
    line: np.ndarray
    last_line: np.ndarray
    fields: np.ndarray
    content: np.ndarray
    stray: np.ndarray
    delims: np.ndarray
    header: int | None
    reasons: dict[int, str] = field(default_factory=dict)  # cut record's end -> why

    def lines_in(self, record: int) -> int:
        """How many extra lines record `record` spans beyond its first."""
        return int(self.last_line[record] - self.line[record])

    def separators(self, records: np.ndarray, width: int) -> np.ndarray:
        """Delimiter offsets of records with `width` fields, shape (len(records), width - 1)."""
        chosen = np.zeros(len(self.start), dtype=bool)
        chosen[records] = True
        return self.delims[np.repeat(chosen, self.fields - 1)].reshape(len(records), width - 1)

    def column(
        self, records: np.ndarray, separators: np.ndarray, j: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """(starts, ends) byte offsets of field `j` of each record."""
        starts = self.start[records] if j == 0 else separators[:, j - 1] + 1
        ends = self.end[records] if j == separators.shape[1] else separators[:, j]
        return starts, ends

    def field_strings(self, buf: np.ndarray, record: int) -> list[str | None]:
        """The unquoted, trimmed fields of one record (the header)."""
        inner = self.separators(np.array([record]), int(self.fields[record]))[0]
        starts = np.concatenate([[self.start[record]], inner + 1])
        ends = np.concatenate([inner, [self.end[record]]])
        values = _clean(_unquote(_slices(pa.py_buffer(buf), starts, ends)))
        return values.to_pylist()


def _scan(buf: np.ndarray, delimiter: int) -> _Scan:
    """Split `buf` into records, cutting off the first line of every unclosed quote."""
    newlines = np.flatnonzero(buf == _NEWLINE)
    line_starts = np.concatenate([[0], newlines + 1])
    delims = np.flatnonzero(buf == delimiter)
    quotes = _quote_events(buf, delimiter)
    solid = _solid_mask(delimiter)[buf]
    resets: dict[int, str] = {}  # newline (or end of data) -> why the quote was cut there
    while True:
        state = quotes.with_resets(list(resets))
        scan = _records(buf, newlines, line_starts, delims, state, resets, solid)
        cut = _first_runaway(scan, state, buf, newlines)
        if cut is None:
            return scan
        resets[cut[0]] = cut[1]


@dataclass
class _Quotes:
    """Quote events, keyed 2p+1 for a quote at byte p (2p for a reset before byte p).

    `toggles` flip the quoted state; `sets` force it to `values` (1 inside, 0 outside).
    `runs` holds the position of every run of quotes with its `lengths` and whether it
    `closes` a value (a lone quote after text); they tell which quotes are text.
    """

    toggles: np.ndarray
    sets: np.ndarray
    values: np.ndarray
    runs: np.ndarray
    lengths: np.ndarray
    closes: np.ndarray

    def with_resets(self, resets: list[int]) -> _QuoteState:
        """The quoted state over the text, with "outside" forced at the given newlines."""
        resets_keys = 2 * np.asarray(resets, dtype=np.int64)
        keys = np.concatenate([self.toggles, self.sets, resets_keys])
        is_set = np.repeat([False, True, True], [len(self.toggles), len(self.sets), len(resets)])
        values = np.concatenate([0 * self.toggles, self.values, 0 * resets_keys])
        # Sorted runs concatenated: the stable sort merges them in linear time.
        order = np.argsort(keys, kind="stable")
        keys, is_set, values = keys[order], is_set[order], values[order]
        flips = np.cumsum(~is_set)
        last_set = np.maximum.accumulate(np.where(is_set, np.arange(len(keys)), -1))
        known = last_set >= 0
        base = np.where(known, flips[np.maximum(last_set, 0)], 0)
        value = np.where(known, values[np.maximum(last_set, 0)], 0)
        return _QuoteState(keys, (value + flips - base) % 2 == 1, self)


@dataclass
class _QuoteState:
    """Whether the text is inside a quoted value after each quote event (`keys`)."""

    keys: np.ndarray
    after: np.ndarray
    quotes: _Quotes

    def inside(self, positions: np.ndarray) -> np.ndarray:
        """Whether each byte of the sorted `positions` lies inside a quoted value."""
        opened = np.flatnonzero(self.after)
        if not len(opened):
            return np.zeros(len(positions), dtype=bool)
        following = np.append(self.keys, np.iinfo(np.int64).max - 1)[opened + 1]
        # Byte p follows event key k when 2p >= k, i.e. p >= ceil(k / 2).
        lo = np.searchsorted(positions, (self.keys[opened] + 1) // 2)
        hi = np.searchsorted(positions, (following + 1) // 2)
        bounds = np.concatenate([[0], np.column_stack([lo, hi]).ravel(), [len(positions)]])
        flags = np.append(np.tile([False, True], len(opened)), False)
        return np.repeat(flags, np.diff(bounds))

    def spans(
        self, buf: np.ndarray, newlines: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Every quoted value: (opening quote's byte, lines spanned, characters, closed)."""
        inside = self.after
        before = np.concatenate([[False], inside[:-1]])
        opens = np.flatnonzero(inside & ~before)
        ends = np.flatnonzero(~inside & before)
        starts = self.keys[opens] // 2
        stops = np.full(len(opens), len(buf), dtype=np.int64)
        stops[: len(ends)] = self.keys[ends] // 2
        closed = np.arange(len(opens)) < len(ends)
        lines = np.searchsorted(newlines, stops) - np.searchsorted(newlines, starts) + 1
        chars = stops - starts - 1
        # Count characters, not UTF-8 bytes, only where the bytes alone exceed the limit.
        for k in np.flatnonzero(closed & (lines <= MAX_QUOTED_LINES) & (chars > MAX_QUOTED_CHARS)):
            chars[k] = int(np.count_nonzero((buf[starts[k] + 1 : stops[k]] & 0xC0) != 0x80))
        return starts, lines, chars, closed

    def literal(self) -> np.ndarray:
        """Positions of quote runs holding a quote that belongs to a value.

        Runs of three or more always do; a pair does inside a quoted value (an escaped
        quote); a closing quote does when no value is open (`12" screen`).
        """
        quotes = self.quotes
        inside = self.inside(quotes.runs)
        even = quotes.lengths % 2 == 0
        text = (quotes.lengths >= 3) | (even & inside) | (quotes.closes & ~inside)
        return quotes.runs[text]


def _quote_events(buf: np.ndarray, delimiter: int) -> _Quotes:
    """Classify the quotes of `buf` the way CSV readers do.

    A run of quotes acts as one quote when odd and as literal quotes (escapes) when even.
    A run that starts a field and is followed by text opens a value; one that follows text
    and ends a field closes it; one that both starts and ends a field toggles; any other
    closes an open value and is literal outside one, as in pyarrow.
    """
    quotes = np.flatnonzero(buf == _QUOTE)
    run_first = np.concatenate([[True], np.diff(quotes) != 1]) if len(quotes) else quotes > 0
    firsts = np.flatnonzero(run_first)
    lengths = np.diff(np.concatenate([firsts, [len(quotes)]]))
    starts = quotes[firsts][lengths % 2 == 1]
    stops = starts + lengths[lengths % 2 == 1] - 1
    before = buf[np.maximum(starts - 1, 0)]
    after = buf[np.minimum(stops + 1, len(buf) - 1)]
    opens = (starts == 0) | (before == delimiter) | (before == _NEWLINE)
    ends = (stops == len(buf) - 1) | np.isin(after, [delimiter, _NEWLINE, _CR])
    keys = 2 * starts + 1
    toggle = opens & ends
    closes = np.zeros(len(firsts), dtype=bool)
    closes[np.flatnonzero(lengths % 2 == 1)[~opens]] = True
    values = (opens & ~ends)[~toggle].astype(np.int64)
    return _Quotes(keys[toggle], keys[~toggle], values, quotes[firsts], lengths, closes)


def _solid_mask(delimiter: int) -> np.ndarray:
    """Lookup table: True for bytes that make a field non-blank."""
    table = np.ones(256, dtype=bool)
    table[[_NEWLINE, _CR, _QUOTE, ord(" "), ord("\t"), delimiter]] = False
    return table


def _records(
    buf: np.ndarray,
    newlines: np.ndarray,
    line_starts: np.ndarray,
    delims: np.ndarray,
    quotes: _QuoteState,
    resets: dict[int, str],
    solid: np.ndarray,
) -> _Scan:
    """Records of `buf` given its quote events."""
    ends = newlines[~quotes.inside(newlines)]
    quoted = quotes.inside(delims)
    outer = delims[~quoted]
    start = np.concatenate([[0], ends + 1])
    end = np.concatenate([ends, [len(buf)]])
    counts = np.diff(np.searchsorted(outer, end), prepend=0)
    content = np.logical_or.reduceat(solid, np.minimum(start, len(buf) - 1)) & (start < len(buf))
    # A quoted delimiter or an escaped quote is a value too, not a blank field.
    valued = np.concatenate([delims[quoted], quotes.literal()])
    content |= np.bincount(np.searchsorted(ends, valued), minlength=len(start)) > 0
    filled = np.flatnonzero(content)
    return _Scan(
        start=start,
        end=end,
        line=np.searchsorted(line_starts, start, side="right"),
        last_line=np.searchsorted(line_starts, end, side="right"),
        fields=counts + 1,
        content=content,
        stray=np.isin(end, np.fromiter(resets, dtype=np.int64, count=len(resets))),
        reasons=resets,
        delims=outer,
        header=int(filled[0]) if len(filled) else None,
    )


def _first_runaway(
    scan: _Scan, state: _QuoteState, buf: np.ndarray, newlines: np.ndarray
) -> tuple[int, str] | None:
    """Where to cut the first record broken by an unclosed quote, and why.

    A quote is taken as unclosed when its record spans lines but does not fit the header,
    when its value runs to the end of the data, or when its value would span more than
    MAX_QUOTED_LINES lines or MAX_QUOTED_CHARS characters. The record is cut at the end
    of its first line (the newline, or the end of the data), so that every later line is
    read again; a record already cut is not cut again.
    """
    if scan.header is None:
        return None
    multi = scan.last_line > scan.line
    width = scan.fields[scan.header]
    broken = multi & scan.content & (scan.fields != width)
    broken[: scan.header + 1] = False
    # A header that swallows every line after it is broken too.
    broken[scan.header] = bool(multi[scan.header]) and scan.header == len(scan.start) - 1
    reasons: dict[int, str] = {}
    starts, lines, chars, closed = state.spans(buf, newlines)
    implausible = np.flatnonzero(~closed | (lines > MAX_QUOTED_LINES) | (chars > MAX_QUOTED_CHARS))
    owners = np.searchsorted(scan.end, starts[implausible])
    live = ~scan.stray[owners]
    for k, owner in zip(implausible[live][:1], owners[live][:1], strict=True):
        broken[owner] = True
        reasons[int(owner)] = _runaway_detail(bool(closed[k]), int(lines[k]), int(chars[k]))
    found = np.flatnonzero(broken & ~scan.stray)
    if not len(found):
        return None
    first = int(found[0])
    line = int(scan.line[first])
    at = int(newlines[line - 1]) if line - 1 < len(newlines) else len(buf)
    return at, reasons.get(first, "unclosed quote")


def _runaway_detail(closed: bool, lines: int, chars: int) -> str:
    """Why a quoted value was judged unclosed, for the malformed_row message."""
    if not closed:
        return "unclosed quote (the quoted value runs to the end of the file)"
    if lines > MAX_QUOTED_LINES:
        return (
            f"unclosed quote (the quoted value would span {lines:,} lines; "
            f"a cell may span at most {MAX_QUOTED_LINES:,})"
        )
    return (
        f"unclosed quote (the quoted value would be {chars:,} characters long; "
        f"a cell may hold at most {MAX_QUOTED_CHARS:,})"
    )


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
