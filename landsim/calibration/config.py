"""The calibration file: what to estimate (priors), against what (targets), and how hard.

Format (``experiments/calibrate_town.toml`` is the bundled example)::

    title = "..."
    base = "baseline"            # the scenario the parameters belong to (file or bundled name)
    patterns = "bundled"         # the patterns file whose levels are the targets
    size = "D"                   # world size of the runs (see landsim.validation.SIZES)
    seeds = 2                    # replicate runs per particle

    [abc]
    population = 40              # particles per generation
    generations = 4
    min_epsilon = 0.0            # stop early when every accepted particle is this close
    kernel_scale = 1.0           # x the proposal kernel's covariance (pyabc's ``scaling``);
                                 # 2 keeps the weights from collapsing onto a few particles
    seed = 1                     # root of the sampler's and the runs' random numbers

    [[parameter]]
    key = "assumptions.choice_temperature"
    low = 50.0
    high = 200.0
    unit = "yuan/mu"

    [[target]]
    level = "transfer rate, years 1-10"
    tolerance = 0.02             # distance outside the range counted as one unit
    margin = 0.03                # optional: aim this far inside each finite end of the range,
                                 # so that the fit is not a knife edge

    [[target]]                   # a pattern check as a target: its effect (mean over the
    check = "faster aging raises year-30 abandonment"  # replicates) must lie on the check's
    margin = 0.02                # side of its threshold by at least `margin`
    tolerance = 0.01

Errors name the file, the key and the rule, as scenario files do.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from landsim import bundled
from landsim.errors import UserError
from landsim.limits import SEED_MAX
from landsim.params import Params
from landsim.scenario import find_scenario, load_scenario, set_key
from landsim.tomlio import read_toml
from landsim.validation import (
    SIZES,
    SPEC_FILE,
    Check,
    Level,
    Pattern,
    Spec,
    SpecError,
    load_spec,
)
from landsim.validation import _did_you_mean as _closest

__all__ = ["CalibrationConfig", "Prior", "Target", "load_config", "assumption_keys"]


class _AbcIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    population: int = Field(40, ge=2)
    generations: int = Field(4, ge=1)
    min_epsilon: float = Field(0.0, ge=0)
    kernel_scale: float = Field(1.0, gt=0, le=10)
    seed: int = Field(1, ge=0, le=SEED_MAX)


class _ParameterIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    key: str
    low: float
    high: float
    unit: str


class _TargetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    level: str | None = None
    check: str | None = None
    margin: float = Field(0.0, ge=0)
    tolerance: float = Field(gt=0)


class _ConfigIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = ""
    base: str = "baseline"
    patterns: str = "bundled"
    size: Literal["S", "D", "L"] = "D"
    world: dict[str, int] = {}
    years: int | None = Field(None, ge=1)
    seeds: int = Field(2, ge=1)
    abc: _AbcIn = _AbcIn()
    parameter: list[_ParameterIn] = Field(min_length=1)
    target: list[_TargetIn] = Field(min_length=1)


@dataclass(frozen=True)
class Prior:
    """A uniform prior on ``[low, high]`` for the dotted parameter ``key``."""

    key: str
    low: float
    high: float
    unit: str
    integer: bool = False


@dataclass(frozen=True)
class Target:
    """A level of the patterns file (or a pattern check read as one, see
    :func:`check_as_level`) and the distance outside its range that counts as 1.

    ``margin`` (levels only; a check folds its margin into its level) moves each finite end of
    the range inward: the calibration aims at ``aim()``, while reports keep the sourced range.
    """

    level: Level
    tolerance: float
    margin: float = 0.0

    def aim(self) -> tuple[float, float]:
        """The range the calibration aims at: the level's range with ``margin`` off each
        finite end."""
        low, high = self.level.low, self.level.high
        if math.isfinite(low):
            low += self.margin
        if math.isfinite(high):
            high -= self.margin
        return low, high


def check_as_level(pattern: Pattern, check: Check, margin: float) -> Level:
    """A pattern check as a level: its effect must lie on the check's side of its threshold by
    ``margin`` at least (range ``[threshold + margin, inf)`` for "above", ``(-inf, threshold -
    margin]`` for "below").

    The effect is read as a level is: the mean over replicates of ``a - b`` (for a ``ratio``
    check the ratio of the means). The level is named ``pattern N: LABEL``.
    """
    if check.side == "above":
        low, high = check.threshold + margin, math.inf
    else:
        low, high = -math.inf, check.threshold - margin
    return Level(
        name=f"pattern {pattern.id}: {check.label}",
        check=check,
        low=low,
        high=high,
        unit="effect",
        source=f"pattern {pattern.id} of the patterns file ({pattern.name})",
    )


@dataclass(frozen=True)
class CalibrationConfig:
    """A checked calibration file."""

    path: Path
    title: str
    base: Path
    base_name: str
    spec: Spec
    world: dict[str, int]
    years: int
    seeds: int
    population: int
    generations: int
    min_epsilon: float
    seed: int
    kernel_scale: float
    priors: tuple[Prior, ...]
    targets: tuple[Target, ...]
    text: str

    @property
    def runs(self) -> list[str]:
        """The runs of the patterns file the targets need."""
        names: list[str] = []
        for t in self.targets:
            for m in (t.level.check.a, t.level.check.b):
                if m is not None and m.run is not None and m.run not in names:
                    names.append(m.run)
        return names


_ASSUMPTION_LINE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*=.*#.*\bassumption\b")
_SECTION = re.compile(r"^\s*\[([A-Za-z_]+)\]\s*$")


def assumption_keys(path: Path) -> set[str]:
    """Dotted keys whose line in the scenario file ``path`` is marked "assumption" (its chain
    included: a key marked in any file of it counts)."""
    keys: set[str] = set()
    for file in load_scenario(path).chain:
        section = ""
        for line in Path(file).read_text(encoding="utf-8").splitlines():
            m = _SECTION.match(line)
            if m:
                section = m.group(1)
                continue
            m = _ASSUMPTION_LINE.match(line)
            if m and section:
                keys.add(f"{section}.{m.group(1)}")
    return keys


def _lines(shown: str, err: ValidationError) -> list[str]:
    out = []
    for e in err.errors():
        loc = []
        for part in e["loc"]:
            if isinstance(part, int):
                loc[-1] = f"{loc[-1]}[{part + 1}]" if loc else f"[{part + 1}]"
            else:
                loc.append(str(part))
        key = ".".join(loc) or "(top level)"
        if e["type"] == "extra_forbidden":
            out.append(f"{shown}: {key}: unknown key")
        elif e["type"] == "missing":
            out.append(f"{shown}: {key}: required key is missing")
        else:
            out.append(f"{shown}: {key}: {e['msg'][0].lower() + e['msg'][1:]} (got {e['input']!r})")
    return list(dict.fromkeys(out))


def _did_you_mean(name: str, known: Iterable[str]) -> str:
    """A hint: the first name that contains ``name``, else the closest spelling."""
    close = [n for n in known if name.lower() in n.lower()]
    return f" (did you mean {close[0]!r}?)" if close else _closest(name, known)


def load_config(path: str | Path, overrides: dict[str, Any] | None = None) -> CalibrationConfig:
    """Read and check a calibration file.

    Args:
        path: the file, or a bundled calibration's bare name.
        overrides: keys set as if the file said so (``size``, ``seeds``, ``years``,
            ``abc.population``, ``abc.generations``): the command line's size flags.

    Raises:
        UserError: one line per problem, naming the file, the key and the rule.
    """
    path = bundled.resolve(str(path), "experiments")
    shown = str(path)
    text, raw = read_toml(path, shown, "calibration file", UserError)
    for key, value in (overrides or {}).items():
        section, _, name = key.rpartition(".")
        table = raw.setdefault(section, {}) if section else raw
        if isinstance(table, dict):  # anything else is reported by the validation below
            table[name] = value
    try:
        data = _ConfigIn.model_validate(raw)
    except ValidationError as err:
        raise UserError("\n".join(_lines(shown, err))) from None
    problems: list[str] = []
    base_text = data.base
    local = path.parent / (base_text if base_text.endswith(".toml") else f"{base_text}.toml")
    try:
        base = local if local.is_file() else find_scenario(base_text)
        base_params = load_scenario(base).params
    except UserError as err:
        raise UserError(f"{shown}: base = {base_text!r}: {err}") from None
    marked = assumption_keys(base)
    if data.patterns == "bundled":
        spec_path = SPEC_FILE
    else:
        spec_path = (path.parent / data.patterns).resolve()
    try:
        spec = load_spec(spec_path)
    except SpecError as err:
        raise UserError(f"{shown}: patterns = {data.patterns!r}: {err}") from None
    fields = Params.model_fields
    priors = []
    seen: set[str] = set()
    for i, p in enumerate(data.parameter):
        where = f"{shown}: parameter[{i + 1}]"
        if p.key in seen:
            problems.append(f"{where}.key: {p.key!r} is named twice")
        seen.add(p.key)
        if p.low >= p.high:
            problems.append(f"{where}: low ({p.low:g}) must be below high ({p.high:g})")
            continue
        try:
            for value in (p.low, p.high):
                set_key(base_params, p.key, value)
        except UserError as err:
            problems.append(f"{where}: {err}")
            continue
        if p.key not in marked:
            problems.append(
                f'{where}.key: {p.key!r} is not marked "assumption" in {base.name}; only '
                "unsourced parameters are calibrated"
            )
            continue
        section, _, name = p.key.partition(".")
        sub = fields[section].annotation.model_fields[name]  # type: ignore[union-attr]
        priors.append(Prior(p.key, p.low, p.high, p.unit, integer=sub.annotation is int))
    levels = {lv.name: lv for lv in spec.levels}
    checks = {c.label: (pat, c) for pat in spec.patterns for c in pat.checks if c.label}
    targets = []
    for i, t in enumerate(data.target):
        where = f"{shown}: target[{i + 1}]"
        if (t.level is None) == (t.check is None):
            problems.append(f"{where}: name either a level or a pattern check (level = or check =)")
            continue
        if t.check is not None:
            if t.check not in checks:
                problems.append(
                    f"{where}.check: {t.check!r} is not the label of a pattern check of "
                    f"{spec_path.name}{_did_you_mean(t.check, checks)}"
                )
                continue
            pattern, check = checks[t.check]
            targets.append(Target(check_as_level(pattern, check, t.margin), t.tolerance))
            continue
        if t.level not in levels:
            problems.append(
                f"{where}.level: {t.level!r} is not a level of "
                f"{spec_path.name}{_did_you_mean(t.level, levels)}"
            )
            continue
        target = Target(levels[t.level], t.tolerance, t.margin)
        low, high = target.aim()
        if low > high:
            lv = levels[t.level]
            problems.append(
                f"{where}.margin: {t.margin:g} leaves nothing of the range "
                f"[{lv.low:g}, {lv.high:g}]; it must be less than half the range's width"
            )
            continue
        targets.append(target)
    world = {**SIZES[data.size], **data.world}
    for key, value in data.world.items():
        try:
            set_key(base_params, f"world.{key}", value)
        except UserError as err:
            problems.append(f"{shown}: world.{key}: {err}")
    if problems:
        raise UserError("\n".join(problems))
    return CalibrationConfig(
        path=path,
        title=data.title or path.stem,
        base=base,
        base_name=base.stem,
        spec=spec,
        world=world,
        years=data.years or spec.years,
        seeds=data.seeds,
        population=data.abc.population,
        generations=data.abc.generations,
        min_epsilon=data.abc.min_epsilon,
        seed=data.abc.seed,
        kernel_scale=data.abc.kernel_scale,
        priors=tuple(priors),
        targets=tuple(targets),
        text=text,
    )
