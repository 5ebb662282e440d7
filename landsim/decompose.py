"""What each part of a bundle of levers contributes: a full factorial over its parts, by seed.

A *decomposition file* (``experiments/decompose_*.toml``) names a scenario that switches a bundle
of levers on, and the bundle's *parts*: each a named set of dotted keys that the scenario sets.
Switching a part *off* sets its keys to the values of a ``base`` scenario (``keys = [...]``) or
to values the part gives (``off = {...}``); ``on = {...}`` may give values other than the
scenario's. Every key the parts do not name keeps the scenario's value in every run::

    title = "What each part of the tri-party bundle contributes"
    scenario = "tri_party_governance"   # every part on (a file, or a bundled scenario's name)
    base = "coop_subsidy_dependent"     # where keys = [...] take their "off" values
    seeds = 20                          # runs of each combination (replicate r: one seed)
    years = 30                          # default: the scenario's run.years
    seed = 242027                       # root seed (default: the scenario's run.seed)
    outcomes = ["abandonment_rate", "collective_income_mean"]

    [[part]]
    name = "audits"
    title = "Audits with disclosure"
    keys = ["levers.audit_rate", "levers.audit_disclosure"]

    [[part]]
    name = "standard"
    off = { "levers.management_standard" = 0.0 }

The parts:

* :func:`load_decomposition` — read and check a file (one line per problem, naming the file,
  the key and the rule; every combination of parts is validated before any run);
* :func:`plan` — one :class:`~landsim.runner.RunSpec` per combination (*cell*, ``"101"``: parts
  1 and 3 on) and replicate; replicate ``r`` has the same seed in every cell (common random
  numbers), so effects are paired by seed;
* :func:`run_means` — each run's outcomes averaged over years 1 to N;
* :func:`effects` — per outcome, paired by seed with a Student-t interval: the base level,
  each part alone minus the base, all together minus the base, the interaction (together minus
  the base minus the sum of the parts alone minus the base) and each part's main effect (its
  effect averaged over every combination of the other parts);
* :func:`markdown` — those as one Markdown table per outcome.

The figure is :func:`landsim.figures.plot_effects`.
"""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from landsim import bundled
from landsim.errors import UserError
from landsim.intervals import CONFIDENCE, bounded_interval, t_interval
from landsim.labels import label
from landsim.limits import SEED_MAX
from landsim.params import Params, apply_changes
from landsim.problems import suggest_dotted
from landsim.runner import RunSpec, replicate_seeds
from landsim.scenario import Scenario, find_scenario, load_scenario, set_key
from landsim.tomlio import read_toml, safe_text
from landsim.validation import _pydantic_lines

__all__ = [
    "Part",
    "Decomposition",
    "DEFAULT_OUTCOMES",
    "MAX_PARTS",
    "INTERVAL_METHOD",
    "load_decomposition",
    "cells",
    "parts_on",
    "plan",
    "run_means",
    "effects",
    "markdown",
    "contrast_text",
    "unit_text",
]

#: outcomes decomposed when neither the file nor ``--outcomes`` names them
DEFAULT_OUTCOMES = (
    "abandonment_rate",
    "collective_income_mean",
    "household_income_mean",
    "coop_land_share",
    "coops_active",
)
#: at most this many parts: the factorial runs 2**k combinations per seed
MAX_PARTS = 6
#: sections whose keys a part may switch (the world is the same in every cell)
PART_SECTIONS = ("levers", "assumptions")
#: what a part's name may be (it heads columns and labels rows)
PART_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_-]{0,39}", re.ASCII)
#: how the intervals are made, as printed and recorded
INTERVAL_METHOD = (
    "paired by seed (replicate r of every combination shares its seed): Student-t interval of "
    "the per-seed contrasts; the base level's interval is truncated to the outcome's range"
)


class _PartIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    title: str = ""
    keys: list[str] = []
    off: dict[str, Any] = {}
    on: dict[str, Any] = {}


class _FileIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = ""
    description: str = ""
    scenario: str
    base: str | None = None
    seeds: int = Field(10, ge=2)
    years: int | None = Field(None, ge=1)
    seed: int | None = Field(None, ge=0, le=SEED_MAX)
    outcomes: list[str] = list(DEFAULT_OUTCOMES)
    part: list[_PartIn] = Field(min_length=1, max_length=MAX_PARTS)


@dataclass(frozen=True)
class Part:
    """One part of the bundle: its keys' values when on and when off."""

    name: str
    title: str
    on: dict[str, Any]
    off: dict[str, Any]


