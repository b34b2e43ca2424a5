"""csm.toml against its one schema: every wrong key, type or range is a bad_config error
naming the key, the value found and what was expected; all of them at once; never a crash."""

from __future__ import annotations

import json
import math
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from csmetrics_cli.cli.app import main
from csmetrics_cli.config import MAPPINGS, SETTING_RULES, Config, load_config
from csmetrics_cli.contracts.schema import SCHEMAS
from csmetrics_cli.problems import InputError

SAMPLE = Path(__file__).parent / "fixtures" / "hostile" / "config_sample"


def _load(tmp_path: Path, text: str) -> Config:
    path = tmp_path / "csm.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def _refused(tmp_path: Path, text: str) -> InputError:
    with pytest.raises(InputError) as caught:
        _load(tmp_path, text)
    assert caught.value.issue.code == "bad_config"
    return caught.value


def test_every_setting_has_a_rule():
    settings_ = {f.name for f in fields(Config)} - set(MAPPINGS) - {"source", "definitions"}
    assert set(SETTING_RULES) == settings_


@pytest.mark.parametrize(
    ("text", "key", "found", "expected"),
    [
        ('[settings]\ngross_margin = "high"', "settings.gross_margin", '"high"', "a number"),
        ("[settings]\nencoding = 5", "settings.encoding", "5", "text encoding"),
        ('[settings]\nencoding = "klingon"', "settings.encoding", '"klingon"', "text encoding"),
        ('[settings]\nencoding = "rot13"', "settings.encoding", '"rot13"', "text encoding"),
        ("[settings]\nactivity_events = 5", "settings.activity_events", "5", "list of event"),
        ('settings = "x"', "settings", '"x"', "a table"),
        ("[columns.subscriptions]\ncustomer_id = 5", "columns.subscriptions.customer_id", "5",
         "column header"),
        ("[tables]\nsubscriptions = 5", "tables.subscriptions", "5", "file or sheet name"),
        ('[settings]\nhealth_weights = { usage = "x" }', "settings.health_weights.usage", '"x"',
         "a number >= 0"),
        ("[settings]\nhealth_weights = { usage = -0.5 }", "settings.health_weights.usage",
         "-0.5", "a number >= 0"),
        ('[settings]\ncsat_satisfied_min = "4"', "settings.csat_satisfied_min", '"4"',
         "a number"),
        ("[settings]\nhealth_bands = { at_risk = 80 }", "settings.health_bands", "a table",
         "at_risk below healthy"),
        ("[settings]\nhealth_bands = { healthy = 50, at_risk = 50 }", "settings.health_bands",
         "a table", "at_risk below healthy"),
        ("[settings]\nretention_days = -5", "settings.retention_days", "-5", "from 1 to 3650"),
        ("[settings]\nretention_days = 1.5", "settings.retention_days", "1.5", "whole number"),
        ("[settings]\ngross_margin = nan", "settings.gross_margin", "nan", "from 0 to 1"),
        ("[settings]\ngross_margin = true", "settings.gross_margin", "true", "a number"),
        ("[settings]\nfeature_window_days = true", "settings.feature_window_days", "true",
         "whole number"),
        ("[settings]\nces_higher_is_better = 1", "settings.ces_higher_is_better", "1",
         "true or false"),
        ('[settings]\ntimezone = "../../etc/passwd"', "settings.timezone", '"../../etc/passwd"',
         "IANA time zone"),
        ('[settings]\ndate_order = "YDM"', "settings.date_order", '"YDM"', '"MDY", "DMY"'),
        ("[settings]\nhealth_weights = 0.5", "settings.health_weights", "0.5", "a table"),
        ('[values.surveys.survey_type]\nnps = ["x", 3]', "values.surveys.survey_type.nps",
         '["x", 3]', "a list of texts"),
        ('[defaults.surveys]\nresponded_at = ["x"]', "defaults.surveys.responded_at", '["x"]',
         "a text, number"),
    ],
)  # fmt: skip
def test_a_wrong_value_names_key_value_and_expectation(tmp_path, text, key, found, expected):
    error = _refused(tmp_path, text)
    assert f"{key} = {found}: expected" in error.message
    assert expected in error.message


@pytest.mark.parametrize(
    ("text", "word", "suggestion"),
    [
        ("[settings]\nhealth_weights = { usagee = 0.5 }", "usagee", "usage"),
        ("[settings]\nhealth_bands = { healty = 60 }", "healty", "healthy"),
        ('[values.surveys.survey_type]\nnpss = "Net Promoter"', "npss", "nps"),
        ('[values.surveys.survey_typ]\nnps = "Net Promoter"', "survey_typ", "survey_type"),
        ('[defaults.survey]\nsurvey_type = "nps"', "survey", "surveys"),
    ],
)
def test_unknown_keys_at_every_level_get_a_suggestion(tmp_path, text, word, suggestion):
    error = _refused(tmp_path, text)
    assert f"unknown key '{word}'" in error.message
    assert f"did you mean '{suggestion}'" in (error.hint or "")


