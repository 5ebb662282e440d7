"""``landsim analyze DIR``: sensitivity indices, main effects, figures and a summary of a sweep."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register", "main"]

HELP = """examples:
  landsim analyze results/benefit_sharing
  landsim analyze results/sobol_levers --outcomes abandonment_rate --no-figures
  landsim analyze results/benefit_sharing --conf-level 0.9 --force
  landsim analyze results/aging_migration --discover "abandonment_rate > 0.1"

Main-effect intervals are Student-t at --conf-level over the runs at each level, truncated to
the outcome's range (shares [0, 1], counts >= 0).

writes DIR/analysis/ (DIR/analysis-2 ... if that holds an earlier analysis; --force replaces
it): indices.csv (Sobol S1/ST with confidence intervals, or Morris mu*/sigma),
main_effects.csv, levels.csv, summary.txt and main-effect / interaction / index figures (PNG).

--discover "OUTCOME OP NUMBER" (OP one of > >= < <=) adds scenario discovery: PRIM boxes over
the sweep's inputs that hold the runs where the condition is true, with each box's coverage
(share of those runs inside it) and density (share of its runs where it is true), as
discovery_boxes.csv, discovery_limits.csv and discovery.png. Needs pip install 'landsim[ema]'.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add the ``analyze`` sub-command."""
    p = subparsers.add_parser(
        "analyze",
        help="sensitivity indices, main effects and figures of a sweep directory",
        description="Analyse the results of 'landsim sweep': Sobol or Morris indices from the "
        "saved design, main effects for every design, figures and a short summary.",
        epilog=HELP,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("directory", type=Path, help="sweep results directory (--out of sweep)")
    p.add_argument("--outcomes", nargs="+", default=None, help="outcomes (default: all kept)")
    p.add_argument("--conf-level", type=float, default=0.95, help="confidence level (0.95)")
    p.add_argument(
        "--resamples", type=int, default=1000, help="bootstrap resamples for intervals (1000)"
    )
    p.add_argument("--no-figures", action="store_true", help="tables and summary only")
    p.add_argument("--force", action="store_true", help="replace an earlier DIR/analysis")
    p.add_argument(
        "--discover",
        metavar="CONDITION",
        default=None,
        help='scenario discovery (PRIM) for a condition such as "abandonment_rate > 0.1"',
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument(
        "--density",
        type=float,
        default=0.8,
        help="density a discovered box should reach (default: %(default)s)",
    )
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Print the tables and summary; write them with the figures to DIR/analysis/."""
    from landsim.extras import require

    require("sweep", "landsim analyze")
    if args.discover is not None:
        require("ema", "landsim analyze --discover")
    import pandas as pd

    from landsim.errors import UserError
    from landsim.outputs import prepare_dir
    from landsim.progress import progress
    from landsim.sweep.analysis import analyze, steps
    from landsim.sweep.figures import write_analysis
    from landsim.sweep.provenance import read_provenance

    if not 0 < args.conf_level < 1:
        raise UserError(f"--conf-level must be between 0 and 1, got {args.conf_level}")
    if args.resamples < 10:
        raise UserError(f"--resamples must be at least 10, got {args.resamples}")
    if not 0 < args.density <= 1:
        raise UserError(f"--density must be above 0 and at most 1, got {args.density}")
    prov = read_provenance(args.directory)
    if prov is None:
        raise UserError(f"{args.directory}: not a sweep directory (no provenance.json)")
    condition = None
    if args.discover is not None:  # checked before any output is written
        from landsim.sweep.discovery import parse_condition

        kept = prov["experiment"].get("outcome_columns", prov["experiment"]["outcomes"])
        condition = parse_condition(args.discover, kept)
    out = prepare_dir(
        args.directory / "analysis", option="analysis folder", default=True, force=args.force
    )
    kept = prov["experiment"].get("outcome_columns", prov["experiment"]["outcomes"])
    n = len(args.outcomes or kept)
    total = steps(prov["design"]["kind"], n) + (0 if args.no_figures else n)
    bar = progress(total, "analysis", "step", show=not args.no_progress, in_logs=False)
    with bar:
        result = analyze(
            args.directory, args.outcomes, args.conf_level, args.resamples, tick=bar.update
        )
        factors = prov["design"]["factors"]
        paths = write_analysis(result, factors, out, figures=not args.no_figures, tick=bar.update)
    with pd.option_context(
        "display.width", 120, "display.max_rows", 500, "display.float_format", "{:.4g}".format
    ):  # a factor with one level has no effect: NaN in the files, "-" here
        if result.indices is not None and not result.indices.empty:
            title = "Sobol indices" if result.kind == "sobol" else "Morris indices"
            print(f"{title} ({result.conf_level:.0%} confidence intervals):")
            print(result.indices.to_string(index=False))
            print()
        print("main effects (range of level means; share of variance between levels):")
        print(result.effects.to_string(index=False, na_rep="-"))
        print(
            f"level means in {out / 'levels.csv'}: {result.conf_level:.0%} Student-t intervals "
            "over the runs at each level, truncated to the outcome's range (shares [0, 1], "
            "counts >= 0)"
        )
        print()
    print(result.summary())
    if condition is not None:
        paths += _discover(result.runs, [f["key"] for f in factors], condition, args, out)
    print(f"\nwrote {len(paths)} files to {out}")
    return 0


def _discover(runs, inputs: list[str], condition, args: argparse.Namespace, out: Path) -> list:
    """Scenario discovery: print and write the PRIM boxes (and their figure)."""
    import pandas as pd

    from landsim.files import atomic_path
    from landsim.sweep.discovery import discover, discovery_figure

    d = discover(runs, inputs, condition, density=args.density)
    paths = [out / "discovery_boxes.csv", out / "discovery_limits.csv"]
    for table, path in ((d.boxes, paths[0]), (d.limits, paths[1])):
        with atomic_path(path) as tmp:  # a new file: never through a link
            table.to_csv(tmp, index=False)
    print()
    with pd.option_context("display.width", 120, "display.float_format", "{:.4g}".format):
        print(f"scenario discovery (PRIM) for {condition}:")
        print(d.boxes.to_string(index=False))
        print(d.limits.to_string(index=False))
    print(d.summary())
    if not args.no_figures:
        fig = discovery_figure(d)
        with atomic_path(out / "discovery.png") as tmp:
            fig.savefig(tmp, dpi=120, format="png")
        paths.append(out / "discovery.png")
    return paths
