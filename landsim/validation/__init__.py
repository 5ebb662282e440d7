"""Pattern-oriented validation: the levels and patterns a credible town reproduces.

What to check is data, not code: ``patterns.toml`` beside this module declares

* **runs** — the bundled scenarios plus *variants* (a scenario with a few keys changed, e.g.
  no out-migration) that some checks need;
* **levels** — a quantity of one run with its sourced range (``hilly abandonment at year 30 in
  10-20 %``);
* **patterns** — the eight patterns of docs/validation.md, each with one or more *checks*
  that compare two measures paired by replicate seed (every run of a replicate uses the same
  seed: common random numbers), and the mechanism that produces it.

A *measure* is the mean of one outcome column over some years of one run, per replicate; a
check's statistic is ``a - b`` (``kind = "diff"``) or ``a / b - 1`` (``kind = "ratio"``) with a
t-based confidence interval over replicates; ``b`` may be a number. A check holds when the whole
interval lies on the stated side of ``threshold``.

Parts: :func:`load_spec`, :func:`run_all` (the runs, through any ``map``) and :func:`evaluate`
(tables as DataFrames); :mod:`landsim.validation.tables` prints them
(:func:`~landsim.validation.tables.format_tables`). ``python -m landsim.validation`` prints the
tables for the bundled model.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from scipy import stats

from landsim import bundled
from landsim.errors import UserError
from landsim.metrics import METRICS
from landsim.runner import RunSpec, replicate_seeds, run
from landsim.scenario import load_scenario, set_key
from landsim.tomlio import read_toml

__all__ = [
    "SIZES",
    "Spec",
    "SpecError",
    "ROOT_SEED",
    "load_spec",
    "run_key",
    "run_specs",
    "horizon",
    "run_all",
    "evaluate",
    "levels_size",
    "SPEC_FILE",
]

SPEC_FILE = Path(__file__).with_name("patterns.toml")
#: root of the replicate seeds (replicate i has the same seed in every run and size)
ROOT_SEED = 20190101

#: world sizes the patterns must hold at: a town of four villages, the default town of six, a
#: large town of 24 (villages keep 500 plots and 100 households: the start-up grant is a fixed
#: sum per co-op, so much smaller villages would all find founding worthwhile)
SIZES: dict[str, dict[str, int]] = {
    "S": {
        "width": 50,
        "height": 40,
        "villages_x": 2,
        "villages_y": 2,
        "households_per_village": 100,
    },
    "D": {},
    "L": {
        "width": 120,
        "height": 100,
        "villages_x": 6,
        "villages_y": 4,
        "households_per_village": 100,
    },
}


@dataclass(frozen=True)
class Measure:
    """Mean of ``column`` over ``years`` of run ``run`` (per replicate), or a constant."""

    run: str | None
    column: str | None
    years: tuple[int, ...]
    value: float | None = None

    @classmethod
    def parse(cls, raw: Any) -> Measure:
        """From a TOML table ``{run, column, years}`` or a number."""
        if isinstance(raw, int | float):
            return cls(None, None, (), float(raw))
        years = raw.get("years", "all")
        yrs = () if years == "all" else tuple(int(y) for y in years)
        return cls(str(raw["run"]), str(raw["column"]), yrs)

    def per_replicate(self, df: pd.DataFrame) -> pd.Series:
        """One value per replicate (indexed by replicate)."""
        if self.value is not None:
            reps = sorted(df["replicate"].unique())
            return pd.Series(self.value, index=reps)
        sel = df[df["run"] == self.run]
        if self.years:
            sel = sel[sel["year"].isin(self.years)]
        else:  # "all" years are the simulated ones: year 0 is the initial state
            sel = sel[sel["year"] >= 1]
        return sel.groupby("replicate")[self.column].mean()

    def describe(self) -> str:
        """Short human description."""
        if self.value is not None:
            return f"{self.value:g}"
        yrs = "all years" if not self.years else _years(self.years)
        return f"{self.run}.{self.column} ({yrs})"


@dataclass(frozen=True)
class Check:
    """``a`` compared with ``b``: statistic ``a - b`` or ``a / b - 1`` against ``threshold``."""

    a: Measure
    b: Measure | None
    kind: str
    side: str  # "above" or "below" the threshold
    threshold: float
    label: str


@dataclass(frozen=True)
class Level:
    """A sourced quantity: its measure, the range it must fall in, unit and source."""

    name: str
    check: Check
    low: float
    high: float
    unit: str
    source: str
    known_gap: str = ""


@dataclass(frozen=True)
class Pattern:
    """One of the patterns of docs/validation.md: its checks and the mechanism behind it."""

    id: int
    name: str
    mechanism: str
    checks: tuple[Check, ...]


@dataclass(frozen=True)
class Spec:
    """Everything to run and check.

    Attributes:
        runs: run name -> (scenario file, dotted keys the variant changes).
        levels: the sourced levels, checked at ``level_size``.
        patterns: the patterns, checked at every size run.
        years: years of every run.
        level_size: the world size the levels are read at (``D``, the default town).
        title: the file's title.
        path: the file it came from.
    """

    runs: dict[str, tuple[str, dict[str, Any]]]
    levels: tuple[Level, ...]
    patterns: tuple[Pattern, ...]
    years: int
    level_size: str = "D"
    title: str = ""
    path: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class SpecError(UserError):
    """A patterns file breaks a rule: one line per problem, naming the file, key and rule."""


class _MeasureIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    run: str
    column: str
    years: list[int] | Literal["all"] = "all"


class _CheckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    label: str = ""
    a: _MeasureIn | float
    b: _MeasureIn | float | None = None
    kind: Literal["diff", "ratio"] = "diff"
    side: Literal["above", "below"] = "above"
    threshold: float = 0.0


class _LevelIn(_CheckIn):
    name: str
    range: tuple[float, float]
    unit: str = ""
    source: str = ""
    known_gap: str = ""


class _PatternIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: int
    name: str
    mechanism: str = ""
    check: list[_CheckIn] = Field(min_length=1)


class _VariantIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    scenario: str
    set: dict[str, Any] = {}


class _SpecIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = ""
    years: int = Field(30, ge=1)
    level_size: Literal["S", "D", "L"] = "D"
    scenarios: list[str] = []
    variant: list[_VariantIn] = []
    level: list[_LevelIn] = []
    pattern: list[_PatternIn] = []


def _check(raw: _CheckIn, label: str = "") -> Check:
    def measure(m: _MeasureIn | float | None) -> Measure | None:
        if m is None:
            return None
        if isinstance(m, int | float):
            return Measure(None, None, (), float(m))
        yrs = () if m.years == "all" else tuple(m.years)
        return Measure(m.run, m.column, yrs)

    a = measure(raw.a)
    assert a is not None
    return Check(a, measure(raw.b), raw.kind, raw.side, raw.threshold, raw.label or label)


def _pydantic_lines(shown: str, err: ValidationError) -> list[str]:
    lines = []
    for e in err.errors():
        loc = []
        for part in e["loc"]:
            if isinstance(part, int):
                loc[-1] = f"{loc[-1]}[{part + 1}]" if loc else f"[{part + 1}]"
            elif part not in ("float", "_MeasureIn", "tuple[float, float]", "list[int]"):
                loc.append(str(part))
        key = ".".join(loc) or "(top level)"
        rule = (
            "unknown key" if e["type"] == "extra_forbidden" else e["msg"][0].lower() + e["msg"][1:]
        )
        value = "" if e["type"] == "missing" else f" (got {e['input']!r})"
        lines.append(f"{shown}: {key}: {rule}{value if e['type'] != 'extra_forbidden' else ''}")
    return list(dict.fromkeys(lines))


def _scenario_path(name: str, base: Path) -> Path:
    """A run's scenario: a file beside the patterns file, else a bundled scenario of that name."""
    here = base / (name if name.endswith(".toml") else f"{name}.toml")
    return here if here.is_file() else bundled.resolve(name, "scenarios")


