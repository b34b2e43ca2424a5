"""The canonical tables (SPEC section 1): columns, types, and the rules each row must meet."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["id", "text", "date", "timestamp", "number", "bool"]


@dataclass(frozen=True)
class Column:
    """A canonical column: its type, whether the column and each value must be present."""

    name: str
    kind: Kind = "text"
    required: bool = False  # the column must exist
    not_blank: bool = False  # every row needs a value (else the row is excluded)
    unique: bool = False
    non_negative: bool = False
    choices: tuple[str, ...] = ()  # allowed values after lower-casing and config mapping
    aliases: tuple[str, ...] = ()  # other normalised header names that mean this column


@dataclass(frozen=True)
class TableSchema:
    """A canonical table and the columns csm understands in it."""

    name: str
    columns: tuple[Column, ...]
    refers_to_customers: bool = True
    # Read only the columns csm knows (events exports can be wide and tens of millions long).
    known_columns_only: bool = False

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def header_names(self, configured: dict[str, str]) -> set[str]:
        """Every header that can hold one of this table's columns: names, aliases, mappings."""
        names = {name for c in self.columns for name in (c.name, *c.aliases)}
        return names | set(configured.values())


_CUSTOMER_ID = ("customer", "customerid", "account_id", "accountid", "client_id", "company_id")
INTERVALS = ("day", "week", "month", "quarter", "year")

