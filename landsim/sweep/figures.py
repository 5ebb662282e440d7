"""Figures and files of a sweep analysis (``DIR/analysis/``).

* ``main_effects_OUTCOME.png`` — mean outcome at each level of each factor, with its interval
  (ordered factors as a line, categories as separate points);
* ``interactions_OUTCOME.png`` — for each pair of factors, the outcome at each level of one
  factor, one series per level of the other: lines when the first factor is ordered
  (parallel lines: no interaction), grouped points with error bars when it is categorical;
* ``sobol_OUTCOME.png`` / ``morris_OUTCOME.png`` — the sensitivity indices;
* ``indices.csv``, ``second_order.csv``, ``main_effects.csv``, ``levels.csv``, ``summary.txt``.

Titles, units and factor names come from :mod:`landsim.labels`; styles and y axes from
:mod:`landsim.figures` (zero included unless that flattens the data, and then said).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from landsim.figures import new_figure, series_style, value_axis
from landsim.files import atomic_path, write_text_atomic
from landsim.labels import factor_label, label
from landsim.sweep.analysis import Analysis, factor_levels, ticking

__all__ = ["write_analysis"]

#: at most this many factor pairs in an interaction figure
MAX_PAIRS = 6


def write_analysis(
    analysis: Analysis,
    factors: list[dict],
    out: Path,
    figures: bool = True,
    tick: Callable[[], None] | None = None,
):
    """Write tables, the summary and (optionally) figures to ``out``; return the paths.

    ``tick`` is called after each outcome's figures (a progress bar's ``update``).
    """
    out.mkdir(parents=True, exist_ok=True)
    paths = []

    def save_csv(df: pd.DataFrame | None, name: str) -> None:
        if df is not None and not df.empty:
            with atomic_path(out / name) as tmp:  # a new file: never through a link
                df.to_csv(tmp, index=False)
            paths.append(out / name)

    save_csv(analysis.indices, "indices.csv")
    save_csv(analysis.second_order, "second_order.csv")
    save_csv(analysis.effects, "main_effects.csv")
    save_csv(analysis.levels, "levels.csv")
    write_text_atomic(out / "summary.txt", analysis.summary() + "\n")
    paths.append(out / "summary.txt")
    if not figures or analysis.runs.empty:
        return paths

    for outcome in ticking(analysis.outcomes, tick):
        safe = outcome.replace("/", "_").replace(":", "_")
        fig = _main_effects(analysis, outcome)
        paths.append(_save(fig, out / f"main_effects_{safe}.png"))
        if len(factors) >= 2:
            fig = _interactions(analysis, factors, outcome)
            paths.append(_save(fig, out / f"interactions_{safe}.png"))
        if analysis.indices is not None:
            t = analysis.indices[analysis.indices["outcome"] == outcome]
            if not t.empty:
                fig = _sobol(t, outcome) if analysis.kind == "sobol" else _morris(t, outcome)
                paths.append(_save(fig, out / f"{analysis.kind}_{safe}.png"))
    return paths


def _save(fig, path: Path) -> Path:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")
    return path


def _grid(n: int, width: float = 4.2, height: float = 3.4):
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, _ = new_figure(width * cols, height * rows + 0.6)
    axes = fig.subplots(rows, cols, squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _is_numeric(values) -> bool:
    return all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in values
    )


def _level_text(v) -> str:
    return f"{v:.3g}" if isinstance(v, float) else str(v)


def _finish_value_axis(ax, outcome: str, lo: np.ndarray, hi: np.ndarray, x_text: str) -> None:
    """Y axis from the outcome's label; the x label carries any zoom note."""
    finite = np.concatenate([lo, hi])
    finite = finite[np.isfinite(finite)]
    note = value_axis(ax, outcome, *(finite.min(), finite.max()) if finite.size else (0, 1))
    ax.set_xlabel(x_text + (f"\n{note}" if note else ""), fontsize=9)
    ax.grid(alpha=0.3)


def _main_effects(analysis: Analysis, outcome: str):
    fig, axes = _grid(len(analysis.factors))
    lab = label(outcome)
    lv = analysis.levels[analysis.levels["outcome"] == outcome]
    # one y range for every panel, so that the size of each factor's effect compares at a glance
    every_lo = lv["ci_low"].fillna(lv["mean"]).to_numpy(dtype=float) * lab.scale
    every_hi = lv["ci_high"].fillna(lv["mean"]).to_numpy(dtype=float) * lab.scale
    for ax, key in zip(axes, analysis.factors, strict=True):
        t = lv[lv["factor"] == key]
        y, lo, hi = (t[c].to_numpy(dtype=float) * lab.scale for c in ("mean", "ci_low", "ci_high"))
        err = np.vstack([y - lo, hi - y])
        style = series_style(0, len(t))
        style.pop("markevery")
        if _is_numeric(list(t["level"])):
            x = t["level"].to_numpy(dtype=float)
            ax.errorbar(x, y, yerr=err, capsize=3, **style)
        else:
            x = np.arange(len(t))
            style["linestyle"] = "none"
            ax.errorbar(x, y, yerr=err, capsize=4, **style)
            ax.set_xticks(x, [str(v) for v in t["level"]], rotation=15, ha="right", fontsize=8)
            ax.set_xlim(-0.5, len(t) - 0.5)
        _finish_value_axis(ax, outcome, every_lo, every_hi, factor_label(key))
        ax.set_title("")
    fig.suptitle(
        f"{lab.text}: mean at each level of each factor, "
        f"{analysis.conf_level:.0%} t-interval over runs (same y axis in every panel)",
        fontsize=10,
    )
    return fig


