"""A town from a region: the plots, households, kin ties and branches its files give, and what
they do not give drawn as a synthetic town draws it.

Summary of rules (docs/regions.md): plots are the farmland cells, in row-major order, with the
terrain and (band 2) quality of the land raster, else quality ~ Normal(1, 0.1) clipped to
0.6-1.4. A household holds the cells it lists (``plot_cells``); one that gives a count
(``plots``) gets that many of its village's remaining farmland cells, drawn at random and
handed out in the table's order (as :func:`landsim.world.build_plots` does); farmland left over
is the collective's. Members are the table's (``member_ages``, ``member_migrant``), else the
head of ``head_age``, a spouse (head's age + Normal(0, 3), 20-95) when there are two or more,
and children 22-35 years younger than the head; ``migrants`` of the members other than the head
are away, those aged 18-45 first. Trust is the table's or Normal(``trust_initial``, 0.1)
clipped to 0-1; kin ties are the table's or drawn as a synthetic town's (:func:`build_kin`);
branch strength is the outlines' or drawn. All draws come from the town-building generator, in
this order: quality, plots, members, trust, taste, kin ties, branches.

Parts: :func:`region_parts` (what :func:`landsim.town.build_town` assembles into a town).
"""

from __future__ import annotations

import numpy as np

from landsim.kin import KinTies, build_kin
from landsim.params import Assumptions, Params
from landsim.population import Population, draw_taste, population_of
from landsim.regions.load import region_of
from landsim.regions.region import Households, Region
from landsim.villages import Villages, build_villages
from landsim.world import Plots, homesteads, plots_of

__all__ = ["region_parts"]


def region_parts(
    params: Params, rng: np.random.Generator
) -> tuple[Plots, Population, KinTies, Villages]:
    """The plots, population, kin ties and villages of the region ``params.world`` names
    (resolved by the scenario loader).

    Raises:
        RegionError: the region's files changed since the scenario was loaded.
    """
    w, a = params.world, params.assumptions
    region = region_of(w)
    hh = region.households
    plots = _plots(region, rng)
    home_row, home_col = homesteads(plots, hh.n)
    population = _population(hh, a, home_row, home_col, rng)
    if hh.kin_src is not None:
        kin = KinTies(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
        kin.add(hh.kin_src, hh.kin_dst, hh.kin_closeness)
    else:
        kin = build_kin(hh.village, region.n_villages, a.kin_ties_mean, rng)
    villages = build_villages(w, plots, a, rng, strength=region.strength)
    return plots, population, kin, villages


def _plots(region: Region, rng: np.random.Generator) -> Plots:
    """The farmland cells as plots, with the holders the table gives or asks for."""
    n, hh = region.n_plots, region.households
    quality = region.quality
    if quality is None:
        quality = np.clip(rng.normal(1.0, 0.1, n), 0.6, 1.4)
    holder = np.full(n, -1, dtype=np.int64)
    if hh.cells.size:
        rows = np.repeat(np.arange(hh.n), np.diff(hh.cell_offsets))
        holder[np.searchsorted(region.cell, hh.cells)] = rows
    counted = np.flatnonzero(hh.plots > 0)
    if counted.size:
        free = np.flatnonzero(holder < 0)
        by_village = free[np.argsort(region.village[free], kind="stable")]
        bounds = np.searchsorted(region.village[by_village], np.arange(region.n_villages + 1))
        asking = counted[np.argsort(hh.village[counted], kind="stable")]
        starts = np.searchsorted(hh.village[asking], np.arange(region.n_villages + 1))
        for v in np.flatnonzero(np.diff(starts)).tolist():
            mine = asking[starts[v] : starts[v + 1]]  # in the table's order
            cells = rng.permutation(by_village[bounds[v] : bounds[v + 1]])
            owners = np.repeat(mine, hh.plots[mine])  # the loader checked there is room
            holder[cells[: owners.size]] = owners
    rows, cols = np.divmod(region.cell, region.width)
    return plots_of(
        region.width, region.height, region.village, region.hilly, quality, holder, rows, cols
    )


def _population(
    hh: Households,
    a: Assumptions,
    home_row: np.ndarray,
    home_col: np.ndarray,
    rng: np.random.Generator,
) -> Population:
    """The table's households and members, with what it does not give drawn."""
    m_hh = np.repeat(np.arange(hh.n), hh.members)
    first = np.concatenate([[0], np.cumsum(hh.members)[:-1]])
    pos = np.arange(m_hh.size) - first[m_hh]  # 0 the head, 1 a spouse, 2+ children
    if hh.ages is not None:
        age = hh.ages.astype(np.float64)
    else:
        head = hh.head_age[m_hh]
        spouse = np.clip(hh.head_age + rng.normal(0, 3, hh.n), 20, 95)[m_hh]
        child = np.clip(head - rng.uniform(22, 35, m_hh.size), 0, None)
        age = np.where(pos == 0, head, np.floor(np.where(pos == 1, spouse, child)))
    if hh.migrant is not None:
        away = hh.migrant.astype(bool)
    else:  # the head stays; working-age members leave first, in random order
        key = rng.random(m_hh.size) + ((age < 18) | (age > 45)) + 2.0 * (pos == 0)
        order = np.lexsort((key, m_hh))
        rank = np.empty(m_hh.size, dtype=np.int64)
        rank[order] = np.arange(m_hh.size) - first[m_hh[order]]
        away = (rank < hh.migrants[m_hh]) & (pos > 0)
    trust = hh.trust
    if trust is None:
        trust = np.clip(rng.normal(a.trust_initial, 0.1, hh.n), 0, 1)
    taste = hh.taste if hh.taste is not None else draw_taste(rng, hh.n)
    return population_of(m_hh, age, away, hh.village, home_row, home_col, trust, taste, a)