def load_spec(path: str | Path = SPEC_FILE) -> Spec:
    """Read and check a patterns file (see ``patterns.toml`` for the format).

    Raises:
        SpecError: one line per problem: the file, the key (``level[3].range``) and the rule.
    """
    path = Path(path)
    shown = str(path)
    _, raw = read_toml(path, shown, "patterns file", SpecError)
    try:
        data = _SpecIn.model_validate(raw)
    except ValidationError as err:
        raise SpecError("\n".join(_pydantic_lines(shown, err))) from None
    problems: list[str] = []
    runs: dict[str, tuple[str, dict[str, Any]]] = {}
    for i, name in enumerate(data.scenarios):
        scen = _scenario_path(name, path.parent)
        if not scen.is_file():
            problems.append(f"{shown}: scenarios[{i + 1}]: no scenario {name!r} (file or bundled)")
        runs[name] = (str(scen), {})
    for i, v in enumerate(data.variant):
        scen = _scenario_path(v.scenario, path.parent)
        where = f"{shown}: variant[{i + 1}]"
        if v.name in runs:
            problems.append(f"{where}.name: run {v.name!r} is declared twice")
        if not scen.is_file():
            problems.append(f"{where}.scenario: no scenario {v.scenario!r} (file or bundled)")
        else:
            params = load_scenario(scen).params
            for key, value in v.set.items():
                try:
                    params = set_key(params, key, value)
                except UserError as err:
                    problems.append(f"{where}.set: {err}")
        runs[v.name] = (str(scen), dict(v.set))
    known = set(METRICS)

    def check_measures(where: str, c: _CheckIn) -> None:
        for side in ("a", "b"):
            m = getattr(c, side)
            if not isinstance(m, _MeasureIn):
                continue
            if m.run not in runs:
                problems.append(
                    f"{where}.{side}.run: {m.run!r} is not a run (declared: "
                    f"{', '.join(runs) or 'none'})"
                )
            if m.column not in known:
                problems.append(
                    f"{where}.{side}.column: {m.column!r} is not an outcome column"
                    f"{_did_you_mean(m.column, known)}"
                )
            if m.years != "all" and any(y < 1 or y > data.years for y in m.years):
                problems.append(f"{where}.{side}.years: years must lie in 1-{data.years}")

    for i, lv in enumerate(data.level):
        check_measures(f"{shown}: level[{i + 1}]", lv)
        if lv.range[0] > lv.range[1]:
            problems.append(
                f"{shown}: level[{i + 1}].range: low {lv.range[0]:g} above high {lv.range[1]:g}"
            )
    for i, p in enumerate(data.pattern):
        for j, c in enumerate(p.check):
            check_measures(f"{shown}: pattern[{i + 1}].check[{j + 1}]", c)
    names = [lv.name for lv in data.level]
    for name in {n for n in names if names.count(n) > 1}:
        problems.append(f"{shown}: level: name {name!r} is declared twice")
    if problems:
        raise SpecError("\n".join(problems))
    levels = tuple(
        Level(
            name=lv.name,
            check=_check(lv, lv.name),
            low=lv.range[0],
            high=lv.range[1],
            unit=lv.unit,
            source=lv.source,
            known_gap=lv.known_gap,
        )
        for lv in data.level
    )
    patterns = tuple(
        Pattern(
            id=p.id, name=p.name, mechanism=p.mechanism, checks=tuple(_check(c) for c in p.check)
        )
        for p in data.pattern
    )
    return Spec(
        runs=runs,
        levels=levels,
        patterns=patterns,
        years=data.years,
        level_size=data.level_size,
        title=data.title,
        path=path,
    )


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, sorted(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def run_key(size: str, run_name: str, replicate: int) -> str:
    """The identity of one run of a validation: ``D/baseline/3``."""
    return f"{size}/{run_name}/{replicate}"


def run_specs(
    spec: Spec,
    sizes: Iterable[str],
    seeds: int,
    scenario_dir: Path | None = None,
    root_seed: int = ROOT_SEED,
    changes: dict[str, Any] | None = None,
    only: Iterable[str] | None = None,
) -> list[RunSpec]:
    """One :class:`RunSpec` per (size, run, replicate); replicate ``i`` has the same seed in
    every run (common random numbers).

    Args:
        spec: what to run.
        sizes: world sizes (keys of :data:`SIZES`).
        seeds: replicates per run.
        scenario_dir: where the scenarios are (default: as the spec resolved them).
        root_seed: root of the replicate seeds.
        changes: dotted keys set in every run before the size and the variant's own keys
            (a calibration's candidate parameters).
        only: run names to keep (default: all).

    Returns:
        The specs, tagged ``size``, ``run``, ``replicate`` and ``key`` (:func:`run_key`).
    """
    reps = replicate_seeds(root_seed, seeds)
    keep = set(spec.runs) if only is None else set(only)
    out = []
    for size in sizes:
        for name, (scenario, variant) in spec.runs.items():
            if name not in keep:
                continue
            path = Path(scenario) if scenario_dir is None else scenario_dir / f"{scenario}.toml"
            if scenario_dir is not None and not path.is_file():
                path = Path(spec.runs[name][0])
            params = load_scenario(path).params
            for key, value in {**(changes or {}), **_size_keys(size), **variant}.items():
                params = set_key(params, key, value)
            data = params.model_dump(mode="json")
            for i, seed in enumerate(reps):
                tags = {"size": size, "run": name, "replicate": i, "key": run_key(size, name, i)}
                out.append(RunSpec(data, seed, years=horizon(spec, name), tags=tags))
    return out


def horizon(spec: Spec, run: str) -> int:
    """The years ``run`` has to simulate: the last year any level or pattern check of ``spec``
    reads from it, or ``spec.years`` when one reads all its years (or none reads it). A run
    ends there: the years before do not depend on the horizon, so a check's numbers are the
    same, and the response checks of years 1-10 cost a third of a 30-year run."""
    last = 0
    checks = [lv.check for lv in spec.levels] + [c for p in spec.patterns for c in p.checks]
    for check in checks:
        for m in (check.a, check.b):
            if m is None or m.run != run:
                continue
            if not m.years:
                return spec.years
            last = max(last, *m.years)
    return min(last, spec.years) if last else spec.years


def _size_keys(size: str) -> dict[str, Any]:
    return {f"world.{k}": v for k, v in SIZES[size].items()}


def run_all(
    spec: Spec,
    sizes: Iterable[str],
    seeds: int,
    scenario_dir: Path | None = None,
    mapper: Callable = map,
) -> pd.DataFrame:
    """Yearly outcomes of every run (``mapper`` may be a pool's ``map``)."""
    return pd.concat(list(mapper(run, run_specs(spec, sizes, seeds, scenario_dir))))


def _years(years: tuple[int, ...]) -> str:
    if len(years) > 1 and years == tuple(range(years[0], years[-1] + 1)):
        return f"years {years[0]}-{years[-1]}"
    return "year " + ", ".join(str(y) for y in years)


def _statistic(check: Check, df: pd.DataFrame) -> tuple[float, float, float, int]:
    """Mean statistic over replicates with its 95 % t interval, and n."""
    a = check.a.per_replicate(df)
    if check.b is None:
        x = a
    else:
        b = check.b.per_replicate(df).reindex(a.index)
        x = a - b if check.kind == "diff" else a / b.where(b != 0) - 1.0
    x = x.replace([np.inf, -np.inf], np.nan).dropna()
    n = int(x.size)
    if n == 0:
        return math.nan, math.nan, math.nan, 0
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan, n
    half = float(stats.t.ppf(0.975, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half, n


def _level_statistic(check: Check, df: pd.DataFrame) -> tuple[float, float, float, int]:
    """A level's value: the mean of ``a`` (or ``a - b``), or for ``kind = "ratio"`` the ratio
    of the means ``mean(a) / mean(b) - 1`` (a ratio of small per-replicate numbers is too
    noisy to average), with a percentile bootstrap interval over replicates (2,000 resamples,
    fixed seed)."""
    if check.kind != "ratio" or check.b is None:
        return _statistic(check, df)
    a = check.a.per_replicate(df)
    b = check.b.per_replicate(df).reindex(a.index)
    ok = a.notna() & b.notna()
    a, b = a[ok].to_numpy(), b[ok].to_numpy()
    n = a.size
    if n == 0 or b.mean() == 0:
        return math.nan, math.nan, math.nan, n
    value = float(a.mean() / b.mean() - 1.0)
    rng = np.random.default_rng(0)
    idx = rng.integers(0, n, size=(2000, n))
    den = b[idx].mean(axis=1)
    boot = a[idx].mean(axis=1) / np.where(den == 0, np.nan, den) - 1.0
    lo, hi = np.nanpercentile(boot, [2.5, 97.5])
    return value, float(lo), float(hi), n


def _holds(check: Check, lo: float, hi: float) -> bool:
    if math.isnan(lo):
        return False
    return lo > check.threshold if check.side == "above" else hi < check.threshold


def _underpowered(check: Check, mean: float, lo: float, hi: float) -> bool:
    """A failing check whose mean effect lies on the expected side of its threshold while its
    interval reaches across it: more replicates may settle it either way."""
    if math.isnan(lo) or _holds(check, lo, hi):
        return False
    return mean > check.threshold if check.side == "above" else mean < check.threshold


def levels_size(spec: Spec, sizes: Iterable[str]) -> str:
    """The world size the levels are read at: the spec's ``level_size`` when it ran, else the
    largest size that ran."""
    ran = [s for s in SIZES if s in set(sizes)]
    if not ran or spec.level_size in ran:
        return spec.level_size
    return ran[-1]


def evaluate(spec: Spec, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The patterns table (one row per check and size) and the levels table (at the spec's
    level size when it ran, else the largest size that ran: :func:`levels_size`; its ``size``
    column says which)."""
    rows = []
    for pat in spec.patterns:
        for check in pat.checks:
            for size in sorted(df["size"].unique(), key=list(SIZES).index):
                mean, lo, hi, n = _statistic(check, df[df["size"] == size])
                rows.append(
                    {
                        "pattern": pat.id,
                        "name": pat.name,
                        "check": check.label,
                        "size": size,
                        "effect": mean,
                        "ci_low": lo,
                        "ci_high": hi,
                        "n": n,
                        "threshold": f"{'>' if check.side == 'above' else '<'} {check.threshold:g}",
                        "holds": _holds(check, lo, hi),
                        "underpowered": _underpowered(check, mean, lo, hi),
                    }
                )
    patterns = pd.DataFrame(rows)
    lrows = []
    at = levels_size(spec, set(df["size"]))
    sel = df[df["size"] == at]
    for lv in spec.levels:
        mean, lo, hi, n = _level_statistic(lv.check, sel)
        lrows.append(
            {
                "quantity": lv.name,
                "value": mean,
                "ci_low": lo,
                "ci_high": hi,
                "n": n,
                "low": lv.low,
                "high": lv.high,
                "unit": lv.unit,
                "source": lv.source,
                "inside": bool(lv.low <= mean <= lv.high) if not math.isnan(mean) else False,
                "known_gap": lv.known_gap,
                "size": at,
            }
        )
    return patterns, pd.DataFrame(lrows)
