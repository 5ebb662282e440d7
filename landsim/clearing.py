"""Clearing the household land-lease market: a pure function from offers and bidders to leases.

It knows nothing of Mesa or of the model: it takes arrays and returns arrays, so it can be
tested on hand-built cases and sped up on its own. :mod:`landsim.market` builds the offers
and bidders from the town's state and signs the leases it returns.

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
    # kin loans (offer, bidder, closeness), then stranger leases in runs of one bidder:
    # offers, (bidder, run length), rents
    won_o: list[int] = []
    won_b: list[int] = []
    won_c: list[float] = []
    out_o: list[np.ndarray] = []
    out_b: list[tuple[int, int]] = []
    out_r: list[np.ndarray] = []
    if n_o == 0 or n_b == 0:
        return _leases(offers, bidders, (won_o, won_b, won_c), out_o, out_b, out_r)
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
        # one pair at a time, on Python lists (numpy scalar access costs more than the work)
        is_open, n_left, d_left = open_.tolist(), plots_left.tolist(), days_left.tolist()
        need_l = need.tolist()
        for oi, bi, ci in zip(o[order].tolist(), b[order].tolist(), c[order].tolist(), strict=True):
            if is_open[oi] and n_left[bi] > 0 and d_left[bi] >= need_l[oi]:
                is_open[oi] = False
                n_left[bi] -= 1
                d_left[bi] -= need_l[oi]
                won_o.append(oi)
                won_b.append(bi)
                won_c.append(ci)
        open_[:] = is_open
        plots_left[:] = n_left
        days_left[:] = d_left

    # 2. strangers, village by village
    # per offer: return before labour (the same sum as Technology.margin, term by term)
    yf = np.where(offers.hilly, tech.hilly_yield, 1.0)
    before_labour = tech.gross * offers.quality * yf - np.where(
        offers.hilly, tech.hilly_cash, tech.cash
    )
    lessee_days = tech.days(offers.hilly)
    hired_margin = before_labour - lessee_days * tech.hired_wage
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
        # drop plots nobody here could bid enough for, even at no distance with the lowest
        # family wage: the same float operations as the bids below, so the bound is exact
        top = np.maximum(
            (before_labour[o] - lessee_days[o] * bidders.wage[b].min()) * bid_fraction,
            bid_fraction * hired_margin[o],
        )
        o = o[(top > 0) & (top >= np.maximum(offers.reserve[o], 0.0))]
        if o.size == 0:
            continue
        dist = np.abs(bidders.row[b][:, None] - offers.row[o][None, :]) + np.abs(
            bidders.col[b][:, None] - offers.col[o][None, :]
        )
        dist_cost = distance_cost * dist
        fam = before_labour[o][None, :] - lessee_days[o][None, :] * bidders.wage[b][:, None]
        fam *= bid_fraction
        fam -= dist_cost
        reserve_o = np.maximum(offers.reserve[o], 0.0)
        reserve = reserve_o[None, :]
        not_own = offers.holder[o][None, :] != bidders.household[b][:, None]
        ok_fam = (fam >= reserve) & (fam > 0) & not_own
        # a family working for less than the day wage bids at least as much with its own labour
        # as with hired hands (fam >= hired), so the plots it could hire for are among those it
        # had no days for; when that holds for the whole village, hired bids are only worked
        # out for those plots
        cheap = bidders.wage[b] <= tech.hired_wage
        all_cheap = bool(cheap.all())
        if all_cheap:
            ok_any = ok_fam
            best = np.where(ok_fam, fam, -np.inf).max(axis=1)
        else:
            hired = bid_fraction * hired_margin[o][None, :] - dist_cost
            ok_hired = (hired >= reserve) & (hired > 0) & not_own
            ok_any = ok_fam | ok_hired
            best = np.where(ok_any, np.maximum(fam, hired), -np.inf).max(axis=1)
            may_hire = ok_hired.any(axis=1)
        order = np.lexsort((b, -best))
        order = order[np.isfinite(best[order])]
        if order.size == 0:
            continue
        # nxt[pos, j]: the first position >= pos (in bidding order) of a bidder that would take
        # offer j (order.size if none), so the loop visits only bidders with an open offer left
        n_r = order.size
        small = np.int16 if n_r < np.iinfo(np.int16).max else np.int64
        nxt = np.where(ok_any[order], np.arange(n_r, dtype=small)[:, None], small(n_r))
        nxt = np.minimum.accumulate(nxt[::-1], axis=0)[::-1]
        still = np.ones(o.size, dtype=bool)
        need_o = need[o]
        least_need = float(need_o.min())
        neg_fam = -fam
        if all_cheap:  # plots a hired bid could pay for at all (it is highest at no distance)
            hired_top = bid_fraction * hired_margin[o]
            may_hire_o = (hired_top > 0) & (hired_top >= reserve_o)
        pos = int(nxt[0].min())
        while pos < n_r:
            i = order[pos]
            bi = b[i]
            cand = (ok_fam[i] & still).nonzero()[0]
            rest = cand  # with no days for any plot, all are left for hired hands
            if cand.size and days_left[bi] >= least_need:
                cand = cand[neg_fam[i, cand].argsort(kind="stable")]
                cum = need_o[cand].cumsum()  # needs are > 0: the plots that fit are a prefix
                k = min(int(cum.searchsorted(days_left[bi], side="right")), plots_left[bi])
                rest = cand[k:]
                if k:
                    take = cand[:k]
                    still[take] = False
                    plots_left[bi] -= k
                    days_left[bi] -= float(cum[k - 1])
                    out_o.append(o[take])
                    out_b.append((bi, k))
                    out_r.append(fam[i, take])
            if plots_left[bi] > 0 and (rest.size if all_cheap else may_hire[i]):
                if all_cheap:  # hired bids for the plots it had no days for, in offer order
                    hire = rest[may_hire_o[rest]]
                    if hire.size:
                        hire.sort()
                        bids = bid_fraction * hired_margin[o[hire]] - dist_cost[i, hire]
                        ok = (bids >= reserve_o[hire]) & (bids > 0)
                        hire, bids = hire[ok], bids[ok]
                else:
                    if cheap[i]:
                        hire = np.sort(rest[ok_hired[i, rest]])
                    else:
                        hire = (ok_hired[i] & still).nonzero()[0]
                    bids = hired[i, hire]
                if hire.size:
                    by_bid = (-bids).argsort(kind="stable")[: plots_left[bi]]
                    hire = hire[by_bid]
                    still[hire] = False
                    plots_left[bi] -= hire.size
                    out_o.append(o[hire])
                    out_b.append((bi, hire.size))
                    out_r.append(bids[by_bid])
            if pos + 1 >= n_r:
                break
            left = nxt[pos + 1][still]
            pos = int(left.min()) if left.size else n_r
    return _leases(offers, bidders, (won_o, won_b, won_c), out_o, out_b, out_r)


def _leases(offers, bidders, kin_won, out_o, out_b, out_r) -> Leases:
    k_o, k_b, k_c = kin_won
    o = np.concatenate([np.array(k_o, dtype=np.int64), *out_o])
    runs = np.array(out_b, dtype=np.int64).reshape(-1, 2)
    b = np.concatenate([np.array(k_b, dtype=np.int64), np.repeat(runs[:, 0], runs[:, 1])])
    rent = np.concatenate([np.zeros(len(k_o)), *out_r])
    close = np.zeros(o.size)  # closeness of kin loans, 0 for strangers
    close[: len(k_c)] = k_c
    return Leases(
        offer=o,
        plot=offers.plot[o],
        lessee=bidders.household[b],
        rent=rent,
        kin=close > 0,
        closeness=close,
    )


def _group(keys: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    uniq, starts = np.unique(sorted_keys, return_index=True)
    bounds = list(starts) + [keys.size]
    return {int(u): order[bounds[i] : bounds[i + 1]] for i, u in enumerate(uniq)}
