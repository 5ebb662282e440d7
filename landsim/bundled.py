"""The files that ship with landsim — scenarios, experiments, guides, examples — from any folder.

The files live at the top of the repository (``scenarios/``, ``experiments/``, ``docs/``,
``examples/``); the wheel carries them as ``landsim/scenarios/``, ``landsim/experiments/``,
``landsim/docs/`` and ``landsim/examples/`` (see ``pyproject.toml``). So a bare name works
wherever landsim is installed: ``landsim compare baseline tri_party_governance``,
``landsim sweep benefit_sharing``, ``extends = "baseline"``, ``landsim docs checkpoints``.

* :func:`bundled_dir` — the folder of bundled scenarios, experiments, guides or examples;
* :func:`resolve` — a path as typed, or the bundled file a bare name means;
* :func:`listing` — the bundled files with their titles (``landsim scenarios``);
* :func:`guides` — the guides with their titles (``landsim docs``);
* :func:`copy_bundled` — copies of them in a folder, for editing (``landsim init``).
"""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path
from typing import Literal

from landsim.files import atomic_path

__all__ = [
    "Kind",
    "Folder",
    "bundled_dir",
    "resolve",
    "bare_name",
    "listing",
    "guides",
    "copy_bundled",
    "bundled_files",
]

#: bundled files a bare name can mean
Kind = Literal["scenarios", "experiments"]
#: every bundled folder
Folder = Literal["scenarios", "experiments", "docs", "examples"]

#: the files of each folder that ship (and that ``landsim init`` copies)
#: the files of each kind, as globs under its folder (the example region's files are examples)
_PATTERN = {
    "scenarios": ("*.toml", "*/*.toml"),  # scenarios/coops/
    "experiments": ("*.toml",),
    "docs": ("*.md",),
    "examples": ("*.py", "region/*"),
}

_PACKAGE = Path(__file__).resolve().parent


def bundled_dir(kind: Folder) -> Path:
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
    sub, _, stem = str(text).removesuffix(".toml").partition("/")
    if sub in _subfolders(kind) and bare_name(stem):  # "coops/no_benefit_sharing"
        candidate = bundled_dir(kind) / sub / f"{stem}.toml"
        return candidate if candidate.is_file() else path
    name = bare_name(str(text))
    if name is None:
        return path
    for candidate in (Path(f"{name}.toml"), *_bundled_candidates(kind, name)):
        if candidate.is_file():
            return candidate
    return path


def _subfolders(kind: Folder) -> list[str]:
    """Names of the bundled ``kind`` folder's subfolders that hold files (``coops``)."""
    folder = bundled_dir(kind)
    if kind not in ("scenarios", "experiments") or not folder.is_dir():
        return []
    return sorted(d.name for d in folder.iterdir() if d.is_dir() and any(d.glob("*.toml")))


def _bundled_candidates(kind: Kind, name: str) -> list[Path]:
    """The bundled files a bare ``name`` may mean: the top folder's first, then its
    subfolders' in order."""
    folder = bundled_dir(kind)
    return [folder / f"{name}.toml", *(folder / sub / f"{name}.toml" for sub in _subfolders(kind))]


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
    for sub in _subfolders(kind):  # then the subfolders' files, as "coops/no_benefit_sharing"
        names += sorted(f"{sub}/{p.stem}" for p in (folder / sub).glob("*.toml"))
    return [(n, _title(folder / f"{n}.toml")) for n in names]


def guides() -> list[tuple[str, str, Path]]:
    """``(name, title, path)`` of every bundled guide (``docs/*.md``), ``ODD`` first.

    The title is the file's first heading.
    """
    folder = bundled_dir("docs")
    rows = []
    for path in sorted(folder.glob("*.md"), key=lambda p: (p.stem != "ODD", p.stem)):
        try:
            first = path.read_text(encoding="utf-8").lstrip().splitlines()[0]
        except (OSError, UnicodeDecodeError, IndexError):
            first = ""
        rows.append((path.stem, first.lstrip("#").strip(), path))
    return rows


def copy_bundled(
    dest: Path, kinds: tuple[Folder, ...] = ("scenarios", "experiments", "examples")
) -> list[Path]:
    """Copy the bundled files into ``dest/<kind>/``; return the folders written.

    The copies keep their relative links (experiments name ``../scenarios/...`` as their base).
    """
    written = []
    for kind in kinds:
        target = dest / kind
        target.mkdir(parents=True, exist_ok=True)
        for src in bundled_files(kind):
            copy = target / src.relative_to(bundled_dir(kind))
            copy.parent.mkdir(exist_ok=True)
            with atomic_path(copy) as tmp:  # a new file: never through a link
                shutil.copyfile(src, tmp)
        written.append(target)
    return written


def bundled_files(kind: Folder) -> list[Path]:
    """The bundled files of ``kind``, by path (not the examples' ``__init__.py``; the example
    region's files, ``examples/region/``, are examples)."""
    folder = bundled_dir(kind)
    found = (p for pattern in _PATTERN[kind] for p in folder.glob(pattern))
    return sorted(p for p in found if p.is_file() and not p.name.startswith("_"))
