"""A 3-row subscriptions export with thousands of extra columns: time of `csm validate`.

    python bench/wide.py [--columns 2000 8000]

Writes each export into bench/out/, runs `csm validate --format json` on it in a fresh
process and prints the wall and CPU time per column count (they should grow linearly; CPU
time is the steadier figure on a busy machine).
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write(folder: Path, columns: int, rows: int = 3) -> None:
    """subscriptions.csv with the four needed columns and `columns` extra ones."""
    folder.mkdir(parents=True, exist_ok=True)
    header = ["subscription_id", "customer_id", "mrr", "start_date"]
    header += [f"extra_{j}" for j in range(columns)]
    lines = [",".join(header)]
    for i in range(rows):
        cells = [f"s{i}", f"C{i}", "10", "2024-01-01"] + [f"v{i}_{j}" for j in range(columns)]
        lines.append(",".join(cells))
    (folder / "subscriptions.csv").write_text("\n".join(lines) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--columns", type=int, nargs="+", default=[2000, 8000])
    for columns in parser.parse_args().columns:
        folder = ROOT / "bench" / "out" / f"wide-{columns}"
        write(folder, columns)
        start = time.perf_counter()
        cpu = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(
            [sys.executable, "-m", "csmetrics_cli", "validate", "-d", str(folder), "-f", "json"],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - start
        used = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_seconds = used.ru_utime + used.ru_stime - cpu.ru_utime - cpu.ru_stime
        rows = json.loads(done.stdout)["tables"][0]["rows_read"] if done.returncode == 0 else "-"
        print(f"{columns:>6,} columns: exit {done.returncode}, {seconds:.2f} s wall, "
              f"{cpu_seconds:.2f} s CPU, rows_read {rows}")  # fmt: skip


if __name__ == "__main__":
    main()
