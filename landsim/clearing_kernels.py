"""Compiled kernels of the land market's clearing (:mod:`landsim.clearing`).

Summary: stage 3 of the market, the second-price auctions, exactly as
:func:`landsim.clearing._auctions_reference` and :func:`landsim.clearing.auction_reference`
run them with NumPy, one bidder and one plot at a time. The kernels make the same
floating-point operations in the same order (willingness to pay, second-highest bid, price,
gain, the running sums of family days that decide which plots a winner keeps), so their
leases are bit for bit the references' (``tests/test_kernels.py``, ``tests/test_golden.py``).
They take and return arrays only: they know nothing of the model.

Stage 1, the renewals, as :func:`landsim.clearing._renewals_reference` decides them:
:func:`renewals`. Stage 2, the loans to kin, as :func:`landsim.clearing.kin_loans_reference`
makes them with Python lists: :func:`kin_loans`. The three stages in one call, for a market
too small to split over threads (where the calls between stages cost more than their work):
:func:`clear_offers`.

Parts: :func:`auction_villages` (every village of a market, in one call), :func:`village_bids`
(a village's bid matrix, plots x bidders), :func:`auction_rounds` (a village's rounds, on a
bidders x plots matrix as :func:`landsim.clearing.auction` takes it) and :func:`village_rounds`
(the same on plots x bidders), :func:`round_bids` (one round's bids and prices),
:func:`kept_bids` (which plots a winner keeps). A plot's bids lie side by side in memory, and
what is the same for a whole row is read once: the same operations on the same values, fewer
loads.
"""

from __future__ import annotations

import math

import numpy as np

from landsim.compiled import kernel
from landsim.sort_kernels import stable_argsort

__all__ = [
    "auction_rounds",
    "village_rounds",
    "round_bids",
    "kept_bids",
    "village_bids",
    "auction_villages",
    "kin_loans",
    "renewals",
    "clear_offers",
]


@kernel
def round_bids(bids, days_per_mu, wage, hired_wage, open_o, live, days_left, need, floor):
    """One round's bids (:func:`village_rounds`; ``bids`` plots x bidders). A bid is the
    bidder's own-days or hired-labour willingness to pay, as its days left cover the plot, when
    positive and not below the plot's floor. For each open plot with a bid (``j``, positions
    in ``open_o``): the highest bidder (the first among equal bids, as ``np.argmax`` has it),
    the price (the second-highest bid or the floor, whichever is more; the floor without a
    second bid), the winner's gain over the price and whether it bids with its own days; and
    which of the ``live`` bidders bid at all."""
    n = 0
    j = np.empty(open_o.size, np.int64)
    winner = np.empty(open_o.size, np.int64)
    price = np.empty(open_o.size)
    gain = np.empty(open_o.size)
    on_family = np.empty(open_o.size, np.bool_)
    row_bids = np.zeros(live.size, np.bool_)
    days_r = days_left[live]
    wage_r = wage[live]
    xs = np.empty(live.size)
    fams = np.empty(live.size, np.bool_)
    for c in range(open_o.size):
        o = open_o[c]
        need_c, dpm_c, floor_c = need[o], days_per_mu[o], floor[o]
        row = bids[o]
        for r in range(live.size):  # the round's bids for plot o, then the highest two
            fam = days_r[r] >= need_c
            x = row[live[r]] - dpm_c * (wage_r[r] if fam else hired_wage)
            xs[r] = -np.inf if (x <= 0 or x < floor_c) else x
            fams[r] = fam
        best = -np.inf
        second = -np.inf
        for r in range(live.size):
            x = xs[r]
            if math.isfinite(x):
                row_bids[r] = True
            if r == 0 or x > best:
                if r > 0:
                    second = best
                best, winner[n], on_family[n] = x, live[r], fams[r]
            elif x > second:
                second = x
        if math.isfinite(best):
            j[n] = c
            if math.isfinite(second):
                price[n] = floor_c if floor_c > second else second
            else:
                price[n] = floor_c
            gain[n] = best - price[n]
            n += 1
    return j[:n], winner[:n], price[:n], gain[:n], on_family[:n], row_bids


