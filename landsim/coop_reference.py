"""NumPy references of the co-op kernels that work on whole arrays of plots
(:mod:`landsim.coop_kernels`), kept beside :mod:`landsim.cooperatives` so that it stays short:
each is the rule as NumPy states it, and the oracle its kernel must equal bit for bit
(``tests/test_kernels_coops.py``).

Parts: :func:`pool_inputs_reference`.
"""

from __future__ import annotations

import numpy as np

from landsim.grouping import group_indices
from landsim.spatial import same_key_neighbour_share

__all__ = ["pool_inputs_reference"]


def pool_inputs_reference(
    kind: np.ndarray,
    operator: np.ndarray,
    village: np.ndarray,
    channel: np.ndarray,
    free_coll: np.ndarray,
    coop_open: np.ndarray,
    cell: np.ndarray,
    shape: np.ndarray,
    coop: int,
) -> tuple[np.ndarray, ...]:
    """What :func:`landsim.cooperatives.pool_offered_land` works from: the plots offered to an
    operating co-op (``channel == coop`` or the collective's free land ``free_coll``) by
    village, in plot order, with each village's bounds; each one's contiguity, the share of
    its 4 neighbours on the grid (``shape``: height, width, villages; ``cell``: each plot's
    cell) with the same key (the co-op that pools a plot, else the village of an offered
    plot); the pooled plots by co-op, in plot order, and their bounds."""
    height, width, n_v = (int(x) for x in shape)
    offered_all = ((channel == coop) | free_coll) & coop_open[village]
    pool_key = np.where(kind == coop, operator, np.where(offered_all, village, -1))
    grid = np.full(height * width, -1, dtype=np.int64)
    grid[cell] = pool_key
    contiguity = same_key_neighbour_share(grid.reshape(height, width))[cell]
    in_pool = np.flatnonzero(kind == coop)
    offered_idx = np.flatnonzero(offered_all)
    pooled = group_indices(operator[in_pool], n_v)
    offers = group_indices(village[offered_all], n_v)
    bounds = [np.cumsum([0] + [g.size for g in groups]) for groups in (offers, pooled)]
    offered_idx = offered_idx[np.concatenate(offers)] if offers else offered_idx
    in_pool = in_pool[np.concatenate(pooled)] if pooled else in_pool
    return offered_idx, bounds[0], contiguity[offered_idx], in_pool, bounds[1]
