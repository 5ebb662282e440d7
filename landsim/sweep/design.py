"""Designs: turn an experiment's factors into design points, and points into runs.

*What to run* (EMA Workbench's samplers), kept apart from where runs execute
(:mod:`landsim.sweep.executors`) and where results go (:mod:`landsim.sweep.store`).

* ``factorial`` — every combination of the factors' levels (``itertools.product``);
* ``latin`` — SALib's Latin hypercube (``SALib.sample.latin``), ``samples`` points;
* ``sobol`` — SALib's Saltelli/Sobol sampler (``SALib.sample.sobol``), ``N·(D+2)`` points, or
  ``N·(2D+2)`` with second-order indices;
* ``morris`` — SALib's Morris trajectories (``SALib.sample.morris``), ``samples·(D+1)`` points.

SALib samples the unit box of each factor's bounds. A factor with listed levels (a categorical
lever such as ``levers.benefit_rule``, or a numeric list) gets bounds ``[0, k]`` and the sample
``x`` picks level ``floor(x)``; an integer range ``[lo, hi]`` gets ``[lo, hi + 1]`` and the value
``floor(x)``, so every level is equally likely. The raw sample matrix is kept (``design.parquet``)
because Morris analysis needs it.

Each run is identified by its design point and replicate (``run_id`` ``p000012-r003``), and its
seed comes from ``numpy.random.SeedSequence(root, spawn_key=(point, replicate))`` — the same
child that ``SeedSequence(root).spawn(...)[point].spawn(...)[replicate]`` gives — so a run's numbers
never depend on which executor ran it, or when.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from landsim.params import apply_changes
from landsim.sweep.experiment import Experiment, ExperimentError, Factor, _fmt, _value_message
from landsim.sweep.worker import RunTask

__all__ = ["Design", "build_design", "run_id", "run_seed", "iter_tasks"]


@dataclass(frozen=True)
class Design:
    """Design points of an experiment.

    Attributes:
        kind: the design kind.
        factors: the experiment's factors.
        problem: SALib problem (names, bounds) for SALib designs, else ``None``.
        X: raw SALib sample (points x factors), else ``None``.
        points: parameter changes of each point (factor values and rebalanced keys).
    """

    kind: str
    factors: tuple[Factor, ...]
    problem: dict[str, Any] | None
    X: np.ndarray | None
    points: list[dict[str, Any]]

    @property
    def n_points(self) -> int:
        """Number of design points."""
        return len(self.points)

    def table(self) -> pd.DataFrame:
        """One row per point: ``point``, raw samples ``x:KEY`` (SALib designs) and inputs."""
        df = pd.DataFrame(self.points)
        if self.X is not None:
            raw = pd.DataFrame(self.X, columns=[f"x:{f.key}" for f in self.factors])
            df = pd.concat([raw, df], axis=1)
        df.insert(0, "point", np.arange(len(self.points), dtype=np.int64))
        return df


def build_design(exp: Experiment, validate: bool = True) -> Design:
    """Sample the design points of ``exp`` and (by default) check each against the rules.

    Raises:
        ExperimentError: a point is not a valid parameter set (e.g. shares that no longer sum to
            one), naming the point and its values.
    """
    kind = exp.design.kind
    problem = None
    X = None
    if kind == "factorial":
        combos = itertools.product(*(f.levels for f in exp.factors))
        values = [dict(zip((f.key for f in exp.factors), c, strict=True)) for c in combos]
    else:
        from landsim.extras import require

        require("sweep", f"a {kind} design")
        problem = salib_problem(exp.factors)
        X = _salib_sample(exp, problem)
        values = [_map_row(exp.factors, row) for row in X]
    points = [exp.changes(v) for v in values]
    design = Design(kind, exp.factors, problem, X, points)
    if validate:
        _validate(exp, design)
    return design


def salib_problem(factors: tuple[Factor, ...]) -> dict[str, Any]:
    """SALib's problem dict: factor keys as names; bounds as described in the module doc."""
    bounds = []
    for f in factors:
        if f.levels is not None:
            bounds.append([0.0, float(len(f.levels))])
        elif f.dtype == "int":
            lo, hi = f.bounds
            bounds.append([float(lo), float(hi) + 1.0])
        else:
            bounds.append([float(b) for b in f.bounds])
    return {"num_vars": len(factors), "names": [f.key for f in factors], "bounds": bounds}


