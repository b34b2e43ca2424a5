"""`csm init`: look at the header row of every export in a folder, recognise each one (a
preset's `detect` headers, else a canonical table's name or required columns), and write a
commented csm.toml that names the tables, their files and presets, and what is left to map.

Only header rows are read (the first 64 KiB of a text file, the schema of a Parquet file),
so the time does not grow with the size of the exports; a workbook's first sheet is read by
the workbook reader, which loads that sheet. pandas and DuckDB are not imported.
"""

from __future__ import annotations

import csv
import gzip
import io
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from csmetrics_cli.presets import Preset, all_presets

EXTENSIONS = (".csv.gz", ".csv", ".tsv", ".txt", ".xlsx", ".parquet")  # as io/discover.py
HEAD_BYTES = 1 << 16
CONFIG_NAME = "csm.toml"


@dataclass(frozen=True)
class Export:
    """One file under --data and its header row."""

    path: Path
    headers: tuple[str, ...]

    @property
    def file(self) -> str:
        return self.path.name


@dataclass(frozen=True)
class Finding:
    """What one export was recognised as, and how sure that is."""

    export: Export
    table: str | None  # None: not recognised
    preset: Preset | None = None
    how: str = ""  # why: "all 7 identifying headers of the stripe preset", "its file name"...
    sure: str = ""  # "certain", "likely" or "a guess"
    todo: tuple[str, ...] = ()  # required canonical columns nothing maps yet
    optional: tuple[str, ...] = ()  # optional canonical columns nothing maps
    unused: tuple[str, ...] = ()  # the export's headers the mapping does not read
    also: tuple[str, ...] = ()  # other presets whose identifying headers all match
    claimed_by: str | None = None  # another export already holds this table


@dataclass
class Starter:
    """The result of `csm init`: what each export is, and the csm.toml text for it."""

    data: Path
    findings: list[Finding] = field(default_factory=list)

    @property
    def tables(self) -> dict[str, Finding]:
        """Table -> the export that holds it (the first one found)."""
        return {f.table: f for f in self.findings if f.table and f.claimed_by is None}

    def text(self) -> str:
        return render(self)


# --- header rows, cheaply ------------------------------------------------------------------


def _stem(name: str) -> tuple[str, str] | None:
    lower = name.lower()
    ext = next((e for e in EXTENSIONS if lower.endswith(e) and len(lower) > len(e)), None)
    return None if ext is None else (lower[: -len(ext)], ext)


def _decode(head: bytes) -> str:
    """The text of a file's first bytes: UTF-16 by its byte-order mark, else UTF-8 (a
    character cut by the 64 KiB boundary is dropped), else cp1252."""
    if head[:2] in (b"\xff\xfe", b"\xfe\xff"):
        return head.decode("utf-16", errors="replace")
    try:
        return head.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        if exc.start >= len(head) - 3:
            return head[: exc.start].decode("utf-8-sig")
        return head.decode("cp1252", errors="replace")


def _text_header(path: Path, gz: bool) -> list[str]:
    """The first row of a delimited text file, from its first 64 KiB; the delimiter is the
    one of , ; tab | that the first line holds most of."""
    with gzip.open(path, "rb") if gz else path.open("rb") as handle:
        text = _decode(handle.read(HEAD_BYTES))
    lines = text.splitlines()
    if not lines:
        return []
    delimiter = max(",;\t|", key=lines[0].count)
    row = next(csv.reader(io.StringIO(text), delimiter=delimiter), [])
    return [h.strip() for h in row]


def _workbook_header(path: Path) -> list[str]:
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).iter_rows()
    return [str(h).strip() for h in next(iter(rows), [])]


def _parquet_header(path: Path) -> list[str]:
    import pyarrow.parquet as pq

    return list(pq.read_schema(path).names)


def read_header(path: Path) -> list[str]:
    """The header row of one export (empty when it has none or cannot be read as a table)."""
    parts = _stem(path.name)
    if parts is None:
        return []
    ext = parts[1]
    try:
        if ext == ".xlsx":
            headers = _workbook_header(path)
        elif ext == ".parquet":
            headers = _parquet_header(path)
        else:
            headers = _text_header(path, gz=ext == ".csv.gz")
    except Exception:  # not ours to judge here: `csm validate` reports an unreadable file
        return []
    return [h for h in headers if h]


