"""Labour: how much work a member can do, what a day is worth, and each village's day-labour
market.

One time budget, one price of time. A resident's days go to farming (own and leased-in land,
up to ``farm_days_per_worker`` field days in the seasons that bind) and to local day work (at
most ``local_work_days`` a year besides farming); a migrant's go to work away
(:mod:`landsim.demography`). Local day work is not there for the asking: each village has a
day-labour market with limited demand.

Summary of rules:

* **Capacity** (:func:`labour_capacity`): a member's share of a full worker, falling with age.
* **Employability** (:func:`employability`): employers take members 18-55 fully; older
  members' days count for less, to nothing at 75 (older villagers find little paid work).
* **The market** (:func:`offered_days`, :func:`open_market`): each household offers the days
  its residents (18 and older) have for local work, weighted by employability, less the days
  it farms; demand is ``local_job_days`` per resident aged 18-64 (local non-farm work) plus the
  days lessees hire for land beyond their own field days. Days are rationed: each household
  sells its offer x ``min(1, demand / offer)`` at the local day wage (next); the ledger pays
  only days sold. Co-ops and the service firm then hire from the days left unsold
  (:func:`hire_villagers`; outsiders where the village has too few); a co-op hires its own
  members first.
* **The local wage follows the migrant wage** (:func:`local_day_wage`): local employers compete
  with the cities for the same workers, so the day wage is ``day_wage`` x (``offfarm_wage_month``
  / ``local_wage_reference_month``) ^ ``local_wage_link``.
* **The price of time** (:func:`shadow_wage`, :func:`household_labour`): a farm day is worth
  what the ledger would pay for its best alternative: the local day wage x the chance of selling a
  day that the village's households expect (learned from past years' markets,
  :func:`learn_job_chance`; a co-op's work for its own members is not counted: it comes with
  membership, not with the open market) x the member's employability, or, where that is less,
  the value of a day without paid work (``shadow_wage_elderly``).

Functions of arrays and parameters (no Mesa); the season's market is a :class:`HelperPool`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landsim import compiled
from landsim.farming_kernels import day_offers, village_market
from landsim.grouping import group_indices
from landsim.ledger import Ledger
from landsim.params import Assumptions
from landsim.population import Population

__all__ = [
    "WORK_AGE",
    "EMPLOYABLE_FULL_AGE",
    "EMPLOYABLE_ZERO_AGE",
    "labour_capacity",
    "employability",
    "shadow_wage",
    "household_labour",
    "offered_days",
    "local_demand",
    "ration",
    "HelperPool",
    "open_market",
    "day_offers_reference",
    "village_market_reference",
    "hire_villagers",
    "learn_job_chance",
]

#: the ages that count as working age for local jobs (18-64; docs/ODD.md, section 7.1)
WORK_AGE = (18, 64)
#: employers take residents fully up to this age ... (assumption)
EMPLOYABLE_FULL_AGE = 55.0
#: ... and not at all from this age (assumption; sources: docs/validation.md, local day work)
EMPLOYABLE_ZERO_AGE = 75.0


def labour_capacity(age: np.ndarray, a: Assumptions) -> np.ndarray:
    """Farm labour of a member as a share of a full worker (0-1).

    Zero under 16; 1 from 16 to ``labour_decline_age``; then falling linearly to zero at
    ``labour_zero_age``; ``aging_speed`` > 1 makes the fall steeper.
    """
    span = (a.labour_zero_age - a.labour_decline_age) / a.aging_speed
    cap = 1.0 - (age - a.labour_decline_age) / span
    cap = np.clip(cap, 0.0, 1.0)
    return np.where(age < 16, 0.0, cap)


def employability(age: np.ndarray) -> np.ndarray:
    """How much an employer counts a member's day (0-1): 0 under 18, 1 up to 55, falling
    linearly to 0 at 75."""
    e = np.clip((EMPLOYABLE_ZERO_AGE - age) / (EMPLOYABLE_ZERO_AGE - EMPLOYABLE_FULL_AGE), 0, 1)
    return np.where(age < WORK_AGE[0], 0.0, e)


def local_day_wage(a: Assumptions) -> float:
    """The local day wage this year (yuan/day): ``day_wage`` at the reference migrant wage,
    moving with the migrant wage by the elasticity ``local_wage_link`` (0 keeps it fixed)."""
    return a.day_wage * (a.offfarm_wage_month / a.local_wage_reference_month) ** a.local_wage_link


def shadow_wage(age: np.ndarray, job_chance: np.ndarray | float, a: Assumptions) -> np.ndarray:
    """Value of a member's day (yuan/day): :func:`local_day_wage` x ``job_chance`` x
    employability, or the value of a day without paid work (``shadow_wage_elderly``) where that
    is more."""
    return np.maximum(local_day_wage(a) * job_chance * employability(age), a.shadow_wage_elderly)


def household_labour(
    m_hh: np.ndarray,
    m_age: np.ndarray,
    resident: np.ndarray,
    n_households: int,
    a: Assumptions,
    job_chance: np.ndarray | float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Field days each household's residents can give a year, and the value of their day.

    ``days = farm_days_per_worker x sum(labour_capacity of residents)``; the value of a day is
    the capacity-weighted mean of :func:`shadow_wage` (``shadow_wage_elderly`` where nobody can
    work). ``job_chance``: the chance of selling a day each member's household expects (one
    value per member, or one for all).

    Returns:
        ``(days, wage)``, one entry per household.
    """
    cap = labour_capacity(m_age, a) * resident
    cap_sum = np.bincount(m_hh, weights=cap, minlength=n_households)
    w = shadow_wage(m_age, job_chance, a)
    wage_sum = np.bincount(m_hh, weights=cap * w, minlength=n_households)
    wage = np.where(cap_sum > 0, wage_sum / np.maximum(cap_sum, 1e-12), a.shadow_wage_elderly)
    return cap_sum * a.farm_days_per_worker, wage


