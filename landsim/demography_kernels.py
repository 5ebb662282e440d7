"""Compiled kernels of the demography phase and of the kin ties (:mod:`landsim.demography`,
:mod:`landsim.kin`, :mod:`landsim.population`).

Summary: the loops behind a year's demography and the market's kin pairs, exactly as their
NumPy references run them: the same floating-point operations in the same order (a
``np.bincount`` with weights is a running sum in member or plot order, kept here as such), and
ties listed in the order a stable sort by household gives them. So their results are bit for
bit the references' (``tests/test_kernels_demography.py``, ``tests/test_golden.py``). They take
and return arrays only; no random draws are made here.

Parts: :func:`household_margin` and :func:`member_earnings` (the two halves of
:func:`landsim.demography.home_earnings`), :func:`group_max` (a household's oldest member,
:meth:`landsim.population.Population.head_age`), :func:`offer_kin` (the market's kin pairs,
:func:`landsim.kin.kin_pairs`), :func:`parent_ties` (the ties parents hand on,
:meth:`landsim.kin.KinTies.inherit_many`), :func:`grow_older` and :func:`deaths_and_moves`
(a year's aging, deaths, migration and who may have a child,
:func:`landsim.demography.age_one_year`), :func:`plot_lists` and :func:`endow_plots` (the
land new households take, :func:`landsim.demography.endow`), :func:`pass_on` (heirs,
:func:`landsim.demography.pass_on_land`), :func:`founders` (who may found a household,
:func:`landsim.demography.form_households`), :func:`collective_excess` (whether the
collective holds land to contract out again, :func:`landsim.demography.recontract`).
"""

from __future__ import annotations

import numpy as np

from landsim.compiled import kernel

__all__ = [
    "household_margin",
    "member_earnings",
    "group_max",
    "offer_kin",
    "parent_ties",
    "grow_older",
    "deaths_and_moves",
    "plot_lists",
    "endow_plots",
    "pass_on",
    "founders",
    "collective_excess",
]


@kernel
def household_margin(
    holder, operator, kind, hilly, quality, rent, kinds, gross_mu, factors, costs, mu, n_h
):
    """Each household's expected farm margin (yuan/yr): over its own plots (``kind`` equal to
    ``kinds[0]``, by ``holder``) ``(gross - own cash cost) x mu``, then over the plots it leases
    in (``kinds[1]``, by ``operator``) ``(gross - lessee cash cost - rent) x mu``; the two sums
    run in plot order and are added last, as two weighted ``np.bincount`` calls make them.

    ``gross = gross_mu x quality x yield factor`` with ``factors = (hilly yield factor, 1)``
    (hilly or not); ``costs = (own cash cost hilly, own flat, lessee hilly, lessee flat)``."""
    own = np.zeros(n_h)
    leased = np.zeros(n_h)
    for i in range(holder.size):
        k = kind[i]
        if k != kinds[0] and k != kinds[1]:
            continue
        h = hilly[i]
        gross = gross_mu * quality[i] * (factors[0] if h else factors[1])
        if k == kinds[0]:
            own[holder[i]] += (gross - (costs[0] if h else costs[1])) * mu
        else:
            leased[operator[i]] += (gross - (costs[2] if h else costs[3]) - rent[i]) * mu
    return own + leased


@kernel
def member_earnings(m_hh, age, alive, away, margin, job_chance, hh_village, work):
    """What each member earns at home (yuan/yr): its share of its household's ``margin`` by
    labour capacity (:func:`landsim.labour.labour_capacity` of the living; the household's
    residents' capacities summed in member order, a migrant counted as one more worker, the
    sum floored at 1e-9), plus the local day work ``day wage x chance x local work days x
    capacity x employability`` (:func:`landsim.labour.employability`; ``chance``: the
    ``job_chance`` of its household's village). ``work = (labour_decline_age, the span of the
    decline, day wage, local work days, the ages of full and of no employability, the first
    working age)``."""
    decline, span, wage, days, full_age, zero_age, work_lo = work
    n = m_hh.size
    cap = np.empty(n)
    workers = np.zeros(margin.size)
    for i in range(n):
        c = 1.0 - (age[i] - decline) / span  # labour_capacity x alive
        c = 0.0 if c < 0.0 else c
        c = 1.0 if c > 1.0 else c
        cap[i] = (0.0 if age[i] < 16 else c) * (1.0 if alive[i] else 0.0)
        workers[m_hh[i]] += cap[i] * (0.0 if away[i] else 1.0)
    out = np.empty(n)
    for i in range(n):
        h = m_hh[i]
        d = workers[h] + cap[i] * (1.0 if away[i] else 0.0)
        if not (d >= 1e-9 or d != d):
            d = 1e-9
        share = margin[h] * cap[i] / d
        e = (zero_age - age[i]) / (zero_age - full_age)  # employability
        e = 0.0 if e < 0.0 else e
        e = 1.0 if e > 1.0 else e
        e = 0.0 if age[i] < work_lo else e
        local = wage * job_chance[hh_village[h]] * days * cap[i] * e
        out[i] = share + local
    return out


