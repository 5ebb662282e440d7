"""Scenario files: one policy scenario as TOML data, loaded and validated in full.

A scenario file has the sections of :class:`~landsim.params.Params` — ``[world]``,
``[assumptions]``, ``[levers]``, ``[run]`` and ``[[timeline]]`` entries
(``year``, ``note``, ``set = {"levers.subsidy_per_mu" = 0}``) — plus three optional top-level
keys: ``extends = "baseline.toml"`` (a file, relative to this one, or the bare name of a bundled
scenario such as ``"baseline"``, whose settings this file overrides; tables are merged key by
key, a ``timeline`` given here replaces the parent's), ``title`` and ``description``.

The parts:

* :func:`load_scenario` reads a file and its ``extends`` chain, validates everything and
  returns a :class:`Scenario`; :func:`load_runnable` adds what only a run needs (a world with
  land for every household) and is what ``check``, ``run`` and ``compare`` use;
* :func:`find_scenario` turns what the user typed (a path, or a bundled scenario's bare name)
  into a file;
* :class:`ScenarioError` is the one error a bad file raises: every problem on its own line,
  as ``FILE:LINE: KEY = VALUE: RULE``;
* :func:`set_key` changes one parameter of a validated set (for sweeps), with the same messages;
* :func:`to_toml` writes the small subset of TOML that scenario files use.

A scenario file is data: it is parsed with :mod:`tomllib` and never executed. Hostile files
get the same one-line messages as mistaken ones: only regular files are read (not pipes or
devices), at most :data:`MAX_BYTES` of them; ``extends`` must name a ``.toml`` file; tables and
arrays nested deeper than :data:`MAX_DEPTH` are refused; and a message quotes at most a short
excerpt of a file, with control characters escaped, never printed.
"""

from __future__ import annotations

import difflib
import errno
import hashlib
import json
import math
import os
import re
import stat
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from landsim import bundled
from landsim.capacity import capacity_problem
from landsim.errors import UserError
from landsim.files import describe_link
from landsim.params import (
    SHARING_RULES,
    TIMELINE_SECTIONS,
    Event,
    Params,
    TimelineFailure,
    apply_changes,
    timeline_failures,
)

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "load_runnable",
    "find_scenario",
    "set_key",
    "to_toml",
    "safe_text",
    "read_text_file",
    "nesting_depth",
    "toml_data",
    "TOO_DEEP",
    "SECTIONS",
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_CHAIN",
]

#: the tables of a scenario file, in the order they are written
SECTIONS: tuple[str, ...] = ("world", "assumptions", "levers", "run")
#: every top-level key a scenario file may hold
TOP_LEVEL: tuple[str, ...] = ("extends", "title", "description", *SECTIONS, "timeline")

_SECTION_MODELS: dict[str, type[BaseModel]] = {
    name: Params.model_fields[name].annotation
    for name in SECTIONS  # type: ignore[misc]
}
_FIELDS: dict[str, tuple[str, ...]] = {s: tuple(m.model_fields) for s, m in _SECTION_MODELS.items()}
_HOME: dict[str, str] = {name: s for s, names in _FIELDS.items() for name in names}
_MAX_PROBLEMS = 12
#: the largest scenario file read (bytes); the bundled ones are about 5 kB
MAX_BYTES = 1_000_000
#: the deepest nesting of tables and arrays accepted (scenario files use 3)
MAX_DEPTH = 20
#: why a file nested too deeply is refused
TOO_DEEP = f"tables or arrays nested too deeply (more than {MAX_DEPTH} levels)"
#: the most files an ``extends`` chain may hold (the bundled scenarios use 2)
MAX_CHAIN = 32
#: why an ``extends`` that loops through symbolic links is refused
_LINK_LOOP = "cannot be read (a loop of symbolic links)"


class ScenarioError(UserError):
    """A scenario file that cannot be used.

    The message lists each problem on its own line as ``FILE:LINE: KEY = VALUE: RULE``.
    """


