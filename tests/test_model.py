"""Construction, seeding, outcomes and the year's mechanics of LandModel."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from landsim import LandModel, Params
from landsim.cooperative import EMPTY_SHELL
from landsim.params import Event, params_from_flat
from landsim.runner import RunSpec, replicate_seeds, run
from landsim.world import COLLECTIVE, COOP, HOUSEHOLD_LEASE
from tests.helpers import TINY, run_years, tiny_model

REQUIRED_COLUMNS = [
    "abandonment_rate",
    "transfer_rate",
    "coop_land_share",
    "custody_land_share",
    "coop_member_share",
    "participation_rate",
    "household_income_mean",
    "household_income_65plus",
    "income_gini",
    "collective_income_mean",
    "coop_profit",
    "coop_leakage",
    "coops_active",
    "coops_empty_shell",
    "subsidy_dependence",
    "mean_patch_size",
    "output_value",
]


def test_same_seed_gives_identical_outcomes_bit_for_bit():
    """Two runs with the same seed and parameters produce identical DataFrames."""
    a = run_years(tiny_model(7, coop_founding="all", audit_rate=0.5), 6).outcomes()
    b = run_years(tiny_model(7, coop_founding="all", audit_rate=0.5), 6).outcomes()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_different_seeds_give_different_outcomes():
    """Another seed gives another history."""
    a = run_years(tiny_model(7), 4).outcomes()
    b = run_years(tiny_model(8), 4).outcomes()
    assert not a.equals(b)


def test_keyword_and_params_construction_agree():
    """LandModel(rng, **flat) equals LandModel(Params, rng) with the same values."""
    params = params_from_flat(**TINY, benefit_rule="fixed_rent")
    a = run_years(LandModel(params, rng=3), 3).outcomes()
    b = run_years(LandModel(rng=3, **TINY, benefit_rule="fixed_rent"), 3).outcomes()
    pd.testing.assert_frame_equal(a, b, check_exact=True)


def test_unknown_keyword_is_rejected():
    """A misspelt parameter is an error, not silently ignored."""
    with pytest.raises(TypeError, match="audit_rat"):
        LandModel(rng=1, audit_rat=0.3)


def test_runner_gives_the_same_numbers_as_the_model():
    """run(spec) is the model run with the spec's seed, tagged with the spec's labels."""
    params = params_from_flat(**TINY)
    seed = replicate_seeds(5, 2)[1]
    df = run(RunSpec(params.model_dump(mode="json"), seed, years=3, tags={"scenario": "x"}))
    direct = run_years(LandModel(params, rng=seed), 3).outcomes()
    assert (df["scenario"] == "x").all() and (df["seed"] == seed).all()
    pd.testing.assert_frame_equal(df[direct.columns], direct, check_exact=True)


def test_replicate_seeds_are_reproducible_and_distinct():
    """Seeds derive from the root seed only, and differ between replicates."""
    assert replicate_seeds(1, 5) == replicate_seeds(1, 5)
    assert len(set(replicate_seeds(1, 50))) == 50
    assert replicate_seeds(1, 3) != replicate_seeds(2, 3)


def test_default_run_reports_every_outcome_column_every_year():
    """A default-size 30-year run yields one row per year with all required columns."""
    df = run_years(LandModel(rng=11), 30).outcomes()
    assert len(df) == 30 and df["year"].tolist() == list(range(1, 31))
    missing = [c for c in REQUIRED_COLUMNS if c not in df]
    assert not missing
    assert df[REQUIRED_COLUMNS].notna().all().all()


def test_timeline_event_changes_a_lever_in_its_year():
    """'year 3: audits start' takes effect in year 3, not before."""
    params = params_from_flat(**TINY, coop_founding="all").model_copy(
        update={"timeline": [Event(year=3, set={"levers.audit_rate": 1.0})]}
    )
    params = Params.model_validate(params.model_dump())
    m = LandModel(params, rng=2)
    m.step()
    m.step()
    assert m.params.levers.audit_rate == 0.0
    m.step()
    assert m.params.levers.audit_rate == 1.0
    assert any(c.audited for c in m.active_coops())


def test_timeline_outside_the_run_is_rejected():
    """An event dated after the last year is a validation error naming the rule."""
    with pytest.raises(ValueError, match="after the last year"):
        Params(timeline=[Event(year=40, set={"levers.audit_rate": 0.2})])


def test_dead_households_return_contract_rights_to_the_collective():
    """When every member dies, the household's plots go to the collective."""
    m = tiny_model(4, mortality_multiplier=5.0)
    before = m.plots.holder.copy()
    run_years(m, 5)
    dead = np.flatnonzero(~m.population.hh_alive)
    assert dead.size > 0
    was_theirs = np.isin(before, dead)
    assert (m.plots.holder[was_theirs] == COLLECTIVE).all()


def test_expired_leases_return_plots_to_their_holders():
    """A lease ending in year t no longer binds the plot in year t+1."""
    m = run_years(tiny_model(6), 2)
    p = m.plots
    ending = np.flatnonzero((p.kind == HOUSEHOLD_LEASE) & (p.lease_end == m.year))
    assert ending.size > 0
    m.step()
    renewed = p.lease_start[ending] == m.year
    assert ((p.lease_end[ending] == -1) | renewed).all()


def test_households_are_mesa_agents_with_views_of_their_state():
    """Each household is a Mesa agent whose properties read the population arrays."""
    m = tiny_model(1)
    h = m.households[0]
    assert h in m.agents
    assert h.plots.size >= 1 and (m.plots.holder[h.plots] == 0).all()
    assert h.village == 0 and 0 <= h.trust <= 1 and h.ages.size >= 1


def test_empty_shell_stops_farming_and_returns_land():
    """A coop that becomes an empty shell farms nothing from the next year on."""
    m = tiny_model(
        3,
        coop_founding="all",
        transparency_base=0.0,
        transparency_slope=0.0,
        leakage_max=0.9,
        subsidy_per_mu=0.0,
        startup_grant=0.0,
    )
    run_years(m, 8)
    shells = m.empty_shells()
    assert shells, "an opaque coop losing most of its revenue should fail"
    for coop in shells:
        assert coop.status == EMPTY_SHELL
        assert not ((m.plots.kind == COOP) & (m.plots.operator == coop.village)).any()


def test_strong_villages_found_cooperatives_more_readily():
    """Pattern 8: over replicates, the share of villages with a coop rises with branch strength."""
    founded_strong = founded_weak = 0
    for seed in range(20):
        m = LandModel(
            rng=seed,
            **{**TINY, "villages_x": 4, "width": 40},
            branch_strength_sd=0.3,
            coop_founding="endogenous",
        )
        run_years(m, 3)
        strong = m.strength >= np.median(m.strength)
        has = np.array([v in m.coops for v in range(m.strength.size)])
        founded_strong += has[strong].sum()
        founded_weak += has[~strong].sum()
    assert founded_strong > 1.3 * founded_weak


def test_coop_pools_contiguous_land():
    """Pooled coop land forms larger patches than household farming (mean patch size)."""
    base = run_years(tiny_model(5, coop_founding="none"), 5).outcomes()["mean_patch_size"]
    coop = run_years(tiny_model(5, coop_founding="all"), 5).outcomes()["mean_patch_size"]
    assert coop.iloc[-1] > base.iloc[-1]
