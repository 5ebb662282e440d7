"""Unit tests of the decision rules, benefit-sharing rules, market and ledger on hand-built
cases."""

from __future__ import annotations

import numpy as np
import pytest

from landsim.clearing import Bidders, KinPairs, Offers, Technology, clear_market
from landsim.labour import (
    HelperPool,
    hire_villagers,
    household_labour,
    labour_capacity,
    learn_job_chance,
    local_day_wage,
    ration,
    shadow_wage,
)
from landsim.land_use import (
    Outlook,
    channel_values,
    decide_land_use,
    logit_pick,
    risk_aversion,
)
from landsim.ledger import Accounts, Ledger, LedgerError
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
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE

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
    with pytest.raises(ValueError, match="benefit_rule"):
        Levers(benefit_rule="lottery")


def test_profit_split_must_sum_to_one():
    """Reserve + collective + member shares that do not sum to 1 are rejected."""
    with pytest.raises(ValueError, match="must sum to 1"):
        Levers(reserve_share=0.2, collective_share=0.2, member_share=0.8)


# ---------------------------------------------------------------- households
def test_labour_capacity_falls_with_age():
    """Children do not farm; adults work fully until the decline age, then less, then none."""
    a = Assumptions()
    decline, zero = a.labour_decline_age, a.labour_zero_age
    middle = (decline + zero) / 2
    cap = labour_capacity(np.array([10.0, 30.0, decline, middle, zero + 1]), a)
    assert cap[0] == 0 and cap[1] == 1 and cap[2] == 1
    assert 0 < cap[3] < 1 and cap[4] == 0
    faster = labour_capacity(np.array([middle]), Assumptions(aging_speed=1.5))
    assert faster[0] < cap[3]


def test_elderly_value_their_farm_days_less():
    """A 70-year-old's day is worth less than a 40-year-old's (employers take fewer older
    people), and never less than the value of a day without paid work."""
    a = Assumptions()
    w = shadow_wage(np.array([40.0, 70.0, 80.0]), 0.5, a)
    assert w[0] == pytest.approx(a.day_wage * 0.5)
    assert a.shadow_wage_elderly <= w[1] < w[0]
    assert w[2] == pytest.approx(a.shadow_wage_elderly)


def test_a_day_is_worth_more_where_local_work_is_easier_to_find():
    """The value of a day rises with the chance of selling it on the day-labour market."""
    a = Assumptions()
    low, high = (shadow_wage(np.array([40.0]), c, a)[0] for c in (0.2, 0.8))
    assert high > low


def test_the_local_wage_follows_the_migrant_wage_by_its_elasticity():
    """At the reference migrant wage the local day wage is ``day_wage``; a higher migrant wage
    raises it by ``local_wage_link`` (1: in proportion; 0: not at all), and with it the value
    of a farm day."""
    a = Assumptions()
    assert local_day_wage(a) == a.day_wage
    richer = a.model_copy(update={"offfarm_wage_month": 1.5 * a.local_wage_reference_month})
    assert local_day_wage(richer) == pytest.approx(1.5 * a.day_wage)
    half = richer.model_copy(update={"local_wage_link": 0.5})
    assert local_day_wage(half) == pytest.approx(a.day_wage * 1.5**0.5)
    fixed = richer.model_copy(update={"local_wage_link": 0.0})
    assert local_day_wage(fixed) == a.day_wage
    age = np.array([40.0])
    assert shadow_wage(age, 0.5, richer)[0] > shadow_wage(age, 0.5, fixed)[0]


def test_unsold_days_are_rationed_by_demand():
    """Where the town wants fewer days than are offered, each seller sells the same share; where
    it wants more, every offered day is sold."""
    assert ration(np.array([200.0, 100.0]), np.array([50.0, 300.0])).tolist() == [0.25, 1.0]
    assert ration(np.array([0.0]), np.array([10.0])).tolist() == [0.0]


def _pool() -> HelperPool:
    """One village of four households, each with 10 unsold days; 40 offered, 0 sold."""
    return HelperPool(
        days=np.full(4, 10.0),
        by_village=[np.arange(4)],
        coop_days=np.zeros(4),
        offered=np.array([40.0]),
        sold=np.array([0.0]),
    )


