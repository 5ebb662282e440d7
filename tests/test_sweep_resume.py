"""Results survive interruption, and partial files are never read as results.

kill -9 then --resume gives every run exactly once; half-written or doubly-written parts are
never read as results; provenance records each session.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest
from sweep_helpers import failing_run, tiny_experiment

from landsim.cli import main
from landsim.errors import UserError
from landsim.runner import run
from landsim.sweep import SerialExecutor, build_design, load_experiment, load_runs, run_sweep
from landsim.sweep.design import iter_tasks
from landsim.sweep.worker import execute


def write(tmp_path: Path, text: str, name: str = "exp.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def n_parts(directory: Path) -> int:
    return len(list(directory.glob("part-*.parquet"))) if directory.is_dir() else 0


@pytest.fixture
def killable(request):
    """Start a command in its own process group; the finalizer kills the whole group."""
    procs: list[subprocess.Popen] = []

    def start(cmd: list[str]) -> subprocess.Popen:
        p = subprocess.Popen(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True
        )
        procs.append(p)
        return p

    def stop() -> None:
        for p in procs:
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            p.wait()

    request.addfinalizer(stop)
    return start


def test_kill_9_mid_sweep_then_resume_gives_every_run_once(tmp_path, killable):
    """After kill -9 of the sweep, --resume leaves every run on disk exactly once.

    Only the missing runs run again, and the numbers equal those of running a run alone.
    """
    factors = """
