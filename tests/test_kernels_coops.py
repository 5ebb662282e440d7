"""The co-op kernels (:mod:`landsim.coop_kernels`) equal their NumPy references bit for bit on
random states (house style 13): a season's books, the margins of pooling, the books' choice of
plots, the offers of a year, members' trust."""

from __future__ import annotations

import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from landsim.books import season_reference
from landsim.coop_kernels import (
    accept_offers,
    book_selection,
    expected_margins,
    member_trust,
    pairwise_sum,
    pool_inputs,
    season,
)
from landsim.coop_reference import pool_inputs_reference
from landsim.cooperatives import book_selection as reference_book_selection
from landsim.cooperatives import margin_terms, plot_margin, risk_margin
from landsim.params import Assumptions, Levers
from landsim.trust import CoopSignals, update_trust, update_trust_reference
from landsim.world import COOP

FLOATS = st.floats(-1e9, 1e9, allow_nan=False, allow_subnormal=False)


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@settings(max_examples=200, deadline=None)
@given(
    x=hnp.arrays(np.float64, st.integers(0, 1200), elements=FLOATS),
    zeros=st.sampled_from(["none", "some", "all"]),
)
def test_pairwise_sum_is_numpys_sum(x, zeros):
    """Any length (short runs, blocks of 8, halves split more than once), any signs, zeros of
    either sign (all negative zeros sum to 0): the kernel's sum is ``x.sum()`` to the bit."""
    if zeros != "none":
        x = np.where((np.arange(x.size) % 3 == 0) | (zeros == "all"), -0.0, x)
    assert _same_bits(pairwise_sum(x), x.sum())


@st.composite
def _seasons(draw):
    """A co-op's pool: holders among a few households (repeated, unsorted) and the
    collective, hilly or flat plots of any quality, and any prices, shocks and costs."""
    n = draw(st.integers(0, 400))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n_hh = draw(st.integers(1, 60))
    holders = np.where(rng.random(n) < draw(st.floats(0, 1)), rng.integers(0, n_hh, n), -1)
    hilly = rng.random(n) < draw(st.floats(0, 1))
    quality = rng.uniform(0.6, 1.4, n)
    numbers = (
        draw(st.sampled_from([0.65, 0.8, 1.0])),  # hilly yield factor
        draw(st.sampled_from([1.0, 1.3, 1.45])),  # hilly cost factor
        draw(st.floats(0, 5000)),  # price
        draw(st.floats(0.3, 1.7)),  # shock
        draw(st.sampled_from([0.5, 1.0, 1.3, 2.5])),  # mu
        draw(st.floats(-500, 2000)),  # cost per mu
    )
    return holders.astype(np.int64), hilly, quality, numbers


@settings(max_examples=150, deadline=None)
@given(case=_seasons())
def test_season_kernel_equals_its_numpy_reference(case):
    """Harvest, grades, sums, members, their land shares and sales, and the collective's:
    every array the kernel returns is the reference's to the bit."""
    holders, hilly, quality, numbers = case
    want = season_reference(holders, hilly, quality, *numbers)
    got = season(holders, hilly, quality, *numbers)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert _same_bits(g, w)


@st.composite
def _margin_case(draw):
    """Offered plots, the co-op's numbers (area, standardization, guarantee, subsidy, firm's
    price or none) and assumptions and levers drawn over their ranges."""
    n = draw(st.integers(0, 300))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    hilly = rng.random(n) < draw(st.floats(0, 1))
    quality = rng.uniform(0.6, 1.4, n)
    a = Assumptions(
        hilly_yield_factor=draw(st.sampled_from([0.65, 0.8, 1.0])),
        hilly_cost_factor=draw(st.sampled_from([1.0, 1.3, 1.45])),
        coop_price_premium=draw(st.floats(0, 0.3)),
        scale_cost_cut=draw(st.floats(0, 0.3)),
        pro_cost_cut=draw(st.floats(0, 0.3)),
        coop_overhead_per_mu=draw(st.floats(0, 200)),
        coop_risk_margin=draw(st.floats(0, 2)),
    )
    lv = Levers(
        professional_management=draw(st.booleans()),
        third_party_governance=draw(st.booleans()),
        coop_social_mission=draw(st.sampled_from([0.0, 50.0, 300.0])),
        coop_mission_share=draw(st.sampled_from([0.0, 0.3, 1.0])),
    )
    numbers = (
        draw(st.floats(0, 3000)),  # area
        draw(st.floats(1, 5000)),  # village land
        draw(st.floats(0, 1)),  # standardization
        draw(st.sampled_from([0.0, 600.0, 780.5])),  # guarantee
        draw(st.sampled_from([0.0, 37.5, 120.0])),  # subsidy
    )
    firm_price = draw(st.sampled_from([None, 700.0, 1100.0]))
    uncovered = draw(st.sampled_from([0.0, 0.37, 1.0]))
    return hilly, quality, numbers, a, lv, firm_price, uncovered


