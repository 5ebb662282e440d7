"""The co-op's books bind, founding and leases are staggered, and the thesis's causes act as
mechanisms (issue 24): books, reserves, solvency, voice, the branch, a third-party governance
body and a value-adding activity. Pure functions on hand-built cases; tiny towns elsewhere."""

from __future__ import annotations

import numpy as np
import pytest

from landsim import branches, cooperatives, governance, government
from landsim.cooperatives import (
    book_selection,
    capacity_mu,
    coop_cash,
    coop_reserve,
    founding_cohort,
    lease_term,
    renew_leases,
    reserve_cap,
    term_subsidy,
)
from landsim.ledger import FLOW_KINDS
from landsim.params import Assumptions, Levers, apply_changes
from landsim.villages import ACTIVE, EMPTY_SHELL
from landsim.world import COOP
from tests.helpers import run_years, tiny_model

LV = Levers(coop_social_mission=100.0, coop_mission_share=0.5)


# ---------------------------------------------------------------- the books bind
def test_plots_that_pay_their_way_are_taken_best_first_within_the_span():
    """Plots whose margin covers the risk margin are taken, best first, up to the room."""
    net = np.array([50.0, 300.0, 10.0, 200.0])
    assert book_selection(net, 2, 0.0, LV).tolist() == [1, 3]
    assert sorted(book_selection(net, 10, 0.0, LV).tolist()) == [0, 1, 2, 3]


def test_a_loss_is_taken_only_as_far_as_the_mission_budget_covers_it():
    """Loss-making plots are taken only while the losses stay within ``coop_mission_share`` of
    the expected surplus on paying land, and never deeper than the social mission."""
    net = np.array([100.0, -30.0, -40.0, -150.0])
    # budget 0.5 x 100 = 50: the -30 plot fits, the -40 one would pass the budget
    assert sorted(book_selection(net, 10, 0.0, LV).tolist()) == [0, 1]
    # the land the co-op runs already earns 200 more: budget 150 covers both, not the -150
    assert sorted(book_selection(net, 10, 200.0, LV).tolist()) == [0, 1, 2]
    # no paying land: no loss is covered
    assert book_selection(np.array([-5.0, -1.0]), 10, 0.0, LV).size == 0


def test_the_books_count_only_the_subsidy_a_lease_will_see():
    """A lease counts the subsidy spread over its mean term; none after the subsidy ends."""
    lv = Levers(subsidy_per_mu=120.0, coop_lease_years_min=3, coop_lease_years=5)
    assert term_subsidy(lv, 4) == pytest.approx(120.0)
    assert term_subsidy(lv, 2) == pytest.approx(120.0 * 2 / 4)
    assert term_subsidy(lv, 0) == 0.0


def test_a_co_op_has_no_working_capital_clamp():
    """Only its managers' span caps a co-op's area (money binds through its books)."""
    m = tiny_model(1, coop_founding="all", founding_spread_years=1, startup_grant=0.0)
    run_years(m, 1)
    a = m.params.assumptions
    for v in m.villages.active():
        span = a.coop_span_share * m.villages.standardization[v] * m.villages.land_mu[v]
        assert capacity_mu(m.town, int(v), a) == pytest.approx(span)


def test_a_higher_guarantee_thins_each_plots_margin():
    """The guarantee is a cost of every pooled share: raising it lowers the plot margin."""
    a = Assumptions()
    hilly, quality = np.array([False, True]), np.array([1.0, 1.0])
    low, high = (
        cooperatives.plot_margin(hilly, quality, 100.0, 500.0, 0.5, b, 0.0, a, Levers(), None)
        for b in (600.0, 780.0)
    )
    assert (high < low).all()


def test_the_reserve_stays_under_its_cap_and_the_excess_is_paid_out():
    """After each season an active, solvent co-op's reserve is at most its cap; what lay above
    was paid out (members and collective) or reinvested."""
    m = tiny_model(2, coop_founding="all", founding_spread_years=1, reserve_cap_per_mu=50.0)
    paid = 0.0
    for _ in range(8):
        m.step()
        paid += m.ledger.totals[m.year][FLOW_KINDS.index("payout")]
        for v in m.villages.active():
            if coop_cash(m.town, int(v)) >= 0:
                assert coop_reserve(m.town, int(v)) <= reserve_cap(m.town, int(v), m.params) + 1
    assert paid > 0, "a low cap should make some co-op pay out its reserve"


