"""LandModel: builds the town and orders the farming year.

One step is one farming year. The order of phases follows the calendar of a North China
village: the town's budget and new cooperatives are settled over winter; people age, die, are
born, leave for the cities and set up households of their own around the Spring Festival, and
heirs take over the land of the dead; households then decide, plot by plot, whether to keep
farming or to release land before spring sowing; released land is placed (cooperative,
custody, leases to kin and to other households) or left idle; the land is farmed and
harvested; the cooperatives close their books and pay out; and over the next winter audits,
standards and the year's experience change management, trust and engagement.

The rules live with their owners: the land-use decision in :mod:`landsim.households`, labour
in :mod:`landsim.labour`, demography in :mod:`landsim.demography`, kin in :mod:`landsim.kin`,
the lease market in :mod:`landsim.market`, trust and participation in :mod:`landsim.trust`,
the cooperative, the firm and the government in their modules. This module keeps the calendar
and wires state between them.
"""

from __future__ import annotations

import os
import warnings
from numbers import Integral, Real
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd
from mesa.discrete_space import OrthogonalVonNeumannGrid, PropertyLayer

from landsim.cooperative import ACTIVE, EMPTY_SHELL, Cooperative, appraise
from landsim.decisions import PLOT_CHOICES, Decisions, branch_terms, check
from landsim.demography import age_one_year, build_population, form_households
from landsim.firm import ServiceFirm
from landsim.government import TownGovernment
from landsim.households import Choices, Household, Outlook, decide_land_use, risk_aversion
from landsim.kin import build_kin
from landsim.labour import helper_days, household_labour, labour_capacity, spread_hiring
from landsim.ledger import Accounts, Ledger
from landsim.market import Bidders, KinPairs, Offers, Technology, clear_market
from landsim.metrics import METRICS
from landsim.params import Params, apply_changes, merged_changes, params_from_flat
from landsim.sharing import make_rule
from landsim.spatial import count_patches, same_key_neighbour_share
from landsim.trust import CoopSignals, engagement_probability, update_trust
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

__all__ = ["LandModel", "LAYERS"]


