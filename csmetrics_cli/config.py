"""`csm.toml`: column and value mappings, thresholds and settings.

The file is found with `--config`, else next to the data, else in the working directory.
Unknown keys are an error that names the key and suggests the closest known one, so a typo
never silently falls back to a default.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields
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
    # table -> file name (in a folder) or sheet name (in a workbook) that holds it
    tables: dict[str, str] = field(default_factory=dict)
    # table -> canonical column -> column name in the export
    columns: dict[str, dict[str, str]] = field(default_factory=dict)
    # table -> canonical column -> one value for every row, when the export has no such column
    defaults: dict[str, dict[str, str]] = field(default_factory=dict)
    # table -> column -> canonical value -> values in the export
    values: dict[str, dict[str, dict[str, list[str]]]] = field(default_factory=dict)
    source: Path | None = None


MAPPINGS = {"tables", "columns", "defaults", "values"}
SETTINGS = {f.name for f in fields(Config)} - MAPPINGS - {"source"}
SECTIONS = {"settings"} | MAPPINGS


def _check_keys(keys: set[str], known: set[str], where: str, path: Path) -> None:
    for key in sorted(keys - known):
        close = closest(key, sorted(known))
        hint = f"did you mean '{close}'?" if close else f"known keys: {', '.join(sorted(known))}"
        raise fatal(
            "bad_config", file=str(path), detail=f"unknown key '{key}' in {where}", hint=hint
        )


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
    _check_keys(set(raw), SECTIONS, "the top level", path)
    settings = dict(raw.get("settings", {}))
    _check_keys(set(settings), SETTINGS, "[settings]", path)
    from csmetrics_cli.contracts.schema import SCHEMAS

    maps = {name: raw.get(name, {}) for name in MAPPINGS}
    for section in maps.values():
        _check_keys(set(section), set(SCHEMAS), "table names", path)
    for name in ("columns", "defaults"):
        for table, mapping in maps[name].items():
            known = set(SCHEMAS[table].column_names)
            _check_keys(set(mapping), known, f"[{name}.{table}]", path)
    if "activity_events" in settings:
        settings["activity_events"] = tuple(settings["activity_events"])
    if settings.get("date_order") not in (None, "MDY", "DMY", "YMD"):
        raise fatal(
            "bad_config",
            file=str(path),
            detail=f"date_order must be MDY, DMY or YMD, not {settings['date_order']!r}",
        )
    if "timezone" in settings:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(str(settings["timezone"]))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            detail = f"unknown timezone {settings['timezone']!r}"
            raise fatal("bad_config", file=str(path), detail=detail,
                        hint="use an IANA name such as UTC or Europe/Berlin") from exc  # fmt: skip
    try:
        return Config(**settings, **maps, source=path)
    except TypeError as exc:
        raise fatal("bad_config", file=str(path), detail=str(exc)) from exc
