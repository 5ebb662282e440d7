"""The plot grid: every plot's state as flat numpy arrays (one entry per plot).

A plot is a cell of a ``height x width`` grid, stored in row-major order (``plot = row * width +
col``). The collective owns every plot; a household holds its *contract right*; someone (or
no one) holds the *operation right* and farms it. Operation rights move by lease (to another
household or to the cooperative) or stay with the holder under custody (the service firm farms
for a fee and the holder keeps the harvest).

A synthetic town's plots fill the grid; a town read from a region (:mod:`landsim.regions`) has
plots only on its farmland cells, and ``row``/``col`` say where each lies
(:meth:`Plots.grid` lays per-plot values out on the grid, :meth:`Plots.of_cells` reads them
back).

Parts: operator kinds (``IDLE`` … ``CUSTODY``), the :class:`Plots` arrays,
:func:`build_plots`, which lays out villages, terrain and scattered contract plots,
:func:`plots_of`, the plots at the start from their layout and holders, and
:func:`homesteads`, where each household lives.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from landsim.columns import PER_MU, SHARE, YEAR, column
from landsim.params import World

__all__ = [
    "IDLE",
    "OWN",
    "HOUSEHOLD_LEASE",
    "COOP",
    "CUSTODY",
    "KIND_NAMES",
    "COLLECTIVE",
    "NOBODY",
    "Plots",
    "build_plots",
    "plots_of",
    "homesteads",
]

# operator kinds
IDLE = 0  #: nobody farms the plot (abandoned this year)
OWN = 1  #: the contract holder farms it
HOUSEHOLD_LEASE = 2  #: leased to another household
COOP = 3  #: leased to / pooled as shares in the village cooperative
CUSTODY = 4  #: farmed by the service firm for the holder, who keeps the harvest
KIND_NAMES = ("idle", "own", "household_lease", "coop", "custody")

COLLECTIVE = -1  #: holder value for land whose contract rights returned to the collective
NOBODY = -1  #: operator / lessee value for none

_P = ("plots",)


@dataclass
class Plots:
    """State of every plot, one array entry per plot.

    Attributes:
        width, height: grid shape; plot ``i`` sits at row ``row[i]``, column ``col[i]`` (in a
            synthetic town, which fills the grid, row ``i // width`` and column ``i % width``).
        village: village index of the plot.
        hilly: True on hilly, hard-to-mechanize land.
        quality: yield multiplier of the plot (1 = average flat land).
        holder: household index holding the contract right, or ``COLLECTIVE``.
        kind: operator kind (``IDLE``, ``OWN``, ``HOUSEHOLD_LEASE``, ``COOP``, ``CUSTODY``).
        operator: household index (own/lease), village index of the coop (``COOP``), 0 for the
            firm (``CUSTODY``), ``NOBODY`` when idle.
        rent: yearly rent of the running lease (yuan/mu); 0 when rent-free or no lease.
        lease_start, lease_end: first and last model year of the running lease (-1 if none);
            an oral lease runs a year at a time (its last year is the current one).
        written: the running household lease is written for a term; oral leases (and loans
            to kin) are renewed year by year unless a party wants out.
        closeness: closeness of the kin tie a rent-free loan to kin rests on (0 otherwise).
        sitting: the household whose oral lease of the plot ended at the start of this year,
            which may renew it in this year's market (``NOBODY`` otherwise).
        sitting_rent: that lease's rent (yuan/mu).
        sitting_closeness: the closeness of the kin tie it rested on (0: a stranger's lease).
        row, col: grid coordinates (derived, kept for distance computations).
        released: released by its holder in last year's market, or collective land not let
            (the land a co-op founded this year could pool).
    """

    width: int
    height: int
    village: np.ndarray = column(np.int32, _P, (0, "villages"))
    hilly: np.ndarray = column(np.bool_, _P, None)
    quality: np.ndarray = column(np.float64, _P, (0.6, 1.4))  # as drawn
    holder: np.ndarray = column(np.int64, _P, (-1, "households"))
    kind: np.ndarray = column(np.int8, _P, (0, len(KIND_NAMES) - 1))
    operator: np.ndarray = column(np.int64, _P, (-1, "operators"))
    rent: np.ndarray = column(np.float64, _P, PER_MU)
    lease_start: np.ndarray = column(np.int32, _P, YEAR)
    lease_end: np.ndarray = column(np.int32, _P, YEAR)
    written: np.ndarray = column(np.bool_, _P, None)
    closeness: np.ndarray = column(np.float64, _P, SHARE)
    sitting: np.ndarray = column(np.int64, _P, (-1, "households"))
    sitting_rent: np.ndarray = column(np.float64, _P, PER_MU)
    sitting_closeness: np.ndarray = column(np.float64, _P, SHARE)
    row: np.ndarray = column(np.int32, _P, (0, "rows"))
    col: np.ndarray = column(np.int32, _P, (0, "cols"))
    released: np.ndarray = column(np.bool_, _P, None)

    @property
    def n(self) -> int:
        """Number of plots."""
        return self.village.size

    def leased(self) -> np.ndarray:
        """Mask of plots under a running lease (to a household or a coop)."""
        return self.lease_end >= 0

    def end_lease(self, mask: np.ndarray) -> None:
        """Return the operation right of ``mask`` plots to their holders (idle until decided)."""
        i = np.flatnonzero(mask)  # once: seven writes by index cost less than by mask
        self.kind[i] = IDLE
        self.operator[i] = NOBODY
        self.rent[i] = 0.0
        self.lease_start[i] = -1
        self.lease_end[i] = -1
        self.written[i] = False
        self.closeness[i] = 0.0

    @property
    def cell(self) -> np.ndarray:
        """The grid cell of each plot (``row * width + col``)."""
        return self.row.astype(np.int64) * self.width + self.col

    @property
    def fills_grid(self) -> bool:
        """True when every cell of the grid is a plot (a synthetic town); a region's grid
        also has cells that are not farmland (roads, settlements, water, hills left wild)."""
        return self.village.size == self.width * self.height

    def grid(self, values: np.ndarray, fill=-1) -> np.ndarray:
        """A per-plot array laid out on the ``(height, width)`` grid; cells that are not
        plots hold ``fill``."""
        if self.fills_grid:
            return values.reshape(self.height, self.width)
        out = np.full(
            self.width * self.height, fill, dtype=np.result_type(values, np.min_scalar_type(fill))
        )
        out[self.cell] = values
        return out.reshape(self.height, self.width)

    def of_cells(self, values: np.ndarray) -> np.ndarray:
        """The inverse of :meth:`grid`: per-plot values from a per-cell array (grid or flat)."""
        flat = np.asarray(values).reshape(-1)
        return flat if self.fills_grid else flat[self.cell]


def _smooth_field(rng: np.random.Generator, height: int, width: int, passes: int) -> np.ndarray:
    """Spatially correlated noise: white noise blurred by ``passes`` 3x3 box filters."""
    field = rng.random((height, width))
    for _ in range(passes):
        padded = np.pad(field, 1, mode="edge")
        field = (
            sum(
                padded[1 + dy : 1 + dy + height, 1 + dx : 1 + dx + width]
                for dy in (-1, 0, 1)
                for dx in (-1, 0, 1)
            )
            / 9.0
        )
    return field


def build_plots(world: World, rng: np.random.Generator) -> tuple[Plots, np.ndarray]:
    """Lay out villages, terrain and contract plots.

    Villages are rectangular blocks (``villages_x`` by ``villages_y``). Terrain comes from
    smoothed noise thresholded so that ``hilly_share`` of plots are hilly: hills form patches.
    Each household of a village draws a number of plots (Poisson around
    ``plots_per_household``, at least one) scattered at random over its village, as contract
    plots are in real villages; plots left over stay with the collective.

    Returns:
        The plots and, for each household, the index of its village.
    """
    h, w = world.height, world.width
    rows, cols = np.divmod(np.arange(h * w), w)
    vrow = np.minimum(rows * world.villages_y // h, world.villages_y - 1)
    vcol = np.minimum(cols * world.villages_x // w, world.villages_x - 1)
    village = (vrow * world.villages_x + vcol).astype(np.int32)

    field = _smooth_field(rng, h, w, world.terrain_smoothness).ravel()
    if world.hilly_share <= 0:
        hilly = np.zeros(h * w, dtype=bool)
    elif world.hilly_share >= 1:
        hilly = np.ones(h * w, dtype=bool)
    else:
        hilly = field >= np.quantile(field, 1.0 - world.hilly_share)
    quality = np.clip(rng.normal(1.0, 0.1, h * w), 0.6, 1.4)

    n_v = world.n_villages
    hpv = world.households_per_village
    holder = np.full(h * w, -1, dtype=np.int64)
    hh_village = np.repeat(np.arange(n_v, dtype=np.int32), hpv)
    counts = np.maximum(1, rng.poisson(world.plots_per_household, size=n_v * hpv))
    order = np.argsort(village, kind="stable")
    starts = np.searchsorted(village[order], np.arange(n_v))
    ends = np.searchsorted(village[order], np.arange(n_v), side="right")
    # every household's plots in a row, village by village; a village's rows start at ``first``
    owners = np.repeat(np.arange(n_v * hpv), counts)
    first = np.concatenate(([0], np.cumsum(counts)))[::hpv]
    for v in range(n_v):  # one shuffle of each village's plots, in village order
        vplots = rng.permutation(order[starts[v] : ends[v]])
        take = int(min(first[v + 1] - first[v], vplots.size))
        holder[vplots[:take]] = owners[first[v] : first[v] + take]

    return plots_of(w, h, village, hilly, quality, holder, rows, cols), hh_village


def plots_of(
    width: int,
    height: int,
    village: np.ndarray,
    hilly: np.ndarray,
    quality: np.ndarray,
    holder: np.ndarray,
    rows: np.ndarray,
    cols: np.ndarray,
) -> Plots:
    """Plots at the start: each farmed by its contract holder, no lease; collective land
    (``holder`` -1) idle."""
    n = village.size
    plots = Plots(
        width=width,
        height=height,
        village=village.astype(np.int32),
        hilly=hilly.astype(bool),
        quality=quality.astype(np.float64),
        holder=holder.astype(np.int64),
        kind=np.zeros(n, dtype=np.int8),
        operator=np.full(n, NOBODY, dtype=np.int64),
        rent=np.zeros(n),
        lease_start=np.full(n, -1, dtype=np.int32),
        lease_end=np.full(n, -1, dtype=np.int32),
        written=np.zeros(n, dtype=bool),
        closeness=np.zeros(n),
        sitting=np.full(n, NOBODY, dtype=np.int64),
        sitting_rent=np.zeros(n),
        sitting_closeness=np.zeros(n),
        row=rows.astype(np.int32),
        col=cols.astype(np.int32),
        released=np.zeros(n, dtype=bool),
    )
    owned = plots.holder >= 0
    plots.kind[owned] = OWN
    plots.operator[owned] = plots.holder[owned]
    return plots


def homesteads(plots: Plots, n_households: int) -> tuple[np.ndarray, np.ndarray]:
    """Each household's homestead: the (rounded) centre of the plots it holds (row, column)."""
    p = plots
    held = p.holder >= 0
    cnt = np.bincount(p.holder[held], minlength=n_households)
    r = np.bincount(p.holder[held], weights=p.row[held], minlength=n_households)
    c = np.bincount(p.holder[held], weights=p.col[held], minlength=n_households)
    return (
        np.rint(r / np.maximum(cnt, 1)).astype(np.int32),
        np.rint(c / np.maximum(cnt, 1)).astype(np.int32),
    )
