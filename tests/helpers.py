"""Small builders shared by the model tests (tiny worlds keep the suite fast)."""

from __future__ import annotations

from typing import Any

from landsim.model import LandModel

#: a two-village world of 200 plots and 40 households
TINY = dict(width=20, height=10, villages_x=2, villages_y=1, households_per_village=20)


def tiny_model(seed: int = 1, **overrides: Any) -> LandModel:
    """A tiny town with the given flat parameter overrides."""
    return LandModel(rng=seed, **{**TINY, **overrides})


def run_years(model: LandModel, years: int) -> LandModel:
    """Step ``model`` for ``years`` years and return it."""
    for _ in range(years):
        model.step()
    return model
