"""What an install of landsim brings, from the installed distributions' own metadata.

:func:`closure` follows ``pyproject.toml``'s requirements (the core, plus any extras) through
``importlib.metadata``, evaluating environment markers and extras as pip does, to the set of
distributions an install would pull in. :func:`link_site` builds a folder that holds only
those distributions (symbolic links into this environment's site-packages), so a test can run
the installed wheel with exactly the core, or the core and one extra, and nothing else
importable — as on a machine that ran ``pip install landsim`` (no network needed).

It reads what is installed here, so it counts the versions this environment resolved; a fresh
``pip install`` may resolve others (benchmarks/fresh_install.sh measures that, from PyPI).
"""

from __future__ import annotations

import re
import tomllib
from importlib.metadata import Distribution, PackageNotFoundError, distribution
from pathlib import Path

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[1]

__all__ = ["requirements", "closure", "link_site", "normalize"]


def normalize(name: str) -> str:
    """A distribution name as pip compares them (PEP 503)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def requirements(extras: tuple[str, ...] = ()) -> list[Requirement]:
    """The requirements of landsim with ``extras`` (``landsim[...]`` references expanded)."""
    project = _project()
    optional = project.get("optional-dependencies", {})
    wanted: set[str] = set()
    todo = list(extras)
    while todo:
        extra = todo.pop()
        if extra not in wanted:
            wanted.add(extra)
            for line in optional[extra]:
                req = Requirement(line)
                if normalize(req.name) == "landsim":
                    todo += sorted(req.extras)
    lines = [*project["dependencies"], *(line for e in sorted(wanted) for line in optional[e])]
    reqs = [Requirement(line) for line in lines]
    return [r for r in reqs if normalize(r.name) != "landsim"]


def closure(reqs: list[Requirement]) -> dict[str, Distribution]:
    """Every installed distribution ``reqs`` pull in, by normalized name.

    Raises:
        PackageNotFoundError: a required distribution is not installed here.
    """
    found: dict[str, Distribution] = {}
    done: set[tuple[str, frozenset[str]]] = set()
    todo = list(reqs)
    while todo:
        req = todo.pop()
        key = (normalize(req.name), frozenset(req.extras))
        if key in done:
            continue
        done.add(key)
        try:
            dist = distribution(req.name)
        except PackageNotFoundError:
            raise PackageNotFoundError(f"{req.name} (required as {req})") from None
        found[key[0]] = dist
        for text in dist.requires or []:
            sub = Requirement(text)
            if sub.marker is None or any(
                sub.marker.evaluate({"extra": extra}) for extra in ("", *req.extras)
            ):
                todo.append(sub)
    return found


def link_site(dists: dict[str, Distribution], folder: Path) -> Path:
    """A folder holding only ``dists``: a link to each of their top-level entries (packages,
    modules, ``.dist-info``). Entries outside site-packages (scripts, data) are left out."""
    folder.mkdir(parents=True, exist_ok=True)
    for dist in dists.values():
        for file in dist.files or []:
            top = file.parts[0]
            if top in ("..", "__pycache__") or top.endswith(".pth"):
                continue
            link = folder / top
            if not link.exists() and not link.is_symlink():
                target = Path(dist.locate_file(top))
                if target.exists():
                    link.symlink_to(target)
    return folder
