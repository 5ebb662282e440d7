"""People's decisions handed to the model for one step, checked in one place, and logged.

A :class:`Decisions` object says, for one farming year, what some agents do instead of
following the model's own rule; every other agent follows the model. It is how a class of
students plays the town (``landsim app --classroom``) and how a researcher asks "what if these
twenty households always lease their land to kin?" from Python::

    from landsim.decisions import Decisions
    m = LandModel(rng=1, coop_founding="all")
    for year in range(10):
        d = Decisions(plots={h: {p: "lease" for p in free_plots(m, h)} for h in chosen})
        m.step(decisions=d)
    m.decision_log_frame()   # who decided what, year by year

Parts:

* :class:`BranchChoice` — a Party branch secretary's choice for one village;
* :class:`Decisions` — plot choices by household, engagement in co-op meetings, branch choices
  by village, and changes to the town government's levers;
* :func:`check` and the ``check_*`` functions — the rules a decision must follow (own plots
  only, allowed options, lever ranges, finite numbers); they raise :class:`DecisionError`
  naming the rule and the value, and the app uses the same functions for each click;
* :func:`free_plots`, :func:`options`, :func:`field_days_needed` — what a household may decide
  this year.

Where in the year each part acts (:meth:`landsim.model.LandModel.step`): government levers at
the start of the year, after the scenario's dated events (so the government's choice wins);
branch choices when branches found cooperatives; plot choices replace the household rule's
:class:`~landsim.land_use.Choices` for exactly those plots; engagement replaces the drawn
engagement of those co-op members. A plot a household releases is never farmed by it as a
fall-back (it chose not to farm); a plot it keeps beyond its labour (after this year's aging)
lies idle. Keeping plots is checked against the household's field days before the step.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from landsim.columns import column
from landsim.params import SHARING_RULES, Levers
from landsim.villages import ACTIVE
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE

if TYPE_CHECKING:
    from landsim.model import LandModel

__all__ = [
    "PLOT_CHOICES",
    "GOVERNMENT_LEVERS",
    "BRANCH_LEVERS",
    "DecisionError",
    "BranchChoice",
    "Decisions",
    "free_plots",
    "options",
    "field_days_needed",
    "check_plots",
    "check_engagement",
    "check_branch",
    "check_government",
    "check",
    "branch_terms",
    "DecisionLog",
    "LOG_COLUMNS",
    "ROLES",
]

#: plot choice -> channel code of :class:`~landsim.land_use.Choices` (-1: farm it oneself)
PLOT_CHOICES: dict[str, int] = {
    "keep": -1,
    "lease": HOUSEHOLD_LEASE,
    "coop": COOP,
    "custody": CUSTODY,
}
#: levers the town government sets, with their allowed ranges (those of the app's sliders)
GOVERNMENT_LEVERS: dict[str, tuple[float, float]] = {
    "subsidy_per_mu": (0.0, 500.0),
    "subsidy_years": (0.0, 15.0),
    "audit_rate": (0.0, 1.0),
}
#: numeric levers a branch secretary sets for its village's co-op, with their ranges
BRANCH_LEVERS: dict[str, tuple[float, float]] = {
    "guaranteed_rent": (0.0, 1500.0),
    "fixed_rent": (0.0, 1500.0),
    "member_share": (0.0, 1.0),
}


class DecisionError(ValueError):
    """A decision breaks a rule (the message names the rule and the value)."""


@dataclass(frozen=True)
class BranchChoice:
    """A Party branch secretary's choice for one village.

    Attributes:
        found: found a cooperative (if the village has none); False: found none this year.
        benefit_rule: the co-op's benefit-sharing rule (None: the town's lever).
        guaranteed_rent: guaranteed minimum (yuan/mu/yr) of the guaranteed rules, or None.
        fixed_rent: rent of the fixed-rent rule (yuan/mu/yr), or None.
        member_share: members' share of profit; reserve and collective share the rest in the
            town's proportion (None: the town's split).
    """

    found: bool = True
    benefit_rule: str | None = None
    guaranteed_rent: float | None = None
    fixed_rent: float | None = None
    member_share: float | None = None

    def lever_changes(self) -> dict[str, Any]:
        """The co-op's terms this choice sets, as flat lever names (unset ones left out)."""
        out = {
            k: getattr(self, k)
            for k in ("benefit_rule", "guaranteed_rent", "fixed_rent", "member_share")
            if getattr(self, k) is not None
        }
        return out


