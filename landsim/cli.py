"""The ``landsim`` command line: one sub-command per module in ``landsim.commands``.

Each command module defines ``register(subparsers)``, which adds its parser and sets
``func`` (called with the parsed arguments; returns the exit status). User mistakes (a bad
scenario file, a missing path) raise :class:`landsim.errors.UserError`, printed as one clear
message with exit status 2 and no traceback.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import sys

from landsim import __version__
from landsim.errors import UserError

__all__ = ["main", "build_parser"]

#: errors of writing results that are the user's to fix (space, permissions), not bugs
_WRITE_ERRORS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM})

#: command modules, in the order ``landsim --help`` lists them
COMMANDS: tuple[str, ...] = (
    "landsim.commands.run",
    "landsim.commands.compare",
    "landsim.commands.decompose",
    "landsim.commands.check",
    "landsim.commands.scenarios",
    "landsim.commands.bench",
    "landsim.commands.sweep",
    "landsim.commands.analyze",
    "landsim.commands.validate",
    "landsim.commands.calibrate",
    "landsim.commands.app",
)

EPILOG = """examples:
  landsim scenarios                                           the bundled scenarios, by name
  landsim compare baseline tri_party_governance               compare two bundled scenarios
  landsim compare scenarios/*.toml --out results/compare      compare scenario files
  landsim decompose decompose_tri_party                       what each part of a bundle adds
  landsim init my_study                                       copy the bundled files to edit
  landsim run scenarios/baseline.toml --years 30 --out results/baseline
  landsim check scenarios/my_policy.toml
  landsim sweep experiments/benefit_sharing.toml --out results/sweep1
  landsim analyze results/sweep1
  landsim validate --sizes S,D,L --seeds 10 --out results/validate
  landsim calibrate experiments/calibrate_town.toml --out results/calibrate
  landsim app --port 8765                                     the browser app (offline)
  landsim bench --quick
  landsim docs                                                the guides, installed with landsim
  landsim COMMAND --help                                      one command, with examples
"""


def build_parser() -> argparse.ArgumentParser:
    """The top-level parser with every registered sub-command."""
    parser = argparse.ArgumentParser(
        prog="landsim",
        description="Agent-based simulation of rural land transfer with Party-branch-led "
        "cooperatives: run, compare and sweep policy scenarios.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"landsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``landsim`` console script; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except UserError as err:
        print(f"landsim: error: {err}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # the reader went away (landsim scenarios | head): stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as err:
        # output paths are checked before work starts; this catches a disk that fills up or
        # a folder made read-only while a command runs
        if err.errno not in _WRITE_ERRORS:
            raise
        where = f" {err.filename}" if err.filename else ""
        print(f"landsim: error: cannot write{where}: {os.strerror(err.errno)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("landsim: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
