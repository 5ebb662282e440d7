"""The state of a town, by part: what a checkpoint stores and what the phases of the year change.

Each part is a struct of arrays declared in its own module: the plots
(:class:`~landsim.world.Plots`), the population (:class:`~landsim.population.Population`), kin
ties (:class:`~landsim.kin.KinTies`), the villages with their branches and co-ops
(:class:`~landsim.villages.Villages`) and the money ledger (:class:`~landsim.ledger.Ledger`).
The service firm and the town government have a few numbers each, declared here.

Parts: :class:`Town`, :func:`build_town`, :func:`town_of` and :func:`town_rng`,
:class:`FirmState`, :class:`GovernmentState`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landsim.columns import AREA, MONEY, PER_MU, number
from landsim.kin import KinTies, build_kin
from landsim.ledger import Accounts, Ledger
from landsim.params import Params
from landsim.population import Population, build_population
from landsim.villages import Villages, build_villages
from landsim.world import Plots, build_plots, homesteads

__all__ = ["Town", "FirmState", "GovernmentState", "build_town", "town_of", "town_rng"]


@dataclass
class FirmState:
    """The service firm's numbers (see :mod:`landsim.services`).

    Attributes:
        capacity: land it can farm next year (mu).
        price: custody price per mu of flat land (yuan/mu; hills cost more).
        demand: land asked for this year, custody and co-op service (mu).
        served: land farmed this year (mu).
        revenue, profit: this year's (yuan).
    """

    capacity: float = number(0.0, AREA)
    price: float = number(0.0, PER_MU)
    demand: float = number(0.0, AREA)
    served: float = number(0.0, AREA)
    revenue: float = number(0.0, MONEY)
    profit: float = number(0.0, MONEY)


@dataclass
class GovernmentState:
    """The town government's numbers of this year (see :mod:`landsim.government`).

    Attributes:
        spent: money spent this year (yuan).
        subsidies: money paid to co-ops this year, grants and subsidies (yuan).
    """

    spent: float = number(0.0, MONEY)
    subsidies: float = number(0.0, MONEY)


@dataclass
class Town:
    """The whole state of a town between two phases of the year, by part."""

    plots: Plots
    population: Population
    kin: KinTies
    villages: Villages
    ledger: Ledger
    firm: FirmState
    government: GovernmentState


def town_rng(rng: np.random.Generator) -> np.random.Generator:
    """The generator a model builds its town with: a child of the model's own
    (``Generator.spawn``, which leaves the parent's stream where it was). The years' draws then
    do not depend on how many draws building the town took, so a town read from a region that
    fixes everything runs exactly as the synthetic town it was written from."""
    return rng.spawn(1)[0]


def build_town(params: Params, rng: np.random.Generator) -> Town:
    """Lay out a town of ``params`` (docs/ODD.md, Initialization): plots and contract plots,
    households at the centre of their plots, kin ties, Party branches, empty books, the firm
    at its initial capacity and price. Draws from ``rng`` in this order.

    A world that names a region's files is read from them instead
    (:func:`landsim.regions.region_parts`; the ``[gis]`` extra); what they do not say is drawn
    as here."""
    w, a = params.world, params.assumptions
    if w.is_region:
        from landsim.regions.build import region_parts  # the [gis] extra, for regions only

        return town_of(params, *region_parts(params, rng))
    plots, hh_village = build_plots(w, rng)
    home_row, home_col = homesteads(plots, hh_village.size)
    population = build_population(w, a, hh_village, home_row, home_col, rng)
    kin = build_kin(hh_village, w.n_villages, a.kin_ties_mean, rng)
    villages = build_villages(w, plots, a, rng)
    return town_of(params, plots, population, kin, villages)


def town_of(
    params: Params, plots: Plots, population: Population, kin: KinTies, villages: Villages
) -> Town:
    """A town from its plots, population, kin ties and villages: empty books, the firm at its
    initial capacity (a share of the town's land) and price, the government's year unspent."""
    lv = params.levers
    ledger = Ledger(Accounts(households=population.n_households, villages=villages.n), year=1)
    total_mu = plots.n * params.world.plot_size_mu
    firm = FirmState(capacity=lv.firm_capacity_initial * total_mu, price=lv.custody_price)
    return Town(plots, population, kin, villages, ledger, firm, GovernmentState())