@dataclass(frozen=True)
class Decisions:
    """What some agents decide this year instead of following the model's rule.

    Attributes:
        plots: household index -> {plot index -> "keep" | "lease" | "coop" | "custody"}.
        engage: household index -> takes part in the co-op's meetings (members only).
        branches: village index -> :class:`BranchChoice`.
        government: lever name of :data:`GOVERNMENT_LEVERS` -> new value.
        who: optional labels for the log (``("household", 12)`` -> "Li Wei"), e.g. a
            student's name; the log shows the index when missing.
    """

    plots: Mapping[int, Mapping[int, str]] = field(default_factory=dict)
    engage: Mapping[int, bool] = field(default_factory=dict)
    branches: Mapping[int, BranchChoice] = field(default_factory=dict)
    government: Mapping[str, float] = field(default_factory=dict)
    who: Mapping[tuple[str, int], str] = field(default_factory=dict)

    def __bool__(self) -> bool:
        return bool(self.plots or self.engage or self.branches or self.government)

    def log_rows(self, year: int) -> list[dict[str, Any]]:
        """One row per decision: year, role, index, who, what, value."""
        rows = []

        def row(role, index, what, value):
            who = self.who.get((role, index), str(index))
            rows.append(
                {
                    "year": year,
                    "role": role,
                    "index": index,
                    "who": who,
                    "what": what,
                    "value": str(value),
                }
            )

        for h, plots in sorted(self.plots.items()):
            for plot, choice in sorted(plots.items()):
                row("household", h, f"plot {plot}", choice)
        for h, on in sorted(self.engage.items()):
            row("household", h, "engage", bool(on))
        for v, b in sorted(self.branches.items()):
            row("branch", v, "found", b.found)
            for k, value in b.lever_changes().items():
                row("branch", v, k, value)
        for k, value in sorted(self.government.items()):
            row("government", 0, k, value)
        return rows


def branch_terms(levers: Levers, choice: BranchChoice) -> Levers:
    """The town's ``levers`` with the co-op terms a branch ``choice`` sets (validated); a new
    members' share leaves reserve and collective the rest in the town's proportion."""
    data = {**levers.model_dump(), **choice.lever_changes()}
    if choice.member_share is not None:
        m = float(choice.member_share)
        r, c = levers.reserve_share, levers.collective_share
        data["reserve_share"] = (1 - m) * r / (r + c) if r + c > 0 else (1 - m) / 2
        data["collective_share"] = max(0.0, 1 - m - data["reserve_share"])
    return Levers.model_validate(data)


# ---------------------------------------------------------------------- what may be decided
def free_plots(model: LandModel, household: int) -> np.ndarray:
    """Plots ``household`` holds that no lease binds in the coming year: the ones it decides
    on now. A lease (or a year of custody) whose last season was the year just closed gives
    its plot back before the coming year's decision, so that plot is free too."""
    p = model.plots
    bound = p.leased() & (p.lease_end > model.year)
    return np.flatnonzero((p.holder == household) & ~bound)


def options(model: LandModel, household: int) -> tuple[str, ...]:
    """Plot choices open to ``household`` now: keep and lease always, the co-op when its
    village has an active one, custody when the service firm operates."""
    out = ["keep", "lease"]
    if model.villages.status[model.population.hh_village[household]] == ACTIVE:
        out.append("coop")
    if model.params.levers.firm_enabled:
        out.append("custody")
    return tuple(out)


def field_days_needed(model: LandModel, plots: np.ndarray) -> float:
    """Field days a household needs to farm ``plots`` itself this year."""
    a, p = model.params.assumptions, model.plots
    need = np.where(p.hilly[plots], a.labour_days_hilly, a.labour_days_flat)
    return float(need.sum() * model.params.world.plot_size_mu)


def _household(model: LandModel, household: Any) -> int:
    pop = model.population
    if isinstance(household, bool) or not isinstance(household, int | np.integer):
        raise DecisionError(f"a household must be a whole number, got {household!r}")
    h = int(household)
    if not 0 <= h < pop.n_households or not pop.hh_alive[h]:
        raise DecisionError(f"household {h} does not exist (or has died out)")
    return h


def _number(name: str, value: Any, lo: float, hi: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.number):
        raise DecisionError(f"{name} must be a number, got {value!r}")
    x = float(value)
    if not math.isfinite(x) or not lo <= x <= hi:
        raise DecisionError(f"{name} must be between {lo:g} and {hi:g}, got {value!r}")
    return x


# ---------------------------------------------------------------------- the rules
def check_plots(model: LandModel, household: Any, plots: Mapping[Any, Any]) -> None:
    """Household ``household`` decides only on its own free plots, with options open to it,
    and keeps no more than its field days can farm.

    Raises:
        DecisionError: naming the plot and the rule it breaks.
    """
    h = _household(model, household)
    free = set(free_plots(model, h).tolist())
    allowed = options(model, h)
    kept = []
    for plot, choice in plots.items():
        if isinstance(plot, bool) or not isinstance(plot, int | np.integer):
            raise DecisionError(f"a plot must be a whole number, got {plot!r}")
        if int(plot) not in free:
            if 0 <= int(plot) < model.plots.n and model.plots.holder[int(plot)] == h:
                raise DecisionError(f"plot {plot} is under a running lease this year")
            raise DecisionError(f"plot {plot} is not a plot of household {h}")
        if choice not in PLOT_CHOICES:
            raise DecisionError(
                f"plot {plot}: choice must be one of {', '.join(PLOT_CHOICES)}, got {choice!r}"
            )
        if choice not in allowed:
            raise DecisionError(f"plot {plot}: {choice!r} is not open to household {h} this year")
        if choice == "keep":
            kept.append(int(plot))
    if kept:
        need = field_days_needed(model, np.array(kept))
        have = float(model.field_days()[h])
        if need > have + 1e-9:
            raise DecisionError(
                f"household {h} can farm plots needing {have:.0f} field days this year; "
                f"keeping {len(kept)} plots needs {need:.0f}"
            )


