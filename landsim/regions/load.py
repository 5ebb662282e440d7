"""Reading a region: its files in order, every check, and what it tells the scenario.

Summary of rules, in the order they are applied (each problem one line, exit status 2):

1. the land raster's header (:func:`landsim.regions.rasters.read_header`): CRS, orientation,
   bands, size, plot size;
2. the villages: a GeoPackage's outlines (:mod:`landsim.regions.outlines`) or an id raster's
   header (its grid must be the land raster's);
3. the household table (:mod:`landsim.regions.table`);
4. memory, from the headers and the table alone: a town of the raster's cells, the table's
   households and the villages must fit (:func:`landsim.limits.check_world`) — so a raster too
   large is refused before a pixel of it is read;
5. the rasters' cells, then the farmland of each village: every village holds farmland, and
   every household's plots lie on farmland of its own village, no cell held twice, enough
   farmland for the plots the households ask for.

:func:`read_region` caches what it read (by the files' paths, sizes and modification times), so
the scenario loader, the model and the maps read a region once per process.
:func:`resolve_world` is what :func:`landsim.scenario.load_scenario` calls: the world's paths
made absolute and the region's size filled in.

Parts: :func:`read_region`, :func:`resolve_world`, :data:`FILE_KEYS`, :data:`FILLED_KEYS`.
"""

from __future__ import annotations

import hashlib
import math
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from landsim import limits
from landsim.extras import require
from landsim.params import World
from landsim.problems import shown_path
from landsim.regions.outlines import read_outlines, sorted_ids, village_of_cells
from landsim.regions.rasters import (
    check_grid,
    check_plot_size,
    crs_text,
    read_header,
    read_ids,
    read_land,
)
from landsim.regions.region import Households, Problems, Region, RegionError, show
from landsim.regions.table import assign_villages, read_households

__all__ = ["read_region", "resolve_world", "FILE_KEYS", "FILLED_KEYS", "digest_of"]

#: the scenario keys that name a region's files
FILE_KEYS = ("land_raster", "villages", "households")
#: the keys of [world] a region sets (besides the paths)
FILLED_KEYS = (
    "width",
    "height",
    "plot_size_mu",
    "crs",
    "origin_x",
    "origin_y",
    "region_plots",
    "region_villages",
    "region_households",
    "region_digest",
)
_CACHE: OrderedDict[tuple, Region] = OrderedDict()
_CACHE_SIZE = 4
_LOCK = threading.Lock()


def digest_of(paths: list[Path]) -> str:
    """SHA-256 of the files' bytes, one after the other (each preceded by its length)."""
    h = hashlib.sha256()
    for path in paths:
        h.update(str(path.stat().st_size).encode() + b"\0")
        with open(path, "rb") as fh:
            for block in iter(lambda: fh.read(1 << 20), b""):
                h.update(block)
    return h.hexdigest()


def _key(files: dict[str, Path]) -> tuple:
    out = []
    for name in FILE_KEYS:
        path = files[name]
        try:
            st = path.stat()
            out.append((name, str(path), st.st_size, st.st_mtime_ns))
        except OSError:
            out.append((name, str(path), -1, -1))
    return tuple(out)


def read_region(files: dict[str, Path]) -> Region:
    """The region of ``files`` (absolute paths by :data:`FILE_KEYS`), read and checked once per
    process while the files stay unchanged.

    Raises:
        MissingExtra: the ``[gis]`` extra is not installed.
        RegionError: one line per problem found.
    """
    require("gis", "a region ([world] land_raster, villages, households)")
    key = _key(files)
    with _LOCK:
        if key in _CACHE:
            _CACHE.move_to_end(key)
            return _CACHE[key]
    region = _read(files)
    with _LOCK:
        _CACHE[key] = region
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return region


def _read(files: dict[str, Path]) -> Region:
    shown = {k: shown_path(p) for k, p in files.items()}
    land = read_header(files["land_raster"], shown["land_raster"])
    check_plot_size(land)
    vpath = files["villages"]
    id_raster = vpath.suffix.lower() in (".tif", ".tiff")
    outlines = None
    if id_raster:
        vheader = read_header(vpath, shown["villages"], bands=(1,))
        check_grid(vheader, land)
    else:
        outlines = read_outlines(vpath, shown["villages"], land)
    table = read_households(files["households"], shown["households"], land.width * land.height)
    # an id raster's villages are known only from its cells: until they are read, the memory
    # check counts the villages the table names
    n_villages = len(outlines.ids) if outlines else len(set(table.village_text))
    _fits_memory(land, n_villages, table.n)
    if id_raster:
        ids = read_ids(vheader)
        order = sorted_ids([str(v) for v in np.unique(ids[ids > 0]).tolist()])
        if not order:
            raise RegionError(f"{shown['villages']}: band 1: no cell has a village id")
        what = f"the village ids of {shown['villages']}"
    else:
        order = sorted_ids(outlines.ids)
        what = f"the outlines of {shown['villages']}"
    index = {v: i for i, v in enumerate(order)}
    assign_villages(table, index, what)
    cell, hilly, quality, _ = read_land(land)
    if id_raster:
        lookup = np.full(int(ids.max()) + 1, -1, dtype=np.int32)
        lookup[[int(v) for v in order]] = np.arange(len(order), dtype=np.int32)
        cell_village = lookup[ids]
    else:
        cell_village = village_of_cells(outlines, order, land)
    strength = None
    if outlines is not None and outlines.strength is not None:
        strength = np.empty(len(order))
        strength[[index[v] for v in outlines.ids]] = outlines.strength
    ordered = None
    if outlines is not None:
        pos = {v: i for i, v in enumerate(outlines.ids)}
        ordered = [outlines.wkb[pos[v]] for v in order]
    village = cell_village[cell]
    inside = village >= 0  # farmland outside every village is not part of the town
    cell, hilly, village = cell[inside], hilly[inside], village[inside]
    quality = quality[inside] if quality is not None else None
    _check_land(cell, village, cell_village, table, order, shown)
    x0, dx, _, y0, _, dy = land.transform
    return Region(
        width=land.width,
        height=land.height,
        crs=crs_text(land.crs),
        transform=(x0, dx, 0.0, y0, 0.0, dy),
        plot_size_mu=land.cell_mu,
        cell=cell,
        hilly=hilly,
        quality=quality,
        village=village.astype(np.int32),
        cell_village=cell_village.astype(np.int32),
        village_ids=order,
        strength=strength,
        outlines=ordered,
        households=table,
        files=dict(files),
        digest=digest_of([files[k] for k in FILE_KEYS]),
    )


