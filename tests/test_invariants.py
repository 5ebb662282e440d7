"""Invariants that must hold after every step, over many seeds and parameter draws."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landsim.metrics import METRICS
from landsim.world import COLLECTIVE, COOP, CUSTODY, HOUSEHOLD_LEASE, IDLE, NOBODY, OWN
from tests.helpers import tiny_model

SHARE_COLUMNS = [c for c in METRICS if c.endswith(("_rate", "_share"))]


def check_invariants(m) -> None:
    """Assert every invariant of the model's current state."""
    p, pop = m.plots, m.population
    year = m.year
    # one contract holder per plot: a living household or the collective
    assert ((p.holder == COLLECTIVE) | (p.holder >= 0)).all()
    held = p.holder >= 0
    assert pop.hh_alive[p.holder[held]].all(), "a dead household still holds contract rights"
    # at most one operator, consistent with the operator kind
    assert np.isin(p.kind, [IDLE, OWN, HOUSEHOLD_LEASE, COOP, CUSTODY]).all()
    assert (p.operator[p.kind == IDLE] == NOBODY).all()
    own = p.kind == OWN
    assert (p.operator[own] == p.holder[own]).all() and (p.holder[own] >= 0).all()
    hl = p.kind == HOUSEHOLD_LEASE
    assert pop.hh_alive[p.operator[hl]].all(), "a dead household operates land"
    assert (p.operator[hl] != p.holder[hl]).all(), "a household leases its own plot"
    cu = p.kind == CUSTODY
    assert (p.holder[cu] >= 0).all() and m.params.levers.firm_enabled or not cu.any()
    co = p.kind == COOP
    for v in np.unique(p.operator[co]):
        coop = m.coops[int(v)]
        mine = co & (p.operator == v)
        # an empty shell only keeps land until the end of the season it failed in
        assert coop.active or (p.lease_end[mine] == year).all()
        assert (p.village[mine] == v).all(), "a coop operates land outside its village"
    # leases: exactly the household-lease and coop plots, running this year, rent >= 0
    leased = p.lease_end >= 0
    assert (leased == (hl | co)).all()
    assert (p.lease_start[leased] <= year).all() and (p.lease_end[leased] >= year).all()
    assert (p.rent >= 0).all()
    # ages and counts stay sane
    alive = pop.m_alive
    assert (pop.m_age[alive] >= 0).all() and (pop.m_age[alive] <= 130).all()
    assert (
        pop.hh_alive.sum() == (np.bincount(pop.m_hh[alive], minlength=pop.n_households) > 0).sum()
    )
    assert sorted(m.households) == np.flatnonzero(pop.hh_alive).tolist()
    assert (pop.hh_formed >= pop.hh_alive).all(), "a living household in an unused slot"
    # kin ties join households that exist or existed
    assert pop.hh_formed[m.kin.src].all() and pop.hh_formed[m.kin.dst].all()
    # loans to kin signed this year join kin (an heir keeps the loans of the household it
    # inherits from); a rent-free lease without a tie is a plot nobody else bid for, taken at
    # its holder's zero reserve
    loans = np.flatnonzero(hl & (p.closeness > 0) & (p.holder >= 0) & (p.lease_start == year))
    ties = set(zip(m.kin.src.tolist(), m.kin.dst.tolist(), strict=True))
    assert all((int(p.holder[i]), int(p.operator[i])) in ties for i in loans)
    assert (p.rent[hl & (p.closeness > 0)] == 0).all(), "a loan to kin pays rent"
    # collective land is held by nobody, and idle held land was released this year
    assert ((p.holder == COLLECTIVE) == (p.holder < 0)).all()
    if year > 0:
        assert m.plots.released[(p.kind == IDLE) & (p.holder >= 0)].all()
    # money: nothing is created or destroyed (closing the books also re-derives balances)
    assert int(m.ledger.balance.sum()) == 0


