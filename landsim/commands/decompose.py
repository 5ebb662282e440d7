"""``landsim decompose FILE``: what each part of a bundle of levers contributes.

A full factorial over the bundle's parts (every combination of parts on and off), paired by
seed, with Student-t intervals: each part alone, all together, their interaction and each
part's main effect (:mod:`landsim.decompose`). Writes the tables, a figure, every run's yearly
outcomes and provenance.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

# the statistics, the executors and the scenario loader are imported when the command runs:
# ``landsim --help`` builds this parser and must start fast (landsim/commands/options.py)
from landsim.commands.options import (
    add_conf_level_option,
    add_out_options,
    add_size_options,
    positive_int,
    size_changes,
)
from landsim.errors import UserError

__all__ = ["register", "main"]

DEFAULT_OUT = "results/decompose"

EPILOG = """examples:
  landsim decompose decompose_tri_party --out results/tri_party     the bundled file, by name
  landsim decompose decompose_tri_party --size S --seeds 4 --years 10 --out results/quick
  landsim decompose decompose_parties --outcomes abandonment_rate,coop_leakage --workers 2
  landsim decompose my_parts.toml --scenario scenarios/my_bundle.toml --out results/mine

A decomposition file names a scenario (every part on) and its parts, each a named set of keys
the scenario sets; switched off, a part's keys take a base scenario's values (keys = [...])
or values it gives (off = {...}). Every combination of parts runs --seeds times; replicate r
has the same seed in every combination (common random numbers), so effects are paired by seed.
The bundled files: experiments/decompose_*.toml ('landsim docs sweeps' describes the format).

Each outcome is a run's mean over years 1 to N. Writes to DIR (default results/decompose, or
results/decompose-2 ... if that holds results; an --out that holds results is refused unless
--force):
  effects.md / effects.csv   per outcome, each with its interval: the base level, each part
                             alone minus the base, all together minus the base, the interaction
                             (together minus the base minus the sum of each part alone minus the
                             base) and each part's main effect (mean over the others' combinations)
  decomposition.png          per outcome: each part alone, together and the interaction
  runs.csv                   one row per run: combination, seed, each outcome's mean
  timeseries.parquet         every run, every year
  dictionary.csv, provenance.json
Ctrl-C stops the runs and keeps the finished ones (runs.csv, timeseries.parquet, the effects of
the seeds whose every combination finished).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``landsim decompose``."""
    p = subparsers.add_parser(
        "decompose",
        help="what each part of a bundle of levers contributes (a factorial with intervals)",
        description="Run every combination of a bundle's parts over paired seeds and report "
        "what each part contributes alone, together and in interaction, with intervals.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file",
        metavar="FILE",
        help="decomposition file (TOML) or a bundled one's name (decompose_tri_party)",
    )
    p.add_argument(
        "--scenario",
        metavar="SCENARIO",
        help="decompose this scenario instead of the file's (a file or a bundled name)",
    )
    add_size_options(p, "seeds", "replicates of each combination (default: the file's seeds)")
    p.add_argument(
        "--outcomes",
        metavar="A,B,...",
        help="outcomes to decompose (default: the file's outcomes)",
    )
    add_conf_level_option(p)
    p.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="local processes (default: every core this process may use; 1: this process)",
    )
    add_out_options(p, DEFAULT_OUT)
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Check, run the factorial, write and print the effects."""
    from landsim.capacity import capacity_problem
    from landsim.decompose import load_decomposition, plan
    from landsim.locking import folder_lock
    from landsim.outputs import prepare_dir
    from landsim.provenance import now
    from landsim.sweep.executors import available_cores, make_executor

    started = now()
    outcomes = None
    if args.outcomes is not None:
        outcomes = [o.strip() for o in args.outcomes.split(",") if o.strip()]
        if not outcomes:
            raise UserError("--outcomes: name at least one outcome")
    dec = load_decomposition(
        args.file,
        scenario=args.scenario,
        seeds=args.seeds,
        years=args.years,
        outcomes=outcomes,
        world=size_changes(args.size),
    )
    from landsim.commands.run import warn_cut_timeline

    warn_cut_timeline(dec.scenario, dec.years)
    world = dec.params("0" * len(dec.parts)).world
    problem = None if world.is_region else capacity_problem(world)
    if problem:
        raise UserError(f"{dec.scenario.path}: {problem}")
    specs = plan(dec)
    need = 16 * 60 * len(specs) * (dec.years + 1)  # bytes: outcomes x years x runs, twice over
    out = prepare_dir(
        args.out or DEFAULT_OUT, default=args.out is None, force=args.force, need_bytes=need
    )
    workers = min(args.workers or available_cores(), len(specs))
    # one worker: this process (no pool to start), as compare's --jobs 1
    executor = make_executor("serial") if workers == 1 else make_executor("local", workers)
    with folder_lock(out, "decompose"), executor:  # one writer per results folder
        return _run(args, dec, specs, out, executor, started)


