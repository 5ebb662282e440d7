"""The land market's compiled kernels equal their NumPy (or plain Python) references bit for bit
(house style 13): the loans to kin, and whole markets with renewals, kin and auctions."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from landsim import compiled
from landsim.clearing import (
    Bidders,
    KinPairs,
    Offers,
    Technology,
    clear_market,
    kin_loans_reference,
)
from landsim.clearing_kernels import kin_loans

# few distinct values, so that days just cover or just miss a plot's need
DAYS = st.sampled_from([0.0, 6.0, 12.0, 18.0, 0.1 + 0.2, 40.0])
NEEDS = st.sampled_from([0.0, 6.0, 18.0, 0.3])


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@st.composite
def kin_queues(draw):
    """Kin pairs in the order a market considers them, with the plots' openness and needs and
    the bidders' room and days (pairs may repeat a plot or a bidder; none at all)."""
    n_o = draw(st.integers(1, 12))
    n_b = draw(st.integers(1, 8))
    n_k = draw(st.integers(0, 30))
    offer = draw(hnp.arrays(np.int64, n_k, elements=st.integers(0, n_o - 1)))
    bidder = draw(hnp.arrays(np.int64, n_k, elements=st.integers(0, n_b - 1)))
    is_open = draw(hnp.arrays(np.bool_, n_o))
    room = draw(hnp.arrays(np.int64, n_b, elements=st.integers(-1, 3)))
    days_left = draw(hnp.arrays(np.float64, n_b, elements=DAYS))
    need = draw(hnp.arrays(np.float64, n_o, elements=NEEDS))
    return offer, bidder, is_open, room, days_left, need


@settings(max_examples=300, deadline=None)
@given(kin_queues())
def test_the_kin_loans_kernel_equals_its_reference(case):
    """On random queues of kin pairs, the compiled loans go to the same pairs as the Python
    reference's, and neither changes the arrays it is given."""
    before = [a.copy() for a in case]
    want = kin_loans_reference(*case)
    got = kin_loans(*case)
    assert _same_bits(got, want), (got, want)
    assert all(_same_bits(a, b) for a, b in zip(case, before, strict=True))


def _market(seed: int, n_o: int, n_b: int, mu: float = 1.5):
    """A random market over three villages: offers (some with sitting lessees, at a rent or on
    a loan to kin), bidders (some holding offered plots), kin pairs, a technology with plots
    of ``mu`` mu (0.7: days that do not add up exactly)."""
    rng = np.random.default_rng(seed)
    household = rng.permutation(60)[:n_b]
    sitting = np.where(rng.random(n_o) < 0.5, rng.integers(0, max(n_b, 1), n_o), -1)
    sitting = sitting if n_b else np.full(n_o, -1)
    offers = Offers(
        plot=np.arange(n_o),
        village=rng.integers(0, 3, n_o),
        row=rng.integers(0, 12, n_o).astype(np.int32),
        col=rng.integers(0, 12, n_o).astype(np.int32),
        hilly=rng.random(n_o) < 0.4,
        quality=rng.choice([0.8, 1.0, 1.2, 0.1 + 0.2, 1.37], n_o),
        reserve=rng.choice([-50.0, 0.0, 200.0, 350.0], n_o),
        market_value=rng.uniform(0, 600, n_o),
        holder=np.where(rng.random(n_o) < 0.2, household[rng.integers(0, max(n_b, 1), n_o)]
                        if n_b else -1, rng.integers(-1, 60, n_o)),
        sitting=sitting,
        sitting_rent=rng.choice([0.0, 150.0, 300.25, 500.0], n_o),
        sitting_closeness=np.where(rng.random(n_o) < 0.3, rng.uniform(0, 1, n_o), 0.0),
    )  # fmt: skip
    bidders = Bidders(
        household=household,
        village=rng.integers(0, 3, n_b),
        row=rng.integers(0, 12, n_b).astype(np.int32),
        col=rng.integers(0, 12, n_b).astype(np.int32),
        wage=rng.choice([20.0, 80.0, 150.0], n_b),
        days=rng.choice([0.0, 18.0, 60.0], n_b),
        room=rng.integers(1, 4, n_b),
        risk=rng.choice([0.0, 0.5, 1.5], n_b),
    )
    n_k = int(rng.integers(0, 2 * n_o + 1)) if n_o and n_b else 0
    kin = KinPairs(
        offer=rng.integers(0, max(n_o, 1), n_k),
        bidder=rng.integers(0, max(n_b, 1), n_k),
        closeness=rng.choice([0.0, 0.25, 0.5, 1.0], n_k),
    )
    tech = Technology(1300.0, 450.0, 600.0, 0.7, 4.0, 12.0, 120.0, mu, 0.2)
    return offers, bidders, kin, tech


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n_o=st.integers(0, 50),
    n_b=st.integers(0, 25),
    mu=st.sampled_from([1.5, 0.7]),
)
def test_a_whole_market_clears_the_same_with_and_without_compilation(seed, n_o, n_b, mu):
    """Markets with renewals, loans to kin (ties often equally close), auctions with risk
    premiums and bidders who hold offered plots, clear to the same leases, bit for bit, with
    the kernels as with ``LANDSIM_NO_JIT=1``."""
    offers, bidders, kin, tech = _market(seed, n_o, n_b, mu)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.NO_JIT_VARIABLE, "1")
        want = clear_market(offers, bidders, kin, tech, 3.0, 400.0)
    got = clear_market(offers, bidders, kin, tech, 3.0, 400.0)
    for name in want.__dataclass_fields__:
        assert _same_bits(getattr(got, name), getattr(want, name)), name


