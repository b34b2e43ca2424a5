"""Named definition switches: the choices other tools make differently, as one literal table.

Each switch has its values, its default (csm's own definition), what it changes and which
tools use each value; a profile sets the switches to one tool's documented definitions
(docs/definitions.md cites the pages). The switches are read from `[definitions]` in
csm.toml and overridden per run with `--define key=value`; explicit switches win over the
profile. Standard library only: `csm --help` and the config check never import pandas.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Switch:
    """One definition choice: its values (value -> what it does, and who uses it)."""

    key: str
    default: str | bool | float
    effect: str  # what the switch changes
    values: dict[str, str]  # value as written -> its meaning and the tools that use it
    metrics: str  # the metrics that follow it
    number: bool = False  # a number (or "auto") instead of one of `values`


SWITCHES: dict[str, Switch] = {
    s.key: s
    for s in (
        Switch("end_dates", "exclusive", "what a subscription's end_date (and term_end) means",
               {"exclusive": "the first day without service (csm, Stripe's ended_at)",
                "inclusive": "the last day of service: service runs through it (HR rosters,"
                " many CRM exports)"},
               "every revenue metric, cohorts, renewals"),
        Switch("churn_at", "period_end", "the day a cancelled subscription stops counting",
               {"period_end": "end_date, when the paid term ends (ChartMogul's default,"
                " ProfitWell)",
                "cancel": "canceled_at, when the cancellation is recorded, if earlier"
                " (ChartMogul's 'at the time of cancellation', CMRR)"},
               "every revenue metric"),
        Switch("churn_source", "subscriptions", "where churn is read from",
               {"subscriptions": "subscription end dates only (csm)",
                "churn_events": "also a churn_events table (customer_id, churned_at, reason):"
                " the customer stops paying on churned_at (event-log exports)",
                "flag": "also customers.churned (true/false) with customers.churned_at: a"
                " flagged customer stops paying on churned_at (CRM exports)"},
               "every revenue metric"),
        Switch("delinquent_after_days", "off",
               "when a customer with an unpaid failed invoice stops counting as paying",
               {"off": "never: only subscription dates count (csm, Stripe until 'unpaid')",
                "NUMBER": "N days after a failed invoice with no later paid invoice"
                " (Baremetrics: 30)"},
               "every revenue metric", number=True),
        Switch("overlapping", "sum", "how concurrent subscriptions of one customer add up",
               {"sum": "MRR is the sum of the active subscriptions (ChartMogul, Stripe,"
                " ProfitWell, Baremetrics)",
                "max": "the largest active subscription only (seats-style duplicates)",
                "latest": "the most recently started active subscription only (renewals"
                " exported as new rows)"},
               "every revenue metric"),
        Switch("same_period_join_and_churn", "ignore",
               "customers whose first paying day is in the period and who are not paying at its"
               " end",
               {"ignore": "neither new nor churned: only the snapshots count (csm, ProfitWell)",
                "count": "one new and one churned customer (Baremetrics); their MRR stays out"
                " of the MRR bridge"},
               "new_customers, churned_customers, customer_churn_rate, lifetime"),
        Switch("reactivation_in_nrr", False, "whether reactivation MRR counts in NRR",
               {"false": "NRR = (start + expansion - contraction - churned) / start (csm,"
                " Baremetrics)",
                "true": "reactivation MRR is added to the numerator (ChartMogul's cohort net"
                " MRR retention)"},
               "net_revenue_retention"),
        Switch("churn_denominator", "start", "what customer churn and retention rates divide by",
               {"start": "customers paying at the start snapshot (csm, ChartMogul, ProfitWell,"
                " Baremetrics)",
                "average": "the mean of the start and end counts (HR turnover)",
                "start_plus_new": "customers at the start plus new customers of the period"
                " (Stripe's subscriber churn rate)"},
               "customer_churn_rate, customer_retention_rate, customer_lifetime_months"),
        Switch("nps_per", "response", "which NPS answers count",
               {"response": "every response (csm)",
                "first": "each customer's first answer in the period",
                "latest": "each customer's latest answer in the period"},
               "nps and its counts"),
        Switch("csat_per", "response", "which CSAT answers count",
               {"response": "every response (csm)", "first": "each customer's first answer",
                "latest": "each customer's latest answer"}, "csat"),
        Switch("ces_per", "response", "which CES answers count",
               {"response": "every response (csm)", "first": "each customer's first answer",
                "latest": "each customer's latest answer"}, "ces"),
        Switch("window", "calendar", "the days a period covers",
               {"calendar": "the period as written: 2024-06 is June (csm, ChartMogul,"
                " ProfitWell, Stripe's monthly reports)",
                "rolling_30": "the 30 days ending on the period's last day; the start snapshot"
                " is the day before them (Baremetrics)"},
               "every metric"),
        Switch("fcr_rule", "flag", "how a ticket counts as resolved at first contact",
               {"flag": "first_contact_resolved where given, else the one-touch rule (csm)",
                "one_touch": "always the rule: resolved with agent_replies <= 1 and no reopen"},
               "first_contact_resolution_rate"),
        Switch("csat_satisfied_min", "auto", "the lowest CSAT score that counts as satisfied",
               {"auto": "ceil(0.8 x scale_max): 4-5 on 1-5 (csm)",
                "NUMBER": "that score or more (settings.csat_satisfied_min is an alias)"},
               "csat", number=True),
    )
}  # fmt: skip

PROFILES: dict[str, dict[str, str | bool | float]] = {
    "csm": {},
    "chartmogul": {"churn_at": "period_end", "overlapping": "sum", "reactivation_in_nrr": True,
                   "churn_denominator": "start"},
    "profitwell": {"churn_at": "period_end", "overlapping": "sum",
                   "same_period_join_and_churn": "ignore", "churn_denominator": "start"},
    "baremetrics": {"overlapping": "sum", "same_period_join_and_churn": "count",
                    "delinquent_after_days": 30.0, "window": "rolling_30",
                    "reactivation_in_nrr": False, "churn_denominator": "start"},
    "stripe": {"end_dates": "exclusive", "overlapping": "sum",
               "churn_denominator": "start_plus_new"},
}  # fmt: skip
KEYS = (*SWITCHES, "profile")
# (switch, value) -> metric -> the terms it adds to the metric's bridge (`csm explain`)
BRIDGE_TERMS: dict[tuple[str, object], dict[str, tuple[str, ...]]] = {
    ("reactivation_in_nrr", True): {"net_revenue_retention": ("+reactivation_mrr",)},
}


class DefinitionError(ValueError):
    """An unknown switch or value: the message lists the valid ones."""


def _choices(switch: Switch) -> str:
    if switch.number:
        return f'"{switch.default}" or a number >= 0'
    return ", ".join(switch.values)


def check(key: str, value: Any) -> str | bool | float:
    """A switch's value as csm holds it (TOML true/false, numbers or text)."""
    if key == "profile":
        if isinstance(value, str) and value in PROFILES:
            return value
        raise DefinitionError(f"profile = {value!r}: expected one of {', '.join(PROFILES)}")
    switch = SWITCHES.get(key)
    if switch is None:
        from csmetrics_cli.problems import closest

        close = closest(key, list(KEYS))
        guess = f"did you mean '{close}'? " if close else ""
        raise DefinitionError(f"unknown definition '{key}': {guess}known: {', '.join(KEYS)}")
    if isinstance(switch.default, bool):
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in ("true", "false"):
            return value.lower() == "true"
    elif switch.number:
        if value == switch.default:
            return value
        try:
            number = float(value) if not isinstance(value, bool) else -1.0
        except (TypeError, ValueError):
            number = -1.0
        if number >= 0:
            return number
    elif isinstance(value, str) and value in switch.values:
        return value
    raise DefinitionError(f"{key} = {value!r}: expected {_choices(switch)}")


