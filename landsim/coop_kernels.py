"""Compiled kernels of the co-ops' books (:mod:`landsim.books`) and pooling.

Summary: a co-op's season in one call, exactly as :func:`landsim.books.season_reference`
computes it with NumPy: each pooled plot's harvest and land grade, the sums the books post
(sales, production cost, labour days), each member's graded land shares and sales, and the
collective's. The kernels make the same floating-point operations in the same order: sums
of arrays as NumPy's pairwise summation adds them (:func:`pairwise_sum`), sums by member as
``np.bincount`` adds them (in plot order), so the books are bit for bit the reference's
(``tests/test_kernels_coops.py``, ``tests/test_golden.py``). They take and return arrays
only: they know nothing of the model.

The same for pooling (:mod:`landsim.cooperatives`): the margins a co-op expects of offered and
pooled plots, and the plots its books let it take.

Parts: :func:`pairwise_sum` (``x.sum()`` of a float array), :func:`season` (one co-op's
harvest, costs and stakes), :func:`expected_margins`, :func:`book_selection` and
:func:`accept_offers` (one co-op's pooling), :func:`pool_inputs` (the offers of a year),
:func:`member_trust` (:func:`landsim.trust.update_trust`).
"""

from __future__ import annotations

import numpy as np

from landsim.compiled import kernel
from landsim.sort_kernels import stable_argsort

__all__ = [
    "pairwise_sum",
    "season",
    "expected_margins",
    "book_selection",
    "accept_offers",
    "pool_inputs",
    "member_trust",
]


@kernel
def _block(x, lo, n):
    """Sum of ``x[lo:lo + n]``, ``n`` at most 128, as NumPy adds a block: fewer than 8 in a
    row; else in 8 running sums combined in pairs, then the remainder in a row."""
    if n < 8:
        res = 0.0
        for i in range(lo, lo + n):
            res += x[i]
        return res
    r0, r1, r2, r3 = x[lo], x[lo + 1], x[lo + 2], x[lo + 3]
    r4, r5, r6, r7 = x[lo + 4], x[lo + 5], x[lo + 6], x[lo + 7]
    i = 8
    while i < n - (n % 8):
        r0 += x[lo + i]
        r1 += x[lo + i + 1]
        r2 += x[lo + i + 2]
        r3 += x[lo + i + 3]
        r4 += x[lo + i + 4]
        r5 += x[lo + i + 5]
        r6 += x[lo + i + 6]
        r7 += x[lo + i + 7]
        i += 8
    res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7))
    while i < n:
        res += x[lo + i]
        i += 1
    return res


@kernel
def pairwise_sum(x):
    """``x.sum()`` of a contiguous float64 array, bit for bit: NumPy's pairwise summation,
    which adds blocks of at most 128 (:func:`_block`) and splits a longer run in two halves
    (the first a multiple of 8), the sum of the first plus the sum of the second. The halves
    are walked with a stack (a kernel does not call itself)."""
    lo = np.empty(128, np.int64)  # the runs being split, and how far each has got
    size = np.empty(128, np.int64)
    stage = np.empty(128, np.int64)
    sums = np.empty(128)
    lo[0], size[0], stage[0] = 0, x.size, 0
    top, n_sums = 1, 0
    while top > 0:
        t = top - 1
        n = size[t]
        if n <= 128:
            sums[n_sums] = _block(x, lo[t], n)
            n_sums += 1
            top -= 1
            continue
        half = n // 2
        half -= half % 8
        if stage[t] == 0:  # the first half
            stage[t] = 1
            lo[top], size[top], stage[top] = lo[t], half, 0
            top += 1
        elif stage[t] == 1:  # the second half
            stage[t] = 2
            lo[top], size[top], stage[top] = lo[t] + half, n - half, 0
            top += 1
        else:  # both summed: first + second
            n_sums -= 1
            sums[n_sums - 1] = sums[n_sums - 1] + sums[n_sums]
            top -= 1
    return 0.0 + sums[0]  # NumPy adds the sum to 0 (a sum of negative zeros is 0)


