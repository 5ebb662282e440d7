"""One writer per results folder, no run lost or read twice, no process left behind.

Two sweeps into one folder: one runs, the other is refused; a stale lock is taken over;
a crash at any point of a merge never shows a run twice; kill -9 of a sweep's main process
leaves no worker; a killed session is marked interrupted; a failed run leaves no folder.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from sweep_helpers import tiny_experiment

import landsim.sweep.store as store_module
from landsim.cli import main
from landsim.errors import UserError
from landsim.locking import HOLDER_NAME, LOCK_NAME, FolderLocked, folder_lock, read_holder
from landsim.runner import run
from landsim.sweep import SerialExecutor, build_design, load_experiment, run_sweep
from landsim.sweep.design import iter_tasks
from landsim.sweep.store import ResultStore
from landsim.sweep.worker import execute


def experiment(tmp_path: Path, **kw):
    path = tmp_path / "exp.toml"
    path.write_text(tiny_experiment(**kw), encoding="utf-8")
    return load_experiment(path)


def _race(exp, out: Path) -> dict[str, object]:
    """Two sweeps of ``exp`` into ``out``, started together; what each returned or raised."""
    start = threading.Barrier(2)
    loser_done = threading.Event()
    outcome: dict[str, object] = {}

    def slow_run(spec):
        loser_done.wait(30)  # the winner holds the folder until the loser has tried
        return run(spec)

    def sweep(who: str) -> None:
        start.wait()
        try:
            outcome[who] = run_sweep(exp, out, SerialExecutor(), progress=False, run_fn=slow_run)
        except UserError as err:
            outcome[who] = err
            loser_done.set()

    threads = [threading.Thread(target=sweep, args=(w,)) for w in "ab"]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcome


def test_two_sweeps_at_the_same_moment_one_runs_one_is_refused(tmp_path):
    """20 times: two sweeps start together into one folder; one is refused, none is lost."""
    exp = experiment(tmp_path, replicates=1)
    for trial in range(20):
        out = tmp_path / f"out{trial}"
        outcome = _race(exp, out)
        refused = [v for v in outcome.values() if isinstance(v, UserError)]
        assert len(refused) == 1, outcome
        assert isinstance(refused[0], FolderLocked)
        assert f"pid {os.getpid()}" in str(refused[0])
        raw = pd.read_parquet(out / "runs")
        assert len(raw) == 4 and raw["run_id"].is_unique
        assert not (out / LOCK_NAME).exists() and not (out / HOLDER_NAME).exists()


def test_two_sweep_commands_into_one_folder(tmp_path):
    """Two ``landsim sweep`` processes started together: exit 0 and exit 2, all runs once."""
    path = tmp_path / "exp.toml"
    path.write_text(tiny_experiment(replicates=6, years=5), encoding="utf-8")
    out = tmp_path / "out"
    cmd = [
        sys.executable,
        "-m",
        "landsim",
        "sweep",
        str(path),
        "--out",
        str(out),
        "--executor",
        "serial",
        "--no-progress",
    ]
    procs = [
        subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    results = [(p.wait(120), p.stderr.read()) for p in procs]
    codes = sorted(code for code, _ in results)
    refused = next(err for code, err in results if code == 2)
    assert codes == [0, 2], results
    assert "another landsim command is writing this folder" in refused or "already holds" in refused
    assert "Traceback" not in refused
    raw = pd.read_parquet(out / "runs")
    assert len(raw) == 24 and raw["run_id"].is_unique


def test_a_stale_lock_is_taken_over_and_said_so(tmp_path, capsys):
    """A lock file left by a dead process is taken over, naming the dead holder."""
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    (tmp_path / LOCK_NAME).write_text("")
    (tmp_path / HOLDER_NAME).write_text(
        json.dumps({"pid": dead.pid, "host": "here", "command": "sweep", "started": "then"})
    )
    with folder_lock(tmp_path, "compare"):
        assert read_holder(tmp_path)["pid"] == os.getpid()
    err = capsys.readouterr().err
    assert f"took over a stale lock from sweep (pid {dead.pid} on here" in err


def test_the_lock_refuses_a_second_holder_naming_the_first(tmp_path):
    """While one holds the lock, another open of it is refused with the holder's pid."""
    with folder_lock(tmp_path, "sweep"):
        with pytest.raises(FolderLocked, match=rf"sweep \(pid {os.getpid()} on "):
            with folder_lock(tmp_path, "compare"):
                pass


