"""Unit tests of the decision rules, benefit-sharing rules, market and ledger on hand-built
cases."""

from __future__ import annotations

import numpy as np
import pytest

from landsim.households import Outlook, choose, labour_capacity, plot_utilities, shadow_wage
from landsim.ledger import Accounts, Ledger, LedgerError
from landsim.market import Bidders, Offers, clear_market
from landsim.metrics import gini
from landsim.params import Assumptions, Levers
from landsim.sharing import (
    RULES,
    FixedRent,
    GuaranteedDividend,
    GuaranteedRebate,
    Shareholding,
    Stakes,
    make_rule,
)
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE, IDLE, OWN

STAKES = Stakes(
    mu=np.array([1.0, 3.0]), labour_days=np.array([30.0, 10.0]), sales=np.array([2000.0, 6000.0])
)


# ---------------------------------------------------------------- benefit-sharing rules
def test_fixed_rent_pays_rent_per_mu_and_no_bonus():
    """Fixed rent owes rent x land and shares no profit."""
    rule = FixedRent(rent=700)
    assert rule.base(STAKES).tolist() == [700.0, 2100.0]
    assert rule.bonus(1000.0, STAKES).tolist() == [0.0, 0.0]
    assert not rule.performance_linked


def test_guaranteed_dividend_pays_minimum_plus_dividend_by_land():
    """Guaranteed minimum per mu, then the pool split 1:3 by land shares."""
    rule = GuaranteedDividend(guaranteed=600)
    assert rule.base(STAKES).tolist() == [600.0, 1800.0]
    assert rule.bonus(400.0, STAKES).tolist() == [100.0, 300.0]


def test_shareholding_guarantees_nothing():
    """Pure shareholding owes nothing up front and splits profit by land."""
    rule = Shareholding()
    assert rule.base(STAKES).tolist() == [0.0, 0.0]
    assert rule.bonus(800.0, STAKES).tolist() == [200.0, 600.0]


@pytest.mark.parametrize(
    ("basis", "expected"), [("labour", [300.0, 100.0]), ("sales", [100.0, 300.0])]
)
def test_guaranteed_rebate_splits_by_labour_or_sales(basis, expected):
    """The second rebate follows labour days (3:1) or sales (1:3)."""
    rule = GuaranteedRebate(guaranteed=500, basis=basis)
    assert rule.base(STAKES).tolist() == [500.0, 1500.0]
    assert rule.bonus(400.0, STAKES).tolist() == expected


def test_rebate_falls_back_to_land_when_nobody_worked():
    """With no labour days recorded, the rebate is split by land rather than lost."""
    idle = Stakes(mu=np.array([1.0, 3.0]), labour_days=np.zeros(2), sales=np.zeros(2))
    assert GuaranteedRebate(guaranteed=0).bonus(400.0, idle).tolist() == [100.0, 300.0]


@pytest.mark.parametrize("name", sorted(RULES))
def test_no_rule_pays_bonus_from_a_loss(name):
    """A zero or negative pool is never distributed, and bonuses add up to the pool."""
    rule = make_rule(Levers(benefit_rule=name))
    assert rule.bonus(-500.0, STAKES).sum() == 0.0
    assert rule.bonus(0.0, STAKES).sum() == 0.0
    total = rule.bonus(1000.0, STAKES).sum()
    assert total == pytest.approx(1000.0 if rule.performance_linked else 0.0)


def test_unknown_rule_is_rejected_by_the_levers():
    """An unknown rule name fails validation and names the known rules."""
    with pytest.raises(ValueError, match="benefit_rule must be one of"):
        Levers(benefit_rule="lottery")


def test_profit_split_must_sum_to_one():
    """Reserve + collective + member shares that do not sum to 1 are rejected."""
    with pytest.raises(ValueError, match="must sum to 1"):
        Levers(reserve_share=0.2, collective_share=0.2, member_share=0.8)


# ---------------------------------------------------------------- households
def test_labour_capacity_falls_with_age():
    """Children do not farm; adults work fully until the decline age, then less, then none."""
    a = Assumptions()
    cap = labour_capacity(np.array([10.0, 30.0, 60.0, 71.0, 90.0]), a)
    assert cap[0] == 0 and cap[1] == 1 and cap[2] == 1
    assert 0 < cap[3] < 1 and cap[4] == 0
    faster = labour_capacity(np.array([71.0]), Assumptions(aging_speed=2.0))
    assert faster[0] < cap[3]


