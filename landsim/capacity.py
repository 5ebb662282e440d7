"""Whether a ``[world]`` has room for its households: plots per village against plots wanted.

Each household draws its contract plots (Poisson around ``plots_per_household``, at least one)
from its own village's plots, and households drawn after the plots run out get none (see
:func:`landsim.world.build_plots`). :func:`landless` estimates how many that leaves landless, so
``landsim check`` and ``landsim sweep`` can refuse such a world before anything runs.
"""

from __future__ import annotations

import math

import numpy as np

from landsim.params import World

__all__ = ["landless", "capacity_problem"]


def _plots_per_village(world: World) -> np.ndarray:
    """Plots in each village, laid out as :func:`landsim.world.build_plots` does."""
    rows = np.arange(world.height) * world.villages_y // world.height
    cols = np.arange(world.width) * world.villages_x // world.width
    per_row = np.bincount(np.minimum(rows, world.villages_y - 1), minlength=world.villages_y)
    per_col = np.bincount(np.minimum(cols, world.villages_x - 1), minlength=world.villages_x)
    return np.outer(per_row, per_col).ravel()


def landless(world: World) -> tuple[int, int, int]:
    """``(landless, households, largest)``: expected households without a plot, all households,
    and the most households per village every village can hold.
    """
    lam = world.plots_per_household
    wanted = lam + math.exp(-lam)  # mean of max(1, Poisson(lam))
    plots = _plots_per_village(world)
    hpv = world.households_per_village
    served = np.minimum(hpv, np.ceil(plots / wanted))
    largest = int(np.ceil(plots.min() / wanted))
    return int((hpv - served).sum()), hpv * world.n_villages, largest


def capacity_problem(world: World) -> str | None:
    """One line saying why ``world``'s plots cannot hold its households, or ``None``."""
    none, total, largest = landless(world)
    if none == 0:
        return None
    per_village = world.n_plots // world.n_villages
    return (
        f"[world]: about {none} of {total} households ({none / total:.0%}) would get no "
        f"contract plot: a village has about {per_village} plots, but its "
        f"{world.households_per_village} households take about "
        f"{world.households_per_village * (world.plots_per_household):.0f} "
        f"(plots_per_household = {world.plots_per_household:g}, at least one each); use "
        f"households_per_village = {max(largest, 1)} or fewer, fewer plots per household, or "
        "a larger grid"
    )
