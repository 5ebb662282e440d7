"""Compiled kernels of the year's farming (:mod:`landsim.farming`).

Summary: the plot and member loops of :func:`landsim.farming.farm`, exactly as their NumPy
references run them: :func:`harvest` (what each own-farmed, leased and custodial plot sells,
costs and pays in rent: :func:`landsim.farming.plot_flows_reference`), :func:`labour_days`
(the days each household farms itself and hires: :func:`landsim.farming.labour_use_reference`)
and :func:`day_offers` (the days each household offers on the village's day-labour market:
:func:`landsim.labour.day_offers_reference`). The kernels make the same floating-point
operations in the same order (a product left to right as the reference writes it; a sum
over a household in plot or member order, as ``np.bincount`` adds; ``np.clip`` and
``np.maximum``'s choices at ties), so their flows are bit for bit the references'
(``tests/test_kernels_farming.py``, ``tests/test_golden.py``). They take and return arrays
and numbers only: they know nothing of the model; their arrays come back with NumPy's own
dtype objects (:func:`landsim.compiled.as_numpy`, applied to every kernel's result).

:func:`village_market` clears each village's day-labour market from those offers
(:func:`landsim.labour.village_market_reference`); :func:`household_incomes` sums each
household's remittances and pensions (:func:`landsim.farming.incomes_reference`) and
:func:`subsidised_plots` counts the plots it is paid the farmland subsidy for
(:func:`landsim.farming.subsidised_reference`).
"""

from __future__ import annotations

import numpy as np

from landsim.compiled import kernel

__all__ = [
    "harvest",
    "labour_days",
    "day_offers",
    "village_market",
    "household_incomes",
    "subsidised_plots",
]


@kernel
def _check(h, n_h):
    """Raise ``IndexError`` for a household out of ``0..n_h-1`` (unchecked, a kernel would
    write outside its arrays)."""
    if not 0 <= h < n_h:
        raise IndexError("farming kernel: a household out of range")


@kernel
def harvest(kind, hilly, quality, holder, operator, village, rent, own, lease, custody, price):
    """The flows of each farmed plot (:func:`landsim.farming.plot_flows_reference`).

    ``own``, ``lease``, ``custody``: the codes of the three kinds; ``price``: ``(revenue per mu
    x price index, hilly yield factor, shock, mu, cash cost per mu, hilly cost factor, a
    lessee's cash cost per mu on hills, on flat land, first collective account)``.

    Returns:
        ``(own holders, own sales, own costs, lessees, lease sales, lease costs, rent payees,
        rents, custodial plots, custodial sales)``, each in plot order.
    """
    base, yf_hilly, shock, mu, cost, cf_hilly, cash_hilly, cash_flat, coll0 = price
    n_own = n_lease = n_custody = 0
    for i in range(kind.size):
        if kind[i] == own:
            n_own += 1
        elif kind[i] == lease:
            n_lease += 1
        elif kind[i] == custody:
            n_custody += 1
    own_holder = np.empty(n_own, np.int64)
    own_sales = np.empty(n_own)
    own_costs = np.empty(n_own)
    lessee = np.empty(n_lease, np.int64)
    lease_sales = np.empty(n_lease)
    lease_costs = np.empty(n_lease)
    payee = np.empty(n_lease, np.int64)
    rents = np.empty(n_lease)
    plots = np.empty(n_custody, np.int64)
    custody_sales = np.empty(n_custody)
    o = s = c = 0
    for i in range(kind.size):
        k = kind[i]
        if k != own and k != lease and k != custody:
            continue
        yf = yf_hilly if hilly[i] else 1.0
        gross = base * quality[i] * yf * shock * mu
        if k == own:
            cf = cf_hilly if hilly[i] else 1.0
            own_holder[o], own_sales[o], own_costs[o] = holder[i], gross, cost * cf * mu
            o += 1
        elif k == lease:
            lessee[s], lease_sales[s] = operator[i], gross
            lease_costs[s] = (cash_hilly if hilly[i] else cash_flat) * mu
            payee[s] = holder[i] if holder[i] >= 0 else coll0 + village[i]
            rents[s] = rent[i] * mu
            s += 1
        else:
            plots[c], custody_sales[c] = i, gross
            c += 1
    return (
        own_holder,
        own_sales,
        own_costs,
        lessee,
        lease_sales,
        lease_costs,
        payee,
        rents,
        plots,
        custody_sales,
    )


@kernel
def labour_days(kind, hilly, holder, operator, m_hh, m_age, alive, away, n_h, own, lease, days):
    """Days each household farms with its own labour and days it hires
    (:func:`landsim.farming.labour_use_reference`).

    ``days``: ``(own land's days per mu on flat land, on hills, leased land's on flat land, on
    hills, mu, labour_decline_age, the span of the decline, farm_days_per_worker)``.

    Returns:
        ``(farm days, hired days)``, one entry per household.
    """
    own_flat, own_hilly, lease_flat, lease_hilly, mu, decline, span, per_worker = days
    own_days = np.zeros(n_h)
    lease_days = np.zeros(n_h)
    for i in range(kind.size):
        if kind[i] == own:
            _check(holder[i], n_h)
            own_days[holder[i]] += (own_hilly if hilly[i] else own_flat) * mu
        elif kind[i] == lease:
            _check(operator[i], n_h)
            lease_days[operator[i]] += (lease_hilly if hilly[i] else lease_flat) * mu
    cap_sum = np.zeros(n_h)
    for j in range(m_hh.size):  # landsim.labour.labour_capacity x resident
        _check(m_hh[j], n_h)
        cap = 1.0 - (m_age[j] - decline) / span
        cap = 0.0 if cap < 0.0 else cap
        cap = 1.0 if cap > 1.0 else cap
        cap = 0.0 if m_age[j] < 16 else cap
        cap_sum[m_hh[j]] += cap * (1.0 if alive[j] and not away[j] else 0.0)
    farm = np.empty(n_h)
    hired = np.empty(n_h)
    for h in range(n_h):
        family = cap_sum[h] * per_worker - own_days[h]
        family = 0.0 if family < 0.0 else family  # np.clip(family, 0.0, lease_days[h])
        family = family if (family < lease_days[h] or family != family) else lease_days[h]
        farm[h] = own_days[h] + family
        hired[h] = lease_days[h] - family
    return farm, hired


