"""Spatial measures on the plot grid: neighbour shares and contiguous patches.

Pure functions of the grid (a ``(height, width)`` array of keys), used by cooperatives (which
prefer land next to land they already pool) and by the land-consolidation outcome.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

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
    among them.

    The grid is drawn on a (2H-1) x (2W-1) image: cells at even-even positions, a link between
    two neighbours with the same key on the position between them, odd-odd positions empty.
    Patches are then the 4-connected components of that image (``scipy.ndimage.label``)."""
    h, w = g.shape
    img = np.zeros((2 * h - 1, 2 * w - 1), dtype=bool)
    img[::2, ::2] = g >= 0
    img[::2, 1::2] = (g[:, :-1] == g[:, 1:]) & (g[:, :-1] >= 0)
    img[1::2, ::2] = (g[:-1, :] == g[1:, :]) & (g[:-1, :] >= 0)
    _, n_patches = ndimage.label(img)
    return int((g >= 0).sum()), int(n_patches)