def test_a_coop_hires_its_members_first_and_their_days_are_not_open_market_sales():
    """Co-op work comes with membership: members are hired first; only days hired from other
    villagers count as sold on the village's market, from which villagers learn their chance
    of selling a day."""
    led = Ledger(Accounts(households=4, villages=1))
    pool = _pool()
    members = np.array([0, 1])
    paid = hire_villagers(pool, led, led.accounts.coop0, 0, 30.0, 100.0, "coop_wage", members)
    assert paid == pytest.approx(3000.0)
    assert pool.days.tolist() == [0.0, 0.0, 5.0, 5.0]  # members' 20 days, then 10 from others
    assert pool.coop_days.tolist() == [10.0, 10.0, 5.0, 5.0]
    assert pool.sold.tolist() == [10.0]
    chance = np.array([0.0])
    learn_job_chance(chance, pool, 1.0)
    assert chance.tolist() == [0.25]
    # the firm (or a co-op without members given) hires on the open market: every day counts
    firm_pool = _pool()
    hire_villagers(firm_pool, led, led.accounts.firm, 0, 30.0, 100.0, "local_wage")
    assert firm_pool.sold.tolist() == [30.0]


def test_household_labour_counts_residents_only():
    """Field days come from residents: a migrant member adds nothing."""
    a = Assumptions()
    m_hh = np.array([0, 0, 1])
    age = np.array([40.0, 40.0, 40.0])
    days, _ = household_labour(m_hh, age, np.array([True, False, True]), 2, a)
    assert days.tolist() == [a.farm_days_per_worker, a.farm_days_per_worker]


def test_old_heads_weigh_risk_more():
    """The risk premium per yuan of sd rises with the head's age."""
    a = Assumptions()
    r = risk_aversion(np.array([50.0, 70.0, 85.0]), a)
    assert r[0] == pytest.approx(a.risk_aversion) and r[0] < r[1] < r[2]


def _outlook(coop_open=True, base=600.0, bonus=0.0, share=0.0, custody=True, lease=(800, 50)):
    return Outlook(
        lease_return=np.array([lease], dtype=float),
        coop_open=np.array([coop_open]),
        coop_base=np.array([base]),
        coop_bonus=np.array([bonus]),
        coop_share=np.array([share]),
        custody_open=custody,
        custody_price=1000.0,
    )


def _decide(can_farm=True, wage=30.0, hilly=False, trust=0.5, risk=0.5, a=None, **outlook):
    a = a or Assumptions()
    return decide_land_use(
        village=np.array([0]),
        hilly=np.array([hilly]),
        quality=np.array([1.0]),
        can_farm=np.array([can_farm]),
        wage=np.array([wage]),
        risk=np.array([risk]),
        trust=np.array([trust]),
        outlook=_outlook(**outlook),
        a=a,
        draws=np.array([0.5]),
    )


def test_a_household_without_labour_releases_its_plot():
    """Without field days a plot cannot be kept: it is released to a channel."""
    c = _decide(can_farm=False)
    assert not c.keep[0] and c.channel[0] in (HOUSEHOLD_LEASE, COOP, CUSTODY)
    assert c.own_value[0] == -np.inf


def test_a_household_keeps_land_worth_more_than_releasing_it():
    """Cheap family labour keeps a plot; a high shadow wage releases it to the market."""
    assert _decide(wage=10.0).keep[0]
    assert not _decide(wage=120.0, lease=(900, 50)).keep[0]


def test_own_farming_value_falls_with_the_shadow_wage():
    """Each yuan of shadow wage costs labour_days_flat yuan per mu of own farming."""
    a = Assumptions()
    diff = _decide(wage=30.0).own_value[0] - _decide(wage=130.0).own_value[0]
    assert diff == pytest.approx(100.0 * a.labour_days_flat)


