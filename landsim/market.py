"""The land market of the year: where released land goes, and who farms each plot.

Summary of rules (in the order :func:`place_released_land` applies them):

1. **Co-ops** take the released plots of their members and the collective's unlet land that
   they accept (:func:`landsim.cooperatives.pool_offered_land`).
2. **Custody**: the service firm takes the plots released to it, first come first served in
   random order, up to its capacity; the holder keeps the operation right and the harvest.
3. **Household leases**: everything else released goes to the household lease market
   (:func:`lease_market`; cleared by :func:`landsim.clearing.clear_market`: oral leases
   renewed with their sitting lessees, loans to kin, then a second-price auction per plot).
   Loans to kin are oral; a share ``oral_lease_share`` of leases to strangers is oral too, the
   rest written for ``lease_years_min``-``lease_years_max`` years. Oral leases run a year at a
   time: each year the holder may take the plot back or offer it elsewhere, and the lessee
   renews it at its rent if it still wants it. Households learn the return of offering a
   plot, by village and terrain.
4. **Who farms a released plot** nobody took (:func:`who_farms`): its holder, if it can and
   will (farming it is worth something to it), else nobody: the plot is abandoned (idle). A
   kept plot is farmed by its holder.

Leases end when their last year has passed (:func:`expire_leases`). Before the first year
the market runs with the town's first households until tenure settles (:func:`settled`,
:func:`rebase_years`; the calendar in :mod:`landsim.model` runs the rounds).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from landsim import compiled, services
from landsim.clearing import Bidders, KinPairs, Leases, Offers, Technology, clear_market
from landsim.cooperatives import pool_offered_land
from landsim.farming import day_market
from landsim.kin import kin_pairs_reference
from landsim.labour import labour_capacity, learn_job_chance, local_day_wage
from landsim.land_use import idle_value, risk_aversion
from landsim.market_kernels import (
    bidder_table,
    end_leases,
    farm_unplaced,
    offer_book,
    release_plots,
    sign_and_learn,
)
from landsim.params import Assumptions, Params
from landsim.population import Population
from landsim.world import COLLECTIVE, COOP, CUSTODY, HOUSEHOLD_LEASE, IDLE, NOBODY, OWN, Plots

if TYPE_CHECKING:
    from landsim.land_use import LandUse
    from landsim.town import Town

__all__ = [
    "expire_leases",
    "place_released_land",
    "lease_market",
    "bidders_reference",
    "offers_reference",
    "sign_reference",
    "expire_reference",
    "release_reference",
    "who_farms_reference",
    "technology",
    "place_custody",
    "who_farms",
    "transferred_share",
    "settled",
    "settle",
    "rebase_years",
    "SETTLE_ROUNDS",
    "SETTLE_TOLERANCE",
]

#: most rounds of the market before the first year
SETTLE_ROUNDS = 15
#: tenure has settled when the transferred share moves less than this in two rounds running
SETTLE_TOLERANCE = 0.003


def expire_leases(plots: Plots, year: int) -> None:
    """Leases whose last year has passed return plots to their holders; the lessee of an oral
    household lease sits on the plot and may renew it in this year's market. On the compiled
    kernel :func:`landsim.market_kernels.end_leases`; :func:`expire_reference` when
    compilation is off."""
    if not compiled.enabled():
        expire_reference(plots, year)
        return
    p = plots
    plot = (
        p.kind, p.operator, p.rent, p.lease_start, p.lease_end, p.written, p.closeness,
        p.sitting, p.sitting_rent, p.sitting_closeness,
    )  # fmt: skip
    end_leases(plot, int(year), (HOUSEHOLD_LEASE, IDLE, NOBODY))


def expire_reference(plots: Plots, year: int) -> None:
    """:func:`expire_leases` written with NumPy: the reference that
    :func:`landsim.market_kernels.end_leases` must equal."""
    p = plots
    ending = p.leased() & (p.lease_end < year)
    oral = np.flatnonzero(ending & (p.kind == HOUSEHOLD_LEASE) & ~p.written)  # by index: cheaper
    p.sitting[:] = NOBODY
    p.sitting[oral] = p.operator[oral]
    p.sitting_rent[oral] = p.rent[oral]
    p.sitting_closeness[oral] = p.closeness[oral]
    p.end_lease(ending)


def place_released_land(
    town: Town, params: Params, use: LandUse, rng: np.random.Generator, year: int
) -> None:
    """Place this year's released land (module docstring, steps 1-4) after last year's own
    farming and custody, which were for one season, end."""
    p = town.plots
    free, ch = use.plots, use.choices
    channel, own_value, free_coll = _release(p, free, ch.channel, ch.own_value)
    released = p.released
    pool_offered_land(town, params, channel, free_coll, year, rng)
    place_custody(town, params, channel, rng)
    offered = np.flatnonzero(released & ~p.leased() & (p.kind != CUSTODY))
    lease_market(town, params, use, offered, own_value, rng, year)
    who_farms(p, free[ch.keep], released, own_value, idle_value(params))
    p.sitting[:] = NOBODY  # a lease not renewed this year is not renewed later


def _release(
    p: Plots, free: np.ndarray, channel: np.ndarray, own_value: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Plots under no running lease are idle and without operator until placed; the free
    plots' ``channel`` (-1: kept) and ``own_value`` spread over all plots (-1 and ``-inf``
    elsewhere), the collective's unlet plots, and the released plots (``p.released``). On the
    compiled kernel :func:`landsim.market_kernels.release_plots`; :func:`release_reference`
    when compilation is off.

    Returns:
        ``(channel, own_value, free_coll)``, per plot.
    """
    if not compiled.enabled():
        return release_reference(p, free, channel, own_value)
    plot = (p.kind, p.operator, p.lease_end, p.holder, p.released)
    return release_plots(
        plot,
        np.ascontiguousarray(free, dtype=np.int64),
        np.ascontiguousarray(channel),
        np.ascontiguousarray(own_value, dtype=np.float64),
        (IDLE, NOBODY, COLLECTIVE),
    )


