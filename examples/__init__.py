"""Example scripts, shipped with landsim as ``landsim.examples``.

* ``ema_prim`` — scenario discovery with EMA Workbench, three replications per experiment
  (``python -m landsim.examples.ema_prim``; needs ``pip install 'landsim[ema]'``);
* ``make_region`` — makes the example region in ``region/`` (a land raster, village outlines,
  a household table and two scenarios: ``landsim run examples/region/region.toml --maps``;
  ``python -m landsim.examples.make_region DIR``; needs ``pip install 'landsim[gis]'``);
* ``solaraviz_app`` — landsim in Mesa's own SolaraViz (``landsim init DIR`` copies it, then
  ``solara run DIR/examples/solaraviz_app.py``).
"""
