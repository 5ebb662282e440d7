"""landsim: an agent-based model of rural land transfer in China, on Mesa.

Aging households, village Party-branch-led cooperatives, the town government and a service firm
trade land-use rights on a plot grid; users compare policy levers (above all how a cooperative
shares its benefits) against land abandonment and income.

``LandModel`` and ``Params`` are imported on first use, so that commands which never build a
model (``landsim check``, ``--help``) start without loading Mesa and SciPy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = ["LandModel", "Params", "__version__"]
__version__ = "0.2.0"

if TYPE_CHECKING:
    from landsim.model import LandModel
    from landsim.params import Params


def __getattr__(name: str) -> Any:
    if name == "LandModel":
        from landsim.model import LandModel

        return LandModel
    if name == "Params":
        from landsim.params import Params

        return Params
    raise AttributeError(f"module 'landsim' has no attribute {name!r}")
