"""The plain references of the land market's compiled kernels that take arrays only
(:mod:`landsim.clearing`, :mod:`landsim.clearing_kernels`).

Summary: a village's second-price auctions in rounds, with NumPy (:func:`auction_reference`,
stage 3 of the market), and the loans to kin taken one pair at a time, with Python lists
(:func:`kin_loans_reference`, stage 2). The kernels must equal them bit for bit
(``tests/test_kernels.py``, ``tests/test_kernels_market.py``); :mod:`landsim.clearing` runs
them when compilation is off, and names them as its own.
"""

from __future__ import annotations

import numpy as np

from landsim.grouping import group_cumsum

__all__ = ["auction_reference", "kin_loans_reference"]


def auction_reference(
    base: np.ndarray,
    days_per_mu: np.ndarray,
    need: np.ndarray,
    reserve: np.ndarray,
    wage: np.ndarray,
    hired_wage: float,
    days_left: np.ndarray,
    room: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Second-price auctions of one village's plots, in rounds (module docstring, stage 3),
    written with NumPy: the reference that the compiled :func:`auction` must equal.

    Args:
        base: bidders x plots: each bidder's willingness to pay before labour (yuan/mu;
            ``-inf`` where it may not bid, e.g. its own plot).
        days_per_mu: each plot's lessee labour (days/mu).
        need: each plot's lessee labour (days).
        reserve: each plot's reserve rent (yuan/mu, not negative).
        wage: each bidder's own day (yuan/day).
        hired_wage: the day wage of hired labour (yuan/day).
        days_left: each bidder's spare family days.
        room: plots each bidder can still manage.

    Returns:
        ``(plot, bidder, rent, family)``: positions of the plots won and of their winners, the
        rents, and whether the winner farms the plot with its own days.
    """
    n_b, n_o = base.shape
    days_left = days_left.astype(float).copy()
    room = room.astype(np.int64).copy()
    fam_wtp = base - days_per_mu[None, :] * wage[:, None]
    hired_wtp = base - days_per_mu[None, :] * hired_wage
    open_o = np.arange(n_o)
    out: list[tuple[np.ndarray, ...]] = []
    # where no bidder's own day costs more than a hired one, a bidder's willingness to pay can
    # only fall from round to round (its days run out, hired labour takes over): a plot nobody
    # bids for, or a bidder that bids for nothing, stays so, and leaves the rounds early
    cheap = bool((wage <= hired_wage).all())
    while open_o.size and (room > 0).any():
        live = np.flatnonzero(room > 0)
        fam = days_left[live][:, None] >= need[open_o][None, :]
        cur = np.where(fam, fam_wtp[np.ix_(live, open_o)], hired_wtp[np.ix_(live, open_o)])
        floor = np.maximum(reserve[open_o], 0.0)
        cur[(cur <= 0) | (cur < floor[None, :])] = -np.inf
        top = np.argmax(cur, axis=0)
        cols = np.arange(open_o.size)
        v1 = cur[top, cols]
        if live.size > 1:
            v2 = np.partition(cur, live.size - 2, axis=0)[live.size - 2]
        else:
            v2 = np.full(open_o.size, -np.inf)
        bid = np.isfinite(v1)
        if not bid.any():
            break
        if cheap:
            room[live[~np.isfinite(cur).any(axis=1)]] = 0
        j = np.flatnonzero(bid)
        winner = live[top[j]]
        price = np.maximum(floor[j], np.where(np.isfinite(v2[j]), v2[j], 0.0))
        on_family = fam[top[j], j]
        gain = v1[j] - price
        order = np.lexsort((j, -gain, winner))
        j, winner, price, on_family = j[order], winner[order], price[order], on_family[order]
        days_ok = ~on_family | (
            group_cumsum(np.where(on_family, need[open_o[j]], 0.0), winner) <= days_left[winner]
        )
        keep = days_ok & (group_cumsum(days_ok.astype(float), winner) <= room[winner])
        j, winner, price, on_family = j[keep], winner[keep], price[keep], on_family[keep]
        np.subtract.at(room, winner, 1)
        np.subtract.at(days_left, winner, np.where(on_family, need[open_o[j]], 0.0))
        out.append((open_o[j], winner, price, on_family))
        still = bid.copy() if cheap else np.ones(open_o.size, dtype=bool)
        still[j] = False
        open_o = open_o[still]
    if not out:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, np.zeros(0), np.zeros(0, dtype=bool)
    o, b, rent, fam_used = (np.concatenate(x) for x in zip(*out, strict=True))
    return o, b, rent, fam_used


def kin_loans_reference(
    offer: np.ndarray,
    bidder: np.ndarray,
    is_open: np.ndarray,
    room: np.ndarray,
    days_left: np.ndarray,
    need: np.ndarray,
) -> np.ndarray:
    """Which kin pairs (``offer``, ``bidder``: indices, in the order they are considered) get
    a loan: one pair at a time, while the plot is still open (``is_open``), the bidder has
    room left (``room``, plots) and family days for it (``days_left`` >= the plot's ``need``);
    each loan closes the plot and uses a plot of room and the days. Python lists (numpy scalar
    access costs more than the work): the reference that the compiled
    :func:`landsim.clearing_kernels.kin_loans` must equal. The arrays given are not changed."""
    is_open_l, n_left = is_open.tolist(), room.tolist()
    d_left, need_l = days_left.tolist(), need.tolist()
    kept = np.zeros(offer.size, dtype=bool)
    for i, (oi, bi) in enumerate(zip(offer.tolist(), bidder.tolist(), strict=True)):
        if is_open_l[oi] and n_left[bi] > 0 and d_left[bi] >= need_l[oi]:
            is_open_l[oi] = False
            n_left[bi] -= 1
            d_left[bi] -= need_l[oi]
            kept[i] = True
    return kept
