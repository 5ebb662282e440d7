"""Pictures of the classroom drawn on the server with no network: the join address as a QR
code (``segno``, pure Python), the town map with some households' plots outlined, and the
debrief's map of where two towns differ."""

from __future__ import annotations

import io

import numpy as np
import segno
from PIL import Image

from landsim.app.mapview import layer_rgb

__all__ = ["qr_svg", "outlined_map_png", "difference_map_png", "SAME_COLOUR"]

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
