"""The demography and kin kernels (:mod:`landsim.demography_kernels`) equal their NumPy
references bit for bit on random states (house style 13), and a year's demography is the same
with and without compilation."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from landsim import compiled, demography
from landsim.kin import KinTies, kin_pairs, kin_pairs_reference
from landsim.model import LandModel
from landsim.population import Population
from landsim.world import COLLECTIVE, KIND_NAMES, OWN
from tests.helpers import run_years, tiny_model

AGES = np.array([0.0, 1.0, 15.0, 16.0, 17.5, 18.0, 30.0, 45.0, 55.0, 60.0, 64.5, 75.0, 90.0])


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


@functools.cache
def _model() -> LandModel:
    """A tiny town two years on (built once; each test works on copies of its state)."""
    return run_years(tiny_model(3), 2)


def _shuffled_state(seed: int) -> tuple:
    """Copies of the tiny town's plots and population with random kinds, holders, operators,
    rents, ages, deaths and migrants (ties of capacity and margins likely)."""
    m = _model()
    rng = np.random.default_rng(seed)
    plots, pop = copy.deepcopy(m.town.plots), copy.deepcopy(m.town.population)
    n_p, n_h, n_m = plots.holder.size, pop.n_households, pop.m_hh.size
    plots.kind[:] = rng.integers(0, len(KIND_NAMES), n_p)
    plots.hilly[:] = rng.random(n_p) < 0.4
    plots.holder[:] = np.where(
        (plots.kind == OWN) | (rng.random(n_p) < 0.8), rng.integers(0, n_h, n_p), -1
    )
    plots.operator[:] = rng.integers(0, n_h, n_p)
    plots.rent[:] = rng.choice([0.0, 150.0, 333.3, 800.0], n_p)
    pop.m_hh[:] = rng.integers(0, n_h, n_m)
    pop.m_age[:] = rng.choice(AGES, n_m)
    pop.m_alive[:] = rng.random(n_m) < 0.85
    pop.m_away[:] = rng.random(n_m) < 0.3
    chance = rng.choice([0.0, 0.25, 0.6, 1.0], m.town.villages.job_chance.size)
    return plots, pop, chance, m.params


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), mu=st.sampled_from([0.5, 1.0, 2.5]))
def test_home_earnings_kernel_equals_its_numpy_reference(seed, mu):
    """On random towns (every kind of plot, households with no resident worker, migrants,
    the dead), what each member earns at home is the same bit for bit with the kernels."""
    plots, pop, chance, params = _shuffled_state(seed)
    a = params.assumptions
    want = demography.home_earnings_reference(plots, pop, a, chance, mu)
    got = demography.home_earnings(plots, pop, a, chance, mu)
    assert _same_bits(got, want)


@settings(max_examples=100, deadline=None)
@given(seed=st.integers(0, 100_000), n_m=st.integers(0, 60), n_h=st.integers(1, 20))
def test_oldest_member_kernel_equals_its_numpy_reference(seed, n_m, n_h):
    """The oldest living member and the oldest resident of each household (0 for none) are
    the same with the kernel as with ``np.maximum.at``."""
    rng = np.random.default_rng(seed)
    pop = copy.deepcopy(_model().town.population)
    pop.hh_village = np.zeros(n_h, np.int32)
    pop.m_hh = rng.integers(0, n_h, n_m)
    pop.m_age = rng.choice(AGES, n_m)
    pop.m_alive = rng.random(n_m) < 0.7
    pop.m_away = rng.random(n_m) < 0.3
    assert _same_bits(pop.head_age(), pop.oldest_reference(pop.m_alive))
    assert _same_bits(pop.resident_head_age(), pop.oldest_reference(pop.residents()))


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    gap=st.sampled_from([None, -500.0, 0.0, 9000.0]),
    return_age=st.sampled_from([31.0, 45.0, 50.0]),
)
def test_aging_kernels_equal_their_numpy_reference(seed, gap, return_age):
    """On random populations (the old, the dead, migrants, households about to die out), a
    year's aging, deaths, moves and births are the same with the kernels, drawn in the same
    order from the generator."""
    _, pop, _, params = _shuffled_state(seed)
    pop.m_age[:] += np.random.default_rng(seed).choice([0.0, 30.0], pop.m_age.size)
    a = params.assumptions
    update = {"mortality_multiplier": 20.0, "birth_rate": 0.5, "return_age": return_age}
    a = a.model_copy(update=update)
    gaps = None if gap is None else np.linspace(-gap, gap, pop.m_age.size)
    want_pop, got_pop = copy.deepcopy(pop), copy.deepcopy(pop)
    want_rng, got_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    want = demography.age_one_year_reference(want_pop, a, want_rng, gaps)
    got = demography.age_one_year(got_pop, a, got_rng, gaps)
    assert _same_bits(got, want)
    assert got_rng.random() == want_rng.random()
    for name in Population.__dataclass_fields__:
        assert _same_bits(getattr(got_pop, name), getattr(want_pop, name)), name


@settings(max_examples=80, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    k=st.integers(0, 12),
    share=st.sampled_from([0.0, 0.2, 0.4, 0.75, 1.0]),
)
def test_endow_kernels_equal_their_numpy_reference(seed, k, share):
    """New households (a parent twice, parents without plots, villages whose collective has
    no spare land left) take the same plots with the kernels, drawn in the same order from
    the generator."""
    plots, pop, _, params = _shuffled_state(seed)
    rng = np.random.default_rng(seed)
    n_h, n_v = pop.n_households, params.world.n_villages
    plots.holder[rng.random(plots.holder.size) < 0.1] = -1  # the collective's
    plots.lease_end[:] = np.where(rng.random(plots.holder.size) < 0.3, 5, -1)
    parents = rng.integers(0, n_h // 2, k)
    formed = list(zip(parents.tolist(), rng.permutation(n_h)[:k].tolist(), strict=True))
    want_plots, got_plots = copy.deepcopy(plots), copy.deepcopy(plots)
    want_rng, got_rng = np.random.default_rng(seed), np.random.default_rng(seed)
    demography.endow_reference(want_plots, pop, formed, share, n_v, want_rng)
    demography.endow(got_plots, pop, formed, share, n_v, got_rng)
    assert _same_bits(got_plots.holder, want_plots.holder)
    assert got_rng.random() == want_rng.random()


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 100_000), k=st.integers(0, 15))
def test_heirs_kernel_equals_its_numpy_reference(seed, k):
    """The land of households that died out (leased out or not, leased to a household that
    died too or to the heir itself, heirs or none) passes on the same with the kernel."""
    plots, pop, _, _ = _shuffled_state(seed)
    rng = np.random.default_rng(seed)
    n_h = pop.n_households
    plots.lease_end[:] = np.where(rng.random(plots.holder.size) < 0.4, 5, -1)
    plots.operator[rng.random(plots.holder.size) < 0.1] = -1
    died = np.unique(rng.integers(0, n_h, k))
    pop.hh_alive[:] = rng.random(n_h) < 0.7
    pop.hh_alive[died] = False
    ties = _random_ties(rng, n_h, 3 * n_h)
    want, got = copy.deepcopy(plots), copy.deepcopy(plots)
    demography.pass_on_land_reference(want, pop, ties, died)
    demography.pass_on_land(got, pop, ties, died)
    for name in want.__dataclass_fields__:
        g, w = getattr(got, name), getattr(want, name)
        assert _same_bits(g, w) if isinstance(w, np.ndarray) else g == w, name


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 100_000), rate=st.sampled_from([0.0, 0.3, 1.0]))
def test_new_households_are_the_same_with_and_without_compilation(seed, rate):
    """The members who found households (several per household, heads, migrants, the dead,
    more founders than free slots) and the households they found are the same with the
    kernels as with ``LANDSIM_NO_JIT=1``, drawn in the same order from the generator."""
    _, pop, _, params = _shuffled_state(seed)
    pop.m_age[:] = np.random.default_rng(seed).choice(
        [24.0, 25.0, 30.0, 40.0, 41.0, 70.0], pop.m_age.size
    )
    a = params.assumptions.model_copy(update={"household_formation_rate": rate})
    results = []
    for off in ("1", "0"):
        p, rng = copy.deepcopy(pop), np.random.default_rng(seed)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(compiled.NO_JIT_VARIABLE, off)
            results.append((demography.form_households(p, a, rng), p, rng.random()))
    (want, want_pop, want_next), (got, got_pop, got_next) = results
    assert got == want and got_next == want_next
    for name in Population.__dataclass_fields__:
        assert _same_bits(getattr(got_pop, name), getattr(want_pop, name)), name


def _random_ties(rng: np.random.Generator, n: int, m: int) -> KinTies:
    a = rng.integers(0, n, m)
    b = (a + 1 + rng.integers(0, n - 1, m)) % n
    ties = KinTies(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0))
    ties.add(a, b, rng.choice([0.0, 0.25, 0.5, 1.0], m))
    return ties


@settings(max_examples=150, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    m=st.integers(0, 40),
    n_o=st.integers(0, 25),
    n_b=st.integers(0, 12),
)
def test_kin_pairs_kernel_equals_its_numpy_reference(seed, m, n_o, n_b):
    """The market's kin pairs (offers of the collective, holders with several offers, ties to
    households that do not bid, a household listed twice as bidder) are the same pairs in the
    same order with the kernel."""
    n = 15
    rng = np.random.default_rng(seed)
    ties = _random_ties(rng, n, m)
    holder = rng.integers(-1, n, n_o)
    bidders = rng.integers(0, n, n_b)
    want = kin_pairs_reference(ties, holder, bidders, n)
    got = kin_pairs(ties, holder, bidders, n)
    for name in ("offer", "bidder", "closeness"):
        assert _same_bits(getattr(got, name), getattr(want, name)), name


@settings(max_examples=150, deadline=None)
@given(seed=st.integers(0, 100_000), m=st.integers(0, 40), k=st.integers(0, 8))
def test_parent_ties_kernel_equals_its_numpy_reference(seed, m, k):
    """The ties parents hand on to their new households (a parent twice, a parent tied to its
    child, parents without ties) are the same, in the same order, with the kernel."""
    n = 12
    rng = np.random.default_rng(seed)
    ties = _random_ties(rng, n, m)
    par = rng.integers(0, n, k)
    chi = rng.integers(0, n + 3, k)
    want = ties._parent_ties_reference(par, chi, 0.5)
    got = ties._parent_ties(par, chi, 0.5)
    assert all(_same_bits(g, w) for g, w in zip(got, want, strict=True))


def _state(m: LandModel) -> list[np.ndarray]:
    t = m.town
    arrays = [getattr(t.plots, f) for f in t.plots.__dataclass_fields__]
    arrays += [getattr(t.population, f) for f in t.population.__dataclass_fields__]
    return [x for x in arrays if isinstance(x, np.ndarray)] + [
        t.kin.src,
        t.kin.dst,
        t.kin.closeness,
    ]


@settings(max_examples=8, deadline=None)
@given(seed=st.integers(0, 1_000))
def test_a_year_of_demography_is_the_same_with_and_without_compilation(seed):
    """Five years of demography from a stepped tiny town (deaths, heirs, new households and
    their land) leave the same plots, population and ties with the kernels as with
    ``LANDSIM_NO_JIT=1``, and the generator in the same state."""
    models = [copy.deepcopy(_model()) for _ in range(2)]
    for m, off in zip(models, ("0", "1"), strict=True):
        rng = np.random.default_rng(seed)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(compiled.NO_JIT_VARIABLE, off)
            for _ in range(5):
                demography.run_year(m.town, m.params, rng)
        m.after = rng.random()  # type: ignore[attr-defined]
    got, want = models
    assert got.after == want.after  # type: ignore[attr-defined]
    assert all(_same_bits(g, w) for g, w in zip(_state(got), _state(want), strict=True))


def test_oldest_reference_is_the_population_rule():
    """``Population.oldest_reference`` is what the population's head ages mean."""
    pop = Population.__new__(Population)
    pop.m_hh, pop.m_age = np.array([0, 0, 2]), np.array([30.0, 61.0, 5.0])
    pop.m_alive, pop.m_away = np.array([True, True, True]), np.array([False, True, False])
    pop.hh_village = np.zeros(3, np.int32)
    assert pop.oldest_reference(pop.m_alive).tolist() == [61.0, 0.0, 5.0]
    assert pop.resident_head_age().tolist() == [30.0, 0.0, 5.0]


