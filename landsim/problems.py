"""What is wrong with a scenario file, said as ``FILE:LINE: KEY = VALUE: RULE``.

A :class:`Problem` is one thing wrong with a key of a :class:`Layer` (one file of an ``extends``
chain); :func:`raise_problems` raises them together as one :class:`~landsim.tomlio.ScenarioError`,
in file order, the line of each found in the file's text. :func:`from_pydantic` turns a
validation error of the parameters into a problem located in the file that set the key, its
rule in the words of a scenario file (:func:`rule_of`), with a suggestion for a misspelt name
(:func:`suggest`, :func:`suggest_dotted`).
"""

from __future__ import annotations

import difflib
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from landsim.params import TIMELINE_SECTIONS, Params, retired
from landsim.tomlio import ScenarioError, find_line, safe_text, show_value

__all__ = [
    "Layer",
    "Problem",
    "raise_problems",
    "shown_path",
    "from_pydantic",
    "rule_of",
    "suggest",
    "suggest_dotted",
    "retired_rule",
    "FIELDS",
    "HOME",
    "MAX_PROBLEMS",
]

#: the most problems one message lists
MAX_PROBLEMS = 12
_SECTIONS = ("world", "assumptions", "levers", "run")
_SECTION_MODELS: dict[str, type[BaseModel]] = {
    name: Params.model_fields[name].annotation
    for name in _SECTIONS  # type: ignore[misc]
}
FIELDS: dict[str, tuple[str, ...]] = {s: tuple(m.model_fields) for s, m in _SECTION_MODELS.items()}
HOME: dict[str, str] = {name: s for s, names in FIELDS.items() for name in names}


@dataclass
class Layer:
    """One file of an ``extends`` chain: where it is, its text and its data."""

    path: Path
    shown: str
    text: str
    data: dict[str, Any]


@dataclass
class Problem:
    """One thing wrong with a scenario, before it is formatted."""

    layer: Layer | None
    key: str
    rule: str
    value: Any = None
    has_value: bool = True
    where: tuple[Any, ...] = ()  # path used to find the line: ("levers", "audit_rate"), ...

    def line(self) -> int | None:
        """The line of the file where the key is written, if it can be found."""
        if self.layer is None or not self.where:
            return None
        return find_line(self.layer.text, self.where)

    def format(self) -> str:
        """``FILE:LINE: KEY = VALUE: RULE`` (line and value left out when unknown)."""
        head = ""
        if self.layer is not None:
            line = self.line()
            head = f"{self.layer.shown}:{line}: " if line else f"{self.layer.shown}: "
        key = f"{self.key} = {show_value(self.value)}" if self.has_value else self.key
        return f"{head}{key}: {self.rule}" if key else f"{head}{self.rule}"


def raise_problems(problems: list[Problem]) -> None:
    """Raise ``problems`` (if any) as one :class:`ScenarioError`: in file order, at most
    :data:`MAX_PROBLEMS` lines and a count of the rest."""
    if not problems:
        return
    files = list(dict.fromkeys(p.layer.shown if p.layer else "" for p in problems))
    if len(problems) <= 4 * MAX_PROBLEMS:  # in file order; finding lines is linear per problem
        problems = sorted(
            problems, key=lambda p: (files.index(p.layer.shown if p.layer else ""), p.line() or 0)
        )
    else:  # thousands of problems: the order they were found in (file order), lines of 12 only
        rank = {f: i for i, f in enumerate(files)}
        problems = sorted(problems, key=lambda p: rank[p.layer.shown if p.layer else ""])
    lines = [p.format() for p in problems[:MAX_PROBLEMS]]
    if len(problems) > MAX_PROBLEMS:
        lines.append(f"... and {len(problems) - MAX_PROBLEMS} more problems")
    raise ScenarioError("\n".join(lines))


