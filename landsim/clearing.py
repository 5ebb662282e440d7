"""Clearing the household land-lease market: a pure function from offers and bidders to leases.

It knows nothing of Mesa or of the model: it takes arrays and returns arrays, so it can be
tested on hand-built cases and sped up on its own. :mod:`landsim.market` builds the offers
and bidders from the town's state and signs the leases it returns. Each stage runs on
compiled kernels (:mod:`landsim.clearing_kernels`) that equal its plain references bit for
bit (here, and in :mod:`landsim.clearing_reference` those that take arrays only).

A bidder's **willingness to pay** for a plot is its own expected margin on that plot::

    wtp(b, p) = gross_p - cash_p - days_p x wage_b - risk_b x sd_p - distance_cost x distance

with the plot's terrain and quality in ``gross_p`` and ``cash_p``, the lessee technology's
labour days on that terrain in ``days_p`` (machines save much labour on flat land and little on
hills), ``wage_b`` the value of the bidder's own day while its spare field days last and the
hired day wage beyond them (hired labour: diminishing returns to size), ``risk_b x sd_p`` its
risk premium for the harvest's spread, and the distance (plot-lengths) from its homestead.
No parameter scales it: what a plot rents for comes from how many bidders want it.

Three stages clear the market:

1. **Renewal.** An oral lease (or a loan to kin) that ended at the start of the year and whose
   holder offers the plot again is renewed at its rent when the sitting lessee still wants it
   at that rent and can manage it.
2. **Kin.** A holder lends a plot rent-free to a kin household that would farm it (margin >= 0,
   land it can still manage) when ``closeness x kin_lease_value`` is worth more to the holder
   than both its reserve and the rent it expects from a stranger; closest ties first.
3. **Auction.** Every other plot is auctioned to the village's bidders, second price: each
   bids its willingness to pay, the highest bidder wins and pays the second-highest bid, or
   the holder's reserve when that is more (or when it bids alone). Bidders can manage only so
   much land (``room``, plots): a bidder that wins more plots than it can manage, or more
   than its spare days can farm at the price of its own labour, keeps those where it gains
   most, and the others are auctioned again among the bidders left, in rounds until no plot
   changes hands.

A plot that nobody takes stays with its holder: if the holder cannot farm it, it is abandoned.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from landsim import compiled
from landsim.clearing_kernels import (
    auction_rounds,
    auction_villages,
    clear_offers,
    kin_loans,
    renewals,
)
from landsim.clearing_reference import auction_reference, kin_loans_reference
from landsim.grouping import group_cumsum

__all__ = [
    "Offers",
    "Bidders",
    "KinPairs",
    "Technology",
    "Leases",
    "clear_market",
    "auction",
    "auction_reference",
    "kin_loans_reference",
]


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
        sitting: the bidder (index into the bidders) whose oral lease of the plot ended at the
            start of the year and who may renew it; -1 for none.
        sitting_rent: the rent of that lease (yuan/mu).
        sitting_closeness: the closeness of the kin tie that lease rested on (0: a stranger).
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
    sitting: np.ndarray | None = None
    sitting_rent: np.ndarray | None = None
    sitting_closeness: np.ndarray | None = None


@dataclass(frozen=True)
class Bidders:
    """Households that want more land (one entry per bidder).

    Attributes:
        household: household index.
        village: village of the household.
        row, col: homestead position.
        wage: value of a day of the family's own labour (yuan/day).
        days: family field days left after farming its own land (days).
        room: plots it can still manage.
        risk: its risk premium per yuan of the harvest's standard deviation.
    """

    household: np.ndarray
    village: np.ndarray
    row: np.ndarray
    col: np.ndarray
    wage: np.ndarray
    days: np.ndarray
    room: np.ndarray
    risk: np.ndarray | None = None

    def risk_or_zero(self) -> np.ndarray:
        """Each bidder's risk premium (0 when none was given)."""
        return np.zeros(self.household.size) if self.risk is None else self.risk


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
        yield_sd: standard deviation of the harvest's value, as a share of it.
    """

    gross: float
    cash: float
    hilly_cash: float
    hilly_yield: float
    days_flat: float
    days_hilly: float
    hired_wage: float
    plot_mu: float
    yield_sd: float = 0.0

    def before_labour(self, hilly: np.ndarray, quality: np.ndarray) -> np.ndarray:
        """Harvest less cash costs (yuan/mu)."""
        yf = np.where(hilly, self.hilly_yield, 1.0)
        return self.gross * quality * yf - np.where(hilly, self.hilly_cash, self.cash)

    def spread(self, hilly: np.ndarray, quality: np.ndarray) -> np.ndarray:
        """Standard deviation of the harvest's value (yuan/mu)."""
        return self.yield_sd * self.gross * quality * np.where(hilly, self.hilly_yield, 1.0)

    def margin(
        self,
        hilly: np.ndarray,
        quality: np.ndarray,
        wage: np.ndarray,
        risk: np.ndarray | float = 0.0,
    ) -> np.ndarray:
        """Return of farming plots (broadcast with ``wage`` and ``risk``) before rent, less
        the risk premium (yuan/mu)."""
        return (
            self.before_labour(hilly, quality)
            - self.days(hilly) * wage
            - risk * self.spread(hilly, quality)
        )

    def days(self, hilly: np.ndarray) -> np.ndarray:
        """Lessee labour per mu (days/mu)."""
        return np.where(hilly, self.days_hilly, self.days_flat)


