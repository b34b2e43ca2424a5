"""csm.toml mappings that need more than a header name, evaluated in DuckDB SQL.

A table's raw frame (the reader's strings, one row per record, with its true row number) is
registered in DuckDB; csm.toml's [tables.NAME] rules and [columns.NAME] expressions then run
there, in this order, the way SQL itself orders them:

1. `sql`: a query whose result is the table (joins, unions); files relative to --data.
2. `where`: rows where the condition is not true are excluded, counted (`filtered`).
3. `dedupe`: one row per key, the first in the file or the latest by a column; the others
   are excluded, counted (`duplicate_row`).
4. `wide` (surveys): each rating column becomes one response per row, of its survey type.
5. [columns.NAME]: a value that is a header (matched as `normalise_header` keys, so
   case-insensitively) is that column; one header may feed several canonical columns. Any
   other value is an SQL expression over the headers, computed here.

Expressions see typed columns: a header whose every value is a plain integer (no leading
zero, so ids like 007 stay text), number, ISO date or timestamp, or true/false has that type;
anything else is text. Results go back to text, so the contracts type and check them as they
check any export. A mapping that cannot run (an unknown header, an SQL error) is a fatal
`bad_config` naming the csm.toml key and line and the export's headers, never DuckDB's
traceback.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csmetrics_cli.config import Config, TableRules
from csmetrics_cli.io.discover import Source
from csmetrics_cli.io.duck import connect, reraise_interrupt
from csmetrics_cli.io.parse import normalise_header
from csmetrics_cli.io.readers import RawTable
from csmetrics_cli.problems import InputError, Issue, closest, fatal, make_issue

if TYPE_CHECKING:
    import duckdb

POS = "__csm_pos"  # the raw frame's position of each row, carried through every step
PREFIX = "\x00"  # computed columns' names in the shaped frame: never an export's header


@dataclass
class Shaped:
    """A raw table after the mapping rules, and how its columns map onto canonical ones.

    `columns` is canonical column -> the frame column holding it; `labels` is canonical
    column -> what the export calls it (a header, or the expression); `dropped` counts rows
    the rules excluded (they count in rows_read and rows_excluded), `issues` says why.
    """

    raw: RawTable
    columns: dict[str, str] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)
    dropped: int = 0
    issues: list[Issue] = field(default_factory=list)


def quote(name: str) -> str:
    """An SQL identifier: "name" with inner quotes doubled."""
    return '"' + name.replace('"', '""') + '"'


def header_of(value: str, headers: list[str]) -> str | None:
    """The export header `value` names (as a normalised key), or None: then it is SQL."""
    key = normalise_header(value)
    if not key:
        return next((h for h in headers if h.strip() == value.strip()), None)
    return next((h for h in headers if normalise_header(h) == key), None)


# ---------------------------------------------------------------- errors naming csm.toml


def config_line(path: Path | None, section: str, key: str) -> int | None:
    """The line of `key` in csm.toml's `[section]` (or of `section.key = ...`), if found."""
    if path is None:
        return None
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    current = ""
    bare = re.escape(key)
    for number, line in enumerate(lines, start=1):
        text = line.strip()
        header = re.fullmatch(r"\[\s*([^\]]+?)\s*\]", text)
        if header:
            current = re.sub(r"\s*\.\s*", ".", header.group(1)).replace('"', "")
            continue
        if current == section and re.match(rf'("?){bare}\1\s*=', text):
            return number
        dotted = section.rsplit(".", 1)
        if (
            current == dotted[0]
            and len(dotted) == 2
            and re.match(rf"{re.escape(dotted[1])}\s*=\s*\{{.*\b{bare}\s*=", text)
        ):  # an inline table: dedupe = { key = ... }
            return number
    return None