class Crash(Exception):
    """A simulated power cut: every file operation from now on fails."""


@pytest.mark.parametrize("at", range(14))
def test_a_crash_at_any_point_of_a_merge_never_shows_a_run_twice(tmp_path, monkeypatch, at):
    """Crash at the at-th file operation of a merge: the documented reader sees no run twice,
    and reopening the store (resume) gives every run exactly once."""
    exp = experiment(tmp_path, replicates=1, yearly=True)
    results = [execute(t) for t in iter_tasks(exp, build_design(exp), skip=set())]
    out = tmp_path / "out"
    store = ResultStore(out, exp, compact_every=1000)
    store.open()
    for r in results:
        store.append([r])
    count = {"n": 0}

    def step() -> None:
        count["n"] += 1
        if count["n"] > at:
            raise Crash

    real_write, real_replace, real_unlink = store_module.write_atomic, os.replace, Path.unlink

    def write_atomic(table, path):
        step()
        real_write(table, path)

    def replace(a, b):
        step()
        real_replace(a, b)

    def unlink(self, missing_ok=False):
        step()
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(store_module, "write_atomic", write_atomic)
    monkeypatch.setattr(store_module.os, "replace", replace)
    monkeypatch.setattr(Path, "unlink", unlink)
    try:
        store.compact()
    except Crash:
        pass
    monkeypatch.undo()
    for sub in ("runs", "yearly"):
        raw = pd.read_parquet(out / sub)
        keys = ["run_id", "year"] if sub == "yearly" else ["run_id"]
        assert not raw.duplicated(keys).any(), f"{sub} shows a run twice after crash at {at}"
    done = ResultStore(out, exp).open()
    assert len(done) == 4
    raw = pd.read_parquet(out / "runs")
    assert len(raw) == 4 and raw["run_id"].is_unique
    yearly = pd.read_parquet(out / "yearly")
    assert (
        set(yearly["run_id"]) == set(raw["run_id"])
        and not yearly.duplicated(["run_id", "year"]).any()
    )


def test_a_killed_session_is_marked_interrupted_on_resume(tmp_path):
    """A session left 'running' (its process was killed) is 'interrupted' after --resume."""
    exp = experiment(tmp_path, replicates=1)
    out = tmp_path / "out"
    run_sweep(exp, out, SerialExecutor(), progress=False)
    prov = json.loads((out / "provenance.json").read_text())
    prov["sessions"][-1]["status"] = "running"  # as kill -9 leaves it
    (out / "provenance.json").write_text(json.dumps(prov))
    run_sweep(exp, out, SerialExecutor(), progress=False, resume=True)
    sessions = json.loads((out / "provenance.json").read_text())["sessions"]
    assert sessions[0]["status"] == "interrupted" and "killed" in sessions[0]["note"]
    assert sessions[1]["status"] == "complete"


def test_a_failed_run_leaves_no_empty_folder(tmp_path, monkeypatch):
    """``landsim run`` that dies in the model leaves no output folder behind."""
    import landsim.runner

    def boom(spec):
        raise RuntimeError("the model broke")

    monkeypatch.setattr(landsim.runner, "simulate", boom)  # the command calls it when it runs
    out = tmp_path / "never"
    with pytest.raises(RuntimeError):
        main(["run", "scenarios/baseline.toml", "--years", "1", "--out", str(out)])
    assert not out.exists()


