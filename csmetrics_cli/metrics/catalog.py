"""The metric catalog: every KPI csm computes, in report order, as one literal table.

`csm report`, `csm metrics`, `csm explain`, the renderers and docs/metrics.md all read
CATALOG. Standard library only (no pandas): compute functions are named, not imported.
`check_catalog()` lists what is wrong with the table; a test requires it to find nothing.
"""

from __future__ import annotations

from csmetrics_cli.metrics.spec import FAMILIES, INTERVALS, UNITS, Kind, MetricSpec, Ref, ref

M, R, D = Kind.measure, Kind.ratio, Kind.derived
SUBS = ("subscriptions",)
SURVEYS = ("surveys",)
# A cohort is the customers created (else first paying) in the period: "a or b" needs either.
COHORT = "subscriptions or customers.created_at"
# Outcomes need completion dates: a column blank everywhere was not exported, not "none done".
ONBOARDING = ("onboarding.completed_at", COHORT)
COSTS = ("costs", "subscriptions")  # costs per customer acquired, retained, paying
REVENUE = ref("engine.movements:measures")
HEALTH = ref("health:counts")
NPS = ref("satisfaction:nps_counts")
# The bootstrap's rows: one per (period, customer) paying at the start snapshot (12 months
# before the end snapshot for TTM), with the MRR terms their ratios sum.
START_CUSTOMERS = ref("revenue:start_customers")
TTM = ref("revenue:ttm_measures")
TTM_CUSTOMERS = ref("revenue:ttm_customers")
NO_START = "no paying customers at the start snapshot"
NO_START_MRR = "no MRR at the start snapshot"
NO_END = "no paying customers at the end snapshot"
NO_NPS = "no nps responses in the period"


def _movers(flag: str, amount: str) -> Ref:
    """explain: the customers where movement `flag` is set, with m0, m1 and `amount`."""
    return ref("engine.movements:movers", flag, amount)


def _scored(band: str | None) -> Ref:
    """explain: the scored customers (of one band), lowest score first."""
    return ref("health:scored_detail", band)


