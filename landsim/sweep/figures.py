"""Figures and files of a sweep analysis (``DIR/analysis/``).

* ``main_effects_OUTCOME.png`` — mean outcome at each level of each factor, with 95% CIs;
* ``interactions_OUTCOME.png`` — for each pair of factors, the outcome against one factor with
  one line per level of the other (parallel lines: no interaction);
* ``sobol_OUTCOME.png`` / ``morris_OUTCOME.png`` — the sensitivity indices;
* ``indices.csv``, ``second_order.csv``, ``main_effects.csv``, ``levels.csv``, ``summary.txt``.
"""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pandas as pd

from landsim.sweep.analysis import Analysis, factor_levels

__all__ = ["write_analysis"]

#: at most this many factor pairs in an interaction figure
MAX_PAIRS = 6


def write_analysis(analysis: Analysis, factors: list[dict], out: Path, figures: bool = True):
    """Write tables, the summary and (optionally) figures to ``out``; return the paths."""
    out.mkdir(parents=True, exist_ok=True)
    paths = []

    def save_csv(df: pd.DataFrame | None, name: str) -> None:
        if df is not None and not df.empty:
            df.to_csv(out / name, index=False)
            paths.append(out / name)

    save_csv(analysis.indices, "indices.csv")
    save_csv(analysis.second_order, "second_order.csv")
    save_csv(analysis.effects, "main_effects.csv")
    save_csv(analysis.levels, "levels.csv")
    (out / "summary.txt").write_text(analysis.summary() + "\n", encoding="utf-8")
    paths.append(out / "summary.txt")
    if not figures or analysis.runs.empty:
        return paths

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for outcome in analysis.outcomes:
        safe = outcome.replace("/", "_").replace(":", "_")
        fig = _main_effects(plt, analysis, outcome)
        paths.append(_save(plt, fig, out / f"main_effects_{safe}.png"))
        if len(factors) >= 2:
            fig = _interactions(plt, analysis, factors, outcome)
            paths.append(_save(plt, fig, out / f"interactions_{safe}.png"))
        if analysis.indices is not None:
            t = analysis.indices[analysis.indices["outcome"] == outcome]
            if not t.empty:
                fig = (
                    _sobol(plt, t, outcome)
                    if analysis.kind == "sobol"
                    else _morris(plt, t, outcome)
                )
                paths.append(_save(plt, fig, out / f"{analysis.kind}_{safe}.png"))
    return paths


def _save(plt, fig, path: Path) -> Path:
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def _grid(plt, n: int, width: float = 3.4, height: float = 2.8):
    cols = min(n, 3)
    rows = int(np.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(width * cols, height * rows), squeeze=False)
    for ax in axes.flat[n:]:
        ax.set_visible(False)
    return fig, list(axes.flat[:n])


def _is_numeric(values) -> bool:
    return all(
        isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
        for v in values
    )


def _main_effects(plt, analysis: Analysis, outcome: str):
    fig, axes = _grid(plt, len(analysis.factors))
    lv = analysis.levels[analysis.levels["outcome"] == outcome]
    for ax, key in zip(axes, analysis.factors, strict=True):
        t = lv[lv["factor"] == key]
        if _is_numeric(list(t["level"])):
            x = t["level"].astype(float)
            ax.errorbar(x, t["mean"], yerr=t["ci95"], marker="o", capsize=3)
        else:
            x = np.arange(len(t))
            ax.errorbar(x, t["mean"], yerr=t["ci95"], marker="o", linestyle="none", capsize=3)
            ax.set_xticks(x, [str(v) for v in t["level"]], rotation=20, ha="right", fontsize=8)
            ax.set_xlim(-0.5, len(t) - 0.5)
        ax.set_xlabel(key, fontsize=8)
        ax.set_ylabel(outcome, fontsize=8)
    fig.suptitle(f"main effects on {outcome} (mean, 95% CI)", fontsize=10)
    return fig


def _interactions(plt, analysis: Analysis, factors: list[dict], outcome: str):
    pairs = list(itertools.combinations(factors, 2))[:MAX_PAIRS]
    fig, axes = _grid(plt, len(pairs), width=3.8)
    runs = analysis.runs
    for ax, (fa, fb) in zip(axes, pairs, strict=True):
        a = factor_levels(runs, fa)
        b = factor_levels(runs, fb, bins=3)
        means = runs[outcome].groupby([a, b]).mean().unstack()
        order_a = list(fa["levels"]) if fa["levels"] is not None else sorted(means.index)
        order_a = [v for v in order_a if v in means.index]
        means = means.reindex(order_a)
        order_b = list(fb["levels"]) if fb["levels"] is not None else sorted(means.columns)
        means = means[[v for v in order_b if v in means.columns]]
        numeric = _is_numeric(order_a)
        x = np.asarray(order_a, dtype=float) if numeric else np.arange(len(order_a))
        for col in means.columns:
            label = f"{col:.3g}" if isinstance(col, float) else str(col)
            ax.plot(x, means[col].to_numpy(), marker="o", label=label)
        if not numeric:
            ax.set_xticks(x, [str(v) for v in order_a], rotation=20, ha="right", fontsize=8)
            ax.set_xlim(-0.5, len(order_a) - 0.5)
        ax.set_xlabel(fa["key"], fontsize=8)
        ax.set_ylabel(outcome, fontsize=8)
        ax.legend(title=fb["key"], fontsize=7, title_fontsize=7)
    fig.suptitle(f"interactions on {outcome} (mean over runs)", fontsize=10)
    return fig


def _sobol(plt, t: pd.DataFrame, outcome: str):
    fig, ax = plt.subplots(figsize=(max(4.0, 1.1 * len(t)), 3.4))
    x = np.arange(len(t))
    ax.bar(x - 0.2, t["S1"], 0.4, yerr=t["S1_conf"], capsize=3, label="first order S1")
    ax.bar(x + 0.2, t["ST"], 0.4, yerr=t["ST_conf"], capsize=3, label="total order ST")
    ax.set_xticks(x, t["factor"], rotation=25, ha="right", fontsize=8)
    ax.set_ylabel("Sobol index")
    ax.set_title(f"Sobol indices for {outcome} (95% CI)", fontsize=10)
    ax.legend(fontsize=8)
    return fig


def _morris(plt, t: pd.DataFrame, outcome: str):
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.errorbar(t["mu_star"], t["sigma"], xerr=t["mu_star_conf"], marker="o", linestyle="none")
    for r in t.itertuples():
        ax.annotate(
            r.factor, (r.mu_star, r.sigma), fontsize=7, xytext=(3, 3), textcoords="offset points"
        )
    ax.set_xlabel("mu* (mean |elementary effect|)")
    ax.set_ylabel("sigma (spread of effects)")
    ax.set_title(f"Morris screening for {outcome}", fontsize=10)
    return fig
