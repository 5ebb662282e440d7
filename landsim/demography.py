"""Demography: members age, die, are born, migrate and return; households split and die out.

Household state lives in arrays (:class:`Population`), one entry per household *slot* and one
per member, so that a county of 200,000 households steps in seconds. The town is built with
spare slots (``SLOT_FACTOR`` times the initial households) that new households fill; a
household whose members have all died keeps its slot (its accounts stay in the ledger).

Parts: :class:`Population`, :func:`build_population`, :func:`age_one_year` (deaths, births,
migration and return), and :func:`form_households` (a grown child founds a household of their
own). What happens to the land of households that die out or split is wired in the model
(``LandModel.demography``) because it touches the plots.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landsim.params import Assumptions, World

__all__ = ["Population", "build_population", "age_one_year", "form_households", "SLOT_FACTOR"]

#: household slots per initial household (room for households that form during a run)
SLOT_FACTOR = 2.0


@dataclass
class Population:
    """Members and households as arrays.

    Attributes:
        m_hh: household of each member.
        m_age: age of each member (years).
        m_alive: member is alive.
        m_away: member works off-farm away from the village (migrant; sends remittances).
        hh_village: village of each household slot.
        hh_alive: the household exists and has a living member (a migrant-only household
            still holds its contract rights: the heir keeps them and releases the land).
        hh_formed: the slot has been used by a household (now or before).
        home_row, home_col: homestead position.
        trust: trust in the village cooperative (0 none, 1 full).
        engaged: member household engages in the coop (attends meetings, checks accounts).
        perf_pay: performance-linked coop pay received last year (yuan/mu).
        coop_pay: everything the coop paid per mu pooled last year (yuan/mu).
        income: net income of last year (yuan), from the ledger.
    """

    m_hh: np.ndarray
    m_age: np.ndarray
    m_alive: np.ndarray
    m_away: np.ndarray
    hh_village: np.ndarray
    hh_alive: np.ndarray
    hh_formed: np.ndarray
    home_row: np.ndarray
    home_col: np.ndarray
    trust: np.ndarray
    engaged: np.ndarray
    perf_pay: np.ndarray
    coop_pay: np.ndarray
    income: np.ndarray

    @property
    def n_households(self) -> int:
        """Number of household slots (used or not)."""
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

    def resident_head_age(self) -> np.ndarray:
        """Age of the oldest living resident of each household; 0 if nobody lives there."""
        out = np.zeros(self.n_households)
        res = self.residents()
        np.maximum.at(out, self.m_hh[res], self.m_age[res])
        return out

    def add_members(self, hh: np.ndarray, age: np.ndarray, away: np.ndarray) -> None:
        """Append living members (births, spouses who marry in)."""
        self.m_hh = np.concatenate([self.m_hh, hh.astype(np.int64)])
        self.m_age = np.concatenate([self.m_age, age.astype(float)])
        self.m_alive = np.concatenate([self.m_alive, np.ones(hh.size, dtype=bool)])
        self.m_away = np.concatenate([self.m_away, away.astype(bool)])


def build_population(
    world: World,
    a: Assumptions,
    hh_village: np.ndarray,
    home_row: np.ndarray,
    home_col: np.ndarray,
    rng: np.random.Generator,
) -> Population:
    """Draw households: a head (normal age), usually a spouse, and some children; leave
    ``SLOT_FACTOR - 1`` times as many empty slots for households that form later.

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
    slots = int(np.ceil(n_h * SLOT_FACTOR))
    spare = slots - n_h

    def pad(x: np.ndarray, value) -> np.ndarray:
        return np.concatenate([x, np.full(spare, value, dtype=x.dtype)])

    formed = np.ones(n_h, dtype=bool)
    return Population(
        m_hh=m_hh.astype(np.int64),
        m_age=m_age,
        m_alive=np.ones(m_hh.size, dtype=bool),
        m_away=away,
        hh_village=pad(hh_village.astype(np.int32), 0),
        hh_alive=pad(formed, False),
        hh_formed=pad(formed, False),
        home_row=pad(home_row.astype(np.int32), 0),
        home_col=pad(home_col.astype(np.int32), 0),
        trust=pad(trust, a.trust_initial),
        engaged=np.zeros(slots, dtype=bool),
        perf_pay=np.zeros(slots),
        coop_pay=np.zeros(slots),
        income=np.zeros(slots),
    )