@kernel
def kept_bids(order, winner, used, on_family, days_left, room):
    """Which plots won in a round their winners keep (:func:`auction_rounds`), taken in
    ``order`` (by winner, then gain): while the family days they use (a running sum, as
    ``group_cumsum`` makes it: one sum over all, less the sum before the winner's first) fit
    in its days left, and their count in its room."""
    kept = np.zeros(order.size, np.bool_)
    total = 0.0
    days_before = 0.0
    prev_total = 0.0
    count_before = 0
    count = 0
    for i in range(order.size):
        e = order[i]
        w = winner[e]
        total = used[e] if i == 0 else total + used[e]
        if i > 0 and w != winner[order[i - 1]]:
            days_before = prev_total
            count_before = count
        prev_total = total
        days_ok = (not on_family[e]) or (total - days_before <= days_left[w])
        if days_ok:
            count += 1
        kept[i] = days_ok and (count - count_before <= room[w])
    return kept


@kernel
def auction_rounds(base, days_per_mu, need, floor, wage, hired_wage, days_left, room):
    """Second-price auctions of one village's plots, in rounds (see
    :func:`landsim.clearing.auction`, whose arguments these are, with two differences):
    :func:`village_rounds` on the bid matrix laid out plots x bidders.

    Args:
        base: bidders x plots, willingness to pay before labour (float64, ``-inf``: no bid).
        days_per_mu: each plot's lessee labour (days/mu).
        need: each plot's lessee labour (days).
        floor: each plot's reserve, not negative (``np.maximum(reserve, 0.0)``).
        wage: each bidder's own day (yuan/day).
        hired_wage: the day wage of hired labour (yuan/day).
        days_left: each bidder's spare family days (float64; changed in place).
        room: plots each bidder can still manage (int64; changed in place).

    Returns:
        ``(plot, bidder, rent, family)`` as :func:`landsim.clearing.auction` returns them.
    """
    return village_rounds(
        np.ascontiguousarray(base.T),
        days_per_mu,
        need,
        floor,
        wage,
        hired_wage,
        days_left,
        room,
    )


@kernel
def village_rounds(bids, days_per_mu, need, floor, wage, hired_wage, days_left, room):
    """The rounds of :func:`auction_rounds`, on ``bids``: its ``base`` transposed (plots x
    bidders, so that a plot's bids lie side by side in memory); the other arguments and the
    return values are :func:`auction_rounds`'s. A bid with the bidder's own days is
    ``bids - days_per_mu x wage``, with hired days ``bids - days_per_mu x hired_wage``, as
    :func:`landsim.clearing.auction_reference` computes them (:func:`round_bids`)."""
    n_o, n_b = bids.shape
    # own days no dearer than hired ones: bids only fall from round to round, so a plot nobody
    # bids for, or a bidder that bids for nothing, leaves the rounds
    cheap = True
    for b in range(n_b):
        cheap = cheap and wage[b] <= hired_wage
    out_o = np.empty(n_o, np.int64)
    out_b = np.empty(n_o, np.int64)
    out_rent = np.empty(n_o)
    out_fam = np.empty(n_o, np.bool_)
    n_out = 0
    open_o = np.arange(n_o)
    while open_o.size > 0:
        live = np.flatnonzero(room > 0)
        if live.size == 0:
            break
        j, winner, price, gain, on_family, row_bids = round_bids(
            bids, days_per_mu, wage, hired_wage, open_o, live, days_left, need, floor
        )
        if j.size == 0:
            break
        if cheap:
            for r in range(live.size):
                if not row_bids[r]:
                    room[live[r]] = 0
        # by winner, gain (highest first), plot: np.lexsort((j, -gain, winner)) as two stable
        # sorts (j is already ascending)
        by_gain = stable_argsort(-gain)
        order = by_gain[stable_argsort(winner[by_gain])]
        used = np.zeros(j.size)
        for i in range(j.size):
            if on_family[i]:
                used[i] = need[open_o[j[i]]]
        kept = kept_bids(order, winner, used, on_family, days_left, room)
        # the plots left: not kept; with cheap own days, only those somebody bid for
        still = np.zeros(open_o.size, np.bool_) if cheap else np.ones(open_o.size, np.bool_)
        still[j] = True
        for i in range(j.size):
            if kept[i]:
                e = order[i]
                w = winner[e]
                room[w] -= 1
                days_left[w] -= used[e]
                out_o[n_out], out_b[n_out] = open_o[j[e]], w
                out_rent[n_out], out_fam[n_out] = price[e], on_family[e]
                n_out += 1
                still[j[e]] = False
        open_o = open_o[still]
    return (
        out_o[:n_out].copy(),
        out_b[:n_out].copy(),
        out_rent[:n_out].copy(),
        out_fam[:n_out].copy(),
    )


