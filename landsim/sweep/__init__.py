"""Batch parameter sweeps and sensitivity analysis.

The parts, in EMA Workbench's vocabulary:

* :mod:`~landsim.sweep.experiment` — experiment files: base scenario, factors, design, outcomes;
* :mod:`~landsim.sweep.design` — *what to run*: factorial, Latin, Sobol and Morris designs
  (SALib), run ids and seeds;
* :mod:`~landsim.sweep.worker` — the picklable unit of work around :func:`landsim.runner.run`;
* :mod:`~landsim.sweep.executors` — *where it runs*: serial, local processes, Dask;
* :mod:`~landsim.sweep.store` — *where results go*: crash-safe Parquet parts;
* :mod:`~landsim.sweep.provenance` — what was run, with which code;
* :mod:`~landsim.sweep.driver` — :func:`run_sweep` ties them together;
* :mod:`~landsim.sweep.analysis` and :mod:`~landsim.sweep.figures` — sensitivity indices,
  main effects, figures and a summary.
"""

from landsim.sweep.design import Design, build_design, run_id, run_seed
from landsim.sweep.driver import SweepReport, plan_text, run_sweep
from landsim.sweep.executors import (
    DaskExecutor,
    LocalExecutor,
    SerialExecutor,
    WorkerLost,
    make_executor,
)
from landsim.sweep.experiment import Experiment, ExperimentError, load_experiment
from landsim.sweep.store import load_runs, load_yearly

__all__ = [
    "Experiment",
    "ExperimentError",
    "load_experiment",
    "Design",
    "build_design",
    "run_id",
    "run_seed",
    "SerialExecutor",
    "LocalExecutor",
    "DaskExecutor",
    "WorkerLost",
    "make_executor",
    "SweepReport",
    "run_sweep",
    "plan_text",
    "load_runs",
    "load_yearly",
]