def _reference_margins(hilly, quality, numbers, a, lv, firm_price, uncovered):
    margin = plot_margin(hilly, quality, *numbers, a, lv, firm_price)
    return margin - uncovered * risk_margin(hilly, quality, a)


def _terms(numbers, a, lv, firm_price, uncovered):
    return margin_terms(*numbers, a, lv, firm_price, uncovered=uncovered)


@settings(max_examples=100, deadline=None)
@given(case=_margin_case())
def test_expected_margins_kernel_equals_plot_and_risk_margins(case):
    """The kernel's margins are ``plot_margin - uncovered x risk_margin`` to the bit, for any
    assumptions, levers, firm or none (:func:`margin_terms` carries the numbers)."""
    hilly, quality, numbers, a, lv, firm_price, uncovered = case
    want = _reference_margins(hilly, quality, numbers, a, lv, firm_price, uncovered)
    got = expected_margins(hilly, quality, _terms(numbers, a, lv, firm_price, uncovered))
    assert _same_bits(got, want)


@settings(max_examples=200, deadline=None)
@given(
    net=hnp.arrays(
        np.float64,
        st.integers(0, 200),
        elements=st.sampled_from([-400.0, -120.0, -30.5, -1.0, -0.0, 0.0, 2.5, 80.0, 300.0])
        | st.floats(-500, 500),
    ),
    room=st.integers(-2, 250),
    surplus=st.sampled_from([-1000.0, 0.0, 35.0, 5000.0]),
    mission=st.sampled_from([0.0, 50.0, 300.0]),
    share=st.sampled_from([0.0, 0.3, 1.0]),
)
def test_book_selection_kernel_equals_its_numpy_reference(net, room, surplus, mission, share):
    """Ties (best first, the first of equals first), zeros of either sign, losses within and
    beyond the mission and its budget, no room: the same plots in the same order."""
    lv = Levers(coop_social_mission=mission, coop_mission_share=share)
    want = reference_book_selection(net, room, surplus, lv)
    assert _same_bits(book_selection(net, room, surplus, mission, share), want)


@settings(max_examples=100, deadline=None)
@given(case=_margin_case(), split=st.floats(0, 1), room=st.integers(0, 200))
def test_accept_offers_kernel_equals_its_numpy_reference(case, split, room):
    """Offered and pooled plots out of one draw (contiguity any share of 4 neighbours): the
    plots taken are those :func:`landsim.cooperatives.accept` takes with NumPy."""
    hilly, quality, numbers, a, lv, firm_price, uncovered = case
    cut = int(split * hilly.size)
    contiguity = np.resize(np.array([0.0, 0.25, 0.5, 0.75, 1.0]), cut)
    mu = 1.3
    ref = functools.partial(_reference_margins, numbers=numbers, a=a, lv=lv, firm_price=firm_price)
    net = ref(hilly[:cut], quality[:cut], uncovered=uncovered)
    net = net - a.fragmentation_cost * (1.0 - contiguity)
    running = float(ref(hilly[cut:], quality[cut:], uncovered=uncovered).sum()) * mu
    want = reference_book_selection(net, room, running, lv)
    extra = np.array([a.fragmentation_cost, mu, lv.coop_social_mission, lv.coop_mission_share])
    terms = _terms(numbers, a, lv, firm_price, uncovered)
    got = accept_offers(
        hilly[:cut], quality[:cut], contiguity, hilly[cut:], quality[cut:], terms, extra, room
    )
    assert _same_bits(got, want)


