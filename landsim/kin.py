"""Kin ties between households of a village: who lends land to whom rent-free.

Rent-free leases in Chinese villages go mostly to relatives. Ties are drawn when the town is
built (each household gets ``Poisson(kin_ties_mean)`` ties to random households of its own
village, each with a *closeness* drawn uniform(0, 1)); a household that splits off from its
parents is tied to them with closeness 1 and inherits their other ties at half closeness; an
heir household inherits the land of kin that die out. Whether a tie carries a lease is decided
in the market (:mod:`landsim.market`), so the rent-free share is an outcome, not an input.

Ties are stored as an edge list with both directions (:class:`KinTies`); :meth:`KinTies.pairs`
returns the ties between two sets of households as arrays.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["KinTies", "build_kin"]


@dataclass
class KinTies:
    """Directed edges ``src -> dst`` with ``closeness`` (0-1); each tie appears both ways."""

    src: np.ndarray
    dst: np.ndarray
    closeness: np.ndarray

    def add(self, a: np.ndarray, b: np.ndarray, closeness: np.ndarray) -> None:
        """Add ties ``a <-> b`` (both directions)."""
        self.src = np.concatenate([self.src, a, b]).astype(np.int64)
        self.dst = np.concatenate([self.dst, b, a]).astype(np.int64)
        self.closeness = np.concatenate([self.closeness, closeness, closeness])

    def inherit(self, parent: int, child: int, factor: float = 0.5) -> None:
        """``child`` (a new household split from ``parent``) gets the parent's ties at
        ``factor`` times their closeness, and a tie of closeness 1 to the parent."""
        mine = (self.src == parent) & (self.dst != child)
        others = self.dst[mine]
        close = self.closeness[mine] * factor
        self.add(
            np.r_[np.int64(parent), others], np.full(others.size + 1, child), np.r_[1.0, close]
        )

    def inherit_many(self, pairs: list[tuple[int, int]], factor: float = 0.5) -> None:
        """:meth:`inherit` for every ``(parent, child)`` pair in order, with one concatenation
        (a child later in the list also inherits the ties an earlier child gave its parent)."""
        if not pairs:
            return
        order = np.argsort(self.src, kind="stable")
        s_sorted = self.src[order]
        added: dict[int, list[tuple[int, float]]] = {}
        new_a: list[int] = []
        new_b: list[int] = []
        new_c: list[float] = []
        for parent, child in pairs:
            lo, hi = np.searchsorted(s_sorted, [parent, parent + 1])
            idx = order[lo:hi]
            ties = list(zip(self.dst[idx].tolist(), self.closeness[idx].tolist(), strict=True))
            ties += added.get(parent, [])
            ends = [(parent, 1.0)] + [(d, c * factor) for d, c in ties if d != child]
            for other, close in ends:
                new_a.append(other)
                new_b.append(child)
                new_c.append(close)
                added.setdefault(other, []).append((child, close))
                added.setdefault(child, []).append((other, close))
        self.add(np.array(new_a, np.int64), np.array(new_b, np.int64), np.array(new_c))

    def pairs(self, first: np.ndarray, second: np.ndarray, n: int) -> tuple[np.ndarray, ...]:
        """Ties from households marked in boolean mask ``first`` to those in ``second``
        (masks of length ``n``).

        Returns:
            ``(src, dst, closeness)`` arrays of the matching ties.
        """
        ok = first[self.src] & second[self.dst]
        return self.src[ok], self.dst[ok], self.closeness[ok]

    def closest(self, households: np.ndarray, alive: np.ndarray) -> np.ndarray:
        """For each of ``households``, its living tie with the highest closeness (-1 if none)."""
        out = np.full(households.size, -1, dtype=np.int64)
        if households.size == 0 or self.src.size == 0:
            return out
        pos = np.full(alive.size, -1, dtype=np.int64)
        pos[households] = np.arange(households.size)
        sel = (pos[self.src] >= 0) & alive[self.dst]
        src, dst, close = self.src[sel], self.dst[sel], self.closeness[sel]
        order = np.lexsort((dst, -close, src))  # per source: closest first, then lowest index
        src, dst = src[order], dst[order]
        first = np.r_[True, src[1:] != src[:-1]] if src.size else np.zeros(0, dtype=bool)
        out[pos[src[first]]] = dst[first]
        return out


def build_kin(
    hh_village: np.ndarray, n_villages: int, mean_ties: float, rng: np.random.Generator
) -> KinTies:
    """Draw each household's ties to random other households of its own village."""
    n = hh_village.size
    k = rng.poisson(mean_ties / 2.0, n)  # each tie has two ends: mean ties per household
    src = np.repeat(np.arange(n), k)
    order = np.argsort(hh_village, kind="stable")
    start = np.searchsorted(hh_village[order], np.arange(n_villages))
    count = np.bincount(hh_village, minlength=n_villages)
    v = hh_village[src]
    dst = order[start[v] + (rng.random(src.size) * count[v]).astype(np.int64)]
    keep = dst != src
    close = rng.random(src.size)
    ties = KinTies(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0))
    ties.add(src[keep], dst[keep], close[keep])
    return ties
