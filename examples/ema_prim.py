"""Scenario discovery with EMA Workbench: when does abandonment rise above a threshold?

Samples two uncertain assumptions (aging speed, migration) and one lever (the audit rate)
over their plausible ranges with Latin hypercubes, runs a small town for ten years, three
times per experiment with seeds of its own, and lets PRIM find the box of inputs where the
mean abandonment over those replications is high. After ``pip install 'landsim[ema]'``, run
it with ``python -m landsim.examples.ema_prim`` (or ``python examples/ema_prim.py`` in a
clone; ``landsim init DIR`` copies it to DIR/examples/ to edit). See docs/ema.md
(``landsim docs ema``).
"""

import numpy as np
from ema_workbench import perform_experiments
from ema_workbench.analysis import prim

from landsim.ema import build_model
from landsim.params import params_from_flat

SMALL_TOWN = dict(width=30, height=20, villages_x=2, villages_y=1, households_per_village=50)


def main(scenarios: int = 60, years: int = 10, world: dict | None = None, replications: int = 3):
    """Run the experiments and PRIM; return the box PRIM found and the outcomes."""
    base = params_from_flat(**(world or SMALL_TOWN), coop_founding="all")
    model = build_model(
        base,
        uncertainties=["aging_speed", "migration_rate"],
        levers=["audit_rate"],
        outcomes=["abandonment_rate"],
        years=years,
        replications=replications,  # each experiment runs 3 times, each with its own seed
    )
    experiments, outcomes = perform_experiments(model, scenarios=scenarios, policies=1)
    print(
        "abandonment, mean over replications: "
        f"{np.mean(outcomes['abandonment_rate']):.3f}; typical spread between replications: "
        f"{np.mean(outcomes['abandonment_rate_sd']):.3f}"
    )
    x = experiments[["aging_speed", "migration_rate", "audit_rate"]]
    y = outcomes["abandonment_rate"] >= np.quantile(outcomes["abandonment_rate"], 0.7)
    box = prim.Prim(x, y).find_box()
    box.inspect()
    return box, outcomes


if __name__ == "__main__":
    main()
