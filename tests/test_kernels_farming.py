"""The compiled kernels of farming and of the ledger's posts equal their NumPy references bit
for bit (house style 13): :mod:`landsim.farming_kernels` (the year's harvest, rents, labour
days, the day-labour market's offers) and :mod:`landsim.ledger_kernels` (the entries and
balances of a post: remittances, pensions and the farmland subsidy are posted both ways).

Each test runs the same public function twice, with compilation on and with
``LANDSIM_NO_JIT=1`` (the NumPy reference), on random states drawn from few distinct values, so
that ties, zeros and kinds without plots come up often. The golden runs
(``tests/test_golden.py``) hold the two together over whole runs.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from landsim import compiled, farming, labour
from landsim.ledger import FLOW_KINDS, Accounts, Ledger, LedgerError
from landsim.params import Assumptions
from landsim.population import Population
from landsim.world import KIND_NAMES

AGES = st.sampled_from([0.0, 12.0, 15.99, 16.0, 30.5, 55.0, 59.99, 60.0, 64.0, 68.3, 75.0, 90.0])
AMOUNTS = st.sampled_from(
    [-20.0, -0.0, 0.0, 0.004, 0.005, 0.015, 0.025, 1.0, 123.456, 800.0, 1e6, np.nan, np.inf]
)


class _Pop:
    """The members of a population, as :class:`landsim.population.Population` holds them."""

    residents = Population.residents
    per_household = Population.per_household

    def __init__(self, n_households, m_hh, m_age, m_alive, m_away):
        self.n_households = n_households
        self.m_hh, self.m_age, self.m_alive, self.m_away = m_hh, m_age, m_alive, m_away


def _same_bits(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _both(fn, *args):
    """``fn(*args)`` on the NumPy references, then compiled."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.NO_JIT_VARIABLE, "1")
        want = fn(*args)
    return want, fn(*args)


@st.composite
def farm_states(draw):
    """Plots of every kind (own plots and leases with a household on them, collective land
    among leased plots), members of every age, and assumptions that move every number the
    kernels use."""
    n_h = draw(st.integers(1, 8))
    n_p = draw(st.integers(0, 30))
    n_m = draw(st.integers(0, 25))
    kind = draw(hnp.arrays(np.int8, n_p, elements=st.integers(0, len(KIND_NAMES) - 1)))
    holder = draw(hnp.arrays(np.int64, n_p, elements=st.integers(-1, n_h - 1)))
    holder[(kind == 1) & (holder < 0)] = 0  # a plot farmed by its holder has one
    plots = SimpleNamespace(
        kind=kind,
        hilly=draw(hnp.arrays(np.bool_, n_p)),
        quality=draw(hnp.arrays(np.float64, n_p, elements=st.sampled_from([0.6, 0.93, 1.0, 1.4]))),
        holder=holder,
        operator=draw(hnp.arrays(np.int64, n_p, elements=st.integers(0, n_h - 1))),
        village=draw(hnp.arrays(np.int32, n_p, elements=st.integers(0, 3))),
        rent=draw(hnp.arrays(np.float64, n_p, elements=st.sampled_from([0.0, 350.5, 800.0]))),
    )
    pop = _Pop(
        n_h,
        draw(hnp.arrays(np.int64, n_m, elements=st.integers(0, n_h - 1))),
        draw(hnp.arrays(np.float64, n_m, elements=AGES)),
        draw(hnp.arrays(np.bool_, n_m)),
        draw(hnp.arrays(np.bool_, n_m)),
    )
    a = Assumptions().model_copy(
        update={
            "aging_speed": draw(st.sampled_from([0.7, 1.0, 1.3])),
            "farm_days_per_worker": draw(st.sampled_from([0.0, 30.0, 45.5])),
            "labour_days_flat": draw(st.sampled_from([0.0, 6.0, 8.25])),
            "labour_days_hilly": draw(st.sampled_from([9.0, 14.5])),
            "lease_labour_days_flat": draw(st.sampled_from([0.0, 5.0, 7.75])),
            "lease_labour_days_hilly": draw(st.sampled_from([11.0, 13.3])),
            "hilly_yield_factor": draw(st.sampled_from([0.7, 0.85])),
            "hilly_cost_factor": draw(st.sampled_from([1.0, 1.3])),
            "scale_cost_cut": draw(st.sampled_from([0.0, 0.15])),
            "price_index": draw(st.sampled_from([0.8, 1.0, 1.1])),
        }
    )
    shock = draw(st.sampled_from([1.0, 0.87, 1.13]))
    mu = draw(st.sampled_from([1.0, 1.3, 0.75]))
    return plots, pop, a, shock, mu


