"""What Mesa users see: agents that are views of the model's arrays, and the plot grid.

The model keeps its state in arrays (:mod:`landsim.town`); a county of 200,000 households
never builds 200,000 Python objects it does not read. Mesa's agent API still works: the first
time something asks for agents (``model.agents``, ``model.agents_by_type``, a DataCollector
with agent reporters, ``model.households``, ``model.coops``, ``model.firm`` or
``model.government``), :class:`AgentViews` creates one light Mesa agent per living household,
per co-op, and one each for the firm and the government, and from then on keeps them in step
with the arrays (households that formed get an agent, households that died out lose theirs).
Each agent reads its row of the arrays on every access: it holds no state of its own.

Parts: the agents :class:`Household`, :class:`Cooperative`, :class:`ServiceFirm`,
:class:`TownGovernment`; :class:`AgentViews`; the grid's property layers (:data:`LAYERS`,
:func:`layer_values`, :class:`GridView`); and :func:`seed_like` and :func:`deprecated_seed`,
which read a seed as Mesa's inputs and its deprecated ``seed=`` give it.
"""

from __future__ import annotations

import warnings
from numbers import Integral, Real
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
from mesa.discrete_space import OrthogonalVonNeumannGrid, PropertyLayer

from landsim import government
from landsim.cooperatives import base_rate
from landsim.villages import ACTIVE, STATUS_NAMES

if TYPE_CHECKING:
    from landsim.population import Population
    from landsim.town import Town
    from landsim.world import Plots

__all__ = [
    "Household",
    "Cooperative",
    "ServiceFirm",
    "TownGovernment",
    "AgentViews",
    "LAYERS",
    "layer_values",
    "GridView",
    "seed_like",
    "deprecated_seed",
]


def _town(agent: mesa.Agent) -> Town:
    return agent.model.town


class Household(mesa.Agent):
    """A farm household holding contract rights to a few scattered plots: a view of row
    :attr:`index` of the population arrays (its rule: :mod:`landsim.land_use`)."""

    def __init__(self, model: mesa.Model, index: int) -> None:
        """The agent for household row ``index`` of ``model.population``."""
        super().__init__(model)
        self.index = index

    @property
    def village(self) -> int:
        """Village of the household."""
        return int(_town(self).population.hh_village[self.index])

    @property
    def ages(self) -> np.ndarray:
        """Ages of living members (years)."""
        pop = _town(self).population
        sel = (pop.m_hh == self.index) & pop.m_alive
        return pop.m_age[sel]

    @property
    def trust(self) -> float:
        """Trust in the village cooperative (0-1)."""
        return float(_town(self).population.trust[self.index])

    @property
    def engaged(self) -> bool:
        """The household engages in its co-op (meetings, checking accounts)."""
        return bool(_town(self).population.engaged[self.index])

    @property
    def income(self) -> float:
        """Net income of last year (yuan)."""
        return float(_town(self).population.income[self.index])

    @property
    def plots(self) -> np.ndarray:
        """Indices of the plots this household holds contract rights to."""
        return np.flatnonzero(_town(self).plots.holder == self.index)


def _coop_field(name: str, kind: type, doc: str) -> property:
    """A property reading (and writing) the co-op's entry of the villages array ``name``."""

    def get(self: Cooperative) -> Any:
        return kind(getattr(_town(self).villages, name)[self.village])

    def put(self: Cooperative, value: Any) -> None:
        getattr(_town(self).villages, name)[self.village] = value

    return property(get, put, doc=doc)


def _firm_field(name: str, doc: str) -> property:
    """A property reading (and writing) the firm's number ``name``."""

    def get(self: ServiceFirm) -> float:
        return getattr(_town(self).firm, name)

    def put(self: ServiceFirm, value: float) -> None:
        setattr(_town(self).firm, name, float(value))

    return property(get, put, doc=doc)


