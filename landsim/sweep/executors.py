"""Where runs execute: in this process, on local processes, or on a Dask cluster.

The one executor layer of landsim: ``compare``, ``sweep`` and ``bench`` (its town runs) all
run through it, so every command gets the same process pool, the same core count and the same
Dask checks. Every executor takes a picklable function — :func:`landsim.sweep.worker.execute`
for a sweep, :func:`landsim.compare.run_numbered` for a comparison — and an iterator of tasks,
and yields *batches* of results as runs finish (whatever finished since the last batch),
keeping only a bounded number of runs in flight so memory stays flat for any number of runs.
Results depend only on each task, never on the executor or the order of completion.

* :class:`SerialExecutor` — one run after another in this process (tests, debugging);
* :class:`LocalExecutor` — a pool of worker processes on this machine (default: every core
  this process may use);
* :class:`DaskExecutor` — a ``distributed`` scheduler (``dask://HOST:PORT``) and its workers,
  each checked to run exactly this landsim code and the same model dependencies
  (:func:`landsim.provenance.code_identity`) before any run.

A run that raises is handed to ``on_error(task, error, where)``, whose result takes its place;
without ``on_error`` the error propagates.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import multiprocessing as mp
import os
import queue
import signal
import threading
import uuid
import warnings
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from functools import partial
from typing import Any

from landsim import compiled
from landsim.errors import UserError
from landsim.processes import worker_init
from landsim.provenance import code_identity, identity_mismatch
from landsim.runner import compile_kernels

__all__ = [
    "Executor",
    "SerialExecutor",
    "LocalExecutor",
    "DaskExecutor",
    "WorkerLost",
    "make_executor",
    "check_executor",
    "available_cores",
]

Fn = Callable[[Any], Any]
OnError = Callable[[Any, BaseException, str], Any] | None

#: what a lost scheduler or connection raises (CommClosedError is an OSError)
_LOST = (OSError, TimeoutError, concurrent.futures.CancelledError, asyncio.CancelledError)


class WorkerLost(RuntimeError):
    """A worker process or the scheduler went away.

    Finished runs are saved; ``--resume`` runs the rest.
    """


def available_cores() -> int:
    """Cores this process may use (CPU affinity, else ``os.cpu_count()``)."""
    return compiled.cores()


class Executor:
    """Runs tasks and yields batches of results as they finish."""

    #: human-readable description for provenance and the progress bar
    description: str = "executor"
    #: number of runs that can execute at once
    workers: int = 1

    def imap_batches(
        self, fn: Fn, tasks: Iterable[Any], on_error: OnError = None
    ) -> Iterator[list[Any]]:
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

    def imap_batches(
        self, fn: Fn, tasks: Iterable[Any], on_error: OnError = None
    ) -> Iterator[list[Any]]:
        """Yield each result alone, in task order."""
        for task in tasks:
            try:
                result = fn(task)
            except Exception as err:
                if on_error is None:
                    raise
                result = on_error(task, err, "serial")
            yield [result]


def _worker_init() -> None:
    """Set up a pool worker: Ctrl-C is handled once, by the main process, and the worker dies
    with it (see :mod:`landsim.processes`)."""
    worker_init()


@contextmanager
def _sigint_deferred() -> Iterator[None]:
    """Hold Ctrl-C while the pool starts its processes and threads, then deliver it.

    A KeyboardInterrupt raised half-way through starting a pool can leave workers without a
    manager (they never exit). The signal is also blocked meanwhile, and the threads started
    inherit the block: only the main thread reacts to Ctrl-C.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signals are only handled in the main thread anyway
        return
    held: list[int] = []
    previous = signal.signal(signal.SIGINT, lambda signum, frame: held.append(signum))
    # POSIX only: Windows has no signal masks (its threads never receive Ctrl-C anyway)
    masking = hasattr(signal, "pthread_sigmask")
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT}) if masking else None
    try:
        yield
    finally:
        if masking:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        signal.signal(signal.SIGINT, previous)
    if held and callable(previous):
        previous(signal.SIGINT, None)  # Python's default handler raises KeyboardInterrupt


def start_method() -> str:
    """How pool workers start: ``forkserver`` (Linux, macOS), else ``spawn`` (Windows)."""
    return "forkserver" if "forkserver" in mp.get_all_start_methods() else "spawn"


