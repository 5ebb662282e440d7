"""Compiled kernels of the land market's steps around its clearing (:mod:`landsim.market`).

Summary: each does, in one call, what its NumPy reference in :mod:`landsim.market` does with
dozens of small operations (at a town's size their calls cost more than their work), with the
same floating-point operations in the same order, so that the results are bit for bit the
references' (``tests/test_kernels_market.py``, ``tests/test_golden.py``). They take and return
arrays only: they know nothing of the model.

Parts: the leases that end (:func:`end_leases`, :func:`landsim.market.expire_reference`); the
year's released land (:func:`release_plots`, :func:`landsim.market.release_reference`); the
market's bidders (:func:`bidder_table`, :func:`landsim.market.bidders_reference`); its offers
and kin pairs (:func:`offer_book`, :func:`landsim.market.offers_reference`); the leases signed
and what offering returned learnt (:func:`sign_and_learn`,
:func:`landsim.market.sign_reference`); who farms what nobody took (:func:`farm_unplaced`,
:func:`landsim.market.who_farms_reference`).
"""

from __future__ import annotations

import numpy as np

from landsim.compiled import kernel
from landsim.demography_kernels import offer_kin

__all__ = [
    "end_leases",
    "release_plots",
    "bidder_table",
    "offer_book",
    "sign_and_learn",
    "farm_unplaced",
]


@kernel
def bidder_table(plot, member, household, numbers):
    """The market's bidders, as :func:`landsim.market.bidders_reference` finds them with NumPy
    (the same operations in the same order; the sums over plots and members in their order).

    Args:
        plot: per plot ``(holder, hilly, kept, kind, operator)``; ``kept`` is a mask.
        member: per member ``(household, age, resident)``.
        household: per household ``(alive, village, row, col, days, wage)``.
        numbers: ``(labour_days_flat, labour_days_hilly, plot_mu, lessee_mu_per_worker,
            labour_decline_age, labour_zero_age, aging_speed, bidder_max_head_age,
            risk_aversion, risk_aversion_old, lease kind)``.

    Returns:
        ``(household, village, row, col, wage, days, room, risk)`` of the bidders.
    """
    holder, hilly, kept, kind, operator = plot
    m_hh, m_age, m_res = member
    alive, village, home_row, home_col, days, wage = household
    flat, hilly_days, mu, per_worker, decline, zero, speed, max_age, ra, ra_old, lease = numbers
    n_h = alive.size
    own_days = np.zeros(n_h)
    operated = np.zeros(n_h, np.int64)
    for p in range(holder.size):
        if kept[p]:
            own_days[holder[p]] += (hilly_days if hilly[p] else flat) * mu
            operated[holder[p]] += 1
    for p in range(holder.size):
        if kind[p] == lease:
            operated[operator[p]] += 1
    span = (zero - decline) / speed
    workers = np.zeros(n_h)
    head = np.zeros(n_h)
    for i in range(m_hh.size):
        age = m_age[i]
        cap = 1.0 - (age - decline) / span
        cap = 0.0 if cap < 0.0 else (1.0 if cap > 1.0 else cap)
        cap = 0.0 if age < 16 else cap
        workers[m_hh[i]] += cap * (1.0 if m_res[i] else 0.0)
        if m_res[i] and age > head[m_hh[i]]:
            head[m_hh[i]] = age
    room = np.empty(n_h)
    n = 0
    for h in range(n_h):
        room[h] = np.floor(per_worker * workers[h] / mu + 1e-9) - operated[h]
        if alive[h] and head[h] > 0 and head[h] <= max_age and room[h] >= 1:
            n += 1
    b = np.empty(n, np.int64)
    out_days = np.empty(n)
    out_room = np.empty(n, np.int64)
    risk = np.empty(n)
    n = 0
    for h in range(n_h):
        if alive[h] and head[h] > 0 and head[h] <= max_age and room[h] >= 1:
            b[n] = h
            spare = days[h] - own_days[h]
            out_days[n] = spare if (spare > 0.0 or spare != spare) else 0.0
            out_room[n] = np.int64(room[h])
            old = (head[h] - 60.0) / 20.0
            risk[n] = ra + ra_old * (0.0 if old < 0.0 else (1.0 if old > 1.0 else old))
            n += 1
    return b, village[b], home_row[b], home_col[b], wage[b], out_days, out_room, risk