class Cooperative(mesa.Agent):
    """The co-op of one village: a view of its row of :class:`~landsim.villages.Villages`
    (its rules: :mod:`landsim.cooperatives`)."""

    def __init__(self, model: mesa.Model, village: int) -> None:
        """The agent for the co-op of ``village``."""
        super().__init__(model)
        self.village = village

    founded = _coop_field("founded", int, "Year the co-op was founded.")
    transparency = _coop_field("transparency", float, "Openness of its accounts (0-1).")
    standardization = _coop_field("standardization", float, "Standard procedures (0-1).")
    insolvent_years = _coop_field("insolvent_years", int, "Consecutive years in debt.")
    expected_bonus = _coop_field("expected_bonus", float, "Expected performance pay (yuan/mu).")
    area = _coop_field("area", float, "Land operated this year (mu).")
    members = _coop_field("members", int, "Member households this year.")
    engaged_share = _coop_field("engaged_share", float, "Share of members who engage.")
    revenue = _coop_field("revenue", float, "Revenue this year (yuan).")
    profit = _coop_field("profit", float, "Profit this year, after leakage (yuan).")
    leakage = _coop_field("leakage", float, "Money leaked this year (yuan).")
    leak_rate = _coop_field("leak_rate", float, "Share of this year's surplus that leaked.")
    subsidy = _coop_field("subsidy", float, "Subsidy received this year (yuan).")
    audited = _coop_field("audited", bool, "Audited this year.")
    found_leak_rate = _coop_field("found_leak_rate", float, "Leak rate an audit disclosed.")
    uses_firm = _coop_field("uses_firm", bool, "The firm farmed its pool this year.")
    meeting_held = _coop_field("meeting_held", bool, "Its members' meeting decided the payout.")
    retained = _coop_field("retained", float, "Members' dividends the board kept (yuan).")
    venture_capital = _coop_field("venture_capital", float, "Capital in its activity (yuan).")
    venture_income = _coop_field("venture_income", float, "Its activity's net (yuan).")

    @property
    def strength(self) -> float:
        """Strength of the village's Party branch (0-1)."""
        return float(_town(self).villages.strength[self.village])

    @property
    def village_mu(self) -> float:
        """The village's land (mu)."""
        return float(_town(self).villages.land_mu[self.village])

    @property
    def status(self) -> str:
        """``"active"`` or ``"empty_shell"``."""
        return STATUS_NAMES[int(_town(self).villages.status[self.village])]

    @property
    def active(self) -> bool:
        """The co-op operates (is not an empty shell)."""
        return int(_town(self).villages.status[self.village]) == ACTIVE

    @property
    def rule(self) -> Any:
        """Its benefit-sharing rule (:mod:`landsim.sharing`)."""
        return _town(self).villages.rules[self.village]

    @property
    def terms(self) -> Any:
        """The branch's own terms (levers a person set), or None: the town's levers."""
        return _town(self).villages.terms[self.village]

    @property
    def base_rate(self) -> float:
        """Guaranteed payment per mu under its rule (yuan/mu)."""
        return base_rate(self.rule)

    @property
    def account(self) -> int:
        """Ledger account of the co-op."""
        return _town(self).ledger.accounts.coop0 + self.village

    @property
    def reserve_account(self) -> int:
        """Ledger account of its reserve fund."""
        return _town(self).ledger.accounts.reserve0 + self.village

    @property
    def cash(self) -> float:
        """Cash (yuan); negative cash is debt."""
        return float(_town(self).ledger.balance_yuan(self.account))

    @property
    def reserve(self) -> float:
        """Reserve fund (yuan)."""
        return float(_town(self).ledger.balance_yuan(self.reserve_account))

    @property
    def debt(self) -> float:
        """Debt (yuan): the overdraft when cash is negative."""
        return max(0.0, -self.cash)


class ServiceFirm(mesa.Agent):
    """The service firm: a view of :class:`~landsim.town.FirmState` (its rules:
    :mod:`landsim.services`)."""

    capacity = _firm_field("capacity", "Land it can farm next year (mu).")
    price = _firm_field("price", "Custody price per mu of flat land (yuan/mu).")
    demand = _firm_field("demand", "Land asked for this year (mu).")
    served = _firm_field("served", "Land farmed this year (mu).")
    revenue = _firm_field("revenue", "Revenue this year (yuan).")
    profit = _firm_field("profit", "Profit this year (yuan).")

    @property
    def open(self) -> bool:
        """The firm operates in this town (the lever ``firm_enabled``)."""
        return bool(self.model.params.levers.firm_enabled)