@kernel
def group_max(group, values, mask, n):
    """The largest of ``values`` in each of ``n`` groups over the ``mask`` members (0 where
    none is larger; NaN kept, as ``np.maximum.at`` on zeros does)."""
    out = np.zeros(n)
    for i in range(group.size):
        if mask[i]:
            v = values[i]
            if v > out[group[i]] or v != v:
                out[group[i]] = v
    return out


@kernel
def offer_kin(src, dst, close, is_holder, is_bidder, bidder_of, offer_holder):
    """The kin pairs of a market: the ties ``src -> dst`` from offering holders
    (``is_holder``) to bidders (``is_bidder``), listed per offer (``offer_holder``, -1 for the
    collective) in tie order: ``(offer, bidder, closeness)``, the bidder as its position
    ``bidder_of[dst]``."""
    n = is_holder.size
    count = np.zeros(n + 1, np.int64)
    for e in range(src.size):
        if is_holder[src[e]] and is_bidder[dst[e]]:
            count[src[e] + 1] += 1
    for h in range(n):
        count[h + 1] += count[h]
    start = count[:-1].copy()
    fill = start.copy()
    edge = np.empty(count[n], np.int64)
    for e in range(src.size):
        if is_holder[src[e]] and is_bidder[dst[e]]:
            edge[fill[src[e]]] = e
            fill[src[e]] += 1
    total = 0
    for o in range(offer_holder.size):
        h = offer_holder[o]
        if h >= 0:
            total += count[h + 1] - count[h]
    offer = np.empty(total, np.int64)
    bidder = np.empty(total, np.int64)
    closeness = np.empty(total)
    k = 0
    for o in range(offer_holder.size):
        h = offer_holder[o]
        if h < 0:
            continue
        for j in range(start[h], count[h + 1]):
            offer[k] = o
            bidder[k] = bidder_of[dst[edge[j]]]
            closeness[k] = close[edge[j]]
            k += 1
    return offer, bidder, closeness


@kernel
def parent_ties(src, dst, close, parent, child, factor, n):
    """The ties each ``parent`` had (``n`` households), in tie order, bar those to its own
    ``child``: ``(pair, other end, closeness x factor)`` by pair."""
    count = np.zeros(n + 1, np.int64)
    for e in range(src.size):
        count[src[e] + 1] += 1
    for h in range(n):
        count[h + 1] += count[h]
    fill = count[:-1].copy()
    edge = np.empty(src.size, np.int64)
    for e in range(src.size):
        edge[fill[src[e]]] = e
        fill[src[e]] += 1
    total = 0
    for t in range(parent.size):
        total += count[parent[t] + 1] - count[parent[t]]
    pair = np.empty(total, np.int64)
    other = np.empty(total, np.int64)
    closeness = np.empty(total)
    k = 0
    for t in range(parent.size):
        for j in range(count[parent[t]], count[parent[t] + 1]):
            e = edge[j]
            if dst[e] != child[t]:
                pair[k] = t
                other[k] = dst[e]
                closeness[k] = close[e] * factor
                k += 1
    return pair[:k], other[:k], closeness[:k]


@kernel
def grow_older(age, alive):
    """Add a year to the ``age`` of every ``alive`` member (in place)."""
    for i in range(age.size):
        if alive[i]:
            age[i] += 1.0


