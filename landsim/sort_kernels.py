"""A compiled stable sort for the kernels: :func:`stable_argsort`.

Summary: ``np.argsort(keys, kind="stable")`` as a bottom-up merge sort. The kernels of the
market and the co-ops order offers, bids and plots with stable sorts; Numba's own
``np.argsort(kind="mergesort")`` gives the same order but costs 1.2-2.5 s of compilation for
each type of key and each kernel that uses it, about a tenth of a fresh install's first
compile (docs/performance.md). This one compiles in about 0.4 s per type of key, once.
Ties keep their order; NaN sorts after every number, as in NumPy
(``tests/test_kernels.py`` checks it against NumPy on random keys).
"""

from __future__ import annotations

import numpy as np

from landsim.compiled import kernel

__all__ = ["stable_argsort"]


@kernel
def stable_argsort(keys):
    """The indices that sort ``keys`` (a 1-D int or float array), ties in their order:
    ``np.argsort(keys, kind="stable")``."""
    n = keys.size
    idx = np.arange(n)
    tmp = np.empty(n, np.int64)
    width = 1
    while width < n:
        for lo in range(0, n, 2 * width):
            mid = min(lo + width, n)
            hi = min(lo + 2 * width, n)
            i, j, k = lo, mid, lo
            while i < mid and j < hi:
                a, b = keys[idx[i]], keys[idx[j]]
                # b before a only if it is smaller (NaN after every number, as in NumPy)
                if b < a or (a != a and b == b):
                    tmp[k] = idx[j]
                    j += 1
                else:
                    tmp[k] = idx[i]
                    i += 1
                k += 1
            while i < mid:
                tmp[k] = idx[i]
                i += 1
                k += 1
            while j < hi:
                tmp[k] = idx[j]
                j += 1
                k += 1
        idx, tmp = tmp, idx
        width *= 2
    return idx
