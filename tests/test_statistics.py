"""Honest statistics and readable figures: intervals honour the level, stay in range, pair up."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from landsim.compare import differences, summarize
from landsim.figures import plot_outcomes
from landsim.intervals import bounded_interval, t_interval
from landsim.labels import OUTCOMES, SHARE, label
from landsim.sweep.analysis import main_effects


def _series(values: dict[str, list[float]], metric: str = "participation_rate") -> pd.DataFrame:
    """A final-year time series: one row per scenario and replicate."""
    rows = [
        {"scenario": s, "replicate": r, "year": 30, metric: v}
        for s, vs in values.items()
        for r, v in enumerate(vs)
    ]
    return pd.DataFrame(rows)


def test_a_shares_interval_stays_in_0_1_with_three_replicates() -> None:
    """Three replicates of a small share give an interval cut at 0, never below."""
    x = [0.0, 0.0, 0.29]
    mean, low, high = t_interval(x)
    assert low < 0  # the plain t-interval leaves the range
    mean, low, high = bounded_interval(x, SHARE)
    assert low == 0.0 and 0 < mean < high <= 1
    s = summarize(_series({"a": x})).iloc[0]
    assert s["ci_low"] == 0.0 and s["ci_high"] == pytest.approx(high)


def test_counts_stay_non_negative_and_money_may_not() -> None:
    """Counts are cut at 0; incomes (which can be negative) keep the plain t-interval."""
    assert bounded_interval([0, 0, 3], label("coops_active").bounds)[1] == 0.0
    assert bounded_interval([0, 0, 3], label("coop_profit").bounds)[1] < 0


@pytest.mark.parametrize("level", [0.8, 0.95, 0.99])
def test_intervals_honour_the_confidence_level(level: float) -> None:
    """The half-width is the Student-t quantile at the level times the standard error."""
    x = np.array([0.40, 0.45, 0.52, 0.47])
    s = summarize(_series({"a": list(x)}), level).iloc[0]
    half = stats.t.ppf(0.5 + level / 2, 3) * x.std(ddof=1) / 2
    assert s["ci_high"] - s["mean"] == pytest.approx(half)
    assert s["level"] == level


def test_main_effects_use_t_at_the_chosen_level_not_1_96() -> None:
    """With 4 runs a level, the main-effect interval is t(3)-wide, not 1.96 standard errors."""
    runs = pd.DataFrame(
        {
            "levers.benefit_rule": ["a"] * 4 + ["b"] * 4,
            "household_income_mean": [10.0, 12.0, 11.0, 13.0, 20.0, 22.0, 21.0, 23.0],
        }
    )
    factors = [{"key": "levers.benefit_rule", "levels": ["a", "b"]}]
    for level in (0.9, 0.95):
        levels, _ = main_effects(runs, factors, ["household_income_mean"], level)
        a = levels.iloc[0]
        half = stats.t.ppf(0.5 + level / 2, 3) * np.std([10, 12, 11, 13], ddof=1) / 2
        assert a["ci_high"] - a["mean"] == pytest.approx(half)
        assert half > 1.96 * np.std([10, 12, 11, 13], ddof=1) / 2


def test_paired_differences_cancel_the_shared_noise() -> None:
    """Scenario b = a + 0.05 replicate by replicate: a tight difference despite wide spreads."""
    a = [0.10, 0.40, 0.25, 0.60]
    b = [v + 0.05 for v in a]
    ts = _series({"a": a, "b": b})
    d = differences(ts, "a").set_index("metric").loc["participation_rate"]
    assert d["difference"] == pytest.approx(0.05)
    assert d["ci_high"] - d["ci_low"] == pytest.approx(0.0, abs=1e-12)
    apart = summarize(ts).set_index("scenario")
    assert apart.loc["a", "ci_high"] > apart.loc["b", "ci_low"]  # separately they overlap
    assert d["n_pairs"] == 4 and d["reference"] == "a"


def test_labels_fall_back_for_unknown_columns() -> None:
    """Known outcomes have titles and units; new columns get a title from their name."""
    for name in (
        "transfer_rate_hilly",
        "transfer_rate_flat",
        "lease_rent_flat",
        "lease_rent_hilly",
        "collective_land_share",
        "collective_income_per_mu",
    ):
        assert name in OUTCOMES and OUTCOMES[name].unit
    new = label("seed_money_per_member")
    assert new.title == "Seed money per member" and new.bounds == (-math.inf, math.inf)
    assert label("abandonment_rate:mean").bounds == SHARE


def test_compare_figure_names_overlaps_units_and_zoom(tmp_path: Path) -> None:
    """Coinciding lines are named, titles carry units, and a zoomed axis states its range."""
    rows = []
    for scenario, shift in (("baseline", 0.0), ("custody_only", 0.0), ("coops", 1000.0)):
        for r in range(3):
            for year in (1, 2, 3):
                rows.append(
                    {
                        "scenario": scenario,
                        "replicate": r,
                        "year": year,
                        "participation_rate": 0.0 if shift == 0 else 0.5 + 0.01 * r,
                        "household_income_mean": 30_000 + shift + 10 * r + year,
                    }
                )
    fig = plot_outcomes(
        pd.DataFrame(rows),
        tmp_path / "f.png",
        metrics=("participation_rate", "household_income_mean"),
    )
    share, income = fig.axes[:2]
    assert share.get_title() == "Households taking part in a cooperative (% of households)"
    assert "on top of each other: baseline, custody_only" in share.get_xlabel()
    assert share.get_ylim()[0] < 0 < share.get_ylim()[1] <= 100
    assert "y axis zoomed to" in income.get_xlabel()
    assert income.get_ylabel() == "yuan/household/yr"
    styles = {(line.get_linestyle(), line.get_marker()) for line in share.get_lines()}
    assert len(styles) == 3