CATALOG: tuple[MetricSpec, ...] = (
    # revenue and retention
    MetricSpec(id="customers_start", name="Customers at start", family="revenue",
               unit="customers", formula="paying customers at the start snapshot (m0 > 0)",
               inputs=SUBS, kind=M, source=REVENUE, measure="customers_start",
               detail=_movers("paying_start", "m0")),
    MetricSpec(id="customers_end", name="Customers at end", family="revenue", unit="customers",
               formula="paying customers at the end snapshot (m1 > 0)", inputs=SUBS, kind=M,
               source=REVENUE, measure="customers_end", detail=_movers("paying_end", "m1"),
               better="up", bridge=("customers_start", "+new_customers",
                                    "+reactivated_customers", "-churned_customers")),
    MetricSpec(id="new_customers", name="New customers", family="revenue", unit="customers",
               formula="m0 = 0, m1 > 0, never paying before the period", inputs=SUBS, kind=M,
               source=REVENUE, measure="new_customers", detail=_movers("new", "m1"),
               better="up"),
    MetricSpec(id="reactivated_customers", name="Reactivated customers", family="revenue",
               unit="customers", formula="m0 = 0, m1 > 0, paying on some day before the period",
               inputs=SUBS, kind=M, source=REVENUE, measure="reactivated_customers",
               detail=_movers("reactivated", "m1"), better="up"),
    MetricSpec(id="churned_customers", name="Churned customers", family="revenue",
               unit="customers", formula="m0 > 0, m1 = 0", inputs=SUBS, kind=M, source=REVENUE,
               measure="churned_customers", detail=_movers("churned", "m0"), better="down"),
    MetricSpec(id="acquired_customers", name="Acquired customers", family="revenue",
               unit="customers", formula="customers whose first paying day falls in the period",
               inputs=SUBS, kind=M, source=REVENUE, measure="acquired_customers",
               detail=_movers("acquired", "m1"), better="up"),
    MetricSpec(id="customer_retention_rate", name="Customer retention rate", family="revenue",
               unit="%", formula="customers paying at both snapshots / customers_start x 100"
               " (churn_denominator)",
               inputs=SUBS, kind=R, source=REVENUE, numerator="retained_customers",
               denominator="churn_base", zero_note=NO_START,
               detail=_movers("paying_start", "m1"), better="up",
               bridge=("customers_start", "-churned_customers"),
               interval="wilson"),
    MetricSpec(id="customer_churn_rate", name="Customer churn rate", family="revenue", unit="%",
               formula="churned_customers / customers_start x 100 (churn_denominator)",
               inputs=SUBS, kind=R,
               source=REVENUE, numerator="churned_customers", denominator="churn_base",
               zero_note=NO_START, detail=_movers("churned", "m0"), better="down",
               interval="wilson"),
    MetricSpec(id="renewal_rate", name="Renewal rate", family="revenue", unit="%",
               formula="customers with a term_end in the period paying on that day (or renewed ="
               " true) / customers with a term_end in the period x 100",
               inputs=("subscriptions.term_end",), kind=R, compute=ref("revenue:renewal"),
               numerator="renewed", denominator="due", better="up",
               interval="wilson"),
    MetricSpec(id="mrr", name="MRR", family="revenue", unit="currency",
               formula="sum of m1 (MRR at the end snapshot)", inputs=SUBS, kind=M,
               source=REVENUE, measure="mrr", detail=_movers("paying_end", "m1"), better="up",
               bridge=("start_mrr", "+new_mrr", "+reactivation_mrr", "+expansion_mrr",
                       "-contraction_mrr", "-churned_mrr")),
    MetricSpec(id="arr", name="ARR", family="revenue", unit="currency", formula="mrr x 12",
               inputs=SUBS, kind=D, compute=ref("revenue:arr"), depends=("mrr",), better="up"),
    MetricSpec(id="arpu", name="ARPU", family="revenue", unit="currency",
               formula="mrr / customers_end", inputs=SUBS, kind=R, source=REVENUE,
               numerator="mrr", denominator="customers_end", scale=1.0, zero_note=NO_END,
               better="up"),
    MetricSpec(id="new_mrr", name="New MRR", family="revenue", unit="currency",
               formula="sum of m1 over new customers", inputs=SUBS, kind=M, source=REVENUE,
               measure="new_mrr", detail=_movers("new", "m1"), better="up"),
    MetricSpec(id="reactivation_mrr", name="Reactivation MRR", family="revenue",
               unit="currency", formula="sum of m1 over reactivated customers", inputs=SUBS,
               kind=M, source=REVENUE, measure="reactivation_mrr",
               detail=_movers("reactivated", "m1"), better="up"),
    MetricSpec(id="expansion_mrr", name="Expansion MRR", family="revenue", unit="currency",
               formula="sum of m1 - m0 where m1 > m0 > 0", inputs=SUBS, kind=M, source=REVENUE,
               measure="expansion_mrr", detail=_movers("expansion", "expansion"), better="up"),
    MetricSpec(id="contraction_mrr", name="Contraction MRR", family="revenue", unit="currency",
               formula="sum of m0 - m1 where m0 > m1 > 0", inputs=SUBS, kind=M, source=REVENUE,
               measure="contraction_mrr", detail=_movers("contraction", "contraction"),
               better="down"),
    MetricSpec(id="churned_mrr", name="Churned MRR", family="revenue", unit="currency",
               formula="sum of m0 over churned customers", inputs=SUBS, kind=M, source=REVENUE,
               measure="churned_mrr", detail=_movers("churned", "m0"), better="down"),
    MetricSpec(id="expansion_revenue_rate", name="Expansion revenue rate", family="revenue",
               unit="%", formula="(expansion_mrr - contraction_mrr - churned_mrr) / start MRR"
               " x 100", inputs=SUBS, kind=R, source=REVENUE, numerator="net_change_mrr",
               denominator="start_mrr", zero_note=NO_START_MRR, better="up",
               bridge=("expansion_mrr", "-contraction_mrr", "-churned_mrr"),
               interval="bootstrap", resample=START_CUSTOMERS),
    MetricSpec(id="net_revenue_retention", name="Net revenue retention", family="revenue",
               unit="%", formula="(start MRR + expansion - contraction - churned) / start MRR"
               " x 100 (+ reactivation with reactivation_in_nrr)", inputs=SUBS, kind=R,
               source=REVENUE, numerator="net_retained_mrr",
               denominator="start_mrr", zero_note=NO_START_MRR,
               detail=_movers("paying_start", "m1"), better="up",
               bridge=("start_mrr", "+expansion_mrr", "-contraction_mrr", "-churned_mrr"),
               interval="bootstrap", resample=START_CUSTOMERS),
    MetricSpec(id="gross_revenue_retention", name="Gross revenue retention", family="revenue",
               unit="%", formula="(start MRR - contraction - churned) / start MRR x 100",
               inputs=SUBS, kind=R, source=REVENUE, numerator="gross_retained_mrr",
               denominator="start_mrr", zero_note=NO_START_MRR,
               detail=_movers("paying_start", "m1"), better="up",
               bridge=("start_mrr", "-contraction_mrr", "-churned_mrr"),
               interval="bootstrap", resample=START_CUSTOMERS),
    MetricSpec(id="revenue_churn_rate", name="Revenue churn rate", family="revenue", unit="%",
               formula="(churned_mrr + contraction_mrr) / start MRR x 100", inputs=SUBS,
               kind=R, source=REVENUE, numerator="lost_mrr", denominator="start_mrr",
               zero_note=NO_START_MRR, better="down",
               bridge=("churned_mrr", "+contraction_mrr"),
               interval="bootstrap", resample=START_CUSTOMERS),
    MetricSpec(id="quick_ratio", name="SaaS quick ratio", family="revenue", unit="ratio",
               formula="(new_mrr + reactivation_mrr + expansion_mrr) / (contraction_mrr +"
               " churned_mrr)", inputs=SUBS, kind=R, source=REVENUE, numerator="gained_mrr",
               denominator="lost_mrr", scale=1.0,
               zero_note="no contraction or churned MRR in the period", better="up",
               bridge=("new_mrr", "+reactivation_mrr", "+expansion_mrr")),
    MetricSpec(id="net_revenue_retention_ttm", name="Net revenue retention (TTM)",
               family="revenue", unit="%", formula="MRR at the end snapshot of the customers"
               " paying 12 months before it / their MRR then x 100", inputs=SUBS, kind=R,
               source=TTM, numerator="ttm_net_mrr", denominator="ttm_start_mrr",
               detail=ref("revenue:ttm_detail"), better="up", interval="bootstrap",
               resample=TTM_CUSTOMERS),
    MetricSpec(id="gross_revenue_retention_ttm", name="Gross revenue retention (TTM)",
               family="revenue", unit="%", formula="sum over the customers paying 12 months"
               " before the end snapshot of min(MRR then, MRR at the end snapshot) / their MRR"
               " then x 100", inputs=SUBS, kind=R, source=TTM, numerator="ttm_gross_mrr",
               denominator="ttm_start_mrr", detail=ref("revenue:ttm_detail"), better="up",
               interval="bootstrap", resample=TTM_CUSTOMERS),
    MetricSpec(id="customer_lifetime_months", name="Customer lifetime", family="revenue",
               unit="months", formula="1 / monthly customer churn rate (mean of the monthly"
               " rates for longer periods)", inputs=SUBS, kind=M,
               compute=ref("revenue:lifetime"), better="up"),
    MetricSpec(id="clv", name="Customer lifetime value", family="revenue", unit="currency",
               formula="arpu x customer_lifetime_months x gross_margin", inputs=SUBS, kind=D,
               compute=ref("revenue:clv"), depends=("arpu", "customer_lifetime_months"),
               better="up"),
    MetricSpec(id="clv_purchase", name="Purchase-based CLV", family="revenue", unit="currency",
               formula="paid amount / paid invoices x paid invoices / paying customers"
               " (trailing 12 months) x lifetime in years", inputs=("subscriptions", "invoices"),
               kind=D, compute=ref("revenue:clv_purchase"),
               depends=("customer_lifetime_months",), better="up"),
    MetricSpec(id="cac", name="Customer acquisition cost", family="revenue", unit="currency",
               formula="acquisition costs dated in the period / acquired_customers",
               inputs=COSTS, kind=R,
               compute=ref("revenue:cost_ratio", "acquisition", "acquired_customers",
                           "no customers acquired in the period"),
               numerator="acquisition costs", denominator="acquired_customers", better="down"),
    MetricSpec(id="customer_retention_cost", name="Customer retention cost", family="revenue",
               unit="currency", formula="retention costs dated in the period / customers paying"
               " at both snapshots", inputs=COSTS, kind=R,
               compute=ref("revenue:cost_ratio", "retention", "retained_customers",
                           "no customers retained in the period"),
               numerator="retention costs", denominator="retained_customers", better="down"),
    MetricSpec(id="retention_cost_per_customer", name="Retention cost per customer",
               family="revenue", unit="currency",
               formula="retention costs dated in the period / customers_end", inputs=COSTS,
               kind=R, compute=ref("revenue:cost_ratio", "retention", "customers_end", NO_END),
               numerator="retention costs", denominator="customers_end", better="down"),
    MetricSpec(id="ltv_to_cac", name="LTV to CAC", family="revenue", unit="ratio",
               formula="clv / cac", inputs=COSTS, kind=D, compute=ref("revenue:ltv_to_cac"),
               depends=("clv", "cac"), better="up"),
    # onboarding, adoption and usage
    MetricSpec(id="onboarding_completion_rate", name="Onboarding completion rate",
               family="engagement", unit="%", formula="cohort customers with every onboarding"
               " step completed / cohort customers with onboarding rows x 100",
               inputs=ONBOARDING, kind=R, compute=ref("engagement:onboarding_completion"),
               numerator="completed", denominator="customers", better="up",
               interval="wilson"),
    MetricSpec(id="onboarding_days_to_complete", name="Days to complete onboarding",
               family="engagement", unit="days", formula="median days from created_at to the"
               " last completed step, over completers", inputs=ONBOARDING, kind=M,
               compute=ref("engagement:onboarding_days"), better="down"),
    MetricSpec(id="onboarding_step_completion", name="Onboarding step completion",
               family="engagement", unit="%", formula="per step: cohort customers who completed"
               " it / cohort customers with that step x 100", inputs=ONBOARDING, kind=R,
               compute=ref("engagement:onboarding_step_completion"), numerator="completed",
               denominator="customers", itemised=True, better="up",
               interval="wilson"),
    MetricSpec(id="onboarding_feature_activation", name="Onboarding feature activation",
               family="engagement", unit="features", formula="mean distinct features a cohort"
               " customer used in its first feature_window_days (30) days",
               inputs=("events.feature", "events.customer_id", COHORT), kind=M,
               compute=ref("engagement:feature_activation"), better="up"),
    MetricSpec(id="onboarding_completer_retention", name="Onboarding completer retention",
               family="engagement", unit="%", formula="onboarding completers in the cohort paying"
               " retention_days (90) after created_at / completers whose retention day is on or"
               " before the last day in the data x 100", inputs=(*ONBOARDING, *SUBS), kind=R,
               compute=ref("engagement:onboarding_retention", True), numerator="paying",
               denominator="completers", better="up",
               interval="wilson"),
    MetricSpec(id="onboarding_noncompleter_retention", name="Onboarding non-completer retention",
               family="engagement", unit="%", formula="onboarding non-completers in the cohort"
               " paying retention_days (90) after created_at / non-completers whose retention"
               " day is on or before the last day in the data x 100", inputs=(*ONBOARDING, *SUBS),
               kind=R, compute=ref("engagement:onboarding_retention", False),
               numerator="paying", denominator="non-completers", better="up",
               interval="wilson"),
    MetricSpec(id="trial_conversion_rate", name="Trial conversion rate", family="engagement",
               unit="%", formula="customers whose trial_start is in the period and who became"
               " paying on or after trial_start / customers whose trial_start is in the period"
               " x 100", inputs=("customers.trial_start", *SUBS), kind=R,
               compute=ref("engagement:trial_conversion"), numerator="converted",
               denominator="trials", better="up",
               interval="wilson"),
    # Inputs depend on config (activated_at, or events when activation_event is set): checked
    # inside the compute function.
    MetricSpec(id="activation_rate", name="Activation rate", family="engagement", unit="%",
               formula="cohort customers with activated_at (or a first activation_event event,"
               " when configured) / cohort customers x 100", inputs=(COHORT,), kind=R,
               compute=ref("engagement:activation_rate"), numerator="activated",
               denominator="cohort", better="up",
               interval="wilson"),
    MetricSpec(id="time_to_value_days", name="Time to value", family="engagement", unit="days",
               formula="median days from created_at to activation over activated cohort"
               " customers (mean and p90 in the note)", inputs=(COHORT,), kind=M,
               compute=ref("engagement:time_to_value"), better="down"),
    MetricSpec(id="feature_adoption_rate", name="Feature adoption rate", family="engagement",
               unit="%", formula="per feature: customers paying at the end snapshot with an"
               " event of the feature in the period / customers_end x 100",
               inputs=("events.feature", "events.customer_id", *SUBS), kind=R,
               compute=ref("engagement:feature_adoption"), numerator="users of the feature",
               denominator="customers_end", itemised=True, better="up",
               interval="wilson"),
    MetricSpec(id="dau", name="Daily active users", family="engagement", unit="users",
               formula="mean over the period's days (to the last event day) of distinct users"
               " active that day", inputs=("events",), kind=M, compute=ref("engagement:dau"),
               better="up"),
    MetricSpec(id="mau", name="Monthly active users", family="engagement", unit="users",
               formula="distinct users active in the month; for longer periods the day-weighted"
               " mean over its months", inputs=("events",), kind=M,
               compute=ref("engagement:mau"), better="up"),
    MetricSpec(id="stickiness", name="Stickiness", family="engagement", unit="%",
               formula="dau / mau x 100", inputs=("events",), kind=D,
               compute=ref("engagement:stickiness"), depends=("dau", "mau"), better="up"),
    MetricSpec(id="total_customers", name="Total customers", family="engagement",
               unit="customers", formula="customers_end = customers_start + new + reactivated -"
               " churned", inputs=SUBS, kind=M, compute=ref("engagement:total_customers"),
               better="up"),
    # health
    MetricSpec(id="customer_health_score", name="Customer health score", family="health",
               unit="score", formula="mean health score (0-100) over scored customers paying at"
               " the end snapshot", inputs=SUBS, kind=R, source=HEALTH, numerator="score_sum",
               denominator="scored", scale=1.0, zero_note=NO_END, detail=_scored(None),
               better="up"),
    MetricSpec(id="healthy_customers", name="Healthy customers", family="health",
               unit="customers", formula="paying customers with score >= 70 (config"
               " health_bands.healthy)", inputs=SUBS, kind=M, source=HEALTH, measure="healthy",
               detail=_scored("healthy"), better="up"),
    MetricSpec(id="needs_attention_customers", name="Needs-attention customers",
               family="health", unit="customers", formula="paying customers with 40 <= score"
               " < 70", inputs=SUBS, kind=M, source=HEALTH, measure="needs_attention",
               detail=_scored("needs_attention"), better="down"),
    MetricSpec(id="at_risk_customers", name="At-risk customers", family="health",
               unit="customers", formula="paying customers with score < 40 (config"
               " health_bands.at_risk)", inputs=SUBS, kind=M, source=HEALTH, measure="at_risk",
               detail=_scored("at_risk"), better="down"),
    MetricSpec(id="unscored_customers", name="Unscored customers", family="health",
               unit="customers", formula="paying customers with no health component to score"
               " (healthy + needs attention + at risk + unscored = customers_end)", inputs=SUBS,
               kind=M, source=HEALTH, measure="unscored", detail=_scored("unscored"),
               better="down"),
    MetricSpec(id="at_risk_mrr", name="At-risk MRR", family="health", unit="currency",
               formula="sum of MRR at the end snapshot over at-risk customers", inputs=SUBS,
               kind=M, source=HEALTH, measure="at_risk_mrr", detail=_scored("at_risk"),
               better="down"),
    # satisfaction and support
    MetricSpec(id="nps", name="Net Promoter Score", family="satisfaction", unit="points",
               formula="% promoters (9-10) - % detractors (0-6) over nps responses dated in the"
               " period", inputs=SURVEYS, kind=R, source=NPS, numerator="net_promoters",
               denominator="n", zero_note=NO_NPS, detail=ref("satisfaction:nps_detail"),
               better="up",
               interval="nps"),
    MetricSpec(id="nps_responses", name="NPS responses", family="satisfaction", unit="count",
               formula="nps responses dated in the period (each response counts)",
               inputs=SURVEYS, kind=M, compute=ref("satisfaction:nps_responses"),
               detail=ref("satisfaction:nps_detail")),
    MetricSpec(id="nps_promoters_pct", name="NPS promoters", family="satisfaction", unit="%",
               formula="nps responses scoring 9-10 / nps responses x 100", inputs=SURVEYS,
               kind=R, source=NPS, numerator="promoters", denominator="n", zero_note=NO_NPS,
               detail=ref("satisfaction:nps_detail"), better="up",
               interval="wilson"),
    MetricSpec(id="nps_detractors_pct", name="NPS detractors", family="satisfaction", unit="%",
               formula="nps responses scoring 0-6 / nps responses x 100", inputs=SURVEYS,
               kind=R, source=NPS, numerator="detractors", denominator="n", zero_note=NO_NPS,
               detail=ref("satisfaction:nps_detail"), better="down",
               interval="wilson"),
    MetricSpec(id="nps_margin_of_error", name="NPS margin of error (95%)",
               family="satisfaction", unit="points", formula="1.96 x sqrt((p' + d' - (p' -"
               " d')^2) / n') x 100, n' = n + 3, p' = (promoters + 0.75) / n', d' = (detractors"
               " + 0.75) / n'", inputs=SURVEYS, kind=M, compute=ref("satisfaction:nps_margin"),
               better="down"),
    MetricSpec(id="csat", name="CSAT", family="satisfaction", unit="%",
               formula="csat responses with score >= ceil(0.8 x scale_max) (or"
               " csat_satisfied_min) / csat responses x 100", inputs=SURVEYS, kind=R,
               compute=ref("satisfaction:csat"), numerator="satisfied", denominator="n",
               better="up",
               interval="wilson"),
    MetricSpec(id="ces", name="Customer effort score", family="satisfaction", unit="score",
               formula="mean ces score in the period on a 1-7 scale (higher = easier unless"
               " configured)", inputs=SURVEYS, kind=M, compute=ref("satisfaction:ces"),
               better="up"),
    MetricSpec(id="first_contact_resolution_rate", name="First contact resolution rate",
               family="satisfaction", unit="%", formula="tickets created in the period resolved"
               " at first contact / tickets created in the period x 100; first contact ="
               " first_contact_resolved true, or where that is blank: resolved with"
               " agent_replies <= 1 and no reopen", inputs=("tickets",), kind=R,
               compute=ref("satisfaction:fcr"), numerator="fcr", denominator="n", better="up",
               interval="wilson"),
)  # fmt: skip