@kernel
def offer_book(plot, offered, own_value, lease_return, household, n_h, ties):
    """The market's offers and kin pairs, as :func:`landsim.market.offers_reference` makes them
    with NumPy: the offered plots' attributes, each holder's reserve and market value, each
    plot's sitting lessee by its bidder index; the kin pairs between holders and bidders
    (:func:`landsim.demography_kernels.offer_kin`); and a loan to kin renewed on kin terms only
    while a tie joins holder and sitting lessee (its closeness, the last such pair's).

    Args:
        plot: per plot ``(village, row, col, hilly, quality, holder, sitting, sitting_rent,
            sitting_closeness)``.
        offered: the offered plots (indices).
        own_value: each plot's value to its holder (yuan/mu).
        lease_return: expected return per offered plot, villages x (flat, hilly).
        household: the bidders' households.
        n_h: household slots.
        ties: the kin ties ``(src, dst, closeness)``.

    Returns:
        ``(village, row, col, hilly, quality, reserve, market_value, holder, sitting,
        sitting_rent, sitting_closeness, kin offer, kin bidder, kin closeness)``.
    """
    village, row, col, hilly, quality, holder, sitting_p, rent_p, close_p = plot
    n = offered.size
    bidder_of = np.full(n_h, -1, np.int64)
    is_bidder = np.zeros(n_h, np.bool_)
    for i in range(household.size):
        bidder_of[household[i]] = i
        is_bidder[household[i]] = True
    reserve = np.empty(n)
    market_value = np.empty(n)
    sitting = np.empty(n, np.int64)
    is_holder = np.zeros(n_h, np.bool_)
    o_holder = holder[offered]
    for i in range(n):
        p = offered[i]
        x = own_value[p]
        reserve[i] = x if (x > 0.0 or x != x) else 0.0
        market_value[i] = lease_return[village[p], 1 if hilly[p] else 0]
        s = sitting_p[p]
        sitting[i] = bidder_of[s] if s >= 0 else -1
        if o_holder[i] >= 0:
            is_holder[o_holder[i]] = True
    closeness = close_p[offered]
    k_offer, k_bidder, k_close = offer_kin(
        ties[0], ties[1], ties[2], is_holder, is_bidder, bidder_of, o_holder.astype(np.int64)
    )
    # loans to kin: the closeness of the last pair joining the plot and its sitting lessee
    found = np.zeros(n)
    for k in range(k_offer.size):
        o = k_offer[k]
        if sitting[o] >= 0 and closeness[o] > 0 and k_bidder[k] == sitting[o]:
            found[o] = k_close[k]
    for o in range(n):
        if sitting[o] >= 0 and closeness[o] > 0:
            closeness[o] = found[o]
            if found[o] <= 0:
                sitting[o] = -1
    return (
        village[offered], row[offered], col[offered], hilly[offered], quality[offered],
        reserve, market_value, o_holder, sitting, rent_p[offered], closeness,
        k_offer, k_bidder, k_close,
    )  # fmt: skip


@kernel
def sign_and_learn(plot, lease, year, lease_kind, offered, learn):
    """Sign the leases and learn what offering a plot returned, as
    :func:`landsim.market.sign_reference` does with NumPy (the sums by village and terrain in
    the leases' order).

    Args:
        plot: per plot ``(kind, operator, rent, lease_start, lease_end, written, closeness,
            village, hilly)``; the first seven are written.
        lease: per lease ``(offer, plot, lessee, rent, kin, closeness, written, term)``.
        year: this year.
        lease_kind: the kind of a household lease.
        offered: the offered plots (indices).
        learn: ``(lease_return, kin_lease_value, expectation_weight)``; the expected return
            per offered plot, villages x (flat, hilly), is updated.
    """
    kind, operator, rent, start, end, written, closeness, village, hilly = plot
    l_offer, l_plot, lessee, l_rent, kin, l_close, l_written, term = lease
    lease_return, kin_value, weight = learn
    for i in range(l_plot.size):
        p = l_plot[i]
        kind[p] = lease_kind
        operator[p] = lessee[i]
        rent[p] = l_rent[i]
        start[p] = year
        end[p] = year + term[i] - 1
        written[p] = l_written[i]
        closeness[p] = l_close[i]
    n_v = lease_return.shape[0]
    n_off = np.zeros((n_v, 2), np.int64)
    ret = np.zeros((n_v, 2))
    for i in range(offered.size):
        p = offered[i]
        n_off[village[p], 1 if hilly[p] else 0] += 1
    for i in range(l_offer.size):
        p = offered[l_offer[i]]
        ret[village[p], 1 if hilly[p] else 0] += l_close[i] * kin_value if kin[i] else l_rent[i]
    for v in range(n_v):
        for t in range(2):
            if n_off[v, t] > 0:
                x = lease_return[v, t]
                lease_return[v, t] = x + weight * (ret[v, t] / n_off[v, t] - x)