@dataclass(frozen=True)
class Decomposition:
    """A checked decomposition file, with the command line's changes applied."""

    path: Path
    text: str
    title: str
    scenario: Scenario
    base: Scenario | None
    parts: tuple[Part, ...]
    seeds: int
    years: int
    seed: int
    outcomes: tuple[str, ...]
    world: dict[str, int]

    def params(self, cell: str) -> Params:
        """The parameters of one combination (``"101"``: parts 1 and 3 on)."""
        changes: dict[str, Any] = {f"world.{k}": v for k, v in self.world.items()}
        for flag, part in zip(cell, self.parts, strict=True):
            changes.update(part.on if flag == "1" else part.off)
        return apply_changes(self.scenario.params, changes)

    def record(self) -> dict[str, Any]:
        """What provenance keeps of the decomposition."""
        return {
            "file": str(self.path),
            "text": self.text,
            "parts": [
                {"name": p.name, "title": p.title, "on": p.on, "off": p.off} for p in self.parts
            ],
            "base": self.base.name if self.base else None,
            "world": self.world,
        }


def _scenario(text: str, anchor: Path, shown: str, key: str) -> Scenario:
    """A scenario named in the file: beside the file first, else a path or a bundled name."""
    local = anchor / (text if text.endswith(".toml") else f"{text}.toml")
    try:
        return load_scenario(local if local.is_file() else find_scenario(text))
    except UserError as err:
        first = str(err).splitlines()[0]
        raise UserError(f"{shown}: {key} = {text!r}: {first}") from None


def _get(params: Params, key: str) -> Any:
    section, _, name = key.partition(".")
    return getattr(getattr(params, section), name)


def load_decomposition(
    path: str | Path,
    *,
    scenario: str | None = None,
    seeds: int | None = None,
    years: int | None = None,
    outcomes: list[str] | None = None,
    world: dict[str, int] | None = None,
) -> Decomposition:
    """Read and check a decomposition file.

    Args:
        path: the file, or a bundled decomposition's bare name (``decompose_tri_party``).
        scenario: decompose this scenario instead of the file's (``--scenario``).
        seeds: replicates per combination instead of the file's (``--seeds``).
        years: years per run instead of the file's (``--years``).
        outcomes: outcomes instead of the file's (``--outcomes``).
        world: ``world.*`` settings of every run (``--size``).

    Raises:
        UserError: one line per problem, naming the file, the key and the rule.
    """
    from landsim.metrics import METRICS

    path = bundled.resolve(str(path), "experiments")
    shown = safe_text(str(path))
    if not path.exists():
        names = [n for n, _ in bundled.listing("experiments") if n.startswith("decompose_")]
        raise UserError(
            f"{shown}: no such decomposition file; bundled ones (by bare name): " + ", ".join(names)
        )
    text, raw = read_toml(path, shown, "decomposition file", UserError)
    other = "sweep experiment" if "factors" in raw else "calibration" if "target" in raw else ""
    if other and "part" not in raw:
        command = "sweep" if "factors" in raw else "calibrate"
        raise UserError(
            f"{shown}: a {other} file (landsim {command}), not a decomposition file: it names "
            "no parts ([[part]])"
        )
    try:
        data = _FileIn.model_validate(raw)
    except ValidationError as err:
        raise UserError("\n".join(_pydantic_lines(shown, err))) from None
    anchor = path.parent
    scen = _scenario(scenario, Path.cwd(), "--scenario", "scenario") if scenario else None
    scen = scen or _scenario(data.scenario, anchor, shown, "scenario")
    base = _scenario(data.base, anchor, shown, "base") if data.base else None
    problems: list[str] = []
    chosen = outcomes if outcomes is not None else data.outcomes
    for name in chosen:
        if name not in METRICS:
            where = "--outcomes" if outcomes is not None else f"{shown}: outcomes"
            problems.append(f"{where}: unknown outcome {name!r}; choose from {', '.join(METRICS)}")
    parts = _parts(data.part, scen, base, shown, problems)
    if seeds is not None and seeds < 2:
        problems.append(f"--seeds {seeds}: at least 2 (paired intervals need two seeds or more)")
    if problems:
        raise UserError("\n".join(problems))
    dec = Decomposition(
        path=path,
        text=text,
        title=data.title or path.stem,
        scenario=scen,
        base=base,
        parts=tuple(parts),
        seeds=seeds or data.seeds,
        years=years or data.years or scen.params.run.years,
        seed=data.seed if data.seed is not None else scen.params.run.seed,
        outcomes=tuple(dict.fromkeys(chosen)),
        world=dict(world or {}),
    )
    _check_cells(dec, shown)
    return dec


