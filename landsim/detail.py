"""A run's detail in a results folder: maps (``--maps``) and household micro-data
(``--microdata``), for ``landsim run`` and ``landsim compare`` alike.

* :func:`check_detail` — before anything runs: maps need the ``[gis]`` extra, and a synthetic
  town a projected map CRS (``[world] crs``), so a run of minutes never ends in a refusal;
* :func:`write_detail` — after the runs: ``households.parquet`` (one row per household and
  year, tagged with the scenario and replicate when there are several) and the maps of each
  recorded run (:func:`landsim.regions.maps.write_maps`) in ``maps/`` — or, for several runs,
  ``maps/SCENARIO/replicate-R/``.

Parts: :func:`check_detail`, :func:`write_detail`, :data:`MICRODATA`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd

from landsim.params import World
from landsim.recording import Recording

__all__ = ["check_detail", "write_detail", "MICRODATA"]

#: the micro-data file
MICRODATA = "households.parquet"


def check_detail(worlds: list[World], maps: str | None) -> None:
    """Refuse, before running, maps that cannot be written.

    Raises:
        MissingExtra: maps without the ``[gis]`` extra.
        RegionError: a synthetic town whose ``[world] crs`` is not a projected CRS in metres.
    """
    if maps is None:
        return
    from landsim.extras import require

    require("gis", "--maps")
    from landsim.regions.grid import check_map_crs

    for world in worlds:
        check_map_crs(world)


def write_detail(
    out: Path,
    runs: list[tuple[dict[str, Any], Recording, World]],
    maps: str | None,
    microdata: bool,
) -> list[Path]:
    """Write the maps and micro-data of ``runs`` (tags, recording, world) into ``out``.

    Returns:
        The files written.
    """
    from landsim.dictionary import write_parquet
    from landsim.files import atomic_path

    written: list[Path] = []
    if microdata and runs:
        table = pd.concat([rec.household_table(tags) for tags, rec, _ in runs], ignore_index=True)
        path = out / MICRODATA
        with atomic_path(path) as tmp:
            write_parquet(table, tmp, MICRODATA)
        written.append(path)
    if maps is not None:
        from landsim.regions.maps import write_maps

        for tags, rec, world in runs:
            folder = out / "maps"
            if len(runs) > 1 or tags:
                folder = folder / str(tags.get("scenario", "run"))
                folder = folder / f"replicate-{tags.get('replicate', 0)}"
            written += write_maps(rec, world, folder, maps)
    return written
