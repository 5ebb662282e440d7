"""A scenario that names a region: its files found beside the scenario, read, checked, and the
world's size taken from them.

Summary of rules: each of ``land_raster``, ``villages`` and ``households`` is a path relative
to the scenario file that sets it (or absolute). The region sets the world's ``width``,
``height``, ``plot_size_mu``, ``crs``, ``origin_x``, ``origin_y`` and the ``region_*`` counts
(:data:`landsim.regions.load.FILLED_KEYS`): a value of these inherited from a scenario the
region's file extends (``extends = "baseline"``) gives way to the region's, but one set in the
file that names the region (or in a file extending it) must agree with it — so the resolved
scenario written beside results, which holds them all, loads again only with the same files.

Parts: :func:`with_region`.
"""

from __future__ import annotations

import math
from pathlib import Path

from landsim.extras import MissingExtra
from landsim.params import Params
from landsim.problems import Layer, Problem, raise_problems
from landsim.regions.load import FILE_KEYS, FILLED_KEYS, resolve_world
from landsim.tomlio import ScenarioError

__all__ = ["with_region"]


def _files(params: Params, origin: dict[str, Layer]) -> dict[str, Path]:
    """Each region file, relative to the scenario file that named it."""
    out = {}
    for key in FILE_KEYS:
        layer = origin.get(f"world.{key}")
        path = Path(getattr(params.world, key)).expanduser()
        if not path.is_absolute():
            path = (layer.path.parent if layer is not None else Path.cwd()) / path
        out[key] = Path(path.resolve())
    return out


def _agree(key: str, given, read) -> bool:
    if given == read:
        return True
    if isinstance(given, float) and isinstance(read, float):
        return math.isclose(given, read, rel_tol=1e-9, abs_tol=1e-9)
    if key == "crs":
        from rasterio.crs import CRS
        from rasterio.errors import CRSError

        try:
            return CRS.from_user_input(given) == CRS.from_user_input(read)
        except CRSError:
            return False
    return False


def with_region(params: Params, origin: dict[str, Layer], layers: list[Layer]) -> Params:
    """``params`` with the region its world names read, checked and filled in.

    Args:
        params: the scenario's validated parameters.
        origin: the file that set each dotted key.
        layers: the ``extends`` chain, farthest ancestor first.

    Raises:
        ScenarioError: the ``[gis]`` extra is missing, a problem with the region's files (as
            :class:`landsim.regions.RegionError`, one line each), or a world key the file sets
            that differs from the region's.
    """
    files = _files(params, origin)
    named = origin.get("world.land_raster") or layers[-1]
    try:
        world = resolve_world(params.world, files)
    except MissingExtra as err:
        raise ScenarioError(f"{named.shown}: world.land_raster: {err}") from None
    rank = {id(layer): i for i, layer in enumerate(layers)}
    naming = min(rank[id(origin[f"world.{k}"])] for k in FILE_KEYS if f"world.{k}" in origin)
    problems = []
    for key in FILLED_KEYS:
        layer = origin.get(f"world.{key}")
        if layer is None or rank[id(layer)] < naming:
            continue  # inherited from a scenario the region's file extends: the region wins
        given, read = getattr(params.world, key), getattr(world, key)
        if _agree(key, given, read):
            continue
        rule = f"is read from the region ({read!r}); leave it out"
        if key == "region_digest":
            rule = (
                "the region's files changed since this scenario was written (their SHA-256 is "
                f"now {read[:12]}...); leave it out to use them as they are"
            )
        problems.append(Problem(layer, f"world.{key}", rule, given, where=("world", key)))
    raise_problems(problems)
    return params.model_copy(update={"world": world})
