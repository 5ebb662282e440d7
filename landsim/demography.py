"""Demography: members age, die, are born, migrate and return; households split and die out,
and their land passes on.

Summary of rules (in the order :func:`run_year` applies them):

* **Aging** (:func:`age_one_year`): members age a year; Gompertz deaths; births to households
  with a resident of parenting age; residents of working age leave for the cities, older
  migrants come home.
* **Migration follows earnings** (:func:`earnings_gap`, :func:`move_chances`): the chance a
  resident aged 18-45 leaves is ``migration_rate`` x (gap / ``migration_reference_gap``) ^
  ``migration_elasticity``, where the gap is what a year away earns (the migrant wage less
  living costs in the city, over the months worked) less what the member earns at home (its
  share of the household's farm margin and the local day work it can expect to sell); a
  migrant aged ``return_age`` or more comes home with ``return_rate`` x (reference / gap) ^
  elasticity.
* **Heirs** (:func:`pass_on_land`): the contract rights of a household that died out pass to
  its closest living kin household, or return to the village collective without one; leases it
  granted continue with the heir, leases it held as lessee end.
* **New households** (:func:`form_households`): a grown child founds a household of its own
  beside its parents, tied to them as kin (:meth:`landsim.kin.KinTies.inherit_many`).
* **Endowments** (:func:`endow`): a new household takes ``split_land_share`` of its parents'
  plots, from the collective's unlet land of its village first.
* **Re-contracting** (:func:`recontract`): land the village collective holds beyond its
  mobile-land reserve (``mobile_land_share`` of the village's land; Rural Land Contracting Law
  2002, Art. 63) is contracted out again to the village's households with the least land per
  member.

The population's arrays are declared in :mod:`landsim.population`. The rules' loops run on
compiled kernels (:mod:`landsim.demography_kernels`), each beside the NumPy function it must
equal (``*_reference``, run with ``LANDSIM_NO_JIT=1``); random draws are made here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from landsim import compiled
from landsim.demography_kernels import (
    collective_excess,
    deaths_and_moves,
    endow_plots,
    founders,
    grow_older,
    household_margin,
    member_earnings,
    pass_on,
    plot_lists,
)
from landsim.grouping import group_indices, split_by
from landsim.kin import KinTies
from landsim.labour import (
    EMPLOYABLE_FULL_AGE,
    EMPLOYABLE_ZERO_AGE,
    WORK_AGE,
    employability,
    labour_capacity,
    local_day_wage,
)
from landsim.params import Assumptions, Params
from landsim.population import Population, draw_taste
from landsim.world import COLLECTIVE, HOUSEHOLD_LEASE, IDLE, NOBODY, OWN, Plots

if TYPE_CHECKING:
    from landsim.town import Town

__all__ = [
    "run_year",
    "migrant_earnings",
    "home_earnings",
    "home_earnings_reference",
    "earnings_gap",
    "move_chances",
    "age_one_year",
    "age_one_year_reference",
    "pass_on_land",
    "pass_on_land_reference",
    "form_households",
    "endow",
    "endow_reference",
    "recontract",
    "LEAVE_AGES",
]

#: residents of these ages may leave for work in the cities
LEAVE_AGES = (18, 45)
#: a gap below this share of the reference counts as this share (a return chance stays finite)
_GAP_FLOOR = 0.05
#: no plots
_NONE = np.zeros(0, dtype=np.int64)


def run_year(town: Town, params: Params, rng: np.random.Generator) -> None:
    """The year's demography (module docstring): aging and migration, heirs, new households,
    endowments, re-contracting of the collective's land beyond its reserve."""
    plots, pop, kin = town.plots, town.population, town.kin
    a, n_villages = params.assumptions, params.world.n_villages
    gap = earnings_gap(town, params)
    died = age_one_year(pop, a, rng, gap)
    if died.size:
        pass_on_land(plots, pop, kin, died)
    formed = form_households(pop, a, rng)
    if formed:
        kin.inherit_many(formed)
        endow(plots, pop, formed, a.split_land_share, n_villages, rng)
    recontract(plots, pop, params.levers.mobile_land_share, n_villages, rng)


def migrant_earnings(a: Assumptions) -> float:
    """What a year of work away brings a migrant, net of living costs in the city (yuan/yr):
    ``(offfarm_wage_month - migrant_living_cost_month) x migrant_months``."""
    return (a.offfarm_wage_month - a.migrant_living_cost_month) * a.migrant_months


