"""The unit of parallel work: a pure, picklable ``run(spec) -> outcomes``.

Serial loops, local process pools and Dask clusters all call :func:`run` on a :class:`RunSpec`,
so the same spec gives the same numbers wherever it runs. Replicate seeds come from one root
seed through :func:`replicate_seeds` (``numpy.random.SeedSequence.spawn``).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from landsim.params import Params

if TYPE_CHECKING:
    from landsim.recording import Recording

__all__ = ["RunSpec", "run", "simulate", "replicate_seeds", "label", "compile_kernels"]


@dataclass(frozen=True)
class RunSpec:
    """Everything one model run needs.

    Attributes:
        params: a full parameter set as plain data (``Params.model_dump(mode="json")``).
        seed: the model's seed (an integer from :func:`replicate_seeds`).
        years: years to simulate (defaults to ``params["run"]["years"]``).
        tags: labels copied onto every row of the result (scenario, replicate, run_id, ...).
        record: also record every plot, household and village of every year
            (:class:`landsim.recording.Recording`: what maps and micro-data are written from).
    """

    params: dict[str, Any]
    seed: int
    years: int | None = None
    tags: dict[str, Any] = field(default_factory=dict)
    record: bool = False


def replicate_seeds(root: int, n: int) -> list[int]:
    """``n`` independent model seeds derived from ``root`` (``SeedSequence(root).spawn(n)``)."""
    children = np.random.SeedSequence(root).spawn(n)
    return [int(c.generate_state(1, dtype=np.uint64)[0] >> 1) for c in children]


def run(spec: RunSpec) -> pd.DataFrame:
    """Run one model and return its yearly outcomes, one row per year, tagged with ``spec.tags``
    and the seed."""
    return simulate(spec)[0]


def simulate(spec: RunSpec) -> tuple[pd.DataFrame, Recording | None]:
    """:func:`run`, and the run's recording when ``spec.record`` asks for one."""
    from landsim.model import LandModel  # imported here so workers import lazily
    from landsim.recording import Recording

    params = Params.model_validate(spec.params)
    years = spec.years if spec.years is not None else params.run.years
    model = LandModel(params, rng=spec.seed)
    recording = Recording.start(model) if spec.record else None
    for _ in range(years):
        model.step()
        if recording is not None:
            recording.add(model)
    return label(model.outcomes(), spec), recording


def label(df: pd.DataFrame, spec: RunSpec) -> pd.DataFrame:
    """Put ``spec.tags`` in front of the outcomes ``df`` and its seed at the end (in place)."""
    for i, (key, value) in enumerate(spec.tags.items()):
        df.insert(i, key, value)
    df["seed"] = spec.seed
    return df


def compile_kernels(
    scenario: str = "tri_party_governance", years: int = 2, part: int | None = None
) -> None:
    """Run a bundled scenario (co-ops, the service firm, subsidies: most of the model) for a few
    years and throw the result away, so that its compiled kernels are compiled, or loaded from
    Numba's cache, before a user waits on them.

    After installing landsim the first compile takes about 45 s on the developers' 2-core
    machine (docs/performance.md); from Numba's cache, in a new process, about 0.9 s (loading
    the kernels, and the run). ``landsim app`` calls this in a background thread as it starts,
    so that the first page does not wait. ``part``: compile only the kernels of that one of
    :data:`landsim.compiled.PARTS` (the others run as plain Python in this warm-up): a local
    process pool has two workers compile a part each, side by side, while the others run on
    the NumPy references (:class:`landsim.sweep.executors.LocalExecutor`). Afterwards
    :func:`landsim.compiled.cache_ready` is true (with ``part``, once every part has run).
    """
    from landsim import compiled
    from landsim.scenario import load_scenario

    params = load_scenario(scenario).params
    with compiled.compiling_part(part):
        run(RunSpec(params=params.model_dump(mode="json"), seed=1, years=years))
    if compiled.enabled():
        compiled.mark_cache_ready(part)


def compile_kernels_in_two() -> None:
    """:func:`compile_kernels`, with a child process compiling half of the kernels beside this
    one when the cache is cold and this process may use two cores or more: about 25 s instead
    of 45 s on the developers' machine. This process then loads the child's half from the
    cache; if the child fails, this process compiles that half itself."""
    import subprocess

    from landsim import compiled

    if compiled.cache_ready() or compiled.cores() < 2:
        compile_kernels()
        return
    code = "from landsim.runner import compile_kernels; compile_kernels(part=0)"
    child = subprocess.Popen(  # noqa: S603 - this interpreter, fixed code
        [sys.executable, "-c", code], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    try:
        compile_kernels(part=1)
        child.wait(timeout=CHILD_COMPILE_TIMEOUT)
    except subprocess.TimeoutExpired:
        pass  # a stuck child: this process compiles what it left
    finally:
        child.kill()  # nothing if it has ended; a stuck or orphaned child does not outlive it
        child.wait()
    compile_kernels()  # loads the child's half (or compiles what it left)


#: how long :func:`compile_kernels_in_two` waits for its child after its own half (seconds;
#: the child's half takes about 25 s on the developers' machine)
CHILD_COMPILE_TIMEOUT = 300.0
