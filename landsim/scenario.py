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
  as ``FILE:LINE: KEY = VALUE: RULE`` (:mod:`landsim.problems` words and places them);
* :func:`set_key` changes one parameter of a validated set (for sweeps), with the same messages.

A scenario file is data: it is parsed with :mod:`tomllib` and never executed. Hostile files
get the same one-line messages as mistaken ones: only regular files are read (not pipes or
devices), at most :data:`landsim.tomlio.MAX_BYTES` of them; ``extends`` must name a ``.toml``
file; tables and arrays nested deeper than :data:`landsim.tomlio.MAX_DEPTH` are refused; and a
message quotes at most a short excerpt of a file, with control characters escaped, never
printed (:mod:`landsim.tomlio` reads and writes the TOML).
"""

from __future__ import annotations

import errno
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

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
from landsim.problems import (
    FIELDS,
    HOME,
    Layer,
    Problem,
    from_pydantic,
    raise_problems,
    retired_rule,
    rule_of,
    shown_path,
    suggest,
    suggest_dotted,
)
from landsim.tomlio import (
    ScenarioError,
    parse_toml,
    read_text_file,
    safe_text,
    show_value,
    to_toml,
)

__all__ = [
    "Scenario",
    "ScenarioError",
    "load_scenario",
    "load_runnable",
    "find_scenario",
    "set_key",
    "SECTIONS",
    "MAX_CHAIN",
]

#: the tables of a scenario file, in the order they are written
SECTIONS: tuple[str, ...] = ("world", "assumptions", "levers", "run")
#: every top-level key a scenario file may hold
TOP_LEVEL: tuple[str, ...] = ("extends", "title", "description", *SECTIONS, "timeline")

#: the most files an ``extends`` chain may hold (the bundled scenarios use 2)
MAX_CHAIN = 32
#: why an ``extends`` that loops through symbolic links is refused
_LINK_LOOP = "cannot be read (a loop of symbolic links)"


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
    problems: list[Problem] = []
    for layer in layers:
        problems += _check_structure(layer)
    resolved, origin = _merge(layers)  # keys reported above are left out
    problems += _check_values(resolved, origin, layers[-1])
    raise_problems(problems)
    params = Params.model_validate({k: resolved[k] for k in SECTIONS if k in resolved}, strict=True)
    problems = _check_timeline(resolved.get("timeline", []), origin.get("timeline"), params)
    raise_problems(problems)
    try:
        params = Params.model_validate(_params_data(resolved), strict=True)
    except ValidationError as err:  # a rule the checks above do not know about
        raise_problems([from_pydantic(e, origin, layers[-1]) for e in err.errors()])
    if params.world.is_region:  # its files, read and checked; the world's size from them
        from landsim.regions.scenario import with_region

        params = with_region(params, origin, layers)

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
    # a region's households were checked against its farmland when it was read
    problem = None if scenario.params.world.is_region else capacity_problem(scenario.params.world)
    if problem:
        raise ScenarioError(f"{shown_path(scenario.path)}: {problem}")
    return scenario


def set_key(params: Params, key: str, value: Any) -> Params:
    """A validated copy of ``params`` with one dotted key (``levers.audit_rate``) changed.

    Raises:
        UserError: for an unknown key or a value that breaks a rule, e.g.
            ``levers.audit_rate = 1.5: must be at most 1``.
    """
    section, _, name = key.partition(".")
    if section not in FIELDS or name not in FIELDS[section]:
        raise UserError(f"{key} = {show_value(value)}: unknown parameter{suggest_dotted(key)}")
    try:
        return apply_changes(params, {key: value})
    except ValidationError as err:
        lines = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e["loc"])
            rule = rule_of(e, ())
            where = f"{loc}: " if loc and loc != key else ""  # a rule across several keys
            lines.append(f"{key} = {show_value(value)}: {where}{rule}")
        raise UserError("\n".join(lines)) from None


def _read_chain(path: Path) -> list[Layer]:
    """The file and every file it extends, farthest ancestor first."""
    chain: list[Layer] = []
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
            raise_problems(
                [
                    Problem(
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
            raise_problems([Problem(layer, "extends", _LINK_LOOP, parent, where=where)])
        except (OSError, ValueError) as err:  # a name too long, a loop of links, ...
            why = getattr(err, "strerror", None) or "not a usable file name"
            if getattr(err, "errno", None) == errno.ELOOP:
                why = "a loop of symbolic links"
            raise_problems(
                [Problem(layer, "extends", f"cannot be read ({why})", parent, where=where)]
            )
        if found and target.suffix != ".toml":  # never quote lines of /etc/passwd and the like
            raise_problems(
                [
                    Problem(
                        layer,
                        "extends",
                        f"must name a .toml scenario file (it names {shown_path(target)})",
                        parent,
                        where=where,
                    )
                ]
            )
        if target in seen or (found and _identity(target) in files):
            start = seen.index(target) if target in seen else 0
            loop = " -> ".join(shown_path(p) for p in [*seen[start:], target])
            raise_problems(
                [Problem(layer, "extends", f"circular extends: {loop}", parent, where=where)]
            )
        if len(chain) >= MAX_CHAIN:
            rule = f"too many files in the extends chain (at most {MAX_CHAIN})"
            raise_problems([Problem(layer, "extends", rule, parent, where=where)])
        if not found:
            link = describe_link(named)
            rule = f"no such file (looked for {shown_path(target)})"
            if link and not named.exists():
                rule = f"{shown_path(named)} is {safe_text(link)}"
            raise_problems([Problem(layer, "extends", rule, parent, where=where)])
        layer = _read(target, shown_path(target))
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


def _read(path: Path, shown: str) -> Layer:
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
    data = parse_toml(text, shown)
    if not data:
        raise ScenarioError(empty)
    return Layer(path=path, shown=shown, text=text, data=data)


# ------------------------------------------------------------------------------- structure
def _check_structure(layer: Layer) -> list[Problem]:
    """Unknown keys, and tables that are not tables, in one file."""
    problems: list[Problem] = []
    data = layer.data
    for key, value in data.items():
        if key not in TOP_LEVEL:
            rule = "unknown key" + suggest(key, TOP_LEVEL + tuple(HOME))
            if key in HOME:
                rule = f"unknown top-level key; {key} belongs in the [{HOME[key]}] table"
            problems.append(Problem(layer, key, rule, value, where=(key,)))
        elif key in ("title", "description") and not isinstance(value, str):
            problems.append(Problem(layer, key, "must be text in quotes", value, where=(key,)))
        elif key in ("title", "description") and not _printable(value, key == "description"):
            rule = "must not contain control characters (such as terminal escape codes)"
            if key == "title":
                rule = "must be one line of text without control characters"
            problems.append(Problem(layer, key, rule, value, where=(key,)))
        elif key in SECTIONS and not isinstance(value, dict):
            problems.append(Problem(layer, key, f"must be a table ([{key}])", value, where=(key,)))
        elif key == "timeline" and not (
            isinstance(value, list) and all(isinstance(e, dict) for e in value)
        ):
            problems.append(
                Problem(layer, key, "must be a list of [[timeline]] tables", value, where=(key,))
            )
    for section in SECTIONS:
        table = data.get(section)
        if not isinstance(table, dict):
            continue
        for name, value in table.items():
            if name in FIELDS[section]:
                continue
            dotted = f"{section}.{name}"
            rule = retired_rule(dotted) or "unknown key" + suggest(name, FIELDS[section])
            if name in HOME:
                rule = f"unknown key in [{section}]; {name} belongs in [{HOME[name]}]"
            problems.append(Problem(layer, dotted, rule, value, where=(section, name)))
    return problems


def _printable(text: str, lines: bool) -> bool:
    """True if ``text`` has no control characters (``lines``: newlines and tabs allowed)."""
    if lines:
        text = text.replace("\n", "").replace("\t", "")
    return text.isprintable()


def _merge(layers: list[Layer]) -> tuple[dict[str, Any], dict[str, Layer]]:
    """Deep-merge the chain (child wins); note which file set each dotted key."""
    merged: dict[str, Any] = {}
    origin: dict[str, Layer] = {}

    def merge(into: dict[str, Any], new: dict[str, Any], prefix: str, layer: Layer) -> None:
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
            usable[section] = {k: v for k, v in data[section].items() if k in FIELDS[section]}
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
    resolved: dict[str, Any], origin: dict[str, Layer], child: Layer
) -> list[Problem]:
    """Types, ranges and cross-field rules of the tables, with the file that set each key."""
    problems: list[Problem] = []
    levers = resolved.get("levers", {})
    rule_name = levers.get("benefit_rule")
    if isinstance(rule_name, str) and rule_name not in SHARING_RULES:
        problems.append(
            Problem(
                origin["levers.benefit_rule"],
                "levers.benefit_rule",
                "unknown benefit-sharing rule; must be one of "
                f"{', '.join(SHARING_RULES)}{suggest(rule_name, SHARING_RULES)}",
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
        problems += [from_pydantic(e, origin, child) for e in err.errors()]
    return problems


# -------------------------------------------------------------------------------- timeline
def _check_timeline(
    events: list[dict[str, Any]], layer: Layer | None, params: Params
) -> list[Problem]:
    """Each event: its fields, a year inside the run and known keys; then the changes of each
    year, applied on top of the years before as the run applies them
    (:func:`landsim.params.timeline_failures`), valid values."""
    problems: list[Problem] = []
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
                rule = rule_of(e, tuple(Event.model_fields))
                problems.append(
                    Problem(layer, key, rule, e.get("input"), e["type"] != "missing", where=loc[:3])
                )
            continue
        if event["year"] > years:
            problems.append(
                Problem(
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
            if section in FIELDS and name in FIELDS[section] and section not in TIMELINE_SECTIONS:
                problems.append(
                    Problem(
                        layer,
                        shown,
                        "only levers and assumptions can change during a run",
                        value,
                        where=where,
                    )
                )
            elif section not in TIMELINE_SECTIONS or name not in FIELDS[section]:
                problems.append(
                    Problem(
                        layer,
                        shown,
                        "unknown parameter (use "
                        "'levers.NAME' or 'assumptions.NAME')" + suggest_dotted(key),
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
    failure: TimelineFailure, sets: dict[int, dict[str, Any]], layer: Layer | None
) -> list[Problem]:
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
                Problem(
                    layer,
                    f'timeline[{i}].set."{key}"',
                    rule_of(e, ()),
                    e.get("input"),
                    where=("timeline", i, "set", key),
                )
            )
            continue
        i = failure.events[-1]
        first = next(k for k in sets[i] if k.startswith(f"{section}."))
        problems.append(
            Problem(
                layer,
                f"timeline[{i}].set",
                rule_of(e, ()),
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


# ------------------------------------------------------------------------------------ TOML
def _resolved_text(params: Params, title: str | None, description: str) -> str:
    data: dict[str, Any] = {}
    if title is not None:
        data["title"] = title
    if description:
        data["description"] = description
    data.update(params.model_dump(mode="json", exclude_none=True))  # TOML has no null
    return to_toml(data)
