"""The town government: grants, subsidies, audits and management standards, within a budget.

Summary of rule: each year receive ``government_budget`` (what is left of last year's returns
to higher levels); pay a start-up grant to each new co-op and ``subsidy_per_mu`` to each co-op
in its first ``subsidy_years`` years, as far as the budget goes; audit each co-op with
probability ``audit_rate`` after its leakage is booked (an audit recovers ``audit_recovery`` of
the leaked money, teaches the co-op better book-keeping and, when disclosed, tells villagers
what it found); push co-ops' management towards the standard at ``management_standard``.

The government's numbers are a :class:`~landsim.town.GovernmentState`; its money is its ledger
account. Mesa users see it as :class:`landsim.views.TownGovernment`.

It also trains branch cadres (``cadre_training`` moves branch strength towards 1) and, with
``cadre_appraisal``, appraises branch secretaries on their co-op's results and replaces those
whose co-ops lose money (:mod:`landsim.branches` applies both).

Parts: :func:`left`, :func:`start_year`, :func:`grant`, :func:`pay_subsidy`, :func:`audit`,
:func:`raise_standards`, :func:`train_cadres`, :func:`appraise_cadres`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from landsim import governance
from landsim.ledger import Ledger
from landsim.params import Assumptions, Levers
from landsim.town import GovernmentState
from landsim.villages import Villages

if TYPE_CHECKING:
    from landsim.params import Params
    from landsim.town import Town

__all__ = [
    "left",
    "start_year",
    "grant",
    "pay_subsidy",
    "audit",
    "raise_standards",
    "train_cadres",
    "appraise_cadres",
]


def left(ledger: Ledger) -> float:
    """Budget left this year (yuan)."""
    return max(0.0, float(ledger.balance_yuan(ledger.accounts.government)))


def start_year(gov: GovernmentState, ledger: Ledger, lv: Levers) -> None:
    """Receive this year's budget (unspent money does not carry over: it is returned)."""
    acc = ledger.accounts
    ledger.post(acc.government, acc.outside, "budget", left(ledger))
    ledger.post(acc.outside, acc.government, "budget", lv.government_budget)
    gov.spent = 0.0
    gov.subsidies = 0.0


def _pay(gov: GovernmentState, ledger: Ledger, payee: int, kind: str, amount: float) -> float:
    paid = ledger.post(ledger.accounts.government, payee, kind, min(amount, left(ledger)))
    gov.spent += paid
    gov.subsidies += paid
    return paid


def grant(gov: GovernmentState, ledger: Ledger, lv: Levers, village: int) -> float:
    """Pay the new co-op of ``village`` its start-up grant (yuan actually paid) into its reserve
    fund: it is working capital, not profit to distribute."""
    payee = ledger.accounts.reserve0 + village
    return _pay(gov, ledger, payee, "startup_grant", lv.startup_grant)


def pay_subsidy(
    gov: GovernmentState, ledger: Ledger, lv: Levers, villages: Villages, v: int, year: int
) -> float:
    """Pay the per-mu subsidy to the co-op of village ``v`` within its subsidy years (yuan
    actually paid)."""
    if lv.subsidy_per_mu <= 0 or year - villages.founded[v] >= lv.subsidy_years:
        return 0.0
    payee = ledger.accounts.coop0 + v
    return _pay(gov, ledger, payee, "subsidy", lv.subsidy_per_mu * villages.area[v])


def audit(
    gov: GovernmentState,
    ledger: Ledger,
    lv: Levers,
    a: Assumptions,
    villages: Villages,
    v: int,
    rng: np.random.Generator,
) -> tuple[bool, float]:
    """Maybe audit the co-op of village ``v`` after its leakage is booked.

    Returns:
        Whether it was audited and the leak rate disclosed to villagers (0 if undisclosed).
    """
    if lv.audit_rate <= 0 or rng.random() >= lv.audit_rate or left(ledger) < lv.audit_cost:
        return False, 0.0
    acc = ledger.accounts
    gov.spent += ledger.post(acc.government, acc.outside, "audit_cost", lv.audit_cost)
    return True, governance.inspect(ledger, a, villages, v, bool(lv.audit_disclosure))


def train_cadres(strength: np.ndarray, lv: Levers, a: Assumptions) -> None:
    """Cadre training moves every branch's strength ``training_speed x cadre_training`` of the
    way to 1 (in place)."""
    strength += a.training_speed * lv.cadre_training * (1.0 - strength)


def appraise_cadres(profit: np.ndarray, active: np.ndarray, lv: Levers) -> np.ndarray:
    """The town's appraisal of branch secretaries on their co-op's results: with
    ``cadre_appraisal`` on, a secretary whose operating co-op lost money this year is replaced
    (mask over villages); without it, nobody is replaced for results."""
    if not lv.cadre_appraisal:
        return np.zeros(profit.size, dtype=bool)
    return active & (profit < 0)


def raise_standards(town: Town, params: Params) -> None:
    """After the season, every active co-op in village order: the management-standard policy
    moves its transparency and standardization ``standard_speed x management_standard`` of the
    way to 1; professional managers (when the firm operates and co-ops hire them, paid a fee
    per mu) move standardization ``pro_standard_speed`` and transparency
    ``pro_transparency_speed`` of the way; the governance body's accounts move both
    ``governance_speed`` of the way (:func:`landsim.governance.raise_standards`)."""
    villages, lv, a = town.villages, params.levers, params.assumptions
    professionals = lv.professional_management and lv.firm_enabled
    t, s = villages.transparency, villages.standardization
    step = a.standard_speed * lv.management_standard
    for v in villages.active():
        t[v] += step * (1.0 - t[v])
        s[v] += step * (1.0 - s[v])
        if professionals:
            s[v] += a.pro_standard_speed * (1.0 - s[v])
            t[v] += a.pro_transparency_speed * (1.0 - t[v])
        governance.raise_standards(villages, int(v), lv, a)
