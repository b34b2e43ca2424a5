"""Presets: ready csm.toml mappings for the exports of common tools, one file per vendor and
table (`presets/<vendor>/<table>.toml`), shipped with the package.

A preset file holds the keys a user would write in csm.toml for that table, without the
table's name: `[table]` (the keys of `[tables.NAME]`: where, delimiter, skip_rows, dedupe),
`[columns]`, `[values.COLUMN]` and `[defaults]`; and a `[preset]` section describing it
(`export`, `source`, `converts`, and `headers`: where its header names come from) with the
`detect` headers that identify the export.

`preset = "stripe"` under `[tables.subscriptions]` merges `stripe/subscriptions.toml` under
the user's own keys (config.preset_fragment); `csm init` recognises exports by `detect`.
Standard library only: nothing here loads pandas.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from typing import Any

# The keys of a preset file, and where each goes in csm.toml.
SECTIONS = {"table": "tables", "columns": "columns", "values": "values", "defaults": "defaults"}


@dataclass(frozen=True)
class Preset:
    """One vendor export's mappings onto one canonical table."""

    vendor: str
    table: str
    export: str  # the vendor's name for the export
    source: str  # the documentation page it follows
    converts: str  # what it turns into csm's units and values, in a few words
    headers: str  # where its header names come from
    detect: tuple[str, ...]  # headers that, all present, identify the export
    mapping: dict[str, Any] = field(default_factory=dict)  # preset file section -> its keys

    def fragment(self) -> dict[str, Any]:
        """The csm.toml this preset stands for: {"columns": {table: {...}}, "tables": ...}."""
        return {SECTIONS[s]: {self.table: keys} for s, keys in self.mapping.items() if keys}


class PresetError(ValueError):
    """A preset file that does not follow the layout above (a bug in the package)."""


def _files() -> list[tuple[str, str]]:
    """(vendor, table) of every preset file shipped."""
    root = resources.files(__name__)
    found = [
        (vendor.name, item.name.removesuffix(".toml"))
        for vendor in root.iterdir()
        if vendor.is_dir() and not vendor.name.startswith(("_", "."))
        for item in vendor.iterdir()
        if item.name.endswith(".toml")
    ]
    return sorted(found)


@cache
def _load(vendor: str, table: str) -> Preset:
    path = resources.files(__name__).joinpath(vendor, f"{table}.toml")
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    about = raw.pop("preset", None)
    unknown = set(raw) - set(SECTIONS)
    if not isinstance(about, dict) or unknown:
        raise PresetError(f"presets/{vendor}/{table}.toml: needs [preset]; unknown {unknown}")
    detect = about.get("detect")
    if not (isinstance(detect, list) and detect and all(isinstance(h, str) for h in detect)):
        raise PresetError(f"presets/{vendor}/{table}.toml: [preset] detect must list headers")
    return Preset(
        vendor,
        table,
        str(about.get("export", "")),
        str(about.get("source", "")),
        str(about.get("converts", "")),
        str(about.get("headers", "")),
        tuple(detect),
        raw,
    )


@cache
def all_presets() -> tuple[Preset, ...]:
    """Every shipped preset, by vendor then table."""
    return tuple(_load(vendor, table) for vendor, table in _files())


def vendors() -> list[str]:
    """The names `preset = "..."` accepts."""
    return sorted({p.vendor for p in all_presets()})


def tables_of(vendor: str) -> list[str]:
    """The tables a vendor's presets map (empty for an unknown vendor)."""
    return [p.table for p in all_presets() if p.vendor == vendor]


def vendors_for(table: str) -> list[str]:
    """The vendors with a preset for `table`."""
    return [p.vendor for p in all_presets() if p.table == table]


def find(vendor: str, table: str) -> Preset | None:
    """The preset for a vendor's export of `table`, or None."""
    return next((p for p in all_presets() if (p.vendor, p.table) == (vendor, table)), None)


def fragment(vendor: str, table: str) -> dict[str, Any] | None:
    """The csm.toml keys `preset = vendor` under [tables.<table>] stands for, or None."""
    preset = find(vendor, table)
    return None if preset is None else preset.fragment()


def missing(vendor: str, table: str) -> str:
    """What `preset = vendor` under [tables.<table>] should be, naming the valid ones."""
    import difflib

    others = vendors_for(table)
    valid = f"presets for {table}: {', '.join(others)}" if others else f"no preset maps {table}"
    if vendor in vendors():
        return (
            f"a preset with a {table} table ({vendor} maps {', '.join(tables_of(vendor))}; {valid})"
        )
    close = difflib.get_close_matches(vendor.lower(), vendors(), n=1, cutoff=0.6)
    guess = f"; did you mean '{close[0]}'?" if close else ""
    return f"a known preset ({valid}; all presets: {', '.join(vendors())}){guess}"


DOC_HEAD = """# Presets

Generated from `csmetrics_cli/presets/` by `python -m csmetrics_cli.presets`: do not edit.

A preset maps one vendor's export onto one of csm's tables. Name it under the table in
csm.toml, with the export's file:

```toml
[tables.subscriptions]
file = "subscriptions.csv"
preset = "stripe"

[columns.subscriptions]        # your own keys win over the preset's
amount = "\\"plan.amount\\" * quantity"   # e.g. a zero-decimal currency (JPY): no / 100
```

`csm init --data DIR` recognises each export in DIR by its header row (the preset's identifying
headers, all present) and writes that csm.toml for you, with what is left to map. Each preset
file (`csmetrics_cli/presets/<vendor>/<table>.toml`) holds the keys you would write yourself:
`[table]` (the keys of `[tables.NAME]`), `[columns]`, `[values.COLUMN]` and `[defaults]`, and a
comment saying which documentation it follows and what could not be confirmed there.

"""


def markdown() -> str:
    """docs/presets.md: one row per preset (vendor, table, export, what it converts, source)."""
    rows = [
        f"| `{p.vendor}` | {p.table} | {p.export} | {p.converts} | {p.headers} | <{p.source}> |"
        for p in all_presets()
    ]
    header = [
        "| preset | table | export | converts | header names from | source |",
        "|---|---|---|---|---|---|",
    ]
    return DOC_HEAD + "\n".join(header + rows) + "\n"