class LandModel(mesa.Model):
    """Rural land transfer in an aging town with Party-branch-led cooperatives.

    Build it from a validated :class:`~landsim.params.Params`, from flat keyword parameters,
    or both (keywords override): ``LandModel(rng=7, benefit_rule="fixed_rent")``. The
    defaults are the baseline town of ``scenarios/baseline.toml``.
    """

    def __init__(self, params: Params | None = None, **kwargs: Any) -> None:
        """Build the town: plots, households and their kin, the firm, the government, the
        ledger, and the land use of the year before the first.

        Args:
            params: a validated parameter set (defaults: :class:`Params` defaults).
            **kwargs: ``rng`` (seed or generator), and flat parameter overrides such as
                ``audit_rate=0.3``. A Mesa ``scenario`` (passed by SolaraViz on Reset) only
                contributes its ``rng``. ``seed`` seeds the generator as Mesa 3.5's own
                deprecated ``seed=`` does, with Mesa's FutureWarning (it is not the
                scenario's ``run.seed``, the root of replicate seeds).

        Raises:
            ValueError: both ``seed`` and ``rng`` given (as Mesa refuses them).
        """
        scenario = kwargs.pop("scenario", None)
        rng = kwargs.pop("rng", None)
        if "seed" in kwargs:
            rng = _deprecated_seed(kwargs.pop("seed"), rng)
        if rng is None and scenario is not None:
            rng = getattr(scenario, "rng", None)
        super().__init__(rng=_seed_like(rng))
        # Mesa replaces ``step`` by a wrapper that advances time and then calls the calendar
        # below; ours first takes the year's decisions, then calls Mesa's wrapper
        self._mesa_step = self.step
        self.step = self._step_with_decisions
        self.params = params_from_flat(params, **kwargs)
        self._timeline = sorted(self.params.timeline, key=lambda e: e.year)
        w, a = self.params.world, self.params.assumptions

        self.plots, hh_village = build_plots(w, self.rng)
        home_row, home_col = self._homesteads(hh_village.size)
        self.population = build_population(w, a, hh_village, home_row, home_col, self.rng)
        self.kin = build_kin(hh_village, w.n_villages, a.kin_ties_mean, self.rng)
        self.strength = np.clip(
            self.rng.normal(w.branch_strength_mean, w.branch_strength_sd, w.n_villages), 0, 1
        )
        n_slots = self.population.n_households
        self.accounts = Accounts(households=n_slots, villages=w.n_villages)
        self.ledger = Ledger(self.accounts, year=1)  # the books of year 1 close in step 1
        self.households = {i: Household(self, i) for i in range(hh_village.size)}
        self.firm = ServiceFirm(self)
        self.government = TownGovernment(self)
        self.coops: dict[int, Cooperative] = {}
        self.village_mu = np.bincount(self.plots.village, minlength=w.n_villages) * w.plot_size_mu
        self.last_coop_days = np.zeros(n_slots)
        self._helper_days = np.zeros(n_slots)
        self._village_hh: list[np.ndarray] = []
        #: expected return of offering a plot on the lease market, by village and terrain
        self.lease_return = np.tile(
            [a.lease_rent_initial, a.lease_rent_initial_hilly],
            (w.n_villages, 1),
        )
        self.released = np.zeros(self.plots.n, dtype=bool)  # released (or idle) last year
        self.year_rent = {"all": 0.0, "flat": 0.0, "hilly": 0.0}  # mean paid rent signed
        self.shock = 1.0  # this year's town-wide yield shock (x)
        self._days_left = np.zeros(n_slots)
        self._wage = np.zeros(n_slots)
        self._free = np.zeros(0, dtype=np.int64)
        self._farm_order_cache: tuple[tuple, np.ndarray] | None = None
        #: (the plots' quality array, each plot's rank by quality, best first): plots never
        #: change quality, so the farm order's last key is ranked once
        self._quality_rank: tuple[np.ndarray, np.ndarray] | None = None
        #: the last farm order with its packed sort keys, so the next is a merge, not a sort
        self._farm_sorted: tuple[np.ndarray, np.ndarray] | None = None
        self._grid: OrthogonalVonNeumannGrid | None = None
        self._layers: dict[str, PropertyLayer] = {}
        #: people's decisions for the year being stepped (:mod:`landsim.decisions`), or None
        self._decisions: Decisions | None = None
        #: every decision handed to :meth:`step`, one dict per decision (see decision_log)
        self._decision_rows: list[dict[str, Any]] = []
        self.datacollector = mesa.DataCollector(model_reporters=dict(METRICS))
        #: True only while a checkpoint being loaded moves Mesa's clock (:mod:`landsim.checkpoint`)
        self._rewinding = False
        self._initial_tenure()
        # year 0: the land use before the first season; no money has flowed yet (docs/ODD.md)
        self.datacollector.collect(self)
        self.running = self.params.run.years > 0

    def _initial_tenure(self) -> None:
        """Start from the land use households' own rule gives (not from everyone farming
        everything): one round of decisions and leases before year 1 (no cooperatives exist
        yet). Leases signed now are part-way through their terms, so they end in staggered
        years."""
        self.market(self.decide())
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

    def _step_with_decisions(self, decisions: Decisions | None = None) -> None:
        """One farming year, with people's ``decisions`` (what ``model.step(decisions=...)``
        calls; see :meth:`step`)."""
        self._decisions = self._take(decisions)
        try:
            self._mesa_step()
        finally:
            self._decisions = None

    def step(self) -> None:
        """One farming year, phase by phase (see the module docstring for why this order).

        Call it as ``model.step()``, or as ``model.step(decisions=...)`` to hand it what some
        agents decide this year instead of following the model's rule
        (:class:`landsim.decisions.Decisions`; checked before the year starts, logged in
        :meth:`decision_log`). A decision that breaks a rule raises
        :class:`landsim.decisions.DecisionError` and the year does not run.
        """
        if self._rewinding:  # loading a checkpoint: Mesa counts the years already run
            return
        self.apply_timeline()  # dated policy changes take effect at the start of the year
        self.policy_before_season()  # budget arrives; branches may found cooperatives
        self.demography()  # aging, deaths, births, migration, new households, heirs
        self.expire_leases()  # ended leases give plots back to their holders
        choices = self.decide()  # keep farming or release, plot by plot
        self.market(choices)  # coop pooling, custody, leases to kin and others; rest idle
        self.farm()  # harvest, costs, rents, custody fees, other incomes
        self.distribute()  # cooperatives pay out by their benefit-sharing rules
        self.policy_after_season()  # standards, trust, engagement, failures, firm prices
        self.observe()  # outcomes of the year, then the books close
        self.running = self.year < self.params.run.years  # Mesa stops at the horizon

    def _take(self, decisions: Decisions | None) -> Decisions | None:
        """Check and log ``decisions`` for the coming year; None when there are none."""
        if decisions is None:
            return None
        check(self, decisions)
        if not decisions:
            return None
        self._decision_rows.extend(decisions.log_rows(self.year + 1))
        return decisions

    # ------------------------------------------------------------------ phases
    def apply_timeline(self) -> None:
        """Apply events dated this year (``levers.X``/``assumptions.X`` changes)."""
        events = [e for e in self._timeline if e.year == self.year]
        if events:  # together, a later one winning: as the timeline was checked (params.py)
            changes = merged_changes(e.set for e in events)
            self.params = apply_changes(self.params, changes, check_timeline=False)
        d = self._decisions
        if d is not None and d.government:  # the town government's choice this year wins
            changes = {f"levers.{k}": v for k, v in d.government.items()}
            self.params = apply_changes(self.params, changes)
        if events:  # a changed lever may change the benefit-sharing rule or its numbers
            for coop in self.coops.values():
                coop.rule = make_rule(coop.terms or self.params.levers)

    def policy_before_season(self) -> None:
        """The town's budget arrives; branches without a coop may found one: every branch in
        year 1 (``all``), or a branch that appraises one (chance ``founding_rate``) and
        expects it to earn at least ``founding_hurdle`` a year per mu of village land
        (``endogenous``)."""
        self.government.start_year()
        self.firm.start_year()
        for coop in self.coops.values():
            coop.audited, coop.found_leak_rate = False, 0.0
        lv, a = self.params.levers, self.params.assumptions
        branches = self._decisions.branches if self._decisions is not None else {}
        for v, choice in sorted(branches.items()):  # a secretary's terms for a running coop
            if v in self.coops and choice.lever_changes():
                coop = self.coops[v]
                coop.terms = branch_terms(lv, choice)
                coop.rule = make_rule(coop.terms)
        if lv.coop_founding == "none" and not branches:
            return
        p, w = self.plots, self.params.world
        firm_price = self.firm.price if self.firm.open else None
        model_founds = lv.coop_founding != "none"
        looks = self.rng.random(w.n_villages) if model_founds else np.ones(w.n_villages)
        noise = self.rng.normal(0.0, a.appraisal_sd, w.n_villages) if model_founds else looks * 0
        # land a co-op could pool: released or idle last year, the collective's unlet land, and
        # land households lease to each other (its holders could join instead)
        on_offer = (
            self.released | ((p.holder == COLLECTIVE) & ~p.leased()) | (p.kind == HOUSEHOLD_LEASE)
        )
        for v in range(w.n_villages):
            choice = branches.get(v)  # a secretary decides instead of the branch's rule
            if v in self.coops or (choice is not None and not choice.found):
                continue
            if choice is None:
                if not model_founds or self.strength[v] < lv.founding_min_strength:
                    continue
                if lv.coop_founding == "endogenous" and looks[v] >= a.founding_rate:
                    continue
            terms = branch_terms(lv, choice) if choice is not None else None
            rule = make_rule(terms or lv)
            sel = on_offer & (p.village == v)
            est = appraise(
                p.hilly[sel],
                p.quality[sel],
                float(self.village_mu[v]),
                w.plot_size_mu,
                float(self.strength[v]),
                rule,
                a,
                terms or lv,
                firm_price,
            )
            expected = est.profit * np.exp(noise[v] - a.appraisal_sd**2 / 2)
            hurdle = a.founding_hurdle * float(self.village_mu[v])
            if choice is None and lv.coop_founding == "endogenous" and expected < hurdle:
                continue
            coop = Cooperative(
                self, v, float(self.strength[v]), rule, float(self.village_mu[v]), est.dividend
            )
            coop.terms = terms
            self.coops[v] = coop
            self.government.grant(coop)

    def demography(self) -> None:
        """Age members (deaths, births, migration, return); the land of households that died
        out passes to their closest living kin household (an heir) or, without one, returns
        to the collective; grown children found households and take part of the land."""
        pop, p, a = self.population, self.plots, self.params.assumptions
        died = age_one_year(pop, a, self.rng)
        if died.size:
            heirs = self.kin.closest(died, pop.hh_alive)
            heir_of = np.full(pop.n_households, COLLECTIVE, dtype=np.int64)
            heir_of[died] = heirs
            dead = np.zeros(pop.n_households, dtype=bool)
            dead[died] = True
            held = (p.holder >= 0) & dead[np.maximum(p.holder, 0)]
            # their own/custody plots are free for the new holder to decide; leases they
            # granted continue with the new holder
            unleased = held & ~p.leased()
            p.kind[unleased] = IDLE
            p.operator[unleased] = NOBODY
            p.holder[held] = heir_of[p.holder[held]]
            # leases they held as lessee end, and so do leases an heir now holds itself
            lessee_dead = (p.kind == HOUSEHOLD_LEASE) & dead[np.maximum(p.operator, 0)]
            own_lease = (p.kind == HOUSEHOLD_LEASE) & (p.operator == p.holder)
            p.end_lease(lessee_dead | own_lease)
            for i in died:
                self.households.pop(int(i)).remove()
            self._farm_order_cache = None
        formed = form_households(pop, a, self.rng)
        if formed:
            self.kin.inherit_many(formed)
            self._endow_all(formed)
            for _, child in formed:
                self.households[child] = Household(self, child)
            self._farm_order_cache = None

    def _endow_all(self, formed: list[tuple[int, int]]) -> None:
        """Each new household takes ``split_land_share`` of its parents' plots, from the
        village collective's unlet land first, then from the parents' plots (in the order the
        households formed; the plot lists are built once a year, not once per household)."""
        p, a = self.plots, self.params.assumptions
        n_v = self.params.world.n_villages
        parents = np.array([pa for pa, _ in formed], dtype=np.int64)
        is_parent = np.zeros(self.population.n_households, dtype=bool)
        is_parent[parents] = True
        theirs = np.flatnonzero((p.holder >= 0) & is_parent[np.maximum(p.holder, 0)])
        keys, groups = _split_by(p.holder[theirs], theirs)
        by_holder = {int(h): g for h, g in zip(keys, groups, strict=False)}
        spare_idx = np.flatnonzero((p.holder == COLLECTIVE) & ~p.leased())
        spare = _group_indices(p.village[spare_idx], n_v)
        spare = [spare_idx[g] for g in spare]
        for parent, child in formed:
            mine = by_holder.get(parent, np.zeros(0, dtype=np.int64))
            n = int(round(a.split_land_share * mine.size))
            if n == 0:
                continue
            v = int(self.population.hh_village[child])
            take = spare[v][self.rng.permutation(spare[v].size)[:n]]
            if take.size:
                spare[v] = spare[v][~np.isin(spare[v], take)]
            rest = n - take.size
            if rest > 0:
                given = self.rng.permutation(mine.size)[:rest]
                take = np.concatenate([take, mine[given]])
                kept = np.ones(mine.size, dtype=bool)
                kept[given] = False
                by_holder[parent] = mine[kept]  # as if listed again for a later pair
            p.holder[take] = child

    def expire_leases(self) -> None:
        """Leases whose last year has passed return plots to their holders."""
        p = self.plots
        p.end_lease(p.leased() & (p.lease_end < self.year))

    def decide(self) -> Choices:
        """Households decide, for every free plot they hold, whether to keep farming it or to
        release it, and through which channel (:func:`landsim.households.decide_land_use`)."""
        p, a, pop = self.plots, self.params.assumptions, self.population
        mu = self.params.world.plot_size_mu
        days, wage = self._labour()
        self._days_left, self._wage = days, wage
        free_mask = (p.holder >= 0) & ~p.leased()
        free = np.flatnonzero(free_mask)
        h = p.holder[free]
        need = np.where(p.hilly[free], a.labour_days_hilly, a.labour_days_flat) * mu
        # a household farms its easiest, best plots first while its labour lasts
        farm_order = self._farm_order()
        order = (np.cumsum(free_mask) - 1)[farm_order[free_mask[farm_order]]]
        cum = _group_cumsum(need[order], h[order])
        can = np.empty(free.size, dtype=bool)
        can[order] = cum <= np.maximum(days[h[order]], 0)
        risk = risk_aversion(pop.resident_head_age(), a)
        choices = decide_land_use(
            p.village[free],
            p.hilly[free],
            p.quality[free],
            can,
            wage[h],
            risk[h],
            pop.trust[h],
            self._outlook(),
            a,
            self.rng.random(free.size),
        )
        self._free = free
        if self._decisions is not None and self._decisions.plots:
            choices = _override(choices, free, can, p.holder, self._decisions.plots)
        return choices

    def _labour(self) -> tuple[np.ndarray, np.ndarray]:
        """Field days each household has for its own plots this year (after the days its
        leased-in land takes) and its members' shadow wage."""
        p, a, pop = self.plots, self.params.assumptions, self.population
        mu = self.params.world.plot_size_mu
        days, wage = household_labour(pop.m_hh, pop.m_age, pop.residents(), pop.n_households, a)
        leased_in = p.kind == HOUSEHOLD_LEASE
        lessee_days = np.where(p.hilly, a.lease_labour_days_hilly, a.lease_labour_days_flat) * mu
        days -= np.bincount(
            p.operator[leased_in], weights=lessee_days[leased_in], minlength=pop.n_households
        )
        return days, wage

    def field_days(self) -> np.ndarray:
        """Field days each household has now for farming its own plots (by household index)."""
        return self._labour()[0]

    def _farm_order(self) -> np.ndarray:
        """Held plots in the order households farm them: by holder, labour need per plot, then
        best quality first (then plot index). Sorted once and reused until holders or labour
        days change; the three keys are packed into one integer so a single sort does."""
        a, p = self.params.assumptions, self.plots
        key = (a.labour_days_flat, a.labour_days_hilly, self.params.world.plot_size_mu)
        if self._farm_order_cache is None or self._farm_order_cache[0] != key:
            if self._quality_rank is None or self._quality_rank[0] is not p.quality:
                rank = np.empty(p.n, dtype=np.int64)
                rank[np.argsort(-p.quality, kind="stable")] = np.arange(p.n)
                self._quality_rank = (p.quality, rank)
            idx = np.flatnonzero(p.holder >= 0)
            need = np.where(p.hilly[idx], a.labour_days_hilly, a.labour_days_flat)
            more = (need > min(a.labour_days_hilly, a.labour_days_flat)).astype(np.int64)
            packed = np.full(p.n, -1, dtype=np.int64)
            packed[idx] = (p.holder[idx].astype(np.int64) * 2 + more) * p.n
            packed[idx] += self._quality_rank[1][idx]
            order, keys = _sorted_by_key(packed, idx, self._farm_sorted)
            self._farm_sorted = (keys, order)
            self._farm_order_cache = (key, order)
        return self._farm_order_cache[1]

    def _outlook(self) -> Outlook:
        n_v = self.params.world.n_villages
        coop_open = np.zeros(n_v, dtype=bool)
        coop_base = np.zeros(n_v)
        coop_bonus = np.zeros(n_v)
        for v, coop in sorted(self.coops.items()):
            if coop.active:
                coop_open[v] = True
                coop_base[v] = coop.base_rate
                coop_bonus[v] = coop.expected_bonus
        pop = self.population
        per_v = np.bincount(pop.hh_village[pop.hh_alive], minlength=n_v)
        in_coop = np.bincount(pop.hh_village[self.member_mask()], minlength=n_v)
        return Outlook(
            lease_return=self.lease_return,
            coop_open=coop_open,
            coop_base=coop_base,
            coop_bonus=coop_bonus,
            coop_share=in_coop / np.maximum(per_v, 1),
            custody_open=self.firm.open,
            custody_price=self.firm.price,
        )

    def market(self, choices: Choices) -> None:
        """Place released land: the cooperatives take what they accept (members' plots and
        the collective's unlet land), the firm takes custody up to its capacity, and the rest
        goes to the household lease market (kin first, then strangers). A released plot
        nobody takes is farmed by its holder if it can and will, else it lies idle."""
        p, lv = self.plots, self.params.levers
        year, mu = self.year, self.params.world.plot_size_mu
        n_v = self.params.world.n_villages
        free, ch = self._free, choices
        leased = p.leased()
        p.kind[~leased] = IDLE  # last year's own farming and custody were for one season
        p.operator[~leased] = NOBODY
        channel = np.full(p.n, -1, dtype=np.int8)
        channel[free] = ch.channel
        own_value = np.full(p.n, -np.inf)
        own_value[free] = ch.own_value
        free_coll = (p.holder == COLLECTIVE) & ~leased
        released = (channel >= 0) | free_coll
        self.released = released.copy()
        # 1. cooperatives
        coop_open = np.zeros(n_v, dtype=bool)
        for v, coop in self.coops.items():
            coop_open[v] = coop.active
        offered_all = ((channel == COOP) | free_coll) & coop_open[p.village]
        pool_key = np.where(p.kind == COOP, p.operator, np.where(offered_all, p.village, -1))
        contiguity = same_key_neighbour_share(p.grid(pool_key))
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
        want = np.flatnonzero((channel == CUSTODY) & ~p.leased())
        firm = self.firm
        if want.size and firm.open:
            firm.demand += want.size * mu
            order = want[self.rng.permutation(want.size)]
            got = order[: int(firm.room() // mu)]
            p.kind[got] = CUSTODY
            p.operator[got] = 0
            firm.served += got.size * mu  # booked now so capacity is not sold twice
        # 3. household leases: everything released and not yet placed
        offer_mask = released & ~p.leased() & (p.kind != CUSTODY)
        self._lease_market(np.flatnonzero(offer_mask), own_value, free[ch.keep])
        # 4. kept plots, and released plots nobody took whose holder can and will farm them
        placed = p.leased() | (p.kind == CUSTODY)
        farm = np.zeros(p.n, dtype=bool)
        farm[free[ch.keep]] = True
        fallback = released & ~placed & (own_value >= 0)
        farm |= fallback
        farm &= ~placed & (p.holder >= 0)
        p.kind[farm] = OWN
        p.operator[farm] = p.holder[farm]

    def _lease_market(self, offered: np.ndarray, own_value: np.ndarray, kept: np.ndarray) -> None:
        """Clear the household lease market for ``offered`` plots (:mod:`landsim.market`);
        ``own_value`` is each plot's value to its holder (its reserve), ``kept`` the plots
        households farm themselves (their labour is not free for leased land)."""
        p, a, pop = self.plots, self.params.assumptions, self.population
        year, mu = self.year, self.params.world.plot_size_mu
        n_v = self.params.world.n_villages
        holder = p.holder[offered]
        reserve = np.maximum(own_value[offered], 0.0)
        market_value = self.lease_return[p.village[offered], p.hilly[offered].astype(np.int64)]
        offers = Offers(
            plot=offered,
            village=p.village[offered],
            row=p.row[offered],
            col=p.col[offered],
            hilly=p.hilly[offered],
            quality=p.quality[offered],
            reserve=reserve,
            market_value=market_value,
            holder=holder,
        )
        # bidders: households with a resident head young enough and field days to spare
        kept_mask = np.zeros(p.n, dtype=bool)
        kept_mask[kept] = True
        kept = kept_mask
        own_need = np.where(p.hilly, a.labour_days_hilly, a.labour_days_flat) * mu
        own_days = np.bincount(p.holder[kept], weights=own_need[kept], minlength=pop.n_households)
        spare = self._days_left - own_days
        head = pop.resident_head_age()
        ok = pop.hh_alive & (head > 0) & (head <= a.bidder_max_head_age) & (spare > 0)
        b = np.flatnonzero(ok)
        bidders = Bidders(
            household=b,
            village=pop.hh_village[b],
            row=pop.home_row[b],
            col=pop.home_col[b],
            wage=self._wage[b],
            days=spare[b],
            max_plots=np.full(b.size, a.max_lease_in_plots, dtype=np.int64),
        )
        kin = self._kin_pairs(holder, b)
        tech = Technology(
            gross=a.gross_revenue_per_mu * a.price_index,
            cash=a.cash_cost_per_mu * (1 - a.scale_cost_cut),
            hilly_cash=a.cash_cost_per_mu * a.hilly_cost_factor,
            hilly_yield=a.hilly_yield_factor,
            days_flat=a.lease_labour_days_flat,
            days_hilly=a.lease_labour_days_hilly,
            hired_wage=a.day_wage,
            plot_mu=mu,
        )
        leases = clear_market(
            offers, bidders, kin, tech, a.bid_fraction, a.distance_cost, a.kin_lease_value
        )
        terms = self.rng.integers(a.lease_years_min, a.lease_years_max + 1, leases.plot.size)
        p.kind[leases.plot] = HOUSEHOLD_LEASE
        p.operator[leases.plot] = leases.lessee
        p.rent[leases.plot] = leases.rent
        p.lease_start[leases.plot] = year
        p.lease_end[leases.plot] = year + terms - 1
        # expectations: return per offered plot, by village and terrain (a kin loan is worth
        # its closeness x kin_lease_value to the holder)
        t_off = p.hilly[offered].astype(np.int64)
        key_off = p.village[offered] * 2 + t_off
        n_off = np.bincount(key_off, minlength=2 * n_v).reshape(n_v, 2)
        got = np.where(leases.kin, leases.closeness * a.kin_lease_value, leases.rent)
        key_won = key_off[leases.offer]
        ret = np.bincount(key_won, weights=got, minlength=2 * n_v).reshape(n_v, 2)
        seen = n_off > 0
        wgt = a.expectation_weight
        self.lease_return[seen] += wgt * (ret[seen] / n_off[seen] - self.lease_return[seen])
        paid = ~leases.kin & (leases.rent > 0)
        hilly = p.hilly[leases.plot]
        self.year_rent = {
            "all": _mean(leases.rent[paid]),
            "flat": _mean(leases.rent[paid & ~hilly]),
            "hilly": _mean(leases.rent[paid & hilly]),
        }

    def _kin_pairs(self, offer_holder: np.ndarray, bidder_hh: np.ndarray) -> KinPairs:
        """Kin ties between the holders of offered plots and bidders, as index pairs."""
        n = self.population.n_households
        is_bidder = np.zeros(n, dtype=bool)
        is_bidder[bidder_hh] = True
        is_holder = np.zeros(n, dtype=bool)
        is_holder[offer_holder[offer_holder >= 0]] = True
        src, dst, close = self.kin.pairs(is_holder, is_bidder, n)
        bidx = np.full(n, -1, dtype=np.int64)
        bidx[bidder_hh] = np.arange(bidder_hh.size)
        # expand: every offer of a holder x every tie of that holder
        order = np.argsort(src, kind="stable")
        src, dst, close = src[order], dst[order], close[order]
        h = np.where(offer_holder >= 0, offer_holder, 0)
        lo = np.searchsorted(src, h, side="left")
        hi = np.searchsorted(src, h, side="right")
        cnt = np.where(offer_holder >= 0, hi - lo, 0)
        offer = np.repeat(np.arange(offer_holder.size), cnt)
        start = np.repeat(lo, cnt)
        within = np.arange(offer.size) - np.repeat(np.cumsum(cnt) - cnt, cnt)
        edge = start + within
        return KinPairs(offer=offer, bidder=bidx[dst[edge]], closeness=close[edge])

    def farm(self) -> None:
        """Harvest and pay: crops, inputs, hired labour, rents, custody fees; remittances,
        pensions, local wages."""
        p, a = self.plots, self.params.assumptions
        led, acc, pop = self.ledger, self.accounts, self.population
        mu = self.params.world.plot_size_mu
        n_h = pop.n_households
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
        self._helper_days = helper_days(pop.m_hh, pop.m_age, pop.residents(), n_h, a)
        alive = np.flatnonzero(pop.hh_alive)
        self._village_hh = [
            alive[i] for i in _group_indices(pop.hh_village[alive], self.params.world.n_villages)
        ]
        self.last_coop_days = np.zeros(n_h)
        if custody.any():
            plots = np.flatnonzero(custody)
            led.post(acc.outside, p.holder[plots], "crop_sales", gross[plots])
            self.firm.serve_households(plots, self.firm.price * cf[plots] * mu)

        # incomes from outside farming
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

    def distribute(self) -> None:
        """Cooperatives farm their pools and share benefits (after custody is served)."""
        p = self.plots
        pooled = np.flatnonzero(p.kind == COOP)
        by_coop = _group_indices(p.operator[pooled], self.params.world.n_villages)
        for v, coop in sorted(self.coops.items()):
            if coop.active:
                coop.farm_and_share(self.shock, pooled[by_coop[v]])

    def policy_after_season(self) -> None:
        """Management standards, trust, engagement, coop failures, the firm's price and
        capacity, and the year's household incomes."""
        pop = self.population
        for _, coop in sorted(self.coops.items()):
            if coop.active:
                self.government.raise_standards(coop)
        self._update_trust_and_engagement()
        per_v = np.bincount(pop.hh_village[pop.hh_alive], minlength=self.params.world.n_villages)
        for v, coop in sorted(self.coops.items()):
            if coop.active:
                coop.review(int(per_v[v]))
        self.firm.close_year()
        pop.income = self.ledger.net_this_year(0, pop.n_households)

    def observe(self) -> None:
        """Collect this year's outcomes, then close the books (which checks they balance)."""
        self.datacollector.collect(self)
        self.ledger.close_year()
        if self._grid is not None:
            self._refresh_layers()

    # ------------------------------------------------------------------ Mesa grid
    @property
    def grid(self) -> OrthogonalVonNeumannGrid:
        """The plots as a Mesa grid (``width x height`` cells, cell ``(x, y)`` = plot in column
        ``x``, row ``height - 1 - y``, so north is up in Mesa's drawings) with one property
        layer per entry of :data:`LAYERS`. Built on first use and refreshed every step after
        that, so runs that never draw pay nothing for it."""
        if self._grid is None:
            w = self.params.world
            grid = OrthogonalVonNeumannGrid((w.width, w.height), torus=False, random=self.random)
            self._layers = {
                name: grid.create_property_layer(name, default_value=dtype(0), dtype=dtype)
                for name, dtype in LAYERS.items()
            }
            self._grid = grid
            self._refresh_layers()
        return self._grid

    def layer_values(self) -> dict[str, np.ndarray]:
        """The plot layers as per-plot arrays: who farms (operator kind, 0 idle ... 4
        custody), terrain (1 hilly, 0 flat), the age of the contract holder's head (0 for
        collective land) and the holder's trust in the cooperative (0-1; 0 for collective
        land)."""
        p, pop = self.plots, self.population
        held = p.holder >= 0
        h = np.maximum(p.holder, 0)
        return {
            "farmed_by": p.kind.astype(np.int64),
            "terrain": p.hilly.astype(np.int64),
            "holder_age": np.where(held, pop.head_age()[h], 0.0),
            "trust": np.where(held, pop.trust[h], 0.0),
        }

    def _refresh_layers(self) -> None:
        for name, values in self.layer_values().items():
            # plots are row-major (row 0 north); Mesa layers are indexed [x, y], y up
            self._layers[name].data[:] = self.plots.grid(values)[::-1].T

    # ------------------------------------------------------------------ trust and engagement
    def _coop_signals(self) -> CoopSignals:
        n_v = self.params.world.n_villages
        lv = self.params.levers
        z = np.zeros(n_v)
        active, transp, seen, debt = z.astype(bool), z.copy(), z.copy(), z.astype(bool)
        clean, found = z.astype(bool), z.copy()
        for v, c in self.coops.items():
            if not c.active:
                continue
            active[v] = True
            transp[v] = c.transparency
            seen[v] = c.found_leak_rate if c.audited else c.leak_rate * c.engaged_share
            debt[v] = c.debt > 0
            clean[v] = c.audited and c.found_leak_rate == 0.0 and lv.audit_disclosure
            found[v] = c.found_leak_rate if c.audited else 0.0
        return CoopSignals(active, transp, seen, debt, clean, found, self.lease_return[:, 0])

    def _update_trust_and_engagement(self) -> None:
        """Trust follows what members were paid, openness, leakage and debt; members engage
        with a probability that rises with their stake, voice and trust (:mod:`landsim.trust`)."""
        pop, a = self.population, self.params.assumptions
        members = self.member_mask()
        sig = self._coop_signals()
        pop.trust = update_trust(
            pop.trust, pop.hh_village, pop.hh_alive, members, pop.coop_pay, sig, a
        )
        p = engagement_probability(pop.perf_pay, sig.transparency[pop.hh_village], pop.trust, a)
        pop.engaged = members & (self.rng.random(pop.n_households) < p)
        if self._decisions is not None:  # members who decided for themselves
            for h, on in self._decisions.engage.items():
                pop.engaged[h] = bool(members[h] and on)
        n_v = self.params.world.n_villages
        n_mem = np.bincount(pop.hh_village[members], minlength=n_v)
        n_eng = np.bincount(pop.hh_village[pop.engaged], minlength=n_v)
        for v, coop in sorted(self.coops.items()):
            coop.engaged_share = float(n_eng[v] / n_mem[v]) if n_mem[v] else 0.0

    # ------------------------------------------------------------------ helpers used by agents
    def member_mask(self) -> np.ndarray:
        """Households with at least one plot in an active cooperative."""
        p, pop = self.plots, self.population
        in_coop = (p.kind == COOP) & (p.holder >= 0)
        mask = np.zeros(pop.n_households, dtype=bool)
        mask[p.holder[in_coop]] = True
        return mask & pop.hh_alive

    def hire_villagers(
        self, payer: int, village: int, days: float, wage: float, kind: str
    ) -> float:
        """Hire older villagers of ``village`` for ``days`` of work at ``wage`` (yuan/day);
        what the village cannot supply is hired from outside. Returns wages paid to villagers."""
        hh = self._village_hh[village]
        hired = spread_hiring(self._helper_days[hh], days)
        self._helper_days[hh] -= hired
        if kind == "coop_wage":
            self.last_coop_days[hh] += hired
        paid = self.ledger.post(payer, hh, kind, hired * wage)
        self.ledger.post(payer, self.accounts.outside, kind, max(0.0, days - hired.sum()) * wage)
        return paid

    def dissolve_coop(self, coop: Cooperative) -> None:
        """An empty shell stops farming: its leases end with this season and members lose
        ``shell_trust_loss`` of trust."""
        p, pop = self.plots, self.population
        mine = (p.kind == COOP) & (p.operator == coop.village)
        holders = p.holder[mine]
        holders = holders[holders >= 0]
        loss = self.params.assumptions.shell_trust_loss
        pop.trust[holders] = np.clip(pop.trust[holders] - loss, 0, 1)
        p.lease_end[mine] = self.year  # this season was farmed; holders get the land back next year

    def patches(self) -> tuple[int, int]:
        """Number of operated plots and of contiguous patches with one operator (4-neighbour)."""
        p = self.plots
        key = p.kind.astype(np.int64) * (p.n + 1) + p.operator + 1
        return count_patches(p.grid(np.where(p.kind == IDLE, -1, key)))

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

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: str | os.PathLike, meta: dict[str, Any] | None = None) -> Path:
        """Write the full state to an ``.npz`` checkpoint, with optional ``meta`` labels
        (:func:`landsim.checkpoint.save`)."""
        from landsim import checkpoint

        return checkpoint.save(self, path, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> LandModel:
        """Rebuild a model from a checkpoint; no file can make this run code
        (:func:`landsim.checkpoint.load`)."""
        from landsim import checkpoint

        return checkpoint.load(path)

    # ------------------------------------------------------------------ results
    def outcomes(self) -> pd.DataFrame:
        """Yearly outcomes, one row per year with a ``year`` column: 0 (the initial state,
        before the first season) to the current year."""
        df = self.datacollector.get_model_vars_dataframe().reset_index(drop=True)
        df.insert(0, "year", np.arange(len(df)))
        return df

    def decision_log(self) -> pd.DataFrame:
        """Every decision handed to :meth:`step`: year, role, index, who, what, value."""
        cols = ["year", "role", "index", "who", "what", "value"]
        return pd.DataFrame(self._decision_rows, columns=cols)

    def active_coops(self) -> list[Cooperative]:
        """Cooperatives that operate, by village."""
        return [c for _, c in sorted(self.coops.items()) if c.status == ACTIVE]

    def empty_shells(self) -> list[Cooperative]:
        """Cooperatives that failed and linger as empty shells."""
        return [c for _, c in sorted(self.coops.items()) if c.status == EMPTY_SHELL]


#: Mesa property layers on :attr:`LandModel.grid` (name -> dtype); see
#: :meth:`LandModel.layer_values` for what each holds
LAYERS: dict[str, type] = {"farmed_by": int, "terrain": int, "holder_age": float, "trust": float}


def _deprecated_seed(seed: Any, rng: Any) -> Any:
    """``LandModel(seed=S)`` as Mesa 3.5 takes ``Model(seed=S)``: the generator's seed, with
    Mesa's deprecation warning, pointed at the caller's line."""
    if rng is not None:
        raise ValueError("you have to pass either rng or seed, not both")
    warnings.warn(
        "The use of the `seed` keyword argument is deprecated, use `rng` instead. "
        "No functional changes.",
        FutureWarning,
        stacklevel=3,
    )
    return seed


def _seed_like(rng: Any) -> Any:
    """What Mesa's own inputs pass as ``rng``, as numpy accepts it: a seed typed into
    SolaraViz's text box arrives as a string (``"42"``; blank means a fresh seed), a slider
    may give ``42.0``; generators, seed sequences and ints pass through.

    Raises:
        ValueError: for a string or number that is not a whole, non-negative seed.
    """
    if isinstance(rng, str):
        text = rng.strip()
        if not text:
            return None
        try:
            rng = int(text)
        except ValueError:
            raise ValueError(f"rng must be a whole number (a seed), got {rng!r}") from None
    elif isinstance(rng, Real) and not isinstance(rng, Integral):
        if not float(rng).is_integer():
            raise ValueError(f"rng must be a whole number (a seed), got {rng!r}")
        rng = int(rng)
    if isinstance(rng, Integral):
        if rng < 0:
            raise ValueError(f"rng must be a non-negative seed, got {rng}")
        rng = int(rng)  # Mesa seeds Python's random with it, which refuses numpy integers
    return rng


def _override(
    choices: Choices,
    free: np.ndarray,
    can: np.ndarray,
    holder: np.ndarray,
    plots: dict[int, dict[int, str]],
) -> Choices:
    """``choices`` with people's plot decisions in place of the rule's, for exactly the plots
    they decided that are still theirs and free. A released plot is never farmed by its holder
    as a fall-back (own value -inf); a kept plot beyond the household's labour lies idle."""
    pos = np.full(holder.size, -1, dtype=np.int64)
    pos[free] = np.arange(free.size)
    keep, channel, own = choices.keep.copy(), choices.channel.copy(), choices.own_value.copy()
    for h, mine in plots.items():
        for plot, choice in mine.items():
            i = pos[plot]
            if i < 0 or holder[plot] != h:  # inherited away or leased since: nothing to do
                continue
            code = PLOT_CHOICES[choice]
            keep[i] = code < 0 and bool(can[i])
            channel[i] = code
            if code >= 0:
                own[i] = -np.inf
    return Choices(keep=keep, channel=channel, own_value=own)


def _mean(x: np.ndarray) -> float:
    return float(x.mean()) if x.size else 0.0


def _group_cumsum(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Cumulative sum of ``values`` restarting at each new value of sorted ``groups``."""
    cum = np.cumsum(values)
    if values.size == 0:
        return cum
    start = np.r_[True, groups[1:] != groups[:-1]]
    offsets = np.maximum.accumulate(np.where(start, np.arange(values.size), 0))
    before = np.r_[0.0, cum[:-1]]
    return cum - before[offsets]


def _sorted_by_key(
    packed: np.ndarray, idx: np.ndarray, last: tuple[np.ndarray, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray]:
    """``idx`` sorted by their unique keys ``packed[idx]`` (``packed`` is -1 elsewhere), and the
    sorted keys. With ``last`` (the keys and order of an earlier call) only the entries whose
    key changed are sorted and merged in: a year changes few holders."""
    if last is None or last[1].size and last[1].max() >= packed.size:
        keys = packed[idx]
        order = np.argsort(keys)  # keys are unique: any sort gives this order
        return idx[order], keys[order]
    old_keys, old_order = last
    same = packed[old_order] == old_keys
    base_keys, base_order = old_keys[same], old_order[same]
    listed = np.zeros(packed.size, dtype=bool)
    listed[base_order] = True
    new = idx[~listed[idx]]
    new = new[np.argsort(packed[new])]
    at = np.searchsorted(base_keys, packed[new])
    return np.insert(base_order, at, new), np.insert(base_keys, at, packed[new])


def _split_by(keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, list[np.ndarray]]:
    """Unique ``keys`` and, for each, the ``values`` with that key (in their given order)."""
    order = np.argsort(keys, kind="stable")
    uniq, starts = np.unique(keys[order], return_index=True)
    return uniq, np.split(values[order], starts[1:])


def _group_indices(keys: np.ndarray, n: int) -> list[np.ndarray]:
    order = np.argsort(keys, kind="stable")
    bounds = np.searchsorted(keys[order], np.arange(n + 1))
    return [order[bounds[i] : bounds[i + 1]] for i in range(n)]