def _start_forkserver() -> None:
    """Start the fork server with Ctrl-C ignored, so that it survives a Ctrl-C meant for us.

    The fork server imports the model before it installs its own handlers; a Ctrl-C in those
    seconds would kill it and break the pool. An ignored signal stays ignored across ``exec``
    (and Python keeps it so), while a handler or a blocked mask does not carry over.
    """
    from multiprocessing import forkserver

    if threading.current_thread() is not threading.main_thread():
        forkserver.ensure_running()
        return
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        forkserver.ensure_running()
    finally:
        signal.signal(signal.SIGINT, previous)


def _run_while_compiling(fn: Fn, task: Any) -> Any:
    """``fn(task)`` on the compiled kernels once they are in Numba's cache, on the NumPy
    references until then (they give the same numbers: ``tests/test_golden.py``)."""
    if compiled.cache_ready():
        return fn(task)
    os.environ[compiled.NO_JIT_VARIABLE] = "1"
    try:
        return fn(task)
    finally:
        del os.environ[compiled.NO_JIT_VARIABLE]


class LocalExecutor(Executor):
    """A pool of ``workers`` processes on this machine (default: every available core).

    Workers are forked from a *forkserver* that has already imported the model, so starting
    them is cheap, and they share no threads or state with the main process (safe inside a
    threaded host such as a notebook or a test runner). Finished runs arrive on a queue:
    ``concurrent.futures.wait()`` can leave its locks held if Ctrl-C lands inside it.

    When the model's kernels are not yet in Numba's cache (the first runs after an install or
    an upgrade, :func:`landsim.compiled.cache_ready`), the first two workers free compile half
    of them each (:data:`landsim.compiled.PARTS`) while the others run on the NumPy
    references, and every run that starts after that uses the kernels: the one-time compile is
    paid once, split between two processes, rather than by every worker at once.
    """

    def __init__(self, workers: int | None = None, in_flight_per_worker: int = 4):
        self.workers = workers if workers is not None else available_cores()
        if self.workers < 1:
            raise UserError(f"--workers must be at least 1, got {self.workers}")
        self.description = f"local processes ({self.workers} workers)"
        self.window = self.workers * in_flight_per_worker

    def imap_batches(
        self, fn: Fn, tasks: Iterable[Any], on_error: OnError = None
    ) -> Iterator[list[Any]]:
        """Yield results as they finish; raise :class:`WorkerLost` if a process dies.

        On Ctrl-C or any error, queued runs never start and runs in progress finish, so that
        every worker exits cleanly with this process.
        """
        ctx = mp.get_context(start_method())
        if ctx.get_start_method() == "forkserver":
            ctx.set_forkserver_preload(["landsim.sweep.worker", "landsim.model"])
            _start_forkserver()
        it = iter(tasks)
        pending: dict[Future, Any] = {}
        finished: queue.SimpleQueue[Future] = queue.SimpleQueue()
        pool: ProcessPoolExecutor | None = None
        warming: list[Future] = []
        cold = self.workers > 1 and not compiled.cache_ready()

        def fill() -> None:
            while len(pending) < self.window:
                task = next(it, None)
                if task is None:
                    return
                if cold:
                    future = pool.submit(_run_while_compiling, fn, task)
                else:
                    future = pool.submit(fn, task)
                pending[future] = task
                future.add_done_callback(finished.put)

        try:
            with _sigint_deferred():  # the first submits start the worker processes
                pool = ProcessPoolExecutor(self.workers, mp_context=ctx, initializer=_worker_init)
                # the first workers free compile; their results are not among the runs
                if cold:
                    parts = range(compiled.PARTS)
                    warming = [pool.submit(partial(compile_kernels, part=k)) for k in parts]
                fill()
            while pending:
                done = [finished.get()]
                while True:
                    try:
                        done.append(finished.get_nowait())
                    except queue.Empty:
                        break
                batch = []
                for future in done:
                    task = pending.pop(future)
                    try:
                        batch.append(future.result())
                    except BrokenProcessPool as err:
                        raise WorkerLost(
                            "a worker process died (killed, or out of memory?)"
                        ) from err
                    except Exception as err:  # noqa: BLE001 - e.g. a result that cannot pickle
                        if on_error is None:
                            raise
                        batch.append(on_error(task, err, "local"))
                yield batch
                fill()
        finally:
            for future in pending:
                future.cancel()
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)
        failed = next((f.exception() for f in warming if not f.cancelled() and f.exception()), None)
        if failed:  # the runs' numbers are right, only slower
            warnings.warn(
                f"compiling the model's kernels failed ({failed!r}): the runs used "
                "the NumPy rules (the same numbers, several times slower)",
                RuntimeWarning,
                stacklevel=2,
            )


