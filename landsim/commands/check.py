"""``landsim check``: validate scenario files without running them."""

from __future__ import annotations

import argparse
import sys

__all__ = ["register"]

EPILOG = """examples:
  landsim check scenarios/*.toml
  landsim check my_policy.toml

Prints OK for each valid file. A bad file gets one message per problem,
FILE:LINE: KEY = VALUE: RULE, and the exit status is 2. A [world] whose villages have too few
plots for their households (some would get no contract plot), or that needs more memory than
this process may use, is an error too. check refuses exactly what run would refuse.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``landsim check``."""
    p = subparsers.add_parser(
        "check",
        help="validate scenario files without running them",
        description="Validate scenario files (types, ranges, shares, rule names, unknown "
        "keys, timeline, extends) without running them.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("scenarios", nargs="+", metavar="SCENARIO", help="scenario files (TOML)")
    p.set_defaults(func=main)


def main(args: argparse.Namespace) -> int:
    """Check every file; exit status 2 if any is bad."""
    from landsim.scenario import ScenarioError, load_runnable

    bad = 0
    for path in args.scenarios:
        try:
            scenario = load_runnable(path)  # the loader `run` uses: the same refusals
        except ScenarioError as err:
            print(f"landsim: error: {err}", file=sys.stderr)
            bad += 1
            continue
        run = scenario.params.run
        extends = f", extends {scenario.chain[1].name}" if len(scenario.chain) > 1 else ""
        print(
            f"OK  {path}: {scenario.title} ({run.years} years, {run.replicates} "
            f"replicates{extends})"
        )
    if bad:
        n = len(args.scenarios)
        print(
            f"landsim: {bad} of {n} scenario file{'s' * (n > 1)} "
            f"{'has' if bad == 1 else 'have'} errors",
            file=sys.stderr,
        )
        return 2
    return 0
