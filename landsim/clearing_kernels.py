"""Compiled kernels of the land market's clearing (:mod:`landsim.clearing`).

Summary of :func:`auction_rounds`: the rounds of one village's second-price auctions, exactly
as :func:`landsim.clearing.auction_reference` runs them with NumPy, one bidder and one plot at a
time. It makes the same floating-point operations in the same order (willingness to pay,
second-highest bid, price, gain, the running sums of family days that decide which plots a
winner keeps), so its leases are bit for bit the reference's (``tests/test_kernels.py``).
It takes and returns arrays only: it knows nothing of the model.
"""

from __future__ import annotations

import math

import numpy as np

from landsim.compiled import kernel

__all__ = ["auction_rounds", "auction_villages"]


@kernel
def auction_rounds(base, days_per_mu, need, floor, alone, wage, hired_wage, days_left, room):
    """Second-price auctions of one village's plots, in rounds (see
    :func:`landsim.clearing.auction`, whose arguments these are, with two differences).

    Args:
        base: bidders x plots, willingness to pay before labour (float64, ``-inf``: no bid).
        days_per_mu: each plot's lessee labour (days/mu).
        need: each plot's lessee labour (days).
        floor: each plot's reserve, not negative (``np.maximum(reserve, 0.0)``).
        alone: the price a lone bidder pays (``np.maximum(floor, 0.0)``, computed by NumPy so
            that signed zeros are NumPy's).
        wage: each bidder's own day (yuan/day).
        hired_wage: the day wage of hired labour (yuan/day).
        days_left: each bidder's spare family days (float64; changed in place).
        room: plots each bidder can still manage (int64; changed in place).

    Returns:
        ``(plot, bidder, rent, family)`` as :func:`landsim.clearing.auction` returns them.
    """
    n_b, n_o = base.shape
    fam_wtp = np.empty((n_b, n_o))
    hired_wtp = np.empty((n_b, n_o))
    for b in range(n_b):
        for o in range(n_o):
            fam_wtp[b, o] = base[b, o] - days_per_mu[o] * wage[b]
            hired_wtp[b, o] = base[b, o] - days_per_mu[o] * hired_wage
    cheap = True
    for b in range(n_b):
        if not wage[b] <= hired_wage:
            cheap = False
    out_o = np.empty(n_o, np.int64)
    out_b = np.empty(n_o, np.int64)
    out_rent = np.empty(n_o)
    out_fam = np.empty(n_o, np.bool_)
    n_out = 0
    open_o = np.arange(n_o)
    n_open = n_o
    live = np.empty(n_b, np.int64)
    top = np.empty(n_o, np.int64)
    v1 = np.empty(n_o)
    v2 = np.empty(n_o)
    top_fam = np.empty(n_o, np.bool_)
    row_bids = np.empty(n_b, np.bool_)
    while n_open > 0:
        n_live = 0
        for b in range(n_b):
            if room[b] > 0:
                live[n_live] = b
                n_live += 1
        if n_live == 0:
            break
        # each open plot's highest bid (first bidder among equals) and second-highest bid
        row_bids[:n_live] = False
        any_bid = False
        for c in range(n_open):
            o = open_o[c]
            best = -np.inf
            second = -np.inf
            best_r = 0
            best_fam = False
            for r in range(n_live):
                b = live[r]
                fam = days_left[b] >= need[o]
                x = fam_wtp[b, o] if fam else hired_wtp[b, o]
                if x <= 0 or x < floor[o]:
                    x = -np.inf
                if math.isfinite(x):
                    row_bids[r] = True
                if r == 0:
                    best, best_fam = x, fam
                elif x > best:  # np.argmax: the first of equal bids wins
                    second = best
                    best, best_r, best_fam = x, r, fam
                elif x > second:
                    second = x
            top[c], v1[c], v2[c], top_fam[c] = best_r, best, second, best_fam
            if math.isfinite(best):
                any_bid = True
        if not any_bid:
            break
        if cheap:
            for r in range(n_live):
                if not row_bids[r]:
                    room[live[r]] = 0
        # the plots bid for, with winner, price and gain, by winner, gain (highest first), plot
        k = 0
        for c in range(n_open):
            if math.isfinite(v1[c]):
                k += 1
        j = np.empty(k, np.int64)
        winner = np.empty(k, np.int64)
        price = np.empty(k)
        gain = np.empty(k)
        on_family = np.empty(k, np.bool_)
        i = 0
        for c in range(n_open):
            if math.isfinite(v1[c]):
                o = open_o[c]
                j[i] = c
                winner[i] = live[top[c]]
                if math.isfinite(v2[c]):
                    price[i] = floor[o] if floor[o] > v2[c] else v2[c]
                else:
                    price[i] = alone[o]
                gain[i] = v1[c] - price[i]
                on_family[i] = top_fam[c]
                i += 1
        # np.lexsort((j, -gain, winner)) as two stable sorts; j is already ascending
        by_gain = np.argsort(-gain, kind="mergesort")
        order = by_gain[np.argsort(winner[by_gain], kind="mergesort")]
        # a winner keeps plots while its family days (running sum) and its room last
        kept = np.zeros(k, np.bool_)
        total = 0.0
        days_before = 0.0
        count_before = 0
        count = 0
        prev_total = 0.0
        for i in range(k):
            e = order[i]
            w = winner[e]
            used = need[open_o[j[e]]] if on_family[e] else 0.0
            total = used if i == 0 else total + used
            if i > 0 and w != winner[order[i - 1]]:
                days_before = prev_total
                count_before = count
            prev_total = total
            days_ok = (not on_family[e]) or (total - days_before <= days_left[w])
            if days_ok:
                count += 1
            kept[i] = days_ok and (count - count_before <= room[w])
        for i in range(k):
            if kept[i]:
                e = order[i]
                w = winner[e]
                room[w] -= 1
                days_left[w] -= need[open_o[j[e]]] if on_family[e] else 0.0
                out_o[n_out] = open_o[j[e]]
                out_b[n_out] = w
                out_rent[n_out] = price[e]
                out_fam[n_out] = on_family[e]
                n_out += 1
        # the plots left: not kept; with cheap own days, only those somebody bid for
        still = np.empty(n_open, np.bool_)
        for c in range(n_open):
            still[c] = math.isfinite(v1[c]) or not cheap
        for i in range(k):
            if kept[i]:
                still[j[order[i]]] = False
        n_next = 0
        for c in range(n_open):
            if still[c]:
                open_o[n_next] = open_o[c]
                n_next += 1
        n_open = n_next
    return (
        out_o[:n_out].copy(),
        out_b[:n_out].copy(),
        out_rent[:n_out].copy(),
        out_fam[:n_out].copy(),
    )


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
    no bid for its own plot) and its auction rounds (:func:`auction_rounds`).

    Args:
        o_order: open offers, by village (indices into the offers).
        o_bounds: village ``v``'s offers are ``o_order[o_bounds[v]:o_bounds[v+1]]``.
        b_order: bidders, by village (indices into the bidders).
        b_first: where village ``v``'s bidders start in ``b_order``.
        b_end: where they end (``b_order[b_first[v]:b_end[v]]``).
        plot: per offer ``(before, spread, days_per_mu, need, floor, alone, row, col,
            holder)``: harvest less cash costs (yuan/mu), the harvest's standard deviation
            (yuan/mu), lessee labour (days/mu and days), reserve floor and lone bidder's price
            (:func:`auction_rounds`), grid position and holder.
        bidder: per bidder ``(risk, wage, row, col, household)``.
        hired_wage: the day wage of hired labour (yuan/day).
        distance_cost: cost of a plot-length between homestead and plot (yuan/mu).
        days_left: each bidder's spare family days (not changed).
        room: plots each bidder can still manage (not changed).

    Returns:
        ``(offer, bidder, rent, family)``: the leases, village after village, in the order
        each village's auction made them.
    """
    before, spread, days_per_mu, need, floor, alone, row_o, col_o, holder = plot
    risk, wage, row_b, col_b, household = bidder
    n_max = o_order.size
    out_o = np.empty(n_max, np.int64)
    out_b = np.empty(n_max, np.int64)
    out_rent = np.empty(n_max)
    out_fam = np.empty(n_max, np.bool_)
    n_out = 0
    for v in range(o_bounds.size - 1):
        n_b = 0
        for i in range(b_first[v], b_end[v]):
            if room[b_order[i]] > 0:
                n_b += 1
        if n_b == 0:
            continue
        b = np.empty(n_b, np.int64)
        n_b = 0
        for i in range(b_first[v], b_end[v]):
            if room[b_order[i]] > 0:
                b[n_b] = b_order[i]
                n_b += 1
        o = o_order[o_bounds[v] : o_bounds[v + 1]]
        n_o = o.size
        base = np.empty((n_b, n_o))
        for r in range(n_b):
            for c in range(n_o):
                x = before[o[c]] - risk[b[r]] * spread[o[c]]
                dist = abs(row_b[b[r]] - row_o[o[c]]) + abs(col_b[b[r]] - col_o[o[c]])
                x = x - distance_cost * dist
                if holder[o[c]] == household[b[r]]:
                    x = -np.inf
                base[r, c] = x
        wo, wb, rent, fam = auction_rounds(
            base,
            days_per_mu[o],
            need[o],
            floor[o],
            alone[o],
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