def mapping_error(
    config: Config, section: str, key: str, value: str, exc: Exception, headers: list[str],
    label: str,
) -> InputError:  # fmt: skip
    """bad_config for a mapping DuckDB refused: the key and line, why, and the headers."""
    first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    why = re.sub(r"^[A-Za-z ]*Error:\s*", "", first)
    hint = None
    unknown = re.search(r'Referenced column "?([^"]+?)"? not found', why)
    if unknown:
        name = unknown.group(1)
        why = f'no column "{name}" in {label}'
        close = closest(name, headers, cutoff=0.5) or closest(
            name.lower(), [h.lower() for h in headers], cutoff=0.5
        )
        hint = (f'did you mean "{close}"? ' if close else "") + (
            'quote headers with spaces or symbols in double quotes: "Unit Amount"')  # fmt: skip
    elif "syntax error" in why.lower():
        why = f"not a header of {label}, and not valid SQL ({why})"
        hint = 'name a header exactly, or write a DuckDB SQL expression; quote headers: "My Col"'
    elif "Could not convert" in why or "Conversion" in first:
        hint = "use TRY_CAST(column AS type), which gives a blank instead of failing"
    line = config_line(config.source, section, key)
    where = f"line {line}: " if line else ""
    shown = ", ".join(headers[:30]) + (", ..." if len(headers) > 30 else "")
    detail = f"{where}[{section}] {key} = {value!r}: {why}; headers of {label}: {shown or '-'}"
    file = str(config.source) if config.source else "csm.toml"
    return fatal("bad_config", file=file, detail=detail, hint=hint)


def _run(con: duckdb.DuckDBPyConnection, sql: str, blame: tuple[str, str, str], ctx: _Ctx) -> Any:
    """The query's result as arrow; any DuckDB error becomes the mapping error of `blame`."""
    import duckdb

    try:
        return con.sql(sql).to_arrow_table()
    except duckdb.Error as exc:
        reraise_interrupt(exc)
        section, key, value = blame
        raise mapping_error(ctx.config, section, key, value, exc, ctx.headers, ctx.label) from exc


@dataclass
class _Ctx:
    config: Config
    headers: list[str]
    label: str


# ---------------------------------------------------------------- reading with rules


def needs_own_reader(rules: TableRules | None) -> bool:
    """True when the table is read here (sql, delimiter, skip_rows) instead of by the reader."""
    return rules is not None and bool(rules.sql or rules.delimiter or rules.skip_rows)


def read_with_rules(source: Source, rules: TableRules, root: Path, config: Config) -> RawTable:
    """The raw table for `sql`, or a text file read with csm.toml's delimiter/skip_rows."""
    table = source.table
    if rules.sql:
        return _read_sql(source, rules.sql, root, config)
    if source.sheet is not None or source.path.suffix.lower() in (".xlsx", ".parquet"):
        raise fatal("bad_config", file=str(config.source or "csm.toml"),
                    detail=f"[tables.{table}] delimiter and skip_rows apply to text files, not "
                    f"{source.label}")  # fmt: skip
    text = _decode(source, config.encoding)
    lines = pa.array(text.splitlines(), type=pa.large_string())
    numbers = np.arange(1, len(lines) + 1)
    lines, numbers = lines[rules.skip_rows :], numbers[rules.skip_rows :]
    blank = np.asarray(pc.equal(pc.utf8_trim_whitespace(lines), "").to_numpy(zero_copy_only=False))
    lines, numbers = lines.filter(pa.array(~blank)), numbers[~blank]
    if len(lines) == 0:
        raise fatal("empty_file", table=table, file=source.label)
    if rules.delimiter in (None, "whitespace"):
        return _split_whitespace(source, lines, numbers)
    return _split_delimited(source, lines, numbers, rules.delimiter)


def _decode(source: Source, encoding: str | None) -> str:
    """The file's text: gzip undone, BOM honoured, else UTF-8, else cp1252."""
    import gzip

    data = source.path.read_bytes()
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    tries = [encoding] if encoding else ["utf-8-sig", "cp1252"]
    if not encoding and data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        tries = ["utf-16"]
    for name in tries:
        try:
            return data.decode(name)
        except UnicodeDecodeError:
            continue
    raise fatal("bad_encoding", table=source.table, file=source.label, detail=" or ".join(tries))


