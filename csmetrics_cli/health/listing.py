"""The at-risk list's columns: who the customer is, who owns it, when it renews, and the
columns `csm health --by/--where` accept."""

from __future__ import annotations

from typing import Any

import pandas as pd

from csmetrics_cli.contracts.dataset import Dataset
from csmetrics_cli.problems import UsageError, closest

LIST_COLUMNS = ("customer_id", "name", "owner", "plan", "renewal_date", "mrr", "score",
                "score_change", "band", "drivers")  # fmt: skip


def customer_facts(data: Dataset, customers: pd.Index, day: Any) -> pd.DataFrame:
    """name, owner, plan and the next renewal date (term_end on or after `day`)."""
    facts = pd.DataFrame(index=customers)
    table = data.table("customers")
    subs = data.table("subscriptions")
    if table is not None:
        indexed = table.set_index("customer_id")
        for column, source in (("name", "name"), ("owner", data.config.owner_column),
                               ("plan", "plan")):  # fmt: skip
            if source in indexed:
                facts[column] = indexed[source].reindex(customers)
    if subs is not None and "plan" not in facts and "plan" in subs:
        facts["plan"] = subs.sort_values("start_date").groupby("customer_id")["plan"].last()
    if subs is not None and "term_end" in subs:
        ahead = subs[subs["term_end"] >= pd.Timestamp(day)]
        facts["renewal_date"] = ahead.groupby("customer_id")["term_end"].min()
    for column in ("name", "owner", "plan", "renewal_date"):
        if column not in facts:
            facts[column] = None
    return facts


def health_columns(data: Dataset) -> list[str]:
    """Columns `csm health --by/--where` accept: the list's own and the customers table's."""
    table = data.table("customers")
    extra = [c for c in table.columns if c != "customer_id"] if table is not None else []
    return list(dict.fromkeys([*LIST_COLUMNS[1:5], "band", *extra]))


def column_of(data: Dataset, frame: pd.DataFrame, column: str) -> pd.Series:
    """`column` for the rows of the at-risk list, from the list or the customers table."""
    if column in frame:
        return frame[column]
    table = data.table("customers")
    if table is None or column not in table:
        allowed = health_columns(data)
        close = closest(column, allowed)
        hint = (f"did you mean '{close}'? " if close else "") + f"columns: {', '.join(allowed)}"
        raise UsageError(f"csm health cannot filter or group by '{column}'", hint=hint)
    return table.set_index("customer_id")[column].reindex(frame.index)
