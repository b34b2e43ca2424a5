"""`csm.toml`: column and value mappings, thresholds and settings.

The file is found with `--config`, else next to the data, else in the working directory.
The whole file is checked against one declared schema (`schema()`): every key at every level
must be known (a typo gets a "did you mean"), and every value must have the type and range
its key expects. All problems are reported together as one `bad_config` error, so a typo or a
wrong type never silently falls back to a default, nor ends in an internal error.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any

from csmetrics_cli.problems import closest, fatal

CONFIG_NAME = "csm.toml"


@dataclass(frozen=True)
class Config:
    """Settings that change how exports are read and metrics are computed."""

    timezone: str = "UTC"
    date_order: str | None = None  # "MDY", "DMY" or "YMD" for slash dates
    encoding: str | None = None
    currency: str = ""
    gross_margin: float = 1.0
    csat_satisfied_min: float | None = None  # default ceil(0.8 x scale_max)
    ces_higher_is_better: bool = True
    activation_event: str | None = None
    activity_events: tuple[str, ...] = ()
    feature_window_days: int = 30
    retention_days: int = 90
    clv_window_months: int = 12
    health_weights: dict[str, float] = field(default_factory=dict)
    health_bands: dict[str, float] = field(default_factory=dict)
    backtest_months: int = 3
    owner_column: str = "csm_owner"  # the customers column naming each account's owner
    # table -> file name (in a folder) or sheet name (in a workbook) that holds it
    tables: dict[str, str] = field(default_factory=dict)
    # table -> how to read and shape it: [tables.NAME] as a table (sql, where, dedupe...)
    table_rules: dict[str, TableRules] = field(default_factory=dict)
    # table -> canonical column -> a header of the export, or a DuckDB SQL expression over them
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    # table -> canonical column -> one value for every row, when the export has no such column
    defaults: dict[str, dict[str, str]] = field(default_factory=dict)
    # table -> column -> canonical value -> values in the export
    values: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)
    # [definitions]: switch -> value as checked by definitions.check (and "profile")
    definitions: dict[str, Any] = field(default_factory=dict)
    source: Path | None = None


MAPPINGS = ("tables", "table_rules", "columns", "defaults", "values")


# --- [tables.NAME] as a table: how one export is read and shaped (contracts/mapping.py) -----

DELIMITERS = (",", ";", "\t", "|", "whitespace")
TABLE_KEYS = ("file", "sql", "where", "delimiter", "skip_rows", "dedupe", "preset", "wide")


@dataclass(frozen=True)
class Dedupe:
    """Keep one row per `key`: the first in the file, or the latest by the `by` column."""

    key: str  # a header or an SQL expression
    keep: str = "first"  # "first" or "latest"
    by: str | None = None  # a header or an SQL expression; required for "latest"


@dataclass(frozen=True)
class TableRules:
    """The table form of [tables.NAME]; every key is optional. SQL runs in DuckDB."""

    file: str | None = None  # the file (folder) or sheet (workbook); default: found by name
    sql: str | None = None  # a query whose result is the table; file names relative to --data
    where: str | None = None  # keep only rows where this SQL condition is true
    delimiter: str | None = None  # one of DELIMITERS; default: sniffed by the reader
    skip_rows: int = 0  # lines before the header row
    dedupe: Dedupe | None = None
    preset: str | None = None  # a named set of mappings for a vendor's export (preset_fragment)
    wide: dict[str, str] = field(default_factory=dict)  # surveys: survey_type -> rating column

    @property
    def shaped(self) -> bool:
        """True when the table goes through DuckDB rather than the plain reader."""
        return bool(self.sql or self.where or self.delimiter or self.skip_rows or self.dedupe
                    or self.wide)  # fmt: skip


def preset_fragment(preset: str, table: str) -> dict[str, Any] | None:
    """The csm.toml text a preset stands for, parsed, for one table: a dict shaped like the
    file itself ({"columns": {table: ...}, "values": {table: ...}, "defaults": ...,
    "tables": {table: {...}}}), merged under the user's own keys. None: no such preset.

    The presets are the files of csmetrics_cli/presets/<preset>/<table>.toml.
    """
    from csmetrics_cli import presets

    return presets.fragment(preset, table)


def known_presets() -> list[str]:
    """The preset names `preset_fragment` knows, for "did you mean" hints."""
    from csmetrics_cli import presets

    return presets.vendors()


def _merge_under(base: dict[str, Any], over: dict[str, Any]) -> dict[str, Any]:
    """`over` merged into `base` key by key, `over` winning: a user's keys beat a preset's."""
    out = dict(base)
    for key, value in over.items():
        old = out.get(key)
        out[key] = _merge_under(old, value) if isinstance(old, dict) and isinstance(value, dict) \
            else value  # fmt: skip
    return out


def _with_presets(raw: dict[str, Any], problems: _Problems) -> dict[str, Any]:
    """The raw file with each [tables.NAME] preset's mappings merged under it."""
    tables = raw.get("tables")
    if not isinstance(tables, dict):
        return raw
    for table, form in tables.items():
        if not (isinstance(form, dict) and isinstance(form.get("preset"), str)):
            continue
        fragment = preset_fragment(form["preset"], table)
        if fragment is None:
            from csmetrics_cli.presets import missing

            problems.wrong(("tables", table, "preset"), form["preset"],
                           missing(form["preset"], table))  # fmt: skip
            continue
        raw = _merge_under(fragment, raw)
    return raw