def offered_days(
    pop: Population, a: Assumptions, farm_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Days each household offers on the day-labour market, and its capacity-weighted mean
    employability.

    The offer is ``local_work_days x sum(capacity x employability)`` of its residents less the
    days it farms (``farm_days``: own and leased land, its own labour), each farm day counted
    at the household's mean employability (the time budget is shared); never below zero.
    """
    n_h = pop.n_households
    res = pop.residents()
    cap = labour_capacity(pop.m_age, a) * res
    weighted = cap * employability(pop.m_age)
    cap_sum = np.bincount(pop.m_hh, weights=cap, minlength=n_h)
    e_sum = np.bincount(pop.m_hh, weights=weighted, minlength=n_h)
    mean_e = np.where(cap_sum > 0, e_sum / np.maximum(cap_sum, 1e-12), 0.0)
    offer = np.maximum(0.0, a.local_work_days * e_sum - mean_e * farm_days)
    return offer, mean_e


def local_demand(pop: Population, a: Assumptions, n_villages: int) -> np.ndarray:
    """Days of local non-farm day work on offer in each village (days/yr):
    ``local_job_days`` per resident of working age."""
    res = pop.residents() & (pop.m_age >= WORK_AGE[0]) & (pop.m_age <= WORK_AGE[1])
    per_hh = np.bincount(pop.m_hh[res], minlength=pop.n_households)
    by_v = np.bincount(pop.hh_village, weights=per_hh, minlength=n_villages)
    return a.local_job_days * by_v


def ration(offer: np.ndarray, demand: np.ndarray) -> np.ndarray:
    """Share of offered days sold where ``demand`` meets ``offer`` (each element a market):
    ``min(1, demand / offer)``, 0 without an offer."""
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(offer > 0, demand / np.where(offer > 0, offer, 1.0), 0.0)
    return np.clip(r, 0.0, 1.0)


@dataclass
class HelperPool:
    """This season's day-labour market, after the local jobs and the lessees' hiring.

    Attributes:
        days: days each household still offers, unsold (co-ops and the firm hire these).
        by_village: the living households of each village.
        coop_days: days each household has worked for a co-op this season (the labour stake
            of a second rebate by labour).
        offered: days each village's households offered this season.
        sold: days each village's households sold this season (local jobs, lessees, co-ops,
            the firm).
    """

    days: np.ndarray
    by_village: list[np.ndarray]
    coop_days: np.ndarray
    offered: np.ndarray
    sold: np.ndarray


def open_market(
    pop: Population,
    a: Assumptions,
    n_villages: int,
    farm_days: np.ndarray,
    hired: np.ndarray,
) -> tuple[HelperPool, np.ndarray]:
    """Clear each village's day-labour market for local jobs and the days lessees hire.

    Args:
        pop: the population.
        a: the assumptions.
        n_villages: number of villages.
        farm_days: days each household farms with its own labour (own and leased land).
        hired: days each household hires for its leased land beyond its own field days.

    Returns:
        The pool left for co-ops and the firm, and the days each household sold.
    """
    n_h = pop.n_households
    if not (compiled.enabled() and pop.m_hh.size):
        offer, per_hh = day_offers_reference(pop, a, farm_days)
        return village_market_reference(pop, a, n_villages, offer, per_hh, hired)
    ages = (
        a.labour_decline_age,
        (a.labour_zero_age - a.labour_decline_age) / a.aging_speed,
        EMPLOYABLE_FULL_AGE,
        EMPLOYABLE_ZERO_AGE,
        float(WORK_AGE[0]),
        float(WORK_AGE[1]),
    )
    args = (pop.m_hh, pop.m_age, pop.m_alive, pop.m_away, pop.hh_alive, farm_days)
    offer, per_hh = day_offers(*args, n_h, ages, a.local_work_days)
    v = pop.hh_village
    offered, sold, left, sold_v, start, living = village_market(
        offer, per_hh, hired, v, pop.hh_alive, n_villages, float(a.local_job_days)
    )
    at = start.tolist()
    pool = HelperPool(
        days=left,
        by_village=[living[at[i] : at[i + 1]] for i in range(n_villages)],
        coop_days=np.zeros(n_h),
        offered=offered,
        sold=sold_v,
    )
    return pool, sold


def village_market_reference(
    pop: Population,
    a: Assumptions,
    n_villages: int,
    offer: np.ndarray,
    per_hh: np.ndarray,
    hired: np.ndarray,
) -> tuple[HelperPool, np.ndarray]:
    """:func:`open_market` from the days each household offers and its residents of working
    age (:func:`day_offers_reference`), with NumPy: the reference the compiled
    :func:`landsim.farming_kernels.village_market` must equal."""
    n_h = pop.n_households
    v = pop.hh_village
    offered = np.bincount(v, weights=offer, minlength=n_villages)
    demand = a.local_job_days * np.bincount(v, weights=per_hh, minlength=n_villages)
    demand += np.bincount(v, weights=hired, minlength=n_villages)
    sold = offer * ration(offered, demand)[v]
    alive = np.flatnonzero(pop.hh_alive)
    pool = HelperPool(
        days=offer - sold,
        by_village=[alive[i] for i in group_indices(v[alive], n_villages)],
        coop_days=np.zeros(n_h),
        offered=offered,
        sold=np.bincount(v, weights=sold, minlength=n_villages),
    )
    return pool, sold


def day_offers_reference(
    pop: Population, a: Assumptions, farm_days: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The days each living household offers (:func:`offered_days`) and its residents of
    working age (:func:`local_demand`), with NumPy: the reference the compiled
    :func:`landsim.farming_kernels.day_offers` (which :func:`open_market` runs) must equal."""
    offer, _ = offered_days(pop, a, farm_days)
    offer = np.where(pop.hh_alive, offer, 0.0)
    res = pop.residents() & (pop.m_age >= WORK_AGE[0]) & (pop.m_age <= WORK_AGE[1])
    return offer, np.bincount(pop.m_hh[res], minlength=pop.n_households)


