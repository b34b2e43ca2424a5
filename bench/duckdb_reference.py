"""An independent DuckDB reference for csm's monthly KPIs (a check, not part of csm).

    python bench/duckdb_reference.py [-d DIR] [--period 2024-06]
    python bench/duckdb_reference.py [-d DIR] --from 2023-01 --to 2024-12

Reads the canonical CSV exports of DIR (customers/subscriptions/surveys/tickets/costs .csv and
events.csv.gz; invoices and onboarding feed none of the metrics below) and prints JSON
{metric_id: value}, with {feature: value} under "feature_adoption_rate"; with --from/--to,
{month: {metric_id: value}}. Every formula is written from /work/shared/SPEC.md sections 2 and
3, in SQL, without importing csmetrics_cli. Only months (YYYY-MM) and csm's default config
(UTC days, gross margin 1, csat satisfied = score >= ceil(0.8 x scale_max)) are supported.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

import duckdb


def find(folder: Path, table: str) -> str | None:
    """The file whose stem is the table name (case-insensitive), .csv or .csv.gz."""
    for path in sorted(folder.iterdir()):
        if path.name.lower() in (f"{table}.csv", f"{table}.csv.gz"):
            return str(path)
    return None


def div(num: float | None, den: float | None, scale: float = 1.0) -> float | None:
    """num / den x scale, or None on a missing value or a zero denominator (never 0)."""
    return None if num is None or not den else num / den * scale


def months(first: str, last: str) -> list[str]:
    y, m = map(int, first.split("-"))
    out = []
    while f"{y:04d}-{m:02d}" <= last:
        out.append(f"{y:04d}-{m:02d}")
        y, m = y + m // 12, m % 12 + 1
    return out


class Reference:
    def __init__(self, folder: Path) -> None:
        self.con = duckdb.connect()
        self.con.execute("SET TimeZone = 'UTC'")  # a timestamp with a zone takes its UTC day
        self.has: dict[str, str | None] = {}
        for table, select in {
            "subscriptions": "customer_id AS c, mrr::DOUBLE AS mrr, start_date::DATE AS sd,"
                             " end_date::DATE AS ed",
            "events": '"timestamp"::TIMESTAMPTZ::DATE AS d, user_id AS u, customer_id AS c,'
                      " feature AS f",
            "surveys": "lower(trim(survey_type)) AS t, score::DOUBLE AS score,"
                       " responded_at::TIMESTAMPTZ::DATE AS d, {scale_max} AS scale_max",
            "tickets": "created_at::TIMESTAMPTZ::DATE AS d,"
                       " try_cast(first_contact_resolved AS BOOLEAN) AS flag,"
                       " coalesce(trim(resolved_at), '') <> '' AS resolved,"
                       " agent_replies::DOUBLE AS replies, reopens::DOUBLE AS reopens",
            "costs": "{day} AS d, {month} AS month, lower(category) AS category,"
                     " amount::DOUBLE AS amount",
        }.items():  # fmt: skip
            path = self.has[table] = find(folder, table)
            if path is None:
                continue
            src = f"read_csv('{path}', header = true, all_varchar = true)"
            cols = [c[0] for c in self.con.execute(f"SELECT * FROM {src} LIMIT 0").description]
            select = select.format(  # the optional columns
                scale_max="scale_max::DOUBLE" if "scale_max" in cols else "NULL::DOUBLE",
                day="date::DATE" if "date" in cols else "NULL::DATE",
                month="period" if "period" in cols else "NULL",
            )
            self.con.execute(f"CREATE TABLE {table} AS SELECT {select} FROM {src}")

    def q(self, sql: str, p: dict[str, Any]) -> duckdb.DuckDBPyConnection:
        return self.con.execute(sql, {k: v for k, v in p.items() if f"${k}" in sql})

    def one(self, sql: str, p: dict[str, Any]) -> dict[str, Any]:
        rel = self.q(sql, p)
        return dict(zip([c[0] for c in rel.description], rel.fetchone() or (), strict=True))

    def month(self, label: str) -> dict[str, Any]:
        year, month = map(int, label.split("-"))
        ps = dt.date(year, month, 1)  # the period is the half-open range [ps, pe)
        pe = dt.date(year + month // 12, month % 12 + 1, 1)
        # start snapshot = the day before the period, end snapshot = its last day
        p = {"ps": ps, "pe": pe, "s0": ps - dt.timedelta(days=1), "s1": pe - dt.timedelta(days=1),
             "label": label}  # fmt: skip
        out: dict[str, Any] = {}
        if self.has["subscriptions"]:
            out |= self.revenue(p)
        if self.has["events"]:
            out |= self.engagement(p, out.get("customers_end"))
        if self.has["surveys"]:
            out |= self.surveys(p)
        if self.has["tickets"]:
            t = self.one("""
                SELECT count(*) AS n,
                       -- first contact: the flag, else resolved, <= 1 agent reply, no reopen
                       count(*) FILTER (coalesce(flag, resolved AND replies <= 1
                                                       AND coalesce(reopens, 0) = 0)) AS fcr
                FROM tickets WHERE d >= $ps AND d < $pe""", p)  # fmt: skip
            out["first_contact_resolution_rate"] = div(t["fcr"], t["n"], 100)
        return out

    def revenue(self, p: dict[str, Any]) -> dict[str, Any]:
        # m0 / m1 per customer: the sum of mrr over subscriptions with sd <= day < ed (or no ed)
        self.q("""
            CREATE OR REPLACE TABLE cust AS
            SELECT c,
                   coalesce(sum(mrr) FILTER (sd <= $s0 AND (ed IS NULL OR $s0 < ed)), 0) AS m0,
                   coalesce(sum(mrr) FILTER (sd <= $s1 AND (ed IS NULL OR $s1 < ed)), 0) AS m1,
                   -- mrr >= 0, so a customer pays on d iff one sub with mrr > 0 is active on d
                   coalesce(bool_or(mrr > 0 AND sd < $ps AND (ed IS NULL OR sd < ed)), false)
                       AS paid_before,
                   min(sd) FILTER (mrr > 0 AND (ed IS NULL OR sd < ed)) AS first_paying_day
            FROM subscriptions GROUP BY c""", p)  # fmt: skip
        r = self.one("""
            SELECT count(*) FILTER (m0 > 0) AS customers_start,
                   count(*) FILTER (m1 > 0) AS customers_end,
                   count(*) FILTER (m0 = 0 AND m1 > 0 AND NOT paid_before) AS new_customers,
                   count(*) FILTER (m0 = 0 AND m1 > 0 AND paid_before) AS reactivated_customers,
                   count(*) FILTER (m0 > 0 AND m1 = 0) AS churned_customers,
                   count(*) FILTER (m0 > 0 AND m1 > 0) AS retained,
                   count(*) FILTER (first_paying_day >= $ps AND first_paying_day < $pe)
                       AS acquired_customers,
                   sum(m0) AS start_mrr, sum(m1) AS mrr,
                   coalesce(sum(m1) FILTER (m0 = 0 AND m1 > 0 AND NOT paid_before), 0) AS new_mrr,
                   coalesce(sum(m1) FILTER (m0 = 0 AND m1 > 0 AND paid_before), 0)
                       AS reactivation_mrr,
                   coalesce(sum(m1 - m0) FILTER (m1 > m0 AND m0 > 0), 0) AS expansion_mrr,
                   coalesce(sum(m0 - m1) FILTER (m0 > m1 AND m1 > 0), 0) AS contraction_mrr,
                   coalesce(sum(m0) FILTER (m0 > 0 AND m1 = 0), 0) AS churned_mrr,
                   coalesce(sum(m1) FILTER (m0 > 0), 0) AS m1_of_m0_customers
            FROM cust""", p)  # fmt: skip
        start_mrr = r["start_mrr"]
        out = {k: r[k] for k in ("customers_start", "customers_end", "new_customers",
                                 "reactivated_customers", "churned_customers",
                                 "acquired_customers", "mrr", "new_mrr", "reactivation_mrr",
                                 "expansion_mrr", "contraction_mrr", "churned_mrr")}  # fmt: skip
        out["customer_retention_rate"] = div(r["retained"], r["customers_start"], 100)
        out["customer_churn_rate"] = div(r["churned_customers"], r["customers_start"], 100)
        out["arr"] = r["mrr"] * 12
        out["arpu"] = div(r["mrr"], r["customers_end"])
        out["expansion_revenue_rate"] = div(r["m1_of_m0_customers"] - start_mrr, start_mrr, 100)
        kept = start_mrr - r["contraction_mrr"] - r["churned_mrr"]
        out["net_revenue_retention"] = div(kept + r["expansion_mrr"], start_mrr, 100)
        out["gross_revenue_retention"] = div(kept, start_mrr, 100)
        out["revenue_churn_rate"] = div(r["churned_mrr"] + r["contraction_mrr"], start_mrr, 100)
        churn = out["customer_churn_rate"]
        out["customer_lifetime_months"] = div(100, churn)  # 1 / (churn rate as a fraction)
        out["clv"] = None if out["arpu"] is None else div(out["arpu"] * 100, churn)
        if self.has["costs"]:
            c = self.one("""
                SELECT coalesce(sum(amount) FILTER (category = 'acquisition'), 0) AS acq,
                       coalesce(sum(amount) FILTER (category = 'retention'), 0) AS ret
                FROM costs WHERE (d >= $ps AND d < $pe) OR month = $label""", p)  # fmt: skip
            out["cac"] = div(c["acq"], r["acquired_customers"])
            out["customer_retention_cost"] = div(c["ret"], r["retained"])
            out["retention_cost_per_customer"] = div(c["ret"], r["customers_end"])
            out["ltv_to_cac"] = None if out["clv"] is None else div(out["clv"], out["cac"])
        return out

    def engagement(self, p: dict[str, Any], customers_end: int | None) -> dict[str, Any]:
        e = self.one("""
            WITH days AS (  -- the period's days up to the last day present in the events
                SELECT unnest(range($ps::DATE, least($pe::DATE, max(d) + 1), INTERVAL 1 DAY))::DATE
                       AS d FROM events),
            per_day AS (SELECT d, count(DISTINCT u) AS n FROM events
                        WHERE d >= $ps AND d < $pe GROUP BY d)
            SELECT (SELECT sum(coalesce(n, 0)) / count(*) FROM days LEFT JOIN per_day USING (d))
                       AS dau,
                   (SELECT count(DISTINCT u) FROM events WHERE d >= $ps AND d < $pe) AS mau""",
                     p)  # fmt: skip
        out: dict[str, Any] = {"dau": e["dau"], "mau": e["mau"] if e["dau"] is not None else None}
        out["stickiness"] = div(e["dau"], e["mau"], 100)
        if self.has["subscriptions"]:
            # one row per feature in the events data: customers paying at the end snapshot
            # with an event of that feature in the period (0 when none)
            rows = self.q(
                """
                SELECT f, count(DISTINCT c) FILTER (d >= $ps AND d < $pe AND cust.m1 > 0)
                FROM events LEFT JOIN cust USING (c)
                WHERE f IS NOT NULL GROUP BY f ORDER BY f""",
                p,
            )
            out["feature_adoption_rate"] = {
                f: div(n, customers_end, 100) for f, n in rows.fetchall()
            }
        return out

    def surveys(self, p: dict[str, Any]) -> dict[str, Any]:
        s = self.one("""
            SELECT count(*) FILTER (t = 'nps') AS n,
                   count(*) FILTER (t = 'nps' AND score >= 9) AS promoters,
                   count(*) FILTER (t = 'nps' AND score <= 6) AS detractors,
                   count(*) FILTER (t = 'csat') AS csat_n,
                   count(*) FILTER (t = 'csat' AND score >= ceil(0.8 * coalesce(scale_max, 5)))
                       AS satisfied,
                   avg(score) FILTER (t = 'ces') AS ces
            FROM surveys WHERE d >= $ps AND d < $pe AND score IS NOT NULL""", p)  # fmt: skip
        n, pro, det = s["n"], s["promoters"], s["detractors"]
        n3 = n + 3  # adjusted-Wald 95% margin of error, in NPS points
        pp, dd = (pro + 0.75) / n3, (det + 0.75) / n3
        moe = 1.96 * ((pp + dd - (pp - dd) ** 2) / n3) ** 0.5 * 100
        return {
            "nps": div(pro - det, n, 100),  # each response counts
            "nps_responses": n,
            "nps_promoters_pct": div(pro, n, 100),
            "nps_detractors_pct": div(det, n, 100),
            "nps_margin_of_error": moe if n else None,
            "csat": div(s["satisfied"], s["csat_n"], 100),
            "ces": s["ces"],
        }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-d", "--data", type=Path, default=Path("sample_data"))
    parser.add_argument("--period", default="2024-06")
    parser.add_argument("--from", dest="first")
    parser.add_argument("--to", dest="last")
    opts = parser.parse_args()
    ref = Reference(opts.data)
    if opts.first or opts.last:
        body: Any = {
            m: ref.month(m) for m in months(opts.first or opts.last, opts.last or opts.first)
        }
    else:
        body = ref.month(opts.period)
    print(json.dumps(body, indent=1))


if __name__ == "__main__":
    main()
