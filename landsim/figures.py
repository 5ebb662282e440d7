"""Figures a policy analyst can read: the shared style of every PNG landsim writes.

* :func:`plot_outcomes` — ``compare``'s figure: outcomes over time, one panel each, per scenario
  the mean over replicates and its interval band;
* :func:`plot_effects` — ``decompose``'s figure: per outcome, each part's effect alone, all
  parts together and their interaction, as points with interval whiskers around a zero line;
* :func:`series_style` — colour, line style and marker of the i-th series (distinct even in
  grey print, and markers staggered so that lines on top of each other stay visible);
* :func:`value_axis` — the y axis of an outcome: its title and unit from
  :mod:`landsim.labels`, shares in percent, zero included for quantities that cannot be
  negative unless that would flatten the data, in which case the axis says it is zoomed;
* :func:`overlaps` — groups of series that lie on top of each other, to be named in a note.

Every figure uses matplotlib's object API with the Agg canvas (no display, no global state).
"""

from __future__ import annotations

import math
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landsim.labels import label
from landsim.metrics import FLOW_METRICS, MAIN_OUTCOMES

__all__ = [
    "plot_outcomes",
    "plot_effects",
    "series_style",
    "value_axis",
    "overlaps",
    "new_figure",
]

_LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1)), (0, (3, 1, 1, 1, 1, 1)), (0, (1, 3)))
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "h", "<")
#: a data range narrower than this share of its distance from zero gets a zoomed axis
ZOOM_BELOW = 0.15


