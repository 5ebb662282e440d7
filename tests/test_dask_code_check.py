"""Dask workers are checked by their code, not by a version string, and compare uses Dask too."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

import landsim
from landsim.errors import UserError
from landsim.provenance import code_hash, code_identity, identity_mismatch
from landsim.sweep.executors import DaskExecutor

DASK = str(Path(sys.executable).with_name("dask"))


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
            time.sleep(0.05)  # polling interval of the port probe
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout:g} s")


def _cluster(request, worker_env: dict[str, str] | None = None) -> str:
    """A ``dask scheduler`` and one ``dask worker`` process; their address."""
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
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL, "start_new_session": True}
    procs.append(
        subprocess.Popen(
            [DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
            **quiet,
        )
    )
    _wait_for_port(port, procs[0])
    procs.append(
        subprocess.Popen(
            [DASK, "worker", f"tcp://127.0.0.1:{port}", "--nthreads", "2", "--no-dashboard"],
            env=worker_env,
            **quiet,
        )
    )
    return f"tcp://127.0.0.1:{port}"


def test_identity_names_code_hash_commit_and_packages() -> None:
    """This process's identity holds a 64-digit code hash and the model's package versions."""
    me = code_identity()
    assert me["code_sha256"] == code_hash() and len(me["code_sha256"]) == 64
    assert {"mesa", "numpy", "pandas", "dask", "distributed"} <= set(me["packages"])
    assert identity_mismatch(me, me) is None


def test_mismatch_names_what_differs() -> None:
    """Different code, Python or packages each give a reason naming the difference."""
    me = code_identity()
    other = {**me, "code_sha256": "f" * 64, "git": None}
    assert "landsim code differs" in identity_mismatch(me, other)
    assert "no git checkout" in identity_mismatch(me, other)
    assert "Python 3.11.9" in identity_mismatch(me, {**me, "python": "3.11.9"})
    packages = {**me["packages"], "numpy": "1.0.0"}
    assert "numpy 1.0.0" in identity_mismatch(me, {**me, "packages": packages})


@pytest.mark.slow
def test_worker_with_modified_landsim_is_refused(request, tmp_path: Path) -> None:
    """A worker whose landsim source differs (same version string) is refused by name."""
    copy = tmp_path / "modified"
    shutil.copytree(
        Path(landsim.__file__).parent,
        copy / "landsim",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    with open(copy / "landsim" / "model.py", "a", encoding="utf-8") as f:
        f.write("\n# a local edit: same version string, different model\n")
    env = {**os.environ, "PYTHONPATH": str(copy)}
    address = _cluster(request, env)
    with pytest.raises(UserError, match=r"Dask worker tcp://\S+ is refused: its landsim code "):
        DaskExecutor(address, timeout=60)


@pytest.mark.slow
def test_compare_runs_on_dask_and_records_each_worker(
    request, tiny_scenario: Path, landsim
) -> None:
    """Compare on Dask gives the local numbers and records the worker's code hash."""
    address = _cluster(request)
    folder = tiny_scenario.parent
    spec = "dask://" + address.removeprefix("tcp://")
    on_dask = landsim("compare", "tiny.toml", "--executor", spec, "--out", "dask", cwd=folder)
    assert on_dask.returncode == 0, on_dask.stderr
    local = landsim("compare", "tiny.toml", "--jobs", "2", "--out", "local", cwd=folder)
    assert local.returncode == 0, local.stderr
    pd.testing.assert_frame_equal(
        pd.read_parquet(folder / "dask" / "timeseries.parquet"),
        pd.read_parquet(folder / "local" / "timeseries.parquet"),
    )
    prov = json.loads((folder / "dask" / "provenance.json").read_text())
    (worker,) = prov["worker_versions"].values()
    assert worker["code_sha256"] == code_hash()
    assert prov["executor"].startswith("dask ")
