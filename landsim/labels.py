"""What each outcome column means to a reader: a title, a unit and the range it can take.

One table, :data:`OUTCOMES`, used by every figure (``compare``, ``analyze``), by the tables the
commands print and by the app's charts. :func:`label` never fails: a column the table does not
know (a new metric, ``OUTCOME:mean`` aggregates of a sweep) gets a title made from its name and
no bounds, so adding a metric to :data:`landsim.metrics.METRICS` never breaks a figure.

The range (``bounds``) is what intervals are truncated to: a share cannot leave [0, 1] and a
count or an amount of money that cannot be negative cannot go below 0, however few replicates
there are.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["Label", "OUTCOMES", "FACTORS", "label", "factor_label", "SHARE", "NONNEGATIVE"]

#: the range of a share (0 = none, 1 = all)
SHARE = (0.0, 1.0)
#: the range of counts and amounts that cannot be negative
NONNEGATIVE = (0.0, math.inf)
#: no bounds (incomes and profits can be negative)
REAL = (-math.inf, math.inf)


@dataclass(frozen=True)
class Label:
    """How an outcome is shown.

    Attributes:
        title: a short title in plain words ("Abandoned land").
        unit: the unit as printed after the title ("% of plots", "yuan/household/yr"); shares
            are stored as fractions and shown in percent.
        bounds: the smallest and largest value the outcome can take.
    """

    title: str
    unit: str
    bounds: tuple[float, float] = REAL

    @property
    def is_share(self) -> bool:
        """True for shares (stored as 0-1, shown in percent)."""
        return self.bounds == SHARE

    @property
    def scale(self) -> float:
        """Factor from stored value to displayed value (100 for shares)."""
        return 100.0 if self.is_share else 1.0

    @property
    def text(self) -> str:
        """``Title (unit)``, as a figure panel's title."""
        return f"{self.title} ({self.unit})" if self.unit else self.title


def _share(title: str, of: str) -> Label:
    return Label(title, f"% of {of}", SHARE)


#: every known outcome column, in the order of ``metrics.METRICS``, plus columns announced
#: for the reworked model (transfer and rent by terrain, collective land and income)
OUTCOMES: dict[str, Label] = {
    "abandonment_rate": _share("Abandoned land", "plots"),
    "abandonment_rate_hilly": _share("Abandoned hilly land", "hilly plots"),
    "abandonment_rate_flat": _share("Abandoned flat land", "flat plots"),
    "transfer_rate": _share("Contracted land transferred", "contracted plots"),
    "transfer_rate_hilly": _share("Hilly land transferred", "contracted hilly plots"),
    "transfer_rate_flat": _share("Flat land transferred", "contracted flat plots"),
    "transfer_to_households_share": _share("Transfers going to households", "transferred plots"),
    "rent_free_share": _share("Household leases that are rent-free", "household leases"),
    "coop_land_share": _share("Land operated by cooperatives", "plots"),
    "custody_land_share": _share("Land in custodial farming", "plots"),
    "collective_land_share": _share("Land held by the village collective", "plots"),
    "coop_member_share": _share("Households in a cooperative", "households"),
    "participation_rate": _share("Households taking part in a cooperative", "households"),
    "engagement_rate": _share("Members who take part", "members"),
    "trust_mean": Label("Trust in the cooperative", "0 = none, 1 = full", SHARE),
    "household_income_mean": Label("Household income", "yuan/household/yr"),
    "household_income_65plus": Label("Income, household head 65+", "yuan/household/yr"),
    "income_gini": Label("Income inequality (Gini)", "0 = equal, 1 = one has all", SHARE),
    "collective_income_mean": Label("Village collective income", "yuan/village/yr"),
    "collective_income_per_mu": Label("Village collective income per mu", "yuan/mu/yr"),
    "coop_profit": Label("Cooperative profit", "yuan/yr"),
    "coop_leakage": Label("Money leaked from cooperatives", "yuan/yr", NONNEGATIVE),
    "coop_reserve": Label("Cooperative reserve funds", "yuan", NONNEGATIVE),
    "coops_active": Label("Active cooperatives", "count", NONNEGATIVE),
    "coops_empty_shell": Label("Empty-shell cooperatives", "count", NONNEGATIVE),
    "subsidy_dependence": Label("Subsidy dependence", "subsidy / revenue", NONNEGATIVE),
    "mean_patch_size": Label("Size of farmed patches", "plots per patch", NONNEGATIVE),
    "output_value": Label("Farm output", "yuan/yr", NONNEGATIVE),
    "households_alive": Label("Households", "count", NONNEGATIVE),
    "mean_head_age": Label("Age of household heads", "years", NONNEGATIVE),
    "lease_rent_mean": Label("Rent of new paid household leases", "yuan/mu/yr", NONNEGATIVE),
    "lease_rent_flat": Label("Rent of new paid leases, flat land", "yuan/mu/yr", NONNEGATIVE),
    "lease_rent_hilly": Label("Rent of new paid leases, hilly land", "yuan/mu/yr", NONNEGATIVE),
    "firm_capacity": Label("Service firm capacity", "mu", NONNEGATIVE),
    "founding_strength_gap": Label(
        "Co-ops founded: stronger minus weaker branches", "share of villages", (-1.0, 1.0)
    ),
}

#: plain names of sweep factors (``section.key``); others are made from the key
FACTORS: dict[str, str] = {
    "levers.benefit_rule": "Benefit-sharing rule",
    "levers.guaranteed_rent": "Guaranteed rent (yuan/mu/yr)",
    "levers.fixed_rent": "Fixed rent (yuan/mu/yr)",
    "levers.member_share": "Members' share of profit",
    "levers.subsidy_per_mu": "Subsidy (yuan/mu/yr)",
    "levers.subsidy_years": "Subsidy duration (years)",
    "levers.audit_rate": "Yearly chance a coop is audited",
    "levers.management_standard": "Management standard (0-1)",
    "levers.custody_price": "Custody price (yuan/mu/yr)",
    "levers.coop_founding": "Where cooperatives are founded",
    "assumptions.migration_rate": "Out-migration rate (1/yr)",
    "assumptions.aging_speed": "Aging speed (x)",
}

_STATS = {"mean": "mean over the years", "min": "lowest year", "max": "highest year"}


def _from_name(name: str) -> str:
    text = name.rsplit(".", 1)[-1].replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def label(column: str) -> Label:
    """The label of an outcome column; a made-up title and no bounds for unknown columns.

    ``OUTCOME:STAT`` (a sweep's aggregate over the years) keeps the outcome's unit and bounds.
    """
    if column in OUTCOMES:
        return OUTCOMES[column]
    base, _, stat = column.partition(":")
    if stat and base in OUTCOMES:
        known = OUTCOMES[base]
        return Label(f"{known.title}, {_STATS.get(stat, stat)}", known.unit, known.bounds)
    return Label(_from_name(column), "")


def factor_label(key: str) -> str:
    """A sweep factor's plain name: from :data:`FACTORS`, else the parameter's description."""
    if key in FACTORS:
        return FACTORS[key]
    from landsim.params import Params

    section, _, name = key.partition(".")
    model = getattr(Params.model_fields.get(section), "annotation", None)
    field = getattr(model, "model_fields", {}).get(name)
    if field is not None and field.description:
        return _from_name(field.description)
    return _from_name(key)
