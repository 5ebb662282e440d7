"""How long does a region of 1,000,000 cells take to load?

A benchmark, not a test (issue 27: "a 1,000,000-cell raster region loads in <= 10 s"). It
writes a region of ``--side`` x ``--side`` cells of 1 mu (default 1000 x 1000) into a
temporary folder — a land raster with two bands (about 30 % of the cells not farmland: roads
every 40 cells and scattered settlements; hills in the east third), 625 square village outlines
in a GeoPackage, and a household table of 300 households per village asking for 3 plots each —
then, in a fresh process each time (nothing cached):

* **load**: ``load_scenario`` of a scenario naming the three files: reading and checking the
  raster's header, the outlines, the table, the memory check, the raster's cells, the
  villages' farmland and every household's plots (what ``landsim check`` does);
* **load + build**: the same and ``LandModel(params, rng=1)``: the town built from it (plots
  given out from the seed, members, kin ties, branches).

It reports the median and the worst wall time of ``--repeats`` runs of each against the
target of 10 s for the load. Recorded results: benchmarks/region_load.txt.

Usage:
    .venv/bin/python benchmarks/region_load.py                  # 5 repeats, CSV table
    .venv/bin/python benchmarks/region_load.py --table parquet --repeats 3
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

#: the target for loading the region (seconds of wall time, median)
TARGET_S = 10.0
#: villages are squares of this many cells a side; households per village; plots each
VILLAGE_SIDE, HOUSEHOLDS, PLOTS = 40, 300, 3

LOAD = """
import sys, time
from landsim.scenario import load_scenario
start = time.perf_counter()
params = load_scenario(sys.argv[1]).params
loaded = time.perf_counter() - start
if sys.argv[2] == "build":
    from landsim.model import LandModel
    LandModel(params, rng=1)
print(loaded, time.perf_counter() - start)
"""


def write_region(folder: Path, side: int, table: str) -> Path:
    """Write the region's files and a scenario naming them; return the scenario."""
    import rasterio
    import shapely
    from rasterio.transform import Affine

    from landsim.regions.export import write_layer

    rng = np.random.default_rng(27)
    cell = (2000 / 3) ** 0.5  # 1 mu
    x0, y0 = 448_500.0, 4_113_000.0
    rows, cols = np.indices((side, side))
    kind = np.where(cols > 2 * side // 3, 2, 1).astype(np.uint8)
    kind[(rows % VILLAGE_SIDE == 20) | (cols % VILLAGE_SIDE == 20)] = 0  # roads
    kind[rng.random((side, side)) < 0.25] = 0  # settlements, ponds, slopes
    quality = np.clip(rng.normal(0.5, 0.15, (side, side)), 0, 1).astype(np.float32)
    profile = {
        "driver": "GTiff",
        "width": side,
        "height": side,
        "count": 2,
        "dtype": "float32",
        "crs": "EPSG:32651",
        "transform": Affine(cell, 0, x0, 0, -cell, y0),
        "compress": "deflate",
        "tiled": True,
    }
    with rasterio.open(folder / "land.tif", "w", **profile) as dst:
        dst.write(kind.astype(np.float32), 1)
        dst.write(quality, 2)
    n = side // VILLAGE_SIDE
    boxes, ids = [], []
    for vy in range(n):
        for vx in range(n):
            west, north = x0 + vx * VILLAGE_SIDE * cell, y0 - vy * VILLAGE_SIDE * cell
            boxes.append(
                shapely.box(west, north - VILLAGE_SIDE * cell, west + VILLAGE_SIDE * cell, north)
            )
            ids.append(vy * n + vx + 1)
    write_layer(
        folder / "villages.gpkg", "villages", boxes, {"village_id": np.array(ids)}, "EPSG:32651"
    )
    village = np.repeat(ids, HOUSEHOLDS)
    hh = pd.DataFrame(
        {
            "household_id": np.arange(1, village.size + 1),
            "village_id": village,
            "head_age": rng.integers(30, 85, village.size),
            "members": rng.integers(1, 6, village.size),
            "plots": PLOTS,
        }
    )
    hh["migrants"] = np.minimum(rng.integers(0, 3, village.size), hh["members"] - 1)
    name = f"households.{table}"
    if table == "csv":
        hh.to_csv(folder / name, index=False)
    else:
        hh.to_parquet(folder / name, index=False)
    scenario = folder / "region.toml"
    scenario.write_text(
        f'[world]\nland_raster = "land.tif"\nvillages = "villages.gpkg"\nhouseholds = "{name}"\n',
        encoding="utf-8",
    )
    return scenario


def time_once(scenario: Path, what: str) -> tuple[float, float]:
    """Seconds to load the scenario, and to load it and build its town, in a fresh process."""
    out = subprocess.run(
        [sys.executable, "-c", LOAD, str(scenario), what], capture_output=True, text=True
    )
    if out.returncode:
        sys.exit(out.stderr.strip()[-2000:])
    load, total = out.stdout.split()
    return float(load), float(total)


def main() -> int:
    """Time the load (and load + build); exit status 1 when the load's median misses the target."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--side", type=int, default=1000, help="cells a side (1000: a million cells)")
    p.add_argument("--repeats", type=int, default=5, help="runs of each (5)")
    p.add_argument("--table", choices=("csv", "parquet"), default="csv", help="household table")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        scenario = write_region(Path(tmp), args.side, args.table)
        loads = [time_once(scenario, "load")[0] for _ in range(args.repeats)]
        builds = [time_once(scenario, "build")[1] for _ in range(args.repeats)]
        from landsim.scenario import load_scenario

        w = load_scenario(scenario).params.world
    print(
        f"region: {args.side} x {args.side} cells, {w.region_plots:,} farmland plots, "
        f"{w.region_villages} villages, {w.region_households:,} households ({args.table} table)"
    )
    print(f"{'':<16}{'median s':>10}{'worst s':>10}   ({args.repeats} runs each, fresh processes)")
    for name, ts in (("load", loads), ("load + build", builds)):
        print(f"{name:<16}{statistics.median(ts):>10.2f}{max(ts):>10.2f}")
    median = statistics.median(loads)
    ok = median <= TARGET_S
    print(f"\nload: median {median:.2f} s, target {TARGET_S:g} s: {'met' if ok else 'MISSED'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
