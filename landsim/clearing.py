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

from dataclasses import dataclass, field

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
    book = _Book(
        days_left=bidders.days.astype(float).copy(),
        plots_left=bidders.max_plots.astype(np.int64).copy(),
        open_=np.ones(offers.plot.size, dtype=bool),
    )
    if offers.plot.size and bidders.household.size:
        need = tech.days(offers.hilly) * tech.plot_mu
        if kin.offer.size:
            _kin_loans(offers, bidders, kin, tech, kin_lease_value, need, book)
        _stranger_leases(offers, bidders, tech, bid_fraction, distance_cost, need, book)
    return _leases(offers, bidders, book)


@dataclass
class _Book:
    """What is left and what was matched while a market clears.

    Attributes:
        days_left, plots_left: each bidder's family days and plots still free.
        open_: each offer is still open.
        kin: kin loans as lists (offer, bidder, closeness).
        out_o, out_b, out_r: stranger leases in runs of one bidder: the offers of a run,
            (bidder, run length) and the rents.
    """

    days_left: np.ndarray
    plots_left: np.ndarray
    open_: np.ndarray
    kin: tuple[list[int], list[int], list[float]] = field(default_factory=lambda: ([], [], []))
    out_o: list[np.ndarray] = field(default_factory=list)
    out_b: list[tuple[int, int]] = field(default_factory=list)
    out_r: list[np.ndarray] = field(default_factory=list)

    def lease(self, offers: np.ndarray, bidder: int, rents: np.ndarray) -> None:
        """Record a run of leases of ``offers`` to ``bidder`` at ``rents``."""
        self.out_o.append(offers)
        self.out_b.append((bidder, offers.size))
        self.out_r.append(rents)


def _kin_loans(
    offers: Offers,
    bidders: Bidders,
    kin: KinPairs,
    tech: Technology,
    kin_lease_value: float,
    need: np.ndarray,
    book: _Book,
) -> None:
    """Stage 1: rent-free loans to kin who would farm the plot (margin >= 0, labour to spare),
    when ``closeness x kin_lease_value`` beats both the holder's reserve and the rent it
    expects from a stranger; closest ties first."""
    o, b, c = kin.offer, kin.bidder, kin.closeness
    m = tech.margin(offers.hilly[o], offers.quality[o], bidders.wage[b])
    value = c * kin_lease_value
    ok = (m >= 0) & (value >= offers.reserve[o]) & (value >= offers.market_value[o])
    ok &= (offers.holder[o] != bidders.household[b]) & (c > 0)
    o, b, c = o[ok], b[ok], c[ok]
    order = np.lexsort((b, o, -c))
    # one pair at a time, on Python lists (numpy scalar access costs more than the work)
    is_open, n_left = book.open_.tolist(), book.plots_left.tolist()
    d_left, need_l = book.days_left.tolist(), need.tolist()
    won_o, won_b, won_c = book.kin
    for oi, bi, ci in zip(o[order].tolist(), b[order].tolist(), c[order].tolist(), strict=True):
        if is_open[oi] and n_left[bi] > 0 and d_left[bi] >= need_l[oi]:
            is_open[oi] = False
            n_left[bi] -= 1
            d_left[bi] -= need_l[oi]
            won_o.append(oi)
            won_b.append(bi)
            won_c.append(ci)
    book.open_[:] = is_open
    book.plots_left[:] = n_left
    book.days_left[:] = d_left


def _stranger_leases(
    offers: Offers,
    bidders: Bidders,
    tech: Technology,
    bid_fraction: float,
    distance_cost: float,
    need: np.ndarray,
    book: _Book,
) -> None:
    """Stage 2, village by village: strangers' bids for the plots still open."""
    # per offer: return before labour (the same sum as Technology.margin, term by term)
    yf = np.where(offers.hilly, tech.hilly_yield, 1.0)
    cash = np.where(offers.hilly, tech.hilly_cash, tech.cash)
    before_labour = tech.gross * offers.quality * yf - cash
    lessee_days = tech.days(offers.hilly)
    hired_margin = before_labour - lessee_days * tech.hired_wage
    prices = _Prices(
        before_labour, lessee_days, hired_margin, need, tech.hired_wage, bid_fraction, distance_cost
    )
    off_by_v = _group(offers.village[book.open_])
    open_idx = np.flatnonzero(book.open_)
    bid_by_v = _group(bidders.village)
    for v in sorted(off_by_v):
        b = bid_by_v.get(v)
        if b is None:
            continue
        b = b[book.plots_left[b] > 0]
        if b.size == 0:
            continue
        village = _bids(offers, bidders, prices, open_idx[off_by_v[v]], b)
        if village is not None:
            _clear_village(village, book)


