"""Meta-tests: the registry, the generated docs and the README stay in step with the code."""

from __future__ import annotations

import re
from pathlib import Path

from csmetrics_cli.docs import DOCS, metrics_markdown, problems_markdown
from csmetrics_cli.metrics.compute import catalog
from csmetrics_cli.metrics.registry import FAMILIES, UNITS
from csmetrics_cli.problems import PROBLEMS

ROOT = Path(__file__).resolve().parent.parent
# Every metric id SPEC section 3 names, in its order.
SPEC_IDS = (
    "customers_start",
    "customers_end",
    "new_customers",
    "reactivated_customers",
    "churned_customers",
    "acquired_customers",
    "customer_retention_rate",
    "customer_churn_rate",
    "renewal_rate",
    "mrr",
    "arr",
    "arpu",
    "new_mrr",
    "reactivation_mrr",
    "expansion_mrr",
    "contraction_mrr",
    "churned_mrr",
    "expansion_revenue_rate",
    "net_revenue_retention",
    "gross_revenue_retention",
    "revenue_churn_rate",
    "customer_lifetime_months",
    "clv",
    "clv_purchase",
    "cac",
    "customer_retention_cost",
    "retention_cost_per_customer",
    "ltv_to_cac",
    "onboarding_completion_rate",
    "onboarding_days_to_complete",
    "onboarding_step_completion",
    "onboarding_feature_activation",
    "onboarding_completer_retention",
    "onboarding_noncompleter_retention",
    "trial_conversion_rate",
    "activation_rate",
    "time_to_value_days",
    "feature_adoption_rate",
    "dau",
    "mau",
    "stickiness",
    "total_customers",
    "customer_health_score",
    "healthy_customers",
    "needs_attention_customers",
    "at_risk_customers",
    "at_risk_mrr",
    "nps",
    "nps_responses",
    "nps_promoters_pct",
    "nps_detractors_pct",
    "nps_margin_of_error",
    "csat",
    "ces",
    "first_contact_resolution_rate",
)


def test_every_metric_is_fully_declared():
    for spec in catalog():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", spec.id), spec.id
        assert spec.name and spec.formula, spec.id
        assert spec.family in FAMILIES and spec.unit in UNITS, spec.id


def test_every_spec_id_is_registered():
    ids = {s.id for s in catalog()}
    assert set(SPEC_IDS) <= ids, set(SPEC_IDS) - ids


def test_generated_docs_are_current():
    assert (DOCS / "metrics.md").read_text() == metrics_markdown(), "run `make docs`"
    assert (DOCS / "problems.md").read_text() == problems_markdown(), "run `make docs`"
    for spec in catalog():
        assert f"`{spec.id}`" in metrics_markdown()
    for code in PROBLEMS:
        assert f"`{code}`" in problems_markdown()


def test_readme_gives_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
