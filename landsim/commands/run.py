"""``landsim run``: one run of one scenario, its yearly outcomes written to a folder."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

# pandas, the model and the scenario loader are imported by the functions that use them:
# ``landsim --help`` builds this parser and must start fast (landsim/commands/options.py)
from landsim.commands.options import positive_int, seed_int
from landsim.errors import UserError

if TYPE_CHECKING:
    import pandas as pd

    from landsim.params import World
    from landsim.recording import Recording
    from landsim.scenario import Scenario

__all__ = [
    "register",
    "positive_int",
    "seed_int",
    "warn_cut_timeline",
    "yearly_table",
    "add_detail_options",
]

EPILOG = """examples:
  landsim run baseline                              a bundled scenario, by name
  landsim run scenarios/baseline.toml
  landsim run scenarios/coop_fixed_rent.toml --years 10 --seed 42 --out results/fixed
  landsim run baseline --checkpoint-every 5 --out results/long   checkpoints every 5 years
  landsim run --from results/long/checkpoint-15.npz   resume to the run's horizon, in results/long
  landsim run examples/region/region.toml --maps --microdata   a real place: maps and micro-data

Prints the main outcomes year by year. The model's seed is replicate 0 of the seeds 'landsim
compare' derives from the same root seed (--seed, default: the file's run.seed), so this run
repeats that comparison's first replicate. Writes DIR/outcomes.csv, DIR/outcomes.parquet (one
row per year), DIR/dictionary.csv (what every column means) and DIR/provenance.json; DIR
defaults to results/SCENARIO (results/SCENARIO-2 ... if that holds earlier results; an --out
that holds results is refused unless --force).

--maps writes DIR/maps/: each plot's yearly state as GeoTIFF stacks (plot_kind.tif,
plot_holder.tif, plot_abandoned.tif, plot_rent.tif; band 1 = year 0), or as a GeoPackage
layer (--maps gpkg; --maps both), and villages.gpkg (village outlines with their yearly
summaries); needs pip install 'landsim[gis]'. --microdata writes DIR/households.parquet, one
row per household and year (guide: landsim docs regions).

--checkpoint-every N also writes the model's full state after every Nth year to
DIR/checkpoint-YEAR.npz (all of them are kept). --from FILE loads such a checkpoint (in
place of SCENARIO) and runs on to the horizon of the run that saved it (or --years); the
outcomes hold every year from 0, exactly as an unbroken run would. They go beside the
checkpoint: into its folder, or into FOLDER/resumed-YEAR when that folder already holds the
outcomes of a finished run (guide: landsim docs checkpoints).
"""


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


def add_detail_options(p: argparse.ArgumentParser) -> None:
    """``--maps [tif|gpkg|both]`` and ``--microdata`` (``run`` and ``compare``)."""
    p.add_argument(
        "--maps",
        nargs="?",
        const="tif",
        choices=("tif", "gpkg", "both"),
        help="write maps of the plots' yearly state (GeoTIFF stacks, or a GeoPackage layer) "
        "and of the villages (GeoPackage); needs the [gis] extra",
    )
    p.add_argument(
        "--microdata",
        action="store_true",
        help="write households.parquet: every household's row of every year",
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
    add_detail_options(p)
    p.add_argument(
        "--from",
        dest="resume",
        metavar="CHECKPOINT",
        help="resume the run saved in CHECKPOINT (a checkpoint-YEAR.npz) to the horizon",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Run the scenario (or resume a checkpoint), write the outcomes and print them year by
    year."""
    if args.resume is not None:
        return _resume(args)
    if args.scenario is None:
        raise UserError("landsim run: give a SCENARIO, or --from CHECKPOINT to resume a run")
    from landsim.outputs import prepare_dir
    from landsim.params import apply_changes
    from landsim.provenance import now, scenario_record
    from landsim.runner import RunSpec, label, replicate_seeds
    from landsim.scenario import load_runnable

    started = now()
    scenario = load_runnable(args.scenario)  # what `landsim check` refuses, run refuses
    params = scenario.params
    root = args.seed if args.seed is not None else params.run.seed
    years = args.years or params.run.years
    if years > params.run.years:  # the model's own horizon covers every year it will run
        params = apply_changes(params, {"run.years": years})
    warn_cut_timeline(scenario, args.years)
    from landsim.detail import check_detail

    check_detail([params.world], args.maps)  # before a folder is made or a year is run
    record = args.maps is not None or args.microdata
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
        record=record,
    )
    try:
        if args.checkpoint_every:
            from landsim.model import LandModel

            meta = {
                "scenario": scenario.name,
                "title": scenario.title,
                "root_seed": root,
                "seed": seed,
                "years": years,  # this run's horizon: --from goes on to it
            }
            model = LandModel(params, rng=seed)
            saved = _run_saving(model, years, args.checkpoint_every, out, meta, record)
            df, recording = label(saved[0], spec), saved[1]
        else:
            from landsim import runner

            df, recording = runner.simulate(spec)
    except BaseException:
        if created:  # a failed run leaves no empty folder behind (checkpoints are kept)
            with contextlib.suppress(OSError):
                out.rmdir()
        raise
    facts = {
        "root_seed": root,
        "seed": seed,
        "years": years,
        "scenario": scenario_record(scenario),
    }
    extra = _write(df, out, started, facts, args, recording, params.world)
    print(f"{scenario.name}: {scenario.title}")
    print(f"{years} years, root seed {root} (model seed {seed})\n")
    print(yearly_table(df))
    print("\nwrote " + ", ".join(str(p) for p in [*_written(out), *extra]))
    return 0


