"""The town government: grants, subsidies, audits and management standards, within a budget."""

from __future__ import annotations

from typing import TYPE_CHECKING

import mesa

from landsim.cooperative import Cooperative

if TYPE_CHECKING:
    from landsim.model import LandModel

__all__ = ["TownGovernment"]


class TownGovernment(mesa.Agent):
    """The town (镇) government.

    Summary of rule: each year receive ``government_budget``; pay a start-up grant to each new
    coop and ``subsidy_per_mu`` to each coop in its first ``subsidy_years`` years, as far as the
    budget goes; audit each coop with probability ``audit_rate`` (an audit recovers part of the
    leaked money, teaches the coop better book-keeping and, when disclosed, tells villagers
    what it found); push coops' management towards the standard at ``management_standard``.
    """

    def __init__(self, model: LandModel) -> None:
        """Create the government with an empty purse (the budget arrives each year)."""
        super().__init__(model)
        self.spent = 0.0  # yuan this year
        self.subsidies = 0.0  # yuan paid to coops this year (subsidies + grants)

    @property
    def account(self) -> int:
        """Ledger account of the government."""
        return self.model.accounts.government

    @property
    def left(self) -> float:
        """Budget left this year (yuan)."""
        return max(0.0, float(self.model.ledger.balance_yuan(self.account)))

    def start_year(self) -> None:
        """Receive this year's budget (unspent money does not carry over: it is returned)."""
        m = self.model
        led = m.ledger
        led.post(self.account, m.accounts.outside, "budget", self.left)
        led.post(m.accounts.outside, self.account, "budget", m.params.levers.government_budget)
        self.spent = 0.0
        self.subsidies = 0.0

    def _pay(self, coop: Cooperative, kind: str, amount: float, to: int | None = None) -> float:
        payee = coop.account if to is None else to
        paid = self.model.ledger.post(self.account, payee, kind, min(amount, self.left))
        self.spent += paid
        self.subsidies += paid
        return paid

    def grant(self, coop: Cooperative) -> float:
        """Pay a new coop its start-up grant (yuan actually paid) into its reserve fund: it is
        working capital, not profit to distribute."""
        lv = self.model.params.levers
        return self._pay(coop, "startup_grant", lv.startup_grant, to=coop.reserve_account)

    def pay_subsidy(self, coop: Cooperative) -> float:
        """Pay the per-mu subsidy to a coop within its subsidy years (yuan actually paid)."""
        lv = self.model.params.levers
        if lv.subsidy_per_mu <= 0 or self.model.year - coop.founded >= lv.subsidy_years:
            return 0.0
        return self._pay(coop, "subsidy", lv.subsidy_per_mu * coop.area)

    def audit(self, coop: Cooperative) -> tuple[bool, float]:
        """Maybe audit a coop after its leakage is booked.

        Returns:
            Whether it was audited and the leak rate disclosed to villagers (0 if undisclosed).
        """
        m = self.model
        lv = m.params.levers
        if lv.audit_rate <= 0 or m.rng.random() >= lv.audit_rate or self.left < lv.audit_cost:
            return False, 0.0
        self.spent += m.ledger.post(self.account, m.accounts.outside, "audit_cost", lv.audit_cost)
        m.ledger.post(
            m.accounts.outside,
            coop.account,
            "audit_recovery",
            m.params.assumptions.audit_recovery * coop.leakage,
        )
        coop.transparency += m.params.assumptions.audit_learning * (1.0 - coop.transparency)
        return True, (coop.leak_rate if lv.audit_disclosure else 0.0)

    def raise_standards(self, coop: Cooperative) -> None:
        """The management-standard policy moves a coop's transparency and standardization
        ``standard_speed x management_standard`` of the way to 1; professional managers, who
        are paid a fee per mu, move standardization ``pro_standard_speed`` and transparency
        ``pro_transparency_speed`` of the way."""
        lv, a = self.model.params.levers, self.model.params.assumptions
        step = a.standard_speed * lv.management_standard
        coop.transparency += step * (1.0 - coop.transparency)
        coop.standardization += step * (1.0 - coop.standardization)
        if lv.professional_management and self.model.firm.open:
            coop.standardization += a.pro_standard_speed * (1.0 - coop.standardization)
            coop.transparency += a.pro_transparency_speed * (1.0 - coop.transparency)
