"""What a worker does with one run: call the model and turn its result or error into a row.

:func:`execute` is the picklable unit every executor ships — in-process, to a local process
pool, or to Dask workers (which therefore need the same landsim code; see
:func:`landsim.provenance.code_identity`). It never raises for a failing model run: the row
comes back with ``status = "failed"`` and the error.
"""

from __future__ import annotations

import math
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from landsim.runner import RunSpec, run

__all__ = ["RunTask", "RunResult", "execute", "failed_result", "describe_error"]


@dataclass(frozen=True)
class RunTask:
    """One run of a sweep, as plain picklable data.

    Attributes:
        run_id: stable identifier (design point and replicate).
        point: design point index.
        replicate: replicate index.
        seed: model seed.
        params: full parameter set (``Params.model_dump(mode="json")`` with the point's changes).
        inputs: the point's values of every varied key (copied onto the result row).
        years: years to simulate.
        outcomes: outcome columns to keep.
        yearly: keep every year's outcomes too.
        aggregates: statistics over the years to keep (``mean``, ``min``, ``max``), as columns
            ``OUTCOME:STAT``.
        run_fn: the run function; ``None`` means :func:`landsim.runner.run` (tests swap it).
    """

    run_id: str
    point: int
    replicate: int
    seed: int
    params: dict[str, Any]
    inputs: dict[str, Any]
    years: int
    outcomes: tuple[str, ...]
    yearly: bool = False
    aggregates: tuple[str, ...] = ()
    run_fn: Callable[[RunSpec], pd.DataFrame] | None = field(default=None, compare=False)


@dataclass
class RunResult:
    """A finished run: its row for ``DIR/runs`` and, if asked, its yearly outcomes."""

    row: dict[str, Any]
    yearly: pd.DataFrame | None = None


def _label() -> str:
    return f"{socket.gethostname()}/{os.getpid()}"


def execute(task: RunTask) -> RunResult:
    """Run ``task`` and return its result; a run that raises comes back as ``failed``."""
    start = time.perf_counter()
    fn = task.run_fn if task.run_fn is not None else run
    tags = {"run_id": task.run_id, "point": task.point, "replicate": task.replicate}
    try:
        df = fn(RunSpec(params=task.params, seed=task.seed, years=task.years, tags=tags))
        last = df.iloc[-1]
        outcomes = {o: float(last[o]) for o in task.outcomes}
        simulated = df[df["year"] >= 1]  # year 0 is the initial state, before any season
        for stat in task.aggregates:
            values = simulated[list(task.outcomes)].agg(stat)
            outcomes.update({f"{o}:{stat}": float(values[o]) for o in task.outcomes})
        yearly = None
        if task.yearly:
            yearly = df[["year", *task.outcomes]].astype({o: float for o in task.outcomes})
            yearly.insert(0, "run_id", task.run_id)
            yearly.insert(1, "point", task.point)
            yearly.insert(2, "replicate", task.replicate)
            for i, (k, v) in enumerate(task.inputs.items()):
                yearly.insert(3 + i, k, v)
        status, error = "ok", None
    except Exception as err:  # noqa: BLE001 - any model error becomes a failed row
        outcomes = _missing(task)
        yearly = None
        status, error = "failed", describe_error(err)
    row = _row(task, status, error, time.perf_counter() - start, _label(), outcomes)
    return RunResult(row, yearly)


def failed_result(task: RunTask, err: BaseException | str, where: str = "") -> RunResult:
    """A ``failed`` result for a run that never returned (its worker died, for instance)."""
    error = err if isinstance(err, str) else describe_error(err)
    return RunResult(_row(task, "failed", error, math.nan, where, _missing(task)))


def _missing(task: RunTask) -> dict[str, float]:
    cols = [*task.outcomes, *(f"{o}:{a}" for a in task.aggregates for o in task.outcomes)]
    return dict.fromkeys(cols, math.nan)


def _row(task, status, error, wall, where, outcomes) -> dict[str, Any]:
    return {
        "run_id": task.run_id,
        "point": task.point,
        "replicate": task.replicate,
        **task.inputs,
        "seed": task.seed,
        "status": status,
        "error": error,
        "wall_time": wall,
        "worker": where,
        **outcomes,
    }


def describe_error(err: BaseException) -> str:
    """``Type: message (file:line in function)`` of the innermost frame."""
    text = "".join(traceback.format_exception_only(type(err), err)).strip()
    tb = traceback.extract_tb(err.__traceback__)
    if tb:
        frame = tb[-1]
        text += f" (at {os.path.basename(frame.filename)}:{frame.lineno} in {frame.name})"
    return text