def test_a_co_op_whose_losses_pass_reserve_and_credit_is_insolvent_at_once():
    """Debt beyond the credit line (after the reserve) makes a co-op an empty shell that year,
    without waiting ``coop_fail_years``."""
    m = tiny_model(3, coop_founding="all", founding_spread_years=1, coop_fail_years=10)
    run_years(m, 3)
    busy = [int(v) for v in m.villages.active() if m.villages.area[v] > 0]
    assert busy, "the tiny town's co-ops should farm some land by year 3"
    # the town raises the guarantee far above any harvest: the books cannot pay it
    m.params = apply_changes(m.params, {"levers.guaranteed_rent": 90_000.0})
    cooperatives.follow_levers(m.villages, m.params.levers)
    m.step()
    assert all(m.villages.status[v] == EMPTY_SHELL for v in busy)


# ---------------------------------------------------------------- founding and leases
def test_branches_found_strongest_first_over_the_spread_years():
    """With every branch founding, the strongest found in year 1 and the rest spread evenly
    over ``founding_spread_years``; a branch below the minimum strength never founds."""
    strength = np.array([0.9, 0.2, 0.5, 0.7, 0.1, 0.6])
    lv = Levers(coop_founding="all", founding_spread_years=3, founding_min_strength=0.15)
    cohort = founding_cohort(strength, lv)
    eligible = strength >= 0.15
    assert cohort[0] == 0 and cohort[eligible].max() == 2
    assert (np.diff(cohort[np.argsort(-strength)][:5]) >= 0).all()  # stronger never later
    assert cohort[4] > 1000  # too weak: never


def test_co_op_leases_signed_together_end_apart():
    """Terms are drawn from the shortest to the longest co-op lease."""
    lv = Levers(coop_lease_years_min=3, coop_lease_years=6)
    terms = lease_term(lv, np.random.default_rng(0), 500)
    assert terms.min() == 3 and terms.max() == 6 and np.unique(terms).size == 4


def test_the_longest_lease_may_not_be_shorter_than_the_shortest():
    """The levers refuse a term range that runs backwards."""
    with pytest.raises(ValueError, match="coop_lease_years .* must be at least"):
        Levers(coop_lease_years_min=6, coop_lease_years=3)


def _due_coop_plots(m):
    """Make every co-op plot's lease end last year; return those plots."""
    mine = np.flatnonzero(m.plots.kind == COOP)
    mine = mine[m.villages.status[m.plots.operator[mine]] == ACTIVE]
    m.plots.lease_end[mine] = m.year  # ended with the season just run
    return mine


def test_a_lease_is_renewed_when_the_member_is_paid_at_least_the_outside_option():
    """A member renews when the co-op paid it at least its lease return; not when it paid
    nothing and trust is gone."""
    m = tiny_model(4, coop_founding="all", founding_spread_years=1, guaranteed_rent=600.0)
    run_years(m, 3)
    mine = _due_coop_plots(m)
    # good flat land the co-op wants to keep at a 600 guarantee
    members = mine[
        (m.plots.holder[mine] >= 0) & ~m.plots.hilly[mine] & (m.plots.quality[mine] >= 1)
    ]
    assert members.size > 0
    pop, rng = m.population, np.random.default_rng(0)
    pop.coop_pay[m.plots.holder[members]] = 5000.0
    renew_leases(m.town, m.params, rng, m.year + 1)
    assert (m.plots.lease_end[members] > m.year).all()
    _due_coop_plots(m)
    pop.coop_pay[m.plots.holder[members]] = 0.0
    pop.trust[m.plots.holder[members]] = 0.0
    renew_leases(m.town, m.params, rng, m.year + 1)
    assert (m.plots.lease_end[members] == m.year).all()