def test_a_mapping_for_a_column_without_fixed_values_is_refused(tmp_path):
    error = _refused(tmp_path, '[values.customers.plan]\npro = "Pro"')
    assert "unknown key 'plan' in [values.customers]" in error.message


def test_every_problem_is_reported_at_once(tmp_path):
    error = _refused(tmp_path, """
[settings]
gross_margin = "high"
encoding = 5
timezon = "UTC"
retention_days = -5
[tables]
subscriptions = 5
[columns.subscriptions]
customer_id = 5
""")  # fmt: skip
    assert error.message.count("\n  ") == 6 and "6 problems" in error.message
    for key in ("gross_margin", "encoding", "timezon", "retention_days",
                "tables.subscriptions", "columns.subscriptions.customer_id"):  # fmt: skip
        assert key in error.message


def test_valid_values_are_normalised(tmp_path):
    config = _load(tmp_path, """
[settings]
activity_events = "login"
gross_margin = 1
csat_satisfied_min = 4
health_weights = { usage = 0 }
[defaults.surveys]
survey_type = "nps"
responded_at = 2024-06-15
scale_max = 10
[values.surveys.survey_type]
nps = "Net Promoter"
""")  # fmt: skip
    # one event name is the one-element list (documented in docs/decisions.md)
    assert config.activity_events == ("login",)
    assert config.gross_margin == 1.0 and isinstance(config.gross_margin, float)
    assert config.csat_satisfied_min == 4.0
    assert config.defaults["surveys"] == {
        "survey_type": "nps", "responded_at": "2024-06-15", "scale_max": "10"}  # fmt: skip
    assert config.values["surveys"]["survey_type"]["nps"] == ["Net Promoter"]


def test_cli_reports_a_bad_config_as_exit_1(capsys, tmp_path):
    toml = tmp_path / "bad.toml"
    toml.write_text('[settings]\ngross_margin = "high"\nhealth_weights = { usagee = 0.5 }\n')
    code = main(["validate", "-d", str(SAMPLE), "--config", str(toml)])
    err = capsys.readouterr().err
    assert code == 1
    assert "internal error" not in err
    assert "settings.gross_margin" in err and "usagee" in err and "did you mean 'usage'" in err


def test_an_unreadable_config_is_a_config_error(tmp_path):
    folder = tmp_path / "csm.toml"
    folder.mkdir()
    with pytest.raises(InputError, match="cannot be read"):
        load_config(folder)


# --- random wrongly-typed values for every key ----------------------------------------------


def _toml(value: object) -> str:
    """A TOML value (inline tables and arrays for nested data)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf") \
            if math.isinf(value) else repr(value)  # fmt: skip
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False).replace("\x7f", "\\u007f")
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_toml(str(k))} = {_toml(v)}" for k, v in value.items()) + "}"
    return str(value)


SCALARS = st.one_of(
    st.booleans(), st.integers(-(2**63), 2**63 - 1), st.floats(), st.text(max_size=10),
    st.sampled_from(["UTC", "nps", "login", "cp1252", "subscriptions.csv", ""]),
    st.dates(), st.datetimes(),
)  # fmt: skip
ANY = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner,
                                                                max_size=3),
    max_leaves=6,
)  # fmt: skip
TABLES = st.sampled_from(sorted(SCHEMAS))
COLUMNS = st.sampled_from(sorted({c for s in SCHEMAS.values() for c in s.column_names}))


def _section(keys: st.SearchStrategy[str], inner: st.SearchStrategy) -> st.SearchStrategy:
    return st.one_of(ANY, st.dictionaries(keys, inner, max_size=3))


DOCUMENT = st.fixed_dictionaries(
    {},
    optional={
        "settings": _section(st.sampled_from(sorted(SETTING_RULES)), ANY),
        "tables": _section(TABLES, ANY),
        "columns": _section(TABLES, _section(COLUMNS, ANY)),
        "defaults": _section(TABLES, _section(COLUMNS, ANY)),
        "values": _section(TABLES, _section(COLUMNS, _section(st.text(max_size=5), ANY))),
    },
)


# capsys is read (and so emptied) on every example
@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(DOCUMENT)
def test_random_config_values_never_crash(tmp_path_factory, capsys, document):
    path = tmp_path_factory.mktemp("config") / "random.toml"
    path.write_text("".join(f"{k} = {_toml(v)}\n" for k, v in document.items()), "utf-8")
    code = main(["validate", "-d", str(SAMPLE), "--config", str(path), "-f", "json"])
    err = capsys.readouterr().err
    assert "internal error" not in err and "Traceback" not in err
    assert code in (0, 1, 2)