def test_trust_dividends_and_neighbours_raise_the_coop_option():
    """The coop option rises with trust, expected dividends and the neighbours' share in it."""
    a = Assumptions()

    def coop(**kw):
        o = _outlook(**{k: v for k, v in kw.items() if k != "trust"})
        t = np.array([kw.get("trust", 0.5)])
        one = np.array([False]), np.array([1.0]), np.array([0.5])
        return channel_values(np.array([0]), one[0], one[1], one[2], t, o, a)[0, 1]

    base = coop()
    assert coop(trust=1.0) - base == pytest.approx(a.trust_weight * 0.5)
    assert coop(bonus=200.0) - base == pytest.approx(200.0 * (1 - 0.5 * a.bonus_sd_share))
    assert coop(share=1.0) - base == pytest.approx(a.neighbour_weight)


def test_a_guarantee_is_worth_more_to_a_risk_averse_household():
    """The same expected pay is worth less as a dividend than as a guarantee, and the gap
    grows with risk aversion."""
    a = Assumptions()
    o_div = _outlook(base=0.0, bonus=600.0)
    o_fix = _outlook(base=600.0, bonus=0.0)
    args = np.array([0]), np.array([False]), np.array([1.0])
    for risk in (0.5, 2.0):
        r, t = np.array([risk]), np.array([0.5])
        div = channel_values(*args, r, t, o_div, a)[0, 1]
        fix = channel_values(*args, r, t, o_fix, a)[0, 1]
        assert fix - div == pytest.approx(risk * a.bonus_sd_share * 600.0)


def test_closed_channels_are_never_chosen():
    """Without a coop in the village or a firm in town, a released plot goes to the market."""
    c = _decide(can_farm=False, coop_open=False, custody=False)
    assert c.channel[0] == HOUSEHOLD_LEASE


def test_logit_channel_choice_follows_values_and_temperature():
    """Choice shares match exp(v/T) / sum exp(v/T), and closed channels are never chosen."""
    v = np.tile(np.array([150.0, -np.inf, 0.0]), (20000, 1))
    draws = np.random.default_rng(3).random(20000)
    picks = logit_pick(v, 150.0, draws)
    expect = np.array([np.e, 0.0, 1.0]) / (np.e + 1.0)
    shares = np.bincount(picks, minlength=3) / picks.size
    assert shares[1] == 0
    assert np.allclose(shares, expect, atol=0.015)
    assert (logit_pick(v[:100], 1e-6, draws[:100]) == 0).all()


# ---------------------------------------------------------------- land market
TECH = Technology(
    gross=2100.0,
    cash=935.0,
    hilly_cash=1210.0,
    hilly_yield=0.75,
    days_flat=3.0,
    days_hilly=14.0,
    hired_wage=120.0,
    plot_mu=1.0,
)
NO_KIN = KinPairs(np.zeros(0, int), np.zeros(0, int), np.zeros(0))


def _offers(n=4, village=0, hilly=None, quality=None, holder=None, reserve=None, value=800.0):
    return Offers(
        plot=np.arange(n),
        village=np.full(n, village),
        row=np.zeros(n, dtype=int),
        col=np.arange(n),
        hilly=np.zeros(n, bool) if hilly is None else np.asarray(hilly),
        quality=np.ones(n) if quality is None else np.asarray(quality, dtype=float),
        reserve=np.zeros(n) if reserve is None else np.asarray(reserve, dtype=float),
        market_value=np.full(n, value),
        holder=np.full(n, 99) if holder is None else np.asarray(holder),
    )


def _bidders(wage, days=100.0, room=20, village=None, col=None):
    n = len(wage)
    return Bidders(
        household=np.arange(n),
        village=np.zeros(n, dtype=int) if village is None else np.asarray(village),
        row=np.zeros(n, dtype=int),
        col=np.zeros(n, dtype=int) if col is None else np.asarray(col),
        wage=np.asarray(wage, dtype=float),
        days=np.full(n, days, dtype=float),
        room=np.full(n, room),
    )


def _clear(offers, bidders, kin=NO_KIN, distance=5.0, kin_value=1000.0):
    return clear_market(offers, bidders, kin, TECH, distance, kin_value)