def shown_path(path: Path) -> str:
    """A path as the user would write it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return safe_text(str(path))
    return safe_text(rel if not rel.startswith("..") else str(path))


def from_pydantic(err: Any, origin: dict[str, Layer], fallback: Layer) -> Problem:
    """One pydantic error as a problem located in the file that set the key.

    ``fallback`` is the file being checked: a rule across keys set in several files of an
    ``extends`` chain is reported where this file sets one of them.
    """
    loc = tuple(err["loc"])
    section = str(loc[0]) if loc else ""
    if len(loc) >= 2:
        key = ".".join(str(p) for p in loc)
        rule = rule_of(err, FIELDS.get(section, ()))
        layer = origin.get(key) or origin.get(section) or fallback
        has_value = err["type"] != "missing"
        return Problem(layer, key, rule, err.get("input"), has_value, where=loc)
    # a rule across several keys of one table ("... must sum to 1"): find the keys it names
    rule = rule_of(err, ())
    names = [n for n in FIELDS.get(section, ()) if re.search(rf"\b{n}\b", rule)]
    names.sort(key=lambda n: (origin.get(f"{section}.{n}") is not fallback, rule.index(n)))
    for name in names:
        if f"{section}.{name}" in origin:
            layer = origin[f"{section}.{name}"]
            return Problem(layer, section, rule, has_value=False, where=(section, name))
    return Problem(
        origin.get(section, fallback),
        section,
        rule,
        has_value=False,
        where=(section,) if section else (),
    )


def rule_of(err: Any, choices: tuple[str, ...]) -> str:
    """The rule a pydantic error states, in the words of a scenario file."""
    kind, ctx, value = err["type"], err.get("ctx") or {}, err.get("input")
    quoted = ", not text in quotes" if isinstance(value, str) else ""
    if kind == "less_than_equal":
        return f"must be at most {_num(ctx['le'])}"
    if kind == "greater_than_equal":
        return f"must be at least {_num(ctx['ge'])}"
    if kind == "less_than":
        return f"must be less than {_num(ctx['lt'])}"
    if kind == "greater_than":
        return f"must be greater than {_num(ctx['gt'])}"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        if isinstance(value, float) and value.is_integer():
            return f"must be a whole number (write {int(value)}, not {value})"
        return f"must be a whole number{quoted}"
    if kind in ("float_type", "float_parsing"):
        return f"must be a number{quoted}"
    if kind == "finite_number":
        return "must be a finite number (not inf or nan)"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false (without quotes)"
    if kind in ("string_type", "str_type"):
        return "must be text in quotes"
    if kind == "literal_error":
        return f"must be {ctx['expected']}" + suggest(str(value), _literal_choices(ctx))
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a table"
    if kind == "list_type":
        return "must be a list"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        return retired(".".join(str(p) for p in err["loc"][-2:])) or (
            "unknown key" + suggest(name, choices)
        )
    if kind == "missing":
        return "is required"
    if kind == "value_error":
        return str(ctx.get("error", err["msg"]))
    return str(err["msg"])


def _num(x: Any) -> str:
    """A bound as a person writes it: ``1`` rather than ``1.0``."""
    return str(int(x)) if isinstance(x, float) and x.is_integer() else str(x)


def _literal_choices(ctx: dict[str, Any]) -> tuple[str, ...]:
    return tuple(re.findall(r"'([^']*)'", str(ctx.get("expected", ""))))


def suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    """``"; did you mean 'x'?"`` for the closest of ``choices`` to ``word``, or ``""``."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def retired_rule(key: str) -> str | None:
    """The rule for a removed dotted key (``assumptions.bid_fraction``): what replaced it."""
    note = retired(key)
    return f"unknown key: it was {note}" if note else None


def suggest_dotted(key: str) -> str:
    """A suggestion for a misspelt dotted parameter key (``levers.audit_rat``), what replaced a
    removed one, or ``""``."""
    if retired(key):
        return f"; it was {retired(key)}"
    section, _, name = key.partition(".")
    if name in HOME:
        return f"; did you mean '{HOME[name]}.{name}'?"
    every = [f"{s}.{n}" for s in TIMELINE_SECTIONS + ("world", "run") for n in FIELDS[s]]
    close = difflib.get_close_matches(key, every, n=1, cutoff=0.6)
    if not close and name:
        names = difflib.get_close_matches(name, list(HOME), n=1, cutoff=0.6)
        close = [f"{HOME[names[0]]}.{names[0]}"] if names else []
    return f"; did you mean '{close[0]}'?" if close else ""