def _salib_sample(exp: Experiment, problem: dict[str, Any]) -> np.ndarray:
    d = exp.design
    if d.kind == "latin":
        from SALib.sample import latin

        return latin.sample(problem, d.samples, seed=d.seed)
    if d.kind == "sobol":
        from SALib.sample import sobol

        return sobol.sample(problem, d.samples, calc_second_order=d.second_order, seed=d.seed)
    if d.kind == "morris":
        from SALib.sample import morris

        return morris.sample(problem, d.samples, num_levels=d.levels, seed=d.seed)
    raise ValueError(f"unknown design kind {d.kind!r}")


def _map_row(factors: tuple[Factor, ...], row: np.ndarray) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for f, x in zip(factors, row, strict=True):
        if f.levels is not None:
            out[f.key] = f.levels[min(int(np.floor(x)), len(f.levels) - 1)]
        elif f.dtype == "int":
            out[f.key] = min(int(np.floor(x)), int(f.bounds[1]))
        else:
            out[f.key] = float(x)
    return out


def _validate(exp: Experiment, design: Design) -> None:
    where = str(exp.path) if exp.path is not None else "<experiment>"
    seen: set[tuple] = set()
    for i, changes in enumerate(design.points):
        sig = tuple(sorted((k, repr(v)) for k, v in changes.items()))
        if sig in seen:
            continue
        seen.add(sig)
        try:
            apply_changes(exp.base, changes)
        except (ValueError, ValidationError) as err:
            shown = ", ".join(f"{k} = {_fmt(v)}" for k, v in changes.items())
            raise ExperimentError(
                f"{where}: design point {i} ({shown}) is not a valid parameter set: "
                f"{_value_message(err)}"
            ) from None


def run_id(point: int, replicate: int) -> str:
    """Stable identifier of a run: ``p{point:06d}-r{replicate:03d}``."""
    return f"p{point:06d}-r{replicate:03d}"


def run_seed(root: int, point: int, replicate: int, common: bool = False) -> int:
    """The model seed of run (``point``, ``replicate``).

    ``common=True`` gives every point the same seed for a replicate (common random numbers):
    the seed ``landsim.runner.replicate_seeds(root, n)[replicate]``.
    """
    key = (replicate,) if common else (point, replicate)
    state = np.random.SeedSequence(root, spawn_key=key).generate_state(1, dtype=np.uint64)
    return int(state[0] >> 1)


def iter_tasks(
    exp: Experiment,
    design: Design,
    skip: set[str] | frozenset[str] = frozenset(),
    run_fn: Callable | None = None,
) -> Iterator[RunTask]:
    """Yield the runs not in ``skip``, lazily so memory stays flat.

    Runs come replicate by replicate, so a partial sweep already covers the whole design.
    """
    base = exp.base.model_dump(mode="json")
    common = exp.seeds == "common"
    keys = exp.input_keys
    for rep in range(exp.replicates):
        for point, changes in enumerate(design.points):
            rid = run_id(point, rep)
            if rid in skip:
                continue
            params = {s: dict(v) if isinstance(v, dict) else v for s, v in base.items()}
            for key, value in changes.items():
                section, _, name = key.partition(".")
                params[section][name] = value
            yield RunTask(
                run_id=rid,
                point=point,
                replicate=rep,
                seed=run_seed(exp.seed, point, rep, common),
                params=params,
                inputs={k: changes[k] for k in keys},
                years=exp.years,
                outcomes=exp.outcomes,
                yearly=exp.yearly,
                aggregates=exp.aggregates,
                run_fn=run_fn,
            )