[factors."levers.benefit_rule"]
values = ["fixed_rent", "guaranteed_dividend"]
[factors."levers.guaranteed_rent"]
range = [300, 900]
levels = 30
"""
    exp_path = write(tmp_path, tiny_experiment(factors, replicates=2, yearly=True))
    out = tmp_path / "out"
    total = 2 * 30 * 2
    proc = killable(
        [
            sys.executable,
            "-m",
            "landsim",
            "sweep",
            str(exp_path),
            "--out",
            str(out),
            "--workers",
            "2",
            "--no-progress",
        ]
    )
    deadline = time.monotonic() + 60
    while n_parts(out / "runs") < 3:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "the sweep wrote no results within 60 s"
        time.sleep(0.01)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    os.killpg(proc.pid, signal.SIGKILL)  # its worker processes, which kill -9 leaves behind

    before = len(load_runs(out))
    assert 0 < before < total, "the kill should land mid-sweep"
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["sessions"][-1]["status"] == "running"  # it never got to say otherwise

    assert (
        main(
            [
                "sweep",
                str(exp_path),
                "--out",
                str(out),
                "--resume",
                "--workers",
                "2",
                "--no-progress",
            ]
        )
        == 0
    )
    raw = pd.read_parquet(out / "runs")
    assert len(raw) == total and raw["run_id"].is_unique
    assert (raw["status"] == "ok").all()
    yearly = pd.read_parquet(out / "yearly")
    assert len(yearly) == total * (3 + 1)  # years 0 (the initial state) to 3
    assert not yearly.duplicated(["run_id", "year"]).any()
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["sessions"][-1]["runs_on_disk_at_start"] == before
    assert prov["sessions"][-1]["ran"] == total - before

    # a few runs redone alone give the numbers on disk
    exp = load_experiment(exp_path)
    tasks = [t for t in iter_tasks(exp, build_design(exp)) if t.point % 37 == 0]
    on_disk = raw.set_index("run_id")
    for task in tasks[:4]:
        row = execute(task).row
        for outcome in exp.outcomes:
            assert on_disk.loc[task.run_id, outcome] == row[outcome]


def test_existing_results_need_resume(tmp_path):
    """A directory that holds runs is never overwritten without --resume."""
    exp = load_experiment(write(tmp_path, tiny_experiment(replicates=1)))
    run_sweep(exp, tmp_path / "out", SerialExecutor(), progress=False)
    with pytest.raises(UserError, match="already holds 4 runs; add --resume"):
        run_sweep(exp, tmp_path / "out", SerialExecutor(), progress=False)


def test_resume_refuses_a_different_experiment(tmp_path):
    """--resume into a directory made by a different design is refused."""
    exp = load_experiment(write(tmp_path, tiny_experiment(replicates=1)))
    run_sweep(exp, tmp_path / "out", SerialExecutor(), progress=False)
    other = load_experiment(write(tmp_path, tiny_experiment(replicates=1, years=4), "b.toml"))
    with pytest.raises(UserError, match="different experiment"):
        run_sweep(other, tmp_path / "out", SerialExecutor(), progress=False, resume=True)


def test_resume_with_more_replicates_runs_only_the_new_ones(tmp_path):
    """Raising the replicate count and resuming adds only the new replicates."""
    exp1 = load_experiment(write(tmp_path, tiny_experiment(replicates=1)))
    run_sweep(exp1, tmp_path / "out", SerialExecutor(), progress=False)
    first = load_runs(tmp_path / "out")
    exp2 = load_experiment(write(tmp_path, tiny_experiment(replicates=2)))
    report = run_sweep(exp2, tmp_path / "out", SerialExecutor(), progress=False, resume=True)
    assert (report.already_done, report.ran) == (4, 4)
    both = load_runs(tmp_path / "out")
    assert len(both) == 8 and sorted(both["replicate"].unique()) == [0, 1]
    pd.testing.assert_frame_equal(
        both[both["replicate"] == 0].drop(columns=["wall_time"]).reset_index(drop=True),
        first.drop(columns=["wall_time"]),
    )


def test_half_written_and_doubly_written_parts(tmp_path):
    """Temporary files are never read; a merge cut short by a crash is never read twice.

    (The crash comes after the merged part was written under its hidden name and before the
    parts it merged were deleted; resuming finishes the merge.)
    """
    exp = load_experiment(write(tmp_path, tiny_experiment(replicates=1, yearly=True)))
    out = tmp_path / "out"
    run_sweep(exp, out, SerialExecutor(), progress=False)
    merged = next((out / "runs").glob("part-*.parquet"))
    session, first = merged.name.split("-")[1:3]
    table = pq.read_table(merged)
    # the single parts that compaction merged, as if the crash came before deleting them
    for i in range(table.num_rows):
        pq.write_table(table.slice(i, 1), out / "runs" / f"part-{session}-{i:08d}.parquet")
    merged.rename(merged.with_name(f".{merged.name}.merging"))
    (out / "runs" / ".part-00000099.parquet.123.tmp").write_bytes(b"PAR1 half a file")
    raw = pd.read_parquet(out / "runs")  # the documented reader, as it is
    assert len(raw) == 4 and raw["run_id"].is_unique
    assert len(load_runs(out)) == 4
    report = run_sweep(exp, out, SerialExecutor(), progress=False, resume=True)
    assert report.ran == 0
    assert sorted(p.name for p in (out / "runs").iterdir()) == [merged.name]
    assert len(pd.read_parquet(out / "runs")) == 4


def test_ctrl_c_keeps_finished_runs(tmp_path):
    """On Ctrl-C finished runs are saved, the session marked interrupted; resume finishes."""
    exp = load_experiment(write(tmp_path, tiny_experiment(replicates=2)))
    out = tmp_path / "out"

    def interrupt_at_fifth(spec):
        if spec.tags["run_id"] == "p000000-r001":  # the fifth run (replicate-major order)
            raise KeyboardInterrupt
        return run(spec)

    with pytest.raises(KeyboardInterrupt):
        run_sweep(exp, out, SerialExecutor(), progress=False, run_fn=interrupt_at_fifth)
    assert len(load_runs(out)) == 4
    prov = json.loads((out / "provenance.json").read_text())
    assert prov["sessions"][-1]["status"] == "interrupted"
    report = run_sweep(exp, out, SerialExecutor(), progress=False, resume=True)
    assert (report.already_done, report.ran) == (4, 4)


def test_retry_failed_reruns_only_failed_runs(tmp_path):
    """--resume --retry-failed runs the failed runs again, leaving each run once."""
    exp = load_experiment(write(tmp_path, tiny_experiment(replicates=2)))
    out = tmp_path / "out"
    run_sweep(exp, out, SerialExecutor(), progress=False, run_fn=failing_run)
    report = run_sweep(exp, out, SerialExecutor(), progress=False, resume=True)
    assert report.ran == 0  # failed runs count as done without --retry-failed
    report = run_sweep(exp, out, SerialExecutor(), progress=False, resume=True, retry_failed=True)
    assert (report.ran, report.failed) == (2, 0)
    raw = pd.read_parquet(out / "runs")
    assert len(raw) == 8 and raw["run_id"].is_unique and (raw["status"] == "ok").all()


def test_provenance_records_what_was_run(tmp_path):
    """provenance.json holds the experiment, resolved parameters, versions and the executor."""
    exp = load_experiment(write(tmp_path, tiny_experiment(replicates=1)))
    run_sweep(exp, tmp_path / "out", SerialExecutor(), progress=False)
    prov = json.loads((tmp_path / "out" / "provenance.json").read_text())
    assert prov["experiment"]["text"] == exp.text
    assert prov["resolved_params"]["world"]["width"] == 12
    assert prov["landsim_version"] and "mesa" in prov["packages"]
    assert "git" in prov
    assert prov["design"]["n_runs"] == 4
    session = prov["sessions"][0]
    assert session["executor"] == "serial" and session["status"] == "complete"
    assert session["ok"] == 4
