"""Satisfaction and support metrics (family `satisfaction`), SPEC section 3.

Survey responses count in the period their responded_at falls in, each response once (a
customer answering twice counts twice) unless the nps_per/csat_per/ces_per definition keeps
only each customer's first or latest answer in the period. Anonymous responses (blank
customer_id) count in the overall figures only. Scores on a scale other than the survey
type's standard one are rescaled onto it (NPS 0-10, CES 1-7) and the note says how many were.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from csmetrics_cli.engine.cache import per_context
from csmetrics_cli.engine.context import Context
from csmetrics_cli.metrics.intervals import adjusted_wald_nps
from csmetrics_cli.metrics.results import measure, ratio, result

NPS_SCALE = 10.0
CES_SCALE = 7.0
RESOLVED_STATUSES = ("resolved", "closed", "solved")


def _no(kind: str) -> str:
    return f"no {kind} responses in the period"


def _responses(ctx: Context, kind: str) -> pd.DataFrame:
    """Responses of one survey type dated in the report's periods, with their period; with
    `<kind>_per` = first or latest, one answer per customer and period (anonymous answers,
    with no customer to group by, each still count)."""
    surveys = ctx.data.table("surveys")
    assert surveys is not None
    rows = surveys[surveys["survey_type"] == kind]
    rows = rows.assign(period=ctx.assign_period(rows["responded_at"]))
    rows = rows[rows["period"].notna()]
    per = ctx.defs[f"{kind}_per"]
    if per == "response" or "customer_id" not in rows:
        return rows
    named = rows[rows["customer_id"].notna()].sort_values("responded_at", kind="stable")
    keep = "first" if per == "first" else "last"
    kept = named[~named.duplicated(["period", "customer_id"], keep=keep)]
    return pd.concat([kept, rows[rows["customer_id"].isna()]]).sort_index()


def answers_per_customer(ctx: Context, kind: str) -> pd.Series:
    """(period, customer_id) -> answers of one survey type that count under the context's
    definitions (anonymous answers left out: they have no customer to compare)."""
    rows = _responses(ctx, kind)
    if "customer_id" not in rows:
        return pd.Series(dtype="int64")
    return rows[rows["customer_id"].notna()].groupby(["period", "customer_id"]).size()


def _rescaled_note(counts: pd.Series, scale: str) -> pd.Series:
    """'N responses rescaled ...' where N > 0, else None."""
    text = counts.astype(int).astype(str) + f" response(s) on another scale, rescaled to {scale}"
    return text.where(counts > 0, None)


def nps_detail(ctx: Context) -> pd.DataFrame:
    """The answers behind NPS: who answered what, and whether it promotes or detracts."""
    rows = _responses(ctx, "nps")
    score = rows["score"] * NPS_SCALE / rows["scale_max"]
    group = np.select([score >= 9, score <= 6], ["promoter", "detractor"], "passive")
    if "customer_id" not in rows:  # an anonymous survey export
        rows = rows.assign(customer_id=pd.Series(None, index=rows.index, dtype=object))
    return rows.assign(group=group)[["period", "customer_id", "responded_at", "score", "group"]]


@per_context
def nps_counts(ctx: Context) -> pd.DataFrame:
    """Per (period, segment): responses n, promoters (9-10), detractors (0-6), their
    difference (net_promoters), and how many answers were rescaled (with a note)."""

    rows = _responses(ctx, "nps")
    # Another scale_max is mapped linearly onto 0-10 before the standard bands apply.
    score = rows["score"] * NPS_SCALE / rows["scale_max"]
    rows = rows.assign(
        promoter=score >= 9,
        detractor=score <= 6,
        rescaled=rows["scale_max"] != NPS_SCALE,
    )
    m = ctx.aggregate(
        rows,
        {
            "n": ("score", "count"),
            "promoters": ("promoter", "sum"),
            "detractors": ("detractor", "sum"),
            "rescaled": ("rescaled", "sum"),
        },
        table="surveys",
    )
    m["net_promoters"] = m["promoters"] - m["detractors"]
    m["note"] = _rescaled_note(m["rescaled"], "0-10")
    return m


def nps_responses(ctx: Context) -> pd.DataFrame:
    """Count of nps responses dated in the period."""
    m = nps_counts(ctx)
    out = measure(m["n"])
    out["note"] = pd.Series(_no("nps"), index=m.index).where(m["n"] == 0, None)
    return out


def nps_margin(ctx: Context) -> pd.DataFrame:
    """Adjusted-Wald 95% margin: 1.96 x sqrt((p' + d' - (p' - d')^2) / n') x 100, n' = n + 3."""
    m = nps_counts(ctx)
    _, margin, has = adjusted_wald_nps(m["promoters"], m["detractors"], m["n"])
    note = pd.Series(_no("nps"), index=m.index).where(~has, None)
    return result(pd.Series(margin * 100, index=m.index).where(has), m["n"], None, note)


def csat(ctx: Context) -> pd.DataFrame:
    """Satisfied csat responses / csat responses x 100."""
    rows = _responses(ctx, "csat")
    # The csat_satisfied_min definition (settings.csat_satisfied_min is its older alias).
    minimum = ctx.defs["csat_satisfied_min"]
    configured = None if minimum == "auto" else float(minimum)
    threshold = (
        pd.Series(configured, index=rows.index, dtype="float64")
        if configured is not None
        else np.ceil(0.8 * rows["scale_max"])
    )
    rows = rows.assign(satisfied=rows["score"] >= threshold)
    m = ctx.aggregate(
        rows, {"n": ("score", "count"), "satisfied": ("satisfied", "sum")}, table="surveys"
    )
    out = ratio(m["satisfied"], m["n"], zero_note=_no("csat"))
    if configured is not None:
        rule = pd.Series(
            f"satisfied = score >= {configured:g} (config: csat_satisfied_min)", index=out.index
        )
        out["note"] = out["note"].where(out["note"].notna(), rule)
    return out


def ces(ctx: Context) -> pd.DataFrame:
    """Mean ces score in the period, on the 1-7 scale."""
    rows = _responses(ctx, "ces")
    scale = rows["scale_max"]
    # Another 1-to-scale_max scale is mapped linearly onto 1-7.
    on_seven = (1 + (rows["score"] - 1) * (CES_SCALE - 1) / (scale - 1)).where(
        scale > 1, rows["score"]
    )
    score = rows["score"].where(scale == CES_SCALE, on_seven)
    rows = rows.assign(score7=score, rescaled=scale != CES_SCALE)
    m = ctx.aggregate(
        rows,
        {"total": ("score7", "sum"), "n": ("score7", "count"), "rescaled": ("rescaled", "sum")},
        table="surveys",
    )
    out = ratio(m["total"], m["n"], scale=1.0, zero_note=_no("ces"))
    note = _rescaled_note(m["rescaled"], "1-7")
    if not ctx.config.ces_higher_is_better:
        direction = "lower = easier (ces_higher_is_better = false)"
        note = note.where(note.isna(), note + "; " + direction).fillna(direction)
    out["note"] = out["note"].where(out["note"].notna(), note)
    return out


def fcr(ctx: Context) -> pd.DataFrame:
    """Tickets created in the period resolved at first contact / tickets created there x 100."""
    tickets = ctx.data.table("tickets")
    assert tickets is not None
    rows = tickets.assign(period=ctx.assign_period(tickets["created_at"]))
    rows = rows[rows["period"].notna()]
    # fcr_rule = one_touch ignores the export's flag and always applies the rule.
    if "first_contact_resolved" in rows and ctx.defs["fcr_rule"] == "flag":
        flag = rows["first_contact_resolved"].astype("boolean")
    else:
        flag = pd.Series(pd.NA, index=rows.index, dtype="boolean")
    resolved = pd.Series(False, index=rows.index)
    if "resolved_at" in rows:
        resolved |= rows["resolved_at"].notna()
    if "status" in rows:
        resolved |= rows["status"].str.lower().isin(RESOLVED_STATUSES).fillna(False).astype(bool)
    replies = rows["agent_replies"] if "agent_replies" in rows else pd.Series(np.nan, rows.index)
    reopens = rows["reopens"] if "reopens" in rows else pd.Series(np.nan, rows.index)
    # A blank reply count cannot show one contact was enough; a blank reopen count means none.
    derived = resolved & (replies <= 1).fillna(False).astype(bool) & (reopens.fillna(0) == 0)
    # The rule decides only with a reply count and some record of resolution; a period
    # where no ticket has a flag or a decidable rule is unknown, not 0%.
    knows_resolution = ctx.data.has("tickets", "resolved_at") or ctx.data.has("tickets", "status")
    rows = rows.assign(
        fcr=flag.fillna(derived).astype(bool),
        flagged=flag.notna(),
        derived=flag.isna(),
        decided=flag.notna() | (replies.notna() & knows_resolution),
    )
    m = ctx.aggregate(
        rows,
        {
            "n": ("ticket_id", "count"),
            "fcr": ("fcr", "sum"),
            "flagged": ("flagged", "sum"),
            "derived": ("derived", "sum"),
            "decided": ("decided", "sum"),
        },
        table="tickets",
    )
    out = ratio(m["fcr"], m["n"], zero_note="no tickets created in the period")
    undecided = (m["n"] > 0) & (m["decided"] == 0)
    out.loc[undecided, ["value", "numerator"]] = np.nan
    out.loc[undecided, "note"] = (
        "no ticket in the period has a first_contact_resolved value, or an agent_replies"
        " count with resolved_at or status, to tell first contact resolution"
    )
    rule = (
        "flag on " + m["flagged"].astype(int).astype(str) + " tickets, derived for "
        + m["derived"].astype(int).astype(str)
    )  # fmt: skip
    blind = (m["n"] - m["decided"]).astype(int)
    rule = rule.where(blind == 0, rule + " (" + blind.astype(str) + " without a flag or a"
                      " decidable rule: counted as not resolved at first contact)")  # fmt: skip
    out["note"] = out["note"].where(out["note"].notna(), rule)
    return out
