"""Benefit-sharing rules: how a cooperative pays the households whose land it pools.

Every rule answers the same two questions with one call signature:

* ``base(stakes)`` — what each member is owed whatever the harvest (a cost of the coop:
  fixed rent or a guaranteed minimum per mu; nothing under pure shareholding);
* ``bonus(pool, stakes)`` — how the members' share of the year's profit (``pool`` yuan, never
  negative) is divided: by land shares, by labour or sales (a "second rebate"), or not at all.

A registry (:data:`RULES`) maps the name used in scenario files to the rule. Rules are pure:
they take arrays and return arrays, so they are tested on small hand-built cases.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

__all__ = [
    "Stakes",
    "SharingRule",
    "FixedRent",
    "GuaranteedDividend",
    "Shareholding",
    "GuaranteedRebate",
    "RULES",
    "make_rule",
]


@dataclass(frozen=True)
class Stakes:
    """What each member household put into the cooperative this year (arrays, one per member).

    Attributes:
        mu: land contributed (mu).
        labour_days: days worked for the cooperative.
        sales: value of produce attributed to the member's land (yuan), the basis of a
            sales-linked rebate.
    """

    mu: np.ndarray
    labour_days: np.ndarray
    sales: np.ndarray


def _pro_rata(pool: float, weights: np.ndarray) -> np.ndarray:
    total = float(weights.sum())
    if pool <= 0 or total <= 0:
        return np.zeros_like(weights, dtype=np.float64)
    return pool * weights / total


class SharingRule(Protocol):
    """A benefit-sharing rule (see module docstring)."""

    name: str
    #: True when members' pay rises with the coop's profit (gives them a stake)
    performance_linked: bool

    def base(self, stakes: Stakes) -> np.ndarray:
        """Payment owed to each member regardless of profit (yuan)."""

    def bonus(self, pool: float, stakes: Stakes) -> np.ndarray:
        """Division of the members' profit pool (yuan, >= 0) among members (yuan)."""


@dataclass(frozen=True)
class FixedRent:
    """Fixed rent per mu; members get no share of profit (it stays in the coop's reserve)."""

    rent: float
    name: str = "fixed_rent"
    performance_linked: bool = False

    def base(self, stakes: Stakes) -> np.ndarray:
        """Rent times land."""
        return self.rent * stakes.mu

    def bonus(self, pool: float, stakes: Stakes) -> np.ndarray:
        """Nothing: fixed-rent members do not share profit."""
        return np.zeros_like(stakes.mu, dtype=np.float64)


@dataclass(frozen=True)
class GuaranteedDividend:
    """Guaranteed minimum per mu, plus the profit pool divided by land shares."""

    guaranteed: float
    name: str = "guaranteed_dividend"
    performance_linked: bool = True

    def base(self, stakes: Stakes) -> np.ndarray:
        """Guaranteed minimum times land."""
        return self.guaranteed * stakes.mu

    def bonus(self, pool: float, stakes: Stakes) -> np.ndarray:
        """Dividend in proportion to land shares."""
        return _pro_rata(pool, stakes.mu)


@dataclass(frozen=True)
class Shareholding:
    """Pure shareholding (土地入股): no guarantee; the profit pool divided by land shares."""

    name: str = "shareholding"
    performance_linked: bool = True

    def base(self, stakes: Stakes) -> np.ndarray:
        """Nothing is guaranteed."""
        return np.zeros_like(stakes.mu, dtype=np.float64)

    def bonus(self, pool: float, stakes: Stakes) -> np.ndarray:
        """Dividend in proportion to land shares."""
        return _pro_rata(pool, stakes.mu)


@dataclass(frozen=True)
class GuaranteedRebate:
    """Guaranteed minimum per mu, plus a second rebate by labour days or by sales."""

    guaranteed: float
    basis: str = "labour"
    name: str = "guaranteed_rebate"
    performance_linked: bool = True

    def base(self, stakes: Stakes) -> np.ndarray:
        """Guaranteed minimum times land."""
        return self.guaranteed * stakes.mu

    def bonus(self, pool: float, stakes: Stakes) -> np.ndarray:
        """Second rebate in proportion to labour days (or sales); by land if nobody qualifies."""
        weights = stakes.labour_days if self.basis == "labour" else stakes.sales
        if float(weights.sum()) <= 0:
            weights = stakes.mu
        return _pro_rata(pool, weights)


RULES = {
    "fixed_rent": lambda lv: FixedRent(rent=lv.fixed_rent),
    "guaranteed_dividend": lambda lv: GuaranteedDividend(guaranteed=lv.guaranteed_rent),
    "shareholding": lambda lv: Shareholding(),
    "guaranteed_rebate": lambda lv: GuaranteedRebate(
        guaranteed=lv.guaranteed_rent, basis=lv.rebate_basis
    ),
}


def make_rule(levers) -> SharingRule:
    """Build the rule named by ``levers.benefit_rule`` with the levers' numbers."""
    try:
        factory = RULES[levers.benefit_rule]
    except KeyError:
        raise ValueError(
            f"unknown benefit_rule {levers.benefit_rule!r}; known: {', '.join(RULES)}"
        ) from None
    return factory(levers)
