"""``landsim validate``: the brief's patterns and the sourced levels, over seeds and world sizes."""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

__all__ = ["register", "main", "parse_sizes", "parse_seeds", "POWER_SEEDS"]

#: fewer seeds than this at a size draws a warning: the default, with which the bundled
#: patterns hold (a 95% t-interval over 10 replicates is 2.26 standard errors each side; over
#: 2 it is 12.7)
POWER_SEEDS = 10

HELP = """examples:
  landsim validate                                     10 seeds at sizes S, D and L
  landsim validate --sizes D --seeds 5 --out results/val
  landsim validate --seeds S=40,D=20,L=40                 seeds per size (as tests/test_story.py)
  landsim validate --out results/val --resume          finish an interrupted validation
  landsim validate --spec my_patterns.toml             your own patterns and regional targets
  landsim validate --executor dask://10.0.0.5:8786

Sizes: S four villages of 100 households (50 x 40 plots), D the scenario's own town (six
villages of 100), L 24 villages of 100 (120 x 100 plots). Prints the levels table (default
town) and the patterns table; writes DIR/report.md, DIR/report.json, DIR/pattern-N.png and the
runs (DIR/runs/, Parquet).
Exit status: 0 when every pattern holds at every size and every level is inside its range
(levels marked known_gap are reported but count only with --strict), 1 when any fails, 2 for a
usage error. The patterns file format: landsim docs validation.
"""


def parse_sizes(text: str) -> list[str]:
    """``S,D,L`` -> ``["S", "D", "L"]``.

    Raises:
        UserError: an unknown size.
    """
    from landsim.errors import UserError
    from landsim.validation import SIZES

    sizes = [s.strip().upper() for s in text.split(",") if s.strip()]
    bad = [s for s in sizes if s not in SIZES]
    if bad or not sizes:
        raise UserError(f"--sizes {text}: sizes are {', '.join(SIZES)} (comma-separated)")
    return list(dict.fromkeys(sizes))


