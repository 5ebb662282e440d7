"""The browser app for teaching and exploring, served by ``landsim app``.

Modules, from data to page:

* :mod:`~landsim.app.session` — what one browser tab runs: scenarios, levers, one model or two
  in lockstep (no solara here);
* :mod:`~landsim.app.mapview` — the town map as one PNG drawn from the plot arrays;
* :mod:`~landsim.app.charts` — outcome charts as inline SVG;
* :mod:`~landsim.app.lessons` — guided lessons read from ``lessons/*.toml``;
* :mod:`~landsim.app.i18n` — every label in English and Chinese;
* :mod:`~landsim.app.views` and :mod:`~landsim.app.app` — the solara components and the
  ``Page``;
* :mod:`~landsim.app.boundary` and :mod:`~landsim.app.server` — the trust boundary: what a
  browser may send (an allow-list at solara's message dispatch), and the web server's gate
  (secrets out of addresses, a cap on sessions); ``landsim app`` serves
  ``landsim.app.server:app``.

The app imports the model; the model never imports the app. Importing this package does not
import solara, so the non-UI parts serve tests and benchmarks without a server.
"""

__all__: list[str] = []
