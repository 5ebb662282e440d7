"""Where runs execute: in this process, on local processes, or on a Dask cluster.

Every executor takes the same picklable function (:func:`landsim.sweep.worker.execute`) and an
iterator of :class:`~landsim.sweep.worker.RunTask`, and yields *batches* of results as runs finish
(whatever finished since the last batch), keeping only a bounded number of runs in flight so
memory stays flat for any sweep size. Results depend only on each task, never on the executor or
the order of completion.

* :class:`SerialExecutor` — one run after another in this process (tests, debugging);
* :class:`LocalExecutor` — a pool of worker processes on this machine (default: all cores);
* :class:`DaskExecutor` — a ``distributed`` scheduler (``dask://HOST:PORT``) and its workers.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing as mp
import os
import signal
import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any

from landsim.errors import UserError
from landsim.sweep.worker import RunResult, RunTask, failed_result, worker_versions

__all__ = [
    "Executor",
    "SerialExecutor",
    "LocalExecutor",
    "DaskExecutor",
    "WorkerLost",
    "make_executor",
    "available_cores",
]

Fn = Callable[[RunTask], RunResult]

#: what a lost scheduler or connection raises (CommClosedError is an OSError)
_LOST = (OSError, TimeoutError, concurrent.futures.CancelledError, asyncio.CancelledError)


class WorkerLost(RuntimeError):
    """A worker process or the scheduler went away.

    Finished runs are saved; ``--resume`` runs the rest.
    """


def available_cores() -> int:
    """Cores this process may use (CPU affinity, else ``os.cpu_count()``)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not on Linux
        return os.cpu_count() or 1