@kernel
def village_bids(o, b, plot, bidder, distance_cost):
    """One village's bid matrix, offers ``o`` x bidders ``b`` (arguments of
    :func:`auction_villages`; the transpose of the reference's): each bidder's willingness to
    pay before labour, harvest less cash costs, less its risk premium, less the distance's
    cost, ``-inf`` for its own plot; as :func:`landsim.clearing._auctions_reference` computes
    it with NumPy."""
    before, spread, row_o, col_o, holder = plot[0], plot[1], plot[5], plot[6], plot[7]
    risk, row_b, col_b, household = bidder[0][b], bidder[2][b], bidder[3][b], bidder[4][b]
    base = np.empty((o.size, b.size))
    for c in range(o.size):
        oc = o[c]
        before_c, spread_c, holder_c = before[oc], spread[oc], holder[oc]
        row_c, col_c = row_o[oc], col_o[oc]
        for r in range(b.size):
            x = before_c - risk[r] * spread_c
            dist = abs(row_b[r] - row_c) + abs(col_b[r] - col_c)
            x = x - distance_cost * dist
            base[c, r] = -np.inf if holder_c == household[r] else x
    return base


@kernel
def auction_villages(
    o_order,
    o_bounds,
    b_order,
    b_first,
    b_end,
    plot,
    bidder,
    hired_wage,
    distance_cost,
    days_left,
    room,
):
    """Stage 3 of the market, village by village, as
    :func:`landsim.clearing._auctions_reference` runs it: each village's bid matrix (the same
    operations: harvest less costs, less the bidder's risk premium, less the distance's cost;
    no bid for its own plot) and its auction rounds (:func:`village_rounds`).

    Args:
        o_order: open offers, by village (indices into the offers).
        o_bounds: village ``v``'s offers are ``o_order[o_bounds[v]:o_bounds[v+1]]``.
        b_order: bidders, by village (indices into the bidders).
        b_first: where village ``v``'s bidders start in ``b_order``.
        b_end: where they end (``b_order[b_first[v]:b_end[v]]``).
        plot: per offer ``(before, spread, days_per_mu, need, floor, row, col, holder)``:
            harvest less cash costs (yuan/mu), the harvest's standard deviation (yuan/mu),
            lessee labour (days/mu and days), reserve floor (:func:`auction_rounds`), grid
            position and holder.
        bidder: per bidder ``(risk, wage, row, col, household)``.
        hired_wage: the day wage of hired labour (yuan/day).
        distance_cost: cost of a plot-length between homestead and plot (yuan/mu).
        days_left: each bidder's spare family days (not changed).
        room: plots each bidder can still manage (not changed).

    Returns:
        ``(offer, bidder, rent, family)``: the leases, village after village, in the order
        each village's auction made them.
    """
    days_per_mu, need, floor = plot[2:5]
    wage = bidder[1]
    n_max = o_order.size
    out_o = np.empty(n_max, np.int64)
    out_b = np.empty(n_max, np.int64)
    out_rent = np.empty(n_max)
    out_fam = np.empty(n_max, np.bool_)
    n_out = 0
    for v in range(o_bounds.size - 1):
        b = b_order[b_first[v] : b_end[v]]
        b = b[room[b] > 0]
        if b.size == 0:
            continue
        o = o_order[o_bounds[v] : o_bounds[v + 1]]
        wo, wb, rent, fam = village_rounds(
            village_bids(o, b, plot, bidder, distance_cost),
            days_per_mu[o],
            need[o],
            floor[o],
            wage[b],
            hired_wage,
            days_left[b],
            room[b],
        )
        for i in range(wo.size):
            out_o[n_out] = o[wo[i]]
            out_b[n_out] = b[wb[i]]
            out_rent[n_out] = rent[i]
            out_fam[n_out] = fam[i]
            n_out += 1
    return (
        out_o[:n_out].copy(),
        out_b[:n_out].copy(),
        out_rent[:n_out].copy(),
        out_fam[:n_out].copy(),
    )