def parse_seeds(text: str, sizes: list[str]) -> dict[str, int]:
    """``10`` -> 10 at every size; ``S=40,D=20,L=10`` -> one count per size.

    Raises:
        UserError: not a count, fewer than 2, or a size without a count.
    """
    from landsim.errors import UserError

    rule = (
        f"--seeds {text}: give a count such as 10 (at every size) or one per size such as "
        "S=40,D=20,L=10"
    )
    try:
        if "=" not in text:
            seeds = dict.fromkeys(sizes, int(text))
        else:
            pairs = (item.split("=", 1) for item in text.split(",") if item.strip())
            seeds = {k.strip().upper(): int(v) for k, v in pairs}
    except ValueError:
        raise UserError(rule) from None
    missing = [s for s in sizes if s not in seeds]
    if missing:
        raise UserError(f"--seeds {text}: no count for size {', '.join(missing)}")
    few = [s for s in sizes if seeds[s] < 2]
    if few:
        raise UserError(
            f"--seeds {text}: at least 2 seeds per size (an interval needs two replicates), got "
            + ", ".join(f"{seeds[s]} at size {s}" for s in few)
        )
    return {s: seeds[s] for s in sizes}


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``validate`` sub-command."""
    p = subparsers.add_parser(
        "validate",
        help="check the brief's patterns and the sourced levels over seeds and world sizes",
        description="Run what every pattern and level of the patterns file needs over N seeds "
        "at each world size, print the levels and patterns tables and write a report. "
        "Interrupted validations keep every finished run; --resume runs the rest.",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--sizes", default="S,D,L", help="world sizes, comma-separated (default S,D,L)")
    p.add_argument(
        "--seeds",
        default="10",
        help="replicates per run at each size: N, or S=N,D=N,L=N (default 10)",
    )
    p.add_argument(
        "--spec", type=Path, default=None, help="patterns file (default: the bundled one)"
    )
    p.add_argument(
        "--executor",
        default="local",
        metavar="local|serial|dask://HOST:PORT",
        help="where runs execute (default: local processes)",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: all cores)"
    )
    p.add_argument(
        "--out", type=Path, default=None, help="report folder (default: results/validate)"
    )
    p.add_argument("--resume", action="store_true", help="run only the runs missing from --out")
    p.add_argument("--force", action="store_true", help="replace earlier results in --out")
    p.add_argument("--strict", action="store_true", help="levels marked known_gap count too")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the validation; exit status 0 when everything holds, 1 when anything fails."""
    from landsim.errors import UserError
    from landsim.outputs import prepare_dir
    from landsim.progress import progress
    from landsim.provenance import command_line, environment, now, scenario_record
    from landsim.runner import run
    from landsim.scenario import load_scenario
    from landsim.sweep.executors import WorkerLost, check_executor, make_executor
    from landsim.validation import ROOT_SEED, SPEC_FILE, evaluate, load_spec
    from landsim.validation import run_specs as plan
    from landsim.validation.report import passed, write_report
    from landsim.validation.store import append_runs, load_validation_runs, open_runs
    from landsim.validation.tables import format_tables, power_warning

    check_executor(args.executor)  # before any output folder is made
    sizes = parse_sizes(args.sizes)
    seeds = parse_seeds(args.seeds, sizes)
    few = {s: n for s, n in seeds.items() if n < POWER_SEEDS}
    if few:
        print(
            "warning: "
            + ", ".join(f"{n} seeds at size {s}" for s, n in few.items())
            + f": fewer than {POWER_SEEDS}, so true patterns may fail for lack of power "
            "(such checks are marked FAILS?)",
            file=sys.stderr,
        )
    spec_path = args.spec if args.spec is not None else SPEC_FILE
    spec = load_spec(spec_path)
    if args.resume and args.force:
        raise UserError("--resume and --force do not go together")
    out = prepare_dir(
        args.out if args.out is not None else Path("results") / "validate",
        default=args.out is None and not args.resume,
        force=args.force,
        allow_existing=args.resume,
        hint="add --resume to run only the missing runs, or --force to replace them",
    )
    from landsim.locking import folder_lock

    with folder_lock(out, "validate"):  # one writer per results folder
        if args.force:
            for p in (out / "runs").glob("part-*.parquet"):
                p.unlink()
        settings = {
            "spec_sha256": hashlib.sha256(Path(spec_path).read_bytes()).hexdigest(),
            "root_seed": ROOT_SEED,
            "years": spec.years,
            "seeds": seeds,
        }
        done = open_runs(out, settings, resume=args.resume)
        specs = [
            s
            for size in sizes
            for s in plan(spec, [size], seeds[size])
            if s.tags["key"] not in done
        ]
        started = now()
        again = (
            f"landsim validate --sizes {','.join(sizes)} --seeds {args.seeds} --out {out} --resume"
        )
        if args.spec is not None:
            again += f" --spec {args.spec}"
        with make_executor(args.executor, args.workers) as executor:
            print(
                f"landsim validate: {len(specs)} runs ({len(done)} already done) on "
                f"{executor.description} -> {out}",
                file=sys.stderr,
            )
            bar = progress(len(specs), "runs", "run", show=not args.no_progress)
            try:
                for batch in executor.imap_batches(run, specs):
                    append_runs(out, batch)
                    bar.update(len(batch))
            except KeyboardInterrupt:
                print(
                    f"landsim validate: interrupted; finished runs are saved; to finish: {again}",
                    file=sys.stderr,
                )
                raise
            except WorkerLost as err:
                print(f"landsim validate: stopped: {err}; to finish: {again}", file=sys.stderr)
                return 1
            finally:
                bar.close()
            executor_info = executor.info()
        df = load_validation_runs(out)
        df = df[df["size"].isin(sizes) & (df["replicate"] < df["size"].map(seeds))]
        patterns, levels = evaluate(spec, df)
        print(format_tables(patterns, levels, spec.level_size))
        weak = power_warning(patterns, seeds)
        if weak:
            print(weak, file=sys.stderr)
        provenance = {
            "command": command_line(),
            "spec": str(spec_path),
            "spec_sha256": settings["spec_sha256"],
            "seeds": seeds,
            "root_seed": ROOT_SEED,
            "sizes": sizes,
            "started": started,
            "finished": now(),
            "executor": executor_info,
            "environment": environment(),
            "scenarios": {
                name: {**scenario_record(load_scenario(path)), "changes": changes}
                for name, (path, changes) in spec.runs.items()
            },
        }
        write_report(out, spec, patterns, levels, provenance, strict=args.strict)
        ok = passed(patterns, levels, strict=args.strict)
        print(f"\n{'PASS' if ok else 'FAIL'}: report in {out / 'report.md'}")
        return 0 if ok else 1
