"""Executors: the same numbers everywhere; failing runs are recorded and the sweep goes on.

Serially, on local processes, on a Dask LocalCluster and on a scheduler and worker started as
separate processes.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import FAILING_POINT, failing_run, tiny_experiment

from landsim.sweep import (
    DaskExecutor,
    LocalExecutor,
    SerialExecutor,
    load_experiment,
    load_runs,
    load_yearly,
    run_sweep,
)

#: columns that legitimately differ between executors (timing and where a run ran)
VOLATILE = ["wall_time", "worker"]


@pytest.fixture(scope="module")
def experiment(tmp_path_factory):
    path = tmp_path_factory.mktemp("exp") / "tiny.toml"
    path.write_text(tiny_experiment(replicates=2, yearly=True), encoding="utf-8")
    return load_experiment(path)


@pytest.fixture(scope="module")
def serial_result(experiment, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial")
    report = run_sweep(experiment, out, SerialExecutor(), progress=False)
    assert report.ok == report.total == 8
    return load_runs(out).drop(columns=VOLATILE), load_yearly(out)


def assert_same(out: Path, serial_result) -> None:
    runs, yearly = serial_result
    pd.testing.assert_frame_equal(load_runs(out).drop(columns=VOLATILE), runs)
    pd.testing.assert_frame_equal(load_yearly(out), yearly)


def test_local_processes_match_serial(experiment, serial_result, tmp_path):
    """Two local worker processes give exactly the serial numbers."""
    run_sweep(experiment, tmp_path, LocalExecutor(2), progress=False)
    assert_same(tmp_path, serial_result)
    assert load_runs(tmp_path)["worker"].nunique() >= 1


def test_dask_local_cluster_matches_serial(experiment, serial_result, tmp_path):
    """A Dask LocalCluster (two in-process workers) gives exactly the serial numbers."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        run_sweep(experiment, tmp_path, DaskExecutor(client=client), progress=False)
    assert_same(tmp_path, serial_result)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_for_port(port: int, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"dask scheduler exited with {proc.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


@pytest.fixture
def dask_cluster(request):
    """A ``dask scheduler`` and a ``dask worker`` as separate processes on 127.0.0.1."""
    dask = str(Path(sys.executable).with_name("dask"))
    port = _free_port()
    procs: list[subprocess.Popen] = []

    def stop() -> None:
        for p in reversed(procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait()

    request.addfinalizer(stop)
    common = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    procs.append(
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            **common,
        )
    )
    _wait_for_port(port, procs[0])
    procs.append(
        subprocess.Popen(
            [
                dask,
                "worker",
                f"tcp://127.0.0.1:{port}",
                "--nworkers",
                "1",
                "--nthreads",
                "2",
                "--no-dashboard",
            ],
            **common,
        )
    )
    return f"tcp://127.0.0.1:{port}"


def test_dask_scheduler_and_worker_processes_match_serial(
    experiment, serial_result, dask_cluster, tmp_path
):
    """A separate `dask scheduler` + `dask worker` gives exactly the serial numbers."""
    with DaskExecutor(dask_cluster, timeout=60) as executor:
        assert executor.versions  # every worker reported its landsim version
        run_sweep(experiment, tmp_path, executor, progress=False)
    assert_same(tmp_path, serial_result)
    assert load_runs(tmp_path)["worker"].str.split("/").str[1].astype(int).ne(os.getpid()).all()


@pytest.mark.parametrize("executor", ["serial", "local"])
def test_failing_run_is_recorded_and_the_sweep_goes_on(experiment, tmp_path, executor):
    """Runs that raise are recorded as failed with their error; the others complete."""
    ex = SerialExecutor() if executor == "serial" else LocalExecutor(2)
    report = run_sweep(experiment, tmp_path, ex, progress=False, run_fn=failing_run)
    runs = load_runs(tmp_path)
    assert len(runs) == 8 and report.failed == 2 and report.ok == 6
    failed = runs[runs["status"] == "failed"]
    assert set(failed["point"]) == {FAILING_POINT}
    assert failed["error"].str.contains("RuntimeError: boom at point 1").all()
    assert failed["abandonment_rate"].isna().all()
    ok = runs[runs["status"] == "ok"]
    assert ok["error"].isna().all() and ok["abandonment_rate"].notna().all()
    yearly = load_yearly(tmp_path)
    assert set(yearly["run_id"]) == set(ok["run_id"])


def test_dask_records_a_failing_run(experiment, tmp_path):
    """On Dask too, a failing run is a failed row and the others complete."""
    from distributed import Client, LocalCluster

    with (
        LocalCluster(
            n_workers=1, threads_per_worker=2, processes=False, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        report = run_sweep(
            experiment, tmp_path, DaskExecutor(client=client), progress=False, run_fn=failing_run
        )
    assert (report.ok, report.failed) == (6, 2)


def test_aggregates_over_years_match_the_yearly_table(tmp_path):
    """OUTCOME:mean and OUTCOME:max columns are the statistics of that run's yearly values
    over the simulated years (1..N; year 0 is the initial state)."""
    path = tmp_path / "exp.toml"
    text = tiny_experiment(replicates=1, yearly=True, extra='aggregates = ["mean", "max"]')
    path.write_text(text, encoding="utf-8")
    run_sweep(load_experiment(path), tmp_path / "out", SerialExecutor(), progress=False)
    runs = load_runs(tmp_path / "out").set_index("run_id")
    yearly = load_yearly(tmp_path / "out")
    assert yearly["year"].min() == 0
    stats = yearly[yearly["year"] >= 1].groupby("run_id")["household_income_mean"]
    pd.testing.assert_series_equal(
        runs["household_income_mean:mean"], stats.mean(), check_names=False
    )
    pd.testing.assert_series_equal(
        runs["household_income_mean:max"], stats.max(), check_names=False
    )


@pytest.mark.skipif(
    os.environ.get("LANDSIM_NO_JIT", "") not in ("", "0", "false", "no"),
    reason="LANDSIM_NO_JIT=1: nothing is compiled",
)
def test_a_cold_kernel_cache_is_warmed_by_two_workers_and_changes_no_number(
    experiment, serial_result, tmp_path
):
    """With no mark of a warm kernel cache, two workers compile (here: load) a part of the
    kernels each, the runs that start meanwhile run on the NumPy references; the numbers are the
    serial ones, and the cache is marked warm afterwards."""
    from landsim import compiled

    marker = compiled._ready_marker()
    for part in [marker, *marker.parent.glob(f"{marker.name}.part*")]:
        part.unlink(missing_ok=True)
    assert not compiled.cache_ready()
    run_sweep(experiment, tmp_path, LocalExecutor(2), progress=False)
    assert_same(tmp_path, serial_result)
    assert compiled.cache_ready()


def test_runs_use_the_references_until_the_cache_is_warm(tmp_path, monkeypatch):
    """A pool's run before the kernels are in the cache runs with compilation off, and leaves
    the switch as it found it."""
    from landsim import compiled
    from landsim.sweep import executors

    marker = tmp_path / "ready"
    monkeypatch.setattr(compiled, "_ready_marker", lambda: marker)
    monkeypatch.delenv(compiled.NO_JIT_VARIABLE, raising=False)
    assert executors._run_while_compiling(lambda _: compiled.enabled(), None) is False
    assert compiled.enabled()
    marker.touch()
    assert executors._run_while_compiling(lambda _: compiled.enabled(), None) is True
