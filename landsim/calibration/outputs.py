"""What ``landsim calibrate`` writes beside pyabc's database.

* ``posterior.parquet`` — every particle of every generation (``generation``, ``weight``, the
  parameters, ``distance``); the last generation is the posterior;
* ``generations.csv`` and ``epsilon.png`` — epsilon, simulations, acceptance rate and
  effective particles per generation;
* ``marginals.png`` and ``pairs.png`` — the posterior's marginals (against the prior range)
  and pair plot;
* ``predictive.csv`` — the posterior-predictive check: every target simulated at draws from the
  posterior, its median and 95 % band against the sourced range;
* ``calibrated.toml`` — a scenario that ``extends`` the base with the posterior means, the
  posterior's spread in its comments.
"""

from __future__ import annotations

import math
import os
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landsim.calibration.config import CalibrationConfig
from landsim.calibration.smc import Simulator
from landsim.figures import new_figure
from landsim.provenance import atomic_path

__all__ = [
    "posterior_table",
    "generations_table",
    "effective_particles",
    "few_effective_particles",
    "summarize_posterior",
    "predictive_check",
    "calibrated_toml",
    "plot_marginals",
    "plot_pairs",
    "plot_generations",
    "predictive_markdown",
]


def posterior_table(hist: Any) -> pd.DataFrame:
    """Every particle of every generation, with weights and distances."""
    frames = []
    for t in range(hist.max_t + 1):
        params, weights = hist.get_distribution(m=0, t=t)
        df = params.reset_index(drop=True)
        df.columns = [str(c) for c in df.columns]
        df.insert(0, "generation", t)
        df["weight"] = np.asarray(weights, dtype=float)
        frames.append(df)
    out = pd.concat(frames, ignore_index=True)
    try:
        dist = [
            hist.get_weighted_distances(t=t)["distance"].to_numpy() for t in range(hist.max_t + 1)
        ]
        if sum(len(d) for d in dist) == len(out):
            out["distance"] = np.concatenate(dist)
    except Exception:  # noqa: BLE001 - distances are a nicety; the posterior is what counts
        pass
    return out


def generations_table(hist: Any, post: pd.DataFrame | None = None) -> pd.DataFrame:
    """Epsilon, particles, simulations and acceptance rate per generation, and with the
    posterior table (:func:`posterior_table`) each generation's effective particles."""
    pops = hist.get_all_populations()
    pops = pops[pops["t"] >= 0].copy()
    pops["particles"] = [hist.get_nr_particles_per_population().get(t, 0) for t in pops["t"]]
    pops["acceptance_rate"] = pops["particles"] / pops["samples"].where(pops["samples"] > 0)
    columns = ["t", "epsilon", "particles", "samples", "acceptance_rate"]
    if post is not None:
        ess = post.groupby("generation")["weight"].apply(effective_particles)
        pops["effective_particles"] = pops["t"].map(ess)
        columns.append("effective_particles")
    return pops[columns].rename(columns={"t": "generation", "samples": "simulations"})


def effective_particles(weights: Any) -> float:
    """Kish's effective sample size of importance weights, ``(sum w)^2 / sum w^2``: how many
    equally weighted particles the population is worth (its size when all weights are equal,
    1 when one particle carries all the weight; 0 when none carries any). pyabc's own
    formula; pyabc is imported by then (the weights come from its history)."""
    from pyabc.weighted_statistics import effective_sample_size

    w = np.asarray(weights, dtype=float)
    return float(effective_sample_size(w)) if np.any(w > 0) else 0.0


#: below this share of the population, the last generation's effective particles are too few
#: for its mean and intervals to describe more than a handful of particles
FEW_EFFECTIVE = 0.1


def few_effective_particles(gens: pd.DataFrame) -> str | None:
    """A warning when the last generation's weights rest on few particles, else None."""
    if "effective_particles" not in gens or gens.empty:
        return None
    last = gens.iloc[-1]
    ess, n = float(last["effective_particles"]), int(last["particles"])
    if ess >= FEW_EFFECTIVE * n:
        return None
    return (
        f"the posterior rests on {ess:.1f} effective particles of {n} (weights collapsed onto a "
        "few particles): its mean is close to those particles' values and its intervals are "
        "too narrow; read the marginals with care, and before adopting the mean check it with "
        "landsim validate (or widen the proposal: [abc] kernel_scale = 2)"
    )


def _weighted_quantile(x: np.ndarray, w: np.ndarray, q: float) -> float:
    order = np.argsort(x)
    cw = np.cumsum(w[order]) / w.sum()
    return float(np.interp(q, cw, x[order]))