class TownGovernment(mesa.Agent):
    """The town government: a view of :class:`~landsim.town.GovernmentState` and its ledger
    account (its rules: :mod:`landsim.government`)."""

    @property
    def spent(self) -> float:
        """Money spent this year (yuan)."""
        return _town(self).government.spent

    @property
    def subsidies(self) -> float:
        """Money paid to co-ops this year (yuan)."""
        return _town(self).government.subsidies

    @property
    def account(self) -> int:
        """Ledger account of the government."""
        return _town(self).ledger.accounts.government

    @property
    def left(self) -> float:
        """Budget left this year (yuan)."""
        return government.left(_town(self).ledger)


class AgentViews:
    """The Mesa agents of a model, created on first use and kept in step with its arrays."""

    def __init__(self, model: mesa.Model) -> None:
        """No agents yet."""
        self.model = model
        self.households: dict[int, Household] = {}
        self.coops: dict[int, Cooperative] = {}
        self.firm: ServiceFirm | None = None
        self.government: TownGovernment | None = None
        self._synced: int | None = None

    def sync(self) -> AgentViews:
        """Create the agents of households and co-ops that have none, and remove those of
        households that died out (at most once a year: the arrays change only in a step)."""
        m = self.model
        if self._synced == m.steps:
            return self
        self._synced = m.steps
        town = m.town
        if self.firm is None:
            self.firm, self.government = ServiceFirm(m), TownGovernment(m)
        alive = np.flatnonzero(town.population.hh_alive).tolist()
        keep = set(alive)
        for h in [h for h in self.households if h not in keep]:
            self.households.pop(h).remove()
        for h in alive:
            if h not in self.households:
                self.households[h] = Household(m, h)
        for v in town.villages.founded_order().tolist():
            if v not in self.coops:
                self.coops[v] = Cooperative(m, v)
        return self


#: Mesa property layers on the model's grid (name -> dtype); see :func:`layer_values`
LAYERS: dict[str, type] = {"farmed_by": int, "terrain": int, "holder_age": float, "trust": float}


def layer_values(plots: Plots, pop: Population) -> dict[str, np.ndarray]:
    """The plot layers as per-plot arrays: who farms (operator kind, 0 idle ... 4 custody),
    terrain (1 hilly, 0 flat), the age of the contract holder's head (0 for collective land)
    and the holder's trust in the cooperative (0-1; 0 for collective land)."""
    held = plots.holder >= 0
    h = np.maximum(plots.holder, 0)
    return {
        "farmed_by": plots.kind.astype(np.int64),
        "terrain": plots.hilly.astype(np.int64),
        "holder_age": np.where(held, pop.head_age()[h], 0.0),
        "trust": np.where(held, pop.trust[h], 0.0),
    }


class GridView:
    """The plots as a Mesa grid (``width x height`` cells, cell ``(x, y)`` = plot in column
    ``x``, row ``height - 1 - y``, so north is up in Mesa's drawings) with one property layer
    per entry of :data:`LAYERS`."""

    def __init__(self, width: int, height: int, random: Any) -> None:
        """An empty grid with its layers."""
        self.grid = OrthogonalVonNeumannGrid((width, height), torus=False, random=random)
        self.layers: dict[str, PropertyLayer] = {
            name: self.grid.create_property_layer(name, default_value=dtype(0), dtype=dtype)
            for name, dtype in LAYERS.items()
        }

    def refresh(self, plots: Plots, pop: Population) -> None:
        """Copy the plots' state into the layers."""
        for name, values in layer_values(plots, pop).items():
            # plots are row-major (row 0 north); Mesa layers are indexed [x, y], y up
            self.layers[name].data[:] = plots.grid(values)[::-1].T


def deprecated_seed(seed: Any, rng: Any) -> Any:
    """``LandModel(seed=S)`` as Mesa 3.5 takes ``Model(seed=S)``: the generator's seed, with
    Mesa's deprecation warning, pointed at the line that built the model.

    Raises:
        ValueError: both ``seed`` and ``rng`` given (as Mesa refuses them).
    """
    if rng is not None:
        raise ValueError("you have to pass either rng or seed, not both")
    warnings.warn(
        "The use of the `seed` keyword argument is deprecated, use `rng` instead. "
        "No functional changes.",
        FutureWarning,
        stacklevel=3,
    )
    return seed


def seed_like(rng: Any) -> Any:
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