@dataclass(frozen=True)
class _Prices:
    """Per offer: its return before labour, the lessee's days per mu and the margin with hired
    labour; the plot's labour need; the day wage, and the market's bid fraction and distance
    cost."""

    before_labour: np.ndarray
    lessee_days: np.ndarray
    hired_margin: np.ndarray
    need: np.ndarray
    hired_wage: float
    bid_fraction: float
    distance_cost: float


@dataclass
class _Village:
    """One village's bids: offers ``o`` and bidders ``b`` (indices), family bids ``fam`` and
    hired bids ``hired`` (None when no bidder's family works for more than the day wage), which
    are acceptable, and the bidders' order (strongest first, with ``nxt`` to skip bidders left
    with no open offer they would take)."""

    o: np.ndarray
    b: np.ndarray
    fam: np.ndarray
    ok_fam: np.ndarray
    hired: np.ndarray | None
    ok_hired: np.ndarray | None
    may_hire: np.ndarray | None
    may_hire_o: np.ndarray | None
    cheap: np.ndarray
    dist_cost: np.ndarray
    reserve_o: np.ndarray
    hired_margin: np.ndarray
    bid_fraction: float
    need_o: np.ndarray
    order: np.ndarray
    nxt: np.ndarray


def _bids(
    offers: Offers, bidders: Bidders, pr: _Prices, o: np.ndarray, b: np.ndarray
) -> _Village | None:
    """The bids of bidders ``b`` for the open offers ``o`` of one village (None when nobody
    can bid for any)."""
    frac = pr.bid_fraction
    # drop plots nobody here could bid enough for, even at no distance with the lowest
    # family wage: the same float operations as the bids below, so the bound is exact
    top = np.maximum(
        (pr.before_labour[o] - pr.lessee_days[o] * bidders.wage[b].min()) * frac,
        frac * pr.hired_margin[o],
    )
    o = o[(top > 0) & (top >= np.maximum(offers.reserve[o], 0.0))]
    if o.size == 0:
        return None
    dist = np.abs(bidders.row[b][:, None] - offers.row[o][None, :]) + np.abs(
        bidders.col[b][:, None] - offers.col[o][None, :]
    )
    dist_cost = pr.distance_cost * dist
    fam = pr.before_labour[o][None, :] - pr.lessee_days[o][None, :] * bidders.wage[b][:, None]
    fam *= frac
    fam -= dist_cost
    reserve_o = np.maximum(offers.reserve[o], 0.0)
    reserve = reserve_o[None, :]
    not_own = offers.holder[o][None, :] != bidders.household[b][:, None]
    ok_fam = (fam >= reserve) & (fam > 0) & not_own
    # a family working for less than the day wage bids at least as much with its own labour
    # as with hired hands (fam >= hired), so the plots it could hire for are among those it
    # had no days for; when that holds for the whole village, hired bids are only worked
    # out for those plots
    cheap = bidders.wage[b] <= pr.hired_wage
    hired = ok_hired = may_hire = may_hire_o = None
    if bool(cheap.all()):
        ok_any = ok_fam
        best = np.where(ok_fam, fam, -np.inf).max(axis=1)
        hired_top = frac * pr.hired_margin[o]  # a hired bid is highest at no distance
        may_hire_o = (hired_top > 0) & (hired_top >= reserve_o)
    else:
        hired = frac * pr.hired_margin[o][None, :] - dist_cost
        ok_hired = (hired >= reserve) & (hired > 0) & not_own
        ok_any = ok_fam | ok_hired
        best = np.where(ok_any, np.maximum(fam, hired), -np.inf).max(axis=1)
        may_hire = ok_hired.any(axis=1)
    order = np.lexsort((b, -best))
    order = order[np.isfinite(best[order])]
    if order.size == 0:
        return None
    # nxt[pos, j]: the first position >= pos (in bidding order) of a bidder that would take
    # offer j (order.size if none), so the loop visits only bidders with an open offer left
    n_r = order.size
    small = np.int16 if n_r < np.iinfo(np.int16).max else np.int64
    nxt = np.where(ok_any[order], np.arange(n_r, dtype=small)[:, None], small(n_r))
    nxt = np.minimum.accumulate(nxt[::-1], axis=0)[::-1]
    return _Village(
        o=o,
        b=b,
        fam=fam,
        ok_fam=ok_fam,
        hired=hired,
        ok_hired=ok_hired,
        may_hire=may_hire,
        may_hire_o=may_hire_o,
        cheap=cheap,
        dist_cost=dist_cost,
        reserve_o=reserve_o,
        hired_margin=pr.hired_margin,
        bid_fraction=frac,
        need_o=pr.need[o],
        order=order,
        nxt=nxt,
    )


