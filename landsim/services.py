"""The third-party service firm: custodial farming for households, farming services and
professional management for cooperatives.

Summary of rule: sell full custody to households and farming services to co-ops at its price
per mu (hilly land at ``hilly_cost_factor`` times that) up to its capacity. Its unit cost is a
household's cash cost cut by ``custody_cost_cut`` (bulk inputs, own machines) plus
``firm_labour_days`` of hired field work (older villagers first, :func:`landsim.labour.
hire_villagers`); it starts at ``custody_price`` and each year moves its price
``firm_price_adjust`` of the way to unit cost plus ``firm_target_margin``. While it makes a
profit, capacity moves ``firm_capacity_growth`` of the way towards demand; after a loss it
shrinks by that share. It operates while the lever ``firm_enabled`` is on.

The firm's numbers are a :class:`~landsim.town.FirmState`; Mesa users see it as
:class:`landsim.views.ServiceFirm`.

It starts with capacity ``firm_capacity_initial`` of the town's land, at price ``custody_price``
(:func:`landsim.town.build_town`).

Parts: :func:`unit_cost`, :func:`start_year`, :func:`room`,
:func:`serve_coop`, :func:`serve_households`, :func:`close_year`.
"""

from __future__ import annotations

import numpy as np

from landsim.labour import HelperPool, hire_villagers
from landsim.ledger import Ledger
from landsim.params import Assumptions, Levers, Params
from landsim.town import FirmState
from landsim.world import Plots

__all__ = [
    "unit_cost",
    "start_year",
    "room",
    "serve_coop",
    "serve_households",
    "close_year",
]


def unit_cost(a: Assumptions, lv: Levers) -> float:
    """Firm's own cost of farming a mu of flat land (yuan/mu): cash cost cut by
    ``custody_cost_cut`` plus hired field labour."""
    return a.cash_cost_per_mu * (1.0 - lv.custody_cost_cut) + a.firm_labour_days * (
        lv.coop_wage_day
    )


def start_year(firm: FirmState) -> None:
    """Reset this year's counters."""
    firm.demand = 0.0
    firm.served = 0.0
    firm.revenue = 0.0
    firm.profit = 0.0


def room(firm: FirmState) -> float:
    """Capacity left this year (mu)."""
    return max(0.0, firm.capacity - firm.served)


def serve_coop(
    firm: FirmState,
    ledger: Ledger,
    coop_account: int,
    fee: float,
    plots: Plots,
    mine: np.ndarray,
    pool: HelperPool,
    params: Params,
) -> None:
    """Farm a co-op's pooled plots ``mine`` for ``fee`` yuan (pooled land is always served: it
    counts towards demand and so towards next year's capacity)."""
    mu = mine.size * params.world.plot_size_mu
    firm.demand += mu
    firm.served += mu
    firm.revenue += ledger.post(coop_account, ledger.accounts.firm, "custody_fee", fee)
    _pay_costs(ledger, plots, mine, pool, params)


def serve_households(
    firm: FirmState,
    ledger: Ledger,
    plots: Plots,
    custody: np.ndarray,
    fee_per_plot: np.ndarray,
    pool: HelperPool,
    params: Params,
) -> None:
    """Farm the ``custody`` plots (capacity was booked when they were signed); their holders
    pay ``fee_per_plot`` and keep the harvest."""
    holders = plots.holder[custody]
    firm.revenue += ledger.post(holders, ledger.accounts.firm, "custody_fee", fee_per_plot)
    _pay_costs(ledger, plots, custody, pool, params)


def _pay_costs(
    ledger: Ledger, plots: Plots, served: np.ndarray, pool: HelperPool, params: Params
) -> None:
    """The firm's costs: older villagers hired for field work (outsiders where the village
    has too few), inputs and machinery to suppliers."""
    a, lv = params.assumptions, params.levers
    mu = params.world.plot_size_mu
    acc = ledger.accounts
    cf = np.where(plots.hilly[served], a.hilly_cost_factor, 1.0)
    cash = float((a.cash_cost_per_mu * (1.0 - lv.custody_cost_cut) * cf * mu).sum())
    ledger.post(acc.firm, acc.outside, "firm_costs", cash)
    days_by_village = np.bincount(
        plots.village[served],
        weights=a.firm_labour_days * cf * mu,
        minlength=params.world.n_villages,
    )
    for v in np.flatnonzero(days_by_village > 0):
        hire_villagers(
            pool,
            ledger,
            acc.firm,
            int(v),
            float(days_by_village[v]),
            lv.coop_wage_day,
            "local_wage",
        )


def close_year(firm: FirmState, ledger: Ledger, a: Assumptions, lv: Levers) -> None:
    """Book profit; move the price towards unit cost plus the target margin; grow capacity
    towards demand after a profitable year, shrink it after a loss."""
    acc = ledger.accounts
    firm.profit = float(ledger.net_this_year(acc.firm, acc.firm + 1)[0])
    target = unit_cost(a, lv) * (1.0 + a.firm_target_margin)
    firm.price += a.firm_price_adjust * (target - firm.price)
    if firm.profit >= 0:
        firm.capacity += lv.firm_capacity_growth * max(0.0, firm.demand - firm.capacity)
    else:
        firm.capacity *= 1.0 - lv.firm_capacity_growth