@settings(max_examples=300, deadline=None)
@given(farm_states(), st.integers(0, 500))
def test_the_harvest_kernel_equals_its_numpy_reference(state, collective0):
    """Own plots, household leases (rent to the holder, or to the village collective for its
    land) and custodial plots sell, cost and pay the same, plot by plot, bit for bit."""
    plots, _pop, a, shock, mu = state
    want, got = _both(farming.plot_flows, plots, a, shock, mu, collective0)
    for name, w, g in zip(farming.PlotFlows._fields, want, got, strict=True):
        assert _same_bits(g, w), (name, g, w)


@settings(max_examples=300, deadline=None)
@given(farm_states())
def test_the_labour_days_kernel_equals_its_numpy_reference(state):
    """The days each household farms itself and hires (members of every age, at home or
    away, living or not; households with no land, no members or no field days) are the same,
    bit for bit."""
    plots, pop, a, _shock, mu = state
    want, got = _both(farming.labour_use, plots, pop, a, mu)
    assert all(_same_bits(g, w) for g, w in zip(got, want, strict=True)), (got, want)


@settings(max_examples=300, deadline=None)
@given(farm_states(), st.data())
def test_the_day_market_is_the_same_with_and_without_compilation(state, data):
    """Each village's day-labour market (offers of residents of every age, households that
    have died out, days farmed and hired) sells the same days, bit for bit."""
    _plots, pop, a, *_ = state
    n_h = pop.n_households
    pop.hh_alive = data.draw(hnp.arrays(np.bool_, n_h))
    pop.hh_village = data.draw(hnp.arrays(np.int32, n_h, elements=st.integers(0, 2)))
    days = st.sampled_from([0.0, 3.5, 40.0, 250.0])
    farm_days = data.draw(hnp.arrays(np.float64, n_h, elements=days))
    hired = data.draw(hnp.arrays(np.float64, n_h, elements=days))
    (want_pool, want_sold), (got_pool, got_sold) = _both(
        labour.open_market, pop, a, 3, farm_days, hired
    )
    assert _same_bits(got_sold, want_sold)
    for name in ("days", "offered", "sold", "coop_days"):
        assert _same_bits(getattr(got_pool, name), getattr(want_pool, name)), name


@settings(max_examples=200, deadline=None)
@given(farm_states(), st.sampled_from([0.0, 4100.0]), st.sampled_from([0.0, 123.0]))
def test_remittances_and_pensions_are_the_same_with_and_without_compilation(state, remit, pension):
    """Each household's remittances and pensions (NumPy both ways; posted by the ledger's
    kernel, or by its reference) are the same, bit for bit."""
    _plots, pop, a, *_ = state
    a = a.model_copy(update={"offfarm_wage_month": remit, "pension_month": pension})

    def paid():
        town = SimpleNamespace(population=pop, ledger=Ledger(Accounts(8, 4)))
        farming.other_incomes(town, a)
        return town.ledger.balance, town.ledger.entries()

    (want_balance, want_entries), (got_balance, got_entries) = _both(paid)
    assert _same_bits(got_balance, want_balance)
    assert got_entries.equals(want_entries)


