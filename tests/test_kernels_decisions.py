"""The compiled kernels of the land-use decision (:mod:`landsim.land_use_kernels`) equal their
NumPy references bit for bit (house style 13).

The golden runs (tests/test_golden.py) hold the two together over whole runs as well.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from landsim import compiled, land_use
from landsim.land_use import (
    FarmOrder,
    Outlook,
    decide_land_use,
    decide_land_use_reference,
    farmable,
    farmable_reference,
    field_days,
    leased_in_days_reference,
)
from landsim.land_use_kernels import farm_within_days, leased_in_days
from landsim.model import LandModel
from landsim.params import Assumptions
from landsim.world import COOP, HOUSEHOLD_LEASE, IDLE, OWN, plots_of

# few distinct values, so that values tie with each other and with the idle value
MONEY = st.sampled_from([-np.inf, -200.0, -0.0, 0.0, 150.0, 400.0, 400.0, 812.5, 1300.0])
SHARES = st.sampled_from([0.0, 0.25, 0.5, 1.0])
QUALITY = st.sampled_from([0.6, 0.9, 1.0, 1.0, 1.25])
DAYS = st.sampled_from([-5.0, -0.0, 0.0, 6.0, 12.0, 30.0, 45.5, 200.0])
ASSUMPTIONS = st.sampled_from(
    [
        Assumptions(),
        Assumptions(choice_temperature=1e-3, risk_aversion=2.0, farming_attachment=0.0),
        Assumptions(labour_days_flat=9.0, labour_days_hilly=9.0, hilly_yield_factor=1.0),
        Assumptions(labour_days_flat=14.0, labour_days_hilly=6.0, price_index=1.3),
    ]
)


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _same_choices(got: land_use.Choices, want: land_use.Choices) -> bool:
    names = ("keep", "channel", "own_value")
    return all(_same_bits(getattr(got, k), getattr(want, k)) for k in names)


@contextmanager
def _compiled(on: bool) -> Iterator[None]:
    """Kernels on or off inside the block, whatever the test session was started with."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.NO_JIT_VARIABLE, "0" if on else "1")
        yield


@st.composite
def free_plots(draw):
    """Free plots of a few villages: terrain, quality, labour, the holders' values (indexed
    by plot), the villages' outlook (markets that pay nothing or -inf, closed coops, no
    firm), the idle value and the draws."""
    n = draw(st.integers(0, 30))
    n_v = draw(st.integers(1, 3))
    floats = lambda elements: draw(hnp.arrays(np.float64, n, elements=elements))  # noqa: E731
    plots = dict(
        village=draw(hnp.arrays(np.int32, n, elements=st.integers(0, n_v - 1))),
        hilly=draw(hnp.arrays(np.bool_, n)),
        quality=floats(QUALITY),
        can_farm=draw(hnp.arrays(np.bool_, n)),
        wage=floats(st.sampled_from([13.0, 40.0, 95.5, 150.0])),
        risk=floats(st.sampled_from([0.0, 0.5, 1.25, 2.0])),
        trust=floats(SHARES),
    )
    outlook = Outlook(
        lease_return=draw(hnp.arrays(np.float64, (n_v, 2), elements=MONEY)),
        coop_open=draw(hnp.arrays(np.bool_, n_v)),
        coop_base=draw(hnp.arrays(np.float64, n_v, elements=MONEY.filter(np.isfinite))),
        coop_bonus=draw(hnp.arrays(np.float64, n_v, elements=st.sampled_from([0.0, 120.0]))),
        coop_share=draw(hnp.arrays(np.float64, n_v, elements=SHARES)),
        custody_open=draw(st.booleans()),
        custody_price=draw(st.sampled_from([0.0, 700.0, 1000.0])),
    )
    taste = draw(st.one_of(st.just(0.0), st.just(floats(st.sampled_from([-300.0, 0.0, 55.0])))))
    rest = dict(
        outlook=outlook,
        a=draw(ASSUMPTIONS),
        draws=floats(st.floats(0.0, 1.0, exclude_max=True)),
        taste=taste,
        idle=draw(st.sampled_from([0.0, -150.0, 400.0])),
    )
    return {**plots, **rest}


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # rows of -inf only
@settings(max_examples=400, deadline=None)
@given(free_plots())
def test_the_decision_kernels_equal_their_numpy_reference(case):
    """On random free plots (ties between own, channel and idle values, closed channels,
    channels worth nothing or -inf, a near-zero temperature), the compiled decision keeps the
    same plots, values them the same and sends released ones to the same channels, bit for
    bit."""
    want = decide_land_use_reference(**case)
    with _compiled(True):
        got = decide_land_use(**case)
    assert _same_choices(got, want), (got, want)


@st.composite
def towns(draw):
    """A small grid of plots with holders (some collective), running leases and a few years
    of changing holders, and each year's field days of its households."""
    n = draw(st.integers(0, 40))
    n_h = draw(st.integers(1, 8))
    years = draw(st.integers(1, 4))
    holders = [
        draw(hnp.arrays(np.int64, n, elements=st.integers(-1, n_h - 1))) for _ in range(years)
    ]
    leased = [draw(hnp.arrays(np.bool_, n)) for _ in range(years)]
    days = [draw(hnp.arrays(np.float64, n_h, elements=DAYS)) for _ in range(years)]
    layout = dict(
        hilly=draw(hnp.arrays(np.bool_, n)),
        quality=draw(hnp.arrays(np.float64, n, elements=QUALITY)),
    )
    return n, layout, holders, leased, days, draw(ASSUMPTIONS), draw(st.sampled_from([1.0, 1.5]))


