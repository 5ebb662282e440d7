"""``landsim scenarios``, ``landsim init`` and ``landsim docs``: what ships with landsim.

``scenarios`` lists the bundled scenario and experiment files with their titles (any command
takes their bare names); ``init DIR`` copies them and the example scripts into
``DIR/scenarios/``, ``DIR/experiments/`` and ``DIR/examples/`` for editing; ``docs`` lists the
guides (installed with landsim, so they are there without a clone) and prints one.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from landsim.bundled import bundled_dir, bundled_files, copy_bundled, guides, listing
from landsim.errors import UserError
from landsim.outputs import OutputError, prepare_dir

__all__ = ["register"]

#: what ``landsim init`` copies
INIT_FOLDERS = ("scenarios", "experiments", "examples")

LIST_EPILOG = """examples:
  landsim scenarios
  landsim compare baseline tri_party_governance      bundled scenarios by bare name
  landsim sweep benefit_sharing --dry-run            a bundled experiment by bare name

A local file of the same name (baseline.toml here) wins over the bundled one.
"""

INIT_EPILOG = """examples:
  landsim init my_study
  cd my_study && landsim compare scenarios/baseline.toml scenarios/my_policy.toml

Copies the bundled scenarios to DIR/scenarios/, the experiments to DIR/experiments/ (their
links, extends = "baseline.toml" and base = "../scenarios/...", keep working) and the example
scripts (EMA Workbench, Mesa's SolaraViz, the example region's maker) and the example region
(DIR/examples/region/, docs/regions.md) to DIR/examples/. DIR must not hold these files
already; --force replaces them.
"""

DOCS_EPILOG = """examples:
  landsim docs                        the guides, with where they are installed
  landsim docs checkpoints            print one guide (Markdown)
  landsim docs ema | less

The guides are installed with landsim (the same files as docs/ in the source): ODD (the
model), validation, sweeps, ema, mesa, checkpoints, app, classroom, performance, ...
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
    p = subparsers.add_parser(
        "docs",
        help="list the guides installed with landsim, or print one",
        description="List the guides (the model description, validation, sweeps, EMA, Mesa, "
        "checkpoints, the app, the classroom, performance) or print one of them.",
        epilog=DOCS_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("name", metavar="NAME", nargs="?", help="a guide's name (see 'landsim docs')")
    p.set_defaults(func=docs)


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
        dest / kind / src.relative_to(bundled_dir(kind))  # type: ignore[arg-type]
        for kind in INIT_FOLDERS
        for src in bundled_files(kind)  # type: ignore[arg-type]
        if (dest / kind / src.relative_to(bundled_dir(kind))).exists()  # type: ignore[arg-type]
    ]
    if clash and not args.force:
        raise OutputError(
            f"{dest}: already holds {len(clash)} of the files (e.g. {clash[0]}); "
            "add --force to replace them, or choose another folder"
        )
    prepare_dir(dest, option="init", allow_existing=True)
    folders = copy_bundled(dest, INIT_FOLDERS)
    for kind, folder in zip(INIT_FOLDERS, folders, strict=True):
        print(f"wrote {folder}/ ({len(bundled_files(kind))} files)")
    print(f"next: cd {dest} && landsim compare scenarios/baseline.toml scenarios/custody_only.toml")
    return 0


def docs(args: argparse.Namespace) -> int:
    """List the guides, or print the one ``args.name`` names."""
    rows = guides()
    if args.name is None:
        width = max((len(n) for n, _, _ in rows), default=0)
        print(f"guides ({bundled_dir('docs')}):")
        for name, title, _ in rows:
            print(f"  {name.ljust(width)}  {title}")
        print(
            "\nprint one with 'landsim docs NAME'; 'landsim init DIR' copies the example "
            "scripts to DIR/examples/"
        )
        return 0
    wanted = args.name.removesuffix(".md")
    for name, _, path in rows:
        if name.lower() == wanted.lower():
            print(path.read_text(encoding="utf-8"), end="")
            return 0
    raise UserError(
        f"landsim docs {args.name}: no such guide; the guides are "
        + ", ".join(n for n, _, _ in rows)
    )