@kernel
def day_offers(m_hh, m_age, m_alive, m_away, hh_alive, farm_days, n_h, ages, local_work_days):
    """Days each living household offers on the day-labour market, and its residents of
    working age (:func:`landsim.labour.day_offers_reference`).

    ``ages``: ``(labour_decline_age, the span of the decline, the ages of full and of no
    employability, the first and last working age)``."""
    decline, span, full_age, zero_age, work_lo, work_hi = ages
    cap_sum = np.zeros(n_h)
    e_sum = np.zeros(n_h)
    workers = np.zeros(n_h, np.int64)
    for j in range(m_hh.size):
        h, age = m_hh[j], m_age[j]
        _check(h, n_h)
        resident = m_alive[j] and not m_away[j]
        cap = 1.0 - (age - decline) / span  # landsim.labour.labour_capacity x resident
        cap = 0.0 if cap < 0.0 else cap
        cap = 1.0 if cap > 1.0 else cap
        cap = (0.0 if age < 16 else cap) * (1.0 if resident else 0.0)
        e = (zero_age - age) / (zero_age - full_age)  # landsim.labour.employability
        e = 0.0 if e < 0.0 else e
        e = 1.0 if e > 1.0 else e
        e = 0.0 if age < work_lo else e
        cap_sum[h] += cap
        e_sum[h] += cap * e
        if resident and age >= work_lo and age <= work_hi:
            workers[h] += 1
    offer = np.zeros(n_h)
    for h in range(n_h):
        if not hh_alive[h]:
            continue
        mean_e = e_sum[h] / (cap_sum[h] if cap_sum[h] > 1e-12 else 1e-12) if cap_sum[h] > 0 else 0.0
        x = local_work_days * e_sum[h] - mean_e * farm_days[h]
        offer[h] = x if (x >= 0.0 or x != x) else 0.0  # np.maximum(0.0, x)
    return offer, workers


@kernel
def village_market(offer, per_hh, hired, village, hh_alive, n_v, local_job_days):
    """Each village's day-labour market (:func:`landsim.labour.village_market_reference`):
    households' ``offer`` of days against ``local_job_days`` per resident of working age
    (``per_hh``) and the days lessees ``hired``, rationed by ``min(1, demand / offered)``.

    Returns:
        ``(offered, sold, left, sold_v, start, living)``: days offered per village, days each
        household sold and still offers, days sold per village, and the living households
        by village (village ``v``'s at ``living[start[v]:start[v + 1]]``, ascending).
    """
    n_h = offer.size
    offered = np.zeros(n_v)
    workers = np.zeros(n_v)
    hired_v = np.zeros(n_v)
    start = np.zeros(n_v + 1, np.int64)
    for h in range(n_h):
        v = village[h]
        if not 0 <= v < n_v:
            raise IndexError("village_market: a village out of range")
        offered[v] += offer[h]
        workers[v] += per_hh[h]
        hired_v[v] += hired[h]
        if hh_alive[h]:
            start[v + 1] += 1
    share = np.empty(n_v)
    for v in range(n_v):
        demand = local_job_days * workers[v] + hired_v[v]
        r = demand / offered[v] if offered[v] > 0 else 0.0
        r = 0.0 if r < 0.0 else r  # np.clip(r, 0, 1)
        share[v] = 1.0 if r > 1.0 else r
        start[v + 1] += start[v]
    sold = np.empty(n_h)
    left = np.empty(n_h)
    sold_v = np.zeros(n_v)
    fill = start[:-1].copy()
    living = np.empty(start[n_v], np.int64)
    for h in range(n_h):
        v = village[h]
        sold[h] = offer[h] * share[v]
        left[h] = offer[h] - sold[h]
        sold_v[v] += sold[h]
        if hh_alive[h]:
            living[fill[v]] = h
            fill[v] += 1
    return offered, sold, left, sold_v, start, living


@kernel
def household_incomes(m_hh, alive, away, age, n_h, remit, pension):
    """Each household's remittances (``remit`` for each living migrant) and pensions
    (``pension`` for each living member 60 or older), summed in member order
    (:func:`landsim.farming.incomes_reference`)."""
    remits = np.zeros(n_h)
    pensions = np.zeros(n_h)
    for j in range(m_hh.size):
        h = m_hh[j]
        _check(h, n_h)
        remits[h] += remit if alive[j] and away[j] else 0.0
        pensions[h] += pension if alive[j] and age[j] >= 60 else 0.0
    return remits, pensions


@kernel
def subsidised_plots(holder, kind, idle, conditional, n_h):
    """How many plots each household holds (with ``conditional``, only those not ``idle``):
    the plots it is paid the farmland subsidy for."""
    count = np.zeros(n_h, np.int64)
    for i in range(holder.size):
        h = holder[i]
        if h >= 0 and not (conditional and kind[i] == idle):
            _check(h, n_h)
            count[h] += 1
    return count
