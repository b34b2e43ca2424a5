"""The drawn arrays as the canonical table frames: ids, labels, dates and column order."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from csmetrics_cli.contracts.schema import SPEC_TABLES
from csmetrics_cli.sample.arrays import OPEN, Arr, _day
from csmetrics_cli.sample.model import (
    COST_CATEGORIES,
    EVENT_NAMES,
    FEATURES,
    INDUSTRIES,
    INTERVAL_NAMES,
    OWNERS,
    PLANS,
    REGIONS,
    STEPS,
    SURVEY_TYPES,
    TICKET_CHANNELS,
    _activity,
    _Costs,
    _Customers,
    _draw_costs,
    _draw_customers,
    _draw_events,
    _draw_invoices,
    _draw_onboarding,
    _draw_subscriptions,
    _draw_surveys,
    _draw_tickets,
    _Events,
    _Invoices,
    _Onboarding,
    _Subs,
    _Surveys,
    _Tickets,
    _Window,
)

# The canonical tables, in SPEC order; churn_events (read only by churn_source = churn_events)
# is not generated: the sample's churn is in its subscriptions.
TABLES = tuple(n for n in SPEC_TABLES if n != "churn_events")
STR = pd.StringDtype(na_value=np.nan)


def generate(
    customers: int = 1500, seed: int = 7, start: str = "2023-01-01", end: str = "2024-12-31"
) -> dict[str, pd.DataFrame]:
    """The canonical tables by name (see TABLES), deterministic for a given seed."""
    if customers < 1:
        raise ValueError("customers must be at least 1")
    w = _Window(_day(start), _day(end) + 1)
    if w.stop <= w.start:
        raise ValueError(f"end {end} is before start {start}")
    # one generator per table so that tuning one table leaves the others' rows unchanged
    rngs = [np.random.default_rng([seed, k]) for k in range(8)]
    cust = _draw_customers(rngs[0], customers, w)
    subs = _draw_subscriptions(rngs[1], cust, w)
    activity = _activity(cust, subs, w)
    tickets = _draw_tickets(rngs[2], cust, activity, w)
    onboarding = _draw_onboarding(rngs[3], cust, w)
    return {
        "customers": _customers_frame(cust, subs),
        "subscriptions": _subscriptions_frame(cust, subs),
        "invoices": _invoices_frame(cust, _draw_invoices(rngs[4], cust, subs, w)),
        "surveys": _surveys_frame(cust, _draw_surveys(rngs[5], cust, subs, tickets, onboarding, w)),
        "tickets": _tickets_frame(cust, tickets),
        "events": _events_frame(cust, _draw_events(rngs[6], cust, activity, w)),
        "onboarding": _onboarding_frame(cust, onboarding),
        "costs": _costs_frame(_draw_costs(rngs[7], cust, subs, w)),
    }


def _customers_frame(c: _Customers, s: _Subs) -> pd.DataFrame:
    """The CRM export: one row per customer with its segments (plan = latest paid plan)."""
    plan = c.plan.copy()
    main = np.flatnonzero((s.chain >= 0) & (s.plan >= 0))
    latest = main[np.lexsort((s.start[main], s.cust[main]))]
    plan[s.cust[latest]] = s.plan[latest]  # later rows overwrite earlier ones
    trial_start = np.where(c.has_trial, c.created, OPEN)
    return pd.DataFrame(
        {
            "customer_id": pd.array(_customer_ids(c.n), dtype=STR),
            "name": pd.array(np.array(c.names, dtype=object), dtype=STR),
            "created_at": _dates(c.created),
            "trial_start": _dates(trial_start),
            "trial_end": _dates(np.where(c.has_trial, c.created + 14, OPEN)),
            "activated_at": _dates(c.activated),
            "plan": _labels(list(PLANS), plan),
            "region": _labels(list(REGIONS), c.region),
            "csm_owner": _labels(list(OWNERS), c.owner),
            "industry": _labels(list(INDUSTRIES), c.industry),
        }
    )


def _subscriptions_frame(c: _Customers, s: _Subs) -> pd.DataFrame:
    """The billing export, ordered by customer and start."""
    order = np.lexsort((s.chain, s.start, s.cust))
    n = len(order)
    plan_names = [*PLANS, "addon"]
    interval = np.select([s.interval == 1, s.interval == 3, s.interval == 12], [0, 1, 2], -1)
    return pd.DataFrame(
        {
            "subscription_id": _ids("S", n),
            "customer_id": _labels(_customer_ids(c.n), s.cust[order]),
            "plan": _labels(plan_names, np.where(s.plan < 0, 4, s.plan)[order]),
            "mrr": s.mrr[order],
            "start_date": _dates(s.start[order]),
            "end_date": _dates(s.end[order]),
            "term_end": _dates(s.term_end[order]),
            "interval": _labels([INTERVAL_NAMES[m] for m in (1, 3, 12)], interval[order]),
            "status": pd.array(s.status[order], dtype=STR),
        }
    )


def _tickets_frame(c: _Customers, t: _Tickets) -> pd.DataFrame:
    """The help-desk export."""
    n = len(t.cust)
    fcr = pd.array(np.where(t.fcr == 1, True, False), dtype="boolean")
    fcr[t.fcr < 0] = pd.NA
    return pd.DataFrame(
        {
            "ticket_id": _ids("T", n),
            "customer_id": _labels(_customer_ids(c.n), t.cust),
            "created_at": _dates(t.created),
            "resolved_at": _dates(t.resolved),
            "status": pd.array(t.status, dtype=STR),
            "channel": _labels(list(TICKET_CHANNELS), t.channel),
            "agent_replies": t.replies.astype(np.int64),
            "reopens": t.reopens.astype(np.int64),
            "first_contact_resolved": fcr,
        }
    )


def _onboarding_frame(c: _Customers, ob: _Onboarding) -> pd.DataFrame:
    """One row per cohort customer and onboarding step."""
    return pd.DataFrame(
        {
            "customer_id": _labels(_customer_ids(c.n), ob.cust),
            "step": _labels(list(STEPS), ob.step),
            "step_order": ob.step + 1,
            "completed_at": _dates(ob.completed),
            "due_at": _dates(ob.due),
        }
    )


def _invoices_frame(c: _Customers, inv: _Invoices) -> pd.DataFrame:
    """The invoicing export, in issue order."""
    return pd.DataFrame(
        {
            "invoice_id": _ids("INV", len(inv.cust)),
            "customer_id": _labels(_customer_ids(c.n), inv.cust),
            "issued_at": _dates(inv.issued),
            "amount": inv.amount,
            "status": pd.array(inv.status, dtype=STR),
        }
    )


def _surveys_frame(c: _Customers, sv: _Surveys) -> pd.DataFrame:
    """The survey-tool export: NPS, CSAT and CES responses in answer order."""
    return pd.DataFrame(
        {
            "response_id": _ids("R", len(sv.cust)),
            "customer_id": _labels(_customer_ids(c.n), sv.cust),
            "survey_type": _labels(list(SURVEY_TYPES), sv.kind),
            "score": sv.score,
            "responded_at": _dates(sv.day),
        }
    )


def _events_frame(c: _Customers, ev: _Events) -> pd.DataFrame:
    """The product-analytics export: one row per event, with second-precision timestamps."""
    names = [name for pair_names in EVENT_NAMES for name in pair_names]
    return pd.DataFrame(
        {
            "timestamp": ev.ts.astype("datetime64[s]").astype("datetime64[us]"),
            "user_id": _labels(_ids_array("U", ev.n_users, 7), ev.user),
            "customer_id": _labels(_customer_ids(c.n), ev.cust),
            "event": _labels(names, ev.event),
            "feature": _labels(list(FEATURES), ev.feature),
        }
    )


def _costs_frame(co: _Costs) -> pd.DataFrame:
    """The finance export: monthly cost per category."""
    return pd.DataFrame(
        {
            "date": _dates(co.month),
            "category": _labels(list(COST_CATEGORIES), co.category),
            "amount": co.amount,
        }
    )


def _dates(days: Arr) -> Arr:
    """Day numbers as datetime64[us], OPEN as NaT."""
    days = np.asarray(days, dtype=np.int64)
    out = np.where(days >= OPEN, np.iinfo(np.int64).min, days).astype("datetime64[D]")
    return out.astype("datetime64[us]")


def _ids_array(prefix: str, n: int, width: int = 6) -> Arr:
    """Sequential ids like S000001 (wider when n needs it)."""
    width = max(width, len(str(n)))
    digits = pc.utf8_lpad(pa.array(np.arange(1, n + 1)).cast(pa.string()), width, "0")
    return np.asarray(
        pc.binary_join_element_wise(prefix, digits, "").to_numpy(zero_copy_only=False)
    )


def _ids(prefix: str, n: int) -> Any:
    """Sequential ids as a string column."""
    return pd.array(_ids_array(prefix, n), dtype=STR)


def _customer_ids(n: int) -> Arr:
    """Customer ids like C00001."""
    return _ids_array("C", n, 5)


def _labels(labels: Sequence[str] | Arr, codes: Arr) -> Any:
    """A string column from integer codes into `labels` (-1 = blank), built in Arrow for speed."""
    codes = np.asarray(codes, dtype=np.int64)
    dictionary = pa.array(np.asarray(labels, dtype=object), type=pa.string())
    indices = pa.array(codes.astype(np.int32), mask=codes < 0)
    values = pa.DictionaryArray.from_arrays(indices, dictionary).cast(pa.string())
    return pd.array(values, dtype=STR) if len(codes) else pd.array([], dtype=STR)
