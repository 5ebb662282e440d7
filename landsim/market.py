"""The household land-lease market: a pure function from offers and bidders to leases.

It knows nothing of Mesa or of the model: it takes arrays and returns arrays, so it can be
tested on hand-built cases and sped up on its own.

Rule (after AgriPoliS): a bidder's bid for a plot is ``bid_fraction x`` its marginal profit on
that plot, minus a distance cost per plot-length between the plot and the bidder's homestead.
Within each village, bidders are served in order of their marginal profit (strongest first);
each takes, among the plots still on offer, those it bids most for, as long as the bid covers
the holder's reserve rent, up to its capacity. A rent-free (kin) offer goes at zero rent to
whoever wins it. Each plot goes to at most one lessee.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Offers", "Bidders", "Leases", "clear_market"]


@dataclass(frozen=True)
class Offers:
    """Plots offered for lease (one entry per plot).

    Attributes:
        plot: plot index.
        village: village of the plot.
        row, col: grid position.
        productivity: expected net value of farming the plot for a standard bidder, relative
            to flat average land (multiplies the bidder's marginal profit).
        reserve: lowest rent the holder accepts (yuan/mu).
        rent_free: True for a kin lease: rent is zero whatever the bid.
        holder: contract holder (a bidder never leases its own plot).
    """

    plot: np.ndarray
    village: np.ndarray
    row: np.ndarray
    col: np.ndarray
    productivity: np.ndarray
    reserve: np.ndarray
    rent_free: np.ndarray
    holder: np.ndarray


@dataclass(frozen=True)
class Bidders:
    """Households that want more land (one entry per bidder).

    Attributes:
        household: household index.
        village: village of the household.
        row, col: homestead position (centre of its own plots).
        marginal_profit: profit of one more mu of average flat land (yuan/mu).
        capacity: plots it can still take this year.
    """

    household: np.ndarray
    village: np.ndarray
    row: np.ndarray
    col: np.ndarray
    marginal_profit: np.ndarray
    capacity: np.ndarray


@dataclass(frozen=True)
class Leases:
    """Matches: ``plot`` leased to ``lessee`` at ``rent`` (yuan/mu); index ``offer`` into offers."""

    offer: np.ndarray
    plot: np.ndarray
    lessee: np.ndarray
    rent: np.ndarray


def clear_market(
    offers: Offers,
    bidders: Bidders,
    bid_fraction: float,
    distance_cost: float,
) -> Leases:
    """Match offers to bidders village by village (see module docstring).

    Ties in marginal profit are broken by bidder order, so callers pass bidders in a
    reproducible order.

    Returns:
        The leases; each offered plot appears at most once.
    """
    empty = np.zeros(0, dtype=np.int64)
    if offers.plot.size == 0 or bidders.household.size == 0:
        return Leases(empty, empty, empty, np.zeros(0))
    out_offer: list[np.ndarray] = []
    out_lessee: list[np.ndarray] = []
    out_rent: list[np.ndarray] = []
    off_by_v = _group(offers.village)
    bid_by_v = _group(bidders.village)
    for v in sorted(off_by_v):
        o = off_by_v[v]
        b = bid_by_v.get(v)
        if b is None:
            continue
        # strongest bidder first; ties by the order bidders were given in
        b = b[np.lexsort((b, -bidders.marginal_profit[b]))]
        dist = np.abs(bidders.row[b][:, None] - offers.row[o][None, :]) + np.abs(
            bidders.col[b][:, None] - offers.col[o][None, :]
        )
        bid = bid_fraction * bidders.marginal_profit[b][:, None] * offers.productivity[o][None, :]
        bid -= distance_cost * dist
        ok = (bid >= offers.reserve[o][None, :]) & (bid > 0)
        ok &= offers.holder[o][None, :] != bidders.household[b][:, None]
        open_ = np.ones(o.size, dtype=bool)
        # the last bidder (in order) that would take each offer: past the last one for every
        # open offer, nobody else can lease anything in this village
        any_ok = ok.any(axis=0)
        last_ok = np.where(any_ok, ok.shape[0] - 1 - np.argmax(ok[::-1], axis=0), -1)
        stop = int(last_ok.max())
        for i in np.flatnonzero(ok.any(axis=1) & (bidders.capacity[b] > 0)):
            if i > stop:
                break
            cand = np.flatnonzero(ok[i] & open_)
            if cand.size == 0:
                continue
            k = int(min(bidders.capacity[b[i]], cand.size))
            row = bid[i, cand]
            best = cand[np.argsort(-row, kind="stable")[:k]]
            open_[best] = False
            won = o[best]
            out_offer.append(won)
            out_lessee.append(np.full(k, bidders.household[b[i]], dtype=np.int64))
            out_rent.append(np.where(offers.rent_free[won], 0.0, bid[i, best]))
            if not open_.any():
                break
            stop = int(last_ok[open_].max())
    if not out_offer:
        return Leases(empty, empty, empty, np.zeros(0))
    offer_idx = np.concatenate(out_offer)
    return Leases(
        offer=offer_idx,
        plot=offers.plot[offer_idx],
        lessee=np.concatenate(out_lessee),
        rent=np.concatenate(out_rent),
    )


def _group(keys: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    uniq, starts = np.unique(sorted_keys, return_index=True)
    bounds = list(starts) + [keys.size]
    return {int(u): order[bounds[i] : bounds[i + 1]] for i, u in enumerate(uniq)}