def test_the_renewal_and_kin_kernels_are_called(monkeypatch):
    """With compilation on, a small market clears in one kernel call, and a market split over
    threads runs stages 1 and 2 on their kernels (so that the tests here compare the kernels
    with the references, not a reference with itself)."""
    import landsim.clearing as clearing

    calls: list[str] = []
    for name in ("renewals", "kin_loans", "clear_offers"):
        kernel = getattr(clearing, name)
        monkeypatch.setattr(clearing, name, lambda *a, k=kernel, n=name: calls.append(n) or k(*a))
    monkeypatch.delenv(compiled.NO_JIT_VARIABLE, raising=False)
    for seed in range(20):
        clear_market(*_market(seed, 30, 12), 3.0, 400.0)
    assert set(calls) == {"clear_offers"}
    monkeypatch.setattr(compiled, "PARALLEL_MIN", 1)
    for seed in range(20):
        clear_market(*_market(seed, 30, 12), 3.0, 400.0)
    assert {"renewals", "kin_loans"} <= set(calls)


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    n_o=st.integers(1, 50),
    n_b=st.integers(0, 25),
    mu=st.sampled_from([1.5, 0.7]),
)
def test_a_market_cleared_in_one_call_equals_one_cleared_stage_by_stage(seed, n_o, n_b, mu):
    """The one-call kernel (clear_offers, small markets) makes the same leases, bit for bit
    and in the same order, as the compiled stages one by one (large markets)."""
    offers, bidders, kin, tech = _market(seed, n_o, n_b, mu)
    got = clear_market(offers, bidders, kin, tech, 3.0, 400.0)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.THREADS_VARIABLE, "1")
        mp.setattr(compiled, "PARALLEL_MIN", 1)
        want = clear_market(offers, bidders, kin, tech, 3.0, 400.0)
    for name in want.__dataclass_fields__:
        assert _same_bits(getattr(got, name), getattr(want, name)), name


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), n_o=st.integers(0, 50), n_b=st.integers(0, 25))
def test_a_market_on_several_threads_clears_as_on_one(seed, n_o, n_b):
    """The villages' auctions split over threads (compiled.split_groups, in_parallel) give the
    same leases in the same order as one call: the split is forced here, down to one village
    a part, on 1, 2 and 3 threads."""
    offers, bidders, kin, tech = _market(seed, n_o, n_b)
    results = []
    for n in ("1", "2", "3"):
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(compiled.THREADS_VARIABLE, n)
            mp.setattr(compiled, "PARALLEL_MIN", 1)
            results.append(clear_market(offers, bidders, kin, tech, 3.0, 400.0))
    for got in results[1:]:
        for name in results[0].__dataclass_fields__:
            assert _same_bits(getattr(got, name), getattr(results[0], name)), name