# ---------------------------------------------------------------- voice, branch, third party
def _retained(**kw) -> float:
    m = tiny_model(5, coop_founding="all", founding_spread_years=1, **kw)
    total = 0.0
    for _ in range(6):
        m.step()
        total += float(m.villages.retained.sum())
    return total


def test_without_a_meeting_or_a_supervisor_the_board_keeps_members_dividends():
    """With no quorum the board keeps part of the members' dividends for the collective; a
    meeting that always sits, or the governance body, holds it to the rule."""
    assert _retained(meeting_quorum=1.0, board_retention=0.5) > 0
    assert _retained(meeting_quorum=0.0, board_retention=0.5) == 0
    assert _retained(meeting_quorum=1.0, third_party_governance=True) == 0


def test_the_governance_body_audits_every_co_op_every_year_and_charges_its_fee():
    """Every active co-op that farmed is audited by the body each year, and pays its fee."""
    m = tiny_model(6, coop_founding="all", founding_spread_years=1, third_party_governance=True)
    fee = FLOW_KINDS.index("governance_fee")
    run_years(m, 4)
    farmed = m.villages.active()[m.villages.area[m.villages.active()] > 0]
    assert farmed.size and m.villages.audited[farmed].all()
    assert m.ledger.totals[4][fee] > 0
    assert governance.books_fee(Levers()) == 0.0


def test_a_profitable_co_op_strengthens_its_branch_and_a_losing_one_weakens_it():
    """Results move strength: towards 1 after a profit, towards 0 after a loss."""
    a = Assumptions()
    s = np.array([0.5, 0.5, 0.5])
    change = branches.result_change(s, np.array([300.0, 0.0, -300.0]), a)
    assert change[0] > 0 and change[1] == 0 and change[2] < 0


def test_training_raises_strength_and_appraisal_replaces_losing_secretaries():
    """Training closes part of the gap to full strength; with appraisal on, a secretary whose
    co-op lost money is replaced, one whose co-op earned is kept."""
    s = np.array([0.2, 0.8])
    government.train_cadres(s, Levers(cadre_training=1.0), Assumptions(training_speed=0.5))
    assert s.tolist() == pytest.approx([0.6, 0.9])
    profit, active = np.array([-1.0, 5.0]), np.array([True, True])
    assert government.appraise_cadres(profit, active, Levers(cadre_appraisal=True)).tolist() == [
        True,
        False,
    ]
    assert not government.appraise_cadres(profit, active, Levers()).any()


def test_a_town_without_co_ops_draws_nothing_for_its_branches():
    """The branches' yearly update draws no random numbers where co-ops cannot exist, so the
    baseline town's results do not depend on it."""
    m = tiny_model(7)
    state = m.rng.bit_generator.state
    branches.update_branches(m.town, m.params, m.rng)
    assert m.rng.bit_generator.state == state


def test_the_value_adding_activity_earns_with_its_own_risk_and_wears_out():
    """A co-op with capital in its activity books a value added that varies from year to year
    (its own market risk), and its capital wears out unless reinvested."""
    m = tiny_model(
        8,
        coop_founding="all",
        founding_spread_years=1,
        value_adding=True,
        reserve_cap_per_mu=1e5,  # no reserve above its cap: nothing is reinvested
    )
    run_years(m, 2)
    active = m.villages.active()[m.villages.area[m.villages.active()] > 0]
    assert active.size
    m.villages.venture_capital[active] = 20_000.0
    incomes, capital = [], []
    for _ in range(4):
        m.step()
        incomes.append(m.villages.venture_income[active].copy())
        capital.append(m.villages.venture_capital[active].copy())
    incomes = np.array(incomes)
    assert (incomes != 0).sum() >= 3 and np.unique(incomes[incomes != 0]).size >= 3
    wear = 1.0 - m.params.assumptions.venture_depreciation
    assert np.allclose(capital[0], 20_000.0 * wear)
    still = np.isin(active, m.villages.active())  # a co-op that failed meanwhile books nothing
    assert still.any()
    assert np.allclose(capital[-1][still], 20_000.0 * wear**4)
