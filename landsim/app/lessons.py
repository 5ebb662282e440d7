"""Guided lessons: data files in ``landsim/app/lessons/*.toml``, one lesson per file.

A lesson names the bundled scenario it runs (table ``[a]``), optionally a second one for compare
mode (table ``[b]``), each with flat parameter changes (``set``), the map layer to start on, and
its text in English (``[en]``) and Chinese (``[zh]``) in the sections teachers know from model
libraries (:data:`SECTIONS`). Section text is Markdown. Files are validated when loaded: a
missing section, an unknown layer or an unknown parameter name is reported with the file and key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from landsim.app.mapview import LAYERS
from landsim.params import FLAT_KEYS

__all__ = ["Lesson", "SECTIONS", "LESSON_DIR", "load_lesson", "load_lessons"]

LESSON_DIR = Path(__file__).with_name("lessons")
SECTIONS = (
    "what_it_is",
    "how_it_works",
    "how_to_use",
    "things_to_notice",
    "things_to_try",
    "extending_the_model",
    "references",
)
LANGS = ("en", "zh")


@dataclass(frozen=True)
class Setup:
    """A run a lesson sets up: a scenario file stem and flat parameter changes."""

    scenario: str
    set: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Lesson:
    """A guided demonstration.

    Attributes:
        id: file stem.
        order: position in the lesson list.
        layer: map layer shown when the lesson opens.
        years: years to run to see the lesson's point.
        a: the run shown (run A).
        b: the run compared with it, or None for a single run.
        text: ``text[lang]["title" | "summary" | section]`` in Markdown.
    """

    id: str
    order: int
    layer: str
    years: int
    a: Setup
    b: Setup | None
    text: dict[str, dict[str, str]]

    def title(self, lang: str) -> str:
        """Title in ``lang``."""
        return self.text[lang]["title"]


def _setup(path: Path, data: dict[str, Any], key: str) -> Setup:
    table = data.get(key)
    if not isinstance(table, dict) or not isinstance(table.get("scenario"), str):
        raise ValueError(f"{path}: [{key}] needs a 'scenario' (a scenario file stem)")
    changes = table.get("set", {})
    unknown = sorted(k for k in changes if k not in FLAT_KEYS)
    if unknown:
        raise ValueError(f"{path}: [{key}].set has unknown parameter(s): {', '.join(unknown)}")
    return Setup(table["scenario"], dict(changes))


def load_lesson(path: Path) -> Lesson:
    """Read and validate one lesson file.

    Raises:
        ValueError: naming the file and the key that is missing or wrong.
    """
    with open(path, "rb") as f:
        data = tomllib.load(f)
    layer = data.get("layer", "operator")
    if layer not in LAYERS:
        raise ValueError(f"{path}: layer must be one of {', '.join(LAYERS)}; got {layer!r}")
    a = _setup(path, data, "a")
    b = _setup(path, data, "b") if "b" in data else None
    text: dict[str, dict[str, str]] = {}
    for lang in LANGS:
        section = data.get(lang)
        if not isinstance(section, dict):
            raise ValueError(f"{path}: missing table [{lang}]")
        for key in ("title", "summary", *SECTIONS):
            if not str(section.get(key, "")).strip():
                raise ValueError(f"{path}: [{lang}] is missing {key!r}")
        text[lang] = {k: str(v).strip() for k, v in section.items()}
    return Lesson(
        id=path.stem,
        order=int(data.get("order", 99)),
        layer=layer,
        years=int(data.get("years", 20)),
        a=a,
        b=b,
        text=text,
    )


def load_lessons(folder: Path = LESSON_DIR) -> list[Lesson]:
    """All lessons in ``folder``, in their ``order``."""
    return sorted((load_lesson(p) for p in folder.glob("*.toml")), key=lambda x: (x.order, x.id))