@settings(max_examples=300, deadline=None)
@given(towns())
def test_the_farmable_kernel_equals_its_numpy_reference(case):
    """Year after year of changing holders and leases (the reference's farm order merged from
    the last year's), the compiled kernel finds the same free plots and the same plots within
    each household's field days, bit for bit."""
    n, layout, holders, leased, days, a, mu = case
    at = np.arange(n)
    p = plots_of(n, 1, np.zeros(n), layout["hilly"], layout["quality"], holders[0], at * 0, at)
    reference_order, kernel_order = FarmOrder(), FarmOrder()
    for holder, lease, d in zip(holders, leased, days, strict=True):
        p.holder[:] = holder
        p.lease_end[:] = np.where(lease, 3, -1)
        want = farmable_reference(p, a, mu, d, reference_order)
        with _compiled(True):
            got = farmable(p, a, mu, d, kernel_order)
        assert all(_same_bits(g, w) for g, w in zip(got, want, strict=True)), (got, want)


@settings(max_examples=200, deadline=None)
@given(
    kind=hnp.arrays(np.int8, 25, elements=st.sampled_from([IDLE, OWN, HOUSEHOLD_LEASE, COOP])),
    operator=hnp.arrays(np.int64, 25, elements=st.integers(0, 5)),
    hilly=hnp.arrays(np.bool_, 25),
    mu=st.sampled_from([1.0, 1.5, 0.7]),
)
def test_the_leased_in_days_kernel_equals_its_numpy_reference(kind, operator, hilly, mu):
    """The field days each household's leased-in land takes are summed to the same bits, and
    leave the same field days (NumPy counts no leased-in land as integer zeros)."""
    at = np.arange(25)
    p = plots_of(25, 1, np.zeros(25), hilly, np.ones(25), at % 6, at * 0, at)
    p.kind[:], p.operator[:] = kind, operator
    a = Assumptions(lease_labour_days_flat=7.5, lease_labour_days_hilly=13.0)
    want = leased_in_days_reference(p, a, mu, 6)
    got = leased_in_days(p.kind, p.operator, p.hilly, HOUSEHOLD_LEASE, 7.5 * mu, 13.0 * mu, 6)
    assert _same_bits(got, want.astype(np.float64))
    days = np.array([-0.0, 0.0, 12.0, 30.5, 60.0, 7.0])
    assert _same_bits(days - got, days - want)


@pytest.fixture(scope="module")
def town_model():
    """The default town after a few years (leases running, holders changed)."""
    m = LandModel(rng=5)
    for _ in range(4):
        m.step()
    return m


def test_a_towns_decision_is_the_same_with_and_without_compilation(town_model):
    """The town's whole yearly decision (field days, farmable plots, choices) is the same
    with the kernels as with ``LANDSIM_NO_JIT=1``, bit for bit, from the same draws."""
    m = town_model
    with _compiled(False):
        want = land_use.decide(m.town, m.params, FarmOrder(), np.random.default_rng(9))
    with _compiled(True):
        got = land_use.decide(m.town, m.params, FarmOrder(), np.random.default_rng(9))
    for name in ("plots", "days", "wage"):
        assert _same_bits(getattr(got, name), getattr(want, name)), name
    assert _same_choices(got.choices, want.choices)


def test_decide_runs_the_kernels_when_compilation_is_on(town_model, monkeypatch):
    """With compilation on the decision runs on the kernels (not the NumPy references), and
    each takes the whole town in one call."""
    calls = []

    def spy(name):
        kernel = getattr(land_use, name)
        return lambda *args: calls.append(name) or kernel(*args)

    def refuse(*args, **kwargs):
        pytest.fail("a NumPy reference ran")

    for name in ("farm_within_days", "plot_choices", "pick_channels", "leased_in_days"):
        monkeypatch.setattr(land_use, name, spy(name))
    for name in ("farmable_reference", "decide_land_use_reference", "leased_in_days_reference"):
        monkeypatch.setattr(land_use, name, refuse)
    m = town_model
    with _compiled(True):
        land_use.decide(m.town, m.params, FarmOrder(), np.random.default_rng(0))
    assert sorted(calls) == ["farm_within_days", "leased_in_days", "pick_channels", "plot_choices"]


def test_field_days_are_the_same_with_and_without_compilation(town_model):
    """Field days left for own plots, after leased-in land, are the same bits either way."""
    m = town_model
    args = (m.plots, m.population, m.params.assumptions, m.params.world.plot_size_mu)
    with _compiled(False):
        want = field_days(*args, m.villages.job_chance)
    with _compiled(True):
        got = field_days(*args, m.villages.job_chance)
    assert all(_same_bits(g, w) for g, w in zip(got, want, strict=True))
    assert (m.plots.kind == HOUSEHOLD_LEASE).any()  # the town has leased-in land to count


def test_the_kernels_refuse_households_out_of_range():
    """A free plot's holder without field days, or a lessee beyond the households, raises
    IndexError instead of writing outside the kernels' arrays."""
    at, flat = np.arange(3), np.zeros(3, dtype=bool)
    holder, no_lease = np.array([0, 5, 1]), np.full(3, -1, dtype=np.int32)
    with pytest.raises(IndexError, match="holder without field days"):
        farm_within_days(at, holder, no_lease, flat, 1.0, 2.0, np.ones(2))
    leased = np.full(3, HOUSEHOLD_LEASE, dtype=np.int8)
    with pytest.raises(IndexError, match="lessee out of range"):
        leased_in_days(leased, holder, flat, HOUSEHOLD_LEASE, 1.0, 2.0, 2)
