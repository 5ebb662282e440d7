"""A town written as a region: a land raster, village outlines and a household table that
give back the same town, to the last bit, when a scenario names them.

:func:`export_region` builds the town of a parameter set and seed as
:class:`~landsim.model.LandModel` builds it (the same town-building generator,
:func:`landsim.town.town_rng`), and writes every column the model needs to start exactly:
quality (band 2), each village's branch strength, every member's age and whether they are
away, each household's trust, its plots by cell and its kin ties. Read back with the same
seed, the model runs exactly as the synthetic one (``tests/test_regions.py``). A researcher can
also start from the files and edit them.

Parts: :func:`export_region`, :func:`write_land_raster`, :func:`write_outlines`,
:func:`write_layer`, :func:`household_table`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from landsim.extras import require
from landsim.files import atomic_path
from landsim.params import Params
from landsim.regions.grid import Georeference, georeference, trace_outlines
from landsim.regions.load import FILE_KEYS, FILLED_KEYS, region_of
from landsim.regions.region import quality_index
from landsim.tomlio import to_toml
from landsim.town import Town, build_town, town_rng

__all__ = [
    "export_region",
    "write_land_raster",
    "write_outlines",
    "write_layer",
    "household_table",
]


def write_land_raster(path: Path, grid: Georeference, town: Town, quality: bool = True) -> None:
    """The plots as a land raster: band 1 0/1/2 (not farmland, flat, hilly), band 2 the
    quality index (float64, so that the yield multipliers come back exactly)."""
    import rasterio

    p = town.plots
    kind = p.grid(1 + p.hilly.astype(np.float64), fill=0.0)
    bands = [kind]
    if quality:
        bands.append(p.grid(quality_index(p.quality), fill=0.0))
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": len(bands),
        "dtype": "float64",
        "crs": grid.crs,
        "transform": grid.affine,
        "compress": "deflate",
    }
    with atomic_path(path, keep_suffix=True) as tmp, rasterio.open(tmp, "w", **profile) as dst:
        for b, values in enumerate(bands, 1):
            dst.write(values.astype(np.float64), b)
        dst.set_band_description(1, "land: 0 not farmland, 1 flat, 2 hilly")
        if quality:
            dst.set_band_description(2, "quality: 0 worst, 1 best (0.5 = average)")


def write_outlines(
    path: Path,
    grid: Georeference,
    cell_village: np.ndarray,
    ids: list,
    strength: np.ndarray | None = None,
) -> None:
    """Village outlines traced from the village of every cell (``-1``: none), one multipolygon
    per village, with ``village_id`` and, if given, ``branch_strength``."""
    outlines = trace_outlines(grid, cell_village)
    order = sorted(outlines)
    fields = {"village_id": np.array([ids[v] for v in order])}
    if strength is not None:
        fields["branch_strength"] = np.asarray(strength, dtype=np.float64)[order]
    write_layer(path, "villages", [outlines[v] for v in order], fields, grid.crs)


def write_layer(path: Path, layer: str, geoms: list, fields: dict[str, np.ndarray], crs: str):
    """A GeoPackage of one layer of (multi)polygons with ``fields``, written atomically."""
    import pyogrio
    import shapely

    with atomic_path(path, keep_suffix=True) as tmp:
        tmp.unlink()  # GDAL creates the GeoPackage itself
        pyogrio.raw.write(
            str(tmp),
            shapely.to_wkb(np.asarray(geoms, dtype=object)),
            list(fields.values()),
            fields=list(fields),
            layer=layer,
            driver="GPKG",
            geometry_type="MultiPolygon",
            promote_to_multi=True,
            crs=crs,
        )


def household_table(town: Town, n_households: int, village_ids: list) -> pd.DataFrame:
    """Every household of a town at its start, one row each, with every column that fixes it:
    ids (1, 2, ...), village ids (``village_ids`` by village index), ages, migrants, trust,
    plot cells, kin."""
    pop, p, kin = town.population, town.plots, town.kin
    n = n_households
    ids = [str(h + 1) for h in range(n)]
    m_hh = pop.m_hh
    starts = np.searchsorted(m_hh, np.arange(n + 1))
    ages = [pop.m_age[starts[h] : starts[h + 1]] for h in range(n)]
    away = [pop.m_away[starts[h] : starts[h + 1]] for h in range(n)]
    held = np.flatnonzero(p.holder >= 0)
    by_holder = held[np.argsort(p.holder[held], kind="stable")]
    hb = np.searchsorted(p.holder[by_holder], np.arange(n + 1))
    cell = p.cell
    half = kin.src.size // 2  # a town as built: each tie added once, both ways
    src, dst, close = kin.src[:half], kin.dst[:half], kin.closeness[:half]
    kb = np.searchsorted(src, np.arange(n + 1))
    return pd.DataFrame(
        {
            "household_id": ids,
            "village_id": [village_ids[v] for v in pop.hh_village[:n].tolist()],
            "head_age": [float(a[0]) for a in ages],
            "members": [int(a.size) for a in ages],
            "migrants": [int(f.sum()) for f in away],
            "plot_cells": [
                ";".join(str(c) for c in cell[by_holder[hb[h] : hb[h + 1]]].tolist())
                for h in range(n)
            ],
            "member_ages": [";".join(repr(float(x)) for x in a.tolist()) for a in ages],
            "member_migrant": [";".join(str(int(x)) for x in f.tolist()) for f in away],
            "trust": pop.trust[:n].astype(np.float64),
            "taste": pop.taste[:n].astype(np.float64),
            "kin": [
                ";".join(
                    f"{int(d) + 1}:{c!r}"
                    for d, c in zip(
                        dst[kb[h] : kb[h + 1]].tolist(),
                        close[kb[h] : kb[h + 1]].tolist(),
                        strict=True,
                    )
                )
                for h in range(n)
            ],
        }
    )


def export_region(
    params: Params, seed: int, folder: str | Path, table: str = "parquet"
) -> dict[str, Path]:
    """Write the town that ``LandModel(params, rng=seed)`` starts from as a region, with a
    scenario naming it.

    Args:
        params: the parameters (a synthetic world, or a region's).
        seed: the model's seed.
        folder: where to write ``land.tif``, ``villages.gpkg``, ``households.parquet`` (or
            ``.csv``) and ``region.toml`` (the parameters, naming the three files).
        table: ``"parquet"`` (exact) or ``"csv"``.

    Returns:
        The files written, by scenario key, and ``scenario``.
    """
    require("gis", "writing a region")
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    town = build_town(params, town_rng(np.random.default_rng(seed)))
    grid = georeference(params.world)
    files = {
        "land_raster": folder / "land.tif",
        "villages": folder / "villages.gpkg",
        "households": folder / f"households.{table}",
    }
    write_land_raster(files["land_raster"], grid, town)
    if params.world.is_region:  # the outlines hold land that is not farmland too
        region = region_of(params.world)
        cells, ids = region.cell_village, region.village_ids
    else:
        cells = town.plots.grid(town.plots.village).ravel()
        ids = [v + 1 for v in range(town.villages.n)]
    write_outlines(files["villages"], grid, cells, ids, town.villages.strength)
    n_h = int(town.population.hh_formed.sum())
    df = household_table(town, n_h, ids)
    with atomic_path(files["households"]) as tmp:
        if table == "csv":
            df.to_csv(tmp, index=False)
        else:
            df.to_parquet(tmp, index=False)
    data = params.model_dump(mode="json")
    world = {k: v for k, v in data["world"].items() if k not in FILLED_KEYS and v is not None}
    world.update({k: files[k].name for k in FILE_KEYS})
    data["world"] = world
    scenario = folder / "region.toml"
    with atomic_path(scenario) as tmp:
        tmp.write_text(to_toml({"title": "A town written as a region", **data}), encoding="utf-8")
    return {**files, "scenario": scenario}