def summarize_posterior(post: pd.DataFrame, config: CalibrationConfig) -> pd.DataFrame:
    """Weighted mean, sd and 5-95 % interval of each parameter in the last generation."""
    last = post[post["generation"] == post["generation"].max()]
    w = last["weight"].to_numpy()
    rows = []
    for p in config.priors:
        x = last[p.key].to_numpy(dtype=float)
        mean = float(np.average(x, weights=w))
        sd = float(math.sqrt(np.average((x - mean) ** 2, weights=w)))
        rows.append(
            {
                "key": p.key,
                "unit": p.unit,
                "prior_low": p.low,
                "prior_high": p.high,
                "mean": mean,
                "sd": sd,
                "q05": _weighted_quantile(x, w, 0.05),
                "q95": _weighted_quantile(x, w, 0.95),
            }
        )
    return pd.DataFrame(rows)


def predictive_check(
    post: pd.DataFrame, config: CalibrationConfig, draws: int, mapper: Any = map
) -> pd.DataFrame:
    """Every target simulated at ``draws`` parameter sets drawn (by weight) from the posterior:
    median and 2.5-97.5 % band over draws, the sourced range and the share of draws inside."""
    last = post[post["generation"] == post["generation"].max()].reset_index(drop=True)
    rng = np.random.default_rng(config.seed)
    idx = rng.choice(len(last), size=draws, p=last["weight"] / last["weight"].sum())
    candidates = [{p.key: float(last.loc[i, p.key]) for p in config.priors} for i in idx]
    sim = Simulator(config)
    values = pd.DataFrame(list(mapper(sim, candidates)))
    rows = []
    for t in config.targets:
        v = values[t.level.name].to_numpy(dtype=float)
        lo, med, hi = np.percentile(v, [2.5, 50, 97.5])
        inside = (v >= t.level.low) & (v <= t.level.high)
        rows.append(
            {
                "target": t.level.name,
                "median": float(med),
                "low95": float(lo),
                "high95": float(hi),
                "range_low": t.level.low,
                "range_high": t.level.high,
                "share_inside": float(inside.mean()),
                "inside": bool(t.level.low <= med <= t.level.high),
                "unit": t.level.unit,
            }
        )
    return pd.DataFrame(rows)


def _f(x: float) -> str:
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3f}"


def _range(low: float, high: float) -> str:
    if math.isinf(high):
        return f">= {_f(low)}"
    if math.isinf(low):
        return f"<= {_f(high)}"
    return f"{_f(low)}-{_f(high)}"


def predictive_markdown(pred: pd.DataFrame) -> str:
    """The posterior-predictive table as Markdown."""
    lines = [
        "| target | posterior predictive median [95 %] | sourced range | draws inside | inside? |",
        "|---|---|---|---|---|",
    ]
    for r in pred.itertuples():
        lines.append(
            f"| {r.target} | {_f(r.median)} [{_f(r.low95)}, {_f(r.high95)}] | "
            f"{_range(r.range_low, r.range_high)} | {r.share_inside:.0%} | "
            f"{'yes' if r.inside else '**no**'} |"
        )
    return "\n".join(lines)


def posterior_markdown(summary: pd.DataFrame) -> str:
    """The posterior summary as Markdown."""
    lines = ["| parameter | prior | posterior mean (sd) | 90 % interval |", "|---|---|---|---|"]
    for r in summary.itertuples():
        lines.append(
            f"| `{r.key}` [{r.unit}] | {r.prior_low:g}-{r.prior_high:g} | {r.mean:.4g} ({r.sd:.3g})"
            f" | {r.q05:.4g}-{r.q95:.4g} |"
        )
    return "\n".join(lines)


def calibrated_toml(
    config: CalibrationConfig,
    summary: pd.DataFrame,
    out: Path,
    date: str,
    generations: int | None = None,
    warning: str | None = None,
) -> str:
    """A scenario that extends the base with the posterior means (spread in comments).

    ``generations``: how many ran (fewer than the config's when epsilon reached its minimum);
    ``warning``: printed in the header (:func:`few_effective_particles`).
    """
    ran = config.generations if generations is None else generations
    early = (
        f" (of {config.generations}: epsilon reached {config.min_epsilon:g})"
        if ran < config.generations
        else ""
    )
    try:
        rel = os.path.relpath(config.base.resolve(), out.resolve())
    except ValueError:
        rel = str(config.base.resolve())
    from landsim import bundled

    bundled_base = (bundled.bundled_dir("scenarios") / f"{config.base_name}.toml").resolve()
    extends = config.base_name if config.base.resolve() == bundled_base else rel
    lines = [
        f"# calibrated — {config.title}",
        "#",
        f"# Written by `landsim calibrate {config.path.name}` on {date}: ABC-SMC (pyabc) with",
        f"# {config.population} particles x {ran} generations{early}, {config.seeds} "
        "replicate run(s) per particle,",
        "# against the sourced levels (and any pattern checks) of the validation patterns file.",
        "# Values are posterior means;",
        "# the comment after each gives the posterior sd and 90 % interval and the prior range.",
        *("# " + line for line in textwrap.wrap(f"Warning: {warning}.", 92) if warning),
        f'extends = "{extends}"',
        f'title = "Calibrated: {config.title}"',
        "",
    ]
    by_section: dict[str, list[str]] = {}
    for r in summary.itertuples():
        section, _, name = r.key.partition(".")
        prior = next(p for p in config.priors if p.key == r.key)
        value = str(int(round(r.mean))) if prior.integer else f"{r.mean:.4g}"
        if "." not in value and "e" not in value and not prior.integer:
            value += ".0"
        by_section.setdefault(section, []).append(
            f"{name} = {value}  # [{r.unit}] posterior sd {r.sd:.3g}, 90% {r.q05:.4g}-{r.q95:.4g}; "
            f"prior {r.prior_low:g}-{r.prior_high:g} (assumption, calibrated)"
        )
    for section, items in by_section.items():
        lines += [f"[{section}]", *items, ""]
    return "\n".join(lines)


