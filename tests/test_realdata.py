"""csm on the small real exports in ../shared/realdata (read in place, never copied here).

Expected figures are recomputed here from the raw CSV with the csv module, independently of
csm's engine. Skipped when the folder is not beside the repository, except in CI
(CSM_REQUIRE_REALDATA=1, set by .ci/run), where a missing folder is a failure.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import os
from pathlib import Path

import pytest

from csmetrics_cli.config import Config
from tests.conftest import run_report, values

REAL = Path(__file__).resolve().parent.parent.parent / "shared" / "realdata"
if not REAL.is_dir() and os.environ.get("CSM_REQUIRE_REALDATA"):
    raise RuntimeError(f"{REAL} is missing and CSM_REQUIRE_REALDATA is set")
pytestmark = pytest.mark.skipif(not REAL.is_dir(), reason="../shared/realdata not present")


def _mrr_on(rows: list[dict[str, str]], day: dt.date) -> dict[str, float]:
    out: dict[str, float] = {}
    for r in rows:
        start = dt.date.fromisoformat(r["start_date"])
        end = dt.date.fromisoformat(r["end_date"]) if r["end_date"] else None
        if start <= day and (end is None or day < end):
            out[r["customer_id"]] = out.get(r["customer_id"], 0.0) + float(r["monthly_amount"])
    return out


@pytest.mark.parametrize("month", ["2018-03", "2019-06", "2019-12"])
def test_mrr_playbook_movements(month):
    folder = REAL / "mrr_playbook"
    with open(folder / "subscription_periods.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    config = Config(tables={"subscriptions": "subscription_periods.csv"})
    v = values(run_report(folder, month, family="revenue", config=config))
    first = dt.date.fromisoformat(month + "-01")
    m0 = _mrr_on(rows, first - dt.timedelta(days=1))
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    m1 = _mrr_on(rows, nxt - dt.timedelta(days=1))
    assert v["customers_start"] == len(m0) and v["customers_end"] == len(m1)
    assert v["mrr"] == pytest.approx(sum(m1.values()))
    assert v["churned_customers"] == len(set(m0) - set(m1))
    assert v["churned_mrr"] == pytest.approx(sum(m0[c] for c in set(m0) - set(m1)))
    expansion = sum(m1[c] - m0[c] for c in set(m0) & set(m1) if m1[c] > m0[c])
    assert v["expansion_mrr"] == pytest.approx(expansion)


def test_airline_nps(tmp_path):
    src = REAL / "airline_nps" / "responses.csv"
    with open(src, newline="") as handle:
        scores = [int(r[2]) for r in list(csv.reader(handle))[1:]]
    n, promoters = len(scores), sum(s >= 9 for s in scores)
    detractors = sum(s <= 6 for s in scores)
    (tmp_path / "subscriptions.csv").write_text("subscription_id,customer_id,mrr,start_date\n")
    config = Config(
        tables={"surveys": str(src)},  # an absolute path: the file stays where it is
        columns={"surveys": {"customer_id": "CustomerID",
                             "score": "How likely are you to recommend this airline?"}},
        defaults={"surveys": {"survey_type": "nps", "responded_at": "2024-06-01"}},
    )  # fmt: skip
    v = values(run_report(tmp_path, "2024-06", family="satisfaction", config=config))
    assert v["nps_responses"] == n
    assert v["nps"] == pytest.approx((promoters - detractors) / n * 100)
    n2 = n + 3
    p, d = (promoters + 0.75) / n2, (detractors + 0.75) / n2
    moe = 1.96 * math.sqrt((p + d - (p - d) ** 2) / n2) * 100
    assert v["nps_margin_of_error"] == pytest.approx(moe)
