"""Small time-series charts of the yearly outcomes, drawn as inline SVG.

A chart (:data:`CHARTS`) plots one or two outcome columns of :data:`landsim.metrics.METRICS`
over the years, for each run on screen: run A in blue and run B in red, the first column solid
and the second dotted, with a dot on the latest year. The x axis spans the scenario's horizon so
that lines grow from left to right instead of rescaling every year. A missing value (NaN: the
money flows of year 0, before any season was farmed; :func:`without_year0_flows`) leaves a gap.
:func:`legend_html` names every line: each run's colour and each column's dash.

Why SVG and not matplotlib: six small matplotlib figures cost 150-300 ms of server time on every
Step (mostly text rendering), a third of the one-second budget for a step round-trip; an SVG
string costs well under a millisecond, is sharp on a projector, and its few numbers are drawn
by the browser. Titles are HTML in the page's language (keys ``chart.<id>`` in
:mod:`landsim.app.i18n`).
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass

import numpy as np
import pandas as pd

from landsim.app.i18n import tr
from landsim.metrics import FLOW_METRICS

__all__ = [
    "Chart",
    "CHARTS",
    "RUN_COLOURS",
    "chart_svg",
    "nice_ticks",
    "legend_html",
    "without_year0_flows",
]

#: line colour of run A and run B
RUN_COLOURS = ("#1f5fbf", "#d0312d")

WIDTH, HEIGHT = 300, 170
LEFT, RIGHT, TOP, BOTTOM = 40, 8, 8, 20  # plot margins (px of the viewBox)


@dataclass(frozen=True)
class Chart:
    """A chart: its id, the outcome columns it plots, and how values are scaled for display."""

    id: str
    columns: tuple[str, ...]
    scale: float = 1.0  # display value = outcome x scale (100 for shares shown in %)
    y_max: float | None = None  # fixed top of the y axis (in display units), else automatic


CHARTS: tuple[Chart, ...] = (
    Chart("abandonment", ("abandonment_rate",), 100.0),
    Chart("income", ("household_income_mean", "household_income_65plus")),
    Chart("participation", ("participation_rate",), 100.0, 100.0),
    Chart("collective", ("collective_income_mean",)),
    Chart("coops", ("coops_active", "coops_empty_shell")),
    Chart("land", ("coop_land_share", "custody_land_share"), 100.0, 100.0),
)

_DASH = ("", ' stroke-dasharray="2 3"')


def nice_ticks(lo: float, hi: float, n: int = 4) -> np.ndarray:
    """About ``n`` round tick values covering ``[lo, hi]`` (steps of 1, 2, 2.5 or 5 x 10^k)."""
    span = hi - lo
    if span <= 0:
        return np.array([lo])
    raw = span / n
    mag = 10.0 ** math.floor(math.log10(raw))
    step = mag * min((s for s in (1, 2, 2.5, 5, 10) if s * mag >= raw), default=10)
    first = math.ceil(lo / step - 1e-9) * step
    return np.arange(first, hi + step * 1e-6, step)


def _label(v: float, big: bool, lang: str = "en") -> str:
    if v == 0:
        return "0"
    if big:  # thousands in English, ten-thousands (万) in Chinese
        return f"{v / 10000:g}万" if lang == "zh" else f"{v / 1000:.0f}k"
    return f"{v:.1f}" if v != round(v) else f"{v:.0f}"


def without_year0_flows(df: pd.DataFrame) -> pd.DataFrame:
    """``df`` (yearly outcomes) with the money and harvest flows of year 0 missing (NaN):
    year 0 is the state before the first season, so its flows are undefined, not zero."""
    cols = [c for c in FLOW_METRICS if c in df.columns]
    year0 = df["year"].to_numpy() == 0 if "year" in df.columns else np.zeros(0, bool)
    if df.empty or not cols or not year0.any():
        return df
    if all(np.isnan(df[c].to_numpy(dtype=float)[year0]).all() for c in cols):
        return df  # missing already, as the model's outcomes() gives them: no copy
    out = df.copy()
    out.loc[year0, cols] = np.nan
    return out


def _segments(x: np.ndarray, y: np.ndarray) -> list[tuple[np.ndarray, np.ndarray]]:
    """The runs of finite values of a series (a missing value leaves a gap)."""
    ok = np.isfinite(y)
    out, start = [], None
    for i, good in enumerate(np.r_[ok, False]):
        if good and start is None:
            start = i
        elif not good and start is not None:
            out.append((x[start:i], y[start:i]))
            start = None
    return out


def chart_svg(chart: Chart, frames: list[pd.DataFrame], horizon: int, lang: str = "en") -> str:
    """Draw ``chart`` as an SVG element for the outcome tables ``frames`` (one per run).

    Each table has a ``year`` column; the x axis spans years 0 to ``horizon``, or further if a
    run went past it. Missing values (NaN) leave gaps; ``lang`` writes large numbers.
    """
    series = []  # (run, style, x, y)
    for run, df in enumerate(frames):
        if df.empty:
            continue
        x = df["year"].to_numpy(dtype=float)
        for style, col in enumerate(chart.columns):
            series.append((run, style, x, df[col].to_numpy(dtype=float) * chart.scale))
    x_max = max([float(horizon), 1.0] + [s[2][-1] for s in series])
    if chart.y_max is not None:
        y_lo, y_hi = 0.0, chart.y_max
    else:
        values = np.concatenate([s[3] for s in series] + [np.zeros(1)])
        values = values[np.isfinite(values)]
        y_lo = min(0.0, float(values.min()) * 1.1)
        y_hi = max(float(values.max()) * 1.1, y_lo + 1.0)
    if y_lo == 0.0:  # a little room below zero, so that a line at zero clears the frame
        y_lo = -0.03 * y_hi
    pw, ph = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def px(x: np.ndarray) -> np.ndarray:
        return LEFT + x / x_max * pw

    def py(y: np.ndarray) -> np.ndarray:
        return TOP + (1.0 - (y - y_lo) / (y_hi - y_lo)) * ph

    parts = [
        f'<svg class="landsim-chart landsim-chart-{chart.id}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        'width="100%" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" '
        'font-size="10" fill="#333">',
        f'<rect x="{LEFT}" y="{TOP}" width="{pw}" height="{ph}" fill="none" stroke="#888"/>',
    ]
    big = max(abs(y_lo), abs(y_hi)) >= 10_000
    for v in nice_ticks(y_lo, y_hi):
        y = py(np.array(v))
        parts.append(
            f'<line x1="{LEFT}" x2="{LEFT + pw}" y1="{y:.1f}" y2="{y:.1f}" stroke="#ddd"/>'
            f'<text x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{_label(v, big, lang)}</text>'
        )
    for v in nice_ticks(0.0, x_max, 5):
        x = px(np.array(v))
        parts.append(f'<text x="{x:.1f}" y="{HEIGHT - 6}" text-anchor="middle">{v:.0f}</text>')
    for run, style, x, y in series:
        colour = RUN_COLOURS[run]
        width = 2 if style == 0 else 1.6
        pieces = _segments(x, y)
        for xs, ys in pieces:
            points = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(px(xs), py(ys), strict=True))
            parts.append(
                f'<polyline points="{points}" fill="none" stroke="{colour}" '
                f'stroke-width="{width}"{_DASH[style]}/>'
            )
        if pieces:  # a dot on the latest value: visible from the first year on
            xs, ys = pieces[-1]
            parts.append(
                f'<circle cx="{px(xs[-1:])[0]:.1f}" cy="{py(ys[-1:])[0]:.1f}" '
                f'r="{3 if style == 0 else 2.5}" fill="{colour}"/>'
            )
    parts.append("</svg>")
    return "".join(parts)


def _line(colour: str, dotted: bool) -> str:
    dash = ' stroke-dasharray="2 3"' if dotted else ""
    return (
        '<svg width="26" height="8" aria-hidden="true"><line x1="0" y1="4" x2="26" y2="4" '
        f'stroke="{colour}" stroke-width="2.5"{dash}/></svg>'
    )


def legend_html(chart: Chart, runs: list[str], lang: str) -> str:
    """What every line of ``chart`` is, as HTML in ``lang``: one entry per run (``runs``:
    their names, in :data:`RUN_COLOURS`) and column (solid first, dotted second); nothing for
    one run of one column (the chart's title names its line)."""
    if len(runs) == 1 and len(chart.columns) == 1:
        return ""
    items = []
    for run, name in enumerate(runs):
        for style, col in enumerate(chart.columns):
            words = tr(f"series.{col}", lang)
            if len(runs) == 1:  # the page names its one run
                label = words
            elif len(chart.columns) == 1:  # the chart's title names its one column
                label = name
            else:
                label = f"{name}: {words}"
            items.append(
                f'<span class="landsim-chart-series">{_line(RUN_COLOURS[run], style == 1)}'
                f"{html.escape(label)}</span>"
            )
    return f'<div class="landsim-chart-legend">{"".join(items)}</div>'