def _parts(
    raw: list[_PartIn], scen: Scenario, base: Scenario | None, shown: str, problems: list[str]
) -> list[Part]:
    """The parts with their on and off values; problems are added to ``problems``."""
    parts: list[Part] = []
    owner: dict[str, str] = {}
    for i, p in enumerate(raw):
        where = f"{shown}: part[{i + 1}] ({safe_text(p.name, 40)})"
        if not PART_NAME.fullmatch(p.name):
            problems.append(
                f"{where}.name: must be a plain name (a letter, then letters, digits, - or _; "
                "at most 40)"
            )
        if p.name in {q.name for q in parts}:
            problems.append(f"{where}.name: {p.name!r} is the name of an earlier part")
        keys = list(dict.fromkeys([*p.keys, *p.off, *p.on]))
        if not keys:
            problems.append(f"{where}: name the keys it switches (keys = [...] or off = {{...}})")
            continue
        off: dict[str, Any] = {}
        on: dict[str, Any] = {}
        before = len(problems)
        for key in keys:
            section, _, name = key.partition(".")
            if section not in PART_SECTIONS:
                problems.append(
                    f"{where}: {key!r}: a part switches levers.NAME or assumptions.NAME keys"
                )
                continue
            if name not in type(getattr(scen.params, section)).model_fields:
                problems.append(f"{where}: {key!r}: unknown parameter{suggest_dotted(key)}")
                continue
            if key in owner:
                problems.append(f"{where}: {key!r} is already switched by part {owner[key]!r}")
                continue
            owner[key] = p.name
            try:
                on[key] = p.on[key] if key in p.on else _get(scen.params, key)
                if key in p.off:
                    off[key] = p.off[key]
                elif base is not None:
                    off[key] = _get(base.params, key)
                else:
                    problems.append(
                        f"{where}: {key!r}: no value when off: give it in off = {{...}} or "
                        "name a base scenario (base = ...)"
                    )
                    continue
                for value in (on[key], off[key]):
                    set_key(scen.params, key, value)
            except UserError as err:
                problems.append(f"{where}: {str(err).splitlines()[0]}")
        if len(problems) == before and on == off:  # (a key already reported is left out)
            problems.append(
                f"{where}: switching it off changes nothing (its keys have the same values on "
                "and off)"
            )
        parts.append(Part(p.name, p.title or p.name.replace("_", " "), on, off))
    return parts


def _check_cells(dec: Decomposition, shown: str) -> None:
    """Every combination of parts must be a valid parameter set."""
    for cell in cells(len(dec.parts)):
        try:
            dec.params(cell)
        except (ValueError, ValidationError) as err:
            on_parts = parts_on(dec, cell).replace("+", ", ") or "none"
            if isinstance(err, ValidationError):
                first = "; ".join(
                    f"{'.'.join(map(str, e['loc']))}: {e['msg'].removeprefix('Value error, ')}"
                    for e in err.errors()
                )
            else:
                first = str(err).splitlines()[0]
            raise UserError(
                f"{shown}: the combination with parts on: {on_parts}: {first}"
            ) from None


def cells(k: int) -> list[str]:
    """Every combination of ``k`` parts as a string of 0/1 (``1``: on), the base first."""
    return ["".join(c) for c in itertools.product("01", repeat=k)]


def parts_on(dec: Decomposition, cell: str) -> str:
    """The names of the parts a cell switches on, joined by ``+`` (``""`` for the base)."""
    return "+".join(p.name for f, p in zip(cell, dec.parts, strict=True) if f == "1")


def plan(dec: Decomposition) -> list[RunSpec]:
    """One run per combination and replicate; replicate ``r`` has seed ``r`` in every cell."""
    seeds = replicate_seeds(dec.seed, dec.seeds)
    specs = []
    for cell in cells(len(dec.parts)):
        params = dec.params(cell).model_dump(mode="json")
        for r, seed in enumerate(seeds):
            tags = {"cell": cell, "parts_on": parts_on(dec, cell), "replicate": r}
            specs.append(RunSpec(params=params, seed=seed, years=dec.years, tags=tags))
    return specs


def run_means(timeseries: pd.DataFrame, outcomes: tuple[str, ...]) -> pd.DataFrame:
    """One row per run: its cell, replicate, seed and each outcome's mean over years 1 to N
    (year 0, before any season, is left out; undefined years are skipped)."""
    farmed = timeseries[timeseries["year"] >= 1]
    keys = ["cell", "parts_on", "replicate", "seed"]
    means = farmed.groupby(keys, sort=False)[list(outcomes)].mean().reset_index()
    return means.rename(columns={o: f"{o}:mean" for o in outcomes})


