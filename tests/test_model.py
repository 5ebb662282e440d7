"""Construction, seeding, outcomes and the year's mechanics of LandModel."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from landsim import LandModel, Params, cooperatives, demography
from landsim.cooperatives import appraise
from landsim.params import Event, params_from_flat
from landsim.runner import RunSpec, replicate_seeds, run
from landsim.sharing import make_rule
from landsim.villages import ACTIVE, EMPTY_SHELL
from landsim.world import COLLECTIVE, COOP, HOUSEHOLD_LEASE, IDLE
from tests.helpers import TINY, run_years, tiny_model

REQUIRED_COLUMNS = [
    "abandonment_rate",
    "transfer_rate_hilly",
    "transfer_rate_flat",
    "lease_rent_flat",
    "lease_rent_hilly",
    "collective_land_share",
    "collective_income_per_mu",
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
    "coop_profit_per_mu",
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
    """A default-size 30-year run yields one row per year, the initial state (year 0) first,
    with all required columns."""
    df = run_years(LandModel(rng=11), 30).outcomes()
    assert len(df) == 31 and df["year"].tolist() == list(range(0, 31))
    missing = [c for c in REQUIRED_COLUMNS if c not in df]
    assert not missing
    from landsim.metrics import FLOW_METRICS

    flows = [c for c in REQUIRED_COLUMNS if c in FLOW_METRICS]
    assert flows and df.loc[0, flows].isna().all()  # no money has flowed in year 0: undefined
    assert df[REQUIRED_COLUMNS].iloc[1:].notna().all().all()
    assert df.loc[0, [c for c in REQUIRED_COLUMNS if c not in flows]].notna().all()


def test_defaults_are_the_baseline_town():
    """Params() builds the town of scenarios/baseline.toml: no coops, no firm."""
    from landsim.scenario import load_scenario

    base = load_scenario(Path(__file__).resolve().parents[1] / "scenarios" / "baseline.toml")
    ours, theirs = Params().model_dump(), base.params.model_dump()
    for section in ("world", "assumptions", "levers"):
        assert ours[section] == theirs[section], section
    assert Params().levers.coop_founding == "none" and not Params().levers.firm_enabled


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


def test_dead_households_land_goes_to_an_heir_or_the_collective():
    """When every member dies, the plots go to the closest living kin household (the heir),
    or to the collective when there is none. No new households form here: they would take
    collective land first, the lonely household's plots among it."""
    m = tiny_model(4, household_formation_rate=0.0, mobile_land_share=1.0)
    pop, kin = m.population, m.kin
    with_kin = int(kin.src[0])
    heir = int(kin.closest(np.array([with_kin]), pop.hh_alive)[0])
    lonely = next(h for h in range(40) if h not in set(kin.src.tolist()) and h != heir)
    mine_kin = m.plots.holder == with_kin
    mine_lonely = m.plots.holder == lonely
    pop.m_alive[np.isin(pop.m_hh, [with_kin, lonely])] = False
    demography.run_year(m.town, m.params, m.rng)
    assert not pop.hh_alive[[with_kin, lonely]].any()
    assert (m.plots.holder[mine_kin] == heir).all()
    assert (m.plots.holder[mine_lonely] == COLLECTIVE).all()


def test_the_collective_contracts_out_land_beyond_its_mobile_reserve():
    """Land returning to the collective beyond mobile_land_share of the village's land is
    contracted out again to living households of the village (RLCL 2002 Art. 63)."""
    m = tiny_model(4, household_formation_rate=0.0)
    pop = m.population
    gone = np.flatnonzero(pop.hh_alive)[:8]
    pop.m_alive[np.isin(pop.m_hh, gone)] = False
    demography.run_year(m.town, m.params, m.rng)
    p = m.plots
    share = m.params.levers.mobile_land_share
    per_v = np.bincount(p.village, minlength=m.params.world.n_villages)
    held = np.bincount(p.village[p.holder == COLLECTIVE], minlength=per_v.size)
    assert (held <= np.floor(share * per_v)).all()
    assert pop.hh_alive[p.holder[p.holder >= 0]].all()


