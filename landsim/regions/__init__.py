"""Real places: a town read from GIS layers and a household table, and maps of a run.

A scenario's ``[world]`` may name a region's three files, relative to the scenario file
(docs/regions.md):

* ``land_raster`` — a GeoTIFF whose cells are plots (band 1: 0 not farmland, 1 flat, 2 hilly;
  optional band 2: quality 0-1; the cell's area is the plot size);
* ``villages`` — a GeoPackage of village outlines with a ``village_id`` column (optional
  ``branch_strength``), or a GeoTIFF of village ids on the land raster's grid;
* ``households`` — a CSV or Parquet table: ``household_id, village_id, head_age, members,
  migrants`` and ``plots`` (a count) or ``plot_cells`` (cell numbers), with optional columns
  that fix the rest (``member_ages``, ``member_migrant``, ``trust``, ``kin``).

Loading the scenario reads and checks them (:func:`resolve_world`; every problem one line
naming the file, the column or row, the rule and the value); building the model makes the town
from them (:func:`landsim.town.build_town` with :func:`region_parts`). :func:`export_region`
writes a town (a synthetic one too) as such files, so that it can be read back and run again,
exactly.
:mod:`landsim.regions.maps` writes the maps of a run: plots' yearly state as GeoTIFF stacks or
a GeoPackage layer, and village summaries as a GeoPackage of outlines, for a region and for a
synthetic town, which lies on the map where ``[world] crs``, ``origin_x`` and ``origin_y`` put
it.

Reading and writing needs the ``[gis]`` extra (rasterio, pyogrio, shapely); these modules import
it only when they are used, so ``import landsim`` never needs it.

Parts: :class:`Region`, :class:`RegionError`, :func:`read_region`, :func:`region_of`,
:func:`resolve_world`, :func:`region_parts`, :func:`export_region`, :func:`georeference`.
"""

from __future__ import annotations

from landsim.regions.build import region_parts
from landsim.regions.export import export_region
from landsim.regions.grid import Georeference, georeference
from landsim.regions.load import FILE_KEYS, FILLED_KEYS, read_region, region_of, resolve_world
from landsim.regions.region import Region, RegionError

__all__ = [
    "Region",
    "RegionError",
    "FILE_KEYS",
    "FILLED_KEYS",
    "read_region",
    "region_of",
    "resolve_world",
    "region_parts",
    "export_region",
    "Georeference",
    "georeference",
]
