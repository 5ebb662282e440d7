"""How many threads a run's kernels use (landsim.compiled.threads, in_parallel): every core in
a command's own process, one in a pool's workers and off the main thread, LANDSIM_THREADS
when set; and the parts' results are the same, in order, on any number of threads."""

from __future__ import annotations

import importlib
import multiprocessing
import threading
from concurrent.futures import ProcessPoolExecutor

import pytest

from landsim import compiled
from landsim.sweep.executors import start_method


def test_threads_follow_the_variable_the_main_thread_and_the_pool_worker(monkeypatch):
    monkeypatch.delenv(compiled.THREADS_VARIABLE, raising=False)
    monkeypatch.setattr(compiled, "_single", False)
    monkeypatch.setattr(compiled.os, "sched_getaffinity", lambda _pid: {0, 1, 2}, raising=False)
    assert compiled.threads() == 3
    seen: list[int] = []
    worker = threading.Thread(target=lambda: seen.append(compiled.threads()))
    worker.start()
    worker.join(timeout=10)
    assert seen == [1]  # an app session's or a Dask task's thread
    monkeypatch.setenv(compiled.THREADS_VARIABLE, "2")
    assert compiled.threads() == 2
    monkeypatch.setenv(compiled.THREADS_VARIABLE, "many")
    assert compiled.threads() == 1
    monkeypatch.delenv(compiled.THREADS_VARIABLE)
    compiled.single_threaded()
    assert compiled.threads() == 1


def _threads_in_worker() -> int:
    return compiled.threads()


def test_a_pool_worker_runs_its_kernels_on_one_thread(monkeypatch):
    monkeypatch.delenv(compiled.THREADS_VARIABLE, raising=False)
    context = multiprocessing.get_context(start_method())  # as the sweeps start their pools
    # the initializer is pickled by name: take it from the module as it is now (another test
    # may have reloaded landsim.processes, which makes an imported copy a different object)
    init = importlib.import_module("landsim.processes").worker_init
    with ProcessPoolExecutor(1, mp_context=context, initializer=init) as pool:
        assert pool.submit(_threads_in_worker).result(timeout=60) == 1


@pytest.mark.parametrize("n", ["1", "2", "4"])
def test_in_parallel_gives_every_part_its_own_result_in_order(monkeypatch, n):
    monkeypatch.setenv(compiled.THREADS_VARIABLE, n)
    names: set[str] = set()

    def part(i: int, j: int) -> int:
        names.add(threading.current_thread().name)
        return i * 100 + j

    parts = [(i, i + 1) for i in range(9)]
    assert compiled.in_parallel(part, parts) == [i * 100 + i + 1 for i in range(9)]
    assert all(name.startswith("landsim-kernel") for name in names) == (n != "1")
