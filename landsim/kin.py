"""Kin ties between households of a village: who lends land to whom rent-free.

Rent-free leases in Chinese villages go mostly to relatives. Ties are drawn when the town is
built (each household gets ``Poisson(kin_ties_mean)`` ties to random households of its own
village, each with a *closeness* drawn uniform(0, 1)); a household that splits off from its
parents is tied to them with closeness 1 and inherits their other ties at half closeness; an
heir household inherits the land of kin that die out. Whether a tie carries a lease is decided
in the market (:mod:`landsim.market`), so the rent-free share is an outcome, not an input.

Ties are stored as an edge list with both directions (:class:`KinTies`); :meth:`KinTies.pairs`
returns the ties between two sets of households as arrays, and :func:`kin_pairs` the ties
between the holders of plots offered for lease and the bidders, as the market needs them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landsim import compiled
from landsim.clearing import KinPairs
from landsim.columns import SHARE, column
from landsim.demography_kernels import offer_kin, parent_ties

__all__ = ["KinTies", "build_kin", "kin_pairs", "kin_pairs_reference"]

_T = ("ties",)


@dataclass
class KinTies:
    """Directed edges ``src -> dst`` with ``closeness`` (0-1); each tie appears both ways."""

    src: np.ndarray = column(np.int64, _T, (0, "households"), variable=True)
    dst: np.ndarray = column(np.int64, _T, (0, "households"), variable=True)
    closeness: np.ndarray = column(np.float64, _T, SHARE, variable=True)

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
        """:meth:`inherit` for every ``(parent, child)`` pair in order, with one concatenation:
        the ties parents had before are copied in one vectorised pass; ties given earlier in
        the same batch (a parent that is kin of an earlier parent, a sibling, a child that
        founds a household itself) are tracked for the households a later pair reads."""
        if not pairs:
            return
        par = np.array([pa for pa, _ in pairs], dtype=np.int64)
        chi = np.array([ch for _, ch in pairs], dtype=np.int64)
        # ties each parent had before the batch: pair t gets edges base_t == t
        base_t, base_a, base_c = self._parent_ties(par, chi, factor)
        # households whose ties a later pair reads, and the batch's ties they gain
        readers = set(par.tolist())
        watched = np.isin(base_a, par)
        seen_by_t: dict[int, list[tuple[int, float]]] = {}
        for t, other, close in zip(
            base_t[watched].tolist(),
            base_a[watched].tolist(),
            base_c[watched].tolist(),
            strict=True,
        ):
            seen_by_t.setdefault(t, []).append((other, close))
        added: dict[int, list[tuple[int, float]]] = {}
        new_a: list[int] = []
        new_b: list[int] = []
        new_c: list[float] = []
        for t, (parent, child) in enumerate(pairs):
            ends = [(parent, 1.0)] + [
                (d, c * factor) for d, c in added.get(parent, ()) if d != child
            ]
            for other, close in ends:
                new_a.append(other)
                new_b.append(child)
                new_c.append(close)
            for other, close in ends + seen_by_t.get(t, []):
                if other in readers:
                    added.setdefault(other, []).append((child, close))
            if child in readers:  # it founds a household later in the batch: all its ties
                lo_t, hi_t = np.searchsorted(base_t, [t, t + 1])
                every = ends + list(
                    zip(base_a[lo_t:hi_t].tolist(), base_c[lo_t:hi_t].tolist(), strict=True)
                )
                added.setdefault(child, []).extend(every)
        self.add(
            np.concatenate([base_a, np.array(new_a, dtype=np.int64)]),
            np.concatenate([chi[base_t], np.array(new_b, dtype=np.int64)]),
            np.concatenate([base_c, np.array(new_c, dtype=float)]),
        )

    def _parent_ties(
        self, par: np.ndarray, chi: np.ndarray, factor: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ties each parent ``par[t]`` has, bar those to its child ``chi[t]``, in tie order
        and by pair: ``(t, other end, closeness x factor)``; on the compiled kernel
        :func:`landsim.demography_kernels.parent_ties`, or with NumPy when compilation is off
        (:meth:`_parent_ties_reference`)."""
        if not compiled.enabled():
            return self._parent_ties_reference(par, chi, factor)
        n = int(max(self.src.max(initial=-1), par.max(initial=-1))) + 1
        return parent_ties(self.src, self.dst, self.closeness, par, chi, float(factor), n)

    def _parent_ties_reference(
        self, par: np.ndarray, chi: np.ndarray, factor: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """:meth:`_parent_ties` written with NumPy: the reference its kernel must equal."""
        order = np.argsort(self.src, kind="stable")
        s_sorted = self.src[order]
        lo = np.searchsorted(s_sorted, par, side="left")
        cnt = np.searchsorted(s_sorted, par, side="right") - lo
        base_t = np.repeat(np.arange(par.size), cnt)
        within = np.arange(base_t.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        edge = order[np.repeat(lo, cnt) + within]
        base_a = self.dst[edge]
        base_c = self.closeness[edge] * factor
        mine = base_a != chi[base_t]
        return base_t[mine], base_a[mine], base_c[mine]

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


def kin_pairs(kin: KinTies, offer_holder: np.ndarray, bidder_hh: np.ndarray, n: int) -> KinPairs:
    """Kin ties between the holders of offered plots (``offer_holder``, one per offer; -1 for
    the collective) and bidders (``bidder_hh``), as index pairs into the offers and bidders:
    every offer of a holder times every tie of that holder to a bidder (``n`` households).
    Runs on the compiled kernel :func:`landsim.demography_kernels.offer_kin`;
    :func:`kin_pairs_reference` when compilation is off."""
    if not compiled.enabled():
        return kin_pairs_reference(kin, offer_holder, bidder_hh, n)
    is_bidder = np.zeros(n, dtype=bool)
    is_bidder[bidder_hh] = True
    is_holder = np.zeros(n, dtype=bool)
    is_holder[offer_holder[offer_holder >= 0]] = True
    bidx = np.full(n, -1, dtype=np.int64)
    bidx[bidder_hh] = np.arange(bidder_hh.size)
    offer, bidder, close = offer_kin(
        kin.src, kin.dst, kin.closeness, is_holder, is_bidder, bidx, offer_holder.astype(np.int64)
    )
    return KinPairs(offer=offer, bidder=bidder, closeness=close)


def kin_pairs_reference(
    kin: KinTies, offer_holder: np.ndarray, bidder_hh: np.ndarray, n: int
) -> KinPairs:
    """:func:`kin_pairs` written with NumPy: the reference its kernel must equal."""
    is_bidder = np.zeros(n, dtype=bool)
    is_bidder[bidder_hh] = True
    is_holder = np.zeros(n, dtype=bool)
    is_holder[offer_holder[offer_holder >= 0]] = True
    src, dst, close = kin.pairs(is_holder, is_bidder, n)
    bidx = np.full(n, -1, dtype=np.int64)
    bidx[bidder_hh] = np.arange(bidder_hh.size)
    order = np.argsort(src, kind="stable")
    src, dst, close = src[order], dst[order], close[order]
    h = np.where(offer_holder >= 0, offer_holder, 0)
    lo = np.searchsorted(src, h, side="left")
    hi = np.searchsorted(src, h, side="right")
    cnt = np.where(offer_holder >= 0, hi - lo, 0)
    offer = np.repeat(np.arange(offer_holder.size), cnt)
    start = np.repeat(lo, cnt)
    within = np.arange(offer.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    edge = start + within
    return KinPairs(offer=offer, bidder=bidx[dst[edge]], closeness=close[edge])
