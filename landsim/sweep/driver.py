"""Running a sweep: design -> tasks -> executor -> store, with a progress bar and provenance.

:func:`run_sweep` ties the three independent parts together (what to run, where it runs,
where results go). It can be stopped at any moment: finished runs are on disk, and calling it
again with ``resume=True`` runs only the missing ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa

from landsim.errors import UserError
from landsim.locking import folder_lock
from landsim.sweep.design import Design, build_design, iter_tasks
from landsim.sweep.executors import Executor
from landsim.sweep.experiment import Experiment
from landsim.sweep.provenance import (
    build_provenance,
    command_line,
    now,
    read_provenance,
    write_provenance,
)
from landsim.sweep.store import ResultStore, write_atomic
from landsim.sweep.worker import execute, failed_result

__all__ = ["SweepReport", "run_sweep", "plan_text"]


@dataclass
class SweepReport:
    """What one call of :func:`run_sweep` did.

    Attributes:
        out: the sweep directory.
        total: runs in the experiment.
        already_done: runs found on disk at the start (resume).
        ran: runs finished in this call.
        ok: of those, how many succeeded.
        failed: of those, how many failed.
        seconds: wall time of this call.
    """

    out: Path
    total: int
    already_done: int
    ran: int
    ok: int
    failed: int
    seconds: float

    @property
    def complete(self) -> bool:
        """True when every run of the experiment is on disk."""
        return self.already_done + self.ran >= self.total


def plan_text(exp: Experiment, design: Design | None = None) -> str:
    """The ``--dry-run`` description; the first line reads ``N runs: ...``."""
    design = design or build_design(exp)
    n = design.n_points * exp.replicates
    d = exp.design
    how = {
        "factorial": "full factorial",
        "latin": f"Latin hypercube, {d.samples} samples",
        "sobol": f"Sobol/Saltelli, N = {d.samples}, "
        + ("first, second and total order" if d.second_order else "first and total order"),
        "morris": f"Morris, {d.samples} trajectories, {d.levels} levels",
    }[d.kind]
    base = _shown(exp.base_path) if exp.base_path is not None else "built-in defaults"
    w = exp.base.world
    lines = [
        f"{n} runs: {design.n_points} design points x {exp.replicates} replicates "
        f"({how}; {exp.years} years each)",
        f"experiment: {exp.name}" + (f" - {exp.description}" if exp.description else ""),
        f"base scenario: {base}",
        f"world: {w.width}x{w.height} plots, {w.n_villages} villages, "
        f"{w.households_per_village} households per village",
        "factors:",
    ]
    width = max(len(f.key) for f in exp.factors)
    for f in exp.factors:
        lines.append(f"  {f.key:<{width}}  {f.describe()}")
    timed = _timeline_keys(exp)
    for f in exp.factors:
        for key in (f.key, *f.rebalance):
            if key in timed:
                lines.append(
                    f"  note: the base timeline changes {key} in year(s) "
                    f"{', '.join(map(str, timed[key]))}; the factor holds until then"
                )
    seeds = (
        "common random numbers: replicate r has the same seed at every point"
        if exp.seeds == "common"
        else "an independent seed per (point, replicate)"
    )
    lines.append(f"replicates: {exp.replicates} (root seed {exp.seed}; {seeds})")
    kept = "final year" + (" and every year" if exp.yearly else "")
    lines.append(f"outcomes ({kept}): {', '.join(exp.outcomes)}")
    if exp.aggregates:
        lines.append(
            f"also over the years: {', '.join(exp.aggregates)} (columns OUTCOME:STAT, e.g. "
            f"{exp.outcome_columns[len(exp.outcomes)]})"
        )
    return "\n".join(lines)


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd()))
    except ValueError:
        return str(path)


def _timeline_keys(exp: Experiment) -> dict[str, list[int]]:
    out: dict[str, list[int]] = {}
    for event in exp.base.timeline:
        for key in event.set:
            out.setdefault(key, []).append(event.year)
    return out


def run_sweep(
    exp: Experiment,
    out: str | Path,
    executor: Executor,
    *,
    resume: bool = False,
    retry_failed: bool = False,
    progress: bool = True,
    run_fn: Callable | None = None,
    compact_every: int = 64,
) -> SweepReport:
    """Run every run of ``exp`` not yet in ``out`` on ``executor``, streaming results to disk.

    Holds the write lock of ``out`` (:func:`landsim.locking.folder_lock`) throughout.

    Raises:
        UserError: ``out`` holds runs and ``resume`` is false, or holds a different experiment.
        FolderLocked: another live process is writing ``out``.
        WorkerLost: a worker or the scheduler went away (finished runs are saved).
        KeyboardInterrupt: on Ctrl-C (finished runs are saved).
    """
    out = Path(out)
    with folder_lock(out, "sweep"):
        return _run_locked(
            exp, out, executor, resume, retry_failed, progress, run_fn, compact_every
        )


def _run_locked(
    exp: Experiment,
    out: Path,
    executor: Executor,
    resume: bool,
    retry_failed: bool,
    progress: bool,
    run_fn: Callable | None,
    compact_every: int,
) -> SweepReport:
    started = time.perf_counter()
    design = build_design(exp)
    total = design.n_points * exp.replicates
    store = ResultStore(out, exp, compact_every=compact_every)
    prov = _check_directory(out, exp, store, resume)
    if prov is None:
        out.mkdir(parents=True, exist_ok=True)
        prov = build_provenance(exp, design)
        table = pa.Table.from_pandas(design.table(), preserve_index=False)
        write_atomic(table, out / "design.parquet")
    done = store.open(retry_failed=retry_failed)
    done_here = len(done)
    session = {
        "started": now(),
        "finished": None,
        "status": "running",
        "resume": resume,
        "command": command_line(),
        "experiment_sha256": exp.sha256,
        "replicates": exp.replicates,
        **executor.info(),
        "runs_on_disk_at_start": done_here,
        "ran": 0,
        "ok": 0,
        "failed": 0,
    }
    prov["experiment"]["replicates"] = max(prov["experiment"]["replicates"], exp.replicates)
    prov["design"]["n_runs"] = prov["design"]["n_points"] * prov["experiment"]["replicates"]
    prov["sessions"].append(session)
    write_provenance(out, prov)

    tasks = iter_tasks(exp, design, skip=done, run_fn=run_fn)
    todo = max(total - sum(1 for r in done if _in_design(r, design.n_points, exp.replicates)), 0)
    bar = _progress(progress, todo, exp.name)
    ok = failed = 0
    try:
        for batch in executor.imap_batches(execute, tasks, on_error=failed_result):
            store.append(batch)
            n_failed = sum(r.row["status"] != "ok" for r in batch)
            failed += n_failed
            ok += len(batch) - n_failed
            if bar is not None:
                bar.update(len(batch))
                if failed:
                    bar.set_postfix(failed=failed, refresh=False)
        session["status"] = "complete"
    except KeyboardInterrupt:
        session["status"] = "interrupted"
        raise
    except BaseException as err:
        session["status"] = f"stopped: {type(err).__name__}: {err}"
        raise
    finally:
        if bar is not None:
            bar.close()
        store.close()
        session.update(finished=now(), ran=ok + failed, ok=ok, failed=failed)
        write_provenance(out, prov)
    return SweepReport(
        out, total, total - todo, ok + failed, ok, failed, time.perf_counter() - started
    )


def _in_design(rid: str, n_points: int, replicates: int) -> bool:
    point, rep = rid[1:].split("-r")
    return int(point) < n_points and int(rep) < replicates


def _check_directory(out: Path, exp: Experiment, store: ResultStore, resume: bool):
    """The existing provenance when resuming; ``None`` when starting afresh."""
    prov = read_provenance(out) if out.exists() else None
    n = store.existing_runs() if out.exists() else 0
    if not resume:
        if n:
            raise UserError(
                f"{out} already holds {n} runs; add --resume to run only the missing ones, "
                "or choose another --out"
            )
        return None
    if prov is None:
        if n:
            raise UserError(f"{out} holds runs but no provenance.json; choose another --out")
        return None
    if prov.get("fingerprint") != exp.fingerprint():
        raise UserError(
            f"{out} holds results of a different experiment (design, base scenario, seeds, "
            f"years or outcomes differ from {exp.path or exp.name}); --resume needs the same "
            "experiment (only replicates may grow), or choose another --out"
        )
    for session in prov.get("sessions", []):
        # we hold the folder's lock, so a session still "running" ended without saying so
        if session.get("status") == "running":
            session["status"] = "interrupted"
            session["note"] = "ended without recording it (killed?); found by the next session"
    return prov


def _progress(enabled: bool, total: int, name: str):
    if not enabled:
        return None
    from landsim.progress import progress  # a live bar in a terminal, whole lines in a log

    return progress(total, name, "run", smoothing=0.1)