@kernel
def deaths_and_moves(m_hh, age, alive, away, hh_alive, hazard, die_draw, draw, moves, ages):
    """A year's deaths, migration and the households that may have a child
    (:func:`landsim.demography.age_one_year`), from the year's uniform draws.

    ``hazard = (exp(b x age) per member, multiplier x a)``: a living member dies when
    ``die_draw < min(1, multiplier x a x exp(b x age))``; ``alive`` is updated in place.
    ``moves = (gap, ratio ** e, ratio ** -e, migration_rate, return_rate)`` per member (the
    powers of :func:`landsim.demography.move_chances`, taken with NumPy): a living resident
    aged ``ages[0]``-``ages[1]`` leaves when ``draw < leave``, a living migrant aged
    ``ages[2]`` or more comes home when ``draw < back`` (the chances ``move_chances`` gives).
    Households alive with no living member left die out. A living household with a resident
    aged ``ages[3]``-``ages[4]`` may have a child.

    Returns:
        ``(away, hh_alive, died_out, candidates)``: the new migrant and household masks, the
        households that died out and those that may have a child (both ascending).
    """
    growth, scale = hazard
    gap, up, down, leave_rate, return_rate = moves
    n_h = hh_alive.size
    new_away = np.empty(age.size, np.bool_)
    for i in range(age.size):
        q = scale * growth[i]
        q = q if (q < 1.0 or q != q) else 1.0  # np.minimum(1.0, q)
        if alive[i] and die_draw[i] < q:
            alive[i] = False
        a = age[i]
        young = alive[i] and not away[i] and a >= ages[0] and a <= ages[1]
        older_away = alive[i] and away[i] and a >= ages[2]
        leave = leave_rate * up[i]
        leave = (leave if (leave < 1.0 or leave != leave) else 1.0) if gap[i] > 0 else 0.0
        back = return_rate * down[i]
        back = back if (back < 1.0 or back != back) else 1.0
        new_away[i] = (away[i] or (young and draw[i] < leave)) and not (
            older_away and draw[i] < back
        )
    living = np.zeros(n_h, np.bool_)
    parents = np.zeros(n_h, np.bool_)
    for i in range(age.size):
        if alive[i]:
            living[m_hh[i]] = True
            if not new_away[i] and age[i] >= ages[3] and age[i] <= ages[4]:
                parents[m_hh[i]] = True
    new_hh = np.empty(n_h, np.bool_)
    n_died = 0
    n_cand = 0
    for h in range(n_h):
        new_hh[h] = living[h] and hh_alive[h]
        if hh_alive[h] and not living[h]:
            n_died += 1
        if parents[h] and new_hh[h]:
            n_cand += 1
    died_out = np.empty(n_died, np.int64)
    candidates = np.empty(n_cand, np.int64)
    n_died = 0
    n_cand = 0
    for h in range(n_h):
        if hh_alive[h] and not living[h]:
            died_out[n_died] = h
            n_died += 1
        if parents[h] and new_hh[h]:
            candidates[n_cand] = h
            n_cand += 1
    return new_away, new_hh, died_out, candidates


@kernel
def plot_lists(holder, village, leased, is_parent, collective, n_v):
    """The plots a new household may take (:func:`landsim.demography.endow`), each list in
    plot order: per household marked ``is_parent``, the plots it holds (``(start, plots)``,
    ``start`` by household, length ``n + 1``); per village, the collective's unlet plots."""
    n_h = is_parent.size
    h_start = np.zeros(n_h + 1, np.int64)
    v_start = np.zeros(n_v + 1, np.int64)
    for i in range(holder.size):
        h = holder[i]
        if h >= 0 and is_parent[h]:
            h_start[h + 1] += 1
        elif h == collective and not leased[i]:
            v_start[village[i] + 1] += 1
    for h in range(n_h):
        h_start[h + 1] += h_start[h]
    for v in range(n_v):
        v_start[v + 1] += v_start[v]
    h_fill = h_start[:-1].copy()
    v_fill = v_start[:-1].copy()
    h_plots = np.empty(h_start[n_h], np.int64)
    v_plots = np.empty(v_start[n_v], np.int64)
    for i in range(holder.size):
        h = holder[i]
        if h >= 0 and is_parent[h]:
            h_plots[h_fill[h]] = i
            h_fill[h] += 1
        elif h == collective and not leased[i]:
            v_plots[v_fill[village[i]]] = i
            v_fill[village[i]] += 1
    return h_start, h_plots, v_start, v_plots


