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
            are stored as fractions (0-1) in every table and drawn in percent in figures.
        bounds: the smallest and largest value the outcome can take.
        aggregate: how one number is made from many: a share of units, a mean or a sum over
            them, a count, or one value of the town ("share of plots", "sum over active
            co-ops"); the data dictionary's ``aggregate`` column.
    """

    title: str
    unit: str
    bounds: tuple[float, float] = REAL
    aggregate: str = ""

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
    return Label(title, f"% of {of}", SHARE, f"share of {of}")


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
    "trust_mean": Label(
        "Trust in the cooperative", "0 = none, 1 = full", SHARE, "mean over living households"
    ),
    "household_income_mean": Label(
        "Household income", "yuan/household/yr", REAL, "mean over living households"
    ),
    "household_income_65plus": Label(
        "Income, household head 65+",
        "yuan/household/yr",
        REAL,
        "mean over living households headed by someone 65 or older",
    ),
    "income_gini": Label(
        "Income inequality (Gini)",
        "0 = equal, 1 = one has all",
        SHARE,
        "over living households",
    ),
    "collective_income_mean": Label(
        "Village collective income", "yuan/village/yr", REAL, "mean over villages"
    ),
    "collective_income_per_mu": Label(
        "Village collective income per mu",
        "yuan/mu/yr",
        REAL,
        "sum over villages / their land",
    ),
    "coop_profit": Label(
        "Cooperative profit, all co-ops", "yuan/yr", REAL, "sum over active co-ops"
    ),
    "coop_profit_per_mu": Label(
        "Cooperative profit per mu of co-op land",
        "yuan/mu/yr",
        REAL,
        "all co-ops' profit / their land",
    ),
    "coop_leakage": Label(
        "Money leaked from cooperatives", "yuan/yr", NONNEGATIVE, "sum over active co-ops"
    ),
    "coop_reserve": Label(
        "Cooperative reserve funds", "yuan", NONNEGATIVE, "sum over all co-ops (year end)"
    ),
    "coops_active": Label("Active cooperatives", "count", NONNEGATIVE, "count"),
    "coops_empty_shell": Label("Empty-shell cooperatives", "count", NONNEGATIVE, "count"),
    "subsidy_dependence": Label(
        "Subsidy dependence",
        "subsidy / revenue",
        NONNEGATIVE,
        "sum of subsidies / sum of revenue, active co-ops",
    ),
    "mean_patch_size": Label(
        "Size of farmed patches", "plots per patch", NONNEGATIVE, "mean over patches"
    ),
    "output_value": Label("Farm output", "yuan/yr", NONNEGATIVE, "sum over all farms (town total)"),
    "households_alive": Label("Households", "count", NONNEGATIVE, "count"),
    "mean_head_age": Label(
        "Age of household heads", "years", NONNEGATIVE, "mean over living households"
    ),
    "lease_rent_mean": Label(
        "Rent of paid household leases",
        "yuan/mu/yr",
        NONNEGATIVE,
        "mean over paid household leases in force this year",
    ),
    "lease_rent_flat": Label(
        "Rent of paid leases, flat land",
        "yuan/mu/yr",
        NONNEGATIVE,
        "mean over paid household leases of flat land in force this year",
    ),
    "lease_rent_hilly": Label(
        "Rent of paid leases, hilly land",
        "yuan/mu/yr",
        NONNEGATIVE,
        "mean over paid household leases of hilly land in force this year",
    ),
    "migrant_share": _share("Working-age members working away", "members aged 18-64"),
    "firm_capacity": Label("Service firm capacity", "mu", NONNEGATIVE, "the firm (one value)"),
    "founding_strength_gap": Label(
        "Co-ops founded: stronger minus weaker branches",
        "share of villages",
        (-1.0, 1.0),
        "difference of two shares of villages",
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
    "assumptions.migration_rate": "Out-migration rate at the reference gap (1/yr)",
    "assumptions.offfarm_wage_month": "Migrant wage (yuan/month)",
    "assumptions.price_index": "Grain price (x base)",
    "assumptions.day_wage": "Local day wage (yuan/day)",
    "levers.farmland_subsidy_per_mu": "Farmland subsidy (yuan/mu/yr)",
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
        title = f"{known.title}, {_STATS.get(stat, stat)}"
        return Label(title, known.unit, known.bounds, f"{known.aggregate}; {stat} over years 1-T")
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