@dataclass(frozen=True)
class Leases:
    """Matches: ``plot`` leased to ``lessee`` at ``rent`` (yuan/mu); ``kin`` marks rent-free
    loans to kin, with the tie's ``closeness`` (0 for strangers); ``renewed`` marks oral leases
    renewed with their sitting lessee; ``offer`` indexes into the offers."""

    offer: np.ndarray
    plot: np.ndarray
    lessee: np.ndarray
    rent: np.ndarray
    kin: np.ndarray
    closeness: np.ndarray
    renewed: np.ndarray


def clear_market(
    offers: Offers,
    bidders: Bidders,
    kin: KinPairs,
    tech: Technology,
    distance_cost: float,
    kin_lease_value: float,
) -> Leases:
    """Match offers to bidders (see module docstring); each plot is leased at most once.

    Ties are broken by the order offers and bidders are given in, so callers pass them in a
    reproducible order. A market too small to split over threads (fewer offers than
    :data:`landsim.compiled.PARALLEL_MIN`) clears in one call of the compiled kernel
    :func:`landsim.clearing_kernels.clear_offers` (:func:`_clear_in_one`), the same leases as
    the stages below make one by one: at a town's size, the calls between stages cost more
    than the stages' work.
    """
    if compiled.enabled() and offers.plot.size < compiled.PARALLEL_MIN:
        leases = _clear_in_one(offers, bidders, kin, tech, distance_cost, kin_lease_value)
        if leases is not None:
            return leases
    book = _Book(
        days_left=bidders.days.astype(float).copy(),
        room=bidders.room.astype(np.int64).copy(),
        open_=np.ones(offers.plot.size, dtype=bool),
    )
    if offers.plot.size and bidders.household.size:
        need = tech.days(offers.hilly) * tech.plot_mu
        if offers.sitting is not None:
            _renewals(offers, bidders, tech, distance_cost, need, book)
        if kin.offer.size:
            _kin_loans(offers, bidders, kin, tech, kin_lease_value, need, book)
        _auctions(offers, bidders, tech, distance_cost, need, book)
    return book.leases(offers, bidders)


def _clear_in_one(
    offers: Offers,
    bidders: Bidders,
    kin: KinPairs,
    tech: Technology,
    distance_cost: float,
    kin_lease_value: float,
) -> Leases | None:
    """:func:`clear_market` in one call of :func:`landsim.clearing_kernels.clear_offers`;
    ``None`` when an array is not of the types the kernel is built for, or the offers have no
    sitting lessees (then the stages run one by one)."""
    if offers.sitting is None or offers.sitting_rent is None:
        return None
    close = offers.sitting_closeness
    close = np.zeros(offers.plot.size) if close is None else close
    floats = (
        offers.quality, offers.reserve, offers.market_value, offers.sitting_rent, close,
        bidders.wage, bidders.days, bidders.risk_or_zero(), kin.closeness,
    )  # fmt: skip
    if any(a.dtype != np.float64 for a in floats) or bidders.room.dtype != np.int64:
        return None
    c = np.ascontiguousarray
    offer = (
        offers.village, offers.row, offers.col, offers.hilly, offers.quality, offers.reserve,
        offers.market_value, offers.holder, offers.sitting.astype(np.int64),
        offers.sitting_rent, close,
    )  # fmt: skip
    bidder = (
        bidders.household, bidders.village, bidders.row, bidders.col, bidders.wage,
        bidders.days, bidders.room, bidders.risk_or_zero(),
    )  # fmt: skip
    o, b, rent, closeness, renewed = clear_offers(
        tuple(c(a) for a in offer),
        tuple(c(a) for a in bidder),
        (c(kin.offer, dtype=np.int64), c(kin.bidder, dtype=np.int64), c(kin.closeness)),
        _tech_numbers(tech),
        float(tech.plot_mu),
        float(distance_cost),
        float(kin_lease_value),
        np.maximum(offers.reserve, 0.0),  # the floor, as auction() takes it
    )
    return Leases(
        offer=o,
        plot=offers.plot[o],
        lessee=bidders.household[b],
        rent=rent,
        kin=closeness > 0,
        closeness=closeness,
        renewed=renewed,
    )