@kernel
def kin_loans(offer, bidder, is_open, room, days_left, need):
    """Which kin pairs (``offer``, ``bidder``; indices, closest ties first) get a loan, one
    pair at a time, as :func:`landsim.clearing.kin_loans_reference` takes them: while the plot
    is open, and the bidder has room and family days for it (``is_open``, ``room``,
    ``days_left`` are not changed: the kernel works on copies)."""
    is_open = is_open.copy()
    room = room.copy()
    days_left = days_left.copy()
    kept = np.zeros(offer.size, np.bool_)
    for i in range(offer.size):
        o, b = offer[i], bidder[i]
        if is_open[o] and room[b] > 0 and days_left[b] >= need[o]:
            is_open[o] = False
            room[b] -= 1
            days_left[b] -= need[o]
            kept[i] = True
    return kept


@kernel
def renewals(o, b, close, rent, plot, bidder, tech, distance_cost, days_left, room):
    """Stage 1 of the market, as :func:`landsim.clearing._renewals_reference` computes it with
    NumPy (the same operations in the same order, the running sums as ``group_cumsum`` makes
    them: one sum over all, less the sum before the lessee's first plot).

    Args:
        o: offers with a sitting lessee, by lessee, then offer (indices into the offers).
        b: each one's sitting lessee (index into the bidders).
        close: each one's kin closeness (0: a stranger).
        rent: each one's rent (yuan/mu).
        plot: per offer ``(hilly, quality, need, row, col, holder)``.
        bidder: per bidder ``(risk, wage, row, col, household)``.
        tech: ``(gross, cash, hilly_cash, hilly_yield, days_flat, days_hilly, hired_wage,
            yield_sd x gross)`` (:class:`landsim.clearing.Technology`).
        distance_cost: cost of a plot-length between homestead and plot (yuan/mu).
        days_left: each bidder's spare family days (not changed).
        room: plots each bidder can still manage (not changed).

    Returns:
        ``(renewed, family)``: whether each is renewed, and whether its lessee farms it with
        its own days.
    """
    hilly, quality, need, row_o, col_o, holder = plot
    risk, wage, row_b, col_b, household = bidder
    gross, cash, hilly_cash, hilly_yield, days_flat, days_hilly, hired_wage, sd_gross = tech
    ok = np.zeros(o.size, np.bool_)
    family = np.zeros(o.size, np.bool_)
    total = 0.0
    days_before = 0.0
    count = 0.0
    count_before = 0.0
    for i in range(o.size):
        p, w = o[i], b[i]
        if i > 0 and w != b[i - 1]:
            days_before = total
            count_before = count
        total = need[p] if i == 0 else total + need[p]
        family[i] = total - days_before <= days_left[w]
        yf = hilly_yield if hilly[p] else 1.0
        before = gross * quality[p] * yf - (hilly_cash if hilly[p] else cash)
        before = before - risk[w] * (sd_gross * quality[p] * yf)
        dist = distance_cost * (abs(row_b[w] - row_o[p]) + abs(col_b[w] - col_o[p]))
        day = wage[w] if family[i] else hired_wage
        wtp = before - (days_hilly if hilly[p] else days_flat) * day - dist
        want = wtp + dist >= 0 if close[i] > 0 else wtp >= rent[i]
        want = want and holder[p] != household[w]
        count = (1.0 if want else 0.0) if i == 0 else count + (1.0 if want else 0.0)
        ok[i] = want and count - count_before <= room[w]
    return ok, family


