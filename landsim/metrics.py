"""Outcomes reported every year: named, documented functions of the model's state.

Each function takes the model, reads the town's arrays (``m.plots``, ``m.population``,
``m.villages``, ``m.ledger``, ``m.town``) and returns one number for the current year. Shares
run from 0 (none) to 1 (all); money is in yuan of the year. :data:`METRICS` maps the column
names used everywhere in the project (DataFrames, scenario comparisons, sweeps, the app) to
functions.

The functions are the definitions (and the test oracle). The model observes a year with
:func:`observe`, which gives every outcome at once, bit for bit the functions' values, from
masks and sums computed once and shared (the idle plots, the held plots, the co-op members,
the heads' ages, ...), and keeps the years in an :class:`OutcomeTable`: one preallocated row
of numbers per year, turned into a DataFrame once when asked for. The table is a Mesa
``DataCollector`` (``collect``, ``model_vars``, ``get_model_vars_dataframe``, what Mesa's
``batch_run`` reads), so ``model.datacollector`` works as Mesa users expect.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import mesa
import numpy as np
import pandas as pd

from landsim import compiled, spatial
from landsim.cooperatives import members
from landsim.labour import WORK_AGE
from landsim.metrics_kernels import count_patches, land_counts
from landsim.villages import EMPTY_SHELL, NONE
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE, IDLE, KIND_NAMES, Plots

if TYPE_CHECKING:
    from landsim.model import LandModel

__all__ = [
    "METRICS",
    "gini",
    "patches",
    "observe",
    "land_counts_reference",
    "OutcomeTable",
    "INTEGER_METRICS",
    "MAIN_OUTCOMES",
    "FLOW_METRICS",
]


def gini(x: np.ndarray) -> float:
    """Gini coefficient of ``x`` (negatives clipped to 0): 0 equal, towards 1 concentrated."""
    x = np.sort(np.clip(np.asarray(x, dtype=float), 0, None))
    n = x.size
    if n == 0 or x.sum() <= 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * x.sum()) - (n + 1) / n)


def patches(plots: Plots) -> tuple[int, int]:
    """Number of operated plots and of contiguous patches with one operator (4-neighbour)."""
    key = plots.kind.astype(np.int64) * (plots.n + 1) + plots.operator + 1
    g = plots.grid(np.where(plots.kind == IDLE, -1, key))
    return count_patches(g) if compiled.enabled() else spatial.count_patches(g)


def abandonment_rate(m: LandModel) -> float:
    """Share of all plots left idle this year (0 none abandoned, 1 all)."""
    return float((m.plots.kind == IDLE).mean())


def abandonment_rate_hilly(m: LandModel) -> float:
    """Share of hilly plots left idle (0 if there is no hilly land)."""
    h = m.plots.hilly
    return float((m.plots.kind[h] == IDLE).mean()) if h.any() else 0.0


def abandonment_rate_flat(m: LandModel) -> float:
    """Share of flat plots left idle (0 if all land is hilly)."""
    f = ~m.plots.hilly
    return float((m.plots.kind[f] == IDLE).mean()) if f.any() else 0.0


def transfer_rate(m: LandModel) -> float:
    """Share of household-contracted plots whose operation right is transferred (leased to a
    household or to the coop); custody is not a transfer (the holder keeps the right)."""
    held = m.plots.holder >= 0
    if not held.any():
        return 0.0
    k = m.plots.kind[held]
    return float(((k == HOUSEHOLD_LEASE) | (k == COOP)).mean())


def _transfer_rate_where(m: LandModel, where: np.ndarray) -> float:
    held = (m.plots.holder >= 0) & where
    if not held.any():
        return 0.0
    k = m.plots.kind[held]
    return float(((k == HOUSEHOLD_LEASE) | (k == COOP)).mean())


def transfer_rate_hilly(m: LandModel) -> float:
    """Share of household-contracted hilly plots whose operation right is transferred."""
    return _transfer_rate_where(m, m.plots.hilly)


def transfer_rate_flat(m: LandModel) -> float:
    """Share of household-contracted flat plots whose operation right is transferred."""
    return _transfer_rate_where(m, ~m.plots.hilly)


def transfer_to_households_share(m: LandModel) -> float:
    """Of transferred contracted plots, the share leased to other households (vs the coop)."""
    held = m.plots.holder >= 0
    k = m.plots.kind[held]
    moved = (k == HOUSEHOLD_LEASE) | (k == COOP)
    return float((k[moved] == HOUSEHOLD_LEASE).mean()) if moved.any() else 0.0


def rent_free_share(m: LandModel) -> float:
    """Of plots leased household-to-household, the share leased rent-free (0 if none)."""
    lease = m.plots.kind == HOUSEHOLD_LEASE
    return float((m.plots.rent[lease] <= 0).mean()) if lease.any() else 0.0


def coop_land_share(m: LandModel) -> float:
    """Share of all plots operated by cooperatives."""
    return float((m.plots.kind == COOP).mean())


def custody_land_share(m: LandModel) -> float:
    """Share of all plots farmed by the service firm in custody."""
    return float((m.plots.kind == CUSTODY).mean())


def _alive(m: LandModel) -> int:
    return int(m.population.hh_alive.sum())


def coop_member_share(m: LandModel) -> float:
    """Share of living households with land in a cooperative."""
    n = _alive(m)
    return float(members(m.plots, m.population).sum() / n) if n else 0.0


def participation_rate(m: LandModel) -> float:
    """Share of living households that are coop members *and* engage (meetings, oversight)."""
    n = _alive(m)
    return float((m.population.engaged & members(m.plots, m.population)).sum() / n) if n else 0.0


def engagement_rate(m: LandModel) -> float:
    """Of coop member households, the share that engage (0 if there are no members)."""
    mine = members(m.plots, m.population)
    return float(m.population.engaged[mine].mean()) if mine.any() else 0.0


def trust_mean(m: LandModel) -> float:
    """Mean trust in the cooperative over living households (0-1)."""
    alive = m.population.hh_alive
    return float(m.population.trust[alive].mean()) if alive.any() else 0.0


def household_income_mean(m: LandModel) -> float:
    """Mean net income of living households this year (yuan/household)."""
    alive = m.population.hh_alive
    return float(m.population.income[alive].mean()) if alive.any() else 0.0


def household_income_65plus(m: LandModel) -> float:
    """Mean net income of living households headed by someone 65 or older (yuan/household)."""
    pop = m.population
    sel = pop.hh_alive & (pop.head_age() >= 65)
    return float(pop.income[sel].mean()) if sel.any() else 0.0


def income_gini(m: LandModel) -> float:
    """Gini coefficient of household net income (0 equal, 1 one household has all)."""
    pop = m.population
    return gini(pop.income[pop.hh_alive])


def collective_income_mean(m: LandModel) -> float:
    """Mean income of a village collective this year (yuan/village): coop profit share and
    rent for collective land."""
    acc = m.accounts
    return float(m.ledger.net_this_year(acc.collective0, acc.collective0 + acc.villages).mean())


def coop_profit(m: LandModel) -> float:
    """Total profit of active cooperatives this year, after leakage (yuan)."""
    vil = m.villages
    return float(sum(vil.profit[vil.active()].tolist()))


def coop_profit_per_mu(m: LandModel) -> float:
    """Profit of the active co-ops this year per mu of the land they farm (yuan/mu): their
    total profit after leakage over their total area (0 when no co-op farms land)."""
    vil = m.villages
    active = vil.active()
    area = float(sum(vil.area[active].tolist()))
    return float(sum(vil.profit[active].tolist())) / area if area > 0 else 0.0


def coop_leakage(m: LandModel) -> float:
    """Total money leaked from cooperatives this year (yuan)."""
    vil = m.villages
    return float(sum(vil.leakage[vil.active()].tolist()))


def coop_reserve(m: LandModel) -> float:
    """Total reserve funds of all cooperatives (yuan; summed in the order they were founded)."""
    reserves = m.ledger.balance[m.accounts.reserve0 + m.villages.founded_order()] / 100.0
    return float(sum(reserves.tolist()))


def coops_active(m: LandModel) -> int:
    """Number of operating cooperatives."""
    return int(m.villages.active().size)


def coops_empty_shell(m: LandModel) -> int:
    """Number of cooperatives that failed and linger as empty shells."""
    return int((m.villages.status == EMPTY_SHELL).sum())


def founding_strength_gap(m: LandModel) -> float:
    """Share of villages with a Party branch stronger than the town's mean strength parameter
    (``branch_strength_mean``) that have founded a coop (active or shell), minus that share
    among the weaker villages (-1 to 1; 0 when one group is empty). A branch's strength is
    read when it founded (strength changes with results, training and new secretaries), or now
    for a branch that has not founded."""
    has = m.villages.status != NONE
    strength = np.where(has, m.villages.founding_strength, m.villages.strength)
    strong = strength >= m.params.world.branch_strength_mean
    if strong.all() or not strong.any():
        return 0.0
    return float(has[strong].mean() - has[~strong].mean())


def subsidy_dependence(m: LandModel) -> float:
    """Government money received by coops this year over their revenue (0 = none; 0 if no
    revenue)."""
    vil = m.villages
    revenue = sum(vil.revenue[vil.active()].tolist())
    return float(m.town.government.subsidies / revenue) if revenue > 0 else 0.0


def mean_patch_size(m: LandModel) -> float:
    """Mean size (plots) of contiguous patches farmed by one operator (1 = fully fragmented)."""
    operated, n = patches(m.plots)
    return float(operated / n) if n else 0.0


def output_value(m: LandModel) -> float:
    """Value of all crops harvested this year (yuan)."""
    return m.ledger.year_total("crop_sales")


def households_alive(m: LandModel) -> int:
    """Households with at least one living member."""
    return _alive(m)


def mean_head_age(m: LandModel) -> float:
    """Mean age of household heads (oldest living member; years)."""
    pop = m.population
    return float(pop.head_age()[pop.hh_alive].mean()) if pop.hh_alive.any() else 0.0


def _paid_rent(m: LandModel, where: np.ndarray | None = None) -> float:
    p = m.plots
    paid = (p.kind == HOUSEHOLD_LEASE) & (p.rent > 0)
    if where is not None:
        paid &= where
    return float(p.rent[paid].mean()) if paid.any() else 0.0


def lease_rent_mean(m: LandModel) -> float:
    """Mean rent of the household leases in force this year that pay rent (yuan/mu; 0 if
    none)."""
    return _paid_rent(m)


def lease_rent_flat(m: LandModel) -> float:
    """Mean rent of the paid household leases of flat land in force this year (yuan/mu; 0 if
    none)."""
    return _paid_rent(m, ~m.plots.hilly)


def lease_rent_hilly(m: LandModel) -> float:
    """Mean rent of the paid household leases of hilly land in force this year (yuan/mu; 0 if
    none)."""
    return _paid_rent(m, m.plots.hilly)


def migrant_share(m: LandModel) -> float:
    """Share of living members of working age (18-64) who work away from the village (0 none,
    1 all)."""
    pop = m.population
    work = pop.m_alive & (pop.m_age >= WORK_AGE[0]) & (pop.m_age <= WORK_AGE[1])
    return float(pop.m_away[work].mean()) if work.any() else 0.0


def collective_land_share(m: LandModel) -> float:
    """Share of all plots whose contract rights are held by the village collective (land of
    households that died out without an heir, not yet allotted again)."""
    return float((m.plots.holder < 0).mean())


def collective_income_per_mu(m: LandModel) -> float:
    """Income of the village collectives this year per mu of village land (yuan/mu)."""
    acc = m.accounts
    total = float(m.ledger.net_this_year(acc.collective0, acc.collective0 + acc.villages).sum())
    return total / float(m.villages.land_mu.sum())


def firm_capacity(m: LandModel) -> float:
    """Service firm capacity for next year (mu)."""
    return float(m.town.firm.capacity)


METRICS: dict[str, Callable[[LandModel], float]] = {
    f.__name__: f
    for f in (
        abandonment_rate,
        abandonment_rate_hilly,
        abandonment_rate_flat,
        transfer_rate,
        transfer_rate_hilly,
        transfer_rate_flat,
        transfer_to_households_share,
        rent_free_share,
        coop_land_share,
        custody_land_share,
        coop_member_share,
        participation_rate,
        engagement_rate,
        trust_mean,
        household_income_mean,
        household_income_65plus,
        income_gini,
        collective_income_mean,
        coop_profit,
        coop_profit_per_mu,
        coop_leakage,
        coop_reserve,
        coops_active,
        coops_empty_shell,
        founding_strength_gap,
        subsidy_dependence,
        mean_patch_size,
        output_value,
        households_alive,
        mean_head_age,
        lease_rent_mean,
        lease_rent_flat,
        lease_rent_hilly,
        migrant_share,
        collective_land_share,
        collective_income_per_mu,
        firm_capacity,
    )
}

#: the outcomes shown first in summaries, figures and the app
MAIN_OUTCOMES = (
    "abandonment_rate",
    "household_income_mean",
    "household_income_65plus",
    "participation_rate",
    "collective_income_mean",
    "coops_active",
)

#: outcomes that measure the year's money and harvest flows: 0 in year 0, the initial state,
#: since no season has been farmed yet (docs/ODD.md §7.10); figures over time start them at year 1
FLOW_METRICS = (
    "household_income_mean",
    "household_income_65plus",
    "income_gini",
    "collective_income_mean",
    "coop_profit",
    "coop_profit_per_mu",
    "coop_leakage",
    "subsidy_dependence",
    "output_value",
    "collective_income_per_mu",
)

#: outcomes that count (co-ops, households): whole numbers, kept as integers in DataFrames
INTEGER_METRICS = ("coops_active", "coops_empty_shell", "households_alive")


def _share(part: int, whole: int) -> float:
    """``part / whole``, the mean of a mask with ``part`` of ``whole`` cells set (the same
    float: the mean's sum of ones is exact), 0 when ``whole`` is 0."""
    return part / whole if whole else 0.0


def land_counts_reference(kind: np.ndarray, hilly: np.ndarray, holder: np.ndarray) -> np.ndarray:
    """Plots by kind, terrain (flat 0, hilly 1) and contract (the collective's 0, a
    household's 1): a ``(kinds, 2, 2)`` array of counts (the reference of
    :func:`landsim.metrics_kernels.land_counts`)."""
    k = len(KIND_NAMES)
    code = (kind.astype(np.intp) * 2 + hilly) * 2 + (holder >= 0)
    return np.bincount(code, minlength=4 * k).reshape(k, 2, 2)


def _land(m: LandModel) -> dict[str, float]:
    """The outcomes of the plots' use and contracts, from the plots counted once by kind,
    terrain and contract, and the household leases' rents."""
    p = m.plots
    n = p.kind.size
    if compiled.enabled():
        c = land_counts(p.kind, p.hilly, p.holder, len(KIND_NAMES))
    else:
        c = land_counts_reference(p.kind, p.hilly, p.holder)
    c = c.tolist()  # [kind][hilly][held], as Python integers
    n_hilly = sum(c[k][1][h] for k in range(len(c)) for h in (0, 1))
    n_held = sum(c[k][t][1] for k in range(len(c)) for t in (0, 1))
    n_held_hilly = sum(c[k][1][1] for k in range(len(c)))
    n_idle, idle_hilly = sum(c[IDLE][0]) + sum(c[IDLE][1]), sum(c[IDLE][1])
    n_moved = sum(c[k][t][1] for k in (HOUSEHOLD_LEASE, COOP) for t in (0, 1))
    n_moved_hilly = c[HOUSEHOLD_LEASE][1][1] + c[COOP][1][1]
    lease = p.kind == HOUSEHOLD_LEASE
    rent, hilly = p.rent[lease], p.hilly[lease]  # the leased plots' (in plot order)
    paid = rent > 0
    return {
        "abandonment_rate": n_idle / n,
        "abandonment_rate_hilly": _share(idle_hilly, n_hilly),
        "abandonment_rate_flat": _share(n_idle - idle_hilly, n - n_hilly),
        "transfer_rate": _share(n_moved, n_held),
        "transfer_rate_hilly": _share(n_moved_hilly, n_held_hilly),
        "transfer_rate_flat": _share(n_moved - n_moved_hilly, n_held - n_held_hilly),
        "transfer_to_households_share": _share(
            c[HOUSEHOLD_LEASE][0][1] + c[HOUSEHOLD_LEASE][1][1], n_moved
        ),
        "rent_free_share": _share(int(np.count_nonzero(rent <= 0)), rent.size),
        "coop_land_share": (sum(c[COOP][0]) + sum(c[COOP][1])) / n,
        "custody_land_share": (sum(c[CUSTODY][0]) + sum(c[CUSTODY][1])) / n,
        "lease_rent_mean": _mean_where(rent, paid),
        "lease_rent_flat": _mean_where(rent, paid & ~hilly),
        "lease_rent_hilly": _mean_where(rent, paid & hilly),
        "collective_land_share": (n - n_held) / n,
        "mean_patch_size": mean_patch_size(m),
    }


def _mean_where(x: np.ndarray, where: np.ndarray) -> float:
    """Mean of ``x`` where the mask is set (0 if nowhere)."""
    return float(x[where].mean()) if where.any() else 0.0


def _people(m: LandModel) -> dict[str, float]:
    """The outcomes of households and members, from the living households, the co-op
    members and the heads' ages computed once."""
    pop = m.population
    alive = pop.hh_alive
    n_alive = int(np.count_nonzero(alive))
    mine = members(m.plots, pop)
    n_mine = int(np.count_nonzero(mine))
    n_engaged = int(np.count_nonzero(pop.engaged & mine))
    income = pop.income[alive]
    head = pop.head_age()
    work = pop.m_alive & (pop.m_age >= WORK_AGE[0]) & (pop.m_age <= WORK_AGE[1])
    return {
        "coop_member_share": _share(n_mine, n_alive),
        "participation_rate": _share(n_engaged, n_alive),
        "engagement_rate": _share(n_engaged, n_mine),
        "trust_mean": float(pop.trust[alive].mean()) if n_alive else 0.0,
        "household_income_mean": float(income.mean()) if n_alive else 0.0,
        "household_income_65plus": _mean_where(pop.income, alive & (head >= 65)),
        "income_gini": gini(income),
        "households_alive": n_alive,
        "mean_head_age": float(head[alive].mean()) if n_alive else 0.0,
        "migrant_share": _share(
            int(np.count_nonzero(pop.m_away & work)), int(np.count_nonzero(work))
        ),
    }


def _coops(m: LandModel) -> dict[str, float]:
    """The outcomes of the co-ops, the collectives and the firm, with the active co-ops and
    the collectives' net income found once."""
    vil, acc = m.villages, m.accounts
    active = vil.active()
    profit = float(sum(vil.profit[active].tolist()))
    area = float(sum(vil.area[active].tolist()))
    revenue = sum(vil.revenue[active].tolist())
    net = m.ledger.net_this_year(acc.collective0, acc.collective0 + acc.villages)
    return {
        "collective_income_mean": float(net.mean()),
        "coop_profit": profit,
        "coop_profit_per_mu": profit / area if area > 0 else 0.0,
        "coop_leakage": float(sum(vil.leakage[active].tolist())),
        "coop_reserve": coop_reserve(m),
        "coops_active": int(active.size),
        "coops_empty_shell": int((vil.status == EMPTY_SHELL).sum()),
        "founding_strength_gap": founding_strength_gap(m),
        "subsidy_dependence": (
            float(m.town.government.subsidies / revenue) if revenue > 0 else 0.0
        ),
        "output_value": output_value(m),
        "collective_income_per_mu": float(net.sum()) / float(vil.land_mu.sum()),
        "firm_capacity": firm_capacity(m),
    }


def observe(m: LandModel) -> list[float]:
    """Every outcome of :data:`METRICS` this year, in its order: the same values as calling
    each function (integers for :data:`INTEGER_METRICS`), computed in one pass."""
    values = {**_land(m), **_people(m), **_coops(m)}
    return [values[name] for name in METRICS]


class _Columns(Mapping[str, list[Any]]):
    """The outcome table's columns as lists by name, read from the table on each access."""

    def __init__(self, table: OutcomeTable) -> None:
        self._table = table

    def __getitem__(self, name: str) -> list[Any]:
        return self._table.column(name)

    def __iter__(self) -> Iterator[str]:
        return iter(self._table.columns)

    def __len__(self) -> int:
        return len(self._table.columns)


class OutcomeTable(mesa.DataCollector):
    """The yearly outcomes: one row of :data:`METRICS` per observed year in a preallocated
    table (doubled when a run goes on past it), made a DataFrame once when asked for.

    It is the model's Mesa ``DataCollector``: :meth:`collect` observes a year,
    ``model_vars`` reads the columns as lists (integers for counts, floats otherwise), and
    Mesa's ``batch_run`` and :meth:`get_model_vars_dataframe` work on it as on Mesa's own.
    """

    columns = tuple(METRICS)

    def __init__(self, years: int = 0) -> None:
        """An empty table with room for ``years`` + 1 rows (year 0 and each year after)."""
        super().__init__()
        self.model_vars = _Columns(self)  # Mesa's name for the columns, read from the table
        self._table = np.empty((max(years, 0) + 1, len(self.columns)))
        self.rows = 0
        self._integer = np.array([c in INTEGER_METRICS for c in self.columns])

    def add(self, values: Sequence[float]) -> None:
        """Append one year's outcomes (in :data:`METRICS` order)."""
        if self.rows == self._table.shape[0]:
            grown = np.empty((2 * self.rows, self._table.shape[1]))
            grown[: self.rows] = self._table
            self._table = grown
        self._table[self.rows] = values
        self.rows += 1

    def collect(self, model: LandModel) -> None:
        """Observe the model's year (:func:`observe`) and append it, at the model's time (and
        what Mesa's own ``collect`` does for agent reporters, if any were added)."""
        self._collection_steps.append(model.time)
        self.add(observe(model))
        super().collect(model)

    def column(self, name: str) -> list[Any]:
        """One outcome's values so far, year by year (integers for counts)."""
        i = self.columns.index(name)
        values = self._table[: self.rows, i]
        return (values.astype(np.int64) if self._integer[i] else values).tolist()

    def frame(self, years: bool = False, start_missing: Sequence[str] = ()) -> pd.DataFrame:
        """The outcomes so far, one row per year, as a DataFrame (counts as integers), built
        once: with a first ``year`` column (0, 1, ...) if ``years``, and the outcomes named in
        ``start_missing`` missing (NaN) in the first row."""
        table = self._table[: self.rows]
        data: dict[str, np.ndarray] = {"year": np.arange(self.rows)} if years else {}
        for i, c in enumerate(self.columns):
            data[c] = table[:, i].astype(np.int64) if self._integer[i] else table[:, i].copy()
        for c in start_missing:
            data[c][:1] = np.nan
        return pd.DataFrame(data)

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        """The outcomes so far as Mesa's ``DataCollector`` gives them (:meth:`frame`)."""
        return self.frame()

    def load(self, columns: Mapping[str, Sequence[float]]) -> None:
        """Replace the table by saved outcomes (every column of :data:`METRICS`, equally
        long, year 0 first), as a checkpoint holds them."""
        rows = len(columns[self.columns[0]])
        self._table = np.empty((max(rows, 1), len(self.columns)))
        for i, c in enumerate(self.columns):
            self._table[:rows, i] = np.asarray(columns[c], dtype=np.float64)
        self.rows = rows
        self._collection_steps = [float(t) for t in range(rows)]  # collected at years 0, 1...