BY_ID: dict[str, MetricSpec] = {spec.id: spec for spec in CATALOG}
# Short names people type for the metrics they ask about most.
ALIASES: dict[str, str] = {
    "nrr": "net_revenue_retention",
    "grr": "gross_revenue_retention",
    "ltv": "clv",
    "churn": "customer_churn_rate",
    "retention": "customer_retention_rate",
    "fcr": "first_contact_resolution_rate",
    "health": "customer_health_score",
}


def lookup(name: str) -> MetricSpec | None:
    """The spec for a metric id or alias, or None."""
    return BY_ID.get(ALIASES.get(name, name))


def select(ids: list[str] | None = None, family: str | None = None) -> list[MetricSpec]:
    """The metrics a report asks for, in catalog order (ids may be aliases)."""
    wanted = {ALIASES.get(i, i) for i in ids} if ids else None
    return [
        s
        for s in CATALOG
        if (family is None or s.family == family) and (wanted is None or s.id in wanted)
    ]


def _interval_problems(s: MetricSpec) -> list[str]:
    """A percentage ratio states its interval; an interval has what it is computed from."""
    where = f"metric {s.id}"
    if s.interval is None:
        percent = s.kind is Kind.ratio and s.unit == "%"
        return [f"{where}: a percentage ratio needs an interval"] if percent else []
    if s.interval not in INTERVALS:
        return [f"{where}: interval must be one of {', '.join(INTERVALS)}"]
    if s.kind is not Kind.ratio:
        return [f"{where}: only a ratio has an interval"]
    if s.interval == "wilson" and not (s.unit == "%" and s.scale == 100.0):
        return [f"{where}: a Wilson interval is for a share in % (scale 100)"]
    if s.interval == "nps" and s.source != NPS:
        return [f"{where}: the NPS interval reads the nps counts as source"]
    if s.interval == "bootstrap" and s.resample is None:
        return [f"{where}: a bootstrap interval needs the resample rows"]
    if s.resample is not None and s.interval != "bootstrap":
        return [f"{where}: resample rows are for a bootstrap interval"]
    return []


