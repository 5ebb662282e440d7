"""The scenario and experiment files that ship with landsim, found from any folder.

The files live at the top of the repository (``scenarios/``, ``experiments/``); the wheel carries
them as ``landsim/scenarios/`` and ``landsim/experiments/`` (see ``pyproject.toml``). So a bare
name works wherever landsim is installed: ``landsim compare baseline tri_party_governance``,
``landsim sweep benefit_sharing``, ``extends = "baseline"``.

* :func:`bundled_dir` — the folder of bundled scenarios or experiments;
* :func:`resolve` — a path as typed, or the bundled file a bare name means;
* :func:`listing` — the bundled files with their titles (``landsim scenarios``);
* :func:`copy_bundled` — copies of them in a folder, for editing (``landsim init``).
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Literal

from landsim.files import atomic_path

__all__ = ["Kind", "bundled_dir", "resolve", "bare_name", "listing", "copy_bundled"]

Kind = Literal["scenarios", "experiments"]

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(kind: Kind) -> Path:
    """Folder of the bundled ``kind`` files.

    In an installed wheel that is ``landsim/<kind>/``; in a source checkout (and the editable
    install the Makefile makes) it is ``<kind>/`` at the top of the repository.
    """
    inside = _PACKAGE / kind
    return inside if inside.is_dir() else _PACKAGE.parent / kind


def bare_name(text: str) -> str | None:
    """The file stem ``text`` names if it is a bare name (``baseline``, ``baseline.toml``)."""
    if not text or "/" in text or "\\" in text or text in (".", ".."):
        return None
    return text.removesuffix(".toml") or None


def resolve(text: str | Path, kind: Kind) -> Path:
    """The file ``text`` means: itself when it exists, else the bundled file of that name.

    A file here always wins: ``baseline`` means ``./baseline.toml`` when that exists.
    Returns ``Path(text)`` unchanged when neither exists (the caller reports it).
    """
    path = Path(text)
    if path.exists():
        return path
    name = bare_name(str(text))
    if name is None:
        return path
    for candidate in (Path(f"{name}.toml"), bundled_dir(kind) / f"{name}.toml"):
        if candidate.is_file():
            return candidate
    return path


def _title(path: Path) -> str:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return "(cannot be read)"
    title = data.get("title") or data.get("description") or ""
    return str(title).strip().splitlines()[0] if title else ""


def listing(kind: Kind) -> list[tuple[str, str]]:
    """``(name, title)`` of every bundled ``kind`` file, ``baseline`` first, then by name."""
    folder = bundled_dir(kind)
    names = sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []
    names.sort(key=lambda n: n != "baseline")
    return [(n, _title(folder / f"{n}.toml")) for n in names]


def copy_bundled(dest: Path, kinds: tuple[Kind, ...] = ("scenarios", "experiments")) -> list[Path]:
    """Copy the bundled files into ``dest/<kind>/``; return the folders written.

    The copies keep their relative links (experiments name ``../scenarios/...`` as their base).
    """
    written = []
    for kind in kinds:
        target = dest / kind
        target.mkdir(parents=True, exist_ok=True)
        for src in sorted(bundled_dir(kind).glob("*.toml")):
            with atomic_path(target / src.name) as tmp:  # a new file: never through a link
                shutil.copyfile(src, tmp)
        written.append(target)
    return written
