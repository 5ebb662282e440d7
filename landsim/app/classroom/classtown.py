"""The class's model: a :class:`~landsim.model.LandModel` that keeps what a household's student
reads after the year.

* :class:`ClassTown` — after each year, each household's money by kind of flow (taken from the
  year's ledger entries before the books close, so the lines add up to the household's net
  income) and the land-use decision each plot got that year (kept, or released to which
  channel), so that a page can say what happened to a plot and why;
* :func:`plot_story` — for a household's plots: what happened last year and why (leased to whom
  at what rent, idle because nobody took it, ...), and the plots it leases in;
* the codes of :attr:`ClassTown.last_choice`: :data:`NOT_DECIDED`, :data:`KEPT`, or the channel
  (:data:`~landsim.world.HOUSEHOLD_LEASE`, :data:`~landsim.world.COOP`,
  :data:`~landsim.world.CUSTODY`).

Both record; neither changes what the model does: a class town and a :class:`LandModel` of the
same seed and decisions step identically (tested).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from landsim.cooperatives import land_grade
from landsim.land_use import LandUse
from landsim.model import LandModel
from landsim.params import Params
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE, IDLE, OWN

__all__ = ["ClassTown", "plot_story", "NOT_DECIDED", "KEPT", "INCOME_ORDER"]

#: :attr:`ClassTown.last_choice` of a plot nobody decided on this year (under a running lease)
NOT_DECIDED = -2
#: ... of a plot its holder kept to farm
KEPT = -1
#: the order of a household's income lines (kinds of money flow; rent split by direction)
INCOME_ORDER = (
    "crop_sales",
    "input_costs",
    "rent_in",
    "rent_out",
    "custody_fee",
    "coop_base",
    "coop_bonus",
    "coop_wage",
    "local_wage",
    "hired_labour",
    "remittance",
    "pension",
    "farmland_subsidy",
)


class ClassTown(LandModel):
    """A :class:`LandModel` that also keeps, for the year just closed, each household's money
    by kind of flow (:attr:`income_by_source`) and each plot's decision
    (:attr:`last_choice`)."""

    def __init__(self, params: Params | None = None, **kwargs: Any) -> None:
        """Build the town like :class:`LandModel`."""
        #: household -> {line of :data:`INCOME_ORDER` (or another flow kind): yuan}, last year
        self.income_by_source: dict[int, dict[str, float]] = {}
        #: per plot, this year's decision: NOT_DECIDED, KEPT or the channel it was released to
        self.last_choice = np.zeros(0, dtype=np.int8)
        super().__init__(params, **kwargs)

    def _decide(self) -> LandUse:
        use = super()._decide()
        choice = np.full(self.plots.n, NOT_DECIDED, dtype=np.int8)
        choice[use.plots] = np.where(use.choices.keep, KEPT, use.choices.channel)
        self.last_choice = choice
        return use

    def _after_season(self) -> None:
        super()._after_season()
        # the year's entries, before the books close at the end of the step
        self.income_by_source = _income_by_source(self.ledger.entries(), self.population)


def _income_by_source(entries, pop) -> dict[int, dict[str, float]]:
    """Net money of each household by kind of flow this year; rent in and out apart."""
    n = pop.n_households
    e = entries
    out: dict[int, dict[str, float]] = {}
    into = e[e["payee"] < n].groupby(["payee", "kind"], observed=True)["amount"].sum()
    paid = e[e["payer"] < n].groupby(["payer", "kind"], observed=True)["amount"].sum()
    for (h, kind), amount in into.items():
        key = "rent_in" if kind == "rent" else str(kind)
        row = out.setdefault(int(h), {})
        row[key] = row.get(key, 0.0) + float(amount)
    for (h, kind), amount in paid.items():
        key = "rent_out" if kind == "rent" else str(kind)
        row = out.setdefault(int(h), {})
        row[key] = row.get(key, 0.0) - float(amount)
    return out


def plot_story(town: ClassTown, household: int) -> dict[str, list[dict[str, Any]]]:
    """What happened last year to the plots ``household`` holds, and the plots it leases in.

    Returns ``{"held": [...], "leased_in": [...]}``; each held plot's entry has ``plot``,
    ``use`` (``"own"``, ``"idle"``, ``"lease"``, ``"coop"``, ``"custody"``), ``why`` (for an
    idle plot: ``"kept_no_days"``, ``"no_bid"``, ``"coop_refused"``, ``"firm_full"``, or
    ``"unused"``), ``lessee``, ``kin`` (the lessee is a relative), ``rent`` (yuan/mu a year),
    ``years_left`` (coming years the lease still binds: 0 when the plot is free again now),
    and for a plot in the co-op ``paid`` (its guaranteed payment for the plot, yuan: the
    co-op pays per graded share);
    an own plot its household released but farmed after all (nobody took it) has ``why``
    ``"fallback"``."""
    p, a = town.plots, town.params.assumptions
    mu = float(town.params.world.plot_size_mu)
    h = int(household)
    year = town.year
    choice = town.last_choice if town.last_choice.size == p.n else None
    kin = _relatives(town, h)
    held = []
    for i in np.flatnonzero(p.holder == h):
        i = int(i)
        kind = int(p.kind[i])
        entry: dict[str, Any] = {
            "plot": i,
            "use": _USE[kind],
            "why": None,
            "lessee": None,
            "kin": False,
            "rent": float(p.rent[i]),
            "years_left": None,
        }
        if p.lease_end[i] >= 0:
            entry["years_left"] = max(0, int(p.lease_end[i]) - year)
        if kind == HOUSEHOLD_LEASE:
            lessee = int(p.operator[i])
            entry["lessee"], entry["kin"] = lessee, lessee in kin
        elif kind == COOP:  # the co-op pays its guarantee per graded share, not per mu
            grade = land_grade(p.hilly[i : i + 1], p.quality[i : i + 1], a)[0]
            entry["paid"] = float(p.rent[i] * grade * mu)
        elif kind == IDLE:
            c = int(choice[i]) if choice is not None else NOT_DECIDED
            entry["why"] = _WHY_IDLE.get(c, "unused")
        elif kind == OWN and choice is not None and choice[i] >= 0:
            entry["why"] = "fallback"  # released, nobody took it: its holder farmed it
        held.append(entry)
    leased_in = [
        {
            "plot": int(i),
            "holder": int(p.holder[i]),
            "kin": int(p.holder[i]) in kin,
            "rent": float(p.rent[i]),
            "years_left": max(0, int(p.lease_end[i]) - year),
        }
        for i in np.flatnonzero((p.kind == HOUSEHOLD_LEASE) & (p.operator == h))
    ]
    return {"held": held, "leased_in": leased_in}


_USE = {IDLE: "idle", OWN: "own", HOUSEHOLD_LEASE: "lease", COOP: "coop", CUSTODY: "custody"}
#: why a plot lay idle, by what its holder decided for it
_WHY_IDLE = {
    KEPT: "kept_no_days",
    HOUSEHOLD_LEASE: "no_bid",
    COOP: "coop_refused",
    CUSTODY: "firm_full",
}


def _relatives(town: LandModel, household: int) -> set[int]:
    """The households ``household`` has kin ties with."""
    k = town.kin
    return {int(x) for x in k.dst[k.src == household]}
