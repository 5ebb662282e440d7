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

Parts: :func:`load_spec`, :func:`run_all` (the runs, through any ``map``), :func:`evaluate`
(tables as DataFrames) and :func:`format_tables`. ``python -m landsim.validation`` prints the
tables for the bundled model.
"""

from __future__ import annotations

import math
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from landsim.runner import RunSpec, replicate_seeds, run
from landsim.scenario import load_scenario, set_key

__all__ = [
    "SIZES",
    "Spec",
    "load_spec",
    "run_specs",
    "run_all",
    "evaluate",
    "format_tables",
    "SPEC_FILE",
]

SPEC_FILE = Path(__file__).with_name("patterns.toml")

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
    """Everything to run and check."""

    runs: dict[str, tuple[str, dict[str, Any]]]
    levels: tuple[Level, ...]
    patterns: tuple[Pattern, ...]
    years: int
    level_size: str = "D"
    extra: dict[str, Any] = field(default_factory=dict)


def _check(raw: dict[str, Any], label: str = "") -> Check:
    b = raw.get("b")
    return Check(
        a=Measure.parse(raw["a"]),
        b=None if b is None else Measure.parse(b),
        kind=raw.get("kind", "diff"),
        side=raw.get("side", "above"),
        threshold=float(raw.get("threshold", 0.0)),
        label=raw.get("label", label),
    )


def load_spec(path: str | Path = SPEC_FILE) -> Spec:
    """Read a patterns file (see ``patterns.toml`` for the format)."""
    raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    runs: dict[str, tuple[str, dict[str, Any]]] = {}
    for name in raw.get("scenarios", []):
        runs[name] = (name, {})
    for v in raw.get("variant", []):
        runs[v["name"]] = (v["scenario"], dict(v.get("set", {})))
    levels = tuple(
        Level(
            name=lv["name"],
            check=_check(lv, lv["name"]),
            low=float(lv["range"][0]),
            high=float(lv["range"][1]),
            unit=lv.get("unit", ""),
            source=lv.get("source", ""),
            known_gap=lv.get("known_gap", ""),
        )
        for lv in raw.get("level", [])
    )
    patterns = tuple(
        Pattern(
            id=int(p["id"]),
            name=p["name"],
            mechanism=p.get("mechanism", ""),
            checks=tuple(_check(c) for c in p.get("check", [])),
        )
        for p in raw.get("pattern", [])
    )
    return Spec(runs=runs, levels=levels, patterns=patterns, years=int(raw.get("years", 30)))


def run_specs(
    spec: Spec,
    sizes: Iterable[str],
    seeds: int,
    scenario_dir: Path,
    root_seed: int = 20190101,
) -> list[RunSpec]:
    """One :class:`RunSpec` per (size, run, replicate); replicate ``i`` has the same seed in
    every run (common random numbers)."""
    reps = replicate_seeds(root_seed, seeds)
    out = []
    for size in sizes:
        for name, (scenario, changes) in spec.runs.items():
            params = load_scenario(scenario_dir / f"{scenario}.toml").params
            for key, value in {**_size_keys(size), **changes}.items():
                params = set_key(params, key, value)
            data = params.model_dump(mode="json")
            for i, seed in enumerate(reps):
                tags = {"size": size, "run": name, "replicate": i}
                out.append(RunSpec(data, seed, years=spec.years, tags=tags))
    return out


def _size_keys(size: str) -> dict[str, Any]:
    return {f"world.{k}": v for k, v in SIZES[size].items()}


def run_all(
    spec: Spec,
    sizes: Iterable[str],
    seeds: int,
    scenario_dir: Path,
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


def evaluate(spec: Spec, df: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The patterns table (one row per check and size) and the levels table (at the spec's
    level size)."""
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
                    }
                )
    patterns = pd.DataFrame(rows)
    lrows = []
    sel = df[df["size"] == spec.level_size] if spec.level_size in set(df["size"]) else df
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
            }
        )
    return patterns, pd.DataFrame(lrows)


def format_tables(patterns: pd.DataFrame, levels: pd.DataFrame) -> str:
    """Both tables as aligned text."""
    lines = ["Levels (default town)", ""]
    lines.append(f"{'quantity':<52}{'model [95% CI]':<30}{'range':<18}{'inside':<8}source")
    for r in levels.itertuples():
        val = f"{_fmt(r.value)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}]"
        rng = f"{_fmt(r.low)}-{_fmt(r.high)}"
        inside = "yes" if r.inside else ("NO*" if r.known_gap else "NO")
        lines.append(f"{r.quantity[:51]:<52}{val:<30}{rng:<18}{inside:<8}{r.source}")
    gaps = [r for r in levels.itertuples() if r.known_gap and not r.inside]
    for r in gaps:
        lines.append(f"  * known gap, {r.quantity}: {r.known_gap}")
    lines += ["", "Patterns (paired over replicates; effect [95% CI])", ""]
    sizes = [s for s in SIZES if s in set(patterns["size"])]
    head = f"{'pattern / check':<64}" + "".join(f"{s:<30}" for s in sizes)
    lines.append(head)
    for (pid, check), g in patterns.groupby(["pattern", "check"], sort=False):
        cells = []
        for s in sizes:
            r = g[g["size"] == s].iloc[0]
            mark = "holds" if r.holds else "FAILS"
            cells.append(f"{_fmt(r.effect)} [{_fmt(r.ci_low)}, {_fmt(r.ci_high)}] {mark}")
        label = f"{pid}. {check}"
        lines.append(f"{label[:63]:<64}" + "".join(f"{c:<30}" for c in cells))
    return "\n".join(lines)


def _fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3f}"