def test_the_winner_pays_the_second_highest_willingness_to_pay():
    """Second price: the bidder whose labour is cheapest wins and pays what the runner-up would
    have paid (gross - cash - lessee days x the runner-up's wage)."""
    leases = _clear(_offers(n=1), _bidders([30.0, 90.0]))
    assert leases.lessee.tolist() == [0]
    assert leases.rent[0] == pytest.approx(2100 - 935 - 3 * 90)


def test_a_lone_bidder_pays_the_holders_reserve():
    """Without competition the rent is the holder's reserve, not the bidder's margin."""
    leases = _clear(_offers(n=1, reserve=[300.0]), _bidders([30.0]))
    assert leases.rent.tolist() == [300.0]


def test_more_bidders_raise_the_rent():
    """Competition sets the rent: a third, stronger bidder raises what the plot rents for."""
    two = _clear(_offers(n=1), _bidders([30.0, 90.0])).rent[0]
    three = _clear(_offers(n=1), _bidders([30.0, 90.0, 40.0])).rent[0]
    assert three > two


def test_hills_are_worth_less_to_a_lessee_than_flat_land():
    """Machines save little on hills: at a family wage of 60 yuan/day the hilly plot's margin is
    negative and nobody bids for it."""
    leases = _clear(_offers(n=2, hilly=[False, True]), _bidders([60.0, 70.0]))
    assert leases.plot.tolist() == [0]


def test_a_bidder_takes_no_more_than_it_can_manage():
    """No plot has two lessees; no bidder exceeds its room; what is left goes to the others."""
    leases = _clear(_offers(n=10), _bidders([30.0, 40.0, 50.0], room=3))
    assert len(set(leases.plot.tolist())) == leases.plot.size == 9
    assert np.bincount(leases.lessee, minlength=3).max() <= 3


def test_bidders_only_lease_in_their_own_village_and_never_their_own_plot():
    """Offers in village 1 go unmatched by village-0 bidders; a holder does not lease to itself."""
    assert _clear(_offers(village=1), _bidders([30.0])).plot.size == 0
    assert _clear(_offers(n=2, holder=[0, 0]), _bidders([30.0])).plot.size == 0


def test_a_holders_reserve_must_be_covered():
    """A plot whose holder values it above every bid is not leased."""
    assert _clear(_offers(n=1, reserve=[2000.0]), _bidders([30.0])).plot.size == 0


def test_close_kin_get_the_land_rent_free_and_distant_kin_do_not():
    """A tie close enough that lending beats the market rent gives a rent-free lease; a weak
    tie loses to the market."""
    kin = KinPairs(offer=np.array([0, 1]), bidder=np.array([1, 1]), closeness=np.array([0.9, 0.3]))
    leases = _clear(_offers(n=2, value=800.0), _bidders([30.0, 30.0]), kin=kin)
    rent = dict(zip(leases.plot.tolist(), leases.rent.tolist(), strict=True))
    who = dict(zip(leases.plot.tolist(), leases.lessee.tolist(), strict=True))
    assert rent[0] == 0.0 and who[0] == 1 and leases.kin[leases.plot == 0].all()
    assert rent[1] > 0 and not leases.kin[leases.plot == 1].any()


def test_a_sitting_oral_lessee_renews_at_its_rent_when_it_still_pays():
    """An oral lease that ended is renewed with its lessee at the old rent when the lessee's
    willingness to pay covers it, and goes to auction when it does not."""
    base = _offers(n=2)
    offers = Offers(
        **{k: getattr(base, k) for k in ("plot", "village", "row", "col", "hilly", "quality")},
        reserve=base.reserve,
        market_value=base.market_value,
        holder=base.holder,
        sitting=np.array([1, 1]),
        sitting_rent=np.array([500.0, 5000.0]),
        sitting_closeness=np.zeros(2),
    )
    leases = _clear(offers, _bidders([30.0, 30.0]))
    got = dict(zip(leases.plot.tolist(), leases.renewed.tolist(), strict=True))
    assert got[0] and leases.rent[leases.plot == 0][0] == 500.0
    assert not got[1]


def test_far_plots_go_unbid():
    """Distance cost can make a bid worthless."""
    assert _clear(_offers(n=2), _bidders([30.0], col=[1000])).plot.size == 0


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
