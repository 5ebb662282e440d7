"""Aging households and their yearly two-stage land-use decision.

Household state lives in the model's :class:`~landsim.demography.Population` arrays;
:class:`Household` is the Mesa agent that gives each household an identity and a readable
view of its state, and owns the decision rule, which is applied to all households at once
(same rule, batched in numpy).

The rule, per plot not under a running lease (see :func:`decide_land_use`):

1. **Keep or release.** The household farms its easiest, best plots first while its field
   days last (labour binds: :mod:`landsim.labour`). It keeps a plot it can farm when farming
   it is worth at least as much as the best way of releasing it and more than leaving it idle.
2. **Channel.** A released plot goes to the channel the household prefers — lease to a
   household, the village cooperative, custody by the service firm — by a logit choice over
   their expected values (temperature ``choice_temperature``). Whether anyone takes it is
   decided in the market; a released plot nobody takes is abandoned unless its holder can and
   will farm it after all.

Values are expected money per mu, less a risk premium (``risk x sd``) that grows with the
head's age, so a guaranteed payment is worth more to an old household than a risky one.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from landsim.params import Assumptions
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE

__all__ = [
    "Outlook",
    "Choices",
    "risk_aversion",
    "own_value",
    "channel_values",
    "logit_pick",
    "decide_land_use",
    "Household",
]

#: release channels in the order of the value columns
CHANNELS = (HOUSEHOLD_LEASE, COOP, CUSTODY)


@dataclass(frozen=True)
class Outlook:
    """What households expect this year (arrays indexed by village).

    Attributes:
        lease_return: expected return of offering a plot on the lease market, by village and
            terrain (``[:, 0]`` flat, ``[:, 1]`` hilly; yuan/mu), learned from past markets.
        coop_open: the village has an active cooperative taking land.
        coop_base: the coop's guaranteed payment per mu (fixed rent, minimum, or 0).
        coop_bonus: performance pay per mu members expect.
        coop_share: share of the village's households in the coop last year.
        custody_open: the service firm takes custody.
        custody_price: the firm's custody price per mu of flat land (hills cost more).
    """

    lease_return: np.ndarray
    coop_open: np.ndarray
    coop_base: np.ndarray
    coop_bonus: np.ndarray
    coop_share: np.ndarray
    custody_open: bool
    custody_price: float


@dataclass(frozen=True)
class Choices:
    """The decision for each free plot.

    Attributes:
        keep: the holder farms the plot itself.
        channel: for released plots, the preferred channel (plot-kind code); -1 when kept.
        own_value: the holder's value of farming the plot (yuan/mu; -inf without labour).
    """

    keep: np.ndarray
    channel: np.ndarray
    own_value: np.ndarray


def risk_aversion(head_age: np.ndarray, a: Assumptions) -> np.ndarray:
    """Risk premium per yuan of income sd: ``risk_aversion`` under 60, rising linearly by
    ``risk_aversion_old`` by age 80."""
    return a.risk_aversion + a.risk_aversion_old * np.clip((head_age - 60.0) / 20.0, 0.0, 1.0)


def _gross(hilly: np.ndarray, quality: np.ndarray, a: Assumptions) -> np.ndarray:
    yf = np.where(hilly, a.hilly_yield_factor, 1.0)
    return a.gross_revenue_per_mu * a.price_index * quality * yf


def own_value(
    hilly: np.ndarray,
    quality: np.ndarray,
    wage: np.ndarray,
    risk: np.ndarray,
    a: Assumptions,
) -> np.ndarray:
    """Value of farming a plot oneself (yuan/mu): ``gross - cash cost - labour days x shadow
    wage + attachment - risk x sd(harvest)``."""
    gross = _gross(hilly, quality, a)
    cf = np.where(hilly, a.hilly_cost_factor, 1.0)
    days = np.where(hilly, a.labour_days_hilly, a.labour_days_flat)
    sd = a.yield_shock_sd * gross
    return gross - a.cash_cost_per_mu * cf - days * wage + a.farming_attachment - risk * sd


def channel_values(
    village: np.ndarray,
    hilly: np.ndarray,
    quality: np.ndarray,
    risk: np.ndarray,
    trust: np.ndarray,
    outlook: Outlook,
    a: Assumptions,
) -> np.ndarray:
    """Expected value of each release channel (yuan/mu), shape (plots, 3) in :data:`CHANNELS`
    order; ``-inf`` where a channel is closed.

    * lease: the return the village's market paid per plot offered last years, by terrain;
    * coop: ``(base + bonus - risk x bonus_sd_share x bonus) x land grade + trust_weight x
      (trust - 1/2) + neighbour_weight x coop share - lock-in`` (a coop pays per graded share:
      yield factor x quality);
    * custody: ``gross - price x hill cost factor - hassle - risk x sd(harvest)``.
    """
    v = village
    out = np.full((village.size, 3), -np.inf)
    out[:, 0] = outlook.lease_return[v, hilly.astype(np.int64)]
    bonus = outlook.coop_bonus[v]
    grade = np.where(hilly, a.hilly_yield_factor, 1.0) * quality
    coop = (
        (outlook.coop_base[v] + bonus - risk * a.bonus_sd_share * bonus) * grade
        + a.trust_weight * (trust - 0.5)
        + a.neighbour_weight * outlook.coop_share[v]
        - a.coop_lockin_cost
    )
    out[:, 1] = np.where(outlook.coop_open[v], coop, -np.inf)
    if outlook.custody_open:
        gross = _gross(hilly, quality, a)
        cf = np.where(hilly, a.hilly_cost_factor, 1.0)
        out[:, 2] = (
            gross - outlook.custody_price * cf - a.custody_hassle - risk * a.yield_shock_sd * gross
        )
    return out


def logit_pick(values: np.ndarray, temperature: float, draws: np.ndarray) -> np.ndarray:
    """Column ``k`` with probability ``exp(v_k / T) / sum_j exp(v_j / T)`` (``-inf`` never);
    ``draws`` are uniform(0, 1), one per row."""
    z = values / temperature
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    cdf = np.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    return (draws[:, None] > cdf).sum(axis=1).clip(0, values.shape[1] - 1)


def decide_land_use(
    village: np.ndarray,
    hilly: np.ndarray,
    quality: np.ndarray,
    can_farm: np.ndarray,
    wage: np.ndarray,
    risk: np.ndarray,
    trust: np.ndarray,
    outlook: Outlook,
    a: Assumptions,
    draws: np.ndarray,
) -> Choices:
    """Apply the two-stage rule (module docstring) to free plots, one entry per plot (the
    household arrays ``wage``, ``risk``, ``trust`` are already indexed by the plot's holder)."""
    own = np.where(can_farm, own_value(hilly, quality, wage, risk, a), -np.inf)
    ch = channel_values(village, hilly, quality, risk, trust, outlook, a)
    keep = can_farm & (own >= np.maximum(ch.max(axis=1), 0.0))
    channel = np.full(keep.size, -1, dtype=np.int8)
    out = ~keep  # only plots released need a channel (each plot keeps its own draw)
    channel[out] = np.asarray(CHANNELS, dtype=np.int8)[
        logit_pick(ch[out], a.choice_temperature, draws[out])
    ]
    return Choices(keep=keep, channel=channel, own_value=own)


class Household(mesa.Agent):
    """A farm household holding contract rights to a few scattered plots.

    Summary of rule: each year, farm the plots its field labour allows, easiest first, as long
    as farming a plot is worth more than releasing it; release the rest to the channel it
    prefers (a household lease, the cooperative, custody); a released plot nobody takes is
    abandoned unless the household can and will farm it after all (:func:`decide_land_use`).

    The state lives in the model's population arrays at row :attr:`index`; the properties
    below are views of it.
    """

    def __init__(self, model: mesa.Model, index: int) -> None:
        """Create the agent for household row ``index`` of ``model.population``."""
        super().__init__(model)
        self.index = index

    @property
    def village(self) -> int:
        """Village of the household."""
        return int(self.model.population.hh_village[self.index])

    @property
    def ages(self) -> np.ndarray:
        """Ages of living members (years)."""
        pop = self.model.population
        sel = (pop.m_hh == self.index) & pop.m_alive
        return pop.m_age[sel]

    @property
    def trust(self) -> float:
        """Trust in the village cooperative (0-1)."""
        return float(self.model.population.trust[self.index])

    @property
    def plots(self) -> np.ndarray:
        """Indices of the plots this household holds contract rights to."""
        return np.flatnonzero(self.model.plots.holder == self.index)