def exports(data: Path) -> list[Export]:
    """Every export directly inside the folder `data`, with its header row."""
    paths = sorted(p for p in data.iterdir() if p.is_file() and _stem(p.name) is not None)
    return [Export(p, tuple(read_header(p))) for p in paths]


# --- recognising an export -----------------------------------------------------------------


def _key(header: str) -> str:
    return header.strip().casefold()


def _normalised(header: str) -> str:
    """As the reader matches canonical names: lower case, non-alphanumeric runs become _."""
    return re.sub(r"[\W_]+", "_", header.strip().lower()).strip("_")


def _strings(value: object) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _reads(text: str, header: str) -> bool:
    """True when a mapping (a header or an SQL expression) reads `header`."""
    if _key(text) == _key(header):
        return True
    quoted = f'"{header}"'.casefold()
    bare = rf"(?<![\w.\"']){re.escape(header)}(?![\w.\"'])"
    return quoted in text.casefold() or re.search(bare, text, re.IGNORECASE) is not None


def _canonical_names(table: str) -> dict[str, str]:
    """Normalised header -> canonical column, for names and aliases."""
    from csmetrics_cli.contracts.schema import SCHEMAS

    return {n: c.name for c in SCHEMAS[table].columns for n in (c.name, *c.aliases)}


def _gaps(table: str, export: Export, mapped: set[str]) -> tuple[tuple[str, ...], ...]:
    """(required columns nothing maps, optional ones nothing maps) for this export."""
    from csmetrics_cli.contracts.schema import SCHEMAS

    names = _canonical_names(table)
    found = mapped | {names[n] for h in export.headers if (n := _normalised(h)) in names}
    left = [c for c in SCHEMAS[table].columns if c.name not in found]
    todo = [c.name for c in left if c.required]
    money = {"mrr", "amount", "interval", "interval_count"}
    if table == "subscriptions" and "mrr" not in found and not {"amount", "interval"} <= found:
        todo.append("interval" if "amount" in found else "mrr")  # mrr, or amount and interval
    optional = tuple(c.name for c in left if not c.required and c.name not in money)
    return tuple(todo), optional


def _by_preset(export: Export) -> Finding | None:
    keys = {_key(h) for h in export.headers}
    full = [p for p in all_presets() if {_key(d) for d in p.detect} <= keys]
    if not full:
        return None
    full.sort(key=lambda p: (-len(p.detect), p.vendor))
    best = full[0]
    texts = list(_strings(best.mapping))
    unused = tuple(h for h in export.headers if not any(_reads(t, h) for t in texts))
    mapped = set(best.mapping.get("columns", {})) | set(best.mapping.get("defaults", {}))
    todo, optional = _gaps(best.table, export, mapped)
    also = tuple(f"{p.vendor} ({p.table})" for p in full[1:] if len(p.detect) == len(best.detect))
    how = f"all {len(best.detect)} identifying headers of the {best.vendor} {best.table} preset"
    return Finding(export, best.table, best, how, "certain" if not also else "likely",
                   todo, optional, unused, also)  # fmt: skip


def _by_name(export: Export) -> Finding | None:
    from csmetrics_cli.contracts.schema import SCHEMAS

    parts = _stem(export.file)
    table = parts[0] if parts else ""
    if table not in SCHEMAS:
        return None
    todo, optional = _gaps(table, export, set())
    names = _canonical_names(table)
    unused = tuple(h for h in export.headers if _normalised(h) not in names)
    return Finding(export, table, None, "its file name", "certain", todo, optional, unused)


def _by_columns(export: Export) -> Finding | None:
    """The table whose required columns all appear by name (the most of them wins)."""
    from csmetrics_cli.contracts.schema import SCHEMAS

    best: tuple[int, str] | None = None
    for table, schema in SCHEMAS.items():
        required = [c.name for c in schema.columns if c.required]
        todo, _ = _gaps(table, export, set())
        if not todo and (best is None or len(required) > best[0]):
            best = (len(required), table)
    if best is None:
        return None
    table = best[1]
    todo, optional = _gaps(table, export, set())
    names = _canonical_names(table)
    unused = tuple(h for h in export.headers if _normalised(h) not in names)
    how = f"its {best[0]} required {table} columns found by name"
    return Finding(export, table, None, how, "a guess", todo, optional, unused)


