"""The town map: one PNG image drawn straight from the plot arrays.

Each plot is a square of ``scale x scale`` pixels coloured by the chosen layer; village
boundaries are drawn as dark lines where neighbouring cells belong to different villages. A
town read from a region (docs/regions.md) has cells that are not farmland — roads,
settlements, steep slopes — drawn in a cool grey, and cells outside every village white; its
villages' outlines are those of its village file. No marker per agent and no matplotlib
figure: a 100 x 100 grid encodes in a few milliseconds.
The image holds no text; :func:`legend` describes it in HTML in the page's language.

Layers (:data:`LAYERS`): ``operator`` (who farms each plot, hilly land shaded darker), ``age``
(age of the holder's household head), ``terrain`` (flat or hilly, brightness = soil quality),
``trust`` (the holder household's trust in the cooperative). Plots whose contract rights went
back to the collective are grey on the household layers.
"""

from __future__ import annotations

import io
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np
from matplotlib import colormaps
from PIL import Image

from landsim.world import KIND_NAMES

__all__ = ["LAYERS", "KIND_COLOURS", "LegendItem", "layer_rgb", "map_png", "legend", "pick_scale"]

LAYERS = ("operator", "age", "terrain", "trust")

#: colour of each operator kind, in the order of ``world.KIND_NAMES`` (high contrast on a
#: projector: cooperative in Party red, idle land pale)
KIND_COLOURS: dict[str, str] = {
    "idle": "#e9e4d4",
    "own": "#4f9d3a",
    "household_lease": "#2f6fd0",
    "coop": "#d0312d",
    "custody": "#f29e1f",
}
COLLECTIVE_COLOUR = "#9e9e9e"
# a region's roads, settlements, water and steep slopes: a cool grey, apart from idle land's
# warm pale and the collective's neutral grey
NOT_FARMLAND_COLOUR = "#c3ccd6"
OUTSIDE_COLOUR = "#ffffff"  # a region's cells outside every village
BOUNDARY_COLOUR = (20, 20, 20)
HILLY_SHADE = 0.78  # operator layer: hilly plots keep this share of their brightness
FLAT_COLOUR, HILLY_COLOUR = "#9ccc65", "#8d6e63"
AGE_RANGE = (30.0, 90.0)
AGE_CMAP, TRUST_CMAP = "plasma", "RdYlGn"


def _rgb(hex_colour: str) -> np.ndarray:
    h = hex_colour.lstrip("#")
    return np.array([int(h[i : i + 2], 16) for i in (0, 2, 4)], dtype=np.float64)


_KIND_RGB = np.stack([_rgb(KIND_COLOURS[k]) for k in KIND_NAMES])


def _ramp(values: np.ndarray, cmap: str, lo: float, hi: float) -> np.ndarray:
    x = np.clip((values - lo) / (hi - lo), 0.0, 1.0)
    return colormaps[cmap](x)[:, :3] * 255.0


def layer_rgb(model, layer: str) -> np.ndarray:
    """Colours of the plots for ``layer`` as a ``(height, width, 3)`` uint8 array.

    Raises:
        ValueError: for a layer not in :data:`LAYERS`.
    """
    p = model.plots
    held = p.holder >= 0
    holder = np.maximum(p.holder, 0)
    if layer == "operator":
        rgb = _KIND_RGB[p.kind] * np.where(p.hilly, HILLY_SHADE, 1.0)[:, None]
    elif layer == "terrain":
        base = np.where(p.hilly[:, None], _rgb(HILLY_COLOUR), _rgb(FLAT_COLOUR))
        rgb = base * np.clip(0.55 + 0.45 * (p.quality - 0.6) / 0.8, 0.4, 1.1)[:, None]
    elif layer in ("age", "trust"):
        pop = model.population
        if layer == "age":
            rgb = _ramp(pop.head_age()[holder], AGE_CMAP, *AGE_RANGE)
        else:
            rgb = _ramp(pop.trust[holder], TRUST_CMAP, 0.0, 1.0)
        rgb[~held] = _rgb(COLLECTIVE_COLOUR)
    else:
        raise ValueError(f"map layer must be one of {', '.join(LAYERS)}; got {layer!r}")
    if not p.fills_grid:  # a region: plots on the farmland cells, the rest pale or white
        cells = _village_cells(model)
        full = np.where((cells >= 0)[:, None], _rgb(NOT_FARMLAND_COLOUR), _rgb(OUTSIDE_COLOUR))
        full[p.cell] = rgb
        rgb = full
    # plots are stored row-major, so the flat (n, 3) colours reshape straight to the grid
    return np.clip(rgb, 0, 255).astype(np.uint8).reshape(p.height, p.width, 3)