def test_new_households_form_and_take_part_of_the_land():
    """Grown children found households of their own, tied to their parents as kin, and hold
    contract plots."""
    m = run_years(tiny_model(2, household_formation_rate=0.5), 3)
    pop = m.population
    new = np.flatnonzero(pop.hh_alive & (np.arange(pop.n_households) >= 40))
    assert new.size > 0
    holds = np.bincount(m.plots.holder[m.plots.holder >= 0], minlength=pop.n_households)
    assert (holds[new] > 0).any()
    assert np.isin(new, m.kin.src).all(), "a new household is tied to its parents"
    assert all(int(h) in m.households for h in new)


def test_abandoned_land_is_land_released_that_nobody_took():
    """Every idle plot held by a household was released this year and placed nowhere: idle
    land is a market residual, not a choice."""
    m = run_years(tiny_model(3, hilly_share=0.6), 4)
    p = m.plots
    idle_held = (p.kind == IDLE) & (p.holder >= 0)
    assert idle_held.any()
    assert m.plots.released[idle_held].all()


def test_rent_free_leases_go_to_kin():
    """A rent-free household lease links a holder and a lessee with a kin tie, or is a hilly
    plot that a lone bidder took at its holder's zero reserve (nobody else wanted it)."""
    m = run_years(tiny_model(5), 4)
    p = m.plots
    signed = (p.kind == HOUSEHOLD_LEASE) & (p.lease_start == m.year)
    free = np.flatnonzero(signed & (p.rent == 0) & (p.holder >= 0))
    assert free.size > 0
    ties = set(zip(m.kin.src.tolist(), m.kin.dst.tolist(), strict=True))
    kin = np.array([(int(p.holder[i]), int(p.operator[i])) in ties for i in free])
    assert (kin == (p.closeness[free] > 0)).all()
    assert p.hilly[free[~kin]].all()
    assert kin.mean() > 0.9


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
        assert coop.status == "empty_shell" and not coop.active
        assert not ((m.plots.kind == COOP) & (m.plots.operator == coop.village)).any()


def test_a_coop_whose_members_stop_taking_part_becomes_an_empty_shell():
    """From its third year a co-op needs members who take part, not just members on its books:
    the same solvent co-op survives the review while its members engage and becomes an empty
    shell when none do."""
    m = run_years(tiny_model(3, coop_founding="all"), 5)
    vil = m.villages
    v = int(vil.active()[np.argmin(vil.founded[vil.active()])])
    assert m.year - vil.founded[v] >= 2
    assert vil.insolvent_years[v] == 0 and vil.members[v] > 0
    vil.engaged_share[v] = 1.0
    cooperatives.review(m.town, m.params, m.year)
    assert vil.status[v] == ACTIVE
    vil.engaged_share[v] = 0.0
    cooperatives.review(m.town, m.params, m.year)
    assert vil.status[v] == EMPTY_SHELL


def test_a_stronger_branch_appraises_a_coop_as_more_profitable():
    """The mechanism behind pattern 8: on the same land, a stronger branch brings better
    management (lower overhead and leakage, a wider span), so its appraisal is higher; the
    founding decision compares the appraisal with a hurdle and never reads strength itself."""
    rng = np.random.default_rng(0)
    hilly = rng.random(200) < 0.3
    quality = rng.normal(1.0, 0.1, 200)
    p = Params()
    rule = make_rule(p.levers)
    weak, strong = (
        appraise(hilly, quality, 500.0, 1.0, s, rule, p.assumptions, p.levers, None)
        for s in (0.2, 0.8)
    )
    assert strong.profit > weak.profit and strong.area >= weak.area


def test_coop_pools_contiguous_land():
    """Pooled coop land forms larger patches than household farming (mean patch size)."""
    base = run_years(tiny_model(5, coop_founding="none"), 5).outcomes()["mean_patch_size"]
    coop = tiny_model(5, coop_founding="all", founding_spread_years=1, subsidy_per_mu=300.0)
    coop = run_years(coop, 5).outcomes()
    assert coop["coop_land_share"].iloc[-1] > 0.05  # the co-ops took land
    assert coop["mean_patch_size"].iloc[-1] > base.iloc[-1]


# ---------------------------------------------------------------------- Mesa conventions
def test_running_turns_false_at_the_horizon():
    """``running`` stays True until the scenario's last year is simulated, so run_model()
    returns after exactly ``run.years`` steps."""
    m = tiny_model(3, years=4)
    assert m.running
    run_years(m, 3)
    assert m.running
    m.step()
    assert not m.running
    m = tiny_model(3, years=5)
    m.run_model()
    assert m.year == 5 and m.outcomes()["year"].tolist() == [0, 1, 2, 3, 4, 5]