@kernel
def release_plots(plot, free, channel_free, own_value_free, kinds):
    """The year's released land, as :func:`landsim.market.release_reference` finds it with
    NumPy: plots under no running lease are idle and without operator until placed; each
    free plot's channel (-1: kept) and value to its holder (``-inf`` where not decided on);
    the collective's unlet plots; the released plots (marked in ``plot``'s ``released``).

    Args:
        plot: per plot ``(kind, operator, lease_end, holder, released)``; ``kind``,
            ``operator`` and ``released`` are written.
        free: the plots decided on (indices).
        channel_free: their channels.
        own_value_free: their values to their holders (yuan/mu).
        kinds: ``(IDLE, NOBODY, COLLECTIVE)``.

    Returns:
        ``(channel, own_value, free_coll)``, per plot.
    """
    kind, operator, lease_end, holder, released = plot
    idle, nobody, collective = kinds
    n = kind.size
    channel = np.full(n, -1, np.int8)
    own_value = np.full(n, -np.inf)
    for i in range(free.size):
        channel[free[i]] = channel_free[i]
        own_value[free[i]] = own_value_free[i]
    free_coll = np.zeros(n, np.bool_)
    for p in range(n):
        if lease_end[p] < 0:
            kind[p] = idle
            operator[p] = nobody
            free_coll[p] = holder[p] == collective
        released[p] = channel[p] >= 0 or free_coll[p]
    return channel, own_value, free_coll


@kernel
def farm_unplaced(plot, kept, released, own_value, idle_value, kinds):
    """Who farms the plots nobody took, as :func:`landsim.market.who_farms_reference` decides
    it with NumPy: kept plots, and released ones whose value to their holder is at least
    ``idle_value``, are farmed by their holders, when not leased or in custody.

    Args:
        plot: per plot ``(kind, operator, lease_end, holder)``; ``kind`` and ``operator``
            are written.
        kept: the kept plots (indices).
        released: per plot, released this year.
        own_value: per plot, its value to its holder (yuan/mu).
        idle_value: what leaving a plot idle is worth (yuan/mu).
        kinds: ``(CUSTODY, OWN)``.
    """
    kind, operator, lease_end, holder = plot
    custody, own = kinds
    farm = np.zeros(kind.size, np.bool_)
    for i in range(kept.size):
        farm[kept[i]] = True
    for p in range(kind.size):
        placed = lease_end[p] >= 0 or kind[p] == custody
        fallback = released[p] and not placed and own_value[p] >= idle_value
        if (farm[p] or fallback) and not placed and holder[p] >= 0:
            kind[p] = own
            operator[p] = holder[p]


@kernel
def end_leases(plot, year, kinds):
    """Leases whose last year has passed end, as :func:`landsim.market.expire_reference` ends
    them with NumPy: the sitting lessee of an oral household lease (its rent and kin
    closeness) is kept; the plot is idle, without operator, rent or lease.

    Args:
        plot: per plot ``(kind, operator, rent, lease_start, lease_end, written, closeness,
            sitting, sitting_rent, sitting_closeness)``, all written.
        year: this year.
        kinds: ``(HOUSEHOLD_LEASE, IDLE, NOBODY)``.
    """
    kind, operator, rent, start, end, written, closeness = plot[:7]
    sitting, sitting_rent, sitting_closeness = plot[7:]
    lease, idle, nobody = kinds
    for p in range(kind.size):
        sitting[p] = nobody
        if end[p] >= 0 and end[p] < year:
            if kind[p] == lease and not written[p]:
                sitting[p] = operator[p]
                sitting_rent[p] = rent[p]
                sitting_closeness[p] = closeness[p]
            kind[p] = idle
            operator[p] = nobody
            rent[p] = 0.0
            start[p] = -1
            end[p] = -1
            written[p] = False
            closeness[p] = 0.0
