"""A run's detail, year by year: every plot's state, every household's row, every village's
summary — what maps and micro-data are written from.

:class:`Recording` is filled by :meth:`Recording.add` after the town is built (year 0) and after
every year; it holds plain arrays and tables, so a worker process can hand it back. The
columns it makes are declared in :data:`HOUSEHOLD_COLUMNS` and :data:`VILLAGE_COLUMNS` (title,
unit, range, definition, aggregate: the data dictionary's rows, :mod:`landsim.dictionary`), and
the plot layers in :data:`PLOT_LAYERS`. Money flows of the year (income, co-op profit,
collective income) are missing (NaN) in year 0: no season has been farmed yet.

Parts: :class:`Recording`, :data:`HOUSEHOLD_COLUMNS`, :data:`VILLAGE_COLUMNS`,
:data:`PLOT_LAYERS`, :func:`identities`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landsim.villages import STATUS_NAMES
from landsim.world import COOP, CUSTODY, HOUSEHOLD_LEASE, IDLE, KIND_NAMES, OWN

if TYPE_CHECKING:
    from landsim.model import LandModel
    from landsim.params import World

__all__ = ["Recording", "HOUSEHOLD_COLUMNS", "VILLAGE_COLUMNS", "PLOT_LAYERS", "identities"]

_FRACTION = "fraction (0-1)"
_KINDS = ", ".join(f"{i} {k}" for i, k in enumerate(KIND_NAMES))

#: per-household yearly micro-data: column -> (title, unit, range, definition, aggregate)
HOUSEHOLD_COLUMNS: dict[str, tuple[str, str, str, str, str]] = {
    "year": ("Model year", "year", "0 to run.years", "0 is the town before the first season", ""),
    "household": (
        "Household slot",
        "index",
        ">= 0",
        "the household's index in the model (the holder number of the plot maps)",
        "",
    ),
    "household_id": (
        "Household id",
        "text",
        "",
        "the region table's household_id (a synthetic town: slot + 1, as export_region writes "
        "it); empty for households founded during the run",
        "",
    ),
    "village_id": ("Village id", "text", "", "the village's id (synthetic: index + 1)", ""),
    "head_age": ("Age of the head", "years", "0 to 100+", "oldest living member", ""),
    "members": ("Members", "persons", ">= 1", "living members, migrants included", "count"),
    "residents": ("Residents", "persons", ">= 0", "living members at home", "count"),
    "migrants": ("Migrants", "persons", ">= 0", "living members working away", "count"),
    "plots_held": (
        "Contract plots",
        "plots",
        ">= 0",
        "plots it holds the contract right of",
        "count",
    ),
    "plots_own": ("Plots farmed itself", "plots", ">= 0", "held plots it farms", "count"),
    "plots_leased_out": (
        "Plots leased to households",
        "plots",
        ">= 0",
        "held plots leased to another household",
        "count",
    ),
    "plots_coop": (
        "Plots in the co-op",
        "plots",
        ">= 0",
        "held plots pooled by the co-op",
        "count",
    ),
    "plots_custody": (
        "Plots in custody",
        "plots",
        ">= 0",
        "held plots the service firm farms for it",
        "count",
    ),
    "plots_idle": ("Idle plots", "plots", ">= 0", "held plots nobody farms (abandoned)", "count"),
    "plots_leased_in": (
        "Plots leased in",
        "plots",
        ">= 0",
        "other holders' plots it farms as lessee",
        "count",
    ),
    "coop_member": ("Co-op member", "true/false", "", "has a plot in its village's co-op", ""),
    "engaged": ("Engaged", "true/false", "", "takes part in the co-op (meetings, accounts)", ""),
    "trust": ("Trust in the co-op", _FRACTION, "0 to 1", "0 none, 1 full", ""),
    "income": (
        "Net income",
        "yuan/yr",
        "any",
        "the household's net income of the year (all sources); missing in year 0",
        "sum over the household's flows",
    ),
}

#: per-village yearly summaries (the village GeoPackage's columns besides the outline)
VILLAGE_COLUMNS: dict[str, tuple[str, str, str, str, str]] = {
    "village_id": ("Village id", "text", "", "the village's id (synthetic: index + 1)", ""),
    "year": ("Model year", "year", "0 to run.years", "0 is the town before the first season", ""),
    "households": ("Households", "count", ">= 0", "living households", "count"),
    "plots": ("Plots", "plots", ">= 1", "farmland plots of the village", "count"),
    "land_mu": ("Land", "mu", "> 0", "farmland of the village", "sum over plots"),
    "idle_share": ("Idle land", _FRACTION, "0 to 1", "plots nobody farms", "share of plots"),
    "transfer_share": (
        "Contracted land transferred",
        _FRACTION,
        "0 to 1",
        "household-held plots leased to a household or the co-op",
        "share of household-held plots",
    ),
    "coop_share": (
        "Land in the co-op",
        _FRACTION,
        "0 to 1",
        "plots the co-op farms",
        "share of plots",
    ),
    "custody_share": (
        "Land in custody",
        _FRACTION,
        "0 to 1",
        "plots the service firm farms in custody",
        "share of plots",
    ),
    "coop_status": ("Co-op", "text", "none, active, empty_shell", "the village co-op's status", ""),
    "coop_members": ("Co-op members", "households", ">= 0", "member households", "count"),
    "coop_profit": (
        "Co-op profit",
        "yuan/yr",
        "any",
        "the co-op's profit after leakage; 0 without an active co-op; missing in year 0",
        "the village's co-op",
    ),
    "collective_income": (
        "Collective income",
        "yuan/yr",
        "any",
        "net income of the village collective; missing in year 0",
        "the village collective",
    ),
    "branch_strength": ("Party-branch strength", _FRACTION, "0 to 1", "0 weak, 1 strong", ""),
    "mean_head_age": (
        "Age of household heads",
        "years",
        ">= 0",
        "of living households",
        "mean over households",
    ),
    "mean_income": (
        "Household income",
        "yuan/household/yr",
        "any",
        "of living households; missing in year 0",
        "mean over households",
    ),
}

#: the plot layers of the maps: name -> (title, unit, values, no-data value, dtype)
PLOT_LAYERS: dict[str, tuple[str, str, str, float, str]] = {
    "kind": ("Who farms the plot", "code", f"{_KINDS}", 255, "uint8"),
    "holder": (
        "Contract holder",
        "household slot",
        "household slot (households.parquet: household); -1 the village collective",
        -2,
        "int32",
    ),
    "abandoned": ("Abandoned", "0/1", "1 idle (nobody farms it), 0 farmed", 255, "uint8"),
    "rent": (
        "Rent of the running lease",
        "yuan/mu/yr",
        "0 when rent-free or not leased",
        -1,
        "float32",
    ),
}


def identities(world: World, n_villages: int) -> tuple[list[str], list[str] | None]:
    """Village ids (a region's, else index + 1) and a region's household ids (else ``None``)."""
    if world.is_region:
        from landsim.regions import region_of

        region = region_of(world)
        return list(region.village_ids), list(region.households.ids)
    return [str(v + 1) for v in range(n_villages)], None


@dataclass
class Recording:
    """Every plot's state, household's row and village's summary of each recorded year.

    Attributes:
        width, height, cell: the grid and each plot's cell (``row * width + col``).
        plot_village: each plot's village index.
        village_ids: each village's id.
        years: the years recorded.
        kind, holder, rent: per year, each plot's operator kind, holder and rent.
        household_ids: each household's id for the households of the town as built (a
            region's table, else slot + 1); households founded later have none.
        households, villages: per year, the rows of the micro-data and of the village layer.
    """

    width: int
    height: int
    cell: np.ndarray
    plot_village: np.ndarray
    village_ids: list[str]
    household_ids: list[str]
    years: list[int] = field(default_factory=list)
    kind: list[np.ndarray] = field(default_factory=list)
    holder: list[np.ndarray] = field(default_factory=list)
    rent: list[np.ndarray] = field(default_factory=list)
    households: list[pd.DataFrame] = field(default_factory=list)
    villages: list[pd.DataFrame] = field(default_factory=list)
    _collective: np.ndarray | None = None

    @classmethod
    def start(cls, model: LandModel) -> Recording:
        """A recording of ``model`` with its current year (usually 0) recorded."""
        p = model.plots
        ids, hh_ids = identities(model.params.world, model.villages.n)
        if hh_ids is None:
            hh_ids = [str(h + 1) for h in range(int(model.population.hh_formed.sum()))]
        rec = cls(p.width, p.height, p.cell.copy(), p.village.copy(), ids, hh_ids)
        rec.add(model)
        return rec

    def add(self, model: LandModel) -> None:
        """Record the model's current year (after its step, or the town at year 0)."""
        p, year = model.plots, int(model.year)
        self.years.append(year)
        self.kind.append(p.kind.astype(np.uint8))
        self.holder.append(p.holder.astype(np.int32))
        self.rent.append(p.rent.astype(np.float32))
        self.households.append(self._households(model, year))
        self.villages.append(self._villages(model, year))

    def _households(self, m: LandModel, year: int) -> pd.DataFrame:
        pop, p = m.population, m.plots
        n = pop.n_households
        alive = np.flatnonzero(pop.hh_alive)
        held = p.holder >= 0
        h = p.holder[held]

        def count(mask: np.ndarray, who: np.ndarray) -> np.ndarray:
            return np.bincount(who[mask], minlength=n)[alive]

        k = p.kind[held]
        lessee = (p.kind == HOUSEHOLD_LEASE) & (p.operator >= 0)
        living = pop.m_alive
        ids = self.household_ids
        out = {
            "year": np.full(alive.size, year, dtype=np.int32),
            "household": alive.astype(np.int64),
            "household_id": [ids[i] if i < len(ids) else None for i in alive.tolist()],
            "village_id": [self.village_ids[v] for v in pop.hh_village[alive].tolist()],
            "head_age": pop.head_age()[alive],
            "members": np.bincount(pop.m_hh[living], minlength=n)[alive],
            "residents": np.bincount(pop.m_hh[pop.residents()], minlength=n)[alive],
            "migrants": np.bincount(pop.m_hh[living & pop.m_away], minlength=n)[alive],
            "plots_held": np.bincount(h, minlength=n)[alive],
            "plots_own": count(k == OWN, h),
            "plots_leased_out": count(k == HOUSEHOLD_LEASE, h),
            "plots_coop": count(k == COOP, h),
            "plots_custody": count(k == CUSTODY, h),
            "plots_idle": count(k == IDLE, h),
            "plots_leased_in": np.bincount(p.operator[lessee], minlength=n)[alive],
            "coop_member": m.member_mask()[alive],
            "engaged": pop.engaged[alive],
            "trust": pop.trust[alive],
            "income": pop.income[alive] if year > 0 else np.full(alive.size, np.nan),
        }
        return pd.DataFrame(out)

    def _villages(self, m: LandModel, year: int) -> pd.DataFrame:
        p, pop, vil = m.plots, m.population, m.villages
        n_v = vil.n
        acc = m.accounts
        balance = m.ledger.balance[acc.collective0 : acc.collective0 + n_v] / 100.0
        collective = (
            balance - self._collective if self._collective is not None else np.full(n_v, np.nan)
        )
        self._collective = balance.copy()

        def share(mask: np.ndarray, base: np.ndarray | None = None) -> np.ndarray:
            base = np.ones(p.n, dtype=bool) if base is None else base
            num = np.bincount(p.village[mask & base], minlength=n_v)
            den = np.bincount(p.village[base], minlength=n_v)
            return np.divide(num, den, out=np.zeros(n_v), where=den > 0)

        alive = pop.hh_alive
        heads = pop.head_age()
        hh_v = pop.hh_village[alive]
        n_hh = np.bincount(hh_v, minlength=n_v)

        def mean(x: np.ndarray) -> np.ndarray:
            total = np.bincount(hh_v, weights=x, minlength=n_v)
            return np.divide(total, n_hh, out=np.full(n_v, np.nan), where=n_hh > 0)

        held = p.holder >= 0
        active = vil.status == 1
        return pd.DataFrame(
            {
                "village_id": self.village_ids,
                "year": np.full(n_v, year, dtype=np.int32),
                "households": n_hh,
                "plots": np.bincount(p.village, minlength=n_v),
                "land_mu": vil.land_mu,
                "idle_share": share(p.kind == IDLE),
                "transfer_share": share((p.kind == HOUSEHOLD_LEASE) | (p.kind == COOP), held),
                "coop_share": share(p.kind == COOP),
                "custody_share": share(p.kind == CUSTODY),
                "coop_status": [STATUS_NAMES[s] for s in vil.status.tolist()],
                "coop_members": np.where(vil.status != 0, vil.members, 0),
                "coop_profit": np.where(active, vil.profit, 0.0) if year > 0 else np.nan,
                "collective_income": collective,
                "branch_strength": vil.strength,
                "mean_head_age": mean(heads[alive]),
                "mean_income": mean(pop.income[alive]) if year > 0 else np.nan,
            }
        )

    def household_table(self, tags: dict[str, Any] | None = None) -> pd.DataFrame:
        """Every recorded household-year, tagged (``scenario``, ``replicate``) in front."""
        df = pd.concat(self.households, ignore_index=True)
        for i, (k, v) in enumerate((tags or {}).items()):
            df.insert(i, k, v)
        return df

    def village_table(self) -> pd.DataFrame:
        """Every recorded village-year."""
        return pd.concat(self.villages, ignore_index=True)

    def stack(self, layer: str) -> np.ndarray:
        """One plot layer of every recorded year, ``(years, plots)``."""
        if layer == "abandoned":
            return (np.stack(self.kind) == IDLE).astype(np.uint8)
        return np.stack(getattr(self, layer))