def check_year(m, before: dict[str, np.ndarray]) -> None:
    """Assert what must hold between the state ``before`` a year and after it: the land of
    households that died out went to kin (heirs), to the collective, or to a household
    founded this year, or, contracted out again by the collective beyond its mobile reserve, to
    a household of the village; new households are tied to their parents; ties stay
    symmetric."""
    p, pop, kin = m.plots, m.population, m.kin
    died = before["hh_alive"] & ~pop.hh_alive
    was_held = before["holder"] >= 0
    inherited = np.flatnonzero(was_held & died[np.maximum(before["holder"], 0)])
    ties = set(zip(kin.src.tolist(), kin.dst.tolist(), strict=True))
    new = pop.hh_formed & ~before["hh_formed"]
    # the collective contracts out again what it holds beyond its mobile reserve, within the
    # village (RLCL 2002 Art. 63)
    n_v = m.params.world.n_villages
    reserve = np.floor(m.params.levers.mobile_land_share * np.bincount(p.village, minlength=n_v))
    at_reserve = np.bincount(p.village[p.holder == COLLECTIVE], minlength=n_v) <= reserve
    for i in inherited:
        dead, heir = int(before["holder"][i]), int(p.holder[i])
        relet = heir >= 0 and pop.hh_village[heir] == p.village[i] and at_reserve[p.village[i]]
        assert heir == COLLECTIVE or (dead, heir) in ties or new[heir] or relet, (
            f"plot {i} of dead household {dead} went to {heir}, neither kin nor collective"
        )
    # a household founded this year lives in its parents' village, tied to them at closeness 1
    for child in np.flatnonzero(new):
        parents = kin.src[(kin.dst == child) & (kin.closeness == 1.0)]
        assert parents.size, f"new household {child} has no tie to its parents"
        assert (pop.hh_village[parents] == pop.hh_village[child]).any()
    # kin ties: both directions with the same closeness, in 0-1, never to oneself
    fwd = sorted(zip(kin.src.tolist(), kin.dst.tolist(), kin.closeness.tolist(), strict=True))
    back = sorted(zip(kin.dst.tolist(), kin.src.tolist(), kin.closeness.tolist(), strict=True))
    assert fwd == back
    assert ((kin.closeness >= 0) & (kin.closeness <= 1)).all() and (kin.src != kin.dst).all()
    # collective land is let (to households or the coop) or idle, never own-farmed or in custody
    coll = p.holder == COLLECTIVE
    assert np.isin(p.kind[coll], [IDLE, HOUSEHOLD_LEASE, COOP]).all()
    # members belong to used slots; the books keep every slot's account
    assert pop.hh_formed[pop.m_hh].all()
    assert m.ledger.balance.size == m.accounts.size


def snapshot(m) -> dict[str, np.ndarray]:
    """The state :func:`check_year` compares against after the next year."""
    pop = m.population
    return {
        "holder": m.plots.holder.copy(),
        "hh_alive": pop.hh_alive.copy(),
        "hh_formed": pop.hh_formed.copy(),
    }


#: examples per run: many small random towns, a few years each (about a minute on one core)
EXAMPLES = 500
YEARS = 6


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    rule=st.sampled_from(
        ["fixed_rent", "guaranteed_dividend", "shareholding", "guaranteed_rebate"]
    ),
    founding=st.sampled_from(["none", "endogenous", "all"]),
    founding_rate=st.floats(0.0, 1.0),
    firm=st.booleans(),
    firm_capacity=st.floats(0.0, 1.0),
    hilly=st.floats(0.0, 1.0),
    audit=st.floats(0.0, 1.0),
    member=st.floats(0.0, 1.0),
    reserve_part=st.floats(0.0, 1.0),
    subsidy=st.floats(0.0, 500.0),
    migration=st.floats(0.0, 0.3),
    mortality=st.floats(0.5, 5.0),
    formation=st.floats(0.0, 1.0),
    births=st.floats(0.0, 0.5),
    split=st.floats(0.0, 1.0),
    kin_ties=st.floats(0.0, 8.0),
)
def test_invariants_hold_after_every_step(
    seed,
    rule,
    founding,
    founding_rate,
    firm,
    firm_capacity,
    hilly,
    audit,
    member,
    reserve_part,
    subsidy,
    migration,
    mortality,
    formation,
    births,
    split,
    kin_ties,
):
    """Plots, leases, ledger, population, heirs, kin and collective land stay consistent every
    year, whatever the inputs."""
    reserve = (1.0 - member) * reserve_part
    m = tiny_model(
        seed,
        benefit_rule=rule,
        coop_founding=founding,
        founding_rate=founding_rate,
        firm_enabled=firm,
        firm_capacity_initial=firm_capacity,
        hilly_share=hilly,
        audit_rate=audit,
        member_share=member,
        reserve_share=reserve,
        collective_share=1.0 - member - reserve,
        subsidy_per_mu=subsidy,
        migration_rate=migration,
        mortality_multiplier=mortality,
        household_formation_rate=formation,
        birth_rate=births,
        split_land_share=split,
        kin_ties_mean=kin_ties,
    )
    check_invariants(m)
    for _ in range(YEARS):
        before = snapshot(m)
        m.step()  # the ledger's close_year raises if the books do not close exactly
        check_invariants(m)
        check_year(m, before)
    df = m.outcomes()
    assert ((df[SHARE_COLUMNS] >= 0) & (df[SHARE_COLUMNS] <= 1)).all().all()
    from landsim.metrics import FLOW_METRICS

    assert df.loc[0, list(FLOW_METRICS)].isna().all()  # year 0: no money has flowed yet
    assert np.isfinite(df.drop(columns=["year", *FLOW_METRICS]).to_numpy(dtype=float)).all()
    assert np.isfinite(df.loc[1:, list(FLOW_METRICS)].to_numpy(dtype=float)).all()