@kernel
def season(holders, hilly, quality, yield_factor, cost_factor, price, shock, mu, cost):
    """One co-op's season over its pooled plots (``holders``: each plot's contract holder, -1
    for the collective; ``hilly``, ``quality``): ``price x quality x yield factor x shock x
    mu`` harvested on each plot (``gross``) and its grade (yield factor x quality), the
    sums of the harvest, of ``cost x cost factor x mu`` and of ``cost factor x mu``; the
    member households (sorted), each one's graded land (mu) and sales; the collective's
    graded land (mu) and sales."""
    n = holders.size
    gross = np.empty(n)
    grade = np.empty(n)
    cost_mu = np.empty(n)
    cf_mu = np.empty(n)
    n_own = 0
    for i in range(n):
        yf = yield_factor if hilly[i] else 1.0
        cf = cost_factor if hilly[i] else 1.0
        gross[i] = price * quality[i] * yf * shock * mu
        grade[i] = yf * quality[i]
        cost_mu[i] = cost * cf * mu
        cf_mu[i] = cf * mu
        if holders[i] >= 0:
            n_own += 1
    own = np.empty(n_own, np.int64)
    coll_grade = np.empty(n - n_own)
    coll_gross = np.empty(n - n_own)
    k = 0
    c = 0
    for i in range(n):
        if holders[i] >= 0:
            own[k] = holders[i]
            k += 1
        else:
            coll_grade[c] = grade[i]
            coll_gross[c] = gross[i]
            c += 1
    ordered = np.sort(own)
    m = 0
    for i in range(n_own):
        if i == 0 or ordered[i] != ordered[i - 1]:
            ordered[m] = ordered[i]
            m += 1
    members = ordered[:m].copy()
    land = np.zeros(m)
    sales = np.zeros(m)
    for i in range(n):
        if holders[i] >= 0:
            j = np.searchsorted(members, holders[i])
            land[j] += grade[i]
            sales[j] += gross[i]
    for j in range(m):
        land[j] = land[j] * mu
    sums = np.empty(3)
    sums[0] = pairwise_sum(gross)
    sums[1] = pairwise_sum(cost_mu)
    sums[2] = pairwise_sum(cf_mu)
    coll = np.empty(2)
    coll[0] = pairwise_sum(coll_grade) * mu
    coll[1] = pairwise_sum(coll_gross)
    return gross, grade, sums, members, land, sales, coll


@kernel
def expected_margins(hilly, quality, terms):
    """Each plot's expected margin less the risk margin its reserve does not cover (yuan/mu),
    as :func:`landsim.cooperatives.plot_margin` and :func:`landsim.cooperatives.risk_margin`
    compute them. ``terms`` (:func:`landsim.cooperatives.margin_terms`, then two more): price
    per mu of average flat land, hilly yield and cost factors, own cost per mu of flat land,
    overhead and books, the managers' fee, guaranteed payment per share, subsidy, the risk
    margin per yuan of harvest, the share of the risk not covered."""
    price, yield_factor, cost_factor, own = terms[0], terms[1], terms[2], terms[3]
    overhead, fee, base, subsidy = terms[4], terms[5], terms[6], terms[7]
    risk, uncovered = terms[8], terms[9]
    out = np.empty(hilly.size)
    for i in range(hilly.size):
        yf = yield_factor if hilly[i] else 1.0
        cf = cost_factor if hilly[i] else 1.0
        gross = price * quality[i] * yf
        margin = gross - own * cf - overhead - fee - base * (yf * quality[i]) + subsidy
        out[i] = margin - uncovered * (risk * gross)
    return out


@kernel
def book_selection(net, room, surplus, mission, mission_share):
    """Which plots a co-op's books allow it to take, best first, as
    :func:`landsim.cooperatives.book_selection` chooses them (``mission``: the loss per mu it
    takes at most, ``coop_social_mission``; ``mission_share``: ``coop_mission_share``)."""
    order = stable_argsort(-net)[: max(room, 0)]
    kept = np.empty(order.size, np.int64)
    n = 0
    for o in order:
        if net[o] >= -mission:
            kept[n] = o
            n += 1
    n_paying = 0
    for k in range(n):
        if net[kept[k]] >= 0:
            n_paying += 1
    paying = np.empty(n_paying)
    out = np.empty(n, np.int64)
    m = 0
    for k in range(n):
        if net[kept[k]] >= 0:
            paying[m] = net[kept[k]]
            out[m] = kept[k]
            m += 1
    total = surplus + pairwise_sum(paying)
    budget = mission_share * (total if total > 0.0 else 0.0)
    spent = 0.0
    for k in range(n):
        if net[kept[k]] < 0:
            spent += -net[kept[k]]
            if spent <= budget:
                out[m] = kept[k]
                m += 1
    return out[:m]


@kernel
def accept_offers(hilly, quality, contiguity, pooled_hilly, pooled_quality, terms, numbers, room):
    """Which offered plots (``hilly``, ``quality``, ``contiguity``) a co-op running the pooled
    plots takes, as :func:`landsim.cooperatives.accept` chooses them: expected margins
    (:func:`expected_margins`) less the fragmentation cost, the expected surplus of the pooled
    land, then :func:`book_selection`. ``numbers``: fragmentation cost, mu a plot,
    ``coop_social_mission``, ``coop_mission_share``."""
    net = expected_margins(hilly, quality, terms)
    for i in range(net.size):
        net[i] = net[i] - numbers[0] * (1.0 - contiguity[i])
    running = pairwise_sum(expected_margins(pooled_hilly, pooled_quality, terms)) * numbers[1]
    return book_selection(net, room, running, numbers[2], numbers[3])