@settings(max_examples=200, deadline=None)
@given(
    sizes=st.lists(st.integers(0, 40), min_size=0, max_size=12),
    parts=st.integers(1, 5),
    least=st.sampled_from([1, 50]),
)
def test_split_groups_covers_every_group_once_in_order(sizes, parts, least):
    """Runs of whole groups, in order, none empty, each group in exactly one, at most
    ``parts`` of them; one run below PARALLEL_MIN items."""
    bounds = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(compiled, "PARALLEL_MIN", least)
        runs = compiled.split_groups(bounds, parts)
    n_groups = len(sizes)
    covered = [g for a, b in runs for g in range(a, b)]
    assert covered == list(range(n_groups))
    assert len(runs) <= max(parts, 1)
    assert all(b > a for a, b in runs) or n_groups == 0
    if bounds[-1] < least or parts == 1:
        assert len(runs) == 1


AGES = st.sampled_from([0.0, 15.99, 16.0, 30.5, 59.99, 60.0, 64.0, 68.3, 75.0, 80.0, 90.0])


@st.composite
def market_towns(draw):
    """A random town as the market sees it: plots (kept, leased to households or not, some
    held by the collective), members of every age, resident or away, households alive or not
    with few distinct field days (so that spare days come out at zero), kin ties, offered
    plots with sitting lessees on leases and loans, and leases to sign."""
    from landsim.kin import KinTies
    from landsim.world import HOUSEHOLD_LEASE

    n_p = draw(st.integers(1, 40))
    n_h = draw(st.integers(1, 15))
    n_m = draw(st.integers(0, 40))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    holder = np.where(rng.random(n_p) < 0.15, -1, rng.integers(0, n_h, n_p))
    kept = (rng.random(n_p) < 0.4) & (holder >= 0)
    kind = np.where(rng.random(n_p) < 0.3, HOUSEHOLD_LEASE, rng.integers(0, 5, n_p)).astype(np.int8)
    plots = SimpleNamespace(
        n=n_p, holder=holder, hilly=rng.random(n_p) < 0.4, kind=kind,
        operator=np.where(kind == HOUSEHOLD_LEASE, rng.integers(0, n_h, n_p), -1),
        village=rng.integers(0, 3, n_p).astype(np.int32),
        row=rng.integers(0, 9, n_p).astype(np.int32), col=rng.integers(0, 9, n_p).astype(np.int32),
        quality=rng.choice([0.8, 1.0, 0.1 + 0.2], n_p),
        sitting=np.where(rng.random(n_p) < 0.5, rng.integers(0, n_h, n_p), -1),
        sitting_rent=rng.choice([0.0, 150.0, 300.25], n_p),
        sitting_closeness=np.where(rng.random(n_p) < 0.4, rng.choice([0.25, 0.5, 1.0], n_p), 0.0),
        rent=rng.random(n_p), lease_start=rng.integers(-1, 5, n_p).astype(np.int32),
        lease_end=rng.integers(-1, 5, n_p).astype(np.int32), written=rng.random(n_p) < 0.5,
        closeness=rng.random(n_p),
    )  # fmt: skip
    pop = SimpleNamespace(
        n_households=n_h, m_hh=rng.integers(0, n_h, n_m), m_age=np.array(
            draw(st.lists(AGES, min_size=n_m, max_size=n_m)), dtype=float
        ), m_alive=rng.random(n_m) < 0.9, m_away=rng.random(n_m) < 0.2,
        hh_alive=rng.random(n_h) < 0.9, hh_village=rng.integers(0, 3, n_h).astype(np.int32),
        home_row=rng.integers(0, 9, n_h).astype(np.int32),
        home_col=rng.integers(0, 9, n_h).astype(np.int32),
    )  # fmt: skip
    pop.residents = lambda: pop.m_alive & ~pop.m_away
    plots_kept = np.flatnonzero(kept | (rng.random(n_p) < 0.2))
    use = SimpleNamespace(
        plots=plots_kept,
        choices=SimpleNamespace(keep=kept[plots_kept]),
        days=rng.choice([0.0, 6.0, 24.0, 60.0, 250.0], n_h),
        wage=rng.choice([20.0, 80.0, 150.0], n_h),
    )
    n_t = int(rng.integers(0, 3 * n_h + 1))
    src, dst = rng.integers(0, n_h, n_t), rng.integers(0, n_h, n_t)
    kin = KinTies(src, dst, rng.choice([0.0, 0.3, 0.5, 1.0], n_t))
    villages = SimpleNamespace(lease_return=rng.uniform(0, 500, (3, 2)))
    town = SimpleNamespace(plots=plots, population=pop, kin=kin, villages=villages)
    offered = np.flatnonzero(rng.random(n_p) < 0.6)
    own_value = rng.choice([-np.inf, -5.0, -0.0, 0.0, 120.0], n_p)
    return town, use, offered, own_value, rng