def _frame_of(source: Source, header: list[str], cells: pa.ListArray, numbers: np.ndarray,
              ) -> RawTable:  # fmt: skip
    """A RawTable from split records: rows with the wrong number of fields are malformed."""
    width = len(header)
    lengths = np.asarray(pc.list_value_length(cells).to_numpy(zero_copy_only=False))
    fits = lengths == width
    issues = [
        make_issue("malformed_row", table=source.table, file=source.label, row=int(n),
                   detail=f"{lengths[i]} fields, the header has {width}")
        for i, n in zip(np.flatnonzero(~fits), numbers[~fits], strict=True)
    ]  # fmt: skip
    good = cells.filter(pa.array(fits))
    names = _unique([h or f"column_{i + 1}" for i, h in enumerate(header)])
    columns = {}
    for i, name in enumerate(names):
        values = pc.utf8_trim_whitespace(pc.list_element(good, i)) if len(good) else pa.array(
            [], type=pa.large_string())  # fmt: skip
        values = pc.if_else(pc.equal(values, ""), None, values)
        columns[name] = pd.Series(values.to_pandas(), dtype="str") if len(good) else pd.Series(
            [], dtype="str")  # fmt: skip
    frame = pd.DataFrame(columns)
    return RawTable(source, frame, numbers[fits].astype(np.int64), issues)


def _unique(names: list[str]) -> list[str]:
    """Header names made unique as normalised keys: later repeats get _2, _3..."""
    seen: set[str] = set()
    out = []
    for name in names:
        candidate, n = name, 2
        while normalise_header(candidate) in seen:
            candidate, n = f"{name}_{n}", n + 1
        seen.add(normalise_header(candidate))
        out.append(candidate)
    return out


def _split_whitespace(source: Source, lines: pa.Array, numbers: np.ndarray) -> RawTable:
    """Fields separated by runs of spaces or tabs (no quoting)."""
    cells = pc.split_pattern_regex(pc.utf8_trim_whitespace(lines), r"\s+")
    header = [str(h) for h in cells[0].as_py()]
    return _frame_of(source, header, cells[1:], numbers[1:])


def _split_delimited(source: Source, lines: pa.Array, numbers: np.ndarray, delim: str) -> RawTable:
    """Fields separated by one character, quotes honoured (pyarrow's CSV parser); a line
    that does not fit the header is malformed. Line numbers are exact unless a quoted value
    spans lines (then records are numbered one per line after the header)."""
    import csv

    import pyarrow.csv as pacsv

    header = next(csv.reader([str(lines[0])], delimiter=delim), [])
    names = [f"c{i}" for i in range(len(header))]
    bad: list[int] = []

    def invalid(row: Any) -> str:
        bad.append(int(row.number) if row.number is not None else -1)
        return "skip"

    body = "\n".join(lines.to_pylist()).encode("utf-8")
    try:
        table = pacsv.read_csv(
            pa.BufferReader(body),
            read_options=pacsv.ReadOptions(column_names=names, skip_rows=1, use_threads=False),
            parse_options=pacsv.ParseOptions(delimiter=delim, invalid_row_handler=invalid),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.large_string()), strings_can_be_null=False
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        detail = str(exc).splitlines()[0]
        raise fatal(
            "unreadable_file", table=source.table, file=source.label, detail=detail
        ) from exc
    skipped = np.array([b - 1 for b in bad if 0 < b <= len(numbers)], dtype=np.int64)
    issues = [
        make_issue("malformed_row", table=source.table, file=source.label,
                   row=int(numbers[b]), detail=f"not {len(header)} fields")
        for b in skipped
    ]  # fmt: skip
    kept = _without(np.arange(1, len(numbers)), skipped, len(numbers))
    exact = len(kept) == table.num_rows
    rows = numbers[kept] if exact else numbers[0] + 1 + np.arange(table.num_rows)
    names_out = _unique([h.strip() or f"column_{i + 1}" for i, h in enumerate(header)])
    frame = pd.DataFrame({name: _blank_free(table.column(i)) for i, name in enumerate(names_out)})
    return RawTable(source, frame, rows.astype(np.int64), issues)


def _blank_free(values: pa.ChunkedArray | pa.Array) -> pd.Series:
    """Trimmed strings, blanks missing, as the reader gives them."""
    trimmed = pc.utf8_trim_whitespace(values)
    return _strings(pc.if_else(pc.equal(trimmed, ""), None, trimmed))