def _clear_village(vg: _Village, book: _Book) -> None:
    """Bidders in order of their best bid each take, among the offers still open, those they
    bid most for: first with family labour while their days last, then with hired labour,
    up to their plots left; the rent is the bid."""
    still = np.ones(vg.o.size, dtype=bool)
    least_need = float(vg.need_o.min())
    neg_fam = -vg.fam
    n_r = vg.order.size
    pos = int(vg.nxt[0].min())
    while pos < n_r:
        i = vg.order[pos]
        bi = vg.b[i]
        rest = _family_plots(vg, book, i, bi, still, neg_fam, least_need)
        if book.plots_left[bi] > 0:
            _hired_plots(vg, book, i, bi, still, rest)
        if pos + 1 >= n_r:
            break
        left = vg.nxt[pos + 1][still]
        pos = int(left.min()) if left.size else n_r


def _family_plots(
    vg: _Village,
    book: _Book,
    i: int,
    bi: int,
    still: np.ndarray,
    neg_fam: np.ndarray,
    least_need: float,
) -> np.ndarray:
    """Bidder ``i`` (bidder index ``bi``) takes the open offers it bids most for with its
    family's days; returns the acceptable offers it had no days for."""
    cand = (vg.ok_fam[i] & still).nonzero()[0]
    rest = cand  # with no days for any plot, all are left for hired hands
    if cand.size and book.days_left[bi] >= least_need:
        cand = cand[neg_fam[i, cand].argsort(kind="stable")]
        cum = vg.need_o[cand].cumsum()  # needs are > 0: the plots that fit are a prefix
        k = min(int(cum.searchsorted(book.days_left[bi], side="right")), book.plots_left[bi])
        rest = cand[k:]
        if k:
            take = cand[:k]
            still[take] = False
            book.plots_left[bi] -= k
            book.days_left[bi] -= float(cum[k - 1])
            book.lease(vg.o[take], bi, vg.fam[i, take])
    return rest


def _hired_plots(
    vg: _Village, book: _Book, i: int, bi: int, still: np.ndarray, rest: np.ndarray
) -> None:
    """Bidder ``i`` takes, with hired labour, the open offers it bids most for (up to its
    plots left)."""
    if vg.hired is None:  # hired bids for the plots it had no days for, in offer order
        if not rest.size:
            return
        hire = rest[vg.may_hire_o[rest]]
        if not hire.size:
            return
        hire.sort()
        bids = vg.bid_fraction * vg.hired_margin[vg.o[hire]] - vg.dist_cost[i, hire]
        ok = (bids >= vg.reserve_o[hire]) & (bids > 0)
        hire, bids = hire[ok], bids[ok]
    else:
        if not vg.may_hire[i]:
            return
        if vg.cheap[i]:
            hire = np.sort(rest[vg.ok_hired[i, rest]])
        else:
            hire = (vg.ok_hired[i] & still).nonzero()[0]
        bids = vg.hired[i, hire]
    if hire.size:
        by_bid = (-bids).argsort(kind="stable")[: book.plots_left[bi]]
        hire = hire[by_bid]
        still[hire] = False
        book.plots_left[bi] -= hire.size
        book.lease(vg.o[hire], bi, bids[by_bid])


def _leases(offers: Offers, bidders: Bidders, book: _Book) -> Leases:
    """The matches of ``book``: kin loans first, then stranger leases."""
    k_o, k_b, k_c = book.kin
    o = np.concatenate([np.array(k_o, dtype=np.int64), *book.out_o])
    runs = np.array(book.out_b, dtype=np.int64).reshape(-1, 2)
    b = np.concatenate([np.array(k_b, dtype=np.int64), np.repeat(runs[:, 0], runs[:, 1])])
    rent = np.concatenate([np.zeros(len(k_o)), *book.out_r])
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
