"""``landsim calibrate CONFIG``: ABC-SMC of unsourced parameters against the sourced levels."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from landsim.commands.options import add_size_options, positive_int

__all__ = ["register", "main", "overrides"]

HELP = """examples:
  landsim calibrate calibrate_town                         the bundled calibration, by name
  landsim calibrate experiments/calibrate_town.toml --out results/cal
  landsim calibrate experiments/calibrate_town.toml --out results/cal --resume
  landsim calibrate my_calibration.toml --executor dask://10.0.0.5:8786
  landsim calibrate calibrate_town --size S --seeds 1 --years 10 --population 8 --generations 2
                                                           a quick, small trial

--size, --seeds, --years, --population and --generations replace the file's size (and its
[world]), seeds, years, abc.population and abc.generations (a --resume repeats them).
Needs the [calibrate] extra: pip install 'landsim[calibrate]'.

The file names the parameters (only those the base scenario marks "assumption"), each with a
uniform prior range and unit, and the targets: levels of the validation patterns file, or
pattern checks by label with a margin, each with a tolerance (landsim docs validation). Writes
to DIR: posterior.parquet (every particle of every generation; the last is the posterior),
generations.csv and epsilon.png, marginals.png, pairs.png, predictive.csv
(posterior-predictive check), report.md, calibrated.toml (a scenario: landsim check
DIR/calibrated.toml) and abc.db (pyabc's populations, for --resume).
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``calibrate`` sub-command."""
    p = subparsers.add_parser(
        "calibrate",
        help="estimate unsourced parameters by ABC-SMC against the sourced levels",
        description="Approximate Bayesian computation (ABC-SMC, pyabc) of the parameters a "
        "calibration file names, against the levels it targets. Each finished generation is "
        "stored; --resume continues after an interruption.",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("config", type=Path, help="calibration file (TOML) or a bundled one's name")
    p.add_argument(
        "--executor",
        default="local",
        metavar="local|serial|dask://HOST:PORT",
        help="where simulations execute (default: local processes)",
    )
    p.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: all cores)"
    )
    p.add_argument("--out", type=Path, default=None, help="results folder (default: results/NAME)")
    p.add_argument(
        "--resume", action="store_true", help="continue from the populations stored in --out"
    )
    p.add_argument(
        "--predictive-draws",
        type=int,
        default=20,
        help="posterior draws simulated for the posterior-predictive check (default 20)",
    )
    add_size_options(p, "seeds", "replicate runs per particle (default: the file's seeds)")
    p.add_argument(
        "--population",
        type=positive_int,
        metavar="N",
        help="particles per generation (default: the file's abc.population)",
    )
    p.add_argument(
        "--generations",
        type=positive_int,
        metavar="N",
        help="generations (default: the file's abc.generations)",
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the calibration and write its outputs; exit status 0 when it finished."""
    from landsim.extras import require

    require("calibrate", "landsim calibrate")
    from landsim.calibration import load_config
    from landsim.calibration.outputs import (
        calibrated_toml,
        few_effective_particles,
        generations_table,
        plot_generations,
        plot_marginals,
        plot_pairs,
        posterior_markdown,
        posterior_table,
        predictive_check,
        predictive_markdown,
        summarize_posterior,
    )
    from landsim.calibration.smc import DB_NAME, make_sampler, run_abc
    from landsim.errors import UserError
    from landsim.outputs import prepare_dir
    from landsim.provenance import atomic_path, command_line, environment, now, write_json
    from landsim.sweep.executors import check_executor
    from landsim.sweep.store import write_atomic

    check_executor(args.executor)  # before any output folder is made
    config = load_config(args.config, overrides(args))
    if args.predictive_draws < 2:
        raise UserError(f"--predictive-draws {args.predictive_draws}: at least 2")
    out = prepare_dir(
        args.out if args.out is not None else Path("results") / config.path.stem,
        default=args.out is None and not args.resume,
        allow_existing=args.resume,
        hint="add --resume to continue its calibration",
    )
    from landsim.locking import folder_lock

    with folder_lock(out, "calibrate"):  # one writer per results folder
        if args.resume and not (out / DB_NAME).is_file():
            raise UserError(f"--resume: {out} holds no calibration ({DB_NAME}) to continue")
        started, t0 = now(), time.monotonic()
        sampler, release, where = make_sampler(args.executor, args.workers)
        print(
            f"landsim calibrate: {len(config.priors)} parameters, {len(config.targets)} targets, "
            f"{config.population} particles x {config.generations} generations on {where} -> {out}",
            file=sys.stderr,
        )
        again = f"landsim calibrate {args.config}{_size_flags(args)} --out {out} --resume"
        try:
            hist = run_abc(config, out, sampler, resume=args.resume, progress=not args.no_progress)
        except KeyboardInterrupt:
            print(
                "landsim calibrate: interrupted; finished generations are saved; "
                f"to go on: {again}",
                file=sys.stderr,
            )
            raise
        finally:
            release()
        post = posterior_table(hist)
        import pyarrow as pa

        write_atomic(pa.Table.from_pandas(post, preserve_index=False), out / "posterior.parquet")
        gens = generations_table(hist, post)
        warning = few_effective_particles(gens)
        with atomic_path(out / "generations.csv") as tmp:
            gens.to_csv(tmp, index=False)
        summary = summarize_posterior(post, config)
        print("\nposterior (last generation)\n" + summary.to_string(index=False))
        print("\n" + gens.to_string(index=False))
        if warning:
            print(f"landsim calibrate: warning: {warning}", file=sys.stderr)
        print(f"\nposterior-predictive check ({args.predictive_draws} draws) ...", file=sys.stderr)
        from landsim.sweep.executors import make_executor

        with make_executor(args.executor, args.workers) as executor:
            pred = predictive_check(post, config, args.predictive_draws, mapper=_mapper(executor))
        with atomic_path(out / "predictive.csv") as tmp:
            pred.to_csv(tmp, index=False)
        print("\n" + predictive_markdown(pred))
        plot_marginals(post, config, out / "marginals.png")
        plot_pairs(post, config, out / "pairs.png")
        plot_generations(gens, out / "epsilon.png")
        date = now()[:10]
        with atomic_path(out / "calibrated.toml") as tmp:
            tmp.write_text(
                calibrated_toml(config, summary, out, date, len(gens), warning) + "\n",
                encoding="utf-8",
            )
        seconds = time.monotonic() - t0
        report = [
            f"# Calibration: {config.title}",
            "",
            f"`{command_line()}` — {started}, wall time {seconds / 60:.1f} min on {where}"
            f"{' (resumed: this session only)' if args.resume else ''}",
            "",
            "## Posterior",
            "",
            *([f"**Warning:** {warning}.", ""] if warning else []),
            posterior_markdown(summary),
            "",
            "## Generations",
            "",
            gens.to_markdown(index=False) if _has_tabulate() else gens.to_string(index=False),
            "",
            "## Posterior-predictive check",
            "",
            predictive_markdown(pred),
            "",
            "![marginals](marginals.png) ![pairs](pairs.png) ![epsilon](epsilon.png)",
            "",
        ]
        with atomic_path(out / "report.md") as tmp:
            tmp.write_text("\n".join(report), encoding="utf-8")
        write_json(
            out / "provenance.json",
            {
                "command": command_line(),
                "config": str(config.path),
                "config_text": config.text,
                "started": started,
                "finished": now(),
                "wall_seconds": seconds,
                "executor": where,
                "environment": environment(),
            },
        )
        print(f"\nwall time {seconds / 60:.1f} min; results in {out}")
        print(f"calibrated scenario: {out / 'calibrated.toml'}")
        return 0


def _mapper(executor):
    """``map`` through one of landsim's executors, results in input order."""

    def mapped(fn, items):
        results = []
        for batch in executor.imap_batches(_indexed, [(i, fn, x) for i, x in enumerate(items)]):
            results += batch
        return [r for _, r in sorted(results, key=lambda r: r[0])]

    return mapped


def _indexed(item):
    """``(i, fn, x) -> (i, fn(x))``: the picklable unit of the posterior-predictive runs."""
    i, fn, x = item
    return i, fn(x)


def _has_tabulate() -> bool:
    try:
        import tabulate  # noqa: F401
    except ImportError:
        return False
    return True


#: the size flags and the calibration file's keys they set
_FLAGS = {
    "size": "size",
    "seeds": "seeds",
    "years": "years",
    "population": "abc.population",
    "generations": "abc.generations",
}


def overrides(args: argparse.Namespace) -> dict[str, object]:
    """The calibration file's keys the size flags set (``--size`` also drops its [world])."""
    changes: dict[str, object] = {
        key: value for flag, key in _FLAGS.items() if (value := getattr(args, flag)) is not None
    }
    if args.size is not None:
        changes["world"] = {}
    return changes


def _size_flags(args: argparse.Namespace) -> str:
    """The size flags as typed, to repeat in a hint."""
    return "".join(
        f" --{flag} {value}" for flag in _FLAGS if (value := getattr(args, flag)) is not None
    )
