"""The model's fast paths agree with the rules written plainly, on random inputs.

``clear_market`` skips bidders with nothing left to take and finds hired-labour plots among
those a family had no days for; the farm order is merged from last year's instead of sorted.
Each is checked here against a slow, literal version of the same rule.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from landsim.clearing import Bidders, KinPairs, Offers, Technology, clear_market
from landsim.land_use import sorted_by_key
from landsim.spatial import count_patches


def _plain_market(offers, bidders, kin, tech, bid_fraction, distance_cost, kin_value):
    """Module docstring of landsim.clearing, one plot and one bidder at a time."""
    days_left = bidders.days.astype(float).copy()
    plots_left = bidders.max_plots.astype(np.int64).copy()
    need = tech.days(offers.hilly) * tech.plot_mu
    open_ = np.ones(offers.plot.size, dtype=bool)
    won = []  # (offer, bidder, rent, closeness)
    o, b, c = kin.offer, kin.bidder, kin.closeness
    m = tech.margin(offers.hilly[o], offers.quality[o], bidders.wage[b])
    value = c * kin_value
    ok = (m >= 0) & (value >= offers.reserve[o]) & (value >= offers.market_value[o])
    ok &= (offers.holder[o] != bidders.household[b]) & (c > 0)
    for k in np.lexsort((b[ok], o[ok], -c[ok])):
        oi, bi, ci = o[ok][k], b[ok][k], c[ok][k]
        if open_[oi] and plots_left[bi] > 0 and days_left[bi] >= need[oi]:
            open_[oi], plots_left[bi], days_left[bi] = (
                False,
                plots_left[bi] - 1,
                days_left[bi] - need[oi],
            )
            won.append((oi, bi, 0.0, ci))
    for v in sorted(set(offers.village[open_].tolist())):
        oo = np.flatnonzero(open_ & (offers.village == v))
        bb = np.flatnonzero((bidders.village == v) & (plots_left > 0))
        if bb.size == 0:
            continue

        def bids(i, wage, oo=oo):
            dist = np.abs(bidders.row[i] - offers.row[oo]) + np.abs(bidders.col[i] - offers.col[oo])
            bid = bid_fraction * tech.margin(offers.hilly[oo], offers.quality[oo], wage)
            bid = bid - distance_cost * dist
            ok = (bid >= np.maximum(offers.reserve[oo], 0)) & (bid > 0)
            return bid, ok & (offers.holder[oo] != bidders.household[i])

        best = []
        for i in bb:
            fam, ok_f = bids(i, bidders.wage[i])
            hired, ok_h = bids(i, tech.hired_wage)
            vals = np.maximum(fam, hired)[ok_f | ok_h]
            best.append(vals.max() if vals.size else -np.inf)
        best = np.array(best)
        still = np.ones(oo.size, dtype=bool)
        for k in np.lexsort((bb, -best)):
            i = bb[k]
            if not np.isfinite(best[k]):
                break
            fam, ok_f = bids(i, bidders.wage[i])
            for j in sorted(np.flatnonzero(ok_f & still), key=lambda j: -fam[j]):
                if plots_left[i] == 0 or need[oo[j]] > days_left[i]:
                    break
                still[j], plots_left[i], days_left[i] = (
                    False,
                    plots_left[i] - 1,
                    days_left[i] - need[oo[j]],
                )
                won.append((oo[j], i, fam[j], 0.0))
            hired, ok_h = bids(i, tech.hired_wage)
            for j in sorted(np.flatnonzero(ok_h & still), key=lambda j: -hired[j]):
                if plots_left[i] == 0:
                    break
                still[j], plots_left[i] = False, plots_left[i] - 1
                won.append((oo[j], i, hired[j], 0.0))
    return sorted(
        (int(o), int(bidders.household[b]), round(r, 9), round(c, 9)) for o, b, r, c in won
    )


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n_o=st.integers(0, 40),
    n_b=st.integers(0, 25),
    villages=st.integers(1, 3),
    high_wages=st.booleans(),
)
def test_clear_market_follows_the_plain_rule(seed, n_o, n_b, villages, high_wages):
    rng = np.random.default_rng(seed)
    n_h = 30
    offers = Offers(
        plot=np.arange(n_o),
        village=rng.integers(0, villages, n_o),
        row=rng.integers(0, 12, n_o),
        col=rng.integers(0, 12, n_o),
        hilly=rng.random(n_o) < 0.4,
        quality=rng.uniform(0.6, 1.4, n_o),
        reserve=rng.uniform(-50, 500, n_o),
        market_value=rng.uniform(0, 600, n_o),
        holder=rng.integers(-1, n_h, n_o),
    )
    wage_hi = 200.0 if high_wages else 80.0  # above the day wage: hiring can beat the family
    bidders = Bidders(
        household=rng.choice(n_h, n_b, replace=False) if n_b <= n_h else np.arange(n_b),
        village=rng.integers(0, villages, n_b),
        row=rng.integers(0, 12, n_b),
        col=rng.integers(0, 12, n_b),
        wage=rng.uniform(20, wage_hi, n_b),
        days=rng.uniform(0, 60, n_b),
        max_plots=rng.integers(1, 6, n_b),
    )
    n_k = int(rng.integers(0, 2 * max(n_o, 1))) if n_o and n_b else 0
    kin = KinPairs(
        offer=rng.integers(0, max(n_o, 1), n_k),
        bidder=rng.integers(0, max(n_b, 1), n_k),
        closeness=rng.uniform(0, 1, n_k),
    )
    tech = Technology(
        gross=1300.0,
        cash=450.0,
        hilly_cash=600.0,
        hilly_yield=0.7,
        days_flat=4.0,
        days_hilly=12.0,
        hired_wage=120.0,
        plot_mu=1.5,
    )
    args = (offers, bidders, kin, tech, 0.8, 3.0, 400.0)
    got = clear_market(*args)
    fast = sorted(
        (int(o), int(h), round(r, 9), round(c, 9))
        for o, h, r, c in zip(got.offer, got.lessee, got.rent, got.closeness, strict=True)
    )
    assert fast == _plain_market(*args)
    assert np.unique(got.plot).size == got.plot.size  # a plot is leased at most once


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 100_000), n=st.integers(1, 200), changes=st.integers(0, 60))
def test_farm_order_merge_equals_a_full_sort(seed, n, changes):
    rng = np.random.default_rng(seed)

    def keys(holder):
        packed = np.full(n, -1, dtype=np.int64)
        held = np.flatnonzero(holder >= 0)
        packed[held] = holder[held] * n + rng_rank[held]
        return packed, held

    rng_rank = rng.permutation(n)
    holder = rng.integers(-1, 20, n)
    packed, held = keys(holder)
    last = sorted_by_key(packed, held, None)
    last = (last[1], last[0])
    holder[rng.integers(0, n, changes)] = rng.integers(-1, 25, changes)
    packed, held = keys(holder)
    order, sorted_keys = sorted_by_key(packed, held, last)
    assert np.array_equal(order, held[np.argsort(packed[held], kind="stable")])
    assert np.array_equal(sorted_keys, np.sort(packed[held]))


def _patches_by_graph(g: np.ndarray) -> tuple[int, int]:
    """Patches counted as connected components of the same-key neighbour graph (scipy.sparse)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = g.size
    idx = np.arange(n).reshape(g.shape)
    right = (g[:, :-1] == g[:, 1:]) & (g[:, :-1] >= 0)
    down = (g[:-1, :] == g[1:, :]) & (g[:-1, :] >= 0)
    src = np.concatenate([idx[:, :-1][right], idx[:-1, :][down]])
    dst = np.concatenate([idx[:, 1:][right], idx[1:, :][down]])
    graph = coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(n, n))
    n_comp, _ = connected_components(graph, directed=False)
    n_neg = int((g < 0).sum())
    return n - n_neg, n_comp - n_neg


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    h=st.integers(1, 12),
    w=st.integers(1, 12),
    keys=st.integers(1, 4),
)
def test_patches_on_the_image_equal_the_graph_components(seed, h, w, keys):
    g = np.random.default_rng(seed).integers(-1, keys, (h, w))
    assert count_patches(g) == _patches_by_graph(g)
