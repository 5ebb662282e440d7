"""Where a town's grid lies on the map: its CRS and the affine transform of its cells.

A region's grid is its land raster's. A synthetic town's grid starts at ``[world] origin_x``
(west edge) and ``origin_y`` (north edge) in ``[world] crs`` — a projected CRS in metres, UTM
zone 51N (EPSG:32651) near Rongcheng by default — and each plot is a square of
``plot_size_mu`` (one mu is 2000/3 square metres: a 1-mu plot is 25.8 m across).

Parts: :class:`Georeference`, :func:`georeference`, :func:`check_map_crs`,
:func:`village_cells`, :func:`trace_outlines`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from landsim.params import World
from landsim.regions.region import SQ_M_PER_MU, RegionError, show

__all__ = ["Georeference", "georeference", "check_map_crs", "trace_outlines", "village_cells"]


@dataclass(frozen=True)
class Georeference:
    """A grid on the map.

    Attributes:
        crs: its CRS (``EPSG:NNNN`` or WKT).
        transform: GDAL order ``(x0, dx, 0, y0, 0, dy)``, ``dy < 0`` (row 0 is the north edge).
        width, height: cells across and down.
    """

    crs: str
    transform: tuple[float, float, float, float, float, float]
    width: int
    height: int

    @property
    def affine(self):
        """The transform as rasterio's ``Affine``."""
        from rasterio.transform import Affine

        x0, dx, _, y0, _, dy = self.transform
        return Affine(dx, 0.0, x0, 0.0, dy, y0)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)``."""
        x0, dx, _, y0, _, dy = self.transform
        return (x0, y0 + dy * self.height, x0 + dx * self.width, y0)

    def cell_boxes(self, cells: np.ndarray) -> np.ndarray:
        """Each cell (``row * width + col``) as a shapely polygon (its four corners)."""
        import shapely

        x0, dx, _, y0, _, dy = self.transform
        rows, cols = np.divmod(np.asarray(cells, dtype=np.int64), self.width)
        west, north = x0 + cols * dx, y0 + rows * dy
        return shapely.box(west, north + dy, west + dx, north)


def georeference(world: World) -> Georeference:
    """Where the town of ``world`` lies on the map (a region: its land raster's grid)."""
    if world.is_region:
        from landsim.regions.load import region_of

        region = region_of(world)
        return Georeference(region.crs, region.transform, region.width, region.height)
    side = math.sqrt(world.plot_size_mu * SQ_M_PER_MU)
    transform = (world.origin_x, side, 0.0, world.origin_y, 0.0, -side)
    return Georeference(world.crs, transform, world.width, world.height)


def check_map_crs(world: World) -> None:
    """A synthetic town's ``crs`` must be a projected CRS in metres (its plots are squares of
    ``plot_size_mu``); a region's is its land raster's, checked when it was read.

    Raises:
        RegionError: naming ``world.crs``, its value and the rule.
    """
    if world.is_region:
        return
    from rasterio.crs import CRS
    from rasterio.errors import CRSError

    try:
        crs = CRS.from_user_input(world.crs)
    except CRSError:
        raise RegionError(
            f"world.crs = {show(world.crs, 60)}: not a coordinate reference system GDAL knows "
            "(use an EPSG code such as EPSG:32651)"
        ) from None
    factor = crs.linear_units_factor[1] if crs.is_projected else None
    if not crs.is_projected or factor != 1.0:
        raise RegionError(
            f"world.crs = {show(world.crs, 60)}: must be a projected CRS in metres, such as "
            "EPSG:32651 (UTM zone 51N)"
        )


def village_cells(world: World, plot_cell: np.ndarray, plot_village: np.ndarray) -> np.ndarray:
    """The village index of every cell of the grid (-1 outside every village): a region's
    outlines hold roads and settlements too; a synthetic town's villages are its plots'."""
    if world.is_region:
        from landsim.regions.load import region_of

        return region_of(world).cell_village
    out = np.full(world.width * world.height, -1, dtype=np.int32)
    out[plot_cell] = plot_village
    return out


def trace_outlines(grid: Georeference, cell_village: np.ndarray) -> dict[int, object]:
    """Each village's outline (a shapely polygon or multipolygon) traced along the edges of its
    cells, by village index."""
    import shapely
    from rasterio.features import shapes

    cells = np.asarray(cell_village, dtype=np.int32).reshape(grid.height, grid.width)
    parts: dict[int, list] = {}
    for geom, value in shapes(cells, mask=cells >= 0, transform=grid.affine):
        parts.setdefault(int(value), []).append(shapely.geometry.shape(geom))
    return {v: shapely.union_all(parts[v]) for v in sorted(parts)}
