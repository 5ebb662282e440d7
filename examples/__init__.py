"""Example scripts, shipped with landsim as ``landsim.examples``.

* ``ema_prim`` — scenario discovery with EMA Workbench, three replications per experiment
  (``python -m landsim.examples.ema_prim``; needs ``pip install 'landsim[ema]'``);
* ``solaraviz_app`` — landsim in Mesa's own SolaraViz (``landsim init DIR`` copies it, then
  ``solara run DIR/examples/solaraviz_app.py``).
"""
