"""LandModel: builds the town and orders the farming year.

One step is one farming year. The order of phases follows the calendar of a North China
village: the town's budget and new cooperatives are settled over winter; people age, die and
leave for the cities around the Spring Festival; households then decide what to do with each
plot before spring sowing; leases are signed; the land is farmed and harvested; the
cooperatives close their books and pay out; and over the next winter audits, standards and the
year's experience change management, trust and engagement.
"""

from __future__ import annotations

from typing import Any

import mesa
import numpy as np
import pandas as pd
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from landsim.cooperative import ACTIVE, EMPTY_SHELL, Cooperative, founding_probability
from landsim.firm import ServiceFirm
from landsim.government import TownGovernment
from landsim.households import (
    Household,
    Outlook,
    build_population,
    labour_capacity,
    shadow_wage,
)
from landsim.ledger import Accounts, Ledger
from landsim.market import Bidders, Offers, clear_market
from landsim.metrics import METRICS
from landsim.params import Params, apply_changes, params_from_flat
from landsim.sharing import make_rule
from landsim.world import (
    COLLECTIVE,
    COOP,
    CUSTODY,
    HOUSEHOLD_LEASE,
    IDLE,
    NOBODY,
    OWN,
    build_plots,
)

__all__ = ["LandModel"]

#: most plots one household leases in during a year (plots; assumption)
MAX_LEASE_IN = 20
#: smoothing of households' market expectations (share of the new observation; assumption)
EXPECTATION_WEIGHT = 0.5
#: trust lost by every member when their coop becomes an empty shell (assumption)
SHELL_TRUST_LOSS = 0.2