def test_batch_run_without_max_steps_stops_at_the_horizon():
    """mesa.batch_run without max_steps stops every run at the horizon and reports Step 0
    (the initial state) to the last year."""
    import mesa

    rows = mesa.batch_run(
        LandModel,
        parameters={**TINY, "years": 3, "audit_rate": [0.0, 0.5]},
        number_processes=1,
        data_collection_period=1,
        display_progress=False,
        rng=[1],
    )
    df = pd.DataFrame(rows)
    assert sorted(df.groupby("RunId")["Step"].max().unique()) == [3]
    assert sorted(df["Step"].unique()) == [0, 1, 2, 3]


def test_year_zero_is_the_initial_state_before_any_money_flows():
    """Row 0 of the outcomes is the land use before the first season, with no income yet:
    the year's money flows are missing (undefined), not 0."""
    m = tiny_model(4)
    df = m.outcomes()
    assert df["year"].tolist() == [0]
    assert np.isnan(df.loc[0, "household_income_mean"]) and np.isnan(df.loc[0, "output_value"])
    assert 0.0 <= df.loc[0, "abandonment_rate"] < 1.0
    m.step()
    assert m.outcomes().loc[1, "output_value"] > 0


@pytest.mark.parametrize("seed", ["42", " 42 ", 42.0, np.int64(42)])
def test_rng_accepts_what_mesa_inputs_pass(seed):
    """A seed typed into SolaraViz (a string) or given as a whole float builds the same town
    as the integer seed."""
    a = tiny_model(seed).plots.holder
    b = tiny_model(42).plots.holder
    assert np.array_equal(a, b)


def test_rng_rejects_a_seed_that_is_not_a_whole_number():
    """A seed box holding text that is not a whole number is an error naming the value."""
    with pytest.raises(ValueError, match="rng must be a whole number.*'forty'"):
        tiny_model("forty")


def test_reset_with_a_mesa_scenario_holding_a_string_seed():
    """SolaraViz's Reset passes a Mesa Scenario whose rng is the text of the seed box."""
    from mesa.experimental.scenarios import Scenario

    m = LandModel(scenario=Scenario(rng="7"), **TINY)
    assert np.array_equal(m.plots.holder, tiny_model(7).plots.holder)


def test_grid_layers_show_the_plot_state():
    """The Mesa grid's property layers hold who farms, terrain, holder age and trust, cell
    (x, y) being the plot in column x, row height-1-y, and follow the model every step."""
    from landsim.views import LAYERS

    m = tiny_model(5, coop_founding="all")
    grid = m.grid
    assert (grid.width, grid.height) == (20, 10)
    p = m.plots
    for name in LAYERS:
        layer = getattr(grid, name)
        assert layer.data.shape == (20, 10)
    plot = 3 * 20 + 7  # row 3, column 7
    assert grid.terrain.data[7, 10 - 1 - 3] == int(p.hilly[plot])
    m.step()
    assert grid.farmed_by.data[7, 6] == p.kind[plot]
    assert np.array_equal(np.sort(grid.farmed_by.data.ravel()), np.sort(p.kind))


def test_a_run_that_never_asks_for_agents_builds_none():
    """Households, co-ops, the firm and the government are Mesa agents only once something
    asks for agents: a run that never does builds none (a county pays nothing for them)."""
    m = run_years(tiny_model(3, coop_founding="all"), 3)
    assert m._views.households == {} and m._views.coops == {} and m._views.firm is None
    assert len(m.agents) == int(m.population.hh_alive.sum()) + len(m.coops) + 2


