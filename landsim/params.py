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
    """Uncertain quantities: demography, migration, prices, yields and behaviour.

    Defaults equal ``scenarios/baseline.toml``, where each value carries its unit and source
    (or "assumption"); ``tests/test_scenario_loading.py`` keeps the two equal.
    """

    # demography
    head_age_mean: float = Field(56.0, ge=18, le=90, description="household head age (years)")
    head_age_sd: float = Field(11.0, ge=0, le=30, description="head age spread (years)")
    children_mean: float = Field(1.2, ge=0, le=6, description="adult/minor children per household")
    mortality_a: float = Field(2.35e-5, ge=0, le=0.01, description="Gompertz level (1/yr)")
    mortality_b: float = Field(0.1, ge=0, le=0.3, description="Gompertz slope (1/yr of age)")
    mortality_multiplier: float = Field(1.0, ge=0, le=5, description="scales death risk (x)")
    birth_rate: float = Field(
        0.06,
        ge=0,
        le=1,
        description="yearly birth chance of a household with a resident aged 20-38 (1/yr)",
    )
    household_formation_rate: float = Field(
        0.05,
        ge=0,
        le=1,
        description="yearly chance a resident aged 25-40 who is not the head "
        "founds a household of their own (1/yr)",
    )
    split_land_share: float = Field(
        0.4, ge=0, le=1, description="share of the parents' plots a new household takes (share)"
    )
    aging_speed: float = Field(
        1.0, ge=0.25, le=4, description="scales how fast labour declines with age (x)"
    )
    labour_decline_age: float = Field(60, ge=40, le=90, description="labour starts to fall (yr)")
    labour_zero_age: float = Field(83, ge=50, le=100, description="labour reaches zero (years)")
    farm_days_per_worker: float = Field(
        70, gt=0, le=365, description="days of field work one full worker gives a year (days)"
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
    gross_revenue_per_mu: float = Field(2100, ge=0, description="grain output value (yuan/mu)")
    cash_cost_per_mu: float = Field(1100, ge=0, description="inputs+machinery (yuan/mu)")
    labour_days_flat: float = Field(10, ge=0, description="own labour on flat land (days/mu)")
    labour_days_hilly: float = Field(13, ge=0, description="own labour on hills (days/mu)")
    lease_labour_days_flat: float = Field(
        3, ge=0, description="labour of a lessee farming at scale with machines, flat (days/mu)"
    )
    lease_labour_days_hilly: float = Field(
        13, ge=0, description="labour of a lessee on hills, where machines save little (days/mu)"
    )
    hilly_yield_factor: float = Field(0.75, gt=0, le=1.5, description="hill yield (x flat)")
    hilly_cost_factor: float = Field(1.1, gt=0, le=3, description="hill cash cost (x flat)")
    yield_shock_sd: float = Field(0.08, ge=0, le=1, description="yearly yield shock (sd, x)")
    price_index: float = Field(1.0, gt=0, le=5, description="grain price relative to base (x)")
    # choices
    choice_temperature: float = Field(
        100, gt=0, description="logit temperature of the release-channel choice (yuan/mu)"
    )
    offfarm_job_chance: float = Field(
        0.2, ge=0, le=1, description="chance a farm day could instead be sold as local day work"
    )
    shadow_wage_elderly: float = Field(
        13, ge=0, description="value of a farm day to a member 65+ (yuan/day)"
    )
    farming_attachment: float = Field(
        265, ge=0, description="non-money value of farming one's own land (yuan/mu)"
    )
    risk_aversion: float = Field(
        0.5, ge=0, le=10, description="risk premium per yuan of income sd, head under 60 (x)"
    )
    risk_aversion_old: float = Field(
        1.5, ge=0, le=10, description="extra risk premium per yuan of sd at head age 80 (x)"
    )
    custody_hassle: float = Field(
        200, ge=0, description="risk and supervision cost of custody to a household (yuan/mu)"
    )
    coop_lockin_cost: float = Field(
        50, ge=0, description="loss of control from putting land in the coop (yuan/mu)"
    )
    neighbour_weight: float = Field(
        200, ge=0, description="pull of the village's coop share on the coop option (yuan/mu)"
    )
    trust_weight: float = Field(
        400, ge=0, description="value of full vs no trust in the coop option (yuan/mu)"
    )
    trust_initial: float = Field(0.5, ge=0, le=1, description="initial trust in coop (0-1)")
    trust_learning: float = Field(0.3, ge=0, le=1, description="trust update speed (1/yr)")
    trust_pay_scale: float = Field(
        300, gt=0, description="pay above the outside option that moves trust halfway (yuan/mu)"
    )
    trust_pay_weight: float = Field(
        0.4, ge=0, le=1, description="weight of pay vs outside option in members' trust signal"
    )
    trust_transparency_weight: float = Field(
        0.5, ge=0, le=1, description="weight of open accounts in members' trust signal"
    )
    trust_leak_weight: float = Field(
        3.0, ge=0, le=10, description="trust signal lost per unit of leak rate members see"
    )
    trust_debt_penalty: float = Field(
        0.3, ge=0, le=1, description="trust signal lost while the coop is in debt"
    )
    trust_audit_bonus: float = Field(
        0.1, ge=0, le=1, description="trust signal gained from a clean, published audit"
    )
    trust_word_of_mouth: float = Field(
        0.5, ge=0, le=1, description="speed of non-members' trust towards members' (x learning)"
    )
    shell_trust_loss: float = Field(
        0.2, ge=0, le=1, description="trust lost by members when their coop becomes a shell"
    )
    expectation_weight: float = Field(
        0.5, gt=0, le=1, description="weight of this year's market in expected rents (share)"
    )
    # land market (AgriPoliS-style bids)
    bid_fraction: float = Field(
        0.89, ge=0, le=1, description="bid = fraction x bidder's marginal return on the plot"
    )
    distance_cost: float = Field(
        5, ge=0, description="bid reduction per plot of distance (yuan/mu)"
    )
    kin_ties_mean: float = Field(
        2.2, ge=0, le=20, description="kin ties of a household within its village (ties)"
    )
    kin_lease_value: float = Field(
        1150, ge=0, description="value to a holder of lending land to the closest kin (yuan/mu)"
    )
    lease_years_min: int = Field(3, ge=1, le=30, description="shortest household lease (years)")
    lease_years_max: int = Field(8, ge=1, le=30, description="longest household lease (years)")
    bidder_max_head_age: float = Field(65, ge=30, le=100, description="oldest lessee head (years)")
    max_lease_in_plots: int = Field(
        20, ge=0, le=1000, description="most plots one household leases in a year (plots)"
    )
    local_work_days: float = Field(
        100, ge=0, description="days of local paid work a resident aged 18-64 can find (days/yr)"
    )
    helper_days: float = Field(
        100, ge=0, description="days a resident aged 55-75 can work for a coop or firm (days/yr)"
    )
    lease_rent_initial: float = Field(
        800, ge=0, description="flat-land rent expected before any market (yuan/mu)"
    )
    lease_rent_initial_hilly: float = Field(
        100, ge=0, description="hilly-land rent expected before any market (yuan/mu)"
    )
    scale_cost_cut: float = Field(
        0.15, ge=0, le=0.9, description="cost cut of scale farmers and coops at full scale"
    )
    # cooperative behaviour
    coop_scale_share: float = Field(
        0.3, gt=0, le=1, description="share of village land for full economies of scale"
    )
    coop_price_premium: float = Field(
        0.1, ge=0, le=1, description="better price from collective marketing (share of value)"
    )
    coop_labour_days: float = Field(3, ge=0, description="mechanized labour (days/mu)")
    coop_overhead_per_mu: float = Field(
        120, ge=0, description="management cost at zero standardization (yuan/mu)"
    )
    coop_prefinance_share: float = Field(
        0.5, ge=0, le=1, description="share of a year's costs a coop must finance up front"
    )
    coop_credit_per_mu: float = Field(
        200,
        ge=0,
        description="working-capital credit a coop can draw, per mu of village land (yuan/mu)",
    )
    coop_span_share: float = Field(
        0.6, gt=0, le=1, description="share of village land one coop's managers can run"
    )
    coop_min_member_share: float = Field(
        0.03, ge=0, le=1, description="members (share of village households) a coop needs"
    )
    coop_fail_years: int = Field(
        3, ge=1, le=30, description="years in debt beyond the tolerance before a coop fails"
    )
    coop_debt_tolerance: float = Field(
        50,
        ge=0,
        description="debt per mu operated a coop carries without counting insolvent (yuan/mu)",
    )
    fragmentation_cost: float = Field(
        200, ge=0, description="coop's cost of a plot with no pooled neighbour (yuan/mu)"
    )
    bonus_sd_share: float = Field(
        0.5, ge=0, le=5, description="members' uncertainty about a dividend (sd as share of it)"
    )
    leakage_max: float = Field(
        0.3, ge=0, le=1, description="share of the coop's surplus leaking at zero transparency"
    )
    oversight_effect: float = Field(
        0.6, ge=0, le=1, description="leakage cut when every member engages (share)"
    )
    audit_recovery: float = Field(
        0.7, ge=0, le=1, description="share of leaked money an audit recovers"
    )
    audit_learning: float = Field(
        0.15, ge=0, le=1, description="transparency gained from an audit (share of gap to 1)"
    )
    standard_speed: float = Field(
        0.3, ge=0, le=1, description="gap to full standards a full-strength policy closes a year"
    )
    pro_standard_speed: float = Field(
        0.3, ge=0, le=1, description="gap to full standards professional managers close a year"
    )
    pro_transparency_speed: float = Field(
        0.1, ge=0, le=1, description="gap to full openness professional managers close a year"
    )
    pro_cost_cut: float = Field(
        0.05, ge=0, le=0.5, description="production cost cut by professional managers (share)"
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
        0.4, ge=0, le=1, description="yearly chance a branch appraises founding a coop (1/yr)"
    )
    founding_hurdle: float = Field(
        100,
        ge=0,
        description="expected yearly profit a branch needs to found, per mu of village "
        "land (yuan/mu/yr)",
    )
    appraisal_sd: float = Field(
        0.3, ge=0, le=3, description="error of a branch's profit appraisal (sd, share)"
    )
    # service firm
    firm_labour_days: float = Field(
        1.0, ge=0, description="firm's field labour per mu farmed (days/mu)"
    )
    firm_target_margin: float = Field(
        0.05, ge=0, le=1, description="markup over unit cost the firm prices towards (share)"
    )
    firm_price_adjust: float = Field(
        0.3, ge=0, le=1, description="share of the gap to its target price closed a year"
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
        "none",
        description="none: no coops; endogenous: branches found one when they expect it to "
        "pay; all: every village founds one in year 1",
    )
    founding_min_strength: float = Field(
        0.0, ge=0, le=1, description="only villages with branch strength at least this found"
    )
    benefit_rule: Literal[
        "fixed_rent", "guaranteed_dividend", "shareholding", "guaranteed_rebate"
    ] = Field("guaranteed_dividend", description="benefit-sharing rule name")
    fixed_rent: float = Field(700, ge=0, description="fixed-rent rule payment (yuan/mu/yr)")
    guaranteed_rent: float = Field(600, ge=0, description="guaranteed minimum (yuan/mu/yr)")
    rebate_basis: Literal["labour", "sales"] = Field("labour", description="second rebate basis")
    reserve_share: float = Field(0.1, ge=0, le=1, description="profit share to reserve fund")
    collective_share: float = Field(0.1, ge=0, le=1, description="profit share to collective")
    member_share: float = Field(0.8, ge=0, le=1, description="profit share to members")
    coop_lease_years: int = Field(5, ge=1, le=30, description="coop lease term (years)")
    coop_wage_day: float = Field(100, ge=0, description="coop wage to older villagers (yuan/day)")
    coop_social_mission: float = Field(
        100, ge=0, description="loss per mu a coop accepts to keep land farmed (yuan/mu)"
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
    firm_enabled: bool = Field(False, description="a third-party service firm operates")
    custody_price: float = Field(
        1000, ge=0, description="custody price the firm starts from (yuan/mu/yr)"
    )
    custody_cost_cut: float = Field(
        0.175, ge=0, le=0.9, description="firm's cash-cost cut vs a household (share)"
    )
    firm_capacity_initial: float = Field(
        0.05, ge=0, le=1, description="firm capacity at start (share of town land)"
    )
    firm_capacity_growth: float = Field(
        0.3, ge=0, le=1, description="share of the gap to demand closed a year while profitable"
    )
    professional_management: bool = Field(
        False, description="coops hire the firm's professional managers"
    )
    pro_management_fee: float = Field(40, ge=0, description="professional management (yuan/mu)")

    @model_validator(mode="after")
    def _split(self) -> Levers:
        total = self.reserve_share + self.collective_share + self.member_share
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                "reserve_share + collective_share + member_share must sum to 1, got "
                f"{self.reserve_share} + {self.collective_share} + {self.member_share} = {total:g}"
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