@dataclass(frozen=True)
class Scenario:
    """A validated scenario.

    Attributes:
        name: the file's stem (``coop_fixed_rent``), used as the scenario's label.
        path: the file as given.
        params: the validated parameter set.
        resolved: the TOML data after merging the ``extends`` chain (without ``extends``).
        text: the resolved scenario as TOML: every parameter, defaults included, so that the
            text alone reproduces the run even if defaults in the code change later.
        sha256: hex digest of ``text`` (UTF-8).
        title: the file's ``title`` (or its name).
        description: the file's ``description`` (or "").
        chain: the files read, from the scenario itself to its farthest ancestor.
    """

    name: str
    path: Path
    params: Params
    resolved: dict[str, Any]
    text: str
    sha256: str
    title: str
    description: str
    chain: tuple[Path, ...]


@dataclass
class _Layer:
    """One file of an ``extends`` chain: where it is, its text and its data."""

    path: Path
    shown: str
    text: str
    data: dict[str, Any]


@dataclass
class _Problem:
    """One thing wrong with a scenario, before it is formatted."""

    layer: _Layer | None
    key: str
    rule: str
    value: Any = None
    has_value: bool = True
    where: tuple[Any, ...] = ()  # path used to find the line: ("levers", "audit_rate"), ...

    def line(self) -> int | None:
        """The line of the file where the key is written, if it can be found."""
        if self.layer is None or not self.where:
            return None
        return _find_line(self.layer.text, self.where)

    def format(self) -> str:
        """``FILE:LINE: KEY = VALUE: RULE`` (line and value left out when unknown)."""
        head = ""
        if self.layer is not None:
            line = self.line()
            head = f"{self.layer.shown}:{line}: " if line else f"{self.layer.shown}: "
        key = f"{self.key} = {_show(self.value)}" if self.has_value else self.key
        return f"{head}{key}: {self.rule}" if key else f"{head}{self.rule}"


# --------------------------------------------------------------------------------- loading
def find_scenario(text: str | os.PathLike[str]) -> Path:
    """The scenario file ``text`` means: a path that exists, else a bundled scenario's name.

    ``baseline`` and ``baseline.toml`` mean the bundled ``baseline.toml`` unless such a file
    exists here. A name that is neither comes back unchanged (loading it reports it).
    """
    return bundled.resolve(text, "scenarios")


def load_scenario(path: str | os.PathLike[str]) -> Scenario:
    """Read, merge and validate a scenario file.

    Args:
        path: the scenario file (TOML).

    Returns:
        The validated scenario.

    Raises:
        ScenarioError: naming the file, line, key, rule and value of every problem found.
    """
    path = find_scenario(path)
    layers = _read_chain(path)  # farthest ancestor first
    problems: list[_Problem] = []
    for layer in layers:
        problems += _check_structure(layer)
    resolved, origin = _merge(layers)  # keys reported above are left out
    problems += _check_values(resolved, origin, layers[-1])
    _raise(problems)
    params = Params.model_validate({k: resolved[k] for k in SECTIONS if k in resolved}, strict=True)
    problems = _check_timeline(resolved.get("timeline", []), origin.get("timeline"), params)
    _raise(problems)
    try:
        params = Params.model_validate(_params_data(resolved), strict=True)
    except ValidationError as err:  # a rule the checks above do not know about
        _raise([_from_pydantic(e, origin, layers[-1]) for e in err.errors()])

    child = layers[-1].data
    title = child.get("title", path.stem)
    description = child.get("description", "")
    text = _resolved_text(params, title if "title" in child else None, description)
    return Scenario(
        name=path.stem,
        path=path,
        params=params,
        resolved=resolved,
        text=text,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        title=title,
        description=description,
        chain=tuple(layer.path for layer in reversed(layers)),
    )


def load_runnable(path: str | os.PathLike[str]) -> Scenario:
    """A scenario that ``landsim run`` can run: :func:`load_scenario`, and a ``[world]`` whose
    villages have plots for all their households (:func:`landsim.capacity.capacity_problem`).

    ``check``, ``run`` and ``compare`` load files through this one function, so ``check``
    refuses exactly what ``run`` would refuse.

    Raises:
        ScenarioError: naming the file and every problem found.
    """
    scenario = load_scenario(path)
    problem = capacity_problem(scenario.params.world)
    if problem:
        raise ScenarioError(f"{_shown(scenario.path)}: {problem}")
    return scenario


