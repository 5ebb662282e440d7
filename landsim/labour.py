"""Farm labour: how much work a member can do, what a farm day is worth, and hiring villagers.

Functions of arrays and parameters (no Mesa): :func:`labour_capacity` (share of a full worker by
age), :func:`shadow_wage` (value of a farm day by age), :func:`household_labour` (days and mean
shadow wage per household), :func:`helper_days` (days older villagers can work for a coop or the
firm), :func:`spread_hiring` (who gets a hiring's days), and the season's pool of older
villagers for hire (:class:`HelperPool`, :func:`helper_pool`) with the rule that hires them
(:func:`hire_villagers`).

Summary of rule (hiring villagers): a co-op or the firm that needs ``days`` of field work in a
village hires that village's older residents (55-75) in proportion to the days each household
has left this season, at the wage it offers; what the village cannot supply it hires from
outside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landsim.grouping import group_indices
from landsim.ledger import Ledger
from landsim.params import Assumptions
from landsim.population import Population

__all__ = [
    "labour_capacity",
    "shadow_wage",
    "household_labour",
    "helper_days",
    "spread_hiring",
    "HelperPool",
    "helper_pool",
    "hire_villagers",
]


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


def household_labour(
    m_hh: np.ndarray, m_age: np.ndarray, resident: np.ndarray, n_households: int, a: Assumptions
) -> tuple[np.ndarray, np.ndarray]:
    """Field days each household's residents can give a year, and their mean shadow wage.

    ``days = farm_days_per_worker x sum(labour_capacity of residents)``; the wage is the
    capacity-weighted mean of :func:`shadow_wage` (the local day wage where nobody can work).

    Returns:
        ``(days, wage)``, one entry per household.
    """
    cap = labour_capacity(m_age, a) * resident
    cap_sum = np.bincount(m_hh, weights=cap, minlength=n_households)
    wage_sum = np.bincount(m_hh, weights=cap * shadow_wage(m_age, a), minlength=n_households)
    wage = np.where(cap_sum > 0, wage_sum / np.maximum(cap_sum, 1e-12), a.day_wage)
    return cap_sum * a.farm_days_per_worker, wage


def helper_days(
    m_hh: np.ndarray, m_age: np.ndarray, resident: np.ndarray, n_households: int, a: Assumptions
) -> np.ndarray:
    """Days each household's residents aged 55-75 can work for a coop or the firm (days/yr)."""
    sel = resident & (m_age >= 55) & (m_age <= 75)
    w = np.where(sel, labour_capacity(m_age, a) * a.helper_days, 0.0)
    return np.bincount(m_hh, weights=w, minlength=n_households)


def spread_hiring(available: np.ndarray, days: float) -> np.ndarray:
    """Days hired from each household, in proportion to the days it has (what the village
    cannot supply is left to be hired from outside)."""
    total = float(available.sum())
    share = min(1.0, days / total) if total > 0 else 0.0
    return available * share


@dataclass
class HelperPool:
    """Older villagers available for hire this season (built after the harvest's own work).

    Attributes:
        days: days each household's residents aged 55-75 can still work this season.
        by_village: the living households of each village.
        coop_days: days each household has worked for a co-op this season (the labour stake
            of a second rebate by labour).
    """

    days: np.ndarray
    by_village: list[np.ndarray]
    coop_days: np.ndarray


def helper_pool(pop: Population, n_villages: int, a: Assumptions) -> HelperPool:
    """This season's pool of older villagers for hire (nobody hired yet)."""
    n_h = pop.n_households
    days = helper_days(pop.m_hh, pop.m_age, pop.residents(), n_h, a)
    alive = np.flatnonzero(pop.hh_alive)
    by_village = [alive[i] for i in group_indices(pop.hh_village[alive], n_villages)]
    return HelperPool(days=days, by_village=by_village, coop_days=np.zeros(n_h))


def hire_villagers(
    pool: HelperPool,
    ledger: Ledger,
    payer: int,
    village: int,
    days: float,
    wage: float,
    kind: str,
) -> float:
    """Hire older villagers of ``village`` for ``days`` of work at ``wage`` (yuan/day), paid by
    account ``payer`` as flows of ``kind``; what the village cannot supply is hired from
    outside. Returns wages paid to villagers (yuan)."""
    hh = pool.by_village[village]
    hired = spread_hiring(pool.days[hh], days)
    pool.days[hh] -= hired
    if kind == "coop_wage":
        pool.coop_days[hh] += hired
    paid = ledger.post(payer, hh, kind, hired * wage)
    ledger.post(payer, ledger.accounts.outside, kind, max(0.0, days - hired.sum()) * wage)
    return paid
