"""Nothing optional crashes: drop or blank optional columns and tables at random, run csm.

A small synthetic data set (csm sample, 120 customers) is written once per session; each
example copies it with some optional columns (SPEC section 1: everything not marked
required) dropped or blanked and some optional tables left out, then runs `csm report`,
`csm explain <metric>` and `csm health`, which must exit 0 with strict JSON (no NaN or
Infinity) in which every null value says why.
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from csmetrics_cli.cli.app import main
from csmetrics_cli.contracts.schema import SCHEMAS
from csmetrics_cli.health.model import BANDS
from csmetrics_cli.metrics.catalog import BY_ID
from csmetrics_cli.sample import write_sample

PERIOD = "2024-06"
# mrr may only be absent when amount and interval stand in for it; the sample has no amount.
KEEP = {("subscriptions", "mrr")}
METRIC_IDS = sorted(BY_ID)


class Tables(dict[str, pd.DataFrame]):
    """The sample's tables as text frames, with a short repr for failure reports."""

    def __repr__(self) -> str:
        return f"Tables({', '.join(f'{n}: {len(f)} rows' for n, f in self.items())})"


@pytest.fixture(scope="session")
def sample_tables(tmp_path_factory: pytest.TempPathFactory) -> Tables:
    """The sample's tables as text frames (blank cells as empty strings)."""
    folder = tmp_path_factory.mktemp("sample")
    write_sample(folder, customers=120, seed=3)
    return Tables(
        (p.name.split(".")[0], pd.read_csv(p, dtype=str, keep_default_na=False))
        for p in sorted(folder.iterdir())
    )


def optional_columns(tables: dict[str, pd.DataFrame]) -> dict[str, list[str]]:
    """Per table, the columns SPEC/schema do not require (segments included)."""
    out = {}
    for name, frame in tables.items():
        required = {c.name for c in SCHEMAS[name].columns if c.required}
        out[name] = [c for c in frame.columns if c not in required and (name, c) not in KEEP]
    return out


def strict_json(text: str) -> object:
    """json.loads that refuses NaN and Infinity."""

    def refuse(constant: str) -> object:
        raise ValueError(f"not strict JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


def run(capsys: pytest.CaptureFixture[str], args: list[str]) -> object:
    """Run csm in-process; assert exit 0 and return its stdout parsed as strict JSON."""
    capsys.readouterr()
    code = main(args)
    captured = capsys.readouterr()
    assert code == 0, (args, captured.err)
    return strict_json(captured.out)


Plan = dict[str, dict[str, str] | None]  # table -> column -> keep/drop/blank; None = absent


@st.composite
def plans(draw: st.DrawFn, tables: dict[str, pd.DataFrame]) -> Plan:
    """Which optional tables to leave out and which optional columns to drop or blank."""
    plan: Plan = {}
    for name, columns in optional_columns(tables).items():
        if name != "subscriptions" and draw(st.integers(0, 3)) == 0:
            plan[name] = None  # a quarter of the time the optional table is absent
            continue
        actions = {c: draw(st.sampled_from(["keep", "drop", "blank"])) for c in columns}
        plan[name] = {c: a for c, a in actions.items() if a != "keep"}
    return plan


def write_variant(tables: dict[str, pd.DataFrame], plan: Plan, folder: Path) -> None:
    """Write the tables as the plan says."""
    for name, actions in plan.items():
        if actions is None:
            continue
        frame = tables[name].drop(columns=[c for c, a in actions.items() if a == "drop"])
        frame = frame.assign(**{c: "" for c, a in actions.items() if a == "blank"})
        frame.to_csv(folder / f"{name}.csv", index=False)


def check_report(body: dict) -> None:
    """Every null value carries a note; band counts never exceed the paying customers."""
    rows = body["metrics"]
    assert rows
    for row in rows:
        if row["value"] is None:
            assert row["note"], row
    overall = {r["id"]: r["value"] for r in rows if r["segment"] is None and r["item"] is None}
    if overall.get("customers_end") is not None:
        banded = [overall[m] for m in ("healthy_customers", "needs_attention_customers",
                                       "at_risk_customers")]  # fmt: skip
        assert sum(banded) <= overall["customers_end"]


def check_health(body: dict) -> None:
    """Scored customers have a band; unscored ones a reason instead."""
    for customer in body["customers"]:
        if customer["score"] is None:
            assert customer["band"] is None and customer["unscored_reason"]
        else:
            assert customer["band"] in BANDS and customer["unscored_reason"] is None
            assert 0 <= customer["score"] <= 100


# Each example runs three commands on a fresh copy; shrinking would rerun them hundreds of
# times, and the plan printed for a failure is already small enough to read.
@settings(
    max_examples=25,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_optional_columns_and_tables_never_crash(
    sample_tables: Tables, capsys: pytest.CaptureFixture[str], data: st.DataObject
) -> None:
    plan = data.draw(plans(sample_tables), label="plan")
    metric = data.draw(st.sampled_from(METRIC_IDS), label="metric")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        write_variant(sample_tables, plan, folder)
        common = ["-d", str(folder), "-p", PERIOD]
        report = run(capsys, ["report", *common, "-f", "json"])
        explained = run(capsys, ["explain", metric, *common, "--json"])
        health = run(capsys, ["health", *common, "--json"])
    assert isinstance(report, dict) and isinstance(explained, dict) and isinstance(health, dict)
    check_report(report)
    assert explained["id"] == metric and explained["values"]
    check_health(health)
