"""``landsim compare``: every scenario over replicates, in parallel, with confidence intervals.

Replicates share seeds across scenarios (common random numbers), so besides each scenario's
interval the command reports paired differences against a reference scenario. Writes a summary
table, the differences, a figure, the full time series and provenance.
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

# the statistics, the executors and the scenario loader are imported when the command runs:
# ``landsim --help`` builds this parser and must start fast (landsim/commands/options.py)
from landsim.commands.options import (
    add_conf_level_option,
    add_out_options,
    positive_int,
    seed_int,
)
from landsim.commands.run import add_detail_options
from landsim.errors import UserError

if TYPE_CHECKING:
    from landsim.scenario import Scenario

__all__ = ["register"]

DEFAULT_OUT = "results/compare"

EPILOG = """examples:
  landsim compare baseline tri_party_governance            bundled scenarios, by name
  landsim compare scenarios/*.toml --replicates 30 --out results/thirty
  landsim compare coop_fixed_rent coop_guaranteed_dividend --reference coop_fixed_rent \\
      --conf-level 0.9 --jobs 2 --out results/sharing
  landsim compare baseline custody_only --executor dask://10.0.0.5:8786

Replicate r uses the same seed in every scenario (common random numbers), derived from the
root seed (--seed, default: the first file's run.seed) with numpy's SeedSequence.spawn.
Writes to DIR (default results/compare; if that holds earlier results, results/compare-2 ...
and the command says so; an --out that holds results is refused unless --force):
  summary.csv          scenario, metric, mean, ci_low, ci_high, n, level (final year; Student-t
                       interval truncated to the outcome's range: shares [0, 1], counts >= 0)
  differences.csv      each scenario minus the reference, replicate by replicate (same seeds):
                       mean difference and its t-interval
  timeseries.parquet   every replicate, every year
  outcomes.png         main outcomes over time: mean and interval band per scenario
  dictionary.csv       what every column of every table means: title, unit, range, definition,
                       aggregate (shares are fractions 0-1; undefined values are empty)
  provenance.json      resolved scenarios and their SHA-256, seeds, versions, code hash, executor
With --maps and --microdata, for the first replicate of each scenario (--detail-replicates N:
the first N), also (needs the [gis] extra for maps; guide: landsim docs regions):
  maps/SCENARIO/replicate-R/   plot_*.tif (one band per year) or plots.gpkg, villages.gpkg
  households.parquet   every household of every year of those runs
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``landsim compare``."""
    p = subparsers.add_parser(
        "compare",
        help="compare scenarios over replicates with confidence intervals",
        description="Run every scenario N times (local processes or a Dask cluster) and compare "
        "their outcomes with confidence intervals and paired differences.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "scenarios",
        nargs="+",
        metavar="SCENARIO",
        help="scenario files (TOML) or bundled scenario names (see 'landsim scenarios')",
    )
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
        help="local processes (default: every core this process may use)",
    )
    p.add_argument(
        "--executor",
        default="local",
        metavar="local|serial|dask://HOST:PORT",
        help="where runs execute (default: local processes)",
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
    add_conf_level_option(p)
    p.add_argument(
        "--reference",
        metavar="SCENARIO",
        help="scenario the others are compared with, replicate by replicate (default: the first)",
    )
    add_out_options(p, DEFAULT_OUT)
    add_detail_options(p)
    p.add_argument(
        "--detail-replicates",
        type=positive_int,
        default=1,
        metavar="N",
        help="write maps and micro-data of the first N replicates of each scenario (default 1)",
    )
    p.set_defaults(func=main)


def _load_all(paths: list[str]) -> list[Scenario]:
    """Load every file, reporting the problems of all bad files at once."""
    from landsim.scenario import ScenarioError, load_runnable

    scenarios, errors = [], []
    for path in paths:
        try:
            scenarios.append(load_runnable(path))  # refuses what `check` refuses
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


def _reference(scenarios: list[Scenario], asked: str | None) -> str:
    if asked is None:
        return scenarios[0].name
    names = [s.name for s in scenarios]
    stem = asked.removesuffix(".toml").rsplit("/", 1)[-1]
    if stem not in names:
        raise UserError(
            f"--reference {asked}: not one of the scenarios compared ({', '.join(names)})"
        )
    return stem


def main(args: argparse.Namespace) -> int:
    """Check, plan, run, summarize and write; print the tables and where the figure is."""
    from landsim.commands.run import warn_cut_timeline
    from landsim.compare import plan
    from landsim.locking import folder_lock
    from landsim.outputs import prepare_dir
    from landsim.provenance import now
    from landsim.sweep.executors import check_executor, make_executor

    check_executor(args.executor)  # before any output folder is made
    started = now()
    scenarios = _load_all(args.scenarios)
    reference = _reference(scenarios, args.reference)
    root = args.seed if args.seed is not None else scenarios[0].params.run.seed
    if args.seed is None and len({s.params.run.seed for s in scenarios}) > 1:
        print(
            f"note: the files' run.seed differ; using {scenarios[0].name}'s ({root}) for "
            "all, so that replicates share seeds",
            file=sys.stderr,
        )
    for scenario in scenarios:
        warn_cut_timeline(scenario, args.years)
    from landsim.detail import check_detail

    check_detail([s.params.world for s in scenarios], args.maps)  # before any run
    detail = args.detail_replicates if args.maps is not None or args.microdata else 0
    specs = plan(scenarios, root, replicates=args.replicates, years=args.years, detail=detail)
    counts = {s.name: sum(sp.tags["scenario"] == s.name for sp in specs) for s in scenarios}
    years = {s.name: args.years or s.params.run.years for s in scenarios}
    # about 8 bytes per outcome, year and run in Parquet, twice over for the temporary copy
    need = 16 * 40 * sum(counts[s] * (years[s] + 1) for s in counts)
    out = prepare_dir(
        args.out or DEFAULT_OUT, default=args.out is None, force=args.force, need_bytes=need
    )
    if args.executor != "local" and args.jobs is not None:
        raise UserError("--jobs applies to local processes; leave it out with --executor")
    executor = make_executor(args.executor, min(args.jobs, len(specs)) if args.jobs else None)
    with folder_lock(out, "compare"), executor:  # one writer per results folder
        return _run(args, scenarios, reference, root, specs, counts, years, out, executor, started)


def _run(args, scenarios, reference, root, specs, counts, years, out, executor, started) -> int:
    from landsim.compare import (
        DIFFERENCE_METHOD,
        INTERVAL_METHOD,
        differences,
        execute,
        format_differences,
        format_table,
        outcome_legend,
        summarize,
    )
    from landsim.detail import write_detail
    from landsim.dictionary import write_dictionary, write_parquet
    from landsim.figures import plot_outcomes
    from landsim.provenance import (
        atomic_path,
        command_line,
        environment,
        now,
        scenario_record,
        write_json,
    )
    from landsim.runner import replicate_seeds

    level = args.conf_level
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
        "conf_level": level,
        "intervals": INTERVAL_METHOD,
        "reference": reference,
        "differences": DIFFERENCE_METHOD,
        **executor.info(),
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
        f"Comparing {len(scenarios)} scenarios x {rep_text} ({len(specs)} runs) on "
        f"{executor.description}; common random numbers: replicate r has the same seed "
        f"in every scenario (root seed {root}).",
        flush=True,
    )
    recordings: dict = {}
    try:
        timeseries = execute(specs, executor=executor, recordings=recordings)
    except BaseException as err:  # a record never stays "running" when we can say otherwise
        status = "interrupted" if isinstance(err, KeyboardInterrupt) else "failed"
        write_json(out / "provenance.json", {**record, "status": status, "finished": now()})
        raise

    summary = summarize(timeseries, level)
    diffs = differences(timeseries, reference, level)
    names = ("timeseries.parquet", "summary.csv", "differences.csv", "outcomes.png")
    paths = {name: out / name for name in names}
    with atomic_path(paths["timeseries.parquet"]) as tmp:
        write_parquet(timeseries, tmp, "timeseries.parquet")
    with atomic_path(paths["summary.csv"]) as tmp:
        summary.to_csv(tmp, index=False)
    with atomic_path(paths["differences.csv"]) as tmp:
        diffs.to_csv(tmp, index=False)
    with atomic_path(paths["outcomes.png"]) as tmp:
        plot_outcomes(timeseries, tmp, level=level, titles={s.name: s.title for s in scenarios})
    worlds = {s.name: s.params.world for s in scenarios}
    runs = [
        (specs[i].tags, recordings[i], worlds[specs[i].tags["scenario"]])
        for i in sorted(recordings)
    ]
    detail = write_detail(out, runs, args.maps, args.microdata)
    write_dictionary(out)
    write_json(out / "provenance.json", {**record, "status": "complete", "finished": now()})

    final = ", ".join(sorted({str(y) for y in years.values()}))
    print(f"\nFinal year ({final}): mean [{level:.0%} confidence interval] over replicates")
    print(f"({INTERVAL_METHOD})\n")
    print(format_table(summary))
    if len(diffs):
        print(f"\nDifference from {reference} [{level:.0%} interval], replicate by replicate")
        print(f"({DIFFERENCE_METHOD})\n")
        print(format_differences(diffs))
    print("\ncolumns:\n" + outcome_legend())
    print(f"\nfigure: {paths['outcomes.png']}")
    print(
        f"summary: {paths['summary.csv']} (every outcome); differences: "
        f"{paths['differences.csv']}; time series: {paths['timeseries.parquet']}; "
        f"dictionary: {out / 'dictionary.csv'}; provenance: {out / 'provenance.json'}"
    )
    if detail:
        maps = sorted({str(p.parent) for p in detail if p.suffix in (".tif", ".gpkg")})
        micro = [str(p) for p in detail if p.suffix == ".parquet"]
        print(
            "maps: " + ("; ".join(maps) or "none") + "; micro-data: " + (", ".join(micro) or "none")
        )
    return 0
