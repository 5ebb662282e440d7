"""Pictures of the classroom drawn on the server with no network: the join address as a QR
code (``segno``, pure Python), the town map with some households' plots outlined, and the
debrief's map of where two towns differ.

A student's map is an SVG: the town's "who farms" picture at one pixel per plot, drawn once
per town and year (:func:`town_png`) and shared by every student's page, with the student's
plots outlined on top (:func:`outlined_map_svg`). Forty students' maps at a new year then
cost the server one small PNG instead of forty large ones."""

from __future__ import annotations

import base64
import io
import threading
import weakref

import numpy as np
import segno
from PIL import Image

from landsim.app.mapview import layer_rgb

__all__ = [
    "qr_svg",
    "outlined_map_png",
    "outlined_map_svg",
    "town_png",
    "difference_map_png",
    "SAME_COLOUR",
]

OUTLINE = (255, 255, 255)
OUTLINE_DARK = (0, 0, 0)
#: plots used alike in both towns, on the difference map: pale grey
SAME_COLOUR = (225, 225, 225)


def qr_svg(text: str, scale: int = 6) -> str:
    """``text`` (the join address) as an inline SVG QR code, black on white."""
    return segno.make(text, error="m").svg_inline(scale=scale, dark="#000", light="#fff")


#: pixels per plot side: enough for an outline (black, white, then the plot's colour); the page
#: scales the picture up without smoothing, so more pixels would only cost the server time
#: (a student's map at 60 x 50 plots: 2 ms at 6 px, 7 ms at 10 px, forty of them each year)
OUTLINE_SCALE = 6


def outlined_map_png(model, plots: np.ndarray, scale: int | None = None) -> bytes:
    """The "who farms" map of ``model`` with ``plots`` outlined (white inside black), as PNG."""
    return _outlined(model, layer_rgb(model, "operator"), plots, scale)


def difference_map_png(model, other, plots: np.ndarray, scale: int | None = None) -> bytes:
    """Where ``model`` and ``other`` (the same town) differ: a plot farmed differently (another
    kind of operator) in its colour in ``model``, every other plot pale grey; ``plots``
    outlined, as PNG."""
    rgb = layer_rgb(model, "operator")
    same = (model.plots.kind == other.plots.kind).reshape(rgb.shape[:2])
    rgb[same] = SAME_COLOUR
    return _outlined(model, rgb, plots, scale)


def _outlined(model, rgb: np.ndarray, plots: np.ndarray, scale: int | None) -> bytes:
    p = model.plots
    k = scale or OUTLINE_SCALE
    img = rgb.repeat(k, axis=0).repeat(k, axis=1)
    for i in np.asarray(plots, dtype=np.int64):
        r, c = int(p.row[i]) * k, int(p.col[i]) * k
        img[r : r + k, c] = img[r : r + k, c + k - 1] = OUTLINE_DARK
        img[r, c : c + k] = img[r + k - 1, c : c + k] = OUTLINE_DARK
        img[r + 1 : r + k - 1, c + 1] = img[r + 1 : r + k - 1, c + k - 2] = OUTLINE
        img[r + 1, c + 1 : c + k - 1] = img[r + k - 2, c + 1 : c + k - 1] = OUTLINE
    buf = io.BytesIO()
    Image.fromarray(img).save(buf, format="png", compress_level=1)
    return buf.getvalue()


#: the last "who farms" PNG of each town: (its year, the PNG)
_TOWN_PNG: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()
_TOWN_PNG_LOCK = threading.Lock()


def town_png(model) -> bytes:
    """The "who farms" map of ``model`` at one pixel per plot, as PNG; drawn once per year of
    the town, however many pages ask."""
    with _TOWN_PNG_LOCK:
        cached = _TOWN_PNG.get(model)
        if cached is not None and cached[0] == model.year:
            return cached[1]
        buf = io.BytesIO()
        Image.fromarray(layer_rgb(model, "operator")).save(buf, format="png")
        png = buf.getvalue()
        _TOWN_PNG[model] = (model.year, png)
        return png


def outlined_map_svg(model, plots: np.ndarray, cls: str = "") -> str:
    """The "who farms" map of ``model`` (:func:`town_png`) with ``plots`` outlined (white
    inside black), as an SVG element of class ``cls`` that scales to its box."""
    p = model.plots
    w, h = p.width, p.height
    href = "data:image/png;base64," + base64.b64encode(town_png(model)).decode("ascii")
    rings = "".join(
        f'<rect x="{int(p.col[i]) + 0.12}" y="{int(p.row[i]) + 0.12}" width="0.76" '
        'height="0.76" fill="none" stroke="#000" stroke-width="0.24"/>'
        f'<rect x="{int(p.col[i]) + 0.3}" y="{int(p.row[i]) + 0.3}" width="0.4" '
        'height="0.4" fill="none" stroke="#fff" stroke-width="0.14"/>'
        for i in np.asarray(plots, dtype=np.int64)
    )
    return (
        f'<svg class="{cls}" viewBox="0 0 {w} {h}" xmlns="http://www.w3.org/2000/svg">'
        f'<image href="{href}" width="{w}" height="{h}" preserveAspectRatio="none" '
        'style="image-rendering: pixelated"/>'
        f"{rings}</svg>"
    )
