"""The Party-branch-led cooperative (党支部领办合作社) of one village.

Parts: :func:`plot_margin` (what a plot is worth to a coop), :func:`appraise` (a branch's
appraisal of founding one), and :class:`Cooperative`, the agent that pools land within its
working capital and management span, farms it (itself or through the service firm), keeps
accounts, shares benefits through its rule, and can fail into an empty shell.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from landsim.sharing import SharingRule, Stakes

if TYPE_CHECKING:
    from landsim.model import LandModel
    from landsim.params import Assumptions, Levers

__all__ = ["Cooperative", "Appraisal", "appraise", "plot_margin", "ACTIVE", "EMPTY_SHELL"]

ACTIVE = "active"
EMPTY_SHELL = "empty_shell"


def land_grade(hilly: np.ndarray, quality: np.ndarray, a: Assumptions) -> np.ndarray:
    """Shares per mu a plot is worth when pooled (land is graded, as in Shandong's land-share
    coops): its expected yield relative to average flat land."""
    return np.where(hilly, a.hilly_yield_factor, 1.0) * quality


def initial_management(strength: float, a: Assumptions) -> float:
    """Transparency and standardization a branch of ``strength`` brings to a new coop (0-1)."""
    return float(np.clip(a.transparency_base + a.transparency_slope * strength, 0, 1))


def production_cost(
    hilly: np.ndarray, area: float, village_mu: float, a: Assumptions, lv: Levers, firm_price
) -> np.ndarray:
    """Production cost per mu (yuan/mu) at pooled ``area``: own farming (cash cost cut by
    economies of scale up to ``coop_scale_share`` of the village's land, hired labour,
    professional managers' cost cut) or the firm's service price, whichever is cheaper
    (``firm_price`` None when there is no firm)."""
    cf = np.where(hilly, a.hilly_cost_factor, 1.0)
    scale = a.scale_cost_cut * min(1.0, area / max(a.coop_scale_share * village_mu, 1e-9))
    own = a.cash_cost_per_mu * (1 - scale) + a.coop_labour_days * lv.coop_wage_day
    if lv.professional_management and firm_price is not None:
        own *= 1.0 - a.pro_cost_cut
    if firm_price is not None:
        own = min(own, firm_price)
    return own * cf


def plot_margin(
    hilly: np.ndarray,
    quality: np.ndarray,
    area: float,
    village_mu: float,
    standardization: float,
    base_rate: float,
    subsidy: float,
    a: Assumptions,
    lv: Levers,
    firm_price,
) -> np.ndarray:
    """Expected margin of pooling each plot (yuan/mu): ``gross x (1 + premium) - production
    cost - overhead x (1 - standardization) - guaranteed payment x land grade + subsidy``."""
    yf = np.where(hilly, a.hilly_yield_factor, 1.0)
    gross = a.gross_revenue_per_mu * a.price_index * (1 + a.coop_price_premium) * quality * yf
    cost = production_cost(hilly, area, village_mu, a, lv, firm_price)
    overhead = a.coop_overhead_per_mu * (1.0 - standardization)
    fee = lv.pro_management_fee if (lv.professional_management and firm_price is not None) else 0
    return gross - cost - overhead - fee - base_rate * land_grade(hilly, quality, a) + subsidy


def leak_rate(transparency: float, engaged_share: float, a: Assumptions) -> float:
    """Share of the surplus that leaks: ``leakage_max x (1 - transparency) x (1 -
    oversight_effect x engaged share)``."""
    return a.leakage_max * (1.0 - transparency) * (1.0 - a.oversight_effect * engaged_share)


@dataclass(frozen=True)
class Appraisal:
    """A branch's appraisal of a coop: expected yearly profit (yuan), the area it expects to
    pool (mu) and the dividend per mu it can promise members (yuan/mu)."""

    profit: float
    area: float
    dividend: float


def appraise(
    hilly: np.ndarray,
    quality: np.ndarray,
    village_mu: float,
    plot_mu: float,
    strength: float,
    rule: SharingRule,
    a: Assumptions,
    lv: Levers,
    firm_price,
) -> Appraisal:
    """What a branch of ``strength`` expects a coop to earn on the plots it could pool
    (``hilly``, ``quality``: the village's land on offer or idle last year).

    The branch pools the plots whose margin (with its own management quality, the subsidy
    while it lasts and expected leakage) is above minus the social mission, best first, up to
    what its managers can run and the start-up grant and credit can finance; the profit adds
    the grant spread over a lease term. Stronger branches run coops with better management:
    lower overhead, less leakage and a wider span.
    """
    base = float(rule.base(Stakes(np.ones(1), np.zeros(1), np.zeros(1)))[0])
    mgmt = initial_management(strength, a)
    years = max(lv.coop_lease_years, 1)
    subsidy = lv.subsidy_per_mu * min(lv.subsidy_years, years) / years
    per_mu_need = a.coop_prefinance_share * a.cash_cost_per_mu + base
    funds_mu = (lv.startup_grant + a.coop_credit_per_mu * village_mu) / max(per_mu_need, 1e-9)
    room = int(min(funds_mu, a.coop_span_share * mgmt * village_mu) // plot_mu)
    area = min(room, np.size(hilly)) * plot_mu
    m = plot_margin(hilly, quality, area, village_mu, mgmt, base, subsidy, a, lv, firm_price)
    m = np.sort(m[m >= -lv.coop_social_mission])[::-1][: max(room, 0)]
    surplus = float(m.sum()) * plot_mu
    leak = leak_rate(mgmt, 0.0, a) * max(surplus, 0.0)
    profit = surplus - leak + lv.startup_grant / years
    pooled = m.size * plot_mu
    dividend = lv.member_share * max(surplus - leak, 0.0) / pooled if pooled else 0.0
    return Appraisal(profit=profit, area=pooled, dividend=dividend)
    return Appraisal(profit=profit, area=float(m.size), dividend=dividend)


class Cooperative(mesa.Agent):
    """A village cooperative led by the Party branch.

    Summary of rule: take offered plots, best margin first, whose margin (revenue - production
    cost - overhead - guaranteed payment + subsidy - a fragmentation cost for plots with no
    pooled neighbour) is above minus its social mission, as far as its working capital and
    management span allow; farm the pool itself or buy the firm's service, whichever is
    cheaper; pay members what its benefit-sharing rule owes; lose a share of any surplus to
    leakage that transparency, member oversight and audits cut; split what is left into
    reserve, collective and member shares, cutting dividends before it would run into debt;
    fail into an empty shell after ``coop_fail_years`` years in debt or with too few members.
    """

    def __init__(
        self,
        model: LandModel,
        village: int,
        strength: float,
        rule: SharingRule,
        village_mu: float,
        promise: float,
    ) -> None:
        """Found the cooperative of ``village`` with the branch's ``strength`` (0-1), on a
        village of ``village_mu`` mu, promising ``promise`` yuan/mu of performance pay."""
        super().__init__(model)
        a = model.params.assumptions
        self.village = village
        self.strength = strength
        self.rule = rule
        #: the branch's own terms (rule, rents, profit split) when a person set them (a class's
        #: branch secretary, :mod:`landsim.decisions`); None: the town's levers
        self.terms: Levers | None = None
        self.village_mu = village_mu
        self.founded = model.year
        self.status = ACTIVE
        initial = initial_management(strength, a)
        #: open accounts, audited books, member meetings (0-1)
        self.transparency = initial
        #: standard procedures and book-keeping; cuts overhead (0-1)
        self.standardization = initial
        self.insolvent_years = 0
        #: performance pay per mu members expect (the founding appraisal, then results)
        self.expected_bonus = promise if rule.performance_linked else 0.0
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
        return max(0.0, -self.cash)

    @property
    def active(self) -> bool:
        """The coop operates (is not an empty shell)."""
        return self.status == ACTIVE

    @property
    def base_rate(self) -> float:
        """Guaranteed payment per mu under the rule (yuan/mu)."""
        one = Stakes(np.ones(1), np.zeros(1), np.zeros(1))
        return float(self.rule.base(one)[0])

    def _firm_price(self):
        firm = self.model.firm
        return firm.price if firm.open else None

    # -- decisions --------------------------------------------------------------------------
    def capacity_mu(self) -> float:
        """Most land the coop can operate this year (mu): its managers' span
        (``coop_span_share`` of the village's land at full standardization, in proportion to
        it: standard procedures let the same cadres run more land) or what its cash, reserve
        and credit can pre-finance (``coop_prefinance_share`` of the costs plus the guaranteed
        payment)."""
        a = self.model.params.assumptions
        span = a.coop_span_share * self.standardization * self.village_mu
        funds = self.cash + self.reserve + a.coop_credit_per_mu * self.village_mu
        need = a.coop_prefinance_share * a.cash_cost_per_mu + self.base_rate
        return max(0.0, min(span, funds / max(need, 1e-9)))

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
        mu = m.params.world.plot_size_mu
        room = int((self.capacity_mu() - pooled_mu) // mu)
        take = np.zeros(plots.size, dtype=bool)
        if room <= 0:
            return take
        subsidy = lv.subsidy_per_mu if self.subsidised_next_year() else 0.0
        area = pooled_mu + min(room, plots.size) * mu
        margin = plot_margin(
            p.hilly[plots],
            p.quality[plots],
            area,
            self.village_mu,
            self.standardization,
            self.base_rate,
            subsidy,
            a,
            lv,
            self._firm_price(),
        ) - a.fragmentation_cost * (1.0 - contiguity)
        ok = np.flatnonzero(margin >= -lv.coop_social_mission)
        best = ok[np.argsort(-margin[ok], kind="stable")][:room]
        take[best] = True
        return take

    def subsidised_next_year(self) -> bool:
        """The coop is within its subsidy years (years counted from founding)."""
        lv = self.model.params.levers
        return lv.subsidy_per_mu > 0 and (self.model.year - self.founded) < lv.subsidy_years

    # -- the year's books -------------------------------------------------------------------
    def farm_and_share(self, shock: float, mine: np.ndarray) -> None:
        """Farm the pool (plot indices ``mine``), pay costs and members, count leakage, split
        profit (one year); ``shock`` is the town's yield shock."""
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
        firm_price = self._firm_price()
        own_flat = float(
            production_cost(np.zeros(1, bool), self.area, self.village_mu, a, lv, None)[0]
        )
        if lv.professional_management and firm.open:
            own_flat *= 1.0 - a.pro_cost_cut
        self.uses_firm = firm_price is not None and firm_price < own_flat
        if self.uses_firm:
            firm.serve_coop(self, float((firm_price * cf * mu).sum()), mine)
        else:
            labour_cost = a.coop_labour_days * lv.coop_wage_day
            cash = float(((own_flat - labour_cost) * cf * mu).sum())
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
        stakes = self._stakes(mine, holders, members, gross, land_grade(hilly, p.quality[mine], a))
        base = self.rule.base(stakes)
        led.post(self.account, members, "coop_base", base)
        grade = land_grade(hilly, p.quality[mine], a)
        coll_shares = float(grade[holders < 0].sum() * mu)
        led.post(self.account, acc.collective0 + self.village, "rent", self.base_rate * coll_shares)

        # government money (may be cut when the town budget runs out)
        self.subsidy = m.government.pay_subsidy(self)

        # leakage: a share of this year's surplus, cut by openness and members' oversight
        surplus = float(led.net_this_year(self.account, self.account + 1)[0])
        self.leak_rate = leak_rate(self.transparency, self.engaged_share, a)
        self.leakage = led.post(
            self.account, acc.outside, "leakage", self.leak_rate * max(surplus, 0.0)
        )
        self.audited, self.found_leak_rate = m.government.audit(self)

        # profit = this year's net flow; it first pays off old debt, and dividends are cut so
        # that paying them never puts the coop into debt
        self.profit = float(led.net_this_year(self.account, self.account + 1)[0])
        old_debt = max(0.0, -(self.cash - self.profit))
        distributable = self.profit - min(max(self.profit, 0.0), old_debt)
        distributable = min(distributable, max(self.cash, 0.0))
        perf = np.zeros(members.size)
        split = self.terms or lv
        if distributable > 0:
            led.post(
                self.account,
                self.reserve_account,
                "to_reserve",
                split.reserve_share * distributable,
            )
            led.post(
                self.account,
                acc.collective0 + self.village,
                "to_collective",
                split.collective_share * distributable,
            )
            pool = split.member_share * distributable
            if self.rule.performance_linked:
                # the collective's own pooled land holds shares like any member's
                shared = Stakes(
                    mu=np.r_[stakes.mu, coll_shares],
                    labour_days=np.r_[stakes.labour_days, 0.0],
                    sales=np.r_[stakes.sales, float(gross[holders < 0].sum())],
                )
                split = self.rule.bonus(pool, shared)
                perf = split[:-1]
                led.post(self.account, members, "coop_bonus", perf)
                led.post(self.account, acc.collective0 + self.village, "coop_bonus", split[-1])
            else:
                led.post(self.account, self.reserve_account, "to_reserve", pool)
        elif self.cash < 0:
            cover = min(-self.cash, self.reserve)
            led.post(self.reserve_account, self.account, "from_reserve", cover)

        # members remember their pay per mu; expectations follow results
        member_mu = np.maximum(stakes.mu, 1e-9)
        pop = m.population
        pop.perf_pay[members] = perf / member_mu
        pop.coop_pay[members] = (base + perf) / member_mu
        if members.size:
            w = a.expectation_weight
            self.expected_bonus += w * (float(perf.sum() / member_mu.sum()) - self.expected_bonus)
        tolerance = a.coop_debt_tolerance * max(self.area, mu)
        self.insolvent_years = self.insolvent_years + 1 if self.debt > tolerance else 0

    def _stakes(
        self,
        mine: np.ndarray,
        holders: np.ndarray,
        members: np.ndarray,
        gross: np.ndarray,
        grade: np.ndarray,
    ) -> Stakes:
        """Each member's graded land shares (mu x grade), coop work days and sales."""
        m = self.model
        mu = m.params.world.plot_size_mu
        own = holders >= 0
        pos = np.searchsorted(members, holders[own])
        land = np.bincount(pos, weights=grade[own], minlength=members.size) * mu
        sales = np.bincount(pos, weights=gross[own], minlength=members.size)
        labour = m.last_coop_days[members] if members.size else np.zeros(0)
        return Stakes(mu=land.astype(float), labour_days=labour, sales=sales)

    def review(self, village_households: int) -> None:
        """End of year: fail into an empty shell after ``coop_fail_years`` years in debt, or
        with fewer members than ``coop_min_member_share`` of the village's households from
        its third year."""
        a = self.model.params.assumptions
        need = a.coop_min_member_share * village_households
        too_small = self.members < need and self.model.year - self.founded >= 2
        if self.insolvent_years >= a.coop_fail_years or too_small:
            self.status = EMPTY_SHELL
            self.audited = False
            self.found_leak_rate = 0.0
            self.model.dissolve_coop(self)