@kernel
def clear_offers(offer, bidder, kin, tech, plot_mu, distance_cost, kin_lease_value, floor):
    """A whole market in one call, as :func:`landsim.clearing.clear_market` clears it stage by
    stage (:func:`_renewal_stage`, :func:`_kin_stage`, :func:`auction_villages`).

    Args:
        offer: per offer ``(village, row, col, hilly, quality, reserve, market_value, holder,
            sitting, sitting_rent, sitting_closeness)`` (:class:`landsim.clearing.Offers`).
        bidder: per bidder ``(household, village, row, col, wage, days, room, risk)``
            (:class:`landsim.clearing.Bidders`).
        kin: ``(offer, bidder, closeness)`` (:class:`landsim.clearing.KinPairs`).
        tech: as :func:`renewals` takes it.
        plot_mu: area of a plot (mu).
        distance_cost: cost of a plot-length between homestead and plot (yuan/mu).
        kin_lease_value: what a loan to kin of closeness 1 is worth to the holder (yuan/mu).
        floor: each offer's reserve, not negative (``np.maximum(reserve, 0.0)``).

    Returns:
        ``(offer, bidder, rent, closeness, renewed)``: the matches in the order they are made.
    """
    village, row_o, col_o, hilly, quality, reserve, market_value, holder = offer[:8]
    sitting, sitting_rent, sitting_closeness = offer[8:]
    household, b_village, row_b, col_b, wage, days, room0, risk = bidder
    k_offer, k_bidder, k_close = kin
    gross, cash, hilly_cash, hilly_yield, days_flat, days_hilly, hired_wage, sd_gross = tech
    n_o, n_b = village.size, household.size
    out_o = np.empty(n_o, np.int64)
    out_b = np.empty(n_o, np.int64)
    out_rent = np.empty(n_o)
    out_close = np.empty(n_o)
    out_renewed = np.zeros(n_o, np.bool_)
    if n_o == 0 or n_b == 0:
        return out_o[:0], out_b[:0], out_rent[:0], out_close[:0], out_renewed[:0]
    days_left = days.copy()
    room = room0.copy()
    is_open = np.ones(n_o, np.bool_)
    before = np.empty(n_o)
    spread = np.empty(n_o)
    per_mu = np.empty(n_o)
    need = np.empty(n_o)
    for p in range(n_o):
        yf = hilly_yield if hilly[p] else 1.0
        before[p] = gross * quality[p] * yf - (hilly_cash if hilly[p] else cash)
        spread[p] = sd_gross * quality[p] * yf
        per_mu[p] = days_hilly if hilly[p] else days_flat
        need[p] = per_mu[p] * plot_mu
    # stage 1: renewals, by sitting lessee, then offer
    n = _renewal_stage(
        (sitting, sitting_rent, sitting_closeness), (hilly, quality, need, row_o, col_o, holder),
        (risk, wage, row_b, col_b, household), tech, distance_cost, is_open, room, days_left,
        (out_o, out_b, out_rent, out_close, out_renewed),
    )  # fmt: skip
    # stage 2: loans to kin, closest ties first
    if k_offer.size:
        n = _kin_stage(
            kin, (before, spread, per_mu, need, reserve, market_value, holder),
            (household, wage, risk), kin_lease_value, is_open, room, days_left,
            (out_o, out_b, out_rent, out_close), n,
        )  # fmt: skip
    # stage 3: auctions, village by village
    o_all = np.flatnonzero(is_open)
    if o_all.size:
        o_order, o_bounds, b_order, b_first, b_end = _by_village(o_all, village, b_village)
        plot = (before, spread, per_mu, need, floor, row_o, col_o, holder)
        wo, wb, rent, fam = auction_villages(
            o_order, o_bounds, b_order, b_first, b_end, plot,
            (risk, wage, row_b, col_b, household), hired_wage, distance_cost, days_left, room,
        )  # fmt: skip
        for i in range(wo.size):
            room[wb[i]] -= 1
            days_left[wb[i]] -= need[wo[i]] if fam[i] else 0.0
            out_o[n], out_b[n], out_rent[n], out_close[n] = wo[i], wb[i], rent[i], 0.0
            n += 1
    return (
        out_o[:n].copy(),
        out_b[:n].copy(),
        out_rent[:n].copy(),
        out_close[:n].copy(),
        out_renewed[:n].copy(),
    )