def home_earnings(
    plots: Plots,
    pop: Population,
    a: Assumptions,
    job_chance: np.ndarray,
    mu: float,
) -> np.ndarray:
    """What each member earns at home in a year (yuan/yr; 0 for the dead).

    Its share, by labour capacity, of the expected margin of the land its household farms
    (own plots: harvest less cash costs; leased-in plots: also less rent), counting a migrant
    as one more worker; plus the local day work it can expect to sell
    (:func:`~landsim.labour.local_day_wage` x ``job_chance x local_work_days x capacity x
    employability``). Runs on the
    compiled kernels :func:`landsim.demography_kernels.household_margin` and
    :func:`~landsim.demography_kernels.member_earnings`; :func:`home_earnings_reference` when
    compilation is off.
    """
    if not compiled.enabled():
        return home_earnings_reference(plots, pop, a, job_chance, mu)
    p = plots
    cash = a.cash_cost_per_mu
    margin = household_margin(
        p.holder,
        p.operator,
        p.kind,
        p.hilly,
        p.quality,
        p.rent,
        (OWN, HOUSEHOLD_LEASE),
        float(a.gross_revenue_per_mu * a.price_index),
        (float(a.hilly_yield_factor), 1.0),
        (
            float(cash * a.hilly_cost_factor),
            float(cash * 1.0),
            float(cash * a.hilly_cost_factor),
            float(cash * (1 - a.scale_cost_cut)),
        ),
        float(mu),
        pop.n_households,
    )
    work = (
        float(a.labour_decline_age),
        float((a.labour_zero_age - a.labour_decline_age) / a.aging_speed),
        float(local_day_wage(a)),
        float(a.local_work_days),
        EMPLOYABLE_FULL_AGE,
        EMPLOYABLE_ZERO_AGE,
        float(WORK_AGE[0]),
    )
    return member_earnings(
        pop.m_hh, pop.m_age, pop.m_alive, pop.m_away, margin, job_chance, pop.hh_village, work
    )


def home_earnings_reference(
    plots: Plots,
    pop: Population,
    a: Assumptions,
    job_chance: np.ndarray,
    mu: float,
) -> np.ndarray:
    """:func:`home_earnings` written with NumPy: the reference its kernels must equal."""
    p = plots
    n_h = pop.n_households
    yf = np.where(p.hilly, a.hilly_yield_factor, 1.0)
    gross = a.gross_revenue_per_mu * a.price_index * p.quality * yf
    own = p.kind == OWN
    lease = p.kind == HOUSEHOLD_LEASE
    own_cash = a.cash_cost_per_mu * np.where(p.hilly, a.hilly_cost_factor, 1.0)
    lessee_cash = np.where(
        p.hilly,
        a.cash_cost_per_mu * a.hilly_cost_factor,
        a.cash_cost_per_mu * (1 - a.scale_cost_cut),
    )
    margin = np.bincount(p.holder[own], weights=(gross - own_cash)[own] * mu, minlength=n_h)
    margin += np.bincount(
        p.operator[lease], weights=(gross - lessee_cash - p.rent)[lease] * mu, minlength=n_h
    )
    cap = labour_capacity(pop.m_age, a) * pop.m_alive
    workers = np.bincount(pop.m_hh, weights=cap * ~pop.m_away, minlength=n_h)
    h = pop.m_hh
    share = margin[h] * cap / np.maximum(workers[h] + cap * pop.m_away, 1e-9)
    chance = job_chance[pop.hh_village[h]]
    local = local_day_wage(a) * chance * a.local_work_days * cap * employability(pop.m_age)
    return share + local


def earnings_gap(town: Town, params: Params) -> np.ndarray:
    """Each member's expected gain from a year away over a year at home (yuan/yr):
    :func:`migrant_earnings` less :func:`home_earnings`."""
    a, mu = params.assumptions, params.world.plot_size_mu
    home = home_earnings(town.plots, town.population, a, town.villages.job_chance, mu)
    return migrant_earnings(a) - home


def move_chances(gap: np.ndarray, a: Assumptions) -> tuple[np.ndarray, np.ndarray]:
    """The yearly chance a resident leaves and a migrant comes home, given each member's
    earnings ``gap`` (module docstring): ``(leave, return)``."""
    ratio = np.maximum(gap / a.migration_reference_gap, _GAP_FLOOR)
    e = a.migration_elasticity
    leave = np.where(gap > 0, np.minimum(1.0, a.migration_rate * ratio**e), 0.0)
    back = np.minimum(1.0, a.return_rate * ratio ** (-e))
    return leave, back