@dataclass
class _Book:
    """What is left and what was matched while a market clears: each bidder's family days and
    room left, each offer still open, and the matches as runs of arrays (offer, bidder, rent,
    closeness, renewed)."""

    days_left: np.ndarray
    room: np.ndarray
    open_: np.ndarray
    runs: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def take(
        self,
        o: np.ndarray,
        b: np.ndarray,
        rent: np.ndarray,
        closeness: np.ndarray,
        renewed: bool,
        family_days: np.ndarray,
    ) -> None:
        """Record matches of offers ``o`` to bidders ``b``; ``family_days``: the family days
        each match uses."""
        self.open_[o] = False
        np.subtract.at(self.room, b, 1)
        np.subtract.at(self.days_left, b, family_days)
        self.runs.append((o, b, rent, closeness, np.full(o.size, renewed)))

    def leases(self, offers: Offers, bidders: Bidders) -> Leases:
        """The matches, in the order they were made."""
        parts = list(zip(*self.runs, strict=True)) if self.runs else [()] * 5
        o, b, rent, close, renewed = (
            np.concatenate(x) if x else np.zeros(0, dtype=t)
            for x, t in zip(parts, (np.int64, np.int64, float, float, bool), strict=True)
        )
        o, b = o.astype(np.int64), b.astype(np.int64)
        return Leases(
            offer=o,
            plot=offers.plot[o],
            lessee=bidders.household[b],
            rent=rent.astype(float),
            kin=close > 0,
            closeness=close.astype(float),
            renewed=renewed.astype(bool),
        )


