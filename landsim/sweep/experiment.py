"""Experiment files: what a sweep varies, how it samples, and what it keeps.

An experiment file (``experiments/*.toml``) names a base scenario, the *factors* to vary (any
lever, assumption or world setting, by its scenario-file key), a *design* (full factorial, Latin
hypercube, Sobol/Saltelli or Morris), the replicates and root seed, and the outcomes to keep::

    base = "../scenarios/baseline.toml"
    outcomes = ["participation_rate", "household_income_mean"]
    yearly = false

    [design]
    kind = "factorial"              # factorial | latin | sobol | morris

    [factors."levers.guaranteed_rent"]
    values = [400, 600, 800]

    [factors."levers.member_share"]
    values = [0.6, 0.8]
    rebalance = ["levers.reserve_share", "levers.collective_share"]

    [run]
    replicates = 5
    seed = 2024
    years = 15

    [world]                         # optional overrides, e.g. a smaller town
    width = 30

The file is validated in full when loaded (every design point is checked against the parameter
rules), so a mistake stops the sweep before any run starts with one message naming the file and
the key.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import re
import typing
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import (
    BaseModel,
    TypeAdapter,
    ValidationError,
)

from landsim.errors import UserError
from landsim.metrics import METRICS
from landsim.params import Params, apply_changes
from landsim.sweep.schema import ExperimentFile, FactorSpec

__all__ = [
    "DESIGN_KINDS",
    "ExperimentError",
    "Factor",
    "DesignSettings",
    "Experiment",
    "load_experiment",
    "experiment_from_text",
    "PLAIN_NAME",
]

DESIGN_KINDS = ("factorial", "latin", "sobol", "morris")
#: sections of ``Params`` whose fields an experiment may vary
FACTOR_SECTIONS = ("world", "assumptions", "levers")


#: what an experiment's ``name`` may be: it names the folder ``results/NAME``
PLAIN_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}", re.ASCII)


class ExperimentError(UserError):
    """A mistake in an experiment file; the message names the file and the key."""


# --------------------------------------------------------------------------------------------
# the resolved experiment (what the sweep uses)


@dataclass(frozen=True)
class Factor:
    """A resolved factor.

    Attributes:
        key: scenario-file key, ``section.name``.
        dtype: ``float``, ``int``, ``bool`` or ``str`` (the parameter's type).
        levels: the discrete levels, or ``None`` for a continuous range.
        bounds: ``(low, high)`` of a continuous range, or ``None``.
        rebalance: keys rescaled so that this key and they keep their base total.
    """

    key: str
    dtype: str
    levels: tuple[Any, ...] | None
    bounds: tuple[float, float] | None
    rebalance: tuple[str, ...] = ()

    @property
    def is_discrete(self) -> bool:
        """True when the factor takes listed levels (categorical or numeric)."""
        return self.levels is not None

    def describe(self) -> str:
        """One line for ``--dry-run``: levels or range, and what it rebalances."""
        if self.levels is not None:
            text = f"{len(self.levels)} levels: " + ", ".join(_fmt(v) for v in self.levels)
        else:
            lo, hi = self.bounds or (0, 0)
            kind = "integers" if self.dtype == "int" else "uniform"
            text = f"range {_fmt(lo)} to {_fmt(hi)} ({kind})"
        if self.rebalance:
            text += f"  (rescales {', '.join(self.rebalance)} to keep the total)"
        return text

    def as_dict(self) -> dict[str, Any]:
        """Plain data for provenance and fingerprints."""
        return {
            "key": self.key,
            "dtype": self.dtype,
            "levels": list(self.levels) if self.levels is not None else None,
            "bounds": list(self.bounds) if self.bounds is not None else None,
            "rebalance": list(self.rebalance),
        }


@dataclass(frozen=True)
class DesignSettings:
    """The design: kind, sample size and SALib options."""

    kind: str
    samples: int | None
    second_order: bool
    levels: int
    seed: int


@dataclass(frozen=True)
class Experiment:
    """A validated experiment, ready to be turned into runs.

    Attributes:
        name: experiment name (the file's ``name`` or its stem).
        path: the experiment file (``None`` when built from text).
        text: the file's text, kept for provenance.
        sha256: hash of ``text``.
        base: the base parameters with ``[world]``/``[constants]`` overrides and the horizon.
        base_path: the base scenario file, if any.
        base_sha256: hash of the base scenario's resolved text, if any.
        base_record: the base scenario's provenance record (files, resolved text, hash).
        factors: the factors, in file order.
        design: design settings.
        replicates: runs per design point.
        seed: root seed.
        seeds: ``independent`` or ``common`` (see :class:`~landsim.sweep.schema.RunSpecFile`).
        years: years each run simulates.
        outcomes: outcome columns kept (names in :data:`landsim.metrics.METRICS`).
        yearly: keep yearly outcomes too (``DIR/yearly/``).
        aggregates: statistics over the years kept per outcome (``mean``, ``min``, ``max``).
    """

    name: str
    path: Path | None
    text: str
    sha256: str
    description: str
    base: Params
    base_path: Path | None
    base_sha256: str | None
    base_record: dict[str, Any] | None
    factors: tuple[Factor, ...]
    design: DesignSettings
    replicates: int
    seed: int
    seeds: str
    years: int
    outcomes: tuple[str, ...]
    yearly: bool
    aggregates: tuple[str, ...] = ()

    @property
    def outcome_columns(self) -> tuple[str, ...]:
        """Outcome columns of the runs table: final-year outcomes, then ``OUTCOME:STAT``."""
        extra = [f"{o}:{a}" for a in self.aggregates for o in self.outcomes]
        return (*self.outcomes, *extra)

    @property
    def input_keys(self) -> tuple[str, ...]:
        """Every parameter key a design point sets: factors, then keys they rebalance."""
        keys = [f.key for f in self.factors]
        for f in self.factors:
            keys.extend(k for k in f.rebalance if k not in keys)
        return tuple(keys)

    def fingerprint(self) -> str:
        """Hash of everything that decides the runs' numbers except the replicate count.

        So a sweep can be resumed with more replicates but not with a different design.
        """
        data = {
            "base": self.base.model_dump(mode="json"),
            "factors": [f.as_dict() for f in self.factors],
            "design": self.design.__dict__,
            "seed": self.seed,
            "seeds": self.seeds,
            "years": self.years,
            "outcomes": list(self.outcomes),
            "yearly": self.yearly,
            "aggregates": list(self.aggregates),
        }
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()

    def changes(self, values: dict[str, Any]) -> dict[str, Any]:
        """Parameter changes for one design point: the factor values plus rebalanced keys."""
        out = dict(values)
        for f in self.factors:
            if not f.rebalance:
                continue
            base = [_get(self.base, k) for k in f.rebalance]
            total = _get(self.base, f.key) + sum(base)
            rest = total - values[f.key]
            share = sum(base)
            for k, b in zip(f.rebalance, base, strict=True):
                out[k] = rest * (b / share if share > 0 else 1 / len(base))
        return out


# --------------------------------------------------------------------------------------------
# loading


def load_experiment(path: str | Path, overrides: dict[str, Any] | None = None) -> Experiment:
    """Read and validate an experiment file.

    Args:
        path: the file, or a bundled experiment's bare name.
        overrides: dotted keys set as if the file said so (``run.replicates``, ``run.years``,
            ``world.width``): the command line's ``--replicates``, ``--years`` and ``--size``.

    Raises:
        ExperimentError: naming the file and the key for any mistake.
    """
    from landsim import bundled
    from landsim.tomlio import read_text_file, safe_text  # the rules of scenario files

    path = bundled.resolve(path, "experiments")  # a bare name means a bundled experiment
    if not os.path.lexists(path):
        names = ", ".join(n for n, _ in bundled.listing("experiments"))
        raise ExperimentError(
            f"{safe_text(str(path))}: no such experiment file; bundled experiments (by bare "
            f"name): {names}"
        )
    text = read_text_file(path, kind="experiment file", error=ExperimentError)
    return experiment_from_text(text, path, overrides)


def experiment_from_text(
    text: str, path: Path | None = None, overrides: dict[str, Any] | None = None
) -> Experiment:
    """Validate experiment TOML ``text``; ``path`` names it in messages and anchors ``base``;
    ``overrides`` as :func:`load_experiment`'s."""
    from landsim.tomlio import parse_toml, safe_text

    where = safe_text(str(path)) if path is not None else "<experiment>"
    raw = parse_toml(text, where, ExperimentError)
    for key, value in (overrides or {}).items():
        section, _, name = key.partition(".")
        table = raw.setdefault(section, {})
        if isinstance(table, dict):  # anything else is reported by the validation below
            table[name] = value
    try:
        spec = ExperimentFile.model_validate(raw)
    except ValidationError as err:
        raise ExperimentError(f"{where}: {_pydantic_message(err)}") from None

    base, base_path, base_sha, base_record = _load_base(spec, path, where)
    base = _overrides(base, spec, where)
    years = spec.run.years if spec.run.years is not None else base.run.years
    try:
        base = apply_changes(base, {"run.years": years})
    except (ValueError, ValidationError) as err:
        raise ExperimentError(f"{where}: run.years = {years}: {_value_message(err)}") from None

    unknown = [o for o in spec.outcomes if o not in METRICS]
    if unknown:
        raise ExperimentError(
            f"{where}: outcomes: unknown outcome {unknown[0]!r}; choose from " + ", ".join(METRICS)
        )
    factors = tuple(
        _factor(key, fs, spec.design.kind, base, where) for key, fs in spec.factors.items()
    )
    _check_rebalance(factors, where)
    design = _design_settings(spec, factors, where)
    exp = Experiment(
        name=_plain_name(spec.name, path, where),
        path=path,
        text=text,
        sha256=hashlib.sha256(text.encode()).hexdigest(),
        description=spec.description,
        base=base,
        base_path=base_path,
        base_sha256=base_sha,
        base_record=base_record,
        factors=factors,
        design=design,
        replicates=spec.run.replicates,
        seed=spec.run.seed,
        seeds=spec.run.seeds,
        years=years,
        outcomes=tuple(dict.fromkeys(spec.outcomes)),
        yearly=spec.yearly,
        aggregates=tuple(dict.fromkeys(spec.aggregates)),
    )
    return exp


def _plain_name(name: str | None, path: Path | None, where: str) -> str:
    """The experiment's name: the file's ``name`` or its stem, a plain folder name."""
    from landsim.tomlio import safe_text

    if name is None:
        name = path.stem if path is not None else "experiment"
        if not PLAIN_NAME.fullmatch(name):
            raise ExperimentError(
                f"{where}: the file name {safe_text(name, 40)!r} is not a plain name (letters, "
                'digits, - and _, at most 64); add name = "..." to the file'
            )
        return name
    if not PLAIN_NAME.fullmatch(name):
        raise ExperimentError(
            f"{where}: name = {safe_text(name, 40)!r}: must be a plain name (letters, digits, "
            "- and _, at most 64 characters); it names the results folder results/NAME"
        )
    return name


def _load_base(spec: ExperimentFile, path: Path | None, where: str):
    if spec.base is None:
        return Params(), None, None, None
    anchor = path.parent if path is not None else Path.cwd()
    base_path = (anchor / spec.base).resolve()
    if not base_path.exists():  # base = "baseline": a bundled scenario
        from landsim.bundled import bare_name, bundled_dir

        name = bare_name(spec.base)
        shipped = bundled_dir("scenarios") / f"{name}.toml"
        base_path = shipped.resolve() if name and shipped.is_file() else base_path
    try:
        from landsim.scenario import load_scenario  # the scenario module loads base files
    except ImportError as err:
        raise ExperimentError(
            f"{where}: base = {spec.base!r}: scenario files cannot be read ({err})"
        ) from None
    if not base_path.exists():
        raise ExperimentError(f"{where}: base = {spec.base!r}: no such scenario file ({base_path})")
    try:
        scenario = load_scenario(base_path)
    except UserError as err:
        raise ExperimentError(f"{where}: base = {spec.base!r}: {err}") from None
    from landsim.provenance import scenario_record

    return scenario.params, base_path, scenario.sha256, scenario_record(scenario)


def _overrides(base: Params, spec: ExperimentFile, where: str) -> Params:
    changes = {f"world.{k}": v for k, v in spec.world.items()}
    for key, value in spec.constants.items():
        _check_key(key, where, f"constants.{key!r}", sections=(*FACTOR_SECTIONS, "run"))
        changes[key] = value
    for key in changes:
        if key.startswith("world."):
            _check_key(key, where, f"world.{key[6:]}", sections=("world",))
    if not changes:
        return base
    try:
        return apply_changes(base, changes)
    except (ValueError, ValidationError) as err:
        raise ExperimentError(f"{where}: [world]/[constants]: {_value_message(err)}") from None


def _check_key(key: str, where: str, label: str, sections=FACTOR_SECTIONS) -> None:
    section, _, name = key.partition(".")
    fields = _section_fields()
    if section not in sections or name not in fields.get(section, {}):
        hint = ", ".join(f"{s}.NAME" for s in sections)
        raise ExperimentError(
            f"{where}: {label}: {key!r} is not a parameter (use {hint}, as in scenario files)"
        )


def _section_fields() -> dict[str, dict[str, Any]]:
    out = {}
    for section, info in Params.model_fields.items():
        ann = info.annotation
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            out[section] = ann.model_fields
    return out


def _dtype(key: str) -> tuple[str, tuple[Any, ...] | None]:
    """The parameter's type name and, for a ``Literal``, its allowed values."""
    section, _, name = key.partition(".")
    ann = _section_fields()[section][name].annotation
    if typing.get_origin(ann) is Literal:
        return "str", typing.get_args(ann)
    for t, label in ((bool, "bool"), (int, "int"), (float, "float"), (str, "str")):
        if ann is t:
            return label, None
    return "str", None


def _factor(key: str, fs: FactorSpec, kind: str, base: Params, where: str) -> Factor:
    label = f"factors.{key!r}"
    _check_key(key, where, label)
    dtype, _choices = _dtype(key)
    for k in fs.rebalance:
        _check_key(k, where, f"{label}.rebalance")
        if k == key:
            raise ExperimentError(f"{where}: {label}.rebalance: a factor cannot rebalance itself")
        if _dtype(k)[0] != "float" or dtype != "float":
            raise ExperimentError(
                f"{where}: {label}.rebalance: only real-valued parameters can be rebalanced"
            )
    levels: tuple[Any, ...] | None = None
    bounds: tuple[float, float] | None = None
    if fs.values is not None:
        levels = tuple(fs.values)
        if len(set(map(repr, levels))) != len(levels):
            raise ExperimentError(f"{where}: {label}.values: levels must differ, got {fs.values}")
    else:
        if dtype not in ("float", "int"):
            raise ExperimentError(
                f"{where}: {label}.range: {key} is a {dtype} parameter; list its 'values'"
            )
        lo, hi = fs.range
        if dtype == "int" and (lo != int(lo) or hi != int(hi)):
            raise ExperimentError(
                f"{where}: {label}.range: {key} takes whole numbers, got {list(fs.range)}"
            )
        if kind == "factorial":
            if fs.levels is None:
                raise ExperimentError(
                    f"{where}: {label}: a factorial design needs 'values', or 'range' with "
                    "'levels' (how many evenly spaced levels)"
                )
            grid = np.linspace(lo, hi, fs.levels)
            if dtype == "int":
                grid = np.unique(np.round(grid))
                if grid.size != fs.levels:
                    raise ExperimentError(
                        f"{where}: {label}: {fs.levels} whole-number levels do not fit in "
                        f"{list(fs.range)}"
                    )
                levels = tuple(int(v) for v in grid)
            else:
                levels = tuple(float(v) for v in grid)
        else:
            if fs.levels is not None:
                raise ExperimentError(
                    f"{where}: {label}.levels: only factorial designs space a range in levels"
                )
            bounds = (int(lo), int(hi)) if dtype == "int" else (float(lo), float(hi))
    # each level (or the ends of the range) must be a valid value of the parameter
    probes = list(levels) if levels is not None else list(bounds)
    coerced = [_coerce(key, value, where, label) for value in probes]
    if levels is not None:
        levels = tuple(coerced)
    return Factor(key, dtype, levels, bounds, tuple(fs.rebalance))


def _coerce(key: str, value: Any, where: str, label: str) -> Any:
    """The parameter's own field validation applied to one value.

    Not checked against the base, so levels valid only together with other factors' levels are
    allowed here; whole design points are checked in :func:`landsim.sweep.design.build_design`.
    """
    section, _, name = key.partition(".")
    info = _section_fields()[section][name]
    ann = Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation
    adapter = TypeAdapter(ann)
    try:
        return adapter.validate_python(value)
    except ValidationError as err:
        msg = err.errors()[0]["msg"]
        raise ExperimentError(f"{where}: {label}: value {value!r}: {msg}") from None


def _check_rebalance(factors: tuple[Factor, ...], where: str) -> None:
    keys = [f.key for f in factors]
    seen: dict[str, str] = {}
    for f in factors:
        for k in f.rebalance:
            if k in keys:
                raise ExperimentError(
                    f"{where}: factors.{f.key!r}.rebalance: {k} is itself a factor"
                )
            if k in seen:
                raise ExperimentError(
                    f"{where}: factors.{f.key!r}.rebalance: {k} is already rebalanced by {seen[k]}"
                )
            seen[k] = f.key


def _design_settings(spec: ExperimentFile, factors: tuple[Factor, ...], where: str):
    d = spec.design
    n = d.samples
    if d.kind == "factorial":
        if n is not None:
            raise ExperimentError(
                f"{where}: design.samples: a factorial design runs every combination of levels; "
                "remove 'samples'"
            )
    else:
        if n is None:
            what = {"latin": "points", "sobol": "base samples N", "morris": "trajectories"}
            raise ExperimentError(
                f"{where}: design.samples: a {d.kind} design needs samples ({what[d.kind]})"
            )
        if d.kind == "sobol" and (n & (n - 1)) != 0:
            raise ExperimentError(
                f"{where}: design.samples: Sobol sampling needs a power of 2, got {n} "
                f"(try {2 ** round(math.log2(n))})"
            )
        if d.kind in ("sobol", "morris") and len(factors) < 2:
            raise ExperimentError(f"{where}: factors: a {d.kind} design needs at least 2 factors")
    seed = d.seed if d.seed is not None else spec.run.seed
    return DesignSettings(d.kind, n, d.second_order, d.levels, seed)


# --------------------------------------------------------------------------------------------
# helpers


def _get(params: Params, key: str) -> Any:
    section, _, name = key.partition(".")
    return getattr(getattr(params, section), name)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:g}"
    return str(v)


def _pydantic_message(err: ValidationError) -> str:
    lines = []
    for e in err.errors():
        loc = ".".join(str(p) for p in e["loc"]) or "(top level)"
        msg = e["msg"]
        if e["type"] == "extra_forbidden":
            msg = "unknown key (check the spelling; 'landsim docs sweeps' lists the keys)"
        elif e["type"] == "missing":
            msg = "required key is missing"
        lines.append(f"{loc}: {msg}")
    return "; ".join(lines)


def _value_message(err: Exception) -> str:
    if isinstance(err, ValidationError):
        parts = []
        for e in err.errors():
            loc = ".".join(str(p) for p in e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            parts.append(f"{loc}: {msg}" if loc else msg)
        return "; ".join(parts)
    return str(err)