def _cell_intervals(y: pd.Series, a: pd.Series, b: pd.Series, level: float, bounds):
    from landsim.intervals import bounded_interval

    rows = {}
    for (va, vb), g in y.groupby([a, b]):
        rows[(va, vb)] = bounded_interval(g.dropna().to_numpy(dtype=float), bounds, level)
    return rows


def _interactions(analysis: Analysis, factors: list[dict], outcome: str):
    pairs = list(itertools.combinations(factors, 2))[:MAX_PAIRS]
    fig, axes = _grid(len(pairs), width=4.8, height=3.6)
    runs = analysis.runs
    lab = label(outcome)
    for ax, (fa, fb) in zip(axes, pairs, strict=True):
        a = factor_levels(runs, fa)
        b = factor_levels(runs, fb, bins=3)
        cells = _cell_intervals(runs[outcome], a, b, analysis.conf_level, lab.bounds)
        order_a = list(fa["levels"]) if fa["levels"] is not None else sorted(a.unique())
        order_a = [v for v in order_a if v in set(a)]
        order_b = list(fb["levels"]) if fb["levels"] is not None else sorted(b.unique())
        order_b = [v for v in order_b if v in set(b)]
        numeric = _is_numeric(order_a)
        base = np.asarray(order_a, dtype=float) if numeric else np.arange(len(order_a), dtype=float)
        width = 0.6 if not numeric else 0.0
        lows, highs = [], []
        for j, vb in enumerate(order_b):
            m, lo, hi = (
                np.array([cells.get((va, vb), (np.nan,) * 3)[k] for va in order_a]) * lab.scale
                for k in range(3)
            )
            lows.append(lo)
            highs.append(hi)
            shift = (j - (len(order_b) - 1) / 2) * width / max(len(order_b), 1)
            style = series_style(j, len(order_a))
            style.pop("markevery")
            if not numeric:
                style["linestyle"] = "none"  # categories have no order: no lines between them
            ax.errorbar(
                base + shift,
                m,
                yerr=np.vstack([m - lo, hi - m]),
                capsize=3,
                label=_level_text(vb),
                **style,
            )
        if not numeric:
            ax.set_xticks(base, [str(v) for v in order_a], rotation=15, ha="right", fontsize=8)
            ax.set_xlim(-0.5, len(order_a) - 0.5)
        _finish_value_axis(ax, outcome, np.concatenate(lows), np.concatenate(highs), "")
        ax.set_xlabel(factor_label(fa["key"]) + ax.get_xlabel(), fontsize=9)
        ax.set_title(f"by {factor_label(fb['key'])}", fontsize=9)
        ax.legend(
            title=factor_label(fb["key"]),
            fontsize=7,
            title_fontsize=7,
            loc="upper left",
            bbox_to_anchor=(1.01, 1.0),
            frameon=False,
        )
    fig.suptitle(
        f"{lab.text}: interactions (mean and {analysis.conf_level:.0%} t-interval over runs; "
        "parallel series mean no interaction)",
        fontsize=10,
    )
    return fig


def _sobol(t: pd.DataFrame, outcome: str):
    fig, _ = new_figure(max(5.0, 1.3 * len(t) + 2.0), 4.0)
    ax = fig.subplots()
    x = np.arange(len(t))
    ax.bar(x - 0.2, t["S1"], 0.4, yerr=t["S1_conf"], capsize=3, label="first order S1")
    ax.bar(x + 0.2, t["ST"], 0.4, yerr=t["ST_conf"], capsize=3, label="total order ST", hatch="//")
    names = [factor_label(k) for k in t["factor"]]
    ax.set_xticks(x, names, rotation=20, ha="right", fontsize=8)
    ax.set_ylabel("share of output variance")
    top = float(np.nanmax(t["ST"] + t["ST_conf"])) if len(t) else 1.0
    ax.set_ylim(min(0.0, float(np.nanmin(t["S1"] - t["S1_conf"]))), max(1.0, top * 1.05))
    ax.axhline(0, color="#555", lw=0.8)
    ax.set_title(f"Sobol indices (with confidence intervals)\n{label(outcome).text}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    return fig


def _morris(t: pd.DataFrame, outcome: str):
    fig, _ = new_figure(6.5, 4.6)
    ax = fig.subplots()
    lab = label(outcome)
    unit = f" ({lab.unit})" if lab.unit and not lab.is_share else ""
    ax.errorbar(t["mu_star"], t["sigma"], xerr=t["mu_star_conf"], marker="o", linestyle="none")
    for r in t.itertuples():
        ax.annotate(
            factor_label(r.factor),
            (r.mu_star, r.sigma),
            fontsize=7,
            xytext=(4, 4),
            textcoords="offset points",
        )
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.set_xlabel(f"mu*: mean |elementary effect|{unit}")
    ax.set_ylabel(f"sigma: spread of effects{unit}")
    ax.set_title(f"Morris screening\n{lab.text}", fontsize=10)
    ax.grid(alpha=0.3)
    return fig
