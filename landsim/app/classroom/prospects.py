"""What each way of using a plot would bring its holder this year: the one place where the
classroom reads the model's economy.

A household's page shows, for each of its plots, what keeping it, leasing it to a household,
putting it into the co-op or handing it to the firm in custody would bring. Those figures are
the ones the model's own households decide on (:func:`landsim.land_use.outlook`: the lease
return their village's market paid per plot offered, the co-op's guaranteed payment and the
bonus members expect, the firm's price), turned into yuan for the plot. When the model's
economy changes (rents from an auction, a local labour market, new lease contracts), only
:func:`plot_terms` follows it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landsim import land_use

__all__ = ["PlotTerms", "plot_terms"]


@dataclass(frozen=True)
class PlotTerms:
    """What each channel would bring for some plots this year (yuan for the whole plot, one
    entry per plot).

    Attributes:
        plot: the plots.
        mu: the size of a plot (mu).
        harvest: value of the harvest if the holder (or the firm, in custody) farms it.
        costs: the cash costs of farming it oneself (seed, fertiliser, machines).
        days: field days it takes to farm it oneself.
        lease: what offering it for lease to a household returned in its village lately
            (rent from strangers, with rent-free loans to kin and plots nobody took counted as
            the market counts them).
        coop_open: the village's co-op takes land this year.
        coop_base: the co-op's guaranteed payment for it (0 under pure shareholding).
        coop_bonus: the bonus (dividend or rebate) the co-op's members expect for it.
        custody_open: the service firm takes land in custody.
        custody_price: the firm's price for farming it (the holder keeps the harvest).
    """

    plot: np.ndarray
    mu: float
    harvest: np.ndarray
    costs: np.ndarray
    days: np.ndarray
    lease: np.ndarray
    coop_open: bool
    coop_base: np.ndarray
    coop_bonus: np.ndarray
    custody_open: bool
    custody_price: np.ndarray


def plot_terms(model, plots: np.ndarray) -> PlotTerms:
    """What each channel would bring for ``plots`` (all in one village) this year, as the
    model's households see it (:func:`landsim.land_use.outlook`; the co-op pays per graded
    share, land grade = hilly yield factor x quality, as :func:`landsim.land_use.channel_values`
    weighs it; custody costs more on hills by the hill cost factor)."""
    plots = np.asarray(plots, dtype=np.int64)
    p, a = model.plots, model.params.assumptions
    mu = float(model.params.world.plot_size_mu)
    look = land_use.outlook(model.town, model.params)
    hilly, quality = p.hilly[plots], p.quality[plots]
    v = int(p.village[plots[0]]) if plots.size else 0
    yf = np.where(hilly, a.hilly_yield_factor, 1.0)
    cf = np.where(hilly, a.hilly_cost_factor, 1.0)
    harvest = a.gross_revenue_per_mu * a.price_index * quality * yf * mu
    grade = yf * quality * mu
    return PlotTerms(
        plot=plots,
        mu=mu,
        harvest=harvest,
        costs=a.cash_cost_per_mu * cf * mu,
        days=np.where(hilly, a.labour_days_hilly, a.labour_days_flat) * mu,
        lease=look.lease_return[v, hilly.astype(np.int64)] * mu,
        coop_open=bool(look.coop_open[v]),
        coop_base=look.coop_base[v] * grade,
        coop_bonus=look.coop_bonus[v] * grade,
        custody_open=bool(look.custody_open),
        custody_price=look.custody_price * cf * mu,
    )