def _fits_memory(land, n_villages: int, n_households: int) -> None:
    """Refuse, from the headers and the table, a town that would not fit in memory."""
    cells = land.width * land.height
    try:
        limits.check_world(cells, n_villages, math.ceil(n_households / n_villages))
    except ValueError as err:
        raise RegionError(
            f"{land.shown}: {land.width:,} x {land.height:,} cells: {err} (checked from the "
            "header, before reading the raster)"
        ) from None


def _check_land(
    cell: np.ndarray,
    village: np.ndarray,
    cell_village: np.ndarray,
    table: Households,
    order: list[str],
    shown: dict[str, str],
) -> None:
    """Every village holds farmland; listed plots lie on farmland of the household's village,
    each held once; each village has farmland for the plots its households ask for."""
    problems = Problems()
    farm = np.bincount(village, minlength=len(order))
    used = np.bincount(table.village[table.village >= 0], minlength=len(order))
    for v in np.flatnonzero(farm == 0).tolist():
        problems.add(
            f"{shown['villages']}: village_id {show(order[v])}",
            "holds no farmland cell (band 1 = 1 or 2) of the land raster",
        )
    problems.raise_any()
    is_plot = np.full(cell_village.size, -1, dtype=np.int64)
    is_plot[cell] = np.arange(cell.size)
    hh = np.repeat(np.arange(table.n), np.diff(table.cell_offsets))
    listed = table.cells
    plot = is_plot[listed] if listed.size else listed
    where = shown["households"]
    bad_farm = plot < 0
    wrong_village = ~bad_farm & (village[np.maximum(plot, 0)] != table.village[hh])
    for mask, rule in (
        (bad_farm, "is not farmland of any village (band 1 = 0, nodata, or outside villages)"),
        (wrong_village, "lies in another village than the household's"),
    ):
        for k in np.flatnonzero(mask)[:5].tolist():
            problems.add(
                f"{where}: household_id {show(table.ids[hh[k]])}: plot_cells {int(listed[k])}",
                rule,
            )
    if listed.size:
        order_cells = np.argsort(listed, kind="stable")
        dup = np.flatnonzero(np.diff(listed[order_cells]) == 0)
        for k in dup[:5].tolist():
            a, b = hh[order_cells[k]], hh[order_cells[k + 1]]
            twice = int(listed[order_cells[k]])
            problems.add(
                f"{where}: household_id {show(table.ids[b])}: plot_cells {twice}",
                f"is held by household_id {show(table.ids[a])} too: a plot has one holder",
            )
    problems.raise_any()
    free = farm - np.bincount(village[plot], minlength=len(order)) if plot.size else farm
    want = np.bincount(table.village, weights=table.plots, minlength=len(order))
    for v in np.flatnonzero(want > free).tolist():
        problems.add(
            f"{where}: village_id {show(order[v])}",
            f"its {int(used[v]):,} households ask for {int(want[v]):,} plots, but only "
            f"{int(free[v]):,} farmland cells are free: households would be left without land",
        )
    problems.raise_any()


def resolve_world(world: World, files: dict[str, Path]) -> World:
    """``world`` with its region's paths made absolute and the region's size filled in
    (:data:`FILLED_KEYS`).

    Args:
        world: the scenario's world (its paths as the file wrote them).
        files: each file, resolved against the scenario file that named it.

    Raises:
        MissingExtra, RegionError: as :func:`read_region`.
    """
    region = read_region(files)
    x0, _, _, y0, _, _ = region.transform
    data = world.model_dump()
    data.update({k: str(files[k]) for k in FILE_KEYS})
    data.update(
        width=region.width,
        height=region.height,
        plot_size_mu=region.plot_size_mu,
        crs=region.crs,
        origin_x=float(x0),
        origin_y=float(y0),
        region_plots=region.n_plots,
        region_villages=region.n_villages,
        region_households=region.households.n,
        region_digest=region.digest,
    )
    return World.model_validate(data)


def region_of(world: World) -> Region:
    """The region a resolved ``world`` names, checked to be the one the scenario was loaded
    with (the same files' digest).

    Raises:
        RegionError: the files changed since the scenario was loaded, or as :func:`read_region`.
    """
    files = {k: Path(getattr(world, k)) for k in FILE_KEYS}
    region = read_region(files)
    if world.region_digest is not None and region.digest != world.region_digest:
        raise RegionError(
            f"{shown_path(files['land_raster'])}: the region's files changed since the "
            f"scenario was loaded (SHA-256 {region.digest[:12]}..., was "
            f"{world.region_digest[:12]}...); load the scenario again"
        )
    return region