def _read_sql(source: Source, sql: str, root: Path, config: Config) -> RawTable:
    """The result of [tables.NAME] sql, every column as text; record i is row i + 2."""
    import duckdb

    folder = root if root.is_dir() else root.parent
    con = connect()
    con.execute(f"SET file_search_path = '{str(folder.resolve()).replace(chr(39), chr(39) * 2)}'")
    files = sorted(p.name for p in folder.iterdir() if p.is_file())
    ctx = _Ctx(config, files, f"the files in {folder}")
    try:
        described = con.execute(f"SELECT * FROM ({sql}) LIMIT 0").description
        names = [str(d[0]) for d in described or []]
        cast = ", ".join(f"NULLIF(TRIM(CAST({quote(n)} AS VARCHAR)), '') AS {quote(n)}"
                         for n in names)  # fmt: skip
        table = con.sql(f"SELECT {cast} FROM ({sql})").to_arrow_table()
    except duckdb.Error as exc:
        reraise_interrupt(exc)
        raise mapping_error(config, f"tables.{source.table}", "sql", sql, exc, ctx.headers,
                            ctx.label) from exc  # fmt: skip
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    frame = table.to_pandas(types_mapper=lambda _: pd.StringDtype("pyarrow", na_value=np.nan))
    frame.columns = _unique([str(c) for c in frame.columns])
    return RawTable(source, frame, np.arange(2, len(frame) + 2, dtype=np.int64))


# ---------------------------------------------------------------- rules and expressions


def shape(raw: RawTable, config: Config) -> Shaped:
    """Apply the table's where/dedupe/wide rules and [columns] mapping to `raw`."""
    table = raw.source.table
    rules = config.table_rules.get(table, TableRules())
    mapped = config.columns.get(table, {})
    headers = [str(h) for h in raw.frame.columns]
    columns: dict[str, str] = {}
    labels: dict[str, str] = {}
    expressions: dict[str, str] = {}
    for canon, value in mapped.items():
        header = header_of(value, headers)
        if header is not None:
            columns[canon], labels[canon] = header, header
        else:
            expressions[canon] = value
    if not (expressions or rules.where or rules.dedupe or rules.wide):
        return Shaped(raw, columns, labels)
    return _in_duckdb(raw, config, rules, columns, labels, expressions)


# What every value of a typed header looks like, in the order tried.
KINDS = {
    "BIGINT": r"[+-]?(0|[1-9][0-9]*)",  # no leading zero: ids like 007 stay text
    "DOUBLE": r"[+-]?((0|[1-9][0-9]*)(\.[0-9]+)?|\.[0-9]+)([eE][+-]?[0-9]+)?",
    "DATE": r"[0-9]{4}-[0-9]{2}-[0-9]{2}",
    "TIMESTAMP": r"[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?",
    "BOOLEAN": r"(?i)(true|false)",
}
SAMPLE_ROWS = 2000


def _fits(con: duckdb.DuckDBPyConnection, table: str, tests: list[tuple[str, str]]) -> list[bool]:
    """For each (header, kind): True when every value of the header in `table` has it."""
    parts = [f"count({quote(h)}) = count(*) FILTER (WHERE regexp_full_match({quote(h)}, "
             f"'{KINDS[k]}'))" for h, k in tests]  # fmt: skip
    row = con.execute(f"SELECT {', '.join(parts)} FROM {table}").fetchone()
    assert row is not None
    return [bool(v) for v in row]


def _types(con: duckdb.DuckDBPyConnection, headers: list[str], texts: list[str]) -> dict[str, str]:
    """The SQL type of each header that the SQL texts may mention (see the module doc): the
    first kind of KINDS that every value has, else VARCHAR (blank columns stay VARCHAR).

    Kinds are tried on the first SAMPLE_ROWS rows, and only a kind the sample fits is checked
    over the whole column: one scan per typed-looking column, none for text."""
    joined = " ".join(texts).lower()
    named = [h for h in headers if h.lower() in joined or normalise_header(h) in joined]
    if not named:
        return {}
    con.execute(f"CREATE TEMP TABLE sample AS SELECT * FROM raw LIMIT {SAMPLE_ROWS}")
    counts = con.execute(f"SELECT {', '.join(f'count({quote(h)})' for h in named)} FROM raw"
                         ).fetchone() or ()  # fmt: skip
    candidates: dict[str, list[str]] = {h: [] for h, n in zip(named, counts, strict=True) if n}
    tests = [(h, k) for h in candidates for k in KINDS]
    for (h, k), ok in zip(tests, _fits(con, "sample", tests), strict=True):
        if ok:
            candidates[h].append(k)
    types = dict.fromkeys(candidates, "VARCHAR")
    while pending := [(h, kinds.pop(0)) for h, kinds in candidates.items() if kinds]:
        for (h, k), ok in zip(pending, _fits(con, "raw", pending), strict=True):
            if ok:
                types[h] = k
                candidates[h] = []
    return types


