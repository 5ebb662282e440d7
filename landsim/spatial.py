"""Spatial measures on the plot grid: neighbour shares and contiguous patches.

Pure functions of the grid (a ``(height, width)`` array of keys), used by cooperatives (which
prefer land next to land they already pool) and by the land-consolidation outcome.
"""

from __future__ import annotations

import numpy as np
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

__all__ = ["same_key_neighbour_share", "count_patches"]

_NEIGHBOURS = (
    ((slice(1, None), slice(None)), (slice(None, -1), slice(None))),
    ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
    ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
    ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
)


def same_key_neighbour_share(g: np.ndarray) -> np.ndarray:
    """For every cell of grid ``g``, the share of its 4 neighbours (inside the grid) with the
    same non-negative key (0 where the cell's key is negative), flattened row-major."""
    count = np.zeros(g.shape)
    n = np.zeros(g.shape)
    for here, there in _NEIGHBOURS:
        count[here] += g[here] == g[there]
        n[here] += 1
    return np.where(g >= 0, count / np.maximum(n, 1), 0.0).ravel()


def count_patches(g: np.ndarray) -> tuple[int, int]:
    """Cells with a non-negative key, and the number of 4-connected patches of equal keys
    among them."""
    n = g.size
    idx = np.arange(n).reshape(g.shape)
    right = (g[:, :-1] == g[:, 1:]) & (g[:, :-1] >= 0)
    down = (g[:-1, :] == g[1:, :]) & (g[:-1, :] >= 0)
    src = np.concatenate([idx[:, :-1][right], idx[:-1, :][down]])
    dst = np.concatenate([idx[:, 1:][right], idx[1:, :][down]])
    graph = coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n))
    n_comp, _ = connected_components(graph, directed=False)
    n_neg = int((g < 0).sum())
    return n - n_neg, n_comp - n_neg
