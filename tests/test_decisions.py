"""Handing people's decisions to the model for one step (landsim.decisions)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import run_years, tiny_model

from landsim.decisions import (
    BranchChoice,
    DecisionError,
    Decisions,
    field_days_needed,
    free_plots,
)
from landsim.world import COOP, OWN


def _household_with_plots(m, n=2):
    """A living household with at least ``n`` free plots and a resident under 60."""
    pop = m.population
    for h in range(pop.n_households):
        sel = (pop.m_hh == h) & pop.m_alive & ~pop.m_away
        if pop.hh_alive[h] and free_plots(m, h).size >= n and (pop.m_age[sel] < 60).any():
            return h
    raise AssertionError("no such household in the tiny town")


def test_no_decisions_and_empty_decisions_give_identical_runs():
    """step(decisions=None) and step(Decisions()) give bit-identical outcomes and land use."""
    a = tiny_model(3, coop_founding="all", firm_enabled=True)
    b = tiny_model(3, coop_founding="all", firm_enabled=True)
    for _ in range(5):
        a.step()
        b.step(decisions=Decisions())
    pd.testing.assert_frame_equal(a.outcomes(), b.outcomes())
    assert np.array_equal(a.plots.kind, b.plots.kind)
    assert np.array_equal(a.plots.operator, b.plots.operator)
    assert b.decision_log().empty


def test_a_household_that_releases_every_plot_farms_none_of_them():
    """A household that releases all its free plots farms none of its own land that year."""
    m = run_years(tiny_model(4), 1)
    h = _household_with_plots(m)
    mine = free_plots(m, h)
    m.step(decisions=Decisions(plots={h: {int(p): "lease" for p in mine}}))
    p = m.plots
    assert not ((p.kind[mine] == OWN) & (p.operator[mine] == h)).any()


def test_a_household_that_keeps_plots_farms_them():
    """Plots a household keeps within its labour are farmed by it."""
    m = run_years(tiny_model(4), 1)
    h = _household_with_plots(m, 1)
    plot = int(free_plots(m, h)[0])
    m.step(decisions=Decisions(plots={h: {plot: "keep"}}))
    assert m.plots.kind[plot] == OWN and m.plots.operator[plot] == h


def test_a_branch_secretary_founds_a_coop_with_their_rule():
    """A secretary's founding and benefit rule make the village's coop, even where the
    scenario founds none, and the coop pays their guaranteed rent."""
    m = tiny_model(5, coop_founding="none")
    choice = BranchChoice(found=True, benefit_rule="fixed_rent", fixed_rent=650, member_share=0.6)
    m.step(decisions=Decisions(branches={1: choice}))
    assert set(m.coops) == {1}
    coop = m.coops[1]
    assert coop.rule.name == "fixed_rent" and coop.base_rate == 650
    assert coop.terms.member_share == 0.6
    assert coop.terms.reserve_share + coop.terms.collective_share == pytest.approx(0.4)
    m.step(decisions=Decisions(branches={1: BranchChoice(benefit_rule="shareholding")}))
    assert m.coops[1].rule.name == "shareholding"


def test_a_branch_that_declines_founds_no_coop():
    """found=False keeps a village without a coop even when every branch would found one."""
    m = tiny_model(5, coop_founding="all", founding_spread_years=1)
    m.step(decisions=Decisions(branches={0: BranchChoice(found=False)}))
    assert 0 not in m.coops and 1 in m.coops


def test_government_levers_change_for_the_year_and_after():
    """The government's subsidy and audit rate replace the levers from that year on."""
    m = tiny_model(5)
    m.step(decisions=Decisions(government={"audit_rate": 0.4, "subsidy_years": 5}))
    assert m.params.levers.audit_rate == 0.4 and m.params.levers.subsidy_years == 5
    m.step()
    assert m.params.levers.audit_rate == 0.4


def test_members_who_decide_engage_or_stay_away():
    """Members' own engagement choices replace the drawn engagement."""
    m = run_years(tiny_model(6, coop_founding="all"), 3)
    members = np.flatnonzero(m.member_mask())
    assert members.size >= 2
    yes, no = int(members[0]), int(members[1])
    m.step(decisions=Decisions(engage={yes: True, no: False}))
    if m.member_mask()[yes]:
        assert m.population.engaged[yes]
    assert not m.population.engaged[no]