def _dedupe(value: Any) -> Dedupe:
    if not isinstance(value, dict) or set(value) - {"key", "keep", "by"}:
        raise ValueError
    key, keep, by = value.get("key"), value.get("keep", "first"), value.get("by")
    if not (isinstance(key, str) and key.strip()) or keep not in ("first", "latest"):
        raise ValueError
    if (keep == "latest") != (by is not None) or not (by is None or (isinstance(by, str) and by)):
        raise ValueError
    return Dedupe(key, keep, by)


def _sql(what: str) -> Value:
    return _text(f"{what} in quotes (DuckDB SQL)", lambda v: v.strip())


def _table_rule_nodes(table: str) -> dict[str, Value | Table]:
    nodes: dict[str, Value | Table] = {
        "file": _text("a file or sheet name"),
        "sql": _sql("a query"),
        "where": _sql("a condition"),
        "delimiter": _text(", ".join(json.dumps(d) for d in DELIMITERS), DELIMITERS.__contains__),
        "skip_rows": _number(0, 1000, unit="lines", whole=True),
        "dedupe": Value(
            '{ key = "column", keep = "first" } or { key = ..., keep = "latest", by = "column" }',
            _dedupe,
        ),
        "preset": _text("a preset name in quotes"),
    }
    if table == "surveys":
        nodes["wide"] = Table("a table of survey type = rating column",
                              _choices("surveys", "survey_type"), lambda _: MAPPED)  # fmt: skip
    return nodes


def _table_node(table: str) -> Either:
    nodes = _table_rule_nodes(table)
    form = Table("a table of " + ", ".join(nodes), lambda: nodes, nodes.__getitem__)
    return Either(_text("a file or sheet name, or a table such as { file = ... }"), form)


def _split_tables(checked: dict[str, Any]) -> tuple[dict[str, str], dict[str, TableRules]]:
    """[tables] as Config holds it: file names, and the table forms' rules."""
    files, rules = {}, {}
    for table, value in checked.get("tables", {}).items():
        if isinstance(value, dict):
            rule = TableRules(**{k: v for k, v in value.items() if v is not None})
            rules[table] = rule
            if rule.file:
                files[table] = rule.file
        elif value is not None:
            files[table] = value
    return files, rules


# --- the schema: what every key accepts -----------------------------------------------------


@dataclass(frozen=True)
class Value:
    """A leaf: what it looks like, and a check that returns it as Config holds it."""

    expected: str
    check: Callable[[Any], Any]  # raises ValueError when the value does not fit


