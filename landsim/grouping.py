"""Grouping array entries by an integer key: the index arithmetic several phases share.

Parts: :func:`group_indices` (the entries of each key 0..n-1), :func:`split_by` (the values of
each key present), :func:`group_cumsum` (running sums that restart with each group).
"""

from __future__ import annotations

import numpy as np

__all__ = ["group_indices", "split_by", "group_cumsum"]


def group_indices(keys: np.ndarray, n: int) -> list[np.ndarray]:
    """For each key ``0..n-1``, the positions in ``keys`` that hold it (in their given order)."""
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n)]


def split_by(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Unique ``keys`` and, for each, the ``values`` with that key (in their given order)."""
    order = np.argsort(keys, kind="stable")
    uniq, starts = np.unique(keys[order], return_index=True)
    return uniq, np.split(values[order], starts[1:])


def group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each new value of sorted ``groups``."""
    cum = np.cumsum(values)
    if values.size == 0:
        return cum
    start = np.r_[True, groups[1:] != groups[:-1]]
    offsets = np.maximum.accumulate(np.where(start, np.arange(values.size), 0))
    before = np.r_[0.0, cum[:-1]]
    return cum - before[offsets]