def recognise(export: Export) -> Finding:
    """A preset's identifying headers, else the file name, else the required columns."""
    found = _by_preset(export) or _by_name(export) or _by_columns(export)
    return found or Finding(export, None, how="no preset's headers, no table's columns")


def scan(data: Path) -> Starter:
    """Recognise every export in `data`; the first export of a table holds it."""
    starter = Starter(data)
    holders: dict[str, str] = {}
    for export in exports(data):
        finding = recognise(export)
        if finding.table in holders:
            finding = _replace(finding, claimed_by=holders[finding.table])
        elif finding.table:
            holders[finding.table] = export.file
        starter.findings.append(finding)
    return starter


def _replace(finding: Finding, **changes: object) -> Finding:
    from dataclasses import replace

    return replace(finding, **changes)  # type: ignore[arg-type]


# --- the csm.toml text ---------------------------------------------------------------------


def _toml(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a TOML basic string is a JSON string


def _wrapped(prefix: str, items: Iterable[str], width: int = 96) -> list[str]:
    """`# prefix item, item, ...` over as many comment lines as it takes."""
    lines, line = [], f"# {prefix}"
    for item in items:
        piece = f" {item},"
        if len(line) + len(piece) > width:
            lines.append(line)
            line = "#  "
        line += piece
    lines.append(line.rstrip(","))
    return lines


def _comment(text: str, width: int = 96) -> list[str]:
    import textwrap

    return [f"# {line}" for line in textwrap.wrap(text, width - 2, break_long_words=False)]


def _table_block(f: Finding) -> list[str]:
    assert f.table is not None
    if f.preset is not None:
        about = f"{f.export.file}: {f.preset.vendor} {f.preset.export}, {f.sure} ({f.how})."
        lines = _comment(about) + _comment(f"The preset converts: {f.preset.converts}.")
    else:
        lines = _comment(f"{f.export.file}: the {f.table} table, {f.sure} ({f.how}).")
    if f.also:
        lines += _comment(f"Also matches: {', '.join(f.also)}; change preset if that is it.")
    lines += [f"[tables.{f.table}]", f"file = {_toml(f.export.file)}"]
    if f.preset is not None:
        lines.append(f"preset = {_toml(f.preset.vendor)}")
    notes = [f'# REQUIRED, still to map: {c} = "<one of the export\'s columns>"' for c in f.todo]
    if f.optional:
        notes += _wrapped("Not mapped (optional):", f.optional)
    if f.unused:
        notes += _wrapped("The export's columns not read (they stay segments for --by):",
                          [_toml(h) for h in f.unused])  # fmt: skip
    return [*lines, "", f"[columns.{f.table}]", *notes] if notes else lines


def render(starter: Starter) -> str:
    """The commented csm.toml for what `scan` found."""
    head = [
        f"# csm.toml written by `csm init` on {date.today().isoformat()} from the exports in "
        f"{starter.data}.",
        "# Each [tables.NAME] names the export holding that table and the preset that maps its",
        "# columns (presets are listed in docs/presets.md). Keys you add under [columns.NAME],",
        "# [values.NAME.COLUMN], [defaults.NAME] or [tables.NAME] override the preset's.",
        f"# Then check it: csm validate --data {starter.data}",
        "",
    ]
    body: list[str] = []
    for f in starter.findings:
        if f.table and f.claimed_by is None:
            body += [*_table_block(f), ""]
    others = [f for f in starter.findings if f.table and f.claimed_by is not None]
    for f in others:
        what = f"the {f.preset.vendor} preset" if f.preset else f.how
        body += _comment(f"{f.export.file} also looks like the {f.table} table ({what}), but "
                         f"{f.claimed_by} holds it: csm reads one file per table.")  # fmt: skip
    unknown = [f for f in starter.findings if f.table is None]
    if unknown:
        body += _comment("Not recognised (no preset's identifying headers, no table's required "
                         "columns by name):")  # fmt: skip
        for f in unknown:
            shown = ", ".join(_toml(h) for h in f.export.headers[:12]) or "no header row"
            more = ", ..." if len(f.export.headers) > 12 else ""
            body.append(f"#   {f.export.file}: {shown}{more}")
    return "\n".join(head + body).rstrip() + "\n"