@dataclass(frozen=True)
class Table:
    """A TOML table: its allowed keys, and the node each key's value must fit."""

    expected: str
    keys: Callable[[], Collection[str]]  # called only when the table is present
    node: Callable[[str], Value | Table | Either]  # key -> the node for its value


@dataclass(frozen=True)
class Either:
    """A value that is a text (`text`) or a table (`table`): [tables] file name or form."""

    text: Value
    table: Table


def _number(lo: float, hi: float | None = None, *, unit: str = "", whole: bool = False) -> Value:
    kind = "a whole number" if whole else "a number"
    span = f"from {lo:g} to {hi:g}" if hi is not None else f">= {lo:g}"
    expected = f"{kind}{' of ' + unit if unit else ''} {span}"

    def check(value: Any) -> Any:
        # TOML true/false are Python ints: never a number here
        allowed = (int,) if whole else (int, float)
        if isinstance(value, bool) or not isinstance(value, allowed):
            raise ValueError
        if not math.isfinite(value) or value < lo or (hi is not None and value > hi):
            raise ValueError
        return value if whole else float(value)

    return Value(expected, check)


def _text(expected: str = "a text in quotes", test: Callable[[str], object] = len) -> Value:
    """A string; `test` must be truthy and not raise ValueError/LookupError/OSError."""

    def check(value: Any) -> str:
        try:
            if isinstance(value, str) and test(value):
                return value
        except (ValueError, LookupError, OSError) as exc:
            raise ValueError from exc
        raise ValueError

    return Value(expected, check)


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError
    return value


def _texts(value: Any) -> list[str]:
    """A list of non-empty texts; one text is the one-element list ("login" = ["login"])."""
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
        raise ValueError
    return items


