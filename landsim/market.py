"""The household land-lease market: a pure function from offers and bidders to leases.

It knows nothing of Mesa or of the model: it takes arrays and returns arrays, so it can be
tested on hand-built cases and sped up on its own.

Rule (after AgriPoliS). A bidder values a plot by *its own* marginal return on that plot::

    margin(b, p) = gross_p - cash_p - days_p x wage_b

with the plot's terrain and quality in ``gross_p`` and ``cash_p``, the lessee technology's
labour days on that terrain in ``days_p`` (machines save much labour on flat land and little on
hills), and ``wage_b`` the bidder's family shadow wage while its spare family days last, the
local day wage for plots beyond them (hired labour: diminishing returns to size). The bid is
``bid_fraction x margin - distance_cost x distance`` (plot-lengths from the homestead).

Two stages clear a village:

1. **Kin.** A holder lends a plot rent-free to a kin household that would farm it (margin >= 0,
   labour to spare) when ``closeness x kin_lease_value`` is worth more to the holder than both
   its reserve and the rent it expects from a stranger; closest ties first.
2. **Strangers.** Bidders in order of their best bid (strongest first) each take, among the
   plots still open, those they bid most for, as long as the bid covers the holder's reserve,
   first with family labour, then with hired labour, up to ``max_plots``; the rent is the bid.

A plot that nobody takes stays with its holder: if the holder cannot farm it, it is abandoned.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Offers", "Bidders", "KinPairs", "Technology", "Leases", "clear_market"]


@dataclass(frozen=True)
class Offers:
    """Plots offered for lease (one entry per plot).

    Attributes:
        plot: plot index.
        village: village of the plot.
        row, col: grid position.
        hilly: plot is on hilly land.
        quality: yield multiplier (1 = average).
        reserve: lowest rent the holder accepts (yuan/mu).
        market_value: rent the holder expects from a stranger (yuan/mu), against which it
            weighs lending to kin.
        holder: contract holder (-1 for the collective; a bidder never leases its own plot).
    """

    plot: np.ndarray
    village: np.ndarray
    row: np.ndarray
    col: np.ndarray
    hilly: np.ndarray
    quality: np.ndarray
    reserve: np.ndarray
    market_value: np.ndarray
    holder: np.ndarray


@dataclass(frozen=True)
class Bidders:
    """Households that want more land (one entry per bidder).

    Attributes:
        household: household index.
        village: village of the household.
        row, col: homestead position.
        wage: shadow wage of the family's own labour (yuan/day).
        days: family field days left after farming its own land (days).
        max_plots: plots it can still take this year.
    """

    household: np.ndarray
    village: np.ndarray
    row: np.ndarray
    col: np.ndarray
    wage: np.ndarray
    days: np.ndarray
    max_plots: np.ndarray


@dataclass(frozen=True)
class KinPairs:
    """Kin ties between the holder of ``offer`` and ``bidder`` (indices into the offers and
    bidders), with their closeness (0-1)."""

    offer: np.ndarray
    bidder: np.ndarray
    closeness: np.ndarray


@dataclass(frozen=True)
class Technology:
    """What farming a leased plot yields and costs a household lessee (per mu).

    Attributes:
        gross: value of the harvest on flat land of quality 1 (yuan/mu).
        cash: cash cost on flat land at the lessee's scale (yuan/mu).
        hilly_cash: cash cost on hilly land, where scale saves nothing (yuan/mu).
        hilly_yield: hill yield relative to flat land (x).
        days_flat, days_hilly: lessee labour per mu by terrain (days/mu).
        hired_wage: wage of hired labour (yuan/day).
        plot_mu: area of a plot (mu).
    """

    gross: float
    cash: float
    hilly_cash: float
    hilly_yield: float
    days_flat: float
    days_hilly: float
    hired_wage: float
    plot_mu: float

    def margin(self, hilly: np.ndarray, quality: np.ndarray, wage: np.ndarray) -> np.ndarray:
        """Return of farming plots (broadcast with ``wage``) before rent (yuan/mu)."""
        yf = np.where(hilly, self.hilly_yield, 1.0)
        cash = np.where(hilly, self.hilly_cash, self.cash)
        return self.gross * quality * yf - cash - self.days(hilly) * wage

    def days(self, hilly: np.ndarray) -> np.ndarray:
        """Lessee labour per mu (days/mu)."""
        return np.where(hilly, self.days_hilly, self.days_flat)


@dataclass(frozen=True)
class Leases:
    """Matches: ``plot`` leased to ``lessee`` at ``rent`` (yuan/mu); ``kin`` marks rent-free
    loans to kin, with the tie's ``closeness`` (0 for strangers); ``offer`` indexes into the
    offers."""

    offer: np.ndarray
    plot: np.ndarray
    lessee: np.ndarray
    rent: np.ndarray
    kin: np.ndarray
    closeness: np.ndarray


def clear_market(
    offers: Offers,
    bidders: Bidders,
    kin: KinPairs,
    tech: Technology,
    bid_fraction: float,
    distance_cost: float,
    kin_lease_value: float,
) -> Leases:
    """Match offers to bidders (see module docstring); each plot is leased at most once.

    Ties are broken by the order offers and bidders are given in, so callers pass them in a
    reproducible order.
    """
    n_o, n_b = offers.plot.size, bidders.household.size
    days_left = bidders.days.astype(float).copy()
    plots_left = bidders.max_plots.astype(np.int64).copy()
    open_ = np.ones(n_o, dtype=bool)
    out_o: list[np.ndarray] = []
    out_b: list[np.ndarray] = []
    out_r: list[np.ndarray] = []
    out_k: list[np.ndarray] = []
    if n_o == 0 or n_b == 0:
        return _leases(offers, bidders, out_o, out_b, out_r, out_k)
    need = tech.days(offers.hilly) * tech.plot_mu

    # 1. kin: rent-free loans, closest ties first
    if kin.offer.size:
        o, b, c = kin.offer, kin.bidder, kin.closeness
        m = tech.margin(offers.hilly[o], offers.quality[o], bidders.wage[b])
        value = c * kin_lease_value
        ok = (m >= 0) & (value >= offers.reserve[o]) & (value >= offers.market_value[o])
        ok &= (offers.holder[o] != bidders.household[b]) & (c > 0)
        o, b, c = o[ok], b[ok], c[ok]
        order = np.lexsort((b, o, -c))
        won_o, won_b, won_c = [], [], []
        for oi, bi, ci in zip(o[order].tolist(), b[order].tolist(), c[order].tolist(), strict=True):
            if open_[oi] and plots_left[bi] > 0 and days_left[bi] >= need[oi]:
                open_[oi] = False
                plots_left[bi] -= 1
                days_left[bi] -= need[oi]
                won_o.append(oi)
                won_b.append(bi)
                won_c.append(ci)
        if won_o:
            out_o.append(np.array(won_o, dtype=np.int64))
            out_b.append(np.array(won_b, dtype=np.int64))
            out_r.append(np.zeros(len(won_o)))
            out_k.append(np.array(won_c))

    # 2. strangers, village by village
    off_by_v = _group(offers.village[open_])
    open_idx = np.flatnonzero(open_)
    bid_by_v = _group(bidders.village)
    for v in sorted(off_by_v):
        o = open_idx[off_by_v[v]]
        b = bid_by_v.get(v)
        if b is None:
            continue
        b = b[plots_left[b] > 0]
        if b.size == 0:
            continue
        dist = np.abs(bidders.row[b][:, None] - offers.row[o][None, :]) + np.abs(
            bidders.col[b][:, None] - offers.col[o][None, :]
        )
        hilly, quality = offers.hilly[o][None, :], offers.quality[o][None, :]
        fam = bid_fraction * tech.margin(hilly, quality, bidders.wage[b][:, None])
        fam -= distance_cost * dist
        hired = bid_fraction * tech.margin(hilly, quality, tech.hired_wage) - distance_cost * dist
        reserve = np.maximum(offers.reserve[o], 0.0)[None, :]
        own = offers.holder[o][None, :] == bidders.household[b][:, None]
        ok_fam = (fam >= reserve) & (fam > 0) & ~own
        ok_hired = (hired >= reserve) & (hired > 0) & ~own
        ok_any = ok_fam | ok_hired
        best = np.where(ok_any, np.maximum(fam, hired), -np.inf).max(axis=1)
        order = np.lexsort((b, -best))
        order = order[np.isfinite(best[order])]
        if order.size == 0:
            continue
        # the last bidder (in order) that would take each offer: past it, nobody else can
        ranked = ok_any[order]
        last = np.where(
            ranked.any(axis=0), ranked.shape[0] - 1 - np.argmax(ranked[::-1], axis=0), -1
        )
        still = np.ones(o.size, dtype=bool)
        stop = int(last.max())
        for pos, i in enumerate(order):
            if pos > stop:
                break
            row = ok_any[i] & still
            if not row.any():
                continue
            bi = b[i]
            cand = np.flatnonzero(ok_fam[i] & still)
            if cand.size:
                cand = cand[np.argsort(-fam[i, cand], kind="stable")]
                cum = np.cumsum(need[o[cand]])
                take = cand[(cum <= days_left[bi])][: plots_left[bi]]
                if take.size:
                    still[take] = False
                    plots_left[bi] -= take.size
                    days_left[bi] -= float(need[o[take]].sum())
                    _append(out_o, out_b, out_r, out_k, o[take], bi, fam[i, take])
            if plots_left[bi] > 0:
                cand = np.flatnonzero(ok_hired[i] & still)
                if cand.size:
                    cand = cand[np.argsort(-hired[i, cand], kind="stable")][: plots_left[bi]]
                    still[cand] = False
                    plots_left[bi] -= cand.size
                    _append(out_o, out_b, out_r, out_k, o[cand], bi, hired[i, cand])
            if not still.any():
                break
            stop = int(last[still].max())
    return _leases(offers, bidders, out_o, out_b, out_r, out_k)


def _append(out_o, out_b, out_r, out_k, offer_idx, bidder, rent) -> None:
    out_o.append(offer_idx)
    out_b.append(np.full(offer_idx.size, bidder, dtype=np.int64))
    out_r.append(np.asarray(rent, dtype=float))
    out_k.append(np.zeros(offer_idx.size))


def _leases(offers, bidders, out_o, out_b, out_r, out_k) -> Leases:
    if not out_o:
        e = np.zeros(0, dtype=np.int64)
        return Leases(e, e, e, np.zeros(0), np.zeros(0, dtype=bool), np.zeros(0))
    o = np.concatenate(out_o)
    close = np.concatenate(out_k)  # closeness of kin loans, 0 for strangers
    return Leases(
        offer=o,
        plot=offers.plot[o],
        lessee=bidders.household[np.concatenate(out_b)],
        rent=np.concatenate(out_r),
        kin=close > 0,
        closeness=close,
    )


def _group(keys: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    uniq, starts = np.unique(sorted_keys, return_index=True)
    bounds = list(starts) + [keys.size]
    return {int(u): order[bounds[i] : bounds[i + 1]] for i, u in enumerate(uniq)}