def _contrasts(parts: tuple[Part, ...], columns: list[str]) -> list[tuple[str, str, Any]]:
    """``(contrast, part, function of the per-seed wide table)`` in the order they are shown."""
    k = len(parts)
    base, full = "0" * k, "1" * k
    alone = {p.name: "".join("1" if j == i else "0" for j in range(k)) for i, p in enumerate(parts)}
    out: list[tuple[str, str, Any]] = [("base level", "", lambda w: w[base])]
    for name, cell in alone.items():
        out.append(("alone", name, lambda w, c=cell: w[c] - w[base]))
    out.append(("together", "", lambda w: w[full] - w[base]))
    out.append(
        (
            "interaction",
            "",
            lambda w: (w[full] - w[base]) - sum(w[c] - w[base] for c in alone.values()),
        )
    )
    for i, p in enumerate(parts):
        on = [c for c in columns if c[i] == "1"]
        off = [c for c in columns if c[i] == "0"]
        out.append(
            ("main effect", p.name, lambda w, a=on, b=off: w[a].mean(axis=1) - w[b].mean(axis=1))
        )
    return out


def effects(means: pd.DataFrame, dec: Decomposition, level: float = CONFIDENCE) -> pd.DataFrame:
    """Each contrast of each outcome, paired by seed, with its interval.

    Only seeds whose every combination finished are used (an interrupted run leaves some out).

    Returns:
        Columns ``outcome, contrast, part, effect, ci_low, ci_high, n_seeds, level``; contrasts
        ``base level`` (not a difference), ``alone`` (one row per part), ``together``,
        ``interaction`` and ``main effect`` (one row per part).
    """
    all_cells = cells(len(dec.parts))
    rows = []
    for outcome in dec.outcomes:
        wide = means.pivot(index="replicate", columns="cell", values=f"{outcome}:mean")
        wide = wide.reindex(columns=all_cells).dropna()
        for contrast, part, fn in _contrasts(dec.parts, all_cells):
            values = fn(wide).to_numpy(dtype=float) if len(wide) else []
            if contrast == "base level":
                mean, low, high = bounded_interval(values, label(outcome).bounds, level)
            else:
                mean, low, high = t_interval(values, level)
            rows.append(
                {
                    "outcome": outcome,
                    "contrast": contrast,
                    "part": part,
                    "effect": mean,
                    "ci_low": low,
                    "ci_high": high,
                    "n_seeds": len(wide),
                    "level": level,
                }
            )
    return pd.DataFrame(rows)


def contrast_text(contrast: str, part: str, titles: dict[str, str]) -> str:
    """A contrast in plain words (the tables' first column, the figure's rows)."""
    title = titles.get(part, part)
    return {
        "base level": "base (every part off): level, not a difference",
        "alone": f"{title} alone − base",
        "together": "all parts together − base",
        "interaction": "interaction: together − base − Σ(each alone − base)",
        "main effect": f"{title}: main effect (mean over the others' combinations)",
    }[contrast]


def _decimals(values: list[float]) -> int:
    finite = [abs(v) for v in values if math.isfinite(v)]
    top = max(finite, default=0.0)
    return 0 if top >= 1000 else 1 if top >= 100 else 2 if top >= 1 else 3


def unit_text(outcome: str) -> str:
    """An outcome's title and unit as the tables and the figure show it (shares in percent,
    their differences in percentage points)."""
    lab = label(outcome)
    if lab.is_share:
        return f"{lab.title} ({lab.unit}; differences in percentage points)"
    return lab.text


def markdown(table: pd.DataFrame, dec: Decomposition) -> str:
    """One Markdown table per outcome: each contrast, ``effect [low, high]``."""
    titles = {p.name: p.title for p in dec.parts}
    out = []
    for outcome in dec.outcomes:
        rows = table[table["outcome"] == outcome]
        scale = label(outcome).scale
        values = (rows[["effect", "ci_low", "ci_high"]].to_numpy(dtype=float) * scale).tolist()
        d = _decimals([v for row in values for v in row])
        n = int(rows["n_seeds"].iloc[0]) if len(rows) else 0
        level = float(rows["level"].iloc[0]) if len(rows) else CONFIDENCE
        out += [
            f"### {unit_text(outcome)}, mean of years 1–{dec.years}",
            "",
            f"| contrast ({n} seeds) | effect [{level:.0%} interval] |",
            "|---|---|",
        ]
        for (_, r), (mean, low, high) in zip(rows.iterrows(), values, strict=True):
            sign = "" if r["contrast"] == "base level" else "+"

            def num(x: float, sign: str = sign, d: int = d) -> str:
                return "n/a" if not math.isfinite(x) else f"{x:{sign},.{d}f}"

            text = contrast_text(r["contrast"], r["part"], titles)
            out.append(f"| {text} | {num(mean)} [{num(low)}, {num(high)}] |")
        out.append("")
    return "\n".join(out)