@settings(max_examples=100, deadline=None)
@given(farm_states(), st.booleans())
def test_the_subsidised_plots_are_the_same_with_and_without_compilation(state, conditional):
    """The farmland subsidy each household is paid (every held plot, or only those farmed;
    NumPy both ways, posted by the ledger's kernel or by its reference)."""
    plots, pop, *_ = state
    params = SimpleNamespace(
        levers=SimpleNamespace(
            farmland_subsidy_per_mu=125.5, farmland_subsidy_conditional=conditional
        ),
        world=SimpleNamespace(plot_size_mu=1.3),
    )

    def paid():
        town = SimpleNamespace(plots=plots, population=pop, ledger=Ledger(Accounts(8, 4)))
        farming.farmland_subsidy(town, params)
        return town.ledger.balance, town.ledger.entries()

    (want_balance, want_entries), (got_balance, got_entries) = _both(paid)
    assert _same_bits(got_balance, want_balance)
    assert got_entries.equals(want_entries)


@st.composite
def posts(draw):
    """A year's posts: payers and payees as one account or one per flow (households,
    co-ops, collectives, the outside), amounts as one or one per flow, rounding at half a fen,
    negative, zero, NaN and infinite amounts, and posts with no flows."""
    acc = Accounts(6, 2)
    account = st.integers(0, acc.size - 1)
    out = []
    for _ in range(draw(st.integers(1, 6))):
        n = draw(st.integers(0, 7))
        sides = []
        for _side in range(3):
            if draw(st.booleans()):
                sides.append(None)  # one value for all flows
            else:
                sides.append(n)
        payer = (
            draw(account) if sides[0] is None else draw(hnp.arrays(np.int64, n, elements=account))
        )
        payee = (
            draw(account) if sides[1] is None else draw(hnp.arrays(np.int64, n, elements=account))
        )
        if sides[2] is not None:
            amount = draw(hnp.arrays(np.float64, n, elements=AMOUNTS))
        elif sides[0] is None and sides[1] is None:  # one flow: the fast path, finite amounts
            amount = np.float64(draw(AMOUNTS.filter(np.isfinite)))
        else:
            amount = np.float64(draw(AMOUNTS))
        out.append((payer, payee, draw(st.sampled_from(FLOW_KINDS)), amount))
    return acc, out


@settings(max_examples=300, deadline=None)
@given(posts())
def test_the_post_kernel_equals_its_numpy_reference(case):
    """The same posts give the same totals, balances, flows and entries (in the same order),
    and the books close, with and without compilation."""
    acc, flows = case

    def book():
        led = Ledger(acc)
        with np.errstate(invalid="ignore"):  # NaN and infinite amounts: NumPy's cast warns
            totals = [led.post(*flow) for flow in flows]
        state = (led.balance.copy(), led._inflow.copy(), led._outflow.copy())
        entries = led.entries()
        led.close_year()
        return totals, state, entries

    (want_t, want_s, want_e), (got_t, got_s, got_e) = _both(book)
    assert got_t == want_t
    assert all(_same_bits(g, w) for g, w in zip(got_s, want_s, strict=True))
    assert got_e.equals(want_e), (got_e, want_e)


@settings(max_examples=300, deadline=None)
@given(posts())
def test_posts_made_together_equal_the_same_posts_one_by_one(case):
    """``Ledger.post_many`` (one call of the compiled ``post_batch``) gives the same totals,
    balances, flows, entries (in the same order) and yearly totals as the same posts made
    one by one on the NumPy reference, and the books close."""
    acc, flows = case

    def book(together):
        led = Ledger(acc)
        with np.errstate(invalid="ignore"):  # NaN and infinite amounts: NumPy's cast warns
            totals = led.post_many(flows) if together else [led.post(*f) for f in flows]
        state = (led.balance.copy(), led._inflow.copy(), led._outflow.copy())
        entries = led.entries()
        led.close_year()
        return totals, state, entries, led.year_totals

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(compiled.NO_JIT_VARIABLE, "1")
        want_t, want_s, want_e, want_y = book(together=False)
    got_t, got_s, got_e, got_y = book(together=True)
    assert got_t == want_t
    assert all(_same_bits(g, w) for g, w in zip(got_s, want_s, strict=True))
    assert got_e.equals(want_e), (got_e, want_e)
    assert _same_bits(got_y, want_y)