def test_agent_reporters_read_each_household_from_the_arrays():
    """A DataCollector's household reporters see every living household each year, with the
    values of the population arrays; households that form get an agent, the dead lose theirs."""
    import mesa

    from landsim.views import Cooperative, Household

    m = tiny_model(
        2,
        coop_founding="all",
        founding_spread_years=1,
        household_formation_rate=0.3,
        mortality_multiplier=3.0,
    )
    dc = mesa.DataCollector(
        agenttype_reporters={
            Household: {"household": "index", "trust": "trust"},
            Cooperative: {"village": "village", "area": "area"},
        }
    )
    for _ in range(4):
        m.step()
        dc.collect(m)
        pop = m.population
        df = dc.get_agenttype_vars_dataframe(Household).loc[float(m.year)]
        assert sorted(df["household"]) == np.flatnonzero(pop.hh_alive).tolist()
        assert np.array_equal(df.sort_values("household")["trust"], pop.trust[pop.hh_alive])
        coops = dc.get_agenttype_vars_dataframe(Cooperative).loc[float(m.year)]
        assert np.array_equal(coops.sort_values("village")["area"], m.villages.area[:2])
    assert (m.population.hh_formed & ~m.population.hh_alive).any(), "some died out"
    assert m.population.hh_formed[40:].any(), "some formed"


def test_plot_values_are_the_values_the_decision_weighs():
    """``land_use.plot_values`` gives each free plot the values its holder decides on: a plot
    is kept exactly where farming it is worth at least every channel and leaving it idle."""
    from landsim import land_use

    m = run_years(tiny_model(3, coop_founding="all", firm_enabled=True), 2)
    values = land_use.plot_values(m.town, m.params)
    use = land_use.decide(m.town, m.params, land_use.FarmOrder(), np.random.default_rng(0))
    assert np.array_equal(values.plot, use.plots)
    best = np.maximum.reduce([values.lease, values.coop, values.custody, values.idle])
    assert np.array_equal(use.choices.keep, np.isfinite(values.own) & (values.own >= best))
    assert np.allclose(use.choices.own_value, values.own)


def test_machines_cut_the_days_a_mu_needs_each_year_from_the_value_in_effect():
    """``labour_saving_flat`` / ``_hilly``: each year the own and lessees' days a mu needs fall
    by the rate, compounding, from whatever value is in effect; with both 0 nothing changes."""
    from landsim.farming import advance_technology
    from landsim.scenario import set_key

    m = run_years(tiny_model(labour_saving_flat=0.03, labour_saving_hilly=0.01), 3)
    a = m.params.assumptions
    assert a.labour_days_flat == pytest.approx(10 * 0.97**3)
    assert a.lease_labour_days_flat == pytest.approx(3 * 0.97**3)
    assert a.labour_days_hilly == pytest.approx(13 * 0.99**3)
    assert a.lease_labour_days_hilly == pytest.approx(13 * 0.99**3)
    set_by_timeline = set_key(m.params, "assumptions.labour_days_flat", 8.0)
    assert advance_technology(set_by_timeline).assumptions.labour_days_flat == pytest.approx(7.76)
    still = set_key(set_key(Params(), "assumptions.labour_saving_flat", 0.0),
                    "assumptions.labour_saving_hilly", 0.0)  # fmt: skip
    assert advance_technology(still) is still
    m = run_years(tiny_model(labour_saving_flat=0.0, labour_saving_hilly=0.0), 3)
    assert m.params.assumptions.labour_days_flat == 10


def test_machines_that_save_days_keep_more_hills_farmed_as_the_town_ages():
    """Over 15 years of an aging town, hills are abandoned when their holders' days run out;
    machines that cut the days a mu needs (4 % a year on flat land, 2 % on hills) leave fewer
    hills idle at year 15 (paired seeds, 95 % interval below 0)."""
    from landsim.scenario import load_scenario, set_key

    saving = load_scenario("baseline").params
    base = set_key(set_key(saving, "assumptions.labour_saving_flat", 0.0),
                   "assumptions.labour_saving_hilly", 0.0)  # fmt: skip
    saving = set_key(set_key(saving, "assumptions.labour_saving_flat", 0.04),
                     "assumptions.labour_saving_hilly", 0.02)  # fmt: skip
    seeds = replicate_seeds(31, 8)
    idle = {}
    for name, params in (("none", base), ("machines", saving)):
        data = params.model_dump(mode="json")
        runs = [run(RunSpec(params=data, seed=s, years=15)) for s in seeds]
        idle[name] = np.array([r.abandonment_rate_hilly.iloc[-1] for r in runs])
    d = idle["machines"] - idle["none"]
    assert d.mean() + 1.96 * d.std(ddof=1) / np.sqrt(d.size) < 0