def _save(fig: Any, path: Path) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=110, format="png")


def plot_marginals(post: pd.DataFrame, config: CalibrationConfig, path: Path) -> None:
    """Weighted histogram of each parameter in the last generation, on its prior range."""
    last = post[post["generation"] == post["generation"].max()]
    n = len(config.priors)
    cols = min(n, 3)
    rows = math.ceil(n / cols)
    fig, _ = new_figure(3.3 * cols, 2.6 * rows)
    axes = np.atleast_1d(fig.subplots(rows, cols, squeeze=False).ravel())
    for ax, p in zip(axes, config.priors, strict=False):
        ax.hist(
            last[p.key], bins=12, range=(p.low, p.high), weights=last["weight"], color="tab:blue"
        )
        ax.set_xlim(p.low, p.high)
        ax.set_title(f"{p.key.split('.')[-1]} [{p.unit}]", fontsize=8)
        ax.set_yticks([])
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle("Posterior marginals (last generation; x axis = prior range)", fontsize=9)
    _save(fig, path)


def plot_pairs(post: pd.DataFrame, config: CalibrationConfig, path: Path) -> None:
    """Pair plot of the last generation (marker size by weight)."""
    last = post[post["generation"] == post["generation"].max()]
    keys = [p.key for p in config.priors]
    n = len(keys)
    fig, _ = new_figure(1.9 * n + 0.5, 1.9 * n + 0.5)
    axes = fig.subplots(n, n, squeeze=False)
    size = 8 + 60 * last["weight"] / last["weight"].max()
    for i, yi in enumerate(config.priors):
        for j, xj in enumerate(config.priors):
            ax = axes[i][j]
            if i == j:
                ax.hist(last[xj.key], bins=10, range=(xj.low, xj.high), weights=last["weight"])
                ax.set_yticks([])
            else:
                ax.scatter(last[xj.key], last[yi.key], s=size, alpha=0.5)
                ax.set_ylim(yi.low, yi.high)
            ax.set_xlim(xj.low, xj.high)
            ax.tick_params(labelsize=6)
            if i == n - 1:
                ax.set_xlabel(xj.key.split(".")[-1], fontsize=7)
            if j == 0:
                ax.set_ylabel(yi.key.split(".")[-1], fontsize=7)
    _save(fig, path)


def plot_generations(gens: pd.DataFrame, path: Path) -> None:
    """Epsilon per generation; acceptance rate and effective particles (as a share of the
    particles, with the warning line of :data:`FEW_EFFECTIVE`) per generation."""
    fig, _ = new_figure(7.0, 2.8)
    a, b = fig.subplots(1, 2)
    a.plot(gens["generation"], gens["epsilon"], "o-")
    a.set_xlabel("generation")
    a.set_ylabel("epsilon\n(tolerances outside ranges)")
    b.plot(
        gens["generation"],
        gens["acceptance_rate"],
        "o-",
        color="tab:orange",
        label="acceptance rate",
    )
    if "effective_particles" in gens:
        share = gens["effective_particles"] / gens["particles"]
        b.plot(
            gens["generation"],
            share,
            "s-",
            color="tab:green",
            label="effective particles / particles",
        )
        b.axhline(
            FEW_EFFECTIVE, color="tab:red", lw=0.8, ls="--", label="too few effective particles"
        )
        b.legend(fontsize=7, loc="upper right")
    b.set_xlabel("generation")
    b.set_ylabel("share")
    b.set_ylim(0, 1.05)
    for ax in (a, b):
        ax.set_xticks(list(gens["generation"]))
    _save(fig, path)