def _distance(offers: Offers, bidders: Bidders, o: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Plot-lengths from homestead ``b`` to plot ``o`` (elementwise, or broadcast)."""
    return np.abs(bidders.row[b] - offers.row[o]) + np.abs(bidders.col[b] - offers.col[o])


def _renewals(
    offers: Offers,
    bidders: Bidders,
    tech: Technology,
    distance_cost: float,
    need: np.ndarray,
    book: _Book,
) -> None:
    """Stage 1: oral leases renewed with their sitting lessee at their rent, when it still
    wants the plot at that rent (its willingness to pay, with its own labour while its days
    last, covers the rent; for a loan to kin, the margin is not negative) and can manage it.
    Which are renewed is decided on the compiled kernel
    :func:`landsim.clearing_kernels.renewals` (:func:`_renewals_reference` when compilation
    is off, or when an array is not of the types the kernel is built for)."""
    assert offers.sitting is not None and offers.sitting_rent is not None
    o = np.flatnonzero(offers.sitting >= 0)
    if o.size == 0:
        return
    # by sitting lessee, then plot (np.lexsort((o, b)): o is already ascending)
    o = o[np.argsort(offers.sitting[o], kind="stable")]
    b = offers.sitting[o]
    close = np.zeros(o.size) if offers.sitting_closeness is None else offers.sitting_closeness[o]
    rent = offers.sitting_rent[o]
    plot = (offers.hilly, offers.quality, need, offers.row, offers.col, offers.holder)
    bidder = (bidders.risk_or_zero(), bidders.wage, bidders.row, bidders.col, bidders.household)
    floats = (offers.quality, need, close, rent, bidder[0], bidder[1], book.days_left)
    if compiled.enabled() and all(a.dtype == np.float64 for a in floats):
        ok, family = renewals(
            o.astype(np.int64), b.astype(np.int64), close, rent,
            tuple(np.ascontiguousarray(a) for a in plot),
            tuple(np.ascontiguousarray(a) for a in bidder),
            _tech_numbers(tech), float(distance_cost), book.days_left, book.room,
        )  # fmt: skip
    else:
        ok, family = _renewals_reference(offers, bidders, tech, distance_cost, need, book, o)
    o, b = o[ok], b[ok]
    book.take(o, b, rent[ok], close[ok], True, np.where(family[ok], need[o], 0.0))


def _tech_numbers(tech: Technology) -> tuple[float, ...]:
    """The technology's numbers as :func:`landsim.clearing_kernels.renewals` takes them."""
    return tuple(
        float(x)
        for x in (
            tech.gross, tech.cash, tech.hilly_cash, tech.hilly_yield, tech.days_flat,
            tech.days_hilly, tech.hired_wage, tech.yield_sd * tech.gross,
        )
    )  # fmt: skip


def _renewals_reference(
    offers: Offers,
    bidders: Bidders,
    tech: Technology,
    distance_cost: float,
    need: np.ndarray,
    book: _Book,
    o: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Stage 1's test (:func:`_renewals`) for the offers ``o`` with a sitting lessee, by
    lessee: whether each is renewed, and whether the lessee farms it with its own days;
    NumPy, the reference that :func:`landsim.clearing_kernels.renewals` must equal."""
    assert offers.sitting is not None and offers.sitting_rent is not None
    b = offers.sitting[o]
    risk = bidders.risk_or_zero()[b]
    before = tech.before_labour(offers.hilly[o], offers.quality[o]) - risk * tech.spread(
        offers.hilly[o], offers.quality[o]
    )
    dist = distance_cost * _distance(offers, bidders, o, b)
    family = group_cumsum(need[o], b) <= book.days_left[b]
    wage = np.where(family, bidders.wage[b], tech.hired_wage)
    wtp = before - tech.days(offers.hilly[o]) * wage - dist
    close = np.zeros(o.size) if offers.sitting_closeness is None else offers.sitting_closeness[o]
    rent = offers.sitting_rent[o]
    ok = np.where(close > 0, wtp + dist >= 0, wtp >= rent) & (
        offers.holder[o] != bidders.household[b]
    )
    ok &= group_cumsum(ok.astype(float), b) <= book.room[b]
    return ok, family


def _kin_loans(
    offers: Offers,
    bidders: Bidders,
    kin: KinPairs,
    tech: Technology,
    kin_lease_value: float,
    need: np.ndarray,
    book: _Book,
) -> None:
    """Stage 2: rent-free loans to kin who would farm the plot (margin >= 0 with their own
    labour, days to spare, land they can still manage), when ``closeness x kin_lease_value``
    beats both the holder's reserve and the rent it expects from a stranger; closest ties
    first. The pairs are taken one at a time on the compiled kernel
    :func:`landsim.clearing_kernels.kin_loans` (:func:`kin_loans_reference` when compilation
    is off)."""
    o, b, c = kin.offer, kin.bidder, kin.closeness
    risk = bidders.risk_or_zero()[b]
    m = tech.margin(offers.hilly[o], offers.quality[o], bidders.wage[b], risk)
    value = c * kin_lease_value
    ok = (m >= 0) & (value >= offers.reserve[o]) & (value >= offers.market_value[o])
    ok &= (offers.holder[o] != bidders.household[b]) & (c > 0) & book.open_[o]
    o, b, c = o[ok], b[ok], c[ok]
    order = np.lexsort((b, o, -c))
    o, b, c = o[order].astype(np.int64), b[order].astype(np.int64), c[order]
    args = (o, b, book.open_, book.room, book.days_left, need)
    use_kernel = compiled.enabled() and need.dtype == np.float64 and book.room.dtype == np.int64
    take = kin_loans(*args) if use_kernel else kin_loans_reference(*args)
    wo, wb = o[take], b[take]
    book.take(wo, wb, np.zeros(wo.size), c[take].astype(float), False, need[wo])


def _auctions(
    offers: Offers,
    bidders: Bidders,
    tech: Technology,
    distance_cost: float,
    need: np.ndarray,
    book: _Book,
) -> None:
    """Stage 3, village by village: the plots still open are auctioned (:func:`auction`), on
    the compiled kernel :func:`landsim.clearing_kernels.auction_villages` (the bid matrices and
    the rounds); :func:`_auctions_reference` when compilation is off."""
    if not compiled.enabled():
        _auctions_reference(offers, bidders, tech, distance_cost, need, book)
        return
    o_all = np.flatnonzero(book.open_)
    if o_all.size == 0:
        return
    plot = (
        tech.before_labour(offers.hilly, offers.quality),
        tech.spread(offers.hilly, offers.quality),
        tech.days(offers.hilly),
        need,
        np.maximum(offers.reserve, 0.0),  # the floor, as auction() takes it
        offers.row,
        offers.col,
        offers.holder,
    )
    bidder = (bidders.risk_or_zero(), bidders.wage, bidders.row, bidders.col, bidders.household)
    if any(a.dtype != np.float64 for a in (*plot[:5], *bidder[:2])):
        _auctions_reference(offers, bidders, tech, distance_cost, need, book)
        return
    b_order = np.argsort(bidders.village, kind="stable")
    b_keys = bidders.village[b_order]
    o_order = o_all[np.argsort(offers.village[o_all], kind="stable")]
    o_keys = offers.village[o_order]
    villages = np.unique(o_keys)
    o_bounds = np.searchsorted(o_keys, np.r_[villages, villages[-1] + 1])
    b_first, b_end = np.searchsorted(b_keys, villages), np.searchsorted(b_keys, villages + 1)
    shared = (
        tuple(np.ascontiguousarray(a) for a in plot),
        tuple(np.ascontiguousarray(a) for a in bidder),
        float(tech.hired_wage),
        float(distance_cost),
        book.days_left,
        book.room,
    )
    # villages are independent: runs of whole villages on the threads the run may use, their
    # leases joined in village order (the same leases as one call makes)
    parts = [
        (o_order, o_bounds[a : b + 1], b_order, b_first[a:b], b_end[a:b], *shared)
        for a, b in compiled.split_groups(o_bounds, compiled.threads())
    ]
    done = compiled.in_parallel(auction_villages, parts)
    wo, wb, rent, fam = (np.concatenate(x) for x in zip(*done, strict=True))
    book.take(wo, wb, rent, np.zeros(wo.size), False, np.where(fam, need[wo], 0.0))


def _auctions_reference(
    offers: Offers,
    bidders: Bidders,
    tech: Technology,
    distance_cost: float,
    need: np.ndarray,
    book: _Book,
) -> None:
    """Stage 3, village by village: the plots still open are auctioned
    (:func:`auction_reference`); NumPy, the reference that :func:`_auctions` must equal."""
    o_all = np.flatnonzero(book.open_)
    if o_all.size == 0:
        return
    risk = bidders.risk_or_zero()
    before = tech.before_labour(offers.hilly, offers.quality)
    spread = tech.spread(offers.hilly, offers.quality)
    lessee_days = tech.days(offers.hilly)
    reserve = np.maximum(offers.reserve, 0.0)
    b_order = np.argsort(bidders.village, kind="stable")
    b_keys = bidders.village[b_order]
    o_order = o_all[np.argsort(offers.village[o_all], kind="stable")]
    o_keys = offers.village[o_order]
    for v in np.unique(o_keys).tolist():
        lo, hi = np.searchsorted(b_keys, [v, v + 1])
        b = b_order[lo:hi]
        b = b[book.room[b] > 0]
        if b.size == 0:
            continue
        o = o_order[slice(*np.searchsorted(o_keys, [v, v + 1]))]
        # willingness to pay before labour: the same for a bidder's own and hired days
        base = before[o][None, :] - risk[b][:, None] * spread[o][None, :]
        base -= distance_cost * _distance(offers, bidders, o[None, :], b[:, None])
        base[offers.holder[o][None, :] == bidders.household[b][:, None]] = -np.inf
        won = auction_reference(
            base,
            lessee_days[o],
            need[o],
            reserve[o],
            bidders.wage[b],
            tech.hired_wage,
            book.days_left[b],
            book.room[b],
        )
        wo, wb, rent, fam = won
        book.take(o[wo], b[wb], rent, np.zeros(wo.size), False, np.where(fam, need[o[wo]], 0.0))


def auction(
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
    on the compiled kernel :func:`landsim.clearing_kernels.auction_rounds`; the same leases,
    bit for bit, as :func:`auction_reference` (which runs instead when compilation is off,
    :mod:`landsim.compiled`, or when an array is not of the types the kernel is built for).
    Arguments and return values are :func:`auction_reference`'s."""
    values = (base, days_per_mu, need, reserve, wage)
    if not compiled.enabled() or any(v.dtype != np.float64 for v in values):
        return auction_reference(
            base, days_per_mu, need, reserve, wage, hired_wage, days_left, room
        )
    # the floor; the reference's lone bidder pays np.maximum(floor, 0.0), the floor itself bit
    # for bit (np.maximum(x, 0.0) never returns -0.0, and returns it unchanged a second time)
    return auction_rounds(
        np.ascontiguousarray(base),
        np.ascontiguousarray(days_per_mu),
        np.ascontiguousarray(need),
        np.maximum(reserve, 0.0),
        np.ascontiguousarray(wage),
        float(hired_wage),
        np.array(days_left, dtype=np.float64),
        np.array(room, dtype=np.int64),
    )