@st.composite
def _trust_case(draw):
    """Households of a few villages (alive or not, members or not) with any trust and pay;
    villages with or without a co-op, open or not, in debt, audited clean or with a leak."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    n, n_v = draw(st.integers(0, 300)), draw(st.integers(1, 8))
    village = rng.integers(0, n_v, n)
    alive, members = rng.random(n) < 0.9, rng.random(n) < draw(st.floats(0, 1))
    trust = rng.choice([0.0, 0.5, 1.0, 0.3333], n) if draw(st.booleans()) else rng.random(n)
    coop_pay = rng.normal(700.0, 400.0, n)
    on = rng.random(n_v) < 0.7
    audited = rng.random(n_v) < 0.5
    found = np.where(audited & (rng.random(n_v) < 0.5), rng.uniform(0, 0.4, n_v), 0.0)
    sig = CoopSignals(
        active=on,
        transparency=np.where(on, rng.random(n_v), 0.0),
        seen_leak=np.where(on, rng.uniform(0, 0.5, n_v), 0.0),
        in_debt=on & (rng.random(n_v) < 0.3),
        clean_audit=on & audited & (found == 0.0),
        found_leak=np.where(on, found, 0.0),
        outside=rng.uniform(300, 900, n_v),
    )
    a = Assumptions(
        trust_learning=draw(st.sampled_from([0.0, 0.3, 1.0])),
        trust_word_of_mouth=draw(st.sampled_from([0.0, 0.5, 1.0])),
        trust_debt_penalty=draw(st.sampled_from([0.0, 0.2, 0.6])),
        trust_pay_weight=draw(st.sampled_from([0.0, 0.3, 0.8])),
    )
    return trust, village, alive, members, coop_pay, sig, a


@settings(max_examples=150, deadline=None)
@given(case=_trust_case())
def test_trust_kernel_equals_its_numpy_reference(case):
    """Members learn, others hear, published leaks hit, all clipped to 0-1: the compiled trust
    is the NumPy reference's to the bit (signals that push past 0 or 1 included)."""
    want = update_trust_reference(*case)
    assert _same_bits(update_trust(*case), want)


@st.composite
def _offers(draw):
    """A grid filled by plots or not (cells of roads and water), plots of a few villages,
    pooled by their village's co-op or not, offered to it or the collective's free land, and
    co-ops that operate or not."""
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    height, width, n_v = draw(st.integers(1, 12)), draw(st.integers(1, 12)), draw(st.integers(1, 5))
    n_cells = height * width
    cell = np.arange(n_cells) if draw(st.booleans()) else np.flatnonzero(rng.random(n_cells) < 0.7)
    n = cell.size
    village = rng.integers(0, n_v, n)
    kind = np.where(rng.random(n) < draw(st.floats(0, 1)), COOP, rng.integers(0, COOP, n))
    operator = np.where(kind == COOP, village, rng.integers(-1, 50, n))
    channel = rng.choice([-1, 0, COOP, COOP + 1], n)
    free_coll = rng.random(n) < 0.2
    coop_open = rng.random(n_v) < 0.7
    shape = np.array([height, width, n_v])
    return kind, operator, village, channel, free_coll, coop_open, cell.astype(np.int64), shape


@settings(max_examples=150, deadline=None)
@given(case=_offers())
def test_pool_inputs_kernel_equals_its_numpy_reference(case):
    """The offers by village, their contiguity on the grid (edges, cells that are not plots,
    pooled and offered neighbours), the pooled plots by co-op: the reference's to the bit."""
    want = pool_inputs_reference(*case, COOP)
    got = pool_inputs(*case, COOP)
    for g, w in zip(got, want, strict=True):
        assert _same_bits(g, w)


def test_kernels_refuse_villages_out_of_range():
    """A village, co-op or cell out of range raises ``IndexError`` (unchecked, a kernel would
    write outside its arrays)."""
    one = np.zeros(1, np.int64)
    shape = np.array([1, 1, 1])
    args = (np.array([COOP]), np.array([3]), one, one - 1, np.zeros(1, bool), np.ones(1, bool))
    with pytest.raises(IndexError):
        pool_inputs(*args, one, shape, COOP)
    with pytest.raises(IndexError):
        pool_inputs(np.array([0]), *args[1:], one + 1, shape, COOP)
    sig = np.zeros((6, 1))
    yes = np.ones(1, bool)
    with pytest.raises(IndexError):
        member_trust(np.zeros(1), one + 2, yes, yes, np.zeros(1), sig, np.zeros(7))