def _typed_view(con: duckdb.DuckDBPyConnection, headers: list[str], types: dict[str, str]) -> None:
    cols = [
        f"TRY_CAST({quote(h)} AS {types[h]}) AS {quote(h)}" if h in types else quote(h)
        for h in headers
    ]
    con.execute(f"CREATE TEMP VIEW typed AS SELECT {POS}, {', '.join(cols)} FROM raw")


def _in_duckdb(
    raw: RawTable, config: Config, rules: TableRules, columns: dict[str, str],
    labels: dict[str, str], expressions: dict[str, str],
) -> Shaped:  # fmt: skip

    table = raw.source.table
    headers = [str(h) for h in raw.frame.columns]
    ctx = _Ctx(config, headers, raw.source.label)
    con = connect()
    arrow = pa.Table.from_pandas(raw.frame, preserve_index=False).cast(
        pa.schema([(h, pa.large_string()) for h in headers])
    ) if headers else pa.table({})  # fmt: skip
    con.register("raw", arrow.append_column(POS, pa.array(np.arange(len(raw.frame)))))
    texts = [rules.where or "", *expressions.values(), *rules.wide.values()]
    if rules.dedupe:
        texts += [rules.dedupe.key, rules.dedupe.by or ""]
    _typed_view(con, headers, _types(con, headers, texts))
    section = f"tables.{table}"
    relation = "typed"
    dropped: list[tuple[np.ndarray, str, str]] = []  # positions, code, why
    if rules.where:
        kept = _run(con, f"SELECT {POS} FROM typed WHERE ({rules.where})",
                    (section, "where", rules.where), ctx)  # fmt: skip
        con.register("kept_where", kept)
        relation = f"(SELECT * FROM typed WHERE {POS} IN (SELECT {POS} FROM kept_where))"
        n = len(raw.frame)
        gone = _without(np.arange(n), _positions(kept), n)
        dropped.append((gone, "filtered", f"[{section}] where = {rules.where!r}"))
    if rules.dedupe:
        rule = rules.dedupe
        key = _sql_of(rule.key, headers)
        order = f"{POS} ASC" if rule.keep == "first" else (
            f"({_sql_of(rule.by or '', headers)}) DESC NULLS LAST, {POS} DESC")  # fmt: skip
        sql = (f"SELECT {POS} FROM {relation} t QUALIFY ({key}) IS NOT NULL AND "
               f"row_number() OVER (PARTITION BY ({key}) ORDER BY {order}) > 1")  # fmt: skip
        extra = _run(con, sql, (section, "dedupe", rule.key), ctx)
        con.register("dupes", extra)
        relation = f"(SELECT * FROM {relation} WHERE {POS} NOT IN (SELECT {POS} FROM dupes))"
        keep = "first row" if rule.keep == "first" else f"latest row by {rule.by}"
        dropped.append((_positions(extra), "duplicate_row", f"{keep} per {rule.key} kept"))
    wide_cols: list[str] = []
    rated: list[str] = []
    names: dict[str, str] = {}
    if rules.wide:
        before = _positions(con.sql(f"SELECT {POS} FROM {relation} t").to_arrow_table())
        relation, rated, names = _unpivot(con, relation, rules.wide, headers, ctx, columns,
                                          labels)  # fmt: skip
        wide_cols = ["survey_type", "score"]
        answered = _positions(con.sql(f"SELECT DISTINCT {POS} FROM {relation}").to_arrow_table())
        dropped.append((_without(before, answered, len(raw.frame)), "filtered",
                        f"no rating in any [{section}.wide] column"))  # fmt: skip
    outputs = [f"{POS}"]
    for i, (canon, expr) in enumerate(expressions.items()):
        outputs.append(f"NULLIF(TRIM(CAST(({expr}) AS VARCHAR)), '') AS e{i}")
        # check each expression alone so the error names its own key
        _run(con, f"SELECT ({expr}) FROM {relation} t LIMIT 0", (f"columns.{table}", canon,
                                                                   expr), ctx)  # fmt: skip
    outputs += [f"{quote(names[c])} AS w{j}" for j, c in enumerate(wide_cols)]
    result = _run(con, f"SELECT {', '.join(outputs)} FROM {relation} t ORDER BY {POS}",
                  (f"columns.{table}", next(iter(expressions), "?"),
                   next(iter(expressions.values()), "")), ctx)  # fmt: skip
    pos = _positions(result)
    frame = raw.frame.iloc[pos].reset_index(drop=True)
    frame = frame.drop(columns=rated)  # their values became `score`
    added = {}
    for i, canon in enumerate(expressions):
        added[PREFIX + canon] = _strings(result.column(f"e{i}"))
        columns[canon], labels[canon] = PREFIX + canon, expressions[canon]
    for j, c in enumerate(wide_cols):
        added[PREFIX + c] = _strings(result.column(f"w{j}"))
    if added:
        frame = pd.concat([frame, pd.DataFrame(added)], axis=1)
    errors = {h: np.flatnonzero(np.isin(pos, p)).tolist() for h, p in raw.error_cells.items()
              if h in frame.columns}  # fmt: skip
    shaped = replace(raw, frame=frame, rows=raw.rows[pos], error_cells=errors)
    issues = [_summary(raw, code, np.sort(raw.rows[gone]), why) for gone, code, why in dropped
              if len(gone)]  # fmt: skip
    return Shaped(shaped, columns, labels, sum(len(g) for g, _, _ in dropped), issues)


