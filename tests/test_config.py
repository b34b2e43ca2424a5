"""csm.toml: mappings of tables, columns, constant defaults and values; typos are errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from csmetrics_cli.config import load_config
from csmetrics_cli.problems import InputError
from tests.conftest import run_report, values, write_tables


def _config(folder: Path, text: str):
    path = folder / "csm.toml"
    path.write_text(text, encoding="utf-8")
    return load_config(path)


def test_an_export_with_other_names_is_mapped(tmp_path):
    folder = write_tables(
        tmp_path,
        subscription_periods="""
        Sub,Account Number,Monthly Value,Began
        s1,A,100,2024-01-01
        s2,B,50,2024-06-10
        """,
        responses="""
        Customer,How likely are you to recommend us?
        A,10
        B,3
        ,9
        """,
    )
    config = _config(folder, """
        [tables]
        subscriptions = "subscription_periods.csv"
        surveys = "responses.csv"
        [columns.subscriptions]
        subscription_id = "Sub"
        customer_id = "Account Number"
        mrr = "Monthly Value"
        start_date = "Began"
        [columns.surveys]
        score = "How likely are you to recommend us?"
        [defaults.surveys]
        survey_type = "nps"
        responded_at = "2024-06-15"
    """.replace("\n        ", "\n"))  # fmt: skip
    v = values(
        run_report(folder, "2024-06", metrics=["mrr", "nps", "nps_responses"], config=config)
    )
    assert v["mrr"] == 150
    assert v["nps_responses"] == 3  # the anonymous answer counts too
    assert v["nps"] == pytest.approx((2 - 1) / 3 * 100)  # promoters 10, 9; detractor 3


def test_values_are_mapped_onto_canonical_ones(tmp_path):
    folder = write_tables(
        tmp_path,
        subscriptions="subscription_id,customer_id,mrr,start_date\ns1,A,10,2024-01-01",
        surveys="""
        response_id,survey_type,score,responded_at
        r1,Net Promoter,10,2024-06-01
        r2,Net Promoter,0,2024-06-02
        r3,NPS,9,2024-06-03
        """,
    )
    config = _config(folder, '[values.surveys.survey_type]\nnps = ["Net Promoter"]\n')
    v = values(run_report(folder, "2024-06", metrics=["nps_responses"], config=config))
    assert v["nps_responses"] == 3  # "NPS" matches case-insensitively without a mapping


@pytest.mark.parametrize(
    ("text", "word", "suggestion"),
    [
        ('[settings]\ntimezon = "UTC"\n', "timezon", "timezone"),
        ('[setings]\ntimezone = "UTC"\n', "setings", "settings"),
        ('[columns.subscription]\nmrr = "x"\n', "subscription", "subscriptions"),
        ('[columns.subscriptions]\nmrrr = "x"\n', "mrrr", "mrr"),
        ('[defaults.surveys]\nsurvey_typ = "nps"\n', "survey_typ", "survey_type"),
    ],
)
def test_typos_name_the_key_and_suggest_the_right_one(tmp_path, text, word, suggestion):
    with pytest.raises(InputError) as caught:
        _config(tmp_path, text)
    assert word in caught.value.message
    assert f"did you mean '{suggestion}'" in (caught.value.hint or "")


def test_bad_toml_and_bad_date_order(tmp_path):
    with pytest.raises(InputError, match="not valid TOML"):
        _config(tmp_path, "[settings\n")
    with pytest.raises(InputError, match="date_order"):
        _config(tmp_path, '[settings]\ndate_order = "YDM"\n')


def test_unknown_timezone_is_a_config_error(tmp_path):
    with pytest.raises(InputError, match="Mars/Olympus"):
        _config(tmp_path, '[settings]\ntimezone = "Mars/Olympus"\n')