@kernel
def member_trust(trust, village, alive, members, pay, signals, weights):
    """Next year's trust of every household, as :func:`landsim.trust.update_trust` computes
    it. ``pay``: ``tanh((coop pay - outside option) / pay_scale)`` of each household (NumPy's
    tanh, computed before); ``signals``: by village, whether a co-op operates, its
    transparency, the leakage seen, whether it is in debt, a clean published audit, the leak
    rate an audit published; ``weights``: ``trust_pay_weight``, ``trust_transparency_weight``,
    ``trust_leak_weight``, ``trust_debt_penalty``, ``trust_audit_bonus``, ``trust_learning``,
    ``trust_word_of_mouth``. A village out of range raises ``IndexError``."""
    n_v = signals.shape[1]
    out = trust.copy()
    cnt = np.zeros(n_v, np.int64)
    tot = np.zeros(n_v)
    for i in range(trust.size):  # members learn from what they see
        v = village[i]
        if not 0 <= v < n_v:
            raise IndexError("member_trust: a village out of range")
        if not (signals[0, v] != 0.0 and alive[i] and members[i]):
            continue
        s = (
            0.5
            + weights[0] * pay[i]
            + weights[1] * (signals[1, v] - 0.5)
            - weights[2] * signals[2, v]
            - weights[3] * signals[3, v]
            + weights[4] * signals[4, v]
        )
        s = 0.0 if s < 0.0 else (1.0 if s > 1.0 else s)
        out[i] += weights[5] * (s - out[i])
        cnt[village[i]] += 1
        tot[village[i]] += out[i]
    step = weights[6] * weights[5]
    for i in range(trust.size):  # others hear from the members; a published leak hits all
        v = village[i]
        if signals[0, v] != 0.0 and alive[i] and not members[i] and cnt[v] > 0:
            out[i] += step * (tot[v] / max(cnt[v], 1) - out[i])
        if alive[i] and signals[5, v] > 0:
            out[i] -= signals[5, v]
        out[i] = 0.0 if out[i] < 0.0 else (1.0 if out[i] > 1.0 else out[i])
    return out


@kernel
def pool_inputs(kind, operator, village, channel, free_coll, coop_open, cell, shape, coop):
    """What :func:`landsim.cooperatives.pool_offered_land` works from, as
    :func:`landsim.cooperatives.pool_inputs_reference` finds it: the plots offered to an
    operating co-op (``channel == coop`` or the collective's free land) by village and in plot
    order, with each village's bounds; each one's contiguity (the share of its 4 neighbours on
    the grid, ``shape`` = (height, width, villages), with its key: the co-op that pools a plot,
    else the village of an offered plot); the pooled plots by co-op and their bounds. A village,
    co-op or cell out of range raises ``IndexError`` (unchecked, it would write outside the
    arrays)."""
    height, width, n_v = shape[0], shape[1], shape[2]
    key = np.full(height * width, -1, np.int64)
    offered = np.zeros(kind.size, np.bool_)
    off_bounds = np.zeros(n_v + 1, np.int64)
    pool_bounds = np.zeros(n_v + 1, np.int64)
    for i in range(kind.size):
        in_range = 0 <= village[i] < n_v and 0 <= cell[i] < height * width
        if not in_range or (kind[i] == coop and not 0 <= operator[i] < n_v):
            raise IndexError("pool_inputs: a village, co-op or cell out of range")
        offered[i] = (channel[i] == coop or free_coll[i]) and coop_open[village[i]]
        if kind[i] == coop:
            key[cell[i]] = operator[i]
            pool_bounds[operator[i] + 1] += 1
        elif offered[i]:
            key[cell[i]] = village[i]
        if offered[i]:
            off_bounds[village[i] + 1] += 1
    for v in range(n_v):
        off_bounds[v + 1] += off_bounds[v]
        pool_bounds[v + 1] += pool_bounds[v]
    off_at, pool_at = off_bounds[:-1].copy(), pool_bounds[:-1].copy()
    offers = np.empty(off_bounds[n_v], np.int64)
    contiguity = np.empty(off_bounds[n_v])
    pooled = np.empty(pool_bounds[n_v], np.int64)
    for i in range(kind.size):
        if kind[i] == coop:
            pooled[pool_at[operator[i]]] = i
            pool_at[operator[i]] += 1
        if not offered[i]:
            continue
        c, k = cell[i], key[cell[i]]
        row, col = c // width, c % width
        same, n = 0, 0
        for r, q in ((row - 1, col), (row + 1, col), (row, col - 1), (row, col + 1)):
            if 0 <= r < height and 0 <= q < width:
                n += 1
                same += key[r * width + q] == k
        offers[off_at[village[i]]] = i
        contiguity[off_at[village[i]]] = float(same) / float(max(n, 1)) if k >= 0 else 0.0
        off_at[village[i]] += 1
    return offers, off_bounds, contiguity, pooled, pool_bounds