@settings(max_examples=200, deadline=None)
@given(posts(), st.integers(0, 11), st.sampled_from([0, 1, -7]), st.sampled_from([1, 3, 4096]))
def test_the_books_are_checked_the_same_with_and_without_compilation(case, account, error, small):
    """Closing the year re-derives the same balances and yearly totals by kind on the kernel
    (``derive_books``: small entries together, large ones each alone) as with NumPy, and both
    refuse books whose balance was changed without an entry."""
    acc, flows = case
    account %= acc.size

    def close():
        led = Ledger(acc)
        with np.errstate(invalid="ignore"):
            for flow in flows:
                led.post(*flow)
        led.balance[account] += error
        try:
            led.close_year()
        except LedgerError as e:
            return str(e)
        return led.year_totals, led._opening

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("landsim.ledger._SMALL_ENTRY", small)
        want, got = _both(close)
    if isinstance(want, str):
        assert got == want
    else:
        assert all(_same_bits(g, w) for g, w in zip(got, want, strict=True))


def test_posts_made_together_refuse_accounts_out_of_range():
    """``post_many`` raises ``IndexError`` for an account out of range, as ``post`` does."""
    led = Ledger(Accounts(2, 1))
    with pytest.raises(IndexError):
        led.post_many([(0, 1, "rent", 5.0), (np.array([0, 1]), led.accounts.size, "rent", 6.0)])


def test_the_kernels_are_called_by_default(monkeypatch):
    """Without ``LANDSIM_NO_JIT``, farming and the ledger's posts run on their kernels."""
    calls = []
    for module, name in (
        ("landsim.farming", "harvest"),
        ("landsim.farming", "labour_days"),
        ("landsim.ledger", "post_flows"),
    ):
        original = getattr(__import__(module, fromlist=[name]), name)

        def spy(*args, _f=original, _n=name):
            calls.append(_n)
            return _f(*args)

        monkeypatch.setattr(f"{module}.{name}", spy)
    monkeypatch.delenv(compiled.NO_JIT_VARIABLE, raising=False)
    plots = SimpleNamespace(
        kind=np.array([1, 2], np.int8),
        hilly=np.array([False, True]),
        quality=np.ones(2),
        holder=np.array([0, -1]),
        operator=np.array([0, 1]),
        village=np.zeros(2, np.int32),
        rent=np.array([0.0, 500.0]),
    )
    pop = _Pop(2, np.array([0, 1]), np.array([40.0, 70.0]), np.ones(2, bool), np.zeros(2, bool))
    led = Ledger(Accounts(2, 1))
    flows = farming.plot_flows(plots, Assumptions(), 1.0, 1.0, led.accounts.collective0)
    farming.labour_use(plots, pop, Assumptions(), 1.0)
    led.post(flows.lessee, flows.payee, "rent", flows.rent)
    assert calls == ["harvest", "labour_days", "post_flows"]
    assert flows.payee.tolist() == [4]  # the collective's land: its rent goes to it
    assert led.balance_yuan(4) == 500.0


def test_the_kernels_refuse_accounts_and_households_out_of_range():
    """An account or a household out of range raises ``IndexError`` (a compiled loop does
    not check its indices: it would write outside its arrays)."""
    led = Ledger(Accounts(2, 1))
    with pytest.raises(IndexError):
        led.post(np.array([0, 1]), led.accounts.size, "rent", np.array([5.0, 6.0]))
    with pytest.raises(IndexError):
        led.post(-1, np.array([0, 1]), "rent", np.array([5.0, 6.0]))
    assert not led.balance.any() and led.between_years
    with pytest.raises(IndexError):
        kind, hilly, holder = np.array([1], np.int8), np.array([False]), np.array([2])
        member = np.array([0])
        farming.labour_days(kind, hilly, holder, holder, member, np.zeros(1), member > 0,
                            member > 0, 2, 1, 2, (1.0,) * 8)  # fmt: skip
