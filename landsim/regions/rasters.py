"""The region's rasters: the land raster (plots, terrain, quality) and a raster of village ids.

Summary of rules: a land raster is a GeoTIFF in a projected CRS whose unit is a length (metres,
feet, ...), north-up and not rotated, with one or two bands: band 1 says what each cell is (0
not farmland, 1 flat farmland, 2 hilly farmland; nodata is outside the town) and band 2, when
there is one, the cell's land quality from 0 (worst) to 1 (best). A cell is a plot of the
cell's area, which must lie within the bounds of ``plot_size_mu``. The header is checked before
a pixel is read (:func:`read_header`), so that a raster too large for memory is refused from
its header (:mod:`landsim.regions.load`). A raster of village ids must share the land raster's
grid exactly: size, corner, cell size and CRS.

Parts: :class:`Header`, :func:`read_header`, :func:`check_plot_size`, :func:`check_grid`,
:func:`read_land`, :func:`read_ids`, :func:`crs_text`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from landsim.params import World
from landsim.regions.region import SQ_M_PER_MU, Problems, RegionError, quality_multiplier, show

__all__ = [
    "Header",
    "read_header",
    "check_plot_size",
    "check_grid",
    "read_land",
    "read_ids",
    "crs_text",
]

_SIZE = World.model_fields["width"].metadata  # the grid's bounds are World's
_MAX_SIDE = next(int(m.le) for m in _SIZE if hasattr(m, "le"))
_MIN_SIDE = next(int(m.ge) for m in _SIZE if hasattr(m, "ge"))
_PLOT = World.model_fields["plot_size_mu"].metadata
_MIN_MU = next(float(m.ge) for m in _PLOT if hasattr(m, "ge"))
_MAX_MU = next(float(m.le) for m in _PLOT if hasattr(m, "le"))
#: largest difference of two grids' corners and cell sizes that still aligns them, as a share
#: of a cell (floating point in GeoTIFF tags)
_ALIGN = 1e-6
_BAND1 = "must be 0 (not farmland), 1 (flat) or 2 (hilly)"


@dataclass(frozen=True)
class Header:
    """What a raster's header says, checked.

    Attributes:
        path, shown: the file, and the file as messages show it.
        width, height, count: cells across, down, and bands.
        dtypes: each band's data type.
        crs: its CRS (a rasterio ``CRS``).
        transform: GDAL order ``(x0, dx, 0, y0, 0, dy)``.
        metres: metres per unit of the CRS.
    """

    path: Path
    shown: str
    width: int
    height: int
    count: int
    dtypes: tuple[str, ...]
    crs: object
    transform: tuple[float, float, float, float, float, float]
    metres: float

    @property
    def cell_mu(self) -> float:
        """The area of one cell (mu), to 10 significant digits: a cell of a 1-mu grid is
        sqrt(2000/3) m across, and its area comes back as 1 mu, not 1.0000000000000002."""
        _, dx, _, _, _, dy = self.transform
        return float(f"{abs(dx * dy) * self.metres**2 / SQ_M_PER_MU:.10g}")


def crs_text(crs) -> str:
    """A CRS as a scenario writes it: ``EPSG:NNNN`` when it has that code, else its WKT."""
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.to_wkt()


def _open(path: Path, shown: str):
    import rasterio
    from rasterio.errors import RasterioIOError

    if not path.is_file():
        raise RegionError(f"{shown}: no such file")
    try:
        return rasterio.open(path, driver="GTiff")  # GeoTIFF only: no other GDAL driver
    except RasterioIOError as err:
        why = str(err).split("\n", 1)[0][:120]
        raise RegionError(f"{shown}: not a GeoTIFF that GDAL can read ({why})") from None


def read_header(path: Path, shown: str, bands: tuple[int, ...] = (1, 2)) -> Header:
    """The raster's header, checked; no pixel is read.

    Args:
        path: the file.
        shown: the file as messages show it.
        bands: how many bands it may have (a land raster 1 or 2, an id raster 1).

    Raises:
        RegionError: one line per problem with the header.
    """
    with _open(path, shown) as src:
        crs, t, count = src.crs, src.transform, src.count
        width, height, dtypes = src.width, src.height, tuple(src.dtypes)
    problems = Problems()
    metres = 1.0
    if crs is None:
        problems.add(shown, "has no coordinate reference system; assign its projected CRS")
    elif not crs.is_projected:
        problems.add(
            shown,
            f"crs {show(crs_text(crs), 60)}: must be a projected CRS in metres such as "
            "EPSG:32651 (UTM zone 51N); reproject it (gdalwarp -t_srs EPSG:32651 ...)",
        )
    else:
        factor = crs.linear_units_factor[1]
        if not factor or not math.isfinite(factor):
            problems.add(shown, f"crs {show(crs_text(crs), 60)}: its unit is not a length")
        else:
            metres = float(factor)
    if t.b != 0 or t.d != 0:
        problems.add(shown, f"transform {tuple(t)[:6]}: must not be rotated or sheared")
    elif t.e >= 0 or t.a <= 0:
        problems.add(shown, f"cell size {t.a:g} x {t.e:g}: must be north-up (dx > 0, dy < 0)")
    if count not in bands:
        want = " or ".join(str(b) for b in bands)
        problems.add(shown, f"has {count} bands: must have {want}")
    for side, n in (("width", width), ("height", height)):
        if not _MIN_SIDE <= n <= _MAX_SIDE:
            problems.add(
                shown, f"{side} {n} cells: must be {_MIN_SIDE} to {_MAX_SIDE:,} (world.{side})"
            )
    for b, dtype in enumerate(dtypes, 1):
        if not (np.issubdtype(np.dtype(dtype), np.integer) or dtype in ("float32", "float64")):
            problems.add(shown, f"band {b} has data type {dtype}: must be integers or floats")
    problems.raise_any()
    header = Header(path, shown, width, height, count, dtypes, crs, t.to_gdal(), metres)
    return header


def check_plot_size(header: Header) -> None:
    """A cell is a plot: its area must be a plot size the model accepts.

    Raises:
        RegionError: naming the cell size, its area in mu and the bounds.
    """
    mu = header.cell_mu
    if not _MIN_MU <= mu <= _MAX_MU:
        _, dx, _, _, _, dy = header.transform
        raise RegionError(
            f"{header.shown}: cell {abs(dx) * header.metres:g} m x {abs(dy) * header.metres:g} m "
            f"= {mu:.4g} mu: a cell is one plot, and plot_size_mu must be {_MIN_MU:g} to "
            f"{_MAX_MU:g} mu; resample the raster (gdalwarp -tr)"
        )


def _where(shown: str, band: int, width: int, flat_index: int) -> str:
    row, col = divmod(int(flat_index), width)
    return f"{shown}: band {band}, row {row}, column {col}"


def _valid(src, band: int) -> np.ndarray:
    """Cells with data: GDAL's mask (nodata, a mask band or alpha), and not NaN."""
    return src.read_masks(band).ravel() > 0