def age_one_year(pop: Population, a: Assumptions, rng: np.random.Generator) -> np.ndarray:
    """Age members by a year; deaths, births, out-migration and return.

    Death: Gompertz hazard ``q(age) = min(1, multiplier * a * exp(b * age))``.
    Birth: a living household with a resident aged 20-38 has a child with ``birth_rate``.
    Migration: each resident aged 18-45 leaves with ``migration_rate``; each migrant aged 50
    or more comes home with ``return_rate``.

    Returns:
        Indices of households that died out this year (no living member left).
    """
    alive = pop.m_alive
    pop.m_age[alive] += 1.0
    q = np.minimum(1.0, a.mortality_multiplier * a.mortality_a * np.exp(a.mortality_b * pop.m_age))
    dies = alive & (rng.random(pop.m_age.size) < q)
    pop.m_alive &= ~dies
    draws = rng.random(pop.m_age.size)
    young = pop.m_alive & ~pop.m_away & (pop.m_age >= 18) & (pop.m_age <= 45)
    older_away = pop.m_alive & pop.m_away & (pop.m_age >= 50)
    pop.m_away = (pop.m_away | (young & (draws < a.migration_rate))) & ~(
        older_away & (draws < a.return_rate)
    )
    living = np.bincount(pop.m_hh[pop.m_alive], minlength=pop.n_households) > 0
    died_out = np.flatnonzero(pop.hh_alive & ~living)
    pop.hh_alive = living & pop.hh_alive
    pop.engaged[died_out] = False
    # births to households with a resident of parenting age
    res = pop.m_alive & ~pop.m_away & (pop.m_age >= 20) & (pop.m_age <= 38)
    parents = np.bincount(pop.m_hh[res], minlength=pop.n_households) > 0
    cand = np.flatnonzero(parents & pop.hh_alive)
    born = cand[rng.random(cand.size) < a.birth_rate]
    if born.size:
        pop.add_members(born, np.zeros(born.size), np.zeros(born.size, dtype=bool))
    return died_out


def form_households(
    pop: Population, a: Assumptions, rng: np.random.Generator
) -> list[tuple[int, int]]:
    """Residents aged 25-40 who are not their household's head found households of their own
    with ``household_formation_rate`` (one a year per household, while spare slots last); a
    spouse of similar age marries in. The new household lives beside its parents.

    Returns:
        ``(parent, child)`` household pairs formed this year.
    """
    free = np.flatnonzero(~pop.hh_formed)
    if free.size == 0:
        return []
    head = pop.head_age()
    cand = pop.m_alive & ~pop.m_away & (pop.m_age >= 25) & (pop.m_age <= 40)
    cand &= pop.m_age < head[pop.m_hh]
    idx = np.flatnonzero(cand)
    idx = idx[rng.random(idx.size) < a.household_formation_rate]
    # one per household, in member order
    _, first = np.unique(pop.m_hh[idx], return_index=True)
    idx = idx[np.sort(first)][: free.size]
    if idx.size == 0:
        return []
    parents = pop.m_hh[idx].copy()
    children = free[: idx.size]
    pop.m_hh[idx] = children
    spouse_age = np.clip(pop.m_age[idx] + rng.normal(0, 3, idx.size), 20, 60).round()
    pop.add_members(children, spouse_age, np.zeros(idx.size, dtype=bool))
    for field in ("hh_village", "home_row", "home_col", "trust"):
        arr = getattr(pop, field)
        arr[children] = arr[parents]
    pop.hh_alive[children] = True
    pop.hh_formed[children] = True
    pop.engaged[children] = False
    pop.perf_pay[children] = 0.0
    pop.coop_pay[children] = 0.0
    return list(zip(parents.tolist(), children.tolist(), strict=True))
