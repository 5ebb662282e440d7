"""``landsim run``: one run of one scenario, its yearly outcomes written to a folder."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path

import pandas as pd

from landsim.errors import UserError
from landsim.limits import SEED_MAX
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
from landsim.runner import RunSpec, label, replicate_seeds, run
from landsim.scenario import Scenario, load_runnable

__all__ = ["register", "positive_int", "seed_int", "warn_cut_timeline"]

EPILOG = """examples:
  landsim run baseline                              a bundled scenario, by name
  landsim run scenarios/baseline.toml
  landsim run scenarios/coop_fixed_rent.toml --years 10 --seed 42 --out results/fixed
  landsim run baseline --checkpoint-every 5 --out results/long   checkpoints every 5 years
  landsim run --from results/long/checkpoint-15.npz --out results/rest   resume to the horizon

The model's seed is replicate 0 of the seeds 'landsim compare' derives from the same root
seed (--seed, default: the file's run.seed), so this run repeats that comparison's first
replicate. Writes DIR/outcomes.csv, DIR/outcomes.parquet (one row per year) and
DIR/provenance.json; DIR defaults to results/SCENARIO (results/SCENARIO-2 ... if that
holds earlier results; an --out that holds results is refused unless --force).

--checkpoint-every N also writes the model's full state after every Nth year to
DIR/checkpoint-YEAR.npz (all of them are kept). --from FILE loads such a checkpoint (in
place of SCENARIO) and runs on to the horizon (its run.years, or --years); the outcomes
then hold every year from 0, exactly as an unbroken run would (docs/checkpoints.md).
"""


def _whole_number(text: str, minimum: int, maximum: int | None = None) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
    if maximum is not None and value > maximum:
        raise argparse.ArgumentTypeError(f"must be at most {maximum}, got {value}")
    return value


def positive_int(text: str) -> int:
    """An argparse type: a whole number of at least 1."""
    return _whole_number(text, 1)


def seed_int(text: str) -> int:
    """An argparse type: a seed, a whole number from 0 to 2**63 - 1 (64-bit, as in TOML)."""
    return _whole_number(text, 0, SEED_MAX)


def warn_cut_timeline(scenario: Scenario, years: int | None) -> None:
    """Tell the user when ``--years`` ends a run before some of its timeline events."""
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
        "scenario",
        metavar="SCENARIO",
        nargs="?",
        help="scenario file (TOML) or a bundled scenario's name (not with --from)",
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
    p.add_argument(
        "--checkpoint-every",
        type=positive_int,
        metavar="N",
        help="save the model's state to DIR/checkpoint-YEAR.npz after every Nth year",
    )
    p.add_argument(
        "--from",
        dest="resume",
        metavar="CHECKPOINT",
        help="resume the run saved in CHECKPOINT (a checkpoint-YEAR.npz) to the horizon",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the scenario (or resume a checkpoint), write the outcomes and print first and last
    year."""
    if args.resume is not None:
        return _resume(args)
    if args.scenario is None:
        raise UserError("landsim run: give a SCENARIO, or --from CHECKPOINT to resume a run")
    started = now()
    scenario = load_runnable(args.scenario)  # what `landsim check` refuses, run refuses
    params = scenario.params
    root = args.seed if args.seed is not None else params.run.seed
    years = args.years or params.run.years
    warn_cut_timeline(scenario, args.years)
    created = not os.path.lexists(args.out or f"results/{scenario.name}")
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
    try:
        if args.checkpoint_every:
            from landsim.model import LandModel

            meta = {
                "scenario": scenario.name,
                "title": scenario.title,
                "root_seed": root,
                "seed": seed,
            }
            model = LandModel(params, rng=seed)
            df = label(_run_saving(model, years, args.checkpoint_every, out, meta), spec)
        else:
            df = run(spec)
    except BaseException:
        if created:  # a failed run leaves no empty folder behind (checkpoints are kept)
            with contextlib.suppress(OSError):
                out.rmdir()
        raise
    record = {
        "root_seed": root,
        "seed": seed,
        "years": years,
        "scenario": scenario_record(scenario),
    }
    _write(df, out, started, record)
    print(f"{scenario.name}: {scenario.title}")
    print(f"{years} years, root seed {root} (model seed {seed})\n")
    print(first_last(df))
    print("\nwrote " + ", ".join(str(p) for p in _written(out)))
    return 0


def _resume(args: argparse.Namespace) -> int:
    """``landsim run --from CHECKPOINT``: load the saved model and run it to the horizon."""
    from landsim.checkpoint import read_meta
    from landsim.model import LandModel

    if args.scenario is not None or args.seed is not None:
        raise UserError(
            "landsim run: --from CHECKPOINT resumes a saved run with its own scenario and "
            "seed; give neither SCENARIO nor --seed"
        )
    started = now()
    meta = read_meta(args.resume)
    model = LandModel.load(args.resume)
    years = args.years or model.params.run.years
    if years < model.year:
        raise UserError(
            f"landsim run: --years {years} is before the checkpoint's year {model.year}"
        )
    name = str(meta.get("scenario", "resumed"))
    out = prepare_dir(args.out or f"results/{name}", default=args.out is None, force=args.force)
    seed = meta.get("seed")
    spec = RunSpec(params={}, seed=seed, tags={"scenario": name, "replicate": 0})
    start = model.year
    df = label(_run_saving(model, years, args.checkpoint_every, out, meta), spec)
    record = {
        "root_seed": meta.get("root_seed"),
        "seed": seed,
        "years": years,
        "from_checkpoint": {"path": str(args.resume), "year": start, "meta": meta},
        "params": model.params.model_dump(mode="json"),
    }
    _write(df, out, started, record)
    print(f"{name}: resumed from {args.resume} (year {start})")
    print(f"{years} years, model seed {seed}\n")
    print(first_last(df))
    print("\nwrote " + ", ".join(str(p) for p in _written(out)))
    return 0


def _run_saving(model, years: int, every: int | None, out: Path, meta: dict) -> pd.DataFrame:
    """Step ``model`` to year ``years``, saving a checkpoint after every ``every``-th year."""
    while model.year < years:
        model.step()
        if every and model.year % every == 0:
            model.save(out / f"checkpoint-{model.year}.npz", meta=meta)
    return model.outcomes()


def _written(out: Path) -> list[Path]:
    return [out / "outcomes.csv", out / "outcomes.parquet", out / "provenance.json"]


def _write(df: pd.DataFrame, out: Path, started: str, record: dict) -> None:
    csv, parquet, provenance = _written(out)
    with atomic_path(csv) as tmp:
        df.to_csv(tmp, index=False)
    with atomic_path(parquet) as tmp:
        df.to_parquet(tmp, index=False)
    write_json(
        provenance,
        {
            "command": "run",
            "command_line": command_line(),
            "started": started,
            "finished": now(),
            "status": "complete",
            **record,
            "environment": environment(),
        },
    )


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