def read_land(header: Header) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray]:
    """Read and check a land raster's bands.

    Returns:
        ``(cell, hilly, quality, inside)``: the farmland cells (row-major numbers), whether
        each is hilly, each one's yield multiplier (``None`` without band 2), and the mask of
        cells with data.

    Raises:
        RegionError: values that are not 0/1/2, nodata everywhere, no farmland, a quality
            outside 0-1 or missing on farmland.
    """
    shown, w = header.shown, header.width
    problems = Problems()
    with _open(header.path, shown) as src:
        kind = src.read(1).ravel()
        inside = _valid(src, 1)
        if kind.dtype.kind == "f":
            inside &= ~np.isnan(kind)
        if not inside.any():
            nodata = src.nodatavals[0]
            raise RegionError(f"{shown}: band 1: every cell is nodata ({show(nodata)})")
        bad = inside & ~np.isin(kind, (0, 1, 2))
        if bad.any():
            first = int(np.flatnonzero(bad)[0])
            more = int(bad.sum()) - 1
            problems.add(
                f"{_where(shown, 1, w, first)} = {show(kind[first].item())}",
                _BAND1 + (f" ({more:,} more cells like it)" if more else ""),
            )
            problems.raise_any()
        farm = inside & (kind > 0)
        if not farm.any():
            raise RegionError(f"{shown}: band 1: no cell is farmland (1 flat or 2 hilly)")
        cell = np.flatnonzero(farm)
        hilly = kind[cell] == 2
        quality = None
        if header.count == 2:
            q = src.read(2).ravel()
            has = _valid(src, 2)[cell] & ~np.isnan(q[cell].astype(np.float64))
            qc = q[cell].astype(np.float64)
            for mask, rule in (
                (~has, "is nodata on farmland: every farmland cell needs a quality 0-1"),
                (has & ((qc < 0) | (qc > 1)), "must be a quality from 0 (worst) to 1 (best)"),
            ):
                if mask.any():
                    first = int(np.flatnonzero(mask)[0])
                    more = int(mask.sum()) - 1
                    problems.add(
                        f"{_where(shown, 2, w, cell[first])} = {show(qc[first].item())}",
                        rule + (f" ({more:,} more farmland cells like it)" if more else ""),
                    )
            problems.raise_any()
            quality = quality_multiplier(qc)
    return cell.astype(np.int64), hilly, quality, inside


def check_grid(header: Header, land: Header) -> None:
    """A raster of village ids must lie on the land raster's grid (from the headers).

    Raises:
        RegionError: naming both grids.
    """
    same = (header.width, header.height) == (land.width, land.height) and header.crs == land.crs
    cell = abs(land.transform[1])
    same = same and all(
        abs(a - b) <= _ALIGN * cell for a, b in zip(header.transform, land.transform, strict=True)
    )
    if not same:
        x0, dx, _, y0, _, dy = header.transform
        lx0, ldx, _, ly0, _, ldy = land.transform
        raise RegionError(
            f"{header.shown}: grid {header.width} x {header.height} cells of {dx:g} x {dy:g} "
            f"from ({x0:g}, {y0:g}) in {show(crs_text(header.crs), 40)}: must be the land "
            f"raster's grid ({land.shown}: {land.width} x {land.height} cells of {ldx:g} x "
            f"{ldy:g} from ({lx0:g}, {ly0:g}) in {show(crs_text(land.crs), 40)})"
        )


def read_ids(header: Header) -> np.ndarray:
    """Read a raster of village ids (its grid checked by :func:`check_grid`).

    Returns:
        The village id of every cell (int64, row-major), 0 where there is none (nodata or 0).

    Raises:
        RegionError: ids that are not whole numbers or are negative.
    """
    shown = header.shown
    with _open(header.path, shown) as src:
        raw = src.read(1).ravel()
        inside = _valid(src, 1)
    if raw.dtype.kind == "f":
        inside &= ~np.isnan(raw)
        whole = np.zeros(raw.size, dtype=bool)
        whole[inside] = raw[inside] == np.round(raw[inside])
        bad = inside & (~whole | (raw < 0))
    else:
        bad = inside & (raw < 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise RegionError(
            f"{_where(shown, 1, header.width, first)} = {show(raw[first].item())}: a village id "
            "must be a whole number of at least 1 (0 or nodata: no village)"
        )
    ids = np.zeros(raw.size, dtype=np.int64)
    ids[inside] = raw[inside].astype(np.int64)
    return ids