@pytest.mark.parametrize(
    ("decisions", "message"),
    [
        (lambda m, h, o: Decisions(plots={h: {o: "lease"}}), "not a plot of household"),
        (lambda m, h, o: Decisions(plots={h: {int(free_plots(m, h)[0]): "sell"}}), "one of"),
        (lambda m, h, o: Decisions(plots={h: {int(free_plots(m, h)[0]): "coop"}}), "not open"),
        (lambda m, h, o: Decisions(plots={10_000: {}}), "does not exist"),
        (lambda m, h, o: Decisions(engage={h: "yes"}), "true or false"),
        (lambda m, h, o: Decisions(government={"audit_rate": float("nan")}), "between 0 and 1"),
        (lambda m, h, o: Decisions(government={"startup_grant": 1}), "government sets"),
        (lambda m, h, o: Decisions(branches={9: BranchChoice()}), "village must be"),
        (
            lambda m, h, o: Decisions(branches={0: BranchChoice(guaranteed_rent=5000)}),
            "guaranteed_rent must be between",
        ),
    ],
)
def test_decisions_that_break_a_rule_are_rejected_and_change_nothing(decisions, message):
    """A forged or out-of-range decision raises DecisionError and the year does not run."""
    m = run_years(tiny_model(4), 1)
    h = _household_with_plots(m)
    other = int(np.flatnonzero((m.plots.holder >= 0) & (m.plots.holder != h))[0])
    with pytest.raises(DecisionError, match=message):
        m.step(decisions=decisions(m, h, other))
    assert m.year == 1


def test_keeping_more_than_labour_allows_is_rejected():
    """A household may keep only as many plots as its field days can farm."""
    m = run_years(tiny_model(4, farm_days_per_worker=25), 1)  # short of days: labour binds
    days = m.field_days()
    for h in range(m.population.n_households):
        mine = free_plots(m, h)
        if m.population.hh_alive[h] and days[h] < field_days_needed(m, mine):
            break
    else:
        pytest.skip("every household in the tiny town has field days")
    with pytest.raises(DecisionError, match="field days"):
        m.step(decisions=Decisions(plots={h: {int(p): "keep" for p in mine}}))


def test_decision_log_lists_who_decided_what_each_year():
    """The log has one row per decision, with the year it applied to and the student's name."""
    m = run_years(tiny_model(4, coop_founding="all"), 1)
    h = _household_with_plots(m)
    plot = int(free_plots(m, h)[0])
    d = Decisions(plots={h: {plot: "lease"}}, who={("household", h): "Li"})
    m.step(decisions=d)
    m.step(decisions=Decisions(government={"audit_rate": 0.2}))
    log = m.decision_log()
    assert log[["year", "role", "who", "what", "value"]].values.tolist() == [
        [2, "household", "Li", f"plot {plot}", "lease"],
        [3, "government", "0", "audit_rate", "0.2"],
    ]


def test_twenty_households_that_refuse_the_coop_put_no_land_in_it():
    """A researcher's policy: twenty households keep what they can and lease the rest, every
    year; none of their land goes to the coop."""
    m = tiny_model(8, coop_founding="all")
    chosen = [h for h in range(m.population.n_households) if m.population.hh_alive[h]][:20]
    for _ in range(4):
        plots = {}
        for h in chosen:
            if m.population.hh_alive[h]:
                plots[h] = {int(p): "lease" for p in free_plots(m, h)}
        m.step(decisions=Decisions(plots=plots))
    p = m.plots
    assert not ((p.kind == COOP) & np.isin(p.holder, chosen)).any()


def test_a_plot_whose_lease_has_run_out_is_decided_by_its_holder():
    """A lease whose last season was the year just closed gives the plot back before the next
    decision: its holder decides on it (and the choice is applied); a running lease binds."""
    m = run_years(tiny_model(8), 3)
    p = m.plots
    ending = np.flatnonzero((p.holder >= 0) & p.leased() & (p.lease_end == m.year))
    running = np.flatnonzero((p.holder >= 0) & p.leased() & (p.lease_end > m.year))
    assert ending.size and running.size
    plot = int(ending[0])
    h = int(p.holder[plot])
    assert plot in free_plots(m, h)
    assert not set(running[p.holder[running] == h].tolist()) & set(free_plots(m, h).tolist())
    m.step(decisions=Decisions(plots={h: {plot: "lease"}}))
    assert p.operator[plot] != h  # released as decided, not farmed by its holder
