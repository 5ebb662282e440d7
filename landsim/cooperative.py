"""The Party-branch-led cooperative (党支部领办合作社) of one village.

Parts: :func:`founding_probability`, and :class:`Cooperative`, the agent that pools land,
farms it (itself or through the service firm), keeps accounts, shares benefits through its
rule, and can fail into an empty shell.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa
import numpy as np

from landsim.sharing import SharingRule, Stakes

if TYPE_CHECKING:
    from landsim.model import LandModel

__all__ = ["Cooperative", "founding_probability", "ACTIVE", "EMPTY_SHELL"]

ACTIVE = "active"
EMPTY_SHELL = "empty_shell"

#: performance pay per mu a new coop's members expect before any result (yuan/mu; assumption)
PROMISED_BONUS = 100.0
#: bid reduction for a plot with no neighbour already pooled (yuan/mu; assumption, after the
#: AgriPoliS distance cost): the coop prefers contiguous land
FRAGMENTATION_COST = 200.0
#: share of leaked money an audit recovers (assumption)
AUDIT_RECOVERY = 0.7
#: members below which a coop counts as too small to go on (households; assumption)
MIN_MEMBERS = 5
#: consecutive insolvent years (in debt after using its reserve) before a coop fails (assumption)
FAIL_AFTER_YEARS = 3
#: debt (yuan) below which a coop is not counted insolvent (rounding of fen)
DEBT_TOLERANCE = 1.0


def founding_probability(strength: np.ndarray, grant: float, rate: float) -> np.ndarray:
    """Yearly chance that a village without a coop founds one: ``rate x strength``, raised by
    half when the town offers a start-up grant (strong branches found more readily)."""
    support = 1.5 if grant > 0 else 1.0
    return np.clip(rate * strength * support, 0.0, 1.0)


class Cooperative(mesa.Agent):
    """A village cooperative led by the Party branch.

    Summary of rule: take offered plots whose expected margin (revenue - production cost -
    guaranteed payment + subsidy - a fragmentation cost for plots with no pooled neighbour)
    is above minus its social mission; farm the pool itself or buy the firm's service,
    whichever is cheaper; pay members what its benefit-sharing rule owes; split any profit
    into reserve, collective and member shares; lose a share of revenue to leakage that
    transparency, member oversight and audits cut; fail into an empty shell after
    ``FAIL_AFTER_YEARS`` insolvent years or with fewer than ``MIN_MEMBERS`` members.
    """

    def __init__(self, model: LandModel, village: int, strength: float, rule: SharingRule) -> None:
        """Found the cooperative of ``village`` with the branch's ``strength`` (0-1)."""
        super().__init__(model)
        a = model.params.assumptions
        self.village = village
        self.strength = strength
        self.rule = rule
        self.founded = model.year
        self.status = ACTIVE
        #: open accounts, audited books, member meetings (0-1)
        initial = float(np.clip(a.transparency_base + a.transparency_slope * strength, 0, 1))
        self.transparency = initial
        #: standard procedures and book-keeping; cuts overhead (0-1)
        self.standardization = initial
        self.insolvent_years = 0
        self.expected_bonus = PROMISED_BONUS if rule.performance_linked else 0.0
        self.area = 0.0  # mu operated this year
        self.members = 0
        self.engaged_share = 0.0
        self.revenue = 0.0
        self.profit = 0.0
        self.leakage = 0.0
        self.leak_rate = 0.0
        self.subsidy = 0.0
        self.audited = False
        self.found_leak_rate = 0.0  # leak rate an audit found and disclosed this year
        self.uses_firm = False

    # -- accounts -------------------------------------------------------------------------
    @property
    def account(self) -> int:
        """Ledger account of the coop."""
        return self.model.accounts.coop0 + self.village

    @property
    def reserve_account(self) -> int:
        """Ledger account of the coop's reserve fund."""
        return self.model.accounts.reserve0 + self.village

    @property
    def cash(self) -> float:
        """Cash (yuan); negative cash is debt."""
        return float(self.model.ledger.balance_yuan(self.account))

    @property
    def reserve(self) -> float:
        """Reserve fund (yuan)."""
        return float(self.model.ledger.balance_yuan(self.reserve_account))

    @property
    def debt(self) -> float:
        """Debt (yuan): the overdraft when cash is negative."""
        return max(0.0, -self.cash) if self.cash < -DEBT_TOLERANCE else 0.0

    @property
    def active(self) -> bool:
        """The coop operates (is not an empty shell)."""
        return self.status == ACTIVE

    @property
    def base_rate(self) -> float:
        """Guaranteed payment per mu under the rule (yuan/mu)."""
        one = Stakes(np.ones(1), np.zeros(1), np.zeros(1))
        return float(self.rule.base(one)[0])

    # -- decisions --------------------------------------------------------------------------
    def unit_cost(self, hilly: np.ndarray, area: float) -> np.ndarray:
        """Production cost per mu (yuan/mu) at pooled ``area``: own farming with economies of
        scale plus labour, or the firm's service, whichever is cheaper."""
        a = self.model.params.assumptions
        cf = np.where(hilly, a.hilly_cost_factor, 1.0)
        own = self._own_cost(area) * cf
        firm = self.model.firm
        if firm.open:
            return np.minimum(own, firm.coop_price() * cf)
        return own

    def _own_cost(self, area: float) -> float:
        a = self.model.params.assumptions
        lv = self.model.params.levers
        scale = a.scale_cost_cut * min(1.0, area / a.coop_scale_mu)
        return a.cash_cost_per_mu * (1 - scale) + a.coop_labour_days * lv.coop_wage_day

    def accept(self, plots: np.ndarray, contiguity: np.ndarray, pooled_mu: float) -> np.ndarray:
        """Which of the offered ``plots`` (indices) the coop takes (boolean mask).

        Args:
            plots: offered plot indices (all in this coop's village).
            contiguity: for each offered plot, the share of its 4 neighbours already pooled by
                this coop or offered to it.
            pooled_mu: area the coop already operates under running leases (mu).
        """
        m = self.model
        a, lv = m.params.assumptions, m.params.levers
        p = m.plots
        hilly = p.hilly[plots]
        yf = np.where(hilly, a.hilly_yield_factor, 1.0)
        gross = a.gross_revenue_per_mu * a.price_index * (1 + a.coop_price_premium)
        gross = gross * p.quality[plots] * yf
        area = pooled_mu + plots.size * m.params.world.plot_size_mu
        subsidy = lv.subsidy_per_mu if self.subsidised_next_year() else 0.0
        margin = (
            gross
            - self.unit_cost(hilly, area)
            - self.base_rate
            + subsidy
            - FRAGMENTATION_COST * (1.0 - contiguity)
        )
        return margin >= -lv.coop_social_mission

    def subsidised_next_year(self) -> bool:
        """The coop is within its subsidy years (years counted from founding)."""
        lv = self.model.params.levers
        return lv.subsidy_per_mu > 0 and (self.model.year - self.founded) < lv.subsidy_years

    # -- the year's books -------------------------------------------------------------------
    def farm_and_share(self, shock: float, mine: np.ndarray) -> None:
        """Farm the pool (plot indices ``mine``), pay costs and members, split profit, count
        leakage (one year); ``shock`` is the town's yield shock."""
        m = self.model
        a, lv = m.params.assumptions, m.params.levers
        led, acc, p = m.ledger, m.accounts, m.plots
        mu = m.params.world.plot_size_mu
        self.area = mine.size * mu
        hilly = p.hilly[mine]
        yf = np.where(hilly, a.hilly_yield_factor, 1.0)
        price = a.gross_revenue_per_mu * a.price_index * (1 + a.coop_price_premium)
        gross = price * p.quality[mine] * yf * shock * mu
        self.revenue = led.post(acc.outside, self.account, "crop_sales", gross.sum())

        # production: the firm's service or own farming with hired older villagers
        firm = m.firm
        cf = np.where(hilly, a.hilly_cost_factor, 1.0)
        own_cost = self._own_cost(self.area)
        self.uses_firm = firm.open and firm.coop_price() < own_cost
        if self.uses_firm:
            firm.serve_coop(self, float((firm.coop_price() * cf * mu).sum()), mine)
        else:
            labour_cost = a.coop_labour_days * lv.coop_wage_day
            cash = float(((own_cost - labour_cost) * cf * mu).sum())
            led.post(self.account, acc.outside, "input_costs", cash)
            m.hire_villagers(
                self.account,
                self.village,
                a.coop_labour_days * float((cf * mu).sum()),
                lv.coop_wage_day,
                "coop_wage",
            )
        overhead = a.coop_overhead_per_mu * (1.0 - self.standardization) * self.area
        led.post(self.account, acc.outside, "coop_overhead", overhead)
        if lv.professional_management and firm.open:
            led.post(self.account, acc.firm, "pro_management", lv.pro_management_fee * self.area)

        # what the rule owes members whatever the harvest; collective land is paid as rent
        holders = p.holder[mine]
        members = np.unique(holders[holders >= 0])
        self.members = members.size
        stakes = self._stakes(mine, holders, members, gross)
        base = self.rule.base(stakes)
        led.post(self.account, members, "coop_base", base)
        coll_mu = float((holders < 0).sum() * mu)
        led.post(self.account, acc.collective0 + self.village, "rent", self.base_rate * coll_mu)

        # government money (may be cut when the town budget runs out)
        self.subsidy = m.government.pay_subsidy(self)

        # leakage: opacity leaks revenue; engaged members' oversight cuts it
        self.leak_rate = (
            a.leakage_max
            * (1.0 - self.transparency)
            * (1.0 - a.oversight_effect * self.engaged_share)
        )
        self.leakage = led.post(self.account, acc.outside, "leakage", self.leak_rate * self.revenue)
        self.audited, self.found_leak_rate = m.government.audit(self)

        # profit = this year's net flow into the coop's account; it first pays off old debt
        self.profit = float(led.net_this_year(self.account, self.account + 1)[0])
        old_debt = max(0.0, -(self.cash - self.profit))
        distributable = self.profit - min(max(self.profit, 0.0), old_debt)
        perf = np.zeros(members.size)
        if distributable > 0:
            led.post(
                self.account, self.reserve_account, "to_reserve", lv.reserve_share * distributable
            )
            led.post(
                self.account,
                acc.collective0 + self.village,
                "to_collective",
                lv.collective_share * distributable,
            )
            pool = lv.member_share * distributable
            if self.rule.performance_linked:
                perf = self.rule.bonus(pool, stakes)
                led.post(self.account, members, "coop_bonus", perf)
            else:
                led.post(self.account, self.reserve_account, "to_reserve", pool)
        elif self.profit < 0:
            cover = min(-self.profit, self.reserve)
            led.post(self.reserve_account, self.account, "from_reserve", cover)

        # members remember performance pay per mu; the coop's promise follows results
        member_mu = np.maximum(stakes.mu, 1e-9)
        m.population.perf_pay[members] = perf / member_mu
        if members.size:
            self.expected_bonus = float(perf.sum() / member_mu.sum())
        self.insolvent_years = self.insolvent_years + 1 if self.debt > DEBT_TOLERANCE else 0

    def _stakes(
        self, mine: np.ndarray, holders: np.ndarray, members: np.ndarray, gross: np.ndarray
    ) -> Stakes:
        m = self.model
        mu = m.params.world.plot_size_mu
        own = holders >= 0
        pos = np.searchsorted(members, holders[own])
        land = np.bincount(pos, minlength=members.size) * mu
        sales = np.bincount(pos, weights=gross[own], minlength=members.size)
        labour = m.last_coop_days[members] if members.size else np.zeros(0)
        return Stakes(mu=land.astype(float), labour_days=labour, sales=sales)

    def review(self) -> None:
        """End of year: fail into an empty shell after repeated insolvency or too few members."""
        too_small = self.members < MIN_MEMBERS and self.model.year - self.founded >= 2
        if self.insolvent_years >= FAIL_AFTER_YEARS or too_small:
            self.status = EMPTY_SHELL
            self.model.dissolve_coop(self)
