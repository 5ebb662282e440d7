"""The third-party governance body: independent accounts, audits and supervision of the
co-ops, distinct from the service firm (which sells farming and management services).

Summary of rules (lever ``third_party_governance``; docs/ODD.md 7.13):

* **Accounts** (:func:`books_fee`, :func:`raise_standards`): the body keeps every co-op's books
  for ``governance_fee`` a year instead of the co-op's own bookkeeping (a rural accounting
  agency, 代理记账), and moves its standardization and openness ``governance_speed`` of the
  way to 1 each year.
* **Audit** (:func:`audit`): it audits every co-op every year after its leakage is booked,
  recovers ``audit_recovery`` of the leaked money and publishes the leak rate it found.
* **Supervision** (:func:`supervises`): payouts follow the co-op's benefit-sharing rule, so
  a board cannot keep members' dividends even in a year without a members' meeting.

Each function takes the arrays and parameters it needs; the co-ops' books call them
(:mod:`landsim.cooperatives`).
"""

from __future__ import annotations

from landsim.ledger import Ledger
from landsim.params import Assumptions, Levers
from landsim.villages import Villages

__all__ = ["books_fee", "audit", "inspect", "supervises", "raise_standards"]


def books_fee(lv: Levers) -> float:
    """The body's yearly fee per co-op (yuan; 0 when there is no body)."""
    return float(lv.governance_fee) if lv.third_party_governance else 0.0


def audit(ledger: Ledger, lv: Levers, a: Assumptions, villages: Villages, v: int) -> float:
    """The body's yearly audit of the co-op of village ``v`` (its fee pays for it): recover
    ``audit_recovery`` of the leaked money and teach better books. Returns the leak rate it
    publishes (0 when there is no body)."""
    if not lv.third_party_governance:
        return 0.0
    return inspect(ledger, a, villages, v, disclose=True)


def inspect(ledger: Ledger, a: Assumptions, villages: Villages, v: int, disclose: bool) -> float:
    """What an audit of the co-op of village ``v`` does, whoever pays for it (the body or the
    town): recover ``audit_recovery`` of this year's leakage and raise transparency
    ``audit_learning`` of the gap to 1. Returns the leak rate disclosed to villagers (0 if not
    disclosed)."""
    acc = ledger.accounts
    recovered = a.audit_recovery * villages.leakage[v]
    ledger.post(acc.outside, acc.coop0 + v, "audit_recovery", recovered)
    villages.transparency[v] += a.audit_learning * (1.0 - villages.transparency[v])
    return float(villages.leak_rate[v]) if disclose else 0.0


def supervises(lv: Levers) -> bool:
    """Whether payouts are held to the co-op's rule by an independent supervisor."""
    return bool(lv.third_party_governance)


def raise_standards(villages: Villages, v: int, lv: Levers, a: Assumptions) -> None:
    """Independent accounts move the co-op's standardization and transparency
    ``governance_speed`` of the way to 1."""
    if not lv.third_party_governance:
        return
    step = a.governance_speed
    villages.standardization[v] += step * (1.0 - villages.standardization[v])
    villages.transparency[v] += step * (1.0 - villages.transparency[v])