def release_reference(
    p: Plots, free: np.ndarray, channel_free: np.ndarray, own_value_free: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`_release` written with NumPy: the reference that
    :func:`landsim.market_kernels.release_plots` must equal."""
    leased = p.leased()
    unleased = np.flatnonzero(~leased)  # writes by index cost less than by mask
    p.kind[unleased] = IDLE
    p.operator[unleased] = NOBODY
    channel = np.full(p.n, -1, dtype=np.int8)
    channel[free] = channel_free
    own_value = np.full(p.n, -np.inf)
    own_value[free] = own_value_free
    free_coll = (p.holder == COLLECTIVE) & ~leased
    p.released[:] = (channel >= 0) | free_coll
    return channel, own_value, free_coll


def place_custody(
    town: Town, params: Params, channel: np.ndarray, rng: np.random.Generator
) -> None:
    """The firm takes the plots released to custody, in random order, up to its capacity
    (booked now so that capacity is not sold twice)."""
    p, firm, mu = town.plots, town.firm, params.world.plot_size_mu
    want = np.flatnonzero((channel == CUSTODY) & ~p.leased())
    if want.size and params.levers.firm_enabled:
        firm.demand += want.size * mu
        order = want[rng.permutation(want.size)]
        got = order[: int(services.room(firm) // mu)]
        p.kind[got] = CUSTODY
        p.operator[got] = 0
        firm.served += got.size * mu


def who_farms(
    plots: Plots,
    kept: np.ndarray,
    released: np.ndarray,
    own_value: np.ndarray,
    idle: float = 0.0,
) -> None:
    """Kept plots (``kept``), and released plots nobody took whose holder can and will farm
    them (``own_value >= idle``, what leaving it idle is worth), are farmed by their holders;
    the rest of the unplaced land lies idle. On the compiled kernel
    :func:`landsim.market_kernels.farm_unplaced`; :func:`who_farms_reference` when
    compilation is off, or for arrays of other types than the kernel's."""
    p = plots
    if not compiled.enabled() or own_value.dtype != np.float64 or released.dtype != np.bool_:
        who_farms_reference(plots, kept, released, own_value, idle)
        return
    farm_unplaced(
        (p.kind, p.operator, p.lease_end, p.holder),
        np.ascontiguousarray(kept, dtype=np.int64),
        released,
        own_value,
        float(idle),
        (CUSTODY, OWN),
    )


def who_farms_reference(
    plots: Plots,
    kept: np.ndarray,
    released: np.ndarray,
    own_value: np.ndarray,
    idle: float = 0.0,
) -> None:
    """:func:`who_farms` written with NumPy: the reference that
    :func:`landsim.market_kernels.farm_unplaced` must equal."""
    p = plots
    placed = p.leased() | (p.kind == CUSTODY)
    farm = np.zeros(p.n, dtype=bool)
    farm[kept] = True
    fallback = released & ~placed & (own_value >= idle)
    farm |= fallback
    farm &= ~placed & (p.holder >= 0)
    farmed = np.flatnonzero(farm)  # writes by index cost less than by mask
    p.kind[farmed] = OWN
    p.operator[farmed] = p.holder[farmed]


def technology(a: Assumptions, mu: float) -> Technology:
    """What farming a leased plot yields and costs a household lessee: lessees farm at scale
    (cash cost cut by ``scale_cost_cut`` on flat land only: machines save little on hills),
    hire at the day wage, and bear the town's weather risk."""
    return Technology(
        gross=a.gross_revenue_per_mu * a.price_index,
        cash=a.cash_cost_per_mu * (1 - a.scale_cost_cut),
        hilly_cash=a.cash_cost_per_mu * a.hilly_cost_factor,
        hilly_yield=a.hilly_yield_factor,
        days_flat=a.lease_labour_days_flat,
        days_hilly=a.lease_labour_days_hilly,
        hired_wage=local_day_wage(a),
        plot_mu=mu,
        yield_sd=a.yield_shock_sd,
    )


def lease_market(
    town: Town,
    params: Params,
    use: LandUse,
    offered: np.ndarray,
    own_value: np.ndarray,
    rng: np.random.Generator,
    year: int,
) -> None:
    """Clear the household lease market for the ``offered`` plots (each holder's reserve is
    its own value of the plot, ``own_value``) and sign the leases; households learn what
    offering a plot returned. The steps around the clearing run on compiled kernels
    (:func:`_bidders`, :func:`_offers_and_kin`, :func:`_sign`): at a town's size, a kernel
    call costs less than the dozens of small NumPy operations it replaces."""
    p, pop, a = town.plots, town.population, params.assumptions
    mu = params.world.plot_size_mu
    bidders = _bidders(p, pop, use, a, mu)
    offers, kin = _offers_and_kin(town, offered, own_value, bidders)
    leases = clear_market(
        offers, bidders, kin, technology(a, mu), a.distance_cost, a.kin_lease_value
    )
    new = ~leases.kin & ~leases.renewed
    written = new & (rng.random(leases.plot.size) >= a.oral_lease_share)
    terms = np.where(
        written, rng.integers(a.lease_years_min, a.lease_years_max + 1, leases.plot.size), 1
    )
    _sign(town, params, offered, leases, written, terms, year)


def _offers_and_kin(
    town: Town, offered: np.ndarray, own_value: np.ndarray, bidders: Bidders
) -> tuple[Offers, KinPairs]:
    """The offers (:func:`_offers`), with loans to kin renewed on kin terms only while a tie
    still joins holder and lessee (:func:`_loans_still_kin`), and the kin pairs between
    holders and bidders (:func:`landsim.kin.kin_pairs`); on the compiled kernel
    :func:`landsim.market_kernels.offer_book`, :func:`offers_reference` when compilation is
    off."""
    p, n_h = town.plots, town.population.n_households
    if not compiled.enabled():
        return offers_reference(town, offered, own_value, bidders)
    plot = (
        p.village, p.row, p.col, p.hilly, p.quality, p.holder, p.sitting, p.sitting_rent,
        p.sitting_closeness,
    )  # fmt: skip
    ties = (town.kin.src, town.kin.dst, town.kin.closeness)
    lease_return = town.villages.lease_return
    out = offer_book(plot, offered, own_value, lease_return, bidders.household, n_h, ties)
    offers = Offers(offered, *out[:11])
    return offers, KinPairs(*out[11:])


def offers_reference(
    town: Town, offered: np.ndarray, own_value: np.ndarray, bidders: Bidders
) -> tuple[Offers, KinPairs]:
    """:func:`_offers_and_kin` written with NumPy: the reference that
    :func:`landsim.market_kernels.offer_book` must equal."""
    p, n_h = town.plots, town.population.n_households
    offers = _offers(p, town.villages.lease_return, offered, own_value, bidders, n_h)
    kin = kin_pairs_reference(town.kin, offers.holder, bidders.household, n_h)
    return _loans_still_kin(offers, kin), kin


def _sign(
    town: Town,
    params: Params,
    offered: np.ndarray,
    leases: Leases,
    written: np.ndarray,
    terms: np.ndarray,
    year: int,
) -> None:
    """Sign the leases (``written`` ones for ``terms`` years, the rest oral, for one) and learn
    what offering a plot returned (:func:`_learn`); on the compiled kernel
    :func:`landsim.market_kernels.sign_and_learn`, :func:`sign_reference` when compilation
    is off."""
    if not compiled.enabled():
        sign_reference(town, params, offered, leases, written, terms, year)
        return
    p, a = town.plots, params.assumptions
    plot = (
        p.kind, p.operator, p.rent, p.lease_start, p.lease_end, p.written, p.closeness,
        p.village, p.hilly,
    )  # fmt: skip
    lease = (
        leases.offer, leases.plot, leases.lessee, leases.rent, leases.kin, leases.closeness,
        written, terms.astype(np.int64),
    )  # fmt: skip
    learn = (town.villages.lease_return, float(a.kin_lease_value), float(a.expectation_weight))
    sign_and_learn(plot, lease, int(year), HOUSEHOLD_LEASE, offered, learn)


def sign_reference(
    town: Town,
    params: Params,
    offered: np.ndarray,
    leases: Leases,
    written: np.ndarray,
    terms: np.ndarray,
    year: int,
) -> None:
    """:func:`_sign` written with NumPy: the reference that
    :func:`landsim.market_kernels.sign_and_learn` must equal."""
    p = town.plots
    p.kind[leases.plot] = HOUSEHOLD_LEASE
    p.operator[leases.plot] = leases.lessee
    p.rent[leases.plot] = leases.rent
    p.lease_start[leases.plot] = year
    p.lease_end[leases.plot] = year + terms - 1
    p.written[leases.plot] = written
    p.closeness[leases.plot] = leases.closeness
    _learn(town, params, offered, leases)


def _offers(
    p: Plots,
    lease_return: np.ndarray,
    offered: np.ndarray,
    own_value: np.ndarray,
    bidders: Bidders,
    n_households: int,
) -> Offers:
    """The offered plots; a holder's reserve is what farming the plot is worth to it, and it
    weighs a loan to kin against what its village's market returned per plot offered. A
    plot's sitting lessee (an oral lease ended this year) is named by its bidder index when it
    bids this year."""
    bidder_of = np.full(n_households, -1, dtype=np.int64)
    bidder_of[bidders.household] = np.arange(bidders.household.size)
    sitting = p.sitting[offered]
    sitting = np.where(sitting >= 0, bidder_of[np.maximum(sitting, 0)], -1)
    return Offers(
        plot=offered,
        village=p.village[offered],
        row=p.row[offered],
        col=p.col[offered],
        hilly=p.hilly[offered],
        quality=p.quality[offered],
        reserve=np.maximum(own_value[offered], 0.0),
        market_value=lease_return[p.village[offered], p.hilly[offered].astype(np.int64)],
        holder=p.holder[offered],
        sitting=sitting,
        sitting_rent=p.sitting_rent[offered],
        sitting_closeness=p.sitting_closeness[offered],
    )


def _loans_still_kin(offers: Offers, kin: KinPairs) -> Offers:
    """A loan to kin is renewed on kin terms only while a tie joins the plot's holder (an heir
    or a new contract holder, perhaps) and the sitting lessee; without one the plot goes to
    the market."""
    assert offers.sitting is not None and offers.sitting_closeness is not None
    loan = np.flatnonzero((offers.sitting >= 0) & (offers.sitting_closeness > 0))
    if loan.size == 0:
        return offers
    close = np.zeros(loan.size)
    if kin.offer.size:
        # each loan's tie (offer, sitting lessee) looked up among the pairs, sorted by one
        # integer key; of equal pairs the last given counts
        n_b = int(max(offers.sitting.max(), kin.bidder.max())) + 1
        keys = kin.offer.astype(np.int64) * n_b + kin.bidder
        order = np.argsort(keys, kind="stable")
        want = loan.astype(np.int64) * n_b + offers.sitting[loan]
        at = np.searchsorted(keys[order], want, side="right") - 1
        found = (at >= 0) & (keys[order][np.maximum(at, 0)] == want)
        close[found] = kin.closeness[order[at[found]]]
    sitting, closeness = offers.sitting.copy(), offers.sitting_closeness.copy()
    closeness[loan] = close
    sitting[loan[close <= 0]] = -1
    return replace(offers, sitting=sitting, sitting_closeness=closeness)


def _bidders(p: Plots, pop: Population, use: LandUse, a: Assumptions, mu: float) -> Bidders:
    """Bidders: households with a resident head no older than ``bidder_max_head_age`` that can
    manage more land: ``lessee_mu_per_worker`` per full resident worker, less the land they
    keep farming and the land they lease in already. Their own days are what their field
    days leave after the plots they keep (leased land beyond them is farmed with hired
    labour). On the compiled kernel :func:`landsim.market_kernels.bidder_table`;
    :func:`bidders_reference` when compilation is off."""
    kept = np.zeros(p.n, dtype=bool)
    kept[use.plots[use.choices.keep]] = True
    plot = (p.holder, p.hilly, kept, p.kind, p.operator)
    member = (pop.m_hh, pop.m_age, pop.residents())
    household = (pop.hh_alive, pop.hh_village, pop.home_row, pop.home_col, use.days, use.wage)
    if not compiled.enabled():
        return bidders_reference(plot, member, household, a, mu)
    numbers = (
        a.labour_days_flat, a.labour_days_hilly, mu, a.lessee_mu_per_worker,
        a.labour_decline_age, a.labour_zero_age, a.aging_speed, a.bidder_max_head_age,
        a.risk_aversion, a.risk_aversion_old,
    )  # fmt: skip
    out = bidder_table(plot, member, household, (*map(float, numbers), HOUSEHOLD_LEASE))
    return Bidders(*out)


def bidders_reference(
    plot: tuple[np.ndarray, ...],
    member: tuple[np.ndarray, ...],
    household: tuple[np.ndarray, ...],
    a: Assumptions,
    mu: float,
) -> Bidders:
    """:func:`_bidders` written with NumPy, on the arrays
    :func:`landsim.market_kernels.bidder_table` takes: the reference it must equal."""
    holder, hilly, kept, kind, operator = plot
    m_hh, m_age, res = member
    alive, village, home_row, home_col, days, wage = household
    n_h = alive.size
    own_need = np.where(hilly, a.labour_days_hilly, a.labour_days_flat) * mu
    own_days = np.bincount(holder[kept], weights=own_need[kept], minlength=n_h)
    spare = np.maximum(days - own_days, 0.0)
    leased_in = kind == HOUSEHOLD_LEASE
    operated = np.bincount(holder[kept], minlength=n_h) + np.bincount(
        operator[leased_in], minlength=n_h
    )
    workers = np.bincount(m_hh, weights=labour_capacity(m_age, a) * res, minlength=n_h)
    room = np.floor(a.lessee_mu_per_worker * workers / mu + 1e-9) - operated
    head = np.zeros(n_h)
    np.maximum.at(head, m_hh[res], m_age[res])
    ok = alive & (head > 0) & (head <= a.bidder_max_head_age) & (room >= 1)
    b = np.flatnonzero(ok)
    return Bidders(
        household=b,
        village=village[b],
        row=home_row[b],
        col=home_col[b],
        wage=wage[b],
        days=spare[b],
        room=room[b].astype(np.int64),
        risk=risk_aversion(head[b], a),
    )


def _learn(town: Town, params: Params, offered: np.ndarray, leases: Leases) -> None:
    """Expectations: the return per offered plot, by village and terrain, moves
    ``expectation_weight`` of the way to this year's (a loan to kin is worth its closeness x
    ``kin_lease_value`` to the holder)."""
    p, vil, a = town.plots, town.villages, params.assumptions
    n_v = params.world.n_villages
    key_off = p.village[offered] * 2 + p.hilly[offered].astype(np.int64)
    n_off = np.bincount(key_off, minlength=2 * n_v).reshape(n_v, 2)
    got = np.where(leases.kin, leases.closeness * a.kin_lease_value, leases.rent)
    key_won = key_off[leases.offer]
    ret = np.bincount(key_won, weights=got, minlength=2 * n_v).reshape(n_v, 2)
    seen = n_off > 0
    wgt = a.expectation_weight
    vil.lease_return[seen] += wgt * (ret[seen] / n_off[seen] - vil.lease_return[seen])


def transferred_share(plots: Plots) -> float:
    """Share of household-contracted plots leased to another household or a co-op."""
    held = plots.holder >= 0
    k = plots.kind[held]
    return float(((k == HOUSEHOLD_LEASE) | (k == COOP)).mean()) if held.any() else 0.0


def settled(history: list[float], tolerance: float = SETTLE_TOLERANCE) -> bool:
    """Tenure has settled when the share of contracted land transferred moved less than
    ``tolerance`` in each of the last two rounds of the market before the first year."""
    if len(history) < 3:
        return False
    return all(abs(history[i] - history[i - 1]) < tolerance for i in (-1, -2))


def settle(
    town: Town, params: Params, decide: Callable[[], LandUse], rng: np.random.Generator
) -> None:
    """Rounds of decisions (``decide``: this round's land use), leases and day labour with the
    town's first households (no aging, no money) until tenure settles (:func:`settled`, at
    most :data:`SETTLE_ROUNDS`); the village's expected job chance starts at what the first
    day-labour market sells. Leases signed in earlier rounds run on into the first years, so
    they end in staggered years (:func:`rebase_years`)."""
    t, p = town, params
    learn_job_chance(t.villages.job_chance, day_market(t, p), 1.0)
    shares: list[float] = []
    r = 0
    for r in range(SETTLE_ROUNDS):
        expire_leases(t.plots, r)
        place_released_land(t, p, decide(), rng, r)
        learn_job_chance(t.villages.job_chance, day_market(t, p), p.assumptions.expectation_weight)
        shares.append(transferred_share(t.plots))
        if settled(shares):
            break
    rebase_years(t.plots, r)


def rebase_years(plots: Plots, rounds: int) -> None:
    """After ``rounds + 1`` rounds of the market before the first year (numbered 0..rounds),
    count lease years from the last round, year 0: leases signed in earlier rounds run on for
    what is left of their terms (so they end in staggered years)."""
    p = plots
    leased = p.leased()
    p.lease_end[leased] -= rounds
    p.lease_start[leased] = np.maximum(p.lease_start[leased] - rounds, 0)
