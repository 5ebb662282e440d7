"""``landsim scenarios`` and ``landsim init``: the bundled scenario and experiment files.

``scenarios`` lists them with their titles (any command takes their bare names);
``init DIR`` copies them into ``DIR/scenarios/`` and ``DIR/experiments/`` for editing.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from landsim.bundled import bundled_dir, copy_bundled, listing
from landsim.outputs import OutputError, prepare_dir

__all__ = ["register"]

LIST_EPILOG = """examples:
  landsim scenarios
  landsim compare baseline tri_party_governance      bundled scenarios by bare name
  landsim sweep benefit_sharing --dry-run            a bundled experiment by bare name

A local file of the same name (baseline.toml here) wins over the bundled one.
"""

INIT_EPILOG = """examples:
  landsim init my_study
  cd my_study && landsim compare scenarios/baseline.toml scenarios/my_policy.toml

Copies the bundled scenarios to DIR/scenarios/ and the experiments to DIR/experiments/ (their
links, extends = "baseline.toml" and base = "../scenarios/...", keep working). DIR must not
hold these files already; --force replaces them.
"""


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``landsim scenarios`` and ``landsim init``."""
    p = subparsers.add_parser(
        "scenarios",
        help="list the bundled scenarios and experiments with their titles",
        description="List the scenario and experiment files that ship with landsim; every "
        "command takes their bare names.",
        epilog=LIST_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.set_defaults(func=show)
    p = subparsers.add_parser(
        "init",
        help="copy the bundled scenarios and experiments into a folder for editing",
        description="Copy the bundled scenario and experiment files into DIR for editing.",
        epilog=INIT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("directory", metavar="DIR", type=Path, help="folder to create or fill")
    p.add_argument("--force", action="store_true", help="replace copies already in DIR")
    p.set_defaults(func=init)


def _table(kind: str) -> list[str]:
    rows = listing(kind)  # type: ignore[arg-type]
    width = max((len(n) for n, _ in rows), default=0)
    return [f"  {name.ljust(width)}  {title}" for name, title in rows]


def show(args: argparse.Namespace) -> int:
    """Print the bundled scenarios and experiments."""
    print(f"scenarios ({bundled_dir('scenarios')}):")
    print("\n".join(_table("scenarios")))
    print(f"\nexperiments ({bundled_dir('experiments')}):")
    print("\n".join(_table("experiments")))
    print("\nuse a bare name anywhere a file is asked for; 'landsim init DIR' copies them")
    return 0


def init(args: argparse.Namespace) -> int:
    """Copy the bundled files into ``args.directory``."""
    dest: Path = args.directory
    clash = [
        dest / kind / f"{name}.toml"
        for kind in ("scenarios", "experiments")
        for name, _ in listing(kind)  # type: ignore[arg-type]
        if (dest / kind / f"{name}.toml").exists()
    ]
    if clash and not args.force:
        raise OutputError(
            f"{dest}: already holds {len(clash)} of the files (e.g. {clash[0]}); "
            "add --force to replace them, or choose another folder"
        )
    prepare_dir(dest, option="init", allow_existing=True)
    folders = copy_bundled(dest)
    for folder in folders:
        print(f"wrote {folder}/ ({len(list(folder.glob('*.toml')))} files)")
    print(f"next: cd {dest} && landsim compare scenarios/baseline.toml scenarios/custody_only.toml")
    return 0