def check_engagement(model: LandModel, household: Any, engage: Any) -> None:
    """Engagement is a yes or no of a living household.

    Raises:
        DecisionError: for another value or an unknown household.
    """
    _household(model, household)
    if not isinstance(engage, bool | np.bool_):
        raise DecisionError(f"engage must be true or false, got {engage!r}")


def check_branch(model: LandModel, village: Any, choice: Any) -> None:
    """A branch choice names an existing village, a known rule and levers within range.

    Raises:
        DecisionError: naming the lever and the value.
    """
    n_v = model.params.world.n_villages
    if isinstance(village, bool) or not isinstance(village, int | np.integer):
        raise DecisionError(f"a village must be a whole number, got {village!r}")
    if not 0 <= int(village) < n_v:
        raise DecisionError(f"village must be between 0 and {n_v - 1}, got {village}")
    if not isinstance(choice, BranchChoice):
        raise DecisionError(f"a branch decision must be a BranchChoice, got {choice!r}")
    if not isinstance(choice.found, bool | np.bool_):
        raise DecisionError(f"found must be true or false, got {choice.found!r}")
    if choice.benefit_rule is not None and choice.benefit_rule not in SHARING_RULES:
        raise DecisionError(
            f"benefit_rule must be one of {', '.join(SHARING_RULES)}, got {choice.benefit_rule!r}"
        )
    for name, (lo, hi) in BRANCH_LEVERS.items():
        value = getattr(choice, name)
        if value is not None:
            _number(name, value, lo, hi)


def check_government(model: LandModel, changes: Mapping[Any, Any]) -> None:
    """The government sets only its levers, within their ranges (years whole).

    Raises:
        DecisionError: naming the lever and the value.
    """
    for name, value in changes.items():
        if name not in GOVERNMENT_LEVERS:
            raise DecisionError(f"the government sets {', '.join(GOVERNMENT_LEVERS)}; not {name!r}")
        x = _number(name, value, *GOVERNMENT_LEVERS[name])
        if name == "subsidy_years" and x != int(x):
            raise DecisionError(f"subsidy_years must be a whole number, got {value!r}")


def check(model: LandModel, decisions: Decisions) -> None:
    """Check every part of ``decisions`` against the model's present state.

    Raises:
        DecisionError: at the first decision that breaks a rule.
    """
    if not isinstance(decisions, Decisions):
        raise DecisionError(f"decisions must be a Decisions object, got {decisions!r}")
    for h, plots in decisions.plots.items():
        check_plots(model, h, plots)
    for h, on in decisions.engage.items():
        check_engagement(model, h, on)
    for v, b in decisions.branches.items():
        check_branch(model, v, b)
    check_government(model, decisions.government)


#: the decision log's columns (``LandModel.decision_log``) and their types
LOG_COLUMNS: dict[str, type] = {
    "year": int,
    "role": str,
    "index": int,
    "who": str,
    "what": str,
    "value": str,
}
#: who decides: the role of a row of the decision log
ROLES = ("household", "branch", "government")
_D = ("decisions",)


@dataclass
class DecisionLog:
    """The decision log as arrays, one entry per decision (how checkpoints store it)."""

    year: np.ndarray = column(np.int64, _D, (1, "max_year"), variable=True)
    role: np.ndarray = column(np.int8, _D, (0, len(ROLES) - 1), variable=True)
    index: np.ndarray = column(np.int64, _D, (0, "operators"), variable=True)
    who: np.ndarray = column("U", _D, None, variable=True)
    what: np.ndarray = column("U", _D, None, variable=True)
    value: np.ndarray = column("U", _D, None, variable=True)

    @classmethod
    def from_rows(cls, rows: list[dict[str, Any]]) -> DecisionLog:
        """The log of ``rows`` (dicts with the keys of :data:`LOG_COLUMNS`)."""

        def text(key: str) -> np.ndarray:
            return np.array([r[key] for r in rows], dtype=str).reshape(len(rows))

        return cls(
            year=np.array([r["year"] for r in rows], dtype=np.int64),
            role=np.array([ROLES.index(r["role"]) for r in rows], dtype=np.int8),
            index=np.array([r["index"] for r in rows], dtype=np.int64),
            who=text("who"),
            what=text("what"),
            value=text("value"),
        )

    def rows(self) -> list[dict[str, Any]]:
        """The log as rows (dicts with the keys of :data:`LOG_COLUMNS`)."""
        return [
            {
                "year": int(y),
                "role": ROLES[int(r)],
                "index": int(i),
                "who": str(w),
                "what": str(t),
                "value": str(v),
            }
            for y, r, i, w, t, v in zip(
                self.year, self.role, self.index, self.who, self.what, self.value, strict=True
            )
        ]
