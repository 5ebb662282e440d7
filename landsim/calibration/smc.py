"""ABC-SMC with pyabc: the simulator, the distance and the generation loop.

* :class:`Simulator` — the picklable model pyabc calls: candidate parameters -> the target
  levels, from ``seeds`` replicate runs of each run the targets need (seeds derived from the
  candidate and the root seed, so one candidate always gives the same numbers);
* :func:`range_distance` — how far the levels fall outside their sourced ranges, in tolerances
  (root of the sum of squares; 0 when every target is inside);
* :func:`make_sampler` — ``--executor`` as a pyabc sampler (one process, local processes that
  die with the main process (:func:`local_sampler`), or the Dask cluster of
  :class:`landsim.sweep.executors.DaskExecutor`, workers checked);
* :func:`run_abc` — generation after generation with a progress bar, storing every population
  in ``DIR/abc.db``; resuming continues from the last stored population.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from landsim import compiled
from landsim.calibration.config import CalibrationConfig
from landsim.processes import watch_parent
from landsim.runner import run
from landsim.validation import evaluate, run_specs

__all__ = [
    "Simulator",
    "range_distance",
    "make_sampler",
    "local_sampler",
    "run_abc",
    "DB_NAME",
    "history",
]

DB_NAME = "abc.db"
#: the value a level takes when a run cannot produce it (no leases, no co-ops): far outside
MISSING = 1e6


class Simulator:
    """Candidate parameters -> target levels (picklable; pyabc's model)."""

    def __init__(self, config: CalibrationConfig):
        spec = config.spec
        levels = tuple(t.level for t in config.targets)
        self.spec = dataclasses.replace(spec, levels=levels, patterns=(), years=config.years)
        self.runs = config.runs
        self.world = {f"world.{k}": v for k, v in config.world.items()}
        self.seeds = config.seeds
        self.root = config.seed
        self.integer = {p.key for p in config.priors if p.integer}
        self.names = [lv.name for lv in levels]

    def changes(self, parameters: dict[str, float]) -> dict[str, Any]:
        """The dotted keys a candidate sets (integer parameters rounded)."""
        return {
            k: int(round(float(v))) if k in self.integer else float(v)
            for k, v in parameters.items()
        }

    def seed_for(self, changes: dict[str, Any]) -> int:
        """The replicates' root seed for a candidate: from the candidate and the root seed."""
        text = json.dumps([self.root, sorted(changes.items())])
        return int.from_bytes(hashlib.sha256(text.encode()).digest()[:7], "big")

    def levels(self, parameters: dict[str, float], seeds: int | None = None) -> dict[str, float]:
        """The target levels of one candidate (``seeds`` replicates of each run needed)."""
        changes = self.changes(parameters)
        specs = run_specs(
            self.spec,
            ["D"],
            seeds or self.seeds,
            root_seed=self.seed_for(changes),
            changes={**self.world, **changes},
            only=self.runs,
        )
        df = pd.concat([run(s) for s in specs])
        _, table = evaluate(self.spec, df)
        values = dict(zip(table["quantity"], table["value"], strict=True))
        return {
            n: (MISSING if not math.isfinite(values[n]) else float(values[n])) for n in self.names
        }

    def __call__(self, parameters: dict[str, float]) -> dict[str, float]:
        """The target levels of ``parameters`` (pyabc's model call)."""
        return self.levels(dict(parameters))


class RangeDistance:
    """Distance of levels from their sourced ranges (less any margin), in tolerances
    (picklable)."""

    def __init__(self, config: CalibrationConfig):
        self.bounds = {t.level.name: (*t.aim(), t.tolerance) for t in config.targets}

    def __call__(self, x: dict[str, float], x0: dict[str, float] | None = None) -> float:
        """Distance of the levels ``x`` (``x0``, pyabc's observation, is not used)."""
        return range_distance(x, self.bounds)


def range_distance(x: dict[str, float], bounds: dict[str, tuple[float, float, float]]) -> float:
    """Root of the sum of squared distances outside ``(low, high)``, each over its tolerance."""
    total = 0.0
    for name, (low, high, tol) in bounds.items():
        v = float(x[name])
        out = max(0.0, low - v, v - high)
        total += (out / tol) ** 2
    return math.sqrt(total)


def make_sampler(executor: str, workers: int | None = None) -> tuple[Any, Callable[[], None], str]:
    """A pyabc sampler for ``--executor``, a function that releases it, and a description.

    Raises:
        UserError: an unknown executor or an unreachable Dask scheduler.
    """
    from landsim.extras import require

    require("calibrate", "ABC-SMC calibration")
    import pyabc

    from landsim.errors import UserError
    from landsim.sweep.executors import DaskExecutor, available_cores

    if executor == "serial":
        return pyabc.sampler.SingleCoreSampler(), lambda: None, "serial"
    if executor == "local":
        n = workers or available_cores()
        return local_sampler(n), lambda: None, f"local ({n} processes)"
    if executor.startswith("dask://"):
        if workers is not None:
            raise UserError("--workers does not apply to a Dask cluster")
        dask = DaskExecutor("tcp://" + executor.removeprefix("dask://"))
        sampler = pyabc.sampler.DaskDistributedSampler(dask_client=dask.client)
        return sampler, dask.close, dask.description
    raise UserError(f"--executor must be local, serial or dask://HOST:PORT, got {executor!r}")


class _WatchingParent:
    """pyabc's ``simulate_one`` in a worker that ends when the calibration's main process dies
    (:func:`landsim.processes.watch_parent`, set up at the worker's first simulation)."""

    def __init__(self, simulate_one: Callable[[], Any]):
        self.simulate_one = simulate_one
        self.parent = os.getpid()  # the process that starts the workers

    def __call__(self) -> Any:
        """One simulation (pyabc's call)."""
        if os.getpid() != self.parent:
            watch_parent(self.parent)
            compiled.single_threaded()  # the sampler's processes already use every core
        return self.simulate_one()


def local_sampler(n_procs: int) -> Any:
    """A multicore pyabc sampler of ``n_procs`` worker processes that die with the main
    process (without that they sample on after a ``kill -9`` until their population is full).
    """
    import pyabc

    class LocalSampler(pyabc.sampler.MulticoreEvalParallelSampler):
        def sample_until_n_accepted(self, n, simulate_one, t, **kwargs):  # noqa: D102
            return super().sample_until_n_accepted(n, _WatchingParent(simulate_one), t, **kwargs)

    return LocalSampler(n_procs=n_procs)


def _abc(config: CalibrationConfig, sampler: Any) -> Any:
    import pyabc

    prior = pyabc.Distribution(
        **{p.key: pyabc.RV("uniform", p.low, p.high - p.low) for p in config.priors}
    )
    return pyabc.ABCSMC(
        Simulator(config),
        prior,
        RangeDistance(config),
        population_size=config.population,
        # the proposal: a normal kernel around the last generation's particles, its
        # covariance x kernel_scale (docs/validation.md, Calibration: at pyabc's 1 the
        # importance weights of ten parameters collapsed onto a few particles)
        transitions=pyabc.MultivariateNormalTransition(scaling=config.kernel_scale),
        sampler=sampler,
    )


def history(out: Path) -> Any:
    """The pyabc history stored in ``out``."""
    import pyabc

    return pyabc.History(f"sqlite:///{out / DB_NAME}", _id=1)


def run_abc(
    config: CalibrationConfig,
    out: Path,
    sampler: Any,
    resume: bool = False,
    progress: bool = True,
) -> Any:
    """Run (or continue) the ABC-SMC; return pyabc's history.

    A generation is stored in ``out/abc.db`` when it is complete; an interrupted generation is
    lost and sampled again on ``resume``.
    """
    import logging

    from landsim.progress import progress as progress_bar

    for name in ("ABC", "pyabc", "Sampler", "Epsilon", "Distance", "Acceptor", "History"):
        logging.getLogger(name).setLevel(logging.WARNING)
    np.random.seed(config.seed % 2**32)  # pyabc draws from numpy's global generator
    db = f"sqlite:///{out / DB_NAME}"
    if not (resume and (out / DB_NAME).is_file()):
        _abc(config, sampler).new(db, {t.level.name: 0.0 for t in config.targets})
    done = history(out).max_t + 1
    bar = progress_bar(
        config.generations,
        "ABC-SMC",
        "generation",
        show=progress,
        initial=min(done, config.generations),
    )
    try:
        while done < config.generations:
            if done > 0 and _epsilon(history(out)) <= config.min_epsilon:
                break
            # every generation starts from what the database holds, exactly as a resumed run
            # does: epsilon and the transition kernels come from the last stored population
            abc = _abc(config, sampler)
            abc.load(db, 1)
            abc.run(max_nr_populations=1, minimum_epsilon=config.min_epsilon)
            done = abc.history.max_t + 1
            bar.set_postfix(epsilon=f"{_epsilon(abc.history):.3g}")
            bar.update(1)
    finally:
        bar.close()
    return history(out)


def _epsilon(hist: Any) -> float:
    pops = hist.get_all_populations()
    pops = pops[pops["t"] >= 0]
    return float(pops["epsilon"].iloc[-1]) if len(pops) else math.inf