def test_elderly_value_their_farm_days_less():
    """A 70-year-old's farm day is worth less than a 40-year-old's (fewer job options)."""
    a = Assumptions()
    w = shadow_wage(np.array([40.0, 70.0]), a)
    assert w[0] == pytest.approx(a.day_wage * a.offfarm_job_chance)
    assert w[1] == pytest.approx(a.shadow_wage_elderly)


def _outlook(coop_open=True, bonus=0.0, share=0.0, custody=True) -> Outlook:
    return Outlook(
        coop_open=np.array([coop_open]),
        coop_base=np.array([600.0]),
        coop_bonus=np.array([bonus]),
        coop_share=np.array([share]),
        lease_rent=np.array([800.0]),
        lease_match=np.array([0.5]),
        custody_open=custody,
        custody_price=1000.0,
    )


def _utilities(can_farm=True, trust=0.5, wage=30.0, **outlook):
    a = Assumptions()
    return plot_utilities(
        holder=np.array([0]),
        village=np.array([0]),
        hilly=np.array([False]),
        quality=np.array([1.0]),
        can_farm=np.array([can_farm]),
        wage=np.array([wage]),
        trust=np.array([trust]),
        outlook=_outlook(**outlook),
        a=a,
    )[0]


def test_household_without_labour_cannot_choose_to_farm():
    """Farming is impossible without labour; the other options stay open."""
    u = _utilities(can_farm=False)
    assert u[OWN] == -np.inf
    assert np.isfinite(u[[IDLE, HOUSEHOLD_LEASE, COOP, CUSTODY]]).all()


def test_own_farming_value_falls_with_the_shadow_wage():
    """Each yuan of shadow wage costs labour_days_flat yuan per mu of own farming."""
    a = Assumptions()
    diff = _utilities(wage=30.0)[OWN] - _utilities(wage=130.0)[OWN]
    assert diff == pytest.approx(100.0 * a.labour_days_flat)


def test_trust_dividends_and_neighbours_raise_the_coop_option():
    """The coop option rises with trust, expected dividends and the neighbours' share in it."""
    a = Assumptions()
    base = _utilities()[COOP]
    assert _utilities(trust=1.0)[COOP] - base == pytest.approx(a.trust_weight * 0.5)
    assert _utilities(bonus=200.0)[COOP] - base == pytest.approx(200.0)
    assert _utilities(share=1.0)[COOP] - base == pytest.approx(a.neighbour_weight)


def test_closed_options_are_impossible():
    """Without a coop in the village or a firm in town, those options cannot be chosen."""
    u = _utilities(coop_open=False, custody=False)
    assert u[COOP] == -np.inf and u[CUSTODY] == -np.inf


def test_logit_choice_follows_utilities_and_temperature():
    """Choice shares match exp(u/T) / sum exp(u/T), and impossible options are never chosen."""
    u = np.tile(np.array([0.0, 150.0, -np.inf, 0.0, -150.0]), (20000, 1))
    draws = np.random.default_rng(3).random(20000)
    picks = choose(u, 150.0, draws)
    expect = np.exp(np.array([0.0, 1.0, 0.0, 0.0, -1.0]))
    expect[2] = 0
    expect /= expect.sum()
    shares = np.bincount(picks, minlength=5) / picks.size
    assert shares[2] == 0
    assert np.allclose(shares, expect, atol=0.015)
    cold = choose(u[:100], 1e-6, draws[:100])
    assert (cold == OWN).all(), "near zero temperature the best option always wins"


# ---------------------------------------------------------------- land market
def _offers(n=4, village=0, productivity=None, rent_free=None, holder=None):
    return Offers(
        plot=np.arange(n),
        village=np.full(n, village),
        row=np.zeros(n, dtype=int),
        col=np.arange(n),
        productivity=np.ones(n) if productivity is None else np.asarray(productivity),
        reserve=np.zeros(n),
        rent_free=np.zeros(n, bool) if rent_free is None else np.asarray(rent_free),
        holder=np.full(n, 99) if holder is None else np.asarray(holder),
    )


