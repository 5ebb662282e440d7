"""One declaration of every model parameter, typed and validated.

Parameters are grouped the way the scenario files group them (EMA Workbench vocabulary):

* ``world`` — size and layout of the town (constants of an experiment);
* ``assumptions`` — what we are *unsure of*: demography, migration, prices, yields, behaviour;
* ``levers`` — what a *policy maker chooses*: cooperatives, benefit sharing, subsidies, audits,
  management standards, the service firm;
* ``timeline`` — dated changes of levers or assumptions ("year 3: per-mu subsidy ends");
* ``run`` — horizon, replicates and root seed.

Each numeric assumption and lever carries two ranges: its *validity bounds* (``ge``/``le``:
values the model accepts at all) and, beside them, its *plausible range* (``_plausible(lo,
hi)``: where the value may lie in a Shandong town, in the field's unit), which exploratory
modelling samples (:func:`plausible_ranges`, :mod:`landsim.ema`). A sourced value's range spans
its source (rents 750-930 yuan/mu, day wage 100-150 yuan); an assumption's range is a band
around its default. Choices (``Literal`` and ``bool`` fields) list their values in the schema.

Every field name is unique across sections, so a model can also be built from flat keyword
arguments (``LandModel(rng=1, guaranteed_rent=600)``), which is how SolaraViz and Mesa's
``batch_run`` construct models. Units are in each field's description; sources live beside the
values in ``scenarios/baseline.toml`` and in ``docs/ODD.md``.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from typing import Any, Literal, get_args, get_origin

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from landsim import limits

__all__ = [
    "World",
    "Assumptions",
    "Levers",
    "Event",
    "RunSettings",
    "Params",
    "FLAT_KEYS",
    "SHARING_RULES",
    "REGION_COUNTS",
    "params_from_flat",
    "apply_changes",
    "merged_changes",
    "timeline_failures",
    "TimelineFailure",
    "TIMELINE_SECTIONS",
    "plausible_ranges",
    "choices",
    "RETIRED",
    "retired",
]

SHARING_RULES = ("fixed_rent", "guaranteed_dividend", "shareholding", "guaranteed_rebate")
#: the keys of ``[world]`` that loading a region fills in from its files (docs/regions.md)
REGION_COUNTS = ("region_plots", "region_villages", "region_households", "region_digest")

#: keys that were removed, with what replaced them: a scenario file, a timeline event, an
#: experiment, a lesson or a keyword argument that sets one is refused with this message
RETIRED: dict[str, str] = {
    "assumptions.offfarm_job_chance": (
        "removed in landsim 0.2: the chance of finding local day work now comes from the town's "
        "day-labour market (assumptions.local_job_days, the work on offer per resident aged "
        "18-64, against the days residents offer); households learn it from past years"
    ),
    "assumptions.bid_fraction": (
        "removed in landsim 0.2: rents now come from competing bids (a second-price auction per "
        "plot); no parameter sets their level"
    ),
    "assumptions.max_lease_in_plots": (
        "removed in landsim 0.2: a lessee's land is limited by its management capacity, "
        "assumptions.lessee_mu_per_worker (mu per full resident worker)"
    ),
    "assumptions.helper_days": (
        "removed in landsim 0.2: co-ops and the firm hire from the days villagers offer and do "
        "not sell on the day-labour market (assumptions.local_work_days)"
    ),
    "assumptions.coop_prefinance_share": (
        "removed in landsim 0.2: a co-op's land is no longer clamped by working capital; it "
        "takes a plot when its expected margin covers the promised payments, costs and a risk "
        "margin (assumptions.coop_risk_margin), and fails when losses exceed its reserve and "
        "credit (assumptions.coop_credit_per_mu)"
    ),
}


def retired(key: str) -> str | None:
    """What replaced a removed key (``section.name`` or a bare ``name``), or None."""
    if key in RETIRED:
        return RETIRED[key]
    for dotted, note in RETIRED.items():
        if dotted.partition(".")[2] == key:
            return note
    return None


def _plausible(lo: float, hi: float) -> dict[str, Any]:
    """Schema entry declaring a field's plausible range ``[lo, hi]`` (in the field's unit),
    apart from its validity bounds."""
    return {"plausible": [lo, hi]}


@cache
def _description(cls: type[BaseModel], name: str) -> str | None:
    """The description of field ``name`` of ``cls`` (looked up once: every value of every
    timeline event passes through :meth:`_Section._hard_limit`)."""
    field = cls.model_fields.get(name)
    return field.description if field else None


class _Section(BaseModel):
    """Shared rules: unknown keys refused, every number finite and within its hard limit."""

    model_config = ConfigDict(
        extra="forbid", validate_assignment=True, validate_default=True, allow_inf_nan=False
    )

    @field_validator("*", mode="after")
    @classmethod
    def _hard_limit(cls, value: Any, info: ValidationInfo) -> Any:
        """Every number within :mod:`landsim.limits` (money that fits the ledger, ...)."""
        if not isinstance(value, float):  # whole numbers, text, tables: their own ranges
            return value
        return limits.check_number(value, _description(cls, info.field_name or ""))

    @model_validator(mode="after")
    def _fits_memory(self) -> Any:
        """A world is refused before it is built when it cannot fit in the memory this process
        may use (:func:`landsim.limits.memory_limit`)."""
        if isinstance(self, World):
            limits.check_world(self.n_plots, self.n_villages, self.mean_households_per_village)
        return self


class World(_Section):
    """Size and layout of the town: a grid of plots split into villages."""

    width: int = Field(60, ge=2, le=4000, description="grid columns (plots)")
    height: int = Field(50, ge=2, le=4000, description="grid rows (plots)")
    villages_x: int = Field(3, ge=1, le=200, description="villages across the grid")
    villages_y: int = Field(2, ge=1, le=200, description="villages down the grid")
    households_per_village: int = Field(100, ge=1, le=100_000, description="households")
    plots_per_household: float = Field(
        5.0,
        gt=0,
        le=50,
        description="mean contract plots per household (plots)",
        json_schema_extra=_plausible(4, 7),
    )
    # At least 0.1 mu (about 67 m2): a tenth of the average contract plot (Tan et al. 1999:
    # 8 mu in 6.06 plots, 1.3 mu each); smaller pieces are garden beds rather than fields, and
    # a plot's rent, wages and harvest would shrink to a few fen, below what the ledger's
    # whole fen resolve. At most 20 mu (1.3 ha), the size of a consolidated field.
    plot_size_mu: float = Field(1.0, ge=0.1, le=20, description="area of one plot (mu)")
    hilly_share: float = Field(
        0.3,
        ge=0,
        le=1,
        description="share of plots on hilly, hard-to-mechanize land",
        json_schema_extra=_plausible(0.1, 0.5),
    )
    terrain_smoothness: int = Field(
        3,
        ge=0,
        le=20,
        description="box-filter passes that make hills contiguous (passes)",
        json_schema_extra=_plausible(1, 5),
    )
    branch_strength_mean: float = Field(
        0.5,
        ge=0,
        le=1,
        description="mean strength of village Party branches (0-1)",
        json_schema_extra=_plausible(0.3, 0.7),
    )
    branch_strength_sd: float = Field(
        0.2,
        ge=0,
        le=1,
        description="spread of branch strength across villages (0-1)",
        json_schema_extra=_plausible(0.1, 0.3),
    )

    # A real place instead of the synthetic grid (docs/regions.md): three files, named relative
    # to the scenario file that sets them; loading the scenario reads and checks them
    # (landsim.regions) and fills in the grid's size, the plot size and the region_* counts
    land_raster: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="GeoTIFF of the plots: band 1 0 not farmland, 1 flat, 2 hilly; band 2 "
        "quality 0-1 (optional)",
    )
    villages: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="village outlines: a GeoPackage with a village_id column, or a GeoTIFF of "
        "village ids on the land raster's grid",
    )
    households: str | None = Field(
        None,
        min_length=1,
        max_length=4096,
        description="household table (CSV or Parquet)",
    )
    # what the loader read from a region (a scenario leaves these out; a resolved scenario
    # written beside results holds them, and loading it again checks them)
    region_plots: int | None = Field(
        None, ge=1, le=16_000_000, description="farmland plots of the region (plots)"
    )
    region_villages: int | None = Field(
        None, ge=1, le=40_000, description="villages of the region (villages)"
    )
    region_households: int | None = Field(
        None, ge=1, le=4_000_000, description="households of the region's table (households)"
    )
    region_digest: str | None = Field(
        None,
        pattern=r"^[0-9a-f]{64}$",
        description="SHA-256 of the region's files, as they were checked",
    )
    # Where the town lies on a map, so that its maps open in a GIS: a projected coordinate
    # reference system in metres and the grid's north-west corner. The default is UTM zone 51N
    # (EPSG:32651) near Rongcheng, Shandong (122.42 E, 37.16 N), the field study's town "S";
    # a plot is a square of plot_size_mu (1 mu = 2000/3 m2). A region takes all three from
    # its land raster.
    crs: str = Field(
        "EPSG:32651",
        min_length=1,
        max_length=20_000,
        description="coordinate reference system of the maps (an EPSG code or WKT)",
    )
    origin_x: float = Field(
        448_500.0, ge=-1e8, le=1e8, description="west edge of the grid, in the CRS (m)"
    )
    origin_y: float = Field(
        4_113_000.0, ge=-1e8, le=1e8, description="north edge of the grid, in the CRS (m)"
    )

    @model_validator(mode="after")
    def _region(self) -> World:
        """The region's counts come with its files; the three files come together."""
        named = [k for k in ("land_raster", "villages", "households") if getattr(self, k)]
        if named and len(named) < 3:
            missing = [k for k in ("land_raster", "villages", "households") if k not in named]
            raise ValueError(
                f"a region needs land_raster, villages and households; {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} missing"
            )
        counts = [k for k in REGION_COUNTS if getattr(self, k) is not None]
        if counts and not named:
            raise ValueError(
                f"{counts[0]} is read from a region's files; set it only with land_raster"
            )
        if self.region_plots is not None and self.region_plots > self.width * self.height:
            raise ValueError(
                f"region_plots ({self.region_plots}) is more than the grid's "
                f"{self.width} x {self.height} cells"
            )
        return self

    @property
    def is_region(self) -> bool:
        """True when the town is read from a region's files (docs/regions.md)."""
        return self.land_raster is not None

    @property
    def n_villages(self) -> int:
        """Number of villages."""
        if self.region_villages is not None:
            return self.region_villages
        return self.villages_x * self.villages_y

    @property
    def n_plots(self) -> int:
        """Number of plots: every cell of the grid, or a region's farmland cells."""
        if self.region_plots is not None:
            return self.region_plots
        return self.width * self.height

    @property
    def n_households(self) -> int:
        """Number of households at the start."""
        if self.region_households is not None:
            return self.region_households
        return self.n_villages * self.households_per_village

    @property
    def mean_households_per_village(self) -> int:
        """Households per village at the start (rounded up: a region's villages differ)."""
        return -(-self.n_households // self.n_villages)


class Assumptions(_Section):
    """Uncertain quantities: demography, migration, prices, yields and behaviour.

    Defaults equal ``scenarios/baseline.toml``, where each value carries its unit and source
    (or "assumption"); ``tests/test_scenario_loading.py`` keeps the two equal.
    """

    # demography
    head_age_mean: float = Field(
        56.0,
        ge=18,
        le=90,
        description="household head age (years)",
        json_schema_extra=_plausible(52, 60),
    )
    head_age_sd: float = Field(
        11.0,
        ge=0,
        le=30,
        description="head age spread (years)",
        json_schema_extra=_plausible(8, 14),
    )
    children_mean: float = Field(
        1.2,
        ge=0,
        le=6,
        description="adult/minor children per household",
        json_schema_extra=_plausible(0.8, 1.6),
    )
    mortality_a: float = Field(
        2.35e-5,
        ge=0,
        le=0.01,
        description="Gompertz level (1/yr)",
        json_schema_extra=_plausible(1.8e-05, 3e-05),
    )
    mortality_b: float = Field(
        0.1,
        ge=0,
        le=0.3,
        description="Gompertz slope (1/yr of age)",
        json_schema_extra=_plausible(0.09, 0.11),
    )
    mortality_multiplier: float = Field(
        1.0, ge=0, le=5, description="scales death risk (x)", json_schema_extra=_plausible(0.8, 1.2)
    )
    birth_rate: float = Field(
        0.06,
        ge=0,
        le=1,
        description="yearly birth chance of a household with a resident aged 20-38 (1/yr)",
        json_schema_extra=_plausible(0.03, 0.09),
    )
    household_formation_rate: float = Field(
        0.05,
        ge=0,
        le=1,
        description="yearly chance a resident aged 25-40 who is not the head "
        "founds a household of their own (1/yr)",
        json_schema_extra=_plausible(0.025, 0.075),
    )
    split_land_share: float = Field(
        0.4,
        ge=0,
        le=1,
        description="share of the parents' plots a new household takes (share)",
        json_schema_extra=_plausible(0.25, 0.55),
    )
    aging_speed: float = Field(
        1.0,
        ge=0.25,
        le=4,
        description="scales how fast labour declines with age (x)",
        json_schema_extra=_plausible(0.75, 2.0),
    )
    labour_decline_age: float = Field(
        54.5,
        ge=40,
        le=90,
        description="labour starts to fall (yr)",
        json_schema_extra=_plausible(50, 65),
    )
    labour_zero_age: float = Field(
        83,
        ge=50,
        le=100,
        description="labour reaches zero (years)",
        json_schema_extra=_plausible(78, 88),
    )
    farm_days_per_worker: float = Field(
        91.6,
        gt=0,
        le=365,
        description="days of field work one full worker gives a year (days)",
        json_schema_extra=_plausible(50, 100),
    )
    migration_rate: float = Field(
        0.06,
        ge=0,
        le=1,
        description="yearly chance a resident aged 18-45 leaves at the reference gap (1/yr)",
        json_schema_extra=_plausible(0.02, 0.15),
    )
    return_rate: float = Field(
        0.1,
        ge=0,
        le=1,
        description="yearly chance a migrant aged return_age or more comes home at the "
        "reference gap (1/yr)",
        json_schema_extra=_plausible(0.05, 0.15),
    )
    return_age: float = Field(
        50,
        ge=19,
        le=90,
        description="age from which a migrant may come home (years)",
        json_schema_extra=_plausible(35, 55),
    )
    migration_elasticity: float = Field(
        1.0,
        ge=0,
        le=10,
        description="elasticity of the leave chance to the expected earnings gap (x)",
        json_schema_extra=_plausible(0.5, 2.0),
    )
    migration_reference_gap: float = Field(
        27000,
        gt=0,
        description="earnings gap, away minus at home, at which a resident leaves at "
        "migration_rate (yuan/yr)",
        json_schema_extra=_plausible(20000, 34000),
    )
    migrant_months: float = Field(
        10,
        gt=0,
        le=12,
        description="months a year a migrant works away (months)",
        json_schema_extra=_plausible(9, 11),
    )
    migrant_living_cost_month: float = Field(
        892,
        ge=0,
        description="a migrant's living costs in the city (yuan/month)",
        json_schema_extra=_plausible(733, 1400),
    )
    initial_migrant_share: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of members aged 18-45 already away at start",
        json_schema_extra=_plausible(0.35, 0.65),
    )
    remit_share: float = Field(
        0.25,
        ge=0,
        le=1,
        description="share of wage sent home",
        json_schema_extra=_plausible(0.15, 0.35),
    )
    offfarm_wage_month: float = Field(
        4100,
        ge=0,
        description="migrant wage (yuan/month)",
        json_schema_extra=_plausible(3700, 4500),
    )
    day_wage: float = Field(
        120,
        ge=0,
        description="local day wage at the reference migrant wage (yuan/day)",
        json_schema_extra=_plausible(100, 150),
    )
    local_wage_reference_month: float = Field(
        4100,
        gt=0,
        description="migrant wage at which the local day wage is day_wage (yuan/month)",
        json_schema_extra=_plausible(3700, 4500),
    )
    local_wage_link: float = Field(
        1.0,
        ge=0,
        le=3,
        description="elasticity of the local day wage to the migrant wage (0: fixed)",
        json_schema_extra=_plausible(0.5, 1.2),
    )
    pension_month: float = Field(
        123,
        ge=0,
        description="rural basic pension (yuan/month)",
        json_schema_extra=_plausible(123, 180),
    )
    # farming
    gross_revenue_per_mu: float = Field(
        2100,
        ge=0,
        description="grain output value (yuan/mu)",
        json_schema_extra=_plausible(1900, 2300),
    )
    cash_cost_per_mu: float = Field(
        1100,
        ge=0,
        description="inputs+machinery (yuan/mu)",
        json_schema_extra=_plausible(1000, 1200),
    )
    labour_days_flat: float = Field(
        10,
        ge=0,
        description="own labour on flat land (days/mu)",
        json_schema_extra=_plausible(8, 12),
    )
    labour_days_hilly: float = Field(
        13, ge=0, description="own labour on hills (days/mu)", json_schema_extra=_plausible(10, 16)
    )
    lease_labour_days_flat: float = Field(
        3,
        ge=0,
        description="labour of a lessee farming at scale with machines, flat (days/mu)",
        json_schema_extra=_plausible(2, 5),
    )
    lease_labour_days_hilly: float = Field(
        13,
        ge=0,
        description="labour of a lessee on hills, where machines save little (days/mu)",
        json_schema_extra=_plausible(10, 16),
    )
    labour_saving_flat: float = Field(
        0.025,
        ge=0,
        lt=1,
        description="share by which the days a mu of flat land needs, own and lessees', "
        "fall each year as machines reach further (1/yr; 0: they stay)",
        json_schema_extra=_plausible(0.0, 0.045),
    )
    labour_saving_hilly: float = Field(
        0.003,
        ge=0,
        lt=1,
        description="the same for hills, where machines arrive later (1/yr; 0: they stay)",
        json_schema_extra=_plausible(0.0, 0.02),
    )
    hilly_yield_factor: float = Field(
        0.75,
        gt=0,
        le=1.5,
        description="hill yield (x flat)",
        json_schema_extra=_plausible(0.65, 0.85),
    )
    hilly_cost_factor: float = Field(
        1.1,
        gt=0,
        le=3,
        description="hill cash cost (x flat)",
        json_schema_extra=_plausible(1.0, 1.25),
    )
    yield_shock_sd: float = Field(
        0.08,
        ge=0,
        le=1,
        description="yearly yield shock (sd, x)",
        json_schema_extra=_plausible(0.04, 0.12),
    )
    price_index: float = Field(
        1.0,
        gt=0,
        le=5,
        description="grain price relative to base (x)",
        json_schema_extra=_plausible(0.85, 1.15),
    )
    # choices
    choice_temperature: float = Field(
        112,
        gt=0,
        description="spread of households' taste for farming and of the channel choice "
        "(logit scale, yuan/mu)",
        json_schema_extra=_plausible(50, 200),
    )
    shadow_wage_elderly: float = Field(
        13,
        ge=0,
        description="value of a day to a member who finds no paid work (yuan/day)",
        json_schema_extra=_plausible(0, 30),
    )
    farming_attachment: float = Field(
        251,
        ge=0,
        description="non-money value of farming one's own land (yuan/mu)",
        json_schema_extra=_plausible(150, 400),
    )
    risk_aversion: float = Field(
        0.5,
        ge=0,
        le=10,
        description="risk premium per yuan of income sd, head under 60 (x)",
        json_schema_extra=_plausible(0.25, 0.75),
    )
    risk_aversion_old: float = Field(
        1.5,
        ge=0,
        le=10,
        description="extra risk premium per yuan of sd at head age 80 (x)",
        json_schema_extra=_plausible(1.0, 2.0),
    )
    custody_hassle: float = Field(
        200,
        ge=0,
        description="risk and supervision cost of custody to a household (yuan/mu)",
        json_schema_extra=_plausible(100, 300),
    )
    coop_lockin_cost: float = Field(
        50,
        ge=0,
        description="loss of control from putting land in the coop (yuan/mu)",
        json_schema_extra=_plausible(0, 100),
    )
    neighbour_weight: float = Field(
        200,
        ge=0,
        description="pull of the village's coop share on the coop option (yuan/mu)",
        json_schema_extra=_plausible(100, 300),
    )
    trust_weight: float = Field(
        285,
        ge=0,
        description="value of full vs no trust in the coop option (yuan/mu)",
        json_schema_extra=_plausible(200, 600),
    )
    trust_initial: float = Field(
        0.5,
        ge=0,
        le=1,
        description="initial trust in coop (0-1)",
        json_schema_extra=_plausible(0.3, 0.7),
    )
    trust_learning: float = Field(
        0.3,
        ge=0,
        le=1,
        description="trust update speed (1/yr)",
        json_schema_extra=_plausible(0.15, 0.45),
    )
    trust_pay_scale: float = Field(
        300,
        gt=0,
        description="pay above the outside option that moves trust halfway (yuan/mu)",
        json_schema_extra=_plausible(150, 450),
    )
    trust_pay_weight: float = Field(
        0.4,
        ge=0,
        le=1,
        description="weight of pay vs outside option in members' trust signal",
        json_schema_extra=_plausible(0.2, 0.6),
    )
    trust_transparency_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="weight of open accounts in members' trust signal",
        json_schema_extra=_plausible(0.3, 0.7),
    )
    trust_leak_weight: float = Field(
        3.0,
        ge=0,
        le=10,
        description="trust signal lost per unit of leak rate members see",
        json_schema_extra=_plausible(1.5, 4.5),
    )
    trust_debt_penalty: float = Field(
        0.3,
        ge=0,
        le=1,
        description="trust signal lost while the coop is in debt",
        json_schema_extra=_plausible(0.15, 0.45),
    )
    trust_audit_bonus: float = Field(
        0.1,
        ge=0,
        le=1,
        description="trust signal gained from a clean, published audit",
        json_schema_extra=_plausible(0.05, 0.2),
    )
    trust_word_of_mouth: float = Field(
        0.5,
        ge=0,
        le=1,
        description="speed of non-members' trust towards members' (x learning)",
        json_schema_extra=_plausible(0.25, 0.75),
    )
    shell_trust_loss: float = Field(
        0.2,
        ge=0,
        le=1,
        description="trust lost by members when their coop becomes a shell",
        json_schema_extra=_plausible(0.1, 0.3),
    )
    expectation_weight: float = Field(
        0.5,
        gt=0,
        le=1,
        description="weight of this year's market in expected rents (share)",
        json_schema_extra=_plausible(0.3, 0.7),
    )
    # land market (second-price auctions per plot)
    distance_cost: float = Field(
        5,
        ge=0,
        description="bid reduction per plot of distance (yuan/mu)",
        json_schema_extra=_plausible(2, 10),
    )
    kin_ties_mean: float = Field(
        2.59,
        ge=0,
        le=20,
        description="kin ties of a household within its village (ties)",
        json_schema_extra=_plausible(1.5, 3.0),
    )
    kin_lease_value: float = Field(
        1111,
        ge=0,
        description="value to a holder of lending land to the closest kin (yuan/mu)",
        json_schema_extra=_plausible(900, 1400),
    )
    lease_years_min: int = Field(
        3,
        ge=1,
        le=30,
        description="shortest written household lease (years)",
        json_schema_extra=_plausible(2, 5),
    )
    lease_years_max: int = Field(
        8,
        ge=1,
        le=30,
        description="longest written household lease (years)",
        json_schema_extra=_plausible(6, 12),
    )
    bidder_max_head_age: float = Field(
        65,
        ge=30,
        le=100,
        description="oldest lessee head (years)",
        json_schema_extra=_plausible(60, 70),
    )
    lessee_mu_per_worker: float = Field(
        15,
        gt=0,
        description="land a lessee household can manage per full resident worker, own and "
        "leased (mu)",
        json_schema_extra=_plausible(10, 25),
    )
    oral_lease_share: float = Field(
        0.7,
        ge=0,
        le=1,
        description="share of leases to strangers that are oral, renewed year by year",
        json_schema_extra=_plausible(0.5, 0.9),
    )
    local_work_days: float = Field(
        100,
        ge=0,
        description="days a year a full worker can give to local day work besides "
        "farming (days/yr)",
        json_schema_extra=_plausible(60, 140),
    )
    local_job_days: float = Field(
        12,
        ge=0,
        description="local non-farm day work on offer per resident aged 18-64 (days/yr)",
        json_schema_extra=_plausible(10, 40),
    )
    lease_rent_initial: float = Field(
        800,
        ge=0,
        description="flat-land rent expected before any market (yuan/mu)",
        json_schema_extra=_plausible(750, 930),
    )
    lease_rent_initial_hilly: float = Field(
        100,
        ge=0,
        description="hilly-land rent expected before any market (yuan/mu)",
        json_schema_extra=_plausible(0, 200),
    )
    scale_cost_cut: float = Field(
        0.15,
        ge=0,
        le=0.9,
        description="cost cut of scale farmers and coops at full scale",
        json_schema_extra=_plausible(0.1, 0.2),
    )
    # cooperative behaviour
    coop_scale_share: float = Field(
        0.3,
        gt=0,
        le=1,
        description="share of village land for full economies of scale",
        json_schema_extra=_plausible(0.2, 0.4),
    )
    coop_price_premium: float = Field(
        0.1,
        ge=0,
        le=1,
        description="better price from collective marketing (share of value)",
        json_schema_extra=_plausible(0.05, 0.15),
    )
    coop_labour_days: float = Field(
        3, ge=0, description="mechanized labour (days/mu)", json_schema_extra=_plausible(2, 5)
    )
    coop_overhead_per_mu: float = Field(
        120,
        ge=0,
        description="management cost at zero standardization (yuan/mu)",
        json_schema_extra=_plausible(80, 160),
    )
    coop_risk_margin: float = Field(
        1.0,
        ge=0,
        le=5,
        description="weather risk a coop wants a plot's expected margin to cover (sd of the "
        "harvest's value)",
        json_schema_extra=_plausible(0.5, 2.0),
    )
    coop_credit_per_mu: float = Field(
        200,
        ge=0,
        description="credit a coop can draw before it is insolvent, per mu of village land "
        "(yuan/mu)",
        json_schema_extra=_plausible(100, 300),
    )
    coop_span_share: float = Field(
        0.6,
        gt=0,
        le=1,
        description="share of village land one coop's managers can run",
        json_schema_extra=_plausible(0.4, 0.8),
    )
    coop_min_member_share: float = Field(
        0.03,
        ge=0,
        le=1,
        description="members who take part (share of village households) a coop needs",
        json_schema_extra=_plausible(0.02, 0.05),
    )
    coop_fail_years: int = Field(
        3,
        ge=1,
        le=30,
        description="years in debt beyond the tolerance before a coop fails",
        json_schema_extra=_plausible(2, 5),
    )
    coop_debt_tolerance: float = Field(
        50,
        ge=0,
        description="debt per mu operated a coop carries without counting insolvent (yuan/mu)",
        json_schema_extra=_plausible(25, 100),
    )
    fragmentation_cost: float = Field(
        200,
        ge=0,
        description="coop's cost of a plot with no pooled neighbour (yuan/mu)",
        json_schema_extra=_plausible(100, 300),
    )
    bonus_sd_share: float = Field(
        0.5,
        ge=0,
        le=5,
        description="members' uncertainty about a dividend (sd as share of it)",
        json_schema_extra=_plausible(0.25, 0.75),
    )
    leakage_max: float = Field(
        0.3,
        ge=0,
        le=1,
        description="share of the coop's surplus leaking at zero transparency",
        json_schema_extra=_plausible(0.15, 0.45),
    )
    oversight_effect: float = Field(
        0.6,
        ge=0,
        le=1,
        description="leakage cut when every member engages (share)",
        json_schema_extra=_plausible(0.4, 0.8),
    )
    audit_recovery: float = Field(
        0.7,
        ge=0,
        le=1,
        description="share of leaked money an audit recovers",
        json_schema_extra=_plausible(0.5, 0.9),
    )
    audit_learning: float = Field(
        0.15,
        ge=0,
        le=1,
        description="transparency gained from an audit (share of gap to 1)",
        json_schema_extra=_plausible(0.05, 0.25),
    )
    standard_speed: float = Field(
        0.3,
        ge=0,
        le=1,
        description="gap to full standards a full-strength policy closes a year",
        json_schema_extra=_plausible(0.15, 0.45),
    )
    pro_standard_speed: float = Field(
        0.3,
        ge=0,
        le=1,
        description="gap to full standards professional managers close a year",
        json_schema_extra=_plausible(0.15, 0.45),
    )
    pro_transparency_speed: float = Field(
        0.1,
        ge=0,
        le=1,
        description="gap to full openness professional managers close a year",
        json_schema_extra=_plausible(0.05, 0.2),
    )
    pro_cost_cut: float = Field(
        0.05,
        ge=0,
        le=0.5,
        description="production cost cut by professional managers (share)",
        json_schema_extra=_plausible(0.02, 0.1),
    )
    engagement_base: float = Field(
        -2.0, description="engagement logit intercept", json_schema_extra=_plausible(-3.0, -1.0)
    )
    engagement_stake: float = Field(
        2.5,
        ge=0,
        description="engagement logit per 300 yuan/mu performance pay",
        json_schema_extra=_plausible(1.5, 3.5),
    )
    engagement_voice: float = Field(
        1.5,
        ge=0,
        description="engagement logit per unit voice",
        json_schema_extra=_plausible(0.75, 2.25),
    )
    engagement_trust: float = Field(
        3.0,
        ge=0,
        description="engagement logit per unit trust",
        json_schema_extra=_plausible(2.0, 4.0),
    )
    transparency_base: float = Field(
        0.2,
        ge=0,
        le=1,
        description="coop transparency/standardization with the weakest branch",
        json_schema_extra=_plausible(0.1, 0.3),
    )
    transparency_slope: float = Field(
        0.6,
        ge=0,
        le=1,
        description="extra transparency/standardization per unit branch strength",
        json_schema_extra=_plausible(0.4, 0.8),
    )
    founding_rate: float = Field(
        0.4,
        ge=0,
        le=1,
        description="yearly chance a branch appraises founding a coop (1/yr)",
        json_schema_extra=_plausible(0.2, 0.6),
    )
    founding_hurdle: float = Field(
        100,
        ge=0,
        description="expected yearly profit a branch needs to found, per mu of village "
        "land (yuan/mu/yr)",
        json_schema_extra=_plausible(50, 200),
    )
    appraisal_sd: float = Field(
        0.3,
        ge=0,
        le=3,
        description="error of a branch's profit appraisal (sd, share)",
        json_schema_extra=_plausible(0.15, 0.45),
    )
    # management standards, voice and the branch (docs/ODD.md 7.5, 7.8, 7.13)
    bookkeeping_cost_per_mu: float = Field(
        30,
        ge=0,
        description="a coop's cost of keeping its own books to full standard, per mu it "
        "operates (yuan/mu/yr)",
        json_schema_extra=_plausible(15, 60),
    )
    meeting_quorum: float = Field(
        0.3,
        ge=0,
        le=1,
        description="share of members who must engage for the members' meeting to decide "
        "the payout",
        json_schema_extra=_plausible(0.15, 0.5),
    )
    board_retention: float = Field(
        0.5,
        ge=0,
        le=1,
        description="share of the members' dividends a board keeps for the collective when "
        "no meeting or supervisor holds it to the rule",
        json_schema_extra=_plausible(0.25, 0.75),
    )
    strength_result_weight: float = Field(
        0.05,
        ge=0,
        le=1,
        description="change of branch strength a year from its coop's results (0-1 per yr)",
        json_schema_extra=_plausible(0.02, 0.1),
    )
    strength_result_scale: float = Field(
        200,
        gt=0,
        description="coop profit per mu that moves branch strength halfway (yuan/mu)",
        json_schema_extra=_plausible(100, 400),
    )
    cadre_turnover_rate: float = Field(
        0.1,
        ge=0,
        le=1,
        description="yearly chance a branch gets a new secretary (1/yr)",
        json_schema_extra=_plausible(0.05, 0.2),
    )
    training_speed: float = Field(
        0.1,
        ge=0,
        le=1,
        description="gap to full strength that full cadre training closes a year",
        json_schema_extra=_plausible(0.05, 0.2),
    )
    management_pull: float = Field(
        0.2,
        ge=0,
        le=1,
        description="share of the gap to what its branch brings that a coop's management "
        "closes a year",
        json_schema_extra=_plausible(0.1, 0.3),
    )
    governance_speed: float = Field(
        0.4,
        ge=0,
        le=1,
        description="gap to full standards and openness a third-party governance body "
        "closes a year",
        json_schema_extra=_plausible(0.2, 0.6),
    )
    # a value-adding activity beyond grain (processing, a brand)
    venture_revenue_per_mu: float = Field(
        500,
        ge=0,
        description="value the activity adds per mu of produce it processes (yuan/mu)",
        json_schema_extra=_plausible(300, 700),
    )
    venture_cost_per_mu: float = Field(
        350,
        ge=0,
        description="the activity's operating cost per mu processed (yuan/mu)",
        json_schema_extra=_plausible(250, 450),
    )
    venture_capital_per_mu: float = Field(
        1000,
        gt=0,
        description="capital the activity needs per mu it processes (yuan/mu)",
        json_schema_extra=_plausible(500, 2000),
    )
    venture_risk_sd: float = Field(
        0.4,
        ge=0,
        le=3,
        description="yearly market risk of the activity's value added (sd of log)",
        json_schema_extra=_plausible(0.2, 0.6),
    )
    venture_depreciation: float = Field(
        0.1,
        ge=0,
        le=1,
        description="share of the activity's capital worn out a year (1/yr)",
        json_schema_extra=_plausible(0.05, 0.15),
    )
    # service firm
    firm_labour_days: float = Field(
        1.0,
        ge=0,
        description="firm's field labour per mu farmed (days/mu)",
        json_schema_extra=_plausible(0.5, 1.5),
    )
    firm_target_margin: float = Field(
        0.05,
        ge=0,
        le=1,
        description="markup over unit cost the firm prices towards (share)",
        json_schema_extra=_plausible(0.02, 0.1),
    )
    firm_price_adjust: float = Field(
        0.3,
        ge=0,
        le=1,
        description="share of the gap to its target price closed a year",
        json_schema_extra=_plausible(0.15, 0.45),
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
    founding_spread_years: int = Field(
        3,
        ge=1,
        le=30,
        description="years over which branches found their coops when all found (the "
        "strongest first)",
        json_schema_extra=_plausible(1, 5),
    )
    founding_min_strength: float = Field(
        0.0,
        ge=0,
        le=1,
        description="only villages with branch strength at least this found",
        json_schema_extra=_plausible(0.0, 0.6),
    )
    benefit_rule: Literal[
        "fixed_rent", "guaranteed_dividend", "shareholding", "guaranteed_rebate"
    ] = Field("guaranteed_dividend", description="benefit-sharing rule name")
    fixed_rent: float = Field(
        700,
        ge=0,
        description="fixed-rent rule payment (yuan/mu/yr)",
        json_schema_extra=_plausible(500, 930),
    )
    guaranteed_rent: float = Field(
        800,
        ge=0,
        description="guaranteed minimum (yuan/mu/yr)",
        json_schema_extra=_plausible(400, 900),
    )
    rebate_basis: Literal["labour", "sales"] = Field("labour", description="second rebate basis")
    reserve_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="profit share to reserve fund",
        json_schema_extra=_plausible(0.05, 0.15),
    )
    collective_share: float = Field(
        0.1,
        ge=0,
        le=1,
        description="profit share to collective",
        json_schema_extra=_plausible(0.05, 0.2),
    )
    member_share: float = Field(
        0.8,
        ge=0,
        le=1,
        description="profit share to members",
        json_schema_extra=_plausible(0.6, 0.9),
    )
    coop_lease_years_min: int = Field(
        3,
        ge=1,
        le=30,
        description="shortest coop lease term (years)",
        json_schema_extra=_plausible(1, 5),
    )
    coop_lease_years: int = Field(
        6,
        ge=1,
        le=30,
        description="longest coop lease term (years)",
        json_schema_extra=_plausible(3, 10),
    )
    coop_wage_day: float = Field(
        100,
        ge=0,
        description="coop wage to older villagers (yuan/day)",
        json_schema_extra=_plausible(80, 150),
    )
    coop_social_mission: float = Field(
        100,
        ge=0,
        description="loss per mu a coop accepts to keep land farmed (yuan/mu)",
        json_schema_extra=_plausible(0, 200),
    )
    coop_mission_share: float = Field(
        0.2,
        ge=0,
        le=1,
        description="share of the expected surplus on its paying land a coop spends keeping "
        "loss-making land farmed",
        json_schema_extra=_plausible(0.0, 0.4),
    )
    reserve_cap_per_mu: float = Field(
        300,
        ge=0,
        description="reserve fund a coop keeps per mu it operates; above it the reserve is "
        "reinvested or paid out (yuan/mu)",
        json_schema_extra=_plausible(150, 600),
    )
    value_adding: bool = Field(
        False,
        description="coops reinvest reserves above the cap in a value-adding activity "
        "(processing, a brand)",
    )
    startup_grant: float = Field(
        50_000,
        ge=0,
        description="one-off grant per new coop (yuan)",
        json_schema_extra=_plausible(0, 100000),
    )
    subsidy_per_mu: float = Field(
        100, ge=0, description="coop subsidy (yuan/mu/yr)", json_schema_extra=_plausible(0, 200)
    )
    farmland_subsidy_per_mu: float = Field(
        125,
        ge=0,
        description="farmland fertility-protection subsidy paid to contract holders (yuan/mu/yr)",
        json_schema_extra=_plausible(70, 150),
    )
    farmland_subsidy_conditional: bool = Field(
        True, description="the farmland subsidy is paid only on land that is cultivated"
    )
    mobile_land_share: float = Field(
        0.05,
        ge=0,
        le=1,
        description="most land a village collective keeps as mobile land; the rest it "
        "contracts out again (share of village land)",
        json_schema_extra=_plausible(0.0, 0.1),
    )
    subsidy_years: int = Field(
        3,
        ge=0,
        le=100,
        description="years a coop receives the subsidy",
        json_schema_extra=_plausible(0, 6),
    )
    government_budget: float = Field(
        2_000_000,
        ge=0,
        description="town budget (yuan/yr)",
        json_schema_extra=_plausible(500000, 4000000),
    )
    audit_rate: float = Field(
        0.0,
        ge=0,
        le=1,
        description="yearly chance a coop is audited",
        json_schema_extra=_plausible(0.0, 1.0),
    )
    audit_disclosure: bool = Field(True, description="audit findings disclosed to villagers")
    audit_cost: float = Field(
        5_000,
        ge=0,
        description="cost of one audit (yuan)",
        json_schema_extra=_plausible(2000, 10000),
    )
    management_standard: float = Field(
        0.0,
        ge=0,
        le=1,
        description="strength of the management-standard policy (0-1)",
        json_schema_extra=_plausible(0.0, 1.0),
    )
    cadre_training: float = Field(
        0.0,
        ge=0,
        le=1,
        description="strength of the town's training of branch cadres (0-1)",
        json_schema_extra=_plausible(0.0, 1.0),
    )
    cadre_appraisal: bool = Field(
        False,
        description="the town appraises branch secretaries on their coop's results and "
        "replaces those whose coops lose money",
    )
    third_party_governance: bool = Field(
        False,
        description="an independent governance body keeps coops' accounts, audits them "
        "every year and supervises payouts",
    )
    governance_fee: float = Field(
        40,
        ge=0,
        description="a coop's fee to the governance body for accounts, audit and "
        "supervision, per mu it operates (yuan/mu/yr)",
        json_schema_extra=_plausible(20, 60),
    )
    firm_enabled: bool = Field(False, description="a third-party service firm operates")
    custody_price: float = Field(
        1000,
        ge=0,
        description="custody price the firm starts from (yuan/mu/yr)",
        json_schema_extra=_plausible(800, 1200),
    )
    custody_cost_cut: float = Field(
        0.175,
        ge=0,
        le=0.9,
        description="firm's cash-cost cut vs a household (share)",
        json_schema_extra=_plausible(0.15, 0.2),
    )
    firm_capacity_initial: float = Field(
        0.05,
        ge=0,
        le=1,
        description="firm capacity at start (share of town land)",
        json_schema_extra=_plausible(0.02, 0.1),
    )
    firm_capacity_growth: float = Field(
        0.3,
        ge=0,
        le=1,
        description="share of the gap to demand closed a year while profitable",
        json_schema_extra=_plausible(0.15, 0.45),
    )
    professional_management: bool = Field(
        False, description="coops hire the firm's professional managers"
    )
    pro_management_fee: float = Field(
        40,
        ge=0,
        description="professional management (yuan/mu)",
        json_schema_extra=_plausible(20, 60),
    )

    @model_validator(mode="after")
    def _split(self) -> Levers:
        total = self.reserve_share + self.collective_share + self.member_share
        if abs(total - 1.0) > 1e-9:
            raise ValueError(
                "reserve_share + collective_share + member_share must sum to 1, got "
                f"{self.reserve_share} + {self.collective_share} + {self.member_share} = {total:g}"
            )
        if self.coop_lease_years < self.coop_lease_years_min:
            raise ValueError(
                f"coop_lease_years ({self.coop_lease_years}) must be at least "
                f"coop_lease_years_min ({self.coop_lease_years_min})"
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
    seed: int = Field(
        20190101, ge=0, le=limits.SEED_MAX, description="root seed for replicate seeds"
    )


class Params(_Section):
    """All inputs of one model run."""

    world: World = Field(default_factory=World)
    assumptions: Assumptions = Field(default_factory=Assumptions)
    levers: Levers = Field(default_factory=Levers)
    timeline: list[Event] = Field(default_factory=list)
    run: RunSettings = Field(default_factory=RunSettings)

    @model_validator(mode="after")
    def _timeline(self) -> Params:
        """Each event inside the run and changing known levers or assumptions; the changes of
        every year valid on top of the years before (:func:`timeline_failures`, the way a run
        applies them). Linear in the number of events."""
        for i, event in enumerate(self.timeline):
            if event.year > self.run.years:
                raise ValueError(
                    f"timeline[{i}].year ({event.year}) is after the last year of the run "
                    f"(run.years = {self.run.years})"
                )
            for key in event.set:
                section, _, name = key.partition(".")
                if section not in TIMELINE_SECTIONS or name not in _FIELDS[section]:
                    if retired(key):
                        raise ValueError(f"timeline[{i}].set key {key!r}: {retired(key)}")
                    raise ValueError(
                        f"timeline[{i}].set key {key!r} is not a lever or assumption "
                        "(use 'levers.NAME' or 'assumptions.NAME')"
                    )
        steps = [(i, e.year, e.set) for i, e in enumerate(self.timeline)]
        for failure in timeline_failures(self, steps):
            raise ValueError(f"timeline, year {failure.year}: {failure.error}")
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


#: the sections a timeline event may change
TIMELINE_SECTIONS = ("levers", "assumptions")


def merged_changes(sets: Iterable[dict[str, Any]]) -> dict[str, Any]:
    """The ``set`` tables of events that take effect together (one year), merged in order: a
    later event wins. This is how a run applies a year's events."""
    return {key: value for table in sets for key, value in table.items()}


@dataclass(frozen=True)
class TimelineFailure:
    """A year whose changes break a rule of a section: its events (by index) and the error."""

    year: int
    events: tuple[int, ...]
    section: str
    changes: dict[str, Any]
    error: ValidationError


def timeline_failures(
    params: Params, steps: Iterable[tuple[int, int, dict[str, Any]]], strict: bool = False
) -> list[TimelineFailure]:
    """Apply a timeline year by year, as a run does, and return every year that breaks a rule.

    Args:
        params: the parameters the run starts from (its levers and assumptions).
        steps: ``(index, year, set)`` of each event whose keys are known levers or assumptions.
        strict: validate as scenario files are (no conversions between types).

    A year's events are merged in order (:func:`merged_changes`) and each section they change
    is validated with the changes of the years before, so the check sees exactly the values
    the run will use. A failing year's changes to that section are left out. Each year
    validates each section once: linear in the number of events.
    """
    current = {s: getattr(params, s).model_dump() for s in TIMELINE_SECTIONS}
    failures = []
    ordered = sorted(steps, key=lambda step: step[1])  # stable: file order within a year
    for year, group in itertools.groupby(ordered, key=lambda step: step[1]):
        group = list(group)
        by_section: dict[str, dict[str, Any]] = {}
        for key, value in merged_changes(table for _, _, table in group).items():
            section, _, name = key.partition(".")
            by_section.setdefault(section, {})[name] = value
        for section, new in by_section.items():
            try:
                valid = _SECTIONS[section].model_validate(
                    {**current[section], **new}, strict=strict
                )
            except ValidationError as err:
                events = tuple(
                    i for i, _, table in group if any(k.startswith(f"{section}.") for k in table)
                )
                failures.append(TimelineFailure(year, events, section, new, err))
                continue
            current[section] = valid.model_dump()
    return failures


def apply_changes(
    params: Params,
    changes: dict[str, Any],
    keep_timeline: bool = True,
    check_timeline: bool = True,
) -> Params:
    """Return a validated copy of ``params`` with dotted keys (``levers.audit_rate``) changed.

    Args:
        params: the parameters to change.
        changes: dotted keys and their new values.
        keep_timeline: keep the timeline (else the copy has none).
        check_timeline: check the kept timeline again against the changed values; a model
            applying its own (already checked) events passes False, so that applying every
            event of a long timeline stays linear in its length.

    Raises:
        ValueError: for an unknown key or an invalid value (pydantic's ValidationError).
    """
    data = params.model_dump(exclude={"timeline"})
    for key, value in changes.items():
        section, _, name = key.partition(".")
        if section not in _FIELDS or name not in _FIELDS[section]:
            note = retired(key)
            raise ValueError(f"{key!r}: {note}" if note else f"unknown parameter {key!r}")
        data[section][name] = value
    if not keep_timeline:
        return Params.model_validate(data)
    if not check_timeline:
        return Params.model_validate(data).model_copy(update={"timeline": params.timeline})
    data["timeline"] = [event.model_dump() for event in params.timeline]
    return Params.model_validate(data)


def params_from_flat(params: Params | None = None, **flat: Any) -> Params:
    """Build ``Params`` from an optional base and flat keyword overrides (``audit_rate=0.3``)."""
    base = params if params is not None else Params()
    unknown = sorted(k for k in flat if k not in FLAT_KEYS)
    gone = [f"{k}: {retired(k)}" for k in unknown if retired(k)]
    if gone:
        raise TypeError("; ".join(gone))
    if unknown:
        raise TypeError(f"unknown model parameter(s): {', '.join(unknown)}")
    if not flat:
        return base
    data = base.model_dump()
    for key, value in flat.items():
        data[FLAT_KEYS[key]][key] = value
    return Params.model_validate(data)


def plausible_ranges(*sections: str) -> dict[str, tuple[float, float]]:
    """Plausible range ``(lo, hi)`` of every field that declares one, by flat name.

    Args:
        *sections: restrict to these sections (``"world"``, ``"assumptions"``, ``"levers"``);
            all of them when empty.
    """
    out: dict[str, tuple[float, float]] = {}
    for section in sections or tuple(_SECTIONS):
        for name, info in _SECTIONS[section].model_fields.items():
            extra = info.json_schema_extra
            if isinstance(extra, dict) and "plausible" in extra:
                lo, hi = extra["plausible"]
                out[name] = (lo, hi)
    return out


def choices(*sections: str) -> dict[str, tuple[Any, ...]]:
    """The possible values of every choice field (``Literal`` or ``bool``), by flat name.

    Args:
        *sections: restrict to these sections; all of them when empty.
    """
    out: dict[str, tuple[Any, ...]] = {}
    for section in sections or tuple(_SECTIONS):
        for name, info in _SECTIONS[section].model_fields.items():
            if info.annotation is bool:
                out[name] = (False, True)
            elif get_origin(info.annotation) is Literal:
                out[name] = get_args(info.annotation)
    return out