def age_one_year(
    pop: Population, a: Assumptions, rng: np.random.Generator, gap: np.ndarray | None = None
) -> np.ndarray:
    """Age members by a year; deaths, births, out-migration and return.

    Death: Gompertz hazard ``q(age) = min(1, multiplier * a * exp(b * age))``.
    Birth: a living household with a resident aged 20-38 has a child with ``birth_rate``.
    Migration: each resident aged 18-45 leaves, and each migrant aged ``return_age`` or more
    comes home, with the chances :func:`move_chances` gives for its earnings ``gap`` (measured
    before the year's aging; ``None``: the reference gap, so ``migration_rate`` and
    ``return_rate``).

    Runs on the compiled kernels :func:`landsim.demography_kernels.grow_older` and
    :func:`~landsim.demography_kernels.deaths_and_moves` (the exponential of the Gompertz
    hazard and the powers of the move chances are taken with NumPy, as the reference takes
    them); :func:`age_one_year_reference` when compilation is off.

    Returns:
        Indices of households that died out this year (no living member left).
    """
    if not compiled.enabled():
        return age_one_year_reference(pop, a, rng, gap)
    grow_older(pop.m_age, pop.m_alive)
    growth = np.exp(a.mortality_b * pop.m_age)  # the reference's NumPy exp and powers
    die_draw = rng.random(pop.m_age.size)
    draws = rng.random(pop.m_age.size)
    if gap is None:
        gap = np.full(pop.m_age.size, a.migration_reference_gap)
    ratio = np.maximum(gap / a.migration_reference_gap, _GAP_FLOOR)
    e = a.migration_elasticity
    pop.m_away, pop.hh_alive, died_out, cand = deaths_and_moves(
        pop.m_hh,
        pop.m_age,
        pop.m_alive,
        pop.m_away,
        pop.hh_alive,
        (growth, float(a.mortality_multiplier * a.mortality_a)),
        die_draw,
        draws,
        (gap, ratio**e, ratio ** (-e), float(a.migration_rate), float(a.return_rate)),
        (float(LEAVE_AGES[0]), float(LEAVE_AGES[1]), float(a.return_age), 20.0, 38.0),
    )
    pop.engaged[died_out] = False
    born = cand[rng.random(cand.size) < a.birth_rate]
    if born.size:
        pop.add_members(born, np.zeros(born.size), np.zeros(born.size, dtype=bool))
    return died_out


def age_one_year_reference(
    pop: Population, a: Assumptions, rng: np.random.Generator, gap: np.ndarray | None = None
) -> np.ndarray:
    """:func:`age_one_year` written with NumPy: the reference its kernels must equal (the same
    draws in the same order)."""
    alive = pop.m_alive
    pop.m_age[alive] += 1.0
    q = np.minimum(1.0, a.mortality_multiplier * a.mortality_a * np.exp(a.mortality_b * pop.m_age))
    dies = alive & (rng.random(pop.m_age.size) < q)
    pop.m_alive &= ~dies
    draws = rng.random(pop.m_age.size)
    if gap is None:
        gap = np.full(pop.m_age.size, a.migration_reference_gap)
    leave, back = move_chances(gap, a)
    young = pop.m_alive & ~pop.m_away & (pop.m_age >= LEAVE_AGES[0]) & (pop.m_age <= LEAVE_AGES[1])
    older_away = pop.m_alive & pop.m_away & (pop.m_age >= a.return_age)
    pop.m_away = (pop.m_away | (young & (draws < leave))) & ~(older_away & (draws < back))
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
    idx = _founders(pop)
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
    pop.taste[children] = draw_taste(rng, children.size)
    return list(zip(parents.tolist(), children.tolist(), strict=True))


def _founders(pop: Population) -> np.ndarray:
    """Members who may found a household, in member order: living residents aged 25-40
    younger than their household's head (on the compiled kernel
    :func:`landsim.demography_kernels.founders`, or with NumPy when compilation is off)."""
    if compiled.enabled():
        return founders(
            pop.m_hh, pop.m_age, pop.m_alive, pop.m_away, pop.n_households, (25.0, 40.0)
        )
    head = pop.head_age()
    cand = pop.m_alive & ~pop.m_away & (pop.m_age >= 25) & (pop.m_age <= 40)
    cand &= pop.m_age < head[pop.m_hh]
    return np.flatnonzero(cand)


def pass_on_land(plots: Plots, pop: Population, kin: KinTies, died: np.ndarray) -> None:
    """The contract rights of the households that ``died`` out pass to their closest living
    kin household (an heir) or, without one, return to the collective. Their own and custody
    plots are free for the new holder to decide; leases they granted continue with the new
    holder; leases they held as lessee end, and so do leases an heir now holds itself. Runs on
    the compiled kernel :func:`landsim.demography_kernels.pass_on`;
    :func:`pass_on_land_reference` when compilation is off."""
    if not compiled.enabled():
        pass_on_land_reference(plots, pop, kin, died)
        return
    heir_of = np.full(pop.n_households, COLLECTIVE, dtype=np.int64)
    heir_of[died] = kin.closest(died, pop.hh_alive)
    dead = np.zeros(pop.n_households, dtype=bool)
    dead[died] = True
    codes = (IDLE, NOBODY, HOUSEHOLD_LEASE)
    p = plots
    plots.end_lease(pass_on(p.holder, p.kind, p.operator, p.leased(), dead, heir_of, codes))


