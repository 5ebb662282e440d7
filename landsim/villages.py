"""The villages: each village's Party branch, land, lease expectations and cooperative, as arrays
with one entry per village.

A village has a Party branch of some strength, its land, and what its households expect from
offering a plot on the lease market; it may have a cooperative (党支部领办合作社), founded by its
branch, which operates until it fails into an empty shell. Every co-op quantity is an array
over villages (0 where the village has none); the co-op's benefit-sharing rule and the
branch's own terms are objects, one per village. The rules that change co-ops are in
:mod:`landsim.cooperatives`; Mesa users see a co-op as a :class:`landsim.views.Cooperative`.

Parts: the co-op status codes (``NONE``, ``ACTIVE``, ``EMPTY_SHELL``), :class:`Villages` and
:func:`build_villages`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from landsim.columns import AREA, COUNT, MONEY, PER_MU, SHARE, YEAR, column
from landsim.params import Assumptions, World

if TYPE_CHECKING:
    from landsim.params import Levers
    from landsim.sharing import SharingRule
    from landsim.world import Plots

__all__ = ["NONE", "ACTIVE", "EMPTY_SHELL", "STATUS_NAMES", "Villages", "build_villages"]

NONE = 0  #: the village has no cooperative
ACTIVE = 1  #: its cooperative operates
EMPTY_SHELL = 2  #: its cooperative failed and lingers as an empty shell
STATUS_NAMES = ("none", "active", "empty_shell")

_V = ("villages",)


@dataclass
class Villages:
    """Every village's branch, land, expectations and co-op (arrays indexed by village).

    Attributes:
        strength: strength of the Party branch (0-1); it changes with its co-op's results,
            training and new secretaries (:mod:`landsim.governance`).
        land_mu: the village's land (mu).
        lease_return: what households expect from offering a plot on the lease market, by
            terrain (``[:, 0]`` flat, ``[:, 1]`` hilly; yuan/mu), learned from past markets.
        job_chance: the chance of selling a day of local work that the village's households
            expect, learned from past years' day-labour markets (0-1).
        status: the co-op's status (``NONE``, ``ACTIVE``, ``EMPTY_SHELL``).
        founded: year the co-op was founded (-1: none).
        founding_strength: its branch's strength the year it founded the co-op (0: none).
        transparency: open accounts, audited books, member meetings (0-1).
        standardization: standard procedures and book-keeping; cuts overhead (0-1).
        insolvent_years: consecutive years in debt beyond its tolerance.
        expected_bonus: performance pay per mu members expect (yuan/mu).
        area: land operated this year (mu).
        members: member households this year.
        engaged_share: share of member households that engage.
        revenue, profit, leakage, subsidy: this year's (yuan).
        leak_rate: share of this year's surplus that leaked.
        audited: audited this year.
        found_leak_rate: leak rate an audit found and disclosed this year (0 if none).
        uses_firm: the service firm farmed its pool this year.
        meeting_held: enough members engaged for the members' meeting to decide this year's
            payout (the rule was followed).
        retained: members' dividends the board kept for the collective this year (yuan).
        venture_capital: capital in the co-op's value-adding activity (yuan).
        venture_income: the activity's net income this year (yuan; negative in a bad year).
        rules: the co-op's benefit-sharing rule (None: no co-op).
        terms: the branch's own terms (rule, rents, profit split) when a person set them (a
            class's branch secretary, :mod:`landsim.decisions`); None: the town's levers.
    """

    strength: np.ndarray = column(np.float64, _V, SHARE)
    land_mu: np.ndarray = column(np.float64, _V, AREA)
    lease_return: np.ndarray = column(np.float64, ("villages", 2), PER_MU)
    job_chance: np.ndarray = column(np.float64, _V, SHARE)
    status: np.ndarray = column(np.int8, _V, (0, len(STATUS_NAMES) - 1))
    founded: np.ndarray = column(np.int64, _V, YEAR)
    founding_strength: np.ndarray = column(np.float64, _V, SHARE)
    transparency: np.ndarray = column(np.float64, _V, SHARE)
    standardization: np.ndarray = column(np.float64, _V, SHARE)
    insolvent_years: np.ndarray = column(np.int64, _V, COUNT)
    expected_bonus: np.ndarray = column(np.float64, _V, PER_MU)
    area: np.ndarray = column(np.float64, _V, AREA)
    members: np.ndarray = column(np.int64, _V, (0, "households"))
    engaged_share: np.ndarray = column(np.float64, _V, SHARE)
    revenue: np.ndarray = column(np.float64, _V, MONEY)
    profit: np.ndarray = column(np.float64, _V, MONEY)
    leakage: np.ndarray = column(np.float64, _V, MONEY)
    leak_rate: np.ndarray = column(np.float64, _V, SHARE)
    subsidy: np.ndarray = column(np.float64, _V, MONEY)
    audited: np.ndarray = column(np.bool_, _V, None)
    found_leak_rate: np.ndarray = column(np.float64, _V, SHARE)
    uses_firm: np.ndarray = column(np.bool_, _V, None)
    meeting_held: np.ndarray = column(np.bool_, _V, None)
    retained: np.ndarray = column(np.float64, _V, MONEY)
    venture_capital: np.ndarray = column(np.float64, _V, MONEY)
    venture_income: np.ndarray = column(np.float64, _V, MONEY)
    rules: list[SharingRule | None] = field(default_factory=list)
    terms: list[Levers | None] = field(default_factory=list)

    @property
    def n(self) -> int:
        """Number of villages."""
        return self.strength.size

    def active(self) -> np.ndarray:
        """Villages whose co-op operates, in village order."""
        return np.flatnonzero(self.status == ACTIVE)

    def founded_order(self) -> np.ndarray:
        """Villages with a co-op (active or a shell), in the order they were founded."""
        has = np.flatnonzero(self.status != NONE)
        return has[np.argsort(self.founded[has], kind="stable")]


def build_villages(
    world: World,
    plots: Plots,
    a: Assumptions,
    rng: np.random.Generator,
    strength: np.ndarray | None = None,
) -> Villages:
    """The villages before the first year: branch strength as given (a region's) or
    ``Normal(branch_strength_mean, branch_strength_sd)`` clipped to 0-1, their land, the
    initial lease expectations (``lease_rent_initial``, ``lease_rent_initial_hilly``), and no
    co-ops."""
    n_v = world.n_villages
    if strength is None:
        sd = world.branch_strength_sd
        strength = np.clip(rng.normal(world.branch_strength_mean, sd, n_v), 0, 1)
    strength = np.asarray(strength, dtype=np.float64)
    z = np.zeros(n_v)
    return Villages(
        strength=strength,
        land_mu=np.bincount(plots.village, minlength=n_v) * world.plot_size_mu,
        lease_return=np.tile([a.lease_rent_initial, a.lease_rent_initial_hilly], (n_v, 1)),
        job_chance=z.copy(),
        status=np.zeros(n_v, dtype=np.int8),
        founded=np.full(n_v, -1, dtype=np.int64),
        founding_strength=z.copy(),
        transparency=z.copy(),
        standardization=z.copy(),
        insolvent_years=np.zeros(n_v, dtype=np.int64),
        expected_bonus=z.copy(),
        area=z.copy(),
        members=np.zeros(n_v, dtype=np.int64),
        engaged_share=z.copy(),
        revenue=z.copy(),
        profit=z.copy(),
        leakage=z.copy(),
        leak_rate=z.copy(),
        subsidy=z.copy(),
        audited=np.zeros(n_v, dtype=bool),
        found_leak_rate=z.copy(),
        uses_firm=np.zeros(n_v, dtype=bool),
        meeting_held=np.zeros(n_v, dtype=bool),
        retained=z.copy(),
        venture_capital=z.copy(),
        venture_income=z.copy(),
        rules=[None] * n_v,
        terms=[None] * n_v,
    )
