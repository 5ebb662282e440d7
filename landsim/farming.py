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
  ``day_wage`` for leased land beyond its own field days.
* **Custody**: the holder keeps the harvest and pays the firm its price (hills at
  ``hilly_cost_factor`` times it); the firm hires older villagers first
  (:mod:`landsim.services`).
* **Other incomes**: migrants send ``remit_share`` of their wage home; members 60 and older get
  the rural pension; residents of working age who are not farming earn local day wages with
  their spare days.

Co-ops farm their own pools afterwards (:func:`landsim.cooperatives.distribute`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from landsim import services
from landsim.labour import HelperPool, helper_pool, household_labour, labour_capacity
from landsim.params import Assumptions, Params
from landsim.world import CUSTODY, HOUSEHOLD_LEASE, OWN

if TYPE_CHECKING:
    from landsim.town import Town

__all__ = ["draw_shock", "farm", "other_incomes"]


def draw_shock(a: Assumptions, rng: np.random.Generator) -> float:
    """This year's town-wide yield shock (x): ``exp(Normal(0, sd) - sd^2 / 2)``, 1 without
    weather risk."""
    sd = a.yield_shock_sd
    return float(np.exp(rng.normal(0.0, sd) - sd * sd / 2)) if sd > 0 else 1.0


def farm(town: Town, params: Params, rng: np.random.Generator) -> tuple[float, HelperPool]:
    """Harvest and pay for the year (module docstring). Returns the year's yield shock and the
    pool of older villagers left for hire (co-ops hire from it next)."""
    p, a = town.plots, params.assumptions
    led, pop = town.ledger, town.population
    acc, mu, n_h = led.accounts, params.world.plot_size_mu, pop.n_households
    shock = draw_shock(a, rng)
    yf = np.where(p.hilly, a.hilly_yield_factor, 1.0)
    cf = np.where(p.hilly, a.hilly_cost_factor, 1.0)
    gross = a.gross_revenue_per_mu * a.price_index * p.quality * yf * shock * mu

    own = p.kind == OWN
    led.post(acc.outside, p.holder[own], "crop_sales", gross[own])
    led.post(p.holder[own], acc.outside, "input_costs", a.cash_cost_per_mu * cf[own] * mu)

    lease = p.kind == HOUSEHOLD_LEASE
    lessee = p.operator[lease]
    led.post(acc.outside, lessee, "crop_sales", gross[lease])
    # scale farming cuts cash costs on flat land only (machines save little on hills)
    cash = np.where(
        p.hilly,
        a.cash_cost_per_mu * a.hilly_cost_factor,
        a.cash_cost_per_mu * (1 - a.scale_cost_cut),
    )
    led.post(lessee, acc.outside, "input_costs", cash[lease] * mu)
    payee = np.where(p.holder[lease] >= 0, p.holder[lease], acc.collective0 + p.village[lease])
    led.post(lessee, payee, "rent", p.rent[lease] * mu)
    # lessees hire day labour for leased land beyond their own field days
    own_need = np.where(p.hilly, a.labour_days_hilly, a.labour_days_flat) * mu
    lease_need = np.where(p.hilly, a.lease_labour_days_hilly, a.lease_labour_days_flat) * mu
    farm_days = np.bincount(p.holder[own], weights=own_need[own], minlength=n_h)
    lease_days = np.bincount(lessee, weights=lease_need[lease], minlength=n_h)
    full, _ = household_labour(pop.m_hh, pop.m_age, pop.residents(), n_h, a)
    hired = np.maximum(0.0, farm_days + lease_days - full) * (lease_days > 0)
    hired = np.minimum(hired, lease_days)
    led.post(np.arange(n_h), acc.outside, "input_costs", hired * a.day_wage)

    custody = p.kind == CUSTODY
    pool = helper_pool(pop, params.world.n_villages, a)
    if custody.any():
        plots = np.flatnonzero(custody)
        led.post(acc.outside, p.holder[plots], "crop_sales", gross[plots])
        fee = town.firm.price * cf[plots] * mu
        services.serve_households(town.firm, led, p, plots, fee, pool, params)
    other_incomes(town, a, farm_days, lease_days)
    return shock, pool


def other_incomes(
    town: Town, a: Assumptions, farm_days: np.ndarray, lease_days: np.ndarray
) -> None:
    """Remittances from migrants, pensions for members 60 and older, and local day wages for
    residents 18-64 with days to spare after their own and leased land (``farm_days``,
    ``lease_days`` per household)."""
    pop, led = town.population, town.ledger
    acc, n_h = led.accounts, pop.n_households
    alive = pop.m_alive
    away = alive & pop.m_away
    res = alive & ~pop.m_away
    remit = pop.per_household(
        np.full(pop.m_age.size, a.offfarm_wage_month * 12 * a.remit_share), away
    )
    led.post(acc.outside, np.arange(n_h), "remittance", remit)
    old = alive & (pop.m_age >= 60)
    pension = pop.per_household(np.full(pop.m_age.size, a.pension_month * 12.0), old)
    led.post(acc.outside, np.arange(n_h), "pension", pension)
    working = res & (pop.m_age >= 18) & (pop.m_age < 65)
    local_days = pop.per_household(labour_capacity(pop.m_age, a) * a.local_work_days, working)
    spare = np.maximum(0.0, local_days - farm_days - lease_days)
    led.post(acc.outside, np.arange(n_h), "local_wage", spare * a.day_wage)
