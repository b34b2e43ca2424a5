"""Meta-tests: the catalog is complete and consistent, and the docs and README follow it."""

from __future__ import annotations

import re
from pathlib import Path

from csmetrics_cli.cli.options import Family
from csmetrics_cli.config import SETTING_RULES as SETTINGS
from csmetrics_cli.docs import DOCS, metrics_markdown, problems_markdown
from csmetrics_cli.metrics.catalog import BY_ID, CATALOG, check_catalog
from csmetrics_cli.metrics.spec import FAMILIES, UNITS

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT.parent / "shared" / "SPEC.md"  # the product contract; CI requires it
HEALTH_IDS = r"`(customer_health_score|\w+_customers|at_risk_mrr)`"


def spec_metric_ids() -> list[str]:
    """Every metric id SPEC section 3 names: first cells of its tables, and the health ids."""
    text = SPEC.read_text(encoding="utf-8")
    section = text[text.index("## 3. Metrics") : text.index("## 4.")]
    ids: list[str] = []
    for line in section.splitlines():
        match = re.match(r"^\| ([a-z_][a-z0-9_ ,/]*) \|", line)
        if match and match[1] != "id":
            ids += [part.strip() for part in re.split("[,/]", match[1])]
    health = section[section.index("### health") : section.index("### satisfaction")]
    return ids + re.findall(HEALTH_IDS, health)


def test_the_catalog_has_no_problems():
    assert check_catalog() == []


def test_check_catalog_finds_a_broken_spec(monkeypatch):
    import dataclasses

    from csmetrics_cli.metrics import catalog

    broken = dataclasses.replace(CATALOG[0], family="sales", depends=("nope",), formula="")
    monkeypatch.setattr(catalog, "CATALOG", (broken, *CATALOG[1:]))
    problems = " ".join(catalog.check_catalog())
    assert "unknown family 'sales'" in problems and "'nope'" in problems
    assert "no name or formula" in problems


def test_every_spec_metric_is_in_the_catalog():
    ids = spec_metric_ids()
    assert len(ids) >= 50, "SPEC section 3 could not be read"
    assert set(ids) <= set(BY_ID), set(ids) - set(BY_ID)


def test_families_and_units_are_one_table_each():
    assert [f.value for f in Family] == list(FAMILIES)
    assert {s.family for s in CATALOG} == set(FAMILIES)
    assert {s.unit for s in CATALOG} <= set(UNITS)


def test_generated_docs_are_current():
    assert (DOCS / "metrics.md").read_text() == metrics_markdown(), "run `make docs`"
    assert (DOCS / "problems.md").read_text() == problems_markdown(), "run `make docs`"


def test_readme_gives_the_two_commands_and_every_setting():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
    missing = [s for s in SETTINGS if f"`{s}`" not in readme]
    assert not missing, f"README does not document settings {missing}"


def test_every_catalog_reference_names_a_function():
    from csmetrics_cli.metrics.compute import resolve

    for spec in CATALOG:
        for ref in (spec.compute, spec.source, spec.detail):
            if ref is not None:
                assert callable(resolve(ref)), f"{spec.id}: {ref.path}"


def test_bridge_measures_are_engine_terms():
    from csmetrics_cli.engine.movements import TERMS

    for spec in CATALOG:
        for term in spec.bridge:
            assert term.lstrip("+-") in TERMS, (spec.id, term)
