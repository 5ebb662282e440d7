"""Provenance: the record kept beside every result, and writes that never leave half a file.

* :func:`environment` — landsim version, git commit, Python, platform and key package versions;
* :func:`scenario_record` — a scenario's file chain, full resolved text and its SHA-256;
* :func:`now` — a UTC timestamp for "started"/"finished";
* :func:`atomic_path` / :func:`write_json` — write to a temporary file beside the target and
  rename it into place, so an interrupted command leaves either the old file or the new one.

Timestamps live only in ``provenance.json``, never in the result tables that tests compare.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landsim import __version__

if TYPE_CHECKING:
    from landsim.scenario import Scenario

__all__ = [
    "environment",
    "git_commit",
    "scenario_record",
    "command_line",
    "now",
    "atomic_path",
    "write_json",
    "PACKAGES",
]

#: packages whose versions can change results or how they are written
PACKAGES = (
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pydantic",
    "pyarrow",
    "matplotlib",
    "SALib",
    "dask",
    "distributed",
)


def now() -> str:
    """The current time in UTC, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def command_line() -> str:
    """The command as typed (``landsim compare a.toml b.toml --replicates 5``)."""
    args = list(sys.argv)
    if args:
        args[0] = Path(args[0]).name
    return shlex.join(args)


def git_commit() -> dict[str, Any] | None:
    """The commit of the source tree landsim runs from, and whether it has local changes.

    Returns ``None`` when landsim is not running from a git checkout.
    """
    here = Path(__file__).resolve().parent

    def git(*args: str) -> str:
        out = subprocess.run(
            ["git", "-C", str(here), *args], capture_output=True, text=True, timeout=10, check=True
        )
        return out.stdout.strip()

    try:
        top = Path(git("rev-parse", "--show-toplevel")).resolve()
        if top not in here.parents:
            return None
        return {
            "commit": git("rev-parse", "HEAD"),
            "dirty": bool(git("status", "--porcelain", "--untracked-files=no")),
        }
    except (OSError, subprocess.SubprocessError):
        return None


def environment() -> dict[str, Any]:
    """Versions of everything that could change a result."""
    packages = {}
    for name in PACKAGES:
        try:
            packages[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "landsim_version": __version__,
        "git": git_commit(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": packages,
    }


def scenario_record(scenario: Scenario) -> dict[str, Any]:
    """What identifies a scenario's inputs: its files, resolved text and hash."""
    return {
        "name": scenario.name,
        "title": scenario.title,
        "path": str(scenario.path),
        "extends": [str(p) for p in scenario.chain[1:]],
        "sha256": scenario.sha256,
        "text": scenario.text,
    }


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``, renamed to ``path`` when the block succeeds.

    On failure the temporary file is removed, so readers never see a half-written file.
    """
    path = Path(path)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
