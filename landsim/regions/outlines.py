"""The region's villages: outlines from a GeoPackage, or ids from a raster, as a village per cell.

Summary of rules: a GeoPackage of villages holds one layer (or a layer named ``villages``) of
polygons in the land raster's CRS, at most :data:`MAX_VILLAGES` of them, each with a
``village_id`` (whole number or text, unique) and, optionally, ``branch_strength`` (0-1: the
strength of its Party branch, which the model otherwise draws). Outlines must be valid and
must not overlap (by more than :data:`OVERLAP_SHARE` of a cell). A cell belongs to the village
whose outline holds the cell's centre (rasterio's rasterize); farmland outside every village
is not part of the town.

Parts: :data:`MAX_VILLAGES`, :class:`Outlines`, :func:`read_outlines`, :func:`village_of_cells`,
:func:`id_text`, :func:`sorted_ids`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from landsim.params import World
from landsim.regions.rasters import Header, crs_text
from landsim.regions.region import Problems, RegionError, show

__all__ = [
    "MAX_VILLAGES",
    "OVERLAP_SHARE",
    "Outlines",
    "read_outlines",
    "village_of_cells",
    "id_text",
    "sorted_ids",
]

#: the most villages a region may have (world.region_villages)
MAX_VILLAGES = next(
    int(m.le) for m in World.model_fields["region_villages"].metadata if hasattr(m, "le")
)
#: outlines may overlap by this share of a cell's area (slivers of digitizing), not more
OVERLAP_SHARE = 0.01


@dataclass
class Outlines:
    """The villages of a GeoPackage, in the order of its features.

    Attributes:
        ids: ``village_id`` of each feature (as text).
        strength: ``branch_strength`` of each, or ``None`` when the layer has no such column.
        wkb: each outline as WKB.
    """

    ids: list[str]
    strength: np.ndarray | None
    wkb: list[bytes]


def id_text(value: Any) -> str | None:
    """An id as text: whole numbers without a decimal point; ``None`` for a missing value."""
    if value is None:
        return None
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    if isinstance(value, (float, np.floating)):
        if np.isnan(value):
            return None
        if float(value).is_integer():
            return str(int(value))
        return repr(float(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    text = str(value).strip()
    return text or None


def sorted_ids(ids: list[str]) -> list[str]:
    """Ids in ascending order: as numbers when every one is a whole number, else as text."""
    try:
        return sorted(ids, key=int)
    except ValueError:
        return sorted(ids)


def _layer(path: Path, shown: str) -> str:
    import pyogrio

    try:
        layers = pyogrio.list_layers(path)
    except Exception as err:  # pyogrio's DataSourceError and GDAL's errors for a bad file
        why = str(err).split("\n", 1)[0][:120]
        raise RegionError(f"{shown}: not a GeoPackage that GDAL can read ({why})") from None
    spatial = [str(name) for name, kind in layers if kind is not None]
    if "villages" in spatial:
        return "villages"
    if len(spatial) != 1:
        names = ", ".join(show(n) for n in spatial[:5]) or "none"
        raise RegionError(
            f"{shown}: has {len(spatial)} layers with outlines ({names}): keep one, or name the "
            "villages' layer 'villages'"
        )
    return spatial[0]


def read_outlines(path: Path, shown: str, land: Header) -> Outlines:
    """Read and check a GeoPackage of village outlines against the land raster ``land``.

    Raises:
        RegionError: one line per problem (a missing column, an id missing or given twice, a
            strength outside 0-1, a geometry that is missing, not a polygon or not valid,
            villages that overlap, another CRS than the land raster's).
    """
    import pyogrio
    import shapely
    from rasterio.crs import CRS

    if not path.is_file():
        raise RegionError(f"{shown}: no such file")
    if path.suffix.lower() != ".gpkg":
        raise RegionError(f"{shown}: village outlines must be a GeoPackage (.gpkg) or a .tif")
    layer = _layer(path, shown)
    info = pyogrio.read_info(path, layer=layer)
    if info.get("driver") != "GPKG":
        raise RegionError(f"{shown}: not a GeoPackage (GDAL reads it as {info.get('driver')})")
    fields = [str(f) for f in info["fields"]]
    if "village_id" not in fields:
        raise RegionError(
            f"{shown}: column village_id is missing: each village outline needs its id "
            f"(columns found: {', '.join(fields[:10]) or 'none'})"
        )
    count = int(info.get("features") or 0)
    if count < 1 or count > MAX_VILLAGES:
        raise RegionError(f"{shown}: has {count:,} villages: must have 1 to {MAX_VILLAGES:,}")
    crs = info.get("crs")
    theirs = CRS.from_user_input(crs) if crs else None
    if theirs is None or theirs != land.crs:
        got = show(crs_text(theirs), 60) if theirs is not None else "none"
        raise RegionError(
            f"{shown}: crs {got}: must be the land raster's CRS, {show(crs_text(land.crs), 60)} "
            f"({land.shown}); reproject it (ogr2ogr -t_srs ...)"
        )
    columns = ["village_id"] + (["branch_strength"] if "branch_strength" in fields else [])
    _, fids, geometry, data = pyogrio.raw.read(path, layer=layer, columns=columns, return_fids=True)
    problems = Problems()
    ids: list[str] = []
    seen: dict[str, int] = {}
    for fid, raw in zip(fids.tolist(), data[0].tolist(), strict=True):
        text = id_text(raw)
        where = f"{shown}: feature {fid}"
        if text is None:
            problems.add(f"{where}: village_id", "is empty: every village needs an id")
        elif text in seen:
            problems.add(
                f"{where}: village_id = {show(text)}",
                f"is given twice (also feature {seen[text]}): ids must be unique",
            )
        else:
            seen[text] = fid
        ids.append(text or "")
    strength = None
    if len(columns) == 2:
        strength = np.asarray(data[1], dtype=np.float64)
        bad = ~((strength >= 0) & (strength <= 1))
        for fid, value in zip(fids[bad].tolist(), strength[bad].tolist(), strict=True):
            problems.add(
                f"{shown}: feature {fid}: branch_strength = {show(value)}",
                "must be a branch strength from 0 to 1",
            )
    geoms = shapely.from_wkb(geometry)
    for fid, g in zip(fids.tolist(), geoms.tolist(), strict=True):
        where = f"{shown}: feature {fid}"
        if g is None or g.is_empty:
            problems.add(where, "has no outline")
        elif g.geom_type not in ("Polygon", "MultiPolygon"):
            problems.add(where, f"is a {g.geom_type}: a village outline must be a polygon")
        elif not g.is_valid:
            problems.add(where, f"outline is not valid ({shapely.is_valid_reason(g)})")
    problems.raise_any()
    _check_overlaps(geoms, fids, ids, shown, land)
    return Outlines(ids=ids, strength=strength, wkb=[bytes(b) for b in geometry])


def _check_overlaps(geoms: np.ndarray, fids: np.ndarray, ids: list[str], shown: str, land: Header):
    import shapely

    _, dx, _, _, _, dy = land.transform
    slack = OVERLAP_SHARE * abs(dx * dy)
    tree = shapely.STRtree(geoms)
    left, right = tree.query(geoms, predicate="intersects")
    keep = left < right
    left, right = left[keep], right[keep]
    problems = Problems()
    if left.size:
        area = shapely.area(shapely.intersection(geoms[left], geoms[right]))
        for i, j, a in zip(left.tolist(), right.tolist(), area.tolist(), strict=True):
            if a > slack:
                problems.add(
                    f"{shown}: features {fids[i]} and {fids[j]} (village_id {show(ids[i])} and "
                    f"{show(ids[j])})",
                    f"overlap by {a:,.0f} square units of the CRS: villages must not overlap",
                )
    problems.raise_any()


def village_of_cells(outlines: Outlines, order: list[str], land: Header) -> np.ndarray:
    """The village index (into ``order``) of every cell whose centre lies in an outline, -1
    elsewhere (row-major)."""
    import shapely
    from rasterio.features import rasterize
    from rasterio.transform import Affine

    index = {v: i for i, v in enumerate(order)}
    shapes = (
        (g, index[v] + 1)
        for g, v in zip(shapely.from_wkb(outlines.wkb).tolist(), outlines.ids, strict=True)
    )
    x0, dx, _, y0, _, dy = land.transform
    grid = rasterize(
        shapes,
        out_shape=(land.height, land.width),
        transform=Affine(dx, 0.0, x0, 0.0, dy, y0),
        fill=0,
        dtype="int32",
    )
    return grid.ravel().astype(np.int32) - 1