def _constant(value: Any) -> str:
    """A [defaults] value: text, number, true/false or a TOML date, kept as text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | time):  # a datetime is a date too
        return value.isoformat()
    if isinstance(value, str | int) or (isinstance(value, float) and math.isfinite(value)):
        return str(value)
    raise ValueError


def _timezone(name: str) -> bool:
    from zoneinfo import ZoneInfo

    ZoneInfo(name)  # ZoneInfoNotFoundError is a LookupError; a malformed name a ValueError
    return True


def _encoding(name: str) -> bool:
    "x".encode(name)  # LookupError for unknown names and for non-text codecs such as rot13
    return True


def _components() -> Collection[str]:
    from csmetrics_cli.health.model import COMPONENTS  # lazily: it imports pandas

    return COMPONENTS


def _tables() -> Collection[str]:
    from csmetrics_cli.contracts.schema import SCHEMAS

    return SCHEMAS


def _columns(table: str) -> Callable[[], Collection[str]]:
    from csmetrics_cli.contracts.schema import SCHEMAS

    return lambda: SCHEMAS[table].column_names


def _mapped_columns(table: str) -> Callable[[], Collection[str]]:
    """Columns whose values are mapped: those with a fixed set of canonical values."""
    from csmetrics_cli.contracts.schema import SCHEMAS

    return lambda: [c.name for c in SCHEMAS[table].columns if c.choices]


def _choices(table: str, column: str) -> Callable[[], Collection[str]]:
    from csmetrics_cli.contracts.schema import SCHEMAS

    return lambda: SCHEMAS[table].column(column).choices


def _per_table(expected: str, node: Callable[[str], Value | Table | Either]) -> Table:
    return Table(f"a table of {expected} per table name", _tables, node)


HEADER = _text("a column header in quotes")
MAPPED = _text("a column header, or a DuckDB SQL expression over the headers, in quotes",
               lambda v: v.strip())  # fmt: skip
DAYS = _number(1, 3650, unit="days", whole=True)
MONTHS = _number(1, 120, unit="months", whole=True)
# One rule per Config setting (a test checks that none is missing).
SETTING_RULES: dict[str, Value | Table | Either] = {
    "timezone": _text("an IANA time zone such as UTC or Europe/Berlin", _timezone),
    "date_order": _text('"MDY", "DMY" or "YMD"', lambda v: v in ("MDY", "DMY", "YMD")),
    "encoding": _text("a text encoding Python knows, such as cp1252 or utf-16", _encoding),
    "currency": _text("a currency symbol in quotes", lambda _: True),
    "gross_margin": _number(0, 1),
    "csat_satisfied_min": _number(0),
    "ces_higher_is_better": Value("true or false", _flag),
    "activation_event": _text("an event name in quotes"),
    "activity_events": Value(
        'a list of event names, such as ["login", "view"]', lambda v: tuple(_texts(v))
    ),
    "feature_window_days": DAYS,
    "retention_days": DAYS,
    "clv_window_months": MONTHS,
    "health_weights": Table("a table of component = weight", _components, lambda _: _number(0)),
    "health_bands": Table(
        "a table of band = threshold", lambda: ("healthy", "at_risk"), lambda _: _number(0, 100)
    ),
    "backtest_months": MONTHS,
    "owner_column": HEADER,
}


# --- [definitions]: the named definition switches (csmetrics_cli/definitions.py) ----------


def _definition(key: str) -> Value:
    """The node of one [definitions] key: its check lists the valid values."""
    from csmetrics_cli.definitions import PROFILES, SWITCHES, DefinitionError, check

    switch = SWITCHES.get(key)
    if switch is None:
        expected = "one of " + ", ".join(PROFILES)
    elif isinstance(switch.default, bool):
        expected = "true or false"
    elif switch.number:
        expected = f'"{switch.default}" or a number >= 0'
    else:
        expected = "one of " + ", ".join(f'"{v}"' for v in switch.values)

    def checked(value: Any) -> Any:
        try:
            return check(key, value)
        except DefinitionError as exc:
            raise ValueError from exc

    return Value(expected, checked)


def _definition_keys() -> Collection[str]:
    from csmetrics_cli.definitions import KEYS

    return KEYS


def schema() -> Table:
    """The one declared schema of csm.toml, from the top level down to every value."""
    sections: dict[str, Value | Table | Either] = {
        "settings": Table("a table of settings", lambda: SETTING_RULES, SETTING_RULES.__getitem__),
        "definitions": Table("a table of definition switches", _definition_keys, _definition),
        "tables": _per_table("file or sheet names, or [tables.NAME] tables", _table_node),
        "columns": _per_table(
            "column mappings",
            lambda t: Table(
                "a table of canonical column = header or expression", _columns(t), lambda _: MAPPED
            ),
        ),
        "defaults": _per_table(
            "constant columns",
            lambda t: Table(
                "a table of canonical column = value",
                _columns(t),
                lambda _: Value("a text, number, true/false or date", _constant),
            ),
        ),
        "values": _per_table(
            "value mappings",
            lambda t: Table(
                "a table of [values.TABLE.COLUMN] tables",
                _mapped_columns(t),
                lambda c: Table(
                    "a table of canonical value = spellings",
                    _choices(t, c),
                    lambda _: Value("a text or a list of texts", _texts),
                ),
            ),
        ),
    }
    return Table("a TOML document", lambda: sections, sections.__getitem__)


# --- checking a parsed file against the schema ----------------------------------------------

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(path: tuple[str, ...]) -> str:
    """A dotted key as TOML writes it: settings.health_weights.usage, tables."my file"."""
    return ".".join(p if _BARE_KEY.match(p) else json.dumps(p) for p in path)


def _show(value: object) -> str:
    """A found value as TOML would spell it, shortened; control characters stay escaped."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, dict):
        text = "a table"
    elif isinstance(value, list):
        text = "[" + ", ".join(_show(v) for v in value[:5]) + (", ...]" if len(value) > 5 else "]")
    else:
        text = str(value)
    return text if len(text) <= 60 else text[:57] + "..."