class DaskExecutor(Executor):
    """Runs on a Dask ``distributed`` cluster: ``dask://HOST:PORT`` or an existing client.

    Workers must run exactly this landsim code (same source hash) with the same model
    dependencies; the executor checks every worker before any run and refuses a mismatch.
    Tasks are submitted with ``pure=False`` and a bounded number in flight.
    """

    def __init__(
        self,
        address: str | None = None,
        client: Any = None,
        timeout: float = 30.0,
        in_flight_per_thread: int = 4,
    ):
        from landsim.extras import require

        require("cluster", "a Dask cluster (--executor dask://)")
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

    def _check_versions(self) -> dict[str, dict[str, Any]]:
        """Every worker's code identity; refuse workers whose code or model packages differ."""
        here = code_identity()
        try:  # Dask's own check: the packages scheduler, workers and client must share
            self.client.get_versions(check=True)
        except ValueError as err:
            self.close()
            first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise UserError(
                f"Dask scheduler and workers at {self.address} run different Dask packages "
                f"than this machine ({first}); install the same versions everywhere"
            ) from None
        try:
            versions = self.client.run(code_identity)
        except Exception as err:  # noqa: BLE001 - unpickling fails where landsim is missing
            self.close()
            raise UserError(
                f"Dask workers at {self.address} cannot run landsim ({type(err).__name__}: "
                f"{err}); install the same landsim on every worker (code "
                f"{here['code_sha256'][:12]}, landsim {here['landsim']})"
            ) from None
        for worker, theirs in sorted(versions.items()):
            problem = identity_mismatch(here, theirs)
            if problem:
                self.close()
                raise UserError(
                    f"Dask worker {worker} is refused: {problem}; install the same landsim "
                    "and dependencies on every worker (pip install of this checkout or wheel)"
                )
        return versions

    def info(self) -> dict[str, Any]:
        """Executor, scheduler address and every worker's code identity and versions."""
        return {**super().info(), "scheduler": self.address, "worker_versions": self.versions}

    def imap_batches(
        self, fn: Fn, tasks: Iterable[Any], on_error: OnError = None
    ) -> Iterator[list[Any]]:
        """Yield results as they finish; a run whose worker kept dying goes to ``on_error``."""
        from distributed import as_completed

        token = uuid.uuid4().hex[:8]
        it = iter(tasks)
        pending: dict[str, Any] = {}
        ac = as_completed()
        futures = []

        def fill() -> None:
            while len(pending) < self.window:
                task = next(it, None)
                if task is None:
                    return
                fut = self.client.submit(
                    fn, task, key=f"landsim-{_task_key(task)}-{token}", pure=False
                )
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
                            if on_error is None:
                                raise fut.exception()
                            batch.append(on_error(task, fut.exception(), "dask"))
                        else:
                            lost = RuntimeError(f"run {_task_key(task)} was {fut.status}")
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


def _task_key(task: Any) -> str:
    """A readable, unique Dask key part: the sweep's run id or the comparison's run number."""
    return str(getattr(task, "run_id", None) or uuid.uuid4().hex)


def check_executor(spec: str) -> None:
    """Refuse an ``--executor`` that cannot work here, before a command prepares its output:
    an unknown form, or ``dask://`` without the [cluster] extra.

    Raises:
        UserError: naming the problem in one line.
    """
    if spec in ("local", "serial"):
        return
    if spec.startswith("dask://"):
        from landsim.extras import require

        require("cluster", "a Dask cluster (--executor dask://)")
        return
    raise UserError(f"--executor must be local, serial or dask://HOST:PORT, got {spec!r}")


def make_executor(spec: str, workers: int | None = None) -> Executor:
    """Executor for ``--executor``: ``serial``, ``local`` or ``dask://HOST:PORT``.

    Raises:
        UserError: an unknown executor, a missing [cluster] extra, or an unreachable Dask
            scheduler.
    """
    check_executor(spec)
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