class Executor:
    """Runs tasks and yields batches of results as they finish."""

    #: human-readable description for provenance and the progress bar
    description: str = "executor"
    #: number of runs that can execute at once
    workers: int = 1

    def imap_batches(self, fn: Fn, tasks: Iterable[RunTask]) -> Iterator[list[RunResult]]:
        """Yield lists of results, each as soon as at least one run has finished."""
        raise NotImplementedError

    def info(self) -> dict[str, Any]:
        """What provenance records about this executor."""
        return {"executor": self.description, "workers": self.workers}

    def close(self) -> None:
        """Release processes or connections."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialExecutor(Executor):
    """One run after another, in this process."""

    description = "serial"

    def imap_batches(self, fn: Fn, tasks: Iterable[RunTask]) -> Iterator[list[RunResult]]:
        """Yield each result alone, in task order."""
        for task in tasks:
            yield [fn(task)]


def _ignore_sigint() -> None:
    # Ctrl-C is handled once, by the main process, which saves and shuts the pool down
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class LocalExecutor(Executor):
    """A pool of ``workers`` processes on this machine (default: every available core).

    Workers are forked from a *forkserver* that has already imported the model, so starting
    them is cheap and they share no threads or state with the main process.
    """

    def __init__(self, workers: int | None = None, in_flight_per_worker: int = 4):
        self.workers = workers if workers is not None else available_cores()
        if self.workers < 1:
            raise UserError(f"--workers must be at least 1, got {self.workers}")
        self.description = f"local processes ({self.workers} workers)"
        self.window = self.workers * in_flight_per_worker

    def imap_batches(self, fn: Fn, tasks: Iterable[RunTask]) -> Iterator[list[RunResult]]:
        """Yield results as they finish; raise :class:`WorkerLost` if a process dies."""
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["landsim.sweep.worker", "landsim.model"])
        pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_ignore_sigint)
        it = iter(tasks)
        pending: dict[Future, RunTask] = {}
        try:
            while True:
                while len(pending) < self.window:
                    task = next(it, None)
                    if task is None:
                        break
                    pending[pool.submit(fn, task)] = task
                if not pending:
                    return
                done, _ = wait(pending, return_when=FIRST_COMPLETED)
                batch = []
                for fut in done:
                    task = pending.pop(fut)
                    try:
                        batch.append(fut.result())
                    except BrokenProcessPool as err:
                        raise WorkerLost(
                            "a worker process died (killed, or out of memory?)"
                        ) from err
                    except Exception as err:  # noqa: BLE001 - e.g. a result that cannot pickle
                        batch.append(failed_result(task, err, "local"))
                yield batch
        finally:
            pool.shutdown(wait=True, cancel_futures=True)


class DaskExecutor(Executor):
    """Runs on a Dask ``distributed`` cluster: ``dask://HOST:PORT`` or an existing client.

    Workers must have landsim installed, the same version as here; the executor checks this
    before any run. Tasks are submitted with ``pure=False`` and a bounded number in flight.
    """

    def __init__(
        self,
        address: str | None = None,
        client: Any = None,
        timeout: float = 30.0,
        in_flight_per_thread: int = 4,
    ):
        from distributed import Client

        self._own_client = client is None
        if client is None:
            if not address:
                raise UserError("a Dask executor needs an address: dask://HOST:PORT")
            try:
                client = Client(address, timeout=timeout)
            except (OSError, TimeoutError) as err:
                raise UserError(
                    f"cannot reach the Dask scheduler at {address} ({err}); start it with "
                    "'dask scheduler' and workers with 'dask worker tcp://HOST:8786'"
                ) from None
        self.client = client
        self.address = client.scheduler.address
        try:
            client.wait_for_workers(1, timeout=timeout)
        except TimeoutError:
            self.close()
            raise UserError(
                f"no Dask workers joined the scheduler at {self.address} within {timeout:g} s; "
                f"start some with 'dask worker {self.address}'"
            ) from None
        self.versions = self._check_versions()
        threads = sum(client.nthreads().values())
        self.workers = threads
        self.window = max(threads * in_flight_per_thread, 8)
        self.description = f"dask {self.address} ({threads} worker threads)"

    def _check_versions(self) -> dict[str, dict[str, str]]:
        import landsim

        try:
            versions = self.client.run(worker_versions)
        except Exception as err:  # noqa: BLE001 - unpickling fails where landsim is missing
            self.close()
            raise UserError(
                f"Dask workers at {self.address} cannot run landsim ({type(err).__name__}: "
                f"{err}); install it on every worker with 'pip install -e .' from the same "
                f"checkout (landsim {landsim.__version__})"
            ) from None
        wrong = {
            w: v["landsim"] for w, v in versions.items() if v["landsim"] != landsim.__version__
        }
        if wrong:
            self.close()
            shown = ", ".join(f"{w} has {v}" for w, v in sorted(wrong.items()))
            raise UserError(
                f"Dask workers run a different landsim than this machine "
                f"({landsim.__version__}): {shown}; reinstall with 'pip install -e .'"
            )
        return versions

    def info(self) -> dict[str, Any]:
        """Executor, scheduler address and every worker's versions."""
        return {**super().info(), "scheduler": self.address, "worker_versions": self.versions}

    def imap_batches(self, fn: Fn, tasks: Iterable[RunTask]) -> Iterator[list[RunResult]]:
        """Yield results as they finish; a run whose worker kept dying is recorded failed."""
        from distributed import as_completed

        token = uuid.uuid4().hex[:8]
        it = iter(tasks)
        pending: dict[str, RunTask] = {}
        ac = as_completed()
        futures = []

        def fill() -> None:
            while len(pending) < self.window:
                task = next(it, None)
                if task is None:
                    return
                fut = self.client.submit(fn, task, key=f"landsim-{task.run_id}-{token}", pure=False)
                pending[fut.key] = task
                futures.append(fut)
                ac.add(fut)

        try:
            fill()
            while not ac.is_empty():
                try:
                    done = ac.next_batch(block=True)
                except _LOST as err:
                    raise self._lost(err) from err
                batch, lost = [], None
                for fut in done:
                    task = pending.pop(fut.key)
                    try:
                        if fut.status == "finished":
                            batch.append(fut.result())
                        elif fut.status == "error":
                            batch.append(failed_result(task, fut.exception(), "dask"))
                        else:
                            lost = RuntimeError(f"run {task.run_id} was {fut.status}")
                    except _LOST as err:
                        lost = err
                    if lost is not None:
                        break
                    fut.release()
                if batch:
                    yield batch  # finished runs are saved before giving up
                if lost is not None:
                    raise self._lost(lost)
                futures[:] = [f for f in futures if f.key in pending]
                fill()
        finally:
            for fut in futures:
                if fut.key in pending:
                    try:
                        fut.cancel()
                    except _LOST:
                        pass

    def _lost(self, err: BaseException) -> WorkerLost:
        return WorkerLost(
            f"lost contact with the Dask scheduler at {self.address} ({type(err).__name__}: {err})"
        )

    def close(self) -> None:
        """Close the client if this executor opened it."""
        if self._own_client and self.client is not None:
            self.client.close()
            self.client = None


def make_executor(spec: str, workers: int | None = None) -> Executor:
    """Executor for ``--executor``: ``serial``, ``local`` or ``dask://HOST:PORT``.

    Raises:
        UserError: an unknown executor, or an unreachable Dask scheduler.
    """
    if spec == "local":
        return LocalExecutor(workers)
    if spec == "serial":
        if workers not in (None, 1):
            raise UserError("--workers does not apply to the serial executor")
        return SerialExecutor()
    if spec.startswith("dask://"):
        if workers is not None:
            raise UserError(
                "--workers does not apply to a Dask cluster; start workers with "
                "'dask worker --nworkers N --nthreads 1 tcp://HOST:PORT'"
            )
        address = "tcp://" + spec.removeprefix("dask://")
        return DaskExecutor(address)
    raise UserError(f"--executor must be local, serial or dask://HOST:PORT, got {spec!r}")
