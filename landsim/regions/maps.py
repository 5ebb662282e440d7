"""Maps of a run, for QGIS and any GIS: plot states as GeoTIFF stacks or a GeoPackage layer,
village summaries as a GeoPackage of outlines.

What :func:`write_maps` writes into a folder (docs/regions.md; every file in the town's CRS,
on its grid):

* ``plot_kind.tif``, ``plot_holder.tif``, ``plot_abandoned.tif``, ``plot_rent.tif`` (format
  ``tif``): one band per recorded year — band 1 is year 0, band ``b`` year ``b - 1`` — each
  band named ``year Y``; cells that are not plots hold the layer's no-data value
  (:data:`landsim.recording.PLOT_LAYERS`);
* ``plots.gpkg`` (format ``gpkg``), layer ``plots``: one square per plot with ``plot``,
  ``row``, ``col``, ``village_id`` and, for every year ``Y``, ``kind_Y``, ``holder_Y``,
  ``abandoned_Y`` and ``rent_Y``;
* ``villages.gpkg``, layer ``villages``: one feature per village and year, the village's outline
  with its summary (:data:`landsim.recording.VILLAGE_COLUMNS`) — filter on ``year`` in QGIS.

Parts: :data:`FORMATS`, :func:`write_maps`, :func:`map_files`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from landsim.errors import UserError
from landsim.extras import require
from landsim.files import atomic_path
from landsim.params import World
from landsim.recording import PLOT_LAYERS, Recording
from landsim.regions.export import write_layer
from landsim.regions.grid import Georeference, georeference, trace_outlines, village_cells

__all__ = ["FORMATS", "write_maps", "map_files"]

#: what ``--maps`` may ask for: the plot stacks as GeoTIFF, as a GeoPackage layer, or both
FORMATS = ("tif", "gpkg", "both")
#: SQLite (GeoPackage) tables hold at most 2000 columns
_MAX_COLUMNS = 1999


def map_files(fmt: str) -> list[str]:
    """The files :func:`write_maps` writes for format ``fmt``."""
    tif = [f"plot_{layer}.tif" for layer in PLOT_LAYERS] if fmt in ("tif", "both") else []
    return tif + (["plots.gpkg"] if fmt in ("gpkg", "both") else []) + ["villages.gpkg"]


def write_maps(recording: Recording, world: World, folder: Path, fmt: str = "tif") -> list[Path]:
    """Write the maps of ``recording`` (a run of the town of ``world``) into ``folder``.

    Returns:
        The files written.

    Raises:
        MissingExtra: the ``[gis]`` extra is not installed.
        UserError: a GeoPackage of plots for more years than its columns can hold.
    """
    require("gis", "writing maps (--maps)")
    if fmt not in FORMATS:
        raise UserError(f"--maps {fmt}: must be one of {', '.join(FORMATS)}")
    folder.mkdir(parents=True, exist_ok=True)
    grid = georeference(world)
    written = []
    if fmt in ("tif", "both"):
        for layer in PLOT_LAYERS:
            path = folder / f"plot_{layer}.tif"
            _write_stack(path, grid, recording, layer)
            written.append(path)
    if fmt in ("gpkg", "both"):
        written.append(_write_plots(folder / "plots.gpkg", grid, recording))
    written.append(_write_villages(folder / "villages.gpkg", grid, recording, world))
    return written


def _write_stack(path: Path, grid: Georeference, rec: Recording, layer: str) -> None:
    import rasterio

    title, unit, values, nodata, dtype = PLOT_LAYERS[layer]
    stack = rec.stack(layer)
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": len(rec.years),
        "dtype": dtype,
        "crs": grid.crs,
        "transform": grid.affine,
        "nodata": nodata,
        "compress": "deflate",
        # one grey band per year: without this GDAL reads 3 or 4 bands of bytes as RGB(A)
        "photometric": "MINISBLACK",
        "tiled": grid.width >= 256 and grid.height >= 256,
    }
    with atomic_path(path, keep_suffix=True) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        band = np.full(grid.width * grid.height, nodata, dtype=dtype)
        for b, year in enumerate(rec.years, 1):
            band[rec.cell] = stack[b - 1]
            dst.write(band.reshape(grid.height, grid.width), b)
            dst.set_band_description(b, f"year {year}")
        dst.update_tags(
            layer=layer, title=title, unit=unit, values=values, bands="band b = year b - 1"
        )


def _write_plots(path: Path, grid: Georeference, rec: Recording) -> Path:
    n_columns = 4 + len(PLOT_LAYERS) * len(rec.years)
    if n_columns > _MAX_COLUMNS:
        raise UserError(
            f"--maps gpkg: {len(rec.years)} years need {n_columns} columns of plots.gpkg, more "
            f"than a GeoPackage holds ({_MAX_COLUMNS}); use --maps tif"
        )
    rows, cols = np.divmod(rec.cell, rec.width)
    fields: dict[str, np.ndarray] = {
        "plot": np.arange(rec.cell.size, dtype=np.int64),
        "row": rows.astype(np.int32),
        "col": cols.astype(np.int32),
        "village_id": np.array([rec.village_ids[v] for v in rec.plot_village.tolist()]),
    }
    stacks = {layer: rec.stack(layer) for layer in PLOT_LAYERS}
    for i, year in enumerate(rec.years):
        for layer, stack in stacks.items():
            fields[f"{layer}_{year}"] = stack[i]
    write_layer(path, "plots", list(grid.cell_boxes(rec.cell)), fields, grid.crs)
    return path


def _write_villages(path: Path, grid: Georeference, rec: Recording, world: World) -> Path:
    import shapely

    outlines: dict[int, object]
    if world.is_region:
        from landsim.regions.load import region_of

        region = region_of(world)
        if region.outlines is not None:
            outlines = dict(enumerate(shapely.from_wkb(region.outlines).tolist()))
        else:
            outlines = trace_outlines(grid, region.cell_village)
    else:
        outlines = trace_outlines(grid, village_cells(world, rec.cell, rec.plot_village))
    table = rec.village_table()
    index = {v: i for i, v in enumerate(rec.village_ids)}
    geoms = [outlines[index[v]] for v in table["village_id"].tolist()]
    fields = {c: table[c].to_numpy() for c in table.columns}
    write_layer(path, "villages", geoms, fields, grid.crs)
    return path
