"""landsim in Mesa's own SolaraViz: the plot map drawn by Mesa's ``SpaceRenderer`` from the
model's property layers, an outcome chart, and a few levers.

Run it with ``solara run examples/solaraviz_app.py`` (see ``docs/mesa.md``). The teaching app
(``landsim app``) is richer; this file shows that a landsim model plugs into Mesa's standard
visualization like any Mesa model.
"""

from matplotlib.colors import ListedColormap
from mesa.visualization import SolaraViz, SpaceRenderer, make_plot_component
from mesa.visualization.components import PropertyLayerStyle

from landsim.app.mapview import KIND_COLOURS
from landsim.model import LandModel
from landsim.world import KIND_NAMES

#: the property layer to draw: "farmed_by", "terrain", "holder_age" or "trust"
LAYER = "farmed_by"

STYLES = {
    # operator kind 0..4: idle, own, household lease, cooperative, custody
    "farmed_by": PropertyLayerStyle(
        colormap=ListedColormap([KIND_COLOURS[k] for k in KIND_NAMES]),
        vmin=-0.5,
        vmax=4.5,
        alpha=1.0,
        colorbar=True,
    ),
    "terrain": PropertyLayerStyle(colormap="BrBG_r", vmin=0, vmax=1, alpha=1.0),
    "holder_age": PropertyLayerStyle(colormap="viridis", vmin=20, vmax=95, alpha=1.0),
    "trust": PropertyLayerStyle(colormap="RdYlGn", vmin=0, vmax=1, alpha=1.0),
}


def layer_style(layer):
    """Draw the chosen layer only (Mesa overlays every layer a portrayal styles)."""
    return STYLES[LAYER] if layer.name == LAYER else None


model_params = {
    "rng": {"type": "InputText", "value": 1, "label": "Seed"},
    "coop_founding": {
        "type": "Select",
        "value": "all",
        "values": ["none", "endogenous", "all"],
        "label": "Cooperatives founded",
    },
    "benefit_rule": {
        "type": "Select",
        "value": "guaranteed_dividend",
        "values": ["fixed_rent", "guaranteed_dividend", "shareholding", "guaranteed_rebate"],
        "label": "Benefit-sharing rule",
    },
    "audit_rate": {
        "type": "SliderFloat",
        "value": 0.0,
        "min": 0.0,
        "max": 1.0,
        "step": 0.1,
        "label": "Audit rate",
    },
    # a smaller town than the default keeps each step quick in the browser
    "width": 40,
    "height": 30,
    "households_per_village": 40,
}

model = LandModel(rng=1, coop_founding="all", width=40, height=30, households_per_village=40)
renderer = SpaceRenderer(model, backend="matplotlib").setup_propertylayer(layer_style)
renderer.draw_propertylayer()

page = SolaraViz(
    model,
    renderer,
    components=[make_plot_component(["abandonment_rate", "coop_land_share"])],
    model_params=model_params,
    name="landsim (Mesa SolaraViz)",
)
page  # noqa: B018 - solara serves the module's `page`
