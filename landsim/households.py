"""Aging households: members, demography, labour, and the yearly land-use choice.

Household state lives in arrays (one entry per household, one per member) so that a county of
200,000 households steps in seconds; :class:`Household` is the Mesa agent that gives each
household an identity and a readable view of its state, and owns the decision rule, which is
applied to all households at once (same rule, batched in numpy).

Parts: :class:`Population` (arrays), :func:`build_population`, :func:`labour_capacity`,
demography (:meth:`Population.age_one_year`), :class:`Outlook` (what households expect this
year), :func:`plot_utilities` and :func:`choose` (the rule), and :class:`Household`.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np

from landsim.params import Assumptions, World
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE, IDLE, OWN

__all__ = [
    "Population",
    "build_population",
    "labour_capacity",
    "shadow_wage",
    "Outlook",
    "plot_utilities",
    "choose",
    "Household",
    "N_OPTIONS",
]

N_OPTIONS = 5  # IDLE, OWN, HOUSEHOLD_LEASE, COOP, CUSTODY (same codes as plot kinds)


@dataclass
class Population:
    """Members and households as arrays.

    Attributes:
        m_hh: household of each member.
        m_age: age of each member (years).
        m_alive: member is alive.
        m_away: member works off-farm away from the village (migrant; sends remittances).
        hh_village: village of each household.
        hh_alive: household still has a living member (else its contract rights returned).
        home_row, home_col: homestead position (centre of the household's initial plots).
        trust: trust in the village cooperative (0 none, 1 full).
        engaged: member household engages in the coop (attends meetings, checks accounts).
        perf_pay: performance-linked coop pay received last year (yuan/mu).
        income: net income of last year (yuan), from the ledger.
    """

    m_hh: np.ndarray
    m_age: np.ndarray
    m_alive: np.ndarray
    m_away: np.ndarray
    hh_village: np.ndarray
    hh_alive: np.ndarray
    home_row: np.ndarray
    home_col: np.ndarray
    trust: np.ndarray
    engaged: np.ndarray
    perf_pay: np.ndarray
    income: np.ndarray

    @property
    def n_households(self) -> int:
        """Number of households ever created (dead ones included)."""
        return self.hh_village.size

    def per_household(self, values: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """Sum a per-member array over each household (optionally only ``mask`` members)."""
        w = values if mask is None else np.where(mask, values, 0)
        return np.bincount(self.m_hh, weights=w, minlength=self.n_households)

    def residents(self) -> np.ndarray:
        """Mask of members alive and living in the village."""
        return self.m_alive & ~self.m_away

    def head_age(self) -> np.ndarray:
        """Age of the oldest living member of each household (its head); 0 if none."""
        out = np.zeros(self.n_households)
        np.maximum.at(out, self.m_hh[self.m_alive], self.m_age[self.m_alive])
        return out

    def age_one_year(self, a: Assumptions, rng: np.random.Generator) -> np.ndarray:
        """Age members by a year, apply deaths and out-migration.

        Death: Gompertz hazard ``q(age) = min(1, multiplier * a * exp(b * age))``.
        Migration: each resident aged 18-45 leaves with probability ``migration_rate``; each
        migrant aged 50 or more comes home with probability ``return_rate``.

        Returns:
            Indices of households that died out this year.
        """
        alive = self.m_alive
        self.m_age[alive] += 1.0
        q = np.minimum(
            1.0, a.mortality_multiplier * a.mortality_a * np.exp(a.mortality_b * self.m_age)
        )
        dies = alive & (rng.random(self.m_age.size) < q)
        self.m_alive &= ~dies
        draws = rng.random(self.m_age.size)
        young = self.m_alive & ~self.m_away & (self.m_age >= 18) & (self.m_age <= 45)
        older_away = self.m_alive & self.m_away & (self.m_age >= 50)
        self.m_away = (self.m_away | (young & (draws < a.migration_rate))) & ~(
            older_away & (draws < a.return_rate)
        )
        living = np.bincount(self.m_hh[self.m_alive], minlength=self.n_households) > 0
        died_out = np.flatnonzero(self.hh_alive & ~living)
        self.hh_alive = living & self.hh_alive
        self.engaged[died_out] = False
        return died_out


def build_population(
    world: World,
    a: Assumptions,
    hh_village: np.ndarray,
    home_row: np.ndarray,
    home_col: np.ndarray,
    rng: np.random.Generator,
) -> Population:
    """Draw households: a head (normal age), usually a spouse, and some children.

    The head's age is ``Normal(head_age_mean, head_age_sd)`` clipped to 25-90; a spouse (80% of
    households) is the head's age +- 3; ``Poisson(children_mean)`` children are 22-35 years
    younger than the head. Children aged 18-45 are away with ``initial_migrant_share``.
    """
    n_h = hh_village.size
    head = np.clip(rng.normal(a.head_age_mean, a.head_age_sd, n_h), 25, 90)
    has_spouse = rng.random(n_h) < 0.8
    spouse = np.clip(head + rng.normal(0, 3, n_h), 20, 95)
    n_kids = rng.poisson(a.children_mean, n_h)
    kid_hh = np.repeat(np.arange(n_h), n_kids)
    kid_age = np.clip(head[kid_hh] - rng.uniform(22, 35, kid_hh.size), 0, None)
    m_hh = np.concatenate([np.arange(n_h), np.flatnonzero(has_spouse), kid_hh])
    m_age = np.floor(np.concatenate([head, spouse[has_spouse], kid_age]))
    order = np.argsort(m_hh, kind="stable")
    m_hh, m_age = m_hh[order], m_age[order]
    away = (m_age >= 18) & (m_age <= 45) & (rng.random(m_age.size) < a.initial_migrant_share)
    # nobody leaves the head alone: the head (first member of each household) stays
    first = np.r_[True, m_hh[1:] != m_hh[:-1]]
    away &= ~first
    trust = np.clip(rng.normal(a.trust_initial, 0.1, n_h), 0, 1)
    return Population(
        m_hh=m_hh.astype(np.int64),
        m_age=m_age,
        m_alive=np.ones(m_hh.size, dtype=bool),
        m_away=away,
        hh_village=hh_village,
        hh_alive=np.ones(n_h, dtype=bool),
        home_row=home_row,
        home_col=home_col,
        trust=trust,
        engaged=np.zeros(n_h, dtype=bool),
        perf_pay=np.zeros(n_h),
        income=np.zeros(n_h),
    )


def labour_capacity(age: np.ndarray, a: Assumptions) -> np.ndarray:
    """Farm labour of a member as a share of a full worker (0-1).

    Zero under 16; 1 from 16 to ``labour_decline_age``; then falling linearly to zero at
    ``labour_zero_age``; ``aging_speed`` > 1 makes the fall steeper.
    """
    span = (a.labour_zero_age - a.labour_decline_age) / a.aging_speed
    cap = 1.0 - (age - a.labour_decline_age) / span
    cap = np.clip(cap, 0.0, 1.0)
    return np.where(age < 16, 0.0, cap)


def shadow_wage(age: np.ndarray, a: Assumptions) -> np.ndarray:
    """Value of a member's farm day (yuan/day): the local day wage times the chance of finding
    such work until 55, falling to the elderly value by 65 (older villagers find little paid
    work)."""
    t = np.clip((age - 55.0) / 10.0, 0.0, 1.0)
    return (1 - t) * a.day_wage * a.offfarm_job_chance + t * a.shadow_wage_elderly


@dataclass(frozen=True)
class Outlook:
    """What households expect this year, by village (arrays indexed by village).

    Attributes:
        coop_open: the village has an active cooperative taking land.
        coop_base: coop's guaranteed payment per mu (fixed rent, minimum, or 0).
        coop_bonus: performance pay per mu members expect (last year's, or the founding promise).
        coop_share: share of the village's households in the coop last year.
        lease_rent: expected rent of a household lease (yuan/mu), from last year's market.
        lease_match: chance an offered plot found a lessee last year.
        custody_open: the service firm takes custody.
        custody_price: custody price per mu on flat land (hilly land costs more).
    """

    coop_open: np.ndarray
    coop_base: np.ndarray
    coop_bonus: np.ndarray
    coop_share: np.ndarray
    lease_rent: np.ndarray
    lease_match: np.ndarray
    custody_open: bool
    custody_price: float


def plot_utilities(
    holder: np.ndarray,
    village: np.ndarray,
    hilly: np.ndarray,
    quality: np.ndarray,
    can_farm: np.ndarray,
    wage: np.ndarray,
    trust: np.ndarray,
    outlook: Outlook,
    a: Assumptions,
) -> np.ndarray:
    """Expected net benefit (yuan/mu/yr) of each option for each plot, shape (plots, 5).

    * own: ``gross - cash cost - labour days x household shadow wage + attachment``; only
      where the household has the labour (``can_farm``), else impossible;
    * household lease: ``match chance x (1 - kin share) x expected rent``;
    * coop: ``base + expected performance pay + trust_weight x (trust - 1/2)
      + neighbour_weight x village coop share - lock-in cost``, where a coop is open;
    * custody: ``gross - price - hassle`` (hilly land costs ``hilly_cost_factor`` more);
    * idle: 0.
    """
    yf = np.where(hilly, a.hilly_yield_factor, 1.0)
    cf = np.where(hilly, a.hilly_cost_factor, 1.0)
    days = np.where(hilly, a.labour_days_hilly, a.labour_days_flat)
    gross = a.gross_revenue_per_mu * a.price_index * quality * yf
    h = holder
    v = village
    u = np.full((holder.size, N_OPTIONS), -np.inf)
    u[:, IDLE] = 0.0
    own = gross - a.cash_cost_per_mu * cf - days * wage[h] + a.farming_attachment
    u[:, OWN] = np.where(can_farm, own, -np.inf)
    u[:, HOUSEHOLD_LEASE] = (
        outlook.lease_match[v] * (1.0 - a.kin_rent_free_share) * outlook.lease_rent[v] * yf
    )
    coop = (
        outlook.coop_base[v]
        + outlook.coop_bonus[v]
        + a.trust_weight * (trust[h] - 0.5)
        + a.neighbour_weight * outlook.coop_share[v]
        - a.coop_lockin_cost
    )
    u[:, COOP] = np.where(outlook.coop_open[v], coop, -np.inf)
    if outlook.custody_open:
        u[:, CUSTODY] = gross - outlook.custody_price * cf - a.custody_hassle
    return u


def choose(u: np.ndarray, temperature: float, draws: np.ndarray) -> np.ndarray:
    """Logit (bounded-rational) choice: option ``k`` with probability
    ``exp(u_k / T) / sum_j exp(u_j / T)``; ``draws`` are uniform(0, 1), one per row."""
    z = u / temperature
    z = z - z.max(axis=1, keepdims=True)
    p = np.exp(z)
    cdf = np.cumsum(p, axis=1)
    cdf /= cdf[:, -1:]
    return (draws[:, None] > cdf).sum(axis=1).clip(0, N_OPTIONS - 1).astype(np.int8)


class Household(mesa.Agent):
    """A farm household holding contract rights to a few scattered plots.

    Summary of rule: each year, for every plot not under a running lease, weigh farming it
    (if the household's remaining labour allows), leasing it to another household, putting it
    into the village cooperative, handing it to the service firm in custody, or leaving it
    idle, by expected net benefit per mu (money and labour valued at the household's shadow
    wage), and pick one by a logit choice with temperature ``choice_temperature``; trust in the
    cooperative and the share of neighbours in it shift the cooperative option.

    The state lives in the model's :class:`Population` arrays at row :attr:`index`; the
    properties below are views of it. The rule is applied to all households at once by
    :meth:`decide_all`.
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

    @staticmethod
    def decide_all(
        holder: np.ndarray,
        village: np.ndarray,
        hilly: np.ndarray,
        quality: np.ndarray,
        can_farm: np.ndarray,
        wage: np.ndarray,
        trust: np.ndarray,
        outlook: Outlook,
        a: Assumptions,
        draws: np.ndarray,
    ) -> np.ndarray:
        """Apply the rule to every free plot at once; returns the chosen option per plot."""
        u = plot_utilities(holder, village, hilly, quality, can_farm, wage, trust, outlook, a)
        return choose(u, a.choice_temperature, draws)