SCHEMAS: dict[str, TableSchema] = {
    s.name: s
    for s in [
        TableSchema(
            "customers",
            (
                Column(
                    "customer_id",
                    "id",
                    required=True,
                    not_blank=True,
                    unique=True,
                    aliases=(*_CUSTOMER_ID, "id"),
                ),
                Column("name", aliases=("customer_name", "company", "company_name")),
                Column("created_at", "date", aliases=("signup_date", "signed_up_at", "created")),
                Column("trial_start", "date", aliases=("trial_started_at",)),
                Column("trial_end", "date", aliases=("trial_ended_at",)),
                Column("activated_at", "date", aliases=("activation_date",)),
                # read by the churn_source = "flag" definition (docs/definitions.md)
                Column("churned", "bool", aliases=("is_churned",)),
                Column("churned_at", "date", aliases=("churn_date",)),
            ),
            refers_to_customers=False,
        ),
        TableSchema(
            "subscriptions",
            (
                Column(
                    "subscription_id",
                    "id",
                    required=True,
                    not_blank=True,
                    unique=True,
                    aliases=("id", "subscription"),
                ),
                Column("customer_id", "id", required=True, not_blank=True, aliases=_CUSTOMER_ID),
                Column(
                    "mrr",
                    "number",
                    non_negative=True,
                    aliases=("monthly_amount", "monthly_recurring_revenue", "mrr_amount"),
                ),
                Column("amount", "number", non_negative=True, aliases=("price",)),
                Column(
                    "interval", choices=INTERVALS, aliases=("billing_interval", "billing_period")
                ),
                Column("interval_count", "number", non_negative=True),
                Column(
                    "start_date",
                    "date",
                    required=True,
                    not_blank=True,
                    aliases=("start", "started_at", "start_at", "period_start"),
                ),
                Column(
                    "end_date",
                    "date",
                    aliases=("end", "ended_at", "end_at", "period_end", "cancelled_at"),
                ),
                Column(
                    "term_end", "date", aliases=("term_end_date", "contract_end", "renewal_date")
                ),
                # read by the churn_at = "cancel" definition (docs/definitions.md)
                Column("canceled_at", "date", aliases=("cancellation_date", "canceled_on")),
                Column("renewed", "bool"),
                Column("plan", aliases=("plan_name", "product")),
                Column("status"),
            ),
        ),
        TableSchema(
            "invoices",
            (
                Column(
                    "invoice_id", "id", required=True, not_blank=True, unique=True, aliases=("id",)
                ),
                Column("customer_id", "id", required=True, not_blank=True, aliases=_CUSTOMER_ID),
                Column(
                    "issued_at",
                    "date",
                    required=True,
                    not_blank=True,
                    aliases=("date", "invoice_date", "created_at"),
                ),
                Column(
                    "amount",
                    "number",
                    required=True,
                    not_blank=True,
                    non_negative=True,
                    aliases=("total", "amount_paid"),
                ),
                Column(
                    "status",
                    required=True,
                    not_blank=True,
                    choices=("paid", "failed", "refunded", "open"),
                ),
            ),
        ),
        TableSchema(
            "surveys",
            (
                Column("response_id", "id", unique=True, aliases=("id",)),
                Column("customer_id", "id", aliases=_CUSTOMER_ID),
                Column(
                    "survey_type",
                    required=True,
                    not_blank=True,
                    choices=("nps", "csat", "ces"),
                    aliases=("type", "survey"),
                ),
                Column("score", "number", required=True, not_blank=True, non_negative=True),
                Column(
                    "responded_at",
                    "date",
                    required=True,
                    not_blank=True,
                    aliases=("date", "created_at", "submitted_at"),
                ),
                Column("scale_max", "number", non_negative=True),
            ),
        ),
        TableSchema(
            "tickets",
            (
                Column(
                    "ticket_id", "id", required=True, not_blank=True, unique=True, aliases=("id",)
                ),
                Column("customer_id", "id", aliases=_CUSTOMER_ID),
                Column("created_at", "date", required=True, not_blank=True, aliases=("opened_at",)),
                Column("resolved_at", "date", aliases=("closed_at", "solved_at")),
                Column("status"),
                Column("channel"),
                Column("agent_replies", "number", non_negative=True, aliases=("replies",)),
                Column("reopens", "number", non_negative=True, aliases=("reopened",)),
                Column("first_contact_resolved", "bool", aliases=("fcr",)),
            ),
        ),
        TableSchema(
            "events",
            (
                Column(
                    "timestamp",
                    "timestamp",
                    required=True,
                    not_blank=True,
                    aliases=("time", "ts", "event_time", "occurred_at"),
                ),
                Column("user_id", "id", required=True, not_blank=True, aliases=("user",)),
                Column("customer_id", "id", aliases=_CUSTOMER_ID),
                Column("event", aliases=("event_name", "name")),
                Column("feature"),
            ),
            known_columns_only=True,
        ),
        TableSchema(
            "onboarding",
            (
                Column("customer_id", "id", required=True, not_blank=True, aliases=_CUSTOMER_ID),
                Column("step", required=True, not_blank=True, aliases=("step_name", "task")),
                Column("step_order", "number", non_negative=True, aliases=("order", "position")),
                Column("completed_at", "date", aliases=("done_at", "completed")),
                Column("due_at", "date", aliases=("due", "due_date")),
            ),
        ),
        TableSchema(
            "costs",
            (
                Column("date", "date", aliases=("day", "spent_at")),
                Column("period", aliases=("month",)),
                Column("category", required=True, not_blank=True, aliases=("type", "kind")),
                Column(
                    "amount",
                    "number",
                    required=True,
                    not_blank=True,
                    non_negative=True,
                    aliases=("cost", "spend"),
                ),
            ),
            refers_to_customers=False,
        ),
        TableSchema(  # read by the churn_source = "churn_events" definition
            "churn_events",
            (
                Column("customer_id", "id", required=True, not_blank=True, aliases=_CUSTOMER_ID),
                Column(
                    "churned_at",
                    "date",
                    required=True,
                    not_blank=True,
                    aliases=("churn_date", "date", "canceled_at", "cancelled_at"),
                ),
                Column("reason", aliases=("churn_reason", "cancellation_reason")),
            ),
        ),
        # Events already rolled up (a warehouse's daily activity): read instead of `events`.
        TableSchema(
            "activity",
            (
                Column("customer_id", "id", aliases=_CUSTOMER_ID),
                Column("user_id", "id", required=True, not_blank=True, aliases=("user",)),
                Column(
                    "day",
                    "date",
                    required=True,
                    not_blank=True,
                    aliases=("date", "activity_date", "event_date"),
                ),
                Column("feature"),
                Column("event", aliases=("event_name",)),
                Column(
                    "events", "number", non_negative=True, aliases=("count", "event_count", "n")
                ),
            ),
            known_columns_only=True,
        ),
    ]
}

# The tables of SPEC section 1; `activity` (events already rolled up per day) is an
# alternative input to `events`, read only when the data has no events table.
SPEC_TABLES = tuple(name for name in SCHEMAS if name != "activity")
