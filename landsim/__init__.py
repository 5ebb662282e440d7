"""landsim: an agent-based model of rural land transfer in China, on Mesa.

Aging households, village Party-branch-led cooperatives, the town government and a service firm
trade land-use rights on a plot grid; users compare policy levers (above all how a cooperative
shares its benefits) against land abandonment and income.
"""

from landsim.model import LandModel
from landsim.params import Params

__all__ = ["LandModel", "Params", "__version__"]
__version__ = "0.1.0"