@kernel
def _hand_over(plots, start, size, picks, holder, child):
    """Give the plots at positions ``picks`` of the list ``plots[start:start + size]`` to
    ``child`` (in ``holder``) and close the list up over them, keeping its order."""
    gone = np.zeros(size, np.bool_)
    for k in range(picks.size):
        gone[picks[k]] = True
        holder[plots[start + picks[k]]] = child
    kept = 0
    for j in range(size):
        if not gone[j]:
            plots[start + kept] = plots[start + j]
            kept += 1
    return kept


@kernel
def endow_plots(holder, lists, pairs, spare_picks, own_picks):
    """Hand plots to new households in the order they formed (:func:`landsim.demography.endow`):
    pair ``t`` (``pairs = (parent, child, village)``, village -1 for a pair that takes none)
    takes the collective's unlet plots of its village at positions ``spare_picks[0][s[t]:s[t +
    1]]`` of what is left of that list (``s = spare_picks[1]``), then its parent's plots at
    positions ``own_picks`` of what is left of the parent's list; ``holder`` is updated in
    place. ``lists`` is :func:`plot_lists`' result."""
    h_start, h_plots, v_start, v_plots = lists
    h_size = h_start[1:] - h_start[:-1]
    v_size = v_start[1:] - v_start[:-1]
    parent, child, village = pairs
    for t in range(parent.size):
        v = village[t]
        if v < 0:
            continue
        picks = spare_picks[0][spare_picks[1][t] : spare_picks[1][t + 1]]
        v_size[v] = _hand_over(v_plots, v_start[v], v_size[v], picks, holder, child[t])
        picks = own_picks[0][own_picks[1][t] : own_picks[1][t + 1]]
        h = parent[t]
        h_size[h] = _hand_over(h_plots, h_start[h], h_size[h], picks, holder, child[t])


@kernel
def pass_on(holder, kind, operator, leased, dead, heir_of, codes):
    """The plots of households that died out (``dead``) pass to their heirs (``heir_of``)
    (:func:`landsim.demography.pass_on_land`), in place: an unleased one falls idle
    (``codes = (idle, nobody, household lease)``: its kind and operator). Returns the mask of
    household leases that end: the lessee died out, or the heir now leases the plot itself."""
    ends = np.zeros(holder.size, np.bool_)
    for i in range(holder.size):
        h = holder[i]
        if h >= 0 and dead[h]:
            if not leased[i]:
                kind[i] = codes[0]
                operator[i] = codes[1]
            holder[i] = heir_of[h]
        if kind[i] == codes[2]:
            o = operator[i]
            ends[i] = dead[o if o > 0 else 0] or o == holder[i]
    return ends


@kernel
def founders(m_hh, age, alive, away, n_h, ages):
    """Members who may found a household (:func:`landsim.demography.form_households`), in
    member order: living residents aged ``ages[0]``-``ages[1]`` younger than their household's
    head (its oldest living member, :func:`group_max`)."""
    head = group_max(m_hh, age, alive, n_h)
    out = np.empty(m_hh.size, np.int64)
    n = 0
    for i in range(m_hh.size):
        a = age[i]
        if alive[i] and not away[i] and a >= ages[0] and a <= ages[1] and a < head[m_hh[i]]:
            out[n] = i
            n += 1
    return out[:n]


@kernel
def collective_excess(holder, village, collective, share, n_v):
    """Whether some village's collective holds more than ``floor(share x the village's
    plots)`` (:func:`landsim.demography.recontract` has land to contract out again)."""
    per_v = np.zeros(n_v, np.int64)
    held = np.zeros(n_v, np.int64)
    for i in range(holder.size):
        v = village[i]
        if not 0 <= v < n_v:
            raise IndexError("collective_excess: a village out of range")
        per_v[v] += 1
        if holder[i] == collective:
            held[v] += 1
    for v in range(n_v):
        if held[v] > np.floor(share * per_v[v]):
            return True
    return False
