"""One declaration of every model parameter, typed and validated.

Parameters are grouped the way the scenario files group them (EMA Workbench vocabulary):

* ``world`` — size and layout of the town (constants of an experiment);
* ``assumptions`` — what we are *unsure of*: demography, migration, prices, yields, behaviour;
* ``levers`` — what a *policy maker chooses*: cooperatives, benefit sharing, subsidies, audits,
  management standards, the service firm;
* ``timeline`` — dated changes of levers or assumptions ("year 3: per-mu subsidy ends");
* ``run`` — horizon, replicates and root seed.

Every field name is unique across sections, so a model can also be built from flat keyword
arguments (``LandModel(rng=1, guaranteed_rent=600)``), which is how SolaraViz and Mesa's
``batch_run`` construct models. Units are in each field's description; sources live beside the
values in ``scenarios/baseline.toml`` and in ``docs/ODD.md``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "World",
    "Assumptions",
    "Levers",
    "Event",
    "RunSettings",
    "Params",
    "FLAT_KEYS",
    "SHARING_RULES",
    "params_from_flat",
    "apply_changes",
]

SHARING_RULES = ("fixed_rent", "guaranteed_dividend", "shareholding", "guaranteed_rebate")


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True, validate_default=True)


class World(_Section):
    """Size and layout of the town: a grid of plots split into villages."""

    width: int = Field(60, ge=2, le=4000, description="grid columns (plots)")
    height: int = Field(50, ge=2, le=4000, description="grid rows (plots)")
    villages_x: int = Field(3, ge=1, le=200, description="villages across the grid")
    villages_y: int = Field(2, ge=1, le=200, description="villages down the grid")
    households_per_village: int = Field(100, ge=1, le=100_000, description="households")
    plots_per_household: float = Field(
        5.0, gt=0, le=50, description="mean contract plots per household (plots)"
    )
    plot_size_mu: float = Field(1.0, gt=0, le=20, description="area of one plot (mu)")
    hilly_share: float = Field(
        0.3, ge=0, le=1, description="share of plots on hilly, hard-to-mechanize land"
    )
    terrain_smoothness: int = Field(
        3, ge=0, le=20, description="box-filter passes that make hills contiguous (passes)"
    )
    branch_strength_mean: float = Field(
        0.5, ge=0, le=1, description="mean strength of village Party branches (0-1)"
    )
    branch_strength_sd: float = Field(
        0.2, ge=0, le=1, description="spread of branch strength across villages (0-1)"
    )

    @property
    def n_villages(self) -> int:
        """Number of villages."""
        return self.villages_x * self.villages_y

    @property
    def n_plots(self) -> int:
        """Number of plots."""
        return self.width * self.height


class Assumptions(_Section):
    """Uncertain quantities: demography, migration, prices, yields and behaviour."""

    # demography
    head_age_mean: float = Field(56.0, ge=18, le=90, description="household head age (years)")
    head_age_sd: float = Field(11.0, ge=0, le=30, description="head age spread (years)")
    children_mean: float = Field(1.2, ge=0, le=6, description="adult/minor children per household")
    mortality_a: float = Field(2.35e-5, ge=0, le=0.01, description="Gompertz level (1/yr)")
    mortality_b: float = Field(0.1, ge=0, le=0.3, description="Gompertz slope (1/yr of age)")
    mortality_multiplier: float = Field(1.0, ge=0, le=5, description="scales death risk (x)")
    aging_speed: float = Field(
        1.0, ge=0.25, le=4, description="scales how fast labour declines with age (x)"
    )
    labour_decline_age: float = Field(60, ge=40, le=90, description="labour starts to fall (yr)")
    labour_zero_age: float = Field(82, ge=50, le=100, description="labour reaches zero (years)")
    farm_days_per_worker: float = Field(
        120, gt=0, le=365, description="farm days one full worker can give a year (days)"
    )
    migration_rate: float = Field(
        0.06, ge=0, le=1, description="yearly chance a resident aged 18-45 leaves (1/yr)"
    )
    return_rate: float = Field(
        0.1, ge=0, le=1, description="yearly chance a migrant aged 50+ comes home (1/yr)"
    )
    initial_migrant_share: float = Field(
        0.5, ge=0, le=1, description="share of members aged 18-45 already away at start"
    )
    remit_share: float = Field(0.25, ge=0, le=1, description="share of wage sent home")
    offfarm_wage_month: float = Field(4100, ge=0, description="migrant wage (yuan/month)")
    day_wage: float = Field(120, ge=0, description="local day wage (yuan/day)")
    pension_month: float = Field(123, ge=0, description="rural basic pension (yuan/month)")
    # farming
    gross_revenue_per_mu: float = Field(2300, ge=0, description="grain output value (yuan/mu)")
    cash_cost_per_mu: float = Field(1300, ge=0, description="inputs+machinery (yuan/mu)")
    labour_days_flat: float = Field(8, ge=0, description="own labour on flat land (days/mu)")
    labour_days_hilly: float = Field(14, ge=0, description="own labour on hills (days/mu)")
    hilly_yield_factor: float = Field(0.75, gt=0, le=1.5, description="hill yield (x flat)")
    hilly_cost_factor: float = Field(1.3, gt=0, le=3, description="hill cost (x flat)")
    yield_shock_sd: float = Field(0.08, ge=0, le=1, description="yearly yield shock (sd, x)")
    price_index: float = Field(1.0, gt=0, le=5, description="grain price relative to base (x)")
    # choices
    choice_temperature: float = Field(
        150, gt=0, description="logit temperature: utility scale of randomness (yuan/mu)"
    )
    offfarm_job_chance: float = Field(
        0.5, ge=0, le=1, description="chance a farm day could instead be sold as local day work"
    )
    shadow_wage_elderly: float = Field(
        30, ge=0, description="value of a farm day to a member 65+ (yuan/day)"
    )
    farming_attachment: float = Field(
        150, ge=0, description="non-money value of farming one's own land (yuan/mu)"
    )
    custody_hassle: float = Field(
        300, ge=0, description="risk and supervision cost of custody to a household (yuan/mu)"
    )
    coop_lockin_cost: float = Field(
        150, ge=0, description="loss of control from putting land in the coop (yuan/mu)"
    )
    neighbour_weight: float = Field(
        300, ge=0, description="pull of the village's coop share on the coop option (yuan/mu)"
    )
    trust_weight: float = Field(
        600, ge=0, description="value of full vs no trust in the coop option (yuan/mu)"
    )
    trust_initial: float = Field(0.5, ge=0, le=1, description="initial trust in coop (0-1)")
    trust_learning: float = Field(0.3, ge=0, le=1, description="trust update speed (1/yr)")
    # land market (AgriPoliS-style bids)
    bid_fraction: float = Field(
        0.8, ge=0, le=1, description="bid = fraction x marginal profit (share)"
    )
    distance_cost: float = Field(
        5, ge=0, description="bid reduction per plot of distance (yuan/mu)"
    )
    kin_rent_free_share: float = Field(
        0.4, ge=0, le=1, description="share of household leases that are rent-free to kin"
    )
    lease_years_min: int = Field(3, ge=1, le=30, description="shortest household lease (years)")
    lease_years_max: int = Field(8, ge=1, le=30, description="longest household lease (years)")
    bidder_max_head_age: float = Field(65, ge=30, le=100, description="oldest lessee head (years)")
    scale_labour_days: float = Field(
        4, ge=0, description="labour of a scale farmer on leased-in land (days/mu)"
    )
    local_work_days: float = Field(
        100, ge=0, description="days of local paid work a resident aged 18-64 can find (days/yr)"
    )
    helper_days: float = Field(
        100, ge=0, description="days a resident aged 55-75 can work for a coop or firm (days/yr)"
    )
    lease_rent_initial: float = Field(
        800, ge=0, description="household lease rent expected before any market (yuan/mu)"
    )
    scale_cost_cut: float = Field(
        0.15, ge=0, le=0.9, description="cost cut of scale farmers and coops at full scale"
    )
    # cooperative behaviour
    coop_scale_mu: float = Field(300, gt=0, description="area for full economies of scale (mu)")
    coop_price_premium: float = Field(
        0.1, ge=0, le=1, description="better price from collective marketing (share of value)"
    )
    coop_labour_days: float = Field(3, ge=0, description="mechanized labour (days/mu)")
    coop_overhead_per_mu: float = Field(
        120, ge=0, description="management cost at zero standardization (yuan/mu)"
    )
    leakage_max: float = Field(
        0.25, ge=0, le=1, description="share of revenue leaking at zero transparency"
    )
    oversight_effect: float = Field(
        0.6, ge=0, le=1, description="leakage cut when every member engages (share)"
    )
    engagement_base: float = Field(-2.0, description="engagement logit intercept")
    engagement_stake: float = Field(
        2.5, ge=0, description="engagement logit per 300 yuan/mu performance pay"
    )
    engagement_voice: float = Field(1.5, ge=0, description="engagement logit per unit voice")
    engagement_trust: float = Field(3.0, ge=0, description="engagement logit per unit trust")
    transparency_base: float = Field(
        0.2, ge=0, le=1, description="coop transparency/standardization with the weakest branch"
    )
    transparency_slope: float = Field(
        0.6, ge=0, le=1, description="extra transparency/standardization per unit branch strength"
    )
    founding_rate: float = Field(
        0.4, ge=0, le=1, description="yearly founding chance of a village with full strength"
    )

    @model_validator(mode="after")
    def _orders(self) -> Assumptions:
        if self.labour_zero_age <= self.labour_decline_age:
            raise ValueError(
                f"labour_zero_age ({self.labour_zero_age}) must be greater than "
                f"labour_decline_age ({self.labour_decline_age})"
            )
        if self.lease_years_max < self.lease_years_min:
            raise ValueError(
                f"lease_years_max ({self.lease_years_max}) must be at least "
                f"lease_years_min ({self.lease_years_min})"
            )
        return self


class Levers(_Section):
    """What a policy maker chooses."""

    coop_founding: Literal["none", "endogenous", "all"] = Field(
        "endogenous",
        description="none: no coops; endogenous: villages found them by branch strength; "
        "all: every village founds one in year 1",
    )
    founding_min_strength: float = Field(
        0.0, ge=0, le=1, description="only villages with branch strength at least this found"
    )
    benefit_rule: str = Field("guaranteed_dividend", description="benefit-sharing rule name")
    fixed_rent: float = Field(700, ge=0, description="fixed-rent rule payment (yuan/mu/yr)")
    guaranteed_rent: float = Field(600, ge=0, description="guaranteed minimum (yuan/mu/yr)")
    rebate_basis: Literal["labour", "sales"] = Field("labour", description="second rebate basis")
    reserve_share: float = Field(0.1, ge=0, le=1, description="profit share to reserve fund")
    collective_share: float = Field(0.1, ge=0, le=1, description="profit share to collective")
    member_share: float = Field(0.8, ge=0, le=1, description="profit share to members")
    coop_lease_years: int = Field(5, ge=1, le=30, description="coop lease term (years)")
    coop_wage_day: float = Field(100, ge=0, description="coop wage to older villagers (yuan/day)")
    coop_social_mission: float = Field(
        300, ge=0, description="loss per mu a coop accepts to keep land farmed (yuan/mu)"
    )
    startup_grant: float = Field(50_000, ge=0, description="one-off grant per new coop (yuan)")
    subsidy_per_mu: float = Field(100, ge=0, description="coop subsidy (yuan/mu/yr)")
    subsidy_years: int = Field(3, ge=0, le=100, description="years a coop receives the subsidy")
    government_budget: float = Field(2_000_000, ge=0, description="town budget (yuan/yr)")
    audit_rate: float = Field(0.0, ge=0, le=1, description="yearly chance a coop is audited")
    audit_disclosure: bool = Field(True, description="audit findings disclosed to villagers")
    audit_cost: float = Field(5_000, ge=0, description="cost of one audit (yuan)")
    management_standard: float = Field(
        0.0, ge=0, le=1, description="strength of the management-standard policy (0-1)"
    )
    firm_enabled: bool = Field(True, description="a third-party service firm operates")
    custody_price: float = Field(1000, ge=0, description="full custody price (yuan/mu/yr)")
    custody_cost_cut: float = Field(
        0.175, ge=0, le=0.9, description="firm's cost cut vs a household (share)"
    )
    firm_capacity_initial: float = Field(
        0.05, ge=0, le=1, description="firm capacity at start (share of town land)"
    )
    firm_capacity_growth: float = Field(
        0.3, ge=0, le=1, description="share of the gap to last year's demand closed per year"
    )
    professional_management: bool = Field(
        False, description="coops hire the firm's professional managers"
    )
    pro_management_fee: float = Field(40, ge=0, description="professional management (yuan/mu)")

    @model_validator(mode="after")
    def _split_and_rule(self) -> Levers:
        total = self.reserve_share + self.collective_share + self.member_share
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                "reserve_share + collective_share + member_share must sum to 1, got "
                f"{self.reserve_share} + {self.collective_share} + {self.member_share} = {total:g}"
            )
        if self.benefit_rule not in SHARING_RULES:
            raise ValueError(
                f"benefit_rule must be one of {', '.join(SHARING_RULES)}; got {self.benefit_rule!r}"
            )
        return self


class Event(_Section):
    """A dated change: at the start of ``year``, set each key (``section.name``) to its value."""

    year: int = Field(ge=1, description="model year the change takes effect (1 = first year)")
    set: dict[str, Any] = Field(description="keys like 'levers.subsidy_per_mu' and new values")
    note: str = Field("", description="what the event means")


class RunSettings(_Section):
    """Horizon, replicates and root seed."""

    years: int = Field(30, ge=1, le=500, description="simulated years")
    replicates: int = Field(10, ge=1, le=10_000, description="replicates per scenario")
    seed: int = Field(20190101, ge=0, description="root seed for replicate seeds")


class Params(_Section):
    """All inputs of one model run."""

    world: World = Field(default_factory=World)
    assumptions: Assumptions = Field(default_factory=Assumptions)
    levers: Levers = Field(default_factory=Levers)
    timeline: list[Event] = Field(default_factory=list)
    run: RunSettings = Field(default_factory=RunSettings)

    @model_validator(mode="after")
    def _timeline(self) -> Params:
        for i, event in enumerate(self.timeline):
            if event.year > self.run.years:
                raise ValueError(
                    f"timeline[{i}].year ({event.year}) is after the last year of the run "
                    f"(run.years = {self.run.years})"
                )
            for key in event.set:
                section, _, name = key.partition(".")
                if section not in ("levers", "assumptions") or name not in _FIELDS.get(section, ()):
                    raise ValueError(
                        f"timeline[{i}].set key {key!r} is not a lever or assumption "
                        "(use 'levers.NAME' or 'assumptions.NAME')"
                    )
            # the new values must themselves be valid
            apply_changes(self, event.set, keep_timeline=False)
        return self


_SECTIONS: dict[str, type[_Section]] = {
    "world": World,
    "assumptions": Assumptions,
    "levers": Levers,
    "run": RunSettings,
}
_FIELDS: dict[str, tuple[str, ...]] = {s: tuple(c.model_fields) for s, c in _SECTIONS.items()}

#: flat parameter name -> section that holds it (names are unique across sections)
FLAT_KEYS: dict[str, str] = {name: s for s, names in _FIELDS.items() for name in names}
assert len(FLAT_KEYS) == sum(len(v) for v in _FIELDS.values()), "field names must be unique"


def apply_changes(params: Params, changes: dict[str, Any], keep_timeline: bool = True) -> Params:
    """Return a validated copy of ``params`` with dotted keys (``levers.audit_rate``) changed.

    Raises:
        ValueError: for an unknown key or an invalid value (pydantic's ValidationError).
    """
    data = params.model_dump()
    for key, value in changes.items():
        section, _, name = key.partition(".")
        if section not in _FIELDS or name not in _FIELDS[section]:
            raise ValueError(f"unknown parameter {key!r}")
        data[section][name] = value
    if not keep_timeline:
        data["timeline"] = []
    return Params.model_validate(data)


def params_from_flat(params: Params | None = None, **flat: Any) -> Params:
    """Build ``Params`` from an optional base and flat keyword overrides (``audit_rate=0.3``)."""
    base = params if params is not None else Params()
    unknown = sorted(k for k in flat if k not in FLAT_KEYS)
    if unknown:
        raise TypeError(f"unknown model parameter(s): {', '.join(unknown)}")
    if not flat:
        return base
    data = base.model_dump()
    for key, value in flat.items():
        data[FLAT_KEYS[key]][key] = value
    return Params.model_validate(data)