def set_key(params: Params, key: str, value: Any) -> Params:
    """A validated copy of ``params`` with one dotted key (``levers.audit_rate``) changed.

    Raises:
        UserError: for an unknown key or a value that breaks a rule, e.g.
            ``levers.audit_rate = 1.5: must be at most 1``.
    """
    section, _, name = key.partition(".")
    if section not in _FIELDS or name not in _FIELDS[section]:
        raise UserError(f"{key} = {_show(value)}: unknown parameter{_suggest_dotted(key)}")
    try:
        return apply_changes(params, {key: value})
    except ValidationError as err:
        lines = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e["loc"])
            rule = _rule(e, ())
            where = f"{loc}: " if loc and loc != key else ""  # a rule across several keys
            lines.append(f"{key} = {_show(value)}: {where}{rule}")
        raise UserError("\n".join(lines)) from None


def _raise(problems: list[_Problem]) -> None:
    if not problems:
        return
    files = list(dict.fromkeys(p.layer.shown if p.layer else "" for p in problems))
    if len(problems) <= 4 * _MAX_PROBLEMS:  # in file order; finding lines is linear per problem
        problems = sorted(
            problems, key=lambda p: (files.index(p.layer.shown if p.layer else ""), p.line() or 0)
        )
    else:  # thousands of problems: the order they were found in (file order), lines of 12 only
        rank = {f: i for i, f in enumerate(files)}
        problems = sorted(problems, key=lambda p: rank[p.layer.shown if p.layer else ""])
    lines = [p.format() for p in problems[:_MAX_PROBLEMS]]
    if len(problems) > _MAX_PROBLEMS:
        lines.append(f"... and {len(problems) - _MAX_PROBLEMS} more problems")
    raise ScenarioError("\n".join(lines))


def _shown(path: Path) -> str:
    """A path as the user would write it: relative to the working directory when inside it."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return safe_text(str(path))
    return safe_text(rel if not rel.startswith("..") else str(path))


def safe_text(text: str, limit: int | None = None) -> str:
    """``text`` with control and other unprintable characters escaped, safe for a terminal.

    Cut to ``limit`` characters (ending in ``...``) when given.
    """
    if limit is not None and len(text) > limit:
        text = text[: max(limit - 3, 0)] + "..."
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def _read_chain(path: Path) -> list[_Layer]:
    """The file and every file it extends, farthest ancestor first."""
    chain: list[_Layer] = []
    seen: list[Path] = []
    files: set[tuple[int, int]] = set()  # (device, inode): a file reached by two names
    layer = _read(path, str(path))
    while True:
        chain.append(layer)
        seen.append(_resolve(layer.path))
        files.add(_identity(layer.path))
        parent = layer.data.get("extends")
        if parent is None:
            break
        where = ("extends",)
        if not isinstance(parent, str) or not parent.strip() or "\x00" in parent:
            _raise(
                [
                    _Problem(
                        layer,
                        "extends",
                        'must be a file name in quotes, such as "baseline.toml"',
                        parent,
                        where=where,
                    )
                ]
            )
        try:
            named = layer.path.parent / parent
            target = named.resolve()
            name = bundled.bare_name(parent)
            if not target.is_file() and name is not None:  # "baseline": the bundled one
                shipped = bundled.bundled_dir("scenarios") / f"{name}.toml"
                target = shipped.resolve() if shipped.is_file() else target
            found = target.is_file()
        except RuntimeError:  # Python 3.12's resolve() on a loop of symbolic links
            _raise([_Problem(layer, "extends", _LINK_LOOP, parent, where=where)])
        except (OSError, ValueError) as err:  # a name too long, a loop of links, ...
            why = getattr(err, "strerror", None) or "not a usable file name"
            if getattr(err, "errno", None) == errno.ELOOP:
                why = "a loop of symbolic links"
            _raise([_Problem(layer, "extends", f"cannot be read ({why})", parent, where=where)])
        if found and target.suffix != ".toml":  # never quote lines of /etc/passwd and the like
            _raise(
                [
                    _Problem(
                        layer,
                        "extends",
                        f"must name a .toml scenario file (it names {_shown(target)})",
                        parent,
                        where=where,
                    )
                ]
            )
        if target in seen or (found and _identity(target) in files):
            start = seen.index(target) if target in seen else 0
            loop = " -> ".join(_shown(p) for p in [*seen[start:], target])
            _raise([_Problem(layer, "extends", f"circular extends: {loop}", parent, where=where)])
        if len(chain) >= MAX_CHAIN:
            rule = f"too many files in the extends chain (at most {MAX_CHAIN})"
            _raise([_Problem(layer, "extends", rule, parent, where=where)])
        if not found:
            link = describe_link(named)
            rule = f"no such file (looked for {_shown(target)})"
            if link and not named.exists():
                rule = f"{_shown(named)} is {safe_text(link)}"
            _raise([_Problem(layer, "extends", rule, parent, where=where)])
        layer = _read(target, _shown(target))
    return chain[::-1]


def _resolve(path: Path) -> Path:
    """``path`` made absolute with its links followed (as far as they go)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # a loop of links: the file was read, so this is rare
        return Path(os.path.abspath(path))


