"""``landsim sweep EXPERIMENT``: run an experiment's design on local cores or a Dask cluster."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from landsim.commands.options import add_size_options, size_changes

__all__ = ["register", "main", "overrides"]

HELP = """examples:
  landsim sweep benefit_sharing --dry-run                         a bundled experiment, by name
  landsim sweep experiments/benefit_sharing.toml --dry-run
  landsim sweep experiments/benefit_sharing.toml                  # all local cores
  landsim sweep experiments/benefit_sharing.toml --workers 2 --out results/bs
  landsim sweep experiments/benefit_sharing.toml --out results/bs --resume
  landsim sweep experiments/sobol_levers.toml --executor dask://10.0.0.5:8786
  landsim sweep benefit_sharing --size S --replicates 1 --years 5   a quick, small look

--size, --replicates and --years replace the file's world, run.replicates and run.years (a
--resume repeats them). Needs the [sweep] extra: pip install 'landsim[sweep]'.

DIR defaults to results/NAME, or results/NAME-2 ... if that holds earlier results (the command
says which); an --out that holds results needs --resume.
results: DIR/runs/ (one row per run; pandas.read_parquet(DIR / "runs")), DIR/yearly/ (if the
experiment sets yearly = true), DIR/design.parquet and DIR/provenance.json.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``sweep`` sub-command."""
    p = subparsers.add_parser(
        "sweep",
        help="run a parameter sweep (experiments/*.toml) on all cores or a Dask cluster",
        description="Run every run of an experiment file and stream the results to Parquet. "
        "Interrupted sweeps keep every finished run; --resume runs only the missing ones.",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "experiment", type=Path, help="experiment file (TOML) or a bundled experiment's name"
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
        "--out", type=Path, default=None, help="results directory (default: results/NAME)"
    )
    p.add_argument("--resume", action="store_true", help="run only the runs missing from --out")
    p.add_argument(
        "--retry-failed", action="store_true", help="with --resume, run failed runs again too"
    )
    add_size_options(p, "replicates", "runs per design point (default: the file's run.replicates)")
    p.add_argument("--dry-run", action="store_true", help="print the design and stop")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run (or describe) the sweep; exit status 0 when every run finished ok."""
    from landsim.extras import require

    require("sweep", "landsim sweep")
    from landsim.errors import UserError
    from landsim.sweep import build_design, load_experiment, make_executor, plan_text, run_sweep
    from landsim.sweep.executors import WorkerLost, check_executor

    check_executor(args.executor)  # before any output folder is made
    exp = load_experiment(args.experiment, overrides(args))
    design = build_design(exp)
    from landsim.capacity import capacity_problem

    problem = capacity_problem(exp.base.world)
    if problem:
        print(f"note: {exp.name}: {problem}", file=sys.stderr)
    # the experiment's name is a plain name (letters, digits, - and _), so the default folder
    # is always inside results/
    out_arg = args.out if args.out is not None else Path("results") / exp.name
    if args.dry_run:
        print(plan_text(exp, design))
        print(f"results would go to: {out_arg}")
        return 0
    if args.retry_failed and not args.resume:
        raise UserError("--retry-failed goes with --resume")
    from landsim.outputs import prepare_dir

    runs = design.n_points * exp.replicates
    columns = len(exp.outcome_columns) + len(exp.input_keys) + 10
    need = 16 * runs * columns * (exp.years + 1 if exp.yearly else 1)
    out = prepare_dir(
        out_arg,
        default=args.out is None and not args.resume,
        allow_existing=args.resume,
        need_bytes=need,
        hint="add --resume to run only the missing runs",
    )
    again = f"landsim sweep {args.experiment}{_size_flags(args)} --out {out} --resume"
    with make_executor(args.executor, args.workers) as executor:
        print(
            f"landsim sweep: {design.n_points * exp.replicates} runs of {exp.name} on "
            f"{executor.description} -> {out}",
            file=sys.stderr,
        )
        try:
            report = run_sweep(
                exp,
                out,
                executor,
                resume=args.resume,
                retry_failed=args.retry_failed,
                progress=not args.no_progress,
            )
        except KeyboardInterrupt:
            print(
                f"landsim sweep: interrupted; finished runs are saved in {out}; to finish: {again}",
                file=sys.stderr,
            )
            raise
        except WorkerLost as err:
            print(
                f"landsim sweep: stopped: {err}; finished runs are saved in {out}; "
                f"to finish: {again}",
                file=sys.stderr,
            )
            return 1
    skipped = f", {report.already_done} already done" if report.already_done else ""
    print(
        f"{report.ran} runs in {report.seconds:.1f} s ({report.ok} ok, {report.failed} failed"
        f"{skipped}); results in {out}"
    )
    if report.failed:
        print(
            f"failed runs: see the 'error' column of {out / 'runs'}; "
            "--resume --retry-failed runs them again",
            file=sys.stderr,
        )
    return 0 if report.failed == 0 else 1


def overrides(args: argparse.Namespace) -> dict[str, object]:
    """The experiment keys ``--size``, ``--replicates`` and ``--years`` set."""
    changes: dict[str, object] = {f"world.{k}": v for k, v in size_changes(args.size).items()}
    if args.replicates is not None:
        changes["run.replicates"] = args.replicates
    if args.years is not None:
        changes["run.years"] = args.years
    return changes


def _size_flags(args: argparse.Namespace) -> str:
    """The size flags as typed, to repeat in a hint."""
    flags = [
        f" --{name} {value}"
        for name in ("size", "replicates", "years")
        if (value := getattr(args, name)) is not None
    ]
    return "".join(flags)
