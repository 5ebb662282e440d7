"""Helpers for testing sweeps: tiny experiments, and run functions that fail on purpose.

Test code, kept out of the package: worker processes find this module because pytest puts
``tests/`` on ``sys.path`` and the pools' forkserver starts with the parent's ``sys.path``; the
Dask tests that use :func:`failing_run` run their workers in-process.
"""

from __future__ import annotations

import pandas as pd

from landsim.runner import RunSpec, run

__all__ = ["TINY_WORLD", "tiny_experiment", "failing_run", "FAILING_POINT"]

#: a town small enough for a run to take a few hundredths of a second
TINY_WORLD = """
[world]
width = 12
height = 10
villages_x = 2
villages_y = 1
households_per_village = 20
"""

#: the design point whose runs :func:`failing_run` makes fail
FAILING_POINT = 1


def tiny_experiment(
    factors: str | None = None,
    design: str = 'kind = "factorial"',
    replicates: int = 2,
    years: int = 3,
    seed: int = 11,
    outcomes: tuple[str, ...] = ("abandonment_rate", "participation_rate", "household_income_mean"),
    yearly: bool = False,
    extra: str = "",
) -> str:
    """TOML text of an experiment on :data:`TINY_WORLD`.

    Defaults: a 2 x 2 factorial of the benefit rule and the guaranteed rent, with coops in
    every village.
    """
    if factors is None:
        factors = """
[factors."levers.benefit_rule"]
values = ["fixed_rent", "guaranteed_dividend"]
[factors."levers.guaranteed_rent"]
values = [400, 800]
"""
    shown = ", ".join(f'"{o}"' for o in outcomes)
    return f"""
outcomes = [{shown}]
yearly = {"true" if yearly else "false"}
{extra}
[constants]
"levers.coop_founding" = "all"

[design]
{design}
{factors}
[run]
replicates = {replicates}
seed = {seed}
years = {years}
{TINY_WORLD}
"""


def failing_run(spec: RunSpec) -> pd.DataFrame:
    """Like :func:`landsim.runner.run`, but raises for design point :data:`FAILING_POINT`."""
    if spec.tags.get("point") == FAILING_POINT:
        raise RuntimeError(f"boom at point {FAILING_POINT}")
    return run(spec)