def _identity(path: Path) -> tuple[int, int]:
    """(device, inode) of a file that was read; the same file under any name."""
    try:
        info = os.stat(path)
    except OSError:
        return (-1, id(path))
    return (info.st_dev, info.st_ino)


def _read(path: Path, shown: str) -> _Layer:
    """Read and parse one TOML file, turning every failure into a ScenarioError."""
    shown = safe_text(shown)
    link = describe_link(path)
    if link and not os.path.exists(path):
        raise ScenarioError(f"{shown}: is {safe_text(link)}")
    if not os.path.lexists(path):
        names = ", ".join(n for n, _ in bundled.listing("scenarios"))
        raise ScenarioError(f"{shown}: no such file; bundled scenarios (by bare name): {names}")
    text = read_text_file(path, shown)
    empty = (
        f"{shown}: the file is empty; a scenario needs at least one setting, such as a "
        '[levers] table or extends = "baseline.toml"'
    )
    if not text.strip():
        raise ScenarioError(empty)
    try:
        data = toml_data(text)
    except tomllib.TOMLDecodeError as err:
        raise ScenarioError(_syntax_message(shown, text, str(err))) from None
    if data is None:
        raise ScenarioError(f"{shown}: {TOO_DEEP}")
    if not data:
        raise ScenarioError(empty)
    return _Layer(path=path, shown=shown, text=text, data=data)


def read_text_file(path: Path, shown: str | None = None) -> str:
    """The UTF-8 text of a regular file of at most :data:`MAX_BYTES` (a TOML file).

    Raises:
        ScenarioError: one line naming the file (``shown``) and what is wrong.
    """
    shown = safe_text(str(path)) if shown is None else shown
    raw = _read_regular(path, shown)
    bad = raw.find(b"\x00")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as err:
        bad = err.start if bad < 0 else min(bad, err.start)
    if bad >= 0:
        raise ScenarioError(
            f"{shown}: not a text file (byte 0x{raw[bad]:02x} at offset {bad} is not UTF-8 "
            "text); a scenario file is TOML text"
        )
    return text


def _read_regular(path: Path, shown: str) -> bytes:
    """The bytes of a regular file of at most :data:`MAX_BYTES`; never waits on a pipe."""
    try:
        # O_NONBLOCK (POSIX): opening a FIFO must not wait for a writer; Windows has no FIFOs
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise ScenarioError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise ScenarioError(f"{shown}: is a directory, not a scenario file") from None
    except (OSError, ValueError) as err:
        why = getattr(err, "strerror", None) or "not a usable file name"
        raise ScenarioError(f"{shown}: cannot be read ({why})") from None
    try:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            raise ScenarioError(f"{shown}: is a directory, not a scenario file")
        if not stat.S_ISREG(info.st_mode):
            raise ScenarioError(
                f"{shown}: not a regular file (a pipe, socket or device); a scenario is a file"
            )
        if info.st_size > MAX_BYTES:
            raise ScenarioError(
                f"{shown}: too large ({info.st_size:,} bytes); a scenario file is at most "
                f"{MAX_BYTES:,} bytes"
            )
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(MAX_BYTES + 1)
    except OSError as err:
        raise ScenarioError(f"{shown}: cannot be read ({err.strerror})") from None
    finally:
        os.close(fd)
    if len(raw) > MAX_BYTES:  # grew while being read
        raise ScenarioError(f"{shown}: too large; a scenario file is at most {MAX_BYTES:,} bytes")
    return raw


