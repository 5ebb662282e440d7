"""``landsim bench``: time the model from one town to a county; print a table, write JSON."""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from landsim.errors import UserError

__all__ = ["register", "run"]

EPILOG = """examples:
  landsim bench                        the full benchmark (the county run takes minutes)
  landsim bench --quick                shrink the county to 100,000 plots (about a minute)
  landsim bench --county-plots 20000 --years 5 --repeats 1 --out /tmp/bench.json

The table shows, per world size: median wall time of a run (build + all years), time per
household-year, and peak resident memory of the child process that ran it (the town runs in
this process, so it has none); then the fitted exponent k of time ∝ plots^k and the time
per phase of the year. Runs stopped by --time-limit or --memory-limit are marked * and
their full time is extrapolated from the years they finished. The output file is checked
before any run; an existing --out is refused unless --force (the default name moves on to
results/bench-2.json ... instead). This is a benchmark, not a
test: timings vary from machine to machine and from run to run.
"""

DEFAULT_OUT = "results/bench.json"

#: county size used by --quick (plots)
QUICK_COUNTY_PLOTS = 100_000


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``bench`` sub-command."""
    p = subparsers.add_parser(
        "bench",
        help="time runs from the default town to a county-sized world",
        description="Time the model: the default town (median of several runs), four sizes "
        "between it and a county of about 1,000,000 plots (each in a child process, with its "
        "peak memory), the growth exponent k (time ∝ plots^k), and time per phase of the year.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--out",
        type=Path,
        default=None,
        help=f"JSON file to write (default: {DEFAULT_OUT}, or bench-2.json ... if it exists)",
    )
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.add_argument("--years", type=int, default=30, help="years per run (default: %(default)s)")
    p.add_argument(
        "--repeats",
        type=int,
        default=5,
        help="runs of the town whose median is reported (default: %(default)s)",
    )
    p.add_argument(
        "--county-plots",
        type=int,
        default=None,
        help="plots of the largest world (default: 1,000,000; "
        f"{QUICK_COUNTY_PLOTS:,} with --quick)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help=f"shrink the county to {QUICK_COUNTY_PLOTS:,} plots; run the town 3 times",
    )
    p.add_argument(
        "--seed", type=int, default=1, help="seed of the first run (default: %(default)s)"
    )
    p.add_argument(
        "--time-limit",
        type=float,
        default=900.0,
        metavar="SECONDS",
        help="stop a child run after this long and extrapolate (default: %(default)s)",
    )
    p.add_argument(
        "--memory-limit",
        type=float,
        default=16.0,
        metavar="GB",
        help="stop a child run above this resident memory (default: %(default)s)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Run the benchmark, print the table and write the JSON file."""
    from landsim import timing
    from landsim.bench import format_table, run_bench
    from landsim.timing import town_size

    if timing.resource is None:
        raise UserError(
            "landsim bench needs Linux or macOS: it measures peak memory with getrusage, "
            "which this system lacks"
        )

    county_plots = args.county_plots
    if county_plots is None:
        county_plots = QUICK_COUNTY_PLOTS if args.quick else 1_000_000
    repeats = min(args.repeats, 3) if args.quick else args.repeats
    if args.years < 1:
        raise UserError(f"--years must be at least 1, got {args.years}")
    if repeats < 1:
        raise UserError(f"--repeats must be at least 1, got {args.repeats}")
    town = town_size().plots
    if county_plots < 4 * town:
        raise UserError(
            f"--county-plots must be at least 4 x the town's {town:,} plots "
            f"(so that four sizes fit between them), got {county_plots:,}"
        )
    if not (args.time_limit > 0 and args.memory_limit > 0 and math.isfinite(args.memory_limit)):
        raise UserError("--time-limit and --memory-limit must be positive numbers")
    from landsim.outputs import prepare_file

    out = prepare_file(
        args.out or DEFAULT_OUT, default=args.out is None, force=args.force, need_bytes=2**20
    )
    result = run_bench(
        years=args.years,
        repeats=repeats,
        county_plots=county_plots,
        seed=args.seed,
        time_limit_s=args.time_limit,
        memory_limit_mb=args.memory_limit * 1024,
        progress=not args.no_progress,
        log=lambda line: print(line, file=sys.stderr),
    )
    print(format_table(result))
    from landsim.provenance import atomic_path

    with atomic_path(out) as tmp:
        tmp.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"\nwrote {out}")
    return 0
