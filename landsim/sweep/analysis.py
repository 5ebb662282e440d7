"""Analysis of a finished (or partial) sweep: sensitivity indices, main effects, a summary.

* Sobol designs: first- and total-order indices (S1, ST; S2 if sampled) with bootstrap
  confidence intervals, from ``SALib.analyze.sobol`` on the saved design;
* Morris designs: mu* (with its confidence interval), mu and sigma, from
  ``SALib.analyze.morris`` on the saved sample matrix;
* every design: main effects — the mean outcome at each level of each factor (continuous
  factors in quintile bins) with a Student-t confidence interval over runs at ``conf_level``
  (truncated to the outcome's range, see :data:`landsim.compare.INTERVAL_METHOD`), the range of
  those means, and the share of run-to-run variance each factor's levels explain (eta squared).

Sensitivity indices use each design point's mean over its successful replicates; a point
without any successful run leaves its outcome unanalysed (and says so).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landsim.errors import UserError
from landsim.sweep.provenance import read_provenance
from landsim.sweep.store import load_runs

__all__ = ["Analysis", "analyze", "factor_levels", "main_effects", "steps", "ticking"]

#: continuous factors are cut into this many quantile bins for main effects and figures
BINS = 5


@dataclass
class Analysis:
    """Results of :func:`analyze`.

    Attributes:
        name: experiment name.
        kind: design kind.
        factors: factor keys.
        outcomes: outcomes analysed.
        runs: the successful runs (one row per run).
        indices: Sobol (S1, S1_conf, ST, ST_conf) or Morris (mu_star, mu_star_conf, mu, sigma)
            indices per outcome and factor; ``None`` for factorial and Latin designs.
        second_order: Sobol S2 per pair of factors, if the design sampled it.
        effects: main effects per outcome and factor: ``effect_range`` and ``variance_share``.
        levels: mean outcome per level of each factor, with ``ci_low``, ``ci_high`` (Student-t
            at ``conf_level``, truncated to the outcome's range) and ``n``.
        notes: remarks (failed runs, outcomes that could not be analysed).
        counts: runs planned, present, ok and failed.
    """

    name: str
    kind: str
    factors: list[str]
    outcomes: list[str]
    runs: pd.DataFrame
    indices: pd.DataFrame | None
    second_order: pd.DataFrame | None
    effects: pd.DataFrame
    levels: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    conf_level: float = 0.95

    def summary(self) -> str:
        """A short text summary: what drives each outcome most."""
        c = self.counts
        lines = [
            f"experiment {self.name}: {self.kind} design, {c['points']} points; "
            f"{c['ok']} runs ok, {c['failed']} failed, {c['missing']} not run "
            f"(of {c['planned']})"
        ]
        for outcome in self.outcomes:
            lines.append(f"- {outcome}: {self._outcome_sentence(outcome)}")
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def _outcome_sentence(self, outcome: str) -> str:
        if self.indices is not None and self.kind == "sobol":
            t = self.indices[self.indices["outcome"] == outcome]
            if t.empty:
                return "not analysed (see notes)"
            t = t.sort_values("ST", ascending=False)
            parts = [
                f"{r.factor} (ST {r.ST:.2f} +/- {r.ST_conf:.2f}, S1 {r.S1:.2f})"
                for r in t.head(3).itertuples()
            ]
            s1 = float(np.clip(t["S1"], 0, None).sum())
            text = "most sensitive to " + ", then ".join(parts)
            text += f"; sum of S1 = {s1:.2f}"
            if s1 < 0.8:
                text += " (interactions or noise carry the rest)"
            return text
        if self.indices is not None and self.kind == "morris":
            t = self.indices[self.indices["outcome"] == outcome]
            if t.empty:
                return "not analysed (see notes)"
            t = t.sort_values("mu_star", ascending=False)
            parts = []
            for r in t.head(3).itertuples():
                shape = "non-linear or interacting" if r.sigma > r.mu_star else "near-linear"
                parts.append(f"{r.factor} (mu* {r.mu_star:.3g}, sigma {r.sigma:.3g}; {shape})")
            return "most influential " + ", then ".join(parts)
        t = self.effects[self.effects["outcome"] == outcome].dropna(subset=["variance_share"])
        if t.empty:
            return "not analysed (see notes)"
        t = t.sort_values("variance_share", ascending=False)
        parts = []
        for r in t.head(3).itertuples():
            lv = self.levels[
                (self.levels["outcome"] == outcome) & (self.levels["factor"] == r.factor)
            ]
            lo, hi = lv.loc[lv["mean"].idxmin()], lv.loc[lv["mean"].idxmax()]
            parts.append(
                f"{r.factor} explains {r.variance_share:.0%} of the variance "
                f"(mean {lo['mean']:.3g} at {_label(lo['level'])} to {hi['mean']:.3g} at "
                f"{_label(hi['level'])})"
            )
        return "; ".join(parts)


def _label(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def analyze(
    root: str | Path,
    outcomes: list[str] | None = None,
    conf_level: float = 0.95,
    num_resamples: int = 1000,
    tick: Callable[[], None] | None = None,
) -> Analysis:
    """Analyse the sweep in ``root`` (see the module docstring).

    ``tick`` is called once the main effects are done and once after each outcome's
    sensitivity indices (a progress bar's ``update``; see :func:`steps`).

    Raises:
        UserError: ``root`` is not a sweep directory, or an outcome was not kept.
    """
    root = Path(root)
    prov = read_provenance(root)
    if prov is None:
        raise UserError(f"{root}: not a sweep directory (no provenance.json)")
    design_meta = prov["design"]
    kind = design_meta["kind"]
    factors = [f["key"] for f in design_meta["factors"]]
    kept = prov["experiment"].get("outcome_columns", prov["experiment"]["outcomes"])
    outcomes = list(outcomes) if outcomes else list(kept)
    missing = [o for o in outcomes if o not in kept]
    if missing:
        raise UserError(
            f"{root}: outcome {missing[0]!r} was not kept by this sweep; kept: {', '.join(kept)}"
        )
    all_runs = load_runs(root)
    design = pd.read_parquet(root / "design.parquet")
    n_points = int(design_meta["n_points"])
    planned = n_points * int(prov["experiment"]["replicates"])
    ok = all_runs[all_runs["status"] == "ok"]
    counts = {
        "points": n_points,
        "planned": planned,
        "ok": len(ok),
        "failed": int((all_runs["status"] != "ok").sum()),
        "missing": max(planned - len(all_runs), 0),
    }
    notes = []
    if counts["failed"]:
        first = all_runs.loc[all_runs["status"] != "ok", "error"].iloc[0]
        notes.append(f"{counts['failed']} runs failed (first error: {first})")
    if counts["missing"]:
        notes.append(f"{counts['missing']} runs have not run yet (resume the sweep)")

    levels, effects = main_effects(ok, design_meta["factors"], outcomes, conf_level)
    for f in design_meta["factors"]:
        if len(ok) and factor_levels(ok, f).nunique() < 2:
            notes.append(f"{f['key']} took one level only in these runs: it has no main effect")
    tick = tick or (lambda: None)
    tick()
    indices = second = None
    if kind in ("sobol", "morris"):
        indices, second, more = _salib(
            kind, design_meta, design, ok, outcomes, n_points, conf_level, num_resamples, tick
        )
        notes.extend(more)
    return Analysis(
        name=prov["experiment"]["name"],
        kind=kind,
        factors=factors,
        outcomes=outcomes,
        runs=ok,
        indices=indices,
        second_order=second,
        effects=effects,
        levels=levels,
        notes=notes,
        counts=counts,
        conf_level=conf_level,
    )


def factor_levels(runs: pd.DataFrame, factor: dict[str, Any], bins: int = BINS) -> pd.Series:
    """Each run's level of ``factor``.

    That is its value for listed levels, else the mean value of its quantile bin (so continuous
    factors plot on their own scale).
    """
    key = factor["key"]
    x = runs[key]
    if factor["levels"] is not None or x.nunique() <= bins:
        return x
    codes = pd.qcut(x, bins, labels=False, duplicates="drop")
    return x.groupby(codes).transform("mean")


def main_effects(
    runs: pd.DataFrame,
    factors: list[dict[str, Any]],
    outcomes: list[str],
    conf_level: float = 0.95,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Main effects: level means, their range and the variance they explain.

    Returns the mean outcome per factor level (with a Student-t interval over runs at
    ``conf_level``, truncated to the outcome's range), and per factor the range of level means
    and the share of variance between levels (eta squared); both are NaN for a factor that
    took one level only (it did not vary, so it has no effect to measure).
    """
    from landsim.intervals import bounded_interval
    from landsim.labels import label

    level_rows, effect_rows = [], []
    for f in factors:
        lv = factor_levels(runs, f) if len(runs) else pd.Series(dtype=float)
        order = list(f["levels"]) if f["levels"] is not None else sorted(lv.unique())
        for outcome in outcomes:
            y = runs[outcome]
            good = y.notna()
            if good.sum() < 2:
                continue
            g = y[good].groupby(lv[good])
            stats = g.agg(["mean", "std", "count"])
            bounds = label(outcome).bounds
            for level in order:
                if level not in stats.index:
                    continue
                values = y[good][(lv[good] == level).to_numpy()].to_numpy(dtype=float)
                m, low, high = bounded_interval(values, bounds, conf_level)
                level_rows.append(
                    {
                        "outcome": outcome,
                        "factor": f["key"],
                        "level": level,
                        "mean": m,
                        "ci_low": low,
                        "ci_high": high,
                        "n": int(values.size),
                    }
                )
            if len(stats) < 2:  # one level: the factor did not vary, so it has no effect to show
                share = effect = math.nan
            else:
                total = float(((y[good] - y[good].mean()) ** 2).sum())
                between = float((stats["count"] * (stats["mean"] - y[good].mean()) ** 2).sum())
                share = between / total if total > 0 else 0.0
                effect = float(stats["mean"].max() - stats["mean"].min())
            effect_rows.append(
                {
                    "outcome": outcome,
                    "factor": f["key"],
                    "effect_range": effect,
                    "variance_share": share,
                }
            )
    levels = pd.DataFrame(
        level_rows, columns=["outcome", "factor", "level", "mean", "ci_low", "ci_high", "n"]
    )
    effects = pd.DataFrame(
        effect_rows, columns=["outcome", "factor", "effect_range", "variance_share"]
    )
    return levels, effects


def steps(kind: str, outcomes: int) -> int:
    """How many times :func:`analyze` calls its ``tick``."""
    return 1 + (outcomes if kind in ("sobol", "morris") else 0)


def ticking(items: Iterable[Any], tick: Callable[[], None] | None) -> Iterator[Any]:
    """Each of ``items``, calling ``tick`` after the loop's body is done with it (also when
    the body moves on with ``continue``)."""
    for item in items:
        yield item
        if tick is not None:
            tick()


def _salib(kind, meta, design, ok, outcomes, n_points, conf_level, num_resamples, tick):
    problem = meta["problem"]
    seed = int(meta["seed"])
    means = ok.groupby("point")[outcomes].mean().reindex(range(n_points))
    rows, second, notes = [], [], []
    for outcome in ticking(outcomes, tick):
        y = means[outcome].to_numpy(dtype=float)
        if np.isnan(y).any():
            notes.append(
                f"{outcome}: {int(np.isnan(y).sum())} design points have no successful run; "
                f"{kind} indices need every point"
            )
            continue
        if np.ptp(y) == 0:
            notes.append(f"{outcome}: does not vary across the design; indices undefined")
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            if kind == "sobol":
                from SALib.analyze import sobol

                res = sobol.analyze(
                    problem,
                    y,
                    calc_second_order=bool(meta["second_order"]),
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    seed=seed,
                )
                for i, name in enumerate(problem["names"]):
                    rows.append(
                        {
                            "outcome": outcome,
                            "factor": name,
                            "S1": res["S1"][i],
                            "S1_conf": res["S1_conf"][i],
                            "ST": res["ST"][i],
                            "ST_conf": res["ST_conf"][i],
                        }
                    )
                if meta["second_order"]:
                    names = problem["names"]
                    for i in range(len(names)):
                        for j in range(i + 1, len(names)):
                            second.append(
                                {
                                    "outcome": outcome,
                                    "factor_a": names[i],
                                    "factor_b": names[j],
                                    "S2": res["S2"][i, j],
                                    "S2_conf": res["S2_conf"][i, j],
                                }
                            )
            else:
                from SALib.analyze import morris

                X = design[[f"x:{n}" for n in problem["names"]]].to_numpy(dtype=float)
                res = morris.analyze(
                    problem,
                    X,
                    y,
                    num_resamples=num_resamples,
                    conf_level=conf_level,
                    num_levels=int(meta["levels"]),
                    seed=seed,
                )
                for i, name in enumerate(problem["names"]):
                    rows.append(
                        {
                            "outcome": outcome,
                            "factor": name,
                            "mu_star": res["mu_star"][i],
                            "mu_star_conf": res["mu_star_conf"][i],
                            "mu": res["mu"][i],
                            "sigma": res["sigma"][i],
                        }
                    )
    cols = (
        ["outcome", "factor", "S1", "S1_conf", "ST", "ST_conf"]
        if kind == "sobol"
        else ["outcome", "factor", "mu_star", "mu_star_conf", "mu", "sigma"]
    )
    indices = pd.DataFrame(rows, columns=cols)
    s2 = pd.DataFrame(second) if second else None
    return indices, s2, notes
