"""Make the example region: a synthetic town in the formats of a real one (docs/regions.md).

The town is made up but shaped like a real one in the hills of eastern Shandong: an irregular
outline, farmland broken by a main road, a side road, a stream and seven settlements (none of
them farmland), hills rising to the east (hilly farmland, and beyond it slopes too steep to
farm), land quality that falls with the slope, and seven villages split between the
settlements. It is written as three files and two scenarios:

* ``land.tif`` — the land raster: 80 x 60 cells of 30 m (1.35 mu each) in UTM zone 51N
  (EPSG:32651) near Rongcheng; band 1 0 not farmland, 1 flat, 2 hilly (-1 outside the town),
  band 2 quality 0-1;
* ``villages.gpkg`` — the seven villages' outlines with ``village_id`` (12-digit codes in the
  style of China's statistical area codes), ``name`` and ``branch_strength``;
* ``households.csv`` — about 560 households: ``household_id, village_id, head_age, members,
  migrants, plots`` (a count: the model gives out the plots from the seed);
* ``region.toml`` (the baseline town's assumptions on this land) and ``region_coops.toml``
  (with Party-branch co-ops paying a guaranteed minimum and a dividend).

Run it with ``python -m landsim.examples.make_region DIR`` (default: the ``region`` folder
beside this file); it needs ``pip install 'landsim[gis]'``. The same seed makes the same files.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

#: the grid: cells across and down, cell side (m), north-west corner in EPSG:32651
WIDTH, HEIGHT, CELL = 80, 60, 30.0
ORIGIN = (448_500.0, 4_113_000.0)
CRS = "EPSG:32651"
SEED = 20190101
#: settlement centres (column, row) and village names; the first is the town seat
SETTLEMENTS = (
    (30.0, 27.0, "Zhenzhong"),
    (11.0, 15.0, "Xiwang"),
    (13.0, 43.0, "Nanpo"),
    (31.0, 49.0, "Hedong"),
    (47.0, 13.0, "Beiling"),
    (52.0, 34.0, "Shanqian"),
    (65.0, 22.0, "Dongshan"),
)
#: Party-branch strength of each village (0-1): the seat's strongest, the hill villages weakest
STRENGTH = (0.75, 0.55, 0.45, 0.6, 0.5, 0.4, 0.3)

SCENARIO = """\
# The example region: the baseline town's people and markets on the land of a (made-up) real
# town — land raster, village outlines and household table made by examples/make_region.py.
# Run it:  landsim run examples/region/region.toml --maps --microdata
extends = "baseline"
title = "Example region: a town read from GIS layers"

[world]
land_raster = "land.tif"          # 80 x 60 cells of 30 m = 1.35 mu; EPSG:32651
villages = "villages.gpkg"        # seven village outlines with branch_strength
households = "households.csv"     # household_id, village_id, head_age, members, migrants, plots
"""
COOPS = """\
# The example region with Party-branch co-ops paying a guaranteed minimum and a dividend, as
# scenarios/coop_guaranteed_dividend.toml does for the synthetic town.
extends = "region.toml"
title = "Example region with guaranteed-dividend co-ops"

[levers]
coop_founding = "all"                 # every village founds one in year 1
benefit_rule = "guaranteed_dividend"
guaranteed_rent = 600.0               # [yuan/mu/yr] 400-800 + rebate, Linqu; Siyang cases
"""


def _smooth(rng: np.random.Generator, passes: int) -> np.ndarray:
    """White noise on the grid blurred by 3x3 box filters, scaled to 0-1."""
    field = rng.random((HEIGHT, WIDTH))
    for _ in range(passes):
        p = np.pad(field, 1, mode="edge")
        field = sum(
            p[1 + dy : 1 + dy + HEIGHT, 1 + dx : 1 + dx + WIDTH]
            for dy in (-1, 0, 1)
            for dx in (-1, 0, 1)
        ) / 9.0
    return (field - field.min()) / (field.max() - field.min())


def _near(col: np.ndarray, row: np.ndarray, line: np.ndarray, width: float) -> np.ndarray:
    return np.abs(row - line) <= width


def land(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, object]:
    """Band 1 (0/1/2, -1 outside), band 2 (quality) and the town's outline (cell units)."""
    import shapely

    row, col = np.mgrid[0:HEIGHT, 0:WIDTH].astype(float) + 0.5
    # an irregular outline: an ellipse whose radius wobbles with the bearing
    angle = np.linspace(0, 2 * np.pi, 120, endpoint=False)
    wobble = 1 + 0.08 * np.sin(3 * angle + 0.7) + 0.05 * np.sin(7 * angle + 2.1)
    ring = np.c_[40 + 36.5 * wobble * np.cos(angle), 30 + 26.5 * wobble * np.sin(angle)]
    outline = shapely.Polygon(ring).intersection(shapely.box(0, 0, WIDTH, HEIGHT))
    inside = shapely.contains_xy(outline, col, row)
    # hills rise to the east; the steepest slopes are not farmed
    height = col / WIDTH + 0.35 * _smooth(rng, 4)
    kind = np.where(height > 0.72, 2, 1)
    kind[height > 1.0] = 0
    # roads, a stream and settlements are not farmland
    kind[_near(col, row, 27 + 4 * np.sin(col / 11), 0.6)] = 0  # the main road, west-east
    kind[np.abs(col - (31 + 3 * np.sin(row / 8))) <= 0.6] = 0  # a side road, north-south
    stream = 46 + 5 * np.sin(col / 9 + 1) + 0.08 * col
    kind[_near(col, row, stream, 0.5) & (col < 58)] = 0
    for i, (c, r, _) in enumerate(SETTLEMENTS):
        radius = 3.4 if i == 0 else 2.1
        kind[(col - c) ** 2 + ((row - r) * 1.2) ** 2 <= radius**2] = 0
    quality = np.clip(0.7 - 0.45 * np.clip(height - 0.5, 0, None) + 0.25 * _smooth(rng, 3), 0, 1)
    kind = np.where(inside, kind, -1).astype(np.float32)
    quality = np.where(inside, np.round(quality, 3), -1).astype(np.float32)
    return kind, quality, outline