@settings(max_examples=100, deadline=None)
@given(
    seed=st.integers(0, 100_000),
    share=st.sampled_from([0.0, 0.05, 0.1, 0.5, 1.0]),
    collective=st.sampled_from([0.0, 0.05, 0.2, 0.9]),
)
def test_recontracting_is_the_same_with_and_without_compilation(seed, share, collective):
    """On random towns with more or less of the collective's land (at, above and below each
    village's reserve), re-contracting leaves the same plots with the kernel that finds
    whether there is land to give out as with ``LANDSIM_NO_JIT=1``, drawing the same."""
    plots, pop, _, params = _shuffled_state(seed)
    rng = np.random.default_rng(seed)
    plots.holder[rng.random(plots.holder.size) < collective] = COLLECTIVE
    n_v = params.world.n_villages
    results = []
    for off in ("1", "0"):
        p, g = copy.deepcopy(plots), np.random.default_rng(seed)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(compiled.NO_JIT_VARIABLE, off)
            demography.recontract(p, pop, share, n_v, g)
        results.append((p, g.random()))
    (want, want_next), (got, got_next) = results
    assert got_next == want_next
    for name in ("holder", "kind", "operator", "rent", "lease_end"):
        assert _same_bits(getattr(got, name), getattr(want, name)), name


@pytest.mark.parametrize("aging", ["age_one_year", "age_one_year_reference"])
def test_migrants_come_home_from_the_return_age(aging):
    """A migrant aged 44 (45 after the year's aging) may come home when ``return_age`` is 40,
    not when it is 50; ``return_rate`` 1 makes the chance 1 at the reference gap."""
    _, pop, _, params = _shuffled_state(7)
    pop.m_alive[:] = True
    pop.m_age[:] = 44.0
    pop.m_away[:] = True
    update = {"mortality_multiplier": 0.0, "return_rate": 1.0, "migration_rate": 0.0}
    home = {}
    for return_age in (40.0, 50.0):
        a = params.assumptions.model_copy(update={**update, "return_age": return_age})
        p = copy.deepcopy(pop)
        getattr(demography, aging)(p, a, np.random.default_rng(1))
        home[return_age] = int((~p.m_away[: pop.m_age.size]).sum())
    assert home == {40.0: pop.m_age.size, 50.0: 0}