def _resume(args: argparse.Namespace) -> int:
    """``landsim run --from CHECKPOINT``: load the saved model and run it to the horizon of the
    run that saved it (or ``--years``), writing beside the checkpoint."""
    from landsim.checkpoint import read_meta
    from landsim.model import LandModel
    from landsim.params import apply_changes
    from landsim.provenance import now
    from landsim.runner import RunSpec, label

    if args.scenario is not None or args.seed is not None:
        raise UserError(
            "landsim run: --from CHECKPOINT resumes a saved run with its own scenario and "
            "seed; give neither SCENARIO nor --seed"
        )
    started = now()
    meta = read_meta(args.resume)
    model = LandModel.load(args.resume)
    # the saving run's horizon; checkpoints written before 0.2.0 hold none: the scenario's
    saved = meta.get("years")
    horizon = saved if isinstance(saved, int) and saved > 0 else model.params.run.years
    years = args.years or horizon
    if years < model.year:
        raise UserError(
            f"landsim run: --years {years} is before the checkpoint's year {model.year}"
        )
    if years > model.params.run.years:  # as a fresh run with this --years would have it
        model.params = apply_changes(model.params, {"run.years": years})
    name = str(meta.get("scenario", "resumed"))
    out = _resume_dir(Path(args.resume), model.year, args)
    seed = meta.get("seed")
    spec = RunSpec(params={}, seed=seed, tags={"scenario": name, "replicate": 0})
    start = model.year
    meta = {**meta, "years": years}
    from landsim.detail import check_detail

    check_detail([model.params.world], args.maps)
    record = args.maps is not None or args.microdata  # from the checkpoint's year on
    saved = _run_saving(model, years, args.checkpoint_every, out, meta, record)
    df = label(saved[0], spec)
    facts = {
        "root_seed": meta.get("root_seed"),
        "seed": seed,
        "years": years,
        "from_checkpoint": {"path": str(args.resume), "year": start, "meta": meta},
        "params": model.params.model_dump(mode="json"),
    }
    extra = _write(df, out, started, facts, args, saved[1], model.params.world)
    print(f"{name}: resumed from {args.resume} (year {start})")
    print(f"{years} years, model seed {seed}\n")
    print(yearly_table(df))
    print("\nwrote " + ", ".join(str(p) for p in [*_written(out), *extra]))
    return 0