@kernel
def _kin_stage(kin, plot, bidder, kin_lease_value, is_open, room, days_left, out, n):
    """Stage 2 of :func:`clear_offers`: the loans to kin (``np.lexsort((b, o, -c))`` as three
    stable sorts), written to ``out`` from position ``n``; returns the new count."""
    k_offer, k_bidder, k_close = kin
    before, spread, per_mu, need, reserve, market_value, holder = plot
    household, wage, risk = bidder
    out_o, out_b, out_rent, out_close = out
    keep = np.zeros(k_offer.size, np.bool_)
    for i in range(k_offer.size):
        oi, bi, c = k_offer[i], k_bidder[i], k_close[i]
        m = before[oi] - per_mu[oi] * wage[bi] - risk[bi] * spread[oi]
        value = c * kin_lease_value
        keep[i] = (
            m >= 0 and value >= reserve[oi] and value >= market_value[oi]
            and holder[oi] != household[bi] and c > 0 and is_open[oi]
        )  # fmt: skip
    idx = np.flatnonzero(keep)
    idx = idx[stable_argsort(k_bidder[idx])]
    idx = idx[stable_argsort(k_offer[idx])]
    idx = idx[stable_argsort(-k_close[idx])]
    for i in idx:
        oi, bi = k_offer[i], k_bidder[i]
        if is_open[oi] and room[bi] > 0 and days_left[bi] >= need[oi]:
            is_open[oi] = False
            room[bi] -= 1
            days_left[bi] -= need[oi]
            out_o[n], out_b[n], out_rent[n], out_close[n] = oi, bi, 0.0, k_close[i]
            n += 1
    return n


@kernel
def _by_village(o_all, village, b_village):
    """The open offers ``o_all`` and the bidders by village, as
    :func:`landsim.clearing._auctions` groups them for :func:`auction_villages`:
    ``(o_order, o_bounds, b_order, b_first, b_end)``."""
    n_b = b_village.size
    b_order = stable_argsort(b_village)
    o_order = o_all[stable_argsort(village[o_all])]
    n_v = 1
    for i in range(1, o_order.size):
        if village[o_order[i]] != village[o_order[i - 1]]:
            n_v += 1
    o_bounds = np.empty(n_v + 1, np.int64)
    b_first = np.empty(n_v, np.int64)
    b_end = np.empty(n_v, np.int64)
    v = 0
    o_bounds[0] = 0
    for i in range(1, o_order.size):
        if village[o_order[i]] != village[o_order[i - 1]]:
            v += 1
            o_bounds[v] = i
    o_bounds[n_v] = o_order.size
    j = 0
    for v in range(n_v):
        key = village[o_order[o_bounds[v]]]
        while j < n_b and b_village[b_order[j]] < key:
            j += 1
        b_first[v] = j
        while j < n_b and b_village[b_order[j]] <= key:
            j += 1
        b_end[v] = j
    return o_order, o_bounds, b_order, b_first, b_end


@kernel
def _renewal_stage(sit, plot, bidder, tech, distance_cost, is_open, room, days_left, out):
    """Stage 1 of :func:`clear_offers`: the renewals (:func:`renewals`), by sitting lessee,
    then offer, written to ``out`` from its start; returns their count."""
    sitting, sitting_rent, sitting_closeness = sit
    need = plot[2]
    out_o, out_b, out_rent, out_close, out_renewed = out
    n = 0
    o = np.flatnonzero(sitting >= 0)
    if o.size == 0:
        return n
    o = o[stable_argsort(sitting[o])]
    b = sitting[o]
    close = sitting_closeness[o]
    rent = sitting_rent[o]
    ok, family = renewals(o, b, close, rent, plot, bidder, tech, distance_cost, days_left, room)
    for i in range(o.size):
        if ok[i]:
            is_open[o[i]] = False
            room[b[i]] -= 1
            days_left[b[i]] -= need[o[i]] if family[i] else 0.0
            out_o[n], out_b[n], out_rent[n], out_close[n] = o[i], b[i], rent[i], close[i]
            out_renewed[n] = True
            n += 1
    return n
