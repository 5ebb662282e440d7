"""How much faster does a sweep run on 2 local worker processes than on 1?

A benchmark, not a test: it times the same 40-run sweep (by default) with ``--workers 1`` and
``--workers 2``, alternating, several times, and reports the ratio of the median wall times.
Each sweep is timed from the call of ``run_sweep`` to its return: starting the worker
processes, running, writing Parquet parts and provenance. A short warm-up sweep first starts the
forkserver that every later pool forks its workers from (a once-per-process cost of importing
the model, ~1 s, paid equally by any CLI sweep).

Usage:
    .venv/bin/python benchmarks/sweep_scaling.py                 # 40 runs, 3 repeats
    .venv/bin/python benchmarks/sweep_scaling.py --runs 40 --repeats 5 --scale 2 --years 30

Runs are sized to take about half a second each (default: a town twice as wide and high as the
default, 400 households per village, 30 years), so that the result measures the sweep machinery
rather than process start-up. Other load on the machine lowers the ratio: run it on a quiet one
(each repeat prints the median run time of both settings: if it is higher with 2 workers, other
processes were competing for the cores, and the best-of-N ratio is the fairer figure).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from landsim.sweep import LocalExecutor, load_experiment, load_runs, run_sweep

SCENARIO = Path(__file__).resolve().parent.parent / "scenarios" / "coop_guaranteed_dividend.toml"


def experiment_text(runs: int, years: int, scale: int) -> str:
    """A factorial sweep of the guaranteed rent with ``runs`` runs in all."""
    levels = 10 if runs % 10 == 0 else runs
    return f"""
name = "sweep_scaling"
base = "{SCENARIO}"
outcomes = ["abandonment_rate", "participation_rate", "household_income_mean"]
[design]
kind = "factorial"
[factors."levers.guaranteed_rent"]
range = [400, 800]
levels = {levels}
[run]
replicates = {runs // levels}
seed = 1
years = {years}
[world]
width = {60 * scale}
height = {50 * scale}
households_per_village = {100 * scale * scale}
"""


def time_sweep(exp, workers: int, root: Path, label: str) -> tuple[float, float]:
    """Wall time of one sweep, and the median wall time of its runs."""
    out = root / label
    start = time.perf_counter()
    run_sweep(exp, out, LocalExecutor(workers), progress=False)
    elapsed = time.perf_counter() - start
    return elapsed, float(load_runs(out)["wall_time"].median())


def main() -> None:
    """Time the sweep with 1 and 2 workers and print the speed-up."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=40)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--years", type=int, default=30)
    ap.add_argument("--scale", type=int, default=2, help="town size multiplier per side")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        path = root / "scaling.toml"
        path.write_text(experiment_text(args.runs, args.years, args.scale), encoding="utf-8")
        exp = load_experiment(path)
        warm = root / "warm.toml"
        warm.write_text(experiment_text(10, 1, 1), encoding="utf-8")
        run_sweep(load_experiment(warm), root / "warm", LocalExecutor(2), progress=False)

        times: dict[int, list[float]] = {1: [], 2: []}
        for rep in range(args.repeats):
            order = (1, 2) if rep % 2 == 0 else (2, 1)  # neither setting always goes first
            per_run = {}
            for workers in order:
                t, per_run[workers] = time_sweep(exp, workers, root, f"w{workers}-{rep}")
                times[workers].append(t)
            print(
                f"repeat {rep + 1}: 1 worker {times[1][-1]:6.2f} s, 2 workers {times[2][-1]:6.2f} s"
                f" -> {times[1][-1] / times[2][-1]:.2f}x   (median run {per_run[1]:.2f} s / "
                f"{per_run[2]:.2f} s; a slower run with 2 workers means other load on the cores)",
                flush=True,
            )
    m1, m2 = statistics.median(times[1]), statistics.median(times[2])
    b1, b2 = min(times[1]), min(times[2])
    print(
        f"{args.runs} runs, {args.repeats} repeats: median {m1:.2f} s with 1 worker, "
        f"{m2:.2f} s with 2 workers; speed-up {m1 / m2:.2f}x "
        f"(best of {args.repeats}: {b1:.2f} s / {b2:.2f} s = {b1 / b2:.2f}x)"
    )


if __name__ == "__main__":
    main()