def _descendants(pid: int) -> set[int]:
    """Every live process below ``pid`` (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            ppid = int(stat.rsplit(")", 1)[1].split()[1])
            children.setdefault(ppid, []).append(int(entry.name))
    out, todo = set(), [pid]
    while todo:
        for c in children.get(todo.pop(), []):
            out.add(c)
            todo.append(c)
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _kill_main_and_wait_for_workers(cmd: list[str], started: Path, workers: int) -> float:
    """Start ``cmd``; once ``started`` exists and it has ``workers`` descendants, kill -9 only
    its main process; return the seconds until every descendant is gone (at most 5)."""
    proc = subprocess.Popen(
        cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 120
        while not started.exists() or len(_descendants(proc.pid)) < workers:
            assert proc.poll() is None and time.monotonic() < deadline, "no workers started"
            time.sleep(0.1)  # polling for the workers to exist
        children = _descendants(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)  # the main process only, not its group
        proc.wait()
        killed = time.monotonic()
        while any(_alive(p) for p in children):
            assert time.monotonic() < killed + 5, f"alive 5 s after kill -9: {children}"
            time.sleep(0.1)  # polling for the workers to exit
        return time.monotonic() - killed
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # whatever is left of this test's group
        except ProcessLookupError:
            pass


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_the_main_process_leaves_no_worker(tmp_path):
    """Killing (-9) only a sweep's main process: its workers are gone within 5 s."""
    path = tmp_path / "exp.toml"
    path.write_text(tiny_experiment(replicates=200, years=20), encoding="utf-8")
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "landsim", "sweep", str(path), "--out", str(out)]
    _kill_main_and_wait_for_workers([*cmd, "--workers", "2", "--no-progress"], out / "runs", 3)


#: a calibration of a tiny world that keeps two workers busy for minutes
CALIBRATION = """base = "baseline"
patterns = "spec.toml"
seeds = 1
years = 20

[world]
width = 20
height = 10
villages_x = 2
villages_y = 1
households_per_village = 20

[abc]
population = 500
generations = 5

[[parameter]]
key = "assumptions.farming_attachment"
low = 100.0
high = 400.0
unit = "yuan/mu"

[[target]]
level = "transfer rate"
tolerance = 0.02
"""

PATTERNS = """years = 20
scenarios = ["baseline"]

[[level]]
name = "transfer rate"
a = { run = "baseline", column = "transfer_rate" }
range = [0.2, 0.4]
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_kill_9_of_a_calibration_leaves_no_worker(tmp_path):
    """Killing (-9) only a calibration's main process: pyabc's workers, which sampled on for
    30 s and more, are gone within 5 s."""
    (tmp_path / "spec.toml").write_text(PATTERNS, encoding="utf-8")
    (tmp_path / "cal.toml").write_text(CALIBRATION, encoding="utf-8")
    out = tmp_path / "o"
    cmd = [sys.executable, "-m", "landsim", "calibrate", str(tmp_path / "cal.toml")]
    cmd += ["--out", str(out), "--executor", "local", "--workers", "2", "--no-progress"]
    _kill_main_and_wait_for_workers(cmd, out / "abc.db", 2)


def test_a_worker_without_the_kernel_s_help_still_ends_with_its_parent(tmp_path):
    """Where no parent-death signal exists (macOS, Windows), the watchdog thread alone ends a
    worker within 5 s of its parent's kill -9."""
    script = tmp_path / "parent.py"
    script.write_text(
        """\
import multiprocessing, sys, time
from landsim import processes

def worker():
    processes.die_with_parent = lambda *args: False  # as on a system without prctl
    processes.watch_parent()
    print("watching", flush=True)
    time.sleep(60)

if __name__ == "__main__":
    child = multiprocessing.get_context("spawn").Process(target=worker)
    child.start()
    print(child.pid, flush=True)
    time.sleep(60)  # until the test kills it (a broken worker: the test fails after 60 s)
""",
        encoding="utf-8",
    )
    proc = subprocess.Popen(
        [sys.executable, str(script)], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        child = int(proc.stdout.readline())
        assert proc.stdout.readline().strip() == "watching"  # its watchdog runs
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        killed = time.monotonic()
        while _alive(child):
            assert time.monotonic() < killed + 5, "the worker outlived its parent by 5 s"
            time.sleep(0.1)  # polling for the worker to exit
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
