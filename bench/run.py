"""Benchmarks of whole `csm` processes (not part of the test suite).

    python bench/run.py [--customers 100000] [--repeat 3]

Times `csm --help`, the sample report, and on a generated data set of --customers customers:
the revenue family for one month and for a 24-month trend, the engagement family for one
month, and `csm validate`. Peak memory is the child process's max RSS.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSM = [sys.executable, "-m", "csmetrics_cli"]


def run(args: list[str], repeat: int) -> tuple[float, float]:
    """Median wall seconds over `repeat` runs, and the peak RSS (MB) of the last one."""
    times = []
    peak = 0.0
    for _ in range(repeat):
        start = time.perf_counter()
        child = subprocess.Popen(
            [*CSM, *args], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        _pid, status, usage = os.wait4(child.pid, 0)
        times.append(time.perf_counter() - start)
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"csm {' '.join(args)} failed:\n{child.stderr.read().decode()}")  # type: ignore[union-attr]
        peak = max(peak, usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux
    return statistics.median(times), peak


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    opts = parser.parse_args()
    big = ROOT / "bench" / "out" / f"sample-{opts.customers}"
    if not (big / "subscriptions.csv").exists():
        start = time.perf_counter()
        subprocess.run([*CSM, "sample", "--output", str(big), "--customers", str(opts.customers),
                        "--seed", "1"], cwd=ROOT, check=True)  # fmt: skip
        print(f"generated {big} in {time.perf_counter() - start:.1f} s")
    one_month = ["report", "-d", str(big), "--period", "2024-06", "-f", "csv", "--family"]
    cases = [
        ("csm --help", ["--help"]),
        ("report 2024-06 on sample_data", ["report", "--period", "2024-06", "-f", "csv"]),
        (f"revenue, one month, {opts.customers:,} customers",
         [*one_month, "revenue"]),
        (f"revenue, 24-month trend, {opts.customers:,} customers",
         ["report", "-d", str(big), "--from", "2023-01", "--to", "2024-12", "--family", "revenue",
          "-f", "csv"]),
        (f"engagement, one month, {opts.customers:,} customers",
         [*one_month, "engagement"]),
        (f"satisfaction, one month, {opts.customers:,} customers",
         [*one_month, "satisfaction"]),
        (f"validate, {opts.customers:,} customers", ["validate", "-d", str(big), "-f", "json"]),
    ]  # fmt: skip
    print(f"| case | median s (n={opts.repeat}) | peak RSS MB |")
    print("|---|---|---|")
    for label, args in cases:
        seconds, peak = run(args, opts.repeat)
        print(f"| {label} | {seconds:.2f} | {peak:.0f} |", flush=True)


if __name__ == "__main__":
    main()