class LandModel(mesa.Model):
    """Rural land transfer in an aging town with Party-branch-led cooperatives.

    Build it from a validated :class:`~landsim.params.Params`, from flat keyword parameters,
    or both (keywords override): ``LandModel(rng=7, benefit_rule="fixed_rent")``.
    """

    def __init__(self, params: Params | None = None, **kwargs: Any) -> None:
        """Build the town: plots, households, the firm, the government and the ledger.

        Args:
            params: a validated parameter set (defaults: :class:`Params` defaults).
            **kwargs: ``rng`` (seed or generator), and flat parameter overrides such as
                ``audit_rate=0.3``. A Mesa ``scenario`` (passed by SolaraViz on Reset) only
                contributes its ``rng``.
        """
        scenario = kwargs.pop("scenario", None)
        rng = kwargs.pop("rng", None)
        if rng is None and scenario is not None:
            rng = getattr(scenario, "rng", None)
        super().__init__(rng=rng)
        self.params = params_from_flat(params, **kwargs)
        self._timeline = sorted(self.params.timeline, key=lambda e: e.year)
        w, a = self.params.world, self.params.assumptions

        self.plots, hh_village = build_plots(w, self.rng)
        home_row, home_col = self._homesteads(hh_village.size)
        self.population = build_population(w, a, hh_village, home_row, home_col, self.rng)
        self.strength = np.clip(
            self.rng.normal(w.branch_strength_mean, w.branch_strength_sd, w.n_villages), 0, 1
        )
        self.accounts = Accounts(households=hh_village.size, villages=w.n_villages)
        self.ledger = Ledger(self.accounts)
        self.households = [Household(self, i) for i in range(hh_village.size)]
        self.firm = ServiceFirm(self)
        self.government = TownGovernment(self)
        self.coops: dict[int, Cooperative] = {}
        self._village_households = _group_indices(hh_village, w.n_villages)
        self.last_coop_days = np.zeros(hh_village.size)
        self._helper_days = np.zeros(hh_village.size)
        self.expect_rent = np.full(w.n_villages, a.lease_rent_initial)
        self.expect_match = np.full(w.n_villages, 0.7)
        self.year_leases = 0  # household leases signed this year
        self.year_lease_rent = 0.0  # their mean rent (yuan/mu)
        self.shock = 1.0  # this year's town-wide yield shock (x)
        self._days_left = np.zeros(hh_village.size)
        self._wage = np.zeros(hh_village.size)
        self._can_farm = np.zeros(self.plots.n, dtype=bool)
        self._farm_order_cache: tuple[tuple[float, float, float], np.ndarray] | None = None
        self.datacollector = mesa.DataCollector(model_reporters=dict(METRICS))
        self._initial_tenure()

    def _initial_tenure(self) -> None:
        """Start from the land use households' own rule gives (not from everyone farming
        everything): one round of decisions and leases before year 1 (no cooperatives exist
        yet). Leases signed now are part-way through their terms, so they end in staggered
        years."""
        choice = self.decide()
        self.market(choice)
        p, a = self.plots, self.params.assumptions
        signed = p.leased()
        p.lease_start[signed] = 0
        p.lease_end[signed] = self.rng.integers(1, a.lease_years_max + 1, int(signed.sum()))
        self.firm.demand = 0.0
        self.firm.served = 0.0

    # ------------------------------------------------------------------ the farming year
    @property
    def year(self) -> int:
        """Current model year (1 during the first step; 0 before it)."""
        return self.steps

    def step(self) -> None:
        """One farming year, phase by phase (see the module docstring for why this order)."""
        self.apply_timeline()  # dated policy changes take effect at the start of the year
        self.policy_before_season()  # budget arrives; branches found cooperatives
        self.demography()  # aging, deaths, migration; dead households' rights return
        self.expire_leases()  # ended leases give plots back to their holders
        choice = self.decide()  # households choose a use for each free plot
        self.market(choice)  # household leases, coop pooling, custody
        self.farm()  # harvest, costs, rents, custody fees, other incomes
        self.distribute()  # cooperatives pay out by their benefit-sharing rules
        self.policy_after_season()  # standards, trust, engagement, failures, firm capacity
        self.observe()  # outcomes of the year, then the books close

    # ------------------------------------------------------------------ phases
    def apply_timeline(self) -> None:
        """Apply events dated this year (``levers.X``/``assumptions.X`` changes)."""
        events = [e for e in self._timeline if e.year == self.year]
        for event in events:
            self.params = apply_changes(self.params, event.set)
        if events:  # a changed lever may change the benefit-sharing rule or its numbers
            for coop in self.coops.values():
                coop.rule = make_rule(self.params.levers)

    def policy_before_season(self) -> None:
        """The town's budget arrives; villages may found a cooperative (one per village)."""
        self.government.start_year()
        self.firm.start_year()
        lv, a = self.params.levers, self.params.assumptions
        if lv.coop_founding == "none":
            return
        without = np.array([v for v in range(self.params.world.n_villages) if v not in self.coops])
        if without.size == 0:
            return
        eligible = self.strength[without] >= lv.founding_min_strength
        if lv.coop_founding == "all":
            found = eligible
        else:
            p = founding_probability(self.strength[without], lv.startup_grant, a.founding_rate)
            found = eligible & (self.rng.random(without.size) < p)
        for v in without[found]:
            coop = Cooperative(self, int(v), float(self.strength[v]), make_rule(lv))
            self.coops[int(v)] = coop
            self.government.grant(coop)

    def demography(self) -> None:
        """Age members, apply deaths and migration; return dead households' rights."""
        pop, p = self.population, self.plots
        died = pop.age_one_year(self.params.assumptions, self.rng)
        if died.size == 0:
            return
        dead = np.zeros(pop.n_households, dtype=bool)
        dead[died] = True
        held = (p.holder >= 0) & dead[np.maximum(p.holder, 0)]
        # their own/custody plots fall idle; leases they granted continue with the collective
        unleased = held & ~p.leased()
        p.kind[unleased] = IDLE
        p.operator[unleased] = NOBODY
        p.holder[held] = COLLECTIVE
        # leases they held as lessee end
        lessee_dead = (p.kind == HOUSEHOLD_LEASE) & dead[np.maximum(p.operator, 0)]
        p.end_lease(lessee_dead)
        for i in died:
            self.households[i].remove()

    def expire_leases(self) -> None:
        """Leases whose last year has passed return plots to their holders."""
        p = self.plots
        p.end_lease(p.leased() & (p.lease_end < self.year))

    def _labour(self) -> tuple[np.ndarray, np.ndarray]:
        """Farm labour days each household has, and its shadow wage (yuan/day)."""
        pop, a = self.population, self.params.assumptions
        res = pop.residents()
        cap = labour_capacity(pop.m_age, a) * res
        days = pop.per_household(cap) * a.farm_days_per_worker
        wage_sum = pop.per_household(cap * shadow_wage(pop.m_age, a))
        cap_sum = pop.per_household(cap)
        wage = np.where(cap_sum > 0, wage_sum / np.maximum(cap_sum, 1e-12), a.day_wage)
        return days, wage

    def decide(self) -> np.ndarray:
        """Households choose a use for every free plot they hold (``-1`` for other plots)."""
        p, a, pop = self.plots, self.params.assumptions, self.population
        days, wage = self._labour()
        self._days_left, self._wage = days.copy(), wage
        # days already committed to leased-in land
        mu = self.params.world.plot_size_mu
        leased_in = p.kind == HOUSEHOLD_LEASE
        self._days_left -= (
            np.bincount(p.operator[leased_in], minlength=pop.n_households)
            * a.scale_labour_days
            * mu
        )
        free_mask = (p.holder >= 0) & ~p.leased()
        free = np.flatnonzero(free_mask)
        h = p.holder[free]
        need = np.where(p.hilly[free], a.labour_days_hilly, a.labour_days_flat) * mu
        # a household farms its easiest, best plots first while its labour lasts
        farm_order = self._farm_order()
        order = (np.cumsum(free_mask) - 1)[farm_order[free_mask[farm_order]]]
        cum = _group_cumsum(need[order], h[order])
        can = np.empty(free.size, dtype=bool)
        can[order] = cum <= np.maximum(self._days_left[h[order]], 0)
        self._can_farm = np.zeros(p.n, dtype=bool)
        self._can_farm[free] = can
        outlook = self._outlook()
        draws = self.rng.random(free.size)
        chosen = Household.decide_all(
            h,
            p.village[free],
            p.hilly[free],
            p.quality[free],
            can,
            wage,
            pop.trust,
            outlook,
            a,
            draws,
        )
        choice = np.full(p.n, -1, dtype=np.int8)
        choice[free] = chosen
        return choice

    def _farm_order(self) -> np.ndarray:
        """Held plots in the order households farm them: by holder, labour need per plot, then
        best quality first. The keys only change when labour days change (a timeline event) or
        a household dies out (its plots leave the free set without reordering the rest), so the
        order is sorted once and reused; filtering it to this year's free plots gives the same
        order as sorting them (the sort is stable and plot indices rise with position)."""
        a, p = self.params.assumptions, self.plots
        key = (a.labour_days_flat, a.labour_days_hilly, self.params.world.plot_size_mu)
        if self._farm_order_cache is None or self._farm_order_cache[0] != key:
            idx = np.flatnonzero(p.holder >= 0)
            need = np.where(p.hilly[idx], a.labour_days_hilly, a.labour_days_flat)
            order = idx[np.lexsort((-p.quality[idx], need, p.holder[idx]))]
            self._farm_order_cache = (key, order)
        return self._farm_order_cache[1]

    def _outlook(self) -> Outlook:
        n_v = self.params.world.n_villages
        lv = self.params.levers
        coop_open = np.zeros(n_v, dtype=bool)
        coop_base = np.zeros(n_v)
        coop_bonus = np.zeros(n_v)
        for v, coop in sorted(self.coops.items()):
            if coop.active:
                coop_open[v] = True
                coop_base[v] = coop.base_rate
                coop_bonus[v] = coop.expected_bonus
        pop = self.population
        alive = pop.hh_alive
        members = self.member_mask()
        per_v = np.bincount(pop.hh_village[alive], minlength=n_v)
        in_coop = np.bincount(pop.hh_village[members], minlength=n_v)
        return Outlook(
            coop_open=coop_open,
            coop_base=coop_base,
            coop_bonus=coop_bonus,
            coop_share=in_coop / np.maximum(per_v, 1),
            lease_rent=self.expect_rent,
            lease_match=self.expect_match,
            custody_open=self.firm.open,
            custody_price=lv.custody_price,
        )

    def market(self, choice: np.ndarray) -> None:
        """Sign this year's arrangements: coop pooling, custody, household leases.

        A plot whose chosen arrangement fails (the coop declines it, the firm is full) is
        farmed by its holder if the household has the labour, else offered to other
        households; a plot nobody takes is left idle.
        """
        p, lv = self.plots, self.params.levers
        year = self.year
        free = ~p.leased()
        p.kind[free] = IDLE  # last year's own farming and custody were for one season
        p.operator[free] = NOBODY
        free_coll = (p.holder == COLLECTIVE) & free
        # 1. cooperatives take offered land (members' plots and the collective's own)
        n_v = self.params.world.n_villages
        coop_open = np.zeros(n_v, dtype=bool)
        for v, coop in self.coops.items():
            coop_open[v] = coop.active
        offered_all = ((choice == COOP) | free_coll) & coop_open[p.village]
        pool_key = np.where(p.kind == COOP, p.operator, np.where(offered_all, p.village, -1))
        contiguity = self.same_key_neighbour_share(pool_key)
        mu = self.params.world.plot_size_mu
        pooled_mu = np.bincount(p.operator[p.kind == COOP], minlength=n_v) * mu
        offers_by_village = _group_indices(p.village[offered_all], n_v)
        offered_idx = np.flatnonzero(offered_all)
        for v, coop in sorted(self.coops.items()):
            offered = offered_idx[offers_by_village[v]]
            if not coop.active or offered.size == 0:
                continue
            take = offered[coop.accept(offered, contiguity[offered], float(pooled_mu[v]))]
            p.kind[take] = COOP
            p.operator[take] = v
            p.rent[take] = coop.base_rate
            p.lease_start[take] = year
            p.lease_end[take] = year + lv.coop_lease_years - 1
        # 2. custody, first come first served in random order, up to the firm's capacity
        want = np.flatnonzero((choice == CUSTODY) & ~p.leased())
        firm = self.firm
        if want.size and firm.open:
            mu = self.params.world.plot_size_mu
            firm.demand += want.size * mu
            order = want[self.rng.permutation(want.size)]
            got = order[: int(firm.room() // mu)]
            p.kind[got] = CUSTODY
            p.operator[got] = 0
            firm.served += got.size * mu  # booked now so capacity is not sold twice
        # 3. household lease market: holders' offers, the collective's remaining land, and
        #    plots the coop or the firm turned down that the holder cannot farm itself
        turned_down = ((choice == COOP) | (choice == CUSTODY)) & ~self._can_farm
        offer_mask = (choice == HOUSEHOLD_LEASE) | free_coll | turned_down
        offer_mask &= ~p.leased() & (p.kind != CUSTODY)
        self._clear_household_market(np.flatnonzero(offer_mask))
        # 4. the rest: farmed by the holder unless it chose idle or lacks the labour
        rest = (p.holder >= 0) & ~p.leased() & (p.kind != CUSTODY)
        farm = rest & self._can_farm & (choice != IDLE)
        p.kind[farm] = OWN
        p.operator[farm] = p.holder[farm]

    def _clear_household_market(self, offered: np.ndarray) -> None:
        p, a, pop = self.plots, self.params.assumptions, self.population
        year = self.year
        mu = self.params.world.plot_size_mu
        yf = np.where(p.hilly, a.hilly_yield_factor, 1.0)
        cf = np.where(p.hilly, a.hilly_cost_factor, 1.0)
        cost = a.cash_cost_per_mu * (1 - a.scale_cost_cut)
        net_flat = a.gross_revenue_per_mu * a.price_index - cost
        productivity = (a.gross_revenue_per_mu * a.price_index * p.quality * yf - cost * cf) / max(
            net_flat, 1e-9
        )
        kin = self.rng.random(offered.size) < a.kin_rent_free_share
        offers = Offers(
            plot=offered,
            village=p.village[offered],
            row=p.row[offered],
            col=p.col[offered],
            productivity=productivity[offered],
            reserve=np.zeros(offered.size),
            rent_free=kin & (p.holder[offered] >= 0),
            holder=p.holder[offered],
        )
        # bidders: households with a head young enough and labour to spare after own farming
        own_need = np.where(p.hilly, a.labour_days_hilly, a.labour_days_flat) * mu
        own_days = np.bincount(
            p.holder[self._can_farm], weights=own_need[self._can_farm], minlength=pop.n_households
        ).astype(float)
        spare = self._days_left - own_days
        head = pop.head_age()
        cap = np.minimum(MAX_LEASE_IN, np.floor(spare / max(a.scale_labour_days * mu, 1e-9)))
        ok = pop.hh_alive & (head <= a.bidder_max_head_age) & (cap >= 1)
        b = np.flatnonzero(ok)
        mp = net_flat - a.scale_labour_days * self._wage[b]
        bidders = Bidders(
            household=b,
            village=pop.hh_village[b],
            row=pop.home_row[b],
            col=pop.home_col[b],
            marginal_profit=mp,
            capacity=cap[b].astype(np.int64),
        )
        leases = clear_market(offers, bidders, a.bid_fraction, a.distance_cost)
        terms = self.rng.integers(a.lease_years_min, a.lease_years_max + 1, leases.plot.size)
        p.kind[leases.plot] = HOUSEHOLD_LEASE
        p.operator[leases.plot] = leases.lessee
        p.rent[leases.plot] = leases.rent
        p.lease_start[leases.plot] = year
        p.lease_end[leases.plot] = year + terms - 1
        # expectations for next year, by village
        n_v = self.params.world.n_villages
        n_off = np.bincount(offers.village, minlength=n_v)
        n_won = np.bincount(p.village[leases.plot], minlength=n_v)
        paid = leases.rent > 0
        rent_sum = np.bincount(
            p.village[leases.plot[paid]], weights=leases.rent[paid], minlength=n_v
        )
        rent_n = np.bincount(p.village[leases.plot[paid]], minlength=n_v)
        wgt = EXPECTATION_WEIGHT
        seen = n_off > 0
        self.expect_match[seen] += wgt * (n_won[seen] / n_off[seen] - self.expect_match[seen])
        priced = rent_n > 0
        self.expect_rent[priced] += wgt * (
            rent_sum[priced] / rent_n[priced] - self.expect_rent[priced]
        )
        self.year_leases = int(leases.plot.size)
        self.year_lease_rent = float(leases.rent[paid].mean()) if paid.any() else 0.0

    def farm(self) -> None:
        """Harvest and pay: crops, inputs, rents, custody fees; remittances, pensions, wages."""
        p, a, lv = self.plots, self.params.assumptions, self.params.levers
        led, acc, pop = self.ledger, self.accounts, self.population
        mu = self.params.world.plot_size_mu
        sd = a.yield_shock_sd
        self.shock = float(np.exp(self.rng.normal(0.0, sd) - sd * sd / 2)) if sd > 0 else 1.0
        yf = np.where(p.hilly, a.hilly_yield_factor, 1.0)
        cf = np.where(p.hilly, a.hilly_cost_factor, 1.0)
        gross = a.gross_revenue_per_mu * a.price_index * p.quality * yf * self.shock * mu

        own = p.kind == OWN
        led.post(acc.outside, p.holder[own], "crop_sales", gross[own])
        led.post(p.holder[own], acc.outside, "input_costs", a.cash_cost_per_mu * cf[own] * mu)

        lease = p.kind == HOUSEHOLD_LEASE
        lessee = p.operator[lease]
        led.post(acc.outside, lessee, "crop_sales", gross[lease])
        scale_cost = a.cash_cost_per_mu * (1 - a.scale_cost_cut)
        led.post(lessee, acc.outside, "input_costs", scale_cost * cf[lease] * mu)
        payee = np.where(p.holder[lease] >= 0, p.holder[lease], acc.collective0 + p.village[lease])
        led.post(lessee, payee, "rent", p.rent[lease] * mu)

        custody = p.kind == CUSTODY
        self._helper_days = self._helper_availability()
        self.last_coop_days = np.zeros(pop.n_households)
        if custody.any():
            plots = np.flatnonzero(custody)
            led.post(acc.outside, p.holder[plots], "crop_sales", gross[plots])
            self.firm.serve_households(plots, lv.custody_price * cf[plots] * mu)

        # incomes from outside farming
        alive = pop.m_alive
        away = alive & pop.m_away
        res = alive & ~pop.m_away
        remit = pop.per_household(
            np.full(pop.m_age.size, a.offfarm_wage_month * 12 * a.remit_share), away
        )
        led.post(acc.outside, np.arange(pop.n_households), "remittance", remit)
        old = alive & (pop.m_age >= 60)
        pension = pop.per_household(np.full(pop.m_age.size, a.pension_month * 12.0), old)
        led.post(acc.outside, np.arange(pop.n_households), "pension", pension)
        working = res & (pop.m_age >= 18) & (pop.m_age < 65)
        local_days = pop.per_household(labour_capacity(pop.m_age, a) * a.local_work_days, working)
        own_need = np.where(p.hilly, a.labour_days_hilly, a.labour_days_flat) * mu
        farm_days = np.bincount(
            p.holder[own], weights=own_need[own], minlength=pop.n_households
        ).astype(float)
        farm_days += np.bincount(lessee, minlength=pop.n_households) * a.scale_labour_days * mu
        spare = np.maximum(0.0, local_days - farm_days)
        led.post(acc.outside, np.arange(pop.n_households), "local_wage", spare * a.day_wage)

    def distribute(self) -> None:
        """Cooperatives farm their pools and share benefits (after custody is served)."""
        p = self.plots
        pooled = np.flatnonzero(p.kind == COOP)
        by_coop = _group_indices(p.operator[pooled], self.params.world.n_villages)
        for v, coop in sorted(self.coops.items()):
            if coop.active:
                coop.farm_and_share(self.shock, pooled[by_coop[v]])

    def policy_after_season(self) -> None:
        """Management standards, trust, engagement, coop failures and firm capacity."""
        pop = self.population
        for _, coop in sorted(self.coops.items()):
            if coop.active:
                self.government.raise_standards(coop)
        self._update_trust()
        self._update_engagement()
        for _, coop in sorted(self.coops.items()):
            if coop.active:
                coop.review()
        self.firm.close_year()
        pop.income = self.ledger.net_this_year(0, pop.n_households)

    def observe(self) -> None:
        """Collect this year's outcomes, then close the books (which checks they balance)."""
        self.datacollector.collect(self)
        self.ledger.close_year()

    # ------------------------------------------------------------------ trust and engagement
    def _update_trust(self) -> None:
        """Members judge their coop by performance pay, openness, leakage they see and debt;
        other villagers' trust drifts towards the members' (word of mouth)."""
        pop, a = self.population, self.params.assumptions
        members = self.member_mask()
        for v, coop in sorted(self.coops.items()):
            in_v = self._village_households[v]
            in_v = in_v[pop.hh_alive[in_v]]
            if in_v.size == 0:
                continue
            mem = in_v[members[in_v]]
            if coop.active and mem.size:
                seen_leak = (
                    coop.found_leak_rate if coop.audited else coop.leak_rate * coop.engaged_share
                )
                signal = (
                    0.3
                    + 0.4 * np.tanh(pop.perf_pay[mem] / 300.0)
                    + 0.3 * coop.transparency
                    - 2.0 * seen_leak
                    - 0.3 * (coop.debt > 0)
                )
                if (
                    coop.audited
                    and coop.found_leak_rate == 0.0
                    and self.params.levers.audit_disclosure
                ):
                    signal = signal + 0.1  # a clean, published audit reassures
                signal = np.clip(signal, 0.0, 1.0)
                pop.trust[mem] += a.trust_learning * (signal - pop.trust[mem])
                target = float(pop.trust[mem].mean())
                others = in_v[~members[in_v]]
                pop.trust[others] += 0.5 * a.trust_learning * (target - pop.trust[others])
            if coop.audited and coop.found_leak_rate > 0:
                pop.trust[in_v] = np.clip(pop.trust[in_v] - coop.found_leak_rate, 0, 1)

    def _update_engagement(self) -> None:
        """Each member household engages with probability ``logistic(base + stake x
        perf_pay/300 + voice x transparency + trust_coef x (trust - 1/2))``."""
        pop, a = self.population, self.params.assumptions
        members = self.member_mask()
        transparency = np.zeros(self.params.world.n_villages)
        for v, coop in self.coops.items():
            transparency[v] = coop.transparency if coop.active else 0.0
        x = (
            a.engagement_base
            + a.engagement_stake * pop.perf_pay / 300.0
            + a.engagement_voice * transparency[pop.hh_village]
            + a.engagement_trust * (pop.trust - 0.5)
        )
        p = 1.0 / (1.0 + np.exp(-x))
        draws = self.rng.random(pop.n_households)
        pop.engaged = members & (draws < p)
        for v, coop in sorted(self.coops.items()):
            in_v = self._village_households[v]
            n_mem = int(members[in_v].sum())
            coop.engaged_share = float(pop.engaged[in_v].sum() / n_mem) if n_mem else 0.0

    # ------------------------------------------------------------------ helpers used by agents
    def member_mask(self) -> np.ndarray:
        """Households with at least one plot in an active cooperative."""
        p, pop = self.plots, self.population
        in_coop = (p.kind == COOP) & (p.holder >= 0)
        mask = np.zeros(pop.n_households, dtype=bool)
        mask[p.holder[in_coop]] = True
        return mask & pop.hh_alive

    def _helper_availability(self) -> np.ndarray:
        """Days each household's residents aged 55-75 can work for a coop or the firm."""
        pop, a = self.population, self.params.assumptions
        res = pop.residents() & (pop.m_age >= 55) & (pop.m_age <= 75)
        return pop.per_household(labour_capacity(pop.m_age, a) * a.helper_days, res)

    def hire_villagers(
        self, payer: int, village: int, days: float, wage: float, kind: str
    ) -> float:
        """Hire older villagers of ``village`` for ``days`` of work at ``wage`` (yuan/day).

        Days are spread over households in proportion to their available days; what the
        village cannot supply is hired from outside. Returns the wages paid to villagers.
        """
        hh = self._village_households[village]
        avail = self._helper_days[hh]
        total = float(avail.sum())
        share = min(1.0, days / total) if total > 0 else 0.0
        hired = avail * share
        self._helper_days[hh] -= hired
        if kind == "coop_wage":
            self.last_coop_days[hh] += hired
        paid = self.ledger.post(payer, hh, kind, hired * wage)
        self.ledger.post(payer, self.accounts.outside, kind, max(0.0, days - hired.sum()) * wage)
        return paid

    def dissolve_coop(self, coop: Cooperative) -> None:
        """An empty shell stops farming: its leases end with this season and members lose trust."""
        p, pop = self.plots, self.population
        mine = (p.kind == COOP) & (p.operator == coop.village)
        holders = p.holder[mine]
        holders = holders[holders >= 0]
        pop.trust[holders] = np.clip(pop.trust[holders] - SHELL_TRUST_LOSS, 0, 1)
        p.lease_end[mine] = self.year  # this season was farmed; holders get the land back next year

    def same_key_neighbour_share(self, key: np.ndarray) -> np.ndarray:
        """For every plot, the share of its 4 neighbours (inside the grid) with the same
        non-negative ``key`` (0 where the plot's key is negative)."""
        g = self.plots.grid(key)
        count = np.zeros(g.shape)
        n = np.zeros(g.shape)
        for here, there in (
            ((slice(1, None), slice(None)), (slice(None, -1), slice(None))),
            ((slice(None, -1), slice(None)), (slice(1, None), slice(None))),
            ((slice(None), slice(1, None)), (slice(None), slice(None, -1))),
            ((slice(None), slice(None, -1)), (slice(None), slice(1, None))),
        ):
            count[here] += g[here] == g[there]
            n[here] += 1
        share = np.where(g >= 0, count / np.maximum(n, 1), 0.0)
        return share.ravel()

    def patches(self) -> tuple[int, int]:
        """Number of operated plots and of contiguous patches with one operator (4-neighbour)."""
        p = self.plots
        key = p.kind.astype(np.int64) * (p.n + 1) + p.operator + 1
        key = np.where(p.kind == IDLE, -1, key)
        g = p.grid(key)
        idx = np.arange(p.n).reshape(g.shape)
        right = (g[:, :-1] == g[:, 1:]) & (g[:, :-1] >= 0)
        down = (g[:-1, :] == g[1:, :]) & (g[:-1, :] >= 0)
        src = np.concatenate([idx[:, :-1][right], idx[:-1, :][down]])
        dst = np.concatenate([idx[:, 1:][right], idx[1:, :][down]])
        graph = coo_matrix((np.ones(src.size, dtype=np.int8), (src, dst)), shape=(p.n, p.n))
        n_comp, _ = connected_components(graph, directed=False)
        n_idle = int((p.kind == IDLE).sum())
        return p.n - n_idle, n_comp - n_idle

    def _homesteads(self, n_households: int) -> tuple[np.ndarray, np.ndarray]:
        p = self.plots
        held = p.holder >= 0
        cnt = np.bincount(p.holder[held], minlength=n_households)
        r = np.bincount(p.holder[held], weights=p.row[held], minlength=n_households)
        c = np.bincount(p.holder[held], weights=p.col[held], minlength=n_households)
        return (
            np.rint(r / np.maximum(cnt, 1)).astype(np.int32),
            np.rint(c / np.maximum(cnt, 1)).astype(np.int32),
        )

    # ------------------------------------------------------------------ results
    def outcomes(self) -> pd.DataFrame:
        """Yearly outcomes as a DataFrame indexed by year (1, 2, ...)."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "year", np.arange(1, len(df) + 1))
        return df

    def active_coops(self) -> list[Cooperative]:
        """Cooperatives that operate, by village."""
        return [c for _, c in sorted(self.coops.items()) if c.status == ACTIVE]

    def empty_shells(self) -> list[Cooperative]:
        """Cooperatives that failed and linger as empty shells."""
        return [c for _, c in sorted(self.coops.items()) if c.status == EMPTY_SHELL]


def _group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each new value of sorted ``groups``."""
    cum = np.cumsum(values)
    if values.size == 0:
        return cum
    start = np.r_[True, groups[1:] != groups[:-1]]
    offsets = np.maximum.accumulate(np.where(start, np.arange(values.size), 0))
    before = np.r_[0.0, cum[:-1]]
    return cum - before[offsets]


def _group_indices(keys: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n)]
