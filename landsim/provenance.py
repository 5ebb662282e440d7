"""Provenance: the record kept beside every result, and writes that never leave half a file.

* :func:`environment` — landsim version, the hash of its code, git commit, Python, platform and
  key package versions (what every command records: compare, run, sweep, bench);
* :func:`code_identity` / :func:`identity_mismatch` — what a Dask worker must share with the
  client (the same landsim code, by hash, and the same model dependencies);
* :func:`scenario_record` — a scenario's file chain, full resolved text and its SHA-256;
* :func:`now` — a UTC timestamp for "started"/"finished";
* :func:`write_json` — write through :func:`landsim.files.atomic_path` (a new temporary file
  beside the target, renamed into place: an interrupted command leaves either the old file or
  the new one, and nothing is written through a symbolic link); ``atomic_path`` is re-exported
  here for the commands that import it from this module.

Timestamps live only in ``provenance.json``, never in the result tables that tests compare.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import shlex
import subprocess
import sys
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from landsim import __version__
from landsim.files import atomic_path

if TYPE_CHECKING:
    from landsim.scenario import Scenario

__all__ = [
    "environment",
    "git_commit",
    "code_hash",
    "code_identity",
    "identity_mismatch",
    "scenario_record",
    "command_line",
    "now",
    "atomic_path",
    "write_json",
    "PACKAGES",
    "MODEL_PACKAGES",
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

#: packages a Dask worker must share with the client, or its runs could differ (the model's
#: numbers: mesa, numpy, scipy, pandas, pydantic; how tasks travel: dask, distributed,
#: cloudpickle)
MODEL_PACKAGES = (
    "mesa",
    "numpy",
    "scipy",
    "pandas",
    "pydantic",
    "dask",
    "distributed",
    "cloudpickle",
)


def now() -> str:
    """The current time in UTC, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def command_line() -> str:
    """The command as typed (``landsim compare a.toml b.toml --replicates 5``; ``python -m
    landsim ...`` when run as a module, where ``sys.argv[0]`` is the package's
    ``__main__.py``)."""
    args = list(sys.argv)
    if args:
        first = Path(args[0])
        if first.name == "__main__.py":
            args[0:1] = ["python", "-m", first.parent.name]
        else:
            args[0] = first.name
    return shlex.join(args)


def git_commit() -> dict[str, Any] | None:
    """The commit of the source tree landsim runs from, and its modified landsim files.

    Returns ``None`` when landsim is not running from a git checkout (an installed wheel).
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
        changed = git("status", "--porcelain", "--untracked-files=no")
        modified = sorted(
            line[3:] for line in changed.splitlines() if line[3:].startswith("landsim/")
        )
        return {"commit": git("rev-parse", "HEAD"), "dirty": bool(changed), "modified": modified}
    except (OSError, subprocess.SubprocessError):
        return None


@lru_cache(maxsize=1)
def code_hash() -> str:
    """SHA-256 of the landsim source code this process runs (every ``*.py`` of the package).

    Each file's path (relative to the package) and bytes go in, in sorted order, so the hash is
    the same for the same code wherever it is installed, and changes with any edit, committed
    or not. Data files (scenarios, lessons) are not code: scenarios travel with each run.
    """
    root = Path(__file__).resolve().parent
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        digest.update(path.relative_to(root).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _versions(names: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "missing"
    return out


def code_identity() -> dict[str, Any]:
    """What a process runs: landsim's code hash and git commit, Python and model packages.

    Picklable and cheap after the first call; a Dask worker runs it to be checked.
    """
    return {
        "landsim": __version__,
        "code_sha256": code_hash(),
        "git": git_commit(),
        "python": platform.python_version(),
        "packages": _versions(MODEL_PACKAGES),
        "host": platform.node(),
    }


def identity_mismatch(ours: dict[str, Any], theirs: dict[str, Any]) -> str | None:
    """Why a worker with identity ``theirs`` would not give our results, or ``None``."""
    if theirs.get("code_sha256") != ours["code_sha256"]:

        def commit(identity: dict[str, Any]) -> str:
            git = identity.get("git") or {}
            if not git:
                return "no git checkout"
            return git["commit"][:10] + (" with local changes" if git.get("dirty") else "")

        return (
            f"its landsim code differs (source hash {str(theirs.get('code_sha256'))[:12]}, "
            f"{commit(theirs)}; here {ours['code_sha256'][:12]}, {commit(ours)})"
        )
    mine_py, their_py = ours["python"].rsplit(".", 1)[0], str(theirs.get("python", "?"))
    if not their_py.startswith(mine_py + "."):
        return f"it runs Python {their_py}, here {ours['python']}"
    differ = [
        f"{name} {theirs.get('packages', {}).get(name, 'missing')} (here {version})"
        for name, version in ours["packages"].items()
        if theirs.get("packages", {}).get(name) != version
    ]
    if differ:
        return "its packages differ: " + ", ".join(differ)
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
        "code_sha256": code_hash(),
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


def write_json(path: str | os.PathLike[str], data: Any) -> None:
    """Write ``data`` as indented JSON, atomically."""
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