@dataclass
class _Problems:
    """Every problem found, each with its key, the value found and what was expected."""

    lines: list[str] = field(default_factory=list)
    hints: list[str] = field(default_factory=list)

    def wrong(self, path: tuple[str, ...], value: object, expected: str) -> None:
        self.lines.append(f"{_key(path)} = {_show(value)}: expected {expected}")

    def unknown(self, path: tuple[str, ...], known: Collection[str]) -> None:
        key = path[-1] if _BARE_KEY.match(path[-1]) else json.dumps(path[-1])[1:-1]
        close = closest(path[-1], sorted(known))
        where = f"in [{_key(path[:-1])}]" if path[:-1] else "at the top level"
        if close:
            self.lines.append(f"unknown key '{key}' {where}: did you mean '{close}'?")
            self.hints.append(f"did you mean '{close}' for '{key}'?")
        else:
            known_keys = ", ".join(sorted(known)) or "none"
            self.lines.append(f"unknown key '{key}' {where}: known keys: {known_keys}")


def _walk(
    node: Value | Table | Either, value: object, path: tuple[str, ...], problems: _Problems
) -> Any:
    """The value as Config holds it; each problem found is added to `problems`."""
    if isinstance(node, Either):
        node = node.table if isinstance(value, dict) else node.text
    if isinstance(node, Value):
        try:
            return node.check(value)
        except ValueError:
            problems.wrong(path, value, node.expected)
            return None
    if not isinstance(value, dict):
        problems.wrong(path, value, node.expected)
        return {}
    known = node.keys()
    out = {}
    for key, item in value.items():
        if key not in known:
            problems.unknown((*path, key), known)
        else:
            out[key] = _walk(node.node(key), item, (*path, key), problems)
    return out


def _check_health(settings: dict[str, Any], problems: _Problems) -> None:
    """Rules across keys: bands in order, and some weight to average with."""
    from csmetrics_cli.health.model import DEFAULT_BANDS, DEFAULT_WEIGHTS

    bands = {**DEFAULT_BANDS, **settings.get("health_bands", {})}
    if bands["at_risk"] >= bands["healthy"]:
        problems.wrong(
            ("settings", "health_bands"),
            bands,
            f"at_risk below healthy (at_risk = {bands['at_risk']:g}, "
            f"healthy = {bands['healthy']:g})",
        )
    weights = settings.get("health_weights", {})
    if sum({**DEFAULT_WEIGHTS, **weights}.values()) <= 0:
        problems.wrong(("settings", "health_weights"), weights, "at least one weight above 0")


def _parse(raw: dict[str, Any], path: Path) -> Config:
    problems = _Problems()
    raw = _with_presets(raw, problems)
    checked = _walk(schema(), raw, (), problems)
    settings = checked.get("settings", {})
    if not problems.lines and {"health_bands", "health_weights"} & set(settings):
        _check_health(settings, problems)
    if problems.lines:
        lines = problems.lines
        detail = lines[0] if len(lines) == 1 else f"{len(lines)} problems:\n  " + "\n  ".join(lines)
        hint = "; ".join(problems.hints) or None
        raise fatal("bad_config", file=str(path), detail=detail, hint=hint)
    files, rules = _split_tables(checked)
    mappings = {m: checked.get(m, {}) for m in MAPPINGS} | {"tables": files, "table_rules": rules}
    return Config(**settings, **mappings, definitions=checked.get("definitions", {}), source=path)


def find_config(explicit: Path | None, data: Path | None) -> Path | None:
    """The config file to use: --config, else csm.toml beside the data, else in the cwd."""
    if explicit is not None:
        if not explicit.is_file():
            raise fatal("bad_config", file=str(explicit), detail="file not found")
        return explicit
    candidates = []
    if data is not None:
        candidates.append((data if data.is_dir() else data.parent) / CONFIG_NAME)
    candidates.append(Path.cwd() / CONFIG_NAME)
    return next((c for c in candidates if c.is_file()), None)


def load_config(path: Path | None) -> Config:
    """Parse csm.toml into a Config; no file means all defaults."""
    if path is None:
        return Config()
    try:
        raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise fatal("bad_config", file=str(path), detail=f"not valid TOML ({exc})") from exc
    except OSError as exc:
        detail = f"cannot be read ({exc.strerror})"
        hint = "check the file's permissions, or pass another --config"
        raise fatal("bad_config", file=str(path), detail=detail, hint=hint) from exc
    return _parse(raw, path)