def toml_data(text: str) -> dict[str, Any] | None:
    """``tomllib.loads(text)``, or ``None`` when its tables or arrays nest deeper than
    :data:`MAX_DEPTH` (every TOML loader of landsim reads files through this).

    Raises:
        tomllib.TOMLDecodeError: a syntax error.
    """
    try:
        data = tomllib.loads(text)
    except RecursionError:  # tomllib recurses once per level of nesting
        return None
    return None if nesting_depth(data) > MAX_DEPTH else data


def nesting_depth(value: Any) -> int:
    """How deeply tables and arrays nest in ``value`` (without recursion)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            items = item.values()
        elif isinstance(item, list):
            items = item
        else:
            continue
        deepest = max(deepest, level + 1)
        if deepest > MAX_DEPTH:
            return deepest
        stack.extend((v, level + 1) for v in items)
    return deepest


def _syntax_message(shown: str, text: str, msg: str) -> str:
    """``FILE:LINE: TOML syntax error: WHAT (column C): "the line"``."""
    m = re.search(r"\(at line (\d+), column (\d+)\)", msg)
    if not m:
        what = re.sub(r"\s*\(at end of document\)", "", msg)
        return f"{shown}: TOML syntax error: {what} (at the end of the file)"
    line, col = int(m.group(1)), int(m.group(2))
    what = msg[: m.start()].rstrip()
    lines = text.splitlines()
    src = lines[line - 1].strip() if 0 < line <= len(lines) else ""
    shown_src = f": '{safe_text(src, 40)}'" if src else ""
    return f"{shown}:{line}: TOML syntax error: {what} (column {col}){shown_src}"


# ------------------------------------------------------------------------------- structure
def _check_structure(layer: _Layer) -> list[_Problem]:
    """Unknown keys, and tables that are not tables, in one file."""
    problems: list[_Problem] = []
    data = layer.data
    for key, value in data.items():
        if key not in TOP_LEVEL:
            rule = "unknown key" + _suggest(key, TOP_LEVEL + tuple(_HOME))
            if key in _HOME:
                rule = f"unknown top-level key; {key} belongs in the [{_HOME[key]}] table"
            problems.append(_Problem(layer, key, rule, value, where=(key,)))
        elif key in ("title", "description") and not isinstance(value, str):
            problems.append(_Problem(layer, key, "must be text in quotes", value, where=(key,)))
        elif key in ("title", "description") and not _printable(value, key == "description"):
            rule = "must not contain control characters (such as terminal escape codes)"
            if key == "title":
                rule = "must be one line of text without control characters"
            problems.append(_Problem(layer, key, rule, value, where=(key,)))
        elif key in SECTIONS and not isinstance(value, dict):
            problems.append(_Problem(layer, key, f"must be a table ([{key}])", value, where=(key,)))
        elif key == "timeline" and not (
            isinstance(value, list) and all(isinstance(e, dict) for e in value)
        ):
            problems.append(
                _Problem(layer, key, "must be a list of [[timeline]] tables", value, where=(key,))
            )
    for section in SECTIONS:
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            if name in _FIELDS[section]:
                continue
            rule = "unknown key" + _suggest(name, _FIELDS[section])
            if name in _HOME:
                rule = f"unknown key in [{section}]; {name} belongs in [{_HOME[name]}]"
            problems.append(
                _Problem(layer, f"{section}.{name}", rule, value, where=(section, name))
            )
    return problems


def _printable(text: str, lines: bool) -> bool:
    """True if ``text`` has no control characters (``lines``: newlines and tabs allowed)."""
    if lines:
        text = text.replace("\n", "").replace("\t", "")
    return text.isprintable()


def _merge(layers: list[_Layer]) -> tuple[dict[str, Any], dict[str, _Layer]]:
    """Deep-merge the chain (child wins); note which file set each dotted key."""
    merged: dict[str, Any] = {}
    origin: dict[str, _Layer] = {}

    def merge(into: dict[str, Any], new: dict[str, Any], prefix: str, layer: _Layer) -> None:
        for key, value in new.items():
            dotted = f"{prefix}{key}"
            if isinstance(value, dict):
                if not isinstance(into.get(key), dict):
                    into[key] = {}
                merge(into[key], value, dotted + ".", layer)
            else:
                into[key] = _copy(value)
            origin[dotted] = layer

    for layer in layers:
        merge(merged, _usable(layer.data), "", layer)  # a timeline list replaces the parent's
    return merged, origin


def _usable(data: dict[str, Any]) -> dict[str, Any]:
    """The tables and timeline of a file, without the keys :func:`_check_structure` rejects."""
    usable: dict[str, Any] = {}
    for section in SECTIONS:
        if isinstance(data.get(section), dict):
            usable[section] = {k: v for k, v in data[section].items() if k in _FIELDS[section]}
    timeline = data.get("timeline")
    if isinstance(timeline, list) and all(isinstance(e, dict) for e in timeline):
        usable["timeline"] = timeline
    return usable


def _copy(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copy(v) for v in value]
    return value


# ---------------------------------------------------------------------------------- values
def _check_values(
    resolved: dict[str, Any], origin: dict[str, _Layer], child: _Layer
) -> list[_Problem]:
    """Types, ranges and cross-field rules of the tables, with the file that set each key."""
    problems: list[_Problem] = []
    levers = resolved.get("levers", {})
    rule_name = levers.get("benefit_rule")
    if isinstance(rule_name, str) and rule_name not in SHARING_RULES:
        problems.append(
            _Problem(
                origin["levers.benefit_rule"],
                "levers.benefit_rule",
                "unknown benefit-sharing rule; must be one of "
                f"{', '.join(SHARING_RULES)}{_suggest(rule_name, SHARING_RULES)}",
                rule_name,
                where=("levers", "benefit_rule"),
            )
        )
        levers = {k: v for k, v in levers.items() if k != "benefit_rule"}
    data = {k: resolved[k] for k in SECTIONS if k in resolved}
    if "levers" in data:
        data["levers"] = levers
    try:
        Params.model_validate(data, strict=True)
    except ValidationError as err:
        problems += [_from_pydantic(e, origin, child) for e in err.errors()]
    return problems


def _from_pydantic(err: Any, origin: dict[str, _Layer], fallback: _Layer) -> _Problem:
    """One pydantic error as a problem located in the file that set the key.

    ``fallback`` is the file being checked: a rule across keys set in several files of an
    ``extends`` chain is reported where this file sets one of them.
    """
    loc = tuple(err["loc"])
    section = str(loc[0]) if loc else ""
    if len(loc) >= 2:
        key = ".".join(str(p) for p in loc)
        rule = _rule(err, _FIELDS.get(section, ()))
        layer = origin.get(key) or origin.get(section) or fallback
        has_value = err["type"] != "missing"
        return _Problem(layer, key, rule, err.get("input"), has_value, where=loc)
    # a rule across several keys of one table ("... must sum to 1"): find the keys it names
    rule = _rule(err, ())
    names = [n for n in _FIELDS.get(section, ()) if re.search(rf"\b{n}\b", rule)]
    names.sort(key=lambda n: (origin.get(f"{section}.{n}") is not fallback, rule.index(n)))
    for name in names:
        if f"{section}.{name}" in origin:
            layer = origin[f"{section}.{name}"]
            return _Problem(layer, section, rule, has_value=False, where=(section, name))
    return _Problem(
        origin.get(section, fallback),
        section,
        rule,
        has_value=False,
        where=(section,) if section else (),
    )


def _rule(err: Any, choices: tuple[str, ...]) -> str:
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
        return f"must be {ctx['expected']}" + _suggest(str(value), _literal_choices(ctx))
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return "must be a table"
    if kind == "list_type":
        return "must be a list"
    if kind == "extra_forbidden":
        name = str(err["loc"][-1])
        return "unknown key" + _suggest(name, choices)
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


# -------------------------------------------------------------------------------- timeline
def _check_timeline(
    events: list[dict[str, Any]], layer: _Layer | None, params: Params
) -> list[_Problem]:
    """Each event: its fields, a year inside the run and known keys; then the changes of each
    year, applied on top of the years before as the run applies them
    (:func:`landsim.params.timeline_failures`), valid values."""
    problems: list[_Problem] = []
    years = params.run.years
    sets: dict[int, dict[str, Any]] = {}  # the known changes of each event inside the run
    for i, raw in enumerate(events):
        event = dict(raw)
        if isinstance(event.get("set"), dict):
            event["set"] = _flatten(event["set"])
        try:
            Event.model_validate(event, strict=True)
        except ValidationError as err:
            for e in err.errors():
                loc = ("timeline", i, *e["loc"])
                key = f"timeline[{i}]." + ".".join(str(p) for p in e["loc"])
                rule = _rule(e, tuple(Event.model_fields))
                problems.append(
                    _Problem(
                        layer, key, rule, e.get("input"), e["type"] != "missing", where=loc[:3]
                    )
                )
            continue
        if event["year"] > years:
            problems.append(
                _Problem(
                    layer,
                    f"timeline[{i}].year",
                    f"is after the last year of the run (run.years = {years}); an event's year "
                    f"must be between 1 and {years}",
                    event["year"],
                    where=("timeline", i, "year"),
                )
            )
        known: dict[str, Any] = {}
        for key, value in event["set"].items():
            where = ("timeline", i, "set", key)
            shown = f'timeline[{i}].set."{key}"'
            section, _, name = key.partition(".")
            if section in _FIELDS and name in _FIELDS[section] and section not in TIMELINE_SECTIONS:
                problems.append(
                    _Problem(
                        layer,
                        shown,
                        "only levers and assumptions can change during a run",
                        value,
                        where=where,
                    )
                )
            elif section not in TIMELINE_SECTIONS or name not in _FIELDS[section]:
                problems.append(
                    _Problem(
                        layer,
                        shown,
                        "unknown parameter (use "
                        "'levers.NAME' or 'assumptions.NAME')" + _suggest_dotted(key),
                        value,
                        where=where,
                    )
                )
            else:
                known[key] = value
        if event["year"] <= years:
            sets[i] = known
    steps = [(i, events[i]["year"], known) for i, known in sets.items()]
    for failure in timeline_failures(params, steps, strict=True):
        problems += _timeline_problems(failure, sets, layer)
    return problems


def _timeline_problems(
    failure: TimelineFailure, sets: dict[int, dict[str, Any]], layer: _Layer | None
) -> list[_Problem]:
    """The problems of a year whose changes break a rule, each blamed on the last event of
    that year that sets the key (or, for a rule across keys, a key of the section)."""
    problems = []
    section = failure.section
    for e in failure.error.errors():
        key = f"{section}.{e['loc'][0]}" if e["loc"] else None
        setting = [i for i in failure.events if key in sets[i]]
        if setting:
            i = setting[-1]
            problems.append(
                _Problem(
                    layer,
                    f'timeline[{i}].set."{key}"',
                    _rule(e, ()),
                    e.get("input"),
                    where=("timeline", i, "set", key),
                )
            )
            continue
        i = failure.events[-1]
        first = next(k for k in sets[i] if k.startswith(f"{section}."))
        problems.append(
            _Problem(
                layer,
                f"timeline[{i}].set",
                _rule(e, ()),
                has_value=False,
                where=("timeline", i, "set", first),
            )
        )
    return problems


def _flatten(table: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{levers = {audit_rate = 0.3}}`` (an unquoted dotted key) as ``{"levers.audit_rate"}``."""
    flat: dict[str, Any] = {}
    for key, value in table.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def _params_data(resolved: dict[str, Any]) -> dict[str, Any]:
    data = {k: resolved[k] for k in SECTIONS if k in resolved}
    data["timeline"] = [
        {**e, "set": _flatten(e["set"])} if isinstance(e.get("set"), dict) else e
        for e in resolved.get("timeline", [])
    ]
    return data