def _sql_of(value: str, headers: list[str]) -> str:
    """A header (quoted) when the value names one, else the value as SQL."""
    header = header_of(value, headers)
    return quote(header) if header is not None else value


def _unpivot(
    con: duckdb.DuckDBPyConnection, relation: str, wide: dict[str, str], headers: list[str],
    ctx: _Ctx, columns: dict[str, str], labels: dict[str, str],
) -> tuple[str, list[str], dict[str, str]]:  # fmt: skip
    """One response per row and rating column with a value: survey_type, score (so named
    for expressions, unless the export has such headers); the rating headers; the names."""
    keys = {normalise_header(h) for h in headers}
    names = {c: c if c not in keys else PREFIX + c for c in ("survey_type", "score")}
    parts = []
    for kind, value in wide.items():
        score = _sql_of(value, headers)
        _run(con, f"SELECT ({score}) FROM {relation} t LIMIT 0", ("tables.surveys.wide", kind,
                                                                   value), ctx)  # fmt: skip
        parts.append(
            f"SELECT t.*, '{kind}' AS {quote(names['survey_type'])}, "
            f"NULLIF(TRIM(CAST(({score}) AS VARCHAR)), '') AS {quote(names['score'])} "
            f"FROM {relation} t WHERE NULLIF(TRIM(CAST(({score}) AS VARCHAR)), '') IS NOT NULL"
        )
    rated = [header_of(v, headers) for v in wide.values()]
    labels["score"] = ", ".join(h or v for h, v in zip(rated, wide.values(), strict=True))
    labels["survey_type"] = "[tables.surveys.wide]"
    columns["survey_type"], columns["score"] = PREFIX + "survey_type", PREFIX + "score"
    con.execute(f"CREATE TEMP VIEW wide AS {' UNION ALL '.join(parts)}")
    return "wide", [h for h in rated if h is not None], names


def _without(values: np.ndarray, drop: np.ndarray, size: int) -> np.ndarray:
    """`values` (positions below `size`) minus `drop`, in order (a mask: no sorting)."""
    gone = np.zeros(size, dtype=bool)
    gone[drop] = True
    return values[~gone[values]]


def _positions(table: Any) -> np.ndarray:
    if isinstance(table, pa.RecordBatchReader):
        table = table.read_all()
    return np.asarray(table.column(POS).to_numpy(), dtype=np.int64)


def _strings(values: pa.ChunkedArray | pa.Array) -> pd.Series:
    return pd.Series(values.to_pandas(), dtype="str")


def _summary(raw: RawTable, code: str, rows: np.ndarray, why: str) -> Issue:
    """One issue for every row a rule excluded: the count, the first row numbers, the rule."""
    shown = ", ".join(str(r) for r in rows[:5]) + (", ..." if len(rows) > 5 else "")
    count = f"{len(rows):,} row" + ("s" if len(rows) != 1 else "")
    return make_issue(code, table=raw.source.table, file=raw.source.label, value=count,
                      detail=f"{why}; rows {shown}")  # fmt: skip
