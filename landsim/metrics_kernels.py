"""Compiled kernels of the yearly outcomes (:mod:`landsim.metrics`).

Summary: the land-consolidation outcome counts the contiguous patches of plots with one
operator. :func:`count_patches` does it with a union-find over the grid, one cell and its right
and lower neighbours at a time, where :func:`landsim.spatial.count_patches` (the reference)
labels an image with SciPy. Both count whole numbers, so they agree exactly
(``tests/test_kernels_metrics.py``). The kernel takes and returns arrays and numbers only.

The other outcomes of the land are shares of plots: :func:`land_counts` counts the plots of
each kind, terrain and contract (held by a household or the collective) in one pass, where
:func:`landsim.metrics.land_counts_reference` does it with ``numpy.bincount``.

Parts: :func:`count_patches`, :func:`root` (a union-find's root), :func:`land_counts`.
"""

from __future__ import annotations

import numpy as np

from landsim.compiled import kernel

__all__ = ["count_patches", "root", "land_counts"]


@kernel
def root(parent, a):
    """The root of ``a``'s tree in the union-find ``parent``, halving the path on the way."""
    while parent[a] != a:
        parent[a] = parent[parent[a]]
        a = parent[a]
    return a


@kernel
def count_patches(g):
    """Cells of grid ``g`` (2-D, integer keys) with a non-negative key, and the number of
    4-connected patches of equal keys among them (as :func:`landsim.spatial.count_patches`):
    every link between two neighbours with the same key that joins two patches makes one
    patch fewer."""
    h, w = g.shape
    key = g.ravel()
    parent = np.arange(h * w)
    cells = 0
    joins = 0
    for i in range(h * w):
        k = key[i]
        if k < 0:
            continue
        cells += 1
        right = i + 1 if (i + 1) % w != 0 and key[i + 1] == k else -1
        below = i + w if i + w < h * w and key[i + w] == k else -1
        for j in (right, below):
            if j < 0:
                continue
            a = root(parent, i)
            b = root(parent, j)
            if a != b:
                parent[max(a, b)] = min(a, b)
                joins += 1
    return cells, cells - joins


@kernel
def land_counts(kind, hilly, holder, kinds):
    """Plots by kind (0 to ``kinds`` - 1), terrain (flat 0, hilly 1) and contract (collective 0,
    a household's 1): a ``(kinds, 2, 2)`` array of counts."""
    out = np.zeros((kinds, 2, 2), dtype=np.int64)
    for i in range(kind.size):
        out[kind[i], 1 if hilly[i] else 0, 1 if holder[i] >= 0 else 0] += 1
    return out
