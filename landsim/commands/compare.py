"""``landsim compare``: every scenario over replicates, in parallel, with 95% intervals.

Replicates share seeds across scenarios (common random numbers). Writes a summary table, a
figure, the full time series and provenance.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from landsim.commands.run import output_dir, positive_int, seed_int, warn_cut_timeline
from landsim.compare import execute, format_table, plan, plot_outcomes, summarize
from landsim.errors import UserError
from landsim.provenance import (
    atomic_path,
    command_line,
    environment,
    now,
    scenario_record,
    write_json,
)
from landsim.runner import replicate_seeds
from landsim.scenario import Scenario, ScenarioError, load_scenario

__all__ = ["register"]

EPILOG = """examples:
  landsim compare scenarios/*.toml
  landsim compare scenarios/coop_fixed_rent.toml scenarios/coop_guaranteed_dividend.toml \\
      --replicates 20 --jobs 2 --out results/sharing

Replicate r uses the same seed in every scenario (common random numbers), derived from the
root seed (--seed, default: the first file's run.seed) with numpy's SeedSequence.spawn.
Writes to DIR (default results/compare):
  summary.csv          scenario, metric, mean, ci_low, ci_high, n  (final year, 95% t-interval)
  timeseries.parquet   every replicate, every year
  outcomes.png         main outcomes over time: mean and 95% band per scenario
  provenance.json      resolved scenarios and their SHA-256, seeds, versions, git commit
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``landsim compare``."""
    p = subparsers.add_parser(
        "compare",
        help="compare scenarios over replicates with 95%% confidence intervals",
        description="Run every scenario N times on local processes and compare their "
        "outcomes with 95% confidence intervals.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files (TOML)")
    p.add_argument(
        "--replicates",
        type=positive_int,
        metavar="N",
        help="runs per scenario (default: each file's run.replicates)",
    )
    p.add_argument(
        "--jobs",
        type=positive_int,
        metavar="J",
        help=f"local processes (default: all {os.cpu_count()} cores)",
    )
    p.add_argument(
        "--years",
        type=positive_int,
        metavar="N",
        help="years per run (default: each file's run.years)",
    )
    p.add_argument(
        "--seed", type=seed_int, metavar="S", help="root seed (default: the first file's run.seed)"
    )
    p.add_argument(
        "--out",
        metavar="DIR",
        default="results/compare",
        help="output folder (default: results/compare)",
    )
    p.set_defaults(func=main)


def _load_all(paths: list[str]) -> list[Scenario]:
    """Load every file, reporting the problems of all bad files at once."""
    scenarios, errors = [], []
    for path in paths:
        try:
            scenarios.append(load_scenario(path))
        except ScenarioError as err:
            errors.append(str(err))
    if errors:
        raise UserError("\n".join(errors))
    names: dict[str, str] = {}
    for s, path in zip(scenarios, paths, strict=True):
        if s.name in names:
            raise UserError(
                f"{path}: a scenario named {s.name!r} is already given "
                f"({names[s.name]}); scenarios are labelled by file name, so "
                "rename one of them"
            )
        names[s.name] = path
    return scenarios


def main(args: argparse.Namespace) -> int:
    """Plan, run, summarize and write; print the table and where the figure is."""
    started = now()
    scenarios = _load_all(args.scenarios)
    root = args.seed if args.seed is not None else scenarios[0].params.run.seed
    if args.seed is None and len({s.params.run.seed for s in scenarios}) > 1:
        print(
            f"note: the files' run.seed differ; using {scenarios[0].name}'s ({root}) for "
            "all, so that replicates share seeds",
            file=sys.stderr,
        )
    for scenario in scenarios:
        warn_cut_timeline(scenario, args.years)
    specs = plan(scenarios, root, replicates=args.replicates, years=args.years)
    jobs = min(args.jobs or os.cpu_count() or 1, len(specs))
    out = output_dir(args.out)
    counts = {s.name: sum(sp.tags["scenario"] == s.name for sp in specs) for s in scenarios}
    years = {s.name: args.years or s.params.run.years for s in scenarios}

    record: dict[str, Any] = {
        "command": "compare",
        "command_line": command_line(),
        "started": started,
        "finished": None,
        "status": "running",
        "root_seed": root,
        "common_random_numbers": "replicate r of every scenario uses seeds[r]",
        "seeds": replicate_seeds(root, max(counts.values())),
        "replicates": counts,
        "years": years,
        "jobs": jobs,
        "scenarios": [scenario_record(s) for s in scenarios],
        "environment": environment(),
    }
    write_json(out / "provenance.json", record)  # a record exists even if the run dies

    reps = sorted(set(counts.values()))
    rep_text = (
        f"{reps[0]} replicates"
        if len(reps) == 1
        else "replicates " + ", ".join(f"{k} {v}" for k, v in counts.items())
    )
    print(
        f"Comparing {len(scenarios)} scenarios x {rep_text} ({len(specs)} runs) on {jobs} "
        f"process{'es' * (jobs > 1)}; common random numbers: replicate r has the same seed "
        f"in every scenario (root seed {root}).",
        flush=True,
    )
    try:
        timeseries = execute(specs, jobs=jobs)
    except KeyboardInterrupt:
        write_json(out / "provenance.json", {**record, "status": "interrupted", "finished": now()})
        raise

    summary = summarize(timeseries)
    paths = {name: out / name for name in ("timeseries.parquet", "summary.csv", "outcomes.png")}
    with atomic_path(paths["timeseries.parquet"]) as tmp:
        timeseries.to_parquet(tmp, index=False)
    with atomic_path(paths["summary.csv"]) as tmp:
        summary.to_csv(tmp, index=False)
    with atomic_path(paths["outcomes.png"]) as tmp:
        plot_outcomes(timeseries, tmp)
    write_json(out / "provenance.json", {**record, "status": "complete", "finished": now()})

    final = ", ".join(sorted({str(y) for y in years.values()}))
    print(f"\nFinal year ({final}): mean [95% confidence interval] over replicates\n")
    print(format_table(summary))
    print(f"\nfigure: {paths['outcomes.png']}")
    print(
        f"summary: {paths['summary.csv']} (every outcome); time series: "
        f"{paths['timeseries.parquet']}; provenance: {out / 'provenance.json'}"
    )
    return 0
