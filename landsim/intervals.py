"""Confidence intervals over replicates: the statistics ``compare``, its figures and sweeps share.

Parts: :data:`CONFIDENCE` (the default level), :func:`t_interval` (mean and Student-t
interval), :func:`bounded_interval` (the same, truncated to an outcome's range) and
:func:`yearly_bands` (per scenario and year).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats

from landsim.labels import label

__all__ = ["CONFIDENCE", "t_interval", "bounded_interval", "yearly_bands"]

#: default confidence level of every interval (``--conf-level``)
CONFIDENCE = 0.95


def t_interval(
    values: Sequence[float] | np.ndarray,
    level: float = CONFIDENCE,
) -> tuple[float, float, float]:
    """Mean of ``values`` and its Student-t confidence interval (NaN bounds for n < 2)."""
    x = np.asarray(values, dtype=float)
    n = x.size
    if n == 0:
        return math.nan, math.nan, math.nan
    mean = float(x.mean())
    if n < 2:
        return mean, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, n - 1) * x.std(ddof=1) / math.sqrt(n))
    return mean, mean - half, mean + half


def bounded_interval(
    values: Sequence[float] | np.ndarray,
    bounds: tuple[float, float] = (-math.inf, math.inf),
    level: float = CONFIDENCE,
) -> tuple[float, float, float]:
    """Mean and Student-t interval of ``values``, truncated to ``bounds`` (the outcome's range).

    The true mean lies in ``bounds`` by definition, so cutting the interval there keeps every
    true value it held: the coverage is unchanged, and a share's interval never leaves [0, 1].
    """
    mean, low, high = t_interval(values, level)
    lo, hi = bounds
    if math.isfinite(low):
        low = min(max(low, lo), hi)
    if math.isfinite(high):
        high = max(min(high, hi), lo)
    return mean, low, high


def yearly_bands(timeseries: pd.DataFrame, metric: str, level: float = CONFIDENCE) -> pd.DataFrame:
    """Per scenario and year: mean of ``metric`` and its interval over replicates (truncated)."""
    bounds = label(metric).bounds
    rows = []
    for (scenario, year), group in timeseries.groupby(["scenario", "year"], sort=False):
        mean, low, high = bounded_interval(group[metric].dropna().to_numpy(), bounds, level)
        rows.append(
            {"scenario": scenario, "year": year, "mean": mean, "ci_low": low, "ci_high": high}
        )
    return pd.DataFrame(rows)