def series_style(i: int, points: int = 30) -> dict[str, Any]:
    """Matplotlib keywords for series ``i``: colour, line style, marker and staggered markers."""
    step = max(1, points // 6)
    return {
        "color": f"C{i % 10}",
        "linestyle": _LINESTYLES[i % len(_LINESTYLES)],
        "marker": _MARKERS[i % len(_MARKERS)],
        "markevery": (i % step, step),
        "markersize": 4.5,
        "linewidth": 1.6,
    }


def overlaps(series: dict[str, np.ndarray], tolerance: float) -> list[list[str]]:
    """Groups (two or more) of series whose values differ by at most ``tolerance`` everywhere."""
    groups: list[list[str]] = []
    for name, values in series.items():
        for group in groups:
            first = series[group[0]]
            if first.shape == values.shape and np.nanmax(np.abs(first - values)) <= tolerance:
                group.append(name)
                break
        else:
            groups.append([name])
    return [g for g in groups if len(g) > 1]


def value_axis(ax: Any, metric: str, lo: float, hi: float) -> str | None:
    """Title, unit and range of ``ax`` for ``metric`` whose shown values span ``[lo, hi]``.

    Returns a note when the axis is zoomed (does not start at zero), naming the shown range.
    """
    lab = label(metric)
    ax.set_title(lab.text, fontsize=10)
    ax.set_ylabel(lab.unit or "value", fontsize=9)
    _thousands(ax)
    if lab.unit == "count":
        from matplotlib.ticker import MaxNLocator

        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    if not (math.isfinite(lo) and math.isfinite(hi)):
        return None
    top = lab.bounds[1] * lab.scale
    span = hi - lo
    pad = 0.06 * (span if span > 0 else max(abs(hi), 1.0))
    note = None
    if lo >= 0 and span > 0 and span < ZOOM_BELOW * hi:
        y0, y1 = lo - pad, min(hi + pad, top)
        note = f"y axis zoomed to {_fmt(y0)}–{_fmt(y1)} (does not start at 0)"
    elif lo >= 0:  # start at zero, a little below so that a line at zero clears the frame
        y1 = min(hi + pad, top) if hi > 0 else 1.0
        y0 = -0.03 * y1
    else:
        y0, y1 = lo - pad, hi + pad
    ax.set_ylim(y0, y1)
    return note


def _thousands(ax: Any) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.yaxis.set_major_formatter(
        FuncFormatter(lambda v, _pos: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}")
    )


def _fmt(x: float) -> str:
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def new_figure(width: float, height: float) -> tuple[Any, Any]:
    """A figure with the Agg canvas and constrained layout, and its canvas."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), layout="constrained")
    return fig, FigureCanvasAgg(fig)


def _panel(
    ax: Any, metric: str, bands: pd.DataFrame, scenarios: list[str], years: int
) -> list[Any]:
    """One metric's panel: each scenario's mean line and band, the axis (a zoom is noted), and
    a note naming the series that lie on top of each other. Returns the lines."""
    from matplotlib.ticker import MaxNLocator

    scale = label(metric).scale
    means: dict[str, np.ndarray] = {}
    shown, lines = [], []
    for i, scenario in enumerate(scenarios):
        b = bands[bands["scenario"] == scenario]
        y = b["mean"].to_numpy(dtype=float) * scale
        means[scenario] = y
        style = series_style(i, years)
        (line,) = ax.plot(b["year"], y, label=scenario, **style)
        lines.append(line)
        ax.fill_between(
            b["year"],
            b["ci_low"] * scale,
            b["ci_high"] * scale,
            color=style["color"],
            alpha=0.13,
            lw=0,
        )
        shown.append(b[["mean", "ci_low", "ci_high"]].to_numpy(dtype=float) * scale)
    values = np.concatenate([s.ravel() for s in shown]) if shown else np.zeros(1)
    values = values[np.isfinite(values)]
    lo, hi = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    notes = []
    zoom = value_axis(ax, metric, lo, hi)
    y0, y1 = ax.get_ylim()
    for group in overlaps(means, 0.005 * (y1 - y0)):
        # wrapped so a long list of scenario names stays inside the panel
        notes.append(textwrap.fill("on top of each other: " + ", ".join(group), 48))
    if zoom:
        notes.append(zoom)
    ax.set_xlabel("\n".join(["Year", *notes]), fontsize=9)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.grid(alpha=0.3)
    return lines


def plot_outcomes(
    timeseries: pd.DataFrame,
    path: str | os.PathLike[str],
    metrics: Sequence[str] = MAIN_OUTCOMES,
    level: float = 0.95,
    titles: dict[str, str] | None = None,
) -> Any:
    """Draw each metric over time: per scenario the mean over replicates and its band.

    Bands are the Student-t intervals of :func:`landsim.intervals.yearly_bands` (truncated to the
    outcome's range). Series that coincide are named below the panel, and a panel whose axis
    does not start at zero says so. The legend reads each scenario's title (``titles``, by
    name) with its name, which the notes use. Returns the figure (after saving it to ``path``).
    """
    from landsim.intervals import yearly_bands

    metrics = [m for m in metrics if m in timeseries.columns]
    ncols = 3 if len(metrics) > 4 else 2 if len(metrics) > 1 else 1
    nrows = math.ceil(len(metrics) / ncols)
    fig, _ = new_figure(5.0 * ncols, 3.7 * nrows + 1.1)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    scenarios = list(dict.fromkeys(timeseries["scenario"]))
    years = int(timeseries["year"].nunique())
    first, last = int(timeseries["year"].min()), int(timeseries["year"].max())
    pad = 0.02 * max(last - first, 1)
    handles: list[Any] = []
    for ax, metric in zip(axes, metrics, strict=False):
        # a flow (income, profit, output) has no value before the first season: from year 1
        ts = timeseries[timeseries["year"] >= 1] if metric in FLOW_METRICS else timeseries
        lines = _panel(ax, metric, yearly_bands(ts, metric, level), scenarios, years)
        if ax is axes[0]:
            handles = lines
        ax.set_xlim(first - pad, last + pad)  # one year axis for all panels (flows start at 1)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    titles = titles or {}
    names = [h.get_label() for h in handles]
    shown = [f"{titles[n]} ({n})" if titles.get(n, n) != n else n for n in names]
    fig.legend(
        handles,
        shown,
        loc="outside lower center",
        ncols=min(2 if titles else 4, len(handles) or 1),
        fontsize=9,
        frameon=False,
    )
    n = timeseries.groupby("scenario")["replicate"].nunique().min()
    fig.suptitle(
        f"Outcomes over time: mean of {n} replicates per scenario; band = {level:.0%} "
        "t-interval, truncated to each outcome's range",
        fontsize=11,
    )
    fig.savefig(Path(path), format="png", dpi=110)
    return fig


#: the contrasts :func:`plot_effects` draws, top to bottom, and their marker and colour
_EFFECT_STYLE = {"alone": ("o", "C0"), "together": ("D", "C3"), "interaction": ("s", "C7")}


def plot_effects(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    rows: Sequence[tuple[str, str, str]],
    title: str,
    units: dict[str, str],
    note: str = "",
) -> Any:
    """Draw a decomposition (:func:`landsim.decompose.effects`): one panel per outcome.

    Args:
        table: the effects table (``outcome, contrast, part, effect, ci_low, ci_high``).
        path: the PNG to write.
        rows: ``(contrast, part, text)`` of each row, top to bottom (parts alone, together,
            the interaction).
        title: the figure's title (names the scenario).
        units: each outcome's panel title with its unit (shares are drawn in percentage
            points).
        note: how to read the figure, in the spare panel (or under the panels).

    Returns the figure (after saving it to ``path``).
    """
    outcomes = list(units)
    ncols = 2 if len(outcomes) > 1 else 1
    nrows = math.ceil(len(outcomes) / ncols)
    height = 0.42 * len(rows) + 1.0
    fig, _ = new_figure(6.2 * ncols, height * nrows + 1.0)
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    y = np.arange(len(rows))[::-1]
    for n, (ax, outcome) in enumerate(zip(axes, outcomes, strict=False)):
        scale = label(outcome).scale
        own = table[table["outcome"] == outcome].set_index(["contrast", "part"])
        for yi, (contrast, part, _text) in zip(y, rows, strict=True):
            r = own.loc[(contrast, part)]
            mean, lo, hi = (float(r[c]) * scale for c in ("effect", "ci_low", "ci_high"))
            marker, colour = _EFFECT_STYLE[contrast]
            err = [[mean - lo], [hi - mean]] if math.isfinite(lo) else None
            ax.errorbar(
                mean, yi, xerr=err, fmt=marker, color=colour, capsize=3, markersize=6, lw=1.6
            )
        ax.axvline(0.0, color="0.2", lw=1.0, zorder=1.5)
        split = y[len([r for r in rows if r[0] == "alone"]) - 1] - 0.5
        ax.axhline(split, color="0.8", lw=0.8, ls="--", zorder=0)
        ax.set_title(textwrap.fill(units[outcome], 60), fontsize=9.5)
        ax.set_yticks(y, [textwrap.fill(t, 28) for _c, _p, t in rows] if n % ncols == 0 else [])
        ax.tick_params(axis="y", labelsize=8.5)
        ax.tick_params(axis="x", labelsize=8.5)
        ax.set_ylim(-0.6, len(rows) - 0.4)
        ax.grid(axis="x", color="0.92", lw=0.7)
        from matplotlib.ticker import FuncFormatter

        ax.xaxis.set_major_formatter(
            FuncFormatter(lambda v, _pos: f"{v:+,.0f}" if abs(v) >= 1000 else f"{v:+g}")
        )
    spare = axes[len(outcomes) :]
    for ax in spare:
        ax.set_axis_off()
    if note and len(spare):
        spare[0].text(0.02, 0.95, textwrap.fill(note, 70), va="top", fontsize=8.5, color="0.25")
    elif note:
        fig.supxlabel(textwrap.fill(note, 150), fontsize=8.5, color="0.25")
    fig.suptitle(title, fontsize=10.5)
    fig.savefig(Path(path), format="png", dpi=110)
    return fig
