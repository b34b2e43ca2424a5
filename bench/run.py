"""Benchmarks of whole `csm` processes beside an independent DuckDB reference (not in the tests).

    python bench/run.py [--customers 100000] [--repeat 3] [--period 2024-06] [--quick]

On a data set made once by `csm sample --output bench/out/sample-N --customers N --seed 7`,
times (median of --repeat runs, peak RSS from os.wait4) `csm report --format json` for one month
and for a 24-month --from/--to trend, each beside bench/duckdb_reference.py run as a whole
process on the same files, and checks that every value the reference computes agrees with
csm's (relative tolerance 1e-6): any disagreement is printed loudly and the exit status is 1.
With pyspark installed (and no --no-spark), the one-month report also runs with `--engine
spark` on a local session; stderr says how much of its time was starting Spark (csm's -v
timing). The month also runs restricted to the metrics the reference computes (`--metrics`
with the ids it prints on bench/edge): the like-for-like comparison, without the families and
tables (invoices, onboarding) the reference leaves out. Also times the same report's first
run (it fills the table cache: one run) and the same report again from that cache (median of
--repeat), csm's one-family reports and `csm validate` (left out by --quick), and startup:
`csm --help`, `csm metrics`, a bare one-command Typer app (its `--help`, and its command run
with an option) and a bare interpreter. Children run from bytecode (csm's modules compiled once
first, PYTHONDONTWRITEBYTECODE unset), as an installed csm does.

bench/edge/ is a hand-made month at the SPEC's edges, checked the same way: a subscription
ending on the last day (exclusive end, so churned), one active only on the start snapshot, a
zero-length one and an mrr-0 trial before a first payment (new, not reactivated), a comeback
(reactivated), expansion and contraction inside one customer, a customer (C11) missing from
customers.csv (SPEC 1: kept, counted in the overall figures), timestamps with zones (UTC days),
survey types in capitals, csat on a 1-10 scale, and tickets with blank flags, reply and reopen
counts.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
CSM = [PY, "-m", "csmetrics_cli"]
REF = [PY, str(ROOT / "bench" / "duckdb_reference.py")]
EDGE = ROOT / "bench" / "edge"
WARM = "the same report again, table cache warm"
FIRST = "the same report's first run, filling the table cache (one run)"
REL_TOL = 1e-6
ABS_TOL = 1e-9  # float noise around 0 (e.g. an expansion_revenue_rate of 1e-14)


@dataclass
class Timing:
    seconds: float  # median wall time
    peak_mb: float  # max RSS over the runs
    stdout: str  # of the last run
    stderr: str = ""  # of the last run


def timed(cmd: list[str], repeat: int) -> Timing:
    """Run cmd `repeat` times as a whole process; stdout goes to a file (no pipe to drain)."""
    times, peak, out = [], 0.0, ""
    for _ in range(repeat):
        with tempfile.TemporaryFile() as stdout, tempfile.TemporaryFile() as stderr:
            start = time.perf_counter()
            child = subprocess.Popen(cmd, cwd=ROOT, stdout=stdout, stderr=stderr)
            _pid, status, usage = os.wait4(child.pid, 0)
            times.append(time.perf_counter() - start)
            peak = max(peak, usage.ru_maxrss / 1024)  # ru_maxrss is in KiB on Linux
            stdout.seek(0)
            stderr.seek(0)
            out, err = stdout.read().decode(), stderr.read().decode()
            if os.waitstatus_to_exitcode(status) != 0:
                raise SystemExit(f"{' '.join(cmd)} failed:\n{err}")
    return Timing(statistics.median(times), peak, out, err)


def spark_start(stderr: str) -> float | None:
    """Seconds csm spent starting Spark, from its -v timing line `Starting Spark: 12.34 s`."""
    for line in stderr.splitlines():
        text = line.strip()
        if text.startswith("Starting Spark:") and text.endswith(" s"):
            return float(text.removeprefix("Starting Spark:").removesuffix(" s"))
    return None


def alone(label: str, run: Timing) -> None:
    """A table row of csm's alone."""
    print(f"| {label} | {run.seconds:.2f} | - | - | {run.peak_mb:.0f} | - |", flush=True)


