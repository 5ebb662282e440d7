"""The third-party service firm: custodial farming for households, services and professional
management for cooperatives."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

if TYPE_CHECKING:
    from landsim.cooperative import Cooperative
    from landsim.model import LandModel

__all__ = ["ServiceFirm"]


class ServiceFirm(mesa.Agent):
    """A service company (e.g. a supply-and-marketing co-op's farming-service arm).

    Summary of rule: sell full custody to households and farming services to coops at its
    price per mu (hilly land at ``hilly_cost_factor`` times that) up to its capacity. Its unit
    cost is a household's cash cost cut by ``custody_cost_cut`` (bulk inputs, own machines)
    plus ``firm_labour_days`` of hired field work; it starts at ``custody_price`` and each year
    moves its price ``firm_price_adjust`` of the way to unit cost plus ``firm_target_margin``.
    While it makes a profit, capacity moves ``firm_capacity_growth`` of the way towards demand;
    after a loss it shrinks by that share.
    """

    def __init__(self, model: LandModel) -> None:
        """Create the firm with its initial capacity (mu)."""
        super().__init__(model)
        lv = model.params.levers
        total_mu = model.params.world.n_plots * model.params.world.plot_size_mu
        self.capacity = lv.firm_capacity_initial * total_mu  # mu
        self.price = lv.custody_price  # yuan/mu of flat land
        self.demand = 0.0  # mu asked for this year (custody + coop service)
        self.served = 0.0  # mu farmed this year
        self.revenue = 0.0
        self.profit = 0.0

    @property
    def open(self) -> bool:
        """The firm operates in this town."""
        return self.model.params.levers.firm_enabled

    def unit_cost(self) -> float:
        """Firm's own cost of farming a mu of flat land (yuan/mu): cash cost cut by
        ``custody_cost_cut`` plus hired field labour."""
        a, lv = self.model.params.assumptions, self.model.params.levers
        return a.cash_cost_per_mu * (1.0 - lv.custody_cost_cut) + a.firm_labour_days * (
            lv.coop_wage_day
        )

    def start_year(self) -> None:
        """Reset this year's counters."""
        self.demand = 0.0
        self.served = 0.0
        self.revenue = 0.0
        self.profit = 0.0

    def room(self) -> float:
        """Capacity left this year (mu)."""
        return max(0.0, self.capacity - self.served)

    def serve_coop(self, coop: Cooperative, fee: float, plots: np.ndarray) -> None:
        """Farm a coop's pooled plots for ``fee`` yuan (contiguous pooled land is always served:
        it counts towards demand and so towards next year's capacity)."""
        m = self.model
        mu = plots.size * m.params.world.plot_size_mu
        self.demand += mu
        self.served += mu
        self.revenue += m.ledger.post(coop.account, m.accounts.firm, "custody_fee", fee)
        self._pay_costs(plots)

    def serve_households(self, plots: np.ndarray, fee_per_plot: np.ndarray) -> None:
        """Farm custody plots (capacity was booked when they were signed); the holders pay
        ``fee_per_plot`` and keep the harvest."""
        m = self.model
        self.revenue += m.ledger.post(
            m.plots.holder[plots], m.accounts.firm, "custody_fee", fee_per_plot
        )
        self._pay_costs(plots)

    def _pay_costs(self, plots: np.ndarray) -> None:
        """The firm's costs: older villagers hired for field work (outsiders where the village
        has too few), inputs and machinery to suppliers."""
        m = self.model
        a, lv = m.params.assumptions, m.params.levers
        mu = m.params.world.plot_size_mu
        cf = np.where(m.plots.hilly[plots], a.hilly_cost_factor, 1.0)
        cash = float((a.cash_cost_per_mu * (1.0 - lv.custody_cost_cut) * cf * mu).sum())
        m.ledger.post(m.accounts.firm, m.accounts.outside, "firm_costs", cash)
        days_by_village = np.bincount(
            m.plots.village[plots],
            weights=a.firm_labour_days * cf * mu,
            minlength=m.params.world.n_villages,
        )
        for v in np.flatnonzero(days_by_village > 0):
            m.hire_villagers(
                m.accounts.firm, int(v), float(days_by_village[v]), lv.coop_wage_day, "local_wage"
            )

    def close_year(self) -> None:
        """Book profit; move the price towards unit cost plus the target margin; grow capacity
        towards demand after a profitable year, shrink it after a loss."""
        a, lv = self.model.params.assumptions, self.model.params.levers
        acc = self.model.accounts
        self.profit = float(self.model.ledger.net_this_year(acc.firm, acc.firm + 1)[0])
        target = self.unit_cost() * (1.0 + a.firm_target_margin)
        self.price += a.firm_price_adjust * (target - self.price)
        if self.profit >= 0:
            self.capacity += lv.firm_capacity_growth * max(0.0, self.demand - self.capacity)
        else:
            self.capacity *= 1.0 - lv.firm_capacity_growth