def _resume_dir(checkpoint: Path, year: int, args: argparse.Namespace) -> Path:
    """Where a resumed run writes: ``--out``, else beside the checkpoint — its own folder (an
    interrupted run's, holding checkpoints only), or ``FOLDER/resumed-YEAR`` when the folder
    already holds the outcomes of a finished run."""
    from landsim.dictionary import DICTIONARY
    from landsim.outputs import prepare_dir

    if args.out is not None:
        return prepare_dir(args.out, force=args.force)
    folder = checkpoint.parent
    finished = [p for p in _written(folder) if p.name != DICTIONARY]  # the run's own files
    if not any(p.exists() for p in finished):
        return prepare_dir(folder, allow_existing=True)
    return prepare_dir(folder / f"resumed-{year}", default=True, force=args.force)


def _run_saving(
    model, years: int, every: int | None, out: Path, meta: dict, record: bool = False
) -> tuple[pd.DataFrame, Recording | None]:
    """Step ``model`` to year ``years``, saving a checkpoint after every ``every``-th year
    (and recording every year when ``record``)."""
    from landsim.recording import Recording

    recording = Recording.start(model) if record else None
    while model.year < years:
        model.step()
        if recording is not None:
            recording.add(model)
        if every and model.year % every == 0:
            model.save(out / f"checkpoint-{model.year}.npz", meta=meta)
    return model.outcomes(), recording


def _written(out: Path) -> list[Path]:
    return [
        out / "outcomes.csv",
        out / "outcomes.parquet",
        out / "dictionary.csv",
        out / "provenance.json",
    ]


def _write(
    df: pd.DataFrame,
    out: Path,
    started: str,
    record: dict,
    args: argparse.Namespace,
    recording: Recording | None,
    world: World,
) -> list[Path]:
    """Write the outcomes, the maps and micro-data asked for, the data dictionary and the
    provenance; return the maps and micro-data written."""
    from landsim.detail import write_detail
    from landsim.dictionary import write_dictionary, write_parquet
    from landsim.provenance import atomic_path, command_line, environment, now, write_json

    csv, parquet, _, provenance = _written(out)
    with atomic_path(csv) as tmp:
        df.to_csv(tmp, index=False)
    with atomic_path(parquet) as tmp:
        write_parquet(df, tmp, parquet.name)
    extra = []
    if recording is not None:
        extra = write_detail(out, [({}, recording, world)], args.maps, args.microdata)
    write_dictionary(out)
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
    return extra


def _header(metric: str) -> tuple[str, str]:
    """A column name on two lines, split at an underscore (``abandonment`` / ``rate``)."""
    head, _, tail = metric.partition("_")
    return head, tail


def yearly_table(df: pd.DataFrame) -> str:
    """The main outcomes, one row per year, then what each column means.

    Flows (incomes) show "-" in year 0, before the first season; money has no decimals, shares
    three, counts as many as they need.
    """
    from landsim.compare import outcome_legend
    from landsim.metrics import FLOW_METRICS, MAIN_OUTCOMES

    heads = [_header(m) for m in MAIN_OUTCOMES]
    widths = [max(len(a), len(b), 9) for a, b in heads]
    digits = {}
    for m in MAIN_OUTCOMES:
        values = df[m].astype(float)
        top = float(values.abs().max()) if len(values) else 0.0
        whole = bool((values == values.round()).all())
        digits[m] = 0 if top >= 1000 or whole else 1 if top >= 10 else 3
    lines = [
        "year  " + "  ".join(a.rjust(w) for (a, _), w in zip(heads, widths, strict=True)),
        "      " + "  ".join(b.rjust(w) for (_, b), w in zip(heads, widths, strict=True)),
    ]
    for _, row in df.iterrows():
        year = int(row["year"])
        cells = []
        for m, w in zip(MAIN_OUTCOMES, widths, strict=True):
            cell = "-" if m in FLOW_METRICS and year == 0 else f"{float(row[m]):,.{digits[m]}f}"
            cells.append(cell.rjust(w))
        lines.append(f"{year:>4}  " + "  ".join(cells))
    return "\n".join(lines) + "\n\ncolumns:\n" + outcome_legend()
