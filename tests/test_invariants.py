"""Invariants that must hold after every step, over many seeds and parameter draws."""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from landsim.cooperative import ACTIVE
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
        assert coop.status == ACTIVE or (p.lease_end[mine] == year).all()
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
    # rent-free household leases signed this year are loans between kin (an heir keeps the
    # loans of the household it inherits from)
    free = np.flatnonzero(hl & (p.rent == 0) & (p.holder >= 0) & (p.lease_start == year))
    ties = set(zip(m.kin.src.tolist(), m.kin.dst.tolist(), strict=True))
    assert all((int(p.holder[i]), int(p.operator[i])) in ties for i in free)
    # collective land is held by nobody, and idle held land was released this year
    assert ((p.holder == COLLECTIVE) == (p.holder < 0)).all()
    if year > 0:
        assert m.released[(p.kind == IDLE) & (p.holder >= 0)].all()
    # money: nothing is created or destroyed (closing the books also re-derives balances)
    assert int(m.ledger.balance.sum()) == 0


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**32 - 1),
    rule=st.sampled_from(
        ["fixed_rent", "guaranteed_dividend", "shareholding", "guaranteed_rebate"]
    ),
    founding=st.sampled_from(["none", "endogenous", "all"]),
    firm=st.booleans(),
    hilly=st.floats(0.0, 1.0),
    audit=st.floats(0.0, 1.0),
    member=st.floats(0.0, 1.0),
    reserve_part=st.floats(0.0, 1.0),
    subsidy=st.floats(0.0, 500.0),
    migration=st.floats(0.0, 0.3),
    mortality=st.floats(0.5, 3.0),
)
def test_invariants_hold_after_every_step(
    seed, rule, founding, firm, hilly, audit, member, reserve_part, subsidy, migration, mortality
):
    """Plots, leases, ledger and population stay consistent every year, whatever the inputs."""
    reserve = (1.0 - member) * reserve_part
    m = tiny_model(
        seed,
        benefit_rule=rule,
        coop_founding=founding,
        firm_enabled=firm,
        hilly_share=hilly,
        audit_rate=audit,
        member_share=member,
        reserve_share=reserve,
        collective_share=1.0 - member - reserve,
        subsidy_per_mu=subsidy,
        migration_rate=migration,
        mortality_multiplier=mortality,
    )
    check_invariants(m)
    for _ in range(8):
        m.step()  # the ledger's close_year raises if the books do not close exactly
        check_invariants(m)
    df = m.outcomes()
    assert ((df[SHARE_COLUMNS] >= 0) & (df[SHARE_COLUMNS] <= 1)).all().all()
    assert np.isfinite(df.drop(columns=["year"]).to_numpy(dtype=float)).all()