def _village_cells(model) -> np.ndarray:
    """The village of every cell of the grid (-1 outside every village), flat."""
    from landsim.regions.grid import village_cells

    p = model.plots
    return village_cells(model.params.world, p.cell, p.village)


def pick_scale(width: int, height: int, target: int = 600) -> int:
    """Pixels per plot so that the longer side of the map is about ``target`` pixels (2-12)."""
    return int(min(12, max(2, target // max(width, height))))


#: each model's village boundaries by scale: a model's villages never move, and working them
#: out took a third of a map's time (the app draws a map on every step)
_EDGES: weakref.WeakKeyDictionary[Any, dict[int, np.ndarray]] = weakref.WeakKeyDictionary()


def boundary_pixels(model, k: int) -> np.ndarray:
    """The pixels of ``model``'s map at ``k`` pixels per plot that draw a village boundary
    (a boolean image), worked out once per model and scale."""
    by_scale = _EDGES.setdefault(model, {})
    if k not in by_scale:
        p = model.plots
        cells = _village_cells(model).reshape(p.height, p.width)
        village = cells.repeat(k, axis=0).repeat(k, axis=1)
        edge = np.zeros(village.shape, dtype=bool)
        # a boundary is two pixels wide: the last pixel of one village and the first of the next
        vert = village[:, 1:] != village[:, :-1]
        edge[:, 1:] |= vert
        edge[:, :-1] |= vert
        horiz = village[1:, :] != village[:-1, :]
        edge[1:, :] |= horiz
        edge[:-1, :] |= horiz
        edge.flags.writeable = False
        by_scale[k] = edge
    return by_scale[k]


def map_png(model, layer: str, scale: int | None = None) -> bytes:
    """The map of ``model`` for ``layer`` as PNG bytes, with village boundaries."""
    p = model.plots
    k = scale or pick_scale(p.width, p.height)
    img = layer_rgb(model, layer).repeat(k, axis=0).repeat(k, axis=1)
    img[boundary_pixels(model, k)] = BOUNDARY_COLOUR
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="png", compress_level=1)
    return buf.getvalue()


@dataclass(frozen=True)
class LegendItem:
    """One legend entry: a label key (see :mod:`landsim.app.i18n`) and a CSS colour.

    ``css`` is a colour, a gradient (then ``ticks`` label its ends and middle), or "" for a note.
    """

    key: str
    css: str
    ticks: tuple[str, ...] = ()


def _gradient(cmap: str, n: int = 7) -> str:
    stops = ", ".join(
        "rgb({:.0f},{:.0f},{:.0f})".format(*(c * 255 for c in colormaps[cmap](x)[:3]))
        for x in np.linspace(0, 1, n)
    )
    return f"linear-gradient(to right, {stops})"


def legend(layer: str, region: bool = False) -> list[LegendItem]:
    """Legend entries of ``layer``, in the order the page shows them (``region``: the map is
    of a region, whose cells that are not farmland are drawn too)."""
    if region:
        return [*legend(layer), LegendItem("not_farmland", NOT_FARMLAND_COLOUR)]
    if layer == "operator":
        items = [LegendItem(f"kind.{k}", KIND_COLOURS[k]) for k in KIND_NAMES]
        return items + [LegendItem("hilly_darker", "")]
    if layer == "terrain":
        return [
            LegendItem("flat", FLAT_COLOUR),
            LegendItem("hilly", HILLY_COLOUR),
            LegendItem("quality_shade", ""),
        ]
    if layer == "age":
        lo, hi = AGE_RANGE
        ticks = (f"{lo:.0f}", f"{(lo + hi) / 2:.0f}", f"{hi:.0f}+")
        return [
            LegendItem("age_years", _gradient(AGE_CMAP), ticks),
            LegendItem("collective", COLLECTIVE_COLOUR),
        ]
    if layer == "trust":
        return [
            LegendItem("trust_scale", _gradient(TRUST_CMAP), ("0", "0.5", "1")),
            LegendItem("collective", COLLECTIVE_COLOUR),
        ]
    raise ValueError(f"map layer must be one of {', '.join(LAYERS)}; got {layer!r}")
