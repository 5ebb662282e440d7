"""Scenario discovery with EMA Workbench: when does abandonment rise above a threshold?

Samples two uncertain assumptions (aging speed, migration) and one lever (the audit rate)
over their plausible ranges with Latin hypercubes, runs a small town for ten years per
experiment, and lets PRIM find the box of inputs where abandonment is high. Run with
``python examples/ema_prim.py`` after ``pip install 'landsim[ema]'`` (docs/ema.md).
"""

import numpy as np
from ema_workbench import perform_experiments
from ema_workbench.analysis import prim

from landsim.ema import build_model
from landsim.params import params_from_flat

SMALL_TOWN = dict(width=30, height=20, villages_x=2, villages_y=1, households_per_village=50)


def main(scenarios: int = 60, years: int = 10, world: dict | None = None):
    """Run the experiments and PRIM; return the box PRIM found."""
    base = params_from_flat(**(world or SMALL_TOWN), coop_founding="all")
    model = build_model(
        base,
        uncertainties=["aging_speed", "migration_rate"],
        levers=["audit_rate"],
        outcomes=["abandonment_rate"],
        years=years,
    )
    experiments, outcomes = perform_experiments(model, scenarios=scenarios, policies=1)
    x = experiments[["aging_speed", "migration_rate", "audit_rate"]]
    y = outcomes["abandonment_rate"] >= np.quantile(outcomes["abandonment_rate"], 0.7)
    box = prim.Prim(x, y).find_box()
    box.inspect()
    return box


if __name__ == "__main__":
    main()
