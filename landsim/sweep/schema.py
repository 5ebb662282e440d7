"""The keys an experiment file may hold, as the pydantic models that validate it (what a user
writes; :mod:`landsim.sweep.experiment` turns it into an :class:`~landsim.sweep.experiment.
Experiment`). Unknown keys are refused, numbers must be finite.

Parts: :class:`ExperimentFile` (the whole file), :class:`FactorSpec`, :class:`DesignSpec`,
:class:`RunSpecFile`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from landsim.limits import SEED_MAX
from landsim.metrics import MAIN_OUTCOMES

__all__ = ["ExperimentFile", "FactorSpec", "DesignSpec", "RunSpecFile"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False)


class FactorSpec(_Strict):
    """One factor as written.

    Either discrete ``values``, or a continuous ``range`` (with ``levels`` for a factorial).
    """

    values: list[Any] | None = Field(None, min_length=1)
    range: tuple[float, float] | None = None
    levels: int | None = Field(None, ge=2, le=1000)
    rebalance: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_of(self) -> FactorSpec:
        if (self.values is None) == (self.range is None):
            raise ValueError("give exactly one of 'values' (a list) or 'range' ([low, high])")
        if self.range is not None and not self.range[0] < self.range[1]:
            raise ValueError(f"range low must be below high, got {list(self.range)}")
        if self.levels is not None and self.range is None:
            raise ValueError("'levels' goes with 'range' (it spaces a range evenly)")
        return self


class DesignSpec(_Strict):
    """How design points are drawn."""

    kind: Literal["factorial", "latin", "sobol", "morris"]
    samples: int | None = Field(
        None,
        ge=1,
        le=10_000_000,
        validation_alias=AliasChoices("samples", "N"),
        description="latin: points; sobol: base samples N (power of 2); morris: trajectories",
    )
    second_order: bool = Field(False, description="sobol: also estimate second-order indices")
    levels: int = Field(4, ge=2, le=100, description="morris: grid levels")
    seed: int | None = Field(
        None, ge=0, le=SEED_MAX, description="sampling seed (defaults to run.seed)"
    )


class RunSpecFile(_Strict):
    """Replicates, seeds and horizon."""

    replicates: int = Field(1, ge=1, le=100_000)
    seed: int = Field(ge=0, le=SEED_MAX, description="root seed of every run's seed")
    years: int | None = Field(None, ge=1, le=500)
    seeds: Literal["independent", "common"] = Field(
        "independent",
        description="independent: each (point, replicate) its own seed; common: replicate r "
        "uses the same seed at every point (common random numbers)",
    )


class ExperimentFile(_Strict):
    """The whole experiment file."""

    name: str | None = None
    description: str = ""
    base: str | None = None
    outcomes: list[str] = Field(default_factory=lambda: list(MAIN_OUTCOMES), min_length=1)
    yearly: bool = False
    aggregates: list[Literal["mean", "min", "max"]] = Field(
        default_factory=list,
        description="also keep each outcome's mean/min/max over the years, as OUTCOME:STAT",
    )
    design: DesignSpec
    factors: dict[str, FactorSpec] = Field(min_length=1)
    run: RunSpecFile
    world: dict[str, Any] = Field(default_factory=dict)
    constants: dict[str, Any] = Field(default_factory=dict)
