"""``landsim run``: one run of one scenario, its yearly outcomes written to a folder."""

from __future__ import annotations

import argparse
import sys

import pandas as pd

from landsim.metrics import FLOW_METRICS, MAIN_OUTCOMES
from landsim.outputs import prepare_dir
from landsim.provenance import (
    atomic_path,
    command_line,
    environment,
    now,
    scenario_record,
    write_json,
)
from landsim.runner import RunSpec, replicate_seeds, run
from landsim.scenario import Scenario, load_scenario

__all__ = ["register", "positive_int", "seed_int", "warn_cut_timeline"]

EPILOG = """examples:
  landsim run baseline                              a bundled scenario, by name
  landsim run scenarios/baseline.toml
  landsim run scenarios/coop_fixed_rent.toml --years 10 --seed 42 --out results/fixed

The model's seed is replicate 0 of the seeds 'landsim compare' derives from the same root
seed (--seed, default: the file's run.seed), so this run repeats that comparison's first
replicate. Writes DIR/outcomes.csv, DIR/outcomes.parquet (one row per year) and
DIR/provenance.json; DIR defaults to results/SCENARIO (results/SCENARIO-2 ... if that
holds earlier results; an --out that holds results is refused unless --force).
"""


def _whole_number(text: str, minimum: int) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    return _whole_number(text, 1)


def seed_int(text: str) -> int:
    """An argparse type: a seed, a whole number of at least 0."""
    return _whole_number(text, 0)


def warn_cut_timeline(scenario: Scenario, years: int | None) -> None:
    """Tell the user when ``--years`` ends a run before some of its timeline events, and when
    its world leaves households without land (``landsim check`` refuses such a file).
    """
    from landsim.capacity import capacity_problem

    problem = capacity_problem(scenario.params.world)
    if problem:
        print(f"note: {scenario.name}: {problem}", file=sys.stderr)
    if years is None:
        return
    late = sorted({e.year for e in scenario.params.timeline if e.year > years})
    if late:
        shown = ", ".join(str(y) for y in late)
        print(
            f"note: {scenario.name}: --years {years} ends before its timeline events in "
            f"year {shown}",
            file=sys.stderr,
        )


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``landsim run``."""
    p = subparsers.add_parser(
        "run",
        help="run one scenario once and write its yearly outcomes",
        description="Run one scenario once (one seed) and write its yearly outcomes.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenario", metavar="SCENARIO", help="scenario file (TOML) or a bundled scenario's name"
    )
    p.add_argument(
        "--years",
        type=positive_int,
        metavar="N",
        help="years to simulate (default: the file's run.years)",
    )
    p.add_argument(
        "--seed", type=seed_int, metavar="S", help="root seed (default: the file's run.seed)"
    )
    p.add_argument("--out", metavar="DIR", help="output folder (default: results/SCENARIO)")
    p.add_argument("--force", action="store_true", help="replace earlier results in --out")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the scenario, write the outcomes and print first and last year."""
    started = now()
    scenario = load_scenario(args.scenario)
    params = scenario.params
    root = args.seed if args.seed is not None else params.run.seed
    years = args.years or params.run.years
    warn_cut_timeline(scenario, args.years)
    out = prepare_dir(
        args.out or f"results/{scenario.name}", default=args.out is None, force=args.force
    )
    seed = replicate_seeds(root, 1)[0]
    spec = RunSpec(
        params=params.model_dump(mode="json"),
        seed=seed,
        years=years,
        tags={"scenario": scenario.name, "replicate": 0},
    )
    df = run(spec)

    written = [out / "outcomes.csv", out / "outcomes.parquet", out / "provenance.json"]
    with atomic_path(written[0]) as tmp:
        df.to_csv(tmp, index=False)
    with atomic_path(written[1]) as tmp:
        df.to_parquet(tmp, index=False)
    write_json(
        written[2],
        {
            "command": "run",
            "command_line": command_line(),
            "started": started,
            "finished": now(),
            "status": "complete",
            "root_seed": root,
            "seed": seed,
            "years": years,
            "scenario": scenario_record(scenario),
            "environment": environment(),
        },
    )
    print(f"{scenario.name}: {scenario.title}")
    print(f"{years} years, root seed {root} (model seed {seed})\n")
    print(first_last(df))
    print("\nwrote " + ", ".join(str(p) for p in written))
    return 0


def first_last(df: pd.DataFrame) -> str:
    """The main outcomes in the first and the last year, one per line (flows show "-" in
    year 0, before the first season)."""
    first, last = df.iloc[0], df.iloc[-1]
    head = [f"year {int(first['year'])}", f"year {int(last['year'])}"]
    width = max(len(m) for m in MAIN_OUTCOMES)
    rows = [f"{'outcome'.ljust(width)}  {head[0]:>12}  {head[1]:>12}"]
    for metric in MAIN_OUTCOMES:
        a, b = float(first[metric]), float(last[metric])
        top = max(abs(a), abs(b))
        whole = a.is_integer() and b.is_integer()
        d = 0 if top >= 1000 or whole else 1 if top >= 10 else 3
        # a flow (income) has no value in year 0, before the first season
        shown = "-" if metric in FLOW_METRICS and int(first["year"]) == 0 else f"{a:,.{d}f}"
        rows.append(f"{metric.ljust(width)}  {shown:>12}  {b:>12,.{d}f}")
    return "\n".join(rows)
