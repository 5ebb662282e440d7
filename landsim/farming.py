"""Farming and household incomes: the harvest of the year and the money it moves.

Summary of rules (:func:`farm`):

* **Weather**: one town-wide yield shock a year, lognormal with mean 1 and sd
  ``yield_shock_sd`` (:func:`draw_shock`).
* **Own farming**: a holder farming its plot sells the harvest (``gross_revenue_per_mu`` x price
  index x quality x hill yield factor x shock) and pays the cash cost (hills cost
  ``hilly_cost_factor`` times more).
* **Household leases**: the lessee sells the harvest, pays cash costs at its scale
  (``scale_cost_cut`` off on flat land only: machines save little on hills) and the rent (to
  the holder, or to the village collective for its land), and hires day labour at
  the local day wage (:func:`landsim.labour.local_day_wage`) for leased land beyond its own
  field days.
* **Custody**: the holder keeps the harvest and pays the firm its price (hills at
  ``hilly_cost_factor`` times it); the firm hires villagers first
  (:mod:`landsim.services`).
* **Day labour** (:func:`labour_use`, :func:`landsim.labour.open_market`): each village's
  day-labour market sells the days its households offer against the local jobs and the days
  lessees hire; households are paid the local day wage for the days they sell, and only those.
* **Technology** (:func:`advance_technology`): at the start of each year the days a mu needs,
  own and lessees', fall by ``labour_saving_flat`` on flat land and ``labour_saving_hilly`` on
  hills (machines reach further: 2.5 % and 0.3 % a year in the baseline).
* **Other incomes**: migrants send ``remit_share`` of their wage for the months they work
  home; members 60 and older get the rural pension; contract holders receive the farmland
  subsidy (``farmland_subsidy_per_mu``; with ``farmland_subsidy_conditional`` only for land
  that is cultivated this year).

Co-ops farm their own pools afterwards (:func:`landsim.cooperatives.distribute`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from landsim import compiled, services
from landsim.farming_kernels import harvest, household_incomes, labour_days, subsidised_plots
from landsim.labour import HelperPool, household_labour, local_day_wage, open_market
from landsim.ledger import Post
from landsim.params import Assumptions, Params
from landsim.population import Population
from landsim.world import CUSTODY, HOUSEHOLD_LEASE, IDLE, OWN, Plots

if TYPE_CHECKING:
    from landsim.town import Town

__all__ = [
    "draw_shock",
    "advance_technology",
    "PlotFlows",
    "plot_flows",
    "plot_flows_reference",
    "labour_use",
    "labour_use_reference",
    "day_market",
    "farm",
    "other_incomes",
    "incomes_reference",
    "farmland_subsidy",
    "subsidised_reference",
]


#: the days a mu needs that machines cut each year, and the rate that cuts them
SAVED_DAYS = {
    "labour_days_flat": "labour_saving_flat",
    "lease_labour_days_flat": "labour_saving_flat",
    "labour_days_hilly": "labour_saving_hilly",
    "lease_labour_days_hilly": "labour_saving_hilly",
}


def advance_technology(params: Params) -> Params:
    """The parameters of a new year in which machines have reached further: each of
    :data:`SAVED_DAYS` times ``1 - `` its rate (``params`` itself when both rates are 0). The
    trend goes on from whatever value is in effect, so a timeline that sets a labour need sets
    the level the trend continues from."""
    a = params.assumptions
    if not (a.labour_saving_flat or a.labour_saving_hilly):
        return params
    days = {k: getattr(a, k) * (1.0 - getattr(a, rate)) for k, rate in SAVED_DAYS.items()}
    return params.model_copy(update={"assumptions": a.model_copy(update=days)})


def draw_shock(a: Assumptions, rng: np.random.Generator) -> float:
    """This year's town-wide yield shock (x): ``exp(Normal(0, sd) - sd^2 / 2)``, 1 without
    weather risk."""
    sd = a.yield_shock_sd
    return float(np.exp(rng.normal(0.0, sd) - sd * sd / 2)) if sd > 0 else 1.0


class PlotFlows(NamedTuple):
    """The money each farmed plot moves this year (:func:`plot_flows`), in plot order."""

    own_holder: np.ndarray  # holders farming their own plots
    own_sales: np.ndarray  # their harvests (yuan)
    own_costs: np.ndarray  # their cash costs
    lessee: np.ndarray  # lessees of household leases
    lease_sales: np.ndarray
    lease_costs: np.ndarray
    payee: np.ndarray  # who is paid the rent: the holder, or the village collective
    rent: np.ndarray
    custody: np.ndarray  # plots in custody
    custody_sales: np.ndarray  # their harvests, kept by their holders


def farm(town: Town, params: Params, rng: np.random.Generator) -> tuple[float, HelperPool]:
    """Harvest and pay for the year (module docstring). Returns the year's yield shock and the
    pool of older villagers left for hire (co-ops hire from it next)."""
    p, a = town.plots, params.assumptions
    led, pop = town.ledger, town.population
    acc, mu, n_h = led.accounts, params.world.plot_size_mu, pop.n_households
    shock = draw_shock(a, rng)
    f = plot_flows(p, a, shock, mu, acc.collective0)
    # lessees hire day labour for leased land beyond their own field days; villagers sell
    # their days to them and to local employers in each village's day-labour market
    farm_days, hired = labour_use(p, pop, a, mu)
    pool, sold = open_market(pop, a, params.world.n_villages, farm_days, hired)
    households = np.arange(n_h)
    wage = local_day_wage(a)
    posts: list[Post] = [
        (acc.outside, f.own_holder, "crop_sales", f.own_sales),
        (f.own_holder, acc.outside, "input_costs", f.own_costs),
        (acc.outside, f.lessee, "crop_sales", f.lease_sales),
        (f.lessee, acc.outside, "input_costs", f.lease_costs),
        (f.lessee, f.payee, "rent", f.rent),
        (households, acc.outside, "hired_labour", hired * wage),
        (acc.outside, households, "local_wage", sold * wage),
    ]
    if f.custody.size:
        posts.append((acc.outside, p.holder[f.custody], "crop_sales", f.custody_sales))
    led.post_many(posts)  # one call for the year's harvest, rents and day labour
    if f.custody.size:
        plots = f.custody
        cf = np.where(p.hilly[plots], a.hilly_cost_factor, 1.0)
        fee = town.firm.price * cf * mu
        services.serve_households(town.firm, led, p, plots, fee, pool, params)
    led.post_many(_income_posts(town, a) + _subsidy_posts(town, params))
    return shock, pool


def plot_flows(
    plots: Plots, a: Assumptions, shock: float, mu: float, collective0: int
) -> PlotFlows:
    """What each plot farmed by its holder, by a household lessee or in custody sells and
    costs this year, and the rent of each lease (module docstring; ``collective0``: the first
    village collective's account); on the compiled kernel
    :func:`landsim.farming_kernels.harvest`, :func:`plot_flows_reference` when compilation is
    off."""
    if not compiled.enabled():
        return plot_flows_reference(plots, a, shock, mu, collective0)
    p = plots
    price = (
        a.gross_revenue_per_mu * a.price_index,
        a.hilly_yield_factor,
        float(shock),
        float(mu),
        a.cash_cost_per_mu,
        a.hilly_cost_factor,
        a.cash_cost_per_mu * a.hilly_cost_factor,
        a.cash_cost_per_mu * (1 - a.scale_cost_cut),
        int(collective0),
    )
    kinds = (OWN, HOUSEHOLD_LEASE, CUSTODY)
    flows = harvest(
        p.kind, p.hilly, p.quality, p.holder, p.operator, p.village, p.rent, *kinds, price
    )
    return PlotFlows(*flows)


def plot_flows_reference(
    plots: Plots, a: Assumptions, shock: float, mu: float, collective0: int
) -> PlotFlows:
    """:func:`plot_flows` with NumPy: the reference the compiled kernel must equal."""
    p = plots
    yf = np.where(p.hilly, a.hilly_yield_factor, 1.0)
    cf = np.where(p.hilly, a.hilly_cost_factor, 1.0)
    gross = a.gross_revenue_per_mu * a.price_index * p.quality * yf * shock * mu
    own = p.kind == OWN
    lease = p.kind == HOUSEHOLD_LEASE
    # scale farming cuts cash costs on flat land only (machines save little on hills)
    cash = np.where(
        p.hilly,
        a.cash_cost_per_mu * a.hilly_cost_factor,
        a.cash_cost_per_mu * (1 - a.scale_cost_cut),
    )
    payee = np.where(p.holder[lease] >= 0, p.holder[lease], collective0 + p.village[lease])
    custody = np.flatnonzero(p.kind == CUSTODY)
    return PlotFlows(
        p.holder[own],
        gross[own],
        a.cash_cost_per_mu * cf[own] * mu,
        p.operator[lease],
        gross[lease],
        cash[lease] * mu,
        payee,
        p.rent[lease] * mu,
        custody,
        gross[custody],
    )


def labour_use(
    plots: Plots, pop: Population, a: Assumptions, mu: float
) -> tuple[np.ndarray, np.ndarray]:
    """Days each household farms with its own labour (own plots, then leased-in land as far as
    its field days go) and days it hires for leased-in land beyond them (``mu``: mu per plot);
    on the compiled kernel :func:`landsim.farming_kernels.labour_days`,
    :func:`labour_use_reference` when compilation is off."""
    if not compiled.enabled():
        return labour_use_reference(plots, pop, a, mu)
    p = plots
    needs = (
        a.labour_days_flat,
        a.labour_days_hilly,
        a.lease_labour_days_flat,
        a.lease_labour_days_hilly,
        float(mu),
        a.labour_decline_age,
        (a.labour_zero_age - a.labour_decline_age) / a.aging_speed,
        a.farm_days_per_worker,
    )
    farm_days, hired = labour_days(
        p.kind,
        p.hilly,
        p.holder,
        p.operator,
        pop.m_hh,
        pop.m_age,
        pop.m_alive,
        pop.m_away,
        pop.n_households,
        OWN,
        HOUSEHOLD_LEASE,
        needs,
    )
    return farm_days, hired


def labour_use_reference(
    plots: Plots, pop: Population, a: Assumptions, mu: float
) -> tuple[np.ndarray, np.ndarray]:
    """:func:`labour_use` with NumPy: the reference the compiled kernel must equal."""
    p, n_h = plots, pop.n_households
    own = p.kind == OWN
    lease = p.kind == HOUSEHOLD_LEASE
    own_need = np.where(p.hilly, a.labour_days_hilly, a.labour_days_flat) * mu
    lease_need = np.where(p.hilly, a.lease_labour_days_hilly, a.lease_labour_days_flat) * mu
    own_days = np.bincount(p.holder[own], weights=own_need[own], minlength=n_h)
    lease_days = np.bincount(p.operator[lease], weights=lease_need[lease], minlength=n_h)
    full, _ = household_labour(pop.m_hh, pop.m_age, pop.residents(), n_h, a)
    family_lease = np.clip(full - own_days, 0.0, lease_days)
    return own_days + family_lease, lease_days - family_lease


def day_market(town: Town, params: Params) -> HelperPool:
    """This year's day-labour market for the land use now in place, without money: what each
    village's households offered and sold (the market before the first year uses it)."""
    a, mu = params.assumptions, params.world.plot_size_mu
    farm_days, hired = labour_use(town.plots, town.population, a, mu)
    return open_market(town.population, a, params.world.n_villages, farm_days, hired)[0]


def other_incomes(town: Town, a: Assumptions) -> None:
    """Remittances from migrants (``remit_share`` of the wage of the months they work away) and
    pensions for members 60 and older."""
    town.ledger.post_many(_income_posts(town, a))


def _income_posts(town: Town, a: Assumptions) -> list[Post]:
    """The posts of :func:`other_incomes` (each household's sums on the compiled kernel
    :func:`landsim.farming_kernels.household_incomes`, :func:`incomes_reference` when
    compilation is off)."""
    pop, acc = town.population, town.ledger.accounts
    remit = a.offfarm_wage_month * a.migrant_months * a.remit_share
    pension = a.pension_month * 12.0
    if compiled.enabled():
        remits, pensions = household_incomes(
            pop.m_hh, pop.m_alive, pop.m_away, pop.m_age, pop.n_households, remit, pension
        )
    else:
        remits, pensions = incomes_reference(pop, remit, pension)
    households = np.arange(pop.n_households)
    return [
        (acc.outside, households, "remittance", remits),
        (acc.outside, households, "pension", pensions),
    ]


def incomes_reference(
    pop: Population, remit: float, pension: float
) -> tuple[np.ndarray, np.ndarray]:
    """Each household's remittances (``remit`` for each living migrant) and pensions
    (``pension`` for each living member 60 or older), with NumPy: the reference the compiled
    :func:`landsim.farming_kernels.household_incomes` must equal."""
    alive = pop.m_alive
    away = alive & pop.m_away
    remits = pop.per_household(np.full(pop.m_age.size, remit), away)
    old = alive & (pop.m_age >= 60)
    return remits, pop.per_household(np.full(pop.m_age.size, pension), old)


def farmland_subsidy(town: Town, params: Params) -> None:
    """The farmland subsidy: ``farmland_subsidy_per_mu`` to each household holding contract
    rights, for each mu it holds (with ``farmland_subsidy_conditional``, only for land
    cultivated this year: land left idle is not subsidised). The collective's land is not."""
    town.ledger.post_many(_subsidy_posts(town, params))


def _subsidy_posts(town: Town, params: Params) -> list[Post]:
    """The post of :func:`farmland_subsidy` (none without a subsidy); the plots paid for
    counted on the compiled kernel :func:`landsim.farming_kernels.subsidised_plots`,
    :func:`subsidised_reference` when compilation is off."""
    lv, p, n_h = params.levers, town.plots, town.population.n_households
    if lv.farmland_subsidy_per_mu <= 0:
        return []
    conditional = bool(lv.farmland_subsidy_conditional)
    if compiled.enabled():
        per_h = subsidised_plots(p.holder, p.kind, IDLE, conditional, n_h)
    else:
        per_h = subsidised_reference(p, conditional, n_h)
    amount = per_h * lv.farmland_subsidy_per_mu * params.world.plot_size_mu
    return [(town.ledger.accounts.outside, np.arange(per_h.size), "farmland_subsidy", amount)]


def subsidised_reference(plots: Plots, conditional: bool, n_h: int) -> np.ndarray:
    """How many plots each of ``n_h`` households is paid the farmland subsidy for (every
    plot it holds; with ``conditional`` only those not idle), with NumPy: the reference the
    compiled :func:`landsim.farming_kernels.subsidised_plots` must equal."""
    p = plots
    paid = p.holder >= 0
    if conditional:
        paid &= p.kind != IDLE
    return np.bincount(p.holder[paid], minlength=n_h)
