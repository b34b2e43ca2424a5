"""A million-row events file with one malformed line in the middle: time and accounting.

    python bench/hostile.py [--rows 1000000]

Writes the export into bench/out/, runs `csm validate --format json` on it and prints the
wall time, the row accounting and the issue found.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    folder = ROOT / "bench" / "out" / f"hostile-{rows}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "subscriptions.csv").write_text(
        "subscription_id,customer_id,mrr,start_date\ns1,C1,10,2024-01-01\n"
    )
    rng = np.random.default_rng(0)
    days = rng.integers(0, 30, rows)
    users = rng.integers(0, 5000, rows)
    lines = [
        f"2024-06-{d + 1:02d}T10:00:00,U{u},C1,click,dashboards"
        for d, u in zip(days.tolist(), users.tolist(), strict=True)
    ]
    middle = rows // 2
    lines[middle] = 'broken "line, with a stray quote'
    text = "timestamp,user_id,customer_id,event,feature\n" + "\n".join(lines) + "\n"
    (folder / "events.csv").write_text(text)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "csmetrics_cli", "validate", "-d", str(folder), "-f", "json"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    seconds = time.perf_counter() - start
    body = json.loads(done.stdout)
    events = next(t for t in body["tables"] if t["table"] == "events")
    print(f"exit {done.returncode}, {seconds:.2f} s for {rows:,} rows")
    print(f"rows_read {events['rows_read']:,}, excluded {events['rows_excluded']:,}")
    for issue in body["issues"]:
        print(f"{issue['code']} at row {issue['row']:,}: {issue['message']}")
    print(f"(the malformed line is file line {middle + 2:,})")


if __name__ == "__main__":
    main()