# ------------------------------------------------------------------------------ suggestion
def _suggest(word: str, choices: tuple[str, ...] | list[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"; did you mean '{close[0]}'?" if close else ""


def _suggest_dotted(key: str) -> str:
    section, _, name = key.partition(".")
    if name in _HOME:
        return f"; did you mean '{_HOME[name]}.{name}'?"
    every = [f"{s}.{n}" for s in TIMELINE_SECTIONS + ("world", "run") for n in _FIELDS[s]]
    close = difflib.get_close_matches(key, every, n=1, cutoff=0.6)
    if not close and name:
        names = difflib.get_close_matches(name, list(_HOME), n=1, cutoff=0.6)
        close = [f"{_HOME[names[0]]}.{names[0]}"] if names else []
    return f"; did you mean '{close[0]}'?" if close else ""


# ---------------------------------------------------------------------------- line finding
_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")


def _key_pattern(name: str) -> re.Pattern[str]:
    q = re.escape(name)
    return re.compile(rf"""^\s*(?:{q}|"{q}"|'{q}')\s*=""")


def _find_line(text: str, where: tuple[Any, ...]) -> int | None:
    """The line (1-based) where the key at ``where`` is written, searched in the raw text."""
    lines = text.splitlines()
    headers: list[tuple[int, str, bool]] = []  # (line index, table name, is array)
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if m:
            headers.append((i, m.group(2).replace(" ", "").replace('"', ""), m.group(1) == "[["))

    def block(start: int) -> range:
        later = [h for h, _, _ in headers if h > start]
        return range(start + 1, later[0] if later else len(lines))

    first_header = headers[0][0] if headers else len(lines)
    top = range(0, first_header)
    head = str(where[0])

    if head == "timeline" and len(where) >= 2 and isinstance(where[1], int):
        entries = [h for h, name, arr in headers if arr and name == "timeline"]
        if where[1] >= len(entries):
            return _first(lines, top, re.compile(r"^\s*timeline\s*="))
        start = entries[where[1]]
        if len(where) == 2:
            return start + 1
        span = block(start)
        if len(where) >= 4:  # a key inside set = {...}
            quoted = re.compile(rf"""["']{re.escape(str(where[3]))}["']\s*=""")
            found = _first(lines, span, quoted)
            if found:
                return found
        return _first(lines, span, _key_pattern(str(where[2]))) or start + 1

    if len(where) == 1:
        found = _first(lines, top, _key_pattern(head))
        if found:
            return found
        tables = [h for h, name, _ in headers if name == head]
        return tables[0] + 1 if tables else None

    name = str(where[1])
    for h, table, _ in headers:
        if table == head:
            found = _first(lines, block(h), _key_pattern(name))
            if found:
                return found
    dotted = re.compile(rf"^\s*{re.escape(head)}\s*\.\s*{re.escape(name)}\s*=")
    inline = re.compile(rf"^\s*{re.escape(head)}\s*=\s*\{{.*\b{re.escape(name)}\b")
    anywhere = re.compile(rf"(^|[\s{{,.]){re.escape(name)}\s*=")
    for pattern in (dotted, inline, anywhere):
        found = _first(lines, range(len(lines)), pattern)
        if found:
            return found
    tables = [h for h, table, _ in headers if table == head]
    return tables[0] + 1 if tables else None


def _first(lines: list[str], span: range, pattern: re.Pattern[str]) -> int | None:
    for i in span:
        if pattern.search(lines[i]):
            return i + 1
    return None


# ------------------------------------------------------------------------------------ TOML
def _resolved_text(params: Params, title: str | None, description: str) -> str:
    data: dict[str, Any] = {}
    if title is not None:
        data["title"] = title
    if description:
        data["description"] = description
    data.update(params.model_dump(mode="json"))
    return to_toml(data)


def to_toml(data: dict[str, Any]) -> str:
    """Write ``data`` as TOML.

    Top-level values come first, then one ``[table]`` per dict and one ``[[table]]`` per item
    of a list of dicts; anything deeper is written inline. Supports what scenario files hold:
    strings, booleans, integers, floats, lists and tables.
    """
    out: list[str] = []
    tables: list[tuple[str, Any]] = []
    for key, value in data.items():
        if isinstance(value, dict) or (
            isinstance(value, list) and value and all(isinstance(v, dict) for v in value)
        ):
            tables.append((key, value))
        else:
            out.append(f"{_toml_key(key)} = {_toml_value(value)}")
    for key, value in tables:
        items = [value] if isinstance(value, dict) else value
        header = f"[{_toml_key(key)}]" if isinstance(value, dict) else f"[[{_toml_key(key)}]]"
        for item in items:
            if out:
                out.append("")
            out.append(header)
            out.extend(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in item.items())
    return "\n".join(out) + "\n"


def _toml_key(key: str) -> str:
    return key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else _toml_string(key)


def _toml_string(s: str) -> str:
    return json.dumps(s, ensure_ascii=False).replace("\x7f", "\\u007f")


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return "nan"
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return repr(value)
    if isinstance(value, str):
        return _toml_string(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{_toml_key(k)} = {_toml_value(v)}" for k, v in value.items())
        return f"{{ {inner} }}" if inner else "{}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def _show(value: Any) -> str:
    """A value as it would be written in the file, cut short if long."""
    try:
        text = _toml_value(value)
    except (TypeError, RecursionError):
        text = "..." if isinstance(value, (list, dict)) else repr(value)
    return safe_text(text, 60)