def _no_jit(fn, *args):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.NO_JIT_VARIABLE, "1")
        return fn(*args)


@settings(max_examples=200, deadline=None)
@given(market_towns())
def test_the_markets_bidders_offers_and_signing_equal_their_references(case):
    """On random towns, the compiled bidders (bidder_table), offers and kin pairs (offer_book)
    and the signing and learning (sign_and_learn) equal their NumPy references bit for bit."""
    import copy

    from landsim import market
    from landsim.clearing import Leases
    from landsim.params import Assumptions

    town, use, offered, own_value, rng = case
    a, mu = Assumptions(), 0.7
    want_b = _no_jit(market._bidders, town.plots, town.population, use, a, mu)
    got_b = market._bidders(town.plots, town.population, use, a, mu)
    for name in want_b.__dataclass_fields__:
        assert _same_bits(getattr(got_b, name), getattr(want_b, name)), name
    want_o, want_k = _no_jit(market._offers_and_kin, town, offered, own_value, want_b)
    got_o, got_k = market._offers_and_kin(town, offered, own_value, got_b)
    for w, g in ((want_o, got_o), (want_k, got_k)):
        for name in w.__dataclass_fields__:
            assert _same_bits(getattr(g, name), getattr(w, name)), name
    n = int(rng.integers(0, offered.size + 1))
    o = rng.permutation(offered.size)[:n]
    close = rng.choice([0.0, 0.5, 1.0], n)
    leases = Leases(
        offer=o, plot=offered[o], lessee=rng.integers(0, town.population.n_households, n),
        rent=rng.choice([0.0, 99.5, 310.0], n), kin=close > 0, closeness=close,
        renewed=rng.random(n) < 0.3,
    )  # fmt: skip
    written = rng.random(n) < 0.5
    terms = np.where(written, rng.integers(1, 6, n), 1)
    params = SimpleNamespace(assumptions=a, world=SimpleNamespace(n_villages=3))
    twin = copy.deepcopy(town)
    _no_jit(market._sign, twin, params, offered, leases, written, terms, 4)
    market._sign(town, params, offered, leases, written, terms, 4)
    for name in ("kind", "operator", "rent", "lease_start", "lease_end", "written", "closeness"):
        assert _same_bits(getattr(town.plots, name), getattr(twin.plots, name)), name
    assert _same_bits(town.villages.lease_return, twin.villages.lease_return)


@settings(max_examples=200, deadline=None)
@given(market_towns(), st.integers(0, 5))
def test_releasing_farming_and_ending_leases_equal_their_references(case, year):
    """On random towns, the compiled release of the year's land (release_plots), who farms
    what nobody took (farm_unplaced) and the leases that end (end_leases) write the same plots
    as their NumPy references, bit for bit."""
    import copy

    from landsim import market
    from landsim.world import Plots

    town, use, _, own_value, rng = case
    p = town.plots
    p.released = np.zeros(p.n, dtype=bool)
    p.leased = lambda: p.lease_end >= 0
    p.end_lease = lambda mask: Plots.end_lease(p, mask)
    twin = copy.deepcopy(p)
    twin.leased = lambda: twin.lease_end >= 0
    twin.end_lease = lambda mask: Plots.end_lease(twin, mask)
    names = (
        "kind", "operator", "rent", "lease_start", "lease_end", "written", "closeness",
        "sitting", "sitting_rent", "sitting_closeness", "released",
    )  # fmt: skip

    def same() -> None:
        for name in names:
            assert _same_bits(getattr(p, name), getattr(twin, name)), name

    _no_jit(market.expire_leases, twin, year)
    market.expire_leases(p, year)
    same()
    free = use.plots
    channel = rng.integers(-1, 5, free.size).astype(np.int8)
    value = own_value[free]
    want = _no_jit(market._release, twin, free, channel, value)
    got = market._release(p, free, channel, value)
    for w, g in zip(want, got, strict=True):
        assert _same_bits(g, w)
    same()
    kept = free[use.choices.keep]
    _no_jit(market.who_farms, twin, kept, twin.released, want[1], 0.0)
    market.who_farms(p, kept, p.released, got[1], 0.0)
    same()
