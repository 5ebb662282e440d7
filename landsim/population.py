"""The population: households and their members as arrays (one entry per household slot and
one per member), so that a county of 200,000 households steps in seconds.

The town is built with spare household slots (``SLOT_FACTOR`` times the initial households)
that new households fill; a household whose members have all died keeps its slot (its accounts
stay in the ledger). The rules that change the population (aging, deaths, births, migration,
new households, heirs) are in :mod:`landsim.demography`.

Parts: :class:`Population`, :func:`build_population` (a synthetic town's households),
:func:`population_of` (the population from given households and members; a region's),
:data:`SLOT_FACTOR`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landsim import compiled
from landsim.columns import AGE, MONEY, PER_MU, SHARE, column
from landsim.demography_kernels import group_max
from landsim.params import Assumptions, World

__all__ = ["Population", "build_population", "population_of", "draw_taste", "SLOT_FACTOR", "TASTE"]

#: household slots per initial household (room for households that form during a run)
SLOT_FACTOR = 2.0

_HH = ("households",)
#: a taste draw: standard logistic, clipped (a draw beyond 30 has chance below 1e-13)
TASTE = (-30.0, 30.0)
_M = ("members",)


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
        taste: the household's taste for farming its own land, a standard logistic draw kept
            for life (x ``choice_temperature`` yuan/mu; docs/ODD.md, section 7.2).
    """

    m_hh: np.ndarray = column(np.int64, _M, (0, "households"), variable=True)
    m_age: np.ndarray = column(np.float64, _M, AGE, variable=True)
    m_alive: np.ndarray = column(np.bool_, _M, None, variable=True)
    m_away: np.ndarray = column(np.bool_, _M, None, variable=True)
    hh_village: np.ndarray = column(np.int32, _HH, (0, "villages"))
    hh_alive: np.ndarray = column(np.bool_, _HH, None)
    hh_formed: np.ndarray = column(np.bool_, _HH, None)
    home_row: np.ndarray = column(np.int32, _HH, (0, "rows"))
    home_col: np.ndarray = column(np.int32, _HH, (0, "cols"))
    trust: np.ndarray = column(np.float64, _HH, SHARE)
    engaged: np.ndarray = column(np.bool_, _HH, None)
    perf_pay: np.ndarray = column(np.float64, _HH, PER_MU)
    coop_pay: np.ndarray = column(np.float64, _HH, PER_MU)
    income: np.ndarray = column(np.float64, _HH, MONEY)
    taste: np.ndarray = column(np.float64, _HH, TASTE)

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
        """Age of the oldest living member of each household (its head); 0 if none. On NumPy
        (:meth:`oldest_reference`) with or without compilation: over the living, nearly every
        member, ``np.maximum.at`` measured faster than the kernel."""
        return self.oldest_reference(self.m_alive)

    def resident_head_age(self) -> np.ndarray:
        """Age of the oldest living resident of each household; 0 if nobody lives there."""
        return self.oldest(self.residents())

    def oldest(self, mask: np.ndarray) -> np.ndarray:
        """Age of the oldest ``mask`` member of each household; 0 if none. Runs on the compiled
        kernel :func:`landsim.demography_kernels.group_max`; :meth:`oldest_reference` when
        compilation is off."""
        if not compiled.enabled():
            return self.oldest_reference(mask)
        return group_max(self.m_hh, self.m_age, mask, self.n_households)

    def oldest_reference(self, mask: np.ndarray) -> np.ndarray:
        """:meth:`oldest` written with NumPy: the reference its kernel must equal."""
        out = np.zeros(self.n_households)
        np.maximum.at(out, self.m_hh[mask], self.m_age[mask])
        return out

    def add_members(self, hh: np.ndarray, age: np.ndarray, away: np.ndarray) -> None:
        """Append living members (births, spouses who marry in)."""
        self.m_hh = np.concatenate([self.m_hh, hh.astype(np.int64)])
        self.m_age = np.concatenate([self.m_age, age.astype(float)])
        self.m_alive = np.concatenate([self.m_alive, np.ones(hh.size, dtype=bool)])
        self.m_away = np.concatenate([self.m_away, away.astype(bool)])


def draw_taste(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` households' tastes for farming: standard logistic draws (clipped to :data:`TASTE`)."""
    return np.clip(rng.logistic(0.0, 1.0, n), *TASTE)


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
    younger than the head. Children aged 18-45 are away with ``initial_migrant_share``. Each
    household draws its taste for farming (:func:`draw_taste`).
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
    taste = draw_taste(rng, n_h)
    return population_of(m_hh, m_age, away, hh_village, home_row, home_col, trust, taste, a)


def population_of(
    m_hh: np.ndarray,
    m_age: np.ndarray,
    away: np.ndarray,
    hh_village: np.ndarray,
    home_row: np.ndarray,
    home_col: np.ndarray,
    trust: np.ndarray,
    taste: np.ndarray,
    a: Assumptions,
) -> Population:
    """The population at the start from its households (village, homestead, trust, taste for
    farming) and members
    (household, age, away; sorted by household, each household's head first), with
    ``SLOT_FACTOR - 1`` times as many empty slots for households that form later."""
    n_h = hh_village.size
    slots = int(np.ceil(n_h * SLOT_FACTOR))
    spare = slots - n_h

    def pad(x: np.ndarray, value) -> np.ndarray:
        return np.concatenate([x, np.full(spare, value, dtype=x.dtype)])

    formed = np.ones(n_h, dtype=bool)
    return Population(
        m_hh=m_hh.astype(np.int64),
        m_age=m_age.astype(np.float64),
        m_alive=np.ones(m_hh.size, dtype=bool),
        m_away=away.astype(bool),
        hh_village=pad(hh_village.astype(np.int32), 0),
        hh_alive=pad(formed, False),
        hh_formed=pad(formed, False),
        home_row=pad(home_row.astype(np.int32), 0),
        home_col=pad(home_col.astype(np.int32), 0),
        trust=pad(trust.astype(np.float64), a.trust_initial),
        engaged=np.zeros(slots, dtype=bool),
        perf_pay=np.zeros(slots),
        coop_pay=np.zeros(slots),
        income=np.zeros(slots),
        taste=pad(taste, 0.0),
    )
