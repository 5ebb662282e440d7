"""Village Party branches whose strength changes: endogenous power (docs/ODD.md 7.14).

Summary of rules, once a year after the season, in every village while co-ops are possible
(``coop_founding`` not ``"none"``, or a co-op exists):

* **Results**: a branch whose co-op operated this year gains strength with the co-op's profit
  per mu and loses it with its losses: ``strength_result_weight x tanh(profit per mu /
  strength_result_scale)`` of the gap to 1 (a gain) or to 0 (a loss).
* **Training**: the town's cadre training moves strength towards 1
  (:func:`landsim.government.train_cadres`).
* **New secretaries**: with chance ``cadre_turnover_rate`` a year a branch gets a new
  secretary, whose strength is drawn as at the start (``branch_strength_mean``,
  ``branch_strength_sd``). With ``cadre_appraisal`` the town replaces the secretaries whose
  co-ops lost money instead (:func:`landsim.government.appraise_cadres`) and keeps the others.
* **Management follows the branch**: an operating co-op's transparency and standardization
  move ``management_pull`` of the way towards what its branch brings
  (:func:`landsim.cooperatives.initial_management`), so a stronger branch lifts its co-op's
  books and a weaker one lets them slide back between audits and standards.

Parts: :func:`result_change`, :func:`update_branches`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from landsim import government
from landsim.cooperatives import initial_management
from landsim.params import Assumptions, Params
from landsim.villages import ACTIVE, NONE

if TYPE_CHECKING:
    from landsim.town import Town

__all__ = ["result_change", "update_branches"]


def result_change(strength: np.ndarray, profit_per_mu: np.ndarray, a: Assumptions) -> np.ndarray:
    """Change of strength from a co-op's profit per mu (yuan/mu): a share ``strength_result_
    weight x tanh(profit / strength_result_scale)`` of the gap to 1 after a profit, to 0 after
    a loss."""
    x = a.strength_result_weight * np.tanh(profit_per_mu / a.strength_result_scale)
    return np.where(x >= 0, x * (1.0 - strength), x * strength)


def update_branches(town: Town, params: Params, rng: np.random.Generator) -> None:
    """Results, training and new secretaries move every branch's strength; co-ops'
    management follows (module docstring). Draws nothing in a town without co-ops."""
    vil, a, lv, w = town.villages, params.assumptions, params.levers, params.world
    if lv.coop_founding == "none" and not np.any(vil.status != NONE):
        return
    active = vil.status == ACTIVE
    per_mu = np.where(active, vil.profit / np.maximum(vil.area, 1.0), 0.0)
    vil.strength += np.where(active & (vil.area > 0), result_change(vil.strength, per_mu, a), 0.0)
    government.train_cadres(vil.strength, lv, a)
    turnover = rng.random(vil.n) < a.cadre_turnover_rate
    fresh = np.clip(rng.normal(w.branch_strength_mean, w.branch_strength_sd, vil.n), 0.0, 1.0)
    if lv.cadre_appraisal:
        turnover = government.appraise_cadres(vil.profit, active, lv)
    vil.strength[:] = np.clip(np.where(turnover, fresh, vil.strength), 0.0, 1.0)
    for v in np.flatnonzero(active):
        brings = initial_management(float(vil.strength[v]), a)
        vil.transparency[v] += a.management_pull * (brings - vil.transparency[v])
        vil.standardization[v] += a.management_pull * (brings - vil.standardization[v])
