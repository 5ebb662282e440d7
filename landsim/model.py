"""LandModel: builds the town and orders the farming year.

One step is one farming year. The order of phases follows the calendar of a North China
village: the town's budget and new cooperatives are settled over winter; people age, die, are
born, leave for the cities and set up households of their own around the Spring Festival, and
heirs take over the land of the dead; households then decide, plot by plot, whether to keep
farming or to release land before spring sowing; released land is placed (cooperative,
custody, leases to kin and to other households) or left idle; the land is farmed and
harvested; the cooperatives close their books and pay out; and over the next winter audits,
standards and the year's experience change management, trust and engagement.

This module is the calendar and nothing else: the state is a :class:`~landsim.town.Town` of
arrays, each rule lives in the phase module that owns it (docs/ODD.md, section 3, names them),
Mesa users see agents that are views of the arrays (:mod:`landsim.views`), and checkpoints
store the town (:mod:`landsim.checkpoint`).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import mesa
import numpy as np
import pandas as pd

from landsim import (
    books,
    branches,
    checkpoint,
    cooperatives,
    demography,
    farming,
    government,
    labour,
    land_use,
    market,
    services,
    trust,
)
from landsim.decisions import LOG_COLUMNS, Decisions, check
from landsim.metrics import FLOW_METRICS, OutcomeTable
from landsim.params import Params, apply_changes, merged_changes, params_from_flat
from landsim.town import Town, build_town, town_rng
from landsim.views import AgentViews, GridView, deprecated_seed, layer_values, seed_like

__all__ = ["LandModel"]


class LandModel(mesa.Model):
    """Rural land transfer in an aging town with Party-branch-led cooperatives.

    Build it from a validated :class:`~landsim.params.Params`, from flat keyword parameters,
    or both (keywords override): ``LandModel(rng=7, benefit_rule="fixed_rent")``. The
    defaults are the baseline town of ``scenarios/baseline.toml``.
    """

    def __init__(self, params: Params | None = None, **kwargs: Any) -> None:
        """Build the town and the land use of the year before the first.

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
        saved: checkpoint.Snapshot | None = kwargs.pop("_snapshot", None)
        rng = kwargs.pop("rng", None)
        if "seed" in kwargs:
            rng = deprecated_seed(kwargs.pop("seed"), rng)
        if rng is None and scenario is not None:
            rng = getattr(scenario, "rng", None)
        super().__init__(rng=seed_like(rng))
        # Mesa replaces ``step`` by a wrapper that advances time and then calls the calendar
        # below; ours first takes the year's decisions, then calls Mesa's wrapper
        self._mesa_step = self.step
        self.step = self._step_with_decisions
        self.params = params_from_flat(params, **kwargs)
        self._decisions: Decisions | None = None  # people's decisions for the year stepped
        self._decision_rows: list[dict[str, Any]] = []  # every decision, for decision_log
        self._farm_order = land_use.FarmOrder()  # a cache: the order households farm plots
        self._views, self._grid = AgentViews(self), None  # Mesa's agents and grid, on demand
        self._rewinding = False  # True only while a loaded checkpoint moves Mesa's clock
        # the yearly outcomes (landsim.metrics), kept where Mesa users look for them
        self.datacollector = OutcomeTable(self.params.run.years)
        if saved is not None:
            return self._resume(saved)
        self._adopt(build_town(self.params, town_rng(self.rng)))  # a generator of its own
        # year 0: the land use households' own rule gives before the first season, once the
        # land and day-labour markets have settled, before any money flows (docs/ODD.md)
        market.settle(self.town, self.params, self._decide, self.rng)
        services.start_year(self.town.firm)
        self.datacollector.collect(self)
        self.running = self.params.run.years > 0

    def _adopt(self, town: Town) -> None:
        self.town = town
        self.plots, self.population, self.kin = town.plots, town.population, town.kin
        self.villages, self.ledger, self.accounts = town.villages, town.ledger, town.ledger.accounts

    # ------------------------------------------------------------------ the farming year
    @property
    def year(self) -> int:
        """Current model year (1 during the first step; 0 before it)."""
        return self.steps

    def _step_with_decisions(self, decisions: Decisions | None = None) -> None:
        """One farming year, with people's ``decisions`` (what ``model.step(decisions=...)``
        calls; see :meth:`step`)."""
        if decisions is not None:
            check(self, decisions)
            self._decision_rows.extend(decisions.log_rows(self.year + 1))
        self._decisions = decisions or None
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
        self._apply_timeline()  # dated policy changes take effect at the start of the year
        self.params = farming.advance_technology(self.params)  # machines reach further
        t, p, rng, year, d = self.town, self.params, self.rng, self.year, self._decisions
        government.start_year(t.government, t.ledger, p.levers)  # the budget arrives
        services.start_year(t.firm)  # the firm's counters start again
        branches = dict(d.branches) if d else {}
        cooperatives.found_coops(t, p, rng, year, branches)  # branches may found co-ops
        demography.run_year(t, p, rng)  # aging, deaths, births, migration, heirs, new households
        cooperatives.renew_leases(t, p, rng, year)  # co-op leases both sides want to keep
        market.expire_leases(t.plots, year)  # ended leases give plots back to their holders
        self._market(self._decide(), year)  # keep or release, plot by plot; place the released
        shock, pool = farming.farm(t, p, rng)  # harvest, costs, rents, day labour, incomes
        books.distribute(t, p, rng, year, shock, pool)  # co-ops farm, hire and share
        # households learn how much local day work there was
        labour.learn_job_chance(t.villages.job_chance, pool, p.assumptions.expectation_weight)
        self._after_season()  # standards, trust, engagement, failures, firm prices, incomes
        self.datacollector.collect(self)  # the year's outcomes
        t.ledger.close_year()  # the books close (and are checked to balance)
        if self._grid is not None:
            self._grid.refresh(t.plots, t.population)
        self.running = self.year < self.params.run.years  # Mesa stops at the horizon

    def _apply_timeline(self) -> None:
        """Events dated this year (``levers.X``/``assumptions.X`` changes), then the town
        government's own choice of levers."""
        events = [e for e in self.params.timeline if e.year == self.year]
        if events:  # together, a later one winning: as the timeline was checked (params.py)
            changes = merged_changes(e.set for e in events)
            self.params = apply_changes(self.params, changes, check_timeline=False)
        d = self._decisions
        if d is not None and d.government:  # the town government's choice this year wins
            changes = {f"levers.{k}": v for k, v in d.government.items()}
            self.params = apply_changes(self.params, changes)
        if events:  # a changed lever may change the co-ops' rules or their numbers
            cooperatives.follow_levers(self.villages, self.params.levers)

    def _decide(self) -> land_use.LandUse:
        people = self._decisions.plots if self._decisions is not None else None
        return land_use.decide(self.town, self.params, self._farm_order, self.rng, people)

    def _market(self, use: land_use.LandUse, year: int) -> None:
        market.place_released_land(self.town, self.params, use, self.rng, year)

    def _after_season(self) -> None:
        t, p = self.town, self.params
        government.raise_standards(t, p)  # the town's standards, professionals, the body
        branches.update_branches(t, p, self.rng)  # results, training, new secretaries
        engage = self._decisions.engage if self._decisions is not None else None
        trust.update_trust_and_engagement(t, p, self.rng, engage)  # members judge their co-op
        cooperatives.review(t, p, self.year)  # co-ops in debt or without members fail
        services.close_year(t.firm, t.ledger, p.assumptions, p.levers)  # price and capacity adapt
        t.population.income = t.ledger.net_this_year(0, t.population.n_households)

    # ------------------------------------------------------------------ Mesa integration
    @property
    def agents(self) -> Any:
        """Mesa's agents: views of the arrays, created the first time they are asked for."""
        self._views.sync()
        return super().agents

    @property
    def agents_by_type(self) -> Any:
        """Mesa's agents by type (see :attr:`agents`)."""
        self._views.sync()
        return super().agents_by_type

    @property
    def households(self) -> dict[int, Any]:
        """The living households as Mesa agents (:class:`landsim.views.Household`), by index."""
        return self._views.sync().households

    @property
    def coops(self) -> dict[int, Any]:
        """The co-ops as Mesa agents (:class:`landsim.views.Cooperative`), by village."""
        return self._views.sync().coops

    @property
    def firm(self) -> Any:
        """The service firm as a Mesa agent (:class:`landsim.views.ServiceFirm`)."""
        return self._views.sync().firm

    @property
    def government(self) -> Any:
        """The town government as a Mesa agent (:class:`landsim.views.TownGovernment`)."""
        return self._views.sync().government

    @property
    def grid(self) -> Any:
        """The plots as a Mesa ``OrthogonalVonNeumannGrid`` with one property layer per entry
        of :data:`landsim.views.LAYERS` (:class:`landsim.views.GridView`). Built on first use
        and refreshed every step after that, so runs that never draw pay nothing for it."""
        if self._grid is None:
            w = self.params.world
            self._grid = GridView(w.width, w.height, self.random)
            self._grid.refresh(self.plots, self.population)
        return self._grid.grid

    def layer_values(self) -> dict[str, np.ndarray]:
        """The grid's layers as per-plot arrays (:func:`landsim.views.layer_values`)."""
        return layer_values(self.plots, self.population)

    # ------------------------------------------------------------------ results
    def outcomes(self) -> pd.DataFrame:
        """Yearly outcomes, one row per year with a ``year`` column: 0 (the initial state,
        before the first season) to the current year; flows are missing (NaN) in year 0."""
        # no season farmed in year 0: its flows are undefined
        return self.datacollector.frame(years=True, start_missing=FLOW_METRICS)

    def decision_log(self) -> pd.DataFrame:
        """Every decision handed to :meth:`step`: year, role, index, who, what, value."""
        return pd.DataFrame(self._decision_rows, columns=list(LOG_COLUMNS))

    def member_mask(self) -> np.ndarray:
        """Households with at least one plot in a cooperative."""
        return cooperatives.members(self.plots, self.population)

    def field_days(self) -> np.ndarray:
        """Field days each household has now for farming its own plots (by household index)."""
        a, mu = self.params.assumptions, self.params.world.plot_size_mu
        return land_use.field_days(self.plots, self.population, a, mu, self.villages.job_chance)[0]

    def active_coops(self) -> list[Any]:
        """Cooperatives that operate, as Mesa agents, by village."""
        return [c for _, c in sorted(self.coops.items()) if c.active]

    def empty_shells(self) -> list[Any]:
        """Cooperatives that failed and linger as empty shells, by village."""
        return [c for _, c in sorted(self.coops.items()) if not c.active]

    # ------------------------------------------------------------------ checkpoints
    def save(self, path: str | os.PathLike, meta: dict[str, Any] | None = None) -> Path:
        """Write the full state to an ``.npz`` checkpoint, with optional ``meta`` labels
        (:func:`landsim.checkpoint.save`)."""
        snap = checkpoint.Snapshot(
            town=self.town,
            params=self.params,
            year=int(self.steps),
            running=bool(self.running),
            rng=self.rng.bit_generator.state,
            random=self.random.getstate(),
            outcomes=self.datacollector.model_vars,
            decision_rows=self._decision_rows,
        )
        return checkpoint.save(path, snap, meta)

    @classmethod
    def load(cls, path: str | os.PathLike) -> LandModel:
        """Rebuild a model from a checkpoint; it continues exactly as the saved one would. No
        file can make this run code (:func:`landsim.checkpoint.load`)."""
        snap = checkpoint.load(path)
        return cls(snap.params, rng=0, _snapshot=snap)

    def _resume(self, snap: checkpoint.Snapshot) -> None:
        self._adopt(snap.town)
        self.rng = np.random.Generator(getattr(np.random, snap.rng["bit_generator"])())
        self.rng.bit_generator.state = snap.rng
        self.random.setstate(snap.random)
        self._decision_rows = list(snap.decision_rows)
        self.datacollector.load(snap.outcomes)
        self._rewinding = True  # Mesa's step counter and clock move on without a year run
        self.run_for(snap.year) if snap.year > 0 else None
        self._rewinding, self.running = False, snap.running