def villages(outline) -> tuple[list, list[int]]:
    """Voronoi cells of the settlements, cut to the town's outline (in cell units)."""
    import shapely

    points = shapely.MultiPoint([(c, r) for c, r, _ in SETTLEMENTS])
    cells = shapely.voronoi_polygons(points, extend_to=outline).geoms
    shapes = []
    for c, r, _ in SETTLEMENTS:
        mine = next(g for g in cells if g.contains(shapely.Point(c, r)))
        shapes.append(mine.intersection(outline))
    ids = [371082102201 + i for i in range(len(SETTLEMENTS))]
    return shapes, ids


def households(rng: np.random.Generator, farmland: np.ndarray, ids: list[int]) -> pd.DataFrame:
    """Households of each village: about one per 5.4 farmland cells, 4-7 plots each."""
    rows = []
    for v, vid in enumerate(ids):
        cells = int(farmland[v])
        n = max(1, round(cells / 5.4))
        plots = np.maximum(1, rng.poisson(5.0, n))
        while plots.sum() > cells * 0.97:  # leave the collective a little land
            plots = np.maximum(1, plots - (rng.random(n) < 0.2))
        head = np.clip(np.round(rng.normal(57, 11, n)), 25, 90)
        spouse = rng.random(n) < 0.8
        children = rng.poisson(1.2, n)
        members = 1 + spouse + children
        migrants = rng.binomial(children, 0.45)
        for i in range(n):
            rows.append(
                {
                    "household_id": f"{vid}-{i + 1:03d}",
                    "village_id": vid,
                    "head_age": int(head[i]),
                    "members": int(members[i]),
                    "migrants": int(migrants[i]),
                    "plots": int(plots[i]),
                }
            )
    return pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """Write the example region into a folder."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folder", nargs="?", default=str(Path(__file__).parent / "region"))
    folder = Path(parser.parse_args(argv).folder)
    import pyogrio
    import rasterio
    import shapely
    from rasterio.features import rasterize
    from rasterio.transform import Affine

    rng = np.random.default_rng(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    kind, quality, outline = land(rng)
    shapes, ids = villages(outline)
    to_map = Affine(CELL, 0, ORIGIN[0], 0, -CELL, ORIGIN[1])
    mapped = [shapely.affinity.affine_transform(g, to_map.to_shapely()) for g in shapes]
    owner = rasterize(
        [(g, i + 1) for i, g in enumerate(mapped)], out_shape=kind.shape, transform=to_map
    )
    farmland = np.bincount(owner[kind > 0], minlength=len(ids) + 1)[1:]
    profile = dict(driver="GTiff", width=WIDTH, height=HEIGHT, count=2, dtype="float32")
    profile.update(crs=CRS, transform=to_map, nodata=-1.0, compress="deflate", predictor=3)
    with rasterio.open(folder / "land.tif", "w", **profile) as dst:
        dst.write(kind, 1)
        dst.write(quality, 2)
        dst.set_band_description(1, "land: 0 not farmland, 1 flat, 2 hilly")
        dst.set_band_description(2, "quality: 0 worst, 1 best")
    gpkg = folder / "villages.gpkg"
    gpkg.unlink(missing_ok=True)
    pyogrio.raw.write(
        str(gpkg),
        shapely.to_wkb(np.asarray(mapped, dtype=object)),
        [np.array(ids), np.array([s[2] for s in SETTLEMENTS]), np.array(STRENGTH)],
        fields=["village_id", "name", "branch_strength"],
        layer="villages",
        driver="GPKG",
        geometry_type="MultiPolygon",
        promote_to_multi=True,
        crs=CRS,
    )
    households(rng, farmland, ids).to_csv(folder / "households.csv", index=False)
    (folder / "region.toml").write_text(SCENARIO, encoding="utf-8")
    (folder / "region_coops.toml").write_text(COOPS, encoding="utf-8")
    print(f"wrote the example region to {folder}: land.tif, villages.gpkg, households.csv, ")
    print(f"region.toml, region_coops.toml ({int(farmland.sum())} farmland plots)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