def csm_values(report: str) -> tuple[dict[tuple[str, str, str | None], Any], list[str]]:
    """csm's JSON report as {(period, metric id, item): value} for the all-customers rows."""
    body = json.loads(report)
    values = {
        (m["period"], m["id"], m["item"]): m["value"]
        for m in body["metrics"]
        if m["segment"] is None
    }
    notes = [str(w) for w in body.get("warnings", [])]
    for table in body.get("data_quality", {}).get("tables", []):
        if table.get("rows_excluded"):
            notes.append(f"csm excluded {table['rows_excluded']} rows of {table['file']}")
    return values, notes


def same(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


def disagreements(csm_json: str, ref_json: str, periods: list[str]) -> tuple[list[str], int]:
    """Every reference value that csm does not match, and how many values were compared."""
    csm, notes = csm_values(csm_json)
    ref = json.loads(ref_json)
    by_period = {periods[0]: ref} if len(periods) == 1 else ref
    bad, checked = [f"note: {n}" for n in notes], 0
    for period, metrics in by_period.items():
        for metric, value in metrics.items():
            if isinstance(value, dict):  # feature_adoption_rate: {feature: value}
                items = set(value) | {k[2] for k in csm if k[:2] == (period, metric)}
                pairs = [((period, metric, i), value.get(i)) for i in sorted(items)]
            else:
                pairs = [((period, metric, None), value)]
            for key, want in pairs:
                checked += 1
                if key not in csm:
                    bad.append(f"{key}: csm has no such row; DuckDB = {want}")
                elif not same(csm[key], want):
                    bad.append(f"{key}: csm = {csm[key]}, DuckDB = {want}")
    return bad, checked


def ensure_data(customers: int, seed: int) -> Path:
    big = ROOT / "bench" / "out" / f"sample-{customers}"
    if not (big / "costs.csv").exists():  # costs.csv is the last file `csm sample` writes
        start = time.perf_counter()
        subprocess.run([*CSM, "sample", "--output", str(big), "--customers", str(customers),
                        "--seed", str(seed)], cwd=ROOT, check=True)  # fmt: skip
        print(f"generated {big} in {time.perf_counter() - start:.1f} s", file=sys.stderr)
    return big


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--period", default="2024-06")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--quick", action="store_true", help="skip the one-family rows")
    parser.add_argument("--no-spark", action="store_true", help="skip the --engine spark row")
    opts = parser.parse_args()
    big = ensure_data(opts.customers, opts.seed)
    n = f"{opts.customers:,} customers"
    trend = ["--from", "2023-01", "--to", "2024-12"]
    trend_months = [f"{y}-{m:02d}" for y in (2023, 2024) for m in range(1, 13)]
    one_month = ["report", "-d", str(big), "--period", opts.period, "-f", "csv", "--family"]
    ref_ids = ",".join(json.loads(subprocess.run(
        [*REF, "-d", str(EDGE), "--period", "2024-06"], capture_output=True, text=True, check=True
    ).stdout))  # fmt: skip
    # (label, csm command, DuckDB command or None, periods to check)
    cases: list[tuple[str, list[str], list[str] | None, list[str]]] = [
        (f"report {opts.period}, all families, JSON, {n} (--no-cache)",
         [*CSM, "report", "-d", str(big), "--period", opts.period, "--format", "json",
          "--no-cache"], [*REF, "-d", str(big), "--period", opts.period], [opts.period]),
        (f"the same month, only the {ref_ids.count(',') + 1} metrics the DuckDB job computes,"
         f" {n} (--no-cache)",
         [*CSM, "report", "-d", str(big), "--period", opts.period, "--format", "json",
          "--no-cache", "--metrics", ref_ids],
         [*REF, "-d", str(big), "--period", opts.period], [opts.period]),
        (WARM, [*CSM, "report", "-d", str(big), "--period", opts.period, "--format", "json"],
         None, []),
        (f"24-month trend 2023-01..2024-12, all families, JSON, {n} (--no-cache)",
         [*CSM, "report", "-d", str(big), *trend, "--format", "json", "--no-cache"],
         [*REF, "-d", str(big), *trend], trend_months),
    ]  # fmt: skip
    if not opts.quick:
        cases += [
            (f"revenue family, one month, {n}", [*CSM, *one_month, "revenue"], None, []),
            (f"revenue family, 24-month trend, {n}",
             [*CSM, "report", "-d", str(big), *trend, "--family", "revenue", "-f", "csv"],
             None, []),
            (f"engagement family, one month, {n}", [*CSM, *one_month, "engagement"], None, []),
            (f"satisfaction family, one month, {n}", [*CSM, *one_month, "satisfaction"], None, []),
            (f"validate, {n}", [*CSM, "validate", "-d", str(big), "-f", "json"], None, []),
            ("report 2024-06 on sample_data, JSON",
             [*CSM, "report", "--period", "2024-06", "-f", "json"],
             [*REF, "-d", "sample_data", "--period", "2024-06"], ["2024-06"]),
        ]  # fmt: skip
    spark = None
    if not opts.no_spark and importlib.util.find_spec("pyspark") is not None:
        spark = (f"report {opts.period}, all families, JSON, --engine spark (local), {n}",
                 [*CSM, "report", "-d", str(big), "--period", opts.period, "--format", "json",
                  "--no-cache", "--engine", "spark", "-v"],
                 [*REF, "-d", str(big), "--period", opts.period], [opts.period])  # fmt: skip
        cases.insert(1, spark)
    cases += [  # hand-made rows at the SPEC's edges (see the docstring)
        ("hand-made edge cases bench/edge, 2024-06, JSON",
         [*CSM, "report", "-d", str(EDGE), "--period", "2024-06", "-f", "json"],
         [*REF, "-d", str(EDGE), "--period", "2024-06"], ["2024-06"]),
        ("`csm --help`", [*CSM, "--help"], None, []),
        ("`csm metrics`", [*CSM, "metrics", "-f", "csv"], None, []),
        ("bare one-command Typer app `--help` (bench/bare_typer.py)",
         [PY, str(ROOT / "bench" / "bare_typer.py"), "--help"], None, []),
        # a command run with an option goes through Typer's parameter coercion (pydantic
        # since Typer 0.2x): the floor for `csm metrics`, as `--help` is for `csm --help`
        ("the same app running its command with an option",
         [PY, str(ROOT / "bench" / "bare_typer.py"), "--name", "csm"], None, []),
        ("bare interpreter `python -c pass`", [PY, "-c", "pass"], None, []),
    ]  # fmt: skip
    print(f"median of {opts.repeat} runs; peak RSS = max ru_maxrss of the child processes\n")
    print("| case | csm s | DuckDB s | csm / DuckDB | csm peak RSS MB | DuckDB peak RSS MB |")
    print("|---|---|---|---|---|---|")
    failures: list[str] = []
    # A cache of csm's own, so the cold rows are cold and the warm row was warmed here.
    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="csm-bench-cache-")
    # As after `pip install`: modules run from their bytecode, not compiled on every start
    # (a shell with PYTHONDONTWRITEBYTECODE=1 would otherwise add ~0.2 s to each csm run).
    os.environ.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run([PY, "-m", "compileall", "-q", str(ROOT / "csmetrics_cli")], check=True)
    for label, csm_cmd, ref_cmd, periods in cases:
        if label == WARM:
            alone(FIRST, timed(csm_cmd, 1))  # fills the table cache
        c = timed(csm_cmd, opts.repeat)
        if ref_cmd is None:
            alone(label, c)
            continue
        if spark is not None and label == spark[0]:
            start = spark_start(c.stderr)
            share = f"{start:.1f} s ({start / c.seconds:.0%})" if start is not None else "?"
            print(
                f"  --engine spark: {c.seconds:.2f} s, of which starting Spark {share}",
                file=sys.stderr,
                flush=True,
            )
        r = timed(ref_cmd, opts.repeat)
        ratio = c.seconds / r.seconds
        print(f"| {label} | {c.seconds:.2f} | {r.seconds:.2f} | {ratio:.1f} | {c.peak_mb:.0f} "
              f"| {r.peak_mb:.0f} |", flush=True)  # fmt: skip
        if periods:
            bad, checked = disagreements(c.stdout, r.stdout, periods)
            real = [b for b in bad if not b.startswith("note:")]
            print(f"  checked {checked} values: {len(real)} disagree", file=sys.stderr)
            for line in bad:
                print(f"  !!! {label}: {line}", file=sys.stderr, flush=True)
            failures += real
    if failures:
        print(f"\n!!! {len(failures)} VALUES DISAGREE between csm and the DuckDB reference "
              "(see above) !!!", file=sys.stderr)  # fmt: skip
        raise SystemExit(1)
    print("\nevery value the DuckDB reference computes agrees with csm (rel. tol. 1e-6)")


if __name__ == "__main__":
    main()