def check_catalog() -> list[str]:
    """Problems in the catalog: missing fields, unknown references, incomplete kinds."""
    problems: list[str] = []
    seen: set[str] = set()
    for s in CATALOG:
        where = f"metric {s.id}"
        if s.id in seen:
            problems.append(f"{where}: listed twice")
        seen.add(s.id)
        if not (s.name and s.formula):
            problems.append(f"{where}: no name or formula")
        if s.family not in FAMILIES:
            problems.append(f"{where}: unknown family {s.family!r}")
        if s.unit not in UNITS:
            problems.append(f"{where}: unknown unit {s.unit!r}")
        if s.better not in (None, "up", "down"):
            problems.append(f"{where}: better must be up or down")
        if s.kind is Kind.measure and not (s.compute or (s.source and s.measure)):
            problems.append(f"{where}: a measure needs compute, or source and measure")
        if s.kind is Kind.ratio and not (s.numerator and s.denominator and (s.source or s.compute)):
            problems.append(f"{where}: a ratio names numerator, denominator and where from")
        if s.kind is Kind.derived and not (s.compute and s.depends):
            problems.append(f"{where}: a derived metric needs compute and depends")
        if s.bridge and s.source != REVENUE:
            problems.append(f"{where}: a bridge needs the engine's revenue measures as source")
        problems += _interval_problems(s)
        for dep in s.depends:
            if dep not in BY_ID:
                problems.append(f"{where}: depends on unknown metric {dep!r}")
    for alias, target in ALIASES.items():
        if target not in BY_ID or alias in BY_ID:
            problems.append(f"alias {alias}: must name a metric and not be an id itself")
    return problems