def pass_on_land_reference(plots: Plots, pop: Population, kin: KinTies, died: np.ndarray) -> None:
    """:func:`pass_on_land` written with NumPy: the reference its kernel must equal."""
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
    the households formed; the plot lists are built once a year, not once per household).
    Runs on the compiled kernels :func:`landsim.demography_kernels.plot_lists` and
    :func:`~landsim.demography_kernels.endow_plots`, with the draws made here in the same
    order; :func:`endow_reference` when compilation is off."""
    if not compiled.enabled():
        endow_reference(plots, pop, formed, share, n_v, rng)
        return
    parents = np.array([pa for pa, _ in formed], dtype=np.int64)
    children = np.array([ch for _, ch in formed], dtype=np.int64)
    is_parent = np.zeros(pop.n_households, dtype=bool)
    is_parent[parents] = True
    lists = plot_lists(plots.holder, plots.village, plots.leased(), is_parent, COLLECTIVE, n_v)
    mine_n = dict(zip(parents.tolist(), np.diff(lists[0])[parents].tolist(), strict=True))
    spare_n = np.diff(lists[2]).tolist()
    village = np.full(parents.size, -1, dtype=np.int64)
    spare_picks: list[np.ndarray] = []  # positions in what is left of the lists
    own_picks: list[np.ndarray] = []
    spare_at, own_at = [0], [0]
    for t, (parent, child) in enumerate(formed):
        m = mine_n[parent]
        n = int(round(share * m))
        first = given = _NONE
        if n > 0:
            village[t] = v = int(pop.hh_village[child])
            first = rng.permutation(spare_n[v])[:n]
            spare_n[v] -= first.size
            if n > first.size:
                given = rng.permutation(m)[: n - first.size]
                mine_n[parent] = m - given.size
        spare_picks.append(first)
        own_picks.append(given)
        spare_at.append(spare_at[-1] + first.size)
        own_at.append(own_at[-1] + given.size)
    endow_plots(
        plots.holder,
        lists,
        (parents, children, village),
        (_joined(spare_picks), np.array(spare_at, dtype=np.int64)),
        (_joined(own_picks), np.array(own_at, dtype=np.int64)),
    )


def _joined(parts: list[np.ndarray]) -> np.ndarray:
    """``parts`` end to end (int64; empty without parts)."""
    return np.concatenate([_NONE, *parts]).astype(np.int64)


def endow_reference(
    plots: Plots,
    pop: Population,
    formed: list[tuple[int, int]],
    share: float,
    n_v: int,
    rng: np.random.Generator,
) -> None:
    """:func:`endow` written with NumPy: the reference its kernels must equal (the same draws
    in the same order)."""
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


def recontract(
    plots: Plots, pop: Population, share: float, n_v: int, rng: np.random.Generator
) -> None:
    """Each village's collective keeps as mobile land at most ``share`` of the village's plots
    and contracts the rest of the land it holds out again (Rural Land Contracting Law 2002,
    Art. 63: mobile land at most 5 % of the collective's land; the land of a household that
    died out is contracted out again): plots in random order, one each to the living households
    of the village with the fewest contract plots per living member (in turn, when there are
    more plots than households). A running lease continues with the new holder (one the new
    holder farms itself ends)."""
    p = plots
    if compiled.enabled() and not collective_excess(p.holder, p.village, COLLECTIVE, share, n_v):
        return  # most years: nothing beyond the reserve (the kernel checks it in one pass)
    coll = np.flatnonzero(p.holder == COLLECTIVE)
    if coll.size == 0:
        return
    per_v = np.bincount(p.village, minlength=n_v)
    keep = np.floor(share * per_v).astype(np.int64)
    by_v = group_indices(p.village[coll], n_v)
    excess = [v for v in range(n_v) if by_v[v].size > keep[v]]
    if not excess:
        return
    held = p.holder >= 0
    plots_of = np.bincount(p.holder[held], minlength=pop.n_households)
    members = np.bincount(pop.m_hh[pop.m_alive], minlength=pop.n_households)
    per_member = plots_of / np.maximum(members, 1)
    alive = np.flatnonzero(pop.hh_alive)
    hh_by_v = group_indices(pop.hh_village[alive], n_v)
    for v in excess:
        homes = alive[hh_by_v[v]]
        if homes.size == 0:
            continue
        mine = coll[by_v[v]]
        give = mine[rng.permutation(mine.size)[: mine.size - keep[v]]]
        order = homes[np.lexsort((homes, per_member[homes]))]
        p.holder[give] = order[np.arange(give.size) % order.size]
    own_lease = (p.kind == HOUSEHOLD_LEASE) & (p.operator == p.holder)
    p.end_lease(own_lease)