def _bidders(mp, capacity, village=None, col=None):
    n = len(mp)
    return Bidders(
        household=np.arange(n),
        village=np.zeros(n, dtype=int) if village is None else np.asarray(village),
        row=np.zeros(n, dtype=int),
        col=np.zeros(n, dtype=int) if col is None else np.asarray(col),
        marginal_profit=np.asarray(mp, dtype=float),
        capacity=np.asarray(capacity),
    )


def test_strongest_bidder_takes_the_best_plots_and_pays_its_bid():
    """The highest marginal profit bids first and wins the most productive, nearest plots."""
    offers = _offers(productivity=[0.5, 1.0, 1.0, 0.8])
    leases = clear_market(
        offers, _bidders([1000.0, 800.0], [2, 5]), bid_fraction=0.5, distance_cost=10
    )
    by_plot = dict(zip(leases.plot.tolist(), leases.lessee.tolist(), strict=True))
    assert by_plot[1] == 0 and by_plot[2] == 0
    assert by_plot[0] == 1 and by_plot[3] == 1
    rent = dict(zip(leases.plot.tolist(), leases.rent.tolist(), strict=True))
    assert rent[1] == pytest.approx(0.5 * 1000 * 1.0 - 10 * 1)


def test_each_plot_is_leased_at_most_once_and_capacity_is_respected():
    """No plot has two lessees; no bidder exceeds its capacity."""
    leases = clear_market(_offers(n=10), _bidders([900, 900, 900], [2, 3, 20]), 0.8, 5)
    assert len(set(leases.plot.tolist())) == leases.plot.size == 10
    counts = np.bincount(leases.lessee, minlength=3)
    assert counts[0] <= 2 and counts[1] <= 3


def test_bidders_only_lease_in_their_own_village_and_never_their_own_plot():
    """Offers in village 1 go unmatched by village-0 bidders; a holder does not lease to itself."""
    leases = clear_market(_offers(village=1), _bidders([900], [5]), 0.8, 5)
    assert leases.plot.size == 0
    own = clear_market(_offers(n=2, holder=[0, 0]), _bidders([900], [5]), 0.8, 5)
    assert own.plot.size == 0


def test_kin_leases_are_rent_free_and_far_plots_unbid():
    """A rent-free offer pays zero rent; distance cost can make a bid worthless."""
    leases = clear_market(_offers(n=2, rent_free=[True, False]), _bidders([900], [5]), 0.8, 5)
    rent = dict(zip(leases.plot.tolist(), leases.rent.tolist(), strict=True))
    assert rent[0] == 0.0 and rent[1] > 0
    far = clear_market(_offers(n=2), _bidders([100], [5], col=[1000]), 0.8, 5)
    assert far.plot.size == 0


# ---------------------------------------------------------------- ledger and metrics
def test_ledger_closes_exactly_and_reports_net_flows():
    """Flows move whole fen between accounts; balances equal the entries; net flows add up."""
    led = Ledger(Accounts(households=2, villages=1))
    out = led.accounts.outside
    led.post(out, np.array([0, 1]), "crop_sales", np.array([100.004, 50.0]))
    led.post(0, out, "input_costs", 30.0)
    led.post(1, 0, "rent", 0.0)  # zero flows are dropped
    assert led.net_this_year(0, 2).tolist() == [70.0, 50.0]
    assert len(led.entries()) == 3
    led.close_year()
    assert led.balance.sum() == 0
    assert led.totals[0][1] == 3000  # input costs in fen


def test_ledger_detects_a_tampered_balance():
    """A balance changed outside the ledger makes closing the year fail."""
    led = Ledger(Accounts(households=1, villages=1))
    led.post(led.accounts.outside, 0, "pension", 10.0)
    led.balance[0] += 1
    with pytest.raises(LedgerError, match="differ from their entries"):
        led.close_year()


def test_gini_is_zero_for_equality_and_high_for_concentration():
    """Equal incomes give 0; one household with everything gives (n-1)/n."""
    assert gini(np.ones(10)) == pytest.approx(0.0)
    assert gini(np.r_[np.zeros(9), 1.0]) == pytest.approx(0.9)
