"""``landsim analyze DIR``: sensitivity indices, main effects, figures and a summary of a sweep."""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["register", "main"]

HELP = """examples:
  landsim analyze results/benefit_sharing
  landsim analyze results/sobol_levers --outcomes abandonment_rate --no-figures
  landsim analyze results/benefit_sharing --conf-level 0.9 --force

Main-effect intervals are Student-t at --conf-level over the runs at each level, truncated to
the outcome's range (shares [0, 1], counts >= 0).

writes DIR/analysis/ (DIR/analysis-2 ... if that holds an earlier analysis; --force replaces
it): indices.csv (Sobol S1/ST with confidence intervals, or Morris mu*/sigma),
main_effects.csv, levels.csv, summary.txt and main-effect / interaction / index figures (PNG).
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
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Print the tables and summary; write them with the figures to DIR/analysis/."""
    import pandas as pd

    from landsim.errors import UserError
    from landsim.outputs import prepare_dir
    from landsim.sweep.analysis import analyze
    from landsim.sweep.figures import write_analysis
    from landsim.sweep.provenance import read_provenance

    if not 0 < args.conf_level < 1:
        raise UserError(f"--conf-level must be between 0 and 1, got {args.conf_level}")
    if args.resamples < 10:
        raise UserError(f"--resamples must be at least 10, got {args.resamples}")
    prov = read_provenance(args.directory)
    if prov is None:
        raise UserError(f"{args.directory}: not a sweep directory (no provenance.json)")
    out = prepare_dir(
        args.directory / "analysis", option="analysis folder", default=True, force=args.force
    )
    result = analyze(args.directory, args.outcomes, args.conf_level, args.resamples)
    factors = prov["design"]["factors"]
    paths = write_analysis(result, factors, out, figures=not args.no_figures)
    with pd.option_context(
        "display.width", 120, "display.max_rows", 500, "display.float_format", "{:.4g}".format
    ):
        if result.indices is not None and not result.indices.empty:
            title = "Sobol indices" if result.kind == "sobol" else "Morris indices"
            print(f"{title} ({result.conf_level:.0%} confidence intervals):")
            print(result.indices.to_string(index=False))
            print()
        print("main effects (range of level means; share of variance between levels):")
        print(result.effects.to_string(index=False))
        print(
            f"level means in {out / 'levels.csv'}: {result.conf_level:.0%} Student-t intervals "
            "over the runs at each level, truncated to the outcome's range (shares [0, 1], "
            "counts >= 0)"
        )
        print()
    print(result.summary())
    print(f"\nwrote {len(paths)} files to {out}")
    return 0