def parse_define(text: str) -> tuple[str, str | bool | float]:
    """A `--define key=value` text as (key, value); DefinitionError when unknown."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not key:
        raise DefinitionError(f"--define {text!r}: write KEY=VALUE, e.g. churn_denominator=average")
    return key, check(key, value)


@dataclass(frozen=True)
class Definitions:
    """The active switches: defaults, then the profile's, then the explicit ones."""

    values: Mapping[str, str | bool | float]
    profile: str | None = None

    @classmethod
    def resolve(cls, explicit: Mapping[str, Any] | None = None) -> Definitions:
        """From `[definitions]` (and --define) values already checked with `check`."""
        chosen = dict(explicit or {})
        profile = chosen.pop("profile", None)
        values = {k: s.default for k, s in SWITCHES.items()}
        values.update(PROFILES.get(profile or "csm", {}))
        values.update(chosen)
        return cls(values, profile)

    @classmethod
    def of_profile(cls, profile: str) -> Definitions:
        """A vendor's definitions alone, without any explicit switch."""
        return cls.resolve({"profile": profile})

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def bridge(self, metric: str, terms: tuple[str, ...]) -> tuple[str, ...]:
        """A metric's bridge terms with those the active switches add."""
        extra = [t for (k, v), adds in BRIDGE_TERMS.items() if self.values.get(k) == v
                 for t in adds.get(metric, ())]  # fmt: skip
        return (*terms, *extra)

    def changed(self) -> dict[str, str | bool | float]:
        """The switches that differ from csm's defaults."""
        return {k: v for k, v in self.values.items() if v != SWITCHES[k].default}

    def to_dict(self) -> dict[str, Any]:
        """Every switch with its value, and the profile (null for none)."""
        return {**self.values, "profile": self.profile}

    def caption(self) -> str | None:
        """One line naming the profile and the switches off csm's defaults, or None."""
        parts = [f"{k}={show(v)}" for k, v in self.changed().items()]
        if self.profile:
            parts.insert(0, f"profile={self.profile}")
        return "definitions: " + ", ".join(parts) if parts else None

    def header(self) -> str:
        """Every switch with its value, for a report's header (HTML, XLSX, Markdown)."""
        values = ", ".join(f"{k}={show(v)}" for k, v in self.values.items())
        return f"Definitions{f' (profile {self.profile})' if self.profile else ''}: {values}"


def show(value: object) -> str:
    """A switch value as it is written in csm.toml (true/false, numbers without .0)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
