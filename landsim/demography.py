"""Demography: members age, die, are born, migrate and return; households split and die out,
and their land passes on.

Summary of rules (in the order :func:`run_year` applies them):

* **Aging** (:func:`age_one_year`): members age a year; Gompertz deaths; births to households
  with a resident of parenting age; residents of working age leave for the cities, older
  migrants come home.
* **Heirs** (:func:`pass_on_land`): the contract rights of a household that died out pass to
  its closest living kin household, or return to the village collective without one; leases it
  granted continue with the heir, leases it held as lessee end.
* **New households** (:func:`form_households`): a grown child founds a household of its own
  beside its parents, tied to them as kin (:meth:`landsim.kin.KinTies.inherit_many`).
* **Endowments** (:func:`endow`): a new household takes ``split_land_share`` of its parents'
  plots, from the collective's unlet land of its village first.

The population's arrays are declared in :mod:`landsim.population`.
"""

from __future__ import annotations

import numpy as np

from landsim.grouping import group_indices, split_by
from landsim.kin import KinTies
from landsim.params import Assumptions
from landsim.population import Population
from landsim.world import COLLECTIVE, HOUSEHOLD_LEASE, IDLE, NOBODY, Plots

__all__ = ["run_year", "age_one_year", "pass_on_land", "form_households", "endow"]


def run_year(
    plots: Plots,
    pop: Population,
    kin: KinTies,
    a: Assumptions,
    n_villages: int,
    rng: np.random.Generator,
) -> None:
    """The year's demography (module docstring): aging, heirs, new households, endowments."""
    died = age_one_year(pop, a, rng)
    if died.size:
        pass_on_land(plots, pop, kin, died)
    formed = form_households(pop, a, rng)
    if formed:
        kin.inherit_many(formed)
        endow(plots, pop, formed, a.split_land_share, n_villages, rng)


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


def pass_on_land(plots: Plots, pop: Population, kin: KinTies, died: np.ndarray) -> None:
    """The contract rights of the households that ``died`` out pass to their closest living
    kin household (an heir) or, without one, return to the collective. Their own and custody
    plots are free for the new holder to decide; leases they granted continue with the new
    holder; leases they held as lessee end, and so do leases an heir now holds itself."""
    p = plots
    heir_of = np.full(pop.n_households, COLLECTIVE, dtype=np.int64)
    heir_of[died] = kin.closest(died, pop.hh_alive)
    dead = np.zeros(pop.n_households, dtype=bool)
    dead[died] = True
    held = (p.holder >= 0) & dead[np.maximum(p.holder, 0)]
    unleased = held & ~p.leased()
    p.kind[unleased] = IDLE
    p.operator[unleased] = NOBODY
    p.holder[held] = heir_of[p.holder[held]]
    lessee_dead = (p.kind == HOUSEHOLD_LEASE) & dead[np.maximum(p.operator, 0)]
    own_lease = (p.kind == HOUSEHOLD_LEASE) & (p.operator == p.holder)
    p.end_lease(lessee_dead | own_lease)


def endow(
    plots: Plots,
    pop: Population,
    formed: list[tuple[int, int]],
    share: float,
    n_v: int,
    rng: np.random.Generator,
) -> None:
    """Each new household takes ``share`` of its parents' plots: from the unlet land of its
    village's collective first (``n_v`` villages), then from the parents' plots (in the order
    the households formed; the plot lists are built once a year, not once per household)."""
    p = plots
    parents = np.array([pa for pa, _ in formed], dtype=np.int64)
    is_parent = np.zeros(pop.n_households, dtype=bool)
    is_parent[parents] = True
    theirs = np.flatnonzero((p.holder >= 0) & is_parent[np.maximum(p.holder, 0)])
    keys, groups = split_by(p.holder[theirs], theirs)
    by_holder = {int(h): g for h, g in zip(keys, groups, strict=False)}
    spare_idx = np.flatnonzero((p.holder == COLLECTIVE) & ~p.leased())
    spare = [spare_idx[g] for g in group_indices(p.village[spare_idx], n_v)]
    for parent, child in formed:
        mine = by_holder.get(parent, np.zeros(0, dtype=np.int64))
        n = int(round(share * mine.size))
        if n == 0:
            continue
        v = int(pop.hh_village[child])
        take = spare[v][rng.permutation(spare[v].size)[:n]]
        if take.size:
            spare[v] = spare[v][~np.isin(spare[v], take)]
        rest = n - take.size
        if rest > 0:
            given = rng.permutation(mine.size)[:rest]
            take = np.concatenate([take, mine[given]])
            kept = np.ones(mine.size, dtype=bool)
            kept[given] = False
            by_holder[parent] = mine[kept]  # as if listed again for a later pair
        p.holder[take] = child
