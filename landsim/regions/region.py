"""What a region holds once its files are read and checked, and how its problems are worded.

A :class:`Region` is plain arrays (no GIS objects), so that it can be cached, pickled to a
worker and turned into a town (:mod:`landsim.regions.build`) without the ``[gis]`` extra's
libraries. :class:`Households` is the household table, one entry per row, with the members,
plots and kin ties a row gives (as flat arrays with offsets: one row's entries are
``values[offsets[i]:offsets[i + 1]]``).

Every problem with a region's files is one line (:class:`Problems`):
``FILE: WHERE: RULE`` — the file, then the column and row (``households.csv:13: head_age =
130``), band and cell (``land.tif: band 1, row 4, column 7``) or feature (``villages.gpkg:
feature 3``), then the rule broken and the value found.

Parts: :data:`SQ_M_PER_MU`, :data:`QUALITY_RANGE`, :func:`quality_multiplier`,
:class:`Households`, :class:`Region`, :class:`RegionError`, :class:`Problems`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from landsim.problems import MAX_PROBLEMS
from landsim.tomlio import ScenarioError, safe_text

__all__ = [
    "SQ_M_PER_MU",
    "QUALITY_RANGE",
    "quality_multiplier",
    "quality_index",
    "Households",
    "Region",
    "RegionError",
    "Problems",
]

#: one mu (亩) is 1/15 hectare: 2000/3 square metres
SQ_M_PER_MU = 2000.0 / 3.0
#: the model's yield multipliers that a quality index of 0 and of 1 mean (docs/ODD.md §2:
#: plot quality is a yield multiplier, 1 = average flat land, kept within 0.6-1.4)
QUALITY_RANGE = (0.6, 1.4)


def quality_multiplier(index: np.ndarray) -> np.ndarray:
    """A land raster's quality index (0 worst, 1 best) as the model's yield multiplier:
    linear from 0.6 to 1.4, so 0.5 is average land (1.0)."""
    lo, hi = QUALITY_RANGE
    return lo + (hi - lo) * np.asarray(index, dtype=np.float64)


def quality_index(multiplier: np.ndarray) -> np.ndarray:
    """The inverse of :func:`quality_multiplier`, chosen float by float so that
    ``quality_multiplier(quality_index(m)) == m`` exactly (a town written as a region and read
    back keeps every plot's quality to the last bit)."""
    m = np.asarray(multiplier, dtype=np.float64)
    lo, hi = QUALITY_RANGE
    q = (m - lo) / (hi - lo)
    for _ in range(8):  # the nearest float of the inverse is at most a few steps away
        back = quality_multiplier(q)
        off = back != m
        if not off.any():
            break
        q = np.where(off, np.nextafter(q, np.where(back < m, np.inf, -np.inf)), q)
    return np.clip(q, 0.0, 1.0)


@dataclass
class Households:
    """The household table, one entry per row (in the table's order).

    Attributes:
        ids: ``household_id`` of each row (as text).
        village: village index of each row.
        head_age: age of the head (years).
        members: living members, the head included.
        migrants: members working away.
        plots: contract plots the row asks for (0 where it lists its cells).
        cell_offsets, cells: the plots a row lists (``plot_cells``), as grid cell numbers.
        ages, migrant: each member's age and whether they are away, head first (``member_ages``,
            ``member_migrant``; ``None`` when the table does not give them).
        trust: trust in the cooperative (0-1), or ``None``.
        taste: the household's taste for farming its own land (a standard logistic draw,
            x ``choice_temperature`` yuan/mu; docs/ODD.md section 7.2), or ``None``.
        kin_src, kin_dst, kin_closeness: kin ties (row indices, closeness 0-1), or ``None``.
        village_text: ``village_id`` of each row as written (as text).
        source: the file as messages show it; ``csv``: lines are named (header = line 1),
            else rows (first row = row 1).
    """

    ids: list[str]
    village: np.ndarray
    head_age: np.ndarray
    members: np.ndarray
    migrants: np.ndarray
    plots: np.ndarray
    cell_offsets: np.ndarray
    cells: np.ndarray
    ages: np.ndarray | None = None
    migrant: np.ndarray | None = None
    trust: np.ndarray | None = None
    taste: np.ndarray | None = None
    kin_src: np.ndarray | None = None
    kin_dst: np.ndarray | None = None
    kin_closeness: np.ndarray | None = None
    village_text: list[str] = field(default_factory=list)
    source: str = ""
    csv: bool = True

    @property
    def n(self) -> int:
        """Households in the table."""
        return len(self.ids)

    def where(self, i: int) -> str:
        """Row ``i`` as messages name it: ``FILE:LINE`` (CSV) or ``FILE: row N`` (Parquet)."""
        return f"{self.source}:{i + 2}" if self.csv else f"{self.source}: row {i + 1}"


@dataclass
class Region:
    """A town read from a region's files: the grid, its farmland plots, villages and
    households (docs/regions.md).

    Attributes:
        width, height: the land raster's size (cells).
        crs: its coordinate reference system (``EPSG:NNNN`` or WKT).
        transform: its affine transform, GDAL order ``(x0, dx, 0, y0, 0, dy)`` with ``dy < 0``.
        plot_size_mu: the area of a cell (mu).
        cell: grid cell of each plot (``row * width + col``), ascending: plots are the farmland
            cells in row-major order.
        hilly: each plot is hilly (band 1 = 2).
        quality: each plot's yield multiplier (from band 2), or ``None`` when there is no band 2.
        village: village index of each plot.
        cell_village: village index of every cell of the grid, -1 outside every village.
        village_ids: ``village_id`` of each village index (ascending as numbers where they all
            are, else as text).
        strength: each village's Party-branch strength (0-1), or ``None``.
        outlines: each village's outline as WKB (from the GeoPackage), or ``None`` (an id raster:
            outlines are traced from it when a map needs them).
        households: the household table.
        files: the three files read, by scenario key.
        digest: SHA-256 of the three files' bytes.
    """

    width: int
    height: int
    crs: str
    transform: tuple[float, float, float, float, float, float]
    plot_size_mu: float
    cell: np.ndarray
    hilly: np.ndarray
    quality: np.ndarray | None
    village: np.ndarray
    cell_village: np.ndarray
    village_ids: list[str]
    strength: np.ndarray | None
    outlines: list[bytes] | None
    households: Households
    files: dict[str, Path]
    digest: str

    @property
    def n_plots(self) -> int:
        """Farmland plots."""
        return int(self.cell.size)

    @property
    def n_villages(self) -> int:
        """Villages."""
        return len(self.village_ids)


class RegionError(ScenarioError):
    """A region's files that cannot be used: one line per problem, naming the file, the column
    and row (or band and cell, or feature), the rule and the value."""


class Problems:
    """The problems found in a region's files, worded as lines and raised together."""

    def __init__(self) -> None:
        """No problems yet."""
        self.lines: list[str] = []

    def add(self, where: str, rule: str) -> None:
        """One problem: ``where`` (file and place) and the rule broken, with the value."""
        self.lines.append(f"{where}: {rule}")

    def __bool__(self) -> bool:
        return bool(self.lines)

    def raise_any(self) -> None:
        """Raise the problems so far (at most :data:`MAX_PROBLEMS` lines and a count).

        Raises:
            RegionError: when there is any.
        """
        if not self.lines:
            return
        lines = self.lines[:MAX_PROBLEMS]
        if len(self.lines) > MAX_PROBLEMS:
            lines.append(f"... and {len(self.lines) - MAX_PROBLEMS} more problems")
        raise RegionError("\n".join(lines))


def show(value: Any, limit: int = 40) -> str:
    """A value from a file, quoted if it is text, short and safe for a terminal."""
    if isinstance(value, str):
        return safe_text(repr(value), limit)
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value)) if not np.isnan(value) else "nan"
    return safe_text(str(value), limit)