def _run(args, dec, specs, out, executor, started) -> int:
    from landsim.compare import execute
    from landsim.decompose import INTERVAL_METHOD, cells, parts_on
    from landsim.provenance import command_line, environment, now, scenario_record, write_json
    from landsim.runner import replicate_seeds

    k = len(dec.parts)
    record: dict[str, Any] = {
        "command": "decompose",
        "command_line": command_line(),
        "started": started,
        "finished": None,
        "status": "running",
        "decomposition": dec.record(),
        "cells": {c: parts_on(dec, c) for c in cells(k)},
        "root_seed": dec.seed,
        "common_random_numbers": "replicate r of every combination uses seeds[r]",
        "seeds": replicate_seeds(dec.seed, dec.seeds),
        "years": dec.years,
        "outcomes": list(dec.outcomes),
        "statistic": f"each run's mean of years 1-{dec.years}",
        "conf_level": args.conf_level,
        "intervals": INTERVAL_METHOD,
        **executor.info(),
        "scenario": scenario_record(dec.scenario),
        "base": scenario_record(dec.base) if dec.base else None,
        "environment": environment(),
    }
    write_json(out / "provenance.json", record)  # a record exists even if the run dies
    print(
        f"Decomposing {dec.scenario.name} into {k} parts ({', '.join(p.name for p in dec.parts)})"
        f": {2**k} combinations x {dec.seeds} seeds = {len(specs)} runs of {dec.years} years on "
        f"{executor.description}; replicate r has the same seed in every combination (root "
        f"seed {dec.seed}).",
        flush=True,
    )
    done: dict = {}
    try:
        execute(specs, executor=executor, progress=not args.no_progress, done=done)
    except BaseException as err:  # keep what finished; the record says how it ended
        status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
        if done:
            _write(args, dec, done, out)
            print(
                f"landsim decompose: {status}; {len(done)} of {len(specs)} runs saved in {out}",
                file=sys.stderr,
            )
        write_json(out / "provenance.json", {**record, "status": status, "finished": now()})
        raise
    text = _write(args, dec, done, out)
    write_json(out / "provenance.json", {**record, "status": "complete", "finished": now()})
    print(f"\n{dec.title}: {dec.scenario.title} ({dec.scenario.name})")
    print(f"(intervals {INTERVAL_METHOD})\n")
    print(text)
    print(f"figure: {out / 'decomposition.png'}")
    print(
        f"tables: {out / 'effects.md'}, {out / 'effects.csv'}; runs: {out / 'runs.csv'}; "
        f"time series: {out / 'timeseries.parquet'}; dictionary: {out / 'dictionary.csv'}; "
        f"provenance: {out / 'provenance.json'}"
    )
    return 0


def _write(args, dec, done: dict, out) -> str:
    """Write the results of the finished runs; return the effects as Markdown."""
    import pandas as pd

    from landsim.decompose import effects, markdown, run_means, unit_text
    from landsim.dictionary import write_dictionary, write_parquet
    from landsim.figures import plot_effects
    from landsim.provenance import atomic_path

    timeseries = pd.concat([done[i] for i in sorted(done)], ignore_index=True)
    means = run_means(timeseries, dec.outcomes)
    table = effects(means, dec, args.conf_level)
    text = markdown(table, dec)
    with atomic_path(out / "timeseries.parquet") as tmp:
        write_parquet(timeseries, tmp, "timeseries.parquet")
    for name, df in (("runs.csv", means), ("effects.csv", table)):
        with atomic_path(out / name) as tmp:
            df.to_csv(tmp, index=False)
    with atomic_path(out / "effects.md") as tmp:
        tmp.write_text(f"# {dec.title}\n\n{text}", encoding="utf-8")
    if table["n_seeds"].max() >= 2:
        rows = [("alone", p.name, f"{p.title} alone") for p in dec.parts]
        rows += [("together", "", "all parts together"), ("interaction", "", "interaction")]
        n = int(table["n_seeds"].max())
        note = (
            "How to read: each point is the mean over the seeds of a combination's outcome "
            "minus the base's with the same seed (the base: every part off); whiskers are "
            f"{args.conf_level:.0%} t-intervals. Interaction = together − base − the sum of "
            "(each part alone − base): 0 when the parts' effects add up; of the sign opposite "
            "to theirs when they overlap (together does less than their sum), of the same "
            "sign when they reinforce each other. Each part's main effect is in effects.md."
        )
        title = (
            f"What each part of “{dec.scenario.title}” ({dec.scenario.name}) contributes\n"
            f"difference from the base (every part off), paired by seed: mean of {n} seeds "
            f"and {args.conf_level:.0%} t-interval; each run's mean of years 1–{dec.years}"
        )
        units = {o: unit_text(o) for o in dec.outcomes}
        with atomic_path(out / "decomposition.png") as tmp:
            plot_effects(table, tmp, rows, title, units, note)
    write_dictionary(out)
    return text