def hire_villagers(
    pool: HelperPool,
    ledger: Ledger,
    payer: int,
    village: int,
    days: float,
    wage: float,
    kind: str,
    members: np.ndarray | None = None,
) -> float:
    """Hire villagers of ``village`` for ``days`` of work at ``wage`` (yuan/day), paid by account
    ``payer`` as flows of ``kind``, in proportion to the days each household still offers; what
    the village cannot supply is hired from outside. Returns wages paid to villagers (yuan).

    ``members`` (a co-op's member households): they are hired first, and their days are work
    that comes with membership, not sales on the village's open market, so they do not count in
    the share of offered days sold from which villagers learn their chance of selling a day
    (:func:`learn_job_chance`); days hired from other villagers do."""
    paid = 0.0
    if members is not None and members.size:
        got = _hire_from(pool, members, days)
        days -= float(got.sum())
        paid += _pay(pool, ledger, payer, members, got, wage, kind)
    hh = pool.by_village[village]
    if members is not None and members.size:
        hh = hh[~np.isin(hh, members)]
    hired = _hire_from(pool, hh, days)
    pool.sold[village] += float(hired.sum())
    paid += _pay(pool, ledger, payer, hh, hired, wage, kind)
    ledger.post(payer, ledger.accounts.outside, kind, max(0.0, days - hired.sum()) * wage)
    return paid


def _hire_from(pool: HelperPool, hh: np.ndarray, days: float) -> np.ndarray:
    """Days hired from households ``hh`` (at most ``days`` in all), pro rata to the days each
    still offers; taken out of the pool."""
    avail = pool.days[hh]
    total = float(avail.sum())
    hired = avail * (min(1.0, days / total) if total > 0 else 0.0)
    pool.days[hh] -= hired
    return hired


def _pay(
    pool: HelperPool,
    ledger: Ledger,
    payer: int,
    hh: np.ndarray,
    hired: np.ndarray,
    wage: float,
    kind: str,
) -> float:
    """Post the wages of days ``hired`` from households ``hh``; co-op days are remembered as the
    labour stake of a second rebate."""
    if kind == "coop_wage":
        pool.coop_days[hh] += hired
    return ledger.post(payer, hh, kind, hired * wage)


def learn_job_chance(job_chance: np.ndarray, pool: HelperPool, weight: float) -> None:
    """Each village's expected chance of selling an offered day moves ``weight`` of the way to
    this season's share sold (villages where nobody offered a day keep theirs)."""
    seen = pool.offered > 0
    got = pool.sold[seen] / pool.offered[seen]
    job_chance[seen] += weight * (np.clip(got, 0.0, 1.0) - job_chance[seen])
